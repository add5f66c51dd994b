"""Measurement 6: Spark local mode, ``validate(path, engine="spark")`` on a synthetic package.

The package is one of measurement 5's (:mod:`bench_stream`). In a fresh
process a local Spark session (``local[*]``, the driver's default memory) is
started, then the package is validated through it: every check, as with the
other engines. The session's start-up is reported apart from the validation.
Not measured when pyspark or Java is missing (the report says which).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from typing import Any


def unavailable() -> str | None:
    """Why Spark cannot be measured here, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark not installed (pip install -e '.[spark]')"
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        return "no Java (Spark needs Java 17)"
    return None


def worker_spark(folder: str) -> dict[str, Any]:
    """Start a local session, validate the package through it: times and rows."""
    import sys

    warehouse = tempfile.mkdtemp(prefix="usjapan-spark-")
    start = time.perf_counter()
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[*]").appName("usjapan-data benchmark")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.warehouse.dir", warehouse)
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    import usjapan_data

    started = time.perf_counter()
    try:
        report = usjapan_data.validate(folder, engine="spark", spark=spark)
    finally:
        seconds = time.perf_counter() - started
        spark.stop()
        shutil.rmtree(warehouse, ignore_errors=True)
    if not report.valid:
        sys.stderr.write(report.format_text(limit=20) + "\n")
        raise SystemExit(f"synthetic package {folder} reported invalid by Spark")
    return {"seconds": seconds, "startup_s": started - start, "total_rows": sum(report.rows.values()),
            "cores": os.cpu_count()}
