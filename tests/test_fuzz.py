"""Property-based fuzzing of the whole CLI with hypothesis.

Generated specs that are valid must evaluate (exit 0 or 1, nothing on stderr); specs with a
mutation that makes them invalid must exit 2 with exactly one `dlc: error:` line naming the
file; arbitrary byte-level damage may land anywhere, but never in a traceback or an internal error.

Profiles (DLC_FUZZ_PROFILE): `quick` (default, part of the normal test run) and `long`
(>= 10,000 generated specs in test_generated_and_mutated_specs alone):

    DLC_FUZZ_PROFILE=long python -m pytest -q tests/test_fuzz.py

The last long run's result is recorded in the README's Testing section.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile

import msgspec
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.cli import main
from checker.model import (
    APPROVAL_KINDS,
    COMPONENT_FUNCTIONS,
    FLOW_MODES,
    SYSTEM_KINDS,
    TRANSACTIONS,
    TRANSFORMS,
)
from checker.resolve.accelerators import default_catalog as accelerator_catalog
from checker.resolve.categories import default_taxonomy

settings.register_profile(
    "quick",
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = os.environ.get("DLC_FUZZ_PROFILE", "quick")
settings.load_profile(PROFILE)
SMALL = {"quick": 60, "long": 2_000}[PROFILE]  # examples for the secondary properties

LOCATIONS = [
    "CN",
    "US",
    "DE",
    "SG",
    "NO",
    "HK",
    "JP",
    "RU",
    "IN",
    "SA",
    "FR",
    "GB",
    "aws:us-west-2",
    "aws:cn-north-1",
    "alibaba:cn-shanghai",
    "azure:chinaeast2",
    "gcp:asia-east2",
]
COUNTRIES = ["CN", "US", "DE", "SG", "NO", "HK", "JP", "RU", "IN", "SA", "FR", "GB", "MO", "TW"]
CATEGORIES = default_taxonomy().names()
MODELS = [m.name for m in accelerator_catalog().models()] + ["Acme Quantum Brick 9000"]
DATES = st.dates(
    min_value=__import__("datetime").date(2015, 1, 1),
    max_value=__import__("datetime").date(2035, 1, 1),
)
RESOURCE_GLOBS = [
    "aws_s3_bucket.x",
    "module.cn.aws_s3_bucket.fleet_*",
    'aws_s3_bucket.x["a"]',
    "*",
    "StatefulSet/data/postgres-*",
    "aws_db_instance.db[0]",
]
IDS = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)


@st.composite
def valid_specs(draw) -> dict:
    n_systems = draw(st.integers(1, 6))
    system_ids = [f"s{i}-{draw(IDS)}" for i in range(n_systems)]
    n_datasets = draw(st.integers(0, 5))
    dataset_ids = [f"d{i}-{draw(IDS)}" for i in range(n_datasets)]
    n_approvals = draw(st.integers(0, 3))
    approval_ids = [f"a{i}" for i in range(n_approvals)]

    approvals = []
    for ident in approval_ids:
        start = draw(DATES)
        approval = {
            "id": ident,
            "kind": draw(st.sampled_from(APPROVAL_KINDS)),
            "datasets": draw(st.lists(st.sampled_from(dataset_ids), unique=True))
            if dataset_ids
            else [],
            "destinations": draw(st.lists(st.sampled_from(COUNTRIES), unique=True, max_size=3)),
            "valid_from": start.isoformat(),
            "expires": start.replace(year=start.year + draw(st.integers(1, 5))).isoformat()
            if not (start.month == 2 and start.day == 29)
            else f"{start.year + 1}-03-01",
        }
        if draw(st.booleans()):
            approval["purposes"] = draw(
                st.lists(st.sampled_from(["training", "analytics", "support"]), unique=True)
            )
        if draw(st.booleans()):
            approval["systems"] = draw(
                st.lists(st.sampled_from(system_ids), unique=True, max_size=2)
            )
        approvals.append(approval)

    systems = []
    for ident in system_ids:
        system = {"id": ident, "location": draw(st.sampled_from(LOCATIONS))}
        if draw(st.booleans()):
            system["kind"] = draw(st.sampled_from(SYSTEM_KINDS))
        if (
            draw(st.integers(0, 3)) == 0
        ):  # text that is not ASCII: JSON places are counted in characters
            system["operator"] = draw(st.text(alphabet="aé中 ü\u00a0", min_size=1, max_size=6))
        if draw(st.integers(0, 3)) == 0:
            system["accelerators"] = [
                {"model": draw(st.sampled_from(MODELS)), "count": draw(st.integers(1, 5000))}
            ]
        if approval_ids and draw(st.booleans()):
            system["approvals"] = draw(
                st.lists(st.sampled_from(approval_ids), unique=True, max_size=2)
            )
        if draw(st.integers(0, 3)) == 0:  # bound to infrastructure (nothing to bind to here)
            system["resources"] = draw(
                st.lists(st.sampled_from(RESOURCE_GLOBS), unique=True, min_size=1, max_size=3)
            )
        if draw(st.integers(0, 3)) == 0:  # connected vehicles and their supply chain
            system["vehicle"] = {"model_year": draw(st.integers(2020, 2035))}
        if draw(st.integers(0, 3)) == 0:
            system["components"] = [
                {
                    "name": draw(IDS),
                    "function": draw(st.sampled_from(COMPONENT_FUNCTIONS)),
                    **(
                        {"controlled_from": draw(st.sampled_from(COUNTRIES))}
                        if draw(st.booleans())
                        else {}
                    ),
                }
                for _ in range(draw(st.integers(1, 3)))
            ]
        systems.append(system)

    datasets = []
    for index, ident in enumerate(dataset_ids):
        dataset = {
            "id": ident,
            "categories": draw(st.lists(st.sampled_from(CATEGORIES), unique=True, max_size=4)),
        }
        parents = (
            draw(st.lists(st.sampled_from(dataset_ids[:index]), unique=True, max_size=2))
            if index
            else []
        )
        if parents:  # lineage only points backwards: never a cycle
            dataset["derived_from"] = parents
            dataset["transform"] = draw(st.sampled_from(TRANSFORMS))
        if not parents or draw(st.booleans()):
            dataset["origin"] = draw(st.sampled_from(COUNTRIES))
        if draw(st.booleans()):
            dataset["subjects"] = draw(st.integers(0, 10_000_000))
        if draw(st.booleans()):
            dataset["important"] = draw(st.booleans())
        datasets.append(dataset)

    flows = []
    if n_systems > 1:
        for index in range(draw(st.integers(0, 8))):
            source, target = draw(
                st.lists(st.sampled_from(system_ids), min_size=2, max_size=2, unique=True)
            )
            flow = {
                "id": f"f{index}",
                "from": source,
                "to": target,
                "datasets": draw(st.lists(st.sampled_from(dataset_ids), unique=True))
                if dataset_ids
                else [],
            }
            if draw(st.booleans()):
                flow["mode"] = draw(st.sampled_from(FLOW_MODES))
            if draw(st.booleans()):
                flow["purpose"] = draw(st.sampled_from(["training", "analytics", "support"]))
            if draw(st.booleans()):
                flow["encrypted"] = draw(st.booleans())
            if draw(st.integers(0, 3)) == 0:
                flow["transaction"] = draw(st.sampled_from(TRANSACTIONS))
            if approval_ids and draw(st.booleans()):
                flow["approvals"] = draw(
                    st.lists(st.sampled_from(approval_ids), unique=True, max_size=2)
                )
            flows.append(flow)

    spec = {"version": 1, "name": draw(IDS)}
    if draw(st.booleans()):
        spec["organization"] = {
            "ciio": draw(st.booleans()),
            "headquarters": draw(st.sampled_from(COUNTRIES)),
        }
    for section, items in (
        ("systems", systems),
        ("datasets", datasets),
        ("flows", flows),
        ("approvals", approvals),
    ):
        if items or draw(st.booleans()):
            spec[section] = items
    return spec


@pytest.fixture(scope="module", autouse=True)
def _policy_loaded_once():
    """The default policy and its rules load once for the module, not once per generated spec."""
    import checker.load.policy as policy_module

    cached = functools.lru_cache(maxsize=None)(policy_module.load_policy)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            policy_module,
            "load_policy",
            lambda ref=None, rule_dirs=(): cached(ref, tuple(rule_dirs)),
        )
        yield


def _first(spec: dict, section: str) -> dict | None:
    return spec[section][0] if spec.get(section) else None


def _mutate(spec: dict, kind: str, junk: str) -> dict | None:
    """A copy of `spec` made invalid in one way, or None if this spec has nothing to break that way."""
    spec = json.loads(json.dumps(spec))
    system, dataset, flow, approval = (
        _first(spec, s) for s in ("systems", "datasets", "flows", "approvals")
    )
    if kind == "drop-version":
        del spec["version"]
    elif kind == "version-string":
        spec["version"] = "1"
    elif kind == "unknown-field":
        spec[f"zz{junk}"] = 1
    elif kind == "unknown-location" and system:
        system["location"] = f"zz-{junk}"
    elif kind == "location-number" and system:
        system["location"] = 86
    elif kind == "null-id" and system:
        system["id"] = None
    elif kind == "duplicate-id" and system:
        spec["systems"].append(dict(system))
    elif kind == "unknown-category" and dataset:
        dataset["categories"] = [*dataset["categories"], f"zz-{junk}"]
    elif kind == "unknown-origin" and dataset:
        dataset["origin"] = "ZZ"
    elif kind == "lineage-self-cycle" and dataset:
        dataset["derived_from"] = [*dataset.get("derived_from", []), dataset["id"]]
    elif kind == "subjects-negative" and dataset:
        dataset["subjects"] = -1
    elif kind == "bool-as-string" and dataset:
        dataset["important"] = "no"
    elif kind == "self-loop" and flow:
        flow["to"] = flow["from"]
    elif kind == "unknown-target" and flow:
        flow["to"] = f"zz-{junk}"
    elif kind == "repeated-reference" and flow and flow["datasets"]:
        flow["datasets"].append(flow["datasets"][0])
    elif kind == "unknown-mode" and flow:
        flow["mode"] = f"zz-{junk}"
    elif kind == "approval-backwards" and approval:
        approval["valid_from"], approval["expires"] = approval["expires"], approval["valid_from"]
    elif kind == "approval-bad-date" and approval:
        approval["expires"] = "2025-02-30"
    elif kind == "unknown-controlled-from" and system:
        system["components"] = [
            {"name": "tcu", "function": "vcs-hardware", "controlled_from": f"zz-{junk}"}
        ]
    elif kind == "model-year-string" and system:
        system["vehicle"] = {"model_year": "2027"}
    elif kind == "section-mapping" and system:
        spec["systems"] = system
    elif kind == "top-level-list":
        return [spec]  # type: ignore[return-value]
    else:
        return None
    return spec


MUTATIONS = [
    "drop-version",
    "version-string",
    "unknown-field",
    "unknown-location",
    "location-number",
    "null-id",
    "duplicate-id",
    "unknown-category",
    "unknown-origin",
    "lineage-self-cycle",
    "subjects-negative",
    "bool-as-string",
    "self-loop",
    "unknown-target",
    "repeated-reference",
    "unknown-mode",
    "approval-backwards",
    "approval-bad-date",
    "unknown-controlled-from",
    "model-year-string",
    "section-mapping",
    "top-level-list",
]
TEXT_MUTATIONS = ["duplicate-top-key", "tab-indent", "nan", "huge-int", "python-tag", "deep"]


def _text_mutate(text: str, kind: str) -> str:
    if kind == "duplicate-top-key":
        return text + "name: again\n"
    if kind == "tab-indent":
        return text.replace("\n  ", "\n\t", 1) if "\n  " in text else text + "systems:\n\t- {}\n"
    if kind == "nan":
        return text + "description: .nan\n"
    if kind == "huge-int":
        return text + "description: " + "7" * 5000 + "\n"
    if kind == "python-tag":
        return text + "description: !!python/object/apply:os.system [true]\n"
    if kind == "deep":
        return text + "description: " + "[" * 70 + "]" * 70 + "\n"
    raise AssertionError(kind)


def _check(text: str | bytes, suffix: str) -> tuple[int, str, str, str]:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "spec" + suffix)
        with open(path, "wb") as handle:
            handle.write(text if isinstance(text, bytes) else text.encode("utf-8"))
        result = CliRunner().invoke(
            main, ["check", "--as-of", "2026-11-25", "--format", "json", path]
        )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(
            f"dlc raised {type(result.exception).__name__}: {result.exception}\n{text!r:.2000}"
        ) from result.exception
    return result.exit_code, result.stdout, result.stderr, path


def _assert_one_error_line(code: int, stderr: str, path: str, text) -> None:
    assert code == 2, f"expected exit 2, got {code}\n{text!r:.3000}"
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line, got {stderr!r}\n{text!r:.3000}"
    assert lines[0].startswith(f"dlc: error: {path}"), lines[0]
    assert re.match(rf"dlc: error: {re.escape(path)}(:\d+(:\d+)?)?: \S", lines[0]), lines[0]
    assert "internal error" not in stderr and "Traceback" not in stderr


def _dump(spec, as_json: bool) -> tuple[str, str]:
    if as_json:
        return json.dumps(spec, indent=1), ".json"
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), ".yaml"


@given(
    spec=valid_specs(),
    mutation=st.sampled_from([None, None, *MUTATIONS, *TEXT_MUTATIONS]),
    as_json=st.booleans(),
    junk=st.from_regex(r"[a-z]{1,6}", fullmatch=True),
)
def test_generated_and_mutated_specs(spec, mutation, as_json, junk):
    if mutation in TEXT_MUTATIONS:
        text, suffix = _dump(spec, as_json=False)
        text = _text_mutate(text, mutation)
    else:
        if mutation is not None:
            mutated = _mutate(spec, mutation, junk)
            spec, mutation = (mutated, mutation) if mutated is not None else (spec, None)
        text, suffix = _dump(spec, as_json)
    code, stdout, stderr, path = _check(text, suffix)
    if mutation is None:  # valid: evaluated, with a verdict
        assert code in (0, 1), f"valid spec rejected (exit {code}): {stderr}\n{text}"
        assert stderr == "", stderr
        report = json.loads(stdout)
        assert report["errors"] == [] and report["summary"]["specs"] == 1
        assert (code == 1) == bool(report["violations"])
    else:
        _assert_one_error_line(code, stderr, path, text)


@settings(max_examples=SMALL)
@given(spec=valid_specs(), data=st.data())
def test_byte_level_damage_never_crashes(spec, data):
    raw = bytearray(yaml.safe_dump(spec, sort_keys=False).encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 4))):
        action = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if action == "flip" and raw:
            raw[at] = data.draw(st.integers(0, 255))
        elif action == "insert":
            raw[at:at] = data.draw(
                st.sampled_from(
                    [
                        b"\t",
                        b"&a ",
                        b"*a ",
                        b"!!binary ",
                        b"<<: ",
                        b"\x00",
                        b"\xff",
                        b'"',
                        b"'",
                        b"{",
                        b"[",
                        b"- ",
                        b": ",
                        b"\n---\n",
                        b"~",
                        b"\xe2\x80\xae",
                    ]
                )
            )
        elif action == "delete" and raw:
            del raw[at : at + data.draw(st.integers(1, 20))]
        elif action == "truncate":
            del raw[at:]
    code, _, stderr, path = _check(bytes(raw), ".yaml")
    assert code in (0, 1, 2)
    assert "Traceback" not in stderr and "internal error" not in stderr
    if code == 2:
        _assert_one_error_line(code, stderr, path, bytes(raw))
    else:
        assert stderr == ""


@settings(max_examples=SMALL)
@given(
    document=st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=10), children, max_size=4)
        ),
        max_leaves=30,
    ),
    as_json=st.booleans(),
)
def test_arbitrary_documents_are_rejected_cleanly(document, as_json):
    text, suffix = _dump(
        {"version": 1, "name": "x", "extra": document} if isinstance(document, dict) else document,
        as_json,
    )
    code, _, stderr, path = _check(text, suffix)
    _assert_one_error_line(code, stderr, path, text)


# --- the fast JSON path (checker/load/fast_json.py) against the careful path ------------------

JSON_TEXT_MUTATIONS = [
    "duplicate-key-same-value",
    "duplicate-key-new-value",
    "explicit-defaults",
    "space-before-colon",
    "escaped-quote-colon",
    "nbsp-in-id",
    "null-purpose",
]


def _json_text_mutate(spec: dict, kind: str) -> str:
    """JSON text no dict can hold (repeated keys) or that writes what a dict would leave out."""
    spec = json.loads(json.dumps(spec))
    flow, system = _first(spec, "flows"), _first(spec, "systems")
    target = flow or system
    if kind == "explicit-defaults":
        for item in spec.get("flows", []):
            (
                item.setdefault("mode", "copy"),
                item.setdefault("approvals", []),
                item.setdefault("purpose", None),
            )
        for item in spec.get("systems", []):
            item.setdefault("kind", "other"), item.setdefault("accelerators", [])
    elif kind == "null-purpose" and flow:
        flow["purpose"] = None
    elif kind == "nbsp-in-id" and system:
        system["id"] += "\u00a0x"
    elif kind == "escaped-quote-colon":
        spec["description"] = 'say "hi": ok'
    text = json.dumps(spec, indent=1)
    if kind == "space-before-colon":
        text = text.replace('": ', '" : ')
    elif kind.startswith("duplicate-key") and target:
        key = "to" if flow else "location"
        value = json.dumps(target[key] if kind.endswith("same-value") else "US")
        text = text.replace(
            f'"{key}": {json.dumps(target[key])}',
            f'"{key}": {value}, "{key}": {json.dumps(target[key])}',
            1,
        )
    return text


def _assert_same_model(one, other) -> None:
    """Equal declarations, of the same types in the same containers, whichever loader built them
    (a struct equals only a struct of its own type; a tuple never equals a list)."""
    assert (one.name, one.organization) == (other.name, other.organization)
    for section in ("systems", "datasets", "flows", "approvals"):
        mine, theirs = getattr(one, section), getattr(other, section)
        assert mine == theirs, section
        assert [type(item) for item in mine] == [type(item) for item in theirs], section
        assert all(
            isinstance(value, tuple)
            for item in mine
            for value in msgspec.structs.astuple(item)
            if isinstance(value, (list, tuple))
        )


def _places(spec) -> list:
    return [
        spec.location_of(section, item.id)
        for section in ("systems", "datasets", "flows", "approvals")
        for item in getattr(spec, section)
    ]


@settings(max_examples=SMALL * 3)
@given(
    spec=valid_specs(),
    mutation=st.sampled_from([None, *MUTATIONS, *JSON_TEXT_MUTATIONS]),
    junk=st.from_regex(r"[a-z]{1,6}", fullmatch=True),
    compact=st.booleans(),
)
def test_fast_json_path_is_sure_only_of_what_the_careful_path_accepts(
    spec, mutation, junk, compact
):
    """Whatever the fast path accepts, the careful path accepts as an equal model (same types,
    same containers, same values), and so does the YAML loader given the same document; a valid
    spec written plainly is taken by the fast path (else it would never be exercised)."""
    from checker.errors import InputError
    from checker.load.documents import load_file
    from checker.load.spec import load_fast, load_spec

    if mutation in JSON_TEXT_MUTATIONS:
        text = _json_text_mutate(spec, mutation)
    else:
        mutated = _mutate(spec, mutation, junk) if mutation else None
        text = json.dumps(
            mutated if mutated is not None else spec,
            indent=None if compact else 1,
            ensure_ascii=not compact,
        )
        mutation = mutation if mutated is not None else None
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "spec.json")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        fast = load_fast(path)
        try:
            careful = load_spec(path, document=load_file(path)[0])
        except InputError as exc:
            careful = exc
        if fast is not None:
            assert not isinstance(careful, InputError), (
                f"fast path took what the careful path refuses: {careful}\n{text}"
            )
            _assert_same_model(fast, careful)
            assert _places(fast) == _places(
                careful
            )  # where each declaration is written, found from bytes or text
            yaml_path = os.path.join(
                folder, "spec.yaml"
            )  # the same document in YAML: the same model again
            with open(yaml_path, "w", encoding="utf-8") as handle:
                yaml.safe_dump(json.loads(text), handle, allow_unicode=True, sort_keys=False)
            _assert_same_model(fast, load_spec(yaml_path))
    if mutation is None:
        assert fast is not None, f"the fast path doubted a plain valid spec\n{text}"
