"""usjapan-data: US-Japan defense and security cooperation under President Biden (2021-2025).

Events, commitments, exercises, recommendations and references coded from two
documents, with verbatim evidence for every record, shipped as typed Parquet
tables and a Frictionless Data Package.

Examples
--------
>>> from usjapan_data import load_tables
>>> tables = load_tables()
>>> "events" in tables
True

Importing the package is cheap: pandas and pyarrow are imported on first
load, pandera and frictionless only to validate or describe, DuckDB only to
connect, matplotlib only to draw a timeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from usjapan_data.loading import (
    codebook_path,
    descriptor_path,
    list_tables,
    load_table,
    load_tables,
    table_path,
)

__version__ = "0.2.0"

if TYPE_CHECKING:  # what type checkers see; at run time these load on first use
    from usjapan_data.citation import cite
    from usjapan_data.codebook import describe
    from usjapan_data.comparison import DiffError, PackageDiff, diff
    from usjapan_data.figures import timeline
    from usjapan_data.sql import connect
    from usjapan_data.validation import ValidationError, ValidationReport, validate
    from usjapan_data.writing import WriteError, export, rehash, write_tables

__all__ = [
    "__version__",
    "DiffError",
    "PackageDiff",
    "ValidationError",
    "ValidationReport",
    "WriteError",
    "cite",
    "codebook_path",
    "connect",
    "describe",
    "descriptor_path",
    "export",
    "diff",
    "list_tables",
    "load_table",
    "load_tables",
    "rehash",
    "table_path",
    "timeline",
    "validate",
    "write_tables",
]

#: Public names whose modules import pandas, pandera, DuckDB or matplotlib, and the
#: module of each: imported on first access (PEP 562), so that
#: ``import usjapan_data`` stays cheap.
_LAZY = {
    "ValidationError": "usjapan_data.validation",
    "ValidationReport": "usjapan_data.validation",
    "validate": "usjapan_data.validation",
    "describe": "usjapan_data.codebook",
    "cite": "usjapan_data.citation",
    "connect": "usjapan_data.sql",
    "timeline": "usjapan_data.figures",
    "WriteError": "usjapan_data.writing",
    "export": "usjapan_data.writing",
    "rehash": "usjapan_data.writing",
    "write_tables": "usjapan_data.writing",
    "diff": "usjapan_data.comparison",
    "DiffError": "usjapan_data.comparison",
    "PackageDiff": "usjapan_data.comparison",
}

if not TYPE_CHECKING:  # hidden from type checkers, so that a misspelt name is an error

    def __getattr__(name: str) -> object:
        if name not in _LAZY:
            raise AttributeError(f"module 'usjapan_data' has no attribute {name!r}")
        from importlib import import_module

        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(__all__)
