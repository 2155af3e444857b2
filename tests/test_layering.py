"""The layers stay apart (load → resolve → evaluate → report, over one result model), and the
renderer registry is the one place formats are known: the CLI's choices, what a check keeps for them."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

import checker.evaluate.run as run_module
from checker.cli import main
from checker.evaluate.run import Options, check
from checker.load.policy import load_policy
from checker.report import FORMATS

CHECKER = Path(__file__).resolve().parent.parent / "checker"
SPEC = "examples/fsd-export.yaml"
AS_OF = "2026-11-25"


def imported_modules(
    path: Path, *, root: Path = CHECKER, at_run_time_only: bool = False
) -> set[str]:
    """Every checker module a file imports, at its top or inside a function; relative imports
    resolved. `at_run_time_only` leaves out imports under `if TYPE_CHECKING:`."""
    package = ".".join(path.relative_to(root.parent).with_suffix("").parts[:-1])
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    if at_run_time_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skipped |= {id(child) for child in ast.walk(node)}
    modules = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            # `from checker import report` imports checker.report
            modules |= {base, *(f"{base}.{alias.name}" for alias in node.names)}
    return {module for module in modules if module == "checker" or module.startswith("checker.")}


def files_under(*packages: str) -> list[Path]:
    return sorted(path for package in packages for path in (CHECKER / package).rglob("*.py"))


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_import_walker_sees_absolute_relative_and_function_level_imports(tmp_path):
    package = tmp_path / "checker" / "evaluate"
    package.mkdir(parents=True)
    source = package / "sample.py"
    source.write_text(
        "from checker.findings import Finding\nfrom ..report import common\n"
        "def f():\n    import checker.report.text\n",
        encoding="utf-8",
    )
    assert imported_modules(source, root=tmp_path / "checker") == {
        "checker.findings",
        "checker.findings.Finding",
        "checker.report",
        "checker.report.common",
        "checker.report.text",
    }


@pytest.mark.parametrize(
    "path",
    [
        *files_under("language", "evaluate", "load", "resolve", "adapters"),
        *(path for path in sorted(CHECKER.glob("*.py")) if path.name != "cli.py"),
    ],
    ids=lambda path: str(path.relative_to(CHECKER)),
)
def test_only_the_cli_and_the_renderers_import_report(path):
    """The rule language, the engine, the loaders, the adapters and the model make findings
    (checker.findings); rendering them is the top layer's business."""
    assert [module for module in imported_modules(path) if within(module, "checker.report")] == []


@pytest.mark.parametrize(
    "path", files_under("language"), ids=lambda path: str(path.relative_to(CHECKER))
)
def test_the_rule_language_depends_on_no_loader_engine_or_adapter(path):
    """At run time: the contexts facts read may name, in annotations, what builds them."""
    above = (
        "checker.load",
        "checker.evaluate",
        "checker.adapters",
        "checker.resolve",
        "checker.cli",
    )
    assert [
        module
        for module in imported_modules(path, at_run_time_only=True)
        if any(within(module, layer) for layer in above)
    ] == []


@pytest.mark.parametrize("name", ["findings.py", "text.py"])
def test_the_shared_modules_import_nothing_of_dlc_at_run_time(name):
    assert imported_modules(CHECKER / name, at_run_time_only=True) == set()


# --- the renderer registry -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_with_graphs():
    options = Options(as_of=dt.date.fromisoformat(AS_OF), keep_graphs=True)
    report = check([SPEC], load_policy("default"), options)
    assert report.graphs and report.violations
    return report


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_registered_format_renders_and_its_pieces_are_the_same_document(
    name, report_with_graphs
):
    form = FORMATS[name]
    text = form.render(report_with_graphs)
    assert all(finding.rule in text for finding in report_with_graphs.violations)
    assert b"".join(form.pieces(report_with_graphs)) == text.encode("utf-8")


@pytest.mark.parametrize("name", list(FORMATS))
def test_needs_graphs_is_exactly_the_formats_that_draw_the_flows(name, report_with_graphs):
    """A format that does not need the graphs renders the same without them (so the check need not
    keep every spec for it); one that needs them does not."""
    without = dataclasses.replace(report_with_graphs, graphs=[])
    same = FORMATS[name].render(without) == FORMATS[name].render(report_with_graphs)
    assert same != FORMATS[name].needs_graphs


@pytest.mark.parametrize("name", list(FORMATS))
def test_only_formats_that_colour_write_escape_codes(name, report_with_graphs):
    coloured = FORMATS[name].render(report_with_graphs, color=True)
    assert ("\x1b[" in coloured) == FORMATS[name].colors
    assert FORMATS[name].render(report_with_graphs, color=False).count("\x1b[") == 0


@pytest.mark.parametrize("name", list(FORMATS))
def test_the_check_keeps_the_graphs_only_for_a_format_that_needs_them(name, monkeypatch, tmp_path):
    kept = []

    def spy(paths, policy, options):
        report = check(paths, policy, options)
        kept.append(len(report.graphs))
        return report

    monkeypatch.setattr(run_module, "check", spy)
    result = CliRunner().invoke(
        main,
        ["check", SPEC, "--as-of", AS_OF, "--format", name, "--output", str(tmp_path / "report")],
    )
    assert result.exit_code == 1, result.output
    assert kept == [1 if FORMATS[name].needs_graphs else 0]


def test_the_format_choices_are_the_registry(tmp_path):
    result = CliRunner().invoke(main, ["check", SPEC, "--format", "yaml"])
    assert result.exit_code == 2
    assert f"unknown format 'yaml' (choose from {', '.join(FORMATS)})" in result.output
    help_text = CliRunner().invoke(main, ["check", "--help"]).output
    assert "|".join(FORMATS) in " ".join(help_text.split())
