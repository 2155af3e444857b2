"""The JSON report, exactly as DESIGN.md fixes its shape (plus `suppressed`, an extension)."""

from __future__ import annotations

import json

from checker.report.findings import Finding, Report


def as_dict(report: Report) -> dict:
    """The report's fields; findings come as iterators, so a large report is never held as dicts."""
    return {
        "tool": {"name": "dlc", "version": report.version},
        "as_of": report.as_of.isoformat(),
        "summary": {
            "violations": len(report.violations),
            "by_severity": report.by_severity(),
            "rules_evaluated": len(report.rules),
            "specs": report.specs,
            "suppressed": len(report.suppressed),
            "notices": len(report.notices),
            "errors": len(report.errors),
        },
        "violations": map(Finding.as_dict, report.violations),
        "suppressed": map(Finding.as_dict, report.suppressed),
        "notices": map(Finding.as_dict, report.notices),
        "errors": report.errors,
    }


def render(report: Report, *, color: bool = False) -> str:
    """Indented, with each finding on a line of its own: readable, diffable line by line, and
    written by the C encoder (json's indenting encoder is pure Python, seconds on big reports)."""
    fields = []
    for key, value in as_dict(report).items():
        if isinstance(value, map):
            items = ",\n".join("    " + _compact(item) for item in value)
            fields.append(f"  {_compact(key)}: [\n{items}\n  ]" if items else f"  {_compact(key)}: []")
        else:
            fields.append(f"  {_compact(key)}: " + json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  "))
    return "{\n" + ",\n".join(fields) + "\n}\n"


def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
