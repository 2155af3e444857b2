"""The facts a rule may test, per subject kind: a fixed dispatch table, nothing else is reachable.

Each fact is bound to a rule's `lift` (the transforms that stop a derived dataset inheriting
its ancestors' categories and flags) once, at compile time, giving a getter of one argument,
the evaluation context. Each fact also has a kind, so that a test which could never be true
(`eq` on a set, `gt` on a country) is refused when the rule is compiled. Sets are frozensets
of names, never None; counts that the spec leaves unknown are `inf`, never None, so they are
above every threshold (fail closed); text and true/false facts may be None (not in the spec).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

Getter = Callable[[Any], object]   # context -> value; the context classes are in evaluate/engine.py

SET, NUMBER, BOOL, TEXT = "set", "number", "bool", "text"


@dataclass(frozen=True)
class Fact:
    kind: str                                # SET, NUMBER, BOOL or TEXT: what operators may test it
    bind: Callable[[frozenset], Getter]      # a rule's `lift` -> the getter its tests call
    # A test of the subject itself that is false wherever this fact is absent: the subjects an
    # engine need not visit for a rule that needs the fact present (conditions.needed_facts).
    only_where: Callable[[object], object] | None = None


def _plain(kind: str, get: Getter, only_where: Callable[[object], object] | None = None) -> Fact:
    return Fact(kind, lambda lift: get, only_where)


_LISTS_APPROVALS = attrgetter("approvals")   # one object, so rules indexed by it share one pass


def _dataset(kind: str, name: str) -> Fact:
    read = attrgetter(name)
    return Fact(kind, lambda lift: lambda ctx: read(ctx.scope.lifted[lift][ctx.dataset_id]))


def _flow(kind: str, name: str) -> Fact:
    return _plain(kind, attrgetter(f"flow.{name}"))


_ORGANIZATION: dict[str, Fact] = {
    "organization.ciio": _plain(BOOL, lambda ctx: ctx.scope.ciio),
    "organization.headquarters": _plain(TEXT, lambda ctx: ctx.scope.headquarters),
}

_DATASET: dict[str, Fact] = {
    "dataset.id": _dataset(TEXT, "id"),
    "dataset.origins": _dataset(SET, "origins"),
    "dataset.categories": _dataset(SET, "categories"),
    "dataset.important": _dataset(BOOL, "important"),
    "dataset.subjects": _dataset(NUMBER, "subjects"),
    "dataset.transform": _dataset(TEXT, "transform"),
    "dataset.derived": _dataset(BOOL, "derived"),
    "dataset.unclassified": _dataset(BOOL, "unclassified"),
}

_SYSTEM_FIELDS = {"id": TEXT, "kind": TEXT, "country": TEXT, "certifications": SET, "licences": SET,
                  "invalid_approvals": SET, "accelerators": SET, "accelerator_eccns": SET,
                  "ear_accelerator_eccns": SET, "foreign_accelerators": SET,
                  "unknown_accelerators": SET, "accelerator_count": NUMBER,
                  "model_year": NUMBER, "component_functions": SET, "vcs_hardware_from": SET,
                  "vcs_software_from": SET, "ads_software_from": SET}


def _system_facts(role: str) -> dict[str, Fact]:
    return {f"{role}.{name}": _plain(kind, attrgetter(f"{role}.{name}"))
            for name, kind in _SYSTEM_FIELDS.items()}


_FLOW: dict[str, Fact] = {
    "flow.id": _flow(TEXT, "id"),
    "flow.mode": _flow(TEXT, "mode"),
    "flow.purpose": _flow(TEXT, "purpose"),
    "flow.encrypted": _flow(BOOL, "encrypted"),
    "flow.transaction": _flow(TEXT, "transaction"),
    "flow.approvals": _plain(SET, lambda ctx: frozenset(ctx.flow.approvals), _LISTS_APPROVALS),
    "flow.invalid_approvals": _plain(SET, attrgetter("flow_state.invalid_approvals"), _LISTS_APPROVALS),
    "flow.approval_days_left": _plain(NUMBER, attrgetter("flow_state.days_left")),
    "flow.crosses_border": _plain(BOOL, lambda ctx: ctx.source.country != ctx.destination.country),
}

_TRANSFER: dict[str, Fact] = {
    "transfer.mechanisms": _plain(SET, lambda ctx: ctx.mechanisms()),
    "transfer.hops": _plain(NUMBER, attrgetter("hops")),
    # the flow takes the data into a country it was not collected in
    "transfer.outside_origin": Fact(BOOL, lambda lift: lambda ctx: (
        ctx.destination.country not in ctx.scope.lifted[lift][ctx.dataset_id].origins)),
    # kinds of the systems the data passed through before this flow's destination, from where it
    # was collected (through its lineage): what "the first database it reaches" is judged by
    "transfer.kinds_before": _plain(SET, lambda ctx: ctx.kinds_before()),
}

_APPROVAL: dict[str, Fact] = {
    "approval.id": _plain(TEXT, attrgetter("approval.id")),
    "approval.kind": _plain(TEXT, attrgetter("approval.kind")),
    "approval.valid": _plain(BOOL, attrgetter("valid")),
    "approval.days_left": _plain(NUMBER, attrgetter("days_left")),
    "approval.relied_on": _plain(BOOL, attrgetter("relied_on")),
}

FACTS: dict[str, dict[str, Fact]] = {
    # a flow rule is evaluated for every dataset the flow carries, along every way it got there
    "flow": {**_FLOW, **_system_facts("source"), **_system_facts("destination"), **_DATASET,
             **_TRANSFER, **_ORGANIZATION},
    # a system rule is evaluated once per system, or per dataset present there if it tests one
    "system": {**_system_facts("system"), **_DATASET, **_ORGANIZATION,
               "presence.collected_here": _plain(BOOL, attrgetter("collected_here"))},
    "dataset": {**_DATASET, **_ORGANIZATION,
                "dataset.reached_countries": _plain(SET, attrgetter("reached_countries")),
                "dataset.held_countries": _plain(SET, attrgetter("held_countries"))},
    "approval": {**_APPROVAL, **_ORGANIZATION},
    "spec": dict(_ORGANIZATION),
}

# Where a dataset went: a dataset rule reading these needs the dataset followed along its flows.
WHERE_IT_WENT = frozenset({"dataset.reached_countries", "dataset.held_countries"})
# Facts that make a flow or system rule look at each dataset rather than once per subject.
PER_DATASET_PREFIXES = ("dataset.", "transfer.", "presence.")
# Facts fixed for a dataset wherever it goes: tests of only these run once per dataset, before it
# is followed (a dataset rule's where-it-went facts, dataset.reached_countries, are not among them).
DATASET_STAGE_PREFIXES = (*_DATASET, "organization.")


def cost(name: str) -> int:
    """How dear a fact is to read, so `all` and `any` can test the cheap ones first."""
    if name in ("transfer.mechanisms", "transfer.kinds_before") or name.startswith("cumulative."):
        return 2
    return 1 if name.startswith("dataset.") else 0


@functools.lru_cache(maxsize=4096)
def _describe_set(value: frozenset) -> str:
    return ", ".join(sorted(map(str, value))) or "none"


def describe(value) -> str:
    """A fact value as a message shows it."""
    if type(value) is str:             # most placeholders: ids and countries
        return value
    if isinstance(value, frozenset):   # a dataset's categories appear in many findings: sorted once
        return _describe_set(value)
    if value is None or value == math.inf:
        return "unknown"
    if isinstance(value, (set, list, tuple)):
        return ", ".join(sorted(map(str, value))) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
