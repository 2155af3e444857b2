"""Every fact reads the contexts it declares (issue 15: typed fact contexts).

The facts are read here on the contexts the engine itself builds while it evaluates the default
policy on the shipped examples, so a renamed context attribute or fact field fails this test (and
the import of facts.py for system facts), not a user's run as "rule could not be evaluated".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict

import pytest

from checker.evaluate.engine import evaluate
from checker.language import tally
from checker.language.contexts import CONTEXTS, Context, DatasetContext, SpecContext
from checker.language.facts import (
    ANY,
    BOOL,
    DATASET_STAGE_PREFIXES,
    FACTS,
    NUMBER,
    PER_DATASET_PREFIXES,
    SET,
    Fact,
)
from checker.load.policy import load_policy
from checker.load.spec import load_spec
from checker.resolve.resolver import resolve

EXAMPLES = [
    "examples/fsd-export.yaml",
    "examples/fsd-export-approved.yaml",
    "examples/cn-training-h100.yaml",
    "examples/connected-vehicles-cn-maker.yaml",
    "examples/eu-us-analytics.yaml",
    "examples/us-doj-bulk-health.yaml",
    "examples/ru-crm.yaml",
]
AS_OF = dt.date(2026, 12, 3)
LIFTS = (frozenset(), frozenset({"anonymized", "aggregated"}))


def _of_kind(kind: str, value: object) -> bool:
    if kind == SET:
        return isinstance(value, frozenset) and all(isinstance(member, str) for member in value)
    if kind == NUMBER:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == BOOL:
        return value is None or isinstance(value, bool)
    return value is None or isinstance(value, str)


@pytest.fixture(scope="module")
def read_facts():
    """(fact, context type) -> the values read, over every context the engine made for the
    default policy on the examples, and a SpecContext (no built-in rule is about the spec)."""
    counts: list[dict[str, Fact]] = []
    original_facts = tally.facts
    with (
        pytest.MonkeyPatch.context() as patch
    ):  # the cumulative.* facts of the rules that count exports
        patch.setattr(tally, "facts", lambda t: counts.append(original_facts(t)) or counts[-1])
        policy = load_policy("default")
    assert counts, "the default policy has rules that count exports"
    every = {name: fact for table in [*FACTS.values(), *counts] for name, fact in table.items()}
    values: dict[tuple[str, type], list] = defaultdict(list)
    scopes = []

    def read(ctx: Context) -> None:
        scopes.append(ctx.scope)
        for (
            name,
            fact,
        ) in every.items():  # facts about a dataset are read only where one is followed
            if type(ctx) in fact.contexts and (
                ctx.dataset_id is not None or not name.startswith(PER_DATASET_PREFIXES)
            ):
                for lift in LIFTS:
                    values[(name, type(ctx))].append(fact.bind(lift)(ctx))

    def spying(test):
        return lambda ctx: read(ctx) or test(ctx)

    def spied(rule):
        return dataclasses.replace(
            rule, predicate=spying(rule.predicate), dataset_test=spying(rule.dataset_test)
        )

    rules = [
        dataclasses.replace(
            rule, versions=tuple((day, spied(version)) for day, version in rule.versions)
        )
        if rule.versions
        else spied(rule)
        for rule in policy.rules
    ]
    for path in EXAMPLES:
        evaluate(resolve(load_spec(path)), rules, AS_OF)
    read(SpecContext(scopes[-1]))
    return every, values


def test_every_fact_is_read_on_every_context_it_declares(read_facts):
    every, values = read_facts
    unread = sorted(
        f"{name} on {context.__name__}"
        for name, fact in every.items()
        for context in fact.contexts
        if not values[(name, context)]
    )
    assert not unread


def test_every_value_read_is_of_its_facts_kind(read_facts):
    every, values = read_facts
    wrong = sorted(
        {
            f"{name} on {context.__name__}: {value!r}"
            for (name, context), read in values.items()
            for value in read
            if not _of_kind(every[name].kind, value)
        }
    )
    assert not wrong


def test_the_samples_are_real_and_varied(read_facts):
    """Not one empty context read many times: the examples give the facts different values."""
    every, values = read_facts
    countries = set(values[("destination.country", CONTEXTS["flow"])])
    assert {"CN", "US"} <= countries
    assert any(value == math.inf for value in values[("dataset.subjects", DatasetContext)])
    assert any(value for value in values[("transfer.mechanisms", CONTEXTS["flow"])])
    assert any(value for value in values[("system.accelerators", CONTEXTS["system"])])


def test_each_subject_offers_only_facts_that_read_its_context():
    for subject, table in FACTS.items():
        assert [
            name for name, fact in table.items() if CONTEXTS[subject] not in fact.contexts
        ] == []


def test_facts_tested_once_per_dataset_read_a_dataset_context():
    """A per-dataset rule's dataset-only tests run on a DatasetContext (engine._DatasetFilter)."""
    staged = {
        name: fact
        for table in FACTS.values()
        for name, fact in table.items()
        if name.startswith(DATASET_STAGE_PREFIXES)
    }
    assert staged and all(DatasetContext in fact.contexts for fact in staged.values())
    assert ANY[2] is DatasetContext
