"""The JSON report, exactly as DESIGN.md fixes its shape (plus `suppressed`, an extension)."""

from __future__ import annotations

import json
from typing import Iterator

import msgspec

from checker.report.findings import Report

_FINDING_LISTS = ("violations", "suppressed", "notices")


def render(report: Report, *, color: bool = False) -> str:
    return "".join(pieces(report))


def pieces(report: Report, *, color: bool = False) -> Iterator[str]:
    """The report a finding at a time, so a large one is written without ever being held whole.

    Indented, with each finding on a line of its own: readable and diffable line by line. A
    finding is one compact object encoded by msgspec (json's indenting encoder is pure Python,
    seconds on big reports; its compact one costs 5 µs a finding)."""
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
    yield "{\n" + ",\n".join(_field(key, value) for key, value in head.items())
    encode = msgspec.json.encode
    for key in _FINDING_LISTS:
        findings = getattr(report, key)
        if not findings:
            yield f",\n  {json.dumps(key)}: []"
            continue
        yield f",\n  {json.dumps(key)}: ["
        for index, finding in enumerate(findings):
            yield (",\n    " if index else "\n    ") + encode(finding.as_dict()).decode()
        yield "\n  ]"
    yield ",\n" + _field("errors", report.errors) + "\n}\n"


def _field(key: str, value) -> str:
    return f"  {json.dumps(key)}: " + json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
