"""The Kubernetes manifest adapter: workloads to systems, node selection to locations and GPUs,
dlc.io annotations to datasets and flows."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.adapters import load_input
from checker.cli import main
from checker.errors import InputError
from checker.load.documents import DEFAULT_LIMITS
from checker.resolve.resolver import resolve

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "kubernetes" / "cn-training.yaml"


def load(path, input_type="auto"):
    return load_input(str(path), input_type, DEFAULT_LIMITS, True)


def write(tmp_path, text, name="manifests.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def line_of(path: Path, text: str, after: int = 0) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if i > after and text in line)


def run(*args):
    return CliRunner().invoke(main, ["check", "--as-of", "2026-11-25", *args])


def test_example_systems_locations_gpus_and_flow():
    spec = load(EXAMPLE)
    systems = {s.id: s for s in spec.systems}
    assert set(systems) == {"Job/fsd/fsd-train-v42", "Deployment/fsd/clip-exporter", "external:aws:us-west-2"}
    job = systems["Job/fsd/fsd-train-v42"]
    assert job.location == "aws:cn-north-1"
    assert [(a.model, a.count) for a in job.accelerators] == [("NVIDIA-H100-80GB-HBM3", 128)]  # 8 GPUs x 16 pods
    exporter = systems["Deployment/fsd/clip-exporter"]
    assert exporter.location == "aws:cn-north-1"           # provider told by the eks.amazonaws.com/ label
    assert exporter.accelerators == []
    [flow] = spec.flows
    assert (flow.id, flow.source, flow.target, flow.purpose) == (
        "Deployment/fsd/clip-exporter->external:aws:us-west-2", "Deployment/fsd/clip-exporter",
        "external:aws:us-west-2", "fsd-training")
    assert flow.datasets == ["Deployment/fsd/clip-exporter#data"]
    datasets = {d.id: d for d in spec.datasets}
    assert datasets["Job/fsd/fsd-train-v42#data"].categories == ["vehicle-exterior-video", "geolocation", "personal"]
    assert datasets["Deployment/fsd/clip-exporter#data"].subjects == 1_500_000
    resolved = resolve(spec)
    assert resolved.country["external:aws:us-west-2"] == "US"
    assert resolved.hardware["Job/fsd/fsd-train-v42"][0][2].name == "NVIDIA H100 SXM"


def test_example_end_to_end_reports_lines():
    result = run(str(EXAMPLE), "--format", "json")
    assert result.exit_code == 1, result.output
    violations = json.loads(result.stdout)["violations"]
    [licence] = [v for v in violations if v["rule"] == "US-EAR-AC-LICENCE"]
    assert licence["subject"] == {"kind": "system", "id": "Job/fsd/fsd-train-v42"}
    assert licence["location"]["line"] == line_of(EXAMPLE, "name: fsd-train-v42")
    [export] = [v for v in violations if v["rule"] == "CN-PI-EXPORT"]
    assert export["subject"]["id"] == "Deployment/fsd/clip-exporter->external:aws:us-west-2"
    assert export["path"] == ["Deployment/fsd/clip-exporter", "external:aws:us-west-2"]
    assert export["location"]["line"] == line_of(EXAMPLE, "dlc.io/sends-to:")


def test_location_annotation_wins_and_affinity_and_zone_and_service_targets(tmp_path):
    path = write(tmp_path, """
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: lake
          namespace: data
          annotations:
            dlc.io/location: CN
            dlc.io/data-origin: CN
            dlc.io/data-categories: personal
            dlc.io/sends-to: Service/data/trainer-svc, Deployment/edge
        spec:
          replicas: 3
          template:
            spec:
              nodeSelector:
                topology.kubernetes.io/region: us-east-1
              containers: [{name: db, image: postgres:16}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: trainer, namespace: data}
        spec:
          replicas: 2
          template:
            metadata:
              labels: {app: trainer}
            spec:
              affinity:
                nodeAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                    nodeSelectorTerms:
                      - matchExpressions:
                          - {key: topology.kubernetes.io/zone, operator: In, values: [us-central1-a]}
                          - {key: cloud.google.com/gke-accelerator, operator: In, values: [nvidia-h100-80gb]}
              containers:
                - name: t
                  image: trainer
                  resources: {limits: {nvidia.com/gpu: "4"}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: trainer-svc, namespace: data}
        spec:
          selector: {app: trainer}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: edge
          namespace: data
          annotations: {dlc.io/provider: azure}
        spec:
          template:
            spec:
              nodeSelector:
                topology.kubernetes.io/region: chinaeast2
                node.kubernetes.io/instance-type: Standard_ND96isr_H100_v5
              containers: [{name: e, image: edge}]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: ignored}
        data: {a: b}
        """)
    spec = load(path)
    systems = {s.id: s for s in spec.systems}
    assert systems["StatefulSet/data/lake"].location == "CN"
    assert systems["Deployment/data/trainer"].location == "gcp:us-central1-a"
    assert [(a.model, a.count) for a in systems["Deployment/data/trainer"].accelerators] == [("NVIDIA H100 SXM", 8)]
    assert systems["Deployment/data/edge"].location == "azure:chinaeast2"
    assert [(a.model, a.count) for a in systems["Deployment/data/edge"].accelerators] == [("NVIDIA H100 SXM", 8)]
    assert sorted((f.source, f.target) for f in spec.flows) == [
        ("StatefulSet/data/lake", "Deployment/data/edge"), ("StatefulSet/data/lake", "Deployment/data/trainer")]
    assert "ConfigMap/default/ignored" not in systems


def test_gpus_without_a_model_fail_closed(tmp_path):
    path = write(tmp_path, """
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: nightly, annotations: {dlc.io/location: "aws:cn-northwest-1"}}
        spec:
          schedule: "0 2 * * *"
          jobTemplate:
            spec:
              parallelism: 2
              template:
                spec:
                  containers:
                    - {name: a, image: x, resources: {limits: {nvidia.com/gpu: 2}}}
                    - {name: b, image: y, resources: {limits: {nvidia.com/gpu: 1}}}
        """)
    [system] = load(path).systems
    assert system.id == "CronJob/default/nightly"
    assert [(a.model, a.count) for a in system.accelerators] == [("unspecified NVIDIA GPU (nvidia.com/gpu)", 6)]
    result = run(str(path), "--format", "json")
    assert result.exit_code == 1
    assert any(v["subject"]["id"] == "CronJob/default/nightly" for v in json.loads(result.stdout)["violations"])


def test_workload_without_location_is_an_input_error_with_its_line(tmp_path):
    path = write(tmp_path, """
        apiVersion: v1
        kind: Service
        metadata: {name: s}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: somewhere
          namespace: web
        spec:
          template:
            spec:
              containers: [{name: a, image: x}]
        """)
    with pytest.raises(InputError) as info:
        load(path)
    assert info.value.message.startswith("Deployment/web/somewhere: cannot tell where it runs")
    assert info.value.line == line_of(path, "name: somewhere")
    result = run(str(path))
    assert result.exit_code == 2
    assert f"{path}:{info.value.line}" in result.stderr


@pytest.mark.parametrize("metadata, spec, message", [
    ("{name: a}", "nodeSelector: {topology.kubernetes.io/region: cn-north-1}",
     "runs in region 'cn-north-1' but dlc cannot tell which cloud"),
    ("{name: a, annotations: {dlc.io/provider: aws}}", "nodeSelector: {topology.kubernetes.io/region: cn-nrth-1}",
     "unknown location 'aws:cn-nrth-1'"),
    ("{name: a, annotations: {dlc.io/location: CN, dlc.io/data-origin: CN, dlc.io/data-subjects: many}}", "",
     "dlc.io/data-subjects must be a whole number"),
    ("{name: a, annotations: {dlc.io/location: CN, dlc.io/sends-to: Deployment/x/nope}}", "",
     "dlc.io/sends-to 'Deployment/x/nope' is not a workload in this file"),
])
def test_bad_manifests_exit_2(tmp_path, metadata, spec, message):
    path = write(tmp_path, f"""
        apiVersion: v1
        kind: Pod
        metadata: {metadata}
        spec:
          containers: [{{name: c, image: x}}]
          {spec}
        """)
    result = run(str(path))
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_input_type_forces_kubernetes_and_rejects_non_manifests(tmp_path):
    path = write(tmp_path, "just: data\n", name="x.yaml")
    result = run(str(path), "--input-type", "kubernetes")
    assert result.exit_code == 2
    assert "a Kubernetes manifest needs 'apiVersion'" in result.stderr
    result = run(str(EXAMPLE), "--input-type", "kubernetes", "--format", "json")
    assert result.exit_code == 1


def test_list_kind_is_read(tmp_path):
    path = write(tmp_path, """
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: Pod
            metadata: {name: p, annotations: {dlc.io/location: "alibaba:cn-shanghai"}}
            spec:
              nodeSelector: {node.kubernetes.io/instance-type: ecs.gn7e-c16g1.4xlarge}
              containers: [{name: c, image: x}]
        """)
    [system] = load(path).systems
    assert (system.id, system.location) == ("Pod/default/p", "alibaba:cn-shanghai")
    assert [(a.model, a.count) for a in system.accelerators] == [("NVIDIA A100 80GB", 1)]
