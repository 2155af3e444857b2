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
from typing import Any

from checker.adapters.common import as_dict, as_list, validated
from checker.adapters.infrastructure import classified
from checker.adapters.openlineage.events import Event, Facets, datasets, read_events
from checker.adapters.openlineage.events import facets as _facets
from checker.config import Infrastructure
from checker.errors import InputError
from checker.load.documents import Limits
from checker.load.spec import check_references
from checker.model import Dataset, Flow, SourceRef, Spec, System

CONFIG_KEY = "openlineage.namespaces"
_SHAPES_KEPT = 8  # per job: a run's START, RUNNING, COMPLETE and a few variants are read once


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
    source: str | None = None  # the dataSource facet's name or uri
    location: tuple[str, Line] | None = None  # from a location facet


# what most datasets have of parents, aliases and column inputs: shared
_NONE: frozenset = frozenset()


@dataclass(slots=True)
class _Dataset:
    """One per distinct dataset, so small: containers are created when there is something to hold."""

    namespace: str
    name: str
    seen: Line
    labels: dict | None = None
    parents: set | frozenset = _NONE
    aliases: frozenset = _NONE
    column_inputs: frozenset = _NONE  # the inputs its columnLineage facet names
    facets: int | None = None  # hash of the facets last read: a repeat is not read again


@dataclass
class Lineage:
    """What the events say, folded: namespaces, datasets, lineage and the cross-system edges of
    each job. `add` takes one event; nothing of the event is kept beyond these sets."""

    namespaces: dict = field(default_factory=dict)  # namespace -> _Namespace
    datasets: dict = field(default_factory=dict)  # (namespace, name) -> _Dataset
    edges: dict = field(default_factory=dict)  # (job, from, to) -> [set of (ns, name), Line]
    files: list = field(default_factory=list)
    events: int = 0
    # job -> hashes of its last events' inputs and outputs (a list)
    shapes: dict = field(default_factory=dict)

    def add(self, event: Event, line: int) -> None:
        """Fold in one event of the file last appended to `files`, written at `line`."""
        self.events += 1
        if event.job is None:  # a dataset event: only the dataset's facets
            self._dataset(event.dataset, line)
            return
        job = (event.job.namespace, event.job.name)
        read, written = bytes(event.inputs), bytes(event.outputs)
        shape = hash((read, written))
        shapes = self.shapes.get(job)
        if shapes is None:
            shapes = self.shapes[job] = []
        elif (
            shape in shapes
        ):  # a repeat of one of the job's last few events (its runs' START, COMPLETE...)
            return
        if len(shapes) >= _SHAPES_KEPT:
            shapes.clear()
        shapes.append(shape)
        file = self.files[-1]
        inputs = [self._dataset(item, line) for item in datasets(read, "inputs", file, line)]
        for item in datasets(written, "outputs", file, line):
            output = self._dataset(item, line)
            dataset = self.datasets[output]
            for parent in dataset.column_inputs or inputs:
                if parent != output:
                    self._known(parent, line)
                    if dataset.parents is _NONE:
                        dataset.parents = set()
                    dataset.parents.add(parent)
            for source in inputs:
                if source[0] != output[0]:
                    edge = self.edges.get((job, source[0], output[0]))
                    if edge is None:
                        edge = self.edges[(job, source[0], output[0])] = [
                            set(),
                            Line(self.files[-1], line),
                        ]
                    edge[0].add(source)

    def _dataset(self, item, line: int) -> tuple[str, str]:
        key = self._known((item.namespace, item.name), line)
        raw = bytes(item.facets)
        if not raw or raw == b"null":
            return key
        dataset = self.datasets[key]
        digest = hash(raw)
        if dataset.facets != digest:
            dataset.facets = digest
            self._read_facets(dataset, _facets(raw, self.files[-1], line), line)
        return key

    def _read_facets(self, dataset: _Dataset, facets: Facets, line: int) -> None:
        namespace = self.namespaces[dataset.namespace]
        labels = {}
        for tag in as_list(as_dict(facets.tags).get("tags")):
            if isinstance(tag, dict) and isinstance(tag.get("key"), str):
                labels[tag["key"]] = str(tag.get("value", "true"))
        for column in as_list(as_dict(facets.schema).get("fields")):
            for tag in as_list(as_dict(column).get("tags")):
                _column_tag(labels, tag)
        if labels:
            dataset.labels = {**(dataset.labels or {}), **labels}
        aliases = frozenset(
            f"{alias.get('namespace')}/{alias.get('name')}"
            for alias in as_list(as_dict(facets.symlinks).get("identifiers"))
            if isinstance(alias, dict)
        )
        if aliases - dataset.aliases:
            dataset.aliases |= aliases
        dataset.column_inputs = _column_inputs(as_dict(facets.columnLineage))
        source = as_dict(facets.dataSource)
        if namespace.source is None and isinstance(source.get("name") or source.get("uri"), str):
            namespace.source = source.get("name") or source.get("uri")
        location = as_dict(facets.location).get("location")
        if location is None:
            return
        seen = Line(self.files[-1], line)
        where = f"dataset {dataset.namespace}/{dataset.name}"
        if not isinstance(location, str) or not location.strip():
            raise InputError(
                f"{where}: the location facet's location must be a location such as CN or "
                "aws:cn-north-1",
                seen.file,
                seen.line,
            )
        if namespace.location is not None and namespace.location[0] != location.strip():
            first = namespace.location[1]
            raise InputError(
                f"{where}: namespace {dataset.namespace} is placed in both {namespace.location[0]} "
                f"(line {first.line}) and {location.strip()}: a namespace is one system",
                seen.file,
                seen.line,
            )
        namespace.location = namespace.location or (location.strip(), seen)

    def _known(self, key: tuple[str, str], line: int) -> tuple[str, str]:
        if key not in self.datasets:
            namespace, name = key
            seen = Line(self.files[-1], line)
            if not namespace or not name:
                raise InputError("a dataset needs a namespace and a name", seen.file, seen.line)
            self.datasets[key] = _Dataset(namespace, name, seen)
            if namespace not in self.namespaces:
                self.namespaces[namespace] = _Namespace(seen)
        return key


def _column_inputs(facet: dict) -> frozenset[tuple[str, str]]:
    """The input datasets a columnLineage facet names."""
    named = set()
    for column in as_dict(facet.get("fields")).values():
        for source in as_list(as_dict(column).get("inputFields")):
            if isinstance(source, dict) and source.get("namespace") and source.get("name"):
                named.add((source["namespace"], source["name"]))
    for source in as_list(facet.get("dataset")):
        if isinstance(source, dict) and source.get("namespace") and source.get("name"):
            named.add((source["namespace"], source["name"]))
    return frozenset(named) if named else _NONE


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
            lineage.add(event, line)
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
        if namespace == pattern or fnmatch.fnmatchcase(
            namespace, pattern
        ):  # `[::1]` is a host, not a class
            return location, f"dlc.yaml {CONFIG_KEY} '{pattern}'"
    if infrastructure.default_location:
        return infrastructure.default_location, "--default-location"
    raise InputError(
        f"OpenLineage namespace '{namespace}' has no location: map it in dlc.yaml under "
        f"{CONFIG_KEY} (a glob such as '{_suggested_glob(namespace)}' → a location such as CN or "
        "aws:cn-north-1), give its datasets a location facet, or pass --default-location",
        found.seen.file,
        found.seen.line,
    )


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


def _country(namespace: str, location: str, found: _Namespace) -> str:
    from checker.resolve.regions import UnknownLocation, default_catalog

    try:
        return default_catalog().country_of(location)
    except UnknownLocation as exc:
        seen = found.location[1] if found.location else found.seen
        raise InputError(f"namespace {namespace}: {exc}", seen.file, seen.line) from None


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
        body: dict[str, Any] = {"id": _escaped(namespace), "kind": "storage", "location": location}
        if found.source and found.source != namespace:
            body["name"] = found.source
        where[("systems", body["id"])] = SourceRef(found.seen, ())
        notes[("systems", body["id"])] = f"OpenLineage namespace; location from {said_by}"
        systems.append(validated(System, body, found.seen))
        countries[namespace] = _country(namespace, location, found)

    datasets, holders = [], {}
    for key in sorted(lineage.datasets):
        found = lineage.datasets[key]
        ident = dataset_id(*key)
        labels = {
            **(found.labels or {}),
            "openlineage.namespace": found.namespace,
            "openlineage.name": found.name,
        }
        match = classified(ident, labels, infrastructure, countries[found.namespace])
        body = dict(match[0]) if match else {}
        body["id"] = ident
        if found.aliases:
            body["description"] = (
                (body.get("description", "") + "; " if body.get("description") else "")
                + "also known as "
                + ", ".join(sorted(found.aliases))
            )
        if found.parents:
            body["derived_from"] = sorted(dataset_id(*parent) for parent in found.parents)
        elif not match:
            holders[ident] = _escaped(found.namespace)
        where[("datasets", ident)] = SourceRef(found.seen, ())
        datasets.append(validated(Dataset, body, found.seen))

    jobs: dict[str, list] = {}
    for ((job_namespace, job_name), source, target), (carried, seen) in lineage.edges.items():
        jobs.setdefault(f"{job_namespace}/{job_name}", []).append((source, target, carried, seen))
    flows = []
    for job in sorted(jobs):
        edges = sorted(jobs[job], key=lambda edge: edge[:2])
        for source, target, carried, seen in edges:
            ident = _escaped(job if len(edges) == 1 else f"{job}[{source}->{target}]")
            body = {
                "id": ident,
                "from": _escaped(source),
                "to": _escaped(target),
                "purpose": job,
                "datasets": sorted(dataset_id(*key) for key in carried),
                "description": f"OpenLineage job {job}",
            }
            where[("flows", ident)] = SourceRef(seen, ())
            flows.append(validated(Flow, body, seen))
    name = "openlineage " + ", ".join(path.rsplit("/", 1)[-1] for path in lineage.files)
    spec = Spec(
        name, list(lineage.files), None, systems, datasets, flows, [], where, holders=holders
    )
    spec.notes = notes
    check_references(spec)
    return spec
