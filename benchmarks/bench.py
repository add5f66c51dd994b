"""Benchmark usjapan-data: loading, import cost, validation, and Frictionless.

Run it with the project's own environment, on the machine at hand::

    python benchmarks/bench.py            # full run, Markdown report
    python benchmarks/bench.py --quick    # reduced run (< 45 s on 2 cores)
    python benchmarks/bench.py --json     # ... and a JSON object as the last line

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

Targets (2-core machine) are reported as met or missed; a missed target does
not fail the run. The exit status is non-zero only when something crashes or
the synthetic data are reported invalid.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

HEAVY_MODULES = ("pandas", "pyarrow", "pandera", "frictionless", "polars")
MB = 2**20

# Targets, for a 2-core machine.
TARGET_LOAD_RATIO = 1.2
TARGET_VALIDATE_1M_S = 3.0
TARGET_PEAK_RATIO = 3.0
TARGET_SPEEDUP = 20.0
FORBIDDEN_ON_IMPORT = ("pandera", "frictionless")

# Code run by the cold processes of measurements 1 and 2.
OURS_LOAD = "import usjapan_data; usjapan_data.load_tables()"
FLOOR_LOAD = (
    "import sys, pandas, pyarrow.parquet as pq\n"
    "for p in sys.argv[1:]: pq.read_table(p).to_pandas()"
)
IMPORT_PROBE = """\
import json, sys, time
heavy = {heavy!r}
start = time.perf_counter()
import usjapan_data
seconds = time.perf_counter() - start
out = {{"seconds": seconds, "after_import": [m for m in heavy if m in sys.modules]}}
if {load!r}:
    try:
        usjapan_data.load_tables()
        out["after_load"] = [m for m in heavy if m in sys.modules]
    except FileNotFoundError:
        out["after_load"] = None
print(json.dumps(out))
"""
OURS_VALIDATE_PATH = (
    "import sys, usjapan_data\n"
    "sys.exit(0 if usjapan_data.validate(sys.argv[1]).valid else 1)"
)


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


FULL = Config(load_pairs=10, import_runs=9, sizes=(10_000, 100_000, 1_000_000),
              polars_sizes=(10_000, 100_000, 1_000_000), repeats=3, frictionless_rows=50_000,
              frictionless_processes=True)
# frictionless takes ~25 s for 20,000 rows in the big tables (44,720 in all), too
# long beside the rest within 45 s: --quick gives it 9,000 (20,180 rows in all)
QUICK = Config(load_pairs=5, import_runs=5, sizes=(1_000_000,), polars_sizes=(),
               repeats=1, frictionless_rows=9_000, frictionless_processes=False)
#: The package frictionless validates holds at least this many rows in all.
MIN_FRICTIONLESS_ROWS = 20_000


def log(message: str) -> None:
    """Report progress on stderr."""
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    """A finished process: wall time, exit status and output."""

    seconds: float
    returncode: int
    stdout: str


def run(command: Sequence[str], *, cwd: Path | None = None, check: bool = True) -> Done:
    """Run a command and time it (wall clock, from spawn to exit).

    Raises
    ------
    subprocess.CalledProcessError
        When ``check`` and the process fails (its stderr is shown).
    """
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    seconds = time.perf_counter() - start
    if check and done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise subprocess.CalledProcessError(done.returncode, command, done.stdout, done.stderr)
    return Done(seconds, done.returncode, done.stdout)


def run_python(args: Sequence[str]) -> Done:
    """Run ``sys.executable`` with ``args`` (see :func:`run`)."""
    return run([sys.executable, *args])


def run_worker(*args: str) -> dict[str, Any]:
    """Run a measurement of this script in a fresh process; return its JSON result."""
    return json.loads(run_python([__file__, "--worker", *args]).stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------
# 1 and 2: cold load and import
# --------------------------------------------------------------------------


def shipped_paths() -> list[str] | None:
    """The shipped Parquet files, or None when the package has no data yet."""
    import usjapan_data

    try:
        return [str(usjapan_data.table_path(n)) for n in usjapan_data.list_tables()]
    except FileNotFoundError:
        return None


def measure_load(pairs: int) -> dict[str, Any] | None:
    """Alternate cold ``load_tables()`` and the floor; median ratio of the pairs."""
    paths = shipped_paths()
    if paths is None:
        log("1. no shipped data (datapackage.json): cold load skipped")
        return None
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        log(f"1. shipped data incomplete ({', '.join(missing)}): cold load skipped")
        return None
    log(f"1. cold load_tables() vs floor: 1 warm-up + {pairs} pairs")
    ours: list[float] = []
    floor: list[float] = []
    for pair in range(pairs + 1):
        ours_s = run_python(["-c", OURS_LOAD]).seconds
        floor_s = run_python(["-c", FLOOR_LOAD, *paths]).seconds
        if pair:  # the first pair warms the file cache
            ours.append(ours_s)
            floor.append(floor_s)
    ratios = [o / f for o, f in zip(ours, floor)]
    return {
        "files": len(paths),
        "ours_s": statistics.median(ours),
        "floor_s": statistics.median(floor),
        "ratio": statistics.median(ratios),
        "pairs": pairs,
    }


def measure_import(runs: int) -> dict[str, Any]:
    """Median in-process time of ``import usjapan_data`` over fresh processes."""
    log(f"2. import usjapan_data: {runs} cold processes")
    probes = [
        json.loads(run_python(["-c", IMPORT_PROBE.format(heavy=HEAVY_MODULES, load=i == 0)]).stdout)
        for i in range(runs)
    ]
    return {
        "seconds": statistics.median(p["seconds"] for p in probes),
        "after_import": probes[0]["after_import"],
        "after_load": probes[0]["after_load"],
        "runs": runs,
    }


# --------------------------------------------------------------------------
# Synthetic tables
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """Rows of each table for ``rows`` rows in the big tables."""

    rows: int

    @property
    def records(self) -> int:
        """Rows of each record table (their ids, XXX-NNN, allow 1,000 at most)."""
        return min(1000, max(20, self.rows // 200))

    @property
    def references(self) -> int:
        """Rows of references: 2 source documents, the rest cited works."""
        return max(20, self.rows // 100)

    @property
    def actors(self) -> int:
        """Rows of actors: half states, half groupings and organisations."""
        return max(20, self.rows // 1000)

    @property
    def states(self) -> int:
        """States among the actors."""
        return self.actors // 2

    @property
    def members(self) -> int:
        """Rows of actor_members (each grouping, state pair at most once)."""
        return min(self.rows // 100, self.states * (self.actors - self.states))

    @property
    def per_record(self) -> int:
        """Rows of exercise_scenarios and reference_authors."""
        return self.rows // 10


def _pattern_columns(model: Any) -> set[str]:
    """Columns whose values a pattern constrains (the generic filler must not fill them)."""
    return {
        name for name, column in model.to_schema().columns.items()
        if any(check.name == "str_matches" for check in column.checks)
    }


#: Distinct values of a generic text column (cycled through; nothing needs them unique).
TEXT_POOL = 997


def _generic(spec: Any, n: int) -> np.ndarray:
    """Values of a column that satisfy its kind, vocabulary and nullability.

    Nullable columns get a missing value in every fourth row.
    """
    import numpy as np

    k = np.arange(n)
    if spec.kind == "text":
        values = np.array([f"{spec.name} {j}" for j in range(TEXT_POOL)], dtype=object)[k % TEXT_POOL]
    elif spec.kind == "category":
        values = np.array(spec.categories, dtype=object)[k % len(spec.categories)]
    elif spec.kind == "integer":
        values = (k % 50 + 1).astype(object)
    elif spec.kind == "number":
        values = (k % 1000 / 4).astype(object)
    elif spec.kind == "boolean":
        values = (k % 2 == 0).astype(object)
    else:
        raise ValueError(f"no generic values for {spec.kind} column {spec.name}")
    if spec.nullable:
        values[k % 4 == 3] = None
    return values


#: Values of a column: a list or a one-dimensional array.
Column: TypeAlias = "Sequence[Any] | np.ndarray"


def make_table(name: str, n: int, values: dict[str, Column]) -> pd.DataFrame:
    """Build table ``name`` with ``n`` rows: ``values`` where given, generic values elsewhere.

    Every column comes from the table's model, in its order and dtype.
    Columns with a pattern or a date must be given.
    """
    import pandas as pd
    import pyarrow as pa

    from usjapan_data import schema

    model = schema.TABLES[name]
    specs = schema.column_specs(model)
    unknown = set(values) - {s.name for s in specs}
    needed = {s.name for s in specs if s.kind == "date"} | _pattern_columns(model)
    if unknown or needed - set(values):
        raise ValueError(f"{name}: unknown columns {sorted(unknown)}, "
                         f"columns needing values {sorted(needed - set(values))}")
    columns = {}
    for spec in specs:
        column = values[spec.name] if spec.name in values else _generic(spec, n)
        if len(column) != n:
            raise ValueError(f"{name}.{spec.name}: {len(column)} values, expected {n}")
        if spec.kind == "category":  # hashed in Arrow: much faster than pandas on objects
            encoded = pa.array(column, pa.string(), from_pandas=True).dictionary_encode()
            columns[spec.name] = pd.Series(encoded.to_pandas()).astype(spec.dtype)
        else:
            columns[spec.name] = pd.Series(column, dtype=spec.dtype)
    return pd.DataFrame(columns)


def _claim_dates(n: int) -> dict[str, Any]:
    """Date ranges that agree with their precision, cycling through the precisions."""
    from calendar import monthrange

    import pandas as pd

    from usjapan_data.schema import PRECISIONS

    starts: list[date | None] = []
    ends: list[date | None] = []
    precisions: list[str] = []
    for k in range(n):
        precision = PRECISIONS[k % len(PRECISIONS)]
        year, month = 1950 + k % 70, k % 12 + 1
        start: date | None
        end: date | None
        if precision == "day":
            day = date(year, month, k % 28 + 1)
            start, end = day, day + timedelta(days=k % 3)
        elif precision == "month":
            start, end = date(year, month, 1), date(year, month, monthrange(year, month)[1])
        elif precision == "year":
            start, end = date(year, 1, 1), date(year, 12, 31)
        elif precision == "decade":
            start, end = date(year - year % 10, 1, 1), date(year - year % 10 + 9, 12, 31)
        elif precision == "window":
            start, end = date(year, month, k % 28 + 1), date(year + 1, month, 1)
        else:
            start = end = None
        starts.append(start)
        ends.append(end)
        precisions.append(precision)
    return {
        "date_start": pd.to_datetime(starts).to_numpy("datetime64[ns]"),
        "date_end": pd.to_datetime(ends).to_numpy("datetime64[ns]"),
        "date_precision": precisions,
        "date_basis": [{"unknown": "none", "window": "context"}.get(p, "printed") for p in precisions],
        # no expectations: a forecast never sets a final status, whatever the status cycle gives
        "mode": [("fact", "assessment")[k % 2] for k in range(n)],
    }


def _letters(k: int) -> str:
    """Three upper-case letters, distinct for k < 26**3."""
    return "".join(chr(65 + k // 26**p % 26) for p in (2, 1, 0))


def synthetic_tables(rows: int) -> dict[str, pd.DataFrame]:
    """Generate every table, valid, with ``rows`` rows in evidence and record_actors.

    Foreign keys point at existing rows, every coded record has evidence,
    every commitment a committer and every recommendation an addressee,
    dates agree with their precision, quantities have units, the first two
    references are source documents (with source_file and sha256) and the
    rest works they cite, states have iso3 and COW codes and groupings none.
    """
    import numpy as np
    import pandas as pd

    from usjapan_data.schema import ROLES

    size = Sizes(rows)
    n = size.records
    ids = {prefix: [f"{prefix}-{k:03d}" for k in range(n)] for prefix in ("EVT", "COM", "EXR", "REC")}
    sources = ["source-a", "source-b"]
    refs = sources + [f"ref-{k}" for k in range(2, size.references)]
    n_ref = len(refs)
    states = [_letters(k) for k in range(size.states)]
    groupings = [f"G{k}" for k in range(size.actors - size.states)]
    actors = states + groupings

    tables: dict[str, pd.DataFrame] = {}
    tables["events"] = make_table("events", n, {
        "event_id": ids["EVT"], **_claim_dates(n),
        "status": [("occurred", "ongoing", "unclear")[k % 3] for k in range(n)],
    })
    quantity = [None if k % 3 == 0 else float(k) for k in range(n)]
    tables["commitments"] = make_table("commitments", n, {
        "commitment_id": ids["COM"], **_claim_dates(n), "quantity": quantity,
        "unit": [None if q is None else "units" for q in quantity],
    })
    tables["exercises"] = make_table("exercises", n, {"exercise_id": ids["EXR"], **_claim_dates(n)})
    tables["recommendations"] = make_table("recommendations", n, {
        "recommendation_id": ids["REC"],
        "parent_id": [None if k % 3 == 0 else ids["REC"][k - k % 3] for k in range(n)],
        "level": ["overall" if k % 3 == 0 else "bullet" for k in range(n)],
        "recommender_id": [sources[(k - k % 3) % 2] for k in range(n)],
    })
    tables["recommendation_domains"] = make_table("recommendation_domains", n, {
        "recommendation_id": ids["REC"],
    })
    tables["record_links"] = make_table("record_links", n, {
        "record_table": ["events"] * n, "record_id": ids["EVT"],
        "target_table": ["commitments"] * n, "target_id": ids["COM"],
    })
    source = [k < 2 for k in range(n_ref)]
    tables["references"] = make_table("references", n_ref, {
        "reference_id": refs,
        "role": ["source_document" if s else "cited_work" for s in source],
        "cited_by": [None if s else sources[k % 2] for k, s in enumerate(source)],
        "in_reference_list": [None if s else k % 2 == 0 for k, s in enumerate(source)],
        "issued_year": [1900 + k % 200 for k in range(n_ref)],
        "source_file": [f"{r}.txt" if s else None for r, s in zip(refs, source)],
        "sha256": [hashlib.sha256(r.encode()).hexdigest() if s else None
                   for r, s in zip(refs, source)],
        "written_start": pd.to_datetime(["2020-01-01" if s else None for s in source]),
        "written_end": pd.to_datetime(["2020-12-31" if s else None for s in source]),
        "written_basis": ["its text" if s else None for s in source],
    })
    tables["actors"] = make_table("actors", len(actors), {
        "actor_id": actors,
        "kind": ["state"] * len(states)
        + ["grouping" if k % 2 else "organisation" for k in range(len(groupings))],
        "iso3": states + [None] * len(groupings),
        "cow_ccode": [k % 999 + 1 for k in range(len(states))] + [None] * len(groupings),
        "cow_abbrev": states + [None] * len(groupings),
        "state_id": [None] * len(actors),
    })

    # evidence: cycle through every evidenced record, so each has at least one row
    evidenced = [(t, i) for t, p in (("events", "EVT"), ("commitments", "COM"),
                                     ("exercises", "EXR"), ("recommendations", "REC"))
                 for i in ids[p]]
    evidenced += [("references", r) for r in refs] + [("actors", a) for a in actors]
    if rows < len(evidenced):
        raise ValueError(f"{rows} rows cannot evidence {len(evidenced)} records")
    k = np.arange(rows)
    pick = k % len(evidenced)
    record_table = np.array([t for t, _ in evidenced], dtype=object)[pick]
    record_id = np.array([i for _, i in evidenced], dtype=object)[pick]
    turn = k // len(evidenced)
    suffix = np.array([f"#{j + 1}" for j in range(turn.max() + 1)], dtype=object)[turn]
    tables["evidence"] = make_table("evidence", rows, {
        "evidence_id": record_id + suffix,
        "record_table": record_table,
        "record_id": record_id,
        "source_id": np.array(sources, dtype=object)[k % 2],
        "supports_date": np.ones(rows, dtype=bool), "supports_status": np.ones(rows, dtype=bool),
        "supports_quantity": np.ones(rows, dtype=bool), "repeat": np.zeros(rows, dtype=bool),
    })

    # record_actors: each record gets distinct (actor, role) pairs; the first
    # pair of a commitment has role committer, of a recommendation addressee
    linked = evidenced[: 4 * n]
    pick = k % len(linked)
    turn = k // len(linked)
    if turn.max() >= len(actors) * len(ROLES):
        raise ValueError(f"{rows} rows exceed the distinct record_actors keys")
    first_role = {"commitments": ROLES.index("committer"), "recommendations": ROLES.index("addressee")}
    offset = np.array([first_role.get(t, 0) for t, _ in linked])[pick]
    tables["record_actors"] = make_table("record_actors", rows, {
        "record_table": np.array([t for t, _ in linked], dtype=object)[pick],
        "record_id": np.array([i for _, i in linked], dtype=object)[pick],
        "actor_id": np.array(actors, dtype=object)[turn % len(actors)],
        "role": np.array(ROLES, dtype=object)[(turn // len(actors) + offset) % len(ROLES)],
        "evidence_id": np.array([i + "#1" for _, i in linked], dtype=object)[pick],
    })
    m = np.arange(size.members)
    tables["actor_members"] = make_table("actor_members", size.members, {
        "grouping_id": np.array(groupings, dtype=object)[m % len(groupings)],
        "member_id": np.array(states, dtype=object)[m // len(groupings)],
    })
    s = np.arange(size.per_record)
    tables["exercise_scenarios"] = make_table("exercise_scenarios", size.per_record, {
        "exercise_id": np.array(ids["EXR"], dtype=object)[s % n],
    })
    person = s % 3 != 0
    tables["reference_authors"] = make_table("reference_authors", size.per_record, {
        "reference_id": np.array(refs, dtype=object)[s % n_ref],
        "position": s // n_ref + 1,
        "family": np.where(person, "Family", None).astype(object),  # type: ignore[call-overload]
        "literal": np.where(person, None, "Institution").astype(object),  # type: ignore[call-overload]
    })
    return tables


def table_bytes(tables: dict[str, pd.DataFrame]) -> int:
    """In-memory size of the tables: the sum of ``memory_usage(deep=True)``."""
    return int(sum(frame.memory_usage(deep=True).sum() for frame in tables.values()))


# --------------------------------------------------------------------------
# 3: validation in a worker process
# --------------------------------------------------------------------------


class PeakRss:
    """Peak resident set size over a stretch of code, in bytes.

    Resets the kernel's high-water mark (``VmHWM``) through
    ``/proc/self/clear_refs`` (Linux). Elsewhere it falls back on the growth
    of ``ru_maxrss``, which never resets and so gives a lower bound.
    """

    def __init__(self) -> None:
        self.method = "VmHWM reset via /proc/self/clear_refs"
        self.baseline = 0

    @staticmethod
    def _status(key: str) -> int:
        text = Path("/proc/self/status").read_text()
        return int(re.search(rf"^{key}:\s+(\d+) kB", text, re.M).group(1)) * 1024  # type: ignore[union-attr]

    @staticmethod
    def _maxrss() -> int:
        unit = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit

    def start(self) -> None:
        """Mark the start: remember the current resident set size."""
        gc.collect()
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.baseline = self._status("VmRSS")
        except OSError:
            self.method = "growth of ru_maxrss (resource.getrusage), a lower bound"
            self.baseline = self._maxrss()

    def peak(self) -> int:
        """Peak resident set size since :meth:`start`, in bytes."""
        return self._status("VmHWM") if self.method.startswith("VmHWM") else self._maxrss()


def to_backend(tables: dict[str, pd.DataFrame], backend: str) -> dict[str, Any]:
    """The tables as pandas or polars frames."""
    if backend == "pandas":
        return tables
    import polars as pl

    return {name: pl.from_pandas(frame) for name, frame in tables.items()}


def worker_validate(rows: int, backend: str, repeats: int) -> dict[str, Any]:
    """Validate synthetic tables of ``rows`` rows; time, peak memory, sizes."""
    import usjapan_data

    tables = synthetic_tables(rows)
    size = table_bytes(tables)
    frames = to_backend(tables, backend)
    if backend != "pandas":
        del tables
    seconds: list[float] = []
    extra = total = 0
    probe = PeakRss()
    for _ in range(repeats):
        probe.start()
        start = time.perf_counter()
        report = usjapan_data.validate(frames)
        seconds.append(time.perf_counter() - start)
        peak = probe.peak()
        extra, total = max(extra, peak - probe.baseline), max(total, peak)
        if not report.valid:
            sys.stderr.write(report.format_text(limit=30) + "\n")
            raise SystemExit(f"synthetic tables of {rows} rows ({backend}) reported invalid")
        del report
    return {
        "rows": rows, "backend": backend, "total_rows": sum(len(f) for f in frames.values()),
        "seconds": statistics.median(seconds), "all_seconds": seconds,
        "tables_mb": size / MB, "peak_extra_mb": extra / MB, "peak_total_mb": total / MB,
        "memory_method": probe.method,
    }


def measure_validation(config: Config) -> list[dict[str, Any]]:
    """Validation of each size and backend, each in a fresh process."""
    results = []
    for backend, sizes in (("pandas", config.sizes), ("polars", config.polars_sizes)):
        for rows in sizes:
            log(f"3. validate {rows:,} rows ({backend}), {config.repeats} run(s)")
            results.append(run_worker("validate", str(rows), backend, str(config.repeats)))
    return results


# --------------------------------------------------------------------------
# 4: Frictionless, in a worker process
# --------------------------------------------------------------------------


def write_package(tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    """Write the tables as a data package in ``folder``; return its descriptor path."""
    from usjapan_data.writing import table_bytes
    from usjapan_data.descriptor import datapackage, dumps

    (folder / "data").mkdir(parents=True)
    hashes = {}
    for name, frame in tables.items():
        data = table_bytes(name, frame)
        (folder / "data" / f"{name}.parquet").write_bytes(data)
        hashes[name] = hashlib.sha256(data).hexdigest()
    descriptor = folder / "datapackage.json"
    descriptor.write_text(dumps(datapackage(hashes)), encoding="utf-8")
    return descriptor


def worker_frictionless(rows: int, processes: bool) -> dict[str, Any]:
    """Validate one synthetic package with frictionless and with usjapan_data.

    With ``processes``, also time ``usjapan_data.validate(path)`` in a fresh process.
    """
    import usjapan_data

    tables = synthetic_tables(rows)
    total_rows = sum(len(frame) for frame in tables.values())
    if total_rows < MIN_FRICTIONLESS_ROWS:
        raise ValueError(f"{total_rows} rows in all; frictionless gets at least {MIN_FRICTIONLESS_ROWS}")
    frictionless = Path(sys.executable).parent / "frictionless"
    with tempfile.TemporaryDirectory(prefix="usjapan-bench-") as tmp:
        descriptor = write_package(tables, Path(tmp))
        del tables
        theirs = run([str(frictionless), "validate", descriptor.name], cwd=Path(tmp), check=False)
        startup = statistics.median(run([str(frictionless), "--version"]).seconds for _ in range(3))
        ours_cold_s = run_python(["-c", OURS_VALIDATE_PATH, str(descriptor)]).seconds \
            if processes else None
        # warm up as frictionless's start-up is subtracted: imports (pandera)
        # and the cached table schemas, on the small shipped package
        usjapan_data.validate()
        start = time.perf_counter()
        report = usjapan_data.validate(descriptor)
        ours_warm_s = time.perf_counter() - start
        if not report.valid:
            sys.stderr.write(report.format_text(limit=30) + "\n")
            raise SystemExit(f"synthetic package of {rows} rows reported invalid")
    return {
        "rows": rows, "total_rows": total_rows, "frictionless_s": theirs.seconds,
        "frictionless_valid": theirs.returncode == 0,
        "frictionless_tail": [line.strip() for line in theirs.stdout.strip().splitlines()[-4:]],
        "frictionless_startup_s": startup, "ours_cold_s": ours_cold_s, "ours_warm_s": ours_warm_s,
        "speedup": (theirs.seconds - startup) / ours_warm_s,
        "speedup_process": theirs.seconds / ours_cold_s if ours_cold_s else None,
    }


def measure_frictionless(config: Config) -> dict[str, Any]:
    """Measurement 4, in a fresh process."""
    log(f"4. frictionless validate vs usjapan_data.validate(path), {config.frictionless_rows:,} rows")
    return run_worker("frictionless", str(config.frictionless_rows), str(config.frictionless_processes))


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
    for package in ("pandas", "pyarrow", "pandera", "polars", "frictionless", "numpy"):
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
        Target(f">= {TARGET_SPEEDUP:g}x faster than frictionless",
               f"{fr['speedup']:.1f}x (validation work, {fr['total_rows']:,} rows; "
               f"as processes: {fmt_ratio(fr['speedup_process'])})", fr["speedup"] >= TARGET_SPEEDUP),
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
        "targets": {t.name: t.met for t in targets(results)},
        **results,
    }


def markdown(results: dict[str, Any]) -> str:
    """The readable report."""
    m, load, imp, fr = results["machine"], results["load"], results["import"], results["frictionless"]
    lines = [
        f"# usjapan-data benchmark ({results['mode']})", "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; Python {m['python']}, "
        f"pandas {m['pandas']}, pyarrow {m['pyarrow']}, pandera {m['pandera']}, "
        f"polars {m['polars']}, frictionless {m['frictionless']}", "",
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
}


def run_all(config: Config, mode: str) -> dict[str, Any]:
    """Run every measurement of ``config``; return the results."""
    start = time.perf_counter()
    results: dict[str, Any] = {"mode": mode, "machine": machine()}
    results["validation"] = measure_validation(config)
    results["frictionless"] = measure_frictionless(config)
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
    parser.add_argument("--worker", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        name, *rest = args.worker
        print(json.dumps(WORKERS[name](*rest)))
        return 0

    config = QUICK if args.quick else FULL
    try:
        results = run_all(config, "quick" if args.quick else "full")
    except subprocess.CalledProcessError as exc:
        log(f"failed: {' '.join(map(str, exc.cmd))[:200]} exited with {exc.returncode}")
        return 1
    print(json.dumps(summary(results)) if args.json else markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
