"""Small text helpers shared by the human-facing renderers (text, JUnit, Markdown, HTML)."""

from __future__ import annotations

import shlex
from itertools import groupby

from checker.findings import Finding, Report, Suppression
from checker.text import clean, plural


def subject(finding: Finding) -> str:
    """`flow export-to-us`"""
    return clean(f"{finding.subject_kind} {finding.subject_id}")


def scope(finding: Finding) -> str:
    """`flow export-to-us, dataset fleet-video`"""
    return subject(finding) + (f", dataset {clean(finding.dataset)}" if finding.dataset else "")


def path(finding: Finding) -> str:
    """`a → b → c`, or "" when the finding has no path."""
    return clean(" → ".join(finding.path))


def where(file: str | None, line: int | None = None, column: int | None = None) -> str:
    """`file:line[:column]`, or "" when the file is unknown."""
    if not file:
        return ""
    out = file
    if line is not None:
        out += f":{line}"
        if column is not None:
            out += f":{column}"
    return clean(out)


def error_text(error: dict) -> str:
    """An input error as `file:line:col: message`."""
    place = where(error.get("file"), error.get("line"), error.get("column"))
    message = clean(error.get("message", ""))
    return f"{place}: {message}" if place else message


def suppression_text(suppression: Suppression) -> str:
    """`exemption: justification (owner o, expires 2027-01-01)`"""
    extra = []
    if suppression.owner:
        extra.append(f"owner {suppression.owner}")
    if suppression.expires:
        extra.append(f"expires {suppression.expires.isoformat()}")
    tail = f" ({', '.join(extra)})" if extra else ""
    return clean(f"{suppression.kind}: {suppression.justification}{tail}")


def by_severity(findings: list[Finding]) -> list[tuple[str, list[Finding]]]:
    """Findings sorted and grouped by severity, most severe first."""
    ordered = sorted(findings, key=Finding.sort_key)
    return [
        (severity, list(group)) for severity, group in groupby(ordered, key=lambda f: f.severity)
    ]


def summary(report: Report) -> str:
    """`2 violations (1 critical, 1 high), 1 suppressed, 0 notices in 1 spec; 31 rules evaluated as of 2026-11-25`"""
    counts = report.by_severity()
    if report.violations:
        detail = ", ".join(f"{count} {severity}" for severity, count in counts.items())
        head = f"{plural(len(report.violations), 'violation')} ({detail})"
    else:
        head = "No violations"
    parts = [head, f"{len(report.suppressed)} suppressed", plural(len(report.notices), "notice")]
    if report.errors:
        parts.append(plural(len(report.errors), "error"))
    resources = report.resources
    counted = ""
    if resources.seen:
        skipped = ", ".join(
            f"{count} {reason}" for reason, count in sorted(resources.skipped.items())
        )
        counted = f"; {plural(resources.seen, 'resource')}: {resources.evaluated} evaluated" + (
            f", skipped {skipped}" if skipped else ""
        )
    return (
        f"{', '.join(parts)} in {plural(report.specs, 'spec')}; "
        f"{plural(len(report.rules), 'rule')} evaluated as of {report.as_of.isoformat()}{counted}"
    )


def run_facts(report: Report) -> list[tuple[str, str]]:
    """The audit trail's scalar facts as (label, text), for the human-facing formats; the inputs,
    which may be many, are the renderer's to list."""
    run = report.run
    if not run:
        return [("As of", report.as_of.isoformat())]
    facts = [
        ("Started (UTC)", run["started_at"]),
        ("Command", shlex.join(run["command"])),
        ("As of", report.as_of.isoformat()),
    ]
    if run["policy"]:
        facts.append(("Policy", f"{run['policy']['name']} (sha256 {run['policy']['sha256']})"))
    if run["rules"]:
        facts.append(
            ("Rules in force", f"{run['rules']['count']} (sha256 {run['rules']['sha256']})")
        )
    facts += [
        ("Exemptions file", f"{e['path']} (sha256 {e['sha256'] or 'unreadable'})")
        for e in run["exemptions"]
    ]
    if run["baseline"]:
        facts.append(
            (
                "Baseline",
                f"{run['baseline']['path']} (sha256 {run['baseline']['sha256'] or 'unreadable'})",
            )
        )
    return [(label, clean(text)) for label, text in facts]
