"""Loading errors: every input error of DESIGN.md is rejected with its message and line.

Specs are written to tmp_path and loaded through the library (`load_spec`, then `resolve`
against the shipped catalogs), the same path `dlc validate` and `dlc check` take; a few
cases also go through `dlc validate` to check the exit code and the one-line error.
"""

from __future__ import annotations

import json
import textwrap
import time
from typing import Annotated

import msgspec
import pytest
import yaml
from click.testing import CliRunner

from checker.cli import main
from checker.errors import DlcError, InputError, LimitExceeded
from checker.load import documents
from checker.load.documents import Limits, load_json, load_yaml
from checker.load.spec import load_fast, load_spec
from checker.resolve.resolver import resolve


def write(tmp_path, text: str, name: str = "spec.yaml"):
    """Write a spec; an indented tail after HEAD (or TWO_SYSTEMS) is dedented on its own."""
    for prefix in (TWO_SYSTEMS, HEAD):
        if text.startswith(prefix):
            text = prefix + textwrap.dedent(text[len(prefix) :]).lstrip("\n")
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


def assert_rejected(tmp_path, text: str, message: str, line: int) -> None:
    """The spec is rejected at `line` with `message`: the whole message, or its stable beginning
    where parser detail or a hint follows."""
    exc = error(tmp_path, text)
    assert exc.message.startswith(message), exc.message
    assert exc.line == line


HEAD = """
version: 1
name: t
"""

TWO_SYSTEMS = (
    HEAD
    + """
systems:
  - {id: sh, location: CN}
  - {id: us, location: US}
datasets:
  - {id: pi, origin: CN, categories: [personal]}
"""
)


# --- malformed documents --------------------------------------------------------------------


def test_duplicate_key_in_yaml(tmp_path):
    exc = error(
        tmp_path,
        """
        version: 1
        name: a
        systems: []
        name: b
        """,
    )
    assert exc.message == "duplicate key 'name' (first at line 2)"
    assert (exc.line, exc.column) == (4, 1)


def test_duplicate_key_in_a_nested_yaml_mapping(tmp_path):
    exc = error(
        tmp_path,
        HEAD
        + """
        systems:
          - id: a
            location: CN
            location: US
        """,
    )
    assert exc.message == "duplicate key 'location' (first at line 5)"
    assert exc.line == 6


def test_duplicate_key_in_json_with_line_and_column(tmp_path):
    exc = error(
        tmp_path,
        """
        {
          "version": 1,
          "name": "t",
          "systems": [
            {"id": "a", "location": "CN", "id": "b"}
          ]
        }
        """,
        "spec.json",
    )
    assert exc.message == "duplicate key 'id'"
    assert (exc.line, exc.column) == (5, 35)


def test_malformed_json_with_line_and_column(tmp_path):
    exc = error(tmp_path, '{\n  "version": 1,\n  "name": "t",\n}\n', "spec.json")
    assert exc.message.startswith("malformed JSON:")
    assert (exc.line, exc.column) == (4, 1)


def test_json_errors_point_at_the_field(tmp_path):
    exc = error(
        tmp_path,
        """
        {
          "version": 1,
          "name": "t",
          "systems": [{"id": "a", "location": "CN"}],
          "flows": [
            {"id": "f", "from": "a",
             "to": "b"}
          ]
        }
        """,
        "spec.json",
    )
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


# Each table below: a spec, the error message it is rejected with and the line it points at.


@pytest.mark.parametrize(
    "text, message, line",
    [
        pytest.param(HEAD + "systems: [\n  {id: a\n", "malformed YAML:", 5, id="malformed-yaml"),
        pytest.param("# nothing here\n", "file holds no data", 1, id="only-comments"),
        pytest.param("- version\n- name\n", "a spec must be a mapping", 1, id="not-a-mapping"),
        pytest.param(
            HEAD + "description: !!python/object/apply:os.system [echo]\n",
            "tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
            3,
            id="foreign-tag",
        ),
    ],
)
def test_document_that_is_not_a_spec(tmp_path, text, message, line):
    assert_rejected(tmp_path, text, message, line)


# --- the model: fields, types, required -------------------------------------------------------


@pytest.mark.parametrize(
    "text, message, line",
    [
        pytest.param(
            HEAD + "owner: me\n", "owner: unknown field 'owner'", 3, id="unknown-top-level-field"
        ),
        # a misspelling is named, not reported as a confusing "missing location"
        pytest.param(
            HEAD + "systems:\n  - id: a\n    locaton: CN\n",
            "systems[0].locaton: unknown field 'locaton'",
            5,
            id="unknown-nested-field",
        ),
        pytest.param(
            HEAD + "systems:\n  - &base {id: a, location: CN}\n  - <<: *base\n    id: b\n",
            "systems[1].<<: unknown field '<<'",
            5,
            id="merge-key-is-an-unknown-field",
        ),
        pytest.param(
            HEAD + "systems:\n  - id: a\n    location: CN\n    accelerators:\n"
            "      - {model: H100, count: many}\n",
            "systems[0].accelerators[0].count: expected int, got str 'many'",
            7,
            id="wrong-type",
        ),
        pytest.param(
            HEAD + "datasets:\n  - id: a\n    origin: 86\n",
            "datasets[0].origin: expected ",
            5,
            id="a-number-is-not-a-string",
        ),
        pytest.param(
            "version: 1\nsystems: []\n", "name: missing required field 'name'", 1, id="missing-name"
        ),
        pytest.param(
            "name: t\n", "version: missing required field 'version'", 1, id="missing-version"
        ),
        pytest.param(
            HEAD + "systems:\n  - id: a\n",
            "systems[0].location: missing required field 'location'",
            4,
            id="missing-location",
        ),
        pytest.param(
            HEAD + "flows:\n  - {id: f, from: a}\n",
            "flows[0].to: missing required field 'to'",
            4,
            id="missing-flow-target",
        ),
        pytest.param(
            HEAD + "approvals:\n  - {id: x}\n",
            "approvals[0].kind: missing required field 'kind'",
            4,
            id="missing-approval-kind",
        ),
        pytest.param(
            "version: 2\nname: t\n", "version: '2' is not allowed here", 1, id="unsupported-version"
        ),
        pytest.param(
            HEAD + "datasets:\n  - id: a\n    categories: [personal]\n",
            "datasets[0]: a dataset with 'categories' needs an 'origin' unless it is 'derived_from' another",
            4,
            id="classified-root-dataset-needs-an-origin",
        ),
        pytest.param(
            HEAD
            + "approvals:\n  - id: cac\n    kind: cn-security-assessment\n    valid_from: 2025-06-01\n"
            "    expires: 2025-01-01\n",
            "approvals[0]: approval expires (2025-01-01) before it starts (2025-06-01)",
            4,
            id="approval-expiring-before-it-starts",
        ),
        pytest.param(
            HEAD + "approvals:\n  - {id: a, kind: eu-scc, expires: 2025-13-01}\n",
            "approvals[0].expires: '2025-13-01' is not a date in YYYY-MM-DD form",
            4,
            id="not-a-date",
        ),
    ],
)
def test_model_error_names_the_field(tmp_path, text, message, line):
    assert_rejected(tmp_path, text, message, line)


def test_only_version_and_name_are_required(tmp_path):
    spec, _ = load(tmp_path, HEAD)
    assert (spec.systems, spec.datasets, spec.flows, spec.approvals) == ([], [], [], [])


def test_id_declared_twice(tmp_path):
    exc = error(tmp_path, HEAD + "systems:\n  - {id: a, location: CN}\n  - {id: a, location: US}\n")
    assert exc.message.startswith("systems[1].id: 'a' is declared twice (first at ")
    assert exc.message.endswith("spec.yaml:4)")
    assert exc.line == 5


# --- references ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message, line",
    [
        pytest.param(
            TWO_SYSTEMS + "flows:\n  - id: f\n    from: sh\n    to: mars\n",
            "flows 'f': to refers to unknown system 'mars'",
            12,
            id="flow-target",
        ),
        pytest.param(
            TWO_SYSTEMS + "flows:\n  - id: f\n    from: moon\n    to: us\n",
            "flows 'f': from refers to unknown system 'moon'",
            11,
            id="flow-source",
        ),
        pytest.param(
            TWO_SYSTEMS + "flows:\n  - id: f\n    from: sh\n    to: us\n    datasets:\n"
            "      - pi\n      - ghost\n",
            "flows 'f': datasets refers to unknown dataset 'ghost'",
            15,
            id="flow-dataset",
        ),
        pytest.param(
            TWO_SYSTEMS + "flows:\n  - id: f\n    from: sh\n    to: us\n    approvals: [cac]\n",
            "flows 'f': approvals refers to unknown approval 'cac'",
            13,
            id="flow-approval",
        ),
        pytest.param(
            TWO_SYSTEMS + "approvals:\n  - id: a\n    kind: eu-scc\n    datasets: [ghost]\n",
            "approvals 'a': datasets refers to unknown dataset 'ghost'",
            12,
            id="approval-dataset",
        ),
        pytest.param(
            TWO_SYSTEMS + "approvals:\n  - id: a\n    kind: us-export-license\n    systems: [dc]\n",
            "approvals 'a': systems refers to unknown system 'dc'",
            12,
            id="approval-system",
        ),
        pytest.param(
            TWO_SYSTEMS + "flows:\n  - {id: f, from: sh, to: uss}\n",
            "flows 'f': to refers to unknown system 'uss' (did you mean 'us'?)",
            10,
            id="suggests-a-close-id",
        ),
        pytest.param(
            HEAD + "systems:\n  - id: dc\n    location: CN\n    approvals: [bis-1]\n",
            "systems 'dc': approvals refers to unknown approval 'bis-1'",
            6,
            id="system-approval",
        ),
        pytest.param(
            HEAD + "datasets:\n  - id: a\n    derived_from: [raw]\n",
            "datasets 'a': derived_from refers to unknown dataset 'raw'",
            5,
            id="derived-from",
        ),
        pytest.param(
            TWO_SYSTEMS + "flows:\n  - id: loop\n    from: sh\n    to: sh\n",
            "flows[0]: flow goes from 'sh' to itself",
            10,
            id="self-loop-flow",
        ),
        pytest.param(
            HEAD + "datasets:\n  - {id: a, origin: CN, derived_from: [a]}\n",
            "datasets 'a': lineage cycle a → a",
            4,
            id="dataset-derived-from-itself",
        ),
    ],
)
def test_bad_reference_with_its_line(tmp_path, text, message, line):
    assert_rejected(tmp_path, text, message, line)


@pytest.mark.parametrize(
    "tail, message, line",
    [
        (
            "flows:\n  - id: f\n    from: sh\n    to: us\n    datasets: [pi, pi]\n",
            "flows[0].datasets[1]: 'pi' is listed twice",
            13,
        ),
        (
            "datasets:\n  - id: x\n    origin: CN\n    categories:\n      - personal\n      - personal\n",
            "datasets[0].categories[1]: 'personal' is listed twice",
            8,
        ),  # the repeated entry, not the list
    ],
)
def test_repeated_entry_in_a_reference_list(tmp_path, tail, message, line):
    exc = error(tmp_path, HEAD + tail if tail.startswith("datasets") else TWO_SYSTEMS + tail)
    assert exc.message == message
    assert exc.line == line


def test_lineage_cycle(tmp_path):
    exc = error(
        tmp_path,
        HEAD
        + """
        datasets:
          - {id: a, derived_from: [c]}
          - {id: b, derived_from: [a]}
          - {id: c, derived_from: [b]}
        """,
    )
    assert exc.message.startswith("datasets '")
    assert "lineage cycle" in exc.message
    for ident in "abc":
        assert ident in exc.message.split("lineage cycle ")[1]
    assert exc.line in (4, 5, 6)


def test_lineage_cycle_through_a_dataset_with_a_root_parent(tmp_path):
    """The walk skips datasets derived from nothing, yet still passes through them as parents:
    the cycle it reports, and where, is the one the first walk in id order finds."""
    exc = error(
        tmp_path,
        HEAD
        + """
        datasets:
          - {id: root, origin: CN}
          - {id: c, derived_from: [b]}
          - {id: a, derived_from: [root, c]}
          - {id: b, derived_from: [a, root]}
        """,
    )
    assert exc.message == "datasets 'b': lineage cycle a → c → b → a"
    assert exc.line == 7


# --- includes -----------------------------------------------------------------------------


def test_include_merges_files_and_references_cross_them(tmp_path):
    write(tmp_path, "systems:\n  - {id: vendor, location: US}\n", "vendors.yaml")
    spec, resolved = load(
        tmp_path,
        HEAD
        + """
        include: [vendors.yaml]
        systems:
          - {id: sh, location: CN}
        flows:
          - {id: f, from: sh, to: vendor}
        """,
    )
    assert sorted(s.id for s in spec.systems) == ["sh", "vendor"]
    assert resolved.country == {"sh": "CN", "vendor": "US"}


def test_include_cycle(tmp_path):
    write(tmp_path, "include: [spec.yaml]\n", "other.yaml")
    with pytest.raises(InputError) as caught:
        load(tmp_path, HEAD + "include:\n  - other.yaml\n")
    exc = caught.value
    assert exc.message == (
        f"include[0]: include cycle spec.yaml → other.yaml → spec.yaml "
        f"(included from {tmp_path / 'spec.yaml'}:4)"
    )
    assert exc.file.endswith("other.yaml") and exc.line == 1


@pytest.mark.parametrize(
    "text, message, line",
    [
        (HEAD + "include: [spec.yaml]\n", "include[0]: include cycle spec.yaml → spec.yaml", 3),
        (HEAD + "include:\n  - nothere.yaml\n", "include[0]: no such file 'nothere.yaml'", 4),
    ],
    ids=["file-including-itself", "missing-file"],
)
def test_bad_include(tmp_path, text, message, line):
    assert_rejected(tmp_path, text, message, line)


def test_includes_stay_in_the_folder_of_the_spec_or_the_include_root(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "specs").mkdir()
    (repo / "shared.yaml").write_text("systems:\n  - {id: us, location: US}\n")
    (tmp_path / "outside.yaml").write_text("systems:\n  - {id: de, location: DE}\n")
    spec = repo / "specs" / "spec.yaml"
    spec.write_text(HEAD + "include:\n  - ../shared.yaml\n")
    with pytest.raises(
        InputError
    ) as caught:  # the repository is not the tree: the spec's folder is
        load_spec(str(spec))
    assert caught.value.message.startswith(
        f"include[0]: '../shared.yaml' is outside {repo / 'specs'} ("
    )
    assert [s.id for s in load_spec(str(spec), include_root=str(repo)).systems] == ["us"]  # widened
    spec.write_text(HEAD + "include:\n  - ../../outside.yaml\n")
    with pytest.raises(InputError) as caught:
        load_spec(str(spec), include_root=str(repo))
    assert (
        caught.value.message
        == f"include[0]: '../../outside.yaml' is outside {repo} (--include-root)"
    )
    assert caught.value.file == str(spec) and caught.value.line == 5  # the include entry


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
    assert caught.value.message == (
        f"flows 'f': to refers to unknown system 'nowhere' "
        f"(included from {tmp_path / 'spec.yaml'}:3)"
    )
    assert caught.value.file.endswith("part.yaml") and caught.value.line == 4


# --- catalogs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail, message, place",
    [
        pytest.param(
            "systems:\n  - id: a\n    location: XX\n",
            "systems 'a': unknown location 'XX'",
            (5, 15),
            id="location",
        ),
        pytest.param(
            "systems:\n  - id: a\n    location: aws:mars-1\n",
            "systems 'a': unknown location 'aws:mars-1'",
            (5, 15),
            id="cloud-region",
        ),
        pytest.param(
            "datasets:\n  - id: a\n    origin: CN\n    categories:\n      - personal\n      - bogus\n",
            "datasets 'a': unknown category 'bogus'",
            (8, 9),
            id="category",
        ),
        pytest.param(
            "datasets:\n  - id: a\n    origin: ZZ\n",
            "datasets 'a': unknown country code 'ZZ'",
            (5, 13),
            id="origin-country",
        ),
        pytest.param(
            "approvals:\n  - id: a\n    kind: eu-scc\n    destinations:\n      - US\n      - QQ\n",
            "approvals 'a': unknown country code 'QQ'",
            (8, 9),
            id="destination-country",
        ),
        pytest.param(
            "organization:\n  headquarters: ZZ\n",
            "organization.headquarters: unknown country code 'ZZ'",
            (4, 17),
            id="headquarters-country",
        ),
    ],
)
def test_value_missing_from_a_catalog_points_at_it(tmp_path, tail, message, place):
    exc = error(tmp_path, HEAD + tail)
    assert exc.message.startswith(
        message
    )  # a hint may follow (did you mean ..., see `dlc schema ...`)
    assert (exc.line, exc.column) == place


# --- YAML 1.2 core schema -----------------------------------------------------------------


def test_location_no_is_norway(tmp_path):
    _, resolved = load(tmp_path, HEAD + "systems:\n  - id: oslo\n    location: NO\n")
    assert resolved.country == {"oslo": "NO"}


@pytest.mark.parametrize("word", ["yes", "on", "off", "y", "NO", "No"])
def test_yaml_11_booleans_are_strings(tmp_path, word):
    spec, _ = load(tmp_path, HEAD + f"systems:\n  - id: {word}\n    location: CN\n")
    assert [s.id for s in spec.systems] == [word]


@pytest.mark.parametrize(
    "text, message, line",
    [
        (
            HEAD + "datasets:\n  - id: a\n    origin: CN\n    important: yes\n",
            "datasets[0].important: expected bool, got str 'yes'",
            6,
        ),
        ("version: '1'\nname: t\n", "version: '1' is not allowed here", 1),
    ],
    ids=["yes-is-not-a-boolean", "version-as-a-string"],
)
def test_yaml_11_values_keep_their_core_schema_type(tmp_path, text, message, line):
    assert_rejected(tmp_path, text, message, line)


def test_true_and_false_are_booleans(tmp_path):
    spec, _ = load(
        tmp_path,
        HEAD
        + "organization:\n  ciio: false\ndatasets:\n  - {id: a, origin: CN, important: true}\n",
    )
    assert spec.organization.ciio is False and spec.datasets[0].important is True


def test_010_is_decimal_ten(tmp_path):
    spec, _ = load(tmp_path, HEAD + "datasets:\n  - {id: a, origin: CN, subjects: 010}\n")
    assert spec.datasets[0].subjects == 10


def test_dates_stay_strings_until_the_model_types_them(tmp_path):
    spec, _ = load(
        tmp_path,
        """
        version: 1
        name: 2025-01-01
        approvals:
          - {id: a, kind: eu-scc, valid_from: 2025-01-01, expires: 2026-01-01}
        """,
    )
    assert spec.name == "2025-01-01"
    assert str(spec.approvals[0].valid_from) == "2025-01-01"


# --- through the CLI ------------------------------------------------------------------------


def test_validate_reports_the_error_line_on_stderr_and_exits_2(tmp_path):
    path = write(tmp_path, TWO_SYSTEMS + "flows:\n  - {id: f, from: sh, to: mars}\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == f"dlc: error: {path}:10:27: flows 'f': to refers to unknown system 'mars'"
    )


def test_validate_accepts_a_valid_spec(tmp_path):
    path = write(tmp_path, TWO_SYSTEMS + "flows:\n  - {id: f, from: sh, to: us, datasets: [pi]}\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.stderr
    assert "1 input(s) valid" in result.stdout


def test_json_nan_is_refused_with_its_line(tmp_path):
    exc = error(
        tmp_path,
        '{\n  "version": 1,\n  "name": "NaN",\n  "datasets": [{"id": "a", "origin": "CN",\n'
        '    "subjects": NaN}]\n}\n',
        "spec.json",
    )
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
    body = "  - *n\n" * 1001
    exc = error(tmp_path, HEAD + "description: &n x\nx:\n" + body)
    assert exc.message == "more than 1,000 alias uses (raise it with --max-aliases)"
    assert exc.line == 1005


def test_nesting_depth_is_limited_and_raisable(tmp_path):
    text = HEAD + "description: " + "[" * 70 + "]" * 70 + "\n"
    exc = error(tmp_path, text)
    assert exc.message == "nesting is deeper than the limit of 64 (raise it with --max-depth)"
    assert exc.line == 3
    result = CliRunner().invoke(
        main, ["validate", "--max-depth", "100", str(tmp_path / "spec.yaml")]
    )
    assert result.exit_code == 2
    assert "description: expected string" in result.stderr  # past the limit, the model judges it


# The JSON pre-check must stay linear: an escaped quote inside a string that does not match must
# never become the start of the next scan (200 KB of \" took one to three minutes when it did).
@pytest.mark.parametrize(
    "text, limits, message",
    [
        pytest.param(
            '{"name": "' + '\\"' * 100_000,
            Limits(),
            "malformed JSON: Unterminated string",
            id="unterminated",
        ),
        pytest.param(
            '{"name": "' + '\\"' * 100_000 + "\\",
            Limits(),
            "malformed JSON: Unterminated string",
            id="unterminated-lone-backslash",
        ),
        pytest.param(
            '{"name": "' + '\\"' * 100_000 + '"}',
            Limits(max_scalar_bytes=10_000),
            "string of 100,000 characters is over the limit of 10,000",
            id="over-the-limit",
        ),
        pytest.param(
            '{"name": "' + '\\"' * 100_000,
            Limits(max_scalar_bytes=10_000),
            "malformed JSON: Unterminated string",
            id="unterminated-over-the-limit",
        ),
    ],
)
def test_json_precheck_is_linear_on_escape_heavy_strings(text, limits, message):
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        load_json(text, "f.json", limits)
    assert time.monotonic() - started < 2
    assert caught.value.message.startswith(message)
    assert (caught.value.line, caught.value.column) == (1, 10)


def test_json_string_limit_counts_decoded_characters():
    within = '{"a": "x", "name": "' + "\\u00e9" * 50 + '"}'  # 300 characters written, 50 read
    assert load_json(within, "f.json", Limits(max_scalar_bytes=100)).data["name"] == "é" * 50
    with pytest.raises(LimitExceeded) as caught:
        load_json(
            '{"a": "x",\n "name": "' + "\\u00e9" * 101 + '"}',
            "f.json",
            Limits(max_scalar_bytes=100),
        )
    assert caught.value.message.startswith("string of 101 characters is over the limit of 100")
    assert (caught.value.line, caught.value.column) == (2, 10)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_constants_are_refused_with_their_place(constant):
    with pytest.raises(InputError) as caught:
        load_json('{"name": "NaN Infinity",\n "n": [1, ' + constant + "]}", "f.json")
    assert caught.value.message == f"malformed JSON: {constant} is not valid JSON"
    assert (caught.value.line, caught.value.column) == (2, 11)


def test_json_cut_short_anywhere_is_one_clean_error():
    text = '{"version": 1, "name": "s", "organization": {"ciio": true, "ciio": false}, "systems": [1, 2]}'
    repeat = text.index('"ciio": false')
    for end in range(1, len(text)):
        with pytest.raises(InputError) as caught:
            load_json(text[:end], "f.json")
        if end > text.index("},"):  # the object with the repeat is complete: the parser reports it
            assert caught.value.message == "duplicate key 'ciio'"
            assert (caught.value.line, caught.value.column) == (1, repeat + 1)
        else:
            assert caught.value.message.startswith("malformed JSON:"), (end, caught.value.message)


@pytest.mark.parametrize(
    "text, message, place",
    [
        ("name: !!map s\n", "tag '!!map' does not fit a scalar", (1, 7)),
        ("name: !!seq s\n", "tag '!!seq' does not fit a scalar", (1, 7)),
        ("x: !!int [a]\n", "tag '!!int' does not fit a sequence", (1, 4)),
        ("x: !!str {a: b}\n", "tag '!!str' does not fit a mapping", (1, 4)),
        ("x: !!seq {a: b}\n", "tag '!!seq' does not fit a mapping", (1, 4)),
        ("x:\n  !!map [a]\n", "tag '!!map' does not fit a sequence", (2, 3)),
        ("x: !!binary aGk=\n", "tag 'tag:yaml.org,2002:binary' is not allowed", (1, 4)),
        ("x: !!int yes\n", "'yes' is not a valid !!int", (1, 4)),
    ],
)
def test_yaml_tag_must_fit_its_node(text, message, place):
    with pytest.raises(InputError) as caught:
        load_yaml(text, "f.yaml")
    assert caught.value.message == message
    assert (caught.value.line, caught.value.column) == place


def test_yaml_core_tags_that_fit_are_read():
    text = "a: !!map {b: !!seq [!!int 1, !!float 2, !!bool true, !!null ~, !!str 3]}\nc: ! [x]\n"
    assert load_yaml(text, "f.yaml")[0].data == {"a": {"b": [1, 2.0, True, None, "3"]}, "c": ["x"]}


@pytest.mark.parametrize("parser", ["C", "pure-Python"])
def test_forbidden_yaml_character_after_non_ascii_text(monkeypatch, parser):
    if parser == "pure-Python":
        monkeypatch.setattr(documents, "_Parser", yaml.SafeLoader)
    elif documents._Parser is yaml.SafeLoader:
        pytest.skip("PyYAML is built without libyaml")
    with pytest.raises(InputError) as caught:
        load_yaml("a: 1\nb: ééé\nc: ééééééééééé\x01\n", "f.yaml")
    assert caught.value.message.startswith("malformed YAML: character U+0001 is not allowed")
    assert (caught.value.line, caught.value.column) == (3, 15)


@pytest.mark.parametrize(
    "name, text, place",
    [
        ("spec.yaml", HEAD + "owner:\n  me\n", (3, 1)),
        ("spec.json", '{"version": 1, "name": "t",\n  "owner":\n    "me"}', (2, 3)),
    ],
)
def test_unknown_field_points_at_its_key(tmp_path, name, text, place):
    exc = error(tmp_path, text, name)
    assert exc.message == "owner: unknown field 'owner'"
    assert (exc.line, exc.column) == place


def test_json_source_locates_keys_and_values():
    source = load_json('{"a": [{"b":\n 1}]}', "f.json").source
    assert source.locate(("a", 0, "b")) == (2, 2)
    assert source.locate_key(("a", 0, "b")) == (1, 9)
    assert source.locate_key(("a", 0)) == source.locate(("a", 0)) == (1, 8)
    assert (
        source.locate_key(("a", 5, "b")) == source.locate(("a", 5, "b")) == (1, 7)
    )  # the list: no item 5


# --- the fast JSON path ---------------------------------------------------------------------

FAST_SPEC = {
    "version": 1,
    "name": "t",
    "systems": [{"id": "sh", "location": "CN"}, {"id": "us", "location": "US", "kind": "vendor"}],
    "datasets": [{"id": "pi", "origin": "CN", "categories": ["personal"]}],
    "flows": [{"id": "f", "from": "sh", "to": "us", "datasets": ["pi"]}],
}


def write_json(tmp_path, spec, name: str = "spec.json", text: str | None = None):
    path = tmp_path / name
    path.write_text(text if text is not None else json.dumps(spec, indent=2), encoding="utf-8")
    return str(path)


def test_fast_path_reads_a_valid_json_spec_with_defaults_filled(tmp_path):
    spec = load_fast(write_json(tmp_path, FAST_SPEC))
    assert spec is not None
    flow = spec.flows[0]
    assert (
        flow.source,
        flow.target,
        list(flow.datasets),
        flow.mode,
        flow.purpose,
        list(flow.approvals),
    ) == ("sh", "us", ["pi"], "copy", None, [])
    assert [s.kind for s in spec.systems] == ["other", "vendor"]
    assert resolve(spec).country == {"sh": "CN", "us": "US"}
    assert spec.location_of("flows", "f")[1] == 25  # lines are found in the JSON text as before


@pytest.mark.parametrize(
    "text",
    [
        '{"version": 1, "name": "t", "name": "t"}',  # repeated, same value
        '{"version": 1, "name": "t", "systems": [{"id": "a", "location": "US", "location": "CN"}]}',
        '{"version": 1, "name": "t", "systems": [{"id": "a\\u00a0b", "location": "US"}]}',  # whitespace in an id
        '{"version": 1, "name": "t", "systems": [{"id": "a", "location": "US", "certifications": ["x", "x"]}]}',
        '{"version": 1, "name": "t", "description": "say \\"hi\\": ok"}',  # an escaped quote and colon
        '{"version": 1, "name": "t"} ',
    ],
    ids=[
        "repeated-key",
        "repeated-key-new-value",
        "nbsp-in-id",
        "repeated-entry",
        "escaped-quote-colon",
        "plain",
    ],
)
def test_fast_path_leaves_every_doubt_to_the_careful_path(tmp_path, text):
    path = write_json(tmp_path, None, text=text)
    fast = load_fast(path)
    if text.startswith('{"version": 1, "name": "t"} '):
        assert fast is not None and fast.name == "t"
    else:
        assert fast is None


def test_where_each_declaration_is_written_is_one_mapping_whichever_loader_read_it(tmp_path):
    from collections.abc import Mapping

    declared = {("systems", "sh"), ("systems", "us"), ("datasets", "pi"), ("flows", "f")}
    json_path = write_json(tmp_path, FAST_SPEC)
    yaml_path = tmp_path / "spec.yaml"
    yaml_path.write_text(yaml.safe_dump(FAST_SPEC), encoding="utf-8")
    for spec in (
        load_fast(json_path),
        load_spec(json_path, document=documents.load_file(json_path)[0]),
        load_spec(str(yaml_path)),
    ):
        assert isinstance(spec.where, Mapping)
        assert set(spec.where) == declared and len(spec.where) == len(declared)
        assert spec.where.get(("flows", "nowhere")) is None and ("flows", "f") in spec.where
        assert (
            spec.where[("flows", "f")].resolve()[1] == {".json": 25, ".yaml": 7}[spec.files[0][-5:]]
        )


def test_json_spec_errors_read_the_same_whichever_path_tried_first(tmp_path):
    bad = json.loads(json.dumps(FAST_SPEC))
    bad["flows"][0]["to"] = "nowhere"
    with pytest.raises(InputError) as caught:
        load_spec(write_json(tmp_path, bad))
    assert caught.value.message == "flows 'f': to refers to unknown system 'nowhere'"
    assert caught.value.line == 28


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 8])
def test_keys_are_counted_across_chunk_boundaries(monkeypatch, chunk):
    """A key whose `"` and `:` fall in different chunks, with whitespace (even whole chunks of it)
    between them, counts once, as it does in the file stripped whole."""
    from checker.load import fast_json

    monkeypatch.setattr(fast_json, "_KEY_CHUNK", chunk)
    texts = [
        b"",
        b" \n",
        b'"',
        b":",
        b'":',
        b'"\t \r\n  :',
        b'{"a"   \n\n   : 1, "b":2}',
        b'{"a" :{"b"\n:[":", "\\"  :"]}}  ',
        b'"' + b" " * 17 + b":" + b'"\n' * 5 + b'x" :',
    ]
    for text in texts:
        assert fast_json._keys_written(text) == text.translate(None, b" \t\n\r").count(b'":'), text


def test_fast_path_steps_aside_for_lowered_limits(tmp_path):
    path = write_json(tmp_path, FAST_SPEC)
    assert load_fast(path, Limits(max_scalar_bytes=100)) is None
    assert load_fast(path, Limits(max_depth=4)) is None
    assert load_fast(path, Limits(max_depth=5)) is not None


@pytest.mark.parametrize(
    "annotation",
    [
        Annotated[
            str, msgspec.Meta(max_length=9, extra_json_schema={"format": "email"})
        ],  # a constraint
        Annotated[
            str, msgspec.Meta(max_length=9, extra_json_schema={"pattern": "^[a-z]+$"})
        ],  # not the id one
        dict[str, int],  # a type
    ],
    ids=["constraint", "pattern", "type"],
)
def test_a_model_the_fast_path_cannot_check_is_refused_not_half_checked(annotation):
    from checker.load import fast_json
    from checker.model import Declaration

    odd = msgspec.defstruct("Odd", [("id", annotation)], bases=(Declaration,))
    with pytest.raises(TypeError, match="fast JSON path: cannot check"):
        fast_json._shape(odd)


def test_a_model_the_careful_path_cannot_mirror_is_refused_not_half_checked():
    from checker.load import validation
    from checker.model import Declaration

    for annotation in (
        dict[str, int],
        Annotated[str, msgspec.Meta(extra_json_schema={"format": "email"})],
    ):
        odd = msgspec.defstruct("Odd", [("id", annotation)], bases=(Declaration,))
        with pytest.raises(TypeError, match="careful path: cannot mirror"):
            validation._pydantic(odd)


def test_json_positions_across_blocks_of_a_long_text():
    """Line and column as a plain count gives them, wherever the offset falls among the blocks
    JsonSource counts newlines in (no newline for a long stretch, several in one block)."""
    import random

    chooser = random.Random(7)
    text = "".join(
        chooser.choice(["\n", "a" * chooser.choice([1, 50, 5000, 20000])]) for _ in range(400)
    )
    source = documents.JsonSource("x.json", text)
    for offset in [0, len(text) - 1, *chooser.sample(range(len(text)), 300)]:
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        assert source.position(offset) == (line, column), offset


def test_json_items_are_found_without_decoding_them():
    text = '{"a": [1, "x,]", {"b": [2, {"c": 3}]}, [[]], true, null, -1.5e3], "d": {}}'
    source = documents.JsonSource("x.json", text)
    assert [source.locate(("a", i))[1] for i in range(7)] == [8, 11, 18, 40, 46, 52, 58]
    deep = "[" * 40 + "]" * 40  # deeper than the regex goes: decoded instead
    assert documents.JsonSource("y.json", f'{{"a": {deep}, "b": 1}}').locate(("b",)) == (1, 94)


def test_json_items_in_text_with_non_ascii_are_found_by_scanning():
    text = '{"é": [1, "ü,]", {"b": [2]}], "d": {"x": "中"}, "e": 7}'
    source = documents.JsonSource("x.json", text)
    assert [source.locate(("é", i))[1] for i in range(3)] == [8, 11, 18]
    assert source.locate(("d", "x")) == (1, 42) and source.locate(("e",)) == (1, 53)
    assert source.locate_key(("e",)) == (1, 48)


NON_ASCII_SPEC = {
    "version": 1,
    "name": "tëst",
    "systems": [
        {"id": "sh", "location": "CN", "operator": "上海某公司"},
        {"id": "us", "location": "US", "operator": "Société é"},
    ],
    "datasets": [{"id": "pi", "origin": "CN", "categories": ["personal"]}],
    "flows": [
        {"id": f"f{i}", "from": "sh", "to": "us", "datasets": ["pi"], "purpose": "é" * (i + 1)}
        for i in range(6)
    ],
}


@pytest.mark.parametrize("spec", [FAST_SPEC, NON_ASCII_SPEC], ids=["ascii", "non-ascii"])
@pytest.mark.parametrize(
    "layout",
    [
        lambda spec: json.dumps(spec, ensure_ascii=False),
        lambda spec: json.dumps(spec, ensure_ascii=False, indent=2),
        lambda spec: json.dumps(spec, ensure_ascii=False, indent="\t", separators=(" ,", " :  ")),
        lambda spec: json.dumps(spec, ensure_ascii=False).replace(", ", ",\n", 1),
        lambda spec: json.dumps(spec, ensure_ascii=False, separators=(",", ":")),
    ],
    ids=["compact", "indented", "odd-spacing", "all-but-one-member-on-line-2", "no-spaces"],
)
def test_fast_path_places_every_declaration_where_the_text_walk_does(tmp_path, spec, layout):
    """Built from bytes, a JSON source places the items of each top-level list in one pass and
    lets the bytes go; every place is the one the careful path's text walk finds, and a deeper
    question (an error's field) still gets its answer, from the file read again."""
    path = write_json(tmp_path, None, text=layout(spec))
    fast, careful = load_fast(path), load_spec(path, document=documents.load_file(path)[0])
    declared = [
        (section, item["id"])
        for section in ("systems", "datasets", "flows")
        for item in spec[section]
    ]
    assert [fast.location_of(*key) for key in declared] == [
        careful.location_of(*key) for key in declared
    ]
    last = ("flows", spec["flows"][-1]["id"])
    assert fast.where[last].source._raw is None  # let go once the items were placed
    assert fast.where[last].resolve("to") == careful.where[last].resolve("to")


def test_a_json_file_changed_under_a_check_is_an_error_not_a_wrong_line(tmp_path):
    path = write_json(tmp_path, FAST_SPEC)
    spec = load_fast(path)
    assert spec.location_of("flows", "f")[1] == 25
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n")
    with pytest.raises(InputError, match="file changed while dlc was checking it"):
        spec.where[("flows", "f")].resolve("to")


@pytest.mark.parametrize(
    "text",
    ['{"a": [1], "a": [2, 3]}', '{"a": [1, 2], "b": 1, "a": [3]}', "[[1, 2]]", '{"a": [1]} x'],
)
def test_json_items_are_placed_from_bytes_only_when_msgspec_reads_them_as_written(text):
    """A repeated key (msgspec keeps the last), a document that is not an object, or one that is
    not JSON: no places from the bytes, which are kept for the text walk."""
    from checker.load.fast_json import PlacedSource, _top_level_items

    assert _top_level_items(text.encode()) == {}
    source = PlacedSource("x.json", text.encode(), Limits())
    if text.startswith("["):
        assert source.locate((0, 1)) == (1, 6)
        assert source._raw is not None


def test_items_are_placed_by_their_lengths_reading_only_the_gaps():
    from checker.load.fast_json import _top_level_items

    raw = b'{"a":[1,22,{"x":[3,4]}],"b":[ 1,2],\n "c": [\n  "\xc3\xa9", 5]}'
    placed = {
        key: (list(lines), list(columns)) for key, (lines, columns) in _top_level_items(raw).items()
    }
    assert placed == {"a": ([1, 1, 1], [7, 9, 12]), "b": ([1, 1], [31, 33]), "c": ([3, 3], [3, 8])}
