"""One check run: inputs in, a Report out. Input errors are recorded per file, never swallowed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from checker import __version__
from checker.adapters import SCANNED_SUFFIXES, NotChecked, Part, join, load_input
from checker.config import NO_INFRASTRUCTURE, Infrastructure
from checker.errors import DlcError, InputError
from checker.evaluate.audit import now, run_facts
from checker.evaluate.engine import evaluate
from checker.findings import Finding, Report, RuleInfo, Suppression
from checker.load.documents import DEFAULT_LIMITS, Limits
from checker.load.policy import Policy
from checker.load.rules import Exemption
from checker.model import Spec
from checker.resolve.binding import (
    BOUND_KINDS,
    BoundSpec,
    DeclaredLocations,
    bind,
    binding_rules,
    binds,
)
from checker.resolve.resolver import resolve

# rule tests live beside rules; `dlc rules test` runs them
SKIPPED_SUFFIXES = (
    ".test.yaml",
    ".test.yml",
)


@dataclass
class Options:
    as_of: dt.date
    limits: Limits = DEFAULT_LIMITS
    input_type: str = "auto"
    exemptions: list[Exemption] = field(default_factory=list)
    baseline: frozenset[str] = frozenset()  # fingerprints of accepted findings (--baseline)
    # where a long run says how far it is
    progress: Callable[[str], None] = field(default=lambda message: None)
    infrastructure: Infrastructure = (
        NO_INFRASTRUCTURE  # what the configuration says that plans and manifests do not
    )
    include_root: str | None = (
        None  # the tree a spec's includes stay in (default: the including spec's folder)
    )
    keep_graphs: bool = False  # keep each spec for a diagram (Markdown, HTML): memory
    # the audit trail (report.run): when and how the check was called, the files named for it
    started_at: dt.datetime = field(default_factory=now)
    command: tuple[str, ...] = ("dlc", "check")
    exemption_files: tuple[str, ...] = ()
    baseline_file: str | None = None


def expand_inputs(paths: list[str]) -> list[tuple[str, bool]]:
    """(file, named explicitly) for every file given or found under a directory given."""
    out = []
    for path in paths:
        if os.path.isdir(path):
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                out += [
                    (os.path.join(folder, name), False)
                    for name in sorted(files)
                    if name.endswith(SCANNED_SUFFIXES) and not name.endswith(SKIPPED_SUFFIXES)
                ]
        elif os.path.exists(path):
            out.append((path, True))
        else:
            raise InputError("no such file or directory", path)
    return out


def load_specs(
    paths: list[str],
    options: Options,
    report: Report,
    inputs: list[tuple[str, str | None]] | None = None,
) -> list[Spec]:
    """Load every input; files that another input includes are checked as part of it, not alone.
    Files that are no input of dlc's are listed in the report; finding nothing to check is an error.
    An adapter's errors in single resources go to the report with the rest of its file evaluated.
    `inputs` hears (path, kind) of every file read, includes too (kind None where it failed)."""
    loaded: list[tuple[str, Spec | None, DlcError | None]] = []
    found: list[tuple[str, bool]] = []
    for given in paths:
        try:
            found += expand_inputs([given])
        except DlcError as exc:  # a missing input is an input error in the report, like any other
            loaded.append((given, None, exc.with_traceback(None)))
    parts: dict[str, list[Part]] = {}
    infrastructure, binders, last_binder = options.infrastructure, [], 0
    for path, explicit in found:
        options.progress(f"loading {path}")
        try:
            read = load_input(
                path,
                options.input_type,
                options.limits,
                explicit,
                infrastructure,
                options.include_root,
            )
        except DlcError as exc:
            # a kept traceback would keep the parsed file
            loaded.append((path, None, exc.with_traceback(None)))
            continue
        if isinstance(read, NotChecked):
            report.skipped_inputs.append(read)
        elif isinstance(read, Part):
            parts.setdefault(read.kind, []).append(read)
        else:
            loaded.append((path, read, None))
            if binds(read):  # a bound resource whose location cannot be derived takes its system's
                binders.append(read)
                last_binder = len(loaded)
                infrastructure = dataclasses.replace(
                    options.infrastructure, declared_location=DeclaredLocations(binders)
                )
    explicitly = dict(found)
    for position, (path, spec, _) in enumerate(loaded[:last_binder]):
        if spec is not None and spec.kind in BOUND_KINDS:  # read before the specs binding it: again
            try:
                again = load_input(
                    path, options.input_type, options.limits, explicitly[path], infrastructure
                )
            except DlcError as exc:
                loaded[position] = (path, None, exc.with_traceback(None))
                continue
            if isinstance(again, Spec):  # as before: a plan or manifests
                loaded[position] = (path, again, None)
    for kind, together in sorted(parts.items()):  # the files of one inventory are one spec
        options.progress(f"reading {kind} inputs: {', '.join(part.path for part in together)}")
        try:
            loaded.append(
                (
                    together[0].path,
                    join(kind, together, options.limits, options.infrastructure),
                    None,
                )
            )
        except DlcError as exc:
            loaded.append((together[0].path, None, exc.with_traceback(None)))
    included = {os.path.realpath(f) for _, spec, _ in loaded if spec for f in spec.files[1:]}
    specs: list[Spec] = []
    for path, spec, error in loaded:
        if os.path.realpath(path) in included:
            continue
        if inputs is not None:
            inputs += [(file, spec.kind) for file in spec.files] if spec else [(path, None)]
        if error is not None:
            report.errors.append(error.as_dict())
            continue
        assert spec is not None  # each entry holds a spec or an error
        specs.append(spec)
        if spec.coverage is not None:
            report.resources.add(spec.coverage)
            report.errors += [problem.as_dict() for problem in spec.coverage.errors]
    try:
        specs = bind(specs)
    except DlcError as exc:  # a resource two systems bind: neither side can be judged
        report.errors.append(exc.as_dict())
        specs = [spec for spec in specs if not binds(spec) and spec.kind not in BOUND_KINDS]
    if not specs and not report.errors:
        report.errors.append(
            InputError(
                "nothing to check: no dlc spec, Terraform plan JSON or Kubernetes manifest found in "
                + ", ".join(paths)
                + (
                    f" ({len(report.skipped_inputs)} file(s) skipped, listed in the report)"
                    if report.skipped_inputs
                    else ""
                )
            ).as_dict()
        )
    return specs


def check(paths: list[str], policy: Policy, options: Options) -> Report:
    report = Report(as_of=options.as_of, version=__version__)
    report.rules = [
        RuleInfo(r.id, r.title, r.severity, r.category, r.description, r.references, r.remediation)
        for r in policy.rules
        if r.in_force(options.as_of)
    ]
    exemptions = [*policy.exemptions, *options.exemptions]
    inputs: list[tuple[str, str | None]] = []
    specs = load_specs(paths, options, report, inputs)
    report.run = run_facts(
        options.started_at,
        options.command,
        policy,
        [rule.id for rule in report.rules],
        inputs,
        options.exemption_files,
        options.baseline_file,
    )
    if any(
        isinstance(spec, BoundSpec) for spec in specs
    ):  # the binding's findings (data/binding.yaml)
        report.rules += binding_rules().values()
    for spec in specs:
        try:
            resolved = resolve(spec)
            options.progress(f"evaluating {spec.files[0]}: {len(spec.flows):,} flows")
            violations, notices, rule_errors = evaluate(
                resolved, policy.rules, options.as_of, options.progress
            )
            if isinstance(
                spec, BoundSpec
            ):  # the spec's ids back, both sides' places, binding's findings
                violations, notices = spec.binding.finish(violations, notices)
        except DlcError as exc:
            report.errors.append(exc.as_dict())
            continue
        report.errors += [
            error.as_dict() for error in rule_errors
        ]  # the other rules' findings stand
        report.specs += 1
        if options.keep_graphs:
            report.graphs.append((spec, resolved.country))
        report.notices += notices
        if spec.coverage is not None:
            report.notices += spec.coverage.notices
        for finding in violations:
            suppressed = _exempt(finding, exemptions, options.as_of) or _baselined(
                finding, options.baseline
            )
            (report.suppressed if suppressed else report.violations).append(suppressed or finding)
    report.notices += _expired_exemptions(exemptions, options.as_of)
    report.sort()
    return report


def _matches(exemption: Exemption, finding: Finding) -> bool:
    subject = f"{finding.subject_kind}/{finding.subject_id}"
    return (
        fnmatch.fnmatchcase(finding.rule, exemption.rule)
        and (
            fnmatch.fnmatchcase(subject, exemption.subject)
            or fnmatch.fnmatchcase(finding.subject_id, exemption.subject)
        )
        and (
            exemption.dataset is None
            or fnmatch.fnmatchcase(finding.dataset or "", exemption.dataset)
        )
    )


def _exempt(finding: Finding, exemptions: Sequence[Exemption], as_of: dt.date) -> Finding | None:
    for exemption in exemptions:
        if exemption.applies(as_of) and _matches(exemption, finding):
            return dataclasses.replace(
                finding,
                suppression=Suppression(
                    "exemption", exemption.justification, exemption.owner, exemption.expires
                ),
            )
    return None


def _baselined(finding: Finding, baseline: frozenset[str]) -> Finding | None:
    if finding.fingerprint() not in baseline:
        return None
    return dataclasses.replace(
        finding,
        suppression=Suppression(
            "baseline", "accepted in the baseline; only new findings fail the build"
        ),
    )


def _expired_exemptions(exemptions: list[Exemption], as_of: dt.date) -> list[Finding]:
    return [
        Finding(
            rule="DLC-EXEMPTION-EXPIRED",
            title="An exemption has expired and no longer applies",
            severity="notice",
            category="approval",
            subject_kind="spec",
            subject_id=f"{e.rule} {e.subject}",
            dataset=e.dataset,
            path=(),
            message=f"The exemption for {e.rule} on {e.subject} (owner {e.owner}) expired on {e.expires}; "
            "findings it covered are reported again.",
            references=(),
            remediation="Renew the exemption with a new justification, or fix the findings.",
            file=e.file,
            line=e.line,
        )
        for e in exemptions
        if as_of >= e.expires
    ]
