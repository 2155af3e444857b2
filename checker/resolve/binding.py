"""Binding a spec to infrastructure: the architecture of record meets the plans and manifests.

A spec system's `resources` are globs over Terraform resource addresses and Kubernetes
`Kind/namespace/name`. When a run has both specs that bind and infrastructure inputs, they become
one spec that the unchanged engine evaluates:

- a bound resource is its system: it keeps the system's declarations and the datasets the spec
  brings to it (what its own tags say is dropped: the spec classifies what it binds), and stands
  where the infrastructure puts it (where that cannot be derived, where the system is declared). A system whose resources stand in
  several countries is one merged system per country (`id@CC` beyond the first), so rules judge
  each place; findings are given back the spec's ids when evaluation is done (`Binding.finish`).
- a declared flow between bound systems connects their merged systems; an infrastructure flow
  in the same direction realises it (the declared flow stands for both, lending its datasets,
  purpose and approvals). Any other infrastructure flow is added as it is, carrying everything
  its source holds, so the rule library judges it like a declared one; an unbound end is a place
  of its own, named by its address, classified as the infrastructure inputs alone classify it.
- the binding's own findings: SPEC-LOCATION-DRIFT, SPEC-UNDECLARED-FLOW and SPEC-UNBOUND-SYSTEM
  (resolve/data/binding.yaml says what each means and cites). A resource matched by two systems
  is an input error naming both lines.

Every finding points at both sides: its own location, and `related` places on the other side.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import ChainMap, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar, cast

import msgspec

from checker.errors import InputError
from checker.findings import Finding, Related, RuleInfo
from checker.model import Coverage, Flow, SourceRef, Spec, System

BOUND_KINDS = ("terraform", "kubernetes")  # inputs whose resources a spec can bind
DRIFT, UNDECLARED, UNBOUND = "SPEC-LOCATION-DRIFT", "SPEC-UNDECLARED-FLOW", "SPEC-UNBOUND-SYSTEM"

# an instance key: [0] or ["a"] (a for_each key may hold any character, `]` too, inside its quotes)
_INDEX = r'(?:\[(?:"(?:[^"\\]|\\.)*"|[^\]"]*)\])?'
_MEMBER = re.compile(r"^(.+)@([A-Z]{2})$")  # a copy the cloud keeps in another country (adapters)


def glob_regex(pattern: str) -> str:
    """A `resources` glob as a regular expression: `*` is any run of characters (`.` and `/`
    included), everything else is literal, and a name written without an instance key matches
    each instance (`aws_s3_bucket.x` matches `aws_s3_bucket.x[0]`, `module.a` matches `module.a["k"]`)."""
    out: list[str] = []
    for position, char in enumerate(pattern):
        if char == "*":
            if out[-1:] != [".*"]:
                out.append(".*")
            continue
        if char == "." and position and pattern[position - 1] not in "]*":
            out.append(_INDEX)
        out.append(re.escape(char))
    if pattern[-1] not in "]*":
        out.append(_INDEX)
    return "".join(out)


class Globs:
    """Every bound system's patterns, compiled once: one regular expression per leading words
    (`aws_s3_bucket.x`, `module.cn`, `StatefulSet/data`, or fewer where a glob starts earlier; ""
    for patterns that start with one), each an optional lookahead per pattern, so one match tells
    every pattern that holds for an address. An address meets only the expressions of its own
    leading words: thousands of globs cost each address a few patterns, not all of them."""

    def __init__(self, owners: list[tuple[str, int, str]]) -> None:
        self.owners = owners  # (system id, index in its `resources`, pattern), in spec order
        # leading words -> positions in owners
        self.by_word: dict[str, list[int]] = defaultdict(list)
        for position, (_, _, pattern) in enumerate(owners):
            self.by_word[_pattern_word(pattern)].append(position)
        self.compiled: dict[str, re.Pattern] = {}

    def matches(self, address: str) -> list[tuple[str, int, str]]:
        found = []
        for word in _address_words(address):
            positions = self.by_word.get(word)
            if not positions:
                continue
            # its lookaheads are all optional: the expression always matches
            matched = self._regex(word).match(address)
            if matched:
                groups = zip(positions, matched.groups(), strict=True)
                found += [position for position, group in groups if group is not None]
        return [self.owners[position] for position in sorted(found)]

    def _regex(self, word: str) -> re.Pattern:
        if word not in self.compiled:
            self.compiled[word] = re.compile(
                "".join(
                    f"(?:(?=({glob_regex(self.owners[position][2])})\\Z))?"
                    for position in self.by_word[word]
                ),
                re.DOTALL,
            )
        return self.compiled[word]


# a word, its instance key if any, the separator after it
_WORD_AT = re.compile(r"([^./\[*]*)(" + _INDEX + r")([./]?)")


def _leading(text: str, glob: bool = False) -> list[str]:
    """The text's first two words with the separator between, instance keys left out:
    `module.cn["a"].x` -> [`module`, `module.cn`]. Of a glob, only words written out whole."""
    prefixes, position, key = [], 0, ""
    for _ in range(2):
        found = _WORD_AT.match(text, position)  # every part optional: always a match
        if found is None or (glob and text[found.end(1) : found.end(1) + 1] == "*"):
            break  # the word goes on as a glob
        key += found[1]
        prefixes.append(key)
        if not found[3]:
            break
        key += found[3]
        position = found.end()
    return prefixes


def _pattern_word(pattern: str) -> str:
    """The words every address a pattern matches starts with ("" when the first is a glob)."""
    return (_leading(pattern, glob=True) or [""])[-1]


def _address_words(address: str) -> tuple[str, ...]:
    """The words a pattern matching the address may lead with: none, its first, its first two."""
    return ("", *_leading(address))


class DeclaredLocations:
    """Resource address -> the declared location of the spec system whose globs match it: where a
    bound resource stands when its plan or manifest does not say (the adapters ask, config.py)."""

    def __init__(self, specs: list[Spec]) -> None:
        systems = [system for spec in specs for system in spec.systems if system.resources]
        self.locations = {system.id: system.location for system in systems}
        self.globs = Globs(
            [
                (system.id, index, pattern)
                for system in systems
                for index, pattern in enumerate(system.resources)
            ]
        )

    def __call__(self, address: str) -> str | None:
        found = self.globs.matches(address)
        return self.locations[found[0][0]] if found else None


@functools.cache
def binding_rules() -> dict[str, RuleInfo]:
    """What the binding's findings are, with their citations (resolve/data/binding.yaml)."""
    from checker.resolve import load_catalog

    entries = cast(list, load_catalog("binding.yaml"))
    return {
        entry["id"]: RuleInfo(
            entry["id"],
            entry["title"],
            entry["severity"],
            entry["category"],
            entry["description"],
            tuple(entry["references"]),
            entry["remediation"],
        )
        for entry in entries
    }


def _finding(
    rule: str,
    subject_kind: str,
    subject_id: str,
    path: tuple,
    message: str,
    place: tuple,
    related: tuple[Related, ...],
) -> Finding:
    info = binding_rules()[rule]
    file, line, column = place
    return Finding(
        rule=rule,
        title=info.title,
        severity=info.severity,
        category=info.category,
        subject_kind=subject_kind,
        subject_id=subject_id,
        dataset=None,
        path=path,
        message=message,
        references=info.references,
        remediation=info.remediation,
        file=file,
        line=line,
        column=column,
        related=related,
    )


@dataclass
class Binding:
    """What binding did, kept with the merged spec until its findings are reported."""

    rename: dict[str, str]  # merged system or flow id -> the spec's (or address)
    # (kind, merged id) -> the other side: where it is written, the field, what it is
    related: dict[tuple[str, str], list[tuple[SourceRef, tuple, str]]]
    violations: list[Finding] = field(default_factory=list)
    notices: list[Finding] = field(default_factory=list)
    # resource (infrastructure system id) -> the spec system it is
    bound: dict[str, str] = field(default_factory=dict)
    infrastructure_files: list[str] = field(default_factory=list)  # the plans and manifests bound

    def finish(
        self, violations: list[Finding], notices: list[Finding]
    ) -> tuple[list[Finding], list[Finding]]:
        """The engine's findings with the spec's ids and both sides' places, and the binding's own."""
        return (self._own(violations) + self.violations, self._own(notices) + self.notices)

    def _own(self, findings: list[Finding]) -> list[Finding]:
        rename, out, seen = self.rename, [], set()
        places: dict[tuple[str, str], tuple[Related, ...]] = {}  # a subject's other side, once
        for finding in findings:
            subject = (finding.subject_kind, finding.subject_id)
            related = places.get(subject)
            if related is None:
                related = places[subject] = tuple(
                    Related(*ref.resolve(*at), message)
                    for ref, at, message in self.related.get(subject, ())
                )
            if subject[1] in rename or related or any(step in rename for step in finding.path):
                finding = dataclasses.replace(
                    finding,
                    subject_id=rename.get(subject[1], subject[1]),
                    path=tuple(rename.get(step, step) for step in finding.path),
                    related=related,
                )
            key = finding.sort_key()  # a system standing in two places may be judged twice alike
            if key not in seen:
                seen.add(key)
                out.append(finding)
        return out


class BoundSpec(Spec):
    """A spec merged with the infrastructure it binds; `binding` finishes its findings."""

    kind = "binding"
    binding: Binding


def _places_of(
    own: dict[tuple[str, str], SourceRef], *inputs: Mapping[tuple[str, str], SourceRef]
) -> Mapping[tuple[str, str], SourceRef]:
    """Where each declaration of joined inputs was written: `own` first, then each input's index.
    A ChainMap writes only to its first map, so the inputs' read-only indexes are safe in it
    (typeshed asks for mutable ones)."""
    return ChainMap(own, *inputs)  # type: ignore[arg-type]


_Declared = TypeVar("_Declared", System, Flow)


def _replace(declaration: _Declared, **changes: object) -> _Declared:
    """A copy of a system or flow with `changes` (declarations are frozen)."""
    return msgspec.structs.replace(declaration, **changes)


def binds(spec: Spec) -> bool:
    return spec.kind == "spec" and any(system.resources for system in spec.systems)


def bind(specs: list[Spec]) -> list[Spec]:
    """Specs that bind, and the infrastructure inputs holding resources they bind, become one
    BoundSpec; other inputs stay alone (a plan nothing binds is checked as before). Without
    infrastructure inputs nothing is bound: a spec checked alone is the design."""
    binders = [spec for spec in specs if binds(spec)]
    infrastructure = [spec for spec in specs if spec.kind in BOUND_KINDS]
    if not binders or not infrastructure:
        return specs
    design = _union(binders, "specs bound together")
    globs = Globs(
        [
            (system.id, index, pattern)
            for system in design.systems
            for index, pattern in enumerate(system.resources)
        ]
    )
    matches = [_matches(spec, globs) for spec in infrastructure]
    used = [spec for spec, found in zip(infrastructure, matches, strict=True) if found]
    infra = (
        _union(used, "infrastructure inputs bound to one spec")
        if used
        else Spec("no infrastructure", [], None, [], [], [], [], {})
    )
    merged = _Binder(
        design,
        infra,
        {ident: found for each in matches for ident, found in each.items()},
        [file for spec in infrastructure for file in spec.files],
    ).merge()
    return [spec for spec in specs if spec not in binders and spec not in used] + [merged]


def _matches(spec: Spec, globs: Globs) -> dict[str, dict[str, int]]:
    """Each resource of an infrastructure input that globs match -> {system id: index of its first
    matching glob}. A copy the cloud keeps elsewhere (`address@CC`) is its resource."""
    resources = {system.id for system in spec.systems}
    out = {}
    for ident in sorted(resources):
        if ident.startswith("external:"):
            continue  # named by an ARN or a URL, not a resource of the inputs
        member = _MEMBER.match(ident)
        address = member[1] if member and member[1] in resources else ident
        systems: dict[str, int] = {}
        for system_id, index, _ in globs.matches(address):
            systems.setdefault(system_id, index)
        if systems:
            out[ident] = systems
    return out


def _union(specs: list[Spec], what: str) -> Spec:
    """Several inputs as one: ids must stay unique across them (an error names both files)."""
    if len(specs) == 1:
        return specs[0]
    sections: dict[str, list] = {"systems": [], "datasets": [], "flows": [], "approvals": []}
    owner: dict[tuple[str, str], Spec] = {}
    for spec in specs:
        for section, items in sections.items():
            for item in getattr(spec, section):
                key = (section, item.id)
                if key in owner:
                    file, line, column = spec.location_of(*key)
                    raise InputError(
                        f"{section[:-1]} '{item.id}' is declared in both {owner[key].files[0]} and "
                        f"{spec.files[0]}: ids must be unique across {what} (check them in separate "
                        "runs, or rename one)",
                        file,
                        line,
                        column,
                    )
                owner[key] = spec
                items.append(item)
    coverage = Coverage(
        notices=[notice for spec in specs if spec.coverage for notice in spec.coverage.notices]
    )
    union = Spec(
        " + ".join(spec.name for spec in specs),
        [f for spec in specs for f in spec.files],
        next((spec.organization for spec in specs if spec.organization), None),
        sections["systems"],
        sections["datasets"],
        sections["flows"],
        sections["approvals"],
        _places_of({}, *(spec.where for spec in specs)),
        holders={k: v for spec in specs for k, v in spec.holders.items()},
        coverage=coverage,
        held_at={k: v for spec in specs for k, v in spec.held_at.items()},
    )
    union.kind = specs[0].kind
    return union


def _country(location: str) -> str | None:
    from checker.resolve.regions import UnknownLocation, default_catalog

    try:
        return default_catalog().country_of(location)
    except UnknownLocation:
        return None


class _Binder:
    def __init__(
        self, spec: Spec, infrastructure: Spec, matches: dict[str, dict[str, int]], files: list[str]
    ) -> None:
        self.spec = spec
        self.infra = infrastructure
        self.matches = matches  # resource -> {system id: index of the glob}, every input's
        self.files = files  # every infrastructure input, bound or not
        self.systems = {system.id: system for system in spec.systems}
        self.resources = {system.id: system for system in infrastructure.systems}
        self.rename: dict[str, str] = {}
        self.related: dict[tuple[str, str], list] = defaultdict(list)
        self.violations: list[Finding] = []
        self.notices: list[Finding] = []
        self._lines: dict[tuple, tuple[str | None, int | None, int | None]] = {}

    # which resource is which system ----------------------------------------------------------

    def _declared_country(self, system: System) -> str:
        """Checked here: its resources stand in for it, so resolve never sees this location."""
        from checker.resolve.regions import UnknownLocation, default_catalog

        try:
            return default_catalog().country_of(system.location)
        except UnknownLocation as exc:
            raise InputError(
                f"systems '{system.id}': {exc}", *self._field_place(system.id, "location")
            ) from None

    def _field_place(
        self, system_id: str, *at: str | int
    ) -> tuple[str | None, int | None, int | None]:
        """Where a field of a spec system is written (each asked once: drifts repeat them)."""
        key = (system_id, *at)
        if key not in self._lines:
            ref = self.spec.where.get(("systems", system_id))
            self._lines[key] = (
                ref.resolve(*at) if ref else self.spec.location_of("systems", system_id)
            )
        return self._lines[key]

    def _bound(self) -> dict[str, str]:
        """Resource -> the system that binds it; a resource two systems bind is an input error."""
        bound: dict[str, str] = {}
        for ident, systems in self.matches.items():
            if len(systems) > 1:
                (first, first_index), (second, second_index) = list(systems.items())[:2]
                file, line, _ = self._field_place(first, "resources", first_index)
                file2, line2, column2 = self._field_place(second, "resources", second_index)
                raise InputError(
                    f"resource {ident} is bound by two systems: '{first}' ({file}:{line}) and "
                    f"'{second}' ({file2}:{line2}); a resource is one system, narrow one of the globs",
                    file2,
                    line2,
                    column2,
                )
            bound[ident] = next(iter(systems))
        binding = set(bound.values())
        for system in self.spec.systems:
            if system.resources and system.id not in binding:
                self._unbound(system)
        return bound

    def _unbound(self, system: System) -> None:
        globs = ", ".join(system.resources)
        self.notices.append(
            _finding(
                UNBOUND,
                "system",
                system.id,
                (),
                f"System {system.id} names resources ({globs}) but none of them is in the infrastructure checked "
                f"with it ({', '.join(self.files)}); it is judged as the spec declares it.",
                self._field_place(system.id, "resources", 0),
                (),
            )
        )

    # the merged spec ----------------------------------------------------------------------------

    def merge(self) -> BoundSpec:
        bound = self._bound()
        places = self._places(bound)  # spec system -> [(merged id, country, [resources])]
        merged_of = {
            resource: ident
            for groups in places.values()
            for ident, _, members in groups
            for resource in members
        }
        country_of = {ident: country for groups in places.values() for ident, country, _ in groups}
        systems = self._systems(places)
        ends = {
            system.id: [ident for ident, _, _ in places[system.id]]
            if system.id in places
            else [system.id]
            for system in self.spec.systems
        }
        expanded = self._declared_flows(ends)
        # a bound store's data is what the spec brings to its system, not what its tags say
        dropped = {f"{resource}#data" for resource in bound}
        declared_between: dict[tuple[str | None, str | None], list[Flow]] = defaultdict(list)
        for written in self.spec.flows:
            declared_between[written.source, written.target].append(written)

        def place(resource: str) -> str:
            return merged_of.get(resource, resource)

        undeclared = []
        for flow in self.infra.flows:
            source, target = place(flow.source), place(flow.target)
            if source == target:
                continue  # a copy within one system in one country: nothing moves for the law
            own = [d for d in flow.datasets if d not in dropped]
            declared = declared_between.get((bound.get(flow.source), bound.get(flow.target)), [])
            for realised in declared:
                key = (realised.id, source, target)
                expanded[key] = _replace(
                    expanded[key], datasets=tuple(sorted({*expanded[key].datasets, *own}))
                )
                self.related[("flow", expanded[key].id)].append(
                    (self.infra.where[("flows", flow.id)], (), f"realised by {flow.id}")
                )
            if not declared:
                undeclared.append(_replace(flow, source=source, target=target, datasets=tuple(own)))
                self._undeclared(flow, source, target, bound, country_of)
        holds = self._holdings(list(expanded.values()), undeclared, dropped, place)
        carried = [
            _replace(flow, datasets=tuple(sorted(holds[flow.source]))) for flow in undeclared
        ]
        renamed = {
            ("flows", flow.id): self.spec.where[("flows", flow_id)]
            for (flow_id, _, _), flow in expanded.items()
            if flow.id != flow_id
        }
        renamed.update(
            {
                ("systems", ident): self.spec.where[("systems", name)]
                for ident, name in self.rename.items()
                if ident != name and name in self.systems
            }
        )
        where = _places_of(renamed, self.spec.where, self.infra.where)
        datasets = [*self.spec.datasets, *(d for d in self.infra.datasets if d.id not in dropped)]
        spec = BoundSpec(
            self.spec.name,
            [*self.spec.files, *self.infra.files],
            self.spec.organization,
            [*systems, *(s for s in self.infra.systems if s.id not in bound)],
            datasets,
            [*expanded.values(), *carried],
            list(self.spec.approvals),
            where,
            holders={d: place(s) for d, s in self.infra.holders.items() if d not in dropped},
            coverage=Coverage(
                notices=list(self.infra.coverage.notices) if self.infra.coverage else []
            ),
            held_at={d: place(s) for d, s in self.infra.held_at.items() if d not in dropped},
        )
        spec.binding = Binding(
            self.rename, dict(self.related), self.violations, self.notices, bound, self.infra.files
        )
        return spec

    def _places(self, bound: dict[str, str]) -> dict[str, list[tuple[str, str, list[str]]]]:
        """Each bound system's resources by the country they stand in: the declared country's group
        (else the first) keeps the system's id, the others are `id@CC`. Each resource that stands
        elsewhere than declared is a SPEC-LOCATION-DRIFT finding."""
        by_system: dict[str, dict[str, list[str]]] = defaultdict(dict)
        for resource, system_id in sorted(bound.items()):
            system = self.systems[system_id]
            declared = self._declared_country(system)
            country = _country(self.resources[resource].location) or declared
            by_system[system_id].setdefault(country, []).append(resource)
            if country != declared:
                self._drift(system, resource, declared, country)
        places = {}
        for system_id, groups in by_system.items():
            declared = self._declared_country(self.systems[system_id])
            order = sorted(groups, key=lambda country: (country != declared, groups[country][0]))
            places[system_id] = [
                (system_id if index == 0 else f"{system_id}@{country}", country, groups[country])
                for index, country in enumerate(order)
            ]
            for ident, _, members in places[system_id]:
                self.rename[ident] = system_id
                for resource in members:
                    self.related[("system", ident)].append(
                        (
                            self.infra.where[("systems", resource)],
                            ("location",),
                            f"bound resource {resource}",
                        )
                    )
        return places

    def _drift(self, system: System, resource: str, declared: str, country: str) -> None:
        stands = self.resources[resource].location
        place = self._field_place(system.id, "location")
        self.violations.append(
            _finding(
                DRIFT,
                "system",
                system.id,
                (),
                f"Resource {resource}, bound to system {system.id}, stands in {stands} ({country}), but the spec "
                f"declares {system.location} ({declared}); the rules judge it where it stands.",
                place,
                (
                    Related(
                        *self.infra.where[("systems", resource)].resolve("location"),
                        f"{resource} stands in {stands}",
                    ),
                ),
            )
        )

    def _systems(self, places: dict) -> list[System]:
        out = []
        for system in self.spec.systems:
            if system.id not in places:
                out.append(system)
                continue
            groups = places[system.id]
            own_hardware = any(
                self.resources[r].accelerators for _, _, members in groups for r in members
            )
            for index, (ident, _, members) in enumerate(groups):
                out.append(
                    _replace(
                        system,
                        id=ident,
                        location=self.resources[members[0]].location,
                        accelerators=(
                            tuple(a for r in members for a in self.resources[r].accelerators)
                            if own_hardware
                            else tuple(system.accelerators)
                            if index == 0
                            else ()
                        ),
                    )
                )
        return out

    def _declared_flows(self, ends: dict[str, list[str]]) -> dict[tuple[str, str, str], Flow]:
        """Each declared flow between the places its ends stand (itself where both stand in one)."""
        expanded: dict[tuple[str, str, str], Flow] = {}
        for flow in self.spec.flows:
            pairs = [
                (source, target) for source in ends[flow.source] for target in ends[flow.target]
            ]
            for source, target in pairs:
                ident = flow.id if len(pairs) == 1 else f"{flow.id}@{source}->{target}"
                if ident != flow.id:
                    self.rename[ident] = flow.id
                expanded[(flow.id, source, target)] = _replace(
                    flow, id=ident, source=source, target=target
                )
        return expanded

    def _undeclared(
        self,
        flow: Flow,
        source: str,
        target: str,
        bound: dict[str, str],
        country_of: dict[str, str],
    ) -> None:
        """SPEC-UNDECLARED-FLOW: infrastructure moving data across a border, at least one end bound,
        no declared flow that way between the ends' systems (a system's own copies are its drift)."""
        ends = [bound.get(flow.source), bound.get(flow.target)]
        if ends == [None, None] or ends[0] == ends[1]:
            return  # nothing bound, or a copy within one system: its drift says where the copy stands
        countries = [
            country_of.get(source) or _country(self.resources[flow.source].location),
            country_of.get(target) or _country(self.resources[flow.target].location),
        ]
        if countries[0] == countries[1]:
            return
        sides = list(zip(ends, (flow.source, flow.target), strict=True))
        names = [f"system {system}" if system else f"unbound {end}" for system, end in sides]
        related = tuple(
            Related(*self._field_place(system), f"system {system} binds {end}")
            for system, end in sides
            if system
        )
        self.violations.append(
            _finding(
                UNDECLARED,
                "flow",
                flow.id,
                (ends[0] or flow.source, ends[1] or flow.target),
                f"The infrastructure moves data from {flow.source} ({names[0]}, {countries[0]}) to {flow.target} "
                f"({names[1]}, {countries[1]}) by {flow.mode}, but the spec declares no flow from "
                f"{ends[0] or flow.source} to {ends[1] or flow.target}.",
                self.infra.location_of("flows", flow.id),
                related,
            )
        )
        for system in ends:
            if system:
                self.related[("flow", flow.id)].append(
                    (self.spec.where[("systems", system)], (), f"system {system} of the spec")
                )

    def _holdings(
        self, declared: list[Flow], moving: list[Flow], dropped: set[str], place
    ) -> dict[str, set[str]]:
        """The datasets each place holds: those flows take from or bring to it, a store's own, and
        all an infrastructure flow brings on (it copies everything its source holds)."""
        holds: dict[str, set[str]] = defaultdict(set)
        for flow in (*declared, *moving):
            holds[flow.source].update(flow.datasets)
            holds[flow.target].update(flow.datasets)
        for dataset, resource in self.infra.held_at.items():
            if dataset not in dropped:
                holds[place(resource)].add(dataset)
        changed = True
        while changed:
            changed = False
            for flow in moving:
                new = holds[flow.source] - holds[flow.target]
                if new:
                    holds[flow.target] |= new
                    changed = True
        return holds
