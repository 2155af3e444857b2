"""Plain-text report for a person at a terminal: violations by severity, then the rest, then a summary."""

from __future__ import annotations

from checker.findings import Finding, Report
from checker.report.common import (
    by_severity,
    error_text,
    path,
    scope,
    summary,
    suppression_text,
    where,
)
from checker.text import clean

RED, YELLOW, CYAN, BOLD, RESET = "\x1b[31m", "\x1b[33m", "\x1b[36m", "\x1b[1m", "\x1b[0m"
SEVERITY_COLOR = {"critical": RED, "high": RED, "medium": YELLOW, "low": CYAN}


def render(report: Report, *, color: bool = False) -> str:
    def paint(text: str, *codes: str) -> str:
        return f"{''.join(codes)}{text}{RESET}" if color and codes else text

    def header(title: str, count: int, *codes: str) -> str:
        return paint(f"{title.upper()} ({count})", BOLD, *codes)

    lines: list[str] = []
    for severity, findings in by_severity(report.violations):
        lines.append(header(severity, len(findings), SEVERITY_COLOR.get(severity, "")))
        for finding in findings:
            lines.extend(_violation(finding, paint(clean(finding.rule), BOLD)))
        lines.append("")

    for title, findings, detail in (
        ("suppressed", report.suppressed, lambda f: suppression_text(f.suppression)),
        ("notices", report.notices, _notice),
    ):
        if findings:
            lines.append(header(title, len(findings)))
            for finding in sorted(findings, key=Finding.sort_key):
                lines.append(
                    f"  {paint(clean(finding.rule), BOLD)}  {scope(finding)} — {detail(finding)}"
                )
            lines.append("")

    if report.skipped_inputs:
        lines.append(header("files not checked", len(report.skipped_inputs)))
        lines.extend(
            f"  {clean(item.path)}: {clean(item.reason)}" for item in report.skipped_inputs
        )
        lines.append("")

    if report.errors:
        lines.append(header("errors", len(report.errors), RED))
        lines.extend(f"  {error_text(error)}" for error in report.errors)
        lines.append("")

    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def _violation(finding: Finding, rule: str) -> list[str]:
    lines = [f"  {rule}  {clean(finding.title)}", f"    {scope(finding)}"]
    if finding.path:
        lines.append(f"    path: {path(finding)}")
    if finding.file:
        lines.append(f"    at {where(finding.file, finding.line)}")
    lines += [
        f"    and {where(place.file, place.line)}: {clean(place.message)}"
        for place in finding.related
    ]
    lines.append(_indented(finding.message))
    if finding.remediation:
        lines.append(_indented(f"fix: {finding.remediation}"))
    return lines


def _notice(finding: Finding) -> str:
    place = where(finding.file, finding.line)
    return clean(finding.message) + (f" ({place})" if place else "")


def _indented(text: str) -> str:
    return "\n".join("    " + line for line in clean(text).splitlines() or [""])
