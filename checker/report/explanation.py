"""`dlc explain` output: text for a person (one line per condition test), JSON with the same facts."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

from checker.evaluate.explain import Explained, Explanation
from checker.report.common import suppression_text, where
from checker.text import clean, plural


def json_pieces(result: Explained) -> Iterator[str]:
    """The JSON document in pieces, one explanation a line, built as it is written (a big spec has
    hundreds of thousands)."""
    rule = result.rule
    head = {
        "rule": {
            "id": rule.id,
            "title": rule.title,
            "severity": "notice" if rule.notice else rule.severity,
            "subject": rule.subject,
            "effective": str(rule.effective),
            "until": str(rule.until) if rule.until else None,
            "references": list(rule.references),
        },
        "policy": {"name": result.policy, "enabled": result.enabled},
        "as_of": str(result.as_of),
        "in_force": result.in_force,
        "note": _not_in_force(result),
        "summary": {"explained": len(result.subjects), "fired": result.fired},
    }
    yield json.dumps(head, indent=2, ensure_ascii=False)[:-2] + ',\n  "explanations": ['
    for index, explanation in enumerate(
        result.explanations()
    ):  # one line each, as the check report's findings
        yield (
            ("," if index else "")
            + "\n    "
            + json.dumps(_explanation(explanation), ensure_ascii=False, separators=(",", ":"))
        )
    errors = json.dumps(result.errors, indent=2, ensure_ascii=False).replace("\n", "\n  ")
    yield f'\n  ],\n  "errors": {errors}\n}}\n'


def _explanation(e: Explanation) -> dict:
    return {
        "subject": {"kind": e.subject_kind, "id": e.subject_id},
        "dataset": e.dataset,
        "fired": e.fired,
        "path": list(e.path),
        "ways": e.ways,
        "condition": _node(e.condition),
        "approvals": [
            {
                "id": a.id,
                "kind": a.kind,
                "covers": a.covers,
                "checks": [{"check": c.name, "ok": c.ok, "reason": c.reason} for c in a.checks],
            }
            for a in e.approvals
        ],
        "message": e.message,
        "location": {"file": e.file, "line": e.line},
        "spec": e.spec,
        "suppression": e.suppression
        and {
            "kind": e.suppression.kind,
            "justification": e.suppression.justification,
            "owner": e.suppression.owner,
            "expires": str(e.suppression.expires) if e.suppression.expires else None,
        },
    }


def _node(node: dict) -> dict:
    if node["node"] != "test":
        return {
            "node": node["node"],
            "result": node["result"],
            "children": [_node(c) for c in node["children"]],
        }
    return {**node, "expected": _value(node["expected"]), "actual": _value(node["actual"])}


def _value(value):
    """A fact value as JSON: sets as sorted lists, an unknown count (inf) as null."""
    if isinstance(value, (frozenset, set, list, tuple)):
        return sorted(value, key=_order)
    if isinstance(value, float):
        return None if math.isinf(value) else (int(value) if value.is_integer() else value)
    return value


def text_pieces(result: Explained) -> Iterator[str]:
    rule = result.rule
    yield "\n".join(
        [
            f"{clean(rule.id)}: {clean(rule.title)}",
            f"  {'notice' if rule.notice else rule.severity}, subject {rule.subject}, in force {rule.effective}"
            + (f" until {rule.until}" if rule.until else "")
            + f"; policy {clean(result.policy)}"
            + ("" if result.enabled else " (off in this policy: its defaults)"),
            f"  as of {result.as_of}: " + (_not_in_force(result) or "in force"),
            "",
            "",
        ]
    )
    for explanation in result.explanations():
        yield "\n".join(_explained(explanation)) + "\n"
    fired = result.fired
    yield (
        f"{plural(len(result.subjects), 'subject')} explained: {fired} fired, "
        f"{len(result.subjects) - fired} did not"
        + ("" if result.subjects else f" (the inputs hold no {result.rule.subject} it applies to)")
        + "\n"
    )


def _explained(e: Explanation) -> list[str]:
    scope = f"{e.subject_kind} {e.subject_id}" + (
        f", dataset {e.dataset}" if e.dataset and e.subject_kind != "dataset" else ""
    )
    place = where(e.file, e.line)
    lines = [
        clean(
            f"{scope}: {'FIRED' if e.fired else 'did not fire'}" + (f"  ({place})" if place else "")
        )
    ]
    if e.path:
        ways = (
            f"  (shown: {'the way that fired' if e.fired else 'the first'} of {e.ways} ways)"
            if e.ways > 1
            else ""
        )
        lines.append(clean(f"  path: {' → '.join(e.path)}{ways}"))
    lines.append("  condition:")
    lines += _tree(e.condition, "    ")
    if e.approvals:
        lines.append("  approvals:")
        for approval in e.approvals:
            lines.append(
                clean(
                    f"    {approval.id} ({approval.kind}): {'covers' if approval.covers else 'does not cover'}"
                )
            )
            lines += [clean(f"      {'✓' if c.ok else '✗'} {c.reason}") for c in approval.checks]
    elif e.subject_kind in ("flow", "system"):
        lines.append("  approvals: none could cover it")
    if e.message:
        lines.append(clean(f"  message: {e.message}"))
    if e.suppression:
        lines.append(f"  suppressed by {suppression_text(e.suppression)}")
    return lines + [""]


def _tree(node: dict, indent: str) -> list[str]:
    if node["node"] != "test":
        return [
            f"{indent}{node['node']}: {_show(node['result'])}",
            *[line for child in node["children"] for line in _tree(child, indent + "  ")],
        ]
    source = node["source"]
    origin = (
        f" ({'param' if 'param' in source else 'group'} {source.get('param') or source.get('group')})"
        if source
        else ""
    )
    return [
        clean(
            f"{indent}{node['fact']} {node['operator']} {_show(node['expected'])}{origin} → "
            f"{_show(node['actual'])}: {_show(node['result'])}"
        )
    ]


def _show(value) -> str:
    """A value as a test line shows it: sets sorted in brackets, true/false, unknown for absent facts."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (frozenset, set, list, tuple)):
        return "[" + ", ".join(map(_show, sorted(value, key=_order))) + "]"
    if value is None or value == math.inf:
        return "unknown"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _order(value) -> tuple:
    """Numbers by size, anything else (text, null, true/false: a list may mix them) by how it is written."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return (0, value, "") if number else (1, 0, str(value))


def _not_in_force(result: Explained) -> str | None:
    if result.in_force:
        return None
    rule = result.rule
    span = f"from {rule.effective}" + (f" until {rule.until}" if rule.until else "")
    return f"not in force (in force {span}): dlc check does not apply it on {result.as_of}"
