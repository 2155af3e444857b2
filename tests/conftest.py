"""Fixtures shared by several test modules."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.jsonschema import specification_with

SARIF_SCHEMA_FILE = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


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


@pytest.fixture(scope="session")
def sarif_validator():
    """A validator of SARIF 2.1.0 logs against the OASIS schema, offline."""
    schema = json.loads(SARIF_SCHEMA_FILE.read_text())
    cls = validator_for(schema)  # the draft its "$schema" names (draft-04 for the OASIS file)
    # Every $ref is local; register the schema under its own id so nothing is ever fetched.
    resource = Resource.from_contents(
        schema, default_specification=specification_with(schema["$schema"])
    )
    schema_id = schema.get("$id") or schema.get("id")
    registry = Registry().with_resource(schema_id, resource)
    cls.check_schema(schema)
    return cls(schema, registry=registry)
