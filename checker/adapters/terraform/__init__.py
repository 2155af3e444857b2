"""Terraform plan JSON (`terraform show -json plan.out`) into the spec model.

Each modelled data-store or compute resource in `planned_values` (root and child modules) becomes
a system whose id is its resource address, located by its own region/location/zone argument, else
the provider configuration it uses (aliases and module providers included), else
`--default-location`. A data store's data is the dataset `<address>#data`: declared by dlc's tags
(labels on Google Cloud), else by the configuration's `classification` of the organisation's own
tags, else unclassified. Replication, replicas, geo-redundant pairs, multi-regions and backup
copies become flows; GPU instance types and node pools become accelerators.

plan.py reads the plan; one module per provider or family registers its resource types in the
one table of registry.py. Resources that keep, move and run nothing are skipped and counted;
unknown types are skipped with a notice; one resource's error never hides the others' findings.
"""

from __future__ import annotations

from checker.adapters.terraform import (  # noqa: F401  (register)
    alibaba,
    aws,
    aws_compute,
    azure,
    backup,
    gcp,
)
from checker.adapters.terraform.plan import Plan
from checker.config import NO_INFRASTRUCTURE, Infrastructure
from checker.errors import InputError
from checker.load.documents import Document
from checker.model import Spec


def plan_to_spec(document: Document, infrastructure: Infrastructure = NO_INFRASTRUCTURE) -> Spec:
    """A Terraform plan (the data of `terraform show -json`) as a Spec whose ids are resource addresses."""
    plan = Plan(document, infrastructure)
    try:
        plan.read()
        plan.sort_out()
        plan.build_systems()
        plan.build_flows()
        return plan.finish()
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
        # A structure no plan Terraform writes (an attribute of an unexpected type): an input
        # error, never a traceback. The checks above report every shape seen in real plans.
        raise InputError(f"malformed Terraform plan: unexpected structure ({type(exc).__name__}: {exc})",
                         document.source.file) from None
