"""The law as it stood on the evaluation date: dated parameter values and country-group members.

A dated value is parsed and checked when its rule or policy is loaded (bad dates and shapes are
refused with file and line), the rule is compiled once per period, and `--as-of` picks the
version in force: verdicts change exactly on the boundary day.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.errors import RuleError
from checker.language import dated
from checker.language.rules import RuleDef, compile_rule
from checker.load.policy import load_policy

DAY = dt.date.fromisoformat


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def test_a_member_is_in_from_since_and_out_from_until():
    group = dated.parse(
        ["CN", {"value": "KH", "until": "2026-02-03"}, {"value": "XX", "since": "2025-01-01"}]
    )
    assert group.changes == (DAY("2025-01-01"), DAY("2026-02-03"))
    assert group.at(DAY("2024-12-31")) == ["CN", "KH"]
    assert group.at(DAY("2025-01-01")) == ["CN", "KH", "XX"]
    assert group.at(DAY("2026-02-02")) == ["CN", "KH", "XX"]
    assert group.at(DAY("2026-02-03")) == ["CN", "XX"]


def test_a_dated_value_holds_from_its_day_to_the_next():
    value = dated.parse({"dated": [{"value": 4800}, {"from": "2023-11-17", "value": 1600}]})
    assert [value.at(DAY(day)) for day in ("2023-11-16", "2023-11-17", "2030-01-01")] == [
        4800,
        1600,
        1600,
    ]


def test_plain_values_are_left_as_they_are():
    assert dated.parse(["CN", "HK"]) == ["CN", "HK"]
    assert dated.parse(100000) == 100000


@pytest.mark.parametrize(
    "value,message",
    [
        (["CN", {"value": "KH"}], "with since, until or both"),
        (["CN", {"value": "KH", "until": "2026-02-30"}], "'2026-02-30' is not a valid date"),
        (
            ["CN", {"value": "KH", "since": "2026-01-01", "until": "2025-01-01"}],
            "is not after since",
        ),
        (["CN", {"value": "KH", "until": "2026-01-01", "when": "x"}], "a dated member is"),
        ({"dated": [{"from": "2020-01-01", "value": 1}]}, "the first entry has no `from`"),
        (
            {
                "dated": [
                    {"value": 1},
                    {"from": "2024-01-01", "value": 2},
                    {"from": "2023-01-01", "value": 3},
                ]
            },
            "is not after the previous entry's",
        ),
        ({"dated": []}, "a dated value is"),
    ],
)
def test_a_malformed_dated_value_is_refused(value, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("`", "`")):
        dated.parse(value)


RULE = {
    "id": "T-GROUP",
    "title": "t",
    "severity": "high",
    "category": "export-control",
    "subject": "system",
    "effective": "2020-01-01",
    "references": ["x"],
    "message": "{system.id} in {param.countries}",
    "remediation": "r",
    "parameters": {
        "countries": {"default": ["RU", {"value": "KH", "until": "2026-02-03"}], "description": "d"}
    },
    "when": {
        "any": [
            {"fact": "system.country", "in": {"param": "countries"}},
            {"fact": "system.country", "in": {"group": "watch"}},
        ]
    },
}


def test_a_rule_is_compiled_once_per_period_and_at_picks_the_version_in_force():
    definition = RuleDef(RULE, "t.yaml", 1)
    groups = {"watch": dated.parse([{"value": "VN", "since": "2025-06-01"}])}
    rule = compile_rule(definition, definition.defaults, groups)
    assert [start for start, _ in rule.versions] == [
        dt.date.min,
        DAY("2025-06-01"),
        DAY("2026-02-03"),
    ]
    assert rule.at(DAY("2026-02-03")) is rule.versions[-1][1]
    assert rule.at(DAY("2025-06-01")) is rule.versions[1][1]
    assert rule.at(DAY("2025-05-31")).parameters["countries"] == ["RU", "KH"]
    assert rule.at(DAY("2026-02-03")).parameters["countries"] == ["RU"]
    assert isinstance(rule.parameters["countries"], dated.Timeline)  # as written, for `rules show`


def test_an_undated_rule_has_one_version():
    definition = RuleDef(
        {**RULE, "parameters": {"countries": {"default": ["RU"], "description": "d"}}}, "t.yaml", 1
    )
    rule = compile_rule(definition, definition.defaults, {"watch": frozenset({"VN"})})
    assert rule.versions == () and rule.at(DAY("2020-01-01")) is rule


def test_a_malformed_dated_parameter_in_a_rule_test_case_is_a_rule_error():
    definition = RuleDef(RULE, "t.yaml", 7)
    with pytest.raises(RuleError) as caught:
        compile_rule(definition, {"countries": ["RU", {"value": "KH"}]}, {"watch": frozenset()})
    assert (caught.value.file, caught.value.line) == ("t.yaml", 7)
    assert "parameter 'countries'" in caught.value.message


def _write(path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return str(path)


SPEC = """\
    version: 1
    name: t
    systems:
      - {id: pp, kind: compute, location: KH, accelerators: [{model: NVIDIA H20, count: 8}]}
    """


@pytest.mark.parametrize(
    "as_of,violations", [("2026-02-02", ["US-EAR-IS-INFORMED"]), ("2026-02-03", [])]
)
def test_cambodia_leaves_d5_on_the_day_of_the_bis_rule(tmp_path, as_of, violations):
    spec = _write(tmp_path / "spec.yaml", SPEC)
    result = CliRunner().invoke(
        main,
        ["check", spec, "--policy", "us-export-controls", "--as-of", as_of, "--format", "json"],
    )
    found = sorted(v["rule"] for v in json.loads(result.output)["violations"])
    assert found == violations and result.exit_code == (1 if violations else 0)


def test_a_policy_that_overrides_a_dated_parameter_with_a_plain_list_keeps_working(tmp_path):
    policy = _write(
        tmp_path / "p.yaml",
        """\
        name: p
        extends: us-export-controls
        settings:
          US-EAR-IS-INFORMED:
            parameters:
              d5_countries: [KH]
        """,
    )
    spec = _write(tmp_path / "spec.yaml", SPEC)
    result = CliRunner().invoke(
        main, ["check", spec, "--policy", policy, "--as-of", "2026-06-01", "--format", "json"]
    )
    assert [v["rule"] for v in json.loads(result.output)["violations"]] == ["US-EAR-IS-INFORMED"]


def test_a_policy_may_date_the_members_of_a_country_group(tmp_path):
    policy = _write(
        tmp_path / "p.yaml",
        """\
        name: p
        extends: us-export-controls
        groups:
          cn-ear: [CN, HK, MO, {value: SG, since: 2026-01-01, until: 2026-07-01}]
        """,
    )
    spec = _write(tmp_path / "spec.yaml", SPEC.replace("KH", "SG"))
    verdicts = {}
    for as_of in ("2025-12-31", "2026-01-01", "2026-06-30", "2026-07-01"):
        result = CliRunner().invoke(
            main, ["check", spec, "--policy", policy, "--as-of", as_of, "--format", "json"]
        )
        verdicts[as_of] = [v["rule"] for v in json.loads(result.output)["violations"]]
    assert verdicts == {
        "2025-12-31": [],
        "2026-01-01": ["US-EAR-IS-INFORMED"],
        "2026-06-30": ["US-EAR-IS-INFORMED"],
        "2026-07-01": [],
    }


@pytest.mark.parametrize(
    "member,message",
    [
        (
            "{value: SG, until: 2026-13-01}",
            "groups.cn-ear[3].until: '2026-13-01' is not a valid date",
        ),
        ("{value: SG, since: 2026-02-01, until: 2026-01-01}", "is not after since"),
        ("{value: sg, since: 2026-01-01}", "groups.cn-ear"),
    ],
)
def test_a_bad_dated_group_member_is_refused_with_the_policy_line(tmp_path, member, message):
    policy = _write(
        tmp_path / "p.yaml",
        f"""\
        name: p
        extends: default
        groups:
          cn-ear: [CN, HK, MO, {member}]
        """,
    )
    result = CliRunner().invoke(main, ["rules", "list", "--policy", policy])
    assert result.exit_code == 2
    assert "p.yaml:4" in result.output and message in result.output


def test_a_bad_dated_default_is_refused_with_the_rule_line(tmp_path):
    rule = {
        **RULE,
        "parameters": {
            "countries": {"default": ["RU", {"value": "KH", "until": "soon"}], "description": "d"}
        },
    }
    _write(tmp_path / "rules" / "r.yaml", json.dumps(rule, indent=1))
    result = CliRunner().invoke(main, ["rules", "list", "--rules", "rules"])
    assert result.exit_code == 2
    assert "parameters.countries.default" in result.output and "'soon'" in result.output
    assert "rules/r.yaml:" in result.output


def test_rules_show_prints_dated_values_with_their_dates():
    result = CliRunner().invoke(main, ["rules", "show", "US-EAR-IS-INFORMED"])
    assert result.exit_code == 0
    assert '{"value": "KH", "until": "2026-02-03"}' in result.output
    assert 'cn-ear = ["CN", "HK", "MO"]' in result.output


def test_policies_still_compile_every_built_in_rule():
    assert load_policy("strict").rules
