"""Path following and approval coverage, checked against DESIGN.md through the CLI.

The rules used here are written into tmp_path (ids TST-*) so the tests do not depend on the
built-in library, which other work extends; one policy turns on only these rules.
"""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from checker.cli import main

AS_OF = "2026-06-01"

_TRANSFER_TESTS = """
            - {fact: dataset.origins, any_in: {group: home}}
            - {fact: dataset.categories, contains: personal}
            - {fact: destination.country, not_in: {group: home}}
            - {fact: transfer.mechanisms, none_in: [cn-security-assessment, cn-standard-contract]}"""

RULES = {
    # Personal data from home leaves home without a mechanism; an anonymising transform lifts it.
    "xfer.yaml": f"""
        id: TST-XFER
        title: Personal data leaves home without a mechanism
        severity: high
        category: cross-border-transfer
        subject: flow
        effective: 2021-11-01
        references: ["Test law art. 1 (2021-11-01)"]
        lift: [anonymized, aggregated]
        when:
          all:{_TRANSFER_TESTS}
        message: "{{dataset.id}} reaches {{destination.country}} via {{path}}"
        remediation: Get an approval.
    """,
    # The same, but nothing lifts it: derived datasets always inherit.
    "xfer-strict.yaml": f"""
        id: TST-XFER-STRICT
        title: Personal data leaves home, whatever the transform
        severity: medium
        category: cross-border-transfer
        subject: flow
        effective: 2021-11-01
        references: ["Test law art. 2 (2021-11-01)"]
        when:
          all:{_TRANSFER_TESTS}
        message: "{{dataset.id}} reaches {{destination.country}}"
        remediation: Get an approval.
    """,
    "important.yaml": """
        id: TST-IMPORTANT
        title: Important data leaves home
        severity: critical
        category: cross-border-transfer
        subject: flow
        effective: 2021-11-01
        references: ["Test law art. 3 (2021-11-01)"]
        when:
          all:
            - {fact: dataset.important, eq: true}
            - {fact: destination.country, not_in: {group: home}}
        message: "{dataset.id} is important"
        remediation: Keep it home.
    """,
    "bulk.yaml": """
        id: TST-BULK
        title: Data about many people leaves home
        severity: low
        category: cross-border-transfer
        subject: flow
        effective: 2021-11-01
        references: ["Test law art. 4 (2021-11-01)"]
        when:
          all:
            - {fact: dataset.subjects, ge: 100000}
            - {fact: destination.country, not_in: {group: home}}
        message: "{dataset.id} is about {dataset.subjects} people"
        remediation: Keep it home.
    """,
    "approval-invalid.yaml": """
        id: TST-APPROVAL-INVALID
        title: A flow relies on an approval that is not valid on the evaluation date
        severity: medium
        category: approval
        subject: flow
        effective: 2021-11-01
        references: ["Test law art. 5 (2021-11-01)"]
        when: {fact: flow.invalid_approvals, exists: true}
        message: "flow {flow.id} relies on {flow.invalid_approvals}"
        remediation: Renew it.
    """,
    "hw-unknown.yaml": """
        id: TST-HW-UNKNOWN
        title: Unclassified accelerator at a restricted destination
        severity: high
        category: export-control
        subject: system
        effective: 2023-11-17
        references: ["Test EAR (2023-11-17)"]
        when:
          all:
            - {fact: system.unknown_accelerators, exists: true}
            - {fact: system.country, in: {group: restricted}}
        message: "{system.id} has {system.unknown_accelerators}"
        remediation: Name a catalogued model.
    """,
    "hw-unknown-notice.yaml": """
        id: TST-HW-UNKNOWN-NOTICE
        title: Unclassified accelerator elsewhere
        severity: low
        notice: true
        category: export-control
        subject: system
        effective: 2023-11-17
        references: ["Test EAR (2023-11-17)"]
        when:
          all:
            - {fact: system.unknown_accelerators, exists: true}
            - {fact: system.country, not_in: {group: restricted}}
        message: "{system.id} has {system.unknown_accelerators}"
        remediation: Name a catalogued model.
    """,
    "hw-licence.yaml": """
        id: TST-HW-LICENCE
        title: Advanced accelerators at a restricted destination without a licence
        severity: critical
        category: export-control
        subject: system
        effective: 2023-11-17
        references: ["Test EAR (2023-11-17)"]
        when:
          all:
            - {fact: system.accelerator_eccns, any_in: [3A090.a]}
            - {fact: system.country, in: {group: restricted}}
            - {fact: system.licences, none_in: [us-export-license]}
        message: "{system.id} in {system.country} without a licence"
        remediation: Get a licence.
    """,
    "late.yaml": """
        id: TST-LATE
        title: A rule not yet in force on the default test date
        severity: critical
        category: data-residency
        subject: system
        effective: 2030-01-01
        references: ["Future law (2030-01-01)"]
        when: {fact: system.country, ne: ZZ}
        message: "{system.id}"
        remediation: Wait.
    """,
}

POLICY = """
name: tst
include: ["TST-*"]
groups:
  home: [CN]
  restricted: [CN, HK, MO, RU]
"""


@pytest.fixture(scope="module")
def ruleset(write_ruleset):
    return write_ruleset(RULES, POLICY)


@pytest.fixture
def check(tmp_path, ruleset):
    """Run `dlc check` on a spec (dict) and return (exit code, violations, notices, report)."""
    rules, policy = ruleset

    def run(spec: dict, *extra: str, as_of: str = AS_OF):
        path = tmp_path / "spec.yaml"
        path.write_text(yaml.safe_dump({"version": 1, "name": "t", **spec}, sort_keys=False))
        result = CliRunner().invoke(
            main,
            [
                "check",
                str(path),
                "--rules",
                rules,
                "--policy",
                policy,
                "--format",
                "json",
                "--as-of",
                as_of,
                *extra,
            ],
        )
        report = json.loads(result.stdout)
        assert report["errors"] == [], report["errors"]
        return result.exit_code, report["violations"], report["notices"], report

    return run


def hits(findings, rule=None):
    """(rule, subject kind/id, dataset, path) of each finding, optionally of one rule."""
    return sorted(
        (f["rule"], f"{f['subject']['kind']}/{f['subject']['id']}", f["dataset"], tuple(f["path"]))
        for f in findings
        if rule is None or f["rule"] == rule
    )


def systems(**locations):
    return [{"id": ident.replace("_", "-"), "location": loc} for ident, loc in locations.items()]


def flow(ident, src, dst, datasets, **extra):
    return {"id": ident, "from": src, "to": dst, "datasets": datasets, **extra}


def approval(ident, kind="cn-standard-contract", **extra):
    return {"id": ident, "kind": kind, "valid_from": "2025-01-01", "expires": "2028-01-01", **extra}


PI = {"id": "pi", "origin": "CN", "categories": ["personal"], "subjects": 10}


# --- direct export and relays --------------------------------------------------------------


def test_direct_export_is_a_violation_on_the_export_flow_with_full_path(check):
    code, violations, _, _ = check(
        {
            "systems": systems(fleet="CN", sh="alibaba:cn-shanghai", us="aws:us-west-2"),
            "datasets": [PI],
            "flows": [flow("up", "fleet", "sh", ["pi"]), flow("out", "sh", "us", ["pi"])],
        }
    )
    assert code == 1
    assert hits(violations, "TST-XFER") == [("TST-XFER", "flow/out", "pi", ("fleet", "sh", "us"))]
    finding = next(v for v in violations if v["rule"] == "TST-XFER")
    assert finding["message"] == "pi reaches US via fleet → sh → us"
    assert finding["location"]["line"] is not None


def test_data_that_stays_home_is_compliant(check):
    code, violations, _, _ = check(
        {
            "systems": systems(fleet="CN", sh="aws:cn-north-1"),
            "datasets": [PI],
            "flows": [flow("up", "fleet", "sh", ["pi"])],
        }
    )
    assert (code, violations) == (0, [])


def test_flow_not_carrying_the_dataset_does_not_move_it(check):
    code, violations, _, _ = check(
        {
            "systems": systems(sh="CN", us="US"),
            "datasets": [PI],
            "flows": [flow("out", "sh", "us", [])],
        }
    )
    assert (code, violations) == (0, [])


def test_relay_through_third_country_flags_the_hop_into_the_uncovered_destination(check):
    code, violations, _, _ = check(
        {
            "systems": systems(sh="CN", sg="SG", us="US"),
            "datasets": [PI],
            "flows": [
                flow("to-sg", "sh", "sg", ["pi"], approvals=["scc-sg"]),
                flow("to-us", "sg", "us", ["pi"]),
            ],
            "approvals": [approval("scc-sg", datasets=["pi"], destinations=["SG"])],
        }
    )
    assert code == 1
    # never the covered first hop; the full path from home
    assert hits(violations, "TST-XFER") == [("TST-XFER", "flow/to-us", "pi", ("sh", "sg", "us"))]


def test_relay_with_no_approval_flags_both_hops_that_leave_home_uncovered(check):
    _, violations, _, _ = check(
        {
            "systems": systems(sh="CN", sg="SG", us="US"),
            "datasets": [PI],
            "flows": [flow("to-sg", "sh", "sg", ["pi"]), flow("to-us", "sg", "us", ["pi"])],
        }
    )
    assert hits(violations, "TST-XFER") == [
        ("TST-XFER", "flow/to-sg", "pi", ("sh", "sg")),
        ("TST-XFER", "flow/to-us", "pi", ("sh", "sg", "us")),
    ]


def test_approval_on_an_earlier_hop_covers_a_later_destination(check):
    code, violations, _, _ = check(
        {
            "systems": systems(sh="CN", sg="SG", us="US"),
            "datasets": [PI],
            "flows": [
                flow("to-sg", "sh", "sg", ["pi"], approvals=["scc"]),
                flow("to-us", "sg", "us", ["pi"]),
            ],
            "approvals": [approval("scc", datasets=["pi"], destinations=["SG", "US"])],
        }
    )
    assert (code, violations) == (0, [])


def test_relay_back_home_then_out_keeps_the_origin(check):
    """A detour through another home system does not reset where the data came from."""
    _, violations, _, _ = check(
        {
            "systems": systems(sh="CN", bj="CN", de="DE"),
            "datasets": [PI],
            "flows": [flow("a", "sh", "bj", ["pi"]), flow("b", "bj", "de", ["pi"])],
        }
    )
    assert hits(violations, "TST-XFER") == [("TST-XFER", "flow/b", "pi", ("sh", "bj", "de"))]


def test_remote_access_counts_as_reaching_the_accessor(check):
    code, violations, _, _ = check(
        {
            "systems": systems(sh="CN", analysts="DE"),
            "datasets": [PI],
            "flows": [flow("query", "sh", "analysts", ["pi"], mode="remote-access")],
        }
    )
    assert code == 1
    assert hits(violations, "TST-XFER") == [("TST-XFER", "flow/query", "pi", ("sh", "analysts"))]


def test_remote_access_by_an_accessor_at_home_is_not_an_export(check):
    code, violations, _, _ = check(
        {
            "systems": systems(sh="CN", ops="aws:cn-northwest-1"),
            "datasets": [PI],
            "flows": [flow("query", "sh", "ops", ["pi"], mode="remote-access")],
        }
    )
    assert (code, violations) == (0, [])


def test_flow_rings_terminate_and_report_each_flow_once(check):
    _, violations, _, _ = check(
        {
            "systems": systems(sh="CN", de="DE", us="US"),
            "datasets": [PI],
            "flows": [
                flow("r1", "sh", "de", ["pi"], mode="replication"),
                flow("r2", "de", "us", ["pi"], mode="replication"),
                flow("r3", "us", "sh", ["pi"], mode="replication"),
                flow("r4", "de", "sh", ["pi"], mode="replication"),
            ],
        }
    )
    found = hits(violations, "TST-XFER")
    assert [(s, d) for _, s, d, _ in found] == [("flow/r1", "pi"), ("flow/r2", "pi")]
    assert {s: p for _, s, _, p in found} == {
        "flow/r1": ("sh", "de"),
        "flow/r2": ("sh", "de", "us"),
    }


def test_ring_through_home_starts_where_the_data_was_collected(check):
    """Nothing leads into a replication ring: the data starts at home, so the approved hop counts."""
    code, violations, _, _ = check(
        {
            "systems": systems(sg="SG", sh="CN", us="US"),
            "datasets": [PI],
            "flows": [
                flow("to-sg", "sh", "sg", ["pi"], approvals=["scc"]),
                flow("sg-us", "sg", "us", ["pi"]),
                flow("us-sh", "us", "sh", ["pi"]),
            ],
            "approvals": [approval("scc", datasets=["pi"], destinations=["SG", "US"])],
        }
    )
    assert (code, violations) == (0, [])


@pytest.mark.parametrize("first, second", [("a", "b"), ("z", "b")])
def test_ring_with_two_home_systems_starts_at_both_whatever_their_names(check, first, second):
    """Data collected at either Chinese system of a ring: the hop from the second leaves uncovered."""
    _, violations, _, _ = check(
        {
            "systems": systems(**{first: "CN", second: "CN", "s": "SG", "u": "US"}),
            "datasets": [PI],
            "flows": [
                flow("f1", first, "s", ["pi"], approvals=["scc"]),
                flow("f2", "s", second, ["pi"]),
                flow("f3", second, "u", ["pi"]),
                flow("f4", "u", first, ["pi"]),
            ],
            "approvals": [approval("scc", datasets=["pi"], destinations=["SG", "US"])],
        }
    )
    assert ("TST-XFER", "flow/f3", "pi", (second, "u")) in hits(violations, "TST-XFER")


def test_ring_beside_a_tree_is_still_followed(check):
    """A ring no flow from a source-only system leads into must not be skipped (fail closed)."""
    code, violations, _, _ = check(
        {
            "systems": systems(a="CN", b="CN", c="CN", d="US"),
            "datasets": [PI],
            "flows": [
                flow("ab", "a", "b", ["pi"]),
                flow("cd", "c", "d", ["pi"]),
                flow("dc", "d", "c", ["pi"]),
            ],
        }
    )
    assert code == 1
    assert hits(violations, "TST-XFER") == [("TST-XFER", "flow/cd", "pi", ("c", "d"))]


def test_pure_ring_with_no_entry_point_terminates(check):
    _, violations, _, _ = check(
        {
            "systems": systems(sh="CN", de="DE"),
            "datasets": [PI],
            "flows": [flow("a", "sh", "de", ["pi"]), flow("b", "de", "sh", ["pi"])],
        }
    )
    assert [s for _, s, _, _ in hits(violations, "TST-XFER")] == ["flow/a"]


# --- lineage ---------------------------------------------------------------------------------


def test_derived_dataset_inherits_origin_categories_and_important(check):
    _, violations, _, _ = check(
        {
            "systems": systems(sh="CN", us="US"),
            "datasets": [
                {
                    "id": "raw",
                    "origin": "CN",
                    "categories": ["personal"],
                    "important": True,
                    "subjects": 5,
                },
                {"id": "clips", "derived_from": ["raw"], "categories": ["vehicle-exterior-video"]},
            ],
            "flows": [flow("out", "sh", "us", ["clips"])],
        }
    )
    assert hits(violations) == [
        ("TST-IMPORTANT", "flow/out", "clips", ("sh", "us")),
        ("TST-XFER", "flow/out", "clips", ("sh", "us")),
        ("TST-XFER-STRICT", "flow/out", "clips", ("sh", "us")),
    ]


def test_grandchild_inherits_through_two_generations(check):
    _, violations, _, _ = check(
        {
            "systems": systems(sh="CN", us="US"),
            "datasets": [
                PI,
                {"id": "mid", "derived_from": ["pi"]},
                {"id": "leaf", "derived_from": ["mid"]},
            ],
            "flows": [flow("out", "sh", "us", ["leaf"])],
        }
    )
    assert hits(violations, "TST-XFER") == [("TST-XFER", "flow/out", "leaf", ("sh", "us"))]


def test_anonymized_transform_is_lifted_only_where_the_rule_allows(check):
    _, violations, _, _ = check(
        {
            "systems": systems(sh="CN", us="US"),
            "datasets": [PI, {"id": "anon", "derived_from": ["pi"], "transform": "anonymized"}],
            "flows": [flow("out", "sh", "us", ["anon"])],
        }
    )
    # TST-XFER lifts anonymized data; TST-XFER-STRICT has no `lift` and still sees the origin
    assert hits(violations) == [("TST-XFER-STRICT", "flow/out", "anon", ("sh", "us"))]


def test_pseudonymized_transform_is_not_lifted(check):
    _, violations, _, _ = check(
        {
            "systems": systems(sh="CN", us="US"),
            "datasets": [
                PI,
                {"id": "pseudo", "derived_from": ["pi"], "transform": "pseudonymized"},
            ],
            "flows": [flow("out", "sh", "us", ["pseudo"])],
        }
    )
    assert [r for r, _, _, _ in hits(violations)] == ["TST-XFER", "TST-XFER-STRICT"]


def test_derived_dataset_path_starts_where_its_parent_was_collected(check):
    _, violations, _, _ = check(
        {
            "systems": systems(fleet="CN", sh="CN", us="US"),
            "datasets": [PI, {"id": "clips", "derived_from": ["pi"]}],
            "flows": [flow("up", "fleet", "sh", ["pi"]), flow("out", "sh", "us", ["clips"])],
        }
    )
    assert hits(violations, "TST-XFER") == [
        ("TST-XFER", "flow/out", "clips", ("fleet", "sh", "us"))
    ]


def test_paths_run_through_every_generation_whichever_child_is_followed_last(check):
    """A parent's walk is dropped once its last child is followed; a grandchild's path still runs
    through it, and a second child of the same parent still starts where the parent was."""
    _, violations, _, _ = check(
        {
            "systems": systems(fleet="CN", sh="CN", sh2="CN", us="US"),
            "datasets": [
                PI,
                {"id": "mid", "derived_from": ["pi"]},
                {"id": "other", "derived_from": ["pi"]},
                {"id": "leaf", "derived_from": ["mid"]},
            ],
            "flows": [
                flow("up", "fleet", "sh", ["pi"]),
                flow("move", "sh", "sh2", ["mid"]),
                flow("out", "sh2", "us", ["leaf"]),
                flow("side", "sh", "us", ["other"]),
            ],
        }
    )
    assert hits(violations, "TST-XFER") == [
        ("TST-XFER", "flow/out", "leaf", ("fleet", "sh", "sh2", "us")),
        ("TST-XFER", "flow/side", "other", ("fleet", "sh", "us")),
    ]


def test_missing_subjects_counts_as_above_every_threshold(check):
    _, violations, _, _ = check(
        {
            "systems": systems(sh="CN", us="US"),
            "datasets": [
                {"id": "unknown-size", "origin": "CN", "categories": ["vehicle-telemetry"]},
                {
                    "id": "small",
                    "origin": "CN",
                    "categories": ["vehicle-telemetry"],
                    "subjects": 99999,
                },
                {
                    "id": "big",
                    "origin": "CN",
                    "categories": ["vehicle-telemetry"],
                    "subjects": 100000,
                },
            ],
            "flows": [flow("out", "sh", "us", ["unknown-size", "small", "big"])],
        }
    )
    assert [d for _, _, d, _ in hits(violations, "TST-BULK")] == ["big", "unknown-size"]


def test_missing_subjects_on_a_derived_dataset_is_the_largest_ancestors(check):
    _, violations, _, _ = check(
        {
            "systems": systems(sh="CN", us="US"),
            "datasets": [
                {"id": "a", "origin": "CN", "categories": ["vehicle-telemetry"], "subjects": 10},
                {
                    "id": "b",
                    "origin": "CN",
                    "categories": ["vehicle-telemetry"],
                    "subjects": 200000,
                },
                {"id": "small", "origin": "CN", "categories": ["vehicle-telemetry"], "subjects": 5},
                {"id": "joined", "derived_from": ["a", "b"]},
                {"id": "tiny", "derived_from": ["a", "small"]},
            ],
            "flows": [flow("out", "sh", "us", ["joined", "tiny"])],
        }
    )
    assert [d for _, _, d, _ in hits(violations, "TST-BULK")] == ["joined"]
    finding = next(v for v in violations if v["rule"] == "TST-BULK")
    assert finding["message"] == "joined is about 200,000 people"


# --- approval coverage -----------------------------------------------------------------------


def _covered(
    check, approvals, *, flow_approvals=("ap",), purpose="training", datasets=None, as_of=AS_OF
):
    return check(
        {
            "systems": systems(sh="CN", us="US"),
            "datasets": datasets or [PI],
            "flows": [
                flow(
                    "out",
                    "sh",
                    "us",
                    [(datasets or [PI])[-1]["id"]],
                    purpose=purpose,
                    approvals=list(flow_approvals),
                )
            ],
            "approvals": approvals,
        },
        as_of=as_of,
    )


UNCOVERED = [("TST-XFER", "flow/out", "pi", ("sh", "us"))]
CHILD = {"id": "child", "derived_from": ["pi"]}
OTHER = {"id": "other", "origin": "CN", "categories": ["personal"]}


@pytest.mark.parametrize(
    "terms, setup",
    [
        pytest.param(
            {"datasets": ["pi"], "destinations": ["US"], "purposes": ["training"]},
            {},
            id="dataset-destination-and-purpose",
        ),
        pytest.param(
            {"datasets": ["pi"], "destinations": ["US"]}, {}, id="without-purposes-any-purpose"
        ),
        pytest.param(
            {"datasets": ["pi"], "destinations": ["US"]},
            {"datasets": [PI, CHILD]},
            id="of-an-ancestor-covers-the-derived-dataset",
        ),
    ],
)
def test_approval_that_covers_the_transfer(check, terms, setup):
    code, violations, _, _ = _covered(check, [approval("ap", **terms)], **setup)
    assert (code, violations) == (0, [])


@pytest.mark.parametrize(
    "terms, setup",
    [
        pytest.param(
            {"datasets": ["pi"], "destinations": ["SG"]}, {}, id="for-a-different-destination"
        ),
        pytest.param(
            {"datasets": ["pi"], "destinations": ["US"], "purposes": ["analytics"]},
            {},
            id="for-a-different-purpose",
        ),
        pytest.param(
            {"datasets": ["other"], "destinations": ["US"]},
            {"datasets": [OTHER, PI]},
            id="for-a-different-dataset",
        ),
        pytest.param(
            {"datasets": ["child"], "destinations": ["US"]},
            {"datasets": [CHILD, PI]},
            id="of-a-child-does-not-cover-its-parent",
        ),
        pytest.param(
            {"datasets": ["pi"], "destinations": ["US"]},
            {"flow_approvals": ()},
            id="not-listed-on-the-path",
        ),
        pytest.param(
            {"kind": "eu-scc", "datasets": ["pi"], "destinations": ["US"]},
            {},
            id="of-a-kind-the-rule-does-not-accept",
        ),
    ],
)
def test_approval_that_does_not_cover_the_transfer(check, terms, setup):
    code, violations, _, _ = _covered(check, [approval("ap", **terms)], **setup)
    assert code == 1
    assert hits(violations, "TST-XFER") == UNCOVERED


@pytest.mark.parametrize(
    "as_of, valid",
    [
        ("2024-12-31", False),  # before valid_from
        ("2025-01-01", True),  # first day
        ("2027-12-31", True),  # last day
        ("2028-01-01", False),  # the expiry date itself: no longer valid
        ("2029-06-01", False),  # after expiry
    ],
)
def test_approval_validity_follows_as_of(check, as_of, valid):
    code, violations, _, _ = _covered(
        check, [approval("ap", datasets=["pi"], destinations=["US"])], as_of=as_of
    )
    if valid:
        assert (code, violations) == (0, [])
    else:
        assert code == 1
        # the transfer is uncovered, and the approval problem attaches to the flow relying on it
        assert hits(violations, "TST-XFER") == UNCOVERED
        assert [(s, d) for _, s, d, _ in hits(violations, "TST-APPROVAL-INVALID")] == [
            ("flow/out", None)
        ]


def test_expired_approval_on_an_earlier_hop_is_reported_on_that_flow(check):
    _, violations, _, _ = check(
        {
            "systems": systems(sh="CN", sg="SG", us="US"),
            "datasets": [PI],
            "flows": [
                flow("to-sg", "sh", "sg", ["pi"], approvals=["scc"]),
                flow("to-us", "sg", "us", ["pi"]),
            ],
            "approvals": [approval("scc", datasets=["pi"], destinations=["SG", "US"])],
        },
        as_of="2028-02-01",
    )
    # the approval problem attaches to the flow that relies on it, not to the later hop
    assert [(s, d) for _, s, d, _ in hits(violations, "TST-APPROVAL-INVALID")] == [
        ("flow/to-sg", None)
    ]
    assert hits(violations, "TST-XFER") == [
        ("TST-XFER", "flow/to-sg", "pi", ("sh", "sg")),
        ("TST-XFER", "flow/to-us", "pi", ("sh", "sg", "us")),
    ]


def test_one_covered_path_does_not_hide_an_uncovered_one(check):
    """Two ways into the US: via the approved relay and directly; the direct one is uncovered."""
    _, violations, _, _ = check(
        {
            "systems": systems(sh="CN", sg="SG", us="US"),
            "datasets": [PI],
            "flows": [
                flow("to-sg", "sh", "sg", ["pi"], approvals=["scc"]),
                flow("sg-us", "sg", "us", ["pi"]),
                flow("direct", "sh", "us", ["pi"]),
            ],
            "approvals": [approval("scc", datasets=["pi"], destinations=["SG", "US"])],
        }
    )
    assert hits(violations, "TST-XFER") == [("TST-XFER", "flow/direct", "pi", ("sh", "us"))]


# --- hardware -------------------------------------------------------------------------------


def _hardware(check, location, model, *, approvals=(), listed=(), as_of=AS_OF):
    return check(
        {
            "systems": [
                {
                    "id": "dc",
                    "kind": "compute",
                    "location": location,
                    "accelerators": [{"model": model, "count": 8}],
                    "approvals": list(listed),
                }
            ],
            "approvals": list(approvals),
        },
        as_of=as_of,
    )


def test_unknown_accelerator_at_a_restricted_destination_is_a_violation_on_the_system(check):
    code, violations, notices, _ = _hardware(check, "CN", "Frobnicator X9")
    assert code == 1
    assert hits(violations) == [("TST-HW-UNKNOWN", "system/dc", None, ())]
    assert notices == []


def test_unknown_accelerator_elsewhere_is_a_notice_that_never_fails(check):
    code, violations, notices, report = _hardware(check, "DE", "Frobnicator X9")
    assert (code, violations) == (0, [])
    assert hits(notices) == [("TST-HW-UNKNOWN-NOTICE", "system/dc", None, ())]
    assert notices[0]["message"] == "dc has Frobnicator X9"
    assert report["summary"]["violations"] == 0


def test_catalogued_accelerator_matches_case_insensitively(check):
    code, violations, notices, _ = _hardware(check, "DE", "nvidia h100 sxm")
    assert (code, violations, notices) == (0, [], [])


def test_advanced_accelerator_at_restricted_destination_without_licence(check):
    code, violations, _, _ = _hardware(check, "aws:cn-north-1", "NVIDIA H100 SXM")
    assert code == 1
    assert hits(violations) == [("TST-HW-LICENCE", "system/dc", None, ())]


@pytest.mark.parametrize("covers", [{"systems": ["dc"]}, {"destinations": ["CN"]}])
def test_export_licence_covers_a_system_by_id_or_country(check, covers):
    licence = approval("bis", kind="us-export-license", **covers)
    code, violations, _, _ = _hardware(
        check, "CN", "NVIDIA H100 SXM", approvals=[licence], listed=["bis"]
    )
    assert (code, violations) == (0, [])


@pytest.mark.parametrize(
    "covers, listed, as_of",
    [
        pytest.param({"systems": ["dc"]}, [], AS_OF, id="not-listed-by-the-system"),
        pytest.param({"destinations": ["RU"]}, ["bis"], AS_OF, id="for-another-country"),
        pytest.param({"systems": ["dc"]}, ["bis"], "2028-01-01", id="expired"),
    ],
)
def test_export_licence_that_does_not_cover(check, covers, listed, as_of):
    licence = approval("bis", kind="us-export-license", **covers)
    _, violations, _, _ = _hardware(
        check, "CN", "NVIDIA H100 SXM", approvals=[licence], listed=listed, as_of=as_of
    )
    assert hits(violations) == [("TST-HW-LICENCE", "system/dc", None, ())]


def test_rules_apply_only_from_their_effective_date(check):
    spec = {"systems": systems(sh="CN")}
    assert check(spec, as_of="2029-12-31")[:2] == (0, [])
    code, violations, _, _ = check(spec, as_of="2030-01-01")
    assert code == 1
    assert hits(violations) == [("TST-LATE", "system/sh", None, ())]


# --- the built-in rule, end to end ------------------------------------------------------------


def test_builtin_cn_pi_export_on_the_shipped_example(tmp_path):
    result = CliRunner().invoke(
        main, ["check", "examples/fsd-export.yaml", "--format", "json", "--as-of", "2026-11-25"]
    )
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    mine = [v for v in report["violations"] if v["rule"] == "CN-PI-EXPORT"]
    assert hits(mine) == [
        (
            "CN-PI-EXPORT",
            "flow/export-to-us",
            "fleet-video",
            ("fleet-cn", "shanghai-dc", "palo-alto-training"),
        )
    ]
    assert mine[0]["location"] == {"file": "examples/fsd-export.yaml", "line": 39}


def test_builtin_rules_unknown_accelerator_violation_in_restricted_place_notice_elsewhere(tmp_path):
    path = tmp_path / "hw.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "name": "hw",
                "systems": [
                    {
                        "id": "cn-dc",
                        "kind": "compute",
                        "location": "alibaba:cn-shanghai",
                        "accelerators": [{"model": "Frobnicator X9", "count": 4}],
                    },
                    {
                        "id": "de-dc",
                        "kind": "compute",
                        "location": "DE",
                        "accelerators": [{"model": "Frobnicator X9", "count": 4}],
                    },
                ],
            }
        )
    )
    result = CliRunner().invoke(
        main, ["check", str(path), "--format", "json", "--as-of", "2026-06-01"]
    )
    report = json.loads(result.stdout)
    assert report["errors"] == []
    assert result.exit_code == 1
    export_control = [v for v in report["violations"] if v["category"] == "export-control"]
    assert {(v["subject"]["kind"], v["subject"]["id"]) for v in export_control} == {
        ("system", "cn-dc")
    }
    assert any(v["rule"].startswith("US-EAR") for v in export_control)
    assert ("system", "de-dc") in {
        (n["subject"]["kind"], n["subject"]["id"])
        for n in report["notices"]
        if n["category"] == "export-control"
    }
    assert all(v["subject"]["id"] != "de-dc" for v in report["violations"])


def test_dataset_only_tests_are_split_off_and_run_without_a_flow():
    """The compiler stages a flow rule: the tests that read only dataset facts run once per dataset
    (on a context with no flow at all), the rest per flow, cheap facts before approval coverage."""
    from types import SimpleNamespace

    from checker.language.rules import RuleDef, compile_rule

    rule = compile_rule(
        RuleDef(
            {
                "id": "T-1",
                "title": "t",
                "severity": "high",
                "category": "c",
                "subject": "flow",
                "effective": "2020-01-01",
                "references": ["x"],
                "message": "m",
                "remediation": "r",
                "when": {
                    "all": [
                        {"fact": "transfer.mechanisms", "none_in": ["cn-standard-contract"]},
                        {"fact": "dataset.origins", "any_in": ["CN"]},
                        {"fact": "destination.country", "not_in": ["CN"]},
                    ]
                },
            },
            "t.yaml",
            1,
        ),
        {},
        {},
    )
    views = {
        frozenset(): {
            "cn": SimpleNamespace(origins=frozenset({"CN"})),
            "de": SimpleNamespace(origins=frozenset({"DE"})),
        }
    }
    dataset_only = SimpleNamespace(scope=SimpleNamespace(lifted=views))
    assert rule.dataset_test(SimpleNamespace(**vars(dataset_only), dataset_id="cn")) is True
    assert rule.dataset_test(SimpleNamespace(**vars(dataset_only), dataset_id="de")) is False

    asked = []
    flow = SimpleNamespace(
        destination=SimpleNamespace(country="CN"),
        mechanisms=lambda: asked.append("mechanisms") or frozenset(),
    )
    assert rule.predicate(flow) is False
    assert asked == []  # the destination test failed first: approval coverage never worked out
    flow.destination.country = "US"
    assert rule.predicate(flow) is True and asked == ["mechanisms"]


@pytest.mark.parametrize(
    "subject, stage, named",
    [
        ("flow", "predicate", "flow 'out'"),  # on a crossing of a dataset
        ("flow", "dataset_test", "dataset 'pi'"),  # in the once-per-dataset stage
        ("system", "predicate", "system 'cn-dc'"),  # a rule checked once per subject
    ],
)
def test_a_rule_that_cannot_be_evaluated_is_its_own_error_and_the_other_rules_findings_stand(
    tmp_path, subject, stage, named
):
    import dataclasses
    import datetime

    from checker.evaluate.engine import evaluate
    from checker.language.rules import RuleDef, compile_rule
    from checker.load.spec import load_spec
    from checker.resolve.resolver import resolve

    fact = (
        "dataset.origins"
        if stage == "dataset_test"
        else f"{'destination' if subject == 'flow' else 'system'}.country"
    )

    def rule(ident: str, line: int):
        return compile_rule(
            RuleDef(
                {
                    "id": ident,
                    "title": "t",
                    "severity": "high",
                    "category": "c",
                    "subject": subject,
                    "effective": "2020-01-01",
                    "references": ["x"],
                    "message": "m",
                    "remediation": "r",
                    "when": {
                        "all": [
                            {
                                "fact": fact,
                                "any_in" if fact == "dataset.origins" else "in": ["CN", "US"],
                            },
                            {"fact": "dataset.categories", "contains": "personal"},
                        ]
                    },
                },
                "boom.yaml",
                line,
            ),
            {},
            {},
        )

    def boom(ctx):
        raise TypeError("unorderable")

    # the broken rule between two sound ones: the one after it still sees the subject it failed on
    rules = [
        rule("T-BEFORE", 1),
        dataclasses.replace(rule("T-BOOM", 3), **{stage: boom}),
        rule("T-AFTER", 5),
    ]
    path = tmp_path / "spec.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "name": "t",
                "systems": systems(cn_dc="CN", us_dc="US"),
                "datasets": [PI],
                "flows": [flow("out", "cn-dc", "us-dc", ["pi"])],
            }
        )
    )
    violations, notices, errors = evaluate(
        resolve(load_spec(str(path))), rules, datetime.date(2026, 6, 1)
    )
    assert sorted({f.rule for f in violations}) == ["T-AFTER", "T-BEFORE"]
    [error] = errors
    others = " and 1 more time(s)" if subject == "system" else ""  # both systems stand in CN or US
    assert error.message.startswith(f"rule T-BOOM could not be evaluated on {named} ({path}:")
    assert error.message.endswith(f"){others}: TypeError: unorderable")
    assert (error.file, error.line) == ("boom.yaml", 3)


def test_once_per_flow_rules_that_need_a_flows_approvals_visit_only_flows_that_list_some():
    """The index a fact offers (facts.Fact.only_where) groups the rules that need it present;
    the others see every flow."""
    from types import SimpleNamespace

    from checker.evaluate.engine import _by_index
    from checker.language.facts import FACTS

    expiry, mode, anything = (
        SimpleNamespace(needs=frozenset(needs))
        for needs in ({"flow.invalid_approvals", "flow.mode"}, {"flow.mode"}, ())
    )
    groups = _by_index([expiry, mode, anything], FACTS["flow"])
    (index,) = [key for key in groups if key is not None]
    assert groups == {index: [expiry], None: [mode, anything]}
    listed, bare = SimpleNamespace(approvals=["a"]), SimpleNamespace(approvals=[])
    assert [bool(index(flow)) for flow in (listed, bare)] == [True, False]
