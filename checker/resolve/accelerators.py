"""The accelerator catalog and each model's US EAR class under ECCN 3A090.

Classes are computed from datasheet figures by the thresholds in data/ear-3a090.yaml,
never typed by hand, so a corrected figure or threshold re-classifies every model the
same way. Where a figure is missing the answer fails closed: "unclassified" unless no
3A090 paragraph could apply.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from checker.resolve import load_catalog

NOT_3A090 = "not-3A090"
EAR_ORIGIN = (
    "US"  # a part designed by a US vendor is subject to the EAR wherever it is (15 CFR 734.3(a)(2))
)
UNCLASSIFIED = "unclassified"


def normalize(model: str) -> str:
    """Specs, clouds, nvidia-smi and Kubernetes labels spell one model differently only in case and separators."""
    return re.sub(r"[\s_-]+", " ", model).strip().lower()


def _number(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _fmt(value: float) -> str:
    return f"{value:,g}"


def _show(value: float, places: int, bounds: tuple[float, ...]) -> str:
    """Rounded, with more places where rounding would print a value just short of a threshold as the threshold."""
    while places < 6 and any(round(value, places) == bound != value for bound in bounds):
        places += 1
    return f"{value:,.{places}f}"


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of 3A090: a TPP range and, for the density paragraphs, a PD range."""

    paragraph: str
    tpp_min: float | None = None
    tpp_below: float | None = None
    pd_min: float | None = None
    pd_below: float | None = None

    @property
    def eccn(self) -> str:
        return self.paragraph.rsplit(".", 1)[0]

    @property
    def needs_pd(self) -> bool:
        return self.pd_min is not None or self.pd_below is not None

    def tpp_fits(self, tpp: float) -> bool:
        return _within(tpp, self.tpp_min, self.tpp_below)

    def pd_fits(self, pd: float) -> bool:
        return _within(pd, self.pd_min, self.pd_below)

    def explain(self, tpp: str, pd: str | None) -> str:
        terms = [_bounds("TPP", tpp, self.tpp_min, self.tpp_below)]
        if self.needs_pd:
            terms.append(_bounds("PD", pd or "unknown", self.pd_min, self.pd_below))
        return f"{' and '.join(terms)} ({self.paragraph})"


def _within(value: float, low: float | None, below: float | None) -> bool:
    return (low is None or value >= low) and (below is None or value < below)


def _bounds(name: str, shown: str, low: float | None, below: float | None) -> str:
    if low is not None and below is not None:
        return f"{_fmt(low)} ≤ {name} {shown} < {_fmt(below)}"
    if low is not None:
        return f"{name} {shown} ≥ {_fmt(low)}"
    return f"{name} {shown} < {_fmt(below)}" if below is not None else f"{name} {shown}"


@dataclass(frozen=True)
class Thresholds:
    paragraphs: tuple[Paragraph, ...]  # in order of precedence: .a before .b
    note2_tpp_below: float
    source: str

    @classmethod
    def from_data(cls, data: dict) -> Thresholds:
        """A typo here would silently re-classify every model, so the file is checked."""
        try:
            paragraphs = tuple(Paragraph(**entry) for entry in data["paragraphs"])
            thresholds = cls(paragraphs, data["consumer-note-2"]["tpp_below"], data["source"])
        except (KeyError, TypeError) as error:
            raise ValueError(f"ear-3a090.yaml: malformed: {error}") from None
        if not paragraphs or not all(_number(bound) for bound in thresholds.bounds):
            raise ValueError(
                "ear-3a090.yaml: needs paragraphs, and every bound must be a positive number"
            )
        return thresholds

    @property
    def bounds(self) -> tuple[float, ...]:
        limits = (
            limit
            for p in self.paragraphs
            for limit in (p.tpp_min, p.tpp_below, p.pd_min, p.pd_below)
        )
        return (self.note2_tpp_below, *(limit for limit in limits if limit is not None))


def classify(
    tpp: float | None, pd: float | None, datacenter: bool, thresholds: Thresholds
) -> tuple[str, str]:
    """(eccn, basis). Paragraphs are tried in precedence order, so one that needs the unknown PD
    and fits by TPP hides every later one: the answer is then unclassified, never a lower class."""
    if tpp is None:
        return UNCLASSIFIED, "TPP unknown (no published dense TOPS figure): fail closed"
    shown = _show(tpp, 0, thresholds.bounds)
    shown_pd = None if pd is None else _show(pd, 2, thresholds.bounds)
    for paragraph in thresholds.paragraphs:
        if not paragraph.tpp_fits(tpp):
            continue
        if paragraph.needs_pd and pd is None:
            could = [p.paragraph for p in thresholds.paragraphs if p.needs_pd and p.tpp_fits(tpp)]
            eccn, basis = (
                UNCLASSIFIED,
                f"PD unknown and TPP {shown} could meet {', '.join(could)}: fail closed",
            )
            break
        if not paragraph.needs_pd or (pd is not None and paragraph.pd_fits(pd)):
            eccn, basis = paragraph.eccn, paragraph.explain(shown, shown_pd)
            break
    else:
        at = "any PD" if pd is None else f"PD {shown_pd}"
        eccn, basis = NOT_3A090, f"TPP {shown} at {at} meets no paragraph of 3A090.a or .b"
    limit = thresholds.note2_tpp_below
    if not datacenter and tpp < limit and eccn != NOT_3A090:
        return NOT_3A090, f"TPP {shown} < {_fmt(limit)} and not a datacenter part (3A090 Note 2)"
    if not datacenter and tpp >= limit:
        basis += f"; not a datacenter part, but Note 2 needs TPP < {_fmt(limit)}"
    return eccn, basis


@dataclass(frozen=True)
class AcceleratorModel:
    id: str
    vendor: str
    origin: str  # country of the designing vendor
    name: str
    aliases: tuple[str, ...]
    datacenter: bool
    tpp: float | None
    performance_density: float | None
    memory_bandwidth_gbs: float | None
    eccn: str  # "3A090.a" | "3A090.b" | "not-3A090" | "unclassified"
    basis: str
    source: str

    @property
    def us_origin(self) -> bool:
        return self.origin == EAR_ORIGIN


_STRINGS = ("id", "vendor", "origin", "name", "source")
_FIELDS = {*_STRINGS, "aliases", "datacenter", "dense_tops", "die_area_mm2", "memory_bandwidth_gbs"}


def _problem(entry: dict) -> str | None:
    """A broken shipped catalog must fail loudly, not classify from a typo."""
    if missing := _FIELDS - entry.keys():
        return f"missing {sorted(missing)}"
    if unknown := entry.keys() - _FIELDS - {"notes"}:
        return f"unknown {sorted(unknown)} (the class is computed, never stated)"
    if not all(isinstance(entry[key], str) and entry[key].strip() for key in _STRINGS):
        return f"{', '.join(_STRINGS)} must be non-empty strings"
    if not re.fullmatch(r"[A-Z]{2}", entry["origin"]):
        return "origin must be an ISO 3166-1 alpha-2 country code"
    if not isinstance(entry.get("notes", ""), str):
        return "notes must be a string"
    aliases = entry["aliases"]
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        return "aliases must be a list of non-empty strings"
    if not isinstance(entry["datacenter"], bool):
        return "datacenter must be true or false"
    tops = entry["dense_tops"]
    if not isinstance(tops, dict) or not all(
        _number(bits) and isinstance(bits, int) and _number(value) for bits, value in tops.items()
    ):
        return "dense_tops must map bit lengths to positive TOPS"
    for key in ("die_area_mm2", "memory_bandwidth_gbs"):
        if entry[key] is not None and not _number(entry[key]):
            return f"{key} must be a positive number or null"
    return None


def _model(entry: object, thresholds: Thresholds) -> AcceleratorModel:
    if not isinstance(entry, dict):
        raise ValueError(f"accelerators.yaml: entry {entry!r} is not a mapping")
    if problem := _problem(entry):
        raise ValueError(f"accelerators.yaml: model {entry.get('id')!r}: {problem}")
    tpp = max((tops * bits for bits, tops in entry["dense_tops"].items()), default=None)
    die = entry["die_area_mm2"]
    pd = tpp / die if tpp is not None and die is not None else None
    eccn, basis = classify(tpp, pd, entry["datacenter"], thresholds)
    return AcceleratorModel(
        id=entry["id"],
        vendor=entry["vendor"],
        origin=entry["origin"],
        name=entry["name"],
        aliases=tuple(entry["aliases"]),
        datacenter=entry["datacenter"],
        tpp=tpp,
        performance_density=pd,
        memory_bandwidth_gbs=entry["memory_bandwidth_gbs"],
        eccn=eccn,
        basis=basis,
        source=entry["source"],
    )


class AcceleratorCatalog:
    def __init__(self, entries: list, thresholds: Thresholds) -> None:
        if not isinstance(entries, list):
            raise ValueError("accelerators.yaml: expected a list of models")
        self.thresholds = thresholds
        self._by_id: dict[str, AcceleratorModel] = {}
        self._by_spelling: dict[str, AcceleratorModel] = {}
        for entry in entries:
            model = _model(entry, thresholds)
            if model.id in self._by_id:
                raise ValueError(f"accelerators.yaml: model {model.id!r}: duplicate id")
            self._by_id[model.id] = model
            for spelling in (model.name, *model.aliases):
                if other := self._by_spelling.get(normalize(spelling)):
                    raise ValueError(
                        f"accelerators.yaml: model {model.id!r}: {spelling!r} "
                        f"already names {other.id!r}"
                    )
                self._by_spelling[normalize(spelling)] = model

    def lookup(self, model: str) -> AcceleratorModel | None:
        return self._by_spelling.get(normalize(model))

    def models(self) -> list[AcceleratorModel]:
        return [self._by_id[key] for key in sorted(self._by_id)]


@functools.cache
def default_catalog() -> AcceleratorCatalog:
    return AcceleratorCatalog(
        load_catalog("accelerators.yaml"), Thresholds.from_data(load_catalog("ear-3a090.yaml"))
    )
