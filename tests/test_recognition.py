"""What is not an input (DESIGN.md "Recognition"): listed in a scan, a hint when named, never a silent pass."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "examples" / "terraform" / "cn-gpu-cluster.json"


def check(*args: str):
    result = CliRunner().invoke(
        main,
        ["check", "--format", "json", "--as-of", "2026-11-25", *args],
        env={"DLC_CONFIG": "none"},
    )
    return result.exit_code, json.loads(result.stdout)


def test_a_directory_of_terraform_sources_has_nothing_to_check(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    (tmp_path / "variables.tf").write_text('variable "region" {}\n')
    code, report = check(str(tmp_path))
    assert code == 2
    assert [e["message"] for e in report["errors"]] == [
        f"nothing to check: no dlc spec, Terraform plan JSON or Kubernetes manifest found in {tmp_path} "
        "(2 file(s) skipped, listed in the report)"
    ]
    assert [item["path"] for item in report["skipped"]] == [
        str(tmp_path / "main.tf"),
        str(tmp_path / "variables.tf"),
    ]
    assert all("terraform show -json" in item["reason"] for item in report["skipped"])


def test_other_formats_in_a_scan_are_listed_and_the_plan_beside_them_is_checked(tmp_path):
    shutil.copy(PLAN, tmp_path / "plan.json")
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text("replicas: 2\n")
    (chart / "templates" / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
    )
    (tmp_path / "package.json").write_text('{"name": "web", "version": "1.0.0"}\n')
    (tmp_path / "docker-compose.yml").write_text("services:\n  db:\n    image: postgres\n")
    (tmp_path / "kustomization.yaml").write_text("resources: [deploy.yaml]\n")
    (tmp_path / "kind.yaml").write_text(
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes: []\n"
    )
    (tmp_path / "terraform.tfstate").write_text(
        '{"version": 4, "terraform_version": "1.6.0", "serial": 3, '
        '"lineage": "x", "resources": []}\n'
    )
    (tmp_path / "ci.yml").write_text(
        "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps: []\n"
    )
    code, report = check(str(tmp_path))
    assert code == 1 and report["summary"]["specs"] == 1 and report["errors"] == []
    reasons = {
        Path(item["path"]).relative_to(tmp_path).as_posix(): item["reason"]
        for item in report["skipped"]
    }
    assert sorted(reasons) == [
        "chart/Chart.yaml",
        "chart/templates/deploy.yaml",
        "chart/values.yaml",
        "ci.yml",
        "docker-compose.yml",
        "kind.yaml",
        "kustomization.yaml",
        "package.json",
        "terraform.tfstate",
    ]
    assert (
        "helm template" in reasons["chart/templates/deploy.yaml"]
        and "helm template" in reasons["chart/values.yaml"]
    )
    assert reasons["kind.yaml"] == "a kind cluster configuration"
    assert (
        reasons["ci.yml"] == "a CI workflow"
        and reasons["docker-compose.yml"] == "a Docker Compose file"
    )
    assert reasons["terraform.tfstate"].startswith("Terraform state, not a plan")


@pytest.mark.parametrize(
    "name, content, line, message",
    [
        (
            "main.tf",
            b'resource "aws_s3_bucket" "b" {}\n',
            1,
            "Terraform configuration, not a plan: run `terraform show -json",
        ),
        (
            "plan.out",
            b"PK\x03\x04binary plan",
            1,
            "a binary Terraform plan: run `terraform show -json PLAN > plan.json`",
        ),
        (
            "state.json",
            b'{"version": 4, "terraform_version": "1.5.7", "serial": 1, "lineage": "l", "resources": []}',
            1,
            "Terraform state, not a plan",
        ),
        (
            "deploy.yaml",
            b'kind: Deployment\nmetadata:\n  name: {{ .Values.name }}\n  labels: {{ include "x" . }}\n',
            3,
            "an unrendered template (Helm or Go templating): render it with `helm template",
        ),  # where YAML broke off
        (
            "notes.yaml",
            b"owner: platform\n",
            1,
            "not a dlc spec (no 'version' and 'name'), Terraform plan JSON or "
            "Kubernetes manifest; use --input-type to say what it is",
        ),
    ],
)
def test_a_named_file_that_is_no_input_is_an_error_with_a_hint(
    tmp_path, name, content, line, message
):
    path = tmp_path / name
    path.write_bytes(content)
    code, report = check(str(path))
    assert code == 2
    [error] = report["errors"]
    assert error["file"] == str(path) and error["line"] == line and message in error["message"]


def test_a_binary_plan_is_recognised_by_its_bytes_whatever_its_name(tmp_path):
    with zipfile.ZipFile(tmp_path / "tfplan", "w") as archive:
        archive.writestr("tfplan", b"\x00\x01")
    code, report = check(str(tmp_path / "tfplan"))
    assert code == 2 and "binary Terraform plan" in report["errors"][0]["message"]


@pytest.mark.parametrize(
    "encoding, bom",
    [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-8", b"\xef\xbb\xbf")],
)
def test_plans_with_a_byte_order_mark_are_read(tmp_path, encoding, bom):
    path = tmp_path / "plan.json"
    path.write_bytes(bom + PLAN.read_text().encode(encoding))
    code, report = check(str(path))
    _, expected = check(str(PLAN))
    assert code == 1 and report["errors"] == []
    assert [
        (v["rule"], v["subject"]["id"], v["location"]["line"]) for v in report["violations"]
    ] == [(v["rule"], v["subject"]["id"], v["location"]["line"]) for v in expected["violations"]]
