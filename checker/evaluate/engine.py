"""Evaluate compiled rules against a resolved spec and produce findings.

Facts that do not depend on the dataset (systems, flows' own approvals) are computed once;
facts that do (lineage views, approval coverage along the path) are computed when a rule
asks for them. A flow rule that tests dataset or transfer facts runs on every arrival of a
dataset at a flow (see propagation); any other flow rule runs once per flow. Such a per-dataset
rule's dataset-only tests run first, once per dataset (_DatasetFilter), so a flow only meets the
rules that can still fire for the data it carries.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict, deque
from dataclasses import dataclass

from checker.errors import DlcError
from checker.evaluate.propagation import Arrival, Reach
from checker.language.rules import CompiledRule
from checker.model import Approval, Flow
from checker.report.findings import Finding
from checker.resolve.resolver import Resolved


class EvaluationError(DlcError):
    """A rule that could not be evaluated: the run must not pass."""


# --- facts computed once per spec ----------------------------------------------------------

@dataclass(frozen=True)
class SystemFacts:
    id: str
    kind: str
    country: str
    certifications: frozenset
    licences: frozenset            # kinds of valid approvals the system lists that name it or its country
    invalid_approvals: frozenset   # approvals it lists that are expired or not yet valid
    accelerators: frozenset        # catalog ids of its accelerators
    accelerator_eccns: frozenset   # their classifications ("unknown" for models not in the catalog)
    unknown_accelerators: frozenset
    accelerator_count: int


@dataclass(frozen=True)
class FlowState:
    invalid_approvals: frozenset
    days_left: float               # until the first listed valid approval expires


@dataclass(frozen=True)
class DatasetView:
    """A dataset's effective facts through its lineage, for one set of lifting transforms."""

    id: str
    origins: frozenset
    categories: frozenset
    important: bool
    subjects: float
    transform: str
    derived: bool


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
        # lift -> dataset id -> view, for every lift a rule asks for (facts.py reads it directly)
        self.lifted = {lift: self._views(lift) for lift in {frozenset(), *lifts}}

    def valid(self, approval: Approval) -> bool:
        return (approval.valid_from is None or approval.valid_from <= self.as_of) and \
            (approval.expires is None or self.as_of < approval.expires)

    def _views(self, lift: frozenset) -> dict[str, DatasetView]:
        views: dict[str, DatasetView] = {}
        for ident in self.order:
            views[ident] = self._view(self.datasets[ident], lift, views)
        return views

    def _view(self, dataset, lift: frozenset, views: dict[str, DatasetView]) -> DatasetView:
        parents = [views[p] for p in dataset.derived_from]
        inherited = [] if dataset.transform in lift else parents
        own_origin = self.resolved.origin[dataset.id]
        subjects = dataset.subjects if dataset.subjects is not None else \
            max((p.subjects for p in parents), default=math.inf)
        return DatasetView(
            id=dataset.id,
            origins=frozenset({own_origin} if own_origin else ()).union(*(p.origins for p in inherited)),
            categories=self.resolved.categories[dataset.id].union(*(p.categories for p in inherited)),
            important=bool(dataset.important) or any(p.important for p in inherited),
            subjects=subjects, transform=dataset.transform, derived=bool(dataset.derived_from))


def _lineage_order(datasets) -> list[str]:
    """Dataset ids with every parent before its children (lineage is acyclic once loaded)."""
    children = defaultdict(list)
    waiting = {}
    for dataset in datasets:
        waiting[dataset.id] = len(dataset.derived_from)
        for parent in dataset.derived_from:
            children[parent].append(dataset.id)
    ready = deque(sorted(i for i, n in waiting.items() if n == 0))
    order = []
    while ready:
        ident = ready.popleft()
        order.append(ident)
        for child in children[ident]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    return order


def _system_facts(resolved: Resolved, scope: Scope) -> dict[str, SystemFacts]:
    out = {}
    for system in resolved.spec.systems:
        country = resolved.country[system.id]
        listed = [scope.approvals[a] for a in system.approvals]
        hardware = resolved.hardware[system.id]
        out[system.id] = SystemFacts(
            id=system.id, kind=system.kind, country=country,
            certifications=frozenset(system.certifications),
            licences=frozenset(a.kind for a in listed if scope.valid(a) and (
                system.id in a.systems or country in resolved.destinations[a.id])),
            invalid_approvals=frozenset(a.id for a in listed if not scope.valid(a)),
            accelerators=frozenset(entry.id for _, _, entry in hardware if entry),
            accelerator_eccns=frozenset(entry.eccn if entry else "unknown" for _, _, entry in hardware),
            unknown_accelerators=frozenset(model for model, _, entry in hardware if entry is None),
            accelerator_count=sum(count for _, count, _ in hardware))
    return out


def _flow_state(flow: Flow, scope: Scope) -> FlowState:
    listed = [scope.approvals[a] for a in flow.approvals]
    days = [(a.expires - scope.as_of).days for a in listed if scope.valid(a) and a.expires]
    return FlowState(frozenset(a.id for a in listed if not scope.valid(a)), min(days, default=math.inf))


# --- evaluation contexts: what a rule's facts read -------------------------------------------

class _Context:
    dataset_id: str | None = None


class FlowContext(_Context):
    def __init__(self, scope: Scope, flow: Flow, state: FlowState, systems: dict[str, SystemFacts],
                 arrival: Arrival | None = None) -> None:
        self.scope = scope
        self.flow = flow
        self.flow_state = state
        self.source = systems[flow.source]
        self.destination = systems[flow.target]
        self.arrival = arrival
        self.dataset_id = arrival.reach.dataset if arrival else None
        self._mechanisms = None

    def mechanisms(self) -> frozenset:
        """Kinds of valid approvals on the path that cover this dataset, destination and purpose."""
        if self._mechanisms is None:
            scope, country, purpose = self.scope, self.destination.country, self.flow.purpose
            destinations = scope.resolved.destinations
            self._mechanisms = frozenset(
                approval.kind for approval in (scope.approvals[a] for a in self.arrival.approvals)
                if scope.valid(approval) and country in destinations[approval.id]
                and (not approval.purposes or purpose in approval.purposes))
        return self._mechanisms

    @property
    def hops(self) -> int:
        return self.arrival.hops

    def path(self) -> tuple[str, ...]:
        return self.arrival.path() if self.arrival else (self.flow.source, self.flow.target)


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
    def __init__(self, scope: Scope, dataset_id: str, reached_countries: frozenset = frozenset()) -> None:
        self.scope = scope
        self.dataset_id = dataset_id
        self.reached_countries = reached_countries

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
        self.seen: set[tuple] = set()
        self.violations: list[Finding] = []
        self.notices: list[Finding] = []

    def check(self, rule: CompiledRule, ctx, kind: str, subject: str, section: str) -> None:
        key = (rule.id, subject, ctx.dataset_id)
        if key in self.seen:
            return
        if not _holds(rule, rule.predicate, ctx, f"{kind} '{subject}'"):
            return
        self.seen.add(key)
        file, line, column = self.spec.location_of(section, subject)
        finding = Finding(
            rule=rule.id, title=rule.title, severity="info" if rule.notice else rule.severity,
            category=rule.category, subject_kind=kind, subject_id=subject, dataset=ctx.dataset_id,
            path=tuple(ctx.path()), message=rule.render(ctx), references=rule.references,
            remediation=rule.remediation, file=file, line=line, column=column)
        (self.notices if rule.notice else self.violations).append(finding)


def _holds(rule: CompiledRule, test, ctx, subject: str) -> bool:
    try:
        return test(ctx)
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        raise EvaluationError(f"rule {rule.id} could not be evaluated on {subject}: {exc}",
                              rule.definition.file, rule.definition.line) from None


def evaluate(resolved: Resolved, rules: list[CompiledRule], as_of: dt.date,
             progress=lambda message: None) -> tuple[list[Finding], list[Finding]]:
    """(violations, notices) of the rules in force on `as_of`; `progress` hears how far it is."""
    spec = resolved.spec
    in_force = [rule for rule in rules if rule.in_force(as_of)]
    by_kind: dict[tuple[str, bool], list[CompiledRule]] = defaultdict(list)
    for rule in in_force:
        by_kind[(rule.subject, rule.per_dataset)].append(rule)
    scope = Scope(resolved, as_of, {rule.lift for rule in in_force})
    findings = _Findings(resolved)
    systems = _system_facts(resolved, scope)
    flow_states = {flow.id: _flow_state(flow, scope) for flow in spec.flows}

    if by_kind[("flow", False)]:
        for flow in spec.flows:
            ctx = FlowContext(scope, flow, flow_states[flow.id], systems)
            for rule in by_kind[("flow", False)]:
                findings.check(rule, ctx, "flow", flow.id, "flows")

    presence = _follow_datasets(scope, spec, systems, flow_states, by_kind[("flow", True)], findings, progress)
    system_rules_for = _DatasetFilter(scope, by_kind[("system", True)])

    for system in spec.systems:
        facts = systems[system.id]
        for rule in by_kind[("system", False)]:
            findings.check(rule, SystemContext(scope, facts), "system", system.id, "systems")
        if not system_rules_for.rules:
            continue
        for dataset_id, (collected_here, reach) in sorted(presence[system.id].items()):
            ctx = SystemContext(scope, facts, dataset_id, collected_here, reach)
            for rule in system_rules_for(dataset_id):
                findings.check(rule, ctx, "system", system.id, "systems")

    reached: dict[str, set] = defaultdict(set)
    for system_id, datasets in presence.items():
        for dataset_id in datasets:
            reached[dataset_id].add(systems[system_id].country)
    for dataset in spec.datasets:
        ctx = DatasetContext(scope, dataset.id, frozenset(reached[dataset.id]))
        for rule in by_kind[("dataset", True)] + by_kind[("dataset", False)]:
            findings.check(rule, ctx, "dataset", dataset.id, "datasets")

    relied_on = {a for flow in spec.flows for a in flow.approvals} | {a for s in spec.systems for a in s.approvals}
    for approval in spec.approvals:
        ctx = ApprovalContext(scope, approval, approval.id in relied_on)
        for rule in by_kind[("approval", False)] + by_kind[("approval", True)]:
            findings.check(rule, ctx, "approval", approval.id, "approvals")

    for rule in by_kind[("spec", False)] + by_kind[("spec", True)]:
        findings.check(rule, SpecContext(scope), "spec", spec.name, "spec")
    return findings.violations, findings.notices


def _follow_datasets(scope: Scope, spec, systems, flow_states, rules: list[CompiledRule],
                     findings: _Findings, progress) -> dict[str, dict[str, tuple[bool, Reach]]]:
    """Run per-dataset flow rules on every arrival; return where each dataset is present."""
    carrying: dict[str, list[Flow]] = defaultdict(list)
    for flow in spec.flows:
        for dataset_id in flow.datasets:
            carrying[dataset_id].append(flow)
    naming: dict[str, set] = defaultdict(set)
    for approval in spec.approvals:
        for dataset_id in approval.datasets:
            naming[dataset_id].add(approval.id)
    tracked: dict[str, frozenset] = {}
    reaches: dict[str, Reach] = {}
    rules_for = _DatasetFilter(scope, rules)
    presence: dict[str, dict[str, tuple[bool, Reach]]] = {s.id: {} for s in spec.systems}
    for done, dataset_id in enumerate(scope.order):
        if done % _PROGRESS_EVERY == 0:
            progress(f"following datasets along flows: {done:,} of {len(scope.order):,}")
        dataset = scope.datasets[dataset_id]
        tracked[dataset_id] = frozenset(naming[dataset_id]).union(
            *(tracked[p] for p in dataset.derived_from))
        flows = carrying.get(dataset_id, [])
        came_with: dict[str, Reach] = {}   # a source the parent data reached -> the parent's reach
        sources = {f.source for f in flows}
        for parent in dataset.derived_from:
            parent_reach = reaches.get(parent)
            for root in sources:
                if parent_reach and root in parent_reach.systems and root not in came_with:
                    came_with[root] = parent_reach
        origins = scope.lifted[frozenset()][dataset_id].origins
        preferred = frozenset(came_with) | {f.source for f in flows if systems[f.source].country in origins}
        reach = reaches[dataset_id] = Reach(dataset_id, flows, tracked[dataset_id], came_with, preferred)
        candidates = rules_for(dataset_id)
        for arrival in reach.arrivals():
            if candidates:
                flow = arrival.flow
                ctx = FlowContext(scope, flow, flow_states[flow.id], systems, arrival)
                for rule in candidates:
                    findings.check(rule, ctx, "flow", flow.id, "flows")
        roots = set(reach.roots)
        for system_id in reach.systems:
            presence[system_id][dataset_id] = (system_id in roots and not dataset.derived_from, reach)
    return presence


_PROGRESS_EVERY = 10_000    # datasets between two progress messages


class _DatasetFilter:
    """The per-dataset rules whose dataset-only tests a dataset passes: run once per dataset,
    so a flow or system only meets the rules that can still fire for what it holds."""

    def __init__(self, scope: Scope, rules: list[CompiledRule]) -> None:
        self.scope = scope
        self.rules = rules
        self.passing: dict[str, list[CompiledRule]] = {}

    def __call__(self, dataset_id: str) -> list[CompiledRule]:
        rules = self.passing.get(dataset_id)
        if rules is None:
            ctx = DatasetContext(self.scope, dataset_id)
            rules = self.passing[dataset_id] = [
                rule for rule in self.rules if _holds(rule, rule.dataset_test, ctx, f"dataset '{dataset_id}'")]
        return rules
