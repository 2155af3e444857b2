"""Kubernetes manifests (multi-document YAML, or a `kind: List`) into the spec model.

Every object is seen once and counted (`Spec.coverage`): evaluated, skipped with a reason
(`no-data`: Services, ConfigMaps, RBAC, ...; `template`: pod templates and training runtimes
that run nothing themselves; `volume`: PersistentVolumes, whose claims are the stores;
`unknown-kind`: one notice per kind) or in error. One object's error is reported and the others
are still read.

Workloads (Deployment, StatefulSet, Job, ..., and the kinds of batch and training operators:
Kubeflow TrainJob and PyTorchJob/TFJob/MPIJob/XGBoostJob, KubeRay RayCluster/RayJob/RayService,
Volcano Job, JobSet, ..., or any kind whose pod templates request accelerators) become systems
`Kind/namespace/name`; Karpenter NodePools become the GPUs they may launch; StatefulSets with
volume claims, PersistentVolumeClaims and the clusters of well-known database and queue
operators are data stores. GPUs are counted per pod template times the replicas, parallelism,
maxReplicas and numOfHosts written above it.

A workload needs a location only when it holds accelerators, carries classified data, sends data
(`dlc.io/sends-to`) or receives it; its location is the first of: its `dlc.io/location`
annotation, that of its Namespace in the same file, the configuration's `kubernetes.namespaces`,
the region or zone its pods are pinned to (node selector, required node affinity, with the
cloud told by `dlc.io/provider` or the clouds' own node labels), `--default-location`. A
workload that needs none and has none is evaluated and declares no system.

A store's data is classified by `dlc.io/data-*` annotations, else by the configuration's
`classification` entries over its labels and annotations, else it is unclassified: its origin
is the store's country (`Spec.holders`). A workload sending data without classifying it sends
unclassified data. A label or annotation key close to one of dlc's, or an unknown `dlc.io/` key,
is an error suggesting the right one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checker.adapters.common import (
    FieldSource,
    as_dict,
    as_list,
    carried_datasets,
    declared_dataset,
    dig,
    held_by_owner,
    true_or_false,
    validated,
)
from checker.adapters.infrastructure import (
    classified,
    edit_distance,
    skipped_notice,
    store_country,
    typo_of,
    unclassified_dataset,
)
from checker.adapters.kubernetes.objects import (
    ANNOTATION,
    DLC_KEYS,
    STORE_KINDS,
    WORKLOAD_KINDS,
    ManifestObject,
)
from checker.adapters.kubernetes.placement import (
    NODE_POOLS,
    PodGroup,
    accelerators_of,
    node_pool,
    pinned_location,
    pod_groups,
    provider_of,
)
from checker.config import NO_INFRASTRUCTURE, Infrastructure
from checker.errors import InputError
from checker.load.documents import Document
from checker.load.spec import check_references
from checker.model import Coverage, Dataset, Flow, SourceRef, Spec, System
from checker.resolve.regions import UnknownLocation, default_catalog


@dataclass
class _Workload:
    """An object read as a workload, store or NodePool, until its location and data are settled."""

    obj: ManifestObject
    store: bool
    groups: list[PodGroup] | None  # None: a NodePool, whose accelerators are not its pods'
    selections: list
    provider: str | None
    accelerators: list[dict]
    declared: tuple[Dataset, SourceRef] | None
    receives: bool = False
    location: tuple[str, tuple] | None = None


def _objects(documents: list[Document], coverage: Coverage) -> list[ManifestObject]:
    out = []
    for document in documents:
        data = document.data
        if data == {} or data is None:  # an empty document, as rendered charts hold
            continue
        if isinstance(data, dict) and (
            data.get("kind") == "List"
            or (str(data.get("kind", "")).endswith("List") and "items" in data)
        ):
            items: list[tuple[Any, tuple]] = [
                (item, ("items", index)) for index, item in enumerate(as_list(data.get("items")))
            ]
        else:
            items = [(data, ())]
        for item, base in items:
            coverage.seen += 1
            problem, at = _not_an_object(item)
            if problem:
                line, column = document.source.locate((*base, *at))  # or the deepest part there is
                coverage.errors.append(InputError(problem, document.source.file, line, column))
                coverage.skipped["error"] += 1
            else:
                out.append(ManifestObject(item, document.source, base))
    return out


def _not_an_object(data: object) -> tuple[str | None, tuple]:
    """What keeps `data` from being an object dlc can read, and where (None when nothing does)."""
    if not isinstance(data, dict):
        return f"a Kubernetes manifest must be a mapping, not a {type(data).__name__}", (
            "metadata",
        )
    for key in ("apiVersion", "kind"):
        if not isinstance(data.get(key), str):
            return f"a Kubernetes manifest needs '{key}' (is this document a manifest?)", (
                "metadata",
            )
    metadata = as_dict(data.get("metadata"))
    name = metadata.get("name") or metadata.get("generateName")
    if not isinstance(name, str) or not name:
        return f"a {data['kind']} needs metadata.name (or generateName)", ("metadata",)
    if not isinstance(metadata.get("namespace") or "", str):
        namespace = metadata["namespace"]
        message = f"a {data['kind']}'s metadata.namespace must be a name, not {namespace!r}"[:200]
        return message, ("metadata", "namespace")
    return None, ()


def _namespace_locations(objects: list[ManifestObject]) -> dict[str, str]:
    """Namespace name -> the dlc.io/location annotation of the Namespace object in the file."""
    locations = {}
    for obj in objects:
        if obj.kind == "Namespace" and obj.group == "":
            value, _ = obj.annotation("location")
            if value:
                locations[str(obj.name)] = value.strip()
    return locations


class _Reader:
    """The objects of one file, read one at a time: an error in one is counted and the rest go on."""

    def __init__(self, documents: list[Document], infrastructure: Infrastructure) -> None:
        self.file = documents[0].source.file
        self.infrastructure = infrastructure
        self.coverage = Coverage()
        self.objects = _objects(documents, self.coverage)
        self.namespaces = _namespace_locations(self.objects)
        self.workloads: dict[str, _Workload] = {}
        self.services: dict[str, ManifestObject] = {}
        self.failed: set[str] = set()  # workloads with an error found after they were read
        self.meant: dict[str, str | None] = {}  # label or annotation key -> what is wrong with it
        self.unknown: dict[tuple[str, str | None], list[ManifestObject]] = {}
        self.runtimes = {
            (obj.kind, obj.namespace if obj.kind == "TrainingRuntime" else None, obj.name): obj
            for obj in self.objects
            if obj.group == "trainer.kubeflow.org"
        }
        self.unseen_runtimes: list[
            tuple[ManifestObject, str]
        ] = []  # TrainJobs whose GPUs only a runtime tells

    def fail(self, ident: str, error: InputError) -> None:
        self.coverage.errors.append(error)
        self.failed.add(ident)

    def read(self) -> None:
        seen: set[str] = set()
        for obj in self.objects:
            try:
                self._check_keys(obj)
                if obj.id in seen:
                    raise obj.error("declared twice in this file")
                seen.add(obj.id)
                self._read(obj)
            except InputError as error:
                self.coverage.errors.append(error)
                self.coverage.skipped["error"] += 1

    def _check_keys(self, obj: ManifestObject) -> None:
        """A label or annotation key meant to be one of dlc's fails, with the key it should be."""
        for key, (_, at) in sorted({**obj.labels, **obj.annotations}.items()):
            if key not in self.meant:  # the same keys recur on every object of a rendered chart
                self.meant[key] = self._meant(key)
            message = self.meant[key]
            if message:
                raise obj.error(message, at)

    def _meant(self, key: str) -> str | None:
        """What is wrong with a key that is not dlc's own, None when nothing is."""
        if key in DLC_KEYS or key in self.infrastructure.classified_keys():
            return None
        if key.lower().startswith(ANNOTATION):
            meant = min(DLC_KEYS, key=lambda own: (edit_distance(key.lower(), own, 99), own))
            return f"unknown dlc key '{key}': did you mean '{meant}'? (dlc reads {', '.join(DLC_KEYS)})"
        typo = typo_of(key, DLC_KEYS, self.infrastructure)
        return f"'{key}' looks like a misspelt dlc key: did you mean '{typo}'?" if typo else None

    def _read(self, obj: ManifestObject) -> None:
        if obj.kind == "Service" and obj.group == "":
            self.services[obj.id] = obj
        if obj.skipped:
            unread = sorted(
                set(obj.annotations)
                & set(DLC_KEYS) - ({ANNOTATION + "location"} if obj.kind == "Namespace" else set())
            )
            if unread:  # never silently ignored
                raise obj.error(
                    f"{unread[0]} is not read on a {obj.kind}, which keeps no data and runs nothing "
                    "itself: put it on the workload or store it concerns",
                    obj.annotations[unread[0]][1],
                )
            self.coverage.skipped[obj.skipped] += 1
        elif obj.kind in NODE_POOLS and obj.group == "karpenter.sh":
            selections, accelerators, provider = node_pool(obj)
            self._workload(obj, False, None, selections, provider, accelerators)
        else:
            store = (obj.group, obj.kind) in STORE_KINDS or (
                obj.kind == "StatefulSet"
                and bool(as_list(dig(obj.data, "spec", "volumeClaimTemplates")))
            )
            runtime = self._runtime(obj)
            groups = pod_groups(obj, runtime)
            known = (obj.group, obj.kind) in WORKLOAD_KINDS
            annotated = not obj.annotations.keys().isdisjoint(DLC_KEYS)
            if not (store or known or annotated or any(group.requested for group in groups)):
                self.unknown.setdefault((obj.group, obj.kind), []).append(obj)
                return
            if obj.bad_counts:
                raise obj.error(
                    "replicas, maxReplicas, parallelism, numOfHosts and numNodes must be whole numbers, "
                    f"not {obj.bad_counts[0]!r}",
                    obj.at("spec"),
                )
            selections = [selection for group in groups for selection in group.selections]
            provider = provider_of(obj, selections)
            self._workload(
                obj, store, groups, selections, provider, accelerators_of(groups, provider)
            )

    def _runtime(self, obj: ManifestObject) -> ManifestObject | None:
        """The training runtime a TrainJob names, when this file holds it; a TrainJob that leaves
        its resources to a runtime not in the file is noted (its GPUs cannot be counted)."""
        if (obj.group, obj.kind) != ("trainer.kubeflow.org", "TrainJob"):
            return None
        ref = as_dict(dig(obj.data, "spec", "runtimeRef"))
        kind, name = str(ref.get("kind") or "ClusterTrainingRuntime"), ref.get("name")
        if not isinstance(name, str | None):
            raise obj.error(
                f"spec.runtimeRef.name must be a name, not {name!r}"[:200],
                obj.at("spec", "runtimeRef", "name"),
            )
        runtime = self.runtimes.get(
            (kind, obj.namespace if kind == "TrainingRuntime" else None, name)
        )
        if runtime is None and not dig(obj.data, "spec", "trainer", "resourcesPerNode"):
            self.unseen_runtimes.append((obj, f"{kind} {ref.get('name')}"))
        return runtime

    def _workload(
        self,
        obj: ManifestObject,
        store: bool,
        groups: list[PodGroup] | None,
        selections: list,
        provider: str | None,
        accelerators: list[dict],
    ) -> None:
        declared = declared_dataset(
            obj.id,
            obj.source,
            lambda key: obj.annotation(f"data-{key}"),
            lambda key: f"{ANNOTATION}data-{key}",
            obj.error,
        )
        self.workloads[obj.id] = _Workload(
            obj, store, groups, selections, provider, accelerators, declared
        )

    def notices(self) -> list:
        """One notice per kind dlc does not model, naming how many objects of it were skipped, and
        one per TrainJob whose accelerators only a runtime outside the file tells."""
        out = []
        for (group, kind), objects in sorted(self.unknown.items()):
            first = objects[0]
            line, _ = first.source.locate(first.at("kind"))
            api = f"{group}/{kind}" if group else str(kind)
            out.append(
                skipped_notice(
                    "DLC-UNKNOWN-KIND",
                    "Kubernetes kind not modelled",
                    api,
                    f"{len(objects)} {kind} object(s) ({first.data.get('apiVersion')}) skipped: dlc does not model "
                    f"this kind and nothing in it requests accelerators (first: {first.id})",
                    "If it keeps or moves data, annotate it with dlc.io/data-* or dlc.io/sends-to, or describe it "
                    "in a dlc spec",
                    self.file,
                    line,
                )
            )
        for obj, runtime in self.unseen_runtimes:
            line, _ = obj.source.locate(obj.at("spec", "runtimeRef"))
            out.append(
                skipped_notice(
                    "DLC-TRAINJOB-RUNTIME-UNSEEN",
                    "TrainJob resources left to a runtime not in the input",
                    obj.id,
                    f"{obj.id} takes its resources from {runtime}, which is not in this file: the accelerators its "
                    "nodes request are not counted",
                    "Give the TrainJob spec.trainer.resourcesPerNode, or check it "
                    "together with its runtime (one file)",
                    self.file,
                    line,
                )
            )
        return out


def manifests_to_spec(
    documents: list[Document], infrastructure: Infrastructure = NO_INFRASTRUCTURE
) -> Spec:
    """Workloads in the documents of one manifest file as a Spec whose ids are Kind/namespace/name,
    with what was seen, evaluated and skipped in `Spec.coverage`."""
    reader = _Reader(documents, infrastructure)
    reader.read()
    notices = reader.notices()
    if reader.unknown:
        reader.coverage.skipped["unknown-kind"] += sum(map(len, reader.unknown.values()))
    workloads = reader.workloads
    systems: dict[str, dict] = {}
    where: dict = {}
    sends: dict[str, list[tuple[str, tuple]]] = {}
    for ident, workload in workloads.items():
        value, at = workload.obj.annotation("sends-to")
        try:
            sends[ident] = [
                (resolved, at)
                for target in (value or "").split(",")
                if target.strip()
                for resolved in _targets(
                    workload.obj, target.strip(), workloads, reader.services, systems, where, at
                )
            ]
        except InputError as error:
            reader.fail(ident, error)
    for targets in sends.values():
        for target, _ in targets:
            if target in workloads:
                workloads[target].receives = True

    datasets: dict[str, Dataset] = {}
    holders: dict[str, str] = {}
    for ident, workload in workloads.items():
        try:
            if not _locate(workload, reader, bool(sends.get(ident))):
                continue
            _declare(
                workload, bool(sends.get(ident)), systems, datasets, holders, where, infrastructure
            )
        except InputError as error:
            reader.fail(ident, error)

    flows: list[tuple[dict, ManifestObject, tuple]] = [
        ({"from": ident, "to": target, "mode": "copy"}, workloads[ident].obj, at)
        for ident, targets in sends.items()
        if ident in systems and ident not in reader.failed
        for target, at in targets
        if target in systems
    ]
    holds = carried_datasets(
        systems, datasets, [(data["from"], data["to"]) for data, _, _ in flows]
    )
    flow_models = []
    for data, obj, at in flows:
        ident = f"{data['from']}->{data['to']}"
        if ("flows", ident) in where:
            continue
        body = {"id": ident, **data, "datasets": sorted(holds[data["from"]])}
        purpose, _ = obj.annotation("purpose")
        if purpose:
            body["purpose"] = purpose.strip()
        encrypted, encrypted_at = obj.annotation("encrypted")
        if encrypted is not None:
            body["encrypted"] = true_or_false(
                encrypted, f"{ANNOTATION}encrypted", obj.error, encrypted_at
            )
        where[("flows", ident)] = SourceRef(FieldSource(obj.source, at, {}), ())
        flow_models.append(validated(Flow, body, where[("flows", ident)].source))

    coverage = reader.coverage
    if reader.failed:
        coverage.skipped["error"] += len(reader.failed)
    coverage.evaluated += sum(1 for ident in workloads if ident not in reader.failed)
    coverage.notices += notices
    system_models = [
        validated(System, body, where[("systems", sid)].source) for sid, body in systems.items()
    ]
    name = reader.file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    spec = Spec(
        f"kubernetes manifests {name}",
        [reader.file],
        None,
        system_models,
        list(datasets.values()),
        flow_models,
        [],
        where,
        holders=holders,
        coverage=coverage,
        held_at=held_by_owner(datasets),
    )
    check_references(spec)
    return spec


def _reasons(workload: _Workload, classified_data: bool, sends: bool) -> list[str]:
    """Why a workload must have a location: what it holds or moves that a rule judges by country."""
    reasons = []
    if workload.accelerators:
        reasons.append(
            "holds accelerators ("
            + ", ".join(f"{a['count']} {a['model']}" for a in workload.accelerators)
            + ")"
        )
    if classified_data:
        reasons.append("carries classified data")
    if sends:
        reasons.append("sends data (dlc.io/sends-to)")
    if workload.receives:
        reasons.append("receives data (another workload's dlc.io/sends-to)")
    return reasons


def _locate(workload: _Workload, reader: _Reader, sends: bool) -> bool:
    """Set the workload's location; False when it has none and needs none (it is then evaluated
    without a system), an error when it needs one and none can be told."""
    obj = workload.obj
    classified_data = workload.declared is not None or bool(
        reader.infrastructure.classify(obj.tags())
    )
    reasons = _reasons(workload, classified_data, sends)
    try:
        location = _location(workload, reader)
    except InputError:
        if reasons:
            raise
        return False
    if location is None:
        if reasons:
            raise obj.error(
                f"cannot tell where it runs, and it {' and '.join(reasons)}: add the annotation "
                "dlc.io/location (e.g. CN or aws:cn-north-1) to it or its Namespace, map its namespace "
                "under kubernetes.namespaces in dlc.yaml, pin its pods to a region with a nodeSelector "
                "on topology.kubernetes.io/region, or pass --default-location"
            )
        return False
    _known_location(obj, *location)
    workload.location = location
    return True


def _known_location(obj: ManifestObject, location: str, at: tuple) -> None:
    """An unknown location is this object's error (the resolver would fail the whole file)."""
    try:
        default_catalog().country_of(location)
    except UnknownLocation as exc:
        raise obj.error(str(exc), at) from None


def _location(workload: _Workload, reader: _Reader) -> tuple[str, tuple] | None:
    """Its own annotation, its Namespace's, the configuration's namespaces, its node selection, the default."""
    obj = workload.obj
    own, at = obj.annotation("location")
    if own:
        return own.strip(), at
    if (
        obj.namespace in reader.namespaces
    ):  # pointed at the workload's namespace, in its own document
        return reader.namespaces[obj.namespace], obj.at("metadata", "namespace")
    name_at = obj.at("metadata", "name")
    configured = reader.infrastructure.kubernetes_namespaces.get(obj.namespace)
    if configured:
        return configured, name_at
    pinned = pinned_location(obj, workload.selections, workload.provider)
    if pinned:
        return pinned
    default = reader.infrastructure.location_for(obj.id)
    return (default, name_at) if default else None


def _declare(
    workload: _Workload,
    sends: bool,
    systems: dict,
    datasets: dict,
    holders: dict,
    where: dict,
    infrastructure: Infrastructure,
) -> None:
    """The workload's system and the dataset it holds: declared by dlc annotations, classified by the
    configuration, or unclassified when it is a store or sends data nobody classified."""
    obj = workload.obj
    assert workload.location is not None  # settled before any workload is declared
    location, at = workload.location
    provider = location.split(":", 1)[0] if ":" in location else workload.provider
    accelerators = workload.accelerators
    if workload.provider is None and provider and workload.groups:  # the location names the cloud
        accelerators = accelerators_of(workload.groups, provider)
    system: dict[str, Any] = {
        "id": obj.id,
        "kind": "storage" if workload.store else "compute",
        "location": location,
    }
    if accelerators:
        system["accelerators"] = accelerators
    operator, _ = obj.annotation("operator")
    if operator:
        system["operator"] = operator
    name_at = obj.at("metadata", "name")
    systems[obj.id] = system
    where[("systems", obj.id)] = SourceRef(FieldSource(obj.source, name_at, {"location": at}), ())
    if workload.declared is not None:
        dataset, written_at = workload.declared
        datasets[dataset.id] = dataset
        where[("datasets", dataset.id)] = written_at
        return
    found = classified(obj.id, obj.tags(), infrastructure, store_country(location))
    if found is not None:
        body, entry = found
        key_at = {**obj.labels, **obj.annotations}[entry.key][1]
        source = FieldSource(obj.source, key_at, {})
        datasets[body["id"]] = validated(Dataset, body, source)
        where[("datasets", body["id"])] = SourceRef(source, ())
    elif workload.store or sends:
        dataset = unclassified_dataset(obj.id)
        datasets[dataset.id] = dataset
        holders[dataset.id] = obj.id
        where[("datasets", dataset.id)] = SourceRef(FieldSource(obj.source, name_at, {}), ())


def _matches(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _targets(
    obj: ManifestObject,
    target: str,
    workloads: dict,
    services: dict,
    systems: dict,
    where: dict,
    at: tuple,
) -> list[str]:
    if "/" in target:  # Kind/namespace/name or Kind/name (same namespace)
        parts = target.split("/")
        if len(parts) == 2:
            parts = [parts[0], obj.namespace, parts[1]]
        if len(parts) != 3 or not all(parts):
            raise obj.error(
                f"dlc.io/sends-to '{target}' is neither Kind/namespace/name nor a location", at
            )
        ident = "/".join(parts)
        if ident in workloads:
            return [ident]
        if parts[0] == "Service" and ident in services:
            selector = as_dict(dig(services[ident].data, "spec", "selector"))
            matched = [
                w.obj.id
                for w in workloads.values()
                if w.obj.namespace == parts[1]
                and _matches(selector, {key: value for key, (value, _) in w.obj.labels.items()})
            ]
            if matched:
                return matched
            raise obj.error(
                f"dlc.io/sends-to '{target}': the Service selects no workload in this file; "
                "name the workload, or a location for an endpoint outside it",
                at,
            )
        raise obj.error(
            f"dlc.io/sends-to '{target}' is not a workload in this file; name a "
            "Kind/namespace/name declared here, or a location (e.g. US, aws:us-west-2) for an "
            "endpoint outside it",
            at,
        )
    ident = f"external:{target}"
    _known_location(obj, target, at)
    if ident not in systems:
        systems[ident] = {"id": ident, "kind": "service", "location": target}
        where[("systems", ident)] = SourceRef(FieldSource(obj.source, at, {}), ())
    return [ident]
