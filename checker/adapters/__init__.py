"""Inputs into the one model: dlc specs, Terraform plan JSON and Kubernetes manifests.

`load_input` recognises what a file is (or obeys `--input-type`) and hands it to its adapter.
A file found while walking a directory that is none of these is skipped; a file named on the
command line that is none of these is an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from checker.errors import InputError
from checker.load.documents import Limits, load_file

if TYPE_CHECKING:   # the spec loader and the model (pydantic) load when an input does, not at start-up
    from checker.model import Spec

INPUT_TYPES = ("auto", "spec", "terraform", "kubernetes")


# A mapping with `version` and `name`, or with any section only a spec has, is meant as a spec: one
# missing `name` or with a misspelt `version` is then reported as broken, not skipped in a directory
# as some other YAML (policies and exemption files have none of these sections).
_SPEC_SECTIONS = {"organization", "systems", "datasets", "flows", "approvals"}


def detect(data: object) -> str | None:
    if isinstance(data, dict):
        if "format_version" in data and ("planned_values" in data or "resource_changes" in data):
            return "terraform"
        if "apiVersion" in data and "kind" in data:
            return "kubernetes"
        if {"version", "name"} <= data.keys() or _SPEC_SECTIONS & data.keys():
            return "spec"
    return None


def _detect_file(documents: list) -> str | None:
    """A file is a manifest if any document is one (a rendered chart may open with an empty `{}`);
    else it is what its first document is (a spec or a plan is one document)."""
    if any(detect(document.data) == "kubernetes" for document in documents):
        return "kubernetes"
    return detect(documents[0].data)


def load_input(path: str, input_type: str, limits: Limits, explicit: bool) -> Spec | None:
    from checker.load.spec import load_fast, load_spec

    if input_type == "spec":
        return load_spec(path, limits)
    spec = load_fast(path, limits) if input_type == "auto" else None
    if spec is not None:   # JSON that is certainly a valid spec: read once, by the fast path
        return spec
    documents = load_file(path, limits, multi=True)
    kind = input_type if input_type != "auto" else _detect_file(documents)
    if kind == "spec":
        if len(documents) > 1:
            raise InputError("a spec file holds one YAML document, this one has several", path)
        return load_spec(path, limits, documents[0])
    if kind == "terraform":
        from checker.adapters.terraform import plan_to_spec
        spec = plan_to_spec(documents[0])
    elif kind == "kubernetes":
        from checker.adapters.kubernetes import manifests_to_spec
        spec = manifests_to_spec(documents)
    if kind in ("terraform", "kubernetes"):
        spec.kind = kind
        return spec
    if explicit:
        raise InputError("not a dlc spec (no 'version' and 'name'), Terraform plan JSON or Kubernetes manifest; "
                         "use --input-type to say what it is", path, 1, 1)
    return None
