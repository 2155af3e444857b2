"""AWS Backup: a plan's rules back the resources its selections name up into a vault, and copy
that vault onwards (copy_action), often to another region or account."""

from __future__ import annotations

from checker.adapters.common import as_dict, as_list
from checker.adapters.terraform.plan import Plan, Resource
from checker.adapters.terraform.registry import register
from checker.adapters.terraform.sets import set_pairing, unpaired


def _backed_up(plan: Plan, selection: Resource) -> list[str]:
    """The systems a backup selection names; an input error where it selects by tag, condition or
    wildcard (which resources those match is not in the plan)."""
    conditions = [
        value
        for block in as_list(selection.values.get("condition"))
        for value in as_dict(block).values()
        if value
    ]
    arns = as_list(selection.values.get("resources"))
    wildcards = [index for index, arn in enumerate(arns) if isinstance(arn, str) and "*" in arn]
    if as_list(selection.values.get("selection_tag")) or conditions or wildcards:
        raise plan.error(
            f"{selection.address}: dlc cannot tell which resources this backup selection backs up "
            "(it selects by tag, condition or wildcard): list them in 'resources'",
            selection.at("resources", wildcards[0]) if wildcards else selection.here,
        )
    named = [
        plan.system_of(selection, ("resources", index), None, value=arn, what="backed-up resource")
        for index, arn in enumerate(arns)
    ]
    referenced = plan.referenced_systems(selection, ("resources",))
    if not named and not referenced and plan.is_set(selection, ("resources",)):
        raise plan.error(
            f"{selection.address}: dlc cannot tell which resources this backup selection backs up "
            "(they are known only after apply)",
            selection.here,
        )
    return named + referenced


def _backup_selection(plan: Plan, resource: Resource) -> None:
    """A selection's resources flow through its plan's rules (see _aws_backup_plan); one whose
    plan is not in this plan JSON backs them up to vaults dlc cannot see."""
    if plan.match(resource, ("plan_id",), frozenset({"aws_backup_plan"})) is None:
        raise plan.error(
            f"{resource.address}: its backup plan is not in this plan JSON, so dlc cannot tell "
            "where it backs the resources up to",
            resource.here,
        )


def _aws_backup_plan(plan: Plan, resource: Resource) -> None:
    """Each rule backs the selected resources up into its vault, and copies that vault onwards."""
    vaults = frozenset({"aws_backup_vault"})
    backed_up = [
        source
        for selection in plan.modelled
        if selection.type == "aws_backup_selection"
        and plan.match(selection, ("plan_id",), frozenset({"aws_backup_plan"})) is resource
        for source in _backed_up(plan, selection)
    ]
    # `rule` and its `copy_action` are sets: paired with their configuration by rule_name, and by
    # their known values alone where they cannot be
    rules = as_list(resource.values.get("rule"))
    pairing = set_pairing(plan, resource, ("rule",), rules, "rule_name")
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        config_rule = None if pairing[index] is None else ("rule", pairing[index])
        value = rule.get("target_vault_name")
        if config_rule is None and value in (None, ""):
            raise unpaired(
                plan, resource, ("rule", index), "backup vault of this rule", "rule_name"
            )
        vault = plan.system_of(
            resource,
            ("rule", index, "target_vault_name"),
            vaults,
            value=value,
            what="backup vault",
            config_keys=config_rule and (*config_rule, "target_vault_name"),
        )
        for source in backed_up:
            plan.flow(resource, source, vault, "backup", ("rule", index))
        copies = as_list(rule.get("copy_action"))
        copy_pairing = set_pairing(
            plan, resource, config_rule and (*config_rule, "copy_action"), copies, None
        )
        for copy_index, copy in enumerate(copies or [{}]):
            keys = ("rule", index, "copy_action", copy_index, "destination_vault_arn")
            value = as_dict(copy).get("destination_vault_arn")
            config_copy = copy_index if not copies else copy_pairing[copy_index]
            config_keys = (
                None
                if config_rule is None or config_copy is None
                else (*config_rule, "copy_action", config_copy, "destination_vault_arn")
            )
            if value in (None, "") and config_keys is None and copies:
                raise unpaired(
                    plan,
                    resource,
                    ("rule", index, "copy_action", copy_index),
                    "destination vault of this copy_action",
                    "rule_name" if config_rule is None else None,
                )
            if value is None and not plan.is_set(resource, keys, config_keys=config_keys):
                continue
            target = plan.system_of(
                resource,
                keys,
                vaults,
                value=value,
                what="backup copy destination vault",
                config_keys=config_keys,
            )
            plan.flow(resource, vault, target, "backup", keys)


register("storage", "aws_backup_vault")
register("flow", "aws_backup_selection", flows=_backup_selection)
register("flow", "aws_backup_plan", flows=_aws_backup_plan)
