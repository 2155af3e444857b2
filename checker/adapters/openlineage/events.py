"""Reading OpenLineage run events one at a time, so that a log of a million events costs the
memory of one event, not of the log.

Newline-delimited JSON (what the OpenLineage file transport and most collectors write) is read a
line at a time and each line decoded by msgspec into the few fields dlc uses; a JSON array (what
Marquez's seed file and API exports hold) or pretty-printed events one after another are read a
chunk at a time and cut into values by the standard library's `raw_decode`. Every event comes
with the line it starts on, so a finding or an error points at it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import msgspec

from checker.errors import InputError, LimitExceeded
from checker.load.documents import Limits

_CHUNK = 1 << 20


class Facets(msgspec.Struct):
    """The dataset facets dlc reads; every other facet is skipped unparsed."""

    schema: dict | None = None
    dataSource: dict | None = None
    symlinks: dict | None = None
    columnLineage: dict | None = None
    tags: dict | None = None
    location: dict | None = None


class Dataset(msgspec.Struct):
    namespace: str
    name: str
    # read only when they differ from the dataset's last (Lineage)
    facets: msgspec.Raw = msgspec.Raw(b"")


class Job(msgspec.Struct):
    namespace: str
    name: str


class Event(msgspec.Struct):
    """A run event, or one of spec 2's static events: a job event (no run) says what a job reads and
    writes, a dataset event (no job) carries a dataset's facets."""

    job: Job | None = None
    dataset: Dataset | None = None
    eventType: str | None = None
    eventTime: str | None = None
    # decoded by `datasets` unless the job's last runs had the same
    inputs: msgspec.Raw = msgspec.Raw(b"")
    outputs: msgspec.Raw = msgspec.Raw(b"")


_DECODER = msgspec.json.Decoder(Event)
_FACETS = msgspec.json.Decoder(Facets)
_DATASETS = msgspec.json.Decoder(list[Dataset] | None)


def datasets(raw: bytes, which: str, path: str, line: int) -> list[Dataset]:
    """An event's `which` (inputs or outputs), from `raw` as written."""
    if not raw:
        return []
    try:
        return _DATASETS.decode(raw) or []
    except msgspec.ValidationError as exc:
        message = str(exc).replace("`$", f"`$.{which}", 1)
        raise InputError(f"not an OpenLineage run event: {message}", path, line) from None


def facets(raw: bytes, path: str, line: int) -> Facets:
    """A dataset's facets, from `raw` as written."""
    try:
        return _FACETS.decode(raw)
    except msgspec.ValidationError as exc:
        raise InputError(f"not an OpenLineage dataset's facets: {exc}", path, line) from None


_EVENT_KEYS = ("eventTime", "run", "job")


def looks_like_event(data: object) -> bool:
    """An OpenLineage run event: eventTime, run and job, with eventType or producer. No dlc spec,
    plan or manifest has these keys, so detection is unambiguous."""
    return (
        isinstance(data, dict)
        and all(key in data for key in _EVENT_KEYS)
        and isinstance(data.get("job"), dict)
        and ("eventType" in data or "producer" in data)
    )


def sniff(path: str) -> bool:
    """Whether a file holds OpenLineage events, from its first event only (the file may be huge)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_CHUNK)
    except OSError:
        return False
    if b'"job"' not in head or b'"eventTime"' not in head:  # most JSON: no decoding at all
        return False
    text = head.decode("utf-8", "ignore").lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        text = text[1:].lstrip()
    if not text.startswith("{"):
        return False
    try:
        first, _ = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return False
    return looks_like_event(first)


def read_events(path: str, limits: Limits) -> Iterator[tuple[int, Event]]:
    """(line, event) for each event in the file, in file order."""
    try:
        size = os.path.getsize(path)
        handle = open(path, "rb")  # noqa: SIM115 - closed on the size check or by `with` below
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path) from None
    if size > limits.max_file_bytes:
        handle.close()
        raise LimitExceeded(
            f"file is {size:,} bytes, over the limit of {limits.max_file_bytes:,} "
            "(raise it with --max-file-bytes)",
            path,
        )
    with handle:
        first = handle.readline(_CHUNK)  # a JSON array written on one line is not read whole here
        stripped = first.lstrip(b"\xef\xbb\xbf \t\r\n")
        one_per_line = stripped.startswith(b"{") and _is_whole_value(stripped)
        handle.seek(0)
        yield from (_lines(handle, path) if one_per_line else _values(handle, path))


def _is_whole_value(line: bytes) -> bool:
    try:
        msgspec.json.decode(line)
    except msgspec.DecodeError:
        return False
    return True


def _lines(handle, path: str) -> Iterator[tuple[int, Event]]:
    for number, line in enumerate(handle, 1):
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        if not line.strip():
            continue
        yield number, _decode(line, path, number)


def _decode(raw: bytes, path: str, line: int) -> Event:
    try:
        return _checked(_DECODER.decode(raw), path, line)
    except msgspec.ValidationError as exc:
        raise InputError(f"not an OpenLineage run event: {exc}", path, line) from None
    except msgspec.DecodeError as exc:
        raise InputError(f"malformed JSON: {exc}", path, line) from None


def _checked(event: Event, path: str, line: int) -> Event:
    if event.job is None and event.dataset is None:
        raise InputError(
            "not an OpenLineage event: it names neither a job nor a dataset", path, line
        )
    return event


def _values(handle, path: str) -> Iterator[tuple[int, Event]]:
    """Events of a JSON array, or of JSON objects one after another, a chunk at a time. `counted`
    is how far the newlines of `text` are counted into `line`."""
    decoder = json.JSONDecoder()
    reader = _Text(handle, path)
    text, position, counted, line = reader.more(""), 0, 0, 1
    in_array = None
    while True:
        position = _skip_blank(text, position)
        if position >= len(text):
            if reader.at_end:
                break
            line += text.count("\n", counted, position)
            text, position, counted = reader.more(text[position:]), 0, 0
            continue
        char = text[position]
        if in_array is None and char == "[":
            in_array, position = True, position + 1
            continue
        if in_array and char in ",]":
            in_array = char == ","
            position += 1
            continue
        line += text.count("\n", counted, position)
        counted = position
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            # an error near the end of what is read may be the chunk's end cutting a value (a literal,
            # a number, a string): read more and decode again; an error further in is the file's
            cut_off = len(text) - exc.pos <= 64 or exc.msg.startswith("Unterminated string")
            if cut_off and not reader.at_end:  # the value goes on in the next chunk
                text, position, counted = reader.more(text[position:]), 0, 0
                continue
            raise InputError(
                f"malformed JSON: {exc.msg}", path, line + text.count("\n", position, exc.pos)
            ) from None
        if in_array is False:
            raise InputError("content after the end of the JSON array", path, line)
        if not isinstance(value, dict):
            raise InputError("not an OpenLineage event: expected an object", path, line)
        # as a line of NDJSON is
        yield (
            line,
            _decode(text[position:end].encode("utf-8"), path, line),
        )
        position = end
    if in_array:
        raise InputError("the JSON array is not closed", path, line)


def _skip_blank(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n\ufeff":
        position += 1
    return position


class _Text:
    """The file's text a chunk at a time, UTF-8 decoded incrementally."""

    def __init__(self, handle, path: str) -> None:
        import codecs

        self.handle = handle
        self.path = path
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.at_end = False
        self.size = _CHUNK

    def more(self, rest: str) -> str:
        if self.at_end:
            return rest
        chunk = self.handle.read(self.size)
        if len(rest) > self.size // 2:  # a value longer than a chunk: read more at once
            self.size *= 2
        self.at_end = not chunk
        try:
            return rest + self.decoder.decode(chunk, final=self.at_end)
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text: {exc.reason}", self.path) from None
