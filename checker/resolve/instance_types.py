"""Cloud instance types and the accelerators they carry: what the Terraform and Kubernetes adapters
read from an instance type (`p5.48xlarge`, `a3-highgpu-8g`, `Standard_ND96isr_H100_v5`,
`ecs.gn7i-c8g1.2xlarge`), a GCP accelerator type (`nvidia-h100-80gb`) or an instance family (a
Karpenter NodePool's `p5`).

Fail closed: a type or family of a GPU series dlc does not know maps to a model name the
accelerator catalog does not know, so the export rules report it instead of treating the machine
as having no accelerator. Sources: the providers' instance-type pages (AWS EC2 accelerated
computing, Google Cloud GPU machine types, Azure N-series sizes, Alibaba Cloud GPU instance families).
"""

from __future__ import annotations

import re

_AWS_FIXED = {
    "p4d.24xlarge": ("NVIDIA A100 40GB", 8),
    "p4de.24xlarge": ("NVIDIA A100 80GB", 8),
    "p5.48xlarge": ("NVIDIA H100 SXM", 8),
    "p5.4xlarge": ("NVIDIA H100 SXM", 1),
    "p5e.48xlarge": ("NVIDIA H200 SXM", 8),
    "p5en.48xlarge": ("NVIDIA H200 SXM", 8),
    "p6-b200.48xlarge": ("NVIDIA B200", 8),
    "p3.2xlarge": ("NVIDIA V100 SXM2", 1),
    "p3.8xlarge": ("NVIDIA V100 SXM2", 4),
    "p3.16xlarge": ("NVIDIA V100 SXM2", 8),
    "p3dn.24xlarge": ("NVIDIA V100 SXM2", 8),
}
_AWS_FAMILIES = {  # family: (model, {size: count}, count for the other sizes)
    "g4dn": ("NVIDIA T4", {"12xlarge": 4, "metal": 8}, 1),
    "g5": ("NVIDIA A10G", {"12xlarge": 4, "24xlarge": 4, "48xlarge": 8}, 1),
    "g6": ("NVIDIA L4", {"12xlarge": 4, "24xlarge": 4, "48xlarge": 8}, 1),
    "gr6": ("NVIDIA L4", {}, 1),
    "g6e": ("NVIDIA L40S", {"12xlarge": 4, "24xlarge": 4, "48xlarge": 8}, 1),
}

_GCP_MACHINE = re.compile(r"^(a2|a3|a4|a4x)-(highgpu|megagpu|ultragpu|edgegpu)-(\d+)g$")
_GCP_MODELS = {
    ("a2", "highgpu"): "NVIDIA A100 40GB",
    ("a2", "megagpu"): "NVIDIA A100 40GB",
    ("a2", "ultragpu"): "NVIDIA A100 80GB",
    ("a3", "highgpu"): "NVIDIA H100 SXM",
    ("a3", "megagpu"): "NVIDIA H100 SXM",
    ("a3", "edgegpu"): "NVIDIA H100 SXM",
    ("a3", "ultragpu"): "NVIDIA H200 SXM",
    ("a4", "highgpu"): "NVIDIA B200",
    ("a4x", "highgpu"): "NVIDIA GB200 (per Blackwell GPU)",
}
_GCP_G2 = {4: 1, 8: 1, 12: 1, 16: 1, 32: 1, 24: 2, 48: 4, 96: 8}
_GCP_ACCELERATOR_TYPES = {
    "nvidia-tesla-t4": "NVIDIA T4",
    "nvidia-tesla-v100": "NVIDIA V100 SXM2",
    "nvidia-tesla-a100": "NVIDIA A100 40GB",
    "nvidia-a100-80gb": "NVIDIA A100 80GB",
    "nvidia-l4": "NVIDIA L4",
    "nvidia-h100-80gb": "NVIDIA H100 SXM",
    "nvidia-h100-mega-80gb": "NVIDIA H100 SXM",
    "nvidia-h200-141gb": "NVIDIA H200 SXM",
    "nvidia-b200": "NVIDIA B200",
    "nvidia-gb200": "NVIDIA GB200 (per Blackwell GPU)",
}

_AZURE_SIZES: list[
    tuple[str, str, int | dict[str, int]]
] = [  # (pattern, model, counts by the first group or a fixed count)
    (r"nd96isr_h100_v5", "NVIDIA H100 SXM", 8),
    (r"nd96isr_h200_v5", "NVIDIA H200 SXM", 8),
    (r"nd96amsr_a100_v4", "NVIDIA A100 80GB", 8),
    (r"nd96asr_(?:a100_)?v4", "NVIDIA A100 40GB", 8),
    (r"nc(24|48|96)ads_a100_v4", "NVIDIA A100 80GB", {"24": 1, "48": 2, "96": 4}),
    (r"nc(40|80)adi?s_h100_v5", "NVIDIA H100 NVL", {"40": 1, "80": 2}),
    (r"nc(4|8|16|64)as_t4_v3", "NVIDIA T4", {"4": 1, "8": 1, "16": 1, "64": 4}),
    (r"nv(6|12|18|36|72)ads_a10_v5", "NVIDIA A10", {"6": 1, "12": 1, "18": 1, "36": 1, "72": 2}),
    (r"nd96isr?_mi300x_v5", "AMD Instinct MI300X", 8),
    (r"nc(6|12|24)r?s_v3", "NVIDIA V100 SXM2", {"6": 1, "12": 2, "24": 4}),
    (r"nd40rs_v2", "NVIDIA V100 SXM2", 8),
    (r"nd128isr_ndr_gb200_v6", "NVIDIA GB200 (per Blackwell GPU)", 4),
]

_ALIBABA_FAMILIES = {  # GPUs per instance are not modelled here: counted as 1 (see docs/integrations.md)
    "gn7i": "NVIDIA A10",
    "gn7": "NVIDIA A100 40GB",
    "gn7e": "NVIDIA A100 80GB",
}


def _aws_gpus(instance_type: str) -> tuple[str, int] | None:
    if instance_type in _AWS_FIXED:
        return _AWS_FIXED[instance_type]
    family, _, size = instance_type.partition(".")
    if family not in _AWS_FAMILIES:
        return None
    model, sizes, default = _AWS_FAMILIES[family]
    return model, sizes.get(size, default)


def _gcp_gpus(machine_type: str) -> tuple[str, int] | None:
    match = _GCP_MACHINE.match(machine_type)
    if match and (match[1], match[2]) in _GCP_MODELS:
        return _GCP_MODELS[(match[1], match[2])], int(match[3])
    g2 = re.fullmatch(r"g2-standard-(\d+)", machine_type)
    if g2 and int(g2[1]) in _GCP_G2:
        return "NVIDIA L4", _GCP_G2[int(g2[1])]
    return None


def _azure_gpus(size: str) -> tuple[str, int] | None:
    name = size.lower().removeprefix("standard_")
    for pattern, model, counts in _AZURE_SIZES:
        match = re.fullmatch(pattern, name)
        if match:
            return model, counts if isinstance(counts, int) else counts[match[1]]
    return None


def _alibaba_gpus(instance_type: str) -> tuple[str, int] | None:
    family = re.match(r"^ecs\.([a-z0-9]+)[-.]", instance_type)
    model = _ALIBABA_FAMILIES.get(family[1]) if family else None
    return (model, 1) if model else None


# provider: (the GPUs of the instance types dlc knows, the pattern of every GPU instance type)
_GPU_TYPES = {
    "aws": (_aws_gpus, re.compile(r"^(?:p\d|g\d|gr\d|trn\d|inf\d|dl\d)")),
    "gcp": (_gcp_gpus, re.compile(r"^(?:a\d|g[2-9]|ct\d|tpu)")),
    "azure": (_azure_gpus, re.compile(r"^(?:standard_)?n[cdvg]", re.IGNORECASE)),
    "alibaba": (_alibaba_gpus, re.compile(r"^ecs\.(?:ebm|scc|s|v)?gn[a-z0-9]*[-.]")),
}


def gpus_for(provider: str, instance_type: str) -> tuple[str, int] | None:
    """(accelerator model, GPUs per instance) for a cloud instance type, None for a CPU type.

    A GPU family dlc does not know maps to a model name outside the catalog, so rules report it
    (fail closed) instead of treating the instance as having no accelerator."""
    if provider not in _GPU_TYPES:
        return None
    known, gpu_types = _GPU_TYPES[provider]
    itype = instance_type.strip().removeprefix("ml.")  # SageMaker: ml.<EC2 instance type>
    found = known(itype)
    if found is None and gpu_types.match(itype):
        return f"unrecognised GPU instance type {provider}:{itype}", 1
    return found


def gcp_accelerator(kind: str) -> str:
    name = kind.rsplit("/", 1)[-1]
    return _GCP_ACCELERATOR_TYPES.get(name, name)


def _aws_family_models() -> dict[str, set[str]]:
    models: dict[str, set[str]] = {}
    for itype, (model, _) in _AWS_FIXED.items():
        models.setdefault(itype.partition(".")[0], set()).add(model)
    for family, (model, _, _) in _AWS_FAMILIES.items():
        models.setdefault(family, set()).add(model)
    return models


def _gcp_family_models() -> dict[str, set[str]]:
    models: dict[str, set[str]] = {"g2": {"NVIDIA L4"}, "g2-standard": {"NVIDIA L4"}}
    for (series, kind), model in _GCP_MODELS.items():
        models.setdefault(series, set()).add(model)
        models.setdefault(f"{series}-{kind}", set()).add(model)
    return models


def family_gpus(provider: str, family: str) -> str | None:
    """The GPU model of an instance family (Karpenter's `karpenter.k8s.aws/instance-family`: `p5`,
    `g6e`; GCP `a3-highgpu`; Alibaba `gn7i`), None for a family without GPUs. A GPU family dlc does
    not know, or one whose sizes carry different models, is a model the catalog does not know."""
    name = family.strip().lower()
    if provider == "aws":
        models = _aws_family_models().get(name)
        probe = name + "."
    elif provider == "gcp":
        models = _gcp_family_models().get(name)
        probe = name + "-"
    elif provider == "alibaba":
        name = name.removeprefix("ecs.")
        models = {_ALIBABA_FAMILIES[name]} if name in _ALIBABA_FAMILIES else None
        probe = f"ecs.{name}."
    else:
        models, probe = None, name
    if models and len(models) == 1:
        return next(iter(models))
    pattern = _GPU_TYPES.get(provider, (None, None))[1]
    if models or (pattern is not None and pattern.match(probe)):
        return f"unrecognised GPU instance family {provider}:{family.strip()}"
    return None
