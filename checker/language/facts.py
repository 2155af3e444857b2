"""The facts a rule may test, per subject kind: a fixed dispatch table, nothing else is reachable.

Each getter takes the evaluation context and the rule's `lift` (the transforms that stop a
derived dataset inheriting its ancestors' categories and flags). Counts that the spec leaves
unknown are `inf`, so they are above every threshold (fail closed).
"""

from __future__ import annotations

from typing import Callable

Getter = Callable[[object, frozenset], object]


def _dataset(name: str) -> Getter:
    return lambda ctx, lift: getattr(ctx.view(lift), name)


def _system(role: str, name: str) -> Getter:
    return lambda ctx, lift: getattr(getattr(ctx, role), name)


def _flow(name: str) -> Getter:
    return lambda ctx, lift: getattr(ctx.flow, name)


_ORGANIZATION: dict[str, Getter] = {
    "organization.ciio": lambda ctx, lift: ctx.scope.ciio,
    "organization.headquarters": lambda ctx, lift: ctx.scope.headquarters,
}

_DATASET: dict[str, Getter] = {
    "dataset.id": _dataset("id"),
    "dataset.origins": _dataset("origins"),
    "dataset.categories": _dataset("categories"),
    "dataset.important": _dataset("important"),
    "dataset.subjects": _dataset("subjects"),
    "dataset.transform": _dataset("transform"),
    "dataset.derived": _dataset("derived"),
}

_SYSTEM_FIELDS = ("id", "kind", "country", "certifications", "licences", "invalid_approvals",
                  "accelerators", "accelerator_eccns", "unknown_accelerators", "accelerator_count")


def _system_facts(role: str) -> dict[str, Getter]:
    return {f"{role}.{name}": _system(role, name) for name in _SYSTEM_FIELDS}


_FLOW: dict[str, Getter] = {
    "flow.id": _flow("id"),
    "flow.mode": _flow("mode"),
    "flow.purpose": _flow("purpose"),
    "flow.encrypted": _flow("encrypted"),
    "flow.transaction": _flow("transaction"),
    "flow.approvals": lambda ctx, lift: frozenset(ctx.flow.approvals),
    "flow.invalid_approvals": lambda ctx, lift: ctx.flow_state.invalid_approvals,
    "flow.approval_days_left": lambda ctx, lift: ctx.flow_state.days_left,
    "flow.crosses_border": lambda ctx, lift: ctx.source.country != ctx.destination.country,
}

_TRANSFER: dict[str, Getter] = {
    "transfer.mechanisms": lambda ctx, lift: ctx.mechanisms(),
    "transfer.hops": lambda ctx, lift: ctx.hops,
}

_APPROVAL: dict[str, Getter] = {
    "approval.id": lambda ctx, lift: ctx.approval.id,
    "approval.kind": lambda ctx, lift: ctx.approval.kind,
    "approval.valid": lambda ctx, lift: ctx.valid,
    "approval.days_left": lambda ctx, lift: ctx.days_left,
    "approval.relied_on": lambda ctx, lift: ctx.relied_on,
}

FACTS: dict[str, dict[str, Getter]] = {
    # a flow rule is evaluated for every dataset the flow carries, along every way it got there
    "flow": {**_FLOW, **_system_facts("source"), **_system_facts("destination"), **_DATASET,
             **_TRANSFER, **_ORGANIZATION},
    # a system rule is evaluated once per system, or per dataset present there if it tests one
    "system": {**_system_facts("system"), **_DATASET, **_ORGANIZATION,
               "presence.collected_here": lambda ctx, lift: ctx.collected_here},
    "dataset": {**_DATASET, **_ORGANIZATION,
                "dataset.reached_countries": lambda ctx, lift: ctx.reached_countries},
    "approval": {**_APPROVAL, **_ORGANIZATION},
    "spec": dict(_ORGANIZATION),
}

# Facts that make a flow or system rule look at each dataset rather than once per subject.
PER_DATASET_PREFIXES = ("dataset.", "transfer.", "presence.")


def describe(value) -> str:
    """A fact value as a message shows it."""
    if value is None or value == float("inf"):
        return "unknown"
    if isinstance(value, (set, frozenset, list, tuple)):
        return ", ".join(sorted(map(str, value))) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
