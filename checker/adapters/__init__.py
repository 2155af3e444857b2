"""Inputs into the one model: dlc specs, Terraform plan JSON, Kubernetes manifests, OpenLineage
event logs and Fides manifests.

`load_input` recognises what a file is (or obeys `--input-type`) and hands it to its adapter.
A file that is none of these is `NotChecked`, with the reason: a scan of a directory lists it and
goes on; a file named on the command line is an input error with a hint where one helps (a `.tf`
file or a binary plan wants `terraform show -json`, a Helm chart wants `helm template`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple

from checker.adapters.fides import looks_like_manifest as looks_like_fides
from checker.config import NO_INFRASTRUCTURE, Infrastructure
from checker.errors import DlcError, InputError, InternalError
from checker.load.documents import Limits, load_file

if (
    TYPE_CHECKING
):  # the spec loader and the model (pydantic) load when an input does, not at start-up
    from checker.model import Spec

INPUT_TYPES = ("auto", "spec", "terraform", "kubernetes", "openlineage", "fides")
IMPORTED = ("openlineage", "fides")  # inventories whose files together make one spec


class Part(NamedTuple):
    """A file of an inventory whose files together make one spec (an OpenLineage event log, a Fides
    manifest): the caller joins the parts of one kind with `join`. An event log is read only when
    joined, a streaming pass; a manifest is parsed at once (it is small)."""

    kind: str
    path: str
    documents: list | None = None


def join(
    kind: str, parts: list[Part], limits: Limits, infrastructure: Infrastructure = NO_INFRASTRUCTURE
) -> Spec:
    with converting(kind, [part.path for part in parts]):
        if kind == "openlineage":
            from checker.adapters.openlineage import events_to_spec

            spec = events_to_spec([part.path for part in parts], infrastructure, limits)
        else:
            from checker.adapters.fides.convert import manifests_to_spec

            documents = [document for part in parts for document in part.documents or ()]
            spec = manifests_to_spec(documents, infrastructure)
    spec.kind = kind
    return spec


_ADAPTERS = {
    "terraform": "Terraform",
    "kubernetes": "Kubernetes",
    "openlineage": "OpenLineage",
    "fides": "Fides",
}


@contextmanager
def converting(kind: str, paths: list[str]) -> Iterator[None]:
    """An adapter at work on `paths`. What it finds wrong with the input it raises as an input error
    at its line; any other exception is a bug of the adapter's, reported as one: the file may well
    be valid, and calling it malformed would send the user hunting for a fault that is not there."""
    try:
        yield
    except (DlcError, RecursionError, MemoryError):  # the last two: the CLI's own one-line messages
        raise
    except Exception as exc:
        files = "this file" if len(paths) == 1 else "these files: " + ", ".join(paths)
        raise InternalError(
            f"internal error in the {_ADAPTERS[kind]} adapter while reading {files}: "
            f"{type(exc).__name__}: {exc}; please report it (a bug in dlc, not in the input)",
            paths[0],
        ) from None


class NotChecked(NamedTuple):
    """A file that holds no spec, plan or manifest, and what it is instead."""

    path: str
    reason: str


_PLAN_HINT = "run `terraform show -json PLAN > plan.json` on a saved plan and check plan.json"
_HELM_HINT = "render it with `helm template RELEASE CHART > manifests.yaml` and check that"

# File names that say what a file is, before it is read: (pattern on the path, what it is).
_KNOWN_NAMES = (
    (r"\.tf$", f"Terraform configuration, not a plan: {_PLAN_HINT}"),
    (r"\.tf\.json$", f"Terraform configuration (JSON syntax), not a plan: {_PLAN_HINT}"),
    (r"\.tfvars(\.json)?$", f"Terraform variables, not a plan: {_PLAN_HINT}"),
    (
        r"\.tfstate(\.backup)?$",
        f"Terraform state, not a plan: dlc checks planned changes; {_PLAN_HINT}",
    ),
    (r"\.(tfplan|plan)$", f"a binary Terraform plan: {_PLAN_HINT}"),
    (r"(^|/)Chart\.(yaml|lock)$", f"Helm chart metadata: {_HELM_HINT}"),
    (r"(^|/)package(-lock)?\.json$", "an npm package manifest"),
    (r"(^|/)(docker-)?compose(\.[^/]+)?\.ya?ml$", "a Docker Compose file"),
    (r"(^|/)\.gitlab-ci\.ya?ml$|(^|/)\.github/workflows/[^/]+$", "a CI workflow"),
    (
        r"(^|/)kustomization\.ya?ml$",
        "a kustomization: render it with `kustomize build DIR > manifests.yaml` and check that",
    ),
    (r"(^|/)\.?dlc\.ya?ml$", "a dlc configuration file"),
    (r"(^|/)\.pre-commit-(config|hooks)\.yaml$", "a pre-commit configuration"),
    (r"(^|/)action\.ya?ml$", "a GitHub Action definition"),
)
_KNOWN_NAME_PATTERNS = [(re.compile(pattern), what) for pattern, what in _KNOWN_NAMES]
SCANNED_SUFFIXES = (".yaml", ".yml", ".json", ".ndjson", ".jsonl", ".tf", ".tfstate", ".tfplan")
_ZIP_MAGIC = b"PK\x03\x04"  # a saved Terraform plan is a zip archive


# A mapping with `version` and `name`, or with any section only a spec has, is meant as a spec: one
# missing `name` or with a misspelt `version` is then reported as broken, not skipped in a directory
# as some other YAML (policies and exemption files have none of these sections).
_SPEC_SECTIONS = {"organization", "systems", "datasets", "flows", "approvals"}


def detect(data: object) -> str | None:
    if isinstance(data, dict):
        if "format_version" in data and ("planned_values" in data or "resource_changes" in data):
            return "terraform"
        if _is_manifest(data):
            return "kubernetes"
        if looks_like_fides(data):  # before specs: a Fides `organization` is not a spec's
            return "fides"
        if {"version", "name"} <= data.keys() or _SPEC_SECTIONS & data.keys():
            return "spec"
    return None


def _is_manifest(data: dict) -> bool:
    """A Kubernetes object (apiVersion, kind, metadata.name) or a list of them."""
    if not (isinstance(data.get("apiVersion"), str) and isinstance(data.get("kind"), str)):
        return False
    metadata = data.get("metadata")
    return (isinstance(metadata, dict) and "name" in metadata) or (
        data["kind"].endswith("List") and isinstance(data.get("items"), list)
    )


def _detect_file(documents: list) -> str | None:
    """A file is a manifest if any document is one (a rendered chart may open with an empty `{}`);
    else it is what its first document is (a spec or a plan is one document)."""
    if any(detect(document.data) == "kubernetes" for document in documents):
        return "kubernetes"
    return detect(documents[0].data)


def _known_by_name(path: str) -> str | None:
    normalised = path.replace(os.sep, "/")
    for pattern, what in _KNOWN_NAME_PATTERNS:
        if pattern.search(normalised):
            return what
    if _in_helm_chart(normalised):
        return f"part of a Helm chart (templates or values): {_HELM_HINT}"
    try:
        with open(path, "rb") as handle:
            if handle.read(4) == _ZIP_MAGIC:
                return f"a binary Terraform plan: {_PLAN_HINT}"
    except OSError:
        return None  # the loader reports why it cannot be read
    return None


def _in_helm_chart(path: str) -> bool:
    """A chart's values files and templates: beside its Chart.yaml, or under its templates/."""
    folder, name = os.path.split(path)
    if name.startswith("values") and os.path.isfile(os.path.join(folder, "Chart.yaml")):
        return True
    while "/templates" in "/" + folder:
        folder, last = os.path.split(folder)
        if last == "templates" and os.path.isfile(os.path.join(folder, "Chart.yaml")):
            return True
    return False


def _known_by_content(data: object) -> str:
    """What a parsed YAML/JSON document that is no input of dlc's is, as far as dlc can tell."""
    if isinstance(data, dict):
        keys = data.keys()
        if "terraform_version" in keys and ("lineage" in keys or "serial" in keys):
            return f"Terraform state, not a plan: dlc checks planned changes; {_PLAN_HINT}"
        if "format_version" in keys and "terraform_version" in keys:
            return "Terraform JSON output without planned values (write it with `terraform show -json` of a saved plan)"
        if str(data.get("apiVersion", "")).startswith("kind.x-k8s.io/"):
            return "a kind cluster configuration"
        if str(data.get("apiVersion", "")).startswith("kustomize.config.k8s.io/"):
            return "a kustomization: render it with `kustomize build DIR > manifests.yaml` and check that"
        if "jobs" in keys and ("on" in keys or "steps" in str(data.get("jobs"))):
            return "a CI workflow"
        if "services" in keys and "apiVersion" not in keys:
            return "a Docker Compose file"
        if "when" in keys and "id" in keys:
            return "a dlc rule (use --rules DIR)"
        if "rule" in keys and "cases" in keys:
            return "dlc rule tests (run with `dlc rules test`)"
        if "exemptions" in keys:
            return "a dlc exemptions file (use --exemptions FILE)"
        if "include" in keys and "version" not in keys:
            return "a dlc policy (use --policy FILE)"
        if "apiVersion" in keys and "kind" in keys:
            return "a Kubernetes-style document without metadata.name (not an object dlc can check)"
    return "not a dlc spec (no 'version' and 'name'), Terraform plan JSON or Kubernetes manifest"


def load_input(
    path: str,
    input_type: str,
    limits: Limits,
    explicit: bool,
    infrastructure: Infrastructure = NO_INFRASTRUCTURE,
    include_root: str | None = None,
) -> Spec | Part | NotChecked:
    """The file as a Spec, a Part of an inventory, or NotChecked with what it is. A file named on
    the command line that is none of dlc's inputs is an input error saying what to do instead."""
    from checker.adapters.openlineage.events import sniff
    from checker.load.spec import load_fast, load_spec

    if input_type == "spec":
        return load_spec(path, limits, include_root=include_root)
    if input_type == "auto" or not explicit:  # a directory scan never reads a dlc.yaml as an input
        known = _known_by_name(path)
        if known is not None:
            return _not_checked(path, known, explicit)
    if input_type == "openlineage":
        return Part("openlineage", path)
    if input_type == "auto":
        if path.lower().endswith((".json", ".ndjson", ".jsonl")) and sniff(path):
            return Part("openlineage", path)
        if path.lower().endswith((".ndjson", ".jsonl")):
            return _not_checked(
                path, "newline-delimited JSON that is not OpenLineage run events", explicit
            )
    spec = load_fast(path, limits, include_root) if input_type == "auto" else None
    if spec is not None:  # JSON that is certainly a valid spec: read once, by the fast path
        return spec
    try:
        documents = load_file(path, limits, multi=True)
    except InputError as exc:
        if input_type == "auto" and _looks_templated(path):
            return _not_checked(
                path,
                f"an unrendered template (Helm or Go templating): {_HELM_HINT}",
                explicit,
                exc.line,
            )
        raise
    kind = input_type if input_type != "auto" else _detect_file(documents)
    if kind == "spec":
        if len(documents) > 1:
            raise InputError("a spec file holds one YAML document, this one has several", path)
        return load_spec(path, limits, documents[0], include_root)
    if kind == "terraform":
        from checker.adapters.terraform import plan_to_spec

        with converting(kind, [path]):
            spec = plan_to_spec(documents[0], infrastructure)
        spec.kind = kind
        return spec
    if kind == "kubernetes":
        from checker.adapters.kubernetes import manifests_to_spec

        with converting(kind, [path]):
            spec = manifests_to_spec(documents, infrastructure)
        spec.kind = kind
        return spec
    if kind == "fides":
        return Part("fides", path, documents)
    reason = _known_by_content(documents[0].data)
    return _not_checked(
        path,
        reason + ("" if "not a dlc spec" not in reason else "; use --input-type to say what it is"),
        explicit,
    )


def _looks_templated(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return b"{{" in handle.read(1 << 20)
    except OSError:
        return False


def _not_checked(path: str, reason: str, explicit: bool, line: int | None = 1) -> NotChecked:
    if explicit:
        raise InputError(reason, path, line, 1 if line else None)
    return NotChecked(path, reason)
