"""The facts a rule may test, per subject kind: a fixed dispatch table, nothing else is reachable.

Each fact is bound to a rule's `lift` (the transforms that stop a derived dataset inheriting
its ancestors' categories and flags) once, at compile time, giving a getter of one argument,
the evaluation context (language/contexts.py). Each fact declares the context types it reads
and reads them by typed getters, or by field names checked when this module is imported, so a
rename cannot surface as a rule that fails at run time. Each fact also has a kind, so that a
test which could never be true (`eq` on a set, `gt` on a country) is refused when the rule is
compiled. Sets are frozensets
of names, never None; counts that the spec leaves unknown are `inf`, never None, so they are
above every threshold (fail closed); text and true/false facts may be None (not in the spec).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any, TypeVar

from checker.language.contexts import (
    ApprovalContext,
    Context,
    DatasetContext,
    DatasetView,
    FlowContext,
    SpecContext,
    SystemContext,
    SystemFacts,
)

Getter = Callable[[Any], object]

SET, NUMBER, BOOL, TEXT = "set", "number", "bool", "text"

# the contexts a fact can be read on: one kind's, those that follow a dataset, or any
FLOW, SYSTEM, DATASET, APPROVAL = (
    (FlowContext,),
    (SystemContext,),
    (DatasetContext,),
    (ApprovalContext,),
)
WITH_DATASET = (FlowContext, SystemContext, DatasetContext)
ANY = (FlowContext, SystemContext, DatasetContext, ApprovalContext, SpecContext)


@dataclass(frozen=True)
class Fact:
    kind: str  # SET, NUMBER, BOOL or TEXT: what operators may test it
    bind: Callable[[frozenset], Getter]  # a rule's `lift` -> the getter its tests call
    # A test of the subject itself that is false wherever this fact is absent: the subjects an
    # engine need not visit for a rule that needs the fact present (conditions.needed_facts).
    only_where: Callable[[Any], object] | None = None
    # the context types its getter reads: a subject kind offers it only if its own context is one
    # (tests/test_facts.py reads every fact on every context it declares)
    contexts: tuple[type[Context], ...] = ANY


C = TypeVar("C", bound=Context)


def _fact(
    kind: str,
    contexts: tuple[type[C], ...],
    get: Callable[[C], object],
    only_where: Callable[[Any], object] | None = None,
) -> Fact:
    """A fact read by `get` on any of `contexts` (which types `get`'s argument), the same under every lift."""
    return Fact(kind, lambda lift: get, only_where, contexts)


def _lists_approvals(flow: Any) -> object:  # one object, so rules indexed by it share one pass
    return flow.approvals


def _dataset(kind: str, field: str) -> Fact:
    """A field of the view, under the rule's lift, of the dataset being followed: read by name (a
    C attribute getter; checked against DatasetView here, at import)."""
    if field not in {declared.name for declared in fields(DatasetView)}:
        raise TypeError(f"DatasetView has no field {field}")
    read = attrgetter(field)

    def bind(lift: frozenset) -> Getter:
        def get(ctx: Context) -> object:
            return read(ctx.scope.lifted[lift][ctx.dataset_id])  # type: ignore[index]  # only where one is followed

        return get

    return Fact(kind, bind, contexts=WITH_DATASET)


_ORGANIZATION: dict[str, Fact] = {
    "organization.ciio": _fact(BOOL, ANY, lambda ctx: ctx.scope.ciio),
    "organization.headquarters": _fact(TEXT, ANY, lambda ctx: ctx.scope.headquarters),
}

_DATASET: dict[str, Fact] = {
    "dataset.id": _fact(
        TEXT, WITH_DATASET, lambda ctx: ctx.dataset_id
    ),  # the view's id, without looking it up
    "dataset.origins": _dataset(SET, "origins"),
    "dataset.categories": _dataset(SET, "categories"),
    "dataset.important": _dataset(BOOL, "important"),
    "dataset.subjects": _dataset(NUMBER, "subjects"),
    "dataset.transform": _dataset(TEXT, "transform"),
    "dataset.derived": _dataset(BOOL, "derived"),
    "dataset.unclassified": _dataset(BOOL, "unclassified"),
}

# A system's facts as rules name them (each a SystemFacts field), read through the context's
# source, destination or system by one attribute path (operator.attrgetter, as fast as a lambda
# and without a second call); both ends of each path are checked here, at import.
_SYSTEM_FIELDS = {
    "id": TEXT,
    "kind": TEXT,
    "country": TEXT,
    "certifications": SET,
    "licences": SET,
    "invalid_approvals": SET,
    "accelerators": SET,
    "accelerator_eccns": SET,
    "ear_accelerator_eccns": SET,
    "foreign_accelerators": SET,
    "unknown_accelerators": SET,
    "accelerator_count": NUMBER,
    "model_year": NUMBER,
    "component_functions": SET,
    "vcs_hardware_from": SET,
    "vcs_software_from": SET,
    "ads_software_from": SET,
}


def _system_facts(role: str, context: type[Context]) -> dict[str, Fact]:
    declared = {field.name for field in fields(SystemFacts)}
    if context.__annotations__.get(role) != SystemFacts.__name__ or not declared.issuperset(
        _SYSTEM_FIELDS
    ):
        raise TypeError(
            f"{context.__name__}.{role} is not a SystemFacts with fields "
            f"{', '.join(sorted(set(_SYSTEM_FIELDS) - declared)) or 'as declared'}"
        )
    return {
        f"{role}.{name}": _fact(kind, (context,), attrgetter(f"{role}.{name}"))
        for name, kind in _SYSTEM_FIELDS.items()
    }


_FLOW: dict[str, Fact] = {
    "flow.id": _fact(TEXT, FLOW, lambda ctx: ctx.flow.id),
    "flow.mode": _fact(TEXT, FLOW, lambda ctx: ctx.flow.mode),
    "flow.purpose": _fact(TEXT, FLOW, lambda ctx: ctx.flow.purpose),
    "flow.encrypted": _fact(BOOL, FLOW, lambda ctx: ctx.flow.encrypted),
    "flow.transaction": _fact(TEXT, FLOW, lambda ctx: ctx.flow.transaction),
    "flow.approvals": _fact(SET, FLOW, lambda ctx: frozenset(ctx.flow.approvals), _lists_approvals),
    "flow.invalid_approvals": _fact(
        SET, FLOW, lambda ctx: ctx.flow_state.invalid_approvals, _lists_approvals
    ),
    "flow.approval_days_left": _fact(NUMBER, FLOW, lambda ctx: ctx.flow_state.days_left),
    "flow.crosses_border": _fact(
        BOOL, FLOW, lambda ctx: ctx.source.country != ctx.destination.country
    ),
}


def _outside_origin(lift: frozenset) -> Getter:
    def get(ctx: FlowContext) -> object:
        return ctx.destination.country not in ctx.scope.lifted[lift][ctx.dataset_id].origins  # type: ignore[index]

    return get


_TRANSFER: dict[str, Fact] = {
    "transfer.mechanisms": _fact(SET, FLOW, lambda ctx: ctx.mechanisms()),
    "transfer.hops": _fact(NUMBER, FLOW, lambda ctx: ctx.hops),
    # the flow takes the data into a country it was not collected in
    "transfer.outside_origin": Fact(BOOL, _outside_origin, contexts=FLOW),
    # kinds of the systems the data passed through before this flow's destination, from where it
    # was collected (through its lineage): what "the first database it reaches" is judged by
    "transfer.kinds_before": _fact(SET, FLOW, lambda ctx: ctx.kinds_before()),
}

_APPROVAL: dict[str, Fact] = {
    "approval.id": _fact(TEXT, APPROVAL, lambda ctx: ctx.approval.id),
    "approval.kind": _fact(TEXT, APPROVAL, lambda ctx: ctx.approval.kind),
    "approval.valid": _fact(BOOL, APPROVAL, lambda ctx: ctx.valid),
    "approval.days_left": _fact(NUMBER, APPROVAL, lambda ctx: ctx.days_left),
    "approval.relied_on": _fact(BOOL, APPROVAL, lambda ctx: ctx.relied_on),
}

FACTS: dict[str, dict[str, Fact]] = {
    # a flow rule is evaluated for every dataset the flow carries, along every way it got there
    "flow": {
        **_FLOW,
        **_system_facts("source", FlowContext),
        **_system_facts("destination", FlowContext),
        **_DATASET,
        **_TRANSFER,
        **_ORGANIZATION,
    },
    # a system rule is evaluated once per system, or per dataset present there if it tests one
    "system": {
        **_system_facts("system", SystemContext),
        **_DATASET,
        **_ORGANIZATION,
        "presence.collected_here": _fact(BOOL, SYSTEM, lambda ctx: ctx.collected_here),
    },
    "dataset": {
        **_DATASET,
        **_ORGANIZATION,
        "dataset.reached_countries": _fact(SET, DATASET, lambda ctx: ctx.reached_countries),
        "dataset.held_countries": _fact(SET, DATASET, lambda ctx: ctx.held_countries),
    },
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
    if type(value) is str:  # most placeholders: ids and countries
        return value
    if isinstance(value, frozenset):  # a dataset's categories appear in many findings: sorted once
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
