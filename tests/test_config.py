"""The configuration file (DESIGN.md "Configuration file"): discovery, precedence, errors at their line."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.adapters.infrastructure import classified, edit_distance, typo_of
from checker.cli import main
from checker.config import Classification, Infrastructure, find_config, load_config
from checker.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "fsd-export.yaml"
AS_OF = "2026-11-25"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A repository root (holding .git) with a nested working directory, and no DLC_CONFIG."""
    (tmp_path / ".git").mkdir()
    work = tmp_path / "infra" / "prod"
    work.mkdir(parents=True)
    shutil.copy(EXAMPLE, work / "spec.yaml")
    monkeypatch.chdir(work)
    monkeypatch.delenv("DLC_CONFIG", raising=False)
    return tmp_path


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def test_discovered_in_a_parent_up_to_the_repository_root(project):
    (project / "dlc.yaml").write_text("fail_on: never\n")
    assert run("check", "spec.yaml", "--as-of", AS_OF).exit_code == 0  # fail_on from the file
    assert (
        run("check", "spec.yaml", "--as-of", AS_OF, "--fail-on", "high").exit_code == 1
    )  # the flag wins


def test_discovery_stops_at_the_repository_root(project):
    (project.parent / "dlc.yaml").write_text("fail_on: never\n")  # outside the repository: not read
    try:
        assert run("check", "spec.yaml", "--as-of", AS_OF).exit_code == 1
    finally:
        (project.parent / "dlc.yaml").unlink()


def test_hidden_name_is_found_and_dlc_config_none_switches_discovery_off(project):
    (project / "infra" / ".dlc.yaml").write_text("fail_on: never\n")
    assert run("check", "spec.yaml", "--as-of", AS_OF).exit_code == 0
    assert run("check", "spec.yaml", "--as-of", AS_OF, env={"DLC_CONFIG": "none"}).exit_code == 1


def test_flag_wins_over_dlc_config_and_a_missing_file_is_an_error(project):
    (project / "never.yaml").write_text("fail_on: never\n")
    (project / "critical.yaml").write_text("fail_on: critical\nformat: json\n")
    env = {"DLC_CONFIG": str(project / "never.yaml")}
    result = run(
        "check", "spec.yaml", "--as-of", AS_OF, "--config", str(project / "critical.yaml"), env=env
    )
    assert result.exit_code == 1 and json.loads(result.output)["summary"]["violations"] == 4
    assert run("check", "spec.yaml", "--as-of", AS_OF, env=env).exit_code == 0
    missing = run("check", "spec.yaml", env={"DLC_CONFIG": "nowhere.yaml"})
    assert (
        missing.exit_code == 2
        and "configuration file not found (named by DLC_CONFIG)" in missing.output
    )


def test_paths_in_the_file_are_relative_to_it(project):
    reports = project / "reports"
    reports.mkdir()
    (project / "dlc.yaml").write_text("format: [json]\noutput: [reports/dlc.json]\n")
    assert run("check", "spec.yaml", "--as-of", AS_OF).exit_code == 1
    assert json.loads((reports / "dlc.json").read_text())["summary"]["violations"] == 4


@pytest.mark.parametrize(
    "text, line, message",
    [
        (
            "fail_on: high\nclassificaton: []\n",
            2,
            "unknown key 'classificaton' (did you mean 'classification'?)",
        ),
        (
            "kubernetes:\n  namespace: {prod: CN}\n",
            2,
            "unknown key 'namespace' in kubernetes (did you mean 'namespaces'?)",
        ),
        (
            "classification:\n  - match: {tag: DataClass, valu: 'PII*'}\n    categories: [personal]\n",
            2,
            "unknown key 'valu' in classification.0.match (did you mean 'value'?)",
        ),
        (
            "classification:\n  - match: {tag: DataClass}\n    categories: [persnal]\n",
            3,
            "unknown category 'persnal'",
        ),
        (
            "classification:\n  - match: {tag: A, label: B}\n    origin: CN\n",
            2,
            "name exactly one of tag, label or annotation",
        ),
        (
            "classification:\n  - match: {tag: A}\n    origin: Atlantis\n",
            3,
            "classification origin: unknown",
        ),
        ("default_location: aws:us-east-99\n", 1, "unknown location 'aws:us-east-99'"),
        ("openlineage:\n  namespaces:\n    's3://fleet-*': mars\n", 3, "unknown"),
        ("fail_on: sometimes\n", 1, "fail_on"),
    ],
)
def test_mistakes_are_input_errors_at_their_line(project, text, line, message):
    (project / "dlc.yaml").write_text(text)
    result = run("check", "spec.yaml")
    assert result.exit_code == 2
    assert f"dlc.yaml:{line}:" in result.output and message in result.output


def test_settings_are_read_into_their_places(tmp_path):
    (tmp_path / "dlc.yaml").write_text(
        "policy: strict\nrules: [more-rules]\nexemptions: ex.yaml\nbaseline: base.json\n"
        "default_location: aws:cn-north-1\n"
        "classification:\n  - match: {tag: DataClassification, value: 'PII*'}\n    categories: [personal]\n"
        "  - match: {label: residency, value: cn}\n    origin: cn\n    important: true\n"
        "terraform: {ignore_types: ['datadog_*']}\nkubernetes: {namespaces: {fleet: aws:cn-northwest-1}}\n"
        "openlineage: {namespaces: {'s3://cn-*': aws:cn-north-1, 's3://*': US}}\nfides: {systems: {crm: DE}}\n"
    )
    config = load_config(str(tmp_path / "dlc.yaml"))
    assert config.policy == "strict" and config.rules == (str(tmp_path / "more-rules"),)
    assert config.exemptions == (str(tmp_path / "ex.yaml"),) and config.baseline == str(
        tmp_path / "base.json"
    )
    infra = config.infrastructure
    assert infra.default_location == "aws:cn-north-1" and infra.terraform_ignore_types == (
        "datadog_*",
    )
    assert dict(infra.kubernetes_namespaces) == {"fleet": "aws:cn-northwest-1"}
    assert infra.openlineage_namespaces == (("s3://cn-*", "aws:cn-north-1"), ("s3://*", "US"))
    assert dict(infra.fides_systems) == {"crm": "DE"}
    assert [(c.key, c.origin, c.line) for c in infra.classification] == [
        ("DataClassification", None, 7),
        ("residency", "CN", 9),
    ]


def test_classification_entries_add_up_and_match_case_insensitively(tmp_path):
    (tmp_path / "dlc.yaml").write_text(
        "classification:\n  - match: {tag: DataClassification, value: 'pii*'}\n    categories: [personal]\n"
        "    subjects: 5000\n  - match: {tag: Fleet}\n    categories: [geolocation, personal]\n    origin: CN\n"
        "  - match: {tag: DataClassification, value: public}\n    categories: [non-personal]\n"
    )
    infra = load_config(str(tmp_path / "dlc.yaml")).infrastructure
    body, first = classified(
        "aws_s3_bucket.b", {"DataClassification": "PII-High", "Fleet": "yes"}, infra, "US"
    )
    assert body["origin"] == "CN" and body["categories"] == ["personal", "geolocation"]
    assert body["subjects"] == 5000 and first.key == "DataClassification"
    body, _ = classified("aws_s3_bucket.b", {"DataClassification": "pii"}, infra, "US")
    assert body["origin"] == "US"  # no origin given: the store's country
    assert classified("aws_s3_bucket.b", {"DataClassification": "internal"}, infra, "US") is None


def test_typos_of_dlc_keys_but_never_of_keys_the_configuration_classifies_by():
    own = ("data-origin", "data-categories", "dlc-location")
    assert typo_of("data_origin", own, Infrastructure()) == "data-origin"
    assert typo_of("data-catgories", own, Infrastructure()) == "data-categories"
    assert (
        typo_of("Data-Origin", own, Infrastructure()) is None
    )  # the key itself, read case-insensitively
    assert typo_of("Name", own, Infrastructure()) is None
    config = Infrastructure(
        classification=(Classification(key="data_origin", value="*", origin="CN"),)
    )
    assert typo_of("data_origin", own, config) is None
    assert (
        edit_distance("data-orgin", "data-origin") == 1 and edit_distance("abcdef", "uvwxyz") == 3
    )


def test_no_file_found_means_no_configuration(project):
    config = find_config(None, {})
    assert config.file is None and config.infrastructure.classification == ()
    with pytest.raises(InputError, match="configuration file not found"):
        find_config(os.path.join(str(project), "missing.yaml"), {})
