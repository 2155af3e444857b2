"""What the Terraform and Kubernetes adapters share.

Both read loosely typed JSON/YAML written by other tools, point each spec field at the place it
came from, read a dataset from tags or annotations, and let datasets travel along the flows
they found. One implementation, so the two inputs cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from checker.errors import InputError
from checker.load.spec import input_error_from
from checker.model import Dataset, Source, SourceRef


def as_list(value) -> list:
    return value if isinstance(value, list) else []


def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def dig(data, *keys):
    """The value at keys (mapping keys and list indexes), or None where the path breaks off."""
    for key in keys:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return None
    return data


class FieldSource:
    """A source that points each spec field of a declaration at the document path it came from,
    so a finding about a system's location names the line of its region, not of its name."""

    def __init__(self, source, default: tuple, fields: dict[str, tuple]) -> None:
        self.file = source.file
        self.source = source
        self.default = default
        self.fields = fields

    def locate(self, path: tuple):
        if path and path[0] in self.fields:
            return self.source.locate(self.fields[path[0]])
        return self.source.locate(self.default)

    locate_key = locate  # a field the adapter wrote has no key of its own in the input


def validated(model, body: dict, where: Source):
    """`body` as a model, or an input error naming the declaration and where it was written."""
    from pydantic import ValidationError  # imported by the careful path alone, as in load/spec.py

    from checker.load import validation

    try:
        return validation.validate(model, body)
    except ValidationError as exc:
        detail = input_error_from(exc, where)
        line, column = where.locate(())
        raise InputError(f"{body.get('id')}: {detail.message}", where.file, line, column) from None


def declared_dataset(
    owner: str,
    source,
    read: Callable[[str], tuple[str | None, tuple]],
    label: Callable[[str], str],
    fail: Callable[[str, tuple], InputError],
    separators: str = r"[,;\s]+",
    description: str | None = None,
) -> tuple[Dataset, SourceRef] | None:
    """The dataset `<owner>#data` its tags or annotations declare, with where each field was written.

    `read(key)` gives the text written for origin, categories, subjects or important (None when
    absent) and its path in `source`; `label(key)` names that tag in messages; `fail(message, path)`
    makes the error. Categories without an origin are an error: data of unknown origin cannot be judged."""
    origin, origin_at = read("origin")
    categories, categories_at = read("categories")
    if not origin and not categories:
        return None
    if not origin:
        raise fail(
            f"{label('categories')} says what data it holds, but {label('origin')} (the country it "
            "was collected in) is missing",
            categories_at,
        )
    body: dict = {"id": f"{owner}#data", "origin": origin.strip().upper()}
    fields = {"origin": origin_at}
    if categories:
        body["categories"] = list(
            dict.fromkeys(c.lower() for c in re.split(separators, categories) if c)
        )
        fields["categories"] = categories_at
    subjects, at = read("subjects")
    if subjects is not None:
        digits = subjects.strip().replace("_", "").replace(",", "")
        if not digits.isdigit():
            raise fail(f"{label('subjects')} must be a whole number, not '{subjects}'", at)
        body["subjects"] = int(digits)
    important, at = read("important")
    if important is not None:
        body["important"] = true_or_false(important, label("important"), fail, at)
    if description:
        body["description"] = description
    return (
        validated(Dataset, body, FieldSource(source, origin_at, {})),
        SourceRef(FieldSource(source, origin_at, fields), ()),
    )


def true_or_false(
    text: str, label: str, fail: Callable[[str, tuple], InputError], at: tuple
) -> bool:
    flag = text.strip().lower()
    if flag not in ("true", "false"):
        raise fail(f"{label} must be true or false, not '{text}'", at)
    return flag == "true"


def held_by_owner(datasets) -> dict[str, str]:
    """Each declared dataset `<owner>#data` -> its owner, the store that holds it (model.Spec.held_at)."""
    return {ident: ident.rsplit("#", 1)[0] for ident in datasets}


def carried_datasets(systems, datasets, hops: list[tuple[str, str]]) -> dict[str, set[str]]:
    """The datasets each system holds: its own (`<system>#data`) and every one a chain of
    (from, to) hops brings to it, since a flow carries on what reached its source."""
    holds: dict[str, set[str]] = {system: set() for system in systems}
    for dataset in datasets:
        holds[dataset.rsplit("#", 1)[0]].add(dataset)
    changed = True
    while changed:
        changed = False
        for source, target in hops:
            before = len(holds[target])
            holds[target] |= holds[source]
            changed |= len(holds[target]) != before
    return holds
