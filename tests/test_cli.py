"""The usjapan-data command: exit codes and output, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

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
