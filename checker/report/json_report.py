"""The JSON report, exactly as DESIGN.md fixes its shape (plus `suppressed`, an extension)."""

from __future__ import annotations

import json

from checker.report.findings import Report

_FINDING_LISTS = ("violations", "suppressed", "notices")


def render(report: Report, *, color: bool = False) -> str:
    """Indented, with each finding on a line of its own: readable, diffable line by line, and
    written by the C encoder (json's indenting encoder is pure Python, seconds on big reports).
    Findings become dicts one at a time, so a large report is never held twice."""
    head = {
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
    }
    fields = [_field(key, value) for key, value in head.items()]
    for key in _FINDING_LISTS:
        items = ",\n".join("    " + _compact(finding.as_dict()) for finding in getattr(report, key))
        fields.append(f"  {_compact(key)}: [\n{items}\n  ]" if items else f"  {_compact(key)}: []")
    fields.append(_field("errors", report.errors))
    return "{\n" + ",\n".join(fields) + "\n}\n"


def _field(key: str, value) -> str:
    return f"  {_compact(key)}: " + json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))   # made once: one per finding costs


def _compact(value) -> str:
    return _COMPACT.encode(value)
