"""Resolve a loaded spec against the shipped catalogs: locations to countries, categories to the
taxonomy, accelerator models to their export classification. Anything unknown is an input error
with its line, except accelerators, which the rules judge (unknown hardware is a finding)."""

from __future__ import annotations

from dataclasses import dataclass

from checker.errors import InputError
from checker.model import Spec, unclassified
from checker.resolve.accelerators import AcceleratorModel
from checker.resolve.accelerators import default_catalog as accelerator_catalog
from checker.resolve.categories import UnknownCategory, default_taxonomy
from checker.resolve.regions import RegionCatalog, UnknownLocation
from checker.resolve.regions import default_catalog as region_catalog


@dataclass
class Resolved:
    spec: Spec
    country: dict[str, str]  # system id -> ISO 3166 alpha-2
    origin: dict[str, str | None]  # dataset id -> country (None: inherited)
    categories: dict[str, frozenset[str]]  # dataset id -> own categories with what they imply
    destinations: dict[str, frozenset[str]]  # approval id -> countries
    hardware: dict[
        str, list[tuple[str, int, AcceleratorModel | None]]
    ]  # system id -> (model, count, catalog entry)
    headquarters: str | None
    # system id -> (function, country it is controlled from or None) of each component, for systems with any
    components: dict[str, list[tuple[str, str | None]]]
    # dataset ids nobody classified (origin: where first held)
    unclassified: frozenset[str] = frozenset()


def _fail(spec: Spec, section: str, ident: str, field: tuple, message: str) -> InputError:
    file, line, column = spec.where[(section, ident)].resolve(*field)
    return InputError(
        f"{section} '{ident}': {message}" if ident else f"{section}.{field[0]}: {message}",
        file,
        line,
        column,
    ).included(spec.included_from.get(file or "", ()))


def _refuse_lowered_importance(spec: Spec) -> None:
    """A derived dataset keeps its ancestors' `important` flag (DESIGN.md, lineage): an `important:
    false` written on one whose ancestor is important would be accepted and ignored, so it is an
    input error instead. A regulator's view that the derivative is not important data is a policy
    exemption, with its justification and expiry."""
    lowered = [
        dataset for dataset in spec.datasets if dataset.important is False and dataset.derived_from
    ]
    if not lowered:
        return
    by_id = {dataset.id: dataset for dataset in spec.datasets}
    source: dict[
        str, str | None
    ] = {}  # dataset id -> an important ancestor (or itself), None: none

    def important_source(ident: str) -> str | None:
        stack = [ident]
        while stack:  # iterative: lineage may be deep
            current = stack[-1]
            if current in source:
                stack.pop()
                continue
            dataset = by_id[current]
            waiting = [parent for parent in dataset.derived_from if parent not in source]
            if waiting:
                stack.extend(waiting)
                continue
            stack.pop()
            source[current] = (
                current
                if dataset.important
                else next(
                    (source[parent] for parent in dataset.derived_from if source[parent]), None
                )
            )
        return source[ident]

    for dataset in lowered:
        ancestor = next(
            (
                important_source(parent)
                for parent in dataset.derived_from
                if important_source(parent)
            ),
            None,
        )
        if ancestor:
            raise _fail(
                spec,
                "datasets",
                dataset.id,
                ("important",),
                f"important: false cannot lower the importance it inherits from '{ancestor}' "
                "(derived data keeps its ancestors' designation; record a regulator's view that "
                "it is no longer important data as a policy exemption)",
            )


def resolve(spec: Spec) -> Resolved:
    regions, taxonomy, accelerators = region_catalog(), default_taxonomy(), accelerator_catalog()
    country, hardware = {}, {}
    components: dict[str, list[tuple[str, str | None]]] = {}
    for system in spec.systems:
        try:
            country[system.id] = regions.country_of(system.location)
        except UnknownLocation as exc:
            raise _fail(spec, "systems", system.id, ("location",), str(exc)) from None
        hardware[system.id] = [
            (a.model, a.count, accelerators.lookup(a.model)) for a in system.accelerators
        ]
        if system.components:
            components[system.id] = [
                (c.function, _controlled_from(spec, regions, system.id, index, c.controlled_from))
                for index, c in enumerate(system.components)
            ]

    origin: dict[str, str | None] = {}
    categories: dict[str, frozenset] = {}
    expanded: dict[
        tuple, frozenset
    ] = {}  # datasets share few category lists: each is expanded once
    unknown = frozenset(dataset.id for dataset in spec.datasets if unclassified(dataset))
    first_held = _first_holders(spec, unknown) if unknown else {}
    for dataset in spec.datasets:
        if dataset.id in unknown:
            holder = first_held.get(dataset.id)
            origin[dataset.id] = country.get(holder) if holder else None
            categories[dataset.id] = frozenset()
            continue
        try:
            origin[dataset.id] = (
                regions.country(dataset.origin) if dataset.origin is not None else None
            )
        except UnknownLocation as exc:
            raise _fail(spec, "datasets", dataset.id, ("origin",), str(exc)) from None
        try:
            listed = tuple(dataset.categories)
            categories[dataset.id] = expanded.get(listed) or expanded.setdefault(
                listed, taxonomy.expand(listed)
            )
        except UnknownCategory as exc:
            index = dataset.categories.index(exc.args[0])
            raise _fail(
                spec,
                "datasets",
                dataset.id,
                ("categories", index),
                f"unknown category '{exc.args[0]}' (see `dlc schema categories`)",
            ) from None

    _refuse_lowered_importance(spec)

    destinations = {}
    for approval in spec.approvals:
        codes = []
        for index, code in enumerate(approval.destinations):
            try:
                codes.append(regions.country(code))
            except UnknownLocation as exc:
                raise _fail(
                    spec, "approvals", approval.id, ("destinations", index), str(exc)
                ) from None
        destinations[approval.id] = frozenset(codes)

    headquarters = None
    if spec.organization and spec.organization.headquarters:
        try:
            headquarters = regions.country(spec.organization.headquarters)
        except UnknownLocation as exc:
            raise _fail(spec, "organization", "", ("headquarters",), str(exc)) from None
    return Resolved(
        spec, country, origin, categories, destinations, hardware, headquarters, components, unknown
    )


def _first_holders(spec: Spec, datasets: frozenset[str]) -> dict[str, str]:
    """The system that first holds each dataset: the one an adapter names, else the source of the
    first flow carrying it that no flow carrying it brings it to, else of the first flow carrying it,
    else (data that never moves itself) where its nearest derived data is first sent from: it
    was derived where it was held."""
    holders = {ident: spec.holders[ident] for ident in datasets if ident in spec.holders}
    sources: dict[str, list[str]] = {}
    targets: dict[str, set[str]] = {}
    for flow in spec.flows:
        for ident in flow.datasets:
            if ident in datasets and ident not in holders:
                sources.setdefault(ident, []).append(flow.source)
                targets.setdefault(ident, set()).add(flow.target)
    for ident, found in sources.items():
        holders[ident] = next((s for s in found if s not in targets[ident]), found[0])
    unmoved = datasets - holders.keys()
    if unmoved:
        holders.update(_held_where_derived(spec, unmoved))
    return holders


def _held_where_derived(spec: Spec, datasets: frozenset[str]) -> dict[str, str]:
    children: dict[str, list[str]] = {}
    for dataset in spec.datasets:
        for parent in dataset.derived_from:
            children.setdefault(parent, []).append(dataset.id)
    first_source: dict[str, str] = {}
    for flow in spec.flows:
        for ident in flow.datasets:
            first_source.setdefault(ident, flow.source)
    holders = {}
    for ident in sorted(datasets):
        generation, seen = children.get(ident, []), set()
        while generation:
            found = [first_source[child] for child in generation if child in first_source]
            if found:
                holders[ident] = found[0]
                break
            seen.update(generation)
            generation = [
                grandchild
                for child in generation
                for grandchild in children.get(child, ())
                if grandchild not in seen
            ]
    return holders


def _controlled_from(
    spec: Spec, regions: RegionCatalog, system_id: str, index: int, code: str | None
) -> str | None:
    if code is None:
        return None
    try:
        return regions.country(code)
    except UnknownLocation as exc:
        raise _fail(
            spec, "systems", system_id, ("components", index, "controlled_from"), str(exc)
        ) from None
