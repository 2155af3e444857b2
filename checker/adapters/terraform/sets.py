"""Blocks Terraform stores as sets (S3 inline replication rules, backup plan rules): listed in the
planned values in an order that need not match the configuration, so their instances are paired
with the configuration by a key attribute, never by index."""

from __future__ import annotations

from checker.adapters.common import as_dict
from checker.adapters.terraform.plan import Plan, Resource
from checker.errors import InputError


def set_pairing(
    plan: Plan, resource: Resource, keys: tuple | None, elements: list, key: str | None
) -> list[int | None]:
    """For each instance (in planned values) of a block Terraform stores as a set, the index of the
    same instance in the configuration at `keys`; None where that cannot be told. Terraform need not
    list a set's instances in the same order in both, so with more than one they are paired by their
    `key` attribute (a known value matched to the constant the configuration gives it), never by index."""
    config = plan.configured(resource, keys)
    config = config if isinstance(config, list) else []
    if len(elements) <= 1 and len(config) <= 1:
        return list(range(len(elements)))

    def text(value: object) -> str | None:
        return value if isinstance(value, str) and value else None

    known = [text(as_dict(element).get(key)) if key else None for element in elements]
    written = [
        text(as_dict(as_dict(block).get(key)).get("constant_value")) if key else None
        for block in config
    ]
    return [
        written.index(name)
        if name is not None and known.count(name) == 1 and written.count(name) == 1
        else None
        for name in known
    ]


def unpaired(plan: Plan, resource: Resource, at: tuple, what: str, key: str | None) -> InputError:
    """The error for a set block instance whose configuration cannot be told and whose `what` is known
    only after apply."""
    paired_by = f"give each a unique constant '{key}', or " if key else ""
    return plan.error(
        f"{resource.address}: cannot tell the {what}: Terraform stores these blocks "
        "as a set, listed in an order that need not match the configuration, and the value is "
        f"known only after apply ({paired_by}write the destination so it is known at plan time)",
        resource.at(*at),
    )
