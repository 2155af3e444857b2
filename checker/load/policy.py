"""Resolve a policy (by built-in name or path, following `extends`): the rules it turns on, compiled
once here with its settings (checker.language.rules), its country groups and exemptions."""

from __future__ import annotations

import difflib
import fnmatch
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from checker.errors import PolicyError
from checker.language import dated
from checker.language.rules import CompiledRule, RuleDef, compile_for_policy
from checker.load.documents import Document
from checker.load.rules import Exemption, builtin_dir, exemptions_from, load_policy_file, load_rules


@dataclass
class Policy:
    name: str
    files: list[str]
    rules: list[CompiledRule]  # turned on, compiled, sorted by id
    available: dict[str, RuleDef]  # every rule known, on or off
    groups: dict[
        str, frozenset[str] | dated.Timeline
    ]  # a group whose members are dated is a Timeline
    exemptions: list[Exemption] = field(default_factory=list)


def builtin_policies() -> list[str]:
    return sorted(p.stem for p in builtin_dir("policies").glob("*.yaml"))


def _is_path(ref: str) -> bool:
    """A policy named by file rather than by built-in name."""
    return ref.endswith((".yaml", ".yml", ".json")) or os.sep in ref or "/" in ref


def policy_path(ref: str) -> str:
    if _is_path(ref):
        if not os.path.isfile(ref):
            raise PolicyError(f"policy file '{ref}' does not exist")
        return ref
    path = builtin_dir("policies") / f"{ref}.yaml"
    if not path.is_file():
        raise PolicyError(f"unknown policy '{ref}' (built-in: {', '.join(builtin_policies())})")
    return str(path)


def _chain(ref: str) -> list[tuple[str, Document]]:
    """The policy and its ancestors, root ancestor first."""
    chain: list[tuple[str, Document]] = []
    seen: list[str] = []
    named_at: tuple = ()  # file, line and column of the `extends` that named `ref`
    while ref:
        try:
            path = policy_path(ref)
        except PolicyError as exc:
            raise (PolicyError(f"extends: {exc.message}", *named_at) if named_at else exc) from None
        real = os.path.realpath(path)
        if real in seen:
            raise PolicyError(
                f"policy extends itself: {' → '.join(os.path.basename(s) for s in (*seen, real))}",
                *(named_at or (path,)),
            )
        seen.append(real)
        document = load_policy_file(path)
        chain.append((path, document))
        parent = document.data.get("extends")
        named_at = (path, *document.source.locate(("extends",)))
        # a parent file is found beside the policy that names it, not in the working directory
        ref = os.path.join(os.path.dirname(path), parent) if parent and _is_path(parent) else parent
    return chain[::-1]


def _group(codes: list, document, path: str, name: str) -> frozenset[str] | dated.Timeline:
    """A country group: a set of codes, or a Timeline of sets when members have since/until."""
    try:
        members = dated.parse(codes)
    except ValueError as exc:
        raise PolicyError(
            f"groups.{name}{exc}", path, *document.source.locate(("groups", name))
        ) from None
    if isinstance(members, dated.Timeline):
        return dated.Timeline(
            members.written, members.changes, tuple(map(frozenset, members.values))
        )
    return frozenset(members)


def _check_patterns(data: dict, available: dict[str, RuleDef], document, path: str) -> None:
    """Every include and exclude pattern selects some rule (a typo would silently select none),
    or the policy is refused at the line of that entry."""
    for key in ("include", "exclude"):
        for index, pattern in enumerate(data.get(key, ())):
            if not any(fnmatch.fnmatchcase(rule_id, pattern) for rule_id in available):
                hint = difflib.get_close_matches(pattern, sorted(available), 1)
                raise PolicyError(
                    f"{key}[{index}]: rule pattern '{pattern}' matches no rule"
                    + (f" (did you mean '{hint[0]}'?)" if hint else ""),
                    path,
                    *document.source.locate((key, index)),
                )


def load_policy(ref: str | None = None, rule_dirs: Sequence[str] = ()) -> Policy:
    available = load_rules([builtin_dir("rules"), *rule_dirs])
    include: list[str] = ["*"]
    exclude: list[str] = []
    groups: dict[str, frozenset[str] | dated.Timeline] = {}
    settings: dict[str, dict] = {}
    set_at: dict[
        str, tuple
    ] = {}  # rule id -> file, line, column where the policy last set its parameters
    exemptions: list[Exemption] = []
    chain = _chain(ref or "default")
    for path, document in chain:
        data = document.data
        include = data.get("include", include)
        exclude = exclude + data.get("exclude", [])
        groups.update(
            {
                name: _group(codes, document, path, name)
                for name, codes in data.get("groups", {}).items()
            }
        )
        for rule_id, setting in data.get("settings", {}).items():
            if rule_id not in available:
                line, column = document.source.locate_key(("settings", rule_id))
                hint = difflib.get_close_matches(rule_id, sorted(available), 1)
                raise PolicyError(
                    f"settings: unknown rule '{rule_id}'"
                    + (f" (did you mean '{hint[0]}'?)" if hint else ""),
                    path,
                    line,
                    column,
                )
            unknown = sorted(set(setting.get("parameters", {})) - set(available[rule_id].defaults))
            if unknown:
                line, column = document.source.locate(
                    ("settings", rule_id, "parameters", unknown[0])
                )
                raise PolicyError(
                    f"policy sets unknown parameter(s) {', '.join(unknown)} of rule {rule_id}",
                    path,
                    line,
                    column,
                )
            merged = settings.setdefault(rule_id, {"parameters": {}})
            if setting.get("parameters"):
                set_at[rule_id] = (
                    path,
                    *document.source.locate(("settings", rule_id, "parameters")),
                )
            merged["parameters"].update(setting.get("parameters", {}))
            if "severity" in setting:
                merged["severity"] = setting["severity"]
        exemptions += exemptions_from(data.get("exemptions", []), document, ("exemptions",))
        _check_patterns(data, available, document, path)

    compiled = [
        compile_for_policy(
            available[rule_id], settings.get(rule_id, {}), groups, set_at.get(rule_id)
        )
        for rule_id in sorted(available)
        if any(fnmatch.fnmatchcase(rule_id, p) for p in include)
        and not any(fnmatch.fnmatchcase(rule_id, p) for p in exclude)
    ]
    return Policy(
        chain[-1][1].data["name"],
        [path for path, _ in chain],
        compiled,
        available,
        groups,
        exemptions,
    )
