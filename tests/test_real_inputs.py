"""Real infrastructure in, real findings out (issue 12): the corpus in tests/data/real.

Every Terraform plan and Kubernetes manifest there comes unchanged from a public project
(SOURCES.yaml: repository, path, commit) and is either evaluated or rejected for the reason the
manifest gives, never a crash or an error about dlc's own reading. The probes (PROBES.yaml) edit
a corpus file a little - a region moved to China, a GPU instance type, a replica added - and must
report the finding DESIGN.md promises, which their control must not.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from checker.cli import main

REAL = Path(__file__).resolve().parent / "data" / "real"
SOURCES = yaml.safe_load((REAL / "SOURCES.yaml").read_text())["files"]
PROBES = yaml.safe_load((REAL / "PROBES.yaml").read_text())["probes"]
FOLDERS = ("terraform", "kubernetes")
AS_OF = "2026-11-25"
CRASH = re.compile(r"traceback|internal error|malformed.*unexpected structure", re.IGNORECASE)


def check(path: Path) -> tuple[int, dict, str]:
    """`dlc check PATH --format json`, with no config file found or named: (exit code, report, stderr)."""
    result = CliRunner().invoke(
        main, ["check", str(path), "--format", "json", "--as-of", AS_OF], env={"DLC_CONFIG": "none"}
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{path.name}: crashed: {result.exception!r}"
    )
    assert not CRASH.search(result.stdout + result.stderr), (
        f"{path.name}: {result.stderr or result.stdout}"
    )
    return result.exit_code, json.loads(result.stdout), result.stderr


def errors_of(report: dict) -> list[str]:
    return [f"{e.get('file')}:{e.get('line')}: {e.get('message')}" for e in report["errors"]]


def found(report: dict) -> list[tuple]:
    return [
        (f["rule"], f["subject"]["kind"], f["subject"]["id"])
        for f in report["violations"] + report["notices"]
    ]


def has_finding(report: dict, want: dict) -> bool:
    """Whether the report holds the rule on the subject (a resource's flow may be named by its
    address followed by `->target`, `:source->target`, `/...` or `[...]`)."""
    kind, ident = want["subject"]["kind"], want["subject"]["id"]
    return any(
        rule == want["rule"]
        and found_kind == kind
        and (
            found_id == ident
            or (
                found_id.startswith(ident)
                and found_id[len(ident) :].startswith(("->", ":", "/", "["))
            )
        )
        for rule, found_kind, found_id in found(report)
    )


# --- the manifest -------------------------------------------------------------------------


def test_sources_list_every_corpus_file_and_only_those():
    listed = [entry["file"] for entry in SOURCES]
    on_disk = sorted(f"{folder}/{p.name}" for folder in FOLDERS for p in (REAL / folder).iterdir())
    assert len(listed) == len(set(listed)), "a file is listed twice"
    assert sorted(listed) == on_disk


@pytest.mark.parametrize("entry", SOURCES, ids=[e["file"] for e in SOURCES])
def test_source_entry_is_complete(entry):
    assert re.fullmatch(r"[0-9a-f]{40}", entry["commit"])
    assert hashlib.sha256((REAL / entry["file"]).read_bytes()).hexdigest() == entry["sha256"], (
        "the file changed"
    )
    assert re.fullmatch(r"[\w.-]+/[\w.-]+", entry["repository"])
    assert entry["path"] and not entry["path"].startswith("/")
    assert entry["license"] and entry["notes"].strip()
    assert entry["expect"] in ("evaluated", "rejected")
    assert bool(entry.get("reason")) == (entry["expect"] == "rejected")
    assert "findings" not in entry or entry["expect"] == "evaluated"


def test_corpus_is_the_size_issue_12_asks_for():
    kinds = [entry["file"].split("/")[0] for entry in SOURCES]
    assert kinds.count("terraform") >= 45 and kinds.count("kubernetes") >= 18


# --- every real file ----------------------------------------------------------------------


@pytest.mark.parametrize("entry", SOURCES, ids=[e["file"] for e in SOURCES])
def test_real_input(entry):
    code, report, stderr = check(REAL / entry["file"])
    if entry["expect"] == "evaluated":
        assert code in (0, 1) and report["errors"] == [], errors_of(report)
        resources = report["summary"].get("resources", {})
        assert resources.get("seen", 0) >= 1, f"summary.resources is {resources}"
        for want in entry.get("findings", []):
            assert has_finding(report, want), f"no {want}: {found(report)}"
    else:
        assert code == 2, f"exit {code}, errors {errors_of(report)}"
        matching = [e for e in report["errors"] if entry["reason"] in e["message"]]
        assert matching, f"no error names {entry['reason']!r}: {errors_of(report)}"
        assert all(
            Path(e["file"]).name == Path(entry["file"]).name
            and isinstance(e["line"], int)
            and e["line"] >= 1
            for e in matching
        ), matching
        assert entry["reason"] in stderr


# --- probes -------------------------------------------------------------------------------


def edited(base: str, edits: list[dict], out: Path) -> Path:
    """The corpus file `base` with `edits` applied, written to `out` (+ the base's suffix)."""
    source = REAL / base
    if source.suffix == ".json":
        document = json.loads(source.read_bytes().decode("utf-8-sig"))
    else:
        document = list(yaml.safe_load_all(source.read_text()))
    for edit in edits:
        if "set" in edit:
            *parents, last = edit["set"]
            node = document
            for key in parents:
                node = node[key]
            assert isinstance(node, dict) or last < len(node), f"{base}: no place {edit['set']}"
            node[last] = edit["value"]
        else:
            node = document
            for key in edit["append"]:
                node = node[key]
            assert isinstance(node, list), f"{base}: {edit['append']} is not a list"
            node.append(edit["value"])
    path = out.with_suffix(source.suffix)
    if source.suffix == ".json":
        path.write_text(json.dumps(document, indent=1))
    else:
        path.write_text(yaml.safe_dump_all(document, sort_keys=False))
    return path


def test_probes_are_well_formed():
    bases = {entry["file"] for entry in SOURCES}
    assert len(PROBES) >= 12 and len({p["id"] for p in PROBES}) == len(PROBES)
    for probe in PROBES:
        assert probe["base"] in bases and probe["edits"] and "edits" in probe["control"], probe[
            "id"
        ]
        assert ("finding" in probe) != ("error" in probe), probe["id"]


@pytest.mark.parametrize("probe", PROBES, ids=[p["id"] for p in PROBES])
def test_probe(probe, tmp_path):
    code, report, _ = check(edited(probe["base"], probe["edits"], tmp_path / probe["id"]))
    if "finding" in probe:
        want = probe["finding"]
        assert report["errors"] == [], errors_of(report)
        assert has_finding(report, want), f"no {want}: {found(report)}"
        if any(f["rule"] == want["rule"] for f in report["violations"]):
            assert code == 1
        assert not {f["rule"] for f in report["violations"] + report["notices"]} & set(
            probe.get("absent", [])
        )
    else:
        assert code == 2 and any(probe["error"] in e["message"] for e in report["errors"]), (
            errors_of(report)
        )

    control = probe["control"]["edits"]
    code, report, _ = check(
        edited(probe["base"], control, tmp_path / "control") if control else REAL / probe["base"]
    )
    if "finding" in probe:
        assert report["errors"] == [] and code in (0, 1), errors_of(report)
        assert not has_finding(report, probe["finding"])
    else:
        assert not any(probe["error"] in e["message"] for e in report["errors"]), errors_of(report)
