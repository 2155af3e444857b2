"""Rules as written (RuleDef) and as compiled against a policy (CompiledRule)."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from checker.errors import PolicyError, RuleError
from checker.language import dated, tally
from checker.language.conditions import Binding, Compiler, Predicate, always, facts_of, needed_facts
from checker.language.facts import (
    DATASET_STAGE_PREFIXES,
    FACTS,
    PER_DATASET_PREFIXES,
    WHERE_IT_WENT,
    cost,
    describe,
)

# Every `{...}` in a message is a placeholder: {path}, {param.NAME} or a fact of the rule's subject.
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class RuleDef:
    """A rule file after schema validation; `data` is the validated mapping."""

    data: dict
    file: str
    line: int | None

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def defaults(self) -> dict[str, object]:
        return {name: spec["default"] for name, spec in self.data.get("parameters", {}).items()}

    @property
    def references(self) -> tuple[str, ...]:
        return tuple(format_reference(ref) for ref in self.data["references"])


def format_reference(ref: str | dict) -> str:
    if isinstance(ref, str):
        return ref
    return f"{ref['law']} {ref['article']} ({ref['effective']})"


@dataclass(frozen=True)
class CompiledRule:
    id: str
    title: str
    severity: str
    category: str
    subject: str
    notice: bool
    effective: dt.date
    until: dt.date | None
    references: tuple[str, ...]
    description: str
    remediation: str
    parameters: dict[str, object]
    lift: frozenset[str]
    per_dataset: bool
    dataset_test: (
        Predicate  # the dataset-only part of `when`, run once per dataset (a DatasetContext)
    )
    predicate: Predicate  # the rest: a subject is a finding if both hold
    needs: frozenset[str]  # facts that must be present for `when` to hold (conditions.needed_facts)
    follows: bool  # reads where the dataset went (facts.WHERE_IT_WENT), in `when` or the message
    render: Callable[[object], str]
    definition: RuleDef
    # (first day, the rule compiled with its parameters and groups as they stood from that day),
    # oldest first, when a value it uses is dated (language/dated.py); () when none is
    versions: tuple[tuple[dt.date, CompiledRule], ...] = ()

    def in_force(self, as_of: dt.date) -> bool:
        return self.effective <= as_of and (self.until is None or as_of < self.until)

    def at(self, day: dt.date) -> CompiledRule:
        """The rule with the values in force on `day`: what the engine evaluates (once per run)."""
        if not self.versions:
            return self
        return self.versions[bisect.bisect_right([start for start, _ in self.versions], day) - 1][1]


def compile_rule(
    rule: RuleDef,
    parameters: dict[str, object],
    groups: Mapping[str, object],
    severity: str | None = None,
) -> CompiledRule:
    """Compile `rule` with the parameter values and country groups given. A dated value (a
    language.dated form, or a Timeline) makes one version per period between its changes; the
    result is the latest version, carrying every version in `versions` and the values as written
    in `parameters`."""
    timelines = {}
    for name, value in parameters.items():
        try:
            timelines[name] = dated.parse(value)
        except ValueError as exc:
            raise RuleError(
                f"rule {rule.id}: parameter '{name}': {exc}", rule.file, rule.line
            ) from None
    used_groups = {
        name: groups[name]
        for name in groups_of([rule.data["when"], rule.data.get("cumulative", {})])
        if name in groups
    }
    changes = sorted(dated.changes_of([*timelines.values(), *used_groups.values()]))
    if not changes:
        return _compile(rule, parameters, groups, severity)
    versions = tuple(
        (
            day,
            _compile(
                rule,
                {name: dated.at(value, day) for name, value in timelines.items()},
                {name: dated.at(group, day) for name, group in groups.items()},
                severity,
            ),
        )
        for day in (dt.date.min, *changes)
    )
    return dataclasses.replace(versions[-1][1], parameters=timelines, versions=versions)


def compile_for_policy(
    rule: RuleDef, setting: dict, groups: Mapping[str, object], set_at: tuple | None = None
) -> CompiledRule:
    """Compile `rule` with what a policy sets for it: `parameters` over the rule's defaults, and
    `severity`. A value the rule cannot take is the policy's fault when the rule compiles with its
    own defaults: the error then names where the policy set the parameters (`set_at`: file, line,
    column), not the rule file."""
    severity = setting.get("severity")
    try:
        return compile_rule(
            rule, {**rule.defaults, **setting.get("parameters", {})}, groups, severity
        )
    except RuleError as exc:
        if set_at is None:
            raise
        try:
            compile_rule(rule, dict(rule.defaults), groups, severity)
        except RuleError:
            raise exc from None
        raise PolicyError(f"settings.{rule.id}.parameters: {exc.message}", *set_at) from None


def groups_of(node) -> set[str]:
    """The country groups a rule's conditions (or any part of its data) refer to."""
    if isinstance(node, dict):
        if set(node) == {"group"}:
            return {node["group"]}
        return set().union(*map(groups_of, node.values()))
    if isinstance(node, list):
        return set().union(*map(groups_of, node))
    return set()


def _compile(
    rule: RuleDef, parameters: dict[str, object], groups: Mapping[str, object], severity: str | None
) -> CompiledRule:
    data = rule.data
    facts = FACTS[data["subject"]]
    lift = frozenset(data.get("lift", ()))
    binding = Binding(parameters, groups)
    tests_datasets = any(name.startswith(PER_DATASET_PREFIXES) for name in facts_of(data["when"]))
    try:
        if "cumulative" in data:  # its facts read the count of the rule's own exports
            counted = tally.compile_tally(
                data["cumulative"], Compiler(rule.id, FACTS["flow"], binding, lift, cost)
            )
            facts = {**facts, **tally.facts(counted)}
        compiler = Compiler(rule.id, facts, binding, lift, cost)
        if data["subject"] == "dataset" or (
            tests_datasets and data["subject"] in ("flow", "system")
        ):
            dataset_test, predicate = compiler.staged(data["when"], DATASET_STAGE_PREFIXES)
        else:
            dataset_test, predicate = always, compiler.compile(data["when"])
        render = _message_renderer(data["message"], facts, lift, parameters, compiler)
    except RuleError as exc:
        raise RuleError(exc.message, rule.file, rule.line) from None
    # per dataset if the condition or the message reads a dataset's facts
    per_dataset = any(name.startswith(PER_DATASET_PREFIXES) for name in compiler.used)
    return CompiledRule(
        id=rule.id,
        title=data["title"],
        severity=severity or data["severity"],
        category=data["category"],
        subject=data["subject"],
        notice=data.get("notice", False),
        effective=dt.date.fromisoformat(data["effective"]),
        until=dt.date.fromisoformat(data["until"]) if "until" in data else None,
        references=rule.references,
        description=data.get("description", data["title"]).strip(),
        remediation=data["remediation"].strip(),
        parameters=parameters,
        lift=lift,
        per_dataset=per_dataset,
        dataset_test=dataset_test,
        predicate=predicate,
        needs=frozenset(needed_facts(data["when"])),
        follows=not WHERE_IT_WENT.isdisjoint(compiler.used),
        render=render,
        definition=rule,
    )


def _message_renderer(
    template: str, facts: dict, lift: frozenset, parameters: dict, compiler: Compiler
) -> Callable[[Any], str]:
    """Check every `{placeholder}` now, in the order written, so rendering a message can never fail
    later and a `{...}` that is not a placeholder is an error rather than printed as written."""
    getters: dict[str, Callable[[Any], str]] = {}
    for name in dict.fromkeys(_PLACEHOLDER.findall(template)):
        if name == "path":
            getters[name] = lambda ctx: " → ".join(ctx.path()) or "none"
        elif name.startswith("param."):
            if name[6:] not in parameters:
                raise compiler.fail(f"message refers to undeclared parameter '{name[6:]}'")
            text = describe(parameters[name[6:]])
            getters[name] = lambda ctx, text=text: text  # type: ignore[misc]  # mypy cannot type lambda defaults
        elif name in facts:
            compiler.used.add(name)
            getters[name] = lambda ctx, getter=facts[name].bind(lift): describe(getter(ctx))  # type: ignore[misc]  # noqa: B008 - bound once
        elif "." in name:
            raise compiler.fail(f"message refers to unknown fact '{{{name}}}'")
        else:
            raise compiler.fail(
                f"message has '{{{name}}}', which is not a placeholder "
                "(use {path}, {param.NAME} or a fact of the rule's subject)"
            )
    parts = _PLACEHOLDER.split(template)  # text, placeholder, text, ..., text
    if len(parts) == 1:
        return lambda ctx: template
    pieces = [
        (lambda ctx, text=part: text) if index % 2 == 0 else getters[part]
        for index, part in enumerate(parts)
    ]
    return lambda ctx: "".join([piece(ctx) for piece in pieces])
