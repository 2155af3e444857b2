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
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from itertools import chain, repeat
from operator import attrgetter

from checker.errors import DlcError
from checker.evaluate.propagation import Crossing, Reach
from checker.findings import Finding
from checker.language.contexts import (
    _NOTHING,
    ApprovalContext,
    Context,
    DatasetContext,
    FlowContext,
    Scope,
    SpecContext,
    SystemContext,
    SystemFacts,
)
from checker.language.facts import FACTS
from checker.language.rules import CompiledRule
from checker.model import Flow
from checker.resolve.resolver import Resolved


class EvaluationError(DlcError):
    """A rule that could not be evaluated on a subject: that rule's error, reported with the other
    rules' findings; the run must not pass."""


def _system_facts(resolved: Resolved, scope: Scope) -> dict[str, SystemFacts]:
    out = {}
    for system in resolved.spec.systems:
        country = resolved.country[system.id]
        hardware = resolved.hardware[system.id]
        if not (
            system.approvals
            or hardware
            or system.certifications
            or system.vehicle
            or system.components
        ):
            # most systems
            out[system.id] = SystemFacts(id=system.id, kind=system.kind, country=country)
            continue
        listed = [scope.approvals[a] for a in system.approvals]
        controls = _supply_chain(system, resolved)
        out[system.id] = SystemFacts(  # `or _NOTHING`: one shared empty set, not one per system
            id=system.id,
            kind=system.kind,
            country=country,
            certifications=frozenset(system.certifications) or _NOTHING,
            licences=frozenset(
                a.kind
                for a in listed
                if scope.valid(a)
                and (system.id in a.systems or country in resolved.destinations[a.id])
            )
            or _NOTHING,
            invalid_approvals=frozenset(a.id for a in listed if not scope.valid(a)) or _NOTHING,
            accelerators=frozenset(entry.id for _, _, entry in hardware if entry) or _NOTHING,
            accelerator_eccns=frozenset(
                entry.eccn if entry else "unknown" for _, _, entry in hardware
            )
            or _NOTHING,
            ear_accelerator_eccns=frozenset(
                entry.eccn if entry else "unknown"
                for _, _, entry in hardware
                if entry is None or entry.us_origin
            )
            or _NOTHING,
            foreign_accelerators=frozenset(
                entry.id for _, _, entry in hardware if entry and not entry.us_origin
            )
            or _NOTHING,
            unknown_accelerators=frozenset(model for model, _, entry in hardware if entry is None)
            or _NOTHING,
            accelerator_count=sum(count for _, count, _ in hardware),
            model_year=system.vehicle.model_year if system.vehicle else math.inf,
            component_functions=frozenset(controls) or _NOTHING,
            vcs_hardware_from=controls.get("vcs-hardware", _NOTHING),
            vcs_software_from=controls.get("vcs-software", _NOTHING),
            ads_software_from=controls.get("ads-software", _NOTHING),
        )
    return out


def _supply_chain(system, resolved: Resolved) -> dict[str, frozenset]:
    """Component function -> the countries its suppliers are controlled from ("unknown" where not given)."""
    controls: dict[str, set] = defaultdict(set)
    for function, country in resolved.components.get(system.id, ()):
        controls[function].add(country or "unknown")
    return {function: frozenset(countries) for function, countries in controls.items()}


# --- the engine --------------------------------------------------------------------------------


class _Findings:
    """Collects one finding per (rule, subject, dataset): the first way found is the one shown."""

    def __init__(self, resolved: Resolved) -> None:
        self.spec = resolved.spec
        # (rule, subject, dataset) of the findings made since forget_keys
        self.seen: set[tuple] = set()
        self.violations: list[Finding] = []
        self.notices: list[Finding] = []
        self.failures: dict[
            str, tuple[CompiledRule, str, Exception]
        ] = {}  # rule id -> its first failure
        # rule id -> times it failed (a flow once per dataset crossing it)
        self.failed: Counter = Counter()

    def fail(
        self, rule: CompiledRule, kind: str, subject: str, section: str, exc: Exception
    ) -> None:
        """A rule that raised on a subject: the rule goes on with the others, and the others' findings
        stand; its first failure (where the subject is written) is its error."""
        self.failed[rule.id] += 1
        if rule.id not in self.failures:
            file, line, _ = self.spec.location_of(section, subject)
            where = f" ({file}:{line})" if file and line else ""
            self.failures[rule.id] = (rule, f"{kind} '{subject}'{where}", exc)

    def errors(self) -> list[EvaluationError]:
        """One error per rule that failed, saying how many more times it failed."""
        out = []
        for rule_id, (rule, subject, exc) in self.failures.items():
            more = self.failed[rule_id] - 1
            out.append(
                _failed(rule, subject + (f" and {more:,} more time(s)" if more else ""), exc)
            )
        return out

    def forget_keys(self) -> None:
        """Keys need keeping only while a finding could repeat one (memory: a million findings)."""
        self.seen.clear()

    def check(self, rule: CompiledRule, ctx, kind: str, subject: str, section: str) -> None:
        try:
            if rule.predicate(ctx):
                self.add(rule, ctx, kind, subject, section)
        except _FAILURES as exc:
            self.fail(rule, kind, subject, section, exc)

    def add(self, rule: CompiledRule, ctx, kind: str, subject: str, section: str) -> None:
        """A finding of `rule` on the subject, unless one was made already."""
        key = (rule.id, subject, ctx.dataset_id)
        if key in self.seen:
            return
        self.seen.add(key)
        file, line, column = self.spec.location_of(section, subject)
        finding = Finding(
            rule=rule.id,
            title=rule.title,
            severity="notice" if rule.notice else rule.severity,
            category=rule.category,
            subject_kind=kind,
            subject_id=subject,
            dataset=ctx.dataset_id,
            path=tuple(ctx.path()),
            message=rule.render(ctx),
            references=rule.references,
            remediation=rule.remediation,
            file=file,
            line=line,
            column=column,
        )
        (self.notices if rule.notice else self.violations).append(finding)


# a rule that cannot be evaluated (a fact of an unexpected type or missing, a template's field)
_FAILURES = (TypeError, LookupError, AttributeError, ValueError, ArithmeticError)


def _failed(rule: CompiledRule, subject: str, exc: Exception) -> EvaluationError:
    return EvaluationError(
        f"rule {rule.id} could not be evaluated on {subject}: {type(exc).__name__}: {exc}",
        rule.definition.file,
        rule.definition.line,
    )


def evaluate(
    resolved: Resolved, rules: list[CompiledRule], as_of: dt.date, progress=lambda message: None
) -> tuple[list[Finding], list[Finding], list[EvaluationError]]:
    """(violations, notices, errors) of the rules in force on `as_of`; `progress` hears how far it is.
    A rule that cannot be evaluated on a subject is one of the errors; the other rules' findings stand."""
    spec = resolved.spec
    in_force = [
        rule.at(as_of) for rule in rules if rule.in_force(as_of)
    ]  # dated values resolved once
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
        ctx: Context = SystemContext(scope, systems[system.id])
        for rule in by_kind[("system", False)]:
            findings.check(rule, ctx, "system", system.id, "systems")

    approval_rules = by_kind[("approval", False)] + by_kind[("approval", True)]
    relied_on = (
        set(chain.from_iterable(map(attrgetter("approvals"), chain(spec.flows, spec.systems))))
        if approval_rules
        else set()
    )
    for approval in spec.approvals if approval_rules else ():
        ctx = ApprovalContext(scope, approval, approval.id in relied_on)
        for rule in approval_rules:
            findings.check(rule, ctx, "approval", approval.id, "approvals")

    for rule in by_kind[("spec", False)] + by_kind[("spec", True)]:
        findings.check(rule, SpecContext(scope), "spec", spec.name, "spec")
    return findings.violations, findings.notices, findings.errors()


def _by_index(rules: list[CompiledRule], facts: dict) -> dict:
    """Rules grouped by a test of the subject that a fact they need present makes possible
    (facts.Fact.only_where), None for the rules that must see every subject: the expiry of a
    flow's approvals is looked at only on flows that list some."""
    groups: dict = {}
    for rule in rules:
        index = next(
            (facts[name].only_where for name in sorted(rule.needs) if facts[name].only_where), None
        )
        groups.setdefault(index, []).append(rule)
    return groups


def _alone(flows: Iterable[Flow]) -> Iterable[Crossing]:
    """Each flow as a crossing of its own, for the rules that look at no dataset."""
    return zip(flows, repeat(_NOTHING), repeat(None))


def _run_flow_rules(
    ctx: FlowContext,
    crossings: Iterable[Crossing],
    rules: Sequence[CompiledRule],
    findings: _Findings,
) -> None:
    """Flow rules on each crossing: a flow, the tracked approvals seen up to it, where it came from.
    A rule that raises is reported and the crossing goes on with the rules after it; the `try`
    stands outside the loops, so the crossings pay nothing for it."""
    crossings = iter(crossings)
    flow: Flow | None = None
    rule: CompiledRule | None = None
    while True:
        try:
            for flow, seen, came_from in crossings:
                ctx.at(flow, seen, came_from)
                for rule in rules:
                    if rule.predicate(ctx):
                        findings.add(rule, ctx, "flow", flow.id, "flows")
            return
        except _FAILURES as exc:
            if rule is None or flow is None:  # not a rule's failure: the crossings' own
                raise
            findings.fail(rule, "flow", flow.id, "flows", exc)
            for later in rules[
                rules.index(rule) + 1 :
            ]:  # they still see the crossing; then on to the next
                findings.check(later, ctx, "flow", flow.id, "flows")


class _DatasetWalk:
    """Each dataset in lineage order, followed along the flows that carry it: the per-dataset flow
    rules run on every crossing, then the per-dataset system rules on each system it reached and
    the dataset rules on where it went. A dataset's reach is kept only while data derived from it
    still needs it, so memory holds findings rather than every path of every dataset (following
    each dataset once, against a reach kept per dataset: default policy at 1M flows 88.9 s / 7.5 GB
    -> 46.5 s / 2.3 GB, benchmarks/README.md)."""

    def __init__(
        self, scope: Scope, spec, systems: dict[str, SystemFacts], by_kind, findings: _Findings
    ) -> None:
        self.scope, self.systems, self.findings = scope, systems, findings
        self.flow_rules = _DatasetFilter(scope, by_kind[("flow", True)], findings)
        self.system_rules = _DatasetFilter(scope, by_kind[("system", True)], findings)
        self.dataset_rules = _DatasetFilter(
            scope, by_kind[("dataset", True)] + by_kind[("dataset", False)], findings
        )
        self.held_at = spec.held_at
        self.carrying: dict[str, list[Flow]] = defaultdict(list)
        for flow in sorted(spec.flows, key=attrgetter("id")):
            for dataset_id in flow.datasets:
                self.carrying[dataset_id].append(flow)
        named_by: dict[str, set] = defaultdict(set)
        for approval in spec.approvals:
            for dataset_id in approval.datasets:
                named_by[dataset_id].add(approval.id)
        self.naming = {
            dataset_id: frozenset(approvals) for dataset_id, approvals in named_by.items()
        }
        # dataset id -> how many datasets derived from it are still to follow
        self.children_left = Counter(
            parent for dataset in spec.datasets for parent in dataset.derived_from
        )
        self.tracked: dict[
            str, frozenset
        ] = {}  # dataset id -> approvals that name it or an ancestor (parents)
        self.reaches: dict[str, Reach] = {}  # of datasets whose derived data is still to follow

    def run(self, progress) -> None:
        order = self.scope.order
        for done, dataset_id in enumerate(order):
            if done % _PROGRESS_EVERY == 0:
                progress(f"following datasets along flows: {done:,} of {len(order):,}")
            self._follow(self.scope.datasets[dataset_id])

    def _follow(self, dataset) -> None:
        ident = dataset.id
        self.findings.forget_keys()  # what is found from here on names this dataset: no earlier finding can repeat it
        named = self.naming.get(ident, _NOTHING)
        tracked = (
            named.union(*map(self.tracked.__getitem__, dataset.derived_from))
            if dataset.derived_from
            else named
        )
        flows = self.carrying.pop(ident, None)  # each dataset is followed once
        home = None if flows else self.held_at.get(ident)  # data no flow carries, held by its store
        flow_rules = self.flow_rules(ident) if flows else ()
        system_rules = self.system_rules(ident) if flows or home else ()
        dataset_rules = self.dataset_rules(ident)
        follows = any(rule.follows for rule in dataset_rules)
        reach = None
        if flows and (flow_rules or system_rules or follows or ident in self.children_left):
            reach = self._reach(dataset, flows, tracked)
            self._cross(reach, flow_rules)
            self._at_systems(dataset, reach, system_rules)
        elif home and system_rules:  # collected where it is held
            ctx: Context = SystemContext(self.scope, self.systems[home], ident, True)
            for rule in system_rules:
                self.findings.check(rule, ctx, "system", home, "systems")
        if ident in self.children_left:  # kept for the data derived from it
            self.tracked[ident] = tracked
            if reach:
                self.reaches[ident] = reach
        for parent in dataset.derived_from:  # its last child followed, a parent's walk is done with
            self.children_left[parent] -= 1
            if not self.children_left[parent]:
                del self.tracked[parent]
                self.reaches.pop(parent, None)
        if dataset_rules:
            at = (
                [self.systems[s] for s in reach.systems]
                if reach
                else [self.systems[home]]
                if home
                else []
            )
            ctx = DatasetContext(
                self.scope,
                ident,
                frozenset(s.country for s in at) or _NOTHING,
                frozenset(s.country for s in at if s.kind != "device-fleet") or _NOTHING,
            )
            for rule in dataset_rules:
                self.findings.check(rule, ctx, "dataset", ident, "datasets")

    def _reach(self, dataset, flows: list[Flow], tracked: frozenset) -> Reach:
        came_with: dict[str, Reach] = {}  # a source the parent data reached -> the parent's reach
        for parent in dataset.derived_from:
            parent_reach = self.reaches.get(parent)
            if parent_reach is None:
                continue
            for flow in flows:
                if flow.source in parent_reach.systems:
                    came_with.setdefault(flow.source, parent_reach)
        collected_in, systems = self.scope.lifted[frozenset()][dataset.id].origins, self.systems
        return Reach(
            dataset.id,
            flows,
            tracked,
            came_with,
            lambda source: source in came_with or systems[source].country in collected_in,
        )

    def _cross(self, reach: Reach, rules: Sequence[CompiledRule]) -> None:
        if rules:
            _run_flow_rules(
                FlowContext(self.scope, self.systems, reach),
                reach.crossings(),
                rules,
                self.findings,
            )
        else:
            for (
                _
            ) in reach.crossings():  # where it goes matters to other rules, or to its derived data
                pass

    def _at_systems(self, dataset, reach: Reach, rules: Sequence[CompiledRule]) -> None:
        roots = () if dataset.derived_from else set(reach.roots)  # derived data is never collected
        for system_id in sorted(reach.systems) if rules else ():
            ctx = SystemContext(
                self.scope, self.systems[system_id], dataset.id, system_id in roots, reach
            )
            for rule in rules:
                self.findings.check(rule, ctx, "system", system_id, "systems")


_PROGRESS_EVERY = 10_000  # datasets between two progress messages


class _DatasetFilter:
    """The per-dataset rules whose dataset-only tests a dataset passes: run once per dataset,
    so a flow or system only meets the rules that can still fire for what it holds, and a dataset
    rule that cannot fire never has the dataset followed for it (at 100k flows: 1.14M rule checks
    -> 0.30M)."""

    def __init__(self, scope: Scope, rules: list[CompiledRule], findings: _Findings) -> None:
        self.scope = scope
        self.rules = rules
        self.findings = findings

    def __call__(self, dataset_id: str) -> list[CompiledRule]:
        if not self.rules:
            return self.rules
        ctx, passing = DatasetContext(self.scope, dataset_id), []
        for rule in self.rules:
            try:
                if rule.dataset_test(ctx):
                    passing.append(rule)
            except _FAILURES as exc:
                self.findings.fail(rule, "dataset", dataset_id, "datasets", exc)
        return passing
