"""Includes stay in the tree of the spec that names them (issue 15): in its folder, or in the
directory `--include-root` gives (check, validate, explain). Absolute paths, `..` and symbolic
links out of the tree are refused at the include entry; an error in an included file names the
chain of includes that brought it in. Each case: exit code, the one stderr line, the JSON errors.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main

HEAD = "version: 1\nname: t\n"
PART = "systems:\n  - {id: de, kind: storage, location: DE}\n"


def run(*args: str):
    return CliRunner().invoke(main, list(args), env={"DLC_CONFIG": "none"})


def check_json(*args: str) -> tuple[int, list[dict], list[str]]:
    """`dlc check ... --format json`: (exit code, the report's errors, stderr lines)."""
    result = run("check", *args, "--format", "json", "--as-of", "2026-11-25")
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    return result.exit_code, json.loads(result.stdout)["errors"], result.stderr.splitlines()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """repo/specs/spec.yaml beside repo/shared.yaml, and a secret outside the repository."""
    (tmp_path / "repo" / "specs").mkdir(parents=True)
    (tmp_path / "repo" / "shared.yaml").write_text(PART)
    (tmp_path / "secret.yaml").write_text(PART)
    return tmp_path


def refused(spec: Path, name: str, message: str, *extra: str) -> None:
    """`spec` names `name` on line 4 and is refused there, with `message`."""
    spec.write_text(HEAD + f"include:\n  - {name}\n")
    code, errors, stderr = check_json(str(spec), *extra)
    assert code == 2
    assert errors == [{"file": str(spec), "line": 4, "column": 5, "message": message}]
    assert stderr == [f"dlc: error: {spec}:4:5: {message}"]


def test_an_absolute_path_is_refused_even_inside_the_tree(tree):
    spec = tree / "repo" / "specs" / "spec.yaml"
    (tree / "repo" / "specs" / "part.yaml").write_text(PART)
    for name in ("/etc/passwd", str(tree / "repo" / "specs" / "part.yaml")):
        refused(
            spec,
            name,
            f"include[0]: '{name}' is an absolute path; an include is relative to the spec "
            "naming it",
            "--include-root",
            str(tree),
        )


def test_dot_dot_out_of_the_folder_is_refused_unless_the_include_root_holds_it(tree):
    spec, specs = tree / "repo" / "specs" / "spec.yaml", tree / "repo" / "specs"
    refused(
        spec,
        "../shared.yaml",
        f"include[0]: '../shared.yaml' is outside {specs} (the folder of the spec "
        "naming it; --include-root DIR widens it)",
    )
    refused(
        spec,
        "../../secret.yaml",
        f"include[0]: '../../secret.yaml' is outside {tree / 'repo'} (--include-root)",
        "--include-root",
        str(tree / "repo"),
    )
    spec.write_text(HEAD + "include:\n  - ../shared.yaml\n")
    result = run(
        "check",
        str(spec),
        "--include-root",
        str(tree / "repo"),
        "--format",
        "json",
        "--as-of",
        "2026-11-25",
    )
    assert result.exit_code == 0 and result.stderr == ""
    assert [i["path"] for i in json.loads(result.stdout)["run"]["inputs"]] == [
        str(spec),
        str(specs / "../shared.yaml"),
    ]


def test_a_symbolic_link_out_of_the_tree_is_refused_where_it_points(tree):
    specs = tree / "repo" / "specs"
    os.symlink(tree / "secret.yaml", specs / "vendors.yaml")
    os.symlink(tree, specs / "up")  # a folder link: the file behind it is outside too
    refused(
        specs / "spec.yaml",
        "vendors.yaml",
        f"include[0]: 'vendors.yaml' is outside {specs} (the folder "
        "of the spec naming it; --include-root DIR widens it)",
    )
    refused(
        specs / "spec.yaml",
        "up/secret.yaml",
        f"include[0]: 'up/secret.yaml' is outside {tree / 'repo'} (--include-root)",
        "--include-root",
        str(tree / "repo"),
    )
    os.symlink(specs / "part.yaml", specs / "alias.yaml")  # a link that stays inside is followed
    (specs / "part.yaml").write_text(PART)
    (specs / "spec.yaml").write_text(HEAD + "include: [alias.yaml]\n")
    code, errors, stderr = check_json(str(specs / "spec.yaml"))
    assert (code, errors, stderr) == (0, [], [])


def test_a_nested_include_stays_in_its_own_folder(tree):
    """b.yaml in sub/ may include what is under sub/, not its includer's folder."""
    specs = tree / "repo" / "specs"
    (specs / "sub").mkdir()
    (specs / "sub" / "b.yaml").write_text("include:\n  - c.yaml\n  - ../d.yaml\n")
    (specs / "sub" / "c.yaml").write_text(PART)
    (specs / "d.yaml").write_text("systems:\n  - {id: us, kind: storage, location: US}\n")
    spec = specs / "spec.yaml"
    spec.write_text(HEAD + "include:\n  - sub/b.yaml\n")
    code, errors, stderr = check_json(str(spec))
    b = specs / "sub" / "b.yaml"
    message = (
        f"include[1]: '../d.yaml' is outside {specs / 'sub'} (the folder of the spec naming it; "
        f"--include-root DIR widens it) (included from {spec}:4)"
    )
    assert code == 2
    assert errors == [{"file": str(b), "line": 3, "column": 5, "message": message}]
    assert stderr == [f"dlc: error: {b}:3:5: {message}"]
    result = run("check", str(spec), "--include-root", str(specs), "--format", "json")
    assert result.exit_code == 0 and result.stderr == ""
    assert [os.path.basename(i["path"]) for i in json.loads(result.stdout)["run"]["inputs"]] == [
        "spec.yaml",
        "b.yaml",
        "c.yaml",
        "d.yaml",
    ]


def test_an_error_in_an_included_file_names_the_chain(tree):
    specs = tree / "repo" / "specs"
    (specs / "sub").mkdir()
    (specs / "sub" / "b.yaml").write_text(
        "systems:\n  - {id: b, kind: storage, location: DE}\ninclude: [c.yaml]\n"
    )
    (specs / "sub" / "c.yaml").write_text(
        "systems:\n  - {id: c, kind: storage, location: Atlantis}\n"
    )
    spec = specs / "spec.yaml"
    spec.write_text(HEAD + "include:\n  - sub/b.yaml\n")
    code, errors, stderr = check_json(str(spec))
    c = specs / "sub" / "c.yaml"
    assert code == 2
    [error] = errors
    assert (error["file"], error["line"]) == (str(c), 2)
    chain = f" (included from {specs / 'sub' / 'b.yaml'}:3, from {spec}:4)"
    assert error["message"].endswith(chain) and "Atlantis" in error["message"]
    assert stderr == [f"dlc: error: {c}:2:{error['column']}: {error['message']}"]


def test_validate_and_explain_take_the_include_root(tree):
    spec = tree / "repo" / "specs" / "spec.yaml"
    spec.write_text(HEAD + "include:\n  - ../shared.yaml\n")
    root = str(tree / "repo")
    refused_line = (
        f"dlc: error: {spec}:4:5: include[0]: '../shared.yaml' is outside {spec.parent} ("
    )
    for command in (["validate", str(spec)], ["explain", str(spec), "--rule", "CN-PI-EXPORT"]):
        result = run(*command)
        assert result.exit_code == 2 and result.stderr.startswith(refused_line)
        assert result.stderr.count("\n") == 1
        result = run(*command, "--include-root", root)
        assert result.exit_code in (0, 2) and "is outside" not in result.stderr
    assert run("validate", str(spec), "--include-root", root).exit_code == 0


def test_an_include_root_that_is_no_directory_is_a_usage_error(tree):
    spec = tree / "repo" / "specs" / "spec.yaml"
    spec.write_text(HEAD + "systems: []\n")
    missing = str(tree / "nowhere")
    code, errors, stderr = check_json(str(spec), "--include-root", missing)
    assert code == 2 and [e["message"] for e in errors] == [
        f"--include-root '{missing}' is not a directory"
    ]
    assert stderr == [f"dlc: error: --include-root '{missing}' is not a directory"]
