"""The rule language fails closed: a rule or policy that could never work as written is refused
when it is loaded, with its file and line, and a valid one still compiles and fires.

Conditions are compiled with `compile_rule` directly where the error text is the point, and run
through the CLI (rules, policy and spec in tmp_path) where the file and line are.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from click.testing import CliRunner

from checker.cli import main
from checker.errors import RuleError
from checker.language.conditions import Binding, Compiler
from checker.language.facts import BOOL, FACTS, Fact
from checker.language.rules import RuleDef, compile_rule
from checker.load.policy import load_policy
from checker.load.rules import builtin_dir, load_rule_tests, load_rules

AS_OF = "2026-06-01"
SPEC = {
    "version": 1,
    "name": "t",
    "systems": [{"id": "sh", "location": "CN"}, {"id": "us", "location": "US"}],
    "datasets": [
        {"id": "pi", "origin": "CN", "categories": ["personal"]},
        {"id": "counted", "origin": "CN", "categories": ["personal"], "subjects": 10},
    ],
    "flows": [
        {"id": "out", "from": "sh", "to": "us", "datasets": ["pi", "counted"], "mode": "backup"}
    ],
}


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    """Rule files are shown relative to the working directory: rules/rule.yaml."""
    monkeypatch.chdir(tmp_path)


def rule_data(when: dict, subject: str = "flow", message: str = "m", **extra) -> dict:
    return {
        "id": "T-RULE",
        "title": "t",
        "severity": "high",
        "category": "approval",
        "subject": subject,
        "effective": "2020-01-01",
        "references": ["x"],
        "when": when,
        "message": message,
        "remediation": "r",
        **extra,
    }


def compiled(when: dict, parameters: dict | None = None, groups: dict | None = None, **extra):
    return compile_rule(
        RuleDef(rule_data(when, **extra), "t.yaml", 1), parameters or {}, groups or {}
    )


def refused(when: dict, parameters: dict | None = None, groups: dict | None = None, **extra) -> str:
    with pytest.raises(RuleError) as caught:
        compiled(when, parameters, groups, **extra)
    assert (caught.value.file, caught.value.line) == ("t.yaml", 1)
    return caught.value.message


def flow_context(**facts) -> SimpleNamespace:
    """A flow context holding only the system facts a test reads (destination.country, ...)."""
    return SimpleNamespace(
        destination=SimpleNamespace(**facts), flow=SimpleNamespace(mode="backup")
    )


RULE_YAML = """\
id: T-RULE
title: t
severity: high
category: approval
subject: {subject}
effective: {effective}
references: ["x"]
when: {when}
message: "{message}"
remediation: r
"""


def write_rule(
    directory: Path,
    *,
    when: str,
    subject: str = "flow",
    message: str = "{{dataset.id}}",
    effective: str = "2020-01-01",
    extra: str = "",
) -> None:
    directory.mkdir(exist_ok=True)
    (directory / "rule.yaml").write_text(
        RULE_YAML.format(subject=subject, effective=effective, when=when, message=message) + extra
    )


def check(tmp_path: Path, policy: str = 'name: t\ninclude: ["T-*"]\n'):
    (tmp_path / "policy.yaml").write_text(policy)
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    return CliRunner().invoke(
        main,
        [
            "check",
            "--rules",
            str(tmp_path / "rules"),
            "--policy",
            str(tmp_path / "policy.yaml"),
            "--as-of",
            AS_OF,
            "--format",
            "json",
            str(tmp_path / "spec.yaml"),
        ],
    )


def one_error(result) -> str:
    """The single `dlc: error:` line of a run that must exit 2 (never an internal error)."""
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("dlc: error: "), result.stderr
    return lines[0].removeprefix("dlc: error: ")


# --- 1. operand shapes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "test, parameters, message",
    [
        (
            {"fact": "flow.mode", "eq": ["replication", "backup"]},
            {},
            "operator 'eq' needs a single value, got ['replication', 'backup']",
        ),
        (
            {"fact": "destination.country", "eq": {"group": "eu-eea"}},
            {},
            "operator 'eq' needs a single value, got country group 'eu-eea'",
        ),
        (
            {"fact": "flow.mode", "eq": {"param": "mode"}},
            {"mode": ["backup"]},
            "operator 'eq' needs a single value, got ['backup'] (parameter 'mode')",
        ),
        (
            {"fact": "flow.mode", "in": {"param": "modes"}},
            {"modes": [["backup"], "copy"]},
            "operator 'in' needs a list of single values, got [['backup'], 'copy'] (parameter 'modes')",
        ),
        (
            {"fact": "dataset.categories", "contains": {"param": "category"}},
            {"category": {"a": 1}},
            "operator 'contains' needs a single value, got {'a': 1} (parameter 'category')",
        ),
        (
            {"fact": "dataset.subjects", "gt": "1000"},
            {},
            "operator 'gt' needs a number, got '1000'",
        ),
        (
            {"fact": "flow.invalid_approvals", "exists": "yes"},
            {},
            "operator 'exists' needs true or false, got 'yes'",
        ),
    ],
)
def test_a_value_of_the_wrong_shape_is_refused(test, parameters, message):
    assert refused(test, parameters, {"eu-eea": frozenset({"DE"})}) == f"rule T-RULE: {message}"


def test_values_of_the_right_shape_compile_and_fire():
    rule = compiled(
        {
            "all": [
                {"fact": "flow.mode", "in": {"param": "modes"}},
                {"fact": "destination.country", "in": {"group": "eu-eea"}},
                {"fact": "destination.country", "ne": None},
            ]
        },
        {"modes": ["backup", "replication"]},
        {"eu-eea": frozenset({"DE", "FR"})},
    )
    assert rule.predicate(flow_context(country="DE")) is True
    assert rule.predicate(flow_context(country="US")) is False


def test_a_policy_parameter_of_the_wrong_shape_is_refused_at_the_policy_setting(tmp_path):
    write_rule(
        tmp_path / "rules",
        when="{fact: flow.mode, in: {param: modes}}",
        extra="parameters:\n  modes: {default: [backup], description: modes}\n",
    )
    result = check(
        tmp_path,
        'name: t\ninclude: ["T-*"]\nsettings:\n  T-RULE:\n    parameters:\n'
        "      modes: [[backup], copy]\n",
    )
    assert one_error(result) == (
        f"{tmp_path / 'policy.yaml'}:6:7: settings.T-RULE.parameters: rule T-RULE: operator 'in' needs a "
        "list of single values, got [['backup'], 'copy'] (parameter 'modes')"
    )


def test_a_list_policy_parameter_for_eq_is_refused_rather_than_turning_the_rule_off(tmp_path):
    write_rule(
        tmp_path / "rules",
        when="{fact: flow.mode, eq: {param: mode}}",
        extra="parameters:\n  mode: {default: backup, description: mode}\n",
    )
    assert check(tmp_path).exit_code == 1  # the default fires
    result = check(
        tmp_path,
        'name: t\ninclude: ["T-*"]\nsettings:\n  T-RULE:\n    parameters:\n'
        "      mode: [backup, replication]\n",
    )
    assert one_error(result).endswith(
        "policy.yaml:6:7: settings.T-RULE.parameters: rule T-RULE: operator 'eq' "
        "needs a single value, got ['backup', 'replication'] (parameter 'mode')"
    )


# --- 2. fact kinds -----------------------------------------------------------------------------

SET_OPERATORS = "use any_in, none_in, all_in or contains"
SCALAR_OPERATORS = "use eq, ne, in or not_in"


@pytest.mark.parametrize(
    "test, message",
    [
        (
            {"fact": "dataset.categories", "eq": "personal"},
            f"fact dataset.categories is a set of names, which 'eq' cannot test: {SET_OPERATORS}",
        ),
        (
            {"fact": "destination.certifications", "ne": "iso"},
            f"fact destination.certifications is a set of names, which 'ne' cannot test: {SET_OPERATORS}",
        ),
        (
            {"fact": "dataset.origins", "in": ["CN"]},
            f"fact dataset.origins is a set of names, which 'in' cannot test: {SET_OPERATORS}",
        ),
        (
            {"fact": "transfer.mechanisms", "not_in": ["eu-scc"]},
            f"fact transfer.mechanisms is a set of names, which 'not_in' cannot test: {SET_OPERATORS}",
        ),
        (
            {"fact": "flow.approvals", "gt": 1},
            f"fact flow.approvals is a set of names, which 'gt' cannot test: {SET_OPERATORS}",
        ),
        (
            {"fact": "destination.country", "gt": 5},
            f"fact destination.country is text, which 'gt' cannot test: {SCALAR_OPERATORS}",
        ),
        (
            {"fact": "destination.country", "contains": "CN"},
            f"fact destination.country is text, which 'contains' cannot test: {SCALAR_OPERATORS}",
        ),
        (
            {"fact": "flow.encrypted", "le": 1},
            f"fact flow.encrypted is true or false, which 'le' cannot test: {SCALAR_OPERATORS}",
        ),
        (
            {"fact": "dataset.subjects", "any_in": [1, 2]},
            "fact dataset.subjects is a number, which 'any_in' cannot test: use eq, ne, in, not_in, gt, ge, lt or le",
        ),
    ],
)
def test_an_operator_that_does_not_apply_to_the_fact_is_refused(test, message):
    assert refused(test) == f"rule T-RULE: {message}"


@pytest.mark.parametrize(
    "test, message",
    [
        (
            {"fact": "flow.encrypted", "eq": "yes"},
            "fact flow.encrypted is true or false, so 'yes' can never match",
        ),
        (
            {"fact": "dataset.subjects", "eq": True},
            "fact dataset.subjects is a number, so True can never match",
        ),
        (
            {"fact": "dataset.subjects", "eq": None},
            "fact dataset.subjects is a number, so None can never match",
        ),
        (
            {"fact": "destination.country", "in": ["CN", 86]},
            "fact destination.country is text, so ['CN', 86] can never match",
        ),
        (
            {"fact": "dataset.categories", "any_in": [1]},
            "fact dataset.categories is a set of names, so [1] can never match",
        ),
    ],
)
def test_a_value_the_fact_can_never_hold_is_refused(test, message):
    assert refused(test) == f"rule T-RULE: {message}"


def test_every_fact_has_a_kind_and_every_built_in_rule_still_compiles():
    assert all(
        isinstance(fact, Fact) and fact.kind in ("set", "number", "bool", "text")
        for table in FACTS.values()
        for fact in table.values()
    )
    groups = load_policy("default").groups
    for rule in load_rules([builtin_dir("rules")]).values():
        compile_rule(rule, rule.defaults, groups)


# --- 3. exists and unknown counts --------------------------------------------------------------


def test_exists_treats_an_unknown_count_as_absent(tmp_path):
    write_rule(
        tmp_path / "rules", subject="dataset", when="{fact: dataset.subjects, exists: false}"
    )
    result = check(tmp_path)
    assert result.exit_code == 1, result.output
    assert [v["subject"]["id"] for v in json.loads(result.stdout)["violations"]] == ["pi"]

    rule = compiled({"fact": "flow.approval_days_left", "exists": True})
    assert rule.predicate(SimpleNamespace(flow_state=SimpleNamespace(days_left=math.inf))) is False
    assert rule.predicate(SimpleNamespace(flow_state=SimpleNamespace(days_left=0))) is True


# --- 4. wide conditions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "combinator, country, fires",
    [("any", "C2999", True), ("any", "US", False), ("all", "US", True), ("all", "C0", False)],
)
def test_a_condition_of_thousands_of_tests_evaluates(combinator, country, fires):
    operator = "eq" if combinator == "any" else "ne"
    tests = [{"fact": "destination.country", operator: f"C{i}"} for i in range(3000)]
    assert compiled({combinator: tests}).predicate(flow_context(country=country)) is fires


def test_a_wide_condition_keeps_its_order_and_short_circuits():
    seen = []

    def fact(index: int, value: bool) -> Fact:
        return Fact(BOOL, lambda lift: lambda ctx: seen.append(index) or value)

    facts = {f"t.f{i}": fact(i, i == 700) for i in range(1000)}
    compiler = Compiler("T", facts, Binding({}, {}), frozenset(), lambda name: 0)
    test = compiler.compile({"any": [{"fact": f"t.f{i}", "eq": True} for i in range(1000)]})
    assert test(None) is True and seen == list(range(701))


def test_a_wide_rule_file_loads_and_fires(tmp_path):
    tests = ", ".join(f"{{fact: destination.country, eq: C{i}}}" for i in range(2000))
    write_rule(
        tmp_path / "rules", when=f"{{any: [{tests}, {{fact: destination.country, eq: US}}]}}"
    )
    result = check(tmp_path)
    assert result.exit_code == 1, result.output
    assert {v["dataset"] for v in json.loads(result.stdout)["violations"]} == {"pi", "counted"}


# --- 5. rule dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "effective, until, where, message",
    [
        ("2025-02-30", None, "6:12", "'2025-02-30' is not a valid date"),
        ("2025-01-01", "2025-13-01", "11:8", "'2025-13-01' is not a valid date"),
        (
            "2025-01-01",
            "2024-12-31",
            "11:8",
            "until: 2024-12-31 is not after effective 2025-01-01, "
            "so the rule would never be in force",
        ),
        (
            "2025-01-01",
            "2025-01-01",
            "11:8",
            "until: 2025-01-01 is not after effective 2025-01-01, "
            "so the rule would never be in force",
        ),
    ],
)
def test_an_impossible_rule_date_is_refused_with_its_line(
    tmp_path, effective, until, where, message
):
    write_rule(
        tmp_path / "rules",
        when="{fact: flow.mode, eq: backup}",
        effective=effective,
        extra=f"until: {until}\n" if until else "",
    )
    assert one_error(check(tmp_path)) == f"rules/rule.yaml:{where}: {message}"


def test_an_impossible_reference_date_is_refused(tmp_path):
    write_rule(tmp_path / "rules", when="{fact: flow.mode, eq: backup}")
    path = tmp_path / "rules" / "rule.yaml"
    path.write_text(
        path.read_text().replace(
            'references: ["x"]', "references:\n  - {law: L, article: '1', effective: 2021-02-29}"
        )
    )
    with pytest.raises(RuleError) as caught:
        load_rules([tmp_path / "rules"])
    assert (caught.value.line, caught.value.message) == (8, "'2021-02-29' is not a valid date")


def test_a_rule_in_force_for_a_while_loads(tmp_path):
    write_rule(
        tmp_path / "rules", when="{fact: flow.mode, eq: backup}", extra="until: 2027-01-01\n"
    )
    assert check(tmp_path).exit_code == 1


def test_an_impossible_test_case_date_is_refused(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "rule.test.yaml").write_text(
        textwrap.dedent("""\
        rule: T-RULE
        cases:
          - {name: a, spec: {}, expect: []}
          - {name: b, as_of: 2026-04-31, spec: {}, expect: []}
        """)
    )
    with pytest.raises(RuleError) as caught:
        load_rule_tests([tmp_path / "rules"])
    assert (caught.value.line, caught.value.message) == (4, "'2026-04-31' is not a valid date")


# --- 6. message placeholders ------------------------------------------------------------------


def test_parameter_placeholders_take_every_character_a_parameter_name_may_have():
    rule = compiled(
        {"fact": "flow.mode", "eq": "backup"},
        {"max-hops": 3, "limit2": [1, 2], "a_b": "x"},
        message="{param.max-hops} / {param.limit2} / {param.a_b}",
    )
    assert rule.render(None) == "3 / 1, 2 / x"


def test_a_message_with_facts_and_path_renders():
    rule = compiled({"fact": "flow.mode", "eq": "backup"}, message="{flow.mode} via {path}")
    assert (
        rule.render(SimpleNamespace(flow=SimpleNamespace(mode="backup"), path=lambda: ("a", "b")))
        == "backup via a → b"
    )


NOT_A_PLACEHOLDER = (
    "which is not a placeholder (use {path}, {param.NAME} or a fact of the rule's subject)"
)


@pytest.mark.parametrize(
    "message, error",
    [
        ("see {details}", f"message has '{{details}}', {NOT_A_PLACEHOLDER}"),
        ("{}", f"message has '{{}}', {NOT_A_PLACEHOLDER}"),
        ("{Flow.Mode}", "message refers to unknown fact '{Flow.Mode}'"),
        ("{param.max hops}", "message refers to undeclared parameter 'max hops'"),
        # the first bad placeholder as written, whatever the hash seed
        ("{zz.b} {aa.a} {mm.c}", "message refers to unknown fact '{zz.b}'"),
        ("{param.zz} {param.aa}", "message refers to undeclared parameter 'zz'"),
    ],
)
def test_a_brace_that_is_not_a_placeholder_is_refused(message, error):
    assert (
        refused({"fact": "flow.mode", "eq": "backup"}, message=message) == f"rule T-RULE: {error}"
    )


def test_a_bad_placeholder_is_refused_with_the_rule_file(tmp_path):
    write_rule(tmp_path / "rules", when="{fact: flow.mode, eq: backup}", message="{param.max-hops}")
    assert one_error(check(tmp_path)) == (
        "rules/rule.yaml:1: rule T-RULE: message refers to undeclared parameter 'max-hops'"
    )


@pytest.mark.parametrize(
    "when, needed",
    [
        ({"fact": "flow.invalid_approvals", "exists": True}, {"flow.invalid_approvals"}),
        ({"fact": "flow.invalid_approvals", "exists": False}, set()),
        (
            {"fact": "flow.invalid_approvals", "exists": {"param": "p"}},
            set(),
        ),  # not known until bound
        ({"fact": "flow.approvals", "any_in": ["a"]}, {"flow.approvals"}),
        ({"fact": "flow.approvals", "contains": "a"}, {"flow.approvals"}),
        ({"fact": "flow.approvals", "none_in": ["a"]}, set()),
        (
            {
                "all": [
                    {"fact": "flow.mode", "eq": "copy"},
                    {"fact": "flow.approvals", "contains": "a"},
                ]
            },
            {"flow.approvals"},
        ),
        (
            {
                "any": [
                    {"fact": "flow.approvals", "contains": "a"},
                    {
                        "all": [
                            {"fact": "flow.approvals", "any_in": ["b"]},
                            {"fact": "source.licences", "exists": True},
                        ]
                    },
                ]
            },
            {"flow.approvals"},
        ),
        (
            {
                "any": [
                    {"fact": "flow.approvals", "contains": "a"},
                    {"fact": "flow.mode", "eq": "copy"},
                ]
            },
            set(),
        ),
        ({"any": []}, set()),
        ({"not": {"fact": "flow.approvals", "exists": False}}, set()),
    ],
)
def test_needed_facts_are_those_every_way_of_holding_needs_present(when, needed):
    """What an engine may index on: a fact every way of satisfying the condition needs present."""
    from checker.language.conditions import needed_facts

    assert needed_facts(when) == needed
