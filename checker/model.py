"""The data-flow spec (version 1) as pydantic models: the declarations every adapter produces.

Fields are typed strictly (a number is not a string, a string is not a date unless it is
ISO 8601) because the YAML loader reads scalars by the YAML 1.2 core schema and leaves the
typing to these models. Countries, regions and categories are checked against the shipped
catalogs later, in resolve, where the catalogs live.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

if TYPE_CHECKING:   # the loader's index of where each declaration is written
    from checker.load.spec import Places

SYSTEM_KINDS = ("device-fleet", "storage", "compute", "service", "vendor", "other")
TRANSFORMS = ("none", "pseudonymized", "anonymized", "aggregated", "model-weights")
FLOW_MODES = ("copy", "replication", "backup", "remote-access")
TRANSACTIONS = ("vendor", "employment", "investment", "data-brokerage", "internal")
# What a component of a connected vehicle (or any system) does, in the terms of 15 CFR 791.301:
# vehicle connectivity system hardware or software, automated driving system software (SAE level 3+).
COMPONENT_FUNCTIONS = ("vcs-hardware", "vcs-software", "ads-software", "other")
APPROVAL_KINDS = (
    # China: the three PIPL art. 38 mechanisms, and the Greater Bay Area variant of the contract
    "cn-security-assessment",
    "cn-standard-contract",
    "cn-certification",
    "cn-gba-standard-contract",
    # United States
    "us-export-license",
    "us-doj-license",
    "us-icts-authorization",   # a BIS general or specific authorisation under 15 CFR 791.306/791.307
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
)


def iso_date(value: object) -> object:
    """Accept an ISO 8601 date written as a string (YAML core schema leaves dates unresolved)."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"'{value}' is not a date in YYYY-MM-DD form") from None
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date in YYYY-MM-DD form, not a timestamp")
    return value


def unique_entries(values: list) -> list:
    seen: set = set()
    for index, value in enumerate(values):
        if value in seen:   # `index` lets the error point at the repeated entry, not the list
            raise PydanticCustomError("repeated_entry", "'{value}' is listed twice", {"value": value, "index": index})
        seen.add(value)
    return values


Date = Annotated[dt.date, BeforeValidator(iso_date)]
Id = Annotated[str, Field(min_length=1, max_length=512, pattern=r"^\S+$")]
Text = Annotated[str, Field(max_length=65536)]
RefList = Annotated[list[Id], AfterValidator(unique_entries)]
NameList = Annotated[list[Annotated[str, Field(min_length=1, max_length=512)]], AfterValidator(unique_entries)]
GlobList = Annotated[list[Annotated[str, Field(min_length=1, max_length=1024)]], AfterValidator(unique_entries)]


class Declaration(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Organization(Declaration):
    ciio: bool | None = None
    headquarters: Annotated[str, Field(min_length=1, max_length=256)] | None = None


class Accelerator(Declaration):
    model: Annotated[str, Field(min_length=1, max_length=256)]
    count: Annotated[int, Field(ge=1)] = 1


class Vehicle(Declaration):
    """The system is connected vehicles of this model year, sold where the system stands."""

    model_year: Annotated[int, Field(ge=1900, le=2200)]


class Component(Declaration):
    """Something the system runs, and who supplies it: `controlled_from` is the country whose
    government owns, controls, directs or has jurisdiction over the supplier."""

    name: Annotated[str, Field(min_length=1, max_length=256)]
    function: Literal[COMPONENT_FUNCTIONS]  # type: ignore[valid-type]
    supplier: Text | None = None
    controlled_from: Annotated[str, Field(min_length=1, max_length=256)] | None = None


class System(Declaration):
    id: Id
    kind: Literal[SYSTEM_KINDS] = "other"  # type: ignore[valid-type]
    location: Annotated[str, Field(min_length=1, max_length=256)]
    name: Text | None = None
    operator: Text | None = None
    accelerators: list[Accelerator] = Field(default_factory=list)
    approvals: RefList = Field(default_factory=list)
    certifications: NameList = Field(default_factory=list)
    vehicle: Vehicle | None = None
    components: list[Component] = Field(default_factory=list)
    # globs over Terraform resource addresses and Kubernetes Kind/namespace/name that this system is
    # (resolve/binding.py): checked together with plans and manifests, the resources stand for it
    resources: GlobList = Field(default_factory=list, description=(
        "Globs over Terraform resource addresses and Kubernetes Kind/namespace/name that this system is: "
        "`*` matches any run of characters, `.` and `/` included; `[` and `]` are literal; a name without "
        "an instance key matches every instance"))


class Dataset(Declaration):
    id: Id
    name: Text | None = None
    description: Text | None = None
    origin: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    categories: NameList = Field(default_factory=list)
    subjects: Annotated[int, Field(ge=0)] | None = None
    important: bool | None = None
    derived_from: RefList = Field(default_factory=list)
    transform: Literal[TRANSFORMS] = "none"  # type: ignore[valid-type]
    # its individuals are among those of these datasets: not added again when exports are counted
    subset_of: RefList = Field(default_factory=list)

    @model_validator(mode="after")
    def _root_needs_origin(self) -> Dataset:
        if self.origin is None and self.categories and not self.derived_from:
            raise ValueError("a dataset with 'categories' needs an 'origin' unless it is 'derived_from' another "
                             "(leave both out for data not yet classified)")
        return self


def unclassified(dataset: Dataset) -> bool:
    """Neither origin nor categories, nor parents to take them from: data nobody has classified.
    Its origin is the country of the first system that holds it (resolve). A function, not a
    property: JSON specs load into msgspec structs of the same shape (load/fast_json.py)."""
    return dataset.origin is None and not dataset.categories and not dataset.derived_from


class Flow(Declaration):
    id: Id
    source: Id = Field(alias="from")
    target: Id = Field(alias="to")
    datasets: RefList = Field(default_factory=list)
    purpose: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    description: Text | None = None
    encrypted: bool | None = None
    mode: Literal[FLOW_MODES] = "copy"  # type: ignore[valid-type]
    transaction: Literal[TRANSACTIONS] | None = None  # type: ignore[valid-type]
    approvals: RefList = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_self_loop(self) -> Flow:
        if self.source == self.target:
            raise ValueError(f"flow goes from '{self.source}' to itself")
        return self


class Approval(Declaration):
    id: Id
    kind: Literal[APPROVAL_KINDS]  # type: ignore[valid-type]
    issuer: Text | None = None
    reference: Text | None = None
    datasets: RefList = Field(default_factory=list)
    systems: RefList = Field(default_factory=list)
    destinations: NameList = Field(default_factory=list)
    purposes: NameList = Field(default_factory=list)
    valid_from: Date | None = None
    expires: Date | None = None

    @model_validator(mode="after")
    def _starts_before_expiry(self) -> Approval:
        if self.valid_from and self.expires and self.expires <= self.valid_from:
            raise ValueError(f"approval expires ({self.expires}) before it starts ({self.valid_from})")
        return self


class SpecFile(Declaration):
    """One file of a spec as written; `include` joins several into one Spec."""

    version: Literal[1]
    name: Annotated[str, Field(min_length=1, max_length=512)]
    description: Text | None = None
    include: NameList = Field(default_factory=list)
    organization: Organization | None = None
    systems: list[System] = Field(default_factory=list)
    datasets: list[Dataset] = Field(default_factory=list)
    flows: list[Flow] = Field(default_factory=list)
    approvals: list[Approval] = Field(default_factory=list)


class IncludedFile(SpecFile):
    """An included file: the same format, but `version` and `name` may be left to the root file."""

    version: Literal[1] = 1
    name: Annotated[str, Field(min_length=1, max_length=512)] | None = None  # type: ignore[assignment]


SECTIONS = ("systems", "datasets", "flows", "approvals")


class Spec:
    """A whole spec after loading: the declarations of the root file and its includes.

    `where` maps (section, id) to the place the declaration was written, so a finding can
    point at its file and line; adapters fill it with their own resource addresses.
    `holders` names the system that first holds an unclassified dataset where an adapter knows
    it (a store's own data); `coverage` is what an infrastructure adapter saw and skipped.
    `held_at` names the store each of an adapter's datasets belongs to.
    """

    kind = "spec"   # what the input was: spec | terraform | kubernetes | openlineage | fides (the audit trail says it)
    notes: Mapping[tuple[str, str], str] = MappingProxyType({})   # (section, id) -> where it came from, in words:
                                                                   # importers set it, `dlc import` writes it

    def __init__(self, name: str, files: list[str], organization: Organization | None,
                 systems: list[System], datasets: list[Dataset], flows: list[Flow],
                 approvals: list[Approval], where: dict[tuple[str, str], SourceRef] | Places,
                 holders: dict[str, str] | None = None, coverage: Coverage | None = None,
                 held_at: dict[str, str] | None = None) -> None:
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
    errors: list = field(default_factory=list)      # InputError
    notices: list = field(default_factory=list)     # report.findings.Finding, severity "info"


class SourceRef:
    """A lazily resolved position: computing lines is deferred until a finding needs one."""

    __slots__ = ("path", "source")

    def __init__(self, source, path: tuple) -> None:
        self.source = source
        self.path = path

    def resolve(self, *field: str | int) -> tuple[str | None, int | None, int | None]:
        line, column = self.source.locate(self.path + field)
        return self.source.file, line, column
