"""Values that change with the law: a parameter or country group as it stood on a given day.

Lists in force change (a country leaves an embargo group, an adequacy decision is adopted) and
so do thresholds. Both are written as data, in two forms:

    d5_countries: [AF, BY, {value: KH, until: 2026-02-03}, ...]     # members with since/until
    tpp_threshold: {dated: [{value: 4800}, {from: 2026-01-15, value: 21000}]}   # a value by period

A member is in the list from `since` (inclusive) until `until` (exclusive), the convention of
a rule's `effective`/`until`; a `dated` value holds from its `from` to the next entry's, the
first entry (which has no `from`) before all of them. A rule is compiled once per period between
the dates its values change (language/rules.py) and the engine picks the version in force on
the evaluation date once per run: the hot path never sees a date.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timeline:
    """A value that changes on `changes`; `at(day)` is the plain value in force that day."""

    written: object  # as written, for `dlc rules show`
    changes: tuple[dt.date, ...]  # sorted days on which the value may differ from the day before
    values: tuple[Any, ...]  # values[i] holds from changes[i - 1] (values[0]: before all)

    def at(self, day: dt.date) -> Any:
        return self.values[bisect.bisect_right(self.changes, day)]


def _day(text: object, where: str) -> dt.date:
    if not isinstance(text, str):
        raise ValueError(f"{where}: a date is written YYYY-MM-DD, not {text!r}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{where}: '{text}' is not a valid date") from None


def _is_member(item: object) -> bool:
    return isinstance(item, dict)


def is_dated(value: object) -> bool:
    return (isinstance(value, dict) and "dated" in value) or (
        isinstance(value, list) and any(map(_is_member, value))
    )


def parse(value: object) -> Any:
    """The value itself if it never changes, else its Timeline. Raises ValueError naming the part
    that is wrong (the loaders add file and line)."""
    if isinstance(value, dict) and "dated" in value:
        return _by_period(value)
    if isinstance(value, list) and any(map(_is_member, value)):
        return _by_member(value)
    return value


def _by_period(value: dict) -> Timeline:
    if set(value) != {"dated"} or not isinstance(value["dated"], list) or not value["dated"]:
        raise ValueError(
            "a dated value is {dated: [{value: V}, {from: YYYY-MM-DD, value: V}, ...]}"
        )
    starts: list[dt.date] = []
    values: list = []
    for index, entry in enumerate(value["dated"]):
        where = f"dated[{index}]"
        if not isinstance(entry, dict) or "value" not in entry or set(entry) - {"from", "value"}:
            raise ValueError(f"{where}: an entry is {{from: YYYY-MM-DD, value: V}}")
        if is_dated(entry["value"]):
            raise ValueError(f"{where}: a dated value cannot hold another")
        if index == 0:
            if "from" in entry:
                raise ValueError(
                    "dated[0]: the first entry has no `from`: it is the value before every change"
                )
        else:
            start = _day(entry.get("from"), f"{where}.from")
            if starts and start <= starts[-1]:
                raise ValueError(f"{where}.from: {start} is not after the previous entry's")
            starts.append(start)
        values.append(entry["value"])
    return Timeline(value, tuple(starts), tuple(values))


def _by_member(items: list) -> Timeline:
    spans: list[tuple[object, dt.date | None, dt.date | None]] = []
    for index, item in enumerate(items):
        if not _is_member(item):
            spans.append((item, None, None))
            continue
        where = f"[{index}]"
        if (
            "value" not in item
            or set(item) - {"value", "since", "until"}
            or not ({"since", "until"} & set(item))
        ):
            raise ValueError(
                f"{where}: a dated member is {{value: V, since: YYYY-MM-DD, until: YYYY-MM-DD}} "
                "with since, until or both"
            )
        if isinstance(item["value"], (dict, list)):
            raise ValueError(f"{where}.value: a member is a single value")
        since = _day(item["since"], f"{where}.since") if "since" in item else None
        until = _day(item["until"], f"{where}.until") if "until" in item else None
        if since and until and until <= since:
            raise ValueError(f"{where}: until {until} is not after since {since}")
        spans.append((item["value"], since, until))
    changes = tuple(sorted({day for _, since, until in spans for day in (since, until) if day}))
    days = (dt.date.min, *changes)
    values = tuple(
        [
            value
            for value, since, until in spans
            if (since is None or since <= day) and (until is None or day < until)
        ]
        for day in days
    )
    return Timeline(items, changes, values)


def changes_of(values: Iterable[object]) -> set[dt.date]:
    return {day for value in values if isinstance(value, Timeline) for day in value.changes}


def at(value: object, day: dt.date) -> Any:
    return value.at(day) if isinstance(value, Timeline) else value


def written(value: object) -> object:
    """What the author wrote, for display."""
    return value.written if isinstance(value, Timeline) else value
