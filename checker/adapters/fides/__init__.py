"""Fides (fideslang) manifests: systems, datasets and data-category extensions.

This module only recognises a manifest (it is imported by every auto-detecting run); the model
is built in `convert`, when a manifest is found.
"""

from __future__ import annotations

# fideslang's resource types, as the top-level keys of a manifest file
RESOURCES = (
    "system",
    "dataset",
    "data_category",
    "data_use",
    "data_subject",
    "organization",
    "policy",
    "registry",
    "evaluation",
)


def looks_like_manifest(data: object) -> bool:
    """A mapping of fideslang resource types to lists of resources with a `fides_key`."""
    return (
        isinstance(data, dict)
        and bool(data)
        and all(key in RESOURCES for key in data)
        and any(
            isinstance(value, list)
            and any(isinstance(item, dict) and "fides_key" in item for item in value)
            for value in data.values()
        )
    )
