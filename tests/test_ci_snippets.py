"""The README's CI snippets work as written: the GitHub Actions workflow and the pre-commit configs.

What cannot run here: the workflow's ``uses:`` steps (GitHub's checkout and
setup-python actions) and its ``pip install usjapan-data`` (the tests run in
an environment where the package is installed already); their shape is
checked, and every other ``run:`` step runs as GitHub runs it (``bash -e``)
in a folder holding the copy the workflow names.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hostile import copy_package, edit_table, set_cell

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BREAK = edit_table("events", set_cell("event_type", "not_a_type", dtype=object))
WHERE = "table events, row 1, column event_type"


def readme_yaml() -> list[str]:
    """The YAML blocks of the README's "In your CI" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### In your CI\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```yaml\n(.*?)```", section, flags=re.S)


def snippet(test) -> str:
    (found,) = [block for block in readme_yaml() if test(yaml.safe_load(block))]
    return found


def environment(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.org",
                    "-c", "commit.gpgsign=false", *args], cwd=folder, check=True, capture_output=True)


def workspace(tmp_path: Path, config: str | None = None) -> Path:
    """A git repository holding a copy of the package in my-data/ (and a pre-commit config)."""
    repo = tmp_path / "repo"
    copy_package(repo / "my-data")
    git(repo, "init", "-q")
    if config is not None:
        (repo / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a copy of the data")
    return repo


def break_copy(repo: Path) -> None:
    BREAK(repo / "my-data")
    git(repo, "add", "-A")


def pre_commit(repo: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "pre-commit"), "run", "--all-files"], cwd=repo,
                          env=environment(tmp_path), capture_output=True, text=True)


# --------------------------------------------------------------------------
# GitHub Actions
# --------------------------------------------------------------------------


def workflow() -> dict:
    return yaml.safe_load(snippet(lambda doc: isinstance(doc, dict) and "jobs" in doc))


def run_steps(repo: Path, tmp_path: Path) -> list[tuple[str, subprocess.CompletedProcess]]:
    """Each ``run:`` step but the install, as GitHub runs it (bash -e), in the checkout."""
    results = []
    for step in workflow()["jobs"]["validate"]["steps"]:
        command = step.get("run")
        if command is None or command.startswith("pip install"):
            continue
        results.append((command, subprocess.run(["bash", "-e", "-c", command], cwd=repo,
                                                env=environment(tmp_path), capture_output=True,
                                                text=True)))
    return results


def test_the_workflow_is_a_valid_github_actions_workflow():
    flow = workflow()
    assert flow["name"] and flow[True] == ["push", "pull_request"]  # YAML 1.1 reads `on` as True
    job = flow["jobs"]["validate"]
    assert job["runs-on"] == "ubuntu-latest"
    steps = job["steps"]
    assert [s["uses"] for s in steps if "uses" in s] == ["actions/checkout@v4", "actions/setup-python@v5"]
    assert steps[0]["uses"].startswith("actions/checkout")  # the copy is there before any run
    assert all(set(s) <= {"uses", "with", "run", "name"} for s in steps)
    installs = [s["run"] for s in steps if str(s.get("run", "")).startswith("pip install")]
    assert installs == ["pip install usjapan-data"]
    assert [s["run"].split()[:2] for s in steps if "run" in s][1:] == [
        ["usjapan-data", "validate"], ["usjapan-data", "diff"]]


def test_the_workflow_steps_pass_on_a_valid_copy(tmp_path):
    repo = workspace(tmp_path)
    for command, result in run_steps(repo, tmp_path):
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"


def test_the_workflow_fails_on_a_broken_copy_with_an_annotation(tmp_path):
    repo = workspace(tmp_path)
    break_copy(repo)
    (validate, result), (diff, compared) = run_steps(repo, tmp_path)
    assert result.returncode == 1
    assert "::error file=my-data/data/events.parquet" in result.stdout
    assert WHERE in result.stdout
    assert compared.returncode == 0, compared.stderr  # a difference is no failure of the step
    assert "changed EVT-" in compared.stdout and "event_type" in compared.stdout


def test_the_workflow_diff_step_fails_on_an_unreadable_copy(tmp_path):
    repo = workspace(tmp_path)
    (repo / "my-data" / "datapackage.json").write_text("{not json", encoding="utf-8")
    (_, _), (_, compared) = run_steps(repo, tmp_path)
    assert compared.returncode != 0  # diff exits 2, and the step fails
    assert "cannot read the new package" in compared.stderr


# --------------------------------------------------------------------------
# pre-commit
# --------------------------------------------------------------------------


def passes_then_fails(repo: Path, tmp_path: Path) -> None:
    """The hook passes on the valid copy, then fails on it broken, naming table, row and column."""
    passed = pre_commit(repo, tmp_path)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"usjapan-data validate\.+Passed", passed.stdout), passed.stdout
    break_copy(repo)
    failed = pre_commit(repo, tmp_path)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert re.search(r"usjapan-data validate\.+Failed", failed.stdout)
    assert WHERE in failed.stdout and "not_a_type" in failed.stdout


@pytest.mark.slow
def test_the_local_pre_commit_config_passes_and_fails_as_written(tmp_path):
    config = snippet(lambda doc: "repos" in doc and doc["repos"][0]["repo"] == "local")
    repo = workspace(tmp_path, config)
    passes_then_fails(repo, tmp_path)


def this_repository(target: Path) -> str:
    """This checkout's files as they are now (committed or not), committed in a git repo; its sha."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        source = ROOT / rel
        if source.is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / rel)
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "snapshot")
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=target, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.slow
def test_the_hook_this_repository_ships_passes_and_fails(tmp_path):
    """.pre-commit-hooks.yaml as written, through the README's config, from a clone of this repo."""
    if shutil.which("git") is None:
        pytest.fail("git is needed")
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    config = snippet(lambda doc: "repos" in doc and doc["repos"][0]["repo"] != "local")
    assert yaml.safe_load(config)["repos"][0]["hooks"][0]["id"] == hooks[0]["id"]
    sha = this_repository(tmp_path / "usjapan-data")
    url = yaml.safe_load(config)["repos"][0]["repo"]
    rev = yaml.safe_load(config)["repos"][0]["rev"]
    config = config.replace(url, str(tmp_path / "usjapan-data")).replace(f"rev: {rev}", f"rev: {sha}")
    repo = workspace(tmp_path, config)
    passes_then_fails(repo, tmp_path)
