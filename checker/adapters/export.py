"""A spec read from an inventory (OpenLineage events, Fides manifests), written as a dlc spec in
YAML: `dlc import`. A team reviews it, adds approvals and classification, and keeps it as the
architecture of record; `dlc check` gives the same findings for it as for the inventory.

Declarations are written in the order the importer made them (sorted by id), each under a
comment saying where it came from (file and line, and the importer's note in `spec.notes`). Unclassified datasets are written without origin
or categories: their origin is again the country of the system the first flow takes them from.
"""

from __future__ import annotations

import re

import msgspec
import yaml

from checker.model import Spec, unclassified

# YAML 1.2 core scalars a YAML 1.1 dumper leaves bare (1e3, 0o17): quoted, or dlc would read a number
_NOT_TEXT_IN_YAML_12 = re.compile(
    r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+"
)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]  # libyaml's when built in
    """The safe dumper (it quotes what YAML 1.1 reads as something else: NO, on, 010), quoting
    besides what YAML 1.2, dlc's loader, reads as a number."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "'" if _NOT_TEXT_IN_YAML_12.fullmatch(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)
_FIELDS = {
    "systems": ("id", "kind", "location", "name", "operator"),
    "datasets": (
        "id",
        "description",
        "origin",
        "categories",
        "subjects",
        "important",
        "derived_from",
    ),
    "flows": ("id", "from", "to", "datasets", "purpose", "description"),
}


def spec_yaml(spec: Spec, command: str) -> str:
    notes = spec.notes
    lines = [
        f"# Written by `{command}` from {', '.join(spec.files)}.",
        "# Review it: add approvals, classify datasets marked unclassified, and keep it as the",
        "# architecture of record. `dlc check` on this file gives the findings the inventory gives.",
        *_block({"version": 1, "name": spec.name}),
    ]
    for section in ("systems", "datasets", "flows"):
        items = getattr(spec, section)
        if not items:
            continue
        lines.append(f"{section}:")
        for item in items:
            body = msgspec.to_builtins(item)  # as written: `from` and `to`, defaults left out
            file, line, _ = spec.location_of(section, item.id)
            comment = f"{file}:{line}" if line else file
            note = notes.get((section, item.id))
            if section == "datasets" and unclassified(item):
                note = "unclassified: " + (
                    f"held by {spec.holders[item.id]}"
                    if item.id in spec.holders
                    else "its origin is where the first flow takes it from"
                )
            lines.append(" ".join(f"  # {comment}{': ' + note if note else ''}".splitlines()))
            ordered = {key: body[key] for key in _FIELDS[section] if key in body}
            ordered.update({key: value for key, value in body.items() if key not in ordered})
            lines += ["  " + text for text in _block([ordered])]
    return "\n".join(lines) + "\n"


def _block(data: object) -> list[str]:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=110,
        default_flow_style=False,
    ).splitlines()
