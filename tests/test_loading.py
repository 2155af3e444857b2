"""Loading errors: every input error of DESIGN.md is rejected with its message and line.

Specs are written to tmp_path and loaded through the library (`load_spec`, then `resolve`
against the shipped catalogs), the same path `dlc validate` and `dlc check` take; a few
cases also go through `dlc validate` to check the exit code and the one-line error.
"""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.errors import DlcError, InputError
from checker.load.spec import load_spec
from checker.resolve.resolver import resolve


def write(tmp_path, text: str, name: str = "spec.yaml"):
    """Write a spec; an indented tail after HEAD (or TWO_SYSTEMS) is dedented on its own."""
    for prefix in (TWO_SYSTEMS, HEAD):
        if text.startswith(prefix):
            text = prefix + textwrap.dedent(text[len(prefix):]).lstrip("\n")
            break
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load(tmp_path, text: str, name: str = "spec.yaml"):
    spec = load_spec(str(write(tmp_path, text, name)))
    return spec, resolve(spec)


def error(tmp_path, text: str, name: str = "spec.yaml") -> DlcError:
    with pytest.raises(InputError) as caught:
        load(tmp_path, text, name)
    exc = caught.value
    assert exc.file is not None and exc.file.endswith(name)
    return exc


HEAD = """
version: 1
name: t
"""

TWO_SYSTEMS = HEAD + """
systems:
  - {id: sh, location: CN}
  - {id: us, location: US}
datasets:
  - {id: pi, origin: CN, categories: [personal]}
"""


# --- malformed documents --------------------------------------------------------------------

def test_malformed_yaml(tmp_path):
    exc = error(tmp_path, HEAD + "systems: [\n  {id: a\n")
    assert exc.message.startswith("malformed YAML:")
    assert exc.line == 5


def test_duplicate_key_in_yaml(tmp_path):
    exc = error(tmp_path, """
        version: 1
        name: a
        systems: []
        name: b
        """)
    assert exc.message == "duplicate key 'name' (first at line 2)"
    assert (exc.line, exc.column) == (4, 1)


def test_duplicate_key_in_a_nested_yaml_mapping(tmp_path):
    exc = error(tmp_path, HEAD + """
        systems:
          - id: a
            location: CN
            location: US
        """)
    assert exc.message == "duplicate key 'location' (first at line 5)"
    assert exc.line == 6


def test_duplicate_key_in_json_with_line_and_column(tmp_path):
    exc = error(tmp_path, """
        {
          "version": 1,
          "name": "t",
          "systems": [
            {"id": "a", "location": "CN", "id": "b"}
          ]
        }
        """, "spec.json")
    assert exc.message == "duplicate key 'id'"
    assert (exc.line, exc.column) == (5, 35)


def test_malformed_json_with_line_and_column(tmp_path):
    exc = error(tmp_path, '{\n  "version": 1,\n  "name": "t",\n}\n', "spec.json")
    assert exc.message.startswith("malformed JSON:")
    assert (exc.line, exc.column) == (4, 1)


def test_json_errors_point_at_the_field(tmp_path):
    exc = error(tmp_path, """
        {
          "version": 1,
          "name": "t",
          "systems": [{"id": "a", "location": "CN"}],
          "flows": [
            {"id": "f", "from": "a",
             "to": "b"}
          ]
        }
        """, "spec.json")
    assert exc.message == "flows 'f': to refers to unknown system 'b'"
    assert (exc.line, exc.column) == (7, 12)


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_empty_file(tmp_path, text):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_spec(str(path))
    assert caught.value.message == "file is empty"
    assert caught.value.line == 1


def test_file_with_only_comments_holds_no_data(tmp_path):
    exc = error(tmp_path, "# nothing here\n")
    assert exc.message == "file holds no data"
    assert exc.line == 1


def test_spec_must_be_a_mapping(tmp_path):
    exc = error(tmp_path, "- version\n- name\n")
    assert "a spec must be a mapping" in exc.message
    assert exc.line == 1


def test_foreign_tags_are_refused(tmp_path):
    exc = error(tmp_path, HEAD + "description: !!python/object/apply:os.system [echo]\n")
    assert exc.message == "tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"
    assert exc.line == 3


# --- the model: fields, types, required -------------------------------------------------------

def test_unknown_top_level_field(tmp_path):
    exc = error(tmp_path, HEAD + "owner: me\n")
    assert exc.message == "owner: unknown field 'owner'"
    assert (exc.line, exc.column) == (3, 1)


def test_unknown_nested_field(tmp_path):
    exc = error(tmp_path, HEAD + """
        systems:
          - id: a
            locaton: CN
        """)
    # the misspelling is named, not a confusing "missing location"
    assert exc.message == "systems[0].locaton: unknown field 'locaton'"
    assert exc.line == 5


def test_merge_key_is_an_unknown_field(tmp_path):
    exc = error(tmp_path, HEAD + """
        systems:
          - &base {id: a, location: CN}
          - <<: *base
            id: b
        """)
    assert exc.message == "systems[1].<<: unknown field '<<'"
    assert exc.line == 5


def test_wrong_type(tmp_path):
    exc = error(tmp_path, HEAD + """
        systems:
          - id: a
            location: CN
            accelerators:
              - {model: H100, count: many}
        """)
    assert exc.message == "systems[0].accelerators[0].count: expected int, got str 'many'"
    assert exc.line == 7


def test_a_number_is_not_a_string(tmp_path):
    exc = error(tmp_path, HEAD + """
        datasets:
          - id: a
            origin: 86
        """)
    assert exc.message.startswith("datasets[0].origin: expected ")
    assert exc.line == 5


@pytest.mark.parametrize("text, message, line", [
    ("version: 1\nsystems: []\n", "name: missing required field 'name'", 1),
    ("name: t\n", "version: missing required field 'version'", 1),
    (HEAD + "systems:\n  - id: a\n", "systems[0].location: missing required field 'location'", 4),
    (HEAD + "flows:\n  - {id: f, from: a}\n", "flows[0].to: missing required field 'to'", 4),
    (HEAD + "approvals:\n  - {id: x}\n", "approvals[0].kind: missing required field 'kind'", 4),
])
def test_missing_required_field(tmp_path, text, message, line):
    exc = error(tmp_path, text)
    assert (exc.message, exc.line) == (message, line)


def test_only_version_and_name_are_required(tmp_path):
    spec, _ = load(tmp_path, HEAD)
    assert (spec.systems, spec.datasets, spec.flows, spec.approvals) == ([], [], [], [])


def test_unsupported_version(tmp_path):
    exc = error(tmp_path, "version: 2\nname: t\n")
    assert exc.message.startswith("version: '2' is not allowed here")
    assert exc.line == 1


def test_root_dataset_needs_an_origin(tmp_path):
    exc = error(tmp_path, HEAD + "datasets:\n  - id: a\n")
    assert exc.message == "datasets[0]: a dataset needs an 'origin' unless it is 'derived_from' another"
    assert exc.line == 4


def test_id_declared_twice(tmp_path):
    exc = error(tmp_path, HEAD + "systems:\n  - {id: a, location: CN}\n  - {id: a, location: US}\n")
    assert exc.message.startswith("systems[1].id: 'a' is declared twice (first at ")
    assert exc.message.endswith("spec.yaml:4)")
    assert exc.line == 5


# --- references ------------------------------------------------------------------------------

@pytest.mark.parametrize("tail, message, line", [
    ("flows:\n  - id: f\n    from: sh\n    to: mars\n",
     "flows 'f': to refers to unknown system 'mars'", 12),
    ("flows:\n  - id: f\n    from: moon\n    to: us\n",
     "flows 'f': from refers to unknown system 'moon'", 11),
    ("flows:\n  - id: f\n    from: sh\n    to: us\n    datasets:\n      - pi\n      - ghost\n",
     "flows 'f': datasets refers to unknown dataset 'ghost'", 15),
    ("flows:\n  - id: f\n    from: sh\n    to: us\n    approvals: [cac]\n",
     "flows 'f': approvals refers to unknown approval 'cac'", 13),
    ("approvals:\n  - id: a\n    kind: eu-scc\n    datasets: [ghost]\n",
     "approvals 'a': datasets refers to unknown dataset 'ghost'", 12),
    ("approvals:\n  - id: a\n    kind: us-export-license\n    systems: [dc]\n",
     "approvals 'a': systems refers to unknown system 'dc'", 12),
])
def test_unknown_reference_with_its_line(tmp_path, tail, message, line):
    exc = error(tmp_path, TWO_SYSTEMS + tail)
    assert (exc.message, exc.line) == (message, line)


def test_unknown_reference_suggests_a_close_id(tmp_path):
    exc = error(tmp_path, TWO_SYSTEMS + "flows:\n  - {id: f, from: sh, to: uss}\n")
    assert exc.message == "flows 'f': to refers to unknown system 'uss' (did you mean 'us'?)"
    assert exc.line == 10


def test_system_approval_reference(tmp_path):
    exc = error(tmp_path, HEAD + "systems:\n  - id: dc\n    location: CN\n    approvals: [bis-1]\n")
    assert (exc.message, exc.line) == ("systems 'dc': approvals refers to unknown approval 'bis-1'", 6)


def test_derived_from_unknown_dataset(tmp_path):
    exc = error(tmp_path, HEAD + "datasets:\n  - id: a\n    derived_from: [raw]\n")
    assert (exc.message, exc.line) == ("datasets 'a': derived_from refers to unknown dataset 'raw'", 5)


@pytest.mark.parametrize("tail, message, line", [
    ("flows:\n  - id: f\n    from: sh\n    to: us\n    datasets: [pi, pi]\n",
     "flows[0].datasets: 'pi' is listed twice", 13),
    ("datasets:\n  - id: x\n    origin: CN\n    categories:\n      - personal\n      - personal\n",
     "datasets[0].categories: 'personal' is listed twice", None),
])
def test_repeated_entry_in_a_reference_list(tmp_path, tail, message, line):
    exc = error(tmp_path, HEAD + tail if tail.startswith("datasets") else TWO_SYSTEMS + tail)
    assert exc.message == message
    if line is not None:
        assert exc.line == line
    else:
        assert exc.line in (7, 8)


def test_self_loop_flow(tmp_path):
    exc = error(tmp_path, TWO_SYSTEMS + "flows:\n  - id: loop\n    from: sh\n    to: sh\n")
    assert exc.message == "flows[0]: flow goes from 'sh' to itself"
    assert exc.line == 10


def test_lineage_cycle(tmp_path):
    exc = error(tmp_path, HEAD + """
        datasets:
          - {id: a, derived_from: [c]}
          - {id: b, derived_from: [a]}
          - {id: c, derived_from: [b]}
        """)
    assert exc.message.startswith("datasets '")
    assert "lineage cycle" in exc.message
    for ident in "abc":
        assert ident in exc.message.split("lineage cycle ")[1]
    assert exc.line in (4, 5, 6)


def test_dataset_derived_from_itself(tmp_path):
    exc = error(tmp_path, HEAD + "datasets:\n  - {id: a, origin: CN, derived_from: [a]}\n")
    assert exc.message == "datasets 'a': lineage cycle a → a"
    assert exc.line == 4


def test_approval_expiring_before_it_starts(tmp_path):
    exc = error(tmp_path, HEAD + """
        approvals:
          - id: cac
            kind: cn-security-assessment
            valid_from: 2025-06-01
            expires: 2025-01-01
        """)
    assert exc.message == "approvals[0]: approval expires (2025-01-01) before it starts (2025-06-01)"
    assert exc.line == 4


def test_date_that_is_not_a_date(tmp_path):
    exc = error(tmp_path, HEAD + "approvals:\n  - {id: a, kind: eu-scc, expires: 2025-13-01}\n")
    assert "'2025-13-01' is not a date in YYYY-MM-DD form" in exc.message
    assert exc.line == 4


# --- includes -----------------------------------------------------------------------------

def test_include_merges_files_and_references_cross_them(tmp_path):
    write(tmp_path, "systems:\n  - {id: vendor, location: US}\n", "vendors.yaml")
    spec, resolved = load(tmp_path, HEAD + """
        include: [vendors.yaml]
        systems:
          - {id: sh, location: CN}
        flows:
          - {id: f, from: sh, to: vendor}
        """)
    assert sorted(s.id for s in spec.systems) == ["sh", "vendor"]
    assert resolved.country == {"sh": "CN", "vendor": "US"}


def test_include_cycle(tmp_path):
    write(tmp_path, "include: [spec.yaml]\n", "other.yaml")
    with pytest.raises(InputError) as caught:
        load(tmp_path, HEAD + "include:\n  - other.yaml\n")
    exc = caught.value
    assert exc.message == "include[0]: include cycle spec.yaml → other.yaml → spec.yaml"
    assert exc.file.endswith("other.yaml") and exc.line == 1


def test_file_including_itself(tmp_path):
    exc = error(tmp_path, HEAD + "include: [spec.yaml]\n")
    assert exc.message == "include[0]: include cycle spec.yaml → spec.yaml"
    assert exc.line == 3


def test_include_missing_file(tmp_path):
    exc = error(tmp_path, HEAD + "include:\n  - nothere.yaml\n")
    assert exc.message == "include[0]: no such file 'nothere.yaml'"
    assert exc.line == 4


def test_id_repeated_across_an_include(tmp_path):
    write(tmp_path, "systems:\n  - {id: sh, location: US}\n", "part.yaml")
    with pytest.raises(InputError) as caught:
        load(tmp_path, HEAD + "include: [part.yaml]\nsystems:\n  - {id: sh, location: CN}\n")
    assert "'sh' is declared twice" in caught.value.message
    assert caught.value.file.endswith("part.yaml") and caught.value.line == 2


def test_bad_reference_in_an_included_file_points_into_it(tmp_path):
    write(tmp_path, "flows:\n  - id: f\n    from: sh\n    to: nowhere\n", "part.yaml")
    with pytest.raises(InputError) as caught:
        load(tmp_path, HEAD + "include: [part.yaml]\nsystems:\n  - {id: sh, location: CN}\n")
    assert caught.value.message == "flows 'f': to refers to unknown system 'nowhere'"
    assert caught.value.file.endswith("part.yaml") and caught.value.line == 4


# --- catalogs -----------------------------------------------------------------------------

def test_unknown_location(tmp_path):
    exc = error(tmp_path, HEAD + "systems:\n  - id: a\n    location: XX\n")
    assert exc.message == "systems 'a': unknown location 'XX'"
    assert (exc.line, exc.column) == (5, 15)


def test_unknown_cloud_region(tmp_path):
    exc = error(tmp_path, HEAD + "systems:\n  - id: a\n    location: aws:mars-1\n")
    assert exc.message.startswith("systems 'a': unknown location 'aws:mars-1'")
    assert exc.line == 5


def test_unknown_category(tmp_path):
    exc = error(tmp_path, HEAD + "datasets:\n  - id: a\n    origin: CN\n    categories:\n      - personal\n      - bogus\n")
    assert exc.message.startswith("datasets 'a': unknown category 'bogus'")
    assert exc.line == 8


def test_unknown_origin_country(tmp_path):
    exc = error(tmp_path, HEAD + "datasets:\n  - id: a\n    origin: ZZ\n")
    assert exc.message.startswith("datasets 'a': unknown country code 'ZZ'")
    assert exc.line == 5


def test_unknown_destination_country(tmp_path):
    exc = error(tmp_path, HEAD + "approvals:\n  - id: a\n    kind: eu-scc\n    destinations:\n      - US\n      - QQ\n")
    assert exc.message.startswith("approvals 'a': unknown country code 'QQ'")
    assert exc.line == 8


def test_unknown_headquarters_country(tmp_path):
    exc = error(tmp_path, HEAD + "organization:\n  headquarters: ZZ\n")
    assert "unknown country code 'ZZ'" in exc.message
    assert exc.line == 4


# --- YAML 1.2 core schema -----------------------------------------------------------------

def test_location_no_is_norway(tmp_path):
    _, resolved = load(tmp_path, HEAD + "systems:\n  - id: oslo\n    location: NO\n")
    assert resolved.country == {"oslo": "NO"}


@pytest.mark.parametrize("word", ["yes", "on", "off", "y", "NO", "No"])
def test_yaml_11_booleans_are_strings(tmp_path, word):
    spec, _ = load(tmp_path, HEAD + f"systems:\n  - id: {word}\n    location: CN\n")
    assert [s.id for s in spec.systems] == [word]


def test_yes_is_not_a_boolean_field_value(tmp_path):
    exc = error(tmp_path, HEAD + "datasets:\n  - id: a\n    origin: CN\n    important: yes\n")
    assert exc.message == "datasets[0].important: expected bool, got str 'yes'"
    assert exc.line == 6


def test_true_and_false_are_booleans(tmp_path):
    spec, _ = load(tmp_path, HEAD + "organization:\n  ciio: false\ndatasets:\n  - {id: a, origin: CN, important: true}\n")
    assert spec.organization.ciio is False and spec.datasets[0].important is True


def test_010_is_decimal_ten(tmp_path):
    spec, _ = load(tmp_path, HEAD + "datasets:\n  - {id: a, origin: CN, subjects: 010}\n")
    assert spec.datasets[0].subjects == 10


def test_dates_stay_strings_until_the_model_types_them(tmp_path):
    spec, _ = load(tmp_path, """
        version: 1
        name: 2025-01-01
        approvals:
          - {id: a, kind: eu-scc, valid_from: 2025-01-01, expires: 2026-01-01}
        """)
    assert spec.name == "2025-01-01"
    assert str(spec.approvals[0].valid_from) == "2025-01-01"


def test_version_as_a_string_is_refused(tmp_path):
    exc = error(tmp_path, "version: '1'\nname: t\n")
    assert exc.message.startswith("version: '1' is not allowed here")
    assert exc.line == 1


# --- through the CLI ------------------------------------------------------------------------

def test_validate_reports_the_error_line_on_stderr_and_exits_2(tmp_path):
    path = write(tmp_path, TWO_SYSTEMS + "flows:\n  - {id: f, from: sh, to: mars}\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"dlc: error: {path}:10:27: flows 'f': to refers to unknown system 'mars'"


def test_validate_accepts_a_valid_spec(tmp_path):
    path = write(tmp_path, TWO_SYSTEMS + "flows:\n  - {id: f, from: sh, to: us, datasets: [pi]}\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.stderr
    assert "1 input(s) valid" in result.stdout


def test_json_nan_is_refused_with_its_line(tmp_path):
    exc = error(tmp_path, '{\n  "version": 1,\n  "name": "NaN",\n  "datasets": [{"id": "a", "origin": "CN",\n'
                          '    "subjects": NaN}]\n}\n', "spec.json")
    assert exc.message == "malformed JSON: NaN is not valid JSON"
    assert (exc.line, exc.column) == (5, 17)


# --- hostile input: limits ------------------------------------------------------------------

def test_alias_bomb_is_refused(tmp_path):
    lines = [HEAD.strip(), "description: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"d{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    exc = error(tmp_path, "\n".join(lines) + "\n")
    assert exc.message.startswith("aliases expand to more than")
    assert exc.line is not None and exc.line <= 10


def test_alias_uses_are_limited(tmp_path):
    body = "".join(f"  - *n\n" for _ in range(1001))
    exc = error(tmp_path, HEAD + "description: &n x\nx:\n" + body)
    assert exc.message == "more than 1,000 alias uses (raise it with --max-aliases)"
    assert exc.line == 1005


def test_nesting_depth_is_limited_and_raisable(tmp_path):
    text = HEAD + "description: " + "[" * 70 + "]" * 70 + "\n"
    exc = error(tmp_path, text)
    assert exc.message == "nesting is deeper than the limit of 64 (raise it with --max-depth)"
    assert exc.line == 3
    result = CliRunner().invoke(main, ["validate", "--max-depth", "100", str(tmp_path / "spec.yaml")])
    assert result.exit_code == 2
    assert "description: expected string" in result.stderr  # past the limit, the model judges it
