"""The condition language: all / any / not over fact tests, compiled once into closures.

A test is `{fact: NAME, OPERATOR: VALUE}`. VALUE is a literal, `{param: NAME}` (the policy's
value of a rule parameter) or `{group: NAME}` (a country group from the policy). Nothing in a
condition can name code, files or attributes: facts come from a fixed table per subject kind
and operators from the table below, so a rule is data whatever it says.
"""

from __future__ import annotations

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


# operator -> (what the value must be, test(fact value, bound value))
OPERATORS: dict[str, tuple[str, Callable[[object, object], bool]]] = {
    "eq": ("scalar", lambda fact, value: fact == value),
    "ne": ("scalar", lambda fact, value: fact != value),
    "in": ("list", lambda fact, value: fact in value),
    "not_in": ("list", lambda fact, value: fact not in value),
    "any_in": ("list", lambda fact, value: not _as_set(fact).isdisjoint(value)),
    "none_in": ("list", lambda fact, value: _as_set(fact).isdisjoint(value)),
    "all_in": ("list", lambda fact, value: _as_set(fact) <= value),
    "contains": ("scalar", lambda fact, value: value in _as_set(fact)),
    "gt": ("number", lambda fact, value: _number(fact) > value),
    "ge": ("number", lambda fact, value: _number(fact) >= value),
    "lt": ("number", lambda fact, value: _number(fact) < value),
    "le": ("number", lambda fact, value: _number(fact) <= value),
    "exists": ("bool", lambda fact, value: (fact is not None and fact != frozenset()) == value),
}
COMBINATORS = ("all", "any", "not")


class Binding:
    """What a compiled rule may refer to: its parameters' values and the policy's country groups."""

    def __init__(self, parameters: dict[str, object], groups: dict[str, frozenset[str]]) -> None:
        self.parameters = parameters
        self.groups = groups


class Compiler:
    """Compiles one rule's condition against the fact table of its subject kind."""

    def __init__(self, rule_id: str, facts: dict[str, Callable], binding: Binding, lift: frozenset[str]) -> None:
        self.rule_id = rule_id
        self.facts = facts
        self.binding = binding
        self.lift = lift
        self.used: set[str] = set()

    def fail(self, message: str) -> RuleError:
        return RuleError(f"rule {self.rule_id}: {message}")

    def compile(self, node: dict) -> Predicate:
        if "all" in node:
            parts = [self.compile(child) for child in node["all"]]
            return lambda ctx: all(part(ctx) for part in parts)
        if "any" in node:
            parts = [self.compile(child) for child in node["any"]]
            return lambda ctx: any(part(ctx) for part in parts)
        if "not" in node:
            inner = self.compile(node["not"])
            return lambda ctx: not inner(ctx)
        return self._test(node)

    def _test(self, node: dict) -> Predicate:
        name = node["fact"]
        if name not in self.facts:
            raise self.fail(f"unknown fact '{name}' (known: {', '.join(sorted(self.facts))})")
        self.used.add(name)
        (operator, raw), = ((k, v) for k, v in node.items() if k != "fact")
        shape, test = OPERATORS[operator]
        value = self.value(raw, shape, operator)
        getter, lift = self.facts[name], self.lift
        return lambda ctx: test(getter(ctx, lift), value)

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
