"""Reading resource values as `terraform show -json` writes them: blocks are lists of objects,
numbers may be strings, anything may be unknown until apply (absent)."""

from __future__ import annotations

from typing import NamedTuple

from checker.adapters.common import as_dict, as_list, dig


def block(values: dict, name: str) -> dict:
    """The first (usually only) instance of a nested block, or {}."""
    value = values.get(name)
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return as_dict(value)


def values_path(values, keys: tuple) -> tuple:
    """Configuration keys ("rule", 0, "destination", "bucket") as a path in values (blocks are lists)."""
    path, node = [], values
    for key in keys:
        if isinstance(node, list) and not isinstance(key, int):
            path.append(0)
            node = node[0] if node else None
        path.append(key)
        node = dig(node, key)
    return tuple(path)


def attribute(values: dict, *keys):
    """The value at configuration keys ("scaling_config", "max_size"), into the first of each block."""
    return dig(values, *values_path(values, keys))


def whole(value, default: int) -> int:
    """A whole number written as a number or a string of digits, else the default."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return default


def texts(value) -> list[str]:
    """The non-empty strings of a list (or of one string)."""
    items = [value] if isinstance(value, str) else as_list(value)
    return [item for item in items if isinstance(item, str) and item.strip()]


class Machines(NamedTuple):
    """What a compute resource runs: instance types, how many machines, and (Google Cloud) GPUs
    attached to a plain machine type."""

    types: list
    count: int  # type: ignore[assignment]  # shadows tuple.count, which nothing here calls
    attached: list | tuple = ()


def most(*counts) -> int:
    """The most machines any of the counts allows (desired size, maximum, ...), at least one."""
    return max([whole(count, 0) for count in counts] + [1])


def instance_types(type_attribute: str, *count_attributes: str):
    """Reads a resource naming one instance type or a list of them (dotted attribute paths into the
    first of each block), with the most machines its count attributes allow (at least 1)."""

    def read(values: dict) -> list[Machines]:
        types = attribute(values, *type_attribute.split("."))
        counts = (attribute(values, *count.split(".")) for count in count_attributes)
        return [Machines(types if isinstance(types, list) else [types], most(*counts))]

    return read
