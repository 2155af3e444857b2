"""Validate-once reading of JSON specs: msgspec decodes and type-checks a file in one C pass into
compact structs, which are built here from the pydantic models of checker.model so the two cannot
drift apart.

This is a fast path, not a second definition of the format. The careful path (json + pydantic)
gives every error its message and line; this one only answers "certainly valid, and these are the
values" or "not certain" (None), and the caller then takes the careful path. Whatever msgspec does
not check itself is checked here in bulk, at C speed, over whole columns of values:

- duplicate keys (msgspec keeps the last): every key written in the file is counted in the raw
  bytes and must equal the number of fields the structs hold; a repeat leaves one more key than
  fields. Defaults are a sentinel while decoding, so a field written with its default value counts.
- declared ids hold no whitespace, list entries do not repeat, and the models' own
  after-validators (self-loops, lineage roots, approval dates) hold for every struct.
A building block of the models this module does not know (a new validator, a new constraint) is
an error when it loads, not a check silently skipped.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import types
import typing
from collections import deque
from dataclasses import dataclass, field
from itertools import chain, compress, repeat
from operator import attrgetter, is_

import annotated_types
import msgspec
from pydantic import AfterValidator, BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

from checker.load.documents import Limits
from checker.model import iso_date, unique_entries

_VISIBLE = r"^\S+$"            # the one pattern the model uses (ids), checked in bulk below
_WHITESPACE = re.compile(r"\s")
_UNSET = msgspec.UNSET


@dataclass
class _Shape:
    """One model as a struct, with what the bulk checks need to know of it."""

    struct: type[msgspec.Struct]
    defaults: dict[str, object] = field(default_factory=dict)    # attribute -> value when not written
    ids: list[str] = field(default_factory=list)                 # attributes declaring an id
    unique: list[str] = field(default_factory=list)              # list attributes without repeats
    children: dict[str, type] = field(default_factory=dict)      # attribute -> nested model
    validators: list = field(default_factory=list)               # the model's after-validators
    longest: int = 0                                              # longest string a field allows
    depth: int = 1                                                # JSON nesting of it and its fields


class _Builder:
    def __init__(self) -> None:
        self.shapes: dict[type, _Shape] = {}

    def shape(self, model: type[BaseModel]) -> _Shape:
        if model in self.shapes:
            return self.shapes[model]
        decorators = model.__pydantic_decorators__
        unknown = [name for name, d in decorators.model_validators.items() if d.info.mode != "after"]
        if unknown or decorators.field_validators or decorators.validators or decorators.root_validators:
            raise TypeError(f"fast JSON path: {model.__name__} has validators it cannot mirror")
        shape = self.shapes[model] = _Shape(struct=None,  # type: ignore[arg-type]  # built below
                                            validators=[d.func for d in decorators.model_validators.values()])
        fields = []
        for name, info in model.model_fields.items():
            kind = self._type(info.annotation, list(info.metadata), shape, name)
            if info.is_required():
                default = msgspec.field(name=info.alias or name)
            else:
                default = msgspec.field(name=info.alias or name, default=_UNSET)
                value = info.default_factory() if info.default_factory else info.default  # type: ignore[call-arg]  # no factory here takes data
                shape.defaults[name] = tuple(value) if isinstance(value, list) else value
            fields.append((name, kind | msgspec.UnsetType, default))
        shape.struct = msgspec.defstruct(model.__name__, fields, kw_only=True, forbid_unknown_fields=True,
                                         gc=False)
        return shape

    def _type(self, annotation, constraints: list, shape: _Shape, name: str, in_list: bool = False):
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            base, *extra = typing.get_args(annotation)
            return self._type(base, constraints + extra, shape, name, in_list)
        if origin in (typing.Union, types.UnionType):
            return typing.Union[tuple(self._type(arg, constraints, shape, name, in_list)  # noqa: UP007 - built at run time
                                      for arg in typing.get_args(annotation))]
        if annotation is type(None):
            return annotation
        if origin is list:
            for constraint in constraints:
                if not (isinstance(constraint, AfterValidator) and constraint.func is unique_entries):
                    raise TypeError(f"fast JSON path: cannot mirror {constraint!r} on {name}")
                shape.unique.append(name)
            (item,) = typing.get_args(annotation)
            return list[self._type(item, [], shape, name, in_list=True)]  # type: ignore[misc]  # built at run time
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            child = self.shape(annotation)
            shape.children[name] = annotation
            shape.depth = max(shape.depth, 1 + in_list + child.depth)
            shape.longest = max(shape.longest, child.longest)
            return child.struct
        if origin is typing.Literal:
            return annotation
        if annotation in (str, int, bool, dt.date):
            return self._scalar(annotation, constraints, shape, name)
        raise TypeError(f"fast JSON path: cannot mirror the type {annotation!r} of {name}")

    def _scalar(self, annotation, constraints: list, shape: _Shape, name: str):
        meta: dict[str, object] = {}
        for constraint in constraints:
            if isinstance(constraint, FieldInfo):
                constraints += constraint.metadata
            elif isinstance(constraint, annotated_types.MinLen):
                meta["min_length"] = constraint.min_length
            elif isinstance(constraint, annotated_types.MaxLen):
                meta["max_length"] = constraint.max_length
                shape.longest = max(shape.longest, constraint.max_length)
            elif isinstance(constraint, annotated_types.Ge):
                meta["ge"] = constraint.ge
            elif isinstance(constraint, annotated_types.Le):
                meta["le"] = constraint.le
            elif getattr(constraint, "pattern", None) == _VISIBLE:
                if name == "id":   # a reference (from, datasets, ...) with whitespace matches no id:
                    shape.ids.append(name)   # check_references refuses it, and the careful path says why
            elif not (isinstance(constraint, BeforeValidator) and constraint.func is iso_date
                      and annotation is dt.date):
                raise TypeError(f"fast JSON path: cannot mirror {constraint!r} on {name}")
        if annotation is str and "max_length" not in meta:
            raise TypeError(f"fast JSON path: {name} has no length limit")
        return typing.Annotated[annotation, msgspec.Meta(**meta)] if meta else annotation  # type: ignore[call-overload]  # pydantic constraints by name


_BUILDER = _Builder()


@functools.cache
def _decoder(model: type[BaseModel]) -> msgspec.json.Decoder:
    return msgspec.json.Decoder(_BUILDER.shape(model).struct)


def decode(raw: bytes, model: type[BaseModel], limits: Limits):
    """The spec file in `raw` as structs of `model`'s shape, or None when not certainly valid."""
    root = _BUILDER.shape(model)
    if limits.max_scalar_bytes < root.longest or limits.max_depth < root.depth:
        return None   # a lowered limit is enforced by the careful path, which says where it is broken
    try:
        spec = _decoder(model).decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    columns = _columns(spec, model)
    written = 0
    for shape, objects in columns:
        written += len(objects) * len(shape.struct.__struct_fields__) - _fill_defaults(shape, objects)
    if _keys_written(raw) != written:
        return None
    if not all(_valid(shape, objects) for shape, objects in columns):
        return None
    return spec


def _columns(spec, model: type[BaseModel]) -> list[tuple[_Shape, list]]:
    """Every struct of the file, grouped by model (each model sits at one place in the format)."""
    out = []
    pending = [(model, [spec])]
    while pending:
        model, objects = pending.pop()
        shape = _BUILDER.shapes[model]
        out.append((shape, objects))
        for name, child in shape.children.items():
            values = [v for v in map(attrgetter(name), objects) if v is not _UNSET and v is not None]
            if values and isinstance(values[0], list):
                values = list(chain.from_iterable(values))
            pending.append((child, values))
    return out


_KEY_CHUNK = 1 << 16   # bytes of the file stripped of whitespace at a time: no copy of the whole file


def _keys_written(raw: bytes) -> int:
    """Keys in the file: each ends with `":` once whitespace is dropped. Inside a string a quote is
    escaped, so the only other match is an escaped quote before a colon: a count too high, never
    too low, and a count too high only sends the file down the careful path.

    The file is stripped a chunk at a time; a `"` ending what came before and a `:` starting a
    chunk are a key split across the boundary (a chunk of only whitespace leaves the last byte)."""
    keys, last = 0, b""
    for start in range(0, len(raw), _KEY_CHUNK):
        chunk = raw[start:start + _KEY_CHUNK].translate(None, b" \t\n\r")
        if chunk:
            keys += chunk.count(b'":') + (last == b'"' and chunk[:1] == b":")
            last = chunk[-1:]
    return keys


def _fill_defaults(shape: _Shape, objects: list) -> int:
    """Give every field not written its default; how many were not written."""
    missing = 0
    for name, default in shape.defaults.items():
        unset = list(compress(objects, map(is_, map(attrgetter(name), objects), repeat(_UNSET))))
        deque(map(setattr, unset, repeat(name), repeat(default)), maxlen=0)
        missing += len(unset)
    return missing


def _valid(shape: _Shape, objects: list) -> bool:
    for name in shape.ids:
        if _WHITESPACE.search("\x00".join(map(attrgetter(name), objects))):
            return False
    for name in shape.unique:   # only a list of two or more entries can repeat one
        lists = list(map(attrgetter(name), objects))
        repeatable = list(compress(lists, map((1).__lt__, map(len, lists))))
        if sum(map(len, repeatable)) != sum(map(len, map(set, repeatable))):
            return False
    try:
        for validator in shape.validators:
            deque(map(validator, objects), maxlen=0)
    except ValueError:
        return False
    return True
