"""The configuration file: what a team sets once instead of on every command line.

`dlc.yaml` or `.dlc.yaml` in the current directory or a parent up to the repository root (the
first directory holding `.git`), or the file `--config` (or `DLC_CONFIG`) names; `DLC_CONFIG=none`
switches discovery off. Paths in the file are relative to the file. Flags win over the file.
Unknown keys, unknown categories and unknown locations are input errors with file and line:
a misspelt setting must never be ignored.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from checker.errors import InputError
from checker.findings import FAIL_ON
from checker.load.documents import DEFAULT_LIMITS, Document

CONFIG_NAMES = ("dlc.yaml", ".dlc.yaml")

_LOCATIONS = {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}}
_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_ONE_OR_MORE = {"oneOf": [{"type": "string", "minLength": 1}, _STRINGS]}

CONFIG_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "dlc configuration file",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "policy": {"type": "string", "minLength": 1},
        "rules": _ONE_OR_MORE,
        "format": _ONE_OR_MORE,
        "output": _ONE_OR_MORE,
        "fail_on": {"enum": list(FAIL_ON)},
        "exemptions": _ONE_OR_MORE,
        "baseline": {"type": "string", "minLength": 1},
        "default_location": {"type": "string", "minLength": 1},
        "classification": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["match"],
                "properties": {
                    "match": {
                        "type": "object",
                        "additionalProperties": False,
                        "minProperties": 1,
                        "properties": {
                            "tag": {"type": "string", "minLength": 1},
                            "label": {"type": "string", "minLength": 1},
                            "annotation": {"type": "string", "minLength": 1},
                            "value": {"type": "string"},
                        },
                    },
                    "categories": _STRINGS,
                    "origin": {"type": "string", "minLength": 1},
                    "subjects": {"type": "integer", "minimum": 0},
                    "important": {"type": "boolean"},
                },
            },
        },
        "terraform": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"ignore_types": _STRINGS},
        },
        "kubernetes": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"namespaces": _LOCATIONS},
        },
        "openlineage": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"namespaces": _LOCATIONS},
        },
        "fides": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"systems": _LOCATIONS},
        },
    },
}


@dataclass(frozen=True)
class Classification:
    """One `classification` entry: the data a store holds when it carries a tag, label or
    annotation `key` whose value matches the case-insensitive glob `value`."""

    key: str
    value: str
    categories: tuple[str, ...] = ()
    origin: str | None = None  # None: the store's own country
    subjects: int | None = None
    important: bool | None = None
    file: str | None = None
    line: int | None = None

    def matches(self, labels: Mapping[str, object]) -> bool:
        found = labels.get(self.key)
        return found is not None and fnmatch.fnmatchcase(str(found).lower(), self.value.lower())


@dataclass(frozen=True)
class Infrastructure:
    """What the adapters of Terraform, Kubernetes, OpenLineage and Fides inputs need to know that
    the inputs do not say."""

    default_location: str | None = None
    classification: tuple[Classification, ...] = ()
    terraform_ignore_types: tuple[str, ...] = ()  # fnmatch patterns of resource types to skip
    kubernetes_namespaces: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    openlineage_namespaces: tuple[
        tuple[str, str], ...
    ] = ()  # (namespace glob, location), in file order
    fides_systems: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # resource address -> location of the spec system binding it (resolve/binding.py), None if unbound
    declared_location: Callable[[str], str | None] | None = None

    def location_for(self, ident: str) -> str | None:
        """Where a resource that does not say stands: its bound system's location, else the default."""
        declared = self.declared_location(ident) if self.declared_location else None
        return declared or self.default_location

    def classified_keys(self) -> frozenset[str]:
        """Keys the organisation classifies by: never reported as typos of dlc's own keys."""
        return frozenset(entry.key for entry in self.classification)

    def classify(self, labels: Mapping[str, object]) -> list[Classification]:
        """The entries that match a store's tags, labels or annotations, in file order."""
        return [entry for entry in self.classification if entry.matches(labels)]


NO_INFRASTRUCTURE = Infrastructure()


@dataclass(frozen=True)
class Config:
    file: str | None = None
    policy: str | None = None
    rules: tuple[str, ...] = ()
    format: tuple[str, ...] = ()
    output: tuple[str, ...] = ()
    fail_on: str | None = None
    exemptions: tuple[str, ...] = ()
    baseline: str | None = None
    infrastructure: Infrastructure = NO_INFRASTRUCTURE


NO_CONFIG = Config()


def discover(start: str = ".") -> str | None:
    """The nearest dlc.yaml/.dlc.yaml from `start` up to the repository root (or the file system's)."""
    folder = os.path.abspath(start)
    while True:
        for name in CONFIG_NAMES:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                return os.path.relpath(candidate) if not os.path.isabs(start) else candidate
        parent = os.path.dirname(folder)
        if os.path.exists(os.path.join(folder, ".git")) or parent == folder:
            return None
        folder = parent


def find_config(flag: str | None, environ: Mapping[str, str] = os.environ) -> Config:
    """The configuration `--config` names, else `DLC_CONFIG`, else the discovered file, else none."""
    named = flag or environ.get("DLC_CONFIG") or None
    if named is not None and named.lower() == "none":
        return NO_CONFIG
    if named is not None:
        if not os.path.isfile(named):
            raise InputError(
                "configuration file not found" + ("" if flag else " (named by DLC_CONFIG)"), named
            )
        return load_config(named)
    found = discover()
    return load_config(found) if found else NO_CONFIG


def load_config(path: str) -> Config:
    from checker.load.documents import load_file
    from checker.load.rules import load_validated  # jsonschema: loaded only when there is a file

    _no_unknown_keys(load_file(path, DEFAULT_LIMITS)[0], CONFIG_SCHEMA, ())
    document = load_validated(path, CONFIG_SCHEMA, InputError, DEFAULT_LIMITS)
    data = document.data if isinstance(document.data, dict) else {}
    base = os.path.dirname(path)

    def paths(key: str) -> tuple[str, ...]:
        value = data.get(key, ())
        return tuple(
            os.path.join(base, item) for item in ([value] if isinstance(value, str) else value)
        )

    def strings(key: str) -> tuple[str, ...]:
        value = data.get(key, ())
        return (value,) if isinstance(value, str) else tuple(value)

    policy = data.get("policy")
    if policy is not None and policy.endswith((".yaml", ".yml", ".json")):
        policy = os.path.join(base, policy)  # a built-in policy is named, a file is a path
    infrastructure = Infrastructure(
        default_location=_location(data["default_location"], document, ("default_location",))
        if "default_location" in data
        else None,
        classification=tuple(
            _classification(entry, document, index)
            for index, entry in enumerate(data.get("classification", ()))
        ),
        terraform_ignore_types=tuple(data.get("terraform", {}).get("ignore_types", ())),
        kubernetes_namespaces=_locations(data, "kubernetes", "namespaces", document),
        openlineage_namespaces=tuple(
            _locations(data, "openlineage", "namespaces", document).items()
        ),
        fides_systems=_locations(data, "fides", "systems", document),
    )
    return Config(
        file=path,
        policy=policy,
        rules=paths("rules"),
        format=strings("format"),
        output=paths("output"),
        fail_on=data.get("fail_on"),
        exemptions=paths("exemptions"),
        baseline=paths("baseline")[0] if "baseline" in data else None,
        infrastructure=infrastructure,
    )


def _no_unknown_keys(document: Document, schema: dict, at: tuple) -> None:
    """A key the schema does not know, at its own line and with the closest known key: a misspelt
    setting is the mistake most worth a precise message."""
    import difflib

    node = document.data
    for step in at:
        node = node[step]
    if not isinstance(node, dict):
        return
    known = schema.get("properties", {})
    for key in node:
        if key in known:
            child = known[key]
            if child.get("type") == "object" and child.get("additionalProperties") is False:
                _no_unknown_keys(document, child, (*at, key))
            elif isinstance(child.get("items"), dict) and isinstance(node[key], list):
                for index, item in enumerate(node[key]):
                    if isinstance(item, dict):
                        _no_unknown_keys(document, child["items"], (*at, key, index))
        elif schema.get("additionalProperties") is False:
            close = difflib.get_close_matches(str(key), list(known), n=1)
            line, column = document.source.locate_key((*at, key))
            where = ".".join(map(str, at))
            raise InputError(
                f"unknown key '{key}'{' in ' + where if where else ''}"
                + (f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(known)})"),
                document.source.file,
                line,
                column,
            )


def _error(document: Document, at: tuple, message: str) -> InputError:
    line, column = document.source.locate(at)
    return InputError(message, document.source.file, line, column)


def _location(value: str, document: Document, at: tuple) -> str:
    """A location as a spec writes one (a country or PROVIDER:REGION), checked against the catalog."""
    from checker.resolve.regions import UnknownLocation, default_catalog

    try:
        default_catalog().country_of(value)
    except UnknownLocation as exc:
        raise _error(document, at, f"{'.'.join(map(str, at))}: {exc}") from None
    return value


def _locations(data: dict, section: str, key: str, document: Document) -> Mapping[str, str]:
    written = data.get(section, {}).get(key, {})
    return MappingProxyType(
        {name: _location(value, document, (section, key, name)) for name, value in written.items()}
    )


def _classification(entry: dict, document: Document, index: int) -> Classification:
    at = ("classification", index)
    match = entry["match"]
    keys = [name for name in ("tag", "label", "annotation") if name in match]
    if len(keys) != 1:
        raise _error(
            document,
            (*at, "match"),
            "classification match: name exactly one of tag, label or "
            f"annotation (found {', '.join(keys) or 'none'})",
        )
    categories = tuple(entry.get("categories", ()))
    from checker.resolve.categories import UnknownCategory, default_taxonomy

    try:
        default_taxonomy().expand(categories)
    except UnknownCategory as exc:
        raise _error(
            document,
            (*at, "categories", categories.index(exc.args[0])),
            f"unknown category '{exc.args[0]}' (see `dlc catalog categories`)",
        ) from None
    origin = entry.get("origin")
    if origin is not None:
        from checker.resolve.regions import UnknownLocation, default_catalog

        try:
            origin = default_catalog().country(origin)
        except UnknownLocation as exc:
            raise _error(document, (*at, "origin"), f"classification origin: {exc}") from None
    if not categories and origin is None and "subjects" not in entry and "important" not in entry:
        raise _error(
            document,
            at,
            "a classification entry must say something about the data: categories, "
            "origin, subjects or important",
        )
    line, _ = document.source.locate(at)
    return Classification(
        key=match[keys[0]],
        value=match.get("value", "*"),
        categories=categories,
        origin=origin,
        subjects=entry.get("subjects"),
        important=entry.get("important"),
        file=document.source.file,
        line=line,
    )
