"""The streaming engine: Parquet read in place, bounded memory, progress only on a terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

pytest.importorskip("duckdb")

from hostile import ARROW, copy_package, write_arrow  # noqa: E402
from usjapan_data import descriptor_path, limits, streaming, validate  # noqa: E402
from usjapan_data.cli import main  # noqa: E402

CLI = [sys.executable, "-m", "usjapan_data.cli"]


def test_the_shipped_package_is_valid_and_read_in_place(monkeypatch):
    read_in_memory = []
    from usjapan_data import package

    real = package._read_resource
    monkeypatch.setattr(package, "_read_resource", lambda name, *a: read_in_memory.append(name) or real(name, *a))
    report = validate(descriptor_path(), engine="duckdb")
    assert report.valid, str(report)
    assert read_in_memory == []  # every file read by DuckDB, none parsed in memory
    assert report.rows == validate().rows


def test_installed_and_in_memory_tables_through_duckdb():
    import usjapan_data

    assert validate(engine="duckdb").source == "installed package"
    assert validate(usjapan_data.load_tables(backend="pyarrow"), engine="duckdb").valid


def test_options_and_engines_are_checked():
    with pytest.raises(ValueError, match="engine"):
        validate(engine="oracle")
    with pytest.raises(ValueError, match="memory_limit"):
        validate(memory_limit="1GB")  # an option of the duckdb engine only
    assert validate(engine="duckdb", memory_limit="256MB", threads=1).valid


def test_cli_engine_duckdb_matches_the_default(capsys):
    assert main(["validate", "--engine", "duckdb", "--format", "json"]) == 0
    streamed = json.loads(capsys.readouterr().out)
    assert main(["validate", "--format", "json"]) == 0
    default = json.loads(capsys.readouterr().out)
    assert streamed == default


def test_progress_is_quiet_when_piped(tmp_path):
    package = copy_package(tmp_path / "pkg")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    done = subprocess.run([*CLI, "validate", str(package), "--engine", "duckdb"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "VALID" in done.stdout and "checking" not in done.stdout


def test_progress_shows_on_a_terminal_but_not_in_ci(tmp_path):
    package = copy_package(tmp_path / "pkg")
    for ci, shown in ((None, True), ("true", False)):
        env = {k: v for k, v in os.environ.items() if k != "CI"}
        if ci:
            env["CI"] = ci
        leader, follower = os.openpty()
        child = subprocess.Popen([*CLI, "validate", str(package), "--engine", "duckdb"],
                                 stdout=subprocess.PIPE, stderr=follower, env=env)
        os.close(follower)
        chunks = []
        try:
            while True:  # read as it writes: a full terminal buffer would block the child
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(leader)
        child.communicate(timeout=300)
        done = child
        text = b"".join(chunks).decode(errors="replace")
        assert done.returncode == 0
        assert ("checking" in text) is shown, text[-500:]


def test_a_missing_duckdb_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "duckdb", None)
    with pytest.raises(ImportError, match=r"usjapan-data\[sql\]"):
        validate(engine="duckdb")
    assert main(["validate", "--engine", "duckdb"]) == 1
    err = capsys.readouterr().err
    assert "sql" in err and "Traceback" not in err


def test_the_streamed_limits_replace_the_in_memory_ones(tmp_path, monkeypatch):
    """A file over the in-memory limits is read in place; over the streamed ones, refused by name."""
    package = copy_package(tmp_path / "pkg")
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(limits, "MAX_ROWS", 10)
    assert not validate(package).valid
    assert validate(package, engine="duckdb").valid
    monkeypatch.setattr(limits, "STREAM_MAX_ROWS", 100)
    report = validate(package, engine="duckdb")
    hits = report.errors[report.errors["check"] == "row_count"]
    assert set(hits["table"]) == {"evidence", "record_actors"}
    assert hits["file"].str.endswith(".parquet").all()


def _big_scenarios(package: Path, rows: int, duplicate: bool = False) -> None:
    """exercise_scenarios with ``rows`` valid rows (each exercise, many scenarios).

    With ``duplicate``, rows 4 and 5 (0-based) hold the same key.
    """
    ids = ARROW["exercises"].column("exercise_id").to_pylist()
    k = np.arange(rows)
    exercise = np.array(ids, dtype=object)[k % len(ids)]
    scenario = np.array([f"scenario {i}" for i in range(rows)], dtype=object)
    if duplicate:
        exercise[5], scenario[5] = exercise[4], scenario[4]
    table = pa.table({"exercise_id": pa.array(exercise, pa.string()),
                      "scenario": pa.array(scenario, pa.string())})
    write_arrow(package, "exercise_scenarios", table, row_group_size=50_000)


@pytest.mark.parametrize("duplicate", [False, True], ids=["valid", "one duplicate key"])
def test_memory_stays_bounded(tmp_path, duplicate):
    """A 2-million-row table in a child process: DuckDB within a small memory limit, RSS bounded.

    With a duplicate key the table does not screen clean: its checks run one
    by one on relations of every row, which DuckDB spills, and the one
    finding is located.
    """
    package = copy_package(tmp_path / "pkg")
    _big_scenarios(package, 2_000_000, duplicate)
    code = (
        "import json, resource, sys, usjapan_data\n"
        "r = usjapan_data.validate(sys.argv[1], engine='duckdb', memory_limit='200MB', threads=1)\n"
        "print(json.dumps([r.valid, r.rows['exercise_scenarios'], r.errors[['check', 'row']].values.tolist(),\n"
        "                  resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(package)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    valid, rows, errors, peak_mb = json.loads(done.stdout.strip().splitlines()[-1])
    assert rows == 2_000_000
    assert (valid, errors) == ((False, [["primary_key", 6]]) if duplicate else (True, []))
    assert peak_mb < 1000, peak_mb  # the table as pandas would be about 300 MB more


def test_running_out_of_memory_is_not_a_verdict(tmp_path, capsys):
    """DuckDB out of memory: an EngineMemoryError naming the step and the limit; the CLI exits 3."""
    package = copy_package(tmp_path / "pkg")
    with pytest.raises(streaming.EngineMemoryError) as caught:
        validate(package, engine="duckdb", memory_limit="4MB", threads=1)
    message = str(caught.value)
    assert isinstance(caught.value, MemoryError)
    assert isinstance(caught.value, streaming.EngineError)
    assert "not validated" in message and "memory_limit 3.8 MiB" in message
    assert "events: screening" in message and "--memory-limit" in message
    code = main(["validate", str(package), "--engine", "duckdb", "--memory-limit", "4MB"])
    err = capsys.readouterr().err
    assert code == 3 and "not validated" in err and "Traceback" not in err
    assert main(["validate", str(package), "--engine", "duckdb", "--memory-limit", "1GB",
                 "--temp-directory", str(tmp_path / "spill")]) == 0
    assert main(["validate", str(package), "--memory-limit", "1GB"]) == 2
    assert "options of --engine duckdb" in capsys.readouterr().err
    assert main(["validate", str(package), "--engine", "duckdb", "--memory-limit", "8gigs"]) == 2
    err = capsys.readouterr().err
    assert "memory_limit='8gigs'" in err and "Traceback" not in err


def test_a_spill_folder_that_cannot_be_used_is_not_a_verdict(tmp_path, capsys):
    """DuckDB needs to spill and cannot: an EngineError naming the step and the folder; exit 3."""
    package = copy_package(tmp_path / "pkg")
    _big_scenarios(package, 2_000_000)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(streaming.EngineError, match="could not spill") as caught:
        validate(package, engine="duckdb", memory_limit="32MB", temp_directory=str(blocked))
    assert str(blocked) in str(caught.value) and "--temp-directory" in str(caught.value)
    assert main(["validate", str(package), "--engine", "duckdb", "--memory-limit", "32MB",
                 "--temp-directory", str(blocked)]) == 3
    err = capsys.readouterr().err
    assert "not validated" in err and "Traceback" not in err


def test_errors_beyond_the_kept_ones_are_counted(tmp_path):
    package = copy_package(tmp_path / "pkg")
    table = ARROW["record_actors"]
    bad = pa.array(["bad id"] * table.num_rows)
    write_arrow(package, "record_actors", table.set_column(table.schema.get_field_index("actor_id"),
                                                          "actor_id", bad))
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(limits, "MAX_ERRORS", 100)
    try:
        streamed = validate(package, engine="duckdb")
        default = validate(package)
    finally:
        monkeypatch.undo()
    assert len(streamed.errors) == 100 and streamed.error_count == default.error_count
    assert streamed.errors.equals(default.errors)


def test_module_is_documented():
    assert "memory" in streaming.__doc__ and "DuckDB" in streaming.__doc__
