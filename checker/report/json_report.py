"""The JSON report, exactly as DESIGN.md fixes its shape (plus `suppressed`, an extension); notices have
the violations' shape, with severity `notice`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import msgspec

from checker.findings import Finding, Report

_FINDING_LISTS = ("violations", "suppressed", "notices")
PIECE_BYTES = 1 << 20  # findings are written in pieces of about this size


def render(report: Report, *, color: bool = False) -> str:
    return b"".join(pieces(report)).decode("utf-8")


def pieces(report: Report) -> Iterator[bytes]:
    """The report as UTF-8, in pieces of about PIECE_BYTES, so a large one is written without ever
    being held whole (and a million findings are never decoded to text only to be encoded again).

    Indented, with each finding on a line of its own: readable and diffable line by line. A
    finding is one compact object encoded by msgspec (json's indenting encoder is pure Python,
    seconds on big reports; its compact one costs 5 µs a finding)."""
    head = {
        "tool": {"name": "dlc", "version": report.version},
        "as_of": report.as_of.isoformat(),
        "run": report.run,
        "summary": {
            "violations": len(report.violations),
            "by_severity": report.by_severity(),
            "rules_evaluated": len(report.rules),
            "specs": report.specs,
            "suppressed": len(report.suppressed),
            "notices": len(report.notices),
            "errors": len(report.errors),
            "resources": report.resources.as_dict(),
        },
        "skipped": [{"path": item.path, "reason": item.reason} for item in report.skipped_inputs],
    }
    yield ("{\n" + ",\n".join(_field(key, value) for key, value in head.items())).encode()
    encoder = _FindingEncoder()
    for key in _FINDING_LISTS:
        findings = getattr(report, key)
        if not findings:
            yield f",\n  {json.dumps(key)}: []".encode()
            continue
        yield f",\n  {json.dumps(key)}: [\n    ".encode()
        yield from _joined(map(encoder, findings), b",\n    ")
        yield b"\n  ]"
    yield (",\n" + _field("errors", report.errors) + "\n}\n").encode()


_encode = msgspec.json.encode


class _FindingEncoder:
    """A finding as one compact JSON object, its members in the order Finding's runs give. What a rule
    fixes (title, references, remediation: about 900 of a finding's 1,250 bytes) is encoded once
    per rule, not once per finding: a sixth less time encoding a large report."""

    def __init__(self) -> None:
        self._rules: dict[tuple, tuple[bytes, bytes]] = {}  # rule_fields -> its runs, encoded

    def __call__(self, finding: Finding) -> bytes:
        fields = finding.rule_fields()
        runs = self._rules.get(fields)
        if runs is None:
            # {"rule":…,"category":…} {"references":…}
            head, middle = map(_encode, Finding.rule_members(fields))
            runs = self._rules[fields] = (head[:-1] + b",", b"," + middle[1:-1] + b",")
        own, where = map(_encode, finding.own_members())
        return b"".join((runs[0], own[1:-1], runs[1], where[1:]))


def _joined(items: Iterator[bytes], separator: bytes) -> Iterator[bytes]:
    """`separator.join(items)` in pieces of about PIECE_BYTES: few writes, little held at once."""
    batch, size, lead = [], 0, b""
    for item in items:
        batch.append(item)
        size += len(item)
        if size >= PIECE_BYTES:
            yield lead + separator.join(batch)
            batch, size, lead = [], 0, separator
    if batch:
        yield lead + separator.join(batch)


def _field(key: str, value) -> str:
    return f"  {json.dumps(key)}: " + json.dumps(value, indent=2, ensure_ascii=False).replace(
        "\n", "\n  "
    )
