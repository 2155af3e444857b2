"""Load a data-flow spec: validate each file, follow `include`, make ids unique and references whole."""

from __future__ import annotations

import difflib
import os
import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from itertools import chain, repeat
from operator import attrgetter
from typing import TYPE_CHECKING

from checker.errors import DlcError, InputError
from checker.load import fast_json
from checker.load.documents import DEFAULT_LIMITS, Document, Limits, load_file, read_bytes
from checker.model import SECTIONS, IncludedFile, Source, SourceRef, Spec, SpecFile

if (
    TYPE_CHECKING
):  # pydantic is imported by the careful path alone: a JSON spec the fast path is sure of
    from pydantic import ValidationError  # never needs it (0.05 s of a 0.4 s small check)
    from pydantic_core import ErrorDetails

    from checker.load.validation import Model


def describe_path(path: tuple) -> str:
    """('flows', 2, 'to') -> 'flows[2].to'"""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def _error_text(error: ErrorDetails) -> tuple[tuple, str]:
    loc = tuple(
        step
        for step in error["loc"]
        if not (isinstance(step, str) and step.startswith("function-"))
    )
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return loc, f"unknown field '{loc[-1]}'"
    if kind == "missing":
        return loc, f"missing required field '{loc[-1]}'"
    if kind == "literal_error":
        return (
            loc,
            f"'{value}' is not allowed here: {error['msg'].removeprefix('Input should be ')}",
        )
    if kind.endswith("_type") and value is not None:
        wanted = kind.removesuffix("_type").replace("model", "mapping").replace("dict", "mapping")
        return loc, f"expected {wanted}, got {type(value).__name__} {value!r}"[:300]
    message = error["msg"].removeprefix("Value error, ")
    return loc, message


def input_error_from(exc: ValidationError, source: Source, base: tuple = ()) -> InputError:
    """The first validation error as one line naming the field, with the line it was written on.

    An unknown field is reported before anything else: a misspelt or merge-key (`<<`) field
    otherwise shows up as a misleading 'missing required field'."""
    errors = exc.errors(include_url=False)
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc, message = _error_text(error)
    if error["type"] == "repeated_entry":
        loc += (error["ctx"]["index"],)
    locate = source.locate_key if error["type"] == "extra_forbidden" else source.locate
    line, column = locate(base + loc)
    field = describe_path(base + loc)
    return InputError(f"{field}: {message}" if field else message, source.file, line, column)


def validate(model: type[Model], document: Document, base: tuple = ()) -> Model:
    from pydantic import ValidationError

    from checker.load import validation

    try:
        return validation.validate(model, document.data)
    except ValidationError as exc:
        raise input_error_from(exc, document.source, base) from None


def load_spec(
    path: str,
    limits: Limits = DEFAULT_LIMITS,
    document: Document | None = None,
    include_root: str | None = None,
) -> Spec:
    """The spec at `path` with its includes; `document` is the root file if already parsed.
    Includes stay in `include_root` when given, else in the folder of the spec naming them."""
    spec = load_fast(path, limits, include_root) if document is None else None
    if spec is not None:
        return spec
    files: list[tuple[SpecFile, Source]] = []
    includes = _Includes(include_root)
    try:
        _load_with_includes(path, limits, files, includes, chain=(), document=document)
        spec = _merge(files)
    except DlcError as exc:
        raise exc.included(includes.chains.get(exc.file or "", ())) from None
    spec.included_from = includes.chains
    return spec


class _NotSure(Exception):
    """The fast path cannot vouch for a file: the careful path reads it."""


def load_fast(
    path: str, limits: Limits = DEFAULT_LIMITS, include_root: str | None = None
) -> Spec | None:
    """The spec at `path` if every file of it is JSON the fast path is sure of (fast_json), else
    None. It never reports an error: on any doubt or error the careful path reads the spec again
    and says what is wrong, and where, in the one wording both paths share."""
    if not path.lower().endswith(".json"):
        return None
    files: list[tuple[SpecFile, Source]] = []
    includes = _Includes(include_root)
    try:
        _load_with_includes(path, limits, files, includes, chain=(), fast=True)
        spec = _merge(files)
    except (_NotSure, DlcError):
        return None
    spec.included_from = includes.chains
    return spec


class Embedded:
    """The source of a spec written inside another document (a rule test case)."""

    def __init__(self, source: Source, base: tuple) -> None:
        self.file = source.file
        self.source = source
        self.base = base

    def locate(self, path: tuple):
        return self.source.locate(self.base + path)

    def locate_key(self, path: tuple):
        return self.source.locate_key(self.base + path)


def spec_from_document(document: Document) -> Spec:
    return _merge([(_spec_file(document, SpecFile), document.source)])


def _spec_file(document: Document, model: type[SpecFile]) -> SpecFile:
    if not isinstance(document.data, dict):
        line, column = document.source.locate(())
        raise InputError(
            f"a spec must be a mapping with 'version' and 'name', not a {type(document.data).__name__}",
            document.source.file,
            line,
            column,
        )
    return validate(model, document)


def _merge(files: list[tuple[SpecFile, Source]]) -> Spec:
    """One Spec of the root file and its includes; `files` holds each file with its source."""
    root = files[0][0]
    places = Places()
    merged: dict[str, list] = {section: [] for section in SECTIONS}
    organization = None
    for spec_file, source in files:
        if spec_file.organization is not None:
            if organization is not None:
                line, column = source.locate(("organization",))
                raise InputError(
                    "'organization' is declared in more than one file", source.file, line, column
                )
            organization = spec_file.organization
            places.other[("organization", "")] = SourceRef(source, ("organization",))
        for section in SECTIONS:
            items = getattr(spec_file, section)
            _check_ids_visible(items, section, source)
            places.add(section, items, source)
            merged[section] += items
    spec = Spec(
        root.name,
        [source.file for _, source in files],
        organization,
        merged["systems"],
        merged["datasets"],
        merged["flows"],
        merged["approvals"],
        places,
    )
    check_references(spec)
    return spec


class Places(Mapping[tuple[str, str], SourceRef]):
    """Where each declaration is written, (section, id) -> SourceRef, worked out when asked: a
    million flows cost an index of ids, not a million SourceRefs."""

    def __init__(self) -> None:
        self.index: dict[str, dict[str, int]] = {
            section: {} for section in SECTIONS
        }  # id -> position
        self.starts: dict[str, list[int]] = {section: [] for section in SECTIONS}  # per file
        self.sources: dict[str, list[Source]] = {section: [] for section in SECTIONS}
        self.other: dict[tuple[str, str], SourceRef] = {}

    def add(self, section: str, items: list, source: Source) -> None:
        """Index one file's declarations of `section`; an id declared before is an input error."""
        index = self.index[section]
        start = len(index)
        added = dict(
            zip(map(attrgetter("id"), items), range(start, start + len(items)), strict=True)
        )
        if len(added) < len(items) or not index.keys().isdisjoint(added):
            self._fail_repeat(section, items, source)
        self.starts[section].append(start)
        self.sources[section].append(source)
        if index:
            index.update(added)
        else:  # the first file's ids are the index: no copy of a million entries
            self.index[section] = added

    def _fail_repeat(self, section: str, items: list, source: Source) -> None:
        """Say where the first repeated id is written, and where it was first declared."""
        earlier, here = self.index[section], dict[str, int]()
        for position, item in enumerate(items):
            if item.id in earlier:
                first = self._ref(section, earlier[item.id])
            elif item.id in here:
                first = SourceRef(source, (section, here[item.id]))
            else:
                here[item.id] = position
                continue
            first_file, first_line, _ = first.resolve()
            line, column = source.locate((section, position, "id"))
            raise InputError(
                f"{section}[{position}].id: '{item.id}' is declared twice "
                f"(first at {first_file}:{first_line})",
                source.file,
                line,
                column,
            )

    def _ref(self, section: str, position: int) -> SourceRef:
        file = bisect_right(self.starts[section], position) - 1
        return SourceRef(
            self.sources[section][file], (section, position - self.starts[section][file])
        )

    def __getitem__(self, key: tuple[str, str]) -> SourceRef:
        section, ident = key
        position = self.index[section].get(ident) if section in self.index else None
        return self.other[key] if position is None else self._ref(section, position)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for section, index in self.index.items():
            yield from zip(repeat(section), index)
        yield from self.other

    def __len__(self) -> int:
        return sum(map(len, self.index.values())) + len(self.other)


def _check_ids_visible(items: list, section: str, source: Source) -> None:
    # One search over all ids (they hold no whitespace, so a space can join them); the loop only
    # runs to say which id it was.
    if not _UNSAFE_IN_ID.search(" ".join(map(attrgetter("id"), items))):
        return
    for index, item in enumerate(items):
        unsafe = _UNSAFE_IN_ID.search(item.id)
        if unsafe:
            line, column = source.locate((section, index, "id"))
            raise InputError(
                f"{section}[{index}].id: '{item.id.encode('unicode_escape').decode()}' "
                f"holds the invisible or control character U+{ord(unsafe.group()):04X}; "
                "ids must be visible text",
                source.file,
                line,
                column,
            )


class _Includes:
    """Where includes may reach, and which spec included each file. A spec from an untrusted pull
    request must not make dlc read files outside the checkout (`include: [/etc/passwd]`): an
    include stays in the folder of the spec naming it, or in `--include-root`, symbolic links
    resolved. An error in an included file names the chain that brought it in."""

    def __init__(self, root: str | None) -> None:
        self.root = os.path.realpath(root) if root is not None else None
        self.chains: dict[
            str, tuple[str, ...]
        ] = {}  # included file -> "file:line" of each include leading to it
        self.merged: set[str] = set()  # real paths of the files included so far

    def target(
        self, path: str, source, index: int, name: str, chain: tuple[str, ...]
    ) -> str | None:
        """The file `include[index]` of `path` names, or None when it is already part of the spec
        (a diamond is merged once); an include that reaches out, closes a cycle or names no file
        is an input error at its entry."""
        where = (path, *source.locate(("include", index)))
        if os.path.isabs(name):
            raise InputError(
                f"include[{index}]: '{name}' is an absolute path; an include is relative to the "
                "spec naming it",
                *where,
            )
        included = os.path.join(os.path.dirname(path), name)
        real = os.path.realpath(included)
        boundary = self.root or os.path.realpath(os.path.dirname(path))
        if os.path.commonpath((boundary, real)) != boundary:
            allowed = (
                "--include-root"
                if self.root
                else "the folder of the spec naming it; --include-root DIR widens it"
            )
            raise InputError(
                f"include[{index}]: '{name}' is outside {boundary} ({allowed})", *where
            )
        trail = (*chain, os.path.realpath(path))
        if real in trail:
            cycle = " → ".join(os.path.basename(p) for p in (*trail[trail.index(real) :], real))
            raise InputError(f"include[{index}]: include cycle {cycle}", *where)
        if not os.path.isfile(included):
            raise InputError(f"include[{index}]: no such file '{name}'", *where)
        if real in self.merged:
            return None
        self.merged.add(real)
        self.chains[included] = (f"{path}:{where[1]}", *self.chains.get(path, ()))
        return included


def _load_with_includes(
    path: str,
    limits: Limits,
    files: list,
    includes: _Includes,
    chain: tuple[str, ...],
    document: Document | None = None,
    fast: bool = False,
) -> None:
    spec_file, source = _read(path, limits, IncludedFile if chain else SpecFile, document, fast)
    files.append((spec_file, source))
    for index, name in enumerate(spec_file.include):
        included = includes.target(path, source, index, name, chain)
        if included is not None:
            _load_with_includes(
                included, limits, files, includes, (*chain, os.path.realpath(path)), fast=fast
            )


def _read(path: str, limits: Limits, model: type[SpecFile], document: Document | None, fast: bool):
    """One spec file as declarations, with the source that says where each is written."""
    if fast:
        raw = read_bytes(path, limits) if path.lower().endswith(".json") else b""
        spec_file = fast_json.decode(raw, model, limits) if raw else None
        if spec_file is None:
            raise _NotSure(path)
        return spec_file, fast_json.PlacedSource(path, raw, limits)
    document = document or load_file(path, limits)[0]
    return _spec_file(document, model), document.source


# Control characters, bidirectional overrides/isolates and zero-width characters make two ids look
# alike, or a report line read differently from what it says ("Trojan Source"): never in an id.
_UNSAFE_IN_ID = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)

_REFERENCES = (  # section, field, section it refers to
    ("systems", "approvals", "approvals"),
    ("datasets", "derived_from", "datasets"),
    ("datasets", "subset_of", "datasets"),
    ("flows", "source", "systems"),
    ("flows", "target", "systems"),
    ("flows", "datasets", "datasets"),
    ("flows", "approvals", "approvals"),
    ("approvals", "datasets", "datasets"),
    ("approvals", "systems", "systems"),
)
_FIELD_NAMES = {"source": "from", "target": "to"}
_SINGLE = ("source", "target")  # fields that hold one reference, not a list


def check_references(spec: Spec) -> None:
    """Every reference resolves, and lineage has no cycle."""
    ids = {
        target: set(map(attrgetter("id"), getattr(spec, target)))
        for target in {t for *_, t in _REFERENCES}
    }
    for section, field, target in _REFERENCES:
        known, items, read = ids[target], getattr(spec, section), attrgetter(field)
        if (
            set(map(read, items) if field in _SINGLE else chain.from_iterable(map(read, items)))
            <= known
        ):
            continue
        for item in items:  # an unknown reference: find the first, to say where it is written
            value = read(item)
            for position, ref in [(None, value)] if field in _SINGLE else enumerate(value):
                if ref not in known:
                    name = _FIELD_NAMES.get(field, field)
                    at = (name,) if position is None else (name, position)
                    file, line, column = spec.where[(section, item.id)].resolve(*at)
                    hint = difflib.get_close_matches(ref, sorted(known), 1)
                    raise InputError(
                        f"{section} '{item.id}': {name} refers to unknown {target[:-1]} '{ref}'"
                        + (f" (did you mean '{hint[0]}'?)" if hint else ""),
                        file,
                        line,
                        column,
                    )
    _check_lineage(spec, "derived_from", "lineage cycle")
    _check_lineage(
        spec,
        "subset_of",
        "subset_of cycle (datasets that are subsets of each other are one dataset)",
    )


def _check_lineage(spec: Spec, field: str = "derived_from", what: str = "lineage cycle") -> None:
    # A dataset derived from nothing closes no cycle: the walk starts only from the others.
    parents = {d.id: getattr(d, field) for d in spec.datasets if getattr(d, field)}
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for start in sorted(parents):
        if state.get(start):
            continue
        stack = [(start, iter(parents[start]))]
        trail = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                trail.pop()
            elif state.get(child) == 1:
                cycle = " → ".join(trail[trail.index(child) :] + [child])
                file, line, column = spec.where[("datasets", node)].resolve(field)
                raise InputError(f"datasets '{node}': {what} {cycle}", file, line, column)
            elif not state.get(child):
                state[child] = 1
                trail.append(child)
                stack.append((child, iter(parents.get(child, ()))))
