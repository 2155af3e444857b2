"""The output formats of `dlc check`, one renderer module each, registered in FORMATS: the one table
the CLI takes its --format choices from, and that says what a check must keep for a format (like
Conftest's outputters). A new format is a module here and a row in the table.

A renderer module has `render(report, *, color=False) -> str`; one that `streams` also has
`pieces(report)`, the same document as UTF-8 bytes made while they are written, so that a report
of a million findings is never held whole. A module is imported only when its format is asked
for: importing all six would add about 20 ms (python -X importtime) to every small check, which
starts in 0.3-0.4 s.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

from checker.findings import Report


@dataclass(frozen=True)
class Format:
    """A row of the table: the renderer's module (checker.report.<module>) and what it needs."""

    module: str
    # draws each spec's flows: the check keeps every spec for it (Report.graphs), else none
    needs_graphs: bool = False
    streams: bool = False  # written in pieces while it renders (the module has `pieces`)
    colors: bool = False  # coloured when written to a terminal

    def render(self, report: Report, *, color: bool = False) -> str:
        return self._renderer().render(report, color=color and self.colors)

    def pieces(self, report: Report) -> Iterator[bytes]:
        """The document as UTF-8 bytes, for a file or a pipe."""
        if self.streams:
            return self._renderer().pieces(report)
        return iter([self.render(report).encode("utf-8")])

    def _renderer(self) -> ModuleType:
        return importlib.import_module(f"{__name__}.{self.module}")


FORMATS: dict[str, Format] = {
    "text": Format("text", colors=True),
    "json": Format("json_report", streams=True),
    "sarif": Format("sarif"),
    "junit": Format("junit"),
    "markdown": Format("markdown", needs_graphs=True),
    "html": Format("html", needs_graphs=True),
}
