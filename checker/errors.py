"""Typed errors. Library code raises these; only the CLI turns them into messages and exit codes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self


class DlcError(Exception):
    """Base of every error dlc reports as an input or usage error (exit code 2)."""

    def __init__(
        self,
        message: str,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = self.file or ""
        if where and self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}" if where else self.message

    def included(self, chain: Sequence[str]) -> Self:
        """The error, in a file that includes brought in: names them ("file:line", nearest first)."""
        if chain:
            self.message += " (included from " + ", from ".join(chain) + ")"
        return self

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


class InputError(DlcError):
    """A spec, plan, manifest, policy or exemptions file that is malformed or inconsistent."""


class LimitExceeded(InputError):
    """An input that exceeds a documented size, depth or alias limit."""


class RuleError(DlcError):
    """A rule file that does not validate or cannot be compiled."""


class PolicyError(DlcError):
    """A policy that does not validate, names unknown rules or cannot be resolved."""


class InternalError(DlcError):
    """A bug in dlc met while reading an input: reported with the file it was reading (exit 2),
    never blamed on the input."""


class UsageError(DlcError):
    """A command-line usage problem (unknown format, missing path, bad date)."""
