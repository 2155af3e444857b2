"""`dlc rules test`: run the test cases written beside each rule (Kyverno-style expected results).

A case holds an inline spec and the exact findings the rule must produce on it (`expect: []`
means it must not trigger). The rule runs alone, compiled with the default policy's country
groups and its own defaults overridden by the case's `parameters`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from checker.errors import DlcError
from checker.evaluate.engine import evaluate
from checker.language.rules import compile_rule
from checker.load.documents import Document
from checker.load.policy import Policy
from checker.load.rules import load_rule_tests
from checker.load.spec import Embedded, spec_from_document
from checker.resolve.resolver import resolve

DEFAULT_AS_OF = dt.date(2026, 11, 25)


@dataclass(frozen=True)
class CaseResult:
    rule: str
    name: str
    file: str
    line: int | None
    passed: bool
    detail: str


def _expected(case: dict) -> list[tuple[str, str | None, tuple | None]]:
    return sorted((e["subject"], e.get("dataset"), tuple(e["path"]) if "path" in e else None) for e in case["expect"])


def _matches(expected: list, actual: list[tuple[str, str | None, tuple]]) -> bool:
    remaining = list(actual)
    for subject, dataset, path in expected:
        match = next((a for a in remaining if a[0] == subject and (dataset is None or a[1] == dataset)
                      and (path is None or a[2] == path)), None)
        if match is None:
            return False
        remaining.remove(match)
    return not remaining


def run_case(document: Document, index: int, rule_id: str, policy: Policy) -> CaseResult:
    case = document.data["cases"][index]
    line = document.source.locate(("cases", index))[0]
    rule = policy.available.get(rule_id)
    if rule is None:
        return CaseResult(rule_id, case["name"], document.source.file, line, False, f"no rule {rule_id}")
    unknown = sorted(set(case.get("parameters", {})) - set(rule.defaults))
    if unknown:   # else the case silently tests the default value it meant to change
        return CaseResult(rule_id, case["name"], document.source.file, line, False,
                          f"sets unknown parameter(s) {', '.join(unknown)} (the rule has: "
                          f"{', '.join(sorted(rule.defaults)) or 'none'})")
    try:
        parameters = {**rule.defaults, **case.get("parameters", {})}
        compiled = compile_rule(rule, parameters, policy.groups)
        spec_doc = Document(case["spec"], Embedded(document.source, ("cases", index, "spec")))
        as_of = dt.date.fromisoformat(case["as_of"]) if "as_of" in case else DEFAULT_AS_OF
        violations, notices = evaluate(resolve(spec_from_document(spec_doc)), [compiled], as_of)
    except DlcError as exc:
        return CaseResult(rule_id, case["name"], document.source.file, line, False, f"error: {exc}")
    actual = [(f"{f.subject_kind}/{f.subject_id}", f.dataset, f.path) for f in violations + notices]
    passed = _matches(_expected(case), actual)
    detail = "" if passed else (
        f"expected {[e[0] + (f' ({e[1]})' if e[1] else '') for e in _expected(case)] or 'no finding'}, "
        f"got {[a[0] + (f' ({a[1]})' if a[1] else '') for a in sorted(actual, key=str)] or 'no finding'}")
    return CaseResult(rule_id, case["name"], document.source.file, line, passed, detail)


def run_rule_tests(directories: list, policy: Policy) -> list[CaseResult]:
    results = []
    for document in load_rule_tests(directories):
        rule_id = document.data["rule"]
        results += [run_case(document, index, rule_id, policy) for index in range(len(document.data["cases"]))]
    return results
