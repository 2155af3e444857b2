"""OpenLineage run events into the spec model.

A dataset namespace (`s3://bucket`, `postgres://host:5432`, `bigquery`, `kafka://broker:9092`) is
a system; a dataset is `namespace/name`. A job that reads datasets in one namespace and writes
datasets in another moves data between systems: one flow per (from, to) pair, named after the
job, carrying the datasets it read there, with the job as purpose. Every output dataset is derived
from the job's inputs (those its columnLineage facet names, when it has one), so a job within
one system adds lineage, not a flow. Events are folded into sets, so a run's START, RUNNING and
COMPLETE events and retries change nothing; what is kept grows with distinct datasets and
edges, never with events.

Where a namespace is: the `location` dataset facet (`{"location": "aws:eu-west-1"}`) of its
datasets, else the first `openlineage.namespaces` glob of dlc.yaml that matches it, else
--default-location; otherwise an input error naming the namespace and the config key. What a
dataset holds: the configuration's `classification` entries over its tags (the `tags` facet,
tags of its schema fields, and `openlineage.namespace` / `openlineage.name`); a dataset nobody
classified and derived from nothing is unclassified, its origin the country of its namespace.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from checker.adapters.common import validated
from checker.adapters.infrastructure import classified, store_country
from checker.adapters.openlineage.events import Event, read_events
from checker.config import Infrastructure
from checker.errors import InputError
from checker.load.documents import Limits
from checker.load.spec import check_references
from checker.model import Dataset, Flow, SourceRef, Spec, System

CONFIG_KEY = "openlineage.namespaces"


class Line:
    """A place in an event log: the line of the event a declaration was first seen in."""

    __slots__ = ("file", "line")

    def __init__(self, file: str, line: int) -> None:
        self.file = file
        self.line = line

    def locate(self, path: tuple) -> tuple[int, None]:
        return self.line, None

    locate_key = locate


@dataclass
class _Namespace:
    seen: Line
    source: str | None = None                         # the dataSource facet's name or uri
    location: tuple[str, Line] | None = None          # from a location facet


@dataclass
class _Dataset:
    namespace: str
    name: str
    seen: Line
    labels: dict = field(default_factory=dict)
    parents: set = field(default_factory=set)
    aliases: set = field(default_factory=set)


@dataclass
class Lineage:
    """What the events say, folded: namespaces, datasets, lineage and the cross-system edges of
    each job. `add` takes one event; nothing of the event is kept beyond these sets."""

    namespaces: dict = field(default_factory=dict)     # namespace -> _Namespace
    datasets: dict = field(default_factory=dict)       # (namespace, name) -> _Dataset
    edges: dict = field(default_factory=dict)          # (job, from, to) -> [set of (ns, name), Line]
    files: list = field(default_factory=list)
    events: int = 0

    def add(self, event: Event, seen: Line) -> None:
        self.events += 1
        if event.job is None:   # a dataset event: only the dataset's facets
            self._dataset(event.dataset, seen)
            return
        job = f"{event.job.namespace}/{event.job.name}"
        inputs = [self._dataset(item, seen) for item in event.inputs or ()]
        for item in event.outputs or ():
            output = self._dataset(item, seen)
            named = _column_inputs(item)
            parents = named or set(inputs)
            for parent in parents:
                if parent != output:
                    self._dataset_key(parent, seen)
                    self.datasets[output].parents.add(parent)
            for source in inputs:
                if source[0] != output[0]:
                    edge = self.edges.setdefault((job, source[0], output[0]), [set(), seen])
                    edge[0].add(source)

    def _dataset(self, item, seen: Line) -> tuple[str, str]:
        key = self._dataset_key((item.namespace, item.name), seen)
        facets = item.facets
        if facets is None:
            return key
        dataset, namespace = self.datasets[key], self.namespaces[item.namespace]
        for tag in (facets.tags or {}).get("tags") or ():
            if isinstance(tag, dict) and isinstance(tag.get("key"), str):
                dataset.labels[tag["key"]] = str(tag.get("value", "true"))
        for column in (facets.schema or {}).get("fields") or ():
            for tag in (column.get("tags") or ()) if isinstance(column, dict) else ():
                _column_tag(dataset.labels, tag)
        for alias in (facets.symlinks or {}).get("identifiers") or ():
            if isinstance(alias, dict):
                dataset.aliases.add(f"{alias.get('namespace')}/{alias.get('name')}")
        source = facets.dataSource or {}
        if namespace.source is None and isinstance(source.get("name") or source.get("uri"), str):
            namespace.source = source.get("name") or source.get("uri")
        location = (facets.location or {}).get("location")
        if location is not None:
            if not isinstance(location, str) or not location.strip():
                raise InputError(f"dataset {key[0]}/{key[1]}: the location facet's location must be a location "
                                 "such as CN or aws:cn-north-1", seen.file, seen.line)
            if namespace.location is not None and namespace.location[0] != location.strip():
                first = namespace.location[1]
                raise InputError(f"namespace {key[0]} is placed in both {namespace.location[0]} (line {first.line}) "
                                 f"and {location.strip()}: a namespace is one system", seen.file, seen.line)
            namespace.location = (location.strip(), seen)
        return key

    def _dataset_key(self, key: tuple[str, str], seen: Line) -> tuple[str, str]:
        if key not in self.datasets:
            namespace, name = key
            if not namespace or not name:
                raise InputError("a dataset needs a namespace and a name", seen.file, seen.line)
            self.datasets[key] = _Dataset(namespace, name, seen)
            if namespace not in self.namespaces:
                self.namespaces[namespace] = _Namespace(seen)
        return key


def _column_inputs(item) -> set[tuple[str, str]] | None:
    """The input datasets an output's columnLineage facet names, None when it has none."""
    facet = item.facets.columnLineage if item.facets else None
    if not isinstance(facet, dict):
        return None
    named = set()
    columns = facet.get("fields") if isinstance(facet.get("fields"), dict) else {}
    for column in columns.values():
        for source in (column.get("inputFields") or ()) if isinstance(column, dict) else ():
            if isinstance(source, dict) and source.get("namespace") and source.get("name"):
                named.add((source["namespace"], source["name"]))
    for source in facet.get("dataset") or ():
        if isinstance(source, dict) and source.get("namespace") and source.get("name"):
            named.add((source["namespace"], source["name"]))
    return named


def _column_tag(labels: dict, tag) -> None:
    """A schema field's tag: a Marquez-style name (`PII`, read as PII=true) or a key and value."""
    if isinstance(tag, str):
        labels.setdefault(tag, "true")
    elif isinstance(tag, dict) and isinstance(tag.get("key") or tag.get("name"), str):
        labels.setdefault(tag.get("key") or tag.get("name"), str(tag.get("value", "true")))


def read_logs(paths: list[str], limits: Limits) -> Lineage:
    lineage = Lineage()
    for path in paths:
        lineage.files.append(path)
        for line, event in read_events(path, limits):
            lineage.add(event, Line(path, line))
    return lineage


def events_to_spec(paths: list[str], infrastructure: Infrastructure, limits: Limits) -> Spec:
    """The event logs as one spec: what several logs say about one dataset is one dataset."""
    return lineage_to_spec(read_logs(paths, limits), infrastructure)


def _escaped(text: str) -> str:
    """Text usable in an id (no whitespace): whitespace percent-encoded, as in a URI."""
    return re.sub(r"\s", lambda found: f"%{ord(found.group()):02X}", text)


def dataset_id(namespace: str, name: str) -> str:
    return _escaped(f"{namespace}/{name}")


def _location(namespace: str, found: _Namespace, infrastructure: Infrastructure) -> tuple[str, str]:
    """(location, where it came from) of a namespace."""
    if found.location is not None:
        return found.location[0], f"location facet, line {found.location[1].line}"
    for pattern, location in infrastructure.openlineage_namespaces:
        if fnmatch.fnmatchcase(namespace, pattern):
            return location, f"dlc.yaml {CONFIG_KEY} '{pattern}'"
    if infrastructure.default_location:
        return infrastructure.default_location, "--default-location"
    raise InputError(f"OpenLineage namespace '{namespace}' has no location: map it in dlc.yaml under "
                     f"{CONFIG_KEY} (a glob such as '{_suggested_glob(namespace)}' → a location such as CN or "
                     "aws:cn-north-1), give its datasets a location facet, or pass --default-location",
                     found.seen.file, found.seen.line)


def _all_placed(lineage: Lineage, infrastructure: Infrastructure) -> None:
    """Every namespace has a location; else one error naming the first (in the log) and the rest."""
    unplaced = []
    for namespace, found in lineage.namespaces.items():
        try:
            _location(namespace, found, infrastructure)
        except InputError as exc:
            unplaced.append((found.seen.file, found.seen.line, namespace, exc))
    if unplaced:
        unplaced.sort(key=lambda item: (lineage.files.index(item[0]), item[1], item[2]))
        first, others = unplaced[0][3], [item[2] for item in unplaced[1:]]
        if others:
            first.message += f" (also unmapped: {', '.join(others)})"
        raise first


def _suggested_glob(namespace: str) -> str:
    scheme, sep, _ = namespace.partition("://")
    return f"{scheme}://*" if sep else namespace


def lineage_to_spec(lineage: Lineage, infrastructure: Infrastructure) -> Spec:
    where: dict = {}
    notes: dict = {}
    _all_placed(lineage, infrastructure)
    systems, countries = [], {}
    for namespace in sorted(lineage.namespaces):
        found = lineage.namespaces[namespace]
        location, said_by = _location(namespace, found, infrastructure)
        body = {"id": _escaped(namespace), "kind": "storage", "location": location}
        if found.source and found.source != namespace:
            body["name"] = found.source
        where[("systems", body["id"])] = SourceRef(found.seen, ())
        notes[("systems", body["id"])] = f"OpenLineage namespace; location from {said_by}"
        systems.append(validated(System, body, found.seen))
        countries[namespace] = store_country(location)

    datasets, holders = [], {}
    for key in sorted(lineage.datasets):
        found = lineage.datasets[key]
        ident = dataset_id(*key)
        labels = {**found.labels, "openlineage.namespace": found.namespace, "openlineage.name": found.name}
        match = classified(ident, labels, infrastructure, countries[found.namespace])
        body = dict(match[0]) if match else {}
        body["id"] = ident
        if found.aliases:
            body["description"] = (body.get("description", "") + "; " if body.get("description") else "") + \
                "also known as " + ", ".join(sorted(found.aliases))
        if found.parents:
            body["derived_from"] = sorted(dataset_id(*parent) for parent in found.parents)
        elif not match:
            holders[ident] = _escaped(found.namespace)
        where[("datasets", ident)] = SourceRef(found.seen, ())
        datasets.append(validated(Dataset, body, found.seen))

    jobs: dict[str, list] = {}
    for (job, source, target), (carried, seen) in lineage.edges.items():
        jobs.setdefault(job, []).append((source, target, carried, seen))
    flows = []
    for job in sorted(jobs):
        edges = sorted(jobs[job], key=lambda edge: edge[:2])
        for source, target, carried, seen in edges:
            ident = _escaped(job if len(edges) == 1 else f"{job}[{source}->{target}]")
            body = {"id": ident, "from": _escaped(source), "to": _escaped(target), "purpose": job,
                    "datasets": sorted(dataset_id(*key) for key in carried),
                    "description": f"OpenLineage job {job}"}
            where[("flows", ident)] = SourceRef(seen, ())
            flows.append(validated(Flow, body, seen))
    name = "openlineage " + ", ".join(path.rsplit("/", 1)[-1] for path in lineage.files)
    spec = Spec(name, list(lineage.files), None, systems, datasets, flows, [], where, holders=holders)
    spec.notes = notes
    check_references(spec)
    return spec
