"""Typed errors. Library code raises these; only the CLI turns them into messages and exit codes."""

from __future__ import annotations


class DlcError(Exception):
    """Base of every error dlc reports as an input or usage error (exit code 2)."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
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

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "message": self.message}


class InputError(DlcError):
    """A spec, plan, manifest, policy or exemptions file that is malformed or inconsistent."""


class LimitExceeded(InputError):
    """An input that exceeds a documented size, depth or alias limit."""


class RuleError(DlcError):
    """A rule file that does not validate or cannot be compiled."""


class PolicyError(DlcError):
    """A policy that does not validate, names unknown rules or cannot be resolved."""


class UsageError(DlcError):
    """A command-line usage problem (unknown format, missing path, bad date)."""
