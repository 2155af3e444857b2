"""The facts a rule may test, per subject kind: a fixed dispatch table, nothing else is reachable.

Each fact is bound to a rule's `lift` (the transforms that stop a derived dataset inheriting
its ancestors' categories and flags) once, at compile time, giving a getter of one argument,
the evaluation context. Counts that the spec leaves
unknown are `inf`, so they are above every threshold (fail closed).
"""

from __future__ import annotations

from operator import attrgetter
from typing import Callable

Getter = Callable[[object], object]
Fact = Callable[[frozenset], Getter]   # a rule's `lift` -> the getter its tests call


def _plain(get: Getter) -> Fact:
    return lambda lift: get


def _dataset(name: str) -> Fact:
    read = attrgetter(name)
    return lambda lift: lambda ctx: read(ctx.scope.lifted[lift][ctx.dataset_id])


def _system(role: str, name: str) -> Fact:
    return _plain(attrgetter(f"{role}.{name}"))


def _flow(name: str) -> Fact:
    return _plain(attrgetter(f"flow.{name}"))


_ORGANIZATION: dict[str, Fact] = {
    "organization.ciio": _plain(lambda ctx: ctx.scope.ciio),
    "organization.headquarters": _plain(lambda ctx: ctx.scope.headquarters),
}

_DATASET: dict[str, Fact] = {
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


def _system_facts(role: str) -> dict[str, Fact]:
    return {f"{role}.{name}": _system(role, name) for name in _SYSTEM_FIELDS}


_FLOW: dict[str, Fact] = {
    "flow.id": _flow("id"),
    "flow.mode": _flow("mode"),
    "flow.purpose": _flow("purpose"),
    "flow.encrypted": _flow("encrypted"),
    "flow.transaction": _flow("transaction"),
    "flow.approvals": _plain(lambda ctx: frozenset(ctx.flow.approvals)),
    "flow.invalid_approvals": _plain(attrgetter("flow_state.invalid_approvals")),
    "flow.approval_days_left": _plain(attrgetter("flow_state.days_left")),
    "flow.crosses_border": _plain(lambda ctx: ctx.source.country != ctx.destination.country),
}

_TRANSFER: dict[str, Fact] = {
    "transfer.mechanisms": _plain(lambda ctx: ctx.mechanisms()),
    "transfer.hops": _plain(attrgetter("hops")),
}

_APPROVAL: dict[str, Fact] = {
    "approval.id": _plain(attrgetter("approval.id")),
    "approval.kind": _plain(attrgetter("approval.kind")),
    "approval.valid": _plain(attrgetter("valid")),
    "approval.days_left": _plain(attrgetter("days_left")),
    "approval.relied_on": _plain(attrgetter("relied_on")),
}

FACTS: dict[str, dict[str, Fact]] = {
    # a flow rule is evaluated for every dataset the flow carries, along every way it got there
    "flow": {**_FLOW, **_system_facts("source"), **_system_facts("destination"), **_DATASET,
             **_TRANSFER, **_ORGANIZATION},
    # a system rule is evaluated once per system, or per dataset present there if it tests one
    "system": {**_system_facts("system"), **_DATASET, **_ORGANIZATION,
               "presence.collected_here": _plain(attrgetter("collected_here"))},
    "dataset": {**_DATASET, **_ORGANIZATION,
                "dataset.reached_countries": _plain(attrgetter("reached_countries"))},
    "approval": {**_APPROVAL, **_ORGANIZATION},
    "spec": dict(_ORGANIZATION),
}

# Facts that make a flow or system rule look at each dataset rather than once per subject.
PER_DATASET_PREFIXES = ("dataset.", "transfer.", "presence.")
# Facts fixed for a dataset wherever it goes: tests of only these run once per dataset.
DATASET_STAGE_PREFIXES = ("dataset.", "organization.")


def cost(name: str) -> int:
    """How dear a fact is to read, so `all` and `any` can test the cheap ones first."""
    if name == "transfer.mechanisms":
        return 2
    return 1 if name.startswith("dataset.") else 0


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
