"""`dlc explain` (DESIGN.md "Explain"): why a rule fired or did not, leaf by leaf, with the path
and each approval's coverage; findings and non-findings; exit codes; the JSON form. The side pass
must agree with `dlc check` on every example, rule and date."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from checker.cli import main
from checker.evaluate.explain import explain_inputs
from checker.evaluate.run import Options, check
from checker.load.policy import load_policy

ROOT = Path(__file__).resolve().parent.parent
EXPORT = str(ROOT / "examples/fsd-export.yaml")
APPROVED = str(ROOT / "examples/fsd-export-approved.yaml")


def explain(*args: str):
    return CliRunner().invoke(main, ["explain", *args])


def section(stdout: str, heading: str) -> list[str]:
    """The lines of one subject's explanation, from its heading to the blank line after it."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    return lines[start : lines.index("", start)]


def test_a_finding_is_explained_leaf_by_leaf_with_its_path_and_message():
    result = explain(EXPORT, "--rule", "CN-PI-EXPORT", "--as-of", "2026-11-25")
    assert result.exit_code == 0, result.output
    lines = section(result.stdout, "flow export-to-us, dataset fleet-video")
    assert lines[0].startswith("flow export-to-us, dataset fleet-video: FIRED  (")
    assert lines[0].endswith("examples/fsd-export.yaml:39)")
    assert "  path: fleet-cn → shanghai-dc → palo-alto-training" in lines
    for leaf in (
        "      dataset.origins any_in [CN] (group cn-mainland) → [CN]: true",
        "      flow.crosses_border eq true → true: true",
        "      destination.country not_in [CN] (group cn-mainland) → US: true",
        "          cumulative.other_subjects lt 100000 (param exemption_threshold) → 0: true",  # 1.5M are sensitive
        "      transfer.mechanisms none_in [cn-certification, cn-security-assessment, cn-standard-contract]"
        " (param mechanisms) → []: true",
    ):
        assert leaf in lines
    assert [line for line in lines if line.strip() in ("all: true", "not: true", "all: false")] == [
        "    all: true",
        "      not: true",
        "        all: false",
    ]
    assert "  approvals: none could cover it" in lines
    assert any(
        line.startswith("  message: Dataset fleet-video holds personal information")
        for line in lines
    )
    # findings first, then the flow that did not fire; the summary counts both
    assert result.stdout.index("flow export-to-us") < result.stdout.index("flow upload")
    assert result.stdout.rstrip().endswith("2 subjects explained: 1 fired, 1 did not")


def test_a_non_finding_shows_which_leaf_was_false():
    result = explain(
        EXPORT, "--rule", "CN-PI-EXPORT", "--as-of", "2026-11-25", "--subject", "upload"
    )
    assert result.exit_code == 0
    lines = section(result.stdout, "flow upload")
    assert lines[0].startswith("flow upload, dataset fleet-video: did not fire")
    assert "    all: false" in lines
    assert "      flow.crosses_border eq true → false: false" in lines
    assert "      destination.country not_in [CN] (group cn-mainland) → CN: false" in lines
    assert (
        "      dataset.categories contains personal → [geolocation, personal, vehicle-exterior-video]: true"
        in lines
    )
    assert not any(line.startswith("  message:") for line in lines)
    assert "export-to-us" not in result.stdout


@pytest.mark.parametrize(
    "as_of, verdict, covers, validity",
    [
        (
            "2025-06-01",
            "FIRED",
            "does not cover",
            "✗ not yet valid on 2025-06-01: valid from 2025-12-01",
        ),
        ("2026-11-25", "did not fire", "covers", "✓ valid on 2026-11-25 (expires 2029-01-01)"),
        ("2029-06-01", "FIRED", "does not cover", "✗ expired 2029-01-01"),
    ],
)
def test_an_approval_covers_only_while_valid(as_of, verdict, covers, validity):
    result = explain(
        APPROVED, "--rule", "CN-PI-EXPORT", "--as-of", as_of, "--subject", "flow/export-to-us"
    )
    assert result.exit_code == 0
    lines = section(result.stdout, "flow export-to-us")
    assert f": {verdict}" in lines[0]
    assert lines[lines.index("  approvals:") + 1 :][:6] == [
        f"    cac-sa-2025-031 (cn-security-assessment): {covers}",
        "      ✓ listed on flow export-to-us of the path",
        "      ✓ covers dataset fleet-video",
        "      ✓ destination US in approval's destinations [US]",
        "      ✓ purpose fsd-training in approval's purposes [fsd-training]",
        f"      {validity}",
    ]
    mechanisms = "[cn-security-assessment]" if covers == "covers" else "[]"
    assert any(
        line.strip().startswith("transfer.mechanisms none_in")
        and line.endswith(f"→ {mechanisms}: {'false' if covers == 'covers' else 'true'}")
        for line in lines
    )


def test_each_reason_an_approval_does_not_cover(tmp_path):
    """Wrong destination and purpose on the path; another approval names the data but no flow lists it."""
    spec = yaml.safe_load(Path(APPROVED).read_text())
    spec["approvals"][0].update(destinations=["DE"], purposes=["analytics"])
    spec["datasets"].append(
        {"id": "clips", "derived_from": ["fleet-video"], "transform": "pseudonymized"}
    )
    spec["flows"].append(
        {
            "id": "clips-out",
            "from": "shanghai-dc",
            "to": "palo-alto-training",
            "datasets": ["clips"],
            "purpose": "fsd-training",
        }
    )
    spec["approvals"].append(
        {
            "id": "scc-other",
            "kind": "cn-standard-contract",
            "datasets": ["other"],
            "destinations": ["US"],
            "valid_from": "2025-01-01",
            "expires": "2027-01-01",
        }
    )
    spec["flows"][1]["approvals"].append("scc-other")
    spec["datasets"].append({"id": "other", "origin": "CN", "categories": ["personal"]})
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))

    result = explain(
        str(path),
        "--rule",
        "CN-PI-EXPORT",
        "--as-of",
        "2026-11-25",
        "--dataset",
        "fleet-video",
        "--subject",
        "export-to-us",
    )
    assert result.exit_code == 0, result.output
    lines = section(result.stdout, "flow export-to-us")
    assert "FIRED" in lines[0]
    assert lines[lines.index("  approvals:") + 1 :][:12] == [
        "    cac-sa-2025-031 (cn-security-assessment): does not cover",
        "      ✓ listed on flow export-to-us of the path",
        "      ✓ covers dataset fleet-video",
        "      ✗ destination US not in approval's destinations [DE]",
        "      ✗ purpose fsd-training not in approval's purposes [analytics]",
        "      ✓ valid on 2026-11-25 (expires 2029-01-01)",
        "    scc-other (cn-standard-contract): does not cover",
        "      ✓ listed on flow export-to-us of the path",
        "      ✗ dataset fleet-video not in approval's datasets [other]",
        "      ✓ destination US in approval's destinations [US]",
        "      ✓ any purpose (the approval names none)",
        "      ✓ valid on 2026-11-25 (expires 2027-01-01)",
    ]

    derived = explain(
        str(path), "--rule", "CN-PI-EXPORT", "--as-of", "2026-11-25", "--subject", "clips-out"
    )
    lines = section(derived.stdout, "flow clips-out, dataset clips")
    assert "      ✗ not listed on any flow of the path" in lines
    assert "      ✓ covers dataset clips through its source fleet-video" in lines


def test_unknown_rule_and_unknown_subject_exit_2_with_one_line():
    result = explain(EXPORT, "--rule", "NO-SUCH-RULE")
    assert result.exit_code == 2
    assert result.stderr == "dlc: error: no rule NO-SUCH-RULE (see `dlc rules list --all`)\n"
    result = explain(EXPORT, "--rule", "CN-PI-EXPORT", "--subject", "nowhere")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "dlc: error: rule CN-PI-EXPORT has nothing to explain for subject 'nowhere'"
    )
    assert len(result.stderr.splitlines()) == 1


def test_an_input_error_exits_2_and_the_other_inputs_are_still_explained(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nname: b\nsystems:\n  - {id: x, location: NOWHERE-9}\n")
    result = explain(
        EXPORT, str(broken), "--rule", "CN-PI-EXPORT", "--as-of", "2026-11-25", "--format", "json"
    )
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert [e["subject"]["id"] for e in data["explanations"]] == ["export-to-us", "upload"]
    assert data["errors"][0]["file"] == str(broken) and data["errors"][0]["line"] == 4
    assert "broken.yaml:4" in result.stderr


def test_a_rule_not_in_force_says_so_and_does_not_fire():
    result = explain(EXPORT, "--rule", "CN-PI-EXPORT", "--as-of", "2021-06-01")
    assert result.exit_code == 0
    assert (
        "  as of 2021-06-01: not in force (in force from 2021-11-01): dlc check does not apply it on 2021-06-01"
        in result.stdout.splitlines()
    )
    assert "FIRED" not in result.stdout
    # the condition is still traced: it would hold on the export if the law applied
    assert "    all: true" in section(result.stdout, "flow export-to-us")
    data = json.loads(
        explain(
            EXPORT, "--rule", "CN-PI-EXPORT", "--as-of", "2021-06-01", "--format", "json"
        ).stdout
    )
    assert data["in_force"] is False and data["note"].startswith("not in force")
    assert [e["fired"] for e in data["explanations"]] == [False, False]


def test_a_rule_the_policy_leaves_off_is_explained_with_its_defaults(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text('name: narrow\nextends: default\nexclude: ["CN-*"]\n')
    result = explain(
        EXPORT, "--rule", "CN-PI-EXPORT", "--policy", str(policy), "--as-of", "2026-11-25"
    )
    assert result.exit_code == 0
    assert "policy narrow (off in this policy: its defaults)" in result.stdout
    assert "flow export-to-us, dataset fleet-video: FIRED" in result.stdout


def test_json_has_the_same_facts_as_data():
    result = explain(
        APPROVED, "--rule", "CN-PI-EXPORT", "--as-of", "2029-06-01", "--format", "json"
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert list(data) == [
        "rule",
        "policy",
        "as_of",
        "in_force",
        "note",
        "summary",
        "explanations",
        "errors",
    ]
    assert data["rule"]["id"] == "CN-PI-EXPORT" and data["rule"]["effective"] == "2021-11-01"
    assert data["as_of"] == "2029-06-01" and data["in_force"] is True and data["errors"] == []
    assert data["summary"] == {"explained": 2, "fired": 1}
    fired, quiet = data["explanations"]
    assert (fired["subject"], fired["dataset"], fired["fired"]) == (
        {"kind": "flow", "id": "export-to-us"},
        "fleet-video",
        True,
    )
    assert fired["path"] == ["fleet-cn", "shanghai-dc", "palo-alto-training"]
    assert fired["location"]["line"] == 42 and fired["message"].startswith("Dataset fleet-video")
    assert (
        quiet["subject"]["id"] == "upload" and quiet["fired"] is False and quiet["message"] is None
    )
    condition = fired["condition"]
    assert condition["node"] == "all" and condition["result"] is True
    subjects = next(
        leaf
        for leaf in condition["children"][4]["children"][0]["children"]
        if leaf.get("fact") == "cumulative.other_subjects"
    )
    assert subjects == {
        "node": "test",
        "fact": "cumulative.other_subjects",
        "operator": "lt",
        "expected": 100000,
        "source": {"param": "exemption_threshold"},
        "actual": 0,
        "result": True,
    }
    (approval,) = fired["approvals"]
    assert (approval["id"], approval["covers"]) == ("cac-sa-2025-031", False)
    assert approval["checks"][-1] == {
        "check": "validity",
        "ok": False,
        "reason": "expired 2029-01-01",
    }
    assert [c["check"] for c in approval["checks"]] == [
        "listed",
        "dataset",
        "destination",
        "purpose",
        "validity",
    ]


def test_output_is_deterministic(tmp_path):
    args = [APPROVED, "--rule", "CN-PI-EXPORT", "--as-of", "2029-06-01", "--format", "json"]
    assert explain(*args).stdout == explain(*args).stdout
    out = tmp_path / "explain.json"
    assert explain(*args, "--output", str(out)).exit_code == 0
    assert out.read_text() == explain(*args).stdout


def test_a_system_rule_explains_licences(tmp_path):
    spec = yaml.safe_load((ROOT / "examples/cn-training-h100.yaml").read_text())
    spec.setdefault("approvals", []).append(
        {
            "id": "bis-1",
            "kind": "us-export-license",
            "systems": ["ulanqab-training"],
            "destinations": ["CN"],
            "valid_from": "2024-01-01",
            "expires": "2025-01-01",
        }
    )
    spec["systems"] = [
        dict(s, approvals=["bis-1"]) if s["id"] == "ulanqab-training" else s
        for s in spec["systems"]
    ]
    path = tmp_path / "h100.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    result = explain(
        str(path),
        "--rule",
        "US-EAR-AC-LICENCE",
        "--as-of",
        "2026-11-25",
        "--subject",
        "ulanqab-training",
    )
    assert result.exit_code == 0, result.output
    lines = section(result.stdout, "system ulanqab-training")
    assert "FIRED" in lines[0]
    assert lines[lines.index("  approvals:") + 1 :][:4] == [
        "    bis-1 (us-export-license): does not cover",
        "      ✓ listed by system ulanqab-training",
        "      ✓ names system ulanqab-training",
        "      ✗ expired 2025-01-01",
    ]


EXAMPLES = sorted(
    str(p.relative_to(ROOT))
    for p in (ROOT / "examples").rglob("*")  # not those that need their
    if p.suffix in (".yaml", ".json")
    and "policies" not in p.parts  # folder's dlc.yaml
    and not (p.parent / "dlc.yaml").exists()
)


def leaves(node: dict) -> list[dict]:
    return (
        [node]
        if node["node"] == "test"
        else [leaf for child in node["children"] for leaf in leaves(child)]
    )


@pytest.mark.parametrize("example", EXAMPLES)
def test_explain_fires_exactly_where_check_finds(example):
    """The side pass and the engine agree on every rule, subject, dataset and path, on three dates;
    where a rule is in force, the traced condition's result is the verdict; the approvals said to
    cover are exactly the mechanisms the engine found."""
    policy = load_policy(None, [])
    for as_of in (dt.date(2021, 1, 1), dt.date(2026, 11, 25), dt.date(2030, 1, 1)):
        options = Options(as_of=as_of)
        report = check([str(ROOT / example)], policy, options)
        assert not report.errors
        found = sorted(
            (f.rule, f.subject_kind, f.subject_id, f.dataset, f.path)
            for f in report.violations + report.notices + report.suppressed
        )
        explained = []
        for rule in policy.rules:
            result = explain_inputs([str(ROOT / example)], policy, rule.id, options)
            for e in result.explanations():
                assert e.condition["result"] == e.fired or not result.in_force, (
                    rule.id,
                    e.subject_id,
                )
                covering = {a.kind for a in e.approvals if a.covers}
                assert all(
                    leaf["actual"] == covering
                    for leaf in leaves(e.condition)
                    if leaf["fact"] == "transfer.mechanisms"
                ), (rule.id, e.subject_id, e.dataset)
                if e.fired:
                    explained.append((rule.id, e.subject_kind, e.subject_id, e.dataset, e.path))
        assert sorted(explained) == found, as_of


def test_the_configuration_file_gives_explain_its_policy_and_a_flag_wins(tmp_path, monkeypatch):
    monkeypatch.delenv("DLC_CONFIG", raising=False)
    (tmp_path / "narrow.yaml").write_text('name: narrow\nextends: default\nexclude: ["CN-*"]\n')
    (tmp_path / "dlc.yaml").write_text("policy: narrow.yaml\nformat: [sarif]\n")
    args = [
        EXPORT,
        "--rule",
        "CN-PI-EXPORT",
        "--as-of",
        "2026-11-25",
        "--config",
        str(tmp_path / "dlc.yaml"),
    ]
    result = explain(*args)
    assert result.exit_code == 0, result.output
    assert (
        "policy narrow (off in this policy: its defaults)" in result.stdout
    )  # the text format, not sarif
    assert "; policy default\n" in explain(*args, "--policy", "default").stdout


def test_a_rule_of_ones_own_with_mixed_values_is_traced(tmp_path):
    """Values as written may mix null with text or be numbers: shown in order, never a crash."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "mix.yaml").write_text(
        "id: TST-MIX\ntitle: A flow states no purpose or one of a list\nseverity: low\ncategory: spec-integrity\n"
        'subject: flow\neffective: 2020-01-01\nreferences: ["Test (2020-01-01)"]\nwhen:\n  any:\n'
        "    - {fact: flow.purpose, in: [training, null]}\n"
        '    - {fact: source.accelerator_count, in: [10, 9, 100]}\nmessage: "{flow.id}"\nremediation: none\n'
    )
    (tmp_path / "policy.yaml").write_text('name: mix\nextends: default\ninclude: ["TST-*"]\n')
    args = [
        EXPORT,
        "--rule",
        "TST-MIX",
        "--rules",
        str(tmp_path / "rules"),
        "--policy",
        str(tmp_path / "policy.yaml"),
        "--subject",
        "upload",
    ]
    lines = explain(*args).stdout.splitlines()
    assert "      flow.purpose in [unknown, training] → unknown: true" in lines
    assert "      source.accelerator_count in [9, 10, 100] → 0: false" in lines
    leaf = json.loads(explain(*args, "--format", "json").stdout)["explanations"][0]["condition"][
        "children"
    ][0]
    assert leaf["expected"] == [None, "training"] and leaf["actual"] is None


@pytest.mark.parametrize("as_of, suppressed", [("2026-11-25", True), ("2027-06-30", False)])
def test_a_finding_an_exemption_covers_says_so_while_it_applies(as_of, suppressed):
    args = [
        str(ROOT / "examples/in-payments.yaml"),
        "--rule",
        "IN-RBI-PAYMENT-STORAGE",
        "--as-of",
        as_of,
        "--exemptions",
        str(ROOT / "examples/policies/exemptions.yaml"),
        "--subject",
        "fraud-desk-sg",
    ]
    lines = section(explain(*args).stdout, "system fraud-desk-sg, dataset upi-txns")
    assert "FIRED" in lines[0]
    shown = [
        line for line in lines if line.startswith("  suppressed by exemption: Fraud review reads")
    ]
    assert bool(shown) == suppressed
    if suppressed:
        assert shown[0].endswith("(owner compliance@examplepay.in, expires 2027-06-30)")
    entry = json.loads(explain(*args, "--format", "json").stdout)["explanations"][0]
    assert (entry["suppression"] or {}).get("owner") == (
        "compliance@examplepay.in" if suppressed else None
    )
    if suppressed:
        assert (
            entry["suppression"]["kind"] == "exemption"
            and entry["suppression"]["expires"] == "2027-06-30"
        )


def test_a_flow_the_data_crosses_two_ways_shows_the_way_that_fired(tmp_path):
    """Through one relay the assessment is listed, through the other a contract for another country:
    the export flow is crossed twice, and the finding (and its explanation) is the uncovered way."""
    spec = {
        "version": 1,
        "name": "two-ways",
        "systems": [
            {"id": s, "location": loc}
            for s, loc in (
                ("sh", "CN"),
                ("relay-a", "CN"),
                ("relay-b", "CN"),
                ("hub", "CN"),
                ("us", "US"),
            )
        ],
        "datasets": [{"id": "pi", "origin": "CN", "categories": ["personal"]}],
        "flows": [
            {
                "id": "via-a",
                "from": "sh",
                "to": "relay-a",
                "datasets": ["pi"],
                "approvals": ["assessment"],
            },
            {
                "id": "via-b",
                "from": "sh",
                "to": "relay-b",
                "datasets": ["pi"],
                "approvals": ["contract"],
            },
            {"id": "a-hub", "from": "relay-a", "to": "hub", "datasets": ["pi"]},
            {"id": "b-hub", "from": "relay-b", "to": "hub", "datasets": ["pi"]},
            {"id": "out", "from": "hub", "to": "us", "datasets": ["pi"], "purpose": "training"},
        ],
        "approvals": [
            {
                "id": "assessment",
                "kind": "cn-security-assessment",
                "datasets": ["pi"],
                "destinations": ["US"],
                "valid_from": "2025-01-01",
                "expires": "2028-01-01",
            },
            {
                "id": "contract",
                "kind": "cn-standard-contract",
                "datasets": ["pi"],
                "destinations": ["SG"],
                "valid_from": "2025-01-01",
                "expires": "2028-01-01",
            },
        ],
    }
    path = tmp_path / "two-ways.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    checked = CliRunner().invoke(
        main, ["check", str(path), "--as-of", "2026-11-25", "--format", "json"]
    )
    finding = next(
        v for v in json.loads(checked.stdout)["violations"] if v["rule"] == "CN-PI-EXPORT"
    )
    result = explain(
        str(path), "--rule", "CN-PI-EXPORT", "--as-of", "2026-11-25", "--subject", "out"
    )
    lines = section(result.stdout, "flow out, dataset pi")
    assert "FIRED" in lines[0]
    assert f"  path: {' → '.join(finding['path'])}  (shown: the way that fired of 2 ways)" in lines
    assert finding["path"] == ["sh", "relay-b", "hub", "us"]
    assert lines[lines.index("  approvals:") + 1 :][:3] == [
        "    assessment (cn-security-assessment): does not cover",
        "      ✗ not listed on any flow of the path",
        "      ✓ covers dataset pi",
    ]
    assert "      ✓ listed on flow via-b of the path" in lines
    assert "      ✗ destination US not in approval's destinations [SG]" in lines


def test_a_dataset_rule_is_explained_on_where_the_data_went(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "ds.yaml").write_text(
        "id: TST-DS\ntitle: Chinese data reaches the US\nseverity: low\ncategory: data-residency\nsubject: dataset\n"
        'effective: 2020-01-01\nreferences: ["Test (2020-01-01)"]\nwhen:\n  all:\n'
        "    - {fact: dataset.origins, any_in: [CN]}\n    - {fact: dataset.reached_countries, contains: US}\n"
        'message: "{dataset.id}"\nremediation: none\n'
    )
    (tmp_path / "policy.yaml").write_text('name: ds\nextends: default\ninclude: ["TST-*"]\n')
    result = explain(
        EXPORT,
        "--rule",
        "TST-DS",
        "--rules",
        str(tmp_path / "rules"),
        "--policy",
        str(tmp_path / "policy.yaml"),
        "--as-of",
        "2026-11-25",
    )
    assert result.exit_code == 0, result.output
    lines = section(result.stdout, "dataset fleet-video")
    assert lines[0].startswith("dataset fleet-video: FIRED  (")
    assert "      dataset.reached_countries contains US → [CN, US]: true" in lines
    assert not any(line.startswith("  approvals") for line in lines)
