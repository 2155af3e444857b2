"""The one table of resource types dlc models, filled by the provider modules.

Like Checkov's checks registered per resource type: each module says, for the types it knows,
what kind of system a resource is (or that it only moves data), where it keeps copies, how it
moves data and what it runs. A type in no module is skipped: silently when it matches the
no-data patterns (no_data.py), else with one notice per type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

#: flow: moves data, is no system of its own; unmodelled: dlc knows the type but cannot model what
#: matters in it (skipped as `unmodelled`, with a notice)
KINDS = ("storage", "compute", "flow", "unmodelled")


@dataclass(frozen=True)
class ResourceType:
    kind: str
    #: (plan, resource): adds the flows the resource makes (replication, replicas, backup copies)
    flows: Callable | None = None
    #: values -> [Machines]: the instance types it runs and how many
    machines: Callable | None = None
    #: (plan, resource) -> [(location, path)] | None: every region it keeps its data in, its own
    #: first (multi-regions, geo-redundant pairs, replicas written inline); None: one location
    places: Callable | None = None
    #: (attribute, types): the resource it lives in, whose location it has when it states none
    parent: tuple[str, frozenset] | None = None
    #: AWS compute that may take its instance type from a launch template or configuration
    launches: bool = False


TYPES: dict[str, ResourceType] = {}


def register(kind: str, names: str | Iterable[str], **how: Any) -> None:
    assert kind in KINDS
    for name in [names] if isinstance(names, str) else names:
        assert name not in TYPES, f"{name} registered twice"
        TYPES[name] = ResourceType(kind, **how)
