"""The condition language: all / any / not over fact tests, compiled once into closures.

A test is `{fact: NAME, OPERATOR: VALUE}`. VALUE is a literal, `{param: NAME}` (the policy's
value of a rule parameter) or `{group: NAME}` (a country group from the policy). Nothing in a
condition can name code, files or attributes: facts come from a fixed table per subject kind
and operators from the table below, so a rule is data whatever it says.
"""

from __future__ import annotations

import functools
import math
from typing import Callable

from checker.errors import RuleError

Predicate = Callable[[object], bool]


def _as_set(value) -> frozenset:
    if value is None:
        return frozenset()
    if isinstance(value, (set, frozenset, list, tuple)):
        return frozenset(value)
    return frozenset((value,))


def _number(value) -> float:
    return math.inf if value is None else value


# operator -> (what the value must be, maker(getter, bound value) -> test of a context)
OPERATORS: dict[str, tuple[str, Callable[[Callable, object], Predicate]]] = {
    "eq": ("scalar", lambda get, value: lambda ctx: get(ctx) == value),
    "ne": ("scalar", lambda get, value: lambda ctx: get(ctx) != value),
    "in": ("list", lambda get, value: lambda ctx: get(ctx) in value),
    "not_in": ("list", lambda get, value: lambda ctx: get(ctx) not in value),
    "any_in": ("list", lambda get, value: lambda ctx: not _as_set(get(ctx)).isdisjoint(value)),
    "none_in": ("list", lambda get, value: lambda ctx: _as_set(get(ctx)).isdisjoint(value)),
    "all_in": ("list", lambda get, value: lambda ctx: _as_set(get(ctx)) <= value),
    "contains": ("scalar", lambda get, value: lambda ctx: value in _as_set(get(ctx))),
    "gt": ("number", lambda get, value: lambda ctx: _number(get(ctx)) > value),
    "ge": ("number", lambda get, value: lambda ctx: _number(get(ctx)) >= value),
    "lt": ("number", lambda get, value: lambda ctx: _number(get(ctx)) < value),
    "le": ("number", lambda get, value: lambda ctx: _number(get(ctx)) <= value),
    "exists": ("bool", lambda get, value: lambda ctx: (get(ctx) not in (None, frozenset())) == value),
}
COMBINATORS = ("all", "any", "not")


def _both(first: Predicate, second: Predicate) -> Predicate:
    return lambda ctx: first(ctx) and second(ctx)


def _either(first: Predicate, second: Predicate) -> Predicate:
    return lambda ctx: first(ctx) or second(ctx)


def always(ctx) -> bool:
    return True


def never(ctx) -> bool:
    return False


def _chain(combine, parts: list[Predicate], empty: Predicate) -> Predicate:
    """parts[0] combined with (parts[1] combined with ...): tested in list order, short-circuiting."""
    if not parts:
        return empty
    return functools.reduce(lambda rest, part: combine(part, rest), reversed(parts[:-1]), parts[-1])


def facts_of(node: dict) -> set[str]:
    """Every fact a condition tests."""
    if "all" in node or "any" in node:
        return set().union(*map(facts_of, node.get("all", node.get("any"))))
    if "not" in node:
        return facts_of(node["not"])
    return {node["fact"]}


class Binding:
    """What a compiled rule may refer to: its parameters' values and the policy's country groups."""

    def __init__(self, parameters: dict[str, object], groups: dict[str, frozenset[str]]) -> None:
        self.parameters = parameters
        self.groups = groups


class Compiler:
    """Compiles one rule's condition against the fact table of its subject kind.

    `all` and `any` test their cheap facts first (see facts.cost) and chain into nested
    closures rather than looping; a condition is pure, so the order never changes a verdict.
    """

    def __init__(self, rule_id: str, facts: dict[str, Callable], binding: Binding, lift: frozenset[str],
                 cost: Callable[[str], int]) -> None:
        self.rule_id = rule_id
        self.facts = facts
        self.binding = binding
        self.lift = lift
        self.cost = cost
        self.used: set[str] = set()

    def fail(self, message: str) -> RuleError:
        return RuleError(f"rule {self.rule_id}: {message}")

    def compile(self, node: dict) -> Predicate:
        if "all" in node:
            return self.conjunction(node["all"])
        if "any" in node:
            return _chain(_either, [self.compile(child) for child in self._cheap_first(node["any"])], never)
        if "not" in node:
            inner = self.compile(node["not"])
            return lambda ctx: not inner(ctx)
        return self._test(node)

    def conjunction(self, nodes: list[dict]) -> Predicate:
        return _chain(_both, [self.compile(child) for child in self._cheap_first(nodes)], always)

    def staged(self, node: dict, first_stage: tuple[str, ...]) -> tuple[Predicate, Predicate]:
        """(first, rest): the tests of a top-level `all` that read only `first_stage` facts, and
        the others. A subject passes when both do, so `first` can run once for many subjects."""
        parts = node["all"] if "all" in node else [node]
        early = [part for part in parts if all(name.startswith(first_stage) for name in facts_of(part))]
        late = [part for part in parts if part not in early]
        return self.conjunction(early), self.conjunction(late)

    def _cheap_first(self, nodes: list[dict]) -> list[dict]:
        return sorted(nodes, key=lambda node: max(map(self.cost, facts_of(node)), default=0))

    def _test(self, node: dict) -> Predicate:
        name = node["fact"]
        if name not in self.facts:
            raise self.fail(f"unknown fact '{name}' (known: {', '.join(sorted(self.facts))})")
        self.used.add(name)
        (operator, raw), = ((k, v) for k, v in node.items() if k != "fact")
        shape, make = OPERATORS[operator]
        return make(self.facts[name](self.lift), self.value(raw, shape, operator))

    def value(self, raw, shape: str, operator: str):
        if isinstance(raw, dict) and "param" in raw:
            if raw["param"] not in self.binding.parameters:
                raise self.fail(f"refers to undeclared parameter '{raw['param']}'")
            raw = self.binding.parameters[raw["param"]]
        elif isinstance(raw, dict) and "group" in raw:
            if raw["group"] not in self.binding.groups:
                raise self.fail(f"refers to country group '{raw['group']}', which the policy does not define")
            raw = self.binding.groups[raw["group"]]
        if shape == "list":
            if not isinstance(raw, (list, tuple, set, frozenset)):
                raise self.fail(f"operator '{operator}' needs a list, got {raw!r}")
            return frozenset(raw)
        if shape == "number" and (isinstance(raw, bool) or not isinstance(raw, (int, float))):
            raise self.fail(f"operator '{operator}' needs a number, got {raw!r}")
        if shape == "bool" and not isinstance(raw, bool):
            raise self.fail(f"operator '{operator}' needs true or false, got {raw!r}")
        return raw
