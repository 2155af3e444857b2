"""`dlc rules test` (DESIGN.md "Rule tests"): explicit pass/fail/skip results as in `kyverno test`,
dates on both sides of a rule's effective date, a readable diff of subject, dataset and path,
and the summary line `N passed, N failed[, N skipped]`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.evaluate.rule_tests import diff

RULE = """\
id: TST-XFER
title: Personal data leaves China
severity: high
category: cross-border-transfer
subject: flow
effective: 2021-11-01
references: ["Test law art. 1 (2021-11-01)"]
when:
  all:
    - {fact: dataset.origins, any_in: [CN]}
    - {fact: dataset.categories, contains: personal}
    - {fact: destination.country, not_in: [CN]}
message: "{dataset.id} reaches {destination.country} via {path}"
remediation: Keep it home.
"""

SPEC = """\
    spec:
      version: 1
      name: t
      systems: [{id: sh, location: CN}, {id: sg, location: SG}, {id: us, location: US}]
      datasets: [{id: pi, origin: CN, categories: [personal]}, {id: logs, origin: CN, categories: [personal]}]
      flows:
        - {id: relay, from: sh, to: sg, datasets: [pi]}
        - {id: out, from: sg, to: us, datasets: [pi]}
"""


def case(name: str, *lines: str) -> str:
    return f"  - name: {name}\n" + "".join(f"    {line}\n" for line in lines) + SPEC


def run(tmp_path, *cases: str, verbose: bool = False):
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "xfer.yaml").write_text(RULE)
    (rules / "xfer.test.yaml").write_text("rule: TST-XFER\ncases:\n" + "".join(cases))
    return CliRunner().invoke(main, ["rules", "test", *(["-v"] if verbose else []), str(rules)])


FIRES = (
    "expect:",
    "  - {subject: flow/relay, dataset: pi, path: [sh, sg]}",
    "  - {subject: flow/out, dataset: pi, path: [sh, sg, us]}",
)


def test_explicit_results_and_the_summary_line(tmp_path):
    result = run(
        tmp_path,
        case("fires", "result: fail", *FIRES),
        case("implicit fail", *FIRES),
        case("skipped before the law", "as_of: 2021-10-31", "result: skip"),
        case("clean before the law", "as_of: 2021-10-31", "result: pass"),
        verbose=True,
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-1] == "3 passed, 0 failed, 1 skipped"
    assert any(line.startswith("PASS TST-XFER: fires (") for line in lines)
    assert any(line.startswith("SKIP TST-XFER: skipped before the law (") for line in lines)


def test_summary_has_no_skipped_count_when_nothing_is_skipped(tmp_path):
    result = run(tmp_path, case("fires", *FIRES), case("again", "result: fail", *FIRES))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "2 passed, 0 failed"


def test_a_clean_case_before_the_rule_takes_effect_passes_and_says_why(tmp_path):
    result = run(
        tmp_path, case("fires", *FIRES), case("the day before", "as_of: 2021-10-31", "expect: []")
    )
    assert result.exit_code == 0
    lines = (
        result.stdout.splitlines()
    )  # shown without -v: a pass that could not have failed is worth a line
    at = next(
        i for i, line in enumerate(lines) if line.startswith("PASS TST-XFER: the day before (")
    )
    assert (
        lines[at + 1]
        == "     no finding: the rule is not in force on 2021-10-31 (in force from 2021-11-01)"
    )
    assert lines[-1] == "2 passed, 0 failed"


def test_a_case_expecting_a_finding_before_the_rule_takes_effect_is_broken(tmp_path):
    result = run(tmp_path, case("fires", *FIRES), case("too early", "as_of: 2021-10-31", *FIRES))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    at = lines.index(next(line for line in lines if line.startswith("FAIL TST-XFER: too early (")))
    assert lines[at + 1] == (
        "     broken test: expects a finding, but the rule is not in force on 2021-10-31 "
        "(in force from 2021-11-01): give the case an as_of when it is"
    )
    assert lines[-1] == "1 passed, 1 failed"


def test_a_skip_case_fails_where_the_rule_is_in_force(tmp_path):
    result = run(
        tmp_path, case("fires", *FIRES), case("claims skip", "as_of: 2021-11-01", "result: skip")
    )
    assert result.exit_code == 1
    assert (
        "     expects the rule to be skipped, but it is in force on 2021-11-01 (from 2021-11-01)"
        in result.stdout.splitlines()
    )
    assert result.stdout.splitlines()[-1] == "1 passed, 1 failed"


def test_a_path_only_difference_is_shown_as_such(tmp_path):
    wrong_path = [line.replace("[sh, sg, us]", "[sg, us]") for line in FIRES]
    result = run(tmp_path, case("fires", *FIRES), case("wrong path", *wrong_path))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("FAIL TST-XFER: wrong path ("))
    assert lines[at + 1 : at + 3] == [
        "     expected fail: 2 findings; got fail: 2 findings",
        "     different:  flow/out, dataset pi: path expected sg → us, got sh → sg → us",
    ]
    assert not any("missing" in line or "unexpected" in line for line in lines)


def test_a_pass_case_that_fires_lists_what_it_found(tmp_path):
    result = run(tmp_path, case("fires", *FIRES), case("claims clean", "result: pass"))
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("FAIL TST-XFER: claims clean ("))
    assert lines[at + 1 : at + 4] == [
        "     expected pass: 0 findings; got fail: 2 findings",
        "     unexpected: flow/out, dataset pi, path sh → sg → us",
        "     unexpected: flow/relay, dataset pi, path sh → sg",
    ]


def test_diff_names_each_kind_of_difference():
    actual = [("flow/out", "pi", ("sh", "sg", "us")), ("flow/relay", "pi", ("sh", "sg"))]
    assert diff([("flow/out", "pi", ("sh", "sg", "us")), ("flow/relay", None, None)], actual) == []
    assert diff([("flow/out", "logs", None), ("flow/relay", "pi", ("sh", "sg"))], actual) == [
        "different:  flow/out: dataset expected logs, got pi"
    ]
    assert diff(
        [("flow/out", "logs", ("sh", "us")), ("flow/relay", "pi", ("sh", "sg"))], actual
    ) == [
        "different:  flow/out: dataset expected logs, got pi; path expected sh → us, got sh → sg → us"
    ]
    assert diff([("flow/gone", None, None)], actual[:1]) == [
        "missing:    flow/gone",
        "unexpected: flow/out, dataset pi, path sh → sg → us",
    ]
    # a subject expected twice with one finding: the exact one matches, the other is missing
    assert diff([("flow/out", "pi", None), ("flow/out", "pi", ("x",))], actual[:1]) == [
        "missing:    flow/out, dataset pi, path x"
    ]


@pytest.mark.parametrize(
    "lines, message",
    [
        (
            ("result: fail", "expect: []"),
            "cases[0]: result fail: list the findings the rule must produce in `expect`",
        ),
        (("result: skip", *FIRES), "cases[0]: result skip means no finding, but `expect` lists 2"),
        (("result: pass", *FIRES), "cases[0]: result pass means no finding, but `expect` lists 2"),
        (
            (),
            "cases[0]: give `expect` (the findings, [] for none) or `result` (pass, fail or skip)",
        ),
        (("result: maybe",), "'maybe' is not one of ['pass', 'fail', 'skip']"),
    ],
)
def test_a_case_whose_result_and_expect_disagree_is_a_rule_error(tmp_path, lines, message):
    result = run(tmp_path, case("odd", *lines), case("fires", *FIRES))
    assert result.exit_code == 2
    assert result.stderr.startswith("dlc: error: ") and message in result.stderr, result.stderr
    assert "xfer.test.yaml:" in result.stderr and len(result.stderr.splitlines()) == 1


def test_rules_show_lists_each_case_with_its_result(tmp_path):
    run(tmp_path, case("fires", *FIRES), case("skipped", "as_of: 2021-10-31", "result: skip"))
    result = CliRunner().invoke(
        main, ["rules", "show", "TST-XFER", "--rules", str(tmp_path / "rules")]
    )
    assert result.exit_code == 0, result.output
    assert "    - fires → fail: flow/relay, flow/out" in result.stdout.splitlines()
    assert "    - skipped → skip: no finding" in result.stdout.splitlines()
