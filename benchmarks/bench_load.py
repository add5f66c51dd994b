"""Measurements 1 and 2: cold ``load_tables()`` against the floor, and the cost of ``import usjapan_data``."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from procs import log, run_python

HEAVY_MODULES = ("pandas", "pyarrow", "pandera", "frictionless", "polars")

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


