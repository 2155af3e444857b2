"""Find, read and schema-validate rule files, rule test files, policies, exemptions and baselines."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from checker.errors import DlcError, InputError, PolicyError, RuleError
from checker.language import dated
from checker.language.conditions import COMBINATORS, OPERATORS
from checker.language.rules import RuleDef
from checker.language.schemas import (
    BASELINE_SCHEMA,
    EXEMPTIONS_SCHEMA,
    POLICY_SCHEMA,
    RULE_SCHEMA,
    RULE_TESTS_SCHEMA,
)
from checker.load.documents import DEFAULT_LIMITS, Document, Limits, load_file
from checker.load.spec import describe_path

TEST_SUFFIXES = (".test.yaml", ".test.yml")
_VALIDATORS: dict[
    int, Draft202012Validator
] = {}  # id of a module-level schema -> its validator, built once


def builtin_dir(name: str) -> Path:
    """Built-in `rules/` or `policies/`: packaged in a wheel, at the repository top in a checkout."""
    packaged = Path(__file__).parent.parent / "_builtin" / name
    return packaged if packaged.is_dir() else Path(__file__).parent.parent.parent / name


def load_validated(
    path: str, schema: dict, error: type[DlcError], limits: Limits = DEFAULT_LIMITS
) -> Document:
    """One YAML/JSON document, validated against a JSON Schema; errors name the file and line."""
    try:
        document = load_file(path, limits)[0]
    except InputError as exc:
        raise error(exc.message, exc.file, exc.line, exc.column) from None
    validator = _VALIDATORS.get(id(schema)) or _VALIDATORS.setdefault(
        id(schema), Draft202012Validator(schema)
    )
    problem = best_match(validator.iter_errors(document.data))
    if problem is not None:
        where = tuple(problem.absolute_path)
        line, column = document.source.locate(where)
        field = describe_path(where)
        raise error(
            f"{field + ': ' if field else ''}{_condition_problem(problem) or problem.message}"[
                :500
            ],
            path,
            line,
            column,
        )
    return document


def _condition_problem(problem) -> str | None:
    """Say what is wrong with a rule condition instead of 'is not valid under any of the given schemas'."""
    node = problem.instance
    if (
        problem.validator != "oneOf"
        or not problem.absolute_path
        or problem.absolute_path[0] != "when"
        or not isinstance(node, dict)
    ):
        return None
    if "fact" in node:
        operators = [key for key in node if key != "fact"]
        unknown = [key for key in operators if key not in OPERATORS]
        if unknown:
            return f"unknown operator '{unknown[0]}' (known: {', '.join(OPERATORS)})"
        if len(operators) != 1:
            return f"a fact test takes exactly one operator, not {len(operators)}"
        return None
    combinators = [key for key in node if key in COMBINATORS]
    if not combinators:
        return f"a condition is one of all, any, not or a fact test, not {', '.join(map(str, node)) or 'empty'}"
    if len(node) != 1:
        return f"a condition holds one of all, any or not, not {', '.join(map(str, node))}"
    return None


def rule_files(directory: str | Path) -> list[Path]:
    directory = Path(directory)
    if not directory.is_dir():
        raise RuleError("rules directory does not exist", str(directory))
    files = [p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
    return sorted(files)


def load_rules(directories: list[str | Path]) -> dict[str, RuleDef]:
    rules: dict[str, RuleDef] = {}
    seen: set[str] = set()  # `--rules rules/cn` or `rules test rules` name built-in files again
    for directory in directories:
        for path in rule_files(directory):
            if path.name.endswith(TEST_SUFFIXES) or os.path.realpath(path) in seen:
                continue
            seen.add(os.path.realpath(path))
            document = load_validated(_display(path), RULE_SCHEMA, RuleError)
            _check_rule_dates(document)
            rule = RuleDef(document.data, _display(path), document.source.locate(())[0])
            if rule.id in rules:
                raise RuleError(
                    f"rule id {rule.id} is also defined in {rules[rule.id].file}",
                    rule.file,
                    rule.line,
                )
            rules[rule.id] = rule
    return rules


def _check_rule_dates(document: Document) -> None:
    """The schema checks only a date's digits: refuse 2025-02-30, and an `until` that is not after
    `effective` (the rule would never be in force)."""
    data = document.data
    effective = _date(data["effective"], document, ("effective",), RuleError)
    for index, reference in enumerate(data["references"]):
        if isinstance(reference, dict):
            _date(reference["effective"], document, ("references", index, "effective"), RuleError)
    for name, parameter in data.get("parameters", {}).items():
        try:
            dated.parse(parameter["default"])
        except ValueError as exc:
            raise RuleError(
                f"parameters.{name}.default: {exc}",
                document.source.file,
                *document.source.locate(("parameters", name, "default")),
            ) from None
    if "until" in data and _date(data["until"], document, ("until",), RuleError) <= effective:
        raise RuleError(
            f"until: {data['until']} is not after effective {data['effective']}, so the rule "
            "would never be in force",
            document.source.file,
            *document.source.locate(("until",)),
        )


def load_rule_tests(directories: list[str | Path]) -> list[Document]:
    documents = [
        load_validated(_display(path), RULE_TESTS_SCHEMA, RuleError)
        for directory in directories
        for path in rule_files(directory)
        if path.name.endswith(TEST_SUFFIXES)
    ]
    for document in documents:
        for index, case in enumerate(document.data["cases"]):
            if "as_of" in case:
                _date(case["as_of"], document, ("cases", index, "as_of"), RuleError)
            _check_case_result(case, document, index)
    return documents


def expected_result(case: dict) -> str:
    """pass, fail or skip: what a rule test case asserts (`result`, else whether `expect` lists findings)."""
    return case.get("result") or ("fail" if case.get("expect") else "pass")


def _check_case_result(case: dict, document: Document, index: int) -> None:
    """`result` and `expect` must say the same thing, and one of them must be there."""
    result, expect = case.get("result"), case.get("expect")
    problem = None
    if result is None and expect is None:
        problem = "give `expect` (the findings, [] for none) or `result` (pass, fail or skip)"
    elif result == "fail" and not expect:
        problem = "result fail: list the findings the rule must produce in `expect`"
    elif result in ("pass", "skip") and expect:
        problem = f"result {result} means no finding, but `expect` lists {len(expect)}"
    if problem:
        where = (
            "cases",
            index,
            "result" if "result" in case else "expect" if "expect" in case else "name",
        )
        raise RuleError(
            f"cases[{index}]: {problem}", document.source.file, *document.source.locate(where)
        )


def _display(path: Path) -> str:
    """A path as users know it: relative to the working directory when below it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Exemption:
    rule: str
    subject: str
    dataset: str | None
    justification: str
    owner: str
    expires: dt.date
    file: str
    line: int | None
    granted: dt.date | None = None

    def applies(self, as_of: dt.date) -> bool:
        """In force on `as_of`: granted by then (if a date is given) and not yet expired."""
        return (self.granted is None or self.granted <= as_of) and as_of < self.expires


def exemptions_from(items: list[dict], document: Document, base: tuple) -> list[Exemption]:
    out = []
    for index, item in enumerate(items):
        line, column = document.source.locate((*base, index))
        expires = _date(item["expires"], document, (*base, index, "expires"))
        granted = (
            _date(item["granted"], document, (*base, index, "granted"))
            if "granted" in item
            else None
        )
        if granted and granted >= expires:
            raise InputError(
                f"exemption for {item['rule']} expires before it is granted",
                document.source.file,
                line,
                column,
            )
        out.append(
            Exemption(
                item["rule"],
                item["subject"],
                item.get("dataset"),
                item["justification"],
                item["owner"],
                expires,
                document.source.file,
                line,
                granted,
            )
        )
    return out


def _date(
    text: str, document: Document, where: tuple, error: type[DlcError] = InputError
) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        line, column = document.source.locate(where)
        raise error(f"'{text}' is not a valid date", document.source.file, line, column) from None


def load_exemptions(path: str, limits: Limits = DEFAULT_LIMITS) -> list[Exemption]:
    document = load_validated(path, EXEMPTIONS_SCHEMA, InputError, limits)
    return exemptions_from(document.data["exemptions"], document, ("exemptions",))


def load_baseline(path: str) -> frozenset[str]:
    """The fingerprints (Finding.fingerprint) of the findings a baseline file accepts."""
    document = load_validated(path, BASELINE_SCHEMA, InputError)
    return frozenset(entry["fingerprint"] for entry in document.data["findings"])


def load_policy_file(path: str) -> Document:
    return load_validated(path, POLICY_SCHEMA, PolicyError)
