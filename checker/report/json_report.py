"""The JSON report, exactly as DESIGN.md fixes its shape (plus `suppressed`, an extension)."""

from __future__ import annotations

import json

from checker.report.findings import Report


def as_dict(report: Report) -> dict:
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
        "violations": [finding.as_dict() for finding in report.violations],
        "suppressed": [finding.as_dict() for finding in report.suppressed],
        "notices": [finding.as_dict() for finding in report.notices],
        "errors": report.errors,
    }


def render(report: Report, *, color: bool = False) -> str:
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"
