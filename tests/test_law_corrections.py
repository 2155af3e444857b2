"""Issue 17 corrections that change more than a rule's data: lineage that cannot lower importance,
the first database a Russian dataset reaches, and the origin of accelerators under the EAR.

Each test runs `dlc check` on a small spec written here and asserts the findings or the error.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main

AS_OF = "2026-11-25"


def _check(tmp_path, spec: str, *extra: str):
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(spec))
    result = CliRunner().invoke(
        main, ["check", str(path), "--as-of", AS_OF, "--format", "json", *extra]
    )
    return result, json.loads(result.stdout)


def _found(report: dict) -> set[tuple[str, str, str | None]]:
    return {
        (f["rule"], f["subject"]["id"], f["dataset"])
        for f in report["violations"] + report["notices"]
    }


LINEAGE = """\
    version: 1
    name: t
    systems:
      - {id: sh, location: CN}
      - {id: us, location: US}
    datasets:
      - {id: raw, origin: CN, categories: [personal, vehicle-exterior-video], IMPORTANT subjects: 500000}
      - {id: anon, derived_from: [raw], transform: anonymized, categories: [anonymized]LOWER}
    flows:
      - {id: out, from: sh, to: us, datasets: [anon]}
    """


def test_a_derived_dataset_cannot_write_important_false_over_an_important_ancestor(tmp_path):
    result, report = _check(
        tmp_path,
        LINEAGE.replace("IMPORTANT", "important: true,").replace("LOWER", ", important: false"),
    )
    assert result.exit_code == 2
    (error,) = report["errors"]
    assert (
        error["line"] == 8
        and "important: false cannot lower the importance it inherits from 'raw'"
        in error["message"]
    )


def test_the_anonymised_derivative_of_designated_important_data_stays_important(tmp_path):
    result, report = _check(
        tmp_path, LINEAGE.replace("IMPORTANT", "important: true,").replace("LOWER", "")
    )
    rules = {rule for rule, _, _ in _found(report)}
    assert "CN-IMPORTANT-DATA-EXPORT" in rules  # the designation follows the data
    assert (
        "CN-AUTO-IMPORTANT-DATA-EXPORT" not in rules
    )  # faces and plates removed: not art. 3(4) data


def test_the_anonymised_derivative_of_undesignated_exterior_video_passes_the_automotive_rules(
    tmp_path,
):
    result, report = _check(tmp_path, LINEAGE.replace("IMPORTANT", "").replace("LOWER", ""))
    assert not {rule for rule, _, _ in _found(report)} & {
        "CN-IMPORTANT-DATA-EXPORT",
        "CN-AUTO-IMPORTANT-DATA-EXPORT",
    }


def test_important_false_on_data_with_no_important_ancestor_is_accepted(tmp_path):
    result, report = _check(
        tmp_path, LINEAGE.replace("IMPORTANT", "").replace("LOWER", ", important: false")
    )
    assert report["errors"] == []


RUSSIA = """\
    version: 1
    name: t
    systems:
      - {id: app, kind: service, location: RU}
      - {id: gpu, kind: compute, location: DE}
      - {id: lake, kind: storage, location: DE}
      - {id: msk, kind: storage, location: RU}
    datasets:
      - {id: users, origin: RU, categories: [personal]}
    flows:"""


@pytest.mark.parametrize(
    "flows,expected",
    [
        # a service is not a database: the lake abroad is where the data is first stored
        (
            [
                "{id: a, from: app, to: gpu, datasets: [users]}",
                "{id: b, from: gpu, to: lake, datasets: [users]}",
            ],
            {("RU-242-PRIMARY-RECORDING", "b", "users")},
        ),
        # stored in Moscow first: the copy abroad is a transfer, not primary recording
        (
            [
                "{id: a, from: app, to: msk, datasets: [users]}",
                "{id: b, from: msk, to: lake, datasets: [users]}",
            ],
            set(),
        ),
        # compute abroad that stores nothing is not a database
        (["{id: a, from: app, to: gpu, datasets: [users]}"], set()),
    ],
)
def test_primary_recording_is_judged_at_the_first_database(tmp_path, flows, expected):
    spec = RUSSIA + "".join(f"\n      - {flow}" for flow in flows)
    result, report = _check(tmp_path, spec, "--policy", "strict")
    assert report["errors"] == []
    assert {f for f in _found(report) if f[0] == "RU-242-PRIMARY-RECORDING"} == expected


ASCEND = """\
    version: 1
    name: t
    systems:
      - {id: gz, kind: compute, location: CN, accelerators: [{model: Huawei Ascend 910B, count: 512}]}
      - {id: sg, kind: compute, location: SG, accelerators: [{model: Ascend 910C, count: 16}]}
    """


def test_ascend_chips_get_the_gp10_notice_and_no_us_licence_finding(tmp_path):
    result, report = _check(tmp_path, ASCEND)
    assert report["violations"] == [] and result.exit_code == 0
    assert {(n["rule"], n["subject"]["id"]) for n in report["notices"]} == {
        ("US-EAR-PRC-ACCELERATOR-GP10", "gz"),
        ("US-EAR-PRC-ACCELERATOR-GP10", "sg"),
    }
    assert "General Prohibition 10" in report["notices"][0]["message"]


def test_the_catalog_lists_each_accelerators_origin():
    output = CliRunner().invoke(main, ["catalog", "accelerators"]).output
    assert any(
        line.startswith("Huawei Ascend 910B") and " CN " in line for line in output.splitlines()
    )
    assert any(
        line.startswith("NVIDIA H100 SXM") and " US " in line for line in output.splitlines()
    )


def test_a_terraform_bucket_abroad_holding_data_collected_in_china_is_the_transfer(tmp_path):
    """The shipped replication plan with its 'CN' bucket moved to us-east-1: no flow leaves China,
    the collection is the transfer, reported on the bucket where the data is first held."""
    plan = json.loads(
        (Path(__file__).parent.parent / "examples/terraform/cn-bucket-replication.json").read_text()
    )
    plan["variables"]["cn_region"]["value"] = "us-east-1"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    result = CliRunner().invoke(main, ["check", str(path), "--as-of", AS_OF, "--format", "json"])
    found = _found(json.loads(result.stdout))
    assert (
        "CN-PI-COLLECTED-ABROAD",
        "aws_s3_bucket.fleet_video",
        "aws_s3_bucket.fleet_video#data",
    ) in found
    assert not any(
        rule == "CN-PI-COLLECTED-ABROAD" and subject == "aws_s3_bucket.fleet_video_us"
        for rule, subject, _ in found
    )  # the replica is a later copy, not where it was collected


def _exports(count: int, subjects: int, extra: str = "") -> str:
    datasets = "".join(
        f"\n      - {{id: d{i:02}, origin: CN, categories: [personal-identifiers], subjects: {subjects}}}"
        for i in range(count)
    )
    flows = "".join(
        f"\n      - {{id: e{i:02}, from: sh, to: us, datasets: [d{i:02}]}}" for i in range(count)
    )
    return f"""\
    version: 1
    name: t
    systems:
      - {{id: sh, location: CN}}
      - {{id: us, location: US}}
    datasets:{datasets}{extra}
    flows:{flows}
    """


def test_twelve_small_exports_add_up_and_the_finding_names_ten_of_them(tmp_path):
    result, report = _check(tmp_path, _exports(12, 90000))  # 1,080,000 people in the year
    assessment = sorted(
        f["subject"]["id"]
        for f in report["violations"]
        if f["rule"] == "CN-XBORDER-SECURITY-ASSESSMENT"
    )
    assert assessment == [f"e{i:02}" for i in range(12)]
    message = next(
        f["message"] for f in report["violations"] if f["rule"] == "CN-XBORDER-SECURITY-ASSESSMENT"
    )
    assert "1,080,000 individuals" in message
    assert "via e00, e01, e02, e03, e04, e05, e06, e07, e08, e09 and 2 more" in message


def test_below_the_threshold_in_total_no_assessment_but_the_contract_band(tmp_path):
    result, report = _check(tmp_path, _exports(3, 90000))  # 270,000: the standard-contract band
    rules = {f["rule"] for f in report["violations"]}
    assert "CN-XBORDER-SECURITY-ASSESSMENT" not in rules and "CN-XBORDER-CONTRACT-BAND" in rules


def test_a_derived_copy_is_added_again_by_default(tmp_path):
    extra = "\n      - {id: copy, derived_from: [d00], transform: pseudonymized}"
    spec = _exports(1, 60000, extra).replace("datasets: [d00]}", "datasets: [d00, copy]}")
    result, report = _check(tmp_path, spec)  # 60,000 + 60,000 (fail closed): not exempt
    assert {
        (f["rule"], f["dataset"]) for f in report["violations"] if f["rule"] == "CN-PI-EXPORT"
    } == {("CN-PI-EXPORT", "d00"), ("CN-PI-EXPORT", "copy")}


@pytest.mark.parametrize(
    "extra,message",
    [
        (
            "\n      - {id: x, origin: CN, categories: [personal], subset_of: [nope]}",
            "subset_of refers to unknown dataset 'nope'",
        ),
        (
            "\n      - {id: x, origin: CN, categories: [personal], subset_of: [y]}"
            "\n      - {id: y, origin: CN, categories: [personal], subset_of: [x]}",
            "subset_of cycle",
        ),
    ],
)
def test_a_bad_subset_of_is_an_input_error(tmp_path, extra, message):
    result, report = _check(tmp_path, _exports(1, 10, extra))
    assert result.exit_code == 2 and message in report["errors"][0]["message"]


def test_an_overlap_policy_value_that_does_not_exist_is_refused(tmp_path):
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "name: p\nextends: default\nsettings:\n  CN-PI-EXPORT:\n    parameters:\n      overlap: guess\n"
    )
    result = CliRunner().invoke(main, ["rules", "list", "--policy", str(policy)])
    assert result.exit_code == 2 and "cumulative.overlap is 'guess'" in result.output


def _lone_bucket(region: str) -> dict:
    """The shipped plan cut down to its tagged bucket alone (no replication: no flow at all)."""
    plan = json.loads(
        (Path(__file__).parent.parent / "examples/terraform/cn-bucket-replication.json").read_text()
    )
    keep = {"aws_s3_bucket.fleet_video"}
    plan["planned_values"]["root_module"]["resources"] = [
        r for r in plan["planned_values"]["root_module"]["resources"] if r["address"] in keep
    ]
    plan["resource_changes"] = [r for r in plan["resource_changes"] if r["address"] in keep]
    plan["configuration"]["root_module"]["resources"] = [
        r for r in plan["configuration"]["root_module"]["resources"] if r["address"] in keep
    ]
    plan["variables"]["cn_region"]["value"] = region
    return plan


@pytest.mark.parametrize(
    "region,expected",
    [
        (
            "us-east-1",
            {
                (
                    "CN-PI-COLLECTED-ABROAD",
                    "aws_s3_bucket.fleet_video",
                    "aws_s3_bucket.fleet_video#data",
                ),
                # not flagged important (data-important: false): since 2024-03-22 the automotive
                # scenarios are advice (issue 18), a notice on the dataset
                (
                    "CN-AUTO-IMPORTANT-DATA-IDENTIFY",
                    "aws_s3_bucket.fleet_video#data",
                    "aws_s3_bucket.fleet_video#data",
                ),
            },
        ),
        (
            "cn-north-1",
            {
                (
                    "CN-AUTO-IMPORTANT-DATA-IDENTIFY",
                    "aws_s3_bucket.fleet_video#data",
                    "aws_s3_bucket.fleet_video#data",
                )
            },
        ),  # the advice holds wherever the data is
    ],
)
def test_a_lone_bucket_holds_its_own_data_where_it_stands(tmp_path, region, expected):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_lone_bucket(region)))
    result = CliRunner().invoke(main, ["check", str(path), "--as-of", AS_OF, "--format", "json"])
    report = json.loads(result.stdout)
    assert report["errors"] == [] and _found(report) == expected
