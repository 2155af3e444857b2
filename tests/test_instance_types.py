"""Instance types and families to accelerator models: shared by the Terraform and Kubernetes adapters."""

import pytest

from checker.resolve.accelerators import default_catalog
from checker.resolve.instance_types import family_gpus, gcp_accelerator, gpus_for


@pytest.mark.parametrize(
    "provider, family, model",
    [
        ("aws", "p5", "NVIDIA H100 SXM"),
        ("aws", "g6e", "NVIDIA L40S"),
        ("aws", "p4d", "NVIDIA A100 40GB"),
        ("aws", "p4de", "NVIDIA A100 80GB"),
        ("aws", "P5", "NVIDIA H100 SXM"),
        ("gcp", "a3-highgpu", "NVIDIA H100 SXM"),
        ("gcp", "g2", "NVIDIA L4"),
        ("alibaba", "gn7i", "NVIDIA A10"),
    ],
)
def test_family_gpus_names_the_model(provider, family, model):
    assert family_gpus(provider, family) == model


@pytest.mark.parametrize(
    "provider, family",
    [("aws", "m5"), ("aws", "c7g"), ("gcp", "n2"), ("alibaba", "g7"), ("kubernetes", "p5")],
)
def test_family_without_gpus_is_none(provider, family):
    assert family_gpus(provider, family) is None


@pytest.mark.parametrize("provider, family", [("aws", "p7"), ("aws", "trn2"), ("gcp", "a3")])
def test_unknown_or_ambiguous_gpu_family_is_a_model_the_catalog_does_not_know(provider, family):
    model = family_gpus(provider, family)
    assert model == f"unrecognised GPU instance family {provider}:{family}"
    assert default_catalog().lookup(model) is None


def test_instance_types_and_accelerator_types():
    assert gpus_for("aws", "ml.p4d.24xlarge") == ("NVIDIA A100 40GB", 8)
    assert gpus_for("gcp", "a3-highgpu-4g") == ("NVIDIA H100 SXM", 4)
    assert gpus_for("azure", "Standard_ND96isr_H100_v5") == ("NVIDIA H100 SXM", 8)
    assert gpus_for("aws", "m5.large") is None
    assert gpus_for("aws", "p9.48xlarge") == ("unrecognised GPU instance type aws:p9.48xlarge", 1)
    assert gcp_accelerator("projects/p/zones/z/acceleratorTypes/nvidia-l4") == "NVIDIA L4"
