"""Benchmark usjapan-data: loading, import cost, validation, and Frictionless.

Run it with the project's own environment, on the machine at hand::

    python benchmarks/bench.py            # full run, Markdown report
    python benchmarks/bench.py --quick    # reduced run (under a minute on 2 cores, --json included)
    python benchmarks/bench.py --json     # ... and a JSON object as the last line
    python benchmarks/bench.py --packages /var/tmp/usjapan-bench   # keep the big packages, reuse them

(From a source checkout without an install, put ``src`` on ``PYTHONPATH``.)
Progress goes to stderr; the report (or, with ``--json``, the JSON object)
to stdout.

What is measured
----------------
1. **Cold load vs the floor.** Wall time of a fresh interpreter running
   ``usjapan_data.load_tables()`` against a fresh interpreter that imports
   pandas and ``pyarrow.parquet`` and runs ``pq.read_table(p).to_pandas()``
   on the same Parquet files (``table_path(name)`` for ``list_tables()``).
   The two alternate, one warm-up pair first (not counted), then at least 5
   pairs; the report gives the median of the per-pair ratios (ours / floor).
   Skipped when the shipped data are not there.
2. **Import cost.** In a fresh interpreter, the time ``import usjapan_data``
   takes (median of several processes), and which heavy modules (pandas,
   pyarrow, pandera, frictionless, polars) are in ``sys.modules`` after the
   import, and after ``load_tables()``.
3. **Validation throughput and peak memory.** Synthetic, valid tables are
   generated from the table definitions (:data:`usjapan_data.schema.TABLES`,
   :func:`~usjapan_data.schema.column_specs`, :func:`~usjapan_data.schema.keys`)
   with every key, foreign key and cross-table rule satisfied, and validated
   with ``usjapan_data.validate(tables)`` (every check, foreign keys
   included); the report must say valid, or the benchmark fails. ``rows``
   is the size of the big tables, ``evidence`` and ``record_actors``; the
   record tables have at most 1,000 rows, because their identifiers
   (``EVT-NNN`` ...) allow no more. The same tables are validated as polars
   frames. Each size runs in its own subprocess. Peak memory is the peak
   resident set size during ``validate()`` above the resident set size
   just before it, with the tables already in memory: the kernel's
   high-water mark (``VmHWM``) is reset through ``/proc/self/clear_refs``
   before the call and read after it (where that is unavailable, the
   growth of ``ru_maxrss`` from ``resource.getrusage``, a lower bound).
   The report says which. It is compared with the in-memory size of the
   pandas tables (the sum of ``DataFrame.memory_usage(deep=True)``).
4. **Frictionless.** The synthetic tables are written as a data package in
   a temporary folder (Parquet from ``usjapan_data.writing.table_bytes``,
   descriptor from ``usjapan_data.descriptor.datapackage``) and validated
   by ``frictionless validate datapackage.json`` (the executable next to
   ``sys.executable``, wall time of the process) and by
   ``usjapan_data.validate(path)`` (the call, in a process that has imported
   the package). The headline speed-up compares the validation work: the
   frictionless process less its start-up (the median of three
   ``frictionless --version``) over the ``validate(path)`` call. Both as
   fresh processes, start-up and imports included
   (``python -c "usjapan_data.validate(path)"``), is reported too
   (not with ``--quick``).
   ``rows`` is again the size of evidence and record_actors; the package
   holds about 2.2 times as many rows in all, at least 20,000.

5. **Streaming against the floor** (:mod:`bench_stream`): a synthetic
   package on disk of 1M, 10M and 100M rows in the big tables (200,000 with
   ``--quick``), validated by ``validate(path, engine="duckdb")`` and by
   hand-written DuckDB SQL of the same checks, alternated in fresh
   processes: times, their ratio (``duckdb_floor_ratio`` in the JSON, at
   the largest size) and each process's peak RSS (``stream_peak_mb``).

   ``--packages DIR`` keeps these packages and reuses them in later runs
   (keyed by size and by a digest of the generator and the table
   definitions): 100M rows take about 15 minutes to write.

6. **Spark local mode** (:mod:`bench_spark`, full run only): the 1M-row
   package of 5 validated by ``validate(path, engine="spark")`` in a fresh
   process with a ``local[*]`` session: rows per second
   (``spark_rows_per_s`` in the JSON), the session's start-up apart. Not
   measured, and said so, without pyspark or Java.

The code is split by what it measures: ``bench_load.py`` (1, 2),
``bench_validate.py`` (3, 4), ``bench_stream.py`` (5), ``bench_spark.py``
(6), ``synth.py`` (the
synthetic tables and packages), ``procs.py`` (child processes); this file
is the entry point.

Targets (2-core machine) are reported as met or missed; a missed target does
not fail the run. The exit status is non-zero only when something crashes or
the synthetic data are reported invalid.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_load import measure_import, measure_load
from bench_spark import worker_spark
from bench_stream import measure_stream, memory_limit, worker_floor, worker_stream, worker_write
from bench_validate import (
    MIN_FRICTIONLESS_ROWS,
    measure_frictionless,
    measure_validation,
    worker_frictionless,
    worker_validate,
)
from procs import MB, log


# Targets, for a 2-core machine.
TARGET_LOAD_RATIO = 1.2
TARGET_VALIDATE_1M_S = 3.0
TARGET_PEAK_RATIO = 3.0
TARGET_SPEEDUP = 20.0
FORBIDDEN_ON_IMPORT = ("pandera", "frictionless")
TARGET_FLOOR_RATIO = 1.0
TARGET_STREAM_PEAK_MB = 2048

@dataclass(frozen=True)
class Config:
    """How much a run measures."""

    load_pairs: int
    import_runs: int
    sizes: tuple[int, ...]
    polars_sizes: tuple[int, ...]
    repeats: int
    frictionless_rows: int  # rows of the big tables; the package holds about 2.2 times as many
    frictionless_processes: bool  # also time usjapan_data.validate(path) as a fresh process
    stream_sizes: tuple[int, ...]  # packages validated with engine="duckdb" against the floor
    stream_pairs: int
    spark_sizes: tuple[int, ...]  # of stream_sizes: also validated through Spark local mode


FULL = Config(load_pairs=10, import_runs=9, sizes=(10_000, 100_000, 1_000_000),
              polars_sizes=(10_000, 100_000, 1_000_000), repeats=3, frictionless_rows=50_000,
              frictionless_processes=True, stream_sizes=(1_000_000, 10_000_000, 100_000_000),
              stream_pairs=3, spark_sizes=(1_000_000,))
# frictionless takes ~25 s for 20,000 rows in the big tables (44,720 in all), too
# long beside the rest within a minute: --quick gives it 9,000 (20,180 rows in all)
QUICK = Config(load_pairs=3, import_runs=3, sizes=(1_000_000,), polars_sizes=(),
               repeats=1, frictionless_rows=9_000, frictionless_processes=False,
               stream_sizes=(200_000,), stream_pairs=1, spark_sizes=())


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM and the versions that matter."""
    from importlib.metadata import PackageNotFoundError, version

    cpuinfo = Path("/proc/cpuinfo")
    text = cpuinfo.read_text() if cpuinfo.is_file() else ""
    cpu = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    meminfo = Path("/proc/meminfo")
    ram = re.search(r"^MemTotal:\s+(\d+) kB", meminfo.read_text(), re.M) if meminfo.is_file() else None
    versions: dict[str, str | None] = {}
    for package in ("pandas", "pyarrow", "pandera", "polars", "frictionless", "numpy", "duckdb", "pyspark"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": cpu.group(1).strip() if cpu else platform.processor() or "unknown",
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gb": round(int(ram.group(1)) / 2**20, 1) if ram else None,
        "python": platform.python_version(),
        **versions,
    }


@dataclass(frozen=True)
class Target:
    """One target: what it is, what was measured, and whether it is met."""

    name: str
    measured: str
    met: bool | None  # None: not measured


def targets(results: dict[str, Any]) -> list[Target]:
    """Judge each target against the results."""
    load, imp = results["load"], results["import"]
    big = next((v for v in results["validation"]
                if v["rows"] == 1_000_000 and v["backend"] == "pandas"), None)
    fr = results["frictionless"]
    forbidden = [m for m in FORBIDDEN_ON_IMPORT if m in imp["after_import"]]
    return [
        Target(f"cold load_tables() <= {TARGET_LOAD_RATIO}x the floor",
               f"{load['ratio']:.2f}x" if load else "not measured (no shipped data)",
               load["ratio"] <= TARGET_LOAD_RATIO if load else None),
        Target("import usjapan_data imports neither pandera nor frictionless",
               ", ".join(forbidden) + " imported" if forbidden else "neither imported",
               not forbidden),
        Target(f"1,000,000 rows validated in <= {TARGET_VALIDATE_1M_S:g} s",
               f"{big['seconds']:.2f} s" if big else "not measured",
               big["seconds"] <= TARGET_VALIDATE_1M_S if big else None),
        Target(f"peak memory <= {TARGET_PEAK_RATIO:g}x the tables (1,000,000 rows)",
               f"{peak_ratio(big):.2f}x" if big else "not measured",
               peak_ratio(big) <= TARGET_PEAK_RATIO if big else None),
        *stream_targets(results["stream"]),
        Target(f">= {TARGET_SPEEDUP:g}x faster than frictionless",
               f"{fr['speedup']:.1f}x (validation work, {fr['total_rows']:,} rows; "
               f"as processes: {fmt_ratio(fr['speedup_process'])})", fr["speedup"] >= TARGET_SPEEDUP),
    ]


def stream_targets(stream: list[dict[str, Any]]) -> list[Target]:
    """Streaming: at or below the floor at 10M rows; under 2 GB at the largest size measured."""
    ten = next((s for s in stream if s["rows"] == 10_000_000), None)
    big = stream[-1] if stream else None
    return [
        Target(f"10,000,000 rows with engine=duckdb <= {TARGET_FLOOR_RATIO:g}x the floor",
               f"{ten['ratio']:.2f}x" if ten else "not measured",
               ten["ratio"] <= TARGET_FLOOR_RATIO if ten else None),
        Target(f"peak RSS < {TARGET_STREAM_PEAK_MB:,} MB (engine=duckdb, largest size)",
               f"{big['ours_peak_mb']:,.0f} MB at {big['rows']:,} rows" if big else "not measured",
               big["ours_peak_mb"] < TARGET_STREAM_PEAK_MB if big else None),
    ]


def fmt_seconds(value: float | None) -> str:
    """A time for the report."""
    return "not measured" if value is None else f"{value:.2f} s"


def fmt_ratio(value: float | None) -> str:
    """A ratio for the report."""
    return "not measured" if value is None else f"{value:.1f}x"


def peak_ratio(result: dict[str, Any]) -> float:
    """Peak memory of a validation over the in-memory size of its tables."""
    return result["peak_extra_mb"] / result["tables_mb"]


def summary(results: dict[str, Any]) -> dict[str, Any]:
    """The JSON object: the headline numbers, then everything measured."""
    big = next((v for v in results["validation"]
                if v["rows"] == 1_000_000 and v["backend"] == "pandas"), None)
    return {
        "load_ratio": results["load"]["ratio"] if results["load"] else None,
        "validate_1m_rows_s": big["seconds"] if big else None,
        "validate_1m_peak_mb": big["peak_extra_mb"] if big else None,
        "speedup_vs_frictionless": results["frictionless"]["speedup"],
        # streaming at its largest size: time over the hand-written DuckDB SQL, peak RSS
        "duckdb_floor_ratio": results["stream"][-1]["ratio"] if results["stream"] else None,
        "stream_peak_mb": results["stream"][-1]["ours_peak_mb"] if results["stream"] else None,
        "stream_rows": results["stream"][-1]["rows"] if results["stream"] else None,
        "spark_rows_per_s": spark_rows_per_s(results["stream"]),
        "targets": {t.name: t.met for t in targets(results)},
        **results,
    }


def spark_lines(stream: list[dict[str, Any]]) -> list[str]:
    """Section 6 of the report: Spark local mode, at the sizes it was run."""
    runs = [s for s in stream if "spark" in s]
    if not runs:
        return ["", "## 6. validate(path, engine=\"spark\"), Spark local mode", "",
                "Not run: no size of this run is measured through Spark (--quick measures none)."]
    lines = ["", "## 6. validate(path, engine=\"spark\"), Spark local mode", "",
             "A fresh process: a local[*] session started (its start-up apart), then the package of "
             "section 5 validated through it, every check.", "",
             "| rows (big tables) | all rows | session start-up | validate | rows/s (all rows) |",
             "|---|---|---|---|---|"]
    for s in runs:
        spark = s["spark"]
        if "unavailable" in spark:
            lines.append(f"| {s['rows']:,} | {s['total_rows']:,} | not measured: {spark['unavailable']} | | |")
        else:
            lines.append(f"| {s['rows']:,} | {spark['total_rows']:,} | {spark['startup_s']:.1f} s "
                         f"| {spark['seconds']:.1f} s | {spark['total_rows'] / spark['seconds']:,.0f} |")
    return lines


def spark_rows_per_s(stream: list[dict[str, Any]]) -> float | None:
    """Rows per second through Spark local mode at the largest size it ran, or None."""
    runs = [s["spark"] for s in stream if "seconds" in s.get("spark", {})]
    return runs[-1]["total_rows"] / runs[-1]["seconds"] if runs else None


def markdown(results: dict[str, Any]) -> str:
    """The readable report."""
    m, load, imp, fr = results["machine"], results["load"], results["import"], results["frictionless"]
    lines = [
        f"# usjapan-data benchmark ({results['mode']})", "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; Python {m['python']}, "
        f"pandas {m['pandas']}, pyarrow {m['pyarrow']}, pandera {m['pandera']}, "
        f"polars {m['polars']}, frictionless {m['frictionless']}, duckdb {m.get('duckdb')}, "
        f"pyspark {m.get('pyspark')}", "",
        "## 1. Cold load_tables() vs the floor (fresh process, wall time)", "",
    ]
    if load:
        lines += [
            "| ours (median) | floor (median) | median ratio ours/floor | pairs | files |",
            "|---|---|---|---|---|",
            f"| {load['ours_s']:.3f} s | {load['floor_s']:.3f} s | {load['ratio']:.2f}x "
            f"| {load['pairs']} | {load['files']} |",
        ]
    else:
        lines.append("Not measured: the shipped data (datapackage.json, data/) are not there.")
    after_load = imp["after_load"]
    lines += [
        "", "## 2. import usjapan_data (fresh process)", "",
        "| import time (median) | runs | heavy modules after import | after load_tables() |",
        "|---|---|---|---|",
        f"| {imp['seconds'] * 1000:.1f} ms | {imp['runs']} | {', '.join(imp['after_import']) or 'none'} "
        f"| {'n/a (no shipped data)' if after_load is None else ', '.join(after_load) or 'none'} |",
        "", "## 3. validate(tables), every check (one fresh process per size)", "",
        "Peak memory: peak RSS during validate() above the RSS just before it "
        f"({results['validation'][0]['memory_method'] if results['validation'] else ''}).", "",
        "| rows (big tables) | all rows | frames | time (median) | rows/s | tables in memory "
        "| peak memory | peak / tables |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v in results["validation"]:
        lines.append(
            f"| {v['rows']:,} | {v['total_rows']:,} | {v['backend']} | {v['seconds']:.2f} s "
            f"| {v['total_rows'] / v['seconds']:,.0f} | {v['tables_mb']:.1f} MB "
            f"| {v['peak_extra_mb']:.1f} MB | {peak_ratio(v):.2f}x |")
    lines += [
        "", "## 4. frictionless validate vs usjapan_data.validate(path), same package", "",
        "| rows (big tables) | all rows | frictionless process (start-up) | ours: process "
        "| ours: validate(path) call | speed-up: work | speed-up: process | frictionless says |",
        "|---|---|---|---|---|---|---|---|",
        f"| {fr['rows']:,} | {fr['total_rows']:,} | {fr['frictionless_s']:.2f} s "
        f"({fr['frictionless_startup_s']:.2f} s) | {fmt_seconds(fr['ours_cold_s'])} "
        f"| {fr['ours_warm_s']:.2f} s | {fr['speedup']:.1f}x | {fmt_ratio(fr['speedup_process'])} "
        f"| {'valid' if fr['frictionless_valid'] else 'INVALID'} |",
        "", "Speed-up, work: (frictionless process - its start-up) / validate(path) call, after a warm-up call (imports and schemas loaded). "
        "Process: both as fresh processes, start-up and imports included.",
        "", "## 5. validate(path, engine=\"duckdb\") vs hand-written DuckDB SQL of the checks (the floor)", "",
        "Fresh processes, alternated; time of the call; peak RSS of the process (ru_maxrss). "
        f"DuckDB memory_limit {memory_limit()} on both sides (the engine's default).", "",
        "| rows (big tables) | all rows | Parquet | ours | floor | ours / floor | ours: peak RSS "
        "| floor: peak RSS | pairs |",
        "|---|---|---|---|---|---|---|---|---|",
        *[f"| {s['rows']:,} | {s['total_rows']:,} | {s['bytes'] / MB:,.0f} MB | {s['ours_s']:.2f} s "
          f"| {s['floor_s']:.2f} s | {s['ratio']:.2f}x | {s['ours_peak_mb']:,.0f} MB "
          f"| {s['floor_peak_mb']:,.0f} MB | {s['pairs']} |" for s in results["stream"]],
        *spark_lines(results["stream"]),
        "", "## Targets (2-core machine)", "", "| target | measured | met |", "|---|---|---|",
    ]
    for t in targets(results):
        lines.append(f"| {t.name} | {t.measured} | {'n/a' if t.met is None else 'yes' if t.met else 'NO'} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


WORKERS: dict[str, Callable[..., dict[str, Any]]] = {
    "validate": lambda rows, backend, repeats: worker_validate(int(rows), backend, int(repeats)),
    "frictionless": lambda rows, processes: worker_frictionless(int(rows), processes == "True"),
    "write": worker_write,
    "stream": worker_stream,
    "floor": worker_floor,
    "spark": worker_spark,
}


def run_all(config: Config, mode: str, keep: Path | None = None) -> dict[str, Any]:
    """Run every measurement of ``config``; return the results (``keep``: see :func:`measure_stream`)."""
    start = time.perf_counter()
    results: dict[str, Any] = {"mode": mode, "machine": machine()}
    results["validation"] = measure_validation(config)
    results["frictionless"] = measure_frictionless(config)
    results["stream"] = measure_stream(config.stream_sizes, config.stream_pairs, config.spark_sizes, keep)
    results["import"] = measure_import(config.import_runs)
    results["load"] = measure_load(config.load_pairs)
    results["elapsed_s"] = time.perf_counter() - start
    log(f"done in {results['elapsed_s']:.1f} s")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true",
                        help="reduced run (1,000,000-row validation and frictionless included)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object as the last line, instead of the report")
    parser.add_argument("--packages", type=Path, metavar="DIR",
                        help="keep the synthetic packages of measurement 5 in DIR and reuse them "
                             "(100M rows take about 15 minutes to write)")
    parser.add_argument("--worker", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        name, *rest = args.worker
        print(json.dumps(WORKERS[name](*rest)))
        return 0

    config = QUICK if args.quick else FULL
    try:
        results = run_all(config, "quick" if args.quick else "full", args.packages)
    except subprocess.CalledProcessError as exc:
        log(f"failed: {' '.join(map(str, exc.cmd))[:200]} exited with {exc.returncode}")
        return 1
    print(json.dumps(summary(results)) if args.json else markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
