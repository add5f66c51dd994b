"""Measurement 5: streaming validation of a package on disk against the floor, time and peak memory.

For each size a synthetic valid package is written (Parquet, evidence and
record_actors in slices: :func:`synth.write_large_package`). Then, in fresh
processes, alternated:

- **ours**: ``usjapan_data.validate(path, engine="duckdb")``: every check,
  errors located by row, hashes included;
- **the floor**: hand-written DuckDB SQL of the same checks on the same
  Parquet files (:func:`floor_statements`: required columns, vocabularies,
  patterns, ranges and lengths, primary keys by GROUP BY, foreign keys and
  record links by anti-join, every coded record's evidence, committers and
  addressees, actor evidence), which only counts what fails: no row
  positions, no one-error-per-problem, no hashes.

Each process reports its wall time (from the call, imports excluded) and its
peak resident set size (``ru_maxrss``: memory of the process, not the
operating system's page cache). The ratio is the median of the per-pair
ratios ours / floor.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from procs import log, run_worker


def memory_limit() -> str:
    """DuckDB's memory limit on both sides: the engine's default."""
    from usjapan_data.streaming import DEFAULT_MEMORY_LIMIT

    return DEFAULT_MEMORY_LIMIT


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def floor_statements(folder: Path) -> list[str]:
    """The hand-written SQL of the checks, counting failures, over the package's Parquet files."""
    from usjapan_data import schema

    def rel(table: str) -> str:
        return f"read_parquet('{folder / 'data' / f'{table}.parquet'}')"

    out = []
    for table, model in schema.TABLES.items():
        columns = model.to_schema().columns
        for spec in schema.column_specs(model):
            c = f'"{spec.name}"'
            fails = []
            if not spec.nullable:
                fails.append(f"{c} IS NULL" + (f" OR trim({c}) = ''" if spec.kind == "text" else ""))
            if spec.kind == "category":
                fails.append(f"{c} NOT IN ({', '.join(repr(v) for v in spec.categories)})")
            for check in columns[spec.name].checks:
                stats = check.statistics or {}
                if check.name == "str_matches":
                    core = stats["pattern"].strip("^$")
                    fails.append(f"NOT regexp_full_match({c}, '{core}')")
                elif check.name == "greater_than_or_equal_to":
                    fails.append(f"{c} < {stats['min_value']}")
                elif check.name == "less_than_or_equal_to":
                    fails.append(f"{c} > {stats['max_value']}")
                elif check.name == "str_length":
                    fails.append(f"length({c}) < {stats['min_value']}")
            if fails:
                out.append(f"SELECT count(*) FROM {rel(table)} WHERE " + " OR ".join(f"({f})" for f in fails))
        keys = schema.keys(model)
        pk = ", ".join(f'"{k}"' for k in keys["primary_key"])
        out.append(f"SELECT count(*) FROM (SELECT {pk} FROM {rel(table)} GROUP BY {pk} HAVING count(*) > 1)")
        for fk in keys.get("foreign_keys", []):
            (column,), ref = fk["fields"], fk["reference"]
            out.append(f"SELECT count(*) FROM {rel(table)} WHERE \"{column}\" IS NOT NULL AND \"{column}\" "
                       f"NOT IN (SELECT \"{ref['fields'][0]}\" FROM {rel(ref['resource'])})")
        kinds = {s.name: s for s in schema.column_specs(model)}
        for link in filter(None, (keys.get("record_link"), keys.get("target_link"))):
            for target in kinds[link["table"]].categories:
                key = schema.keys(schema.TABLES[target])["primary_key"][0]
                out.append(f"SELECT count(*) FROM {rel(table)} WHERE \"{link['table']}\" = '{target}' "
                           f"AND \"{link['id']}\" NOT IN (SELECT \"{key}\" FROM {rel(target)})")
    for table in schema.CODED_TABLES:
        key = schema.keys(schema.TABLES[table])["primary_key"][0]
        out.append(f"SELECT count(*) FROM {rel(table)} WHERE \"{key}\" NOT IN (SELECT record_id FROM "
                   f"{rel('evidence')} WHERE record_table = '{table}')")
    for table, role in (("commitments", "committer"), ("recommendations", "addressee")):
        key = schema.keys(schema.TABLES[table])["primary_key"][0]
        out.append(f"SELECT count(*) FROM {rel(table)} WHERE \"{key}\" NOT IN (SELECT record_id FROM "
                   f"{rel('record_actors')} WHERE record_table = '{table}' AND role = '{role}')")
    out.append(f"SELECT count(*) FROM {rel('record_actors')} a JOIN {rel('evidence')} e USING (evidence_id) "
               "WHERE a.record_id <> e.record_id OR a.record_table <> e.record_table")
    return out


def worker_write(rows: str, folder: str) -> dict[str, Any]:
    """Write the synthetic package; its size."""
    from synth import write_large_package

    start = time.perf_counter()
    descriptor = write_large_package(int(rows), Path(folder))
    files = list((descriptor.parent / "data").glob("*.parquet"))
    import pyarrow.parquet as pq

    return {"rows": int(rows), "total_rows": sum(pq.ParquetFile(f).metadata.num_rows for f in files),
            "bytes": sum(f.stat().st_size for f in files), "seconds": time.perf_counter() - start}


def worker_stream(folder: str) -> dict[str, Any]:
    """``validate(path, engine="duckdb")``: time and peak memory of this process."""
    import usjapan_data
    from usjapan_data import sqlchecks

    sqlchecks.generate("duckdb")  # the SQL is generated once per process: not the data's cost
    start = time.perf_counter()
    report = usjapan_data.validate(folder, engine="duckdb", memory_limit=memory_limit(),
                                   temp_directory=tempfile.mkdtemp(prefix="usjapan-spill-"))
    seconds = time.perf_counter() - start
    if not report.valid:
        sys.stderr.write(report.format_text(limit=20) + "\n")
        raise SystemExit(f"synthetic package {folder} reported invalid")
    return {"seconds": seconds, "peak_mb": _peak_mb()}


def worker_floor(folder: str) -> dict[str, Any]:
    """The hand-written SQL: time and peak memory of this process."""
    import duckdb

    statements = floor_statements(Path(folder))
    con = duckdb.connect(config={"memory_limit": memory_limit(),
                                 "temp_directory": tempfile.mkdtemp(prefix="usjapan-spill-")})
    start = time.perf_counter()
    failing = sum(con.execute(sql).fetchall()[0][0] for sql in statements)
    seconds = time.perf_counter() - start
    if failing:
        raise SystemExit(f"the floor finds {failing} failures in the valid package {folder}")
    return {"seconds": seconds, "peak_mb": _peak_mb(), "statements": len(statements)}


def _package_key(rows: int) -> str:
    """A kept package's folder name: its size and a digest of what wrote it.

    The generator, this module, every module of the package (the table
    definitions, the Parquet writer, the descriptor) and pyarrow's version.
    """
    import hashlib

    import pyarrow
    import usjapan_data

    digest = hashlib.sha256(pyarrow.__version__.encode())
    here = Path(__file__).parent
    for path in [here / "synth.py", here / "bench_stream.py",
                 *sorted(Path(str(usjapan_data.__file__)).parent.glob("*.py"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{rows}-{digest.hexdigest()[:12]}"


def _written(rows: int, keep: Path | None, scratch: Path) -> tuple[Path, dict[str, Any]]:
    """The package of ``rows`` rows: written in ``scratch``, or kept in (and reused from) ``keep``."""
    if keep is None:
        folder = scratch / "pkg"
    else:
        folder = keep / _package_key(rows) / "pkg"
        done = folder.parent / "written.json"  # written last: a package without it is incomplete
        try:
            written = json.loads(done.read_text())
            log(f"5. reuse the package of {rows:,} rows in {folder}")
            return folder, {**written, "reused": True}
        except (OSError, ValueError):
            shutil.rmtree(folder.parent, ignore_errors=True)
            folder.parent.mkdir(parents=True)
    log(f"5. write a package of {rows:,} rows")
    written = run_worker("write", str(rows), str(folder))
    if keep is not None:
        partial = folder.parent / "written.json.partial"
        partial.write_text(json.dumps(written))
        partial.replace(folder.parent / "written.json")
    return folder, written


def measure_stream(sizes: tuple[int, ...], pairs: int, spark_sizes: tuple[int, ...] = (),
                   keep: Path | None = None) -> list[dict[str, Any]]:
    """For each size: write the package, then alternate ours and the floor; medians and the ratio.

    At ``spark_sizes`` the package is validated once through Spark local mode
    too (:mod:`bench_spark`). With ``keep``, packages are written there once
    and reused by later runs (the same generator and table definitions).
    """
    from bench_spark import unavailable

    no_spark = unavailable() if spark_sizes else None
    results = []
    for rows in sizes:
        scratch = Path(tempfile.mkdtemp(prefix="usjapan-bench-stream-"))
        try:
            folder, written = _written(rows, keep, scratch)
            ours, floor = [], []
            for pair in range(pairs):
                log(f"5. {rows:,} rows: validate(engine='duckdb') vs the floor, pair {pair + 1}/{pairs}")
                ours.append(run_worker("stream", str(folder)))
                floor.append(run_worker("floor", str(folder)))
            result = {
                **written,
                "ours_s": statistics.median(o["seconds"] for o in ours),
                "floor_s": statistics.median(f["seconds"] for f in floor),
                "ratio": statistics.median(o["seconds"] / f["seconds"] for o, f in zip(ours, floor)),
                "ours_peak_mb": max(o["peak_mb"] for o in ours),
                "floor_peak_mb": max(f["peak_mb"] for f in floor),
                "pairs": pairs, "floor_statements": floor[0]["statements"],
                "ours_runs_s": [o["seconds"] for o in ours], "floor_runs_s": [f["seconds"] for f in floor],
            }
            if rows in spark_sizes:
                if no_spark:
                    result["spark"] = {"unavailable": no_spark}
                else:
                    log(f"6. {rows:,} rows: validate(engine='spark'), local mode")
                    try:
                        result["spark"] = run_worker("spark", str(folder))
                    except subprocess.CalledProcessError as exc:  # Java too old, no gateway: say so
                        last = (exc.stderr or "").strip().splitlines()[-1:] or ["no message"]
                        result["spark"] = {"unavailable": f"Spark failed (exit {exc.returncode}): "
                                                          f"{last[0][:200]}"}
            results.append(result)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return results


if __name__ == "__main__":  # a quick look: python benchmarks/bench_stream.py ROWS
    print(json.dumps(measure_stream((int(sys.argv[1]),), 1), indent=2))
