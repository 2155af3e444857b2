"""Where pods run and which accelerators they hold: node selectors and required node affinity,
the cloud their labels name, GPUs requested per pod template, Kubeflow TrainJobs and Karpenter
NodePools."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from checker.adapters.common import as_dict, as_list, dig
from checker.adapters.kubernetes.objects import ManifestObject, accelerator_kind, whole
from checker.resolve.instance_types import family_gpus, gcp_accelerator, gpus_for
from checker.resolve.regions import UnknownLocation, default_catalog

REGION_LABELS = ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")
ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
INSTANCE_TYPE_LABELS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
FAMILY_LABELS = (
    "karpenter.k8s.aws/instance-family",
    "eks.amazonaws.com/instance-family",
    "karpenter.azure.com/sku-family",
)
CATEGORY_LABELS = ("karpenter.k8s.aws/instance-category", "eks.amazonaws.com/instance-category")
# AWS instance categories with accelerators
GPU_CATEGORIES = frozenset({"g", "p", "gr", "dl", "inf", "trn"})
PROVIDER_HINTS = (  # node label prefix -> provider
    ("eks.amazonaws.com/", "aws"),
    ("karpenter.k8s.aws/", "aws"),
    ("k8s.amazonaws.com/", "aws"),
    ("cloud.google.com/", "gcp"),
    ("kubernetes.azure.com/", "azure"),
    ("karpenter.azure.com/", "azure"),
    ("alibabacloud.com/", "alibaba"),
    ("node.alibabacloud.com/", "alibaba"),
    ("aliyun.accelerator/", "alibaba"),
)
NODE_CLASS_PROVIDERS = {
    "karpenter.k8s.aws": "aws",
    "eks.amazonaws.com": "aws",
    "karpenter.azure.com": "azure",
}
PROVIDER_NAMES = {
    "aws": "aws",
    "eks": "aws",
    "amazon": "aws",
    "gcp": "gcp",
    "gke": "gcp",
    "google": "gcp",
    "azure": "azure",
    "aks": "azure",
    "alibaba": "alibaba",
    "alicloud": "alibaba",
    "ack": "alibaba",
}
MODEL_LABELS = (
    "nvidia.com/gpu.product",
    "cloud.google.com/gke-accelerator",
    "aliyun.accelerator/nvidia_name",
    "karpenter.k8s.aws/instance-gpu-name",
    "eks.amazonaws.com/instance-gpu-name",
    "amd.com/gpu.product-name",
)


# --- node selection: where pods run and which GPUs they get ----------------------------------

Selection = dict  # node label -> (allowed values, path written at)


def node_selections(obj: ManifestObject, pod: dict, pod_at: tuple) -> list[tuple[Selection, tuple]]:
    """The ways a pod may be placed, each as (selection, path of the way): the nodeSelector together
    with one of the OR'ed terms of the required node affinity."""
    selector = {
        str(key): ([str(value)], obj.at(*pod_at, "nodeSelector", key))
        for key, value in as_dict(pod.get("nodeSelector")).items()
    }
    terms_at = (
        "affinity",
        "nodeAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
        "nodeSelectorTerms",
    )
    selections = []
    for t, term in enumerate(as_list(dig(pod, *terms_at))):
        selection = dict(selector)
        for e, expression in enumerate(as_list(dig(term, "matchExpressions"))):
            if isinstance(expression, dict) and expression.get("operator") == "In":
                _allow(
                    selection,
                    expression,
                    obj.at(*pod_at, *terms_at, t, "matchExpressions", e, "values"),
                )
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


def provider_of(
    obj: ManifestObject, selections: list[tuple[Selection, tuple]], hint: str | None = None
) -> str | None:
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


def pinned_location(
    obj: ManifestObject, selections: list, provider: str | None
) -> tuple[str, tuple] | None:
    """The location the node selection pins every pod to; None when it pins none; an error when the
    pods may run in several regions or some may run anywhere."""
    pins = [_pinned(selection) for selection, _ in selections]
    if not any(pins):
        return None
    for pin, (_, term_at) in zip(pins, selections, strict=True):
        if pin is None:
            raise obj.error(
                "its pods may run anywhere: one of its node selections pins no region or zone; pin "
                "every one, or say where with the dlc.io/location annotation",
                term_at,
            )
    pinned = [pin for pin in pins if pin is not None]  # all of them, by now
    whats = sorted({what for what, _, _ in pinned})
    values = sorted({value for _, found, _ in pinned for value in found})
    at = pinned[0][2]
    if len(values) != 1:
        raise obj.error(
            f"its pods may run in several {' or '.join(w + 's' for w in whats)} ({', '.join(values)}); "
            "pin one, or say where with the dlc.io/location annotation",
            at,
        )
    [what], [value] = whats, values
    if (
        provider is None
    ):  # a region only one cloud has tells the cloud; one in one country, the country
        clouds = _clouds_with(value)
        if len(clouds) == 1:
            [provider] = clouds
        elif len(set(clouds.values())) == 1:
            return next(iter(clouds.values())), at
        else:
            raise obj.error(
                f"runs in {what} '{value}' but dlc cannot tell which cloud that is: add "
                "the annotation dlc.io/provider (aws, gcp, azure, alibaba) or dlc.io/location",
                at,
            )
    azure_zone = re.fullmatch(r"(.+)-\d", value)  # chinanorth3-1: zone 1 of chinanorth3
    if (
        provider == "azure"
        and what == "zone"
        and azure_zone
        and f"azure:{azure_zone[1]}" in default_catalog().regions("azure")
    ):
        value = azure_zone[1]
    return f"{provider}:{value}", at


@functools.cache  # an unknown name costs a search for close matches; a file repeats its regions
def _clouds_with(region: str) -> dict[str, str]:
    """Cloud -> country of every cloud that has a region or zone of this name: cn-north-1 is only
    AWS's; us-east-1 is AWS's and Alibaba's, both in the US; ap-southeast-5 is AWS's (Malaysia) and
    Alibaba's (Indonesia)."""
    clouds = {}
    for cloud in sorted(set(PROVIDER_NAMES.values())):
        try:
            clouds[cloud] = default_catalog().country_of(f"{cloud}:{region}")
        except UnknownLocation:
            continue
    return clouds


def _requested(obj: ManifestObject, containers: list, at: tuple) -> dict[str, int]:
    """Accelerator resource -> how many one pod asks for, over its containers (summed, the worst case)."""
    requested: dict[str, int] = {}
    for container in containers:
        limits = as_dict(dig(container, "resources", "limits"))
        requests = as_dict(dig(container, "resources", "requests"))
        for resource in {**requests, **limits}:
            if accelerator_kind(str(resource)) is None:
                continue
            value = limits.get(resource, requests.get(resource))
            try:
                number = int(str(value))
            except ValueError:
                raise obj.error(
                    f"{resource} must be a whole number of accelerators, not {value!r}", at
                ) from None
            requested[str(resource)] = requested.get(str(resource), 0) + number
    return requested


def _models(selection: Selection, provider: str | None) -> list[tuple[str, int | None]]:
    """(model, accelerators per node if the instance type tells) for every model the pods may get."""
    for label in MODEL_LABELS:
        values = selection.get(label, ([], ()))[0]
        if values:
            return [
                (gcp_accelerator(v) if label == "cloud.google.com/gke-accelerator" else v, None)
                for v in values
            ]
    if provider is None:
        return []
    for labels, read in ((INSTANCE_TYPE_LABELS, gpus_for), (FAMILY_LABELS, _family)):
        for label in labels:
            found = [read(provider, value) for value in selection.get(label, ([], ()))[0]]
            if any(found):
                return [gpus for gpus in found if gpus]
    for (
        label
    ) in CATEGORY_LABELS:  # accelerated categories without a family or type named: fail closed
        categories = sorted(set(selection.get(label, ([], ()))[0]) & GPU_CATEGORIES)
        if categories:
            return [
                (f"unrecognised GPU instance category {provider}:{category}", None)
                for category in categories
            ]
    return []


def _family(provider: str, family: str) -> tuple[str, None] | None:
    """(model, unknown count per node) of an instance family, None for one without GPUs."""
    model = family_gpus(provider, family)
    return (model, None) if model else None


@dataclass
class PodGroup:
    """Pods alike: the node selections they may take, the accelerators one asks for, how many run."""

    selections: list
    requested: dict[str, int]
    pods: int


def pod_groups(obj: ManifestObject, runtime: ManifestObject | None = None) -> list[PodGroup]:
    """The pod groups of a workload; a TrainJob's `runtime` is the training runtime it names, when
    the file holds it."""
    if obj.group == "trainer.kubeflow.org" and obj.kind == "TrainJob":
        return [_train_job(obj, runtime)]
    groups = []
    for at, pod, pods in obj.templates:
        pod_at = (*at, "spec")
        containers = as_list(pod.get("containers")) + as_list(pod.get("initContainers"))
        pods *= _group_members(obj, at)
        groups.append(
            PodGroup(
                node_selections(obj, pod, pod_at),
                _requested(obj, containers, obj.at(*pod_at)),
                pods,
            )
        )
    return groups


def _group_members(obj: ManifestObject, template_at: tuple) -> int:
    """How many pods of a template one replica runs beyond the walk's count: a LeaderWorkerSet's
    group is `size` pods, one of them the leader when it has a template of its own."""
    if (obj.group, obj.kind) != ("leaderworkerset.x-k8s.io", "LeaderWorkerSet") or template_at[
        -1:
    ] != ("workerTemplate",):
        return 1
    group = as_dict(dig(obj.data, "spec", "leaderWorkerTemplate"))
    size = whole(group.get("size", 1), obj.bad_counts)
    return max(size - (1 if "leaderTemplate" in group else 0), 1)


def _train_job(obj: ManifestObject, runtime: ManifestObject | None) -> PodGroup:
    """Kubeflow Trainer: `spec.trainer.numNodes` nodes (else the runtime's `mlPolicy.numNodes`),
    each with `resourcesPerNode` (else what the runtime's `node` job asks for), placed by the node
    selectors and affinity of `spec.podTemplateOverrides` (`podSpecOverrides` before v2.0) and of
    the runtime's `node` job; what comes from the runtime is pointed at the TrainJob's runtimeRef."""
    trainer = as_dict(dig(obj.data, "spec", "trainer"))
    nodes = whole(
        trainer.get(
            "numNodes", dig(runtime.data, "spec", "mlPolicy", "numNodes") if runtime else 1
        ),
        obj.bad_counts,
    )
    requested = _requested(
        obj,
        [{"resources": trainer.get("resourcesPerNode")}],
        obj.at("spec", "trainer", "resourcesPerNode"),
    )
    selections = []
    for key in ("podTemplateOverrides", "podSpecOverrides"):
        for index, override in enumerate(as_list(dig(obj.data, "spec", key))):
            spec_at = (
                ("spec", key, index, "spec")
                if isinstance(dig(override, "spec"), dict)
                else ("spec", key, index)
            )
            selections += node_selections(obj, as_dict(dig(obj.data, *spec_at)), spec_at)
    node = _runtime_node(runtime) if runtime else None
    if (
        runtime is not None and node is not None
    ):  # the TrainJob's own resources and overrides win over its runtime's
        ref_at = obj.at("spec", "runtimeRef")
        requested = requested or _requested(obj, as_list(node.get("containers")), ref_at)
        selections = selections or [
            ({label: (values, ref_at) for label, (values, _) in selection.items()}, ref_at)
            for selection, _ in node_selections(runtime, node, ())
        ]
    return PodGroup(selections or [({}, obj.at("spec", "trainer"))], requested, max(nodes, 1))


def _runtime_node(runtime: ManifestObject) -> dict | None:
    """The pod spec of a training runtime's trainer job: the replicated job labelled as the TrainJob's
    `trainer` step (the Trainer API's own rule), or named `node` as in the runtimes Kubeflow ships."""
    for job in as_list(dig(runtime.data, "spec", "template", "spec", "replicatedJobs")):
        step = dig(
            job, "template", "metadata", "labels", "trainer.kubeflow.org/trainjob-ancestor-step"
        )
        if isinstance(job, dict) and (step == "trainer" or job.get("name") == "node"):
            pod = dig(job, "template", "spec", "template", "spec")
            return pod if isinstance(pod, dict) else None
    return None


def accelerators_of(groups: list[PodGroup], provider: str | None) -> list[dict]:
    """Every accelerator model the pods may get, each with the most the workload may hold: per pod
    group the most any of its node selections gives, summed over the groups."""
    counts: dict[str, int] = {}
    for group in groups:
        total = sum(group.requested.values())
        most: dict[str, int] = {}
        for selection, _ in group.selections:
            models = _models(selection, provider)
            if models:  # pods pinned to GPU nodes hold a node's GPUs even when they request none
                found = [
                    (model, (total or per_node or 1) * group.pods) for model, per_node in models
                ]
            else:  # accelerators of no stated model: fail closed, the rules judge them
                found = [
                    (f"unspecified {accelerator_kind(resource)} ({resource})", number * group.pods)
                    for resource, number in group.requested.items()
                ]
            for model, count in found:
                most[model] = max(count, most.get(model, 0))
        for model, count in most.items():
            if count > 0:
                counts[model] = counts.get(model, 0) + count
    return [{"model": model, "count": count} for model, count in counts.items()]


NODE_POOLS = {  # Karpenter kind: (path of its requirements, path of its limits, cloud when no node class says)
    "NodePool": (("spec", "template", "spec", "requirements"), ("spec", "limits"), None),
    "Provisioner": (
        ("spec", "requirements"),
        ("spec", "limits", "resources"),
        "aws",
    ),  # v1alpha5, AWS only
}


def node_pool(obj: ManifestObject) -> tuple[list, list[dict], str | None]:
    """Karpenter NodePool (or v1alpha5 Provisioner): (node selections, accelerators, provider). The
    instance types, families, GPU names or categories its requirements allow are the GPUs it may
    launch; its `nvidia.com/gpu` limit caps how many, else one node's worth is counted (the fewest
    it launches)."""
    requirements_at, limits_at, cloud = NODE_POOLS[obj.kind]  # type: ignore[index]  # called on those kinds only
    selection: Selection = {}
    for index, requirement in enumerate(as_list(dig(obj.data, *requirements_at))):
        if isinstance(requirement, dict) and requirement.get("operator") == "In":
            _allow(selection, requirement, obj.at(*requirements_at, index, "values"))
    selections = [(selection, obj.at(*requirements_at))]
    node_class = str(dig(obj.data, "spec", "template", "spec", "nodeClassRef", "group") or "")
    provider = provider_of(obj, selections, NODE_CLASS_PROVIDERS.get(node_class, cloud))
    limit = dig(obj.data, *limits_at, "nvidia.com/gpu")
    if limit is not None:
        try:
            limit = int(str(limit))
        except ValueError:
            raise obj.error(
                f"the nvidia.com/gpu limit must be a whole number, not {limit!r}",
                obj.at(*limits_at, "nvidia.com/gpu"),
            ) from None
    accelerators = []
    for model, per_node in _models(selection, provider):
        count = limit if limit is not None else per_node or 1
        if count > 0:
            accelerators.append({"model": model, "count": count})
    return selections, accelerators, provider
