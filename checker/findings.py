"""The result model every layer shares: severities, the one finding model, and the report that the
engine fills and every renderer reads; the exit-code policy lives here. It imports nothing of dlc's
at run time, so the rule language, the engine, the adapters and the renderers can all use it
without depending on each other."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from checker.adapters import NotChecked
    from checker.model import Coverage, Spec

SEVERITIES = ("low", "medium", "high", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
FAIL_ON = (*SEVERITIES, "never")  # --fail-on: the lowest severity that fails a check, or never


@dataclass(frozen=True)
class Suppression:
    """Why a finding does not count: an exemption or a baseline entry."""

    kind: str  # "exemption" | "baseline"
    justification: str
    owner: str | None = None
    expires: dt.date | None = None


@dataclass(frozen=True)
class Related:
    """Another place a finding concerns: the plan or manifest line of a resource bound to the spec's
    system, or the spec line of the system an infrastructure flow leaves (resolve/binding.py)."""

    file: str | None
    line: int | None
    column: int | None
    message: str

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "message": self.message}


@dataclass(slots=True)
class Finding:
    """Never changed once made (a suppressed finding is a copy, by dataclasses.replace); slotted
    rather than frozen, which costs a second per million findings."""

    rule: str
    title: str
    severity: str  # low | medium | high | critical (notices: "notice")
    category: str
    subject_kind: str  # flow | system | dataset | approval | spec
    subject_id: str
    dataset: str | None
    path: tuple[str, ...]
    message: str
    references: tuple[str, ...]
    remediation: str
    file: str | None
    line: int | None
    column: int | None = None
    suppression: Suppression | None = None
    related: tuple[Related, ...] = ()  # the other side of a bound spec and its infrastructure

    def sort_key(self) -> tuple:
        return (
            -SEVERITY_RANK.get(self.severity, -1),
            self.rule,
            self.file or "",
            self.subject_kind,
            self.subject_id,
            self.dataset or "",
            self.path,
            self.message,
        )

    def fingerprint(self) -> str:
        """Stable identity for baselines and SARIF: independent of line numbers and wording."""
        return "|".join((self.rule, self.subject_kind, self.subject_id, self.dataset or ""))

    # A finding's object in the JSON report (DESIGN.md) is four runs of members, alternating
    # between what the rule fixes (the same in every finding of the rule) and what this finding
    # says, so that a report of a million findings can encode each rule's runs once (json_report).

    def rule_fields(self) -> tuple:
        return (
            self.rule,
            self.title,
            self.severity,
            self.category,
            self.references,
            self.remediation,
        )

    @staticmethod
    def rule_members(fields: tuple) -> tuple[dict, dict]:
        """The runs that `rule_fields` fix: the first, and the third."""
        rule, title, severity, category, references, remediation = fields
        return (
            {"rule": rule, "title": title, "severity": severity, "category": category},
            {"references": list(references), "remediation": remediation},
        )

    def own_members(self) -> tuple[dict, dict]:
        """The runs that are this finding's own: the second, and the last."""
        where: dict = {"location": {"file": self.file, "line": self.line}}
        if self.related:
            where["related"] = [place.as_dict() for place in self.related]
        if self.suppression is not None:
            where["suppressed"] = {
                "kind": self.suppression.kind,
                "justification": self.suppression.justification,
                "owner": self.suppression.owner,
                "expires": self.suppression.expires.isoformat()
                if self.suppression.expires
                else None,
            }
        return (
            {
                "subject": {"kind": self.subject_kind, "id": self.subject_id},
                "dataset": self.dataset,
                "path": list(self.path),
                "message": self.message,
            },
            where,
        )


@dataclass(frozen=True)
class RuleInfo:
    """What a renderer needs to describe a rule (SARIF driver rules, Markdown help links)."""

    id: str
    title: str
    severity: str
    category: str
    description: str
    references: tuple[str, ...]
    remediation: str


@dataclass
class Resources:
    """Infrastructure resources over all inputs: `summary.resources` in the JSON report."""

    seen: int = 0
    evaluated: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def add(self, coverage: Coverage) -> None:
        self.seen += coverage.seen
        self.evaluated += coverage.evaluated
        for reason, count in coverage.skipped.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + count

    def as_dict(self) -> dict:
        return {
            "seen": self.seen,
            "evaluated": self.evaluated,
            "skipped": dict(sorted(self.skipped.items())),
        }


@dataclass
class Report:
    as_of: dt.date
    version: str
    violations: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    notices: list[Finding] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    rules: list[RuleInfo] = field(default_factory=list)
    specs: int = 0
    # (spec, its systems' countries) for the renderers that draw each spec's flows; kept only when
    # one of them was asked for (checker.report.FORMATS, needs_graphs): it holds every spec in memory
    graphs: list[tuple[Spec, dict[str, str]]] = field(default_factory=list)
    resources: Resources = field(default_factory=Resources)
    # files that were no input of dlc's
    skipped_inputs: list[NotChecked] = field(default_factory=list)
    run: dict | None = None  # the audit trail (checker/evaluate/audit.py)

    def sort(self) -> None:
        for findings in (self.violations, self.suppressed, self.notices):
            findings.sort(key=Finding.sort_key)

    def by_severity(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for finding in self.violations:
            counts[finding.severity] = counts.get(finding.severity, 0) + 1
        return {name: counts[name] for name in reversed(SEVERITIES) if name in counts}

    def failing(self, fail_on: str) -> list[Finding]:
        if fail_on == "never":
            return []
        floor = SEVERITY_RANK[fail_on]
        return [f for f in self.violations if SEVERITY_RANK[f.severity] >= floor]

    def exit_code(self, fail_on: str) -> int:
        """2 when anything could not be evaluated, 1 when a violation reaches `fail_on`, else 0."""
        if self.errors:
            return 2
        return 1 if self.failing(fail_on) else 0
