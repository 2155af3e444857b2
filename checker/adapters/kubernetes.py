"""Kubernetes manifests (multi-document YAML, or a `kind: List`) into the spec model.

Workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod) become systems
with id `Kind/namespace/name`. Where a workload runs comes from the `dlc.io/location`
annotation (a dlc location, which wins) or from the region its pods are pinned to
(`topology.kubernetes.io/region` in a nodeSelector or a required node affinity) with the cloud
named by `dlc.io/provider` or told by provider-specific node labels. GPUs come from
`nvidia.com/gpu.product` (or the cloud's accelerator and instance-type labels) and
`resources.limits["nvidia.com/gpu"]` (also MIG slices, AMD, Gaudi, AWS Neuron) times the replicas.
Data and flows are declared with `dlc.io/data-*` and `dlc.io/sends-to` annotations (see
docs/integrations.md).

Fail closed: a workload whose location cannot be told, or whose pods may land in several regions
(an `In` list, OR'ed nodeSelectorTerms, a term pinning none), is an input error naming the object
and its line; pods that may get any of several GPU models hold each of them; GPUs requested
without a known model become an accelerator model the catalog does not know, which rules report.
Other kinds (Service, ConfigMap, ...) declare no systems; one with a pod template that requests
accelerators (a PyTorchJob, ...) is an input error.
"""

from __future__ import annotations

import re

from checker.adapters.common import (FieldSource, as_dict, as_list, carried_datasets, declared_dataset, dig,
                                     held_by_owner, true_or_false, validated)
from checker.adapters.terraform import gcp_accelerator, gpus_for
from checker.errors import InputError
from checker.load.documents import Document
from checker.load.spec import check_references
from checker.model import Dataset, Flow, SourceRef, Spec, System
from checker.resolve.regions import default_catalog

ANNOTATION = "dlc.io/"
WORKLOADS = {  # kind: path from the object to its pod spec
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
REGION_LABELS = ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")
ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
INSTANCE_TYPE_LABELS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
PROVIDER_HINTS = (  # node label prefix -> provider
    ("eks.amazonaws.com/", "aws"), ("karpenter.k8s.aws/", "aws"), ("k8s.amazonaws.com/", "aws"),
    ("cloud.google.com/", "gcp"), ("kubernetes.azure.com/", "azure"), ("alibabacloud.com/", "alibaba"),
    ("node.alibabacloud.com/", "alibaba"), ("aliyun.accelerator/", "alibaba"),
)
PROVIDER_NAMES = {"aws": "aws", "eks": "aws", "amazon": "aws", "gcp": "gcp", "gke": "gcp", "google": "gcp",
                  "azure": "azure", "aks": "azure", "alibaba": "alibaba", "alicloud": "alibaba", "ack": "alibaba"}
ACCELERATOR_RESOURCES = {  # resource -> what it is, for a model no label names
    "nvidia.com/gpu": "NVIDIA GPU", "amd.com/gpu": "AMD GPU", "habana.ai/gaudi": "Intel Gaudi GPU",
    "aws.amazon.com/neuron": "AWS Neuron accelerator", "aws.amazon.com/neurondevice": "AWS Neuron accelerator",
    "aws.amazon.com/neuroncore": "AWS Neuron accelerator",
}
MIG_RESOURCE = "nvidia.com/mig-"  # nvidia.com/mig-3g.40gb: a slice of an NVIDIA GPU
MODEL_LABELS = ("nvidia.com/gpu.product", "cloud.google.com/gke-accelerator", "aliyun.accelerator/nvidia_name",
                "karpenter.k8s.aws/instance-gpu-name", "amd.com/gpu.product-name")


class _Object:
    def __init__(self, data: dict, source, base: tuple) -> None:
        self.data = data
        self.source = source
        self.base = base
        self.kind = data.get("kind")
        metadata = as_dict(data.get("metadata"))
        self.name = metadata.get("name")
        self.namespace = metadata.get("namespace") or "default"
        self.id = f"{self.kind}/{self.namespace}/{self.name}"
        annotations = {}
        template = dig(data, *WORKLOADS.get(self.kind, ("spec",))[:-1], "metadata", "annotations")
        for found in (template, metadata.get("annotations")):  # the object's own annotations win
            if isinstance(found, dict):
                annotations.update({str(k): v for k, v in found.items()})
        self.annotations = annotations

    def at(self, *path) -> tuple:
        return (*self.base, *path)

    def error(self, message: str, at: tuple | None = None) -> InputError:
        """An input error about this object, at the document path `at` (default: its name)."""
        line, column = self.source.locate(at or self.at("metadata", "name"))
        return InputError(f"{self.id}: {message}", self.source.file, line, column)

    def annotation(self, name: str) -> tuple[str | None, tuple]:
        value = self.annotations.get(ANNOTATION + name)
        if value is None:
            return None, ()
        own = as_dict(dig(self.data, "metadata", "annotations"))
        path = ("metadata", "annotations", ANNOTATION + name) if ANNOTATION + name in own else \
            (*WORKLOADS[self.kind][:-1], "metadata", "annotations", ANNOTATION + name)
        return str(value), self.at(*path)


def _node_selections(obj: _Object) -> list[tuple[dict[str, tuple[list[str], tuple]], tuple]]:
    """The ways a pod may be placed, each as (label -> (allowed values, path written at), path of the
    way): the nodeSelector together with one of the OR'ed terms of the required node affinity."""
    pod = WORKLOADS[obj.kind]
    spec = as_dict(dig(obj.data, *pod))
    selector = {str(key): ([str(value)], obj.at(*pod, "nodeSelector", key))
                for key, value in as_dict(spec.get("nodeSelector")).items()}
    terms_at = (*pod, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
                "nodeSelectorTerms")
    selections = []
    for t, term in enumerate(as_list(dig(obj.data, *terms_at))):
        selection = dict(selector)
        for e, expression in enumerate(as_list(dig(term, "matchExpressions"))):
            if not isinstance(expression, dict) or expression.get("operator") != "In":
                continue
            key = str(expression.get("key"))
            values = [str(v) for v in as_list(expression.get("values"))]
            if key in selection:  # both must hold; allowing either is the worst case
                selection[key] = (sorted(set(selection[key][0]) | set(values)), selection[key][1])
            else:
                selection[key] = (values, obj.at(*terms_at, t, "matchExpressions", e, "values"))
        selections.append((selection, obj.at(*terms_at, t)))
    return selections or [(selector, obj.at(*pod))]


def _provider(obj: _Object, selections: list) -> str | None:
    named, _ = obj.annotation("provider")
    if named:
        provider = PROVIDER_NAMES.get(named.strip().lower())
        if provider is None:
            raise obj.error(f"dlc.io/provider '{named}' is not one of aws, gcp, azure, alibaba",
                            obj.annotation("provider")[1])
        return provider
    for key, (values, _) in (item for selection, _ in selections for item in selection.items()):
        for prefix, provider in PROVIDER_HINTS:
            if key.startswith(prefix):
                return provider
        if key in INSTANCE_TYPE_LABELS and values:
            itype = values[0]
            if itype.lower().startswith("standard_"):
                return "azure"
            if itype.startswith("ecs."):
                return "alibaba"
            if re.match(r"^[a-z]\d[a-z]*-", itype):
                return "gcp"
            if re.match(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$", itype):
                return "aws"
    return None


def _pinned(selection: dict) -> tuple[str, list[str], tuple] | None:
    """('region' or 'zone', allowed values, path) the selection pins its pods to, None if it pins none."""
    for labels, what in ((REGION_LABELS, "region"), (ZONE_LABELS, "zone")):
        for label in labels:
            if label in selection:
                return what, *selection[label]
    return None


def _location(obj: _Object, selections: list, provider: str | None) -> tuple[str, tuple]:
    explicit, at = obj.annotation("location")
    if explicit:
        return explicit.strip(), at
    pins = [_pinned(selection) for selection, _ in selections]
    if not any(pins):
        raise obj.error("cannot tell where it runs: pin its pods to a region with a nodeSelector or required "
                        "node affinity on topology.kubernetes.io/region, or add the annotation dlc.io/location "
                        "(e.g. CN or aws:cn-north-1)")
    for pin, (_, term_at) in zip(pins, selections):
        if pin is None:
            raise obj.error("its pods may run anywhere: one of its nodeSelectorTerms pins no region or zone; pin "
                            "every term, or say where with the dlc.io/location annotation", term_at)
    whats = sorted({what for what, _, _ in pins})
    values = sorted({value for _, found, _ in pins for value in found})
    at = pins[0][2]
    if len(values) != 1:
        raise obj.error(f"its pods may run in several {' or '.join(w + 's' for w in whats)} ({', '.join(values)}); "
                        "pin one, or say where with the dlc.io/location annotation", at)
    [what], [value] = whats, values
    if provider is None:
        raise obj.error(f"runs in {what} '{value}' but dlc cannot tell which cloud that is: add "
                        "the annotation dlc.io/provider (aws, gcp, azure, alibaba) or dlc.io/location", at)
    azure_zone = re.fullmatch(r"(.+)-\d", value)  # chinanorth3-1: zone 1 of chinanorth3
    if provider == "azure" and what == "zone" and azure_zone and \
            f"azure:{azure_zone[1]}" in default_catalog().regions("azure"):
        value = azure_zone[1]
    return f"{provider}:{value}", at


def _replicas(obj: _Object) -> int:
    spec = as_dict(obj.data.get("spec"))
    if obj.kind in ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"):
        value = spec.get("replicas", 1)
    elif obj.kind == "Job":
        value = spec.get("parallelism", 1)
    elif obj.kind == "CronJob":
        value = dig(spec, "jobTemplate", "spec", "parallelism")
        value = 1 if value is None else value
    else:  # Pod; a DaemonSet runs one pod per matching node, which a manifest cannot count
        value = 1
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise obj.error(f"replicas/parallelism must be a whole number, not {value!r}", obj.at("spec"))
    return value


def _accelerator_kind(resource: str) -> str | None:
    if resource.startswith(MIG_RESOURCE):  # a slice of a GPU: counted as a whole one, the worst case
        return "NVIDIA GPU"
    return ACCELERATOR_RESOURCES.get(resource)


def _requested(obj: _Object, pod: dict) -> dict[str, int]:
    """Accelerator resource -> how many one pod asks for, over its containers and init containers
    (summed, the worst case)."""
    requested: dict[str, int] = {}
    for container in as_list(pod.get("containers")) + as_list(pod.get("initContainers")):
        limits = as_dict(dig(container, "resources", "limits"))
        requests = as_dict(dig(container, "resources", "requests"))
        for resource in {**requests, **limits}:
            if _accelerator_kind(str(resource)) is None:
                continue
            value = limits.get(resource, requests.get(resource))
            try:
                number = int(str(value))
            except ValueError:
                raise obj.error(f"{resource} must be a whole number of accelerators, not {value!r}") from None
            requested[str(resource)] = requested.get(str(resource), 0) + number
    return requested


def _models(selection: dict, provider: str | None) -> list[tuple[str, int | None]]:
    """(model, accelerators per node if the instance type tells) for every model the pods may get."""
    for label in MODEL_LABELS:
        values = selection.get(label, ([], ()))[0]
        if values:
            return [(gcp_accelerator(v) if label == "cloud.google.com/gke-accelerator" else v, None)
                    for v in values]
    for label in INSTANCE_TYPE_LABELS:
        if label in selection and provider:
            found = [gpus_for(provider, itype) for itype in selection[label][0]]
            if any(found):
                return [gpus for gpus in found if gpus]
    return []


def _accelerators(obj: _Object, selections: list, provider: str | None) -> list[dict]:
    """Every accelerator model the pods may get, each with the most the workload may hold."""
    requested = _requested(obj, as_dict(dig(obj.data, *WORKLOADS[obj.kind])))
    total = sum(requested.values())
    replicas = _replicas(obj)
    counts: dict[str, int] = {}
    for selection, _ in selections:
        models = _models(selection, provider)
        if models:
            found = [(model, (total or per_node or 1) * replicas) for model, per_node in models]
        else:  # accelerators of no stated model: fail closed, the rules judge them
            found = [(f"unspecified {_accelerator_kind(resource)} ({resource})", number * replicas)
                     for resource, number in requested.items()]
        for model, count in found:
            if count > 0:
                counts[model] = max(count, counts.get(model, 0))
    return [{"model": model, "count": count} for model, count in counts.items()]


def _pod_templates(value: object, path: tuple = ()):
    """(path, pod spec) of every pod template under `value`: a mapping whose spec has containers."""
    if isinstance(value, dict):
        if isinstance(dig(value, "spec", "containers"), list):
            yield path, value["spec"]
        for key, child in value.items():
            yield from _pod_templates(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _pod_templates(child, (*path, index))


def _refuse_unknown_workload(obj: _Object) -> None:
    """Fail closed on a kind dlc does not read (a PyTorchJob, a RayCluster, ...) whose pods ask for
    accelerators: dlc cannot count them, and skipping them would hide them."""
    for path, pod in _pod_templates(obj.data.get("spec"), ("spec",)):
        if _requested(obj, pod):
            raise obj.error(f"a {obj.kind} is not a kind dlc reads, but its pod template at {'.'.join(map(str, path))} "
                            "requests accelerators; describe it in a dlc spec, or check the workloads it creates",
                            obj.at(*path))


def _objects(documents: list[Document]) -> list[_Object]:
    out = []
    for document in documents:
        data = document.data
        if data == {}:  # an empty document, as rendered charts hold
            continue
        if not isinstance(data, dict):
            line, column = document.source.locate(())
            raise InputError(f"a Kubernetes manifest must be a mapping, not a {type(data).__name__}",
                             document.source.file, line, column)
        if data.get("kind") == "List" or (str(data.get("kind", "")).endswith("List") and "items" in data):
            for index, item in enumerate(as_list(data.get("items"))):
                if isinstance(item, dict):
                    out.append(_Object(item, document.source, ("items", index)))
            continue
        for key in ("apiVersion", "kind"):
            if not isinstance(data.get(key), str):
                line, column = document.source.locate(())
                raise InputError(f"a Kubernetes manifest needs '{key}' (is this document a manifest?)",
                                 document.source.file, line, column)
        out.append(_Object(data, document.source, ()))
    return out


def _matches(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def manifests_to_spec(documents: list[Document]) -> Spec:
    """Workloads in the documents of one manifest file as a Spec whose ids are Kind/namespace/name."""
    try:
        return _manifests_to_spec(documents)
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
        # A shape no valid manifest has (a field of an unexpected type): an input error, never a traceback.
        raise InputError(f"malformed Kubernetes manifest: unexpected structure ({type(exc).__name__}: {exc})",
                         documents[0].source.file) from None


def _manifests_to_spec(documents: list[Document]) -> Spec:
    file = documents[0].source.file
    objects = _objects(documents)
    systems: dict[str, dict] = {}
    datasets: dict[str, Dataset] = {}
    where: dict = {}
    workloads: dict[str, _Object] = {}
    services: dict[str, _Object] = {}
    for obj in objects:
        if obj.kind == "Service":
            services[obj.id] = obj
        if obj.kind not in WORKLOADS:
            _refuse_unknown_workload(obj)
            continue
        if not isinstance(obj.name, str) or not obj.name:
            line, column = obj.source.locate(obj.at("metadata"))
            raise InputError(f"a {obj.kind} needs metadata.name", obj.source.file, line, column)
        if obj.id in systems:
            raise obj.error("declared twice in this file")
        selections = _node_selections(obj)
        provider = _provider(obj, selections)
        location, at = _location(obj, selections, provider)
        if ":" in location:
            provider = location.split(":", 1)[0]
        system = {"id": obj.id, "kind": "compute", "location": location}
        accelerators = _accelerators(obj, selections, provider)
        if accelerators:
            system["accelerators"] = accelerators
        operator, _ = obj.annotation("operator")
        if operator:
            system["operator"] = operator
        systems[obj.id] = system
        workloads[obj.id] = obj
        name_at = obj.at("metadata", "name")
        where[("systems", obj.id)] = SourceRef(FieldSource(obj.source, name_at, {"location": at}), ())
        declared = declared_dataset(obj.id, obj.source, lambda key: obj.annotation(f"data-{key}"),
                                    lambda key: f"{ANNOTATION}data-{key}", obj.error)
        if declared is not None:
            dataset, written_at = declared
            datasets[dataset.id] = dataset
            where[("datasets", dataset.id)] = written_at

    flows: list[tuple[dict, _Object, tuple]] = []
    for obj in workloads.values():
        value, at = obj.annotation("sends-to")
        if not value:
            continue
        for target in (t.strip() for t in value.split(",")):
            if not target:
                continue
            for resolved in _targets(obj, target, workloads, services, systems, where, at):
                flows.append(({"from": obj.id, "to": resolved, "mode": "copy"}, obj, at))

    holds = carried_datasets(systems, datasets, [(data["from"], data["to"]) for data, _, _ in flows])
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
            body["encrypted"] = true_or_false(encrypted, f"{ANNOTATION}encrypted", obj.error, encrypted_at)
        where[("flows", ident)] = SourceRef(FieldSource(obj.source, at, {}), ())
        flow_models.append(validated(Flow, body, where[("flows", ident)].source))
    system_models = [validated(System, body, where[("systems", sid)].source) for sid, body in systems.items()]
    name = file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    spec = Spec(f"kubernetes manifests {name}", [file], None, system_models, list(datasets.values()),
                flow_models, [], where, held_at=held_by_owner(datasets))
    check_references(spec)
    return spec


def _targets(obj: _Object, target: str, workloads: dict, services: dict, systems: dict, where: dict,
             at: tuple) -> list[str]:
    if "/" in target:  # Kind/namespace/name or Kind/name (same namespace)
        parts = target.split("/")
        if len(parts) == 2:
            parts = [parts[0], obj.namespace, parts[1]]
        if len(parts) != 3 or not all(parts):
            raise obj.error(f"dlc.io/sends-to '{target}' is neither Kind/namespace/name nor a location",
                            at)
        ident = "/".join(parts)
        if ident in workloads:
            return [ident]
        if parts[0] == "Service" and ident in services:
            selector = as_dict(dig(services[ident].data, "spec", "selector"))
            matched = [w.id for w in workloads.values() if w.namespace == parts[1] and _matches(
                selector, as_dict(dig(w.data, *WORKLOADS[w.kind][:-1], "metadata", "labels")))]
            if matched:
                return matched
            raise obj.error(f"dlc.io/sends-to '{target}': the Service selects no workload in this file; "
                            "name the workload, or a location for an endpoint outside it", at)
        raise obj.error(f"dlc.io/sends-to '{target}' is not a workload in this file; name a "
                        "Kind/namespace/name declared here, or a location (e.g. US, aws:us-west-2) for an "
                        "endpoint outside it", at)
    ident = f"external:{target}"
    if ident not in systems:
        systems[ident] = {"id": ident, "kind": "service", "location": target}
        where[("systems", ident)] = SourceRef(FieldSource(obj.source, at, {}), ())
    return [ident]
