"""`dlc explain`: why one rule did or did not fire on each of its subjects, as a side pass.

The engine evaluates compiled closures that short-circuit and keep nothing, which is what makes
it fast; this module leaves them alone. It rebuilds the same evaluation contexts the engine
builds (reusing the engine's own walk of datasets along flows, so the two can never disagree
on where data went), decides "fired" with the compiled rule itself, and then walks the rule's
condition as written, reading every fact and applying every operator from the same tables the
compiler uses (as Cloud Custodian's filter tracer does beside its filters). Every approval that
could cover a subject is judged on each condition the engine applies to it (dataset, destination,
purpose, validity on the evaluation date; for hardware licences the system and its country).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from operator import attrgetter

from checker import __version__
from checker.errors import DlcError, UsageError
from checker.evaluate.engine import (
    _FAILURES,
    ApprovalContext,
    FlowContext,
    Scope,
    SpecContext,
    SystemContext,
    _DatasetWalk,
    _failed,
    _system_facts,
)
from checker.evaluate.run import Options, _exempt, load_specs
from checker.findings import Finding, Report, Suppression
from checker.language import dated, tally
from checker.language.conditions import COMBINATORS, OPERATORS, Binding, Compiler
from checker.language.facts import FACTS, cost
from checker.language.rules import CompiledRule, compile_rule
from checker.load.policy import Policy
from checker.load.rules import Exemption
from checker.model import Approval
from checker.resolve.binding import binding_rules
from checker.resolve.resolver import Resolved, resolve


@dataclass(frozen=True)
class Check:
    """One condition an approval must meet to cover a subject, and how it fares."""

    name: str  # listed | dataset | destination | purpose | validity | system
    ok: bool
    reason: str


@dataclass(frozen=True)
class ApprovalCoverage:
    id: str
    kind: str
    checks: tuple[Check, ...]

    @property
    def covers(self) -> bool:
        return all(check.ok for check in self.checks)


@dataclass(frozen=True)
class Explanation:
    """One subject (and dataset, for a rule that looks at data) of one rule in one spec."""

    spec: str
    subject_kind: str
    subject_id: str
    dataset: str | None
    fired: bool
    path: tuple[str, ...]
    ways: int  # crossings of the flow by the dataset; the one shown decided it
    condition: dict  # the traced condition tree (see Tracer.trace)
    approvals: tuple[ApprovalCoverage, ...]
    message: str | None  # the finding's message when it fired
    file: str | None
    line: int | None
    suppression: Suppression | None = (
        None  # the exemption that keeps a finding out of the violations
    )


class Tracer:
    """The rule's condition as written, every test evaluated on one context with its actual value.

    Expected values are bound by the rule compiler itself (parameters, country groups) and each
    test is the compiler's own operator, so the trace reads exactly what the closures read. The
    binding is done once per rule; `trace` then walks it for each subject."""

    def __init__(self, rule: CompiledRule, groups: Mapping[str, object]) -> None:
        facts, binding = FACTS[rule.subject], Binding(rule.parameters, groups)
        counted = rule.definition.data.get("cumulative")
        if (
            counted is not None
        ):  # as the rule compiler does: facts reading the count of its own exports
            facts = {
                **facts,
                **tally.facts(
                    tally.compile_tally(
                        counted, Compiler(rule.id, FACTS["flow"], binding, rule.lift, cost)
                    )
                ),
            }
        self.compiler = Compiler(rule.id, facts, binding, rule.lift, cost)
        self.facts, self.lift = facts, rule.lift
        self.plan = self._bind(rule.definition.data["when"])

    def _bind(self, node: dict) -> tuple:
        """("all"|"any"|"not", children) or ("test", fields, getter, test) for each node."""
        for combinator in COMBINATORS:
            if combinator in node:
                children = node[combinator] if combinator != "not" else [node["not"]]
                return combinator, [self._bind(child) for child in children]
        name = node["fact"]
        ((operator, raw),) = ((key, value) for key, value in node.items() if key != "fact")
        expected = self.compiler.value(raw, operator, name)
        getter = self.facts[name].bind(self.lift)
        fields = {
            "node": "test",
            "fact": name,
            "operator": operator,
            "expected": expected,
            "source": raw if isinstance(raw, dict) else None,
        }
        return "test", fields, getter, OPERATORS[operator].make(getter, expected)

    def trace(self, ctx, plan: tuple | None = None) -> dict:
        """{"node": all|any|not, "result", "children"} or {"node": "test", "fact", "operator",
        "expected", "source", "actual", "result"}; every branch is evaluated (no short cut)."""
        kind, *rest = plan or self.plan
        if kind == "test":
            fields, getter, test = rest
            return {**fields, "actual": getter(ctx), "result": test(ctx)}
        children = [self.trace(ctx, child) for child in rest[0]]
        results = [child["result"] for child in children]
        result = (
            all(results) if kind == "all" else any(results) if kind == "any" else not results[0]
        )
        return {"node": kind, "result": result, "children": children}


@dataclass(frozen=True)
class Pending:
    """A subject x dataset whose verdict is known but whose trace is not built yet: a big spec's
    explanations are built one at a time as they are written, never all held at once."""

    key: tuple
    fired: bool
    build: Callable[[], Explanation]


@dataclass
class Explained:
    """What `dlc explain` reports: the rule, whether it is in force, each subject, input errors."""

    rule: CompiledRule
    policy: str
    enabled: bool  # turned on by the policy (else compiled with its defaults)
    as_of: dt.date
    # findings first, then by spec, subject, dataset
    subjects: list[Pending] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    @property
    def in_force(self) -> bool:
        return self.rule.in_force(self.as_of)

    @property
    def fired(self) -> int:
        return sum(pending.fired for pending in self.subjects)

    def explanations(self) -> Iterator[Explanation]:
        return (pending.build() for pending in self.subjects)


def explain_inputs(
    paths: list[str],
    policy: Policy,
    rule_id: str,
    options: Options,
    subject: str | None = None,
    dataset: str | None = None,
) -> Explained:
    """Explain `rule_id` on every input; an input that cannot be read or resolved is an error
    in the result (the others are still explained). A named subject or dataset found nowhere
    is a usage error, never an empty answer."""
    rule = next((r for r in policy.rules if r.id == rule_id), None)
    if rule is None:
        if rule_id in binding_rules():
            raise UsageError(
                f"{rule_id} is a check of binding a spec to infrastructure, not a rule of the library: "
                "`dlc check SPEC PLAN` reports it with both sides' places (`dlc rules show` says why)"
            )
        if rule_id not in policy.available:
            raise UsageError(f"no rule {rule_id} (see `dlc rules list --all`)")
        definition = policy.available[rule_id]
        rule = compile_rule(definition, definition.defaults, policy.groups)
    result = Explained(rule, policy.name, any(r.id == rule_id for r in policy.rules), options.as_of)
    report = Report(as_of=options.as_of, version=__version__)
    exemptions = [*policy.exemptions, *options.exemptions]
    for spec in load_specs(paths, options, report):
        try:
            result.subjects += explain(
                resolve(spec), rule, policy.groups, options.as_of, subject, dataset, exemptions
            )
        except DlcError as exc:
            report.errors.append(exc.as_dict())
    result.errors = report.errors
    result.subjects.sort(key=attrgetter("key"))
    if (subject or dataset) and not result.subjects and not result.errors:
        named = " and ".join(
            filter(None, (subject and f"subject '{subject}'", dataset and f"dataset '{dataset}'"))
        )
        raise UsageError(
            f"rule {rule_id} has nothing to explain for {named} in the inputs "
            f"(its subjects are {rule.subject}s"
            + (", each with a dataset it carries)" if rule.per_dataset else ")")
        )
    return result


def explain(
    resolved: Resolved,
    rule: CompiledRule,
    groups: Mapping[str, object],
    as_of: dt.date,
    subject: str | None = None,
    dataset: str | None = None,
    exemptions: Sequence[Exemption] = (),
) -> list[Pending]:
    """Every subject x dataset of `rule` in one spec (those named, when named), findings first.
    The rule, its parameters and its groups as they stood on `as_of` (dated values)."""
    rule = rule.at(as_of)
    groups = {name: dated.at(group, as_of) for name, group in groups.items()}
    scope = Scope(resolved, as_of, {rule.lift})
    scope.systems = _system_facts(resolved, scope)  # as evaluate sets it: counts of exports read it
    in_force = rule.in_force(as_of)
    tracer = _Tracing(resolved, rule, Tracer(rule, groups), _Coverage(resolved, scope), exemptions)
    out = []
    for kind, ident, ctx, ways in _contexts(resolved, rule, scope, scope.systems):
        if subject not in (None, ident, f"{kind}/{ident}") or dataset not in (None, ctx.dataset_id):
            continue
        try:
            fired = in_force and _fires(rule, ctx)
        except _FAILURES as exc:
            raise _failed(rule, f"{kind} '{ident}'", exc) from None
        out.append(
            Pending(
                (not fired, tracer.spec_name, kind, ident, ctx.dataset_id or ""),
                fired,
                partial(tracer.build, kind, ident, ctx, ways, fired),
            )
        )
    return sorted(out, key=attrgetter("key"))


class _Tracing:
    """Builds one subject's explanation: the condition traced, the path, the approvals judged."""

    def __init__(
        self,
        resolved: Resolved,
        rule: CompiledRule,
        tracer: Tracer,
        coverage: _Coverage,
        exemptions: Sequence[Exemption],
    ) -> None:
        self.resolved, self.rule, self.tracer, self.coverage = resolved, rule, tracer, coverage
        self.exemptions = exemptions
        spec = resolved.spec
        self.spec_name = spec.files[0] if spec.files else spec.name

    def build(self, kind: str, ident: str, ctx, ways: int, fired: bool) -> Explanation:
        rule = self.rule
        try:
            condition = self.tracer.trace(ctx)
            approvals = tuple(self.coverage.of(ctx))
            path = tuple(ctx.path())
            message = rule.render(ctx) if fired else None
        except _FAILURES as exc:
            raise _failed(rule, f"{kind} '{ident}'", exc) from None
        file, line, column = self.resolved.spec.location_of(_SECTIONS[kind], ident)
        suppression = None
        if (
            fired and self.exemptions and not rule.notice
        ):  # as dlc check exempts a violation (never a notice)
            finding = Finding(
                rule.id,
                rule.title,
                rule.severity,
                rule.category,
                kind,
                ident,
                ctx.dataset_id,
                path,
                message or "",
                rule.references,
                rule.remediation,
                file,
                line,
                column,
            )
            exempted = _exempt(finding, self.exemptions, self.coverage.scope.as_of)
            suppression = exempted.suppression if exempted else None
        return Explanation(
            self.spec_name,
            kind,
            ident,
            ctx.dataset_id,
            fired,
            path,
            ways,
            condition,
            approvals,
            message,
            file,
            line,
            suppression,
        )


_SECTIONS = {
    "flow": "flows",
    "system": "systems",
    "dataset": "datasets",
    "approval": "approvals",
    "spec": "spec",
}


def _fires(rule: CompiledRule, ctx) -> bool:
    """What the engine decides: the dataset-only stage, then the rest (a context has every fact of both)."""
    return rule.dataset_test(ctx) and rule.predicate(ctx)


def _contexts(resolved: Resolved, rule: CompiledRule, scope: Scope, systems):
    """(kind, subject id, context, ways) for every subject the engine would put to the rule."""
    spec = resolved.spec
    if rule.per_dataset or rule.subject == "dataset":
        yield from _Walk(scope, spec, systems, rule).contexts()
    elif rule.subject == "flow":
        for flow in spec.flows:
            ctx = FlowContext(scope, systems)
            ctx.at(flow, frozenset(), None)
            yield "flow", flow.id, ctx, 1
    elif rule.subject == "system":
        for system in spec.systems:
            yield "system", system.id, SystemContext(scope, systems[system.id]), 1
    elif rule.subject == "approval":
        relied_on = set(
            chain.from_iterable(map(attrgetter("approvals"), chain(spec.flows, spec.systems)))
        )
        for approval in spec.approvals:
            yield (
                "approval",
                approval.id,
                ApprovalContext(scope, approval, approval.id in relied_on),
                1,
            )
    else:
        yield "spec", spec.name, SpecContext(scope), 1


class _Recorder:
    """Stands in for the engine's findings: keeps each context the walk would have put to the rule."""

    def __init__(self) -> None:
        self.contexts: list[tuple[str, str, object]] = []

    def check(self, rule, ctx, kind: str, subject: str, section: str) -> None:
        self.contexts.append((kind, subject, ctx))

    def fail(self, rule, kind: str, subject: str, section: str, exc: Exception) -> None:
        """The one rule explained cannot be evaluated: nothing is left to explain."""
        raise _failed(rule, f"{kind} '{subject}'", exc) from None

    def forget_keys(self) -> None:
        pass


class _Walk(_DatasetWalk):
    """The engine's walk of each dataset along its flows, with every dataset put to the rule (not
    only those passing its dataset-only tests: a non-finding is explained too) and each crossing kept."""

    def __init__(self, scope: Scope, spec, systems, rule: CompiledRule) -> None:
        by_kind = defaultdict(list, {(rule.subject, rule.per_dataset): [rule]})
        self.recorder = _Recorder()
        super().__init__(scope, spec, systems, by_kind, self.recorder)  # type: ignore[arg-type]  # stands in for _Findings
        # every dataset is put to the rule: the engine's dataset filters are replaced by the rules themselves
        self.flow_rules = lambda dataset_id, rules=self.flow_rules.rules: rules  # type: ignore[assignment]
        self.system_rules = lambda dataset_id, rules=self.system_rules.rules: rules  # type: ignore[assignment]
        self.rule = rule
        self.crossed: list[tuple] = []  # (reach, crossings) per dataset, in walk order

    def _cross(self, reach, rules) -> None:
        crossings = list(reach.crossings())
        if rules:
            self.crossed.append((reach, crossings))

    def contexts(self):
        self.run(lambda message: None)
        for reach, crossings in self.crossed:
            by_flow: dict[str, list] = {}
            for crossing in crossings:
                by_flow.setdefault(crossing[0].id, []).append(crossing)
            for flow_id, ways in by_flow.items():
                ctx = FlowContext(self.scope, self.systems, reach)
                ctx.at(*self._deciding(ctx, ways))
                yield "flow", flow_id, ctx, len(ways)
        for kind, ident, recorded in self.recorder.contexts:
            yield kind, ident, recorded, 1

    def _deciding(self, ctx: FlowContext, ways: list) -> tuple:
        """The crossing the engine's finding comes from (the first that fires), else the first."""
        for way in ways:
            ctx.at(*way)
            if _fires(self.rule, ctx):
                return way
        return ways[0]


class _Coverage:
    """Which approvals could cover a subject, each with the reason it does or does not, on the
    terms the engine applies (FlowContext.mechanisms, engine._system_facts' licences)."""

    def __init__(self, resolved: Resolved, scope: Scope) -> None:
        self.resolved, self.scope = resolved, scope
        spec = resolved.spec
        self.parents = {d.id: d.derived_from for d in spec.datasets}
        self.systems = {s.id: s for s in spec.systems}
        # dataset id, system id -> approvals naming it
        self.naming_dataset: dict[str, set[str]] = defaultdict(set)
        self.naming_system: dict[str, set[str]] = defaultdict(set)
        for approval in spec.approvals:
            for ident in approval.datasets:
                self.naming_dataset[ident].add(approval.id)
            for ident in approval.systems:
                self.naming_system[ident].add(approval.id)

    def of(self, ctx) -> list[ApprovalCoverage]:
        if isinstance(ctx, FlowContext):
            return self.of_crossing(ctx, ctx.reach.dataset) if ctx.reach else self.of_flow(ctx)
        if isinstance(ctx, SystemContext):
            return self.of_system(ctx.system.id)
        if isinstance(ctx, ApprovalContext):  # an approval rule judges the approval itself
            return [
                ApprovalCoverage(ctx.approval.id, ctx.approval.kind, (self.validity(ctx.approval),))
            ]
        return []

    def of_crossing(self, ctx: FlowContext, dataset_id: str) -> list[ApprovalCoverage]:
        """Approvals on the flows of this way of the data, and those naming the data (or its sources)."""
        lineage = self._lineage(dataset_id)
        on_path = self._flows_of(ctx)
        listed_on: dict[str, str] = {}
        for flow in on_path:
            for approval_id in flow.approvals:
                listed_on.setdefault(approval_id, flow.id)
        candidates = set(listed_on).union(
            *(self.naming_dataset.get(ident, ()) for ident in lineage)
        )
        out = []
        for approval_id in sorted(candidates):
            approval = self.scope.approvals[approval_id]
            listed = Check(
                "listed",
                approval_id in listed_on,
                f"listed on flow {listed_on[approval_id]} of the path"
                if approval_id in listed_on
                else "not listed on any flow of the path",
            )
            out.append(
                ApprovalCoverage(
                    approval.id,
                    approval.kind,
                    (
                        listed,
                        self._dataset(approval, dataset_id, lineage),
                        *self._destination_and_purpose(approval, ctx),
                        self.validity(approval),
                    ),
                )
            )
        return out

    def of_flow(self, ctx: FlowContext) -> list[ApprovalCoverage]:
        """A rule that looks at no data: the approvals the flow lists, for its destination and purpose."""
        return [
            ApprovalCoverage(
                a.id, a.kind, (*self._destination_and_purpose(a, ctx), self.validity(a))
            )
            for a in (self.scope.approvals[i] for i in sorted(ctx.flow.approvals))
        ]

    def of_system(self, system_id: str) -> list[ApprovalCoverage]:
        """Licences: approvals the system lists or that name it."""
        system, country = self.systems[system_id], self.resolved.country[system_id]
        candidates = set(system.approvals) | self.naming_system.get(system_id, set())
        out = []
        for approval in (self.scope.approvals[i] for i in sorted(candidates)):
            destinations = self.resolved.destinations[approval.id]
            if system_id in approval.systems:
                names = Check("system", True, f"names system {system_id}")
            elif country in destinations:
                names = Check("system", True, f"covers its country {country}")
            else:
                names = Check(
                    "system",
                    False,
                    f"names neither system {system_id} nor its country {country} "
                    f"(systems {_listing(approval.systems)}, "
                    f"destinations {_listing(destinations)})",
                )
            listed = Check(
                "listed",
                approval.id in system.approvals,
                f"listed by system {system_id}"
                if approval.id in system.approvals
                else f"not listed by system {system_id}",
            )
            out.append(
                ApprovalCoverage(
                    approval.id, approval.kind, (listed, names, self.validity(approval))
                )
            )
        return out

    def validity(self, approval: Approval) -> Check:
        as_of = self.scope.as_of
        if approval.valid_from is not None and as_of < approval.valid_from:
            return Check(
                "validity", False, f"not yet valid on {as_of}: valid from {approval.valid_from}"
            )
        if approval.expires is not None and approval.expires <= as_of:
            return Check("validity", False, f"expired {approval.expires}")
        return Check(
            "validity",
            True,
            f"valid on {as_of}" + (f" (expires {approval.expires})" if approval.expires else ""),
        )

    def _dataset(self, approval: Approval, dataset_id: str, lineage: set[str]) -> Check:
        named = sorted(lineage & set(approval.datasets))
        if dataset_id in named:
            return Check("dataset", True, f"covers dataset {dataset_id}")
        if named:
            return Check(
                "dataset",
                True,
                f"covers dataset {dataset_id} through its source {', '.join(named)}",
            )
        return Check(
            "dataset",
            False,
            f"dataset {dataset_id} not in approval's datasets {_listing(approval.datasets)}",
        )

    def _destination_and_purpose(self, approval: Approval, ctx: FlowContext) -> tuple[Check, Check]:
        country, purpose = ctx.destination.country, ctx.flow.purpose
        destinations = self.resolved.destinations[approval.id]
        destination = Check(
            "destination",
            country in destinations,
            f"destination {country} {'in' if country in destinations else 'not in'} "
            f"approval's destinations {_listing(destinations)}",
        )
        if not approval.purposes:
            return destination, Check("purpose", True, "any purpose (the approval names none)")
        shown = purpose if purpose is not None else "(none stated on the flow)"
        fits = purpose in approval.purposes
        return destination, Check(
            "purpose",
            fits,
            f"purpose {shown} {'in' if fits else 'not in'} "
            f"approval's purposes {_listing(approval.purposes)}",
        )

    def _lineage(self, dataset_id: str) -> set[str]:
        """The dataset and every dataset it derives from: an approval naming any of them covers it."""
        out, todo = set(), [dataset_id]
        while todo:
            ident = todo.pop()
            if ident not in out:
                out.add(ident)
                todo += self.parents.get(ident, ())
        return out

    @staticmethod
    def _flows_of(ctx: FlowContext) -> list:
        """The flows of this dataset's way to and across the flow, first hop first (the engine
        tracks approvals along the dataset's own flows; a parent's flows are not on them)."""
        flows, state, reach = [ctx.flow], ctx.came_from, ctx.reach
        while state is not None and reach is not None:
            step = reach.previous[state]
            if step is None:
                break
            state, flow = step
            flows.append(flow)
        return flows[::-1]


def _listing(values) -> str:
    return "[" + ", ".join(sorted(values)) + "]"
