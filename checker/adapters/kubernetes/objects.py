"""Kubernetes objects as dlc reads them: which kinds are workloads, stores or skipped, the dlc.io/
annotations and labels of an object and its pod templates, and how many pods each template runs."""

from __future__ import annotations

from checker.adapters.common import as_dict, dig
from checker.errors import InputError

ANNOTATION = "dlc.io/"
DLC_KEYS = tuple(
    ANNOTATION + key
    for key in (
        "location",
        "provider",
        "data-origin",
        "data-categories",
        "data-subjects",
        "data-important",
        "sends-to",
        "purpose",
        "encrypted",
        "operator",
    )
)

# Kinds as (API group, kind): the group is the part of apiVersion before the slash, "" for v1.
WORKLOAD_KINDS = frozenset(
    {  # read by the pod-template walk; evaluated even when they request no accelerators
        ("", "Pod"),
        ("", "ReplicationController"),
        ("apps", "Deployment"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("apps", "ReplicaSet"),
        ("extensions", "Deployment"),
        ("extensions", "DaemonSet"),
        ("extensions", "ReplicaSet"),
        ("batch", "Job"),
        ("batch", "CronJob"),
        *(
            ("kubeflow.org", kind)
            for kind in (
                "PyTorchJob",
                "TFJob",
                "MPIJob",
                "XGBoostJob",
                "PaddleJob",
                "JAXJob",
                "MXJob",
            )
        ),
        ("trainer.kubeflow.org", "TrainJob"),
        ("ray.io", "RayCluster"),
        ("ray.io", "RayJob"),
        ("ray.io", "RayService"),
        ("batch.volcano.sh", "Job"),
        ("batch.volcano.sh", "CronJob"),
        ("jobset.x-k8s.io", "JobSet"),
        ("leaderworkerset.x-k8s.io", "LeaderWorkerSet"),
        ("argoproj.io", "Rollout"),
        ("serving.knative.dev", "Service"),
    }
)
STORE_KINDS = frozenset(
    {  # data stores; StatefulSets with volumeClaimTemplates too
        ("", "PersistentVolumeClaim"),
        ("postgresql.cnpg.io", "Cluster"),
        ("acid.zalan.do", "postgresql"),
        ("postgres-operator.crunchydata.com", "PostgresCluster"),
        ("pxc.percona.com", "PerconaXtraDBCluster"),
        ("psmdb.percona.com", "PerconaServerMongoDB"),
        ("pgv2.percona.com", "PerconaPGCluster"),
        ("mongodbcommunity.mongodb.com", "MongoDBCommunity"),
        ("mysql.oracle.com", "InnoDBCluster"),
        ("kafka.strimzi.io", "Kafka"),
        ("kafka.strimzi.io", "KafkaNodePool"),
        ("kafka.strimzi.io", "KafkaTopic"),
        ("elasticsearch.k8s.elastic.co", "Elasticsearch"),
        ("opensearch.opster.io", "OpenSearchCluster"),
        ("databases.spotahome.com", "RedisFailover"),
        ("redis.redis.opstreelabs.in", "Redis"),
        ("redis.redis.opstreelabs.in", "RedisCluster"),
        ("rabbitmq.com", "RabbitmqCluster"),
        ("cassandra.datastax.com", "CassandraDatacenter"),
        ("clickhouse.altinity.com", "ClickHouseInstallation"),
        ("minio.min.io", "Tenant"),
    }
)
NO_DATA_KINDS = frozenset(
    {  # keep no data, move none, run nothing of their own: skipped, `no-data`
        "Namespace",
        "Service",
        "ConfigMap",
        "Secret",
        "ServiceAccount",
        "Role",
        "ClusterRole",
        "RoleBinding",
        "ClusterRoleBinding",
        "Ingress",
        "IngressClass",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "VerticalPodAutoscaler",
        "StorageClass",
        "PriorityClass",
        "LimitRange",
        "ResourceQuota",
        "CustomResourceDefinition",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "APIService",
        "Endpoints",
        "EndpointSlice",
        "RuntimeClass",
        "Lease",
        "CSIDriver",
        "VolumeSnapshotClass",
        "EC2NodeClass",
        "NodeClass",
        "AKSNodeClass",
        "AWSNodeTemplate",
        "ServiceMonitor",
        "PodMonitor",
        "PrometheusRule",
        "Certificate",
        "Issuer",
        "ClusterIssuer",
        "Gateway",
        "GatewayClass",
        "HTTPRoute",
        "GRPCRoute",
        "VirtualService",
        "DestinationRule",
        "Queue",
        "PriorityLevelConfiguration",
        "FlowSchema",
        "KafkaUser",
    }
)
# skipped, `template`
TEMPLATE_KINDS = frozenset({"PodTemplate", "TrainingRuntime", "ClusterTrainingRuntime"})
ACCELERATOR_RESOURCES = {  # resource -> what it is, for a model no label names
    "nvidia.com/gpu": "NVIDIA GPU",
    "amd.com/gpu": "AMD GPU",
    "habana.ai/gaudi": "Intel Gaudi GPU",
    "aws.amazon.com/neuron": "AWS Neuron accelerator",
    "aws.amazon.com/neurondevice": "AWS Neuron accelerator",
    "aws.amazon.com/neuroncore": "AWS Neuron accelerator",
}
MIG_RESOURCE = "nvidia.com/mig-"  # nvidia.com/mig-3g.40gb: a slice of an NVIDIA GPU
# on the way to a pod template, besides replicas/maxReplicas
MULTIPLIERS = (
    "parallelism",
    "numOfHosts",
)


def api_group(api_version: object) -> str:
    text = str(api_version or "")
    return text.split("/", 1)[0] if "/" in text else ""


class ManifestObject:
    """One Kubernetes object of the file, with the annotations and labels of it and its pod templates."""

    def __init__(self, data: dict, source, base: tuple) -> None:
        self.data = data
        self.source = source
        self.base = base
        self.kind = data.get("kind")
        self.group = api_group(data.get("apiVersion"))
        metadata = as_dict(data.get("metadata"))
        # `kubectl create` names it
        self.name = metadata.get("name") or metadata.get("generateName")
        self.namespace = metadata.get("namespace") or "default"
        self.id = f"{self.kind}/{self.namespace}/{self.name}"
        self.skipped = skip_reason(self.group, self.kind)
        self.bad_counts: list = []  # replica counts that are no whole numbers, reported if it is a workload
        self.templates = [] if self.skipped else list(pod_templates(data, (), self.bad_counts))
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


def skip_reason(group: str, kind: object) -> str | None:
    """Why an object of this kind is skipped unread, None when it is read."""
    if kind in NO_DATA_KINDS and (group, kind) not in WORKLOAD_KINDS:  # a Knative Service runs pods
        return "no-data"
    if kind in TEMPLATE_KINDS:
        return "template"
    if kind == "PersistentVolume" and group == "":
        return "volume"
    return None


def accelerator_kind(resource: str) -> str | None:
    """What a resource name requests (`NVIDIA GPU`, ...), None when it is no accelerator."""
    if resource.startswith(
        MIG_RESOURCE
    ):  # a slice of a GPU: counted as a whole one, the worst case
        return "NVIDIA GPU"
    return ACCELERATOR_RESOURCES.get(resource)


def pod_templates(value: object, path: tuple, bad: list, factor: int = 1):
    """(path, pod spec, how many pods) of every pod template under `value` (a mapping whose `spec`
    has a list of containers; or a mapping outside one whose `resources` request accelerators, as
    an Argo Workflow's `container` or a KServe `predictor.model`, a pod of that one container),
    the count being the product of the replicas (or maxReplicas, if larger), parallelism and
    numOfHosts of the mappings on the way. Zero counts as one: a workload scaled to zero is there
    to be scaled up. Counts that are no whole numbers go to `bad`."""
    if isinstance(value, dict):
        own = [whole(value[key], bad) for key in ("replicas", "maxReplicas") if key in value]
        for number in [max(own)] if own else []:
            factor *= max(number, 1)
        for key in MULTIPLIERS:
            if key in value:
                factor *= max(whole(value[key], bad), 1)
        if isinstance(dig(value, "spec", "containers"), list):
            yield path, value["spec"], factor
            return
        if _requests_accelerators(value.get("resources")):  # a container outside any pod template
            yield path, {"containers": [value]}, factor
            return
        for key, child in value.items():
            if key not in ("metadata", "status"):
                yield from pod_templates(child, (*path, key), bad, factor)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from pod_templates(child, (*path, index), bad, factor)


def _requests_accelerators(resources: object) -> bool:
    """Whether a `resources` mapping (limits, requests) asks for accelerators."""
    return isinstance(resources, dict) and any(
        accelerator_kind(str(name))
        for section in ("limits", "requests")
        for name in as_dict(resources.get(section))
    )


def whole(value: object, bad: list) -> int:
    """`value` if it is a whole number, else 1 with `value` noted in `bad`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        bad.append(value)
        return 1
    return value
