"""AWS compute and the accelerators it runs: instances, launch templates and configurations (counted
where an autoscaling group, node group or instance uses them), EKS node groups, Batch, EMR and
SageMaker (notebooks, endpoint configurations)."""

from __future__ import annotations

from checker.adapters.common import as_dict, as_list
from checker.adapters.terraform.registry import register
from checker.adapters.terraform.values import Machines, attribute, instance_types, most


def _autoscaling_group(values: dict) -> list[Machines]:
    overrides = as_list(attribute(values, "mixed_instances_policy", "launch_template", "override"))
    return [
        Machines(
            [o.get("instance_type") for o in overrides if isinstance(o, dict)],
            most(values.get("desired_capacity"), values.get("max_size")),
        )
    ]


def _emr_cluster(values: dict) -> list[Machines]:
    return [
        *instance_types("master_instance_group.instance_type")(values),
        *instance_types("core_instance_group.instance_type", "core_instance_group.instance_count")(
            values
        ),
    ]


def _endpoint_configuration(values: dict) -> list[Machines]:
    """Each production variant runs its instance type on its initial instances (the most its
    serverless or autoscaling settings allow is not in the plan)."""
    return [
        Machines(
            [as_dict(variant).get("instance_type")],
            most(as_dict(variant).get("initial_instance_count")),
        )
        for variant in as_list(values.get("production_variants"))
        + as_list(values.get("shadow_production_variants"))
    ]


register(
    "compute",
    ("aws_instance", "aws_spot_instance_request"),
    machines=instance_types("instance_type"),
    launches=True,
)
register(
    "compute",
    ("aws_launch_template", "aws_launch_configuration"),
    machines=instance_types("instance_type"),
)
register(
    "compute",
    "aws_eks_node_group",
    launches=True,
    machines=instance_types(
        "instance_types", "scaling_config.desired_size", "scaling_config.max_size"
    ),
)
register("compute", "aws_autoscaling_group", machines=_autoscaling_group, launches=True)
register(
    "compute",
    "aws_batch_compute_environment",  # 1 machine each: see docs
    machines=instance_types("compute_resources.instance_type"),
)
register("compute", "aws_emr_cluster", machines=_emr_cluster)
register("compute", "aws_sagemaker_notebook_instance", machines=instance_types("instance_type"))
register("compute", "aws_sagemaker_endpoint_configuration", machines=_endpoint_configuration)
register(
    "compute",
    (
        "aws_eks_cluster",
        "aws_ecs_cluster",
        "aws_ecs_service",
        "aws_lambda_function",
        "aws_sagemaker_endpoint",
        "aws_sagemaker_domain",
        "aws_sagemaker_space",
        "aws_glue_job",
        "aws_apprunner_service",
        "aws_lightsail_instance",
        "aws_lightsail_container_service",
        "aws_elastic_beanstalk_environment",
        "aws_emrserverless_application",
        "aws_codebuild_project",
        "aws_bedrock_custom_model",
    ),
)
