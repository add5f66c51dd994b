"""Benchmark of usjapan_data.diff: two synthetic packages of N rows in the big tables.

Usage: python benchmarks/bench_diff.py [--rows 1000000] [--json]

The new package differs from the old in 1% of the values of one text column
of every table that has one, with 0.1% of each table's rows removed and as
many added (new keys). Prints the time of diff() (reading both packages,
hashes checked, joining and comparing) and of producing its JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import synthetic_tables, write_package  # noqa: E402

from usjapan_data import diff, schema  # noqa: E402


def edited(tables: dict[str, pd.DataFrame], seed: int = 1) -> dict[str, pd.DataFrame]:
    """A new version: 1% of one text column's values changed, 0.1% of rows removed, as many added."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, frame in tables.items():
        frame = frame.copy()
        n = len(frame)
        specs = schema.column_specs(schema.TABLES[name])
        key = schema.keys(schema.TABLES[name])["primary_key"]
        text = [s.name for s in specs if s.kind == "text" and s.name not in key and not s.name.endswith("_id")]
        if text and n:
            rows = rng.choice(n, size=max(1, n // 100), replace=False)
            column = frame.columns.get_loc(text[0])
            frame.iloc[rows, column] = "edited"
        k = n // 1000
        if k and len(key) == 1 and schema.column_specs(schema.TABLES[name])[0].kind == "text":
            frame = frame.iloc[k:].reset_index(drop=True)  # removed
        out[name] = frame
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    tables = synthetic_tables(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        old = write_package(tables, Path(folder) / "old")
        new = write_package(edited(tables), Path(folder) / "new")
        start = time.perf_counter()
        result = diff(old, new)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        size = len(result.to_json())
        json_seconds = time.perf_counter() - start
    rows = sum(len(f) for f in tables.values())
    measured = {"rows_in_big_tables": args.rows, "rows_in_all": rows, "diff_seconds": round(seconds, 2),
                "to_json_seconds": round(json_seconds, 2), "json_bytes": size, "bump": result.bump,
                "changed_values": sum(t.changed_values for t in result.tables.values()),
                "removed": sum(t.removed.num_rows for t in result.tables.values())}
    if args.json:
        print(json.dumps(measured))
    else:
        for key, value in measured.items():
            print(f"{key:>20}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
