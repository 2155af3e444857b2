"""Safe, bounded reading of YAML and JSON files into plain data plus a map back to lines.

YAML is read event by event from libyaml (C-accelerated where available) and built here,
so that scalars follow the YAML 1.2 core schema (`NO` stays Norway, `2025-01-01` stays a
string for the model to type), duplicate keys, foreign tags and alias bombs are refused,
and nesting depth is bounded without recursion. JSON is parsed by the C json module; line
numbers are recovered lazily, only for the places a finding or an error points at.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate, repeat
from json.decoder import scanstring  # type: ignore[attr-defined]  # not in typeshed
from typing import Any

import msgspec
import yaml

from checker.errors import InputError, LimitExceeded
from checker.model import Source

_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Limits:
    """Documented input limits; each can be raised with a `--max-…` flag."""

    max_scalar_bytes: int = 1 << 20
    max_file_bytes: int = 1 << 30
    max_depth: int = 64
    max_aliases: int = 1000
    max_alias_nodes: int = 1_000_000
    max_documents: int = 10_000


DEFAULT_LIMITS = Limits()


@dataclass
class Document:
    data: Any  # parsed YAML or JSON: its shape is checked by a schema, not by the type
    source: Source  # YamlSource, JsonSource, or a part of one (load.spec.Embedded)


# --- reading files -----------------------------------------------------------------------


def read_bytes(path: str, limits: Limits) -> bytes:
    """The bytes of a file within the size limit (a UTF-8 byte-order mark is dropped)."""
    try:
        size = os.path.getsize(path)
        if size > limits.max_file_bytes:
            raise LimitExceeded(
                f"file is {size:,} bytes, over the limit of {limits.max_file_bytes:,} "
                "(raise it with --max-file-bytes)",
                path,
            )
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path) from None
    return raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw


def read_text(path: str, limits: Limits) -> str:
    """The text of a UTF-8 file (or UTF-16 with a byte-order mark), or an InputError saying why not."""
    raw = read_bytes(path, limits)
    # PowerShell's `>` writes UTF-16
    encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-16":
            raise InputError(
                "file starts with a UTF-16 byte-order mark but is not valid UTF-16", path, 1, 1
            ) from None
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})", path, line, column
        ) from None
    if not text.strip():
        raise InputError("file is empty", path, 1, 1)
    return text


def load_file(path: str, limits: Limits = DEFAULT_LIMITS, *, multi: bool = False) -> list[Document]:
    """Documents of a YAML or JSON file (JSON by `.json` suffix); one unless `multi`."""
    text = read_text(path, limits)
    if path.lower().endswith(".json"):
        return [load_json(text, path, limits)]
    return load_yaml(text, path, limits, multi=multi)


# --- YAML ----------------------------------------------------------------------------------

_CORE_SCHEMA = (  # YAML 1.2.2 core schema, section 10.3.2
    ("null", re.compile(r"^(?:~|null|Null|NULL|)$")),
    ("bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")),
    ("int", re.compile(r"^[-+]?[0-9]+$")),
    ("int8", re.compile(r"^0o[0-7]+$")),
    ("int16", re.compile(r"^0x[0-9a-fA-F]+$")),
    ("float", re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")),
    ("inf", re.compile(r"^[-+]?(?:\.inf|\.Inf|\.INF)$")),
    ("nan", re.compile(r"^(?:\.nan|\.NaN|\.NAN)$")),
)
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS: dict[str, type[Any]] = {
    _TAG + "int": int,
    _TAG + "float": float,
    _TAG + "bool": bool,
    _TAG + "null": type(None),
}
_COLLECTION_TAGS = {
    yaml.MappingStartEvent: (_TAG + "map", "a mapping"),
    yaml.SequenceStartEvent: (_TAG + "seq", "a sequence"),
}
_CORE_TAGS = {*_SCALAR_TAGS, _TAG + "str", _TAG + "map", _TAG + "seq"}


def _plain_scalar(text: str) -> object:
    for kind, pattern in _CORE_SCHEMA:
        if pattern.match(text):
            if kind == "null":
                return None
            if kind == "bool":
                return text.lower() == "true"
            if kind in ("inf", "nan"):
                raise ValueError(f"'{text}' is not a finite number")
            if len(text) > _MAX_NUMBER_CHARS:
                raise ValueError(
                    f"number of {len(text):,} characters is too long (at most {_MAX_NUMBER_CHARS:,})"
                )
            if kind == "int":
                return int(text)
            if kind == "int8":
                return int(text[2:], 8)
            if kind == "int16":
                return int(text[2:], 16)
            number = float(text)
            if math.isinf(number):
                raise ValueError(f"'{text[:40]}' is not a finite number")
            return number
    return text


# Python refuses int() of more than 4,300 digits; no field of any input needs numbers that long,
# and non-finite numbers (.nan, .inf, 1e400) would make every comparison a rule makes fail open.
_MAX_NUMBER_CHARS = 4300


class _Node:
    """Where a value was written; `children` mirrors the value's dict or list."""

    __slots__ = ("children", "column", "keys", "line", "size")

    def __init__(self, line: int, column: int, children=None) -> None:
        self.line = line
        self.column = column
        self.children = children
        self.keys: dict | None = None
        self.size = 1


def _child(node: _Node, step) -> _Node | None:
    """The node at key or index `step` under `node`; None where the path leaves the document."""
    children = node.children
    if isinstance(children, dict):
        return children.get(step)
    if isinstance(children, list) and isinstance(step, int) and 0 <= step < len(children):
        return children[step]
    return None


class YamlSource:
    def __init__(self, file: str, root: _Node) -> None:
        self.file = file
        self.root = root

    def locate(self, path: tuple) -> tuple[int | None, int | None]:
        """Where the value at `path` is written (or the deepest part of it that exists)."""
        node = self.root
        for step in path:
            child = _child(node, step)
            if child is None:
                break
            node = child
        return node.line, node.column

    def locate_key(self, path: tuple) -> tuple[int | None, int | None]:
        """Where the last key of `path` is written (not its value, which may be an alias)."""
        parent = self.root
        for step in path[:-1]:
            child = _child(parent, step)
            if child is None:
                return self.locate(path)
            parent = child
        if path and parent.keys and path[-1] in parent.keys:
            return parent.keys[path[-1]]
        return self.locate(path)


def load_yaml(
    text: str, file: str, limits: Limits = DEFAULT_LIMITS, *, multi: bool = False
) -> list[Document]:
    try:
        return _build(yaml.parse(text, Loader=_Parser), file, limits, multi)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        if exc.context and exc.problem:
            problem = f"{exc.problem} ({exc.context})"
        raise InputError(
            f"malformed YAML: {problem}",
            file,
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML forbids
        at = _character_offset(text, exc.position)
        line, column = text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1
        character = (
            f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        )
        raise InputError(
            f"malformed YAML: character {character} is not allowed in YAML ({exc.reason})",
            file,
            line,
            column,
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {' '.join(str(exc).split())}", file) from None


def _character_offset(text: str, position: int) -> int:
    """Where a reader error points in `text`: libyaml counts bytes of the UTF-8 text, the
    pure-Python reader counts characters."""
    if _Parser is not yaml.SafeLoader:
        position = len(text.encode()[:position].decode("utf-8", "ignore"))
    return min(max(position, 0), len(text))


def _build(events, file: str, limits: Limits, multi: bool) -> list[Document]:
    documents: list[Document] = []
    stack: list[_Frame] = []  # the mappings and sequences open around the next event
    anchors: dict[str, tuple[object, _Node]] = {}
    aliases = alias_nodes = 0
    root: tuple[object, _Node] | None = None
    document_start = None

    def place(value: object, node: _Node, mark) -> None:
        nonlocal root
        if not stack:
            root = (value, node)
            return
        frame = stack[-1]
        container, parent = frame.container, frame.node
        parent.size += node.size
        if isinstance(container, list):
            container.append(value)
            parent.children.append(node)
        elif frame.key is _NO_KEY:
            if not isinstance(value, (str, int, float, bool)) and value is not None:
                raise InputError(
                    "a mapping key must be a scalar", file, mark.line + 1, mark.column + 1
                )
            if not isinstance(
                value, str
            ):  # as in JSON: `1:`, `true:` or `~:` as a key is a slip, not a field
                what = {
                    type(None): "null",
                    bool: "a boolean",
                    int: "an integer",
                    float: "a number",
                }[type(value)]
                raise InputError(
                    f"a mapping key must be a string, not {what} (put it in quotes)",
                    file,
                    mark.line + 1,
                    mark.column + 1,
                )
            if value in container:
                raise InputError(
                    f"duplicate key '{value}' (first at line {parent.keys[value][0]})",  # type: ignore[index]
                    file,
                    mark.line + 1,
                    mark.column + 1,
                )
            frame.key, frame.key_at = value, (mark.line + 1, mark.column + 1)
        else:
            key = frame.key
            container[key] = value
            parent.children[key] = node
            parent.keys[key] = frame.key_at  # type: ignore[index]  # a mapping's node has keys
            frame.key = _NO_KEY

    for event in events:
        mark = event.start_mark
        if isinstance(event, yaml.ScalarEvent):
            if len(event.value) > limits.max_scalar_bytes:
                raise LimitExceeded(
                    f"scalar of {len(event.value):,} characters is over the limit of "
                    f"{limits.max_scalar_bytes:,} (raise it with --max-scalar-bytes)",
                    file,
                    mark.line + 1,
                    mark.column + 1,
                )
            value = _scalar(event, file)
            node = _Node(mark.line + 1, mark.column + 1)
            if event.anchor:
                anchors[event.anchor] = (value, node)
            place(value, node, mark)
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            tag, kind = _COLLECTION_TAGS[type(event)]
            if event.tag not in (None, "!", tag):
                raise _tag_error(event.tag, kind, file, mark)
            if len(stack) >= limits.max_depth:
                raise LimitExceeded(
                    f"nesting is deeper than the limit of {limits.max_depth} "
                    "(raise it with --max-depth)",
                    file,
                    mark.line + 1,
                    mark.column + 1,
                )
            mapping = isinstance(event, yaml.MappingStartEvent)
            node = _Node(mark.line + 1, mark.column + 1, {} if mapping else [])
            if mapping:
                node.keys = {}
            stack.append(_Frame({} if mapping else [], node, event.anchor, mark))
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            frame = stack.pop()
            if frame.anchor:
                anchors[frame.anchor] = (frame.container, frame.node)
            place(frame.container, frame.node, frame.mark)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                raise InputError(
                    f"alias '*{event.anchor}' refers to no anchor (or to one still open)",
                    file,
                    mark.line + 1,
                    mark.column + 1,
                )
            aliases += 1
            value, node = anchors[event.anchor]
            alias_nodes += node.size
            if aliases > limits.max_aliases:
                raise LimitExceeded(
                    f"more than {limits.max_aliases:,} alias uses (raise it with --max-aliases)",
                    file,
                    mark.line + 1,
                    mark.column + 1,
                )
            if alias_nodes > limits.max_alias_nodes:
                raise LimitExceeded(
                    f"aliases expand to more than {limits.max_alias_nodes:,} values "
                    "(an alias bomb?)",
                    file,
                    mark.line + 1,
                    mark.column + 1,
                )
            place(value, node, mark)
        elif isinstance(event, yaml.DocumentStartEvent):
            document_start = mark
        elif isinstance(event, yaml.DocumentEndEvent):
            if root is not None:
                documents.append(Document(root[0], YamlSource(file, root[1])))
            root = None
            anchors.clear()
            if not multi and len(documents) > 1:
                raise InputError(
                    "more than one YAML document in a file that takes one",
                    file,
                    document_start.line + 1,
                    1,
                )
            if len(documents) > limits.max_documents:
                raise LimitExceeded(
                    f"more than {limits.max_documents:,} documents (raise it with --max-documents)",
                    file,
                    document_start.line + 1,
                    1,
                )
    documents = [doc for doc in documents if doc.data is not None]
    if not documents:
        raise InputError("file holds no data", file, 1, 1)
    return documents


_NO_KEY = object()


class _Frame:
    """A mapping or sequence being built: its value, where it is written, its anchor, and in a
    mapping the key read whose value is still to come, with its (line, column)."""

    __slots__ = ("anchor", "container", "key", "key_at", "mark", "node")

    def __init__(self, container: dict | list, node: _Node, anchor: str | None, mark) -> None:
        self.container = container
        self.node = node
        self.anchor = anchor
        self.mark = mark
        self.key: object = _NO_KEY
        self.key_at: tuple[int, int] | None = None


def _plain_number(event: yaml.ScalarEvent, file: str) -> Any:
    try:
        return _plain_scalar(event.value)
    except ValueError as exc:
        mark = event.start_mark
        raise InputError(str(exc), file, mark.line + 1, mark.column + 1) from None


def _scalar(event: yaml.ScalarEvent, file: str) -> object:
    tag, value = event.tag, event.value
    if tag is None:
        return _plain_number(event, file) if event.implicit[0] and not event.style else value
    if tag in ("!", _TAG + "str"):
        return value
    expected = _SCALAR_TAGS.get(tag)
    if expected is None:
        raise _tag_error(tag, "a scalar", file, event.start_mark)
    resolved = _plain_number(event, file)
    if type(resolved) is expected or (expected is float and type(resolved) is int):
        return float(resolved) if expected is float else resolved
    mark = event.start_mark
    raise InputError(
        f"'{value}' is not a valid !!{tag[len(_TAG) :]}", file, mark.line + 1, mark.column + 1
    )


def _tag_error(tag: str, kind: str, file: str, mark) -> InputError:
    """A core-schema tag on the wrong kind of node is a slip worth naming; any other tag could
    ask a loader to build objects, so it is refused outright."""
    if tag in _CORE_TAGS:
        problem = f"tag '!!{tag[len(_TAG) :]}' does not fit {kind}"
    else:
        problem = f"tag '{tag}' is not allowed"
    return InputError(problem, file, mark.line + 1, mark.column + 1)


# --- JSON ----------------------------------------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _DuplicateKey(Exception):
    pass


def _reject_duplicates(pairs: list) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def _no_constant(name: str) -> None:
    raise _BadNumber(name, f"malformed JSON: {name} is not valid JSON")


class _BadNumber(Exception):
    pass


def _json_int(text: str) -> int:
    if len(text) > _MAX_NUMBER_CHARS:
        raise _BadNumber(
            text, f"number of {len(text):,} characters is too long (at most {_MAX_NUMBER_CHARS:,})"
        )
    return int(text)


def _json_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise _BadNumber(text, f"'{text[:40]}' is not a finite number")
    return number


def load_json(text: str, file: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    _check_json_shape(text, file, limits)
    try:
        data = json.loads(
            text,
            object_pairs_hook=_reject_duplicates,
            parse_constant=_no_constant,
            parse_int=_json_int,
            parse_float=_json_float,
        )
    except _BadNumber as exc:
        at = _find_outside_strings(text, exc.args[0])
        line, column = JsonSource(file, text).position(at) if at is not None else (None, None)
        raise InputError(exc.args[1], file, line, column) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg}", file, exc.lineno, exc.colno) from None
    except _DuplicateKey as exc:
        line, column = JsonSource(file, text).position(_find_duplicate(text, exc.args[0]))
        raise InputError(f"duplicate key '{exc.args[0]}'", file, line, column) from None
    except RecursionError:
        raise LimitExceeded("JSON nesting is too deep", file) from None
    return Document(data, JsonSource(file, text))


# A JSON string, from two fragments. Every repeat is possessive and a string that is never closed
# runs to the end of the text (a lone backslash included), so a scan never restarts at a quote
# inside a string: each pass over the text is linear, however escape-heavy it is.
_PLAIN, _ESCAPE = r'[^"\\]', r"\\."
_STRING = rf'"{_PLAIN}*+(?:{_ESCAPE}{_PLAIN}*+)*+(?:"|\\?\Z)'
_STRINGS = re.compile(_STRING, re.S)
_JSON_TOKENS = re.compile(_STRING + r"|[\[\]{}]", re.S)  # strings and brackets, in order
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_NOT_BRACKET_TABLE = dict.fromkeys(map(ord, " \t\r\n,:0123456789.-+eEtrufalsn"))
_DEPTH = {"[": 1, "{": 1, "]": -1, "}": -1}


def _find_outside_strings(text: str, token: str) -> int | None:
    """Offset of the first `token` that is not inside a string (error path only)."""
    for match in re.finditer(_STRING + "|" + re.escape(token), text, re.S):
        if match.group()[0] != '"':
            return match.start()
    return None


@functools.lru_cache(maxsize=8)
def _through_long_string(limit: int) -> re.Pattern:
    """Matches text up to and through the next string of more than `limit` characters and
    escapes (group 1), skipping shorter strings; the escape-free alternative is the fast one."""
    within = f"{{0,{limit}}}+"
    short = f'"{_PLAIN}{within}"|"(?:{_PLAIN}|{_ESCAPE}){within}"'
    return re.compile(f'(?:[^"]++|{short})*+({_STRING})', re.S)


def _check_string_lengths(text: str, file: str, limit: int) -> None:
    """Refuse a string over `limit` characters, with its position. Only a string written with
    more characters and escapes than that can be, so only those are decoded to count."""
    pattern = _through_long_string(limit)
    at = 0
    while match := pattern.match(text, at):
        at = match.end()
        try:
            length = len(scanstring(text, match.start(1) + 1)[0])
        except ValueError:
            continue  # not a valid string: the parser refuses it and says where
        if length > limit:
            line, column = JsonSource(file, text).position(match.start(1))
            raise LimitExceeded(
                f"string of {length:,} characters is over the limit of {limit:,} "
                "(raise it with --max-scalar-bytes)",
                file,
                line,
                column,
            )


def _check_json_shape(text: str, file: str, limits: Limits) -> None:
    """The scalar-length and nesting-depth limits YAML has, enforced before the C parser runs.

    The fast path is C-speed regex passes (find strings over the limit, drop every string, keep
    only brackets) and a running sum; the token-by-token walk runs only to say where the depth
    limit is broken.
    """
    if len(text) > limits.max_scalar_bytes:  # else no string can be over the limit
        _check_string_lengths(text, file, limits.max_scalar_bytes)
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text).translate(_NOT_BRACKET_TABLE))
    if not brackets or max(accumulate(map(_DEPTH.__getitem__, brackets))) <= limits.max_depth:
        return
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        depth += _DEPTH.get(match.group(), 0)
        if depth > limits.max_depth:
            line, column = JsonSource(file, text).position(match.start())
            raise LimitExceeded(
                f"nesting is deeper than the limit of {limits.max_depth} "
                "(raise it with --max-depth)",
                file,
                line,
                column,
            )


def _find_duplicate(text: str, key: str) -> int:
    """Offset of a repeat of `key` within one object (error path only).

    Members are visited in the order they are written, entering each object or array before
    reading past it: the parser stopped at the object holding the repeat, so the text up to
    there is well-formed even when the file is cut short after it.
    """
    root = _WS.match(text).end()
    walks: list[tuple[Iterator, set]] = [(_members(text, root), set())]
    while walks:
        members, seen = walks[-1]
        member = next(members, None)
        if member is None:
            walks.pop()
            continue
        key_at, name, value_at = member
        if isinstance(name, str):
            if name in seen and name == key:
                return key_at
            seen.add(name)
        if text[value_at] in "{[":
            walks.append((_members(text, value_at), set()))
    return root


def _members(
    text: str, at: int, lengths: list[int] | dict[str, int] | None = None
) -> Iterator[tuple]:
    """(key offset, key or index, value offset) of each member of the object or array at `at`, in
    the order written. A value is skipped by its length in `lengths` when known, else by decoding
    it (an error path); a member is yielded before its value is read past."""
    is_object = text[at] == "{"
    at = _WS.match(text, at + 1).end()
    index = 0
    while text[at] not in "}]":
        if is_object:
            step, after_key = scanstring(text, at + 1)
            value_at = _WS.match(text, _WS.match(text, after_key).end() + 1).end()  # past the ":"
        else:
            step, value_at = index, at
        yield at, step, value_at
        end = (
            value_at + lengths[step]
            if lengths is not None
            else _DECODER.raw_decode(text, value_at)[1]
        )
        at = _WS.match(text, end).end()
        if text[at] == ",":
            at = _WS.match(text, at + 1).end()
        index += 1


# msgspec skips over JSON at C speed without building it, and so measures every member of a
# container: a walk then steps over members by their lengths instead of decoding them.
_RAW_ITEMS = msgspec.json.Decoder(list[msgspec.Raw])
_RAW_MEMBERS = msgspec.json.Decoder(dict[str, msgspec.Raw])


def _raw_lengths(text: str, start: int, end: int) -> list[int] | dict[str, int] | None:
    """The lengths in characters of the members of the container text[start:end] (by index or
    key), or None if msgspec cannot read it. msgspec counts UTF-8 bytes: in text that is not ASCII
    each member is decoded to count its characters."""
    try:
        if text[start] == "[":
            raws = _RAW_ITEMS.decode(text[start:end])
            return list(
                map(len, raws if text.isascii() else map(str, map(bytes, raws), repeat("utf-8")))
            )
        members = _RAW_MEMBERS.decode(text[start:end])
        return {
            key: len(raw if text.isascii() else str(bytes(raw), "utf-8"))
            for key, raw in members.items()
        }
    except msgspec.DecodeError:
        return None


class _Container:
    """The members of one object or array of a JSON text, read only as far as walks have asked."""

    def __init__(self, text: str, at: int, end: int | None) -> None:
        self.lengths = _raw_lengths(text, at, end) if end is not None else None
        self.found: dict[
            str | int, tuple[int, int]
        ] = {}  # key or index -> (key offset, value offset)
        self.pending = _members(text, at, self.lengths)

    def member(self, step: str | int) -> tuple[int, int, int | None] | None:
        """(key offset, value offset, value end if known) of member `step`; None if there is none."""
        while step not in self.found:
            member = next(self.pending, None)
            if member is None:
                return None
            key_at, name, value_at = member
            self.found[name] = (key_at, value_at)
        key_at, value_at = self.found[step]
        return key_at, value_at, value_at + self.lengths[step] if self.lengths is not None else None  # type: ignore[index]


_BLOCK = 1024  # characters per block of the line index


class JsonSource:
    """Lines of a JSON text, found by walking it only along the path asked for: each container the
    walk enters is measured once (its end is known from the container holding it), so a member is
    found by stepping over the ones before it."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        self._containers: dict[int, _Container] = {}  # offset -> its members, as far as read
        self._newlines: list[int] | None = None  # newlines before each block
        self._last_newline: list[int] = []  # offset of the last newline before each block

    def locate(self, path: tuple) -> tuple[int | None, int | None]:
        """Where the value at `path` is written (or the deepest part of it that exists)."""
        return self.position(self._walk(path)[1])

    def locate_key(self, path: tuple) -> tuple[int | None, int | None]:
        """Where the last key of `path` is written, as for YAML."""
        return self.position(self._walk(path)[0])

    def _walk(self, path: tuple) -> tuple[int, int]:
        """Offsets of the last key of `path` and of its value; both the deepest value that
        exists where the path leaves the document."""
        text = self.text
        key_at = value_at = _WS.match(text).end()
        end: int | None = len(text)
        while end and text[end - 1] in " \t\r\n":
            end -= 1
        for step in path:
            container = self._containers.get(value_at)
            if container is None and text[value_at] in "{[":
                container = self._containers[value_at] = _Container(text, value_at, end)
            found = container.member(step) if container else None
            if found is None:
                return value_at, value_at
            key_at, value_at, end = found
        return key_at, value_at

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of `offset`, counting within one block of the text: a file of millions
        of lines keeps a count per block, not an offset per line."""
        text = self.text
        if self._newlines is None:
            starts = range(0, len(text) + 1, _BLOCK)
            self._newlines = list(
                accumulate((text.count("\n", start, start + _BLOCK) for start in starts), initial=0)
            )
            self._last_newline = list(
                accumulate(
                    (text.rfind("\n", max(start - _BLOCK, 0), start) for start in starts), max
                )
            )
        block = offset // _BLOCK
        start = block * _BLOCK
        line = self._newlines[block] + text.count("\n", start, offset)
        newline = text.rfind("\n", start, offset)
        return line + 1, offset - (newline if newline >= 0 else self._last_newline[block])
