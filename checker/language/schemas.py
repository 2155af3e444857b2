"""JSON Schemas of rules, rule test cases, policies and exemptions (`dlc schema rule|policy`).

Every rule and policy is validated against these before it is compiled, so a malformed one is
rejected with its file and line instead of misbehaving at evaluation time.
"""

from __future__ import annotations

from checker.findings import SEVERITIES
from checker.language.conditions import OPERATORS
from checker.model import TRANSFORMS

DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
RULE_ID = {"type": "string", "pattern": r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$", "maxLength": 80}
NAME = {"type": "string", "pattern": r"^[a-z][a-z0-9_-]*$", "maxLength": 80}
SCALAR = {"type": ["string", "number", "boolean", "null"]}
COUNTRY = {"type": "string", "pattern": r"^[A-Z]{2}$"}
TEXT = {"type": "string", "minLength": 1, "maxLength": 20000}

_VALUE = {
    "oneOf": [
        SCALAR,
        {"type": "array", "items": SCALAR, "maxItems": 1000},
        {
            "type": "object",
            "properties": {"param": NAME},
            "required": ["param"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"group": NAME},
            "required": ["group"],
            "additionalProperties": False,
        },
    ]
}

CONDITION = {
    "oneOf": [
        {
            "type": "object",
            "required": ["all"],
            "additionalProperties": False,
            "properties": {
                "all": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}}
            },
        },
        {
            "type": "object",
            "required": ["any"],
            "additionalProperties": False,
            "properties": {
                "any": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}}
            },
        },
        {
            "type": "object",
            "required": ["not"],
            "additionalProperties": False,
            "properties": {"not": {"$ref": "#/$defs/condition"}},
        },
        {
            "type": "object",
            "required": ["fact"],
            "minProperties": 2,
            "maxProperties": 2,
            "additionalProperties": False,
            "properties": {
                "fact": {"type": "string", "pattern": r"^[a-z_]+\.[a-z_]+$"},
                **dict.fromkeys(OPERATORS, _VALUE),
            },
        },
    ]
}

REFERENCE = {
    "oneOf": [
        TEXT,
        {
            "type": "object",
            "required": ["law", "article", "effective"],
            "additionalProperties": False,
            "properties": {
                "law": TEXT,
                "article": TEXT,
                "effective": DATE,
                "url": {"type": "string"},
            },
        },
    ]
}

RULE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://dlc.dev/schemas/rule.json",
    "title": "dlc rule",
    "type": "object",
    "required": [
        "id",
        "title",
        "severity",
        "category",
        "subject",
        "effective",
        "references",
        "when",
        "message",
        "remediation",
    ],
    "additionalProperties": False,
    "properties": {
        "id": RULE_ID,
        "title": TEXT,
        "severity": {"enum": list(SEVERITIES)},
        "category": {
            "enum": [
                "data-residency",
                "cross-border-transfer",
                "export-control",
                "approval",
                "spec-integrity",
            ]
        },
        "subject": {"enum": ["flow", "system", "dataset", "approval", "spec"]},
        "notice": {
            "type": "boolean",
            "description": "findings are advice: reported as notices, never failing",
        },
        "effective": DATE,
        "until": DATE,
        "regime": {"type": "string", "maxLength": 80},
        "references": {"type": "array", "minItems": 1, "items": REFERENCE},
        "description": TEXT,
        "parameters": {
            "type": "object",
            "propertyNames": NAME,
            "additionalProperties": {
                "type": "object",
                "required": ["default", "description"],
                "additionalProperties": False,
                "properties": {"default": {}, "description": TEXT},
            },
        },
        "lift": {
            "type": "array",
            "uniqueItems": True,
            "items": {"enum": [t for t in TRANSFORMS if t != "none"]},
        },
        "when": {"$ref": "#/$defs/condition"},
        "cumulative": {
            "type": "object",
            "required": ["exports"],
            "additionalProperties": False,
            "description": "exports counted together over the evaluation year (facts cumulative.*)",
            "properties": {
                "exports": {
                    "$ref": "#/$defs/condition",
                    "description": "which (flow, dataset) crossings are exports to count",
                },
                "sensitive": {
                    "$ref": "#/$defs/condition",
                    "description": "which counted datasets are sensitive (cumulative.sensitive_subjects)",
                },
                "overlap": {
                    "oneOf": [
                        {"enum": ["declared", "lineage"]},
                        {
                            "type": "object",
                            "properties": {"param": NAME},
                            "required": ["param"],
                            "additionalProperties": False,
                        },
                    ],
                    "description": "declared: a dataset is not added again only under subset_of; "
                    "lineage: nor when derived from a counted dataset",
                },
            },
        },
        "message": TEXT,
        "remediation": TEXT,
    },
    "$defs": {"condition": CONDITION},
}

_EXPECTED = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["subject"],
        "additionalProperties": False,
        "properties": {
            "subject": {"type": "string", "pattern": r"^(flow|system|dataset|approval|spec)/\S+$"},
            "dataset": {"type": ["string", "null"]},
            "path": {"type": "array", "items": {"type": "string"}},
        },
    },
}

RULE_TESTS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "dlc rule test cases",
    "type": "object",
    "required": ["rule", "cases"],
    "additionalProperties": False,
    "properties": {
        "rule": RULE_ID,
        "cases": {
            "type": "array",
            "minItems": 2,
            "items": {
                "type": "object",
                "required": ["name", "spec"],
                "additionalProperties": False,
                "properties": {
                    "name": TEXT,
                    "as_of": DATE,
                    "parameters": {"type": "object", "propertyNames": NAME},
                    "spec": {"type": "object"},
                    # as `kyverno test`: fail = the rule fires (with the findings in `expect`), pass = no
                    # finding, skip = the rule is not in force on `as_of`. Absent: fail if `expect` lists any.
                    "result": {"enum": ["pass", "fail", "skip"]},
                    "expect": _EXPECTED,
                },
            },
        },
    },
}

EXEMPTION = {
    "type": "object",
    "required": ["rule", "subject", "justification", "owner", "expires"],
    "additionalProperties": False,
    "properties": {
        "rule": {"type": "string", "minLength": 1, "maxLength": 80},
        "subject": {
            "type": "string",
            "minLength": 1,
            "maxLength": 600,
            "description": "kind/id or id of the subject; * and ? match any characters",
        },
        "dataset": {"type": "string", "minLength": 1},
        "justification": TEXT,
        "owner": TEXT,
        "expires": DATE,
        "granted": DATE,
    },
}

EXEMPTIONS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "dlc exemptions file",
    "type": "object",
    "required": ["exemptions"],
    "additionalProperties": False,
    "properties": {"version": {"const": 1}, "exemptions": {"type": "array", "items": EXEMPTION}},
}

POLICY_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://dlc.dev/schemas/policy.json",
    "title": "dlc policy",
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_.-]*$"},
        "description": TEXT,
        "extends": {"type": "string", "minLength": 1},
        "include": {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": 80},
            "description": "rule ids or globs turned on (default: the parent's, or all)",
        },
        "exclude": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 80}},
        "groups": {
            "type": "object",
            "propertyNames": NAME,
            "additionalProperties": {
                "type": "array",
                "uniqueItems": True,
                "items": {
                    "oneOf": [
                        COUNTRY,
                        {
                            "type": "object",
                            "required": ["value"],
                            "minProperties": 2,
                            "additionalProperties": False,
                            "description": "a member for a while: since (inclusive) and/or until (exclusive)",
                            "properties": {"value": COUNTRY, "since": DATE, "until": DATE},
                        },
                    ]
                },
            },
        },
        "settings": {
            "type": "object",
            "propertyNames": RULE_ID,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "severity": {"enum": list(SEVERITIES)},
                    "parameters": {"type": "object", "propertyNames": NAME},
                },
            },
        },
        "exemptions": {"type": "array", "items": EXEMPTION},
    },
}

BASELINE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "dlc baseline (written by --write-baseline)",
    "type": "object",
    "required": ["version", "findings"],
    "properties": {
        "version": {"const": 1},
        "tool": {"const": "dlc"},
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["fingerprint"],
                "properties": {
                    "fingerprint": {"type": "string", "minLength": 1},
                    "rule": {"type": "string"},
                    "subject": {"type": "string"},
                    "dataset": {"type": ["string", "null"]},
                },
            },
        },
    },
}
