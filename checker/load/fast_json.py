"""Validate-once reading of JSON specs: msgspec decodes and type-checks a file in one C pass
straight into the structs of checker.model, the types the careful path builds too.

This is a fast path, not a second definition of the format. The careful path (json + pydantic,
load/validation.py) gives every error its message and line; this one only answers "certainly
valid, and these are the values" or "not certain" (None), and the caller then takes the careful
path. Whatever msgspec does not check while decoding is checked here in bulk, over whole columns
of values, at C speed:

- duplicate keys (msgspec keeps the last): every key written in the file is counted in the raw
  bytes and must equal the number of keys the objects hold. A required key is held once by every
  object; the optional ones are counted on a second decode of the file into census structs (each
  optional field read as raw bytes, UNSET when not written, so a repeated key counts once):
  0.14 s at 100k flows (2.7 s the whole check). The census of the required fields too cost 0.03 s
  more and 20 MB more at the peak (204 MB against 184 MB).
- ids hold no whitespace and list entries do not repeat (the `extra_json_schema` of the model's
  types). msgspec could check the pattern itself, but a regex call for each of the 520k ids and
  references of 100k flows costs 0.22 s (8%); one search over the ids joined costs 0.02 s, and a
  reference with whitespace matches no id, which check_references refuses.
The models' own checks (self-loops, lineage roots, approval dates) are their `__post_init__`,
which msgspec runs. A constraint of the model this module does not know is an error when it
first decodes, not a check silently skipped. PlacedSource says where things are written in such a
file, from its bytes.
"""

from __future__ import annotations

import functools
import json
import operator
import re
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate, chain, compress, repeat
from operator import attrgetter, countOf

import msgspec
import msgspec.inspect as inspect
from msgspec.structs import astuple

from checker.errors import InputError
from checker.load.documents import JsonSource, Limits, read_bytes
from checker.model import VISIBLE, SpecFile

_WHITESPACE = re.compile(r"\s")
_UNSET = msgspec.UNSET


def decode(raw: bytes, model: type[SpecFile], limits: Limits) -> SpecFile | None:
    """The spec file in `raw` as a `model`, or None when not certainly valid."""
    shape = _shape(model)
    if limits.max_scalar_bytes < shape.longest or limits.max_depth < shape.depth:
        # a lowered limit is enforced by the careful path, which says where it is broken
        return None
    try:
        spec = _decoder(model).decode(raw)
        census = _decoder(shape.census).decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if _keys_written(raw) != sum(map(_keys_held, _columns(census, shape))):
        return None
    if not all(map(_valid, _columns(spec, shape))):
        return None
    return spec


@dataclass
class _Shape:
    """One model, with what the bulk checks need to know of it."""

    model: type[msgspec.Struct]
    census: type[msgspec.Struct] = msgspec.Struct  # the optional keys an object holds (made last)
    required: int = 0  # keys every object holds (not in the census)
    ids: list[str] = field(default_factory=list)  # attributes declaring an id
    unique: list[str] = field(default_factory=list)  # tuples whose entries do not repeat
    children: dict[str, _Shape] = field(default_factory=dict)  # attribute -> nested model
    longest: int = 0  # longest string a field allows
    depth: int = 1  # JSON nesting of it and its fields


@functools.cache
def _shape(model: type[msgspec.Struct]) -> _Shape:
    shape = _Shape(model)
    census = []
    for member in msgspec.structs.fields(model):
        kind = _read(inspect.type_info(member.type), member.name, shape)
        if member.required and member.name not in shape.children:
            # held once, as the decode into the model checked; a repeat is counted in the file
            shape.required += 1
        else:
            census.append(
                (
                    member.name,
                    kind | msgspec.UnsetType,
                    msgspec.field(name=member.encode_name, default=_UNSET),
                )
            )
    shape.census = msgspec.defstruct(f"{model.__name__}Census", census, kw_only=True, gc=False)
    return shape


def _read(kind: inspect.Type, name: str, shape: _Shape, in_tuple: bool = False) -> object:
    """Note what the bulk checks need of a field of type `kind`; its type in the census."""
    if isinstance(kind, inspect.Metadata):
        schema = kind.extra_json_schema or {}
        if set(schema) - {"uniqueItems", "pattern"} or schema.get("pattern", VISIBLE) != VISIBLE:
            raise TypeError(f"fast JSON path: cannot check {schema} on {name}")
        if schema.get("uniqueItems"):
            shape.unique.append(name)
        # a reference (from, datasets, ...) with whitespace matches no id: check_references refuses it
        if "pattern" in schema and name == "id":
            shape.ids.append(name)
        return _read(kind.type, name, shape, in_tuple)
    # msgspec.Raw takes any value, but cannot be a member of a union
    if isinstance(kind, inspect.UnionType):
        members = [_read(member, name, shape, in_tuple) for member in kind.types]
        if msgspec.Raw not in members:
            return functools.reduce(operator.or_, members)
        if set(members) - {msgspec.Raw, None}:
            raise TypeError(f"fast JSON path: {name} is either a value or a nested declaration")
        return msgspec.Raw
    if isinstance(kind, inspect.VarTupleType):
        return tuple[_read(kind.item_type, name, shape, in_tuple=True), ...]  # type: ignore[misc]
    if isinstance(kind, inspect.StructType):
        child = shape.children[name] = _shape(kind.cls)
        shape.depth = max(shape.depth, 1 + in_tuple + child.depth)
        shape.longest = max(shape.longest, child.longest)
        return child.census
    if isinstance(kind, inspect.NoneType):
        return None
    if isinstance(kind, inspect.StrType):
        if kind.max_length is None:
            raise TypeError(f"fast JSON path: {name} has no length limit")
        shape.longest = max(shape.longest, kind.max_length)
    elif not isinstance(
        kind, (inspect.IntType, inspect.BoolType, inspect.LiteralType, inspect.DateType)
    ):
        raise TypeError(f"fast JSON path: cannot check the type {kind!r} of {name}")
    return msgspec.Raw


@functools.cache
def _decoder(model: type) -> msgspec.json.Decoder:
    return msgspec.json.Decoder(model)


def _columns(root: msgspec.Struct, shape: _Shape) -> Iterator[tuple[_Shape, list]]:
    """Every struct under `root` grouped by model (each model sits at one place in the format),
    for the model's structs and the census's alike."""
    pending = [(shape, [root])]
    while pending:
        shape, objects = pending.pop()
        yield shape, objects
        for name, child in shape.children.items():
            values = [
                value
                for value in map(attrgetter(name), objects)
                if value is not None and value is not _UNSET
            ]
            if values and isinstance(values[0], tuple):
                values = list(chain.from_iterable(values))
            pending.append((child, values))


# bytes of the file stripped of whitespace at a time: no copy of the whole file
_KEY_CHUNK = 1 << 16


def _keys_written(raw: bytes) -> int:
    """Keys in the file: each ends with `":` once whitespace is dropped. Inside a string a quote is
    escaped, so the only other match is an escaped quote before a colon: a count too high, never
    too low, and a count too high only sends the file down the careful path.

    The file is stripped a chunk at a time; a `"` ending what came before and a `:` starting a
    chunk are a key split across the boundary (a chunk of only whitespace leaves the last byte)."""
    keys, last = 0, b""
    for start in range(0, len(raw), _KEY_CHUNK):
        chunk = raw[start : start + _KEY_CHUNK].translate(None, b" \t\n\r")
        if chunk:
            keys += chunk.count(b'":') + (last == b'"' and chunk[:1] == b":")
            last = chunk[-1:]
    return keys


def _keys_held(column: tuple[_Shape, list]) -> int:
    """How many keys the census structs of one model were read from (each written key once)."""
    shape, objects = column
    fields = shape.required + len(shape.census.__struct_fields__)
    return len(objects) * fields - sum(map(countOf, map(astuple, objects), repeat(_UNSET)))


def _valid(column: tuple[_Shape, list]) -> bool:
    shape, objects = column
    for name in shape.ids:
        if _WHITESPACE.search("\x00".join(map(attrgetter(name), objects))):
            return False
    for name in shape.unique:  # only a tuple of two or more entries can repeat one
        tuples = list(map(attrgetter(name), objects))
        repeatable = list(compress(tuples, map((1).__lt__, map(len, tuples))))
        if sum(map(len, repeatable)) != sum(map(len, map(set, repeatable))):
            return False
    return True


class PlacedSource:
    """Where things are written in a JSON file the fast path read, from its bytes.

    What a finding asks is where a declaration is written. At the first such question the items of
    every top-level list are placed in one pass over the bytes (msgspec measures every item, so
    only the few bytes between items are read) and the bytes are let go: no decoded copy of the
    file is made and none of it is kept while rules run (1M flows, default policy: 37.4 -> 34.4 s,
    2.20 -> 1.95 GB peak). Any other question (the field an error names) is answered by the text
    walk of documents.JsonSource, over the file read again if the bytes are gone; a file whose
    checksum changed meanwhile is an error, not a wrong line.
    """

    def __init__(self, file: str, raw: bytes, limits: Limits) -> None:
        self.file = file
        self._raw: bytes | None = raw
        self._limits = limits
        self._checksum: tuple[int, int] | None = None  # of the bytes let go
        # top-level list -> lines, columns of its items
        self._items: dict[str, tuple[array, array]] | None = None
        self._text: JsonSource | None = None

    def locate(self, path: tuple) -> tuple[int | None, int | None]:
        if len(path) == 2 and type(path[1]) is int:
            lines, columns = self._placed().get(path[0], ((), ()))
            if 0 <= path[1] < len(lines):
                return lines[path[1]], columns[path[1]]
        return self._walker().locate(path)

    def locate_key(self, path: tuple) -> tuple[int | None, int | None]:
        return self._walker().locate_key(path)

    def _placed(self) -> dict[str, tuple[array, array]]:
        if self._items is None:
            raw, self._items = self._raw, {}
            if raw is not None:
                self._items = _top_level_items(raw)
            if raw is not None and self._items:
                self._checksum, self._raw = (len(raw), zlib.crc32(raw)), None
        return self._items

    def _walker(self) -> JsonSource:
        if self._text is None:
            raw = self._raw if self._raw is not None else self._read_again()
            self._text = JsonSource(self.file, raw.decode("utf-8"))
        return self._text

    def _read_again(self) -> bytes:
        raw = read_bytes(self.file, self._limits)
        if (len(raw), zlib.crc32(raw)) != self._checksum:
            raise InputError("file changed while dlc was checking it", self.file)
        return raw


_RAW_ITEMS = msgspec.json.Decoder(list[msgspec.Raw])
_RAW_MEMBERS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_SPACE = re.compile(rb"[ \t\r\n]*+")
_GAP = re.compile(rb"[ \t\r\n,]*+")
_KEY = re.compile(rb'"(?:[^"\\]|\\.)*+"')


def _top_level_items(raw: bytes) -> dict[str, tuple[array, array]]:
    """(lines, columns) of the items of each list among the top-level members of the JSON object
    in `raw`, worked out in one pass over the bytes; empty unless msgspec reads the members as
    written (no repeated key)."""
    at, offsets = _SPACE.match(raw).end() + 1, {}  # just past the "{"
    try:
        for key, value in _RAW_MEMBERS.decode(raw).items():  # in the order written
            written = _KEY.match(raw, _SPACE.match(raw, at).end())
            if written is None or json.loads(written.group()) != key:
                return {}
            at = _SPACE.match(raw, _SPACE.match(raw, written.end()).end() + 1).end()  # past the ":"
            if raw[at : at + 1] == b"[":
                lengths = list(map(len, _RAW_ITEMS.decode(memoryview(raw)[at : at + len(value)])))
                offsets[key] = _item_offsets(raw, at, lengths, len(value))
            at = _GAP.match(raw, at + len(value)).end()
    except (msgspec.DecodeError, ValueError):
        return {}
    if raw[at : at + 1] != b"}":
        return {}
    # compact JSON: a column is an offset (1M flows: 0.9 of 1.8 s)
    if raw.isascii() and b"\n" not in raw:
        return {
            key: (array("l", [1]) * len(starts), array("l", [at + 1 for at in starts]))
            for key, starts in offsets.items()
        }
    return {key: _lines_and_columns(raw, starts) for key, starts in offsets.items()}


def _item_offsets(raw: bytes, at: int, lengths: list[int], span: int) -> array:
    """Offsets of the items of the list at `at` of `span` bytes, given their lengths. Written
    without spaces, a list has exactly one comma between items, and offsets are sums of lengths;
    otherwise the gaps between items are read."""
    if lengths and span == 2 + sum(lengths) + len(lengths) - 1:
        return array("q", accumulate(map((1).__add__, lengths[:-1]), initial=at + 1))
    items, at = array("q"), at + 1
    for length in lengths:
        at = _GAP.match(raw, at).end()
        items.append(at)
        at += length
    return items


def _lines_and_columns(raw: bytes, offsets: array) -> tuple[array, array]:
    """The line and column (in characters) of each of the increasing byte `offsets`."""
    ascii = raw.isascii()  # then a character is a byte: no slice is decoded to count them
    lines, columns = array("l"), array("l")
    line, column, previous = 1, 1, 0
    for offset in offsets:  # between two items, or a line start and an item: whole characters
        newlines = raw.count(b"\n", previous, offset)
        if newlines:
            line += newlines
            previous = raw.rfind(b"\n", previous, offset) + 1
            column = 1
        column += offset - previous if ascii else len(raw[previous:offset].decode("utf-8"))
        lines.append(line)
        columns.append(column)
        previous = offset
    return lines, columns
