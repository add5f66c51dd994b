"""Measurements 3 and 4: validation of tables in memory (time, peak memory) and against frictionless."""

from __future__ import annotations

import gc
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from procs import MB, log, run, run_python, run_worker
from synth import synthetic_tables, table_bytes, write_package

if TYPE_CHECKING:
    import pandas as pd

#: The package frictionless validates holds at least this many rows in all.
MIN_FRICTIONLESS_ROWS = 20_000
OURS_VALIDATE_PATH = (
    "import sys, usjapan_data\n"
    "sys.exit(0 if usjapan_data.validate(sys.argv[1]).valid else 1)"
)



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


def measure_validation(config: Any) -> list[dict[str, Any]]:
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


def measure_frictionless(config: Any) -> dict[str, Any]:
    """Measurement 4, in a fresh process."""
    log(f"4. frictionless validate vs usjapan_data.validate(path), {config.frictionless_rows:,} rows")
    return run_worker("frictionless", str(config.frictionless_rows), str(config.frictionless_processes))


