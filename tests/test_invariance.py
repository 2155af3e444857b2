"""The verdict depends on what a spec says, not on how it is written down.

Reordering every list, renaming every id consistently, and splitting the spec into several
files joined by `include` must leave the exit code and the set of (rule, subject kind,
subject, dataset) findings unchanged, under the default policy on a fixed date.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from checker.cli import main

AS_OF = "2026-11-25"

# A fleet in China relaying through Singapore to US training, a replication ring, lineage with an
# anonymising transform, approvals that are valid, expired and not yet valid, GPUs in China and
# in a third country, remote access from abroad, and EU data.
RICH = {
    "version": 1,
    "name": "rich",
    "organization": {"ciio": False, "headquarters": "US"},
    "systems": [
        {"id": "fleet-cn", "kind": "device-fleet", "location": "CN"},
        {"id": "shanghai-dc", "kind": "storage", "location": "alibaba:cn-shanghai"},
        {"id": "beijing-dc", "kind": "storage", "location": "alibaba:cn-beijing"},
        {"id": "sg-relay", "kind": "storage", "location": "SG"},
        {
            "id": "us-train",
            "kind": "compute",
            "location": "aws:us-west-2",
            "accelerators": [{"model": "NVIDIA H100 SXM", "count": 2048}],
        },
        {
            "id": "cn-train",
            "kind": "compute",
            "location": "CN",
            "approvals": ["bis-lic"],
            "accelerators": [
                {"model": "NVIDIA H100 SXM", "count": 512},
                {"model": "Acme Mystery GPU", "count": 8},
            ],
        },
        {
            "id": "ae-train",
            "kind": "compute",
            "location": "AE",
            "accelerators": [{"model": "NVIDIA A100 80GB", "count": 64}],
        },
        {"id": "de-dc", "kind": "storage", "location": "DE"},
        {"id": "us-analysts", "kind": "service", "location": "US", "certifications": ["eu-us-dpf"]},
        {"id": "ru-crm", "kind": "service", "location": "RU"},
    ],
    "datasets": [
        {
            "id": "raw-video",
            "origin": "CN",
            "categories": ["personal", "vehicle-exterior-video", "geolocation"],
            "subjects": 1500000,
            "important": True,
        },
        {
            "id": "anon-clips",
            "derived_from": ["raw-video"],
            "transform": "anonymized",
            "categories": ["vehicle-exterior-video"],
        },
        {
            "id": "weights",
            "derived_from": ["anon-clips"],
            "transform": "model-weights",
            "categories": ["model-weights"],
        },
        {
            "id": "driver-pi",
            "origin": "CN",
            "categories": ["personal", "biometric"],
            "subjects": 120000,
        },
        {
            "id": "eu-customers",
            "origin": "DE",
            "categories": ["personal", "health"],
            "subjects": 40000,
        },
        {"id": "ru-users", "origin": "RU", "categories": ["personal"], "subjects": 5000},
    ],
    "flows": [
        {
            "id": "upload",
            "from": "fleet-cn",
            "to": "shanghai-dc",
            "datasets": ["raw-video", "driver-pi"],
        },
        {
            "id": "ring-1",
            "from": "shanghai-dc",
            "to": "beijing-dc",
            "datasets": ["raw-video"],
            "mode": "replication",
        },
        {
            "id": "ring-2",
            "from": "beijing-dc",
            "to": "shanghai-dc",
            "datasets": ["raw-video"],
            "mode": "replication",
        },
        {
            "id": "to-sg",
            "from": "shanghai-dc",
            "to": "sg-relay",
            "datasets": ["raw-video", "driver-pi"],
            "purpose": "fsd-training",
            "approvals": ["cac-sg"],
        },
        {
            "id": "sg-to-us",
            "from": "sg-relay",
            "to": "us-train",
            "datasets": ["raw-video", "driver-pi"],
            "purpose": "fsd-training",
            "encrypted": True,
        },
        {
            "id": "anon-out",
            "from": "shanghai-dc",
            "to": "us-train",
            "datasets": ["anon-clips"],
            "purpose": "fsd-training",
            "approvals": ["cac-old"],
        },
        {
            "id": "cn-local",
            "from": "shanghai-dc",
            "to": "cn-train",
            "datasets": ["raw-video", "anon-clips"],
        },
        {"id": "weights-out", "from": "cn-train", "to": "ae-train", "datasets": ["weights"]},
        {
            "id": "us-peek",
            "from": "shanghai-dc",
            "to": "us-analysts",
            "datasets": ["driver-pi"],
            "mode": "remote-access",
            "purpose": "support",
            "approvals": ["cac-future"],
        },
        {
            "id": "eu-out",
            "from": "de-dc",
            "to": "us-analysts",
            "datasets": ["eu-customers"],
            "approvals": ["scc"],
        },
        {"id": "eu-relay", "from": "us-analysts", "to": "sg-relay", "datasets": ["eu-customers"]},
        {
            "id": "ru-out",
            "from": "ru-crm",
            "to": "de-dc",
            "datasets": ["ru-users"],
            "transaction": "vendor",
        },
    ],
    "approvals": [
        {
            "id": "cac-sg",
            "kind": "cn-standard-contract",
            "issuer": "CAC",
            "datasets": ["raw-video", "driver-pi"],
            "destinations": ["SG"],
            "purposes": ["fsd-training"],
            "valid_from": "2025-01-01",
            "expires": "2027-01-01",
        },
        {
            "id": "cac-old",
            "kind": "cn-security-assessment",
            "datasets": ["raw-video"],
            "destinations": ["US"],
            "valid_from": "2022-01-01",
            "expires": "2024-01-01",
        },
        {
            "id": "cac-future",
            "kind": "cn-security-assessment",
            "datasets": ["driver-pi"],
            "destinations": ["US"],
            "valid_from": "2027-01-01",
            "expires": "2029-01-01",
        },
        {
            "id": "bis-lic",
            "kind": "us-export-license",
            "systems": ["cn-train"],
            "destinations": ["CN"],
            "valid_from": "2025-06-01",
            "expires": "2026-12-15",
        },
        {
            "id": "scc",
            "kind": "eu-scc",
            "datasets": ["eu-customers"],
            "destinations": ["US"],
            "valid_from": "2024-01-01",
            "expires": "2030-01-01",
        },
    ],
}
SECTIONS = ("systems", "datasets", "flows", "approvals")
REFERENCES = {
    "systems": ("approvals",),
    "datasets": ("derived_from",),
    "flows": ("from", "to", "datasets", "approvals"),
    "approvals": ("datasets", "systems"),
}
TARGET = {
    "approvals": "approvals",
    "derived_from": "datasets",
    "from": "systems",
    "to": "systems",
    "datasets": "datasets",
    "systems": "systems",
}


def _verdict(
    files: dict[str, dict], tmp_path: Path, root: str = "spec.yaml", rename: dict | None = None
):
    for name, content in files.items():
        (tmp_path / name).write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["check", "--as-of", AS_OF, "--format", "json", str(tmp_path / root)]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    report = json.loads(result.stdout)
    assert report["errors"] == [], report["errors"]
    back = {new: old for old, new in (rename or {}).items()}

    def key(finding: dict) -> tuple:
        subject = finding["subject"]
        return (
            finding["rule"],
            subject["kind"],
            back.get(subject["id"], subject["id"]),
            back.get(finding["dataset"], finding["dataset"]),
        )

    return (
        result.exit_code,
        sorted(map(key, report["violations"])),
        sorted(map(key, report["notices"])),
    )


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return _verdict({"spec.yaml": RICH}, tmp_path_factory.mktemp("baseline"))


def test_rich_spec_has_a_verdict_worth_protecting(baseline):
    code, violations, _ = baseline
    assert code == 1
    rules = {v[0] for v in violations}
    assert len(violations) >= 5 and len(rules) >= 3, violations


def _shuffled(spec: dict, rng: random.Random) -> dict:
    spec = copy.deepcopy(spec)
    for section in SECTIONS:
        rng.shuffle(spec[section])
        for item in spec[section]:
            for value in item.values():
                if isinstance(value, list):
                    rng.shuffle(value)
    return dict(rng.sample(list(spec.items()), len(spec)))  # top-level key order too


@pytest.mark.parametrize("seed", range(5))
def test_reordering_lists_keeps_the_verdict(seed, baseline, tmp_path):
    assert _verdict({"spec.yaml": _shuffled(RICH, random.Random(seed))}, tmp_path) == baseline


def _renamed(spec: dict, mapping: dict[str, dict[str, str]]) -> dict:
    spec = copy.deepcopy(spec)
    for section in SECTIONS:
        for item in spec[section]:
            item["id"] = mapping[section][item["id"]]
            for field in REFERENCES[section]:
                if field in item:
                    names = mapping[TARGET[field]]
                    item[field] = (
                        names[item[field]]
                        if isinstance(item[field], str)
                        else [names[v] for v in item[field]]
                    )
    return spec


@pytest.mark.parametrize("style", ["prefix", "opaque"])
def test_renaming_ids_consistently_keeps_the_verdict(style, baseline, tmp_path):
    mapping = {
        section: {
            item["id"]: (f"zz-{item['id']}" if style == "prefix" else f"{section[0]}{index:03d}")
            for index, item in enumerate(RICH[section])
        }
        for section in SECTIONS
    }
    flat = {old: new for names in mapping.values() for old, new in names.items()}
    assert len(set(flat.values())) == len(flat)
    assert _verdict({"spec.yaml": _renamed(RICH, mapping)}, tmp_path, rename=flat) == baseline


@pytest.mark.parametrize("layout", ["by-section", "interleaved", "nested"])
def test_splitting_into_included_files_keeps_the_verdict(layout, baseline, tmp_path):
    root = {"version": 1, "name": RICH["name"], "organization": RICH["organization"]}
    if layout == "by-section":
        files = {f"{section}.yaml": {section: RICH[section]} for section in SECTIONS}
        root["include"] = list(files)
    elif layout == "interleaved":  # every file holds a bit of every section; the root file too
        files = {
            f"part{k}.yaml": {section: RICH[section][k::3] for section in SECTIONS} for k in (1, 2)
        }
        root.update({section: RICH[section][0::3] for section in SECTIONS})
        root["include"] = list(files)
    else:  # a chain of includes, with a diamond: both middle files include the last one
        files = {
            "a.yaml": {"include": ["b.yaml", "c.yaml"], "systems": RICH["systems"]},
            "b.yaml": {"include": ["d.yaml"], "datasets": RICH["datasets"]},
            "c.yaml": {"include": ["d.yaml"], "flows": RICH["flows"]},
            "d.yaml": {"approvals": RICH["approvals"]},
        }
        root["include"] = ["a.yaml"]
    assert _verdict({"spec.yaml": root, **files}, tmp_path) == baseline


def test_all_three_at_once(baseline, tmp_path):
    mapping = {
        section: {item["id"]: f"q-{index}-{section}" for index, item in enumerate(RICH[section])}
        for section in SECTIONS
    }
    flat = {old: new for names in mapping.values() for old, new in names.items()}
    spec = _shuffled(_renamed(RICH, mapping), random.Random(99))
    root = {
        "version": 1,
        "name": "rich",
        "organization": spec["organization"],
        "include": ["rest.yaml"],
        "systems": spec["systems"],
    }
    rest = {section: spec[section] for section in ("datasets", "flows", "approvals")}
    assert _verdict({"spec.yaml": root, "rest.yaml": rest}, tmp_path, rename=flat) == baseline
