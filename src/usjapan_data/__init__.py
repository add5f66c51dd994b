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
load, pandera and frictionless only to validate.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from usjapan_data.loading import (
    descriptor_path,
    list_tables,
    load_table,
    load_tables,
    table_path,
)

if TYPE_CHECKING:
    from usjapan_data.validation import ValidationError, ValidationReport

__version__ = "0.2.0"

__all__ = [
    "__version__",
    "ValidationError",
    "ValidationReport",
    "descriptor_path",
    "list_tables",
    "load_table",
    "load_tables",
    "table_path",
    "validate",
]


def validate(
    source: str | os.PathLike[str] | Mapping[str, Any] | None = None,
) -> "ValidationReport":
    """Validate the installed package, a data package on disk, or tables in memory.

    Parameters
    ----------
    source : None, path-like or mapping, optional
        ``None`` (the installed package); a path to a ``datapackage.json`` or
        a folder holding one, with Parquet or CSV resources; or a mapping of
        table name to pandas DataFrame, polars DataFrame or pyarrow Table.

    Returns
    -------
    ValidationReport
        ``.valid``, ``.errors`` (a DataFrame: file, table, row, column,
        check, found, expected, message), ``.to_dict()``, ``.to_json()``,
        ``str()``, and ``.raise_for_errors()``. Bad data never raises.

    Examples
    --------
    >>> import usjapan_data
    >>> usjapan_data.validate().valid
    True
    >>> tables = usjapan_data.load_tables()
    >>> tables["events"] = tables["events"].drop(columns="title")
    >>> report = usjapan_data.validate(tables)
    >>> report.valid, report.errors.loc[0, "message"]
    (False, "missing column 'title'")
    """
    from usjapan_data.validation import validate as _validate

    return _validate(source)


def __getattr__(name: str) -> Any:
    if name in ("ValidationReport", "ValidationError"):
        from usjapan_data import validation

        return getattr(validation, name)
    raise AttributeError(f"module 'usjapan_data' has no attribute {name!r}")
