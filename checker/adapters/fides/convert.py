"""Fides manifests into the spec model.

A Fides system is a dlc system (id: its fides_key) whose location is `fides.systems` in dlc.yaml
(a key or glob → location), else --default-location; otherwise an input error naming the system
and the config key (fideslang 3 has no field that says where a system runs). A system's egress to
another system and that system's matching ingress are one flow, carrying the data categories
either side lists (all the sender holds when neither does); an egress or ingress naming a Fides
dataset is a flow to or from the systems that reference that dataset.

What a system holds: its privacy declarations' `data_categories` and those of the Fides datasets
it references. The categories no ingress brings to it are collected by it from people: one
dataset per processing activity, `<system>#<data_use>` (or `<system>#<dataset>` for a dataset the
system references), whose origin is the system's country; it travels along the flows whose
categories it shares, so a flow listing cookies carries the analytics data, not the orders. Fides categories become dlc categories through the shipped table
checker/resolve/data/fides-categories.yaml; a `data_category` extension takes its parent's.
The third countries a system's or its datasets' `third_country_transfers` name (fideslang 1) are
systems `third-country:CC` that everything the system holds flows to.
"""

from __future__ import annotations

import fnmatch
import functools

from checker.adapters.common import FieldSource, as_dict, as_list, dig, validated
from checker.adapters.fides import RESOURCES
from checker.config import Infrastructure
from checker.errors import InputError
from checker.load.documents import Document
from checker.load.spec import check_references
from checker.model import Dataset, Flow, SourceRef, Spec, System

CONFIG_KEY = "fides.systems"
_KINDS = {
    "database": "storage",
    "data store": "storage",
    "datastore": "storage",
    "storage": "storage",
    "service": "service",
    "application": "service",
    "api": "service",
    "third party": "vendor",
    "vendor": "vendor",
    "saas": "vendor",
}


@functools.cache
def default_mapping() -> dict[str, tuple[str, ...]]:
    """fideslang's default data categories → dlc categories (the shipped table)."""
    from checker.resolve import load_catalog

    return {key: tuple(value) for key, value in load_catalog("fides-categories.yaml").items()}


@functools.cache
def _alpha3() -> dict[str, str]:
    from checker.resolve import load_catalog

    return load_catalog("iso3166-alpha3.yaml")["alpha3"]


class _Place:
    """A resource of a manifest: its data and where it is written."""

    def __init__(self, document: Document, path: tuple, data: dict) -> None:
        self.document, self.path, self.data = document, path, data

    def error(self, message: str, *field) -> InputError:
        line, column = self.document.source.locate((*self.path, *field))
        return InputError(message, self.document.source.file, line, column)

    def ref(self) -> SourceRef:
        return SourceRef(FieldSource(self.document.source, (*self.path, "fides_key"), {}), ())

    def names(self, *field) -> list[str]:
        """The keys listed at `field` (none when it is absent): fideslang types them as lists of
        strings, so anything else is an input error at its line."""
        value = dig(self.data, *field)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.error(f"{field[-1]}: expected a list of keys, got {value!r}"[:200], *field)
        return value


class _Taxonomy:
    """Fides category keys: their dlc categories and which key covers which."""

    def __init__(self, extensions: dict[str, _Place]) -> None:
        self.mapping = default_mapping()
        self.extensions = extensions
        for key, place in extensions.items():
            parent = place.data.get("parent_key")
            if parent is not None and not isinstance(parent, str):
                raise place.error(
                    f"data_category '{key}': parent_key must be a category key, not {parent!r}"[
                        :200
                    ],
                    "parent_key",
                )

    def parent(self, key: str) -> str | None:
        if key in self.extensions:
            return self.extensions[key].data.get("parent_key")
        return key.rsplit(".", 1)[0] if "." in key else None

    def ancestors(self, key: str) -> list[str]:
        chain = [key]
        while (parent := self.parent(chain[-1])) is not None and parent not in chain:
            chain.append(parent)
        return chain

    def dlc(self, key: str, place: _Place, *field) -> tuple[str, ...]:
        for step in self.ancestors(key) if key in self.extensions else [key]:
            if step in self.mapping:
                return self.mapping[step]
        raise place.error(
            f"Fides data category '{key}' has no dlc mapping: it is not in fideslang's default "
            "taxonomy (see checker/resolve/data/fides-categories.yaml) nor a data_category "
            "extension in the manifests with a mapped parent_key",
            *field,
        )

    def related(self, one: str, other: str) -> bool:
        """Data of one category is (partly) data of the other: one covers the other or the reverse."""
        return one in self.ancestors(other) or other in self.ancestors(one)


def _resources(documents: list[Document]) -> dict[str, dict[str, _Place]]:
    found: dict[str, dict[str, _Place]] = {kind: {} for kind in RESOURCES}
    for document in documents:
        data = document.data
        if data is None:
            continue
        if not isinstance(data, dict):
            raise InputError(
                "a Fides manifest is a mapping of resource types (system, dataset, ...) to lists",
                document.source.file,
                1,
            )
        for kind, items in data.items():
            if kind not in RESOURCES:
                line, column = document.source.locate_key((kind,))
                raise InputError(
                    f"unknown Fides resource type '{kind}' (known: {', '.join(RESOURCES)})",
                    document.source.file,
                    line,
                    column,
                )
            for index, item in enumerate(as_list(items)):
                place = _Place(document, (kind, index), as_dict(item))
                key = place.data.get("fides_key")
                if not isinstance(key, str) or not key:
                    raise place.error(f"a Fides {kind} needs a fides_key")
                if key in found[kind]:
                    first = found[kind][key]
                    line, _ = first.document.source.locate(first.path)
                    raise place.error(
                        f"{kind} '{key}' is declared twice (first at {first.document.source.file}:{line})",
                        "fides_key",
                    )
                found[kind][key] = place
    return found


def _dataset_categories(place: _Place) -> list[tuple[str, tuple]]:
    """Every data category a Fides dataset names, at any level, with its path in the manifest."""
    out = []

    def visit(node: dict, path: tuple, children: str) -> None:
        for index, key in enumerate(place.names(*path, "data_categories")):
            out.append((key, (*path, "data_categories", index)))
        for index, child in enumerate(as_list(node.get(children))):
            if isinstance(child, dict):
                visit(child, (*path, children, index), "fields")

    visit(place.data, (), "collections")
    return out


class _Manifests:
    def __init__(self, documents: list[Document], infrastructure: Infrastructure) -> None:
        found = _resources(documents)
        self.systems, self.datasets = found["system"], found["dataset"]
        extensions = {
            key: place
            for key, place in found["data_category"].items()
            if key not in default_mapping()
        }
        self.taxonomy = _Taxonomy(extensions)
        self.infrastructure = infrastructure
        self.holders: dict[str, list[str]] = {}  # Fides dataset -> systems referencing it
        for key, place in sorted(self.systems.items()):
            for dataset in self._references(place):
                self.holders.setdefault(dataset, []).append(key)

    def _references(self, place: _Place) -> list[str]:
        named: list[tuple[str, tuple[str | int, ...]]] = [
            (ref, ("dataset_references", i))
            for i, ref in enumerate(place.names("dataset_references"))
        ]
        for d, _ in enumerate(as_list(place.data.get("privacy_declarations"))):
            named += [
                (ref, ("privacy_declarations", d, "dataset_references", i))
                for i, ref in enumerate(
                    place.names("privacy_declarations", d, "dataset_references")
                )
            ]
        for ref, at in named:
            if ref not in self.datasets:
                raise place.error(
                    f"system '{place.data['fides_key']}' references dataset '{ref}', which no "
                    "manifest declares",
                    *at,
                )
        return list(dict.fromkeys(ref for ref, _ in named))

    def activities(self, key: str) -> dict[str, dict[str, tuple[_Place, tuple]]]:
        """What a system holds, by processing activity: each privacy declaration's categories (and
        those of the datasets it references) under its data_use, the categories of the datasets the
        system itself references under the dataset's key; each category with where it is first named."""
        place = self.systems[key]
        out: dict[str, dict[str, tuple[_Place, tuple]]] = {}
        for d, declaration in enumerate(
            map(as_dict, as_list(place.data.get("privacy_declarations")))
        ):
            use = declaration.get("data_use")
            held = out.setdefault(
                use if isinstance(use, str) and use else f"declaration-{d + 1}", {}
            )
            for i, category in enumerate(place.names("privacy_declarations", d, "data_categories")):
                held.setdefault(
                    category, (place, ("privacy_declarations", d, "data_categories", i))
                )
            for dataset in as_list(declaration.get("dataset_references")):
                for category, at in _dataset_categories(self.datasets[dataset]):
                    held.setdefault(category, (self.datasets[dataset], at))
        for dataset in as_list(place.data.get("dataset_references")):
            held = out.setdefault(dataset, {})
            for category, at in _dataset_categories(self.datasets[dataset]):
                held.setdefault(category, (self.datasets[dataset], at))
        return out

    def transfers(self) -> list[tuple[str, str, _Place, tuple]]:
        """(system, country, place, path) for each third country that a system's, or a dataset it
        references, `third_country_transfers` names (fideslang 1, ISO 3166-1 alpha-3)."""
        out = []
        for key, place in sorted(self.systems.items()):
            for source in [place, *(self.datasets[ref] for ref in self._references(place))]:
                for index, code in enumerate(as_list(source.data.get("third_country_transfers"))):
                    country = _alpha3().get(str(code).upper())
                    if country is None:
                        raise source.error(
                            f"third_country_transfers: '{code}' is not an ISO 3166-1 alpha-3 "
                            "country code (USA, DEU, CHN, ...)",
                            "third_country_transfers",
                            index,
                        )
                    out.append((key, country, source, ("third_country_transfers", index)))
        return out

    def location(self, key: str) -> tuple[str, str]:
        """(location, where it came from) of a system."""
        for pattern, location in self.infrastructure.fides_systems.items():
            if key == pattern or fnmatch.fnmatchcase(key, pattern):
                return location, f"dlc.yaml {CONFIG_KEY} '{pattern}'"
        if self.infrastructure.default_location:
            return self.infrastructure.default_location, "--default-location"
        raise self.systems[key].error(
            f"Fides system '{key}' has no location: map it in dlc.yaml under {CONFIG_KEY} "
            "(its fides_key → a location such as DE or aws:eu-central-1), or pass "
            "--default-location",
            "fides_key",
        )

    def all_placed(self) -> None:
        """Every system has a location; else one error naming the first and the others."""
        unplaced = []
        for key in sorted(self.systems):
            try:
                self.location(key)
            except InputError as exc:
                unplaced.append((key, exc))
        if unplaced:
            first = unplaced[0][1]
            if len(unplaced) > 1:
                first.message += f" (also unmapped: {', '.join(key for key, _ in unplaced[1:])})"
            raise first

    def edges(self) -> dict[tuple[str, str], dict]:
        """(from, to) → {categories: set or None (all), at: (place, path), purposes: set}: a system's
        egress and the receiving system's ingress are one edge."""
        edges: dict[tuple[str, str], dict] = {}
        for key, place in sorted(self.systems.items()):
            for direction in ("egress", "ingress"):
                for index, flow in enumerate(as_list(place.data.get(direction))):
                    flow = as_dict(flow)
                    for other in self._ends(key, place, flow, (direction, index)):
                        pair = (key, other) if direction == "egress" else (other, key)
                        if pair[0] == pair[1]:
                            continue
                        edge = edges.setdefault(
                            pair,
                            {
                                "categories": None,
                                "at": (place, (direction, index)),
                                "purposes": set(),
                            },
                        )
                        listed = place.names(direction, index, "data_categories")
                        if listed:
                            for i, category in enumerate(listed):
                                self.taxonomy.dlc(
                                    category, place, direction, index, "data_categories", i
                                )
                            edge["categories"] = (edge["categories"] or set()) | set(listed)
                        edge["purposes"] |= self._uses(place, direction, flow.get("fides_key"))
        return edges

    def _ends(self, key: str, place: _Place, flow: dict, at: tuple) -> list[str]:
        other, kind = flow.get("fides_key"), flow.get("type")
        if kind == "user" or other == "user":
            return []
        if not isinstance(other, str):
            raise place.error(
                f"system '{key}': {at[0]} needs the fides_key of a system or dataset, not {other!r}"[
                    :200
                ],
                *at,
                "fides_key",
            )
        if kind == "system":
            if other not in self.systems:
                raise place.error(
                    f"system '{key}': {at[0]} names system '{other}', which no manifest declares",
                    *at,
                )
            return [other]
        if kind == "dataset":
            if other not in self.datasets:
                raise place.error(
                    f"system '{key}': {at[0]} names dataset '{other}', which no manifest declares",
                    *at,
                )
            return [holder for holder in self.holders.get(other, ()) if holder != key]
        raise place.error(
            f"system '{key}': {at[0]} type must be system, dataset or user, not '{kind}'", *at
        )

    @staticmethod
    def _uses(place: _Place, direction: str, other) -> set[str]:
        return {
            use
            for declaration in map(as_dict, as_list(place.data.get("privacy_declarations")))
            if other in as_list(declaration.get(direction))
            and isinstance(use := declaration.get("data_use"), str)
        }


def manifests_to_spec(documents: list[Document], infrastructure: Infrastructure) -> Spec:
    """The manifests (all files of one inventory) as one spec."""
    from checker.resolve.regions import UnknownLocation, default_catalog

    manifests = _Manifests(documents, infrastructure)
    taxonomy = manifests.taxonomy
    where: dict = {}
    notes: dict = {}
    manifests.all_placed()
    systems, countries, activities, declared = [], {}, {}, {}
    for key, place in sorted(manifests.systems.items()):
        location, said_by = manifests.location(key)
        try:
            countries[key] = default_catalog().country_of(location)
        except UnknownLocation as exc:
            raise place.error(f"Fides system '{key}': {exc}", "fides_key") from None
        body: dict[str, object] = {
            "id": key,
            "kind": _KINDS.get(str(place.data.get("system_type", "")).strip().lower(), "other"),
            "location": location,
        }
        for field, source in (("name", "name"), ("operator", "legal_name")):
            if isinstance(place.data.get(source), str) and place.data[source].strip():
                body[field] = place.data[source].strip()
        where[("systems", key)] = place.ref()
        notes[("systems", key)] = f"Fides system; location from {said_by}"
        systems.append(validated(System, body, where[("systems", key)].source))
        activities[key] = manifests.activities(key)
        declared[key] = {category for held in activities[key].values() for category in held}
        for held in activities[key].values():
            for category, (at_place, at) in held.items():
                taxonomy.dlc(category, at_place, *at)

    edges = manifests.edges()
    brought: dict[str, set[str]] = {key: set() for key in manifests.systems}
    for (source, target), edge in edges.items():
        brought[target] |= (
            edge["categories"] if edge["categories"] is not None else set(declared[source])
        )

    datasets, fides_categories = [], {}
    holds: dict[str, set[str]] = {key: set() for key in manifests.systems}
    for key in sorted(manifests.systems):
        for activity, held in sorted(activities[key].items()):
            # a category some ingress brings (it, a broader or a narrower one) is not collected here
            collected = sorted(
                category
                for category in held
                if not any(taxonomy.related(category, other) for other in brought[key])
            )
            if not collected:
                continue
            ident = f"{key}#{activity}"
            categories = sorted(
                {name for category in collected for name in taxonomy.dlc(category, *held[category])}
            )
            body = {
                "id": ident,
                "origin": countries[key],
                "categories": categories,
                "description": f"collected by Fides system {key} for {activity}: {', '.join(collected)}",
            }
            fides_categories[ident] = collected
            first_place, first_at = held[collected[0]]
            where[("datasets", ident)] = SourceRef(
                FieldSource(first_place.document.source, (*first_place.path, *first_at), {}), ()
            )
            notes[("datasets", ident)] = (
                "data the system collects from people (no ingress brings it)"
            )
            datasets.append(validated(Dataset, body, where[("datasets", ident)].source))
            holds[key].add(ident)

    def carries(edge: dict, dataset: str) -> bool:
        return edge["categories"] is None or any(
            taxonomy.related(a, b) for a in edge["categories"] for b in fides_categories[dataset]
        )

    changed = True
    while changed:
        changed = False
        for (source, target), edge in edges.items():
            new = {dataset for dataset in holds[source] if carries(edge, dataset)} - holds[target]
            if new:
                holds[target] |= new
                changed = True

    flows = []
    for (source, target), edge in sorted(edges.items()):
        ident = f"{source}->{target}"
        place, at = edge["at"]
        body = {
            "id": ident,
            "from": source,
            "to": target,
            "datasets": sorted(dataset for dataset in holds[source] if carries(edge, dataset)),
        }
        if edge["purposes"]:
            body["purpose"] = sorted(edge["purposes"])[0]
        if edge["categories"] is not None:
            body["description"] = "Fides data categories: " + ", ".join(sorted(edge["categories"]))
        where[("flows", ident)] = SourceRef(
            FieldSource(place.document.source, (*place.path, *at), {}), ()
        )
        flows.append(validated(Flow, body, where[("flows", ident)].source))

    for key, country, place, at in manifests.transfers():
        target = f"third-country:{country}"
        ident = f"{key}->{target}"
        if ("flows", ident) in where:
            continue
        ref = SourceRef(FieldSource(place.document.source, (*place.path, *at), {}), ())
        if ("systems", target) not in where:
            where[("systems", target)] = ref
            notes[("systems", target)] = "a third country Fides third_country_transfers names"
            systems.append(
                validated(
                    System,
                    {
                        "id": target,
                        "kind": "other",
                        "location": country,
                        "name": f"{default_catalog().country_name(country)} (a third country)",
                    },
                    ref.source,
                )
            )
        where[("flows", ident)] = ref
        flows.append(
            validated(
                Flow,
                {
                    "id": ident,
                    "from": key,
                    "to": target,
                    "datasets": sorted(holds[key]),
                    "description": "Fides third_country_transfers",
                },
                ref.source,
            )
        )

    files = list(dict.fromkeys(document.source.file for document in documents))
    spec = Spec(
        "fides " + ", ".join(path.rsplit("/", 1)[-1] for path in files),
        files,
        None,
        systems,
        datasets,
        flows,
        [],
        where,
    )
    spec.notes = notes
    check_references(spec)
    return spec
