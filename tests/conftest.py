"""Fixtures shared by several test modules."""

from __future__ import annotations

import textwrap

import pytest


@pytest.fixture(scope="session")
def write_ruleset(tmp_path_factory):
    """Writes rules (file name -> YAML, dedented) and a policy into a fresh directory, so a module
    can check against rules of its own that the growing built-in library cannot move.
    Returns (rules directory, policy file)."""
    def write(rules: dict[str, str], policy: str) -> tuple[str, str]:
        root = tmp_path_factory.mktemp("ruleset")
        (root / "rules").mkdir()
        for name, text in rules.items():
            (root / "rules" / name).write_text(textwrap.dedent(text))
        (root / "policy.yaml").write_text(policy)
        return str(root / "rules"), str(root / "policy.yaml")

    return write
