"""Every built-in rule's own test cases pass, and every rule has both a triggering and a clean case."""

import pytest

from checker.evaluate.rule_tests import DEFAULT_AS_OF, run_case
from checker.load.policy import load_policy
from checker.load.rules import builtin_dir, expected_result, load_rule_tests

POLICY = load_policy("default")
DOCUMENTS = load_rule_tests([builtin_dir("rules")])
CASES = [(doc, index) for doc in DOCUMENTS for index in range(len(doc.data["cases"]))]


@pytest.mark.parametrize(
    "document,index",
    CASES,
    ids=[f"{d.data['rule']}:{d.data['cases'][i]['name']}" for d, i in CASES],
)
def test_rule_case(document, index):
    result = run_case(document, index, document.data["rule"], POLICY)
    assert result.passed, f"{result.file}:{result.line}: {result.detail}"


@pytest.mark.parametrize("rule_id", sorted(POLICY.available))
def test_every_rule_has_triggering_and_clean_cases(rule_id):
    """A clean case counts only on a date the rule is in force: before it, no finding is possible."""
    rule = POLICY.available[rule_id].data
    in_force = [
        case
        for doc in DOCUMENTS
        if doc.data["rule"] == rule_id
        for case in doc.data["cases"]
        if rule["effective"] <= case.get("as_of", str(DEFAULT_AS_OF)) < rule.get("until", "9999")
    ]
    assert any(expected_result(case) == "fail" for case in in_force), (
        f"{rule_id} has no case that triggers it"
    )
    assert any(expected_result(case) == "pass" for case in in_force), (
        f"{rule_id} has no case, on a date it is in force, that must not trigger it"
    )


@pytest.mark.parametrize("rule_id", sorted(POLICY.available))
def test_every_rule_cites_law_and_date(rule_id):
    data = POLICY.available[rule_id].data
    assert data["references"] and data["effective"]
    assert data["remediation"].strip()
