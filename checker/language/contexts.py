"""What a rule's facts read: the evaluation contexts, and what they share for one spec.

The engine (evaluate/engine.py) builds a context per subject and walks the flows; the fact
table (language/facts.py) reads these classes' attributes, each fact declaring the context types
it reads, so a renamed attribute fails when facts.py is imported or type-checked, not as "rule
could not be evaluated" in the middle of a run. Nothing here imports the rule language.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from checker.model import Approval, Flow

if TYPE_CHECKING:  # the engine's types, which contexts hold but never make
    from checker.evaluate.propagation import Reach, State
    from checker.language.tally import Tally
    from checker.resolve.resolver import Resolved

_NOTHING: frozenset = frozenset()  # the one empty set that facts with nothing in them share


# Built once and never changed; slotted rather than frozen, which costs a second per million.
@dataclass(slots=True)
class SystemFacts:
    """A system's facts, worked out once per evaluation (engine._system_facts); what most systems
    do not have is one shared empty set, none, or unknown."""

    id: str
    kind: str
    country: str
    certifications: frozenset = _NOTHING
    licences: frozenset = (
        _NOTHING  # kinds of valid approvals the system lists that name it or its country
    )
    invalid_approvals: frozenset = _NOTHING  # approvals it lists that are expired or not yet valid
    accelerators: frozenset = _NOTHING  # catalog ids of its accelerators
    accelerator_eccns: frozenset = (
        _NOTHING  # their classifications ("unknown" for models not in the catalog)
    )
    ear_accelerator_eccns: frozenset = (
        _NOTHING  # of those subject to the EAR by origin (or unknown)
    )
    foreign_accelerators: frozenset = _NOTHING  # catalog ids of those of a known non-US origin
    unknown_accelerators: frozenset = _NOTHING
    accelerator_count: int = 0
    model_year: float = math.inf  # of the connected vehicles the system is; inf where it is none
    component_functions: frozenset = _NOTHING
    # countries the suppliers of its components of each function are controlled from ("unknown" where not given)
    vcs_hardware_from: frozenset = _NOTHING
    vcs_software_from: frozenset = _NOTHING
    ads_software_from: frozenset = _NOTHING


@dataclass(slots=True)
class FlowState:
    invalid_approvals: frozenset
    days_left: float  # until the first listed valid approval expires


@dataclass(slots=True)
class DatasetView:
    """A dataset's effective facts through its lineage, for one set of lifting transforms."""

    id: str
    origins: frozenset
    categories: frozenset
    important: bool
    subjects: float
    transform: str
    derived: bool
    unclassified: bool  # it, or an ancestor it inherits from, was never classified


class Scope:
    """What every context of one spec evaluation shares."""

    def __init__(self, resolved: Resolved, as_of: dt.date, lifts: set[frozenset]) -> None:
        spec = resolved.spec
        self.resolved = resolved
        self.as_of = as_of
        organization = spec.organization
        self.ciio = organization.ciio if organization else None
        self.headquarters = resolved.headquarters
        self.datasets = {d.id: d for d in spec.datasets}
        self.approvals = {a.id: a for a in spec.approvals}
        self.order = _lineage_order(spec.datasets)
        self.derived = [
            ident for ident in self.order if self.datasets[ident].derived_from
        ]  # parents first
        # each approval judged once: the ids of those not valid on `as_of`, days left of the valid ones that expire
        self.invalid_approvals = frozenset(a.id for a in spec.approvals if not self.valid(a))
        self.days_left = {
            a.id: (a.expires - as_of).days for a in spec.approvals if a.expires and self.valid(a)
        }
        self.systems: dict[str, SystemFacts] = {}  # set by evaluate once worked out
        self.tallies: dict[str, Count] = {}  # tally key -> count, for rules that count exports
        # lift -> dataset id -> view, for every lift a rule asks for
        unlifted = self._views(frozenset(), None)
        self.lifted = {
            lift: self._views(lift, unlifted) if lift else unlifted
            for lift in {frozenset(), *lifts}
        }

    def tally(self, tally: Tally) -> Count:
        """The rule's count of exports (language/tally.py), made the first time a rule reads it."""
        count = self.tallies.get(tally.key)
        if count is None:
            count = self.tallies[tally.key] = _count(self, tally)
        return count

    def valid(self, approval: Approval) -> bool:
        return (approval.valid_from is None or approval.valid_from <= self.as_of) and (
            approval.expires is None or self.as_of < approval.expires
        )

    def _views(
        self, lift: frozenset, unlifted: dict[str, DatasetView] | None
    ) -> dict[str, DatasetView]:
        """Every dataset's view under `lift`. Only derived data can look different under a lift:
        a lifted table starts as a copy of the unlifted one and recomputes just those. One origin
        country is one shared set."""
        views = dict(unlifted or {})
        origin, categories, unknown = (
            self.resolved.origin,
            self.resolved.categories,
            self.resolved.unclassified,
        )
        countries: dict[str | None, frozenset] = {None: frozenset()}
        for ident in self.order if unlifted is None else self.derived:
            dataset = self.datasets[ident]
            own = origin[ident]
            own_origins = countries.get(own) or countries.setdefault(own, frozenset((own,)))
            if not dataset.derived_from:
                views[ident] = DatasetView(
                    id=ident,
                    origins=own_origins,
                    categories=categories[ident],
                    important=bool(dataset.important),
                    subjects=math.inf if dataset.subjects is None else dataset.subjects,
                    transform=dataset.transform,
                    derived=False,
                    unclassified=ident in unknown,
                )
                continue
            parents = [views[p] for p in dataset.derived_from]
            inherited = () if dataset.transform in lift else parents
            views[ident] = DatasetView(
                id=ident,
                origins=own_origins.union(*(p.origins for p in inherited)),
                categories=categories[ident].union(*(p.categories for p in inherited)),
                important=bool(dataset.important) or any(p.important for p in inherited),
                subjects=dataset.subjects
                if dataset.subjects is not None
                else max(p.subjects for p in parents),
                transform=dataset.transform,
                derived=True,
                unclassified=any(p.unclassified for p in inherited),
            )
        return views


def _count(scope: Scope, tally: Tally) -> Count:
    """Every dataset some flow exports (the tally's `exports` on the flow carrying it), added once;
    not added again when its individuals are among those of a counted dataset (see tally.py)."""
    selected = frozenset(
        ident for ident in scope.order if tally.dataset_test(DatasetContext(scope, ident))
    )
    ctx = FlowContext(scope, scope.systems)
    exported: dict[str, list[str]] = defaultdict(list)  # dataset id -> flows exporting it
    for flow in scope.resolved.spec.flows:
        if selected.isdisjoint(flow.datasets):  # most flows carry nothing the count is about
            continue
        ctx.at(flow, _NOTHING, None)
        for dataset_id in selected.intersection(flow.datasets):
            ctx.dataset_id = dataset_id
            if tally.crossing_test(ctx):
                exported[dataset_id].append(flow.id)
    datasets = scope.datasets
    covered: dict[str, bool] = {}  # dataset id -> its individuals are among a counted dataset's

    def within(ident: str) -> bool:
        """Whether some dataset `ident` is declared a subset of (or derived from) is exported or
        itself within one: a depth-first walk settling supersets first. subset_of and lineage are
        each acyclic; a loop through both (lineage overlap) is cut where it closes, so one of its
        datasets is still counted."""
        if ident in covered:
            return covered[ident]
        cut: set[tuple[str, str]] = set()
        open_ = {ident}
        stack = [(ident, iter(_supersets(datasets[ident], tally.lineage)))]
        while stack:
            node, parents = stack[-1]
            parent = next(parents, None)
            if parent is None:
                stack.pop()
                open_.discard(node)
                covered[node] = any(
                    parent in exported or covered[parent]
                    for parent in _supersets(datasets[node], tally.lineage)
                    if (node, parent) not in cut
                )
            elif parent in open_:
                cut.add((node, parent))
            elif parent not in covered:
                open_.add(parent)
                stack.append((parent, iter(_supersets(datasets[parent], tally.lineage))))
        return covered[ident]

    views = scope.lifted[tally.lift]
    counted = sorted(ident for ident in exported if not within(ident))
    sensitive = other = 0.0
    for ident in counted:
        if tally.sensitive(DatasetContext(scope, ident)):
            sensitive += views[ident].subjects
        else:
            other += views[ident].subjects
    flows = sorted({flow for ident in counted for flow in exported[ident]})
    return Count(sensitive + other, sensitive, other, len(counted), describe_flows(flows))


def _supersets(dataset, lineage: bool) -> list[str]:
    return [*dataset.subset_of, *dataset.derived_from] if lineage else list(dataset.subset_of)


def _lineage_order(datasets) -> list[str]:
    """Dataset ids with every parent before its children (lineage is acyclic once loaded)."""
    children: dict[str, list[str]] = defaultdict(list)
    waiting: dict[str, int] = {}
    for dataset in datasets:
        if dataset.derived_from:
            waiting[dataset.id] = len(dataset.derived_from)
            for parent in dataset.derived_from:
                children[parent].append(dataset.id)
    ready = deque(sorted(dataset.id for dataset in datasets if not dataset.derived_from))
    order = []
    while ready:
        ident = ready.popleft()
        order.append(ident)
        for child in children.get(ident, ()):
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    return order


SHOWN_FLOWS = 10  # contributing flows a count names; the rest are counted


@dataclass(frozen=True)
class Count:
    """A rule's count of exports (language/tally.py): what the cumulative.* facts read."""

    subjects: float
    sensitive_subjects: float
    other_subjects: float
    count: int
    exports: str


def describe_flows(flow_ids: list[str]) -> str:
    shown = ", ".join(flow_ids[:SHOWN_FLOWS])
    rest = len(flow_ids) - SHOWN_FLOWS
    return (f"{shown} and {rest:,} more" if rest > 0 else shown) or "none"


_NO_APPROVALS = FlowState(_NOTHING, math.inf)


def _flow_state(flow: Flow, scope: Scope) -> FlowState:
    if not flow.approvals:
        return _NO_APPROVALS
    days = scope.days_left
    return FlowState(
        scope.invalid_approvals.intersection(flow.approvals) or _NOTHING,
        min((days[a] for a in flow.approvals if a in days), default=math.inf),
    )


# --- evaluation contexts: what a rule's facts read -------------------------------------------


class Context:
    """What every context has: the evaluation's shared facts and, where one is followed, a dataset."""

    scope: Scope
    dataset_id: str | None = None

    def path(self) -> tuple[str, ...]:
        """The systems the data went through to reach the subject, for a finding ((): none)."""
        return ()


class FlowContext(Context):
    """What a flow rule reads: a flow and, for a per-dataset rule, one crossing of it by the dataset.

    One context serves all the crossings of a dataset in turn (`at`): a finding takes its message
    and path when it is made, so nothing keeps a context past its crossing."""

    flow: Flow
    source: SystemFacts
    destination: SystemFacts
    seen: frozenset  # tracked approvals listed on the way, up to and across this flow
    came_from: State | None

    def __init__(
        self, scope: Scope, systems: dict[str, SystemFacts], reach: Reach | None = None
    ) -> None:
        self.scope = scope
        self.systems = systems
        self.reach = reach
        self.dataset_id = reach.dataset if reach else None

    def at(self, flow: Flow, seen: frozenset, came_from: State | None) -> None:
        self.flow = flow
        self.source = self.systems[flow.source]
        self.destination = self.systems[flow.target]
        self.seen = seen
        self.came_from = came_from
        self._mechanisms: frozenset | None = None
        self._path: tuple[str, ...] | None = None

    @property
    def flow_state(self) -> FlowState:
        return _flow_state(self.flow, self.scope)

    def mechanisms(self) -> frozenset:
        """Kinds of valid approvals on the path that cover this dataset, destination and purpose."""
        if self._mechanisms is None:
            scope, country, purpose = self.scope, self.destination.country, self.flow.purpose
            destinations = scope.resolved.destinations
            self._mechanisms = frozenset(
                approval.kind
                for approval in (scope.approvals[a] for a in self.seen)
                if scope.valid(approval)
                and country in destinations[approval.id]
                and (not approval.purposes or purpose in approval.purposes)
            )
        return self._mechanisms

    def kinds_before(self) -> frozenset:
        """Kinds of the systems on the path before the destination (read only by rules that ask)."""
        systems = self.systems
        return frozenset(systems[system].kind for system in self.path()[:-1])

    @property
    def hops(self) -> int:
        return len(self.path()) - 1

    def path(self) -> tuple[str, ...]:
        """How the data got across this flow (a finding and its message both ask: worked out once)."""
        if self._path is None:
            self._path = (
                (self.flow.source, self.flow.target)
                if self.reach is None or self.came_from is None
                else (*self.reach.path_to(self.came_from), self.flow.target)
            )
        return self._path


class SystemContext(Context):
    """A system, and for a per-dataset rule one dataset present there."""

    system: SystemFacts

    def __init__(
        self,
        scope: Scope,
        system: SystemFacts,
        dataset_id: str | None = None,
        collected_here: bool = False,
        reach: Reach | None = None,
    ) -> None:
        self.scope = scope
        self.system = system
        self.dataset_id = dataset_id
        self.collected_here = collected_here
        self.reach = reach

    def path(self) -> tuple[str, ...]:
        """How the dataset got here (worked out only for a finding's message and report)."""
        return self.reach.first_path(self.system.id) if self.reach else ()


class DatasetContext(Context):
    """A dataset and, for rules that read them, the countries it reached and is held in."""

    dataset_id: str

    def __init__(
        self,
        scope: Scope,
        dataset_id: str,
        reached_countries: frozenset = _NOTHING,
        held_countries: frozenset = _NOTHING,
    ) -> None:
        self.scope = scope
        self.dataset_id = dataset_id
        self.reached_countries = reached_countries
        self.held_countries = held_countries


class ApprovalContext(Context):
    def __init__(self, scope: Scope, approval: Approval, relied_on: bool) -> None:
        self.scope = scope
        self.approval = approval
        self.valid = scope.valid(approval)
        self.days_left = (approval.expires - scope.as_of).days if approval.expires else math.inf
        self.relied_on = relied_on


class SpecContext(Context):
    def __init__(self, scope: Scope) -> None:
        self.scope = scope


# the context of each subject kind's rules
CONTEXTS: dict[str, type[Context]] = {
    "flow": FlowContext,
    "system": SystemContext,
    "dataset": DatasetContext,
    "approval": ApprovalContext,
    "spec": SpecContext,
}
