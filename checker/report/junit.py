"""JUnit XML for CI dashboards.

One test case per (rule, subject, dataset) with a finding: a failure for violations, skipped for
suppressed ones. Every evaluated rule without a finding passes as `all subjects`; each input error
is an errored test case; notices go to the suite's system-out.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from checker.findings import Finding, Report
from checker.report.common import error_text, path, scope, subject, suppression_text, where
from checker.text import clean


def render(report: Report, *, color: bool = False) -> str:
    cases: list[ET.Element] = []
    for findings in _grouped(report.violations):
        first = findings[0]
        case = _case(first.rule, scope(first), first.file)
        message = (
            first.message
            if len(findings) == 1
            else f"{len(findings)} findings; first: {first.message}"
        )
        failure = ET.SubElement(case, "failure", message=clean(message), type=first.severity)
        failure.text = "\n\n".join(_details(f) for f in findings)
        cases.append(case)
    for findings in _grouped(report.suppressed):
        first = findings[0]
        case = _case(first.rule, scope(first), first.file)
        ET.SubElement(
            case,
            "skipped",
            message=suppression_text(first.suppression) if first.suppression else "",
        )
        cases.append(case)
    with_findings = {f.rule for f in report.violations + report.suppressed}
    cases.extend(
        _case(rule_id, "all subjects")
        for rule_id in sorted({r.id for r in report.rules} - with_findings)
    )
    for error in report.errors:
        place = where(error.get("file"), error.get("line"), error.get("column"))
        case = _case("dlc", f"input error at {place}" if place else "input error")
        element = ET.SubElement(
            case, "error", message=clean(error.get("message", "")), type="input-error"
        )
        element.text = error_text(error)
        cases.append(case)

    counts = {
        "tests": str(len(cases)),
        "failures": str(sum(case.find("failure") is not None for case in cases)),
        "errors": str(len(report.errors)),
        "skipped": str(sum(case.find("skipped") is not None for case in cases)),
    }
    root = ET.Element("testsuites", {"name": "dlc", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": "dlc", **counts})
    suite.extend(cases)
    if report.notices:
        notices = sorted(report.notices, key=Finding.sort_key)
        ET.SubElement(suite, "system-out").text = "\n".join(
            f"notice {clean(f.rule)} {scope(f)}: {clean(f.message)}" for f in notices
        )
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _grouped(findings: list[Finding]) -> list[list[Finding]]:
    """Findings sorted, one group per (rule, subject, dataset)."""
    groups: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=Finding.sort_key):
        groups.setdefault(finding.fingerprint(), []).append(finding)
    return list(groups.values())


def _case(classname: str, name: str, file: str | None = None) -> ET.Element:
    case = ET.Element("testcase", classname=clean(classname), name=name)
    if file:
        case.set("file", clean(file))
    return case


def _details(finding: Finding) -> str:
    lines = [f"severity: {finding.severity}", f"subject: {subject(finding)}"]
    if finding.dataset:
        lines.append(f"dataset: {clean(finding.dataset)}")
    if finding.path:
        lines.append(f"path: {path(finding)}")
    if finding.file:
        lines.append(f"location: {where(finding.file, finding.line)}")
    lines.append(clean(finding.message))
    if finding.remediation:
        lines.append(f"remediation: {clean(finding.remediation)}")
    lines.extend(f"reference: {clean(ref)}" for ref in finding.references)
    return "\n".join(lines)
