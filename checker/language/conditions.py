"""The condition language: all / any / not over fact tests, compiled once into closures.

A test is `{fact: NAME, OPERATOR: VALUE}`. VALUE is a literal, `{param: NAME}` (the policy's
value of a rule parameter) or `{group: NAME}` (a country group from the policy). Nothing in a
condition can name code, files or attributes: facts come from a fixed table per subject kind
and operators from the table below, so a rule is data whatever it says.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from checker.errors import RuleError
from checker.language.facts import BOOL, NUMBER, SET, TEXT, Fact

Predicate = Callable[[object], bool]


def _present(value) -> bool:
    """What `exists` tests: None, an empty set and an unknown count (inf) are all absent."""
    return value is not None and value != _EMPTY and value != math.inf


_EMPTY: frozenset = frozenset()


class Operator(NamedTuple):
    shape: str  # its value: "scalar", "list", "number" or "bool"
    kinds: tuple[str, ...]  # the kinds of fact it can test (facts.py)
    make: Callable[[Callable, Any], Predicate]  # (getter, bound value) -> test of a context


_SCALARS = (TEXT, NUMBER, BOOL)
OPERATORS: dict[str, Operator] = {
    "eq": Operator("scalar", _SCALARS, lambda get, value: lambda ctx: get(ctx) == value),
    "ne": Operator("scalar", _SCALARS, lambda get, value: lambda ctx: get(ctx) != value),
    "in": Operator("list", _SCALARS, lambda get, value: lambda ctx: get(ctx) in value),
    "not_in": Operator("list", _SCALARS, lambda get, value: lambda ctx: get(ctx) not in value),
    "any_in": Operator(
        "list", (SET,), lambda get, value: lambda ctx: not get(ctx).isdisjoint(value)
    ),
    "none_in": Operator("list", (SET,), lambda get, value: lambda ctx: get(ctx).isdisjoint(value)),
    "all_in": Operator("list", (SET,), lambda get, value: lambda ctx: get(ctx) <= value),
    "contains": Operator("scalar", (SET,), lambda get, value: lambda ctx: value in get(ctx)),
    "gt": Operator("number", (NUMBER,), lambda get, value: lambda ctx: get(ctx) > value),
    "ge": Operator("number", (NUMBER,), lambda get, value: lambda ctx: get(ctx) >= value),
    "lt": Operator("number", (NUMBER,), lambda get, value: lambda ctx: get(ctx) < value),
    "le": Operator("number", (NUMBER,), lambda get, value: lambda ctx: get(ctx) <= value),
    "exists": Operator(
        "bool", (SET, *_SCALARS), lambda get, value: lambda ctx: _present(get(ctx)) == value
    ),
}
COMBINATORS = ("all", "any", "not")

_LISTS = (list, tuple, set, frozenset)


def _is_scalar(value) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)  # True == 1 in Python


# an operator's shape -> (what it is called, test of a value written or set for it)
_SHAPES = {
    "scalar": ("a single value", _is_scalar),
    "list": ("a list", lambda value: isinstance(value, _LISTS) and all(map(_is_scalar, value))),
    "number": ("a number", _is_number),
    "bool": ("true or false", lambda value: isinstance(value, bool)),
}
# a fact's kind -> (what it is called, test of a value it could ever equal or contain). A fact
# the spec leaves unknown is None (text, true/false) or inf (numbers); a set holds only names.
_KINDS = {
    SET: ("a set of names", lambda value: isinstance(value, str)),
    TEXT: ("text", lambda value: value is None or isinstance(value, str)),
    NUMBER: ("a number", _is_number),
    BOOL: ("true or false", lambda value: value is None or isinstance(value, bool)),
}


def _one_of(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _both(first: Predicate, second: Predicate) -> Predicate:
    return lambda ctx: first(ctx) and second(ctx)


def _either(first: Predicate, second: Predicate) -> Predicate:
    return lambda ctx: first(ctx) or second(ctx)


def always(ctx) -> bool:
    return True


def never(ctx) -> bool:
    return False


def _chain(combine, parts: list[Predicate], empty: Predicate) -> Predicate:
    """The parts combined in list order, short-circuiting, as a balanced tree: an `all` of
    thousands of tests nests log2(n) closures deep, not n, so evaluating it cannot overflow the stack."""
    if not parts:
        return empty
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    return combine(_chain(combine, parts[:middle], empty), _chain(combine, parts[middle:], empty))


def facts_of(node: dict) -> set[str]:
    """Every fact a condition tests."""
    if "all" in node or "any" in node:
        return set().union(*map(facts_of, node["all"] if "all" in node else node["any"]))
    if "not" in node:
        return facts_of(node["not"])
    return {node["fact"]}


def needed_facts(node: dict) -> set[str]:
    """Facts that must be present (not empty, not unknown) for the condition to hold: what an
    engine may index subjects by, to skip those that lack one. Conservative: an `any` needs what
    all its branches need, a `not` nothing, a value taken from a parameter nothing."""
    if "all" in node:
        return set().union(*map(needed_facts, node["all"]))
    if "any" in node:
        branches = list(map(needed_facts, node["any"]))
        return set.intersection(*branches) if branches else set()
    if node.get("exists") is True or "any_in" in node or "contains" in node:
        return {node["fact"]}
    return set()


class Binding:
    """What a compiled rule may refer to: its parameters' values and the policy's country groups."""

    def __init__(self, parameters: Mapping[str, object], groups: Mapping[str, object]) -> None:
        self.parameters = parameters
        self.groups = groups


class Compiler:
    """Compiles one rule's condition against the fact table of its subject kind.

    `all` and `any` test their cheap facts first (see facts.cost) and chain into nested
    closures rather than looping; a condition is pure, so the order never changes a verdict.
    A test that could never be true as written (a value of the wrong shape, an operator that
    does not apply to the fact's kind) is a RuleError here, not a rule that silently never fires.
    """

    def __init__(
        self,
        rule_id: str,
        facts: dict[str, Fact],
        binding: Binding,
        lift: frozenset[str],
        cost: Callable[[str], int],
    ) -> None:
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
            return _chain(
                _either, [self.compile(child) for child in self._cheap_first(node["any"])], never
            )
        if "not" in node:
            inner = self.compile(node["not"])
            return lambda ctx: not inner(ctx)
        return self._test(node)

    def conjunction(self, nodes: list[dict]) -> Predicate:
        return _chain(_both, [self.compile(child) for child in self._cheap_first(nodes)], always)

    def staged(self, node: dict, first_stage: tuple[str, ...]) -> tuple[Predicate, Predicate]:
        """(first, rest): the tests of a top-level `all` that read only `first_stage` facts, and
        the others. A subject passes when both do, so `first` can run once for many subjects."""
        early: list[dict] = []
        late: list[dict] = []
        for part in node.get("all", [node]):
            (
                early if all(name.startswith(first_stage) for name in facts_of(part)) else late
            ).append(part)
        return self.conjunction(early), self.conjunction(late)

    def _cheap_first(self, nodes: list[dict]) -> list[dict]:
        return sorted(nodes, key=lambda node: max(map(self.cost, facts_of(node)), default=0))

    def _test(self, node: dict) -> Predicate:
        name = node["fact"]
        if name not in self.facts:
            raise self.fail(f"unknown fact '{name}' (known: {', '.join(sorted(self.facts))})")
        self.used.add(name)
        ((operator, raw),) = ((k, v) for k, v in node.items() if k != "fact")
        fact = self.facts[name]
        if fact.kind not in OPERATORS[operator].kinds:
            fitting = [
                op for op, spec in OPERATORS.items() if fact.kind in spec.kinds and op != "exists"
            ]
            raise self.fail(
                f"fact {name} is {_KINDS[fact.kind][0]}, which '{operator}' cannot test: "
                f"use {_one_of(fitting)}"
            )
        return OPERATORS[operator].make(fact.bind(self.lift), self.value(raw, operator, name))

    def value(self, raw, operator: str, name: str):
        """What the test of fact `name` compares it with: a literal, a parameter's value or a country group."""
        shown, value = self._resolve(raw)
        shape = OPERATORS[operator].shape
        wanted, fits = _SHAPES[shape]
        if not fits(value):
            if shape == "list" and isinstance(value, _LISTS):
                wanted = "a list of single values"
            raise self.fail(f"operator '{operator}' needs {wanted}, got {shown}")
        if shape == "bool":  # exists: the value is not compared with the fact
            return value
        kind, comparable = _KINDS[self.facts[name].kind]
        if not all(map(comparable, value if shape == "list" else (value,))):
            raise self.fail(f"fact {name} is {kind}, so {shown} can never match")
        return frozenset(value) if shape == "list" else value

    def _resolve(self, raw) -> tuple[str, Any]:
        """(how an error shows the value, the value)."""
        if isinstance(raw, dict) and "param" in raw:
            if raw["param"] not in self.binding.parameters:
                raise self.fail(f"refers to undeclared parameter '{raw['param']}'")
            value = self.binding.parameters[raw["param"]]
            return f"{reprlib.repr(value)} (parameter '{raw['param']}')", value
        if isinstance(raw, dict) and "group" in raw:
            if raw["group"] not in self.binding.groups:
                raise self.fail(
                    f"refers to country group '{raw['group']}', which the policy does not define"
                )
            return f"country group '{raw['group']}'", self.binding.groups[raw["group"]]
        return reprlib.repr(raw), raw
