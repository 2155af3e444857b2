"""Evaluate compiled rules against a resolved spec and produce findings.

Facts that do not depend on the dataset (systems, flows' own approvals) are computed once;
facts that do (lineage views, approval coverage along the path) are computed when a rule
asks for them. A flow rule that tests dataset or transfer facts runs on every crossing of a
flow by a dataset (see propagation); any other flow rule runs once per flow, on the flows a fact
it needs present can be found on (_by_index: expiry only where approvals are listed). A per-dataset
rule's dataset-only tests run first, once per dataset (_DatasetFilter), so a flow only meets the
rules that can still fire for the data it carries. Everything that depends on where a dataset
went is done while it is followed (_DatasetWalk), not kept for later.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from operator import attrgetter

from checker.errors import DlcError
from checker.evaluate.propagation import Crossing, Reach, State
from checker.language.facts import FACTS
from checker.language.rules import CompiledRule
from checker.language.tally import Count, Tally, describe_flows
from checker.model import Approval, Flow
from checker.report.findings import Finding
from checker.resolve.resolver import Resolved


class EvaluationError(DlcError):
    """A rule that could not be evaluated: the run must not pass."""


# --- facts computed once per spec ----------------------------------------------------------

_NOTHING: frozenset = frozenset()   # the one empty set that facts with nothing in them share
# Built once and never changed; slotted rather than frozen, which costs a second per million.

@dataclass(slots=True)
class SystemFacts:
    id: str
    kind: str
    country: str
    certifications: frozenset
    licences: frozenset            # kinds of valid approvals the system lists that name it or its country
    invalid_approvals: frozenset   # approvals it lists that are expired or not yet valid
    accelerators: frozenset        # catalog ids of its accelerators
    accelerator_eccns: frozenset   # their classifications ("unknown" for models not in the catalog)
    ear_accelerator_eccns: frozenset   # the classifications of those subject to the EAR by origin (or unknown)
    foreign_accelerators: frozenset    # catalog ids of those of a known non-US origin
    unknown_accelerators: frozenset
    accelerator_count: int
    model_year: float              # of the connected vehicles the system is; inf where it is none
    component_functions: frozenset
    # countries the suppliers of its components of each function are controlled from ("unknown" where not given)
    vcs_hardware_from: frozenset
    vcs_software_from: frozenset
    ads_software_from: frozenset


@dataclass(slots=True)
class FlowState:
    invalid_approvals: frozenset
    days_left: float               # until the first listed valid approval expires


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
    unclassified: bool             # it, or an ancestor it inherits from, was never classified


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
        self.derived = [ident for ident in self.order if self.datasets[ident].derived_from]   # parents first
        self.flow_states: dict[str, FlowState] = {}   # flow id -> state, for flows a rule asks about
        self.systems: dict[str, SystemFacts] = {}      # set by evaluate once worked out
        self.tallies: dict[str, Count] = {}            # tally key -> count, for rules that count exports
        # lift -> dataset id -> view, for every lift a rule asks for (facts.py reads it directly)
        unlifted = self._views(frozenset(), None)
        self.lifted = {lift: self._views(lift, unlifted) if lift else unlifted for lift in {frozenset(), *lifts}}

    def tally(self, tally: Tally) -> Count:
        """The rule's count of exports (language/tally.py), made the first time a rule reads it."""
        count = self.tallies.get(tally.key)
        if count is None:
            count = self.tallies[tally.key] = _count(self, tally)
        return count

    def valid(self, approval: Approval) -> bool:
        return (approval.valid_from is None or approval.valid_from <= self.as_of) and \
            (approval.expires is None or self.as_of < approval.expires)

    def _views(self, lift: frozenset, unlifted: dict[str, DatasetView] | None) -> dict[str, DatasetView]:
        """Every dataset's view under `lift`. Only derived data can look different under a lift:
        a lifted table starts as a copy of the unlifted one and recomputes just those. One origin
        country is one shared set."""
        views = dict(unlifted or {})
        origin, categories, unknown = self.resolved.origin, self.resolved.categories, self.resolved.unclassified
        countries: dict[str | None, frozenset] = {None: frozenset()}
        for ident in self.order if unlifted is None else self.derived:
            dataset = self.datasets[ident]
            own = origin[ident]
            own_origins = countries.get(own) or countries.setdefault(own, frozenset((own,)))
            if not dataset.derived_from:
                views[ident] = DatasetView(
                    ident, own_origins, categories[ident], bool(dataset.important),
                    math.inf if dataset.subjects is None else dataset.subjects, dataset.transform, False,
                    ident in unknown)
                continue
            parents = [views[p] for p in dataset.derived_from]
            inherited = () if dataset.transform in lift else parents
            views[ident] = DatasetView(
                id=ident, origins=own_origins.union(*(p.origins for p in inherited)),
                categories=categories[ident].union(*(p.categories for p in inherited)),
                important=bool(dataset.important) or any(p.important for p in inherited),
                subjects=dataset.subjects if dataset.subjects is not None else max(p.subjects for p in parents),
                transform=dataset.transform, derived=True,
                unclassified=any(p.unclassified for p in inherited))
        return views


def _count(scope: Scope, tally: Tally) -> Count:
    """Every dataset some flow exports (the tally's `exports` on the flow carrying it), added once;
    not added again when its individuals are among those of a counted dataset (see tally.py)."""
    selected = frozenset(ident for ident in scope.order if tally.dataset_test(DatasetContext(scope, ident)))
    ctx = FlowContext(scope, scope.systems)
    exported: dict[str, list[str]] = defaultdict(list)   # dataset id -> flows exporting it
    for flow in scope.resolved.spec.flows:
        if selected.isdisjoint(flow.datasets):   # most flows carry nothing the count is about
            continue
        ctx.at(flow, _NOTHING, None)
        for dataset_id in selected.intersection(flow.datasets):
            ctx.dataset_id = dataset_id
            if tally.crossing_test(ctx):
                exported[dataset_id].append(flow.id)
    datasets = scope.datasets
    covered: dict[str, bool] = {}   # dataset id -> its individuals are among a counted dataset's

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
                covered[node] = any(parent in exported or covered[parent]
                                    for parent in _supersets(datasets[node], tally.lineage)
                                    if (node, parent) not in cut)
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


_CONTROLLED = ("vcs-hardware", "vcs-software", "ads-software")   # functions whose suppliers' control rules test
_NO_VEHICLE = {"model_year": math.inf, "component_functions": _NOTHING,
               **{f"{function.replace('-', '_')}_from": _NOTHING for function in _CONTROLLED}}


def _vehicle_facts(system, resolved: Resolved) -> dict:
    """The SystemFacts fields of connected vehicles and their supply chain."""
    controls: dict[str, set] = defaultdict(set)
    for function, country in resolved.components.get(system.id, ()):
        controls[function].add(country or "unknown")
    return {"model_year": system.vehicle.model_year if system.vehicle else math.inf,
            "component_functions": frozenset(controls) or _NOTHING,
            **{f"{function.replace('-', '_')}_from": frozenset(controls[function]) or _NOTHING
               for function in _CONTROLLED}}


def _system_facts(resolved: Resolved, scope: Scope) -> dict[str, SystemFacts]:
    out = {}
    for system in resolved.spec.systems:
        country = resolved.country[system.id]
        hardware = resolved.hardware[system.id]
        vehicle = _vehicle_facts(system, resolved) if system.vehicle or system.components else _NO_VEHICLE
        if not (system.approvals or hardware or system.certifications):   # most systems: nothing to work out
            out[system.id] = SystemFacts(system.id, system.kind, country, *(_NOTHING,) * 8, 0, **vehicle)   # eight empty sets
            continue
        listed = [scope.approvals[a] for a in system.approvals]
        out[system.id] = SystemFacts(   # `or _NOTHING`: one shared empty set, not one per system
            id=system.id, kind=system.kind, country=country,
            certifications=frozenset(system.certifications) or _NOTHING,
            licences=frozenset(a.kind for a in listed if scope.valid(a) and (
                system.id in a.systems or country in resolved.destinations[a.id])) or _NOTHING,
            invalid_approvals=frozenset(a.id for a in listed if not scope.valid(a)) or _NOTHING,
            accelerators=frozenset(entry.id for _, _, entry in hardware if entry) or _NOTHING,
            accelerator_eccns=frozenset(entry.eccn if entry else "unknown" for _, _, entry in hardware) or _NOTHING,
            ear_accelerator_eccns=frozenset(entry.eccn if entry else "unknown" for _, _, entry in hardware
                                            if entry is None or entry.us_origin) or _NOTHING,
            foreign_accelerators=frozenset(entry.id for _, _, entry in hardware
                                           if entry and not entry.us_origin) or _NOTHING,
            unknown_accelerators=frozenset(model for model, _, entry in hardware if entry is None) or _NOTHING,
            accelerator_count=sum(count for _, count, _ in hardware), **vehicle)
    return out


_NO_APPROVALS = FlowState(_NOTHING, math.inf)


def _flow_state(flow: Flow, scope: Scope) -> FlowState:
    if not flow.approvals:
        return _NO_APPROVALS
    state = scope.flow_states.get(flow.id)
    if state is None:
        listed = [scope.approvals[a] for a in flow.approvals]
        days = [(a.expires - scope.as_of).days for a in listed if scope.valid(a) and a.expires]
        state = scope.flow_states[flow.id] = FlowState(
            frozenset(a.id for a in listed if not scope.valid(a)) or _NOTHING, min(days, default=math.inf))
    return state


# --- evaluation contexts: what a rule's facts read -------------------------------------------

class _Context:
    dataset_id: str | None = None


class FlowContext(_Context):
    """What a flow rule reads: a flow and, for a per-dataset rule, one crossing of it by the dataset.

    One context serves all the crossings of a dataset in turn (`at`): a finding takes its message
    and path when it is made, so nothing keeps a context past its crossing."""

    def __init__(self, scope: Scope, systems: dict[str, SystemFacts], reach: Reach | None = None) -> None:
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
                approval.kind for approval in (scope.approvals[a] for a in self.seen)
                if scope.valid(approval) and country in destinations[approval.id]
                and (not approval.purposes or purpose in approval.purposes))
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
            self._path = (self.flow.source, self.flow.target) if self.reach is None or self.came_from is None \
                else (*self.reach.path_to(self.came_from), self.flow.target)
        return self._path


class SystemContext(_Context):
    def __init__(self, scope: Scope, system: SystemFacts, dataset_id: str | None = None,
                 collected_here: bool = False, reach: Reach | None = None) -> None:
        self.scope = scope
        self.system = system
        self.dataset_id = dataset_id
        self.collected_here = collected_here
        self.reach = reach

    def path(self) -> tuple[str, ...]:
        """How the dataset got here (worked out only for a finding's message and report)."""
        return self.reach.first_path(self.system.id) if self.reach else ()


class DatasetContext(_Context):
    def __init__(self, scope: Scope, dataset_id: str, reached_countries: frozenset = _NOTHING,
                 held_countries: frozenset = _NOTHING) -> None:
        self.scope = scope
        self.dataset_id = dataset_id
        self.reached_countries = reached_countries
        self.held_countries = held_countries

    def path(self) -> tuple[str, ...]:
        return ()


class ApprovalContext(_Context):
    def __init__(self, scope: Scope, approval: Approval, relied_on: bool) -> None:
        self.scope = scope
        self.approval = approval
        self.valid = scope.valid(approval)
        self.days_left = (approval.expires - scope.as_of).days if approval.expires else math.inf
        self.relied_on = relied_on

    def path(self) -> tuple[str, ...]:
        return ()


class SpecContext(_Context):
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def path(self) -> tuple[str, ...]:
        return ()


# --- the engine --------------------------------------------------------------------------------

class _Findings:
    """Collects one finding per (rule, subject, dataset): the first way found is the one shown."""

    def __init__(self, resolved: Resolved) -> None:
        self.spec = resolved.spec
        self.seen: set[tuple] = set()   # (rule, subject, dataset) of the findings made since forget_keys
        self.violations: list[Finding] = []
        self.notices: list[Finding] = []

    def forget_keys(self) -> None:
        """Keys need keeping only while a finding could repeat one (memory: a million findings)."""
        self.seen.clear()

    def check(self, rule: CompiledRule, ctx, kind: str, subject: str, section: str) -> None:
        try:
            holds = rule.predicate(ctx)
        except _FAILURES as exc:
            raise _failed(rule, f"{kind} '{subject}'", exc) from None
        if holds:
            self.add(rule, ctx, kind, subject, section)

    def add(self, rule: CompiledRule, ctx, kind: str, subject: str, section: str) -> None:
        """A finding of `rule` on the subject, unless one was made already."""
        key = (rule.id, subject, ctx.dataset_id)
        if key in self.seen:
            return
        self.seen.add(key)
        file, line, column = self.spec.location_of(section, subject)
        finding = Finding(
            rule=rule.id, title=rule.title, severity="notice" if rule.notice else rule.severity,
            category=rule.category, subject_kind=kind, subject_id=subject, dataset=ctx.dataset_id,
            path=tuple(ctx.path()), message=rule.render(ctx), references=rule.references,
            remediation=rule.remediation, file=file, line=line, column=column)
        (self.notices if rule.notice else self.violations).append(finding)


_FAILURES = (TypeError, KeyError, AttributeError, ValueError)   # a rule that cannot be evaluated


def _failed(rule: CompiledRule, subject: str, exc: Exception) -> EvaluationError:
    return EvaluationError(f"rule {rule.id} could not be evaluated on {subject}: {exc}",
                           rule.definition.file, rule.definition.line)


def evaluate(resolved: Resolved, rules: list[CompiledRule], as_of: dt.date,
             progress=lambda message: None) -> tuple[list[Finding], list[Finding]]:
    """(violations, notices) of the rules in force on `as_of`; `progress` hears how far it is."""
    spec = resolved.spec
    in_force = [rule.at(as_of) for rule in rules if rule.in_force(as_of)]   # dated values resolved once
    by_kind: dict[tuple[str, bool], list[CompiledRule]] = defaultdict(list)
    for rule in in_force:
        by_kind[(rule.subject, rule.per_dataset)].append(rule)
    scope = Scope(resolved, as_of, {rule.lift for rule in in_force})
    findings = _Findings(resolved)
    systems = scope.systems = _system_facts(resolved, scope)

    for only_where, rules in _by_index(by_kind[("flow", False)], FACTS["flow"]).items():
        flows = spec.flows if only_where is None else filter(only_where, spec.flows)
        _run_flow_rules(FlowContext(scope, systems), _alone(flows), rules, findings)

    _DatasetWalk(scope, spec, systems, by_kind, findings).run(progress)
    for system in spec.systems if by_kind[("system", False)] else ():
        ctx: _Context = SystemContext(scope, systems[system.id])
        for rule in by_kind[("system", False)]:
            findings.check(rule, ctx, "system", system.id, "systems")

    approval_rules = by_kind[("approval", False)] + by_kind[("approval", True)]
    relied_on = set(chain.from_iterable(map(attrgetter("approvals"), chain(spec.flows, spec.systems)))) \
        if approval_rules else set()
    for approval in spec.approvals if approval_rules else ():
        ctx = ApprovalContext(scope, approval, approval.id in relied_on)
        for rule in approval_rules:
            findings.check(rule, ctx, "approval", approval.id, "approvals")

    for rule in by_kind[("spec", False)] + by_kind[("spec", True)]:
        findings.check(rule, SpecContext(scope), "spec", spec.name, "spec")
    return findings.violations, findings.notices


def _by_index(rules: list[CompiledRule], facts: dict) -> dict:
    """Rules grouped by a test of the subject that a fact they need present makes possible
    (facts.Fact.only_where), None for the rules that must see every subject: the expiry of a
    flow's approvals is looked at only on flows that list some."""
    groups: dict = {}
    for rule in rules:
        index = next((facts[name].only_where for name in sorted(rule.needs) if facts[name].only_where), None)
        groups.setdefault(index, []).append(rule)
    return groups


def _alone(flows: Iterable[Flow]) -> Iterable[Crossing]:
    """Each flow as a crossing of its own, for the rules that look at no dataset."""
    return zip(flows, repeat(_NOTHING), repeat(None))


def _run_flow_rules(ctx: FlowContext, crossings: Iterable[Crossing], rules: Sequence[CompiledRule],
                    findings: _Findings) -> None:
    """Flow rules on each crossing: a flow, the tracked approvals seen up to it, where it came from."""
    flow = rule = None
    try:
        for flow, seen, came_from in crossings:
            ctx.at(flow, seen, came_from)
            for rule in rules:
                if rule.predicate(ctx):
                    findings.add(rule, ctx, "flow", flow.id, "flows")
    except _FAILURES as exc:
        if rule is None or flow is None:   # not a rule's failure: the crossings' own
            raise
        raise _failed(rule, f"flow '{flow.id}'", exc) from None


class _DatasetWalk:
    """Each dataset in lineage order, followed along the flows that carry it: the per-dataset flow
    rules run on every crossing, then the per-dataset system rules on each system it reached and
    the dataset rules on where it went. A dataset's reach is kept only while data derived from it
    still needs it, so memory holds findings rather than every path of every dataset."""

    def __init__(self, scope: Scope, spec, systems: dict[str, SystemFacts], by_kind, findings: _Findings) -> None:
        self.scope, self.systems, self.findings = scope, systems, findings
        self.flow_rules = _DatasetFilter(scope, by_kind[("flow", True)])
        self.system_rules = _DatasetFilter(scope, by_kind[("system", True)])
        self.dataset_rules = _DatasetFilter(scope, by_kind[("dataset", True)] + by_kind[("dataset", False)])
        self.held_at = spec.held_at
        self.carrying: dict[str, list[Flow]] = defaultdict(list)
        for flow in sorted(spec.flows, key=attrgetter("id")):
            for dataset_id in flow.datasets:
                self.carrying[dataset_id].append(flow)
        named_by: dict[str, set] = defaultdict(set)
        for approval in spec.approvals:
            for dataset_id in approval.datasets:
                named_by[dataset_id].add(approval.id)
        self.naming = {dataset_id: frozenset(approvals) for dataset_id, approvals in named_by.items()}
        # dataset id -> how many datasets derived from it are still to follow
        self.children_left = Counter(parent for dataset in spec.datasets for parent in dataset.derived_from)
        self.tracked: dict[str, frozenset] = {}   # dataset id -> approvals that name it or an ancestor (parents)
        self.reaches: dict[str, Reach] = {}       # of datasets whose derived data is still to follow

    def run(self, progress) -> None:
        order = self.scope.order
        for done, dataset_id in enumerate(order):
            if done % _PROGRESS_EVERY == 0:
                progress(f"following datasets along flows: {done:,} of {len(order):,}")
            self._follow(self.scope.datasets[dataset_id])

    def _follow(self, dataset) -> None:
        ident = dataset.id
        self.findings.forget_keys()   # what is found from here on names this dataset: no earlier finding can repeat it
        named = self.naming.get(ident, _NOTHING)
        tracked = named.union(*map(self.tracked.__getitem__, dataset.derived_from)) if dataset.derived_from else named
        flows = self.carrying.pop(ident, None)   # each dataset is followed once
        home = None if flows else self.held_at.get(ident)   # data no flow carries, held by its store
        flow_rules = self.flow_rules(ident) if flows else ()
        system_rules = self.system_rules(ident) if flows or home else ()
        dataset_rules = self.dataset_rules(ident)
        follows = any(rule.follows for rule in dataset_rules)
        reach = None
        if flows and (flow_rules or system_rules or follows or ident in self.children_left):
            reach = self._reach(dataset, flows, tracked)
            self._cross(reach, flow_rules)
            self._at_systems(dataset, reach, system_rules)
        elif home and system_rules:   # collected where it is held
            ctx: _Context = SystemContext(self.scope, self.systems[home], ident, True)
            for rule in system_rules:
                self.findings.check(rule, ctx, "system", home, "systems")
        if ident in self.children_left:   # kept for the data derived from it
            self.tracked[ident] = tracked
            if reach:
                self.reaches[ident] = reach
        for parent in dataset.derived_from:   # its last child followed, a parent's walk is done with
            self.children_left[parent] -= 1
            if not self.children_left[parent]:
                del self.tracked[parent]
                self.reaches.pop(parent, None)
        if dataset_rules:
            at = [self.systems[s] for s in reach.systems] if reach else [self.systems[home]] if home else []
            ctx = DatasetContext(self.scope, ident, frozenset(s.country for s in at) or _NOTHING,
                                 frozenset(s.country for s in at if s.kind != "device-fleet") or _NOTHING)
            for rule in dataset_rules:
                self.findings.check(rule, ctx, "dataset", ident, "datasets")

    def _reach(self, dataset, flows: list[Flow], tracked: frozenset) -> Reach:
        came_with: dict[str, Reach] = {}   # a source the parent data reached -> the parent's reach
        for parent in dataset.derived_from:
            parent_reach = self.reaches.get(parent)
            if parent_reach is None:
                continue
            for flow in flows:
                if flow.source in parent_reach.systems:
                    came_with.setdefault(flow.source, parent_reach)
        collected_in, systems = self.scope.lifted[frozenset()][dataset.id].origins, self.systems
        return Reach(dataset.id, flows, tracked, came_with,
                     lambda source: source in came_with or systems[source].country in collected_in)

    def _cross(self, reach: Reach, rules: Sequence[CompiledRule]) -> None:
        if rules:
            _run_flow_rules(FlowContext(self.scope, self.systems, reach), reach.crossings(), rules, self.findings)
        else:
            for _ in reach.crossings():   # where it goes matters to other rules, or to its derived data
                pass

    def _at_systems(self, dataset, reach: Reach, rules: Sequence[CompiledRule]) -> None:
        roots = () if dataset.derived_from else set(reach.roots)   # derived data is never collected
        for system_id in sorted(reach.systems) if rules else ():
            ctx = SystemContext(self.scope, self.systems[system_id], dataset.id, system_id in roots, reach)
            for rule in rules:
                self.findings.check(rule, ctx, "system", system_id, "systems")

_PROGRESS_EVERY = 10_000    # datasets between two progress messages


class _DatasetFilter:
    """The per-dataset rules whose dataset-only tests a dataset passes: run once per dataset,
    so a flow or system only meets the rules that can still fire for what it holds, and a dataset
    rule that cannot fire never has the dataset followed for it."""

    def __init__(self, scope: Scope, rules: list[CompiledRule]) -> None:
        self.scope = scope
        self.rules = rules

    def __call__(self, dataset_id: str) -> list[CompiledRule]:
        if not self.rules:
            return self.rules
        ctx, passing = DatasetContext(self.scope, dataset_id), []
        try:
            for rule in self.rules:
                if rule.dataset_test(ctx):
                    passing.append(rule)
        except _FAILURES as exc:
            raise _failed(rule, f"dataset '{dataset_id}'", exc) from None
        return passing
