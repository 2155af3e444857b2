"""Resolve: the catalogs a spec is checked against (regions, data categories, accelerators)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_DATA = Path(__file__).parent / "data"
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_catalog(name: str) -> Any:  # our own YAML, whose shape each catalog class knows
    """A catalog file shipped in resolve/data: our own data, so the plain (C) safe loader will do."""
    with open(_DATA / name, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_SafeLoader)
