"""The data-flow spec (version 1): the declarations every loader and adapter produces.

One set of types for every input: frozen msgspec structs holding tuples. The fast JSON path
(load/fast_json.py) decodes a file straight into them; the careful path (load/validation.py)
validates plain data (YAML, JSON that needs explaining, an adapter's output) with pydantic models
derived from them, for its messages, and then builds the same structs.

Fields are typed strictly (a number is not a string, a string is not a date unless it is
ISO 8601) because the YAML loader reads scalars by the YAML 1.2 core schema and leaves the
typing to these models. Countries, regions and categories are checked against the shipped
catalogs later, in resolve, where the catalogs live. Adding a field is one line here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Literal, Protocol, get_args

import msgspec

if TYPE_CHECKING:
    from checker.findings import Finding

SystemKind = Literal["device-fleet", "storage", "compute", "service", "vendor", "other"]
Transform = Literal["none", "pseudonymized", "anonymized", "aggregated", "model-weights"]
FlowMode = Literal["copy", "replication", "backup", "remote-access"]
Transaction = Literal["vendor", "employment", "investment", "data-brokerage", "internal"]
# What a component of a connected vehicle (or any system) does, in the terms of 15 CFR 791.301:
# vehicle connectivity system hardware or software, automated driving system software (SAE level 3+).
ComponentFunction = Literal["vcs-hardware", "vcs-software", "ads-software", "other"]
ApprovalKind = Literal[
    # China: the three PIPL art. 38 mechanisms, and the Greater Bay Area variant of the contract
    "cn-security-assessment",
    "cn-standard-contract",
    "cn-certification",
    "cn-gba-standard-contract",
    # United States
    "us-export-license",
    "us-doj-license",
    "us-icts-authorization",  # a BIS general or specific authorisation under 15 CFR 791.306/791.307
    # European Union (GDPR chapter V)
    "eu-scc",
    "eu-bcr",
    "eu-certification",
    "eu-derogation",
    # Other regimes
    "ru-roskomnadzor-notification",
    "sa-scc",
    "vn-transfer-impact-assessment",
    "in-rbi-approval",
    "consent",
    "other",
]
SYSTEM_KINDS: tuple[str, ...] = get_args(SystemKind)
TRANSFORMS: tuple[str, ...] = get_args(Transform)
FLOW_MODES: tuple[str, ...] = get_args(FlowMode)
TRANSACTIONS: tuple[str, ...] = get_args(Transaction)
COMPONENT_FUNCTIONS: tuple[str, ...] = get_args(ComponentFunction)
APPROVAL_KINDS: tuple[str, ...] = get_args(ApprovalKind)

# Constraints are msgspec's, which the fast path enforces while it decodes. `extra_json_schema`
# holds the two it does not: the careful path checks them field by field, the fast path in bulk
# (load/fast_json.py says why and what that is worth).
VISIBLE = r"^\S+$"
Id = Annotated[
    str, msgspec.Meta(min_length=1, max_length=512, extra_json_schema={"pattern": VISIBLE})
]
Text = Annotated[str, msgspec.Meta(max_length=65536)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
LongName = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]
UNIQUE = msgspec.Meta(extra_json_schema={"uniqueItems": True})
RefList = Annotated[tuple[Id, ...], UNIQUE]
NameList = Annotated[tuple[LongName, ...], UNIQUE]
# `*` matches any run of characters, `.` and `/` included; `[` and `]` are literal; a name
# without an instance key matches every instance (resolve/binding.py)
GlobList = Annotated[
    tuple[Annotated[str, msgspec.Meta(min_length=1, max_length=1024)], ...], UNIQUE
]


class Declaration(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True, gc=False
):
    """A part of a spec. Never changed once made (`frozen`, said again on each class for type
    checkers); `omit_defaults` leaves defaults out of what is written back (`dlc import`);
    `gc=False` because declarations never refer back to what holds them (a million flows are a
    million objects the garbage collector need not track)."""


class Organization(Declaration, frozen=True):
    ciio: bool | None = None
    headquarters: Name | None = None


class Accelerator(Declaration, frozen=True):
    model: Name
    count: Annotated[int, msgspec.Meta(ge=1)] = 1


class Vehicle(Declaration, frozen=True):
    """The system is connected vehicles of this model year, sold where the system stands."""

    model_year: Annotated[int, msgspec.Meta(ge=1900, le=2200)]


class Component(Declaration, frozen=True):
    """Something the system runs, and who supplies it: `controlled_from` is the country whose
    government owns, controls, directs or has jurisdiction over the supplier."""

    name: Name
    function: ComponentFunction
    supplier: Text | None = None
    controlled_from: Name | None = None


# kw_only lets the required `location` follow `kind`
class System(Declaration, frozen=True, kw_only=True):
    id: Id
    kind: SystemKind = "other"
    location: Name
    name: Text | None = None
    operator: Text | None = None
    accelerators: tuple[Accelerator, ...] = ()
    approvals: RefList = ()
    certifications: NameList = ()
    vehicle: Vehicle | None = None
    components: tuple[Component, ...] = ()
    # globs over Terraform resource addresses and Kubernetes Kind/namespace/name that this system is
    # (resolve/binding.py): checked together with plans and manifests, the resources stand for it
    resources: GlobList = ()


class Dataset(Declaration, frozen=True):
    id: Id
    name: Text | None = None
    description: Text | None = None
    origin: Name | None = None
    categories: NameList = ()
    subjects: Annotated[int, msgspec.Meta(ge=0)] | None = None
    important: bool | None = None
    derived_from: RefList = ()
    transform: Transform = "none"
    # its individuals are among those of these datasets: not added again when exports are counted
    subset_of: RefList = ()

    def __post_init__(self) -> None:
        if self.origin is None and self.categories and not self.derived_from:
            raise ValueError(
                "a dataset with 'categories' needs an 'origin' unless it is 'derived_from' another "
                "(leave both out for data not yet classified)"
            )


def unclassified(dataset: Dataset) -> bool:
    """Neither origin nor categories, nor parents to take them from: data nobody has classified.
    Its origin is the country of the first system that holds it (resolve)."""
    return dataset.origin is None and not dataset.categories and not dataset.derived_from


class Flow(Declaration, frozen=True):
    id: Id
    source: Id = msgspec.field(name="from")
    target: Id = msgspec.field(name="to")
    datasets: RefList = ()
    purpose: Name | None = None
    description: Text | None = None
    encrypted: bool | None = None
    mode: FlowMode = "copy"
    transaction: Transaction | None = None
    approvals: RefList = ()

    def __post_init__(self) -> None:
        if self.source == self.target:
            raise ValueError(f"flow goes from '{self.source}' to itself")


class Approval(Declaration, frozen=True):
    id: Id
    kind: ApprovalKind
    issuer: Text | None = None
    reference: Text | None = None
    datasets: RefList = ()
    systems: RefList = ()
    destinations: NameList = ()
    purposes: NameList = ()
    valid_from: dt.date | None = None
    expires: dt.date | None = None

    def __post_init__(self) -> None:
        if self.valid_from and self.expires and self.expires <= self.valid_from:
            raise ValueError(
                f"approval expires ({self.expires}) before it starts ({self.valid_from})"
            )


class SpecFile(Declaration, frozen=True):
    """One file of a spec as written; `include` joins several into one Spec."""

    version: Literal[1]
    name: LongName
    description: Text | None = None
    include: NameList = ()
    organization: Organization | None = None
    systems: tuple[System, ...] = ()
    datasets: tuple[Dataset, ...] = ()
    flows: tuple[Flow, ...] = ()
    approvals: tuple[Approval, ...] = ()


class IncludedFile(SpecFile, frozen=True):
    """An included file: the same format, but `version` and `name` may be left to the root file."""

    version: Literal[1] = 1
    name: LongName | None = None  # type: ignore[assignment]


SECTIONS = ("systems", "datasets", "flows", "approvals")


class Spec:
    """A whole spec after loading: the declarations of the root file and its includes.

    `where` maps (section, id) to the place the declaration was written, so a finding can
    point at its file and line; adapters fill it with their own resource addresses.
    `holders` names the system that first holds an unclassified dataset where an adapter knows
    it (a store's own data); `coverage` is what an infrastructure adapter saw and skipped.
    `held_at` names the store each of an adapter's datasets belongs to.
    """

    # what the input was: spec | terraform | kubernetes | openlineage | fides (the audit trail says it)
    kind = "spec"
    # (section, id) -> where it came from, in words: importers set it, `dlc import` writes it
    notes: Mapping[tuple[str, str], str] = MappingProxyType({})
    # included file -> the includes ("file:line", nearest first) that brought it in: its errors name them
    included_from: Mapping[str, tuple[str, ...]] = MappingProxyType({})

    def __init__(
        self,
        name: str,
        files: list[str],
        organization: Organization | None,
        systems: list[System],
        datasets: list[Dataset],
        flows: list[Flow],
        approvals: list[Approval],
        where: Mapping[tuple[str, str], SourceRef],
        holders: dict[str, str] | None = None,
        coverage: Coverage | None = None,
        held_at: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.files = files
        self.organization = organization
        self.systems = systems
        self.datasets = datasets
        self.flows = flows
        self.approvals = approvals
        self.where = where
        self.holders = holders or {}
        self.coverage = coverage
        # dataset id -> the system that holds it, for data no flow places anywhere (a store's own
        # data in infrastructure inputs): rules see it there as collected there
        self.held_at = held_at or {}

    def location_of(self, section: str, ident: str) -> tuple[str | None, int | None, int | None]:
        ref = self.where.get((section, ident))
        return ref.resolve() if ref else (self.files[0] if self.files else None, None, None)


@dataclass
class Coverage:
    """What an infrastructure adapter saw in one file: resources seen and evaluated, those skipped
    by reason, errors in single resources that did not stop the rest (each still fails the run),
    and notices about what was skipped."""

    seen: int = 0
    evaluated: int = 0
    skipped: Counter = field(default_factory=Counter)
    errors: list = field(default_factory=list)  # InputError
    notices: list[Finding] = field(default_factory=list)  # severity "info"


class Source(Protocol):
    """Where things are written in one input file (documents.YamlSource and JsonSource,
    fast_json.PlacedSource, an adapter's FieldSource, a rule test's embedded spec): the file, and
    the (line, column) of the value or of the key at a path of keys and indexes."""

    @property
    def file(self) -> str: ...

    def locate(self, path: tuple) -> tuple[int | None, int | None]: ...

    def locate_key(self, path: tuple) -> tuple[int | None, int | None]: ...


class SourceRef:
    """A lazily resolved position: computing lines is deferred until a finding needs one."""

    __slots__ = ("path", "source")

    def __init__(self, source: Source, path: tuple) -> None:
        self.source = source
        self.path = path

    def resolve(self, *field: str | int) -> tuple[str | None, int | None, int | None]:
        line, column = self.source.locate(self.path + field)
        return self.source.file, line, column
