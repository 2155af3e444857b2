"""`dlc rules test`: run the test cases written beside each rule (Kyverno-style expected results).

A case holds an inline spec and what the rule must do on it, as `kyverno test` results: `fail`
(the rule fires, with exactly the findings listed in `expect`), `pass` (no finding) or `skip`
(the rule is not in force on the case's date). Without `result`, a case whose `expect` lists
findings is `fail` and `expect: []` is `pass`. The rule runs alone, compiled with the policy's
country groups and its own defaults overridden by the case's `parameters`.

Dates keep boundary cases honest: a `pass` case dated when the rule is not in force passes, and
says why (nothing could fire); a `fail` case on such a date is a broken test, not a pass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from checker.errors import DlcError
from checker.evaluate.engine import evaluate
from checker.language.rules import CompiledRule, compile_rule
from checker.load.documents import Document
from checker.load.policy import Policy
from checker.load.rules import expected_result, load_rule_tests
from checker.load.spec import Embedded, spec_from_document
from checker.resolve.resolver import resolve
from checker.text import plural

DEFAULT_AS_OF = dt.date(2026, 11, 25)

Found = tuple[
    str, "str | None", "tuple[str, ...] | None"
]  # (kind/id, dataset, path); None: not asserted


@dataclass(frozen=True)
class CaseResult:
    rule: str
    name: str
    file: str
    line: int | None
    status: str  # passed | failed | skipped
    detail: str  # why it failed, or a note on a pass or skip (a rule not in force)

    @property
    def passed(self) -> bool:
        """Did not fail: a skipped case asserted what it meant to."""
        return self.status != "failed"


def _expected(case: dict) -> list[Found]:
    return sorted(
        (e["subject"], e.get("dataset"), tuple(e["path"]) if "path" in e else None)
        for e in case.get("expect", ())
    )


def _fits(expected: Found, actual: Found) -> bool:
    return (
        expected[0] == actual[0]
        and expected[1] in (None, actual[1])
        and expected[2] in (None, actual[2])
    )


def _show(found: Found) -> str:
    subject, dataset, path = found
    return (
        subject
        + (f", dataset {dataset}" if dataset else "")
        + (f", path {_path(path)}" if path else "")
    )


def _path(path: tuple[str, ...] | None) -> str:
    return " → ".join(path) if path else "(none)"


def diff(expected: list[Found], actual: list[Found]) -> list[str]:
    """What differs between the findings expected and those made, one line each; [] when they match.

    Exact matches are set aside first; then an expected finding is paired with a remaining one on
    the same subject, so a wrong path or dataset is named as such rather than as one finding
    missing and another unexpected."""
    remaining, unmatched = sorted(actual, key=str), []
    for want in expected:
        match = next((got for got in remaining if _fits(want, got)), None)
        if match is None:
            unmatched.append(want)
        else:
            remaining.remove(match)
    lines = []
    for want in unmatched:
        pair = next(
            (got for got in remaining if got[0] == want[0] and want[1] in (None, got[1])), None
        ) or next((got for got in remaining if got[0] == want[0]), None)
        if pair is None:
            lines.append(f"missing:    {_show(want)}")
            continue
        remaining.remove(pair)
        same_dataset = want[1] in (None, pair[1])
        differences = (
            [] if same_dataset else [f"dataset expected {want[1]}, got {pair[1] or '(none)'}"]
        ) + (
            [f"path expected {_path(want[2])}, got {_path(pair[2])}"]
            if want[2] not in (None, pair[2])
            else []
        )
        label = want[0] + (f", dataset {pair[1]}" if same_dataset and pair[1] else "")
        lines.append(f"different:  {label}: {'; '.join(differences)}")
    lines += [f"unexpected: {_show(got)}" for got in remaining]
    return lines


def _result(
    rule_id: str, case: dict, document: Document, line: int | None, status: str, detail: str = ""
) -> CaseResult:
    return CaseResult(rule_id, case["name"], document.source.file, line, status, detail)


def run_case(document: Document, index: int, rule_id: str, policy: Policy) -> CaseResult:
    case = document.data["cases"][index]
    line = document.source.locate(("cases", index))[0]
    rule = policy.available.get(rule_id)
    if rule is None:
        return _result(rule_id, case, document, line, "failed", f"no rule {rule_id}")
    unknown = sorted(set(case.get("parameters", {})) - set(rule.defaults))
    if unknown:  # else the case silently tests the default value it meant to change
        return _result(
            rule_id,
            case,
            document,
            line,
            "failed",
            f"sets unknown parameter(s) {', '.join(unknown)} (the rule has: "
            f"{', '.join(sorted(rule.defaults)) or 'none'})",
        )
    try:
        compiled = compile_rule(
            rule, {**rule.defaults, **case.get("parameters", {})}, policy.groups
        )
        spec_doc = Document(case["spec"], Embedded(document.source, ("cases", index, "spec")))
        as_of = dt.date.fromisoformat(case["as_of"]) if "as_of" in case else DEFAULT_AS_OF
        violations, notices, errors = evaluate(
            resolve(spec_from_document(spec_doc)), [compiled], as_of
        )
        if errors:
            raise errors[0]
    except DlcError as exc:
        return _result(rule_id, case, document, line, "failed", f"error: {exc}")
    status, detail = _judge(
        case,
        compiled,
        as_of,
        [(f"{f.subject_kind}/{f.subject_id}", f.dataset, f.path) for f in violations + notices],
    )
    return _result(rule_id, case, document, line, status, detail)


def _judge(case: dict, rule: CompiledRule, as_of: dt.date, actual: list[Found]) -> tuple[str, str]:
    """(status, detail) of one case: what it expects against what the rule did on its date."""
    wanted = expected_result(case)
    if not rule.in_force(as_of):
        why = (
            f"the rule is not in force on {as_of} (in force from {rule.effective}"
            + (f" until {rule.until}" if rule.until else "")
            + ")"
        )
        if wanted == "fail":
            return (
                "failed",
                f"broken test: expects a finding, but {why}: give the case an as_of when it is",
            )
        return ("skipped", why) if wanted == "skip" else ("passed", f"no finding: {why}")
    if wanted == "skip":
        return (
            "failed",
            f"expects the rule to be skipped, but it is in force on {as_of} (from {rule.effective})",
        )
    lines = diff(_expected(case), actual)
    if not lines:
        return "passed", ""
    verdict = (
        f"expected {wanted}: {plural(len(case.get('expect', ())), 'finding')}; "
        f"got {'fail' if actual else 'pass'}: {plural(len(actual), 'finding')}"
    )
    return "failed", "\n".join([verdict, *lines])


def run_rule_tests(directories: list, policy: Policy) -> list[CaseResult]:
    results = []
    for document in load_rule_tests(directories):
        rule_id = document.data["rule"]
        results += [
            run_case(document, index, rule_id, policy)
            for index in range(len(document.data["cases"]))
        ]
    return results
