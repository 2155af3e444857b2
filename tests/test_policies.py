"""Built-in policy bundles and policy mechanics, by their real outcomes.

Every bundle loads and turns on what it says; `extends` changes parameters and severities;
exemptions suppress matching findings until they expire, after which the finding is back and a
DLC-EXEMPTION-EXPIRED notice says why; malformed policies fail with an error naming the problem.
The regional examples (eu-*, ru-*, in-*, sa-*) give the verdicts their header comments promise.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.language import dated
from checker.load.policy import builtin_policies, load_policy

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-25"

# What each bundle selects, as include globs; "*" means every rule.
# bundle -> (rule-id patterns it turns on, patterns it leaves out)
BUNDLES = {
    "default": (["*"], []),
    "strict": (["*"], []),
    "china-automotive": (["CN-*", "US-*", "SPEC-*", "APPROVAL-*"], []),
    "us-export-controls": (["US-*", "APPROVAL-*"], []),
    "eu-gdpr": (["EU-*", "APPROVAL-*", "SPEC-*"], ["EU-DATA-ACT-*"]),
}
DEFAULT_GROUPS = {
    "cn-mainland",
    "cn-ear",
    "us-ear-ac-licence",
    "us-doj-concern",
    "eu-eea",
    "gdpr-adequate",
    "us-ear-hq-d5-macau",
    "us-cv-concern",
}


def run(*args: str, cwd: Path = ROOT):
    """Run the CLI from `cwd` (relative paths in args resolve there)."""
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def listed(output: str) -> dict[str, str]:
    """`rules list` output as {rule id: severity column}."""
    rows = [line.split() for line in output.splitlines()[1:] if line.strip()]
    return {row[0]: row[1] for row in rows}


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def report(result) -> dict:
    return json.loads(result.stdout)


# --- the bundles ---------------------------------------------------------------------------------


def test_every_bundle_is_shipped():
    assert set(BUNDLES) <= set(builtin_policies())


@pytest.mark.parametrize("name", sorted(BUNDLES))
def test_bundle_loads_and_turns_on_what_it_says(name):
    policy = load_policy(name)
    assert policy.name == name
    include, exclude = BUNDLES[name]
    expected = {
        rule_id
        for rule_id in policy.available
        if any(fnmatch.fnmatchcase(rule_id, pattern) for pattern in include)
        and not any(fnmatch.fnmatchcase(rule_id, pattern) for pattern in exclude)
    }
    assert {rule.id for rule in policy.rules} == expected
    assert expected, f"{name} turns nothing on"
    # every bundle extends default, so it keeps every country group the rules refer to
    assert set(policy.groups) >= DEFAULT_GROUPS
    if name != "default":
        assert policy.files[0].endswith("default.yaml") and policy.files[-1].endswith(
            f"{name}.yaml"
        )


def test_default_turns_on_every_rule_with_the_rules_own_defaults():
    policy = load_policy("default")
    assert len(policy.rules) == len(policy.available)
    for rule in policy.rules:
        written = {name: dated.written(value) for name, value in rule.parameters.items()}
        assert written == policy.available[rule.id].defaults
        assert rule.severity == policy.available[rule.id].data["severity"]
    assert (
        policy.groups["eu-eea"] >= {"DE", "FR", "NO", "IS", "LI"}
        and len(policy.groups["eu-eea"]) == 30
    )
    adequate = policy.groups["gdpr-adequate"]  # dated: the list of each day
    assert not {"US", "CN"} & adequate.at(dt.date(2026, 11, 25)) and "BR" in adequate.at(
        dt.date(2026, 11, 25)
    )
    assert "BR" not in adequate.at(dt.date(2026, 1, 25)) and "GB" in adequate.at(
        dt.date(2018, 5, 25)
    )
    assert policy.groups["cn-mainland"] == {"CN"}


@pytest.mark.parametrize(
    "name,on,off",
    [
        (
            "eu-gdpr",
            ["EU-GDPR-TRANSFER", "EU-GDPR-SPECIAL-CATEGORY-TIA"],
            ["CN-PI-EXPORT", "RU-242-LOCALISATION", "IN-RBI-PAYMENT-STORAGE", "SA-PDPL-TRANSFER"],
        ),
        (
            "china-automotive",
            ["CN-PI-EXPORT"],
            ["EU-GDPR-TRANSFER", "RU-242-LOCALISATION", "SA-PDPL-TRANSFER"],
        ),
        ("us-export-controls", [], ["CN-PI-EXPORT", "EU-GDPR-TRANSFER", "IN-RBI-PAYMENT-STORAGE"]),
        (
            "strict",
            ["CN-PI-EXPORT", "EU-GDPR-TRANSFER", "RU-23FZ-FOREIGN-DATABASE", "SA-PDPL-TRANSFER"],
            [],
        ),
    ],
)
def test_rules_list_shows_what_a_bundle_turns_on(name, on, off):
    result = run("rules", "list", "--policy", name)
    assert result.exit_code == 0, result.output
    rows = listed(result.stdout)
    policy = load_policy(name)
    assert (
        result.stdout.splitlines()[0]
        == f"policy {name}: {len(rows)} of {len(policy.available)} rules on"
    )
    assert set(rows) == {rule.id for rule in policy.rules}
    for rule_id in on:
        assert rule_id in rows
    for rule_id in off:
        assert rule_id not in rows
    if name == "us-export-controls":
        assert rows and all(r.startswith(("US-", "APPROVAL-")) for r in rows)
    if name == "china-automotive":
        assert all(r.startswith(("CN-", "US-", "SPEC-", "APPROVAL-")) for r in rows)


def test_rules_list_all_marks_rules_a_bundle_leaves_off():
    rows = listed(run("rules", "list", "--policy", "eu-gdpr", "--all").stdout)
    assert rows["CN-PI-EXPORT"] == "off"
    assert rows["EU-GDPR-TRANSFER"] == "high"
    assert rows["EU-GDPR-SPECIAL-CATEGORY-TIA"] == "notice"


# --- extends: parameters and severities ----------------------------------------------------------


def _rule(policy_ref, rule_id):
    return next(rule for rule in load_policy(policy_ref).rules if rule.id == rule_id)


def test_eu_gdpr_stops_accepting_derogations_and_widens_the_tia_categories():
    default = _rule("default", "EU-GDPR-TRANSFER")
    eu = _rule("eu-gdpr", "EU-GDPR-TRANSFER")
    assert "eu-derogation" in default.parameters["mechanisms"]
    assert eu.parameters["mechanisms"] == ["eu-scc", "eu-bcr", "eu-certification"]
    # parameters the bundle does not set keep the rule's defaults
    today = dt.date(2026, 11, 25)
    assert (
        eu.at(today).parameters["certification"]
        == default.at(today).parameters["certification"]
        == "eu-us-dpf"
    )
    assert (
        "sensitive-personal"
        in _rule("eu-gdpr", "EU-GDPR-SPECIAL-CATEGORY-TIA").parameters["categories"]
    )


def test_strict_raises_severities_and_widens_23fz():
    for rule_id in (
        "EU-GDPR-TRANSFER",
        "RU-242-LOCALISATION",
        "RU-23FZ-FOREIGN-DATABASE",
        "IN-RBI-PAYMENT-STORAGE",
        "SA-PDPL-TRANSFER",
    ):
        assert _rule("default", rule_id).severity == "high"
        assert _rule("strict", rule_id).severity == "critical"
    assert _rule("strict", "RU-23FZ-FOREIGN-DATABASE").parameters["modes"] == [
        "copy",
        "replication",
        "backup",
    ]
    rows = listed(run("rules", "list", "--policy", "strict").stdout)
    assert rows["EU-GDPR-TRANSFER"] == "critical" and rows["CN-PI-EXPORT"] == "high"


@pytest.mark.parametrize("parent_file", ["base.yaml", "base.json"])
def test_a_parent_policy_file_is_found_beside_its_child_not_in_the_working_directory(
    tmp_path, monkeypatch, parent_file
):
    folder, elsewhere = tmp_path / "policies", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    (folder / parent_file).write_text(json.dumps({"name": "base", "extends": "eu-gdpr"}))
    (elsewhere / parent_file).write_text(json.dumps({"name": "decoy"}))  # must not be picked up
    child = write(folder / "child.yaml", f"name: child\nextends: {parent_file}\n")
    monkeypatch.chdir(elsewhere)
    policy = load_policy(str(child))
    assert [os.path.basename(p) for p in policy.files][-3:] == [
        "eu-gdpr.yaml",
        parent_file,
        "child.yaml",
    ]
    assert {r.id for r in policy.rules} == {r.id for r in load_policy("eu-gdpr").rules}


def test_a_child_policy_overrides_its_parent_and_inherits_the_rest(tmp_path):
    child = write(
        tmp_path / "child.yaml",
        """
        name: child
        extends: eu-gdpr
        settings:
          EU-GDPR-TRANSFER:
            severity: low
            parameters:
              certified_adequacy_countries: []
    """,
    )
    rule = _rule(str(child), "EU-GDPR-TRANSFER")
    assert rule.severity == "low"
    assert rule.parameters["certified_adequacy_countries"] == []
    assert rule.parameters["mechanisms"] == ["eu-scc", "eu-bcr", "eu-certification"]  # from eu-gdpr
    assert {r.id for r in load_policy(str(child)).rules} == {
        r.id for r in load_policy("eu-gdpr").rules
    }


DEROGATION_SPEC = """
    version: 1
    name: derogation
    systems:
      - {id: fra, location: DE}
      - {id: us-crm, location: US}
    datasets:
      - {id: customers, origin: DE, categories: [personal]}
    flows:
      - {id: FLOW, from: fra, to: us-crm, datasets: [customers], encrypted: true, approvals: [consent]}
    approvals:
      - {id: consent, kind: eu-derogation, datasets: [customers], destinations: [US]}
"""


def test_the_parameter_change_changes_the_verdict(tmp_path):
    spec = write(tmp_path / "spec.yaml", DEROGATION_SPEC.replace("FLOW", "to-us"))
    assert run("check", str(spec), "--as-of", AS_OF).exit_code == 0
    result = run("check", str(spec), "--as-of", AS_OF, "--policy", "eu-gdpr", "--format", "json")
    assert result.exit_code == 1
    assert [(v["rule"], v["subject"]["id"]) for v in report(result)["violations"]] == [
        ("EU-GDPR-TRANSFER", "to-us")
    ]
    strict = report(
        run("check", str(spec), "--as-of", AS_OF, "--policy", "strict", "--format", "json")
    )
    assert [(v["rule"], v["severity"]) for v in strict["violations"]] == [
        ("EU-GDPR-TRANSFER", "critical")
    ]


# --- exemptions ----------------------------------------------------------------------------------


def test_the_bundle_exemption_suppresses_the_matching_finding_until_it_expires(tmp_path):
    spec = write(tmp_path / "spec.yaml", DEROGATION_SPEC.replace("FLOW", "dlc-example-ticket-4711"))
    result = run("check", str(spec), "--as-of", AS_OF, "--policy", "eu-gdpr", "--format", "json")
    assert result.exit_code == 0, result.output
    out = report(result)
    assert out["violations"] == []
    assert [(s["rule"], s["subject"]["id"]) for s in out["suppressed"]] == [
        ("EU-GDPR-TRANSFER", "dlc-example-ticket-4711")
    ]
    assert out["suppressed"][0]["suppressed"]["owner"] == "privacy-office@example.com"
    assert out["suppressed"][0]["suppressed"]["expires"] == "2029-12-31"
    assert not any(n["rule"] == "DLC-EXEMPTION-EXPIRED" for n in out["notices"])

    expired = run(
        "check", str(spec), "--as-of", "2029-12-31", "--policy", "eu-gdpr", "--format", "json"
    )
    assert expired.exit_code == 1
    out = report(expired)
    assert [(v["rule"], v["subject"]["id"]) for v in out["violations"]] == [
        ("EU-GDPR-TRANSFER", "dlc-example-ticket-4711")
    ]
    assert out["suppressed"] == []
    notices = [n for n in out["notices"] if n["rule"] == "DLC-EXEMPTION-EXPIRED"]
    assert len(notices) == 1 and "expired on 2029-12-31" in notices[0]["message"]
    assert notices[0]["severity"] == "notice"


@pytest.mark.parametrize(
    "as_of, suppressed",
    [("2026-06-30", False), ("2026-07-01", True), ("2027-06-29", True), ("2027-06-30", False)],
)
def test_an_exemption_applies_from_its_grant_until_its_expiry(as_of, suppressed):
    """examples/policies/exemptions.yaml: granted 2026-07-01, expires 2027-06-30."""
    out = report(
        run(
            "check",
            "examples/in-payments.yaml",
            "--exemptions",
            "examples/policies/exemptions.yaml",
            "--as-of",
            as_of,
            "--format",
            "json",
        )
    )
    rules = [v["rule"] for v in (out["suppressed"] if suppressed else out["violations"])]
    assert rules == ["IN-RBI-PAYMENT-STORAGE"]


def test_an_exemption_only_covers_its_rule_and_subject(tmp_path):
    spec = write(tmp_path / "spec.yaml", DEROGATION_SPEC.replace("FLOW", "nightly-sync"))
    out = report(
        run("check", str(spec), "--as-of", AS_OF, "--policy", "eu-gdpr", "--format", "json")
    )
    assert [v["subject"]["id"] for v in out["violations"]] == ["nightly-sync"] and out[
        "suppressed"
    ] == []


def test_example_custom_policy_and_exemptions_file():
    result = run(
        "check",
        "examples/eu-us-analytics.yaml",
        "--policy",
        "examples/policies/acme-retail.yaml",
        "--as-of",
        AS_OF,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    out = report(result)
    assert [(s["rule"], s["subject"]["id"], s["dataset"]) for s in out["suppressed"]] == [
        ("EU-GDPR-TRANSFER", "to-helpdesk", "eu-customers")
    ]
    later = report(
        run(
            "check",
            "examples/eu-us-analytics.yaml",
            "--policy",
            "examples/policies/acme-retail.yaml",
            "--as-of",
            "2027-01-31",
            "--format",
            "json",
        )
    )
    assert [v["subject"]["id"] for v in later["violations"]] == ["to-helpdesk"]
    assert any(
        n["rule"] == "DLC-EXEMPTION-EXPIRED" and "to-helpdesk" in n["subject"]["id"]
        for n in later["notices"]
    )

    result = run(
        "check",
        "examples/in-payments.yaml",
        "--exemptions",
        "examples/policies/exemptions.yaml",
        "--as-of",
        AS_OF,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    assert [s["subject"]["id"] for s in report(result)["suppressed"]] == ["fraud-desk-sg"]


# --- errors --------------------------------------------------------------------------------------


def _fails(args, message):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr
    return result


def test_a_policy_that_extends_itself_is_an_error(tmp_path):
    write(tmp_path / "loop.yaml", "name: loop\nextends: loop.yaml\n")
    _fails(
        ["rules", "list", "--policy", str(tmp_path / "loop.yaml")],
        "policy extends itself: loop.yaml → loop.yaml",
    )
    write(tmp_path / "a.yaml", "name: a\nextends: b.yaml\n")
    write(tmp_path / "b.yaml", "name: b\nextends: a.yaml\n")
    _fails(
        ["rules", "list", "--policy", str(tmp_path / "a.yaml")],
        "policy extends itself: a.yaml → b.yaml → a.yaml",
    )


def test_an_unknown_parameter_is_an_error(tmp_path):
    policy = write(
        tmp_path / "p.yaml",
        """
        name: p
        extends: default
        settings:
          EU-GDPR-TRANSFER:
            parameters: {adequate_countries: [US]}
    """,
    )
    _fails(
        ["rules", "list", "--policy", str(policy)],
        "policy sets unknown parameter(s) adequate_countries of rule EU-GDPR-TRANSFER",
    )


def test_settings_for_an_unknown_rule_are_an_error(tmp_path):
    policy = write(
        tmp_path / "p.yaml",
        """
        name: p
        extends: default
        settings:
          EU-GDPR-TRANSFERS:
            severity: low
    """,
    )
    result = _fails(
        ["check", "examples/eu-us-analytics.yaml", "--policy", str(policy)],
        "settings: unknown rule 'EU-GDPR-TRANSFERS' (did you mean 'EU-GDPR-TRANSFER'?)",
    )
    assert f"{policy}:" in result.stderr  # the file and line of the bad setting


def test_an_include_pattern_that_matches_no_rule_is_an_error(tmp_path):
    policy = write(tmp_path / "p.yaml", "name: p\nextends: default\ninclude: [EU-*, ZZ-*]\n")
    _fails(["rules", "list", "--policy", str(policy)], "rule pattern 'ZZ-*' matches no rule")


def test_an_unknown_policy_name_and_a_bad_severity_are_errors(tmp_path):
    _fails(["rules", "list", "--policy", "gdpr"], "unknown policy 'gdpr' (built-in: ")
    policy = write(
        tmp_path / "p.yaml",
        """
        name: p
        settings:
          EU-GDPR-TRANSFER: {severity: severe}
    """,
    )
    _fails(["rules", "list", "--policy", str(policy)], "'severe' is not one of")


# --- the regional examples -----------------------------------------------------------------------

EXAMPLES = [
    # file, as-of, policy, expected violations (rule, subject), expected notices (rule, subject), exit code
    ("examples/eu-us-analytics.yaml", AS_OF, None, [("EU-GDPR-TRANSFER", "to-helpdesk")], [], 1),
    ("examples/ru-crm.yaml", AS_OF, None, [("RU-23FZ-FOREIGN-DATABASE", "crm-replica")], [], 1),
    ("examples/ru-crm.yaml", "2025-06-30", None, [], [], 0),
    (
        "examples/ru-crm.yaml",
        AS_OF,
        "strict",
        [("RU-23FZ-FOREIGN-DATABASE", "bi-extract"), ("RU-23FZ-FOREIGN-DATABASE", "crm-replica")],
        [],
        1,
    ),
    (
        "examples/in-payments.yaml",
        AS_OF,
        None,
        [("IN-RBI-PAYMENT-STORAGE", "fraud-desk-sg")],
        [],
        1,
    ),
    (
        "examples/sa-health-portal.yaml",
        AS_OF,
        None,
        [("SA-PDPL-TRANSFER", "to-helpdesk")],
        [("SA-PDPL-RISK-ASSESSMENT", "to-analytics")],
        1,
    ),
]


@pytest.mark.parametrize(
    "path,as_of,policy,violations,notices,code",
    EXAMPLES,
    ids=[f"{e[0]}@{e[1]}{'/' + e[2] if e[2] else ''}" for e in EXAMPLES],
)
def test_regional_example_verdicts(path, as_of, policy, violations, notices, code):
    args = [
        "check",
        path,
        "--as-of",
        as_of,
        "--format",
        "json",
        *(["--policy", policy] if policy else []),
    ]
    result = run(*args)
    out = report(result)
    assert out["errors"] == []
    assert sorted((v["rule"], v["subject"]["id"]) for v in out["violations"]) == violations
    assert sorted((n["rule"], n["subject"]["id"]) for n in out["notices"]) == notices
    assert result.exit_code == code
