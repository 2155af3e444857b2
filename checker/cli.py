"""The `dlc` command line. The only place that turns errors into messages and exit codes."""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import shutil
import sys
import time
from collections.abc import Iterable
from contextlib import contextmanager, suppress
from dataclasses import replace
from typing import NoReturn

import click

from checker import __version__
from checker.adapters import INPUT_TYPES
from checker.errors import DlcError, UsageError
from checker.findings import FAIL_ON
from checker.load.documents import DEFAULT_LIMITS, Limits
from checker.report import FORMATS
from checker.text import clean


def _fail(exc: DlcError) -> NoReturn:
    click.echo(f"dlc: error: {exc}", err=True)
    sys.exit(2)


def _as_of(value: str | None) -> dt.date:
    if value is None:
        from checker.evaluate.audit import today

        return today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of '{value}' is not a date in YYYY-MM-DD form") from None


def _formats(formats: tuple[str, ...], outputs: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """Pair each --format with the --output at the same position; the rest go to stdout."""
    names = [name.strip() for value in formats for name in value.split(",") if name.strip()] or [
        "text"
    ]
    unknown = [name for name in names if name not in FORMATS]
    if unknown:
        raise UsageError(f"unknown format '{unknown[0]}' (choose from {', '.join(FORMATS)})")
    if len(outputs) > len(names):
        raise UsageError("more --output files than --format names")
    pairs = [(name, outputs[i] if i < len(outputs) else None) for i, name in enumerate(names)]
    if sum(1 for _, out in pairs if out is None) > 1:
        raise UsageError(
            "several formats would all go to stdout: give an --output for each but one"
        )
    return pairs


def _limit_options(command):
    for flag, field, default in (
        ("--max-file-bytes", "max_file_bytes", DEFAULT_LIMITS.max_file_bytes),
        ("--max-scalar-bytes", "max_scalar_bytes", DEFAULT_LIMITS.max_scalar_bytes),
        ("--max-depth", "max_depth", DEFAULT_LIMITS.max_depth),
        ("--max-aliases", "max_aliases", DEFAULT_LIMITS.max_aliases),
        ("--max-documents", "max_documents", DEFAULT_LIMITS.max_documents),
    ):
        command = click.option(
            flag,
            field,
            type=click.IntRange(min=1),
            default=default,
            show_default=True,
            help="input limit (see README: hostile input)",
        )(command)
    return command


def _config_options(command):
    """--config and --default-location: what every command reading inputs accepts."""
    command = click.option(
        "--default-location",
        help="location (CN, aws:cn-north-1, ...) of infrastructure whose "
        "location cannot be derived",
    )(command)
    return click.option(
        "--config",
        "config_file",
        help="configuration file (default: dlc.yaml or .dlc.yaml here "
        "or in a parent up to the repository root; DLC_CONFIG=none for none)",
    )(command)


def _include_root_option(command):
    return click.option(
        "--include-root",
        metavar="DIR",
        help="directory a spec's includes may reach anywhere in "
        "(default: each include stays in the folder of the spec naming it)",
    )(command)


def _include_root(value: str | None) -> str | None:
    if value is not None and not os.path.isdir(value):
        raise UsageError(f"--include-root '{value}' is not a directory")
    return value


def _config(flag: str | None):
    from checker.config import find_config

    return find_config(flag)


def _infrastructure(config, default_location: str | None):
    """The configuration's infrastructure settings, with --default-location in place of its own."""
    if default_location is None:
        return config.infrastructure
    from checker.resolve.regions import UnknownLocation, default_catalog

    try:
        default_catalog().country_of(default_location)
    except UnknownLocation as exc:
        raise UsageError(f"--default-location: {exc}") from None
    return replace(config.infrastructure, default_location=default_location)


def _limits(options: dict) -> Limits:
    return Limits(**{name: options.pop(name) for name in list(options) if name.startswith("max_")})


class _Dlc(click.Group):
    """The command group, remembering the arguments it was called with for the audit trail."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["dlc.argv"] = list(args)
        return super().parse_args(ctx, args)


def _command() -> list[str]:
    """The command line as the user typed it, named `dlc` however it was started (`python -m checker`)."""
    return ["dlc", *click.get_current_context().meta.get("dlc.argv", [])]


@click.group(cls=_Dlc, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dlc")
def main() -> None:
    """dlc: data-localization and export-control compliance checker.

    Supports compliance work; it is not legal advice.
    """


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--policy", help="built-in policy name or policy file (default: the built-in default policy)"
)
@click.option("--rules", "rule_dirs", multiple=True, help="extra rule directory (repeatable)")
@click.option(
    "--format",
    "formats",
    multiple=True,
    help=f"{'|'.join(FORMATS)}; repeat or comma-separate for several",
)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    help="file for the --format at the same position (default stdout)",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    help="lowest severity that makes the exit code 1 (default: low)",
)
@click.option(
    "--as-of", help="evaluation date YYYY-MM-DD for rules, approvals and exemptions (default today)"
)
@click.option("--exemptions", "exemption_files", multiple=True, help="exemptions file (repeatable)")
@click.option("--input-type", type=click.Choice(INPUT_TYPES), default="auto", show_default=True)
@click.option(
    "--baseline",
    "baseline_file",
    help="baseline file: findings recorded there are suppressed, only new ones fail",
)
@click.option(
    "--write-baseline", "write_baseline", help="write the current violations to this baseline file"
)
@click.option(
    "--color/--no-color",
    default=None,
    help="colour text output (default: when stdout is a terminal)",
)
@_include_root_option
@_config_options
@_limit_options
def check(
    paths,
    policy,
    rule_dirs,
    formats,
    outputs,
    fail_on,
    as_of,
    exemption_files,
    input_type,
    baseline_file,
    write_baseline,
    color,
    include_root,
    config_file,
    default_location,
    **limit_options,
) -> None:
    """Evaluate specs, Terraform plan JSON and Kubernetes manifests (files or directories)."""
    from checker.evaluate.audit import now, run_facts
    from checker.evaluate.run import Options
    from checker.evaluate.run import check as run_check
    from checker.findings import Report
    from checker.load.policy import load_policy
    from checker.load.rules import load_baseline, load_exemptions
    from checker.report.baseline import baseline_document

    limits = _limits(limit_options)
    progress = _Progress(enabled=sys.stderr.isatty())
    evaluation_date = dt.date.today()
    # the clock, for the report of an error before now() has read SOURCE_DATE_EPOCH (or because it could not)
    started_at, command = dt.datetime.now(dt.UTC).replace(microsecond=0), _command()
    try:
        started_at = now()
        config = _config(config_file)  # flags win over the file, each in its own right
        policy, rule_dirs = policy or config.policy, rule_dirs or config.rules
        formats, outputs = (
            (formats, outputs) if formats else (config.format, outputs or config.output)
        )
        fail_on = fail_on or config.fail_on or "low"
        exemption_files = exemption_files or config.exemptions
        baseline_file = baseline_file or config.baseline
        evaluation_date = _as_of(as_of)
        targets = _formats(formats, outputs)
        options = Options(
            as_of=evaluation_date,
            limits=limits,
            input_type=input_type,
            progress=progress,
            infrastructure=_infrastructure(config, default_location),
            include_root=_include_root(include_root),
            keep_graphs=any(FORMATS[name].needs_graphs for name, _ in targets),
            started_at=started_at,
            command=tuple(command),
            exemption_files=exemption_files,
            baseline_file=baseline_file,
        )
        loaded_policy = load_policy(policy, list(rule_dirs))
        options = replace(
            options,
            exemptions=[e for f in exemption_files for e in load_exemptions(f, limits)],
            baseline=load_baseline(baseline_file) if baseline_file else frozenset(),
        )
    except DlcError as exc:
        if any(name == "json" for name, _ in _formats_or_text(formats, outputs)):
            report = Report(
                as_of=evaluation_date,
                version=__version__,
                errors=[exc.as_dict()],
                run=run_facts(
                    started_at,
                    command,
                    exemption_files=exemption_files,
                    baseline_file=baseline_file,
                ),
            )
            _emit(report, _formats_or_text(formats, outputs), color)
        _fail(exc)
    with _collector_paused():
        with progress:
            report = run_check(list(paths), loaded_policy, options)
        _emit(report, targets, color)
    if write_baseline:
        _write(
            write_baseline,
            [(json.dumps(baseline_document(report), indent=2) + "\n").encode("utf-8")],
        )
    for error in report.errors:
        click.echo(f"dlc: error: {DlcError(**error)}", err=True)
    sys.exit(report.exit_code(fail_on))


class _Progress:
    """One overwritten status line on a terminal's stderr, for runs that take more than a second
    (a small check prints nothing; a pipe or CI log never sees it). Used as a context manager,
    so the line is wiped even when the run fails."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = self.last = time.monotonic()
        self.shown = False

    def __call__(self, message: str) -> None:
        now = time.monotonic()
        if self.enabled and now - self.start >= 1 and now - self.last >= 0.1:
            width = shutil.get_terminal_size().columns
            self._write("\r\033[K" + f"dlc: {now - self.start:5.1f}s {clean(message)}"[: width - 1])
            self.last, self.shown = now, True

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.shown:
            self._write("\r\033[K")

    @staticmethod
    def _write(text: str) -> None:
        sys.stderr.write(text)
        sys.stderr.flush()


@contextmanager
def _collector_paused():
    """A check builds millions of small objects and no garbage cycles; Python's cyclic collector
    would walk them over and over for nothing (most of the load time at 1M flows)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _formats_or_text(formats, outputs) -> list[tuple[str, str | None]]:
    try:
        return _formats(formats, outputs)
    except DlcError:
        return [("text", None)]


def _emit(report, targets: list[tuple[str, str | None]], color: bool | None) -> None:
    """Each format to its output. A format that streams (JSON) is written as UTF-8 bytes as it
    renders, so a report of a million findings is never held whole; the others are text, which
    click writes to a terminal in the terminal's own way."""
    for name, output in targets:
        form = FORMATS[name]
        if output is not None:
            _write(output, form.pieces(report))
        elif form.streams:
            for piece in form.pieces(report):
                click.echo(piece, nl=False)
        else:
            use_color = (
                color
                if color is not None
                else (sys.stdout.isatty() and "NO_COLOR" not in os.environ)
            )
            click.echo(form.render(report, color=use_color), nl=False)


def _write(path: str, pieces: Iterable[bytes]) -> None:
    try:
        with open(path, "wb") as handle:
            handle.writelines(pieces)
    except OSError as exc:
        _fail(UsageError(f"cannot write {path}: {exc.strerror}"))


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--input-type", type=click.Choice(INPUT_TYPES), default="auto")
@_include_root_option
@_config_options
@_limit_options
def validate(
    paths, input_type, include_root, config_file, default_location, **limit_options
) -> None:
    """Schema, catalog and reference checks only; no rules are evaluated."""
    specs = _resolved_inputs(
        paths, input_type, config_file, default_location, limit_options, include_root
    )
    from checker.resolve.binding import BoundSpec

    for spec in specs:  # a spec bound to infrastructure: what binding found, no rule evaluated
        if isinstance(spec, BoundSpec):
            binding = spec.binding
            click.echo(
                f"{spec.files[0]}: {len(binding.bound)} resource(s) of {', '.join(binding.infrastructure_files)} "
                f"bound to {len(set(binding.bound.values()))} system(s)"
            )
            for notice in binding.notices:
                click.echo(
                    f"  notice {notice.rule} {notice.subject_kind} {notice.subject_id}: {notice.message} "
                    f"({notice.file}:{notice.line})"
                )
    click.echo(f"{len(specs)} input(s) valid: " + ", ".join(spec.files[0] for spec in specs))


def _resolved_inputs(
    paths,
    input_type: str,
    config_file,
    default_location,
    limit_options: dict,
    include_root: str | None = None,
) -> list:
    """The inputs loaded and resolved against the catalogs, no rule evaluated (validate, import);
    every input error is printed and exits 2."""
    from checker.evaluate.run import Options, load_specs
    from checker.findings import Report
    from checker.resolve.resolver import resolve

    report = Report(as_of=dt.date.today(), version=__version__)
    try:
        infrastructure = _infrastructure(_config(config_file), default_location)
        specs = load_specs(
            list(paths),
            Options(
                dt.date.today(),
                _limits(limit_options),
                input_type,
                infrastructure=infrastructure,
                include_root=_include_root(include_root),
            ),
            report,
        )
        for spec in specs:
            resolve(spec)
    except DlcError as exc:
        _fail(exc)
    for error in report.errors:
        click.echo(f"dlc: error: {DlcError(**error)}", err=True)
    if report.errors:
        sys.exit(2)
    return specs


@main.command("import")
@click.argument("kind", type=click.Choice(("openlineage", "fides")))
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", help="spec file to write (default stdout)")
@_config_options
@_limit_options
def import_(kind, paths, output, config_file, default_location, **limit_options) -> None:
    """Write the dlc spec (YAML) equivalent to OpenLineage event logs or Fides manifests."""
    from checker.adapters.export import spec_yaml

    # resolved: an unknown location or category fails here, not when the written spec is checked
    [spec] = _resolved_inputs(paths, kind, config_file, default_location, limit_options)
    text = spec_yaml(spec, f"dlc import {kind}")
    if output is None:
        click.echo(text, nl=False)
        return
    _write(output, [text.encode("utf-8")])
    click.echo(
        f"dlc: wrote {output}: {len(spec.systems)} systems, {len(spec.datasets)} datasets, "
        f"{len(spec.flows)} flows",
        err=True,
    )


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--rule", "rule_id", required=True, help="id of the rule to explain")
@click.option(
    "--subject", help="only this subject (id or kind/id); default: every subject of the rule"
)
@click.option("--dataset", help="only this dataset")
@click.option(
    "--policy", help="built-in policy name or policy file (default: the built-in default policy)"
)
@click.option("--rules", "rule_dirs", multiple=True, help="extra rule directory (repeatable)")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
)
@click.option("--output", help="file to write (default stdout)")
@click.option(
    "--as-of", help="evaluation date YYYY-MM-DD for rules, approvals and exemptions (default today)"
)
@click.option("--exemptions", "exemption_files", multiple=True, help="exemptions file (repeatable)")
@click.option("--input-type", type=click.Choice(INPUT_TYPES), default="auto", show_default=True)
@_include_root_option
@_config_options
@_limit_options
def explain(
    paths,
    rule_id,
    subject,
    dataset,
    policy,
    rule_dirs,
    output_format,
    output,
    as_of,
    exemption_files,
    input_type,
    include_root,
    config_file,
    default_location,
    **limit_options,
) -> None:
    """Why a rule fired or did not on each subject: every condition test with its fact's value, the
    path, and each approval that could cover it. Exit 0 unless an input error (2)."""
    from checker.evaluate.explain import explain_inputs
    from checker.evaluate.run import Options
    from checker.load.policy import load_policy
    from checker.load.rules import load_exemptions
    from checker.report.explanation import json_pieces, text_pieces

    try:
        config = _config(config_file)  # as for check, but not its report format
        limits = _limits(limit_options)
        options = Options(
            as_of=_as_of(as_of),
            limits=limits,
            input_type=input_type,
            exemptions=[
                e for f in exemption_files or config.exemptions for e in load_exemptions(f, limits)
            ],
            infrastructure=_infrastructure(config, default_location),
            include_root=_include_root(include_root),
        )
        loaded_policy = load_policy(policy or config.policy, list(rule_dirs or config.rules))
        result = explain_inputs(list(paths), loaded_policy, rule_id, options, subject, dataset)
    except DlcError as exc:
        _fail(exc)
    pieces = (json_pieces if output_format == "json" else text_pieces)(result)
    try:
        if output:
            _write(output, (piece.encode("utf-8") for piece in pieces))
        else:
            for piece in pieces:
                click.echo(piece, nl=False)
    except DlcError as exc:  # a rule that cannot be evaluated on a subject met while writing
        _fail(exc)
    for error in result.errors:
        click.echo(f"dlc: error: {DlcError(**error)}", err=True)
    sys.exit(2 if result.errors else 0)


@main.group()
def rules() -> None:
    """List, show and test rules."""


@rules.command("list")
@click.option("--policy", help="policy whose selection, severities and parameters to show")
@click.option("--rules", "rule_dirs", multiple=True, help="extra rule directory (repeatable)")
@click.option("--all", "show_all", is_flag=True, help="also list rules the policy leaves off")
def rules_list(policy, rule_dirs, show_all) -> None:
    """The rules a policy turns on, with severity, subject and effective date."""
    from checker.load.policy import load_policy

    try:
        loaded = load_policy(policy, list(rule_dirs))
    except DlcError as exc:
        _fail(exc)
    on = {rule.id: rule for rule in loaded.rules}
    click.echo(f"policy {loaded.name}: {len(on)} of {len(loaded.available)} rules on")
    shown = sorted(loaded.available if show_all else on)
    width = max(map(len, shown), default=0)
    for rule_id in shown:
        rule = on.get(rule_id)
        data = loaded.available[rule_id].data
        severity = ("notice" if rule.notice else rule.severity) if rule else "off"
        click.echo(
            f"{rule_id:<{width}} {severity:<9} {data['subject']:<9} {data['effective']}  {data['title']}"
        )


@rules.command("show")
@click.argument("rule_id")
@click.option("--policy", help="policy whose parameter values to show")
@click.option("--rules", "rule_dirs", multiple=True)
def rules_show(rule_id, policy, rule_dirs) -> None:
    """A rule, its references, its parameters and country groups as the policy sets them (dated
    values as written, with their dates), and its test cases."""
    from checker.language import dated
    from checker.language.rules import groups_of
    from checker.load.policy import load_policy
    from checker.load.rules import builtin_dir, expected_result, load_rule_tests
    from checker.resolve.binding import binding_rules

    if (
        rule_id in binding_rules()
    ):  # a check of binding a spec to infrastructure, not a library rule
        info = binding_rules()[rule_id]
        click.echo(
            "\n".join(
                [
                    f"{rule_id}: {info.title}",
                    f"  severity: {info.severity}",
                    f"  category: {info.category}    checked when a spec binds plans or manifests (DESIGN.md, Binding)",
                    "  references:",
                    *[f"    - {ref}" for ref in info.references],
                    "  description:",
                    f"    {info.description}",
                    "  remediation:",
                    f"    {info.remediation}",
                ]
            )
        )
        return
    try:
        loaded = load_policy(policy, list(rule_dirs))
        if rule_id not in loaded.available:
            raise UsageError(f"no rule {rule_id} (see `dlc rules list --all`)")
        tests = [
            doc
            for doc in load_rule_tests([builtin_dir("rules"), *rule_dirs])
            if doc.data["rule"] == rule_id
        ]
    except DlcError as exc:
        _fail(exc)
    definition = loaded.available[rule_id]
    data = definition.data
    compiled = next((rule for rule in loaded.rules if rule.id == rule_id), None)
    lines = [
        f"{rule_id}: {data['title']}",
        f"  severity: {compiled.severity if compiled else data['severity']}"
        f"{'' if compiled else ' (off in policy ' + loaded.name + ')'}"
        f"{' (notice)' if data.get('notice') else ''}",
        f"  category: {data['category']}    subject: {data['subject']}",
        f"  in force: {data['effective']}" + (f" until {data['until']}" if "until" in data else ""),
        f"  file: {definition.file}",
        "  references:",
        *[f"    - {ref}" for ref in definition.references],
    ]
    if data.get("description"):
        lines += [
            "  description:",
            *[f"    {line}" for line in data["description"].strip().splitlines()],
        ]
    values = compiled.parameters if compiled else definition.defaults
    if values:
        lines.append(f"  parameters (policy {loaded.name}):")
        for name, spec in data.get("parameters", {}).items():
            lines.append(
                f"    {name} = {json.dumps(dated.written(values[name]))}  # {spec['description'].strip()}"
            )
    used = sorted(
        name
        for name in groups_of([data["when"], data.get("cumulative", {})])
        if name in loaded.groups
    )
    if used:
        lines.append(f"  country groups (policy {loaded.name}):")
        lines += [
            f"    {name} = {json.dumps(_group_shown(dated.written(loaded.groups[name])))}"
            for name in used
        ]
    if "cumulative" in data:
        lines += [
            "  counted across exports:",
            *[f"    {line}" for line in json.dumps(data["cumulative"], indent=2).splitlines()],
        ]
    lines += [
        "  condition:",
        *[f"    {line}" for line in json.dumps(data["when"], indent=2).splitlines()],
        f"  message: {data['message'].strip()}",
        "  remediation:",
        *[f"    {line}" for line in data["remediation"].strip().splitlines()],
    ]
    for doc in tests:
        lines.append(f"  test cases ({doc.source.file}):")
        for case in doc.data["cases"]:
            expect = ", ".join(e["subject"] for e in case.get("expect", ())) or "no finding"
            lines.append(f"    - {case['name']} → {expected_result(case)}: {expect}")
    click.echo("\n".join(lines))


def _group_shown(members) -> list:
    """A group as the policy wrote it (sorted when it is a plain set)."""
    return sorted(members) if isinstance(members, frozenset) else members


@rules.command("test")
@click.argument("directories", nargs=-1)
@click.option("--policy", help="policy whose country groups the cases use (default: default)")
@click.option("-v", "--verbose", is_flag=True, help="list passing cases too")
def rules_test(directories, policy, verbose) -> None:
    """Run the test cases beside each rule (built-in rules when no DIR is given)."""
    from checker.evaluate.rule_tests import run_rule_tests
    from checker.load.policy import load_policy
    from checker.load.rules import builtin_dir

    try:
        loaded = load_policy(policy, list(directories))
        results = run_rule_tests(list(directories) or [builtin_dir("rules")], loaded)
    except DlcError as exc:
        _fail(exc)
    counts = {
        status: sum(r.status == status for r in results)
        for status in ("passed", "failed", "skipped")
    }
    for result in results:
        if (
            verbose or result.status != "passed" or result.detail
        ):  # a pass with a note says why it passed
            click.echo(
                f"{result.status[:4].upper()} {result.rule}: {result.name} ({result.file}:{result.line})"
                + "".join(f"\n     {line}" for line in result.detail.splitlines())
            )
    click.echo(
        f"{counts['passed']} passed, {counts['failed']} failed"
        + (f", {counts['skipped']} skipped" if counts["skipped"] else "")
    )
    sys.exit(1 if counts["failed"] or not results else 0)


@main.command()
@click.argument("what", type=click.Choice(("spec", "rule", "policy", "exemptions", "rule-tests")))
def schema(what) -> None:
    """Print a JSON Schema: spec, rule, policy, exemptions or rule-tests."""
    import msgspec

    from checker.language import schemas
    from checker.model import SpecFile

    document = {
        "spec": lambda: {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "dlc spec (version 1)",
            **msgspec.json.schema(SpecFile),
        },
        "rule": lambda: schemas.RULE_SCHEMA,
        "policy": lambda: schemas.POLICY_SCHEMA,
        "exemptions": lambda: schemas.EXEMPTIONS_SCHEMA,
        "rule-tests": lambda: schemas.RULE_TESTS_SCHEMA,
    }[what]()
    click.echo(json.dumps(document, indent=2))


@main.command()
@click.argument("what", type=click.Choice(("categories", "countries", "regions", "accelerators")))
def catalog(what) -> None:
    """Print a shipped catalog: data categories, countries, cloud regions or accelerators."""
    if what == "categories":
        from checker.resolve.categories import default_taxonomy

        taxonomy = default_taxonomy()
        rows = [f"{name:<28} {taxonomy.descriptions[name]}" for name in taxonomy.names()]
    elif what in ("countries", "regions"):
        from checker.resolve.regions import default_catalog

        regions = default_catalog()
        rows = (
            [f"{code}  {regions.country_name(code)}" for code in regions.countries()]
            if what == "countries"
            else [f"{region:<36} {regions.country_of(region)}" for region in regions.regions()]
        )
    else:
        from checker.resolve.accelerators import default_catalog as accelerators

        rows = [f"{m.name:<28} {m.origin}  {m.eccn:<12} {m.basis}" for m in accelerators().models()]
    click.echo("\n".join(rows))


def _leave(code: int) -> None:
    """Exit without tearing the heap down: after a check of a million flows, freeing tens of
    millions of objects one by one takes seconds and tells the user nothing. Everything written
    is flushed first (report files are closed as they are written)."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a closed pipe or stream: nothing more can reach it
            stream.flush()
    os._exit(code)


def run() -> None:
    """Entry point that never shows a traceback: unexpected failures are exit code 2, one line."""
    try:
        main(standalone_mode=True)
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            _leave(done.code or 0)
        raise
    except DlcError as exc:
        _fail(exc)
    except RecursionError:
        click.echo("dlc: error: input nested too deeply to evaluate", err=True)
        sys.exit(2)
    except MemoryError:
        click.echo(
            "dlc: error: out of memory while reading input (see the --max-… limits)", err=True
        )
        sys.exit(2)
    except Exception as exc:  # fail closed: never pass, never a traceback
        click.echo(f"dlc: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)
