"""The connected-vehicle spec additions (systems[].vehicle, systems[].components): strict loading
with lines, the same values through the fast JSON path, and the system facts rules read."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import textwrap

import pytest
import yaml
from click.testing import CliRunner

from checker.cli import main
from checker.evaluate.engine import evaluate
from checker.language.rules import compile_rule
from checker.load.policy import load_policy
from checker.load.spec import load_fast, load_spec
from checker.resolve.resolver import resolve

FLEET = """\
version: 1
name: t
organization: {headquarters: CN}
systems:
  - id: us-fleet
    kind: device-fleet
    location: US
    vehicle: {model_year: 2027}
    components:
      - {name: tcu, function: vcs-hardware, supplier: Example Telematics Ltd, controlled_from: CN}
      - {name: tcu-fw, function: vcs-software, controlled_from: hk}
      - {name: ads, function: ads-software}
      - {name: seat, function: other, controlled_from: DE}
  - {id: depot, kind: other, location: US, components: [{name: tcu, function: vcs-hardware, controlled_from: RU}]}
  - {id: plain, location: DE}
"""


def write(tmp_path, text: str, name: str = "spec.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def system_facts(path: str) -> dict:
    """The facts each system shows a rule, read through a rule that fires on every system."""
    policy = load_policy("default")
    rule = policy.available["US-CV-SUPPLIER-CONTROL-UNKNOWN"]
    compiled = compile_rule(rule, {"countries": ["US", "DE"]}, policy.groups)
    seen = {}
    original = compiled.predicate

    def spy(ctx):
        s = ctx.system
        seen[s.id] = (
            s.model_year,
            s.component_functions,
            s.vcs_hardware_from,
            s.vcs_software_from,
            s.ads_software_from,
        )
        return original(ctx)

    evaluate(
        resolve(load_spec(path)),
        [dataclasses.replace(compiled, predicate=spy)],
        dt.date(2026, 11, 25),
    )
    return seen


def test_components_become_system_facts(tmp_path):
    facts = system_facts(write(tmp_path, FLEET))
    assert facts["us-fleet"] == (
        2027,
        frozenset({"vcs-hardware", "vcs-software", "ads-software", "other"}),
        frozenset({"CN"}),
        frozenset({"HK"}),
        frozenset({"unknown"}),
    )
    assert facts["depot"] == (
        math.inf,
        frozenset({"vcs-hardware"}),
        frozenset({"RU"}),
        frozenset(),
        frozenset(),
    )
    assert facts["plain"] == (math.inf, frozenset(), frozenset(), frozenset(), frozenset())


@pytest.mark.parametrize(
    "old,new,message,line",
    [
        ("controlled_from: hk}", "controlled_from: Atlantis}", "systems 'us-fleet': unknown", 11),
        ("function: other,", "function: infotainment,", "systems[0].components[3].function", 13),
        ("vehicle: {model_year: 2027}", "vehicle: {}", "systems[0].vehicle.model_year", 8),
        (
            "vehicle: {model_year: 2027}",
            "vehicle: {model_year: '2027'}",
            "systems[0].vehicle.model_year",
            8,
        ),
        (
            "{name: ads, function: ads-software}",
            "{name: ads}",
            "systems[0].components[2].function",
            12,
        ),
        (
            "{name: ads, function: ads-software}",
            "{name: ads, function: ads-software, firmware: 3}",
            "systems[0].components[2].firmware",
            12,
        ),
    ],
)
def test_bad_vehicle_and_component_fields_are_input_errors_with_their_line(
    tmp_path, old, new, message, line
):
    assert old in FLEET
    path = write(tmp_path, FLEET.replace(old, new))
    result = CliRunner().invoke(main, ["check", path], catch_exceptions=False)
    assert result.exit_code == 2
    assert f"{path}:{line}:" in result.stderr and message in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_the_fast_json_path_reads_vehicles_and_components_as_the_careful_path_does(tmp_path):
    document = yaml.safe_load(FLEET)
    path = write(tmp_path, json.dumps(document), "spec.json")
    fast, careful = load_fast(path), load_spec(write(tmp_path, FLEET))
    assert fast is not None  # certainly valid: the fast path answered
    for quick, slow in zip(fast.systems, careful.systems, strict=True):
        assert (quick.vehicle and quick.vehicle.model_year) == (
            slow.vehicle and slow.vehicle.model_year
        )
        assert [(c.name, c.function, c.supplier, c.controlled_from) for c in quick.components] == [
            (c.name, c.function, c.supplier, c.controlled_from) for c in slow.components
        ]


def test_a_json_spec_gives_the_same_findings_as_its_yaml(tmp_path):
    yaml_path = write(tmp_path, FLEET)
    json_path = write(tmp_path, json.dumps(yaml.safe_load(FLEET)), "spec.json")
    reports = []
    for path in (yaml_path, json_path):
        result = CliRunner().invoke(
            main, ["check", path, "--as-of", "2029-06-01", "--format", "json"]
        )
        assert result.exit_code == 1
        report = json.loads(result.stdout)
        reports.append(
            sorted(
                (f["rule"], f["subject"]["id"]) for f in report["violations"] + report["notices"]
            )
        )
    assert (
        reports[0]
        == reports[1]
        == [
            ("US-CV-HARDWARE-NO-MODEL-YEAR", "depot"),
            ("US-CV-MANUFACTURER", "us-fleet"),
            ("US-CV-SOFTWARE", "us-fleet"),
            ("US-CV-SUPPLIER-CONTROL-UNKNOWN", "us-fleet"),
        ]
    )
