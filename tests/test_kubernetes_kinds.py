"""Kubernetes manifests as teams have them: the GPUs of training and batch operators' kinds and
Karpenter NodePools, read from real published manifests (tests/data/kubernetes/SOURCES.yaml) and
probes made from them by the small edits written in each test; where a workload's location comes
from; misspelt dlc keys; what is counted and skipped; one object's error beside the others."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.adapters import load_input
from checker.cli import main
from checker.config import NO_INFRASTRUCTURE, Classification, Infrastructure
from checker.load.documents import DEFAULT_LIMITS

DATA = Path(__file__).resolve().parent / "data" / "kubernetes"
CN = Infrastructure(default_location="CN")


def load(path, infrastructure=NO_INFRASTRUCTURE):
    return load_input(str(path), "auto", DEFAULT_LIMITS, True, infrastructure)


def run(*args):
    return CliRunner().invoke(
        main,
        ["check", "--as-of", "2026-11-25", "--format", "json", *args],
        env={"DLC_CONFIG": "none"},
    )


def probe(tmp_path, name: str, *edits: tuple[str, str]) -> Path:
    """The real manifest `name` with each (old, new) text replaced once: the probe's listed edits."""
    text = (DATA / name).read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return path


def write(tmp_path, text: str, name: str = "manifests.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def held(spec) -> dict[str, list[tuple[str, int]]]:
    return {s.id: [(a.model, a.count) for a in s.accelerators] for s in spec.systems}


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


GPU = "unspecified NVIDIA GPU (nvidia.com/gpu)"


@pytest.mark.parametrize(
    "name, system, accelerators",
    [
        # TrainJob: spec.trainer.numNodes 2 x resourcesPerNode 1 nvidia.com/gpu
        ("trainjob-flux-gpu.yaml", "TrainJob/default/lammps-flux", [(GPU, 2)]),
        # PyTorchJob: Master 1 x 1 + Worker 1 x 1
        ("pytorchjob-mnist-nccl.yaml", "PyTorchJob/default/pytorch-dist-mnist-nccl", [(GPU, 2)]),
        # RayCluster: the head group's 4 GPUs
        ("raycluster-verl.yaml", "RayCluster/default/verl-cluster", [(GPU, 4)]),
        # RayService: worker group replicas 1, maxReplicas 10, 1 GPU each: the most it scales to
        ("rayservice-stable-diffusion.yaml", "RayService/default/stable-diffusion", [(GPU, 10)]),
        # RayJob: the embedded rayClusterSpec's head, 4 GPUs on GKE T4 nodes
        ("rayjob-batch-inference.yaml", "RayJob/default/rayjob-sample", [("NVIDIA T4", 4)]),
        # Volcano Job (batch.volcano.sh, not batch/v1): task mpiworker, 2 replicas x 1 GPU
        ("volcano-mindspore-gpu.yaml", "Job/default/mindspore-gpu", [(GPU, 2)]),
        # Karpenter v1alpha5 Provisioner: instance family g5, no nvidia.com/gpu limit: one node's GPU
        ("karpenter-provisioner-gpu.yaml", "Provisioner/karpenter/gpu", [("NVIDIA A10G", 1)]),
        # LeaderWorkerSet: 2 replicas x (a leader and size 2 - 1 worker) x 8 GPUs
        ("lws-vllm-gpu.yaml", "LeaderWorkerSet/default/vllm", [(GPU, 32)]),
        # CPU only: evaluated, holding nothing
        ("tfjob-dist-mnist.yaml", "TFJob/default/dist-mnist-for-e2e-test", []),
        ("mpijob-tensorflow-mnist.yaml", "MPIJob/kubeflow/tensorflow-mnist", []),
        ("xgboostjob-iris-train.yaml", "XGBoostJob/default/xgboost-dist-iris-test-train", []),
        ("karpenter-general-purpose.yaml", "NodePool/default/general-purpose", []),
    ],
)
def test_real_manifests_gpus_per_kind(name, system, accelerators):
    spec = load(DATA / name, CN)
    assert held(spec)[system] == accelerators
    assert spec.coverage.errors == []
    assert spec.coverage.evaluated == 1


@pytest.mark.parametrize(
    "name",
    [
        "trainjob-flux-gpu.yaml",
        "pytorchjob-mnist-nccl.yaml",
        "raycluster-verl.yaml",
        "rayservice-stable-diffusion.yaml",
        "rayjob-batch-inference.yaml",
        "volcano-mindspore-gpu.yaml",
        "karpenter-provisioner-gpu.yaml",
    ],
)
def test_real_gpu_manifests_without_a_location_are_errors_naming_the_flag(name):
    result = run(str(DATA / name))
    assert result.exit_code == 2, result.output
    [error] = json.loads(result.stdout)["errors"]
    assert "holds accelerators" in error["message"] and "--default-location" in error["message"]
    assert (
        DATA.joinpath(name).read_text().splitlines()[error["line"] - 1].startswith("  name: ")
    )  # its name


@pytest.mark.parametrize(
    "name",
    [
        "tfjob-dist-mnist.yaml",
        "mpijob-tensorflow-mnist.yaml",
        "xgboostjob-iris-train.yaml",
        "karpenter-general-purpose.yaml",
        "guestbook-all-in-one.yaml",
        "cassandra-statefulset.yaml",
    ],
)
def test_real_manifests_needing_no_location_pass_without_one(name):
    result = run(str(DATA / name))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["errors"] == [] and report["summary"]["resources"]["evaluated"] >= 1


def test_tfjob_probe_with_worker_gpus_counts_every_replica(tmp_path):
    """Edit: the Worker replica spec's container asks for 8 GPUs (4 replicas); the PS asks for none."""
    path = probe(
        tmp_path,
        "tfjob-dist-mnist.yaml",
        (
            "      replicas: 4\n      restartPolicy: Never\n      template:\n        spec:\n          containers:\n"
            "            - name: tensorflow\n              image: kubeflow/tf-dist-mnist-test:1.0\n",
            "      replicas: 4\n      restartPolicy: Never\n      template:\n        spec:\n          containers:\n"
            "            - name: tensorflow\n              image: kubeflow/tf-dist-mnist-test:1.0\n"
            "              resources: {limits: {nvidia.com/gpu: 8}}\n",
        ),
    )
    assert held(load(path, CN)) == {"TFJob/default/dist-mnist-for-e2e-test": [(GPU, 32)]}


TRAINJOB_IN = (
    (
        "metadata:\n  name: lammps-flux\n",
        "metadata:\n  name: lammps-flux\n  annotations:\n    dlc.io/provider: aws\n",
    ),
    (
        "spec:\n  # Reference the pre-defined runtime by name\n",
        "spec:\n  podTemplateOverrides:\n    - targetJobs: [{name: node}]\n      spec:\n        nodeSelector:\n"
        "          topology.kubernetes.io/region: REGION\n          nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3\n"
        "  # Reference the pre-defined runtime by name\n",
    ),
)


@pytest.mark.parametrize("region, licence", [("cn-north-1", True), ("us-east-2", False)])
def test_trainjob_with_h100s_in_china_needs_a_us_licence(tmp_path, region, licence):
    """Edits: dlc.io/provider aws; podTemplateOverrides pinning the nodes to REGION and to H100s."""
    path = probe(
        tmp_path,
        "trainjob-flux-gpu.yaml",
        TRAINJOB_IN[0],
        (TRAINJOB_IN[1][0], TRAINJOB_IN[1][1].replace("REGION", region)),
    )
    spec = load(path)
    [system] = spec.systems
    assert (system.location, held(spec)[system.id]) == (
        f"aws:{region}",
        [("NVIDIA-H100-80GB-HBM3", 2)],
    )
    result = run(str(path))
    findings = [
        v for v in json.loads(result.stdout)["violations"] if v["rule"] == "US-EAR-AC-LICENCE"
    ]
    if licence:
        assert result.exit_code == 1
        [finding] = findings
        assert finding["subject"] == {"kind": "system", "id": "TrainJob/default/lammps-flux"}
        assert finding["location"]["line"] == line_of(path, "  name: lammps-flux")
    else:
        assert findings == [] and result.exit_code == 0, result.output


KARPENTER_GPU = (
    '          values: ["c", "m", "r"]\n        - key: karpenter.k8s.aws/instance-generation\n',
    '          values: ["p"]\n        - key: karpenter.k8s.aws/instance-family\n          operator: In\n'
    '          values: ["p5"]\n        - key: topology.kubernetes.io/zone\n          operator: In\n'
    '          values: ["cn-northwest-1a"]\n        - key: karpenter.k8s.aws/instance-generation\n',
)


@pytest.mark.parametrize(
    "region, location, exit_code",
    [
        ("cn-north-1", "aws:cn-north-1", 1),  # only AWS has a region of that name
        ("cn-hangzhou", "alibaba:cn-hangzhou", 1),
        ("us-east-1", "US", 0),  # AWS's and Alibaba's, both in the US: the country is certain
    ],
)
def test_volcano_job_moved_to_a_region_takes_its_cloud_from_the_name(
    tmp_path, region, location, exit_code
):
    """Edit: both tasks' pods get a nodeSelector on topology.kubernetes.io/region (with one pinned
    and the other not, the pods may run anywhere: an error)."""
    pin = f"          nodeSelector: {{topology.kubernetes.io/region: {region}}}\n"
    path = probe(
        tmp_path,
        "volcano-mindspore-gpu.yaml",
        (
            "          restartPolicy: OnFailure\n    - replicas: 2\n",
            "          restartPolicy: OnFailure\n" + pin + "    - replicas: 2\n",
        ),
        (
            "          restartPolicy: OnFailure\n \n",
            "          restartPolicy: OnFailure\n" + pin + " \n",
        ),
    )
    [system] = load(path).systems
    assert (system.id, system.location) == ("Job/default/mindspore-gpu", location)
    result = run(str(path))
    assert result.exit_code == exit_code, result.output
    if exit_code:
        assert {v["rule"] for v in json.loads(result.stdout)["violations"]} == {
            "US-EAR-UNKNOWN-ACCELERATOR"
        }


def test_karpenter_nodepool_of_a_gpu_family_holds_its_gpus(tmp_path):
    """Edits: instance-category [p], instance-family [p5], zone cn-northwest-1a; then a GPU limit."""
    path = probe(tmp_path, "karpenter-general-purpose.yaml", KARPENTER_GPU)
    spec = load(path)
    [system] = spec.systems
    assert (system.id, system.location) == (
        "NodePool/default/general-purpose",
        "aws:cn-northwest-1a",
    )
    assert held(spec)[system.id] == [("NVIDIA H100 SXM", 1)]  # no limit: one node's worth at least
    result = run(str(path))
    assert "US-EAR-AC-LICENCE" in {v["rule"] for v in json.loads(result.stdout)["violations"]}
    limited = probe(
        tmp_path,
        "karpenter-general-purpose.yaml",
        KARPENTER_GPU,
        (
            "      nodeClassRef:\n        group: karpenter.k8s.aws\n        kind: EC2NodeClass\n"
            "        name: default\n",
            "      nodeClassRef:\n        group: karpenter.k8s.aws\n        kind: EC2NodeClass\n"
            "        name: default\n  limits:\n    nvidia.com/gpu: 64\n",
        ),
    )
    assert held(load(limited))["NodePool/default/general-purpose"] == [("NVIDIA H100 SXM", 64)]


def test_karpenter_gpu_categories_without_a_family_fail_closed(tmp_path):
    path = probe(tmp_path, "karpenter-general-purpose.yaml", ('["c", "m", "r"]', '["g", "m"]'))
    assert held(load(path, CN))["NodePool/default/general-purpose"] == [
        ("unrecognised GPU instance category aws:g", 1)
    ]


def test_any_kind_whose_pod_template_requests_gpus_is_counted(tmp_path):
    path = write(
        tmp_path,
        """
        apiVersion: serving.example.com/v1
        kind: InferencePool
        metadata: {name: llm, namespace: serve, annotations: {dlc.io/location: CN}}
        spec:
          replicas: 3
          template:
            spec:
              nodeSelector: {cloud.google.com/gke-accelerator: nvidia-h100-80gb}
              containers: [{name: m, image: x, resources: {limits: {nvidia.com/gpu: 8}}}]
        ---
        apiVersion: serving.knative.dev/v1
        kind: Service
        metadata: {name: whisper, namespace: serve, annotations: {dlc.io/location: CN}}
        spec:
          template:
            spec:
              containers: [{image: whisper, resources: {limits: {nvidia.com/gpu: 1}}}]
        """,
    )
    spec = load(path)
    assert held(spec) == {
        "InferencePool/serve/llm": [("NVIDIA H100 SXM", 24)],
        "Service/serve/whisper": [(GPU, 1)],
    }  # a Knative Service is no core Service
    assert spec.coverage.notices == []


def test_containers_outside_pod_templates_that_request_gpus_are_counted(tmp_path):
    """Argo Workflow steps and KServe predictors name a container, not a pod template."""
    path = write(
        tmp_path,
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: finetune-, annotations: {dlc.io/location: CN}}
        spec:
          entrypoint: train
          templates:
            - name: train
              container: {image: trainer, resources: {limits: {nvidia.com/gpu: 4}}}
            - name: report
              script: {image: python, source: "print(1)"}
        ---
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: llm, namespace: serve, annotations: {dlc.io/location: CN}}
        spec:
          predictor:
            minReplicas: 1
            maxReplicas: 3
            model:
              modelFormat: {name: huggingface}
              resources: {limits: {nvidia.com/gpu: "2"}, requests: {nvidia.com/gpu: "2"}}
        """,
    )
    spec = load(path)
    assert held(spec) == {
        "Workflow/default/finetune-": [(GPU, 4)],
        "InferenceService/serve/llm": [(GPU, 6)],
    }
    assert spec.coverage.notices == [] and spec.coverage.evaluated == 2


NAMESPACED = """
    apiVersion: v1
    kind: Namespace
    metadata:
      name: train
      annotations: {dlc.io/location: CN}
    ---
    apiVersion: batch/v1
    kind: Job
    metadata: {name: own, namespace: train, annotations: {dlc.io/location: "aws:us-west-2"}}
    spec: POD
    ---
    apiVersion: batch/v1
    kind: Job
    metadata: {name: from-namespace, namespace: train}
    spec: POD
    ---
    apiVersion: batch/v1
    kind: Job
    metadata: {name: from-config, namespace: mapped}
    spec: POD
    ---
    apiVersion: batch/v1
    kind: Job
    metadata: {name: from-nodes, namespace: other}
    spec: POD
    ---
    apiVersion: batch/v1
    kind: Job
    metadata: {name: from-default, namespace: other}
    spec:
      template:
        spec:
          containers: [{name: t, image: x, resources: {limits: {nvidia.com/gpu: 1}}}]
    """


NAMESPACED = NAMESPACED.replace(
    "POD",
    "{template: {spec: {nodeSelector: {topology.kubernetes.io/region: eu-west-1, "
    "eks.amazonaws.com/nodegroup: gpu}, containers: [{name: t, image: x, "
    "resources: {limits: {nvidia.com/gpu: 1}}}]}}}",
)


def test_location_precedence_annotation_namespace_config_nodes_default(tmp_path):
    path = write(tmp_path, NAMESPACED)
    infrastructure = Infrastructure(
        default_location="JP", kubernetes_namespaces={"mapped": "aws:ap-southeast-1", "train": "DE"}
    )
    spec = load(path, infrastructure)
    assert {s.id: s.location for s in spec.systems} == {
        "Job/train/own": "aws:us-west-2",  # its own annotation
        "Job/train/from-namespace": "CN",  # its Namespace's, over the config and its nodes
        "Job/mapped/from-config": "aws:ap-southeast-1",  # kubernetes.namespaces, over its nodes
        "Job/other/from-nodes": "aws:eu-west-1",  # its node selection
        "Job/other/from-default": "JP",  # --default-location
    }
    assert spec.location_of("systems", "Job/train/from-namespace")[1] == line_of(
        path, "name: from-namespace"
    )


def test_namespace_mapping_and_default_come_from_the_config_file(tmp_path):
    path = write(tmp_path, NAMESPACED)
    config = write(
        tmp_path,
        "default_location: JP\nkubernetes:\n  namespaces:\n    mapped: CN\n",
        name="dlc.yaml",
    )
    result = run(str(path), "--config", str(config))
    assert result.exit_code == 1, result.output
    licensed = {
        v["subject"]["id"]
        for v in json.loads(result.stdout)["violations"]
        if v["rule"] == "US-EAR-UNKNOWN-ACCELERATOR"
    }
    assert licensed == {"Job/train/from-namespace", "Job/mapped/from-config"}


@pytest.mark.parametrize(
    "key, meant",
    [
        ("dlc.io/send-to", "dlc.io/sends-to"),
        ("dlc.io/locaton", "dlc.io/location"),
        ("dlc-io/location", "dlc.io/location"),
        ("dlc.io/data_origin", "dlc.io/data-origin"),
    ],
)
def test_misspelt_dlc_key_is_an_error_suggesting_the_right_one(tmp_path, key, meant):
    path = write(
        tmp_path,
        f"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: exporter
          annotations:
            {key}: aws:us-west-2
        spec:
          template:
            spec:
              containers: [{{name: e, image: x}}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {{name: trainer, annotations: {{dlc.io/location: CN}}}}
        spec:
          containers: [{{name: t, image: x, resources: {{limits: {{nvidia.com/gpu: 8}}}}}}]
        """,
    )
    spec = load(path)
    [error] = spec.coverage.errors
    assert f"did you mean '{meant}'" in error.message and key in error.message
    assert error.line == line_of(path, key)
    assert [s.id for s in spec.systems] == ["Pod/default/trainer"]  # the other object is still read
    result = run(str(path))
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert [v["subject"]["id"] for v in report["violations"]] == ["Pod/default/trainer"]
    assert report["summary"]["resources"] == {"seen": 2, "evaluated": 1, "skipped": {"error": 1}}


def test_keys_the_config_classifies_by_are_never_typos(tmp_path):
    path = write(
        tmp_path,
        """
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: db, labels: {dlc.io/data-class: pii}}
        spec:
          volumeClaimTemplates: [{metadata: {name: data}}]
          template:
            spec:
              containers: [{name: d, image: x}]
        """,
    )
    assert "did you mean" in load(path, CN).coverage.errors[0].message
    classifying = Infrastructure(
        default_location="CN",
        classification=(
            Classification(key="dlc.io/data-class", value="pii", categories=("personal",)),
        ),
    )
    spec = load(path, classifying)
    assert spec.coverage.errors == []
    [dataset] = spec.datasets
    assert (dataset.id, dataset.origin, dataset.categories) == (
        "StatefulSet/default/db#data",
        "CN",
        ("personal",),
    )


def test_unknown_kinds_are_skipped_with_one_notice_per_kind(tmp_path):
    path = write(
        tmp_path,
        """
        apiVersion: example.com/v1
        kind: Widget
        metadata: {name: a}
        ---
        apiVersion: example.com/v1
        kind: Widget
        metadata: {name: b}
        spec: {replicas: "${REPLICAS}"}
        ---
        apiVersion: other.io/v2
        kind: Gadget
        metadata: {name: c}
        spec: {template: {spec: {containers: [{name: c, image: x}]}}}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}
        """,
    )
    result = run(str(path))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["resources"] == {
        "seen": 4,
        "evaluated": 0,
        "skipped": {"no-data": 1, "unknown-kind": 3},
    }
    notices = [(n["rule"], n["subject"]["id"], n["location"]["line"]) for n in report["notices"]]
    assert notices == [
        ("DLC-UNKNOWN-KIND", "example.com/Widget", 2),
        ("DLC-UNKNOWN-KIND", "other.io/Gadget", 11),
    ]
    widgets = next(n for n in report["notices"] if n["subject"]["id"] == "example.com/Widget")
    assert widgets["message"].startswith("2 Widget object(s) (example.com/v1) skipped")


def test_two_broken_objects_are_both_reported_and_the_rest_still_evaluated(tmp_path):
    path = write(
        tmp_path,
        """
        apiVersion: batch/v1
        kind: Job
        metadata: {name: nowhere}
        spec:
          template:
            spec:
              containers: [{name: t, image: x, resources: {limits: {nvidia.com/gpu: 8}}}]
        ---
        apiVersion: batch/v1
        kind: Job
        metadata: {name: counted, annotations: {dlc.io/location: CN}}
        spec:
          parallelism: many
          template:
            spec:
              containers: [{name: t, image: x}]
        ---
        apiVersion: batch/v1
        kind: Job
        metadata: {name: good, annotations: {dlc.io/location: "aws:cn-north-1"}}
        spec:
          parallelism: 4
          template:
            spec:
              nodeSelector: {node.kubernetes.io/instance-type: p5.48xlarge}
              containers: [{name: t, image: x, resources: {limits: {nvidia.com/gpu: 8}}}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: svc}
        """,
    )
    result = run(str(path))
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    errors = sorted((e["line"], e["message"].split(":")[0]) for e in report["errors"])
    assert errors == [(3, "Job/default/nowhere"), (13, "Job/default/counted")]
    assert report["summary"]["resources"] == {
        "seen": 4,
        "evaluated": 1,
        "skipped": {"error": 2, "no-data": 1},
    }
    assert [(v["rule"], v["subject"]["id"]) for v in report["violations"]] == [
        ("US-EAR-AC-LICENCE", "Job/default/good")
    ]


def test_an_unknown_location_is_the_error_of_its_object_only(tmp_path):
    path = write(
        tmp_path,
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: exporter, annotations: {dlc.io/location: CN, dlc.io/sends-to: "aws:us-wst-2"}}
        spec: {template: {spec: {containers: [{name: e, image: x}]}}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: trainer, annotations: {dlc.io/location: "aws:cn-nrth-1"}}
        spec: {containers: [{name: t, image: x, resources: {limits: {nvidia.com/gpu: 8}}}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: fine, annotations: {dlc.io/location: CN}}
        spec: {containers: [{name: t, image: x, resources: {limits: {nvidia.com/gpu: 8}}}]}
        """,
    )
    result = run(str(path))
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert sorted(
        (e["line"], e["message"].split(":")[0], "unknown location" in e["message"])
        for e in report["errors"]
    ) == [(3, "Deployment/default/exporter", True), (8, "Pod/default/trainer", True)]
    assert [v["subject"]["id"] for v in report["violations"]] == ["Pod/default/fine"]


def test_unclassified_store_sending_data_abroad_and_its_classification(tmp_path):
    """Edit to the real Cassandra StatefulSet: it sends its data to aws:us-west-2."""
    edit = (
        "  name: cassandra\n  labels:\n     app: cassandra\n",
        "  name: cassandra\n  labels:\n     app: cassandra\n  annotations:\n    dlc.io/sends-to: aws:us-west-2\n",
    )
    path = probe(tmp_path, "cassandra-statefulset.yaml", edit)
    spec = load(path, CN)
    [store] = [s for s in spec.systems if s.id == "StatefulSet/default/cassandra"]
    assert (store.kind, store.location) == ("storage", "CN")
    assert spec.holders == {"StatefulSet/default/cassandra#data": "StatefulSet/default/cassandra"}
    result = run(str(path), "--default-location", "CN")
    assert result.exit_code == 1
    rules = {v["rule"] for v in json.loads(result.stdout)["violations"]}
    assert "UNCLASSIFIED-DATA-CROSSES-BORDER" in rules
    config = write(
        tmp_path,
        "default_location: CN\nclassification:\n  - match: {label: app, value: cass*}\n"
        "    categories: [personal]\n",
        name="dlc.yaml",
    )
    result = run(str(path), "--config", str(config))
    rules = {v["rule"] for v in json.loads(result.stdout)["violations"]}
    assert "CN-PI-EXPORT" in rules and "UNCLASSIFIED-DATA-CROSSES-BORDER" not in rules


def test_store_that_keeps_to_itself_needs_no_location(tmp_path):
    spec = load(DATA / "cassandra-statefulset.yaml")
    assert spec.systems == [] and spec.coverage.errors == [] and spec.coverage.evaluated == 1


def test_generate_name_names_the_object_and_no_name_is_its_error(tmp_path):
    path = write(
        tmp_path,
        """
        apiVersion: batch/v1
        kind: Job
        metadata: {generateName: train-, annotations: {dlc.io/location: CN}}
        spec:
          template:
            spec:
              containers: [{name: t, image: x, resources: {limits: {nvidia.com/gpu: 2}}}]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {labels: {app: x}}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: named}
        """,
    )
    spec = load(
        path
    )  # a file is a manifest when a document has metadata.name (DESIGN, Recognition)
    assert held(spec) == {"Job/default/train-": [(GPU, 2)]}
    [error] = spec.coverage.errors
    assert (error.message, error.line) == ("a ConfigMap needs metadata.name (or generateName)", 11)


@pytest.mark.parametrize(
    "name, stores",
    [
        ("cnpg-cluster-example.yaml", ["Cluster/default/cluster-example"]),
        (
            "strimzi-kafka-persistent.yaml",
            [
                "KafkaNodePool/default/controller",
                "KafkaNodePool/default/broker",
                "Kafka/default/my-cluster",
            ],
        ),
    ],
)
def test_database_and_queue_operators_clusters_are_stores(name, stores):
    assert load(DATA / name).systems == []  # they keep to themselves: no location needed
    spec = load(DATA / name, CN)
    assert [(s.id, s.kind) for s in spec.systems] == [(store, "storage") for store in stores]
    assert spec.holders == {f"{store}#data": store for store in stores}  # unclassified, origin CN


def test_operator_store_sending_abroad_unclassified_then_classified_by_its_annotation(tmp_path):
    """Edit to the real CloudNativePG Cluster: annotations sends-to aws:us-west-2 and team-data: customers."""
    path = probe(
        tmp_path,
        "cnpg-cluster-example.yaml",
        (
            "  name: cluster-example\n",
            "  name: cluster-example\n  annotations:\n    dlc.io/sends-to: aws:us-west-2\n    team-data: customers\n",
        ),
    )
    result = run(str(path), "--default-location", "CN")
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)["violations"]
    assert (finding["rule"], finding["subject"]["id"]) == (
        "UNCLASSIFIED-DATA-CROSSES-BORDER",
        "Cluster/default/cluster-example->external:aws:us-west-2",
    )
    config = write(
        tmp_path,
        "default_location: CN\nclassification:\n"
        "  - match: {annotation: team-data, value: customer*}\n"
        "    categories: [personal]\n    subjects: 2000000\n",
        name="dlc.yaml",
    )
    spec = load(
        path,
        Infrastructure(
            default_location="CN",
            classification=(
                Classification(
                    key="team-data", value="customer*", categories=("personal",), subjects=2_000_000
                ),
            ),
        ),
    )
    [dataset] = spec.datasets
    assert (dataset.origin, dataset.categories, dataset.subjects) == (
        "CN",
        ("personal",),
        2_000_000,
    )
    assert spec.location_of("datasets", dataset.id)[1] == line_of(path, "team-data: customers")
    rules = {
        v["rule"] for v in json.loads(run(str(path), "--config", str(config)).stdout)["violations"]
    }
    assert {"CN-PI-EXPORT", "CN-XBORDER-SECURITY-ASSESSMENT"} <= rules
    assert "UNCLASSIFIED-DATA-CROSSES-BORDER" not in rules


def test_trainjob_takes_its_gpus_from_its_runtime_in_the_same_file(tmp_path):
    """The real torchtune ClusterTrainingRuntime (its `node` job asks for 2 GPUs, mlPolicy.numNodes 1)
    with a TrainJob added that names it; then the same TrainJob alone."""
    trainjob = textwrap.dedent("""
        ---
        apiVersion: trainer.kubeflow.org/v1alpha1
        kind: TrainJob
        metadata: {name: tune, namespace: ml, annotations: {dlc.io/location: CN}}
        spec:
          runtimeRef: {name: torchtune-llama3.2-1b}
          trainer: {NODES}
        """)
    runtime = (DATA / "trainer-runtime-torchtune-llama3.2-1b.yaml").read_text()
    both = write(tmp_path, runtime + trainjob.replace("{NODES}", "{numNodes: 4}"), name="both.yaml")
    spec = load(both)
    assert held(spec) == {"TrainJob/ml/tune": [(GPU, 8)]}  # 4 nodes x the runtime's 2
    assert dict(spec.coverage.skipped) == {"template": 1} and spec.coverage.notices == []
    assert held(
        load(write(tmp_path, runtime + trainjob.replace("{NODES}", "{}"), name="default.yaml"))
    ) == {"TrainJob/ml/tune": [(GPU, 2)]}  # the runtime's numNodes
    alone = write(tmp_path, trainjob.replace("{NODES}", "{numNodes: 4}"), name="alone.yaml")
    result = run(str(alone))
    assert result.exit_code == 0
    [notice] = json.loads(result.stdout)["notices"]
    assert (notice["rule"], notice["subject"]["id"]) == (
        "DLC-TRAINJOB-RUNTIME-UNSEEN",
        "TrainJob/ml/tune",
    )
    assert "ClusterTrainingRuntime torchtune-llama3.2-1b" in notice["message"]


def test_dlc_annotations_on_a_kind_that_runs_nothing_are_an_error_not_ignored(tmp_path):
    path = write(
        tmp_path,
        """
        apiVersion: v1
        kind: Service
        metadata: {name: api, annotations: {dlc.io/sends-to: US}}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: ml, annotations: {dlc.io/location: CN}}
        """,
    )
    spec = load(path)
    [error] = spec.coverage.errors
    assert error.message.startswith("Service/default/api: dlc.io/sends-to is not read on a Service")
    assert error.line == 3
    assert dict(spec.coverage.skipped) == {"error": 1, "no-data": 1}


def test_leader_worker_set_groups_count_size_pods(tmp_path):
    """Edit: the real vLLM LeaderWorkerSet's group size 2 -> 4 (a leader and three workers)."""
    path = probe(tmp_path, "lws-vllm-gpu.yaml", ("    size: 2\n", "    size: 4\n"))
    assert held(load(path, CN)) == {"LeaderWorkerSet/default/vllm": [(GPU, 64)]}  # 2 x (8 + 3 x 8)
