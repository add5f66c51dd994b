"""The usjapan-data command: exit codes and output, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from usjapan_data.cli import main


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "usjapan_data.cli", *args], cwd=cwd,
                          capture_output=True, text=True)


def test_info(tables):
    result = run("info")
    assert result.returncode == 0, result.stderr
    assert "validation: valid" in result.stdout
    for name, frame in tables.items():
        assert f"{name:<20} {len(frame):>6}" in result.stdout


def test_version():
    import usjapan_data

    result = run("--version")
    assert result.stdout.strip() == f"usjapan-data {usjapan_data.__version__}"


@pytest.mark.parametrize("args", [[], ["frobnicate"], ["validate", "--format", "xml"]])
def test_usage_errors_exit_2(args):
    result = run(*args)
    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_installed(capsys):
    assert main(["validate"]) == 0
    assert "VALID" in capsys.readouterr().out


def test_validate_json(capsys):
    assert main(["validate", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True and report["errors"] == []


def test_build_check_outside_a_checkout(tmp_path):
    result = run("build", "--check", "--root", str(tmp_path))
    assert result.returncode == 1
    assert "no records/ folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_command_shows_examples_in_its_help():
    from usjapan_data.cli import _parser

    parser = _parser()
    (sub,) = [a for a in parser._actions if a.choices and isinstance(a.choices, dict)]
    for name, command in [("usjapan-data", parser), *sub.choices.items()]:
        text = command.format_help()
        assert "\nexamples:\n" in text, name
        examples = text.split("\nexamples:\n", 1)[1].splitlines()
        # two examples or more, each on a line of its own (the formatter keeps line breaks)
        assert sum(line.startswith("  ") and "usjapan-data " in line for line in examples) >= 2, name
    result = run("cite", "--help")
    assert result.returncode == 0 and "usjapan-data cite --format bibtex" in result.stdout


def test_describe(capsys):
    assert main(["describe", "record_actors"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("record_actors\n")
    assert "committer: makes the commitment" in out


def test_describe_unknown_table_exits_2():
    result = run("describe", "event")
    assert result.returncode == 2
    assert "unknown table 'event'; the tables are: events," in result.stderr
    assert "Traceback" not in result.stderr


def test_cite(capsys):
    from usjapan_data import cite

    assert main(["cite", "--format", "bibtex"]) == 0
    assert capsys.readouterr().out == cite("bibtex") + "\n"
    result = run("cite", "no-such-document")
    assert result.returncode == 2 and "expected one of all, dataset" in result.stderr


def test_info_into_a_closed_pipe_exits_0():
    """`usjapan-data info | head -1`: the reader stops early; no BrokenPipeError traceback."""
    command = f"{sys.executable} -m usjapan_data.cli info | head -1; exit ${{PIPESTATUS[0]}}"
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usjapan-data ")
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_validate_into_a_closed_pipe_keeps_its_exit_code(tmp_path):
    import sys as _sys

    _sys.path.insert(0, str(Path(__file__).parent))
    from hostile import copy_package, edit_table, set_cell

    package = copy_package(tmp_path / "pkg")
    edit_table("actors", set_cell("iso3", "jpn", 1))(package)
    command = (f"{sys.executable} -m usjapan_data.cli validate {package} --format json | head -c 1; "
               "exit ${PIPESTATUS[0]}")
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_github_line_is_the_physical_line_of_a_csv_row(tmp_path):
    """A newline inside an earlier field shifts every later row's line."""
    import sys as _sys

    _sys.path.insert(0, str(Path(__file__).parent))
    from hostile import TABLES, copy_package, csv_copy

    tables = {name: frame.copy() for name, frame in TABLES.items()}
    tables["events"].loc[0, "note"] = "one\ntwo\nthree"
    tables["events"].loc[1, "title"] = "a title\r\nover two lines"
    tables["events"]["event_type"] = tables["events"]["event_type"].astype(object)
    tables["events"].loc[5, "event_type"] = "coup"
    package = copy_package(tmp_path / "pkg")
    csv_copy(package, tables=tables)
    text = (package / "data" / "events.csv").read_text(encoding="utf-8")
    physical = next(i for i, line in enumerate(text.split("\n"), start=1) if ",coup," in line)
    assert physical == 1 + 5 + 1 + 2 + 1  # header, 5 rows before, their 3 extra lines, this row
    result = run("validate", str(package), "--format", "github")
    assert result.returncode == 1
    line = next(l for l in result.stdout.splitlines() if "events.csv" in l)
    assert f",line={physical}," in line and "row 6" in line


def test_output_never_becomes_a_workflow_command(tmp_path):
    """A folder name and a cell holding a newline and `::error` stay on their own line."""
    import sys as _sys

    _sys.path.insert(0, str(Path(__file__).parent))
    from hostile import copy_package, edit_table, set_cell

    package = copy_package(tmp_path / "x\n::error file=evil.py::pwned")
    edit_table("events", set_cell("event_type", "war\n::warning::pwned\r\n##[error]x", 2, "object"))(package)
    for fmt in ("text", "github", "json"):
        result = run("validate", str(package), "--format", fmt)
        assert result.returncode == 1
        for line in result.stdout.splitlines():
            assert not line.lstrip().startswith(("::warning", "##[", "::error file=evil")), line
            if fmt == "github":
                assert line.startswith(("::error ", "usjapan-data validate ")), line


def test_a_path_argument_that_is_not_text(tmp_path):
    result = subprocess.run([sys.executable, "-m", "usjapan_data.cli", "validate",
                             os.fsdecode(bytes(tmp_path) + b"/\xff\xfe")], capture_output=True)
    assert result.returncode == 1
    assert b"Traceback" not in result.stderr and b"descriptor" in result.stdout
