"""The shipped data-category taxonomy: known names and what each implies."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from checker.resolve import load_catalog


class UnknownCategory(LookupError):
    pass


class Taxonomy:
    def __init__(self, entries: dict[str, dict]) -> None:
        self.descriptions = {name: entry["description"] for name, entry in entries.items()}
        self._implies = {name: tuple(entry.get("implies", ())) for name, entry in entries.items()}
        for name, implied in self._implies.items():
            unknown = [i for i in implied if i not in entries]
            if unknown:
                raise ValueError(f"category '{name}' implies unknown {unknown}")

    def expand(self, categories: Iterable[str]) -> frozenset[str]:
        """The categories with everything they imply (a rule about `personal` sees `biometric`)."""
        out: set[str] = set()
        pending = list(categories)
        while pending:
            name = pending.pop()
            if name not in self._implies:
                raise UnknownCategory(name)
            if name not in out:
                out.add(name)
                pending.extend(self._implies[name])
        return frozenset(out)

    def names(self) -> list[str]:
        return sorted(self.descriptions)


@functools.cache
def default_taxonomy() -> Taxonomy:
    return Taxonomy(load_catalog("categories.yaml"))
