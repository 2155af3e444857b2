"""Counting across exports: a rule's `cumulative` block and the `cumulative.*` facts it gives.

Some thresholds count every export of the year, not one dataset (China's Order 16: individuals
whose information a processor has exported since 1 January). A rule says which (flow, dataset)
crossings are exports (`exports`, a condition over flow facts), which counted datasets are
sensitive (`sensitive`), and how overlapping datasets are counted (`overlap`). The engine counts
once per spec and evaluation (contexts.Scope.tally), lazily, for all rules that count alike, and
the rule's condition then reads:

    cumulative.subjects            individuals across the counted exports
    cumulative.sensitive_subjects  of them, in datasets the `sensitive` condition holds for
    cumulative.other_subjects      the rest (the "not including sensitive" counts of Order 16)
    cumulative.count               how many datasets were counted
    cumulative.exports             the contributing flows, at most 10 named, for the message

Every dataset is added (fail closed) except one whose individuals are declared among those of a
counted dataset (`subset_of`, transitively) or, with `overlap: lineage`, derived from one. An
unknown `subjects` makes the total unknown, above every threshold. The spec gives no dates to its
flows, so every export it declares counts in the year of the evaluation date.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from checker.language.conditions import Compiler, Predicate, facts_of
from checker.language.contexts import Count
from checker.language.facts import ANY, DATASET_STAGE_PREFIXES, NUMBER, TEXT, Fact

OVERLAPS = ("declared", "lineage")


@dataclass(frozen=True)
class Tally:
    key: str  # the block with its values resolved: rules that count alike share one count
    dataset_test: (
        Predicate  # the dataset-only tests of `exports`, run once per dataset (a DatasetContext)
    )
    crossing_test: (
        Predicate  # the rest, run on each flow carrying a dataset that passed (a FlowContext)
    )
    sensitive: Predicate  # on a DatasetContext
    lift: frozenset
    lineage: bool  # overlap: lineage


def compile_tally(block: dict, compiler: Compiler) -> Tally:
    """`compiler` is a fresh one over the flow facts, with the rule's binding and lift."""
    for name in facts_of(block["exports"]) | (
        facts_of(block["sensitive"]) if "sensitive" in block else set()
    ):
        if name.startswith(("transfer.", "cumulative.")):
            raise compiler.fail(
                f"cumulative: {name} depends on the way data travelled and cannot select exports"
            )
    dataset_test, crossing_test = compiler.staged(block["exports"], DATASET_STAGE_PREFIXES)
    sensitive = block.get("sensitive")
    for name in facts_of(sensitive) if sensitive else ():
        if not name.startswith(DATASET_STAGE_PREFIXES):
            raise compiler.fail(
                f"cumulative.sensitive tests {name}: only dataset and organization facts"
            )
    overlap = _resolved(block.get("overlap", "declared"), compiler)
    if overlap not in OVERLAPS:
        raise compiler.fail(f"cumulative.overlap is {overlap!r}: one of {', '.join(OVERLAPS)}")
    key = json.dumps(
        [_resolved(block, compiler), sorted(compiler.lift)], sort_keys=True, default=sorted
    )
    return Tally(
        key,
        dataset_test,
        crossing_test,
        compiler.compile(sensitive) if sensitive else _never,
        compiler.lift,
        overlap == "lineage",
    )


def _never(ctx) -> bool:
    return False


def _resolved(node, compiler: Compiler):
    """The block with parameters and groups replaced by their values (what makes two counts the same)."""
    if isinstance(node, dict):
        if set(node) == {"param"} or set(node) == {"group"}:
            return compiler._resolve(node)[1]
        return {key: _resolved(value, compiler) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolved(value, compiler) for value in node]
    return node


def facts(tally: Tally) -> dict[str, Fact]:
    """The cumulative.* facts of a rule, bound to its tally: the count is the evaluation's, so any
    context can read it."""

    def read(kind: str, field: Callable[[Count], object]) -> Fact:
        return Fact(kind, lambda lift: lambda ctx: field(ctx.scope.tally(tally)), contexts=ANY)

    return {
        "cumulative.subjects": read(NUMBER, lambda count: count.subjects),
        "cumulative.sensitive_subjects": read(NUMBER, lambda count: count.sensitive_subjects),
        "cumulative.other_subjects": read(NUMBER, lambda count: count.other_subjects),
        "cumulative.count": read(NUMBER, lambda count: count.count),
        "cumulative.exports": read(TEXT, lambda count: count.exports),
    }
