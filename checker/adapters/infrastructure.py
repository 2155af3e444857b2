"""What the infrastructure adapters (Terraform, Kubernetes) share beyond reading their format:
the data a store holds when it carries none of dlc's own keys, typos of those keys, and the
notices about what an adapter skipped.

A store's data is classified by dlc's own tags or annotations (the adapter reads those), else by
the configuration's `classification` entries matching the organisation's own tags (`classified`),
else it is unclassified (`unclassified_dataset`): its origin is then the store's country, and rule
UNCLASSIFIED-DATA-CROSSES-BORDER reports it when it leaves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from checker.config import Classification, Infrastructure
from checker.findings import Finding
from checker.model import Dataset

TYPO_DISTANCE = 2


def edit_distance(a: str, b: str, limit: int = TYPO_DISTANCE) -> int:
    """Levenshtein distance of a and b, or limit + 1 once it is certain to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def typo_of(key: str, own_keys: Iterable[str], infrastructure: Infrastructure) -> str | None:
    """The key of dlc's that `key` was probably meant to be: within edit distance 2 of it on the raw,
    case-sensitive key. A key equal to one of dlc's but for case is that key (adapters read keys
    case-insensitively), and keys the configuration classifies by are never typos."""
    if key in infrastructure.classified_keys():
        return None
    for own in own_keys:
        if key.lower() == own.lower():
            return None
    close = sorted((edit_distance(key, own), own) for own in own_keys)
    return close[0][1] if close and close[0][0] <= TYPO_DISTANCE else None


def classified(
    owner: str, labels: Mapping[str, object], infrastructure: Infrastructure, country: str | None
) -> tuple[dict, Classification] | None:
    """The body of dataset `<owner>#data` that the configuration's classification entries give a
    store carrying `labels`, with the first entry that matched (to point a finding at its tag);
    None when none matches. Entries add up: categories are joined, the first origin given wins
    (else the store's `country`), the largest subject count, important if any says so."""
    matched = infrastructure.classify(labels)
    if not matched:
        return None
    categories = list(dict.fromkeys(category for entry in matched for category in entry.categories))
    origin = next((entry.origin for entry in matched if entry.origin), country)
    body: dict = {
        "id": f"{owner}#data",
        "description": "classified by dlc.yaml: "
        + ", ".join(f"{entry.key}={labels.get(entry.key)}" for entry in matched),
    }
    if origin is not None:
        body["origin"] = origin
    if categories:
        body["categories"] = categories
    subjects = [entry.subjects for entry in matched if entry.subjects is not None]
    if subjects:
        body["subjects"] = max(subjects)
    flags = [entry.important for entry in matched if entry.important is not None]
    if flags:
        body["important"] = any(flags)
    return body, matched[0]


def unclassified_dataset(owner: str) -> Dataset:
    """The data of a store nobody classified: no origin, no categories (model.unclassified)."""
    return Dataset(
        id=f"{owner}#data",
        description="unclassified: no dlc tags and no classification entry match",
    )


def store_country(location: str) -> str | None:
    """The country of a location as a spec writes it, None when the catalog does not know it (the
    system's own location error reports that)."""
    from checker.resolve.regions import UnknownLocation, default_catalog

    try:
        return default_catalog().country_of(location)
    except UnknownLocation:
        return None


def skipped_notice(
    rule: str,
    title: str,
    subject: str,
    message: str,
    remediation: str,
    file: str | None,
    line: int | None,
) -> Finding:
    """A notice about inputs an adapter did not evaluate: never a violation, never silent."""
    return Finding(
        rule=rule,
        title=title,
        severity="info",
        category="spec-integrity",
        subject_kind="spec",
        subject_id=subject,
        dataset=None,
        path=(),
        message=message,
        references=(),
        remediation=remediation,
        file=file,
        line=line,
    )
