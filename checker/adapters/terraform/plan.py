"""Reading a plan: the walk over modules, provider configuration, locations, references between
resources, and the spec the provider modules' findings add up to.

Each resource is looked up in the registry (registry.py). A modelled type becomes a system (or,
for a type that only moves data, flows); a resource that keeps no data, moves none and runs
nothing is skipped and counted; an unknown type is skipped with one notice per type. An error in
one resource (no location, an unresolvable replication target, GPUs it cannot count) is recorded
in `Spec.coverage.errors` and the other resources are still evaluated; only a document that is
not a plan raises.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from checker.adapters.common import (
    FieldSource,
    as_dict,
    as_list,
    carried_datasets,
    declared_dataset,
    dig,
    held_by_owner,
    validated,
)
from checker.adapters.infrastructure import (
    classified,
    skipped_notice,
    typo_of,
    unclassified_dataset,
)
from checker.adapters.terraform.no_data import keeps_no_data
from checker.adapters.terraform.registry import TYPES, ResourceType
from checker.adapters.terraform.values import attribute, values_path, whole
from checker.config import Infrastructure
from checker.errors import InputError
from checker.load.documents import Document
from checker.load.spec import check_references
from checker.model import Coverage, Dataset, Flow, SourceRef, Spec, System
from checker.resolve.instance_types import gcp_accelerator, gpus_for

#: Tag (AWS, Azure, Alibaba) or label (Google Cloud) names read from each resource. With the
#: environment variable DLC_TAG_PREFIX set (e.g. `acme:`), every name is read with that prefix.
TAG_NAMES = {
    "classification": "data-classification",  # free text, kept as the dataset's description
    "origin": "data-origin",  # ISO country where the data was collected
    "categories": "data-categories",  # category names, comma/space (or `_` on GCP) separated
    "subjects": "data-subjects",  # number of individuals
    "important": "data-important",  # true/false: designated important data
    "location": "dlc-location",  # overrides the location dlc would derive (e.g. CN, aws:cn-north-1)
}

UNKNOWN_TYPE_RULE = "DLC-UNKNOWN-RESOURCE-TYPE"
UNMODELLED_TYPE_RULE = "DLC-UNMODELLED-RESOURCE-TYPE"


def tag_names() -> dict[str, str]:
    prefix = os.environ.get("DLC_TAG_PREFIX", "")
    return {key: prefix + name for key, name in TAG_NAMES.items()}


def ignored_by_environment() -> tuple[str, ...]:
    """DLC_TERRAFORM_IGNORE (comma-separated fnmatch patterns): the config's terraform.ignore_types
    for a single run."""
    return tuple(
        p.strip() for p in os.environ.get("DLC_TERRAFORM_IGNORE", "").split(",") if p.strip()
    )


PROVIDERS = {
    "aws": "aws",
    "azurerm": "azure",
    "google": "gcp",
    "google-beta": "gcp",
    "alicloud": "alibaba",
}

# Where each provider's resources say where they are, in order of preference.
_LOCATION_ARGUMENTS = {
    "aws": ("region", "availability_zone"),
    "gcp": ("region", "location", "zone"),
    "azure": ("location",),
    "alibaba": ("region", "region_id", "availability_zone", "zone_id"),
}

# Where resources keep their tags or labels (Cloud SQL: in its settings block).
_TAG_ATTRIBUTES = (
    ("tags",),
    ("labels",),
    ("tags_all",),
    ("resource_labels",),
    ("terraform_labels",),
    ("effective_labels",),
    ("settings", 0, "user_labels"),
)

_MODULE_PREFIX = re.compile(r"^((?:module\.[^.\[]+(?:\[[^\]]*\])?\.)*)(.*)$")
NOT_MODELLED = ResourceType("not-modelled")  # how a resource is read before the registry is asked


def _module_and_name(address: str) -> tuple[str, str]:
    """("module.a.module.b[0].", "aws_s3_bucket.x[1]"): every address matches the pattern."""
    module, name = _MODULE_PREFIX.match(address).groups()  # type: ignore[union-attr]  # matches any string
    return module, name


_REF = re.compile(
    r"^((?:module\.[^.\[]+(?:\[[^\]]*\])?\.)*[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?)"
)
ARN_REGION = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]*):")


@dataclass
class Resource:
    address: str
    type: str
    provider: str | None  # dlc provider prefix: aws, azure, gcp, alibaba
    values: dict
    path: tuple  # JSON path of the resource object in the plan
    module: str  # module address with instance keys ("" at the root)
    config: dict = field(default_factory=dict)
    how: ResourceType = NOT_MODELLED  # the registry's entry, once the resource is found modelled

    def at(self, *keys) -> tuple:
        return (*self.path, "values", *keys)

    @property
    def here(self) -> tuple:
        return (*self.path, "address")


def _strip_keys(module: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", module).rstrip(".")


def _provider(item: dict, kind: str) -> str | None:
    """The dlc provider prefix from the resource's provider name, else from its type's prefix."""
    name = item.get("provider_name")
    short = name.rsplit("/", 1)[-1] if isinstance(name, str) else ""
    return PROVIDERS.get(short) or PROVIDERS.get(kind.split("_", 1)[0])


class Plan:
    """One plan being read: its resources, and the systems, datasets and flows found so far."""

    def __init__(self, document: Document, infrastructure: Infrastructure) -> None:
        self.source = document.source
        self.file = document.source.file
        self.data = document.data
        self.tags = tag_names()
        self.infrastructure = infrastructure
        self.ignored = ignored_by_environment() + infrastructure.terraform_ignore_types
        self.resources: list[Resource] = []  # every managed resource in planned_values
        self.modelled: list[Resource] = []  # those the registry models
        self.by_address: dict[str, Resource] = {}
        self.systems: dict[str, dict] = {}
        self.where: dict = {}
        self.datasets: dict[str, Dataset] = {}
        self.holders: dict[str, str] = {}
        self.flows: dict[
            tuple[str, str, str], tuple[str, Resource, tuple]
        ] = {}  # (address, from, to): ...
        self.external: dict[str, dict] = {}
        self.failed: set[str] = set()
        self.unplaced: set[str] = set()  # compute without accelerators or location: skipped
        self.coverage = Coverage()

    def error(self, message: str, path: tuple) -> InputError:
        line, column = self.source.locate(path)
        return InputError(message, self.file, line, column)

    def fail(self, resource: Resource, problem: InputError) -> None:
        """One resource's error: reported, the resource dropped, the others still evaluated."""
        self.coverage.errors.append(problem)
        self.failed.add(resource.address)
        members = [ident for ident in self.systems if ident.startswith(resource.address + "@")]
        for ident in [resource.address, *members]:
            self.systems.pop(ident, None)
        self.datasets.pop(f"{resource.address}#data", None)
        self.holders.pop(f"{resource.address}#data", None)
        for key in [key for key in self.flows if key[0] == resource.address]:
            del self.flows[key]

    # reading -------------------------------------------------------------------------------

    def read(self) -> None:
        if not isinstance(self.data, dict):
            raise self.error("a Terraform plan must be a JSON object", ())
        version = self.data.get("format_version")
        if not isinstance(version, str) or not version.split(".")[0].isdigit():
            raise self.error(
                "not a Terraform plan: 'format_version' is missing or not a version string",
                ("format_version",),
            )
        if version.split(".")[0] != "1" and version not in ("0.1", "0.2"):
            raise self.error(
                f"unsupported Terraform JSON format_version {version} (dlc reads 1.x)",
                ("format_version",),
            )
        if "planned_values" not in self.data:
            raise self.error(
                "the plan has no 'planned_values' (write it with `terraform show -json` of a "
                "saved plan)",
                (),
            )
        planned = self.data["planned_values"]
        if not isinstance(planned, dict):
            raise self.error("'planned_values' must be an object", ("planned_values",))
        # Resources being destroyed are absent from planned_values: nothing of theirs is checked.
        self._walk(planned.get("root_module", {}), ("planned_values", "root_module"))
        configs = self._config_resources()
        for resource in self.resources:
            key = (
                _strip_keys(resource.module),
                _module_and_name(resource.address)[1].split("[")[0],
            )
            resource.config = configs.get(key, {})

    def _walk(self, module, path: tuple) -> None:
        stack = [(module, path)]
        while stack:
            module, path = stack.pop()
            if not isinstance(module, dict):
                raise self.error("a module in planned_values must be an object", path)
            resources = module.get("resources", [])
            if not isinstance(resources, list):
                raise self.error("'resources' must be a list", (*path, "resources"))
            for index, item in enumerate(resources):
                self._add(item, (*path, "resources", index))
            children = module.get("child_modules", [])
            if not isinstance(children, list):
                raise self.error("'child_modules' must be a list", (*path, "child_modules"))
            for index in reversed(range(len(children))):
                stack.append((children[index], (*path, "child_modules", index)))
        self.resources.sort(key=lambda r: r.path)

    def _add(self, item, where: tuple) -> None:
        if not isinstance(item, dict):
            raise self.error("a resource must be an object", where)
        address, kind = item.get("address"), item.get("type")
        if not isinstance(address, str) or not isinstance(kind, str):
            raise self.error("a resource needs a string 'address' and 'type'", where)
        if item.get("mode", "managed") != "managed":
            return  # data sources read, they do not create
        if address in self.by_address:
            raise self.error(f"resource address {address} appears twice", where)
        resource = Resource(
            address,
            kind,
            _provider(item, kind),
            as_dict(item.get("values")),
            where,
            _module_and_name(address)[0].rstrip("."),
        )
        self.by_address[address] = resource
        self.resources.append(resource)

    def _config_resources(self) -> dict[tuple[str, str], dict]:
        """(module path without keys, module-relative address) -> configuration resource."""
        out: dict = {}
        stack = [("", dig(self.data, "configuration", "root_module"))]
        while stack:
            prefix, module = stack.pop()
            if not isinstance(module, dict):
                continue
            for item in as_list(module.get("resources")):
                if isinstance(item, dict) and isinstance(item.get("address"), str):
                    out[(prefix, item["address"])] = item
            for name, call in as_dict(module.get("module_calls")).items():
                if isinstance(call, dict):
                    stack.append((f"{prefix}.module.{name}".lstrip("."), call.get("module")))
        return out

    # what dlc models ---------------------------------------------------------------------

    def sort_out(self) -> None:
        """Every resource modelled or skipped with its reason; one notice per unknown type."""
        unknown: dict[str, list[Resource]] = {}
        unmodelled: dict[str, list[Resource]] = {}
        self.coverage.seen = len(self.resources)
        for resource in self.resources:
            if self.ignored and any(
                fnmatch.fnmatchcase(resource.type, pattern) for pattern in self.ignored
            ):
                self.coverage.skipped["ignored-by-config"] += 1
            elif resource.type in TYPES and TYPES[resource.type].kind == "unmodelled":
                self.coverage.skipped["unmodelled"] += 1
                unmodelled.setdefault(resource.type, []).append(resource)
            elif resource.type in TYPES:
                resource.how = TYPES[resource.type]
                self.modelled.append(resource)
            elif keeps_no_data(resource.type):
                self.coverage.skipped["no-data"] += 1
            else:
                self.coverage.skipped["unknown-type"] += 1
                unknown.setdefault(resource.type, []).append(resource)
        for kind, resources in sorted(unknown.items()):
            self._notice(
                UNKNOWN_TYPE_RULE,
                "Resource type dlc does not know",
                kind,
                resources,
                "dlc does not know whether this type keeps data, moves it or runs accelerators",
                "If it keeps or moves data, declare it in a spec next to the plan; if it holds none, "
                "add the type to terraform.ignore_types in dlc.yaml to skip it silently",
            )
        for kind, resources in sorted(unmodelled.items()):
            self._notice(
                UNMODELLED_TYPE_RULE,
                "Resource type dlc cannot model",
                kind,
                resources,
                "dlc knows this type but cannot model what it runs or keeps (docs/integrations.md, Gaps)",
                "Declare what it holds or runs in a spec next to the plan (a system with its "
                "accelerators), or add the type to terraform.ignore_types in dlc.yaml",
            )

    def _notice(
        self, rule: str, title: str, kind: str, resources: list[Resource], why: str, remedy: str
    ) -> None:
        line, _ = self.source.locate(resources[0].here)
        count = f"{len(resources)} resources" if len(resources) > 1 else "1 resource"
        self.coverage.notices.append(
            skipped_notice(
                rule,
                title,
                kind,
                f"{count} of type {kind} skipped ({resources[0].address}"
                f"{', ...' if len(resources) > 1 else ''}): {why}",
                remedy,
                self.file,
                line,
            )
        )

    # location ------------------------------------------------------------------------------

    def provider_region(self, resource: Resource) -> tuple[str | None, tuple]:
        """(region or zone, JSON path it was written at) of the provider configuration."""
        configs = as_dict(dig(self.data, "configuration", "provider_config"))
        key = resource.config.get("provider_config_key")
        if not isinstance(key, str) or key not in configs:
            # no configuration entry for the resource: the default configuration of its provider
            key = resource.type.split("_", 1)[0]
            if key not in configs:
                return None, ()
        config = configs[key]
        for name in ("region", "zone", "location"):
            expression = dig(config, "expressions", name)
            if not isinstance(expression, dict):
                continue
            path = ("configuration", "provider_config", key, "expressions", name)
            if isinstance(expression.get("constant_value"), str):
                return expression["constant_value"], (*path, "constant_value")
            # only `var.NAME` itself: an expression over several values (a conditional) cannot be told
            names = {
                ref.split(".")[1] if isinstance(ref, str) and ref.startswith("var.") else None
                for ref in as_list(expression.get("references"))
            }
            variable = names.pop() if len(names) == 1 else None
            if variable is None:
                return None, ()
            return self._variable(variable, config.get("module_address", ""))
        return None, ()

    def _variable(self, name: str, module: str) -> tuple[str | None, tuple]:
        """The value of variable `name` of a module: the root's from the plan's variables, a child
        module's when its caller sets it to a constant."""
        if not module:
            path: tuple[str, ...] = ("variables", name, "value")
        else:
            calls = ("configuration", "root_module")
            for index, part in enumerate(_strip_keys(module).split(".module.")):
                calls = (
                    *calls,
                    *(("module",) if index else ()),
                    "module_calls",
                    part.removeprefix("module."),
                )
            path = (*calls, "expressions", name, "constant_value")
        value = dig(self.data, *path)
        return (value, path) if isinstance(value, str) else (None, ())

    def tag(self, resource: Resource, key: str) -> tuple[str | None, tuple]:
        """The text of a dlc tag (or label) on the resource, with its path; None when unset or empty."""
        wanted = self.tags[key].lower()
        for attr in _TAG_ATTRIBUTES:
            for name, value in as_dict(dig(resource.values, *attr)).items():
                if name.lower() == wanted and value is not None:
                    return (str(value) or None), resource.at(*attr, name)
        return None, ()

    def labels(self, resource: Resource) -> dict[str, tuple[object, tuple]]:
        """Every tag or label on the resource: name -> (value, path); the first attribute naming it wins."""
        found: dict[str, tuple[object, tuple]] = {}
        for attr in _TAG_ATTRIBUTES:
            for name, value in as_dict(dig(resource.values, *attr)).items():
                found.setdefault(name, (value, resource.at(*attr, name)))
        return found

    def places(self, resource: Resource) -> list[tuple[str, tuple]]:
        """Every location the resource keeps its data in, its own first: a `dlc-location` tag, else
        its type's reading (multi-regions, geo-redundant pairs, replicas), else its one location;
        [] when the plan does not say."""
        override, at = self.tag(resource, "location")
        if override:
            return [(override.strip(), at)]
        if resource.how and resource.how.places:
            found = resource.how.places(self, resource)
            if found:
                return found
        location, at = self.cloud_location(resource)
        return [(location, at)] if location else []

    def no_location(self, resource: Resource) -> InputError:
        where = "a 'region'/'location' argument" if resource.provider else "a location"
        return self.error(
            f"{resource.address}: cannot tell where this {resource.type} is: no region in the "
            f"resource or its provider configuration (give it {where}, a '{self.tags['location']}' "
            "tag, set the provider's region in configuration, or pass --default-location / set "
            "default_location in dlc.yaml)",
            resource.here,
        )

    def cloud_location(self, resource: Resource) -> tuple[str | None, tuple]:
        """Where the resource is by its arguments, parent or provider (ignoring a location tag)."""
        provider, values = resource.provider, resource.values
        for name in _LOCATION_ARGUMENTS.get(provider or "", ("region", "location")):
            value = values.get(name)
            if isinstance(value, str) and value.strip():
                return self.normalise(provider, value, resource, name), resource.at(name)
        if provider == "gcp":  # node pools, templates: the zones they run in
            zones = values.get("node_locations")
            if isinstance(zones, list) and zones and isinstance(zones[0], str):
                return f"gcp:{zones[0]}", resource.at("node_locations", 0)
        if resource.how and resource.how.parent:
            attribute_name, kinds = resource.how.parent
            target = self.match(resource, (attribute_name,), kinds)
            if target:  # where the parent keeps its data (the first of its places)
                try:
                    places = self.places(target)
                    return places[0] if places else (None, ())
                except InputError:
                    return None, ()
        value, at = self.provider_region(resource)
        if value and provider:
            return self.normalise(provider, value, resource), at
        return self.infrastructure.location_for(resource.address), ()

    def normalise(
        self, provider: str | None, value: str, resource: Resource, name: str = "location"
    ) -> str:
        """A region as dlc writes a location. A Google Cloud multi-region has no one location: a
        resource in one has its places read by its type (gcp.py); elsewhere it is an error."""
        value = value.strip()
        if provider == "azure":
            return f"azure:{value.lower().replace(' ', '')}"
        if provider == "gcp" and value.lower() == "global":
            raise self.error(
                f"{resource.address}: location 'global' is no one place (Google may keep the data in "
                f"any region); say where this {resource.type} is with a '{self.tags['location']}' "
                "label",
                resource.at(name),
            )
        if provider == "gcp" and multi_region(value):
            raise self.error(
                f"{resource.address}: '{value}' is a Google Cloud multi-region, which dlc reads for "
                f"buckets, BigQuery datasets and Firestore only; say where this {resource.type} is "
                f"with a '{self.tags['location']}' label",
                resource.at(name),
            )
        return f"{provider}:{value.lower()}" if provider else value

    # matching references ---------------------------------------------------------------------

    @cached_property
    def identifiers(self) -> dict[str, list[Resource]]:
        """Known names, ids and ARNs of resources -> every resource carrying them (for values written
        literally; a bucket's sub-resources share its name)."""
        out: dict[str, list[Resource]] = {}
        for resource in self.resources:
            for key in (
                "arn",
                "id",
                "name",
                "bucket",
                "identifier",
                "cluster_identifier",
                "self_link",
                "replication_group_id",
                "global_replication_group_id",
                "global_cluster_identifier",
            ):
                value = resource.values.get(key)
                if isinstance(value, str) and value:
                    names = (
                        {value, value.split(":::", 1)[1]}
                        if value.startswith("arn:aws") and ":s3:::" in value
                        else {value}
                    )
                    for name in names:
                        if resource not in out.setdefault(name, []):
                            out[name].append(resource)
        return out

    def match(
        self, resource: Resource, keys: tuple, kinds: frozenset | None, value=None, config_keys=...
    ) -> Resource | None:
        """The resource an attribute refers to, of one of `kinds` (any system when None): by its
        configuration references (at `config_keys`, by default `keys`; None: by value only), else by
        value; a value that is an ARN with a region names only a resource located in that region."""

        def allowed(target: Resource) -> bool:
            return target.address in self.systems if kinds is None else target.type in kinds

        for ref in self.references(resource, keys if config_keys is ... else config_keys):
            target = self.by_address.get(ref)
            if target is None:
                indexed = [a for a in self.by_address if a.startswith(ref + "[")]
                target = self.by_address[indexed[0]] if len(indexed) == 1 else None
            if target is not None and allowed(target):
                return target
        if value is None:
            value = attribute(resource.values, *keys)
        if not isinstance(value, str) or not value:
            return None
        region = ARN_REGION.match(value)
        located = f"aws:{region[1]}" if region and region[1] else None
        for candidate in (
            value,
            value.split(":::", 1)[-1],
            value.rsplit("/", 1)[-1],
            value.rsplit(":", 1)[-1],
        ):
            for target in self.identifiers.get(candidate, ()):
                if allowed(target) and (located is None or self._located_at(target) == located):
                    return target
        return None

    def _located_at(self, resource: Resource) -> str | None:
        """Where a resource is by its arguments (None where that is an error of its own)."""
        try:
            return self.cloud_location(resource)[0]
        except InputError:
            return None

    @staticmethod
    def expression(resource: Resource, keys: tuple | None) -> dict:
        """An attribute's expression in the configuration ({} when the configuration does not set it,
        or keys is None: where the configuration of the attribute cannot be told)."""
        return as_dict(Plan.configured(resource, keys))

    @staticmethod
    def configured(resource: Resource, keys: tuple | None):
        """The configuration at keys: an expression, or the list of a block's instances (None if unset)."""
        if keys is None:
            return None
        node: Any = as_dict(resource.config.get("expressions"))
        for key in keys:
            if isinstance(key, int):
                node = node[key] if isinstance(node, list) and key < len(node) else None
            elif isinstance(node, list):
                node = node[0].get(key) if node and isinstance(node[0], dict) else None
            elif isinstance(node, dict):
                node = node.get(key)
            else:
                return None
        return node

    def is_set(self, resource: Resource, keys: tuple, config_keys=...) -> bool:
        """Whether an attribute is given: a known value, or a value unknown until apply (missing from
        the planned values) that the configuration (at `config_keys`, by default `keys`) computes from
        other values (var.*, module.*, ...)."""
        path = values_path(resource.values, keys)
        if dig(resource.values, *path) not in (None, ""):
            return True
        holder = dig(resource.values, *path[:-1])
        unknown = not isinstance(holder, dict) or path[-1] not in holder
        return unknown and bool(
            self.expression(resource, keys if config_keys is ... else config_keys).get("references")
        )

    def references(self, resource: Resource, keys: tuple | None) -> list[str]:
        """Addresses of the resources an attribute's configuration expression refers to."""
        prefix = resource.module + "." if resource.module else ""
        out = []
        for ref in as_list(self.expression(resource, keys).get("references")):
            match = _REF.match(ref) if isinstance(ref, str) else None
            if match and not ref.startswith(
                ("var.", "local.", "data.", "module.", "each.", "count.", "path.")
            ):
                out.append(prefix + match[1])
        return out

    def referenced_systems(self, resource: Resource, keys: tuple) -> list[str]:
        return [ref for ref in self.references(resource, keys) if ref in self.systems]

    # systems ---------------------------------------------------------------------------------

    def build_systems(self) -> None:
        templates_in_use = self._templates_in_use()
        for resource in self.modelled:
            if resource.how.kind == "flow" or resource.address in templates_in_use:
                continue
            try:
                self._system(resource)
            except InputError as problem:
                self.fail(resource, problem)

    def _system(self, resource: Resource) -> None:
        places = self.places(resource)
        accelerators = self.accelerators(resource)
        if not places:
            # compute that holds no accelerators and no declared data needs no location (DESIGN)
            if (
                resource.how.kind == "compute"
                and not accelerators
                and not (self.tag(resource, "origin")[0] or self.tag(resource, "categories")[0])
            ):
                self.unplaced.add(resource.address)
                return
            raise self.no_location(resource)
        countries = [self._country(resource, location, at) for location, at in places]
        location, at = places[0]
        system: dict[str, Any] = {
            "id": resource.address,
            "kind": resource.how.kind,
            "location": location,
        }
        if accelerators:
            system["accelerators"] = accelerators
        self._check_tag_keys(resource)
        self.systems[resource.address] = system
        self.where[("systems", resource.address)] = SourceRef(
            FieldSource(
                self.source,
                resource.here,
                {"location": at or resource.here, "accelerators": resource.at()},
            ),
            (),
        )
        self._dataset(resource, countries[0])
        # a location standing for several countries: one member system in each other country,
        # reached by the cloud's own replication
        seen = {countries[0]}
        for (member_location, member_at), country in zip(places[1:], countries[1:], strict=True):
            if country in seen:
                continue
            seen.add(country)
            self.member(resource, f"{resource.address}@{country}", member_location, member_at)

    def member(
        self,
        resource: Resource,
        ident: str,
        location: str,
        at: tuple,
        source: str | None = None,
        mode: str = "replication",
    ) -> str:
        """A system standing for a copy the cloud keeps of `resource`'s data (or `source`'s)
        elsewhere, with the flow that fills it."""
        self._country(resource, location, at)
        self.systems.setdefault(ident, {"id": ident, "kind": "storage", "location": location})
        self.where.setdefault(
            ("systems", ident),
            SourceRef(
                FieldSource(self.source, resource.here, {"location": at or resource.here}), ()
            ),
        )
        self.flow(resource, source or resource.address, ident, mode, at=at or resource.here)
        return ident

    def _country(self, resource: Resource, location: str, at: tuple) -> str:
        """The country of a location; an unknown one is an error of the resource, at its line
        (checked here so that it does not stop the whole plan in resolve)."""
        from checker.resolve.regions import UnknownLocation, default_catalog

        try:
            return default_catalog().country_of(location)
        except UnknownLocation as exc:
            raise self.error(f"{resource.address}: {exc}", at or resource.here) from None

    def _templates_in_use(self) -> set[str]:
        return {
            template.address
            for resource in self.modelled
            if resource.how.launches
            for template in [self.launch_template(resource)]
            if template
        }

    def launch_template(self, resource: Resource) -> Resource | None:
        for keys, kinds in LAUNCH_TEMPLATE_KEYS:
            template = self.match(resource, keys, kinds)
            if template:
                return template
        return None

    def accelerators(self, resource: Resource) -> list[dict]:
        read = resource.how.machines
        if read is None:
            self._no_unread_gpus(resource)
            return []
        found: Counter[str] = Counter()
        for machines in read(resource.values):
            types = machines.types
            if not any(types) and resource.how.launches:
                template = self.launch_template(resource)
                types = [template.values.get("instance_type")] if template else types
            gpus = [
                gpus_for(resource.provider, t)
                for t in types
                if isinstance(t, str) and resource.provider
            ]
            for model, per_machine in filter(None, gpus):
                found[model] += max(1, per_machine * machines.count)
            if not any(gpus):  # GPUs attached to a plain machine type (GCP)
                for item in machines.attached:
                    if isinstance(item, dict) and isinstance(item.get("type"), str):
                        found[gcp_accelerator(item["type"])] += max(
                            1, whole(item.get("count"), 1) * machines.count
                        )
        return [{"model": model, "count": number} for model, number in found.items()]

    def _no_unread_gpus(self, resource: Resource) -> None:
        """Compute dlc reads no machines of must name no GPU machine type (it cannot count them)."""
        if resource.how.kind != "compute" or not resource.provider:
            return
        for path, itype in _named_types(resource.values):
            if gpus_for(resource.provider, itype):
                raise self.error(
                    f"{resource.address}: runs GPU machine type '{itype}', but dlc cannot tell how "
                    f"many a {resource.type} runs (declare its accelerators in a spec instead)",
                    resource.at(*path),
                )

    # data --------------------------------------------------------------------------------------

    def _check_tag_keys(self, resource: Resource) -> None:
        """A tag key a typo away from one of dlc's is an error: a misspelt `data_origin` must not
        leave the data unclassified without a word."""
        own = list(self.tags.values())
        for name, (_, at) in sorted(self.labels(resource).items()):
            meant = typo_of(name, own, self.infrastructure)
            if meant is not None:
                raise self.error(
                    f"{resource.address}: tag '{name}' is not one of dlc's tags; did you mean "
                    f"'{meant}'?",
                    at,
                )

    def _dataset(self, resource: Resource, country: str | None) -> None:
        """The data the resource holds: its dlc tags, else the config's classification of its own
        tags, else (for a data store) unclassified data whose origin is the store's country."""
        classification, _ = self.tag(resource, "classification")
        declared = declared_dataset(
            resource.address,
            self.source,
            lambda key: self.tag(resource, key),
            lambda key: f"tag '{self.tags[key]}'",
            lambda message, at: self.error(f"{resource.address}: {message}", at),
            separators=r"[,;\s_]+"
            if resource.provider == "gcp"
            else r"[,;\s]+",  # labels allow no commas
            description=f"classification: {classification}" if classification else None,
        )
        if declared is not None:
            dataset, written_at = declared
            self.datasets[dataset.id] = dataset
            self.where[("datasets", dataset.id)] = written_at
            return
        if resource.how.kind != "storage":
            return
        labels = self.labels(resource)
        found = classified(
            resource.address,
            {name: value for name, (value, _) in labels.items()},
            self.infrastructure,
            country,
        )
        if found is not None:
            body, entry = found
            at = labels[entry.key][1]
            dataset = validated(Dataset, body, FieldSource(self.source, at, {}))
            self.where[("datasets", dataset.id)] = SourceRef(FieldSource(self.source, at, {}), ())
        else:
            dataset = unclassified_dataset(resource.address)
            self.holders[dataset.id] = resource.address
            self.where[("datasets", dataset.id)] = SourceRef(
                FieldSource(self.source, resource.here, {}), ()
            )
        self.datasets[dataset.id] = dataset

    # flows -------------------------------------------------------------------------------------

    def build_flows(self) -> None:
        for resource in self.modelled:
            if resource.how.flows is None or resource.address in self.failed:
                continue
            try:
                resource.how.flows(self, resource)
            except InputError as problem:
                self.fail(resource, problem)

    def flow(
        self,
        resource: Resource,
        source: str,
        target: str,
        mode: str,
        keys: tuple = (),
        at: tuple | None = None,
    ) -> None:
        """Data moves from source to target because of `resource` (once, however often it is found);
        written at `keys` of the resource's values, or at the path `at`."""
        if source != target:
            self.flows.setdefault(
                (resource.address, source, target),
                (mode, resource, at if at is not None else resource.at(*keys)),
            )

    def system_of(
        self,
        resource: Resource,
        keys: tuple,
        kinds: frozenset | None,
        value=None,
        what: str = "target",
        config_keys=...,
    ) -> str:
        """The system an attribute names: a resource in the plan, else an external system located by
        the ARN's region; else an input error. `config_keys`: see match."""
        if value is None:
            value = attribute(resource.values, *keys)
        target = self.match(resource, keys, kinds, value=value, config_keys=config_keys)
        if target is not None and target.address in self.systems:
            return target.address
        if target is not None and target.address in self.failed:
            raise self.error(
                f"{resource.address}: the {what} {target.address} has an error of its own (reported "
                "with it), so where this resource moves data cannot be told",
                resource.at(*values_path(resource.values, keys)),
            )
        region = ARN_REGION.match(value) if isinstance(value, str) else None
        if region and region[1]:
            return self.external_system(resource, value, f"aws:{region[1]}", resource.at(*keys))
        shown = f" '{value}'" if isinstance(value, str) else ""
        raise self.error(
            f"{resource.address}: the {what}{shown} is not a resource in this plan and its region "
            "cannot be told (plan the other side in the same configuration, or give an ARN "
            "with its region)",
            resource.at(*values_path(resource.values, keys))
            if value is not None
            else resource.here,
        )

    def external_system(self, resource: Resource, name: str, location: str, at: tuple) -> str:
        """A store outside the plan that the plan names with its region (an ARN). Its data is
        unclassified (nothing in the plan says what it holds): replicated out of its country, it
        is reported like any unclassified store's."""
        self._country(resource, location, at)
        ident = f"external:{name}"
        if ident not in self.external:
            self.external[ident] = {"id": ident, "kind": "storage", "location": location}
            self.where[("systems", ident)] = SourceRef(self.source, at)
            dataset = unclassified_dataset(ident)
            self.datasets[dataset.id] = dataset
            self.holders[dataset.id] = ident
            self.where[("datasets", dataset.id)] = SourceRef(self.source, at)
        return ident

    # the spec ----------------------------------------------------------------------------------

    def finish(self) -> Spec:
        systems = {**self.systems, **self.external}
        holds = carried_datasets(
            systems, self.datasets, [(source, target) for _, source, target in self.flows]
        )
        # A resource with one flow names it; one with several names each by its target, and by its
        # source as well where several sources reach that target (a backup plan's vault).
        flows_of = Counter(address for address, _, _ in self.flows)
        sources_into = Counter((address, target) for address, _, target in self.flows)
        flows = []
        for (address, source, target), (mode, resource, at) in self.flows.items():
            if flows_of[address] == 1:
                ident = address
            elif sources_into[(address, target)] == 1:
                ident = f"{address}->{target}"
            else:
                ident = f"{address}:{source}->{target}"
            # cloud-managed copies travel over TLS: encrypted, and nothing a plan could change
            body = {
                "id": ident,
                "from": source,
                "to": target,
                "mode": mode,
                "encrypted": True,
                "datasets": sorted(holds[source]),
            }
            flows.append(validated(Flow, body, FieldSource(self.source, at, {})))
            self.where[("flows", ident)] = SourceRef(
                FieldSource(self.source, resource.here, {"from": at, "to": at}), ()
            )
        system_models = [
            validated(
                System,
                body,
                FieldSource(
                    self.source, self.by_address[sid].here if sid in self.by_address else (), {}
                ),
            )
            for sid, body in systems.items()
        ]
        left_out = self.failed | self.unplaced
        self.coverage.evaluated = sum(1 for r in self.modelled if r.address not in left_out)
        self.coverage.skipped["error"] += len(self.failed)
        self.coverage.skipped["no-location"] += len(self.unplaced)
        self.coverage.skipped = Counter(
            {reason: n for reason, n in self.coverage.skipped.items() if n}
        )
        name = os.path.splitext(os.path.basename(self.file))[0]
        spec = Spec(
            f"terraform plan {name}",
            [self.file],
            None,
            system_models,
            list(self.datasets.values()),
            flows,
            [],
            self.where,
            holders=self.holders,
            coverage=self.coverage,
            held_at=held_by_owner(self.datasets),
        )
        check_references(spec)
        return spec


def replica_of(attribute_path: str, kinds: frozenset, what: str):
    """A database replicating from the one its attribute (a dotted path into blocks) names, in the
    plan or outside it by ARN."""
    keys = tuple(attribute_path.split("."))

    def flows(plan: Plan, resource: Resource) -> None:
        if plan.is_set(resource, keys):
            source = plan.system_of(resource, keys, kinds, what=what)
            plan.flow(
                resource,
                source,
                resource.address,
                "replication",
                values_path(resource.values, keys),
            )

    return flows


#: AWS compute that may take its instance type from a launch template or configuration; one that
#: a resource uses is no system of its own (its machines are counted where they run).
LAUNCH_TEMPLATE_KEYS = tuple(
    (keys, frozenset({"aws_launch_template"}))
    for keys in (
        ("launch_template", "id"),
        ("launch_template", "name"),
        (
            "mixed_instances_policy",
            "launch_template",
            "launch_template_specification",
            "launch_template_id",
        ),
        (
            "mixed_instances_policy",
            "launch_template",
            "launch_template_specification",
            "launch_template_name",
        ),
    )
) + ((("launch_configuration",), frozenset({"aws_launch_configuration"})),)

#: Where compute without a reader may name machine types: a GPU type found there is an input error.
_TYPE_KEY = re.compile(r"(?:instance_type|machine_type|vm_size|sku|sku_name|size)s?$")


def _named_types(values, path: tuple = ()):
    """(path, text) of every string under a machine-type-like key, at any depth."""
    items = (
        values.items()
        if isinstance(values, dict)
        else enumerate(values)
        if isinstance(values, list)
        else ()
    )
    for key, value in items:
        # a list's items: the list's key
        name = key if isinstance(key, str) else path[-1] if path else None
        if isinstance(value, str) and isinstance(name, str) and _TYPE_KEY.search(name):
            yield (*path, key), value
        else:
            yield from _named_types(value, (*path, key))


@functools.cache
def replication_catalog() -> dict:
    """Multi-region locations and region pairs (resolve/data/replication.yaml), read when a plan
    uses one."""
    from checker.resolve import load_catalog

    return load_catalog("replication.yaml")


def multi_region(value: str) -> list[str] | None:
    """The regions a Google Cloud multi-region or dual-region name (`EU`, `NAM4`) stands for."""
    name = value.strip().upper()
    return None if "-" in name else replication_catalog()["gcp_locations"].get(name)
