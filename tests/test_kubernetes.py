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
    return next(
        i for i, line in enumerate(path.read_text().splitlines(), 1) if i > after and text in line
    )


def run(*args):
    return CliRunner().invoke(main, ["check", "--as-of", "2026-11-25", *args])


def test_example_systems_locations_gpus_and_flow():
    spec = load(EXAMPLE)
    systems = {s.id: s for s in spec.systems}
    assert set(systems) == {
        "Job/fsd/fsd-train-v42",
        "Deployment/fsd/clip-exporter",
        "external:aws:us-west-2",
    }
    job = systems["Job/fsd/fsd-train-v42"]
    assert job.location == "aws:cn-north-1"
    assert [(a.model, a.count) for a in job.accelerators] == [
        ("NVIDIA-H100-80GB-HBM3", 128)
    ]  # 8 GPUs x 16 pods
    exporter = systems["Deployment/fsd/clip-exporter"]
    assert exporter.location == "aws:cn-north-1"  # provider told by the eks.amazonaws.com/ label
    assert exporter.accelerators == ()
    [flow] = spec.flows
    assert (flow.id, flow.source, flow.target, flow.purpose) == (
        "Deployment/fsd/clip-exporter->external:aws:us-west-2",
        "Deployment/fsd/clip-exporter",
        "external:aws:us-west-2",
        "fsd-training",
    )
    assert flow.datasets == ("Deployment/fsd/clip-exporter#data",)
    datasets = {d.id: d for d in spec.datasets}
    assert datasets["Job/fsd/fsd-train-v42#data"].categories == (
        "vehicle-exterior-video",
        "geolocation",
        "personal",
    )
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
    path = write(
        tmp_path,
        """
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
        """,
    )
    spec = load(path)
    systems = {s.id: s for s in spec.systems}
    assert systems["StatefulSet/data/lake"].location == "CN"
    assert systems["Deployment/data/trainer"].location == "gcp:us-central1-a"
    assert [(a.model, a.count) for a in systems["Deployment/data/trainer"].accelerators] == [
        ("NVIDIA H100 SXM", 8)
    ]
    assert systems["Deployment/data/edge"].location == "azure:chinaeast2"
    assert [(a.model, a.count) for a in systems["Deployment/data/edge"].accelerators] == [
        ("NVIDIA H100 SXM", 8)
    ]
    assert sorted((f.source, f.target) for f in spec.flows) == [
        ("StatefulSet/data/lake", "Deployment/data/edge"),
        ("StatefulSet/data/lake", "Deployment/data/trainer"),
    ]
    assert "ConfigMap/default/ignored" not in systems


def test_gpus_without_a_model_fail_closed(tmp_path):
    path = write(
        tmp_path,
        """
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
        """,
    )
    [system] = load(path).systems
    assert system.id == "CronJob/default/nightly"
    assert [(a.model, a.count) for a in system.accelerators] == [
        ("unspecified NVIDIA GPU (nvidia.com/gpu)", 6)
    ]
    result = run(str(path), "--format", "json")
    assert result.exit_code == 1
    assert any(
        v["subject"]["id"] == "CronJob/default/nightly"
        for v in json.loads(result.stdout)["violations"]
    )


def errors_of(path) -> list[InputError]:
    """The errors of single objects, which the adapter reports while reading the others."""
    return load(path).coverage.errors


NOWHERE = """
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
          containers: [{name: a, image: x%s}]
    """


def test_workload_without_location_that_needs_none_is_evaluated_without_error(tmp_path):
    spec = load(write(tmp_path, NOWHERE % ""))
    assert spec.systems == [] and spec.coverage.errors == []
    assert (spec.coverage.seen, spec.coverage.evaluated, dict(spec.coverage.skipped)) == (
        2,
        1,
        {"no-data": 1},
    )
    result = run(str(tmp_path / "manifests.yaml"), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["resources"] == {
        "seen": 2,
        "evaluated": 1,
        "skipped": {"no-data": 1},
    }


def test_workload_with_gpus_and_no_location_is_an_error_naming_the_flag_and_its_line(tmp_path):
    path = write(tmp_path, NOWHERE % ", resources: {limits: {nvidia.com/gpu: 1}}")
    [error] = errors_of(path)
    assert error.message.startswith(
        "Deployment/web/somewhere: cannot tell where it runs, and it holds accelerators "
        "(1 unspecified NVIDIA GPU (nvidia.com/gpu))"
    )
    assert "--default-location" in error.message
    assert error.line == line_of(path, "name: somewhere")
    result = run(str(path), "--format", "json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["summary"]["resources"] == {
        "seen": 2,
        "evaluated": 0,
        "skipped": {"error": 1, "no-data": 1},
    }
    assert [e["line"] for e in report["errors"]] == [error.line]
    assert run(str(path), "--default-location", "CN").exit_code == 1


@pytest.mark.parametrize(
    "metadata, spec, message",
    [
        (
            "{name: a, annotations: {dlc.io/data-origin: CN}}",
            "nodeSelector: {topology.kubernetes.io/region: ap-southeast-5}",
            "runs in region 'ap-southeast-5' but dlc cannot tell which cloud",
        ),  # AWS Malaysia, Alibaba Indonesia
        (
            "{name: a, annotations: {dlc.io/provider: aws}}",
            "nodeSelector: {topology.kubernetes.io/region: cn-nrth-1}",
            "unknown location 'aws:cn-nrth-1'",
        ),
        (
            "{name: a, annotations: {dlc.io/location: CN, dlc.io/data-origin: CN, dlc.io/data-subjects: many}}",
            "",
            "dlc.io/data-subjects must be a whole number",
        ),
        (
            "{name: a, annotations: {dlc.io/location: CN, dlc.io/sends-to: Deployment/x/nope}}",
            "",
            "dlc.io/sends-to 'Deployment/x/nope' is not a workload in this file",
        ),
    ],
)
def test_bad_manifests_exit_2(tmp_path, metadata, spec, message):
    path = write(
        tmp_path,
        f"""
        apiVersion: v1
        kind: Pod
        metadata: {metadata}
        spec:
          containers: [{{name: c, image: x}}]
          {spec}
        """,
    )
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
    path = write(
        tmp_path,
        """
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: Pod
            metadata: {name: p, annotations: {dlc.io/location: "alibaba:cn-shanghai"}}
            spec:
              nodeSelector: {node.kubernetes.io/instance-type: ecs.gn7e-c16g1.4xlarge}
              containers: [{name: c, image: x}]
        """,
    )
    [system] = load(path).systems
    assert (system.id, system.location) == ("Pod/default/p", "alibaba:cn-shanghai")
    assert [(a.model, a.count) for a in system.accelerators] == [("NVIDIA A100 80GB", 1)]


def deployment(tmp_path, affinity_terms, limits="{nvidia.com/gpu: 8}", node_selector="{}"):
    """A 2-replica Deployment in the aws cloud with the given nodeSelector and nodeSelectorTerms."""
    return write(
        tmp_path,
        f"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: train, namespace: ml, annotations: {{dlc.io/provider: aws}}}}
        spec:
          replicas: 2
          template:
            spec:
              nodeSelector: {node_selector}
              affinity:
                nodeAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                    nodeSelectorTerms: {affinity_terms}
              containers:
                - {{name: t, image: x, resources: {{limits: {limits}}}}}
        """,
    )


def accelerators_of(path):
    [system] = load(path).systems
    return [(a.model, a.count) for a in system.accelerators]


def test_every_gpu_model_or_instance_type_an_in_list_allows_is_held(tmp_path):
    models = deployment(
        tmp_path,
        """
                      - matchExpressions:
                          - {key: topology.kubernetes.io/region, operator: In, values: [cn-north-1]}
                          - {key: nvidia.com/gpu.product, operator: In, values: [NVIDIA-A10, NVIDIA-H100-80GB-HBM3]}""",
    )
    assert accelerators_of(models) == [("NVIDIA-A10", 16), ("NVIDIA-H100-80GB-HBM3", 16)]
    result = run(str(models), "--format", "json")
    assert result.exit_code == 1
    assert "US-EAR-AC-LICENCE" in {v["rule"] for v in json.loads(result.stdout)["violations"]}
    types = deployment(
        tmp_path,
        """
                      - matchExpressions:
                          - {key: node.kubernetes.io/instance-type, operator: In, values: [g4dn.12xlarge, p5.48xlarge]}""",
        node_selector="{topology.kubernetes.io/region: cn-north-1}",
    )
    assert accelerators_of(types) == [("NVIDIA T4", 16), ("NVIDIA H100 SXM", 16)]


@pytest.mark.parametrize(
    "second_term, message",
    [
        (
            "[{key: topology.kubernetes.io/zone, operator: In, values: [cn-north-1a]}]",
            "its pods may run in several regions or zones (cn-north-1a, us-west-2)",
        ),
        (
            "[{key: node.kubernetes.io/instance-type, operator: In, values: [p5.48xlarge]}]",
            "its pods may run anywhere: one of its node selections pins no region or zone",
        ),
    ],
)
def test_ored_node_selector_terms_are_all_read(tmp_path, second_term, message):
    path = deployment(
        tmp_path,
        f"""
                      - matchExpressions: [{{key: topology.kubernetes.io/region, operator: In, values: [us-west-2]}}]
                      - matchExpressions: {second_term}""",
    )
    [error] = errors_of(path)
    assert message in error.message
    assert error.line is not None
    result = run(str(path))
    assert result.exit_code == 2 and message in result.stderr


def test_terms_pinning_one_region_hold_the_gpus_of_every_term(tmp_path):
    path = deployment(
        tmp_path,
        """
                      - matchExpressions: [{key: nvidia.com/gpu.product, operator: In, values: [NVIDIA-A10]}]
                      - matchExpressions: [{key: nvidia.com/gpu.product, operator: In, values: [NVIDIA-H100-80GB-HBM3]}]""",
        node_selector="{topology.kubernetes.io/region: cn-north-1}",
    )
    [system] = load(path).systems
    assert system.location == "aws:cn-north-1"
    assert [(a.model, a.count) for a in system.accelerators] == [
        ("NVIDIA-A10", 16),
        ("NVIDIA-H100-80GB-HBM3", 16),
    ]


@pytest.mark.parametrize(
    "node_selector, limits, expected",
    [
        (
            "{topology.kubernetes.io/region: cn-north-1}",
            "{nvidia.com/mig-3g.40gb: 4}",
            [("unspecified NVIDIA GPU (nvidia.com/mig-3g.40gb)", 8)],
        ),
        (
            "{topology.kubernetes.io/region: cn-north-1, node.kubernetes.io/instance-type: p5.48xlarge}",
            "{nvidia.com/mig-3g.40gb: 3}",
            [("NVIDIA H100 SXM", 6)],
        ),
        (
            "{topology.kubernetes.io/region: cn-north-1}",
            "{aws.amazon.com/neuron: 4}",
            [("unspecified AWS Neuron accelerator (aws.amazon.com/neuron)", 8)],
        ),
    ],
)
def test_mig_slices_and_neuron_devices_are_accelerators(tmp_path, node_selector, limits, expected):
    path = deployment(tmp_path, "[]", limits=limits, node_selector=node_selector)
    assert accelerators_of(path) == expected
    result = run(str(path), "--format", "json")
    assert result.exit_code == 1, result.output


def test_init_container_gpus_are_counted(tmp_path):
    path = write(
        tmp_path,
        """
        apiVersion: batch/v1
        kind: Job
        metadata: {name: t, annotations: {dlc.io/location: "aws:cn-north-1"}}
        spec:
          template:
            spec:
              initContainers: [{name: warm, image: x, resources: {limits: {nvidia.com/gpu: 4}}}]
              containers: [{name: m, image: x}]
        """,
    )
    assert accelerators_of(path) == [("unspecified NVIDIA GPU (nvidia.com/gpu)", 4)]


def test_a_file_is_a_manifest_if_any_document_is(tmp_path):
    (tmp_path / "charts").mkdir()
    write(
        tmp_path,
        """
        {}
        ---
        apiVersion: batch/v1
        kind: Job
        metadata: {name: t, namespace: ml, annotations: {dlc.io/provider: aws}}
        spec:
          template:
            spec:
              nodeSelector: {topology.kubernetes.io/region: cn-north-1, nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3}
              containers: [{name: t, image: x, resources: {limits: {nvidia.com/gpu: 8}}}]
        """,
        name="charts/rendered.yaml",
    )
    result = run(str(tmp_path / "charts"), "--format", "json")
    assert result.exit_code == 1, result.output
    assert [v["subject"]["id"] for v in json.loads(result.stdout)["violations"]] == ["Job/ml/t"]
    spec = write(tmp_path, "version: 1\nname: x\n---\nversion: 1\nname: y\n", name="two-specs.yaml")
    with pytest.raises(InputError, match="a spec file holds one YAML document"):
        load(spec)


def test_azure_zone_is_read_as_its_region(tmp_path):
    path = write(
        tmp_path,
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: d, annotations: {dlc.io/provider: azure}}
        spec:
          template:
            spec:
              nodeSelector: {topology.kubernetes.io/zone: chinanorth3-1}
              containers: [{name: t, image: x}]
        """,
    )
    [system] = load(path).systems
    assert system.location == "azure:chinanorth3"
    assert resolve(load(path)).country["Deployment/default/d"] == "CN"


def test_service_selects_a_pod_by_its_own_labels(tmp_path):
    path = write(
        tmp_path,
        """
        apiVersion: v1
        kind: Service
        metadata: {name: api}
        spec: {selector: {app: api}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: api, labels: {app: api}, annotations: {dlc.io/location: CN}}
        spec: {containers: [{name: c, image: x}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: client, annotations: {dlc.io/location: CN, dlc.io/sends-to: Service/default/api}}
        spec: {containers: [{name: c, image: x}]}
        """,
    )
    [flow] = load(path).flows
    assert (flow.source, flow.target) == ("Pod/default/client", "Pod/default/api")
