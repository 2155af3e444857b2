"""Resolve a loaded spec against the shipped catalogs: locations to countries, categories to the
taxonomy, accelerator models to their export classification. Anything unknown is an input error
with its line, except accelerators, which the rules judge (unknown hardware is a finding)."""

from __future__ import annotations

from dataclasses import dataclass

from checker.errors import InputError
from checker.model import Spec
from checker.resolve.accelerators import AcceleratorModel
from checker.resolve.accelerators import default_catalog as accelerator_catalog
from checker.resolve.categories import UnknownCategory, default_taxonomy
from checker.resolve.regions import UnknownLocation
from checker.resolve.regions import default_catalog as region_catalog


@dataclass
class Resolved:
    spec: Spec
    country: dict[str, str]                       # system id -> ISO 3166 alpha-2
    origin: dict[str, str | None]                 # dataset id -> country (None: inherited)
    categories: dict[str, frozenset[str]]         # dataset id -> own categories with what they imply
    destinations: dict[str, frozenset[str]]       # approval id -> countries
    hardware: dict[str, list[tuple[str, int, AcceleratorModel | None]]]   # system id -> (model, count, catalog entry)
    headquarters: str | None
    # system id -> (function, country it is controlled from or None) of each component, for systems with any
    components: dict[str, list[tuple[str, str | None]]]


def _fail(spec: Spec, section: str, ident: str, field: tuple, message: str) -> InputError:
    file, line, column = spec.where[(section, ident)].resolve(*field)
    return InputError(f"{section} '{ident}': {message}" if ident else f"{section}.{field[0]}: {message}",
                      file, line, column)


def resolve(spec: Spec) -> Resolved:
    regions, taxonomy, accelerators = region_catalog(), default_taxonomy(), accelerator_catalog()
    country, hardware, components = {}, {}, {}
    for system in spec.systems:
        try:
            country[system.id] = regions.country_of(system.location)
        except UnknownLocation as exc:
            raise _fail(spec, "systems", system.id, ("location",), str(exc)) from None
        hardware[system.id] = [(a.model, a.count, accelerators.lookup(a.model)) for a in system.accelerators]
        if system.components:
            components[system.id] = [(c.function, _controlled_from(spec, regions, system.id, index, c.controlled_from))
                                     for index, c in enumerate(system.components)]

    origin, categories = {}, {}
    expanded: dict[tuple, frozenset] = {}   # datasets share few category lists: each is expanded once
    for dataset in spec.datasets:
        try:
            origin[dataset.id] = regions.country(dataset.origin) if dataset.origin is not None else None
        except UnknownLocation as exc:
            raise _fail(spec, "datasets", dataset.id, ("origin",), str(exc)) from None
        try:
            listed = tuple(dataset.categories)
            categories[dataset.id] = expanded.get(listed) or expanded.setdefault(listed, taxonomy.expand(listed))
        except UnknownCategory as exc:
            index = dataset.categories.index(exc.args[0])
            raise _fail(spec, "datasets", dataset.id, ("categories", index),
                        f"unknown category '{exc.args[0]}' (see `dlc schema categories`)") from None

    destinations = {}
    for approval in spec.approvals:
        codes = []
        for index, code in enumerate(approval.destinations):
            try:
                codes.append(regions.country(code))
            except UnknownLocation as exc:
                raise _fail(spec, "approvals", approval.id, ("destinations", index), str(exc)) from None
        destinations[approval.id] = frozenset(codes)

    headquarters = None
    if spec.organization and spec.organization.headquarters:
        try:
            headquarters = regions.country(spec.organization.headquarters)
        except UnknownLocation as exc:
            raise _fail(spec, "organization", "", ("headquarters",), str(exc)) from None
    return Resolved(spec, country, origin, categories, destinations, hardware, headquarters, components)


def _controlled_from(spec: Spec, regions, system_id: str, index: int, code: str | None) -> str | None:
    if code is None:
        return None
    try:
        return regions.country(code)
    except UnknownLocation as exc:
        raise _fail(spec, "systems", system_id, ("components", index, "controlled_from"), str(exc)) from None
