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
