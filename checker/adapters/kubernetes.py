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

import re
from collections import Counter
from dataclasses import dataclass, field

from checker.adapters.common import (FieldSource, as_dict, as_list, carried_datasets, declared_dataset, dig,
                                     true_or_false, validated)
from checker.adapters.infrastructure import (classified, edit_distance, skipped_notice, store_country, typo_of,
                                             unclassified_dataset)
from checker.config import NO_INFRASTRUCTURE, Infrastructure
from checker.errors import InputError
from checker.load.documents import Document
from checker.load.spec import check_references
from checker.model import Coverage, Dataset, Flow, SourceRef, Spec, System
from checker.resolve.instance_types import family_gpus, gcp_accelerator, gpus_for
from checker.resolve.regions import default_catalog

ANNOTATION = "dlc.io/"
DLC_KEYS = tuple(ANNOTATION + key for key in (
    "location", "provider", "data-origin", "data-categories", "data-subjects", "data-important", "sends-to",
    "purpose", "encrypted", "operator"))

# Kinds by API group (the part of apiVersion before the slash; "" for v1).
WORKLOAD_KINDS = {  # read by the pod-template walk; evaluated even when they request no accelerators
    "": {"Pod", "ReplicationController"},
    "apps": {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"},
    "extensions": {"Deployment", "DaemonSet", "ReplicaSet"},
    "batch": {"Job", "CronJob"},
    "kubeflow.org": {"PyTorchJob", "TFJob", "MPIJob", "XGBoostJob", "PaddleJob", "JAXJob", "MXJob"},
    "ray.io": {"RayCluster", "RayJob", "RayService"},
    "batch.volcano.sh": {"Job", "CronJob"},
    "jobset.x-k8s.io": {"JobSet"},
    "leaderworkerset.x-k8s.io": {"LeaderWorkerSet"},
    "argoproj.io": {"Rollout"},
}
STORE_KINDS = {  # data stores: (group, kind); StatefulSets with volumeClaimTemplates too
    ("", "PersistentVolumeClaim"),
    ("postgresql.cnpg.io", "Cluster"), ("acid.zalan.do", "postgresql"),
    ("postgres-operator.crunchydata.com", "PostgresCluster"), ("pxc.percona.com", "PerconaXtraDBCluster"),
    ("psmdb.percona.com", "PerconaServerMongoDB"), ("pgv2.percona.com", "PerconaPGCluster"),
    ("mongodbcommunity.mongodb.com", "MongoDBCommunity"), ("mysql.oracle.com", "InnoDBCluster"),
    ("kafka.strimzi.io", "Kafka"), ("kafka.strimzi.io", "KafkaTopic"),
    ("elasticsearch.k8s.elastic.co", "Elasticsearch"), ("opensearch.opster.io", "OpenSearchCluster"),
    ("databases.spotahome.com", "RedisFailover"), ("redis.redis.opstreelabs.in", "Redis"),
    ("redis.redis.opstreelabs.in", "RedisCluster"), ("rabbitmq.com", "RabbitmqCluster"),
    ("cassandra.datastax.com", "CassandraDatacenter"), ("clickhouse.altinity.com", "ClickHouseInstallation"),
    ("minio.min.io", "Tenant"),
}
NO_DATA_KINDS = frozenset({  # keep no data, move none, run nothing of their own: skipped, `no-data`
    "Namespace", "Service", "ConfigMap", "Secret", "ServiceAccount", "Role", "ClusterRole", "RoleBinding",
    "ClusterRoleBinding", "Ingress", "IngressClass", "NetworkPolicy", "PodDisruptionBudget",
    "HorizontalPodAutoscaler", "VerticalPodAutoscaler", "StorageClass", "PriorityClass", "LimitRange",
    "ResourceQuota", "CustomResourceDefinition", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration", "APIService", "Endpoints", "EndpointSlice", "RuntimeClass", "Lease",
    "CSIDriver", "VolumeSnapshotClass", "EC2NodeClass", "NodeClass", "AKSNodeClass", "ServiceMonitor",
    "PodMonitor", "PrometheusRule", "Certificate", "Issuer", "ClusterIssuer", "Gateway", "GatewayClass",
    "HTTPRoute", "GRPCRoute", "VirtualService", "DestinationRule", "Queue", "PriorityLevelConfiguration",
    "FlowSchema", "KafkaUser",
})
TEMPLATE_KINDS = frozenset({"PodTemplate", "TrainingRuntime", "ClusterTrainingRuntime"})  # skipped, `template`
MULTIPLIERS = ("parallelism", "numOfHosts")  # on the way to a pod template, besides replicas/maxReplicas

REGION_LABELS = ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")
ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
INSTANCE_TYPE_LABELS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
FAMILY_LABELS = ("karpenter.k8s.aws/instance-family", "eks.amazonaws.com/instance-family",
                 "karpenter.azure.com/sku-family")
CATEGORY_LABELS = ("karpenter.k8s.aws/instance-category", "eks.amazonaws.com/instance-category")
GPU_CATEGORIES = frozenset({"g", "p", "gr", "dl", "inf", "trn"})  # AWS instance categories with accelerators
PROVIDER_HINTS = (  # node label prefix -> provider
    ("eks.amazonaws.com/", "aws"), ("karpenter.k8s.aws/", "aws"), ("k8s.amazonaws.com/", "aws"),
    ("cloud.google.com/", "gcp"), ("kubernetes.azure.com/", "azure"), ("karpenter.azure.com/", "azure"),
    ("alibabacloud.com/", "alibaba"), ("node.alibabacloud.com/", "alibaba"), ("aliyun.accelerator/", "alibaba"),
)
NODE_CLASS_PROVIDERS = {"karpenter.k8s.aws": "aws", "eks.amazonaws.com": "aws", "karpenter.azure.com": "azure"}
PROVIDER_NAMES = {"aws": "aws", "eks": "aws", "amazon": "aws", "gcp": "gcp", "gke": "gcp", "google": "gcp",
                  "azure": "azure", "aks": "azure", "alibaba": "alibaba", "alicloud": "alibaba", "ack": "alibaba"}
ACCELERATOR_RESOURCES = {  # resource -> what it is, for a model no label names
    "nvidia.com/gpu": "NVIDIA GPU", "amd.com/gpu": "AMD GPU", "habana.ai/gaudi": "Intel Gaudi GPU",
    "aws.amazon.com/neuron": "AWS Neuron accelerator", "aws.amazon.com/neurondevice": "AWS Neuron accelerator",
    "aws.amazon.com/neuroncore": "AWS Neuron accelerator",
}
MIG_RESOURCE = "nvidia.com/mig-"  # nvidia.com/mig-3g.40gb: a slice of an NVIDIA GPU
MODEL_LABELS = ("nvidia.com/gpu.product", "cloud.google.com/gke-accelerator", "aliyun.accelerator/nvidia_name",
                "karpenter.k8s.aws/instance-gpu-name", "eks.amazonaws.com/instance-gpu-name",
                "amd.com/gpu.product-name")


def _group(api_version: object) -> str:
    text = str(api_version or "")
    return text.split("/", 1)[0] if "/" in text else ""


class _Object:
    """One Kubernetes object of the file, with the annotations and labels of it and its pod templates."""

    def __init__(self, data: dict, source, base: tuple) -> None:
        self.data = data
        self.source = source
        self.base = base
        self.kind = data.get("kind")
        self.group = _group(data.get("apiVersion"))
        metadata = as_dict(data.get("metadata"))
        self.name = metadata.get("name")
        self.namespace = metadata.get("namespace") or "default"
        self.id = f"{self.kind}/{self.namespace}/{self.name}"
        self.skipped = _skip_reason(self.group, self.kind)
        self.bad_counts: list = []   # replica counts that are no whole numbers, reported if it is a workload
        self.templates = [] if self.skipped else list(_pod_templates(data, (), self.bad_counts))
        # key -> (value, path written at); the object's own win over its pod templates'
        self.annotations: dict[str, tuple[object, tuple]] = {}
        self.labels: dict[str, tuple[object, tuple]] = {}
        for template_at, _, _ in reversed(self.templates):
            self._read_metadata((*template_at, "metadata"))
        self._read_metadata(("metadata",))

    def _read_metadata(self, at: tuple) -> None:
        for section, into in (("annotations", self.annotations), ("labels", self.labels)):
            for key, value in as_dict(dig(self.data, *at, section)).items():
                key = str(key)
                canonical = next((own for own in DLC_KEYS if own == key.lower()), key)
                into[canonical] = (value, self.at(*at, section, key))

    def at(self, *path) -> tuple:
        return (*self.base, *path)

    def error(self, message: str, at: tuple | None = None) -> InputError:
        """An input error about this object, at the document path `at` (default: its name)."""
        line, column = self.source.locate(at or self.at("metadata", "name"))
        return InputError(f"{self.id}: {message}", self.source.file, line, column)

    def annotation(self, name: str) -> tuple[str | None, tuple]:
        value, at = self.annotations.get(ANNOTATION + name, (None, ()))
        return (None, ()) if value is None else (str(value), at)

    def tags(self) -> dict[str, object]:
        """Labels and annotations, for the configuration's classification entries."""
        return {key: value for key, (value, _) in {**self.labels, **self.annotations}.items()}


def _skip_reason(group: str, kind: object) -> str | None:
    """Why an object of this kind is skipped unread, None when it is read."""
    if kind in NO_DATA_KINDS:
        return "no-data"
    if kind in TEMPLATE_KINDS:
        return "template"
    if kind == "PersistentVolume" and group == "":
        return "volume"
    return None


def _pod_templates(value: object, path: tuple, bad: list, factor: int = 1):
    """(path, pod spec, how many pods) of every pod template under `value` (a mapping whose `spec`
    has a list of containers), the count being the product of the replicas (or maxReplicas, if
    larger), parallelism and numOfHosts of the mappings on the way. Zero counts as one: a workload
    scaled to zero is there to be scaled up. Counts that are no whole numbers go to `bad`."""
    if isinstance(value, dict):
        own = [_whole(value[key], bad) for key in ("replicas", "maxReplicas") if key in value]
        for number in [max(own)] if own else []:
            factor *= max(number, 1)
        for key in MULTIPLIERS:
            if key in value:
                factor *= max(_whole(value[key], bad), 1)
        if isinstance(dig(value, "spec", "containers"), list):
            yield path, value["spec"], factor
            return
        for key, child in value.items():
            if key not in ("metadata", "status"):
                yield from _pod_templates(child, (*path, key), bad, factor)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _pod_templates(child, (*path, index), bad, factor)


def _whole(value: object, bad: list) -> int:
    """`value` if it is a whole number, else 1 with `value` noted in `bad`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        bad.append(value)
        return 1
    return value


# --- node selection: where pods run and which GPUs they get ----------------------------------

Selection = dict  # node label -> (allowed values, path written at)


def _node_selections(obj: _Object, pod: dict, pod_at: tuple) -> list[tuple[Selection, tuple]]:
    """The ways a pod may be placed, each as (selection, path of the way): the nodeSelector together
    with one of the OR'ed terms of the required node affinity."""
    selector = {str(key): ([str(value)], obj.at(*pod_at, "nodeSelector", key))
                for key, value in as_dict(pod.get("nodeSelector")).items()}
    terms_at = ("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
    selections = []
    for t, term in enumerate(as_list(dig(pod, *terms_at))):
        selection = dict(selector)
        for e, expression in enumerate(as_list(dig(term, "matchExpressions"))):
            if isinstance(expression, dict) and expression.get("operator") == "In":
                _allow(selection, expression, obj.at(*pod_at, *terms_at, t, "matchExpressions", e, "values"))
        selections.append((selection, obj.at(*pod_at, *terms_at, t)))
    return selections or [(selector, obj.at(*pod_at))]


def _allow(selection: Selection, expression: dict, at: tuple) -> None:
    """Add an `In` expression; where the label is already restricted, allowing either is the worst case."""
    key = str(expression.get("key"))
    values = [str(v) for v in as_list(expression.get("values"))]
    if key in selection:
        selection[key] = (sorted(set(selection[key][0]) | set(values)), selection[key][1])
    else:
        selection[key] = (values, at)


def _provider(obj: _Object, selections: list[tuple[Selection, tuple]], hint: str | None = None) -> str | None:
    named, at = obj.annotation("provider")
    if named:
        provider = PROVIDER_NAMES.get(named.strip().lower())
        if provider is None:
            raise obj.error(f"dlc.io/provider '{named}' is not one of aws, gcp, azure, alibaba", at)
        return provider
    if hint:
        return hint
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


def _pinned(selection: Selection) -> tuple[str, list[str], tuple] | None:
    """('region' or 'zone', allowed values, path) the selection pins its pods to, None if it pins none."""
    for labels, what in ((REGION_LABELS, "region"), (ZONE_LABELS, "zone")):
        for label in labels:
            if label in selection:
                return what, *selection[label]
    return None


def _pinned_location(obj: _Object, selections: list, provider: str | None) -> tuple[str, tuple] | None:
    """The location the node selection pins every pod to; None when it pins none; an error when the
    pods may run in several regions or some may run anywhere."""
    pins = [_pinned(selection) for selection, _ in selections]
    if not any(pins):
        return None
    for pin, (_, term_at) in zip(pins, selections):
        if pin is None:
            raise obj.error("its pods may run anywhere: one of its node selections pins no region or zone; pin "
                            "every one, or say where with the dlc.io/location annotation", term_at)
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


def _accelerator_kind(resource: str) -> str | None:
    if resource.startswith(MIG_RESOURCE):  # a slice of a GPU: counted as a whole one, the worst case
        return "NVIDIA GPU"
    return ACCELERATOR_RESOURCES.get(resource)


def _requested(obj: _Object, containers: list, at: tuple) -> dict[str, int]:
    """Accelerator resource -> how many one pod asks for, over its containers (summed, the worst case)."""
    requested: dict[str, int] = {}
    for container in containers:
        limits = as_dict(dig(container, "resources", "limits"))
        requests = as_dict(dig(container, "resources", "requests"))
        for resource in {**requests, **limits}:
            if _accelerator_kind(str(resource)) is None:
                continue
            value = limits.get(resource, requests.get(resource))
            try:
                number = int(str(value))
            except ValueError:
                raise obj.error(f"{resource} must be a whole number of accelerators, not {value!r}", at) from None
            requested[str(resource)] = requested.get(str(resource), 0) + number
    return requested


def _models(selection: Selection, provider: str | None) -> list[tuple[str, int | None]]:
    """(model, accelerators per node if the instance type tells) for every model the pods may get."""
    for label in MODEL_LABELS:
        values = selection.get(label, ([], ()))[0]
        if values:
            return [(gcp_accelerator(v) if label == "cloud.google.com/gke-accelerator" else v, None)
                    for v in values]
    if provider is None:
        return []
    for labels, read in ((INSTANCE_TYPE_LABELS, gpus_for), (FAMILY_LABELS, _family)):
        for label in labels:
            found = [read(provider, value) for value in selection.get(label, ([], ()))[0]]
            if any(found):
                return [gpus for gpus in found if gpus]
    for label in CATEGORY_LABELS:  # accelerated categories without a family or type named: fail closed
        categories = sorted(set(selection.get(label, ([], ()))[0]) & GPU_CATEGORIES)
        if categories:
            return [(f"unrecognised GPU instance category {provider}:{category}", None) for category in categories]
    return []


def _family(provider: str, family: str) -> tuple[str, None] | None:
    """(model, unknown count per node) of an instance family, None for one without GPUs."""
    model = family_gpus(provider, family)
    return (model, None) if model else None


@dataclass
class _PodGroup:
    """Pods alike: the node selections they may take, the accelerators one asks for, how many run."""

    selections: list
    requested: dict[str, int]
    pods: int


def _pod_groups(obj: _Object) -> list[_PodGroup]:
    if obj.group == "trainer.kubeflow.org" and obj.kind == "TrainJob":
        return [_train_job(obj)]
    groups = []
    for at, pod, pods in obj.templates:
        pod_at = (*at, "spec")
        containers = as_list(pod.get("containers")) + as_list(pod.get("initContainers"))
        groups.append(_PodGroup(_node_selections(obj, pod, pod_at), _requested(obj, containers, obj.at(*pod_at)), pods))
    return groups


def _train_job(obj: _Object) -> _PodGroup:
    """Kubeflow Trainer: `spec.trainer.numNodes` nodes, each with `resourcesPerNode`, placed by the
    node selectors and affinity of `spec.podTemplateOverrides` (`podSpecOverrides` before v2.0)."""
    trainer = as_dict(dig(obj.data, "spec", "trainer"))
    nodes = _whole(trainer.get("numNodes", 1), obj.bad_counts)
    requested = _requested(obj, [{"resources": trainer.get("resourcesPerNode")}],
                           obj.at("spec", "trainer", "resourcesPerNode"))
    selections = []
    for key in ("podTemplateOverrides", "podSpecOverrides"):
        for index, override in enumerate(as_list(dig(obj.data, "spec", key))):
            spec_at = ("spec", key, index, "spec") if isinstance(dig(override, "spec"), dict) else ("spec", key, index)
            selections += _node_selections(obj, as_dict(dig(obj.data, *spec_at)), spec_at)
    return _PodGroup(selections or [({}, obj.at("spec", "trainer"))], requested, max(nodes, 1))


def _accelerators(groups: list[_PodGroup], provider: str | None) -> list[dict]:
    """Every accelerator model the pods may get, each with the most the workload may hold: per pod
    group the most any of its node selections gives, summed over the groups."""
    counts: dict[str, int] = {}
    for group in groups:
        total = sum(group.requested.values())
        most: dict[str, int] = {}
        for selection, _ in group.selections:
            models = _models(selection, provider)
            if models:   # pods pinned to GPU nodes hold a node's GPUs even when they request none
                found = [(model, (total or per_node or 1) * group.pods) for model, per_node in models]
            else:  # accelerators of no stated model: fail closed, the rules judge them
                found = [(f"unspecified {_accelerator_kind(resource)} ({resource})", number * group.pods)
                         for resource, number in group.requested.items()]
            for model, count in found:
                most[model] = max(count, most.get(model, 0))
        for model, count in most.items():
            if count > 0:
                counts[model] = counts.get(model, 0) + count
    return [{"model": model, "count": count} for model, count in counts.items()]


def _node_pool(obj: _Object) -> tuple[list, list[dict], str | None]:
    """Karpenter NodePool: (node selections, accelerators, provider). The instance types, families,
    GPU names or categories its requirements allow are the GPUs it may launch; `spec.limits`
    `nvidia.com/gpu` caps how many, else one node's worth is counted (the fewest it launches)."""
    requirements_at = ("spec", "template", "spec", "requirements")
    selection: Selection = {}
    for index, requirement in enumerate(as_list(dig(obj.data, *requirements_at))):
        if isinstance(requirement, dict) and requirement.get("operator") == "In":
            _allow(selection, requirement, obj.at(*requirements_at, index, "values"))
    selections = [(selection, obj.at(*requirements_at))]
    node_class = str(dig(obj.data, "spec", "template", "spec", "nodeClassRef", "group") or "")
    provider = _provider(obj, selections, NODE_CLASS_PROVIDERS.get(node_class))
    limit = dig(obj.data, "spec", "limits", "nvidia.com/gpu")
    if limit is not None:
        try:
            limit = int(str(limit))
        except ValueError:
            raise obj.error(f"spec.limits nvidia.com/gpu must be a whole number, not {limit!r}",
                            obj.at("spec", "limits", "nvidia.com/gpu")) from None
    accelerators = []
    for model, per_node in _models(selection, provider):
        count = limit if limit is not None else per_node or 1
        if count > 0:
            accelerators.append({"model": model, "count": count})
    return selections, accelerators, provider


# --- the file ---------------------------------------------------------------------------------

@dataclass
class _Workload:
    obj: _Object
    store: bool
    groups: list[_PodGroup] | None   # None: a NodePool, whose accelerators are not its pods'
    selections: list
    provider: str | None
    accelerators: list[dict]
    declared: tuple[Dataset, SourceRef] | None
    sends: list[str] = field(default_factory=list)       # resolved target ids (external:... or workloads)
    receives: bool = False
    location: tuple[str, tuple] | None = None


def _objects(documents: list[Document], coverage: Coverage) -> list[_Object]:
    out = []
    for document in documents:
        data = document.data
        if data == {} or data is None:  # an empty document, as rendered charts hold
            continue
        if isinstance(data, dict) and (data.get("kind") == "List" or (
                str(data.get("kind", "")).endswith("List") and "items" in data)):
            items = [(item, ("items", index)) for index, item in enumerate(as_list(data.get("items")))]
        else:
            items = [(data, ())]
        for item, base in items:
            coverage.seen += 1
            problem = _not_an_object(item)
            if problem:
                line, column = document.source.locate(base)
                coverage.errors.append(InputError(problem, document.source.file, line, column))
                coverage.skipped["error"] += 1
            else:
                out.append(_Object(item, document.source, base))
    return out


def _not_an_object(data: object) -> str | None:
    if not isinstance(data, dict):
        return f"a Kubernetes manifest must be a mapping, not a {type(data).__name__}"
    for key in ("apiVersion", "kind"):
        if not isinstance(data.get(key), str):
            return f"a Kubernetes manifest needs '{key}' (is this document a manifest?)"
    name = dig(data, "metadata", "name")
    if not isinstance(name, str) or not name:
        return f"a {data['kind']} needs metadata.name"
    return None


def _check_keys(obj: _Object, infrastructure: Infrastructure) -> None:
    """A label or annotation key meant to be one of dlc's fails, with the key it should be."""
    classifying = infrastructure.classified_keys()
    for key, (_, at) in sorted({**obj.labels, **obj.annotations}.items()):
        if key in DLC_KEYS or key in classifying:
            continue
        if key.lower().startswith(ANNOTATION):
            meant = min(DLC_KEYS, key=lambda own: (edit_distance(key.lower(), own, 99), own))
            raise obj.error(f"unknown dlc key '{key}': did you mean '{meant}'? (dlc reads "
                            f"{', '.join(DLC_KEYS)})", at)
        meant = typo_of(key, DLC_KEYS, infrastructure)
        if meant:
            raise obj.error(f"'{key}' looks like a misspelt dlc key: did you mean '{meant}'?", at)


def _namespace_locations(objects: list[_Object]) -> dict[str, str]:
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
        self.services: dict[str, _Object] = {}
        self.failed: set[str] = set()   # workloads with an error found after they were read
        self.unknown: dict[tuple[str, str], list[_Object]] = {}

    def fail(self, ident: str, error: InputError) -> None:
        self.coverage.errors.append(error)
        self.failed.add(ident)

    def read(self) -> None:
        seen: set[str] = set()
        for obj in self.objects:
            try:
                _check_keys(obj, self.infrastructure)
                if obj.id in seen:
                    raise obj.error("declared twice in this file")
                seen.add(obj.id)
                self._read(obj)
            except InputError as error:
                self.coverage.errors.append(error)
                self.coverage.skipped["error"] += 1

    def _read(self, obj: _Object) -> None:
        if obj.kind == "Service" and obj.group == "":
            self.services[obj.id] = obj
        if obj.skipped:
            self.coverage.skipped[obj.skipped] += 1
        elif obj.kind == "NodePool" and obj.group == "karpenter.sh":
            selections, accelerators, provider = _node_pool(obj)
            self._workload(obj, False, None, selections, provider, accelerators)
        else:
            store = (obj.group, obj.kind) in STORE_KINDS or (
                obj.kind == "StatefulSet" and bool(as_list(dig(obj.data, "spec", "volumeClaimTemplates"))))
            groups = _pod_groups(obj)
            known = obj.kind in WORKLOAD_KINDS.get(obj.group, ()) or obj.kind == "TrainJob"
            if not (store or known or any(group.requested for group in groups) or obj.annotations.keys() & set(DLC_KEYS)):
                self.unknown.setdefault((obj.group, obj.kind), []).append(obj)
                return
            if obj.bad_counts:
                raise obj.error("replicas, maxReplicas, parallelism, numOfHosts and numNodes must be whole numbers, "
                                f"not {obj.bad_counts[0]!r}", obj.at("spec"))
            selections = [selection for group in groups for selection in group.selections]
            provider = _provider(obj, selections)
            self._workload(obj, store, groups, selections, provider, _accelerators(groups, provider))

    def _workload(self, obj: _Object, store: bool, groups: list[_PodGroup] | None, selections: list,
                  provider: str | None, accelerators: list[dict]) -> None:
        declared = declared_dataset(obj.id, obj.source, lambda key: obj.annotation(f"data-{key}"),
                                    lambda key: f"{ANNOTATION}data-{key}", obj.error)
        self.workloads[obj.id] = _Workload(obj, store, groups, selections, provider, accelerators, declared)

    def notices(self) -> list:
        """One notice per kind dlc does not model, naming how many objects of it were skipped."""
        out = []
        for (group, kind), objects in sorted(self.unknown.items()):
            self.coverage.skipped["unknown-kind"] += len(objects)
            first = objects[0]
            line, _ = first.source.locate(first.at("kind"))
            api = f"{group}/{kind}" if group else kind
            out.append(skipped_notice(
                "DLC-UNKNOWN-KIND", "Kubernetes kind not modelled", api,
                f"{len(objects)} {kind} object(s) ({first.data.get('apiVersion')}) skipped: dlc does not model "
                f"this kind and its pod templates request no accelerators (first: {first.id})",
                "If it keeps or moves data, annotate it with dlc.io/data-* or dlc.io/sends-to, or describe it "
                "in a dlc spec", self.file, line))
        return out


def manifests_to_spec(documents: list[Document], infrastructure: Infrastructure = NO_INFRASTRUCTURE) -> Spec:
    """Workloads in the documents of one manifest file as a Spec whose ids are Kind/namespace/name,
    with what was seen, evaluated and skipped in `Spec.coverage`."""
    try:
        return _manifests_to_spec(documents, infrastructure)
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
        # A shape no valid manifest has (a field of an unexpected type): an input error, never a traceback.
        raise InputError(f"malformed Kubernetes manifest: unexpected structure ({type(exc).__name__}: {exc})",
                         documents[0].source.file) from None


def _manifests_to_spec(documents: list[Document], infrastructure: Infrastructure) -> Spec:
    reader = _Reader(documents, infrastructure)
    reader.read()
    notices = reader.notices()
    workloads = reader.workloads
    systems: dict[str, dict] = {}
    where: dict = {}
    sends: dict[str, list[tuple[str, tuple]]] = {}
    for ident, workload in workloads.items():
        value, at = workload.obj.annotation("sends-to")
        try:
            sends[ident] = [(resolved, at) for target in (value or "").split(",") if target.strip()
                            for resolved in _targets(workload.obj, target.strip(), workloads, reader.services,
                                                     systems, where, at)]
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
            _declare(workload, bool(sends.get(ident)), systems, datasets, holders, where, infrastructure)
        except InputError as error:
            reader.fail(ident, error)

    flows: list[tuple[dict, _Object, tuple]] = [
        ({"from": ident, "to": target, "mode": "copy"}, workloads[ident].obj, at)
        for ident, targets in sends.items() if ident in systems and ident not in reader.failed
        for target, at in targets if target in systems]
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

    coverage = reader.coverage
    if reader.failed:
        coverage.skipped["error"] += len(reader.failed)
    coverage.evaluated += sum(1 for ident in workloads if ident not in reader.failed)
    coverage.notices += notices
    system_models = [validated(System, body, where[("systems", sid)].source) for sid, body in systems.items()]
    name = reader.file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    spec = Spec(f"kubernetes manifests {name}", [reader.file], None, system_models, list(datasets.values()),
                flow_models, [], where, holders=holders, coverage=coverage)
    check_references(spec)
    return spec


def _reasons(workload: _Workload, classified_data: bool, sends: bool) -> list[str]:
    """Why a workload must have a location: what it holds or moves that a rule judges by country."""
    reasons = []
    if workload.accelerators:
        reasons.append("holds accelerators (" + ", ".join(
            f"{a['count']} {a['model']}" for a in workload.accelerators) + ")")
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
    classified_data = workload.declared is not None or bool(reader.infrastructure.classify(obj.tags()))
    reasons = _reasons(workload, classified_data, sends)
    try:
        location = _location(workload, reader)
    except InputError:
        if reasons:
            raise
        return False
    if location is None:
        if reasons:
            raise obj.error(f"cannot tell where it runs, and it {' and '.join(reasons)}: add the annotation "
                            "dlc.io/location (e.g. CN or aws:cn-north-1) to it or its Namespace, map its namespace "
                            "under kubernetes.namespaces in dlc.yaml, pin its pods to a region with a nodeSelector "
                            "on topology.kubernetes.io/region, or pass --default-location")
        return False
    from checker.resolve.regions import UnknownLocation
    try:
        default_catalog().country_of(location[0])
    except UnknownLocation as exc:
        raise obj.error(str(exc), location[1]) from None
    workload.location = location
    return True


def _location(workload: _Workload, reader: _Reader) -> tuple[str, tuple] | None:
    """Its own annotation, its Namespace's, the configuration's namespaces, its node selection, the default."""
    obj = workload.obj
    own, at = obj.annotation("location")
    if own:
        return own.strip(), at
    if obj.namespace in reader.namespaces:   # pointed at the workload's namespace, in its own document
        return reader.namespaces[obj.namespace], obj.at("metadata", "namespace")
    name_at = obj.at("metadata", "name")
    configured = reader.infrastructure.kubernetes_namespaces.get(obj.namespace)
    if configured:
        return configured, name_at
    pinned = _pinned_location(obj, workload.selections, workload.provider)
    if pinned:
        return pinned
    default = reader.infrastructure.default_location
    return (default, name_at) if default else None


def _declare(workload: _Workload, sends: bool, systems: dict, datasets: dict, holders: dict, where: dict,
             infrastructure: Infrastructure) -> None:
    """The workload's system and the dataset it holds: declared by dlc annotations, classified by the
    configuration, or unclassified when it is a store or sends data nobody classified."""
    obj = workload.obj
    location, at = workload.location
    provider = location.split(":", 1)[0] if ":" in location else workload.provider
    accelerators = workload.accelerators
    if workload.provider is None and provider and workload.groups:  # the location names the cloud
        accelerators = _accelerators(workload.groups, provider)
    system = {"id": obj.id, "kind": "storage" if workload.store else "compute", "location": location}
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


def _targets(obj: _Object, target: str, workloads: dict, services: dict, systems: dict, where: dict,
             at: tuple) -> list[str]:
    if "/" in target:  # Kind/namespace/name or Kind/name (same namespace)
        parts = target.split("/")
        if len(parts) == 2:
            parts = [parts[0], obj.namespace, parts[1]]
        if len(parts) != 3 or not all(parts):
            raise obj.error(f"dlc.io/sends-to '{target}' is neither Kind/namespace/name nor a location", at)
        ident = "/".join(parts)
        if ident in workloads:
            return [ident]
        if parts[0] == "Service" and ident in services:
            selector = as_dict(dig(services[ident].data, "spec", "selector"))
            matched = [w.obj.id for w in workloads.values() if w.obj.namespace == parts[1] and _matches(
                selector, {key: value for key, (value, _) in w.obj.labels.items()})]
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
