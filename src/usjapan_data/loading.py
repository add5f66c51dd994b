"""Load the tables: fast, offline, with the declared dtypes, without pandera.

The tables ship as Parquet files beside ``datapackage.json``. Each file's
Arrow schema, written by the build from the table definitions, says every
column's type; a category column carries its allowed values in its field
metadata, so the loaded categoricals have the full, declared categories.

Importing this module imports neither pandas' validation libraries nor
frictionless: :func:`load_tables` costs little more than reading the files.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    import pyarrow as pa

__all__ = [
    "arrow_to_pandas",
    "codebook_path",
    "descriptor_path",
    "list_tables",
    "load_table",
    "load_tables",
    "table_path",
]

Backend = Literal["pandas", "polars", "pyarrow"]
_BACKENDS = ("pandas", "polars", "pyarrow")


@lru_cache(maxsize=1)
def _root() -> Path:
    """The folder holding datapackage.json: in the wheel, or the source tree."""
    installed = Path(str(files("usjapan_data")))
    if (installed / "datapackage.json").is_file():
        return installed
    source_tree = Path(__file__).resolve().parents[2]
    if (source_tree / "datapackage.json").is_file():
        return source_tree
    raise FileNotFoundError(
        f"datapackage.json is in neither {installed} nor {source_tree}; "
        "reinstall usjapan-data, or run `usjapan-data build` in a source checkout"
    )


def descriptor_path() -> Path:
    """Return the path of the shipped ``datapackage.json``.

    Examples
    --------
    >>> from usjapan_data import descriptor_path
    >>> descriptor_path().name
    'datapackage.json'
    """
    return _root() / "datapackage.json"


def codebook_path() -> Path:
    """Return the path of the shipped codebook, ``docs/codebook.md``.

    The codebook describes every table and column, the meaning of every
    allowed value and, after them, the coding rules; the coding rules alone
    are ``coding-rules.md`` beside it. :func:`usjapan_data.describe` gives
    the same table and column descriptions as a DataFrame.

    Examples
    --------
    >>> from usjapan_data import codebook_path
    >>> codebook_path().read_text(encoding="utf-8").splitlines()[0]
    '# Codebook'
    >>> codebook_path().with_name("coding-rules.md").is_file()
    True
    """
    return _root() / "docs" / "codebook.md"


@lru_cache(maxsize=1)
def _resources() -> dict[str, str]:
    descriptor = json.loads(descriptor_path().read_text(encoding="utf-8"))
    return {r["name"]: r["path"] for r in descriptor["resources"]}


def list_tables() -> list[str]:
    """Return the names of the tables, in the order of the descriptor.

    Examples
    --------
    >>> from usjapan_data import list_tables
    >>> list_tables()[:5]
    ['events', 'commitments', 'exercises', 'recommendations', 'references']
    """
    return list(_resources())


def table_path(name: str) -> Path:
    """Return the path of a table's Parquet file.

    Parameters
    ----------
    name : str
        A name from :func:`list_tables`.

    Raises
    ------
    KeyError
        For an unknown name; the message lists the valid names.

    Examples
    --------
    >>> from usjapan_data import table_path
    >>> table_path("events").name
    'events.parquet'
    """
    resources = _resources()
    if name not in resources:
        raise KeyError(f"unknown table {name!r}; the tables are: {', '.join(resources)}")
    return _root() / resources[name]


def _types_mapper() -> Any:
    import pandas as pd
    import pyarrow as pa

    mapping = {
        pa.string(): pd.StringDtype("pyarrow"),
        pa.large_string(): pd.StringDtype("pyarrow"),
        pa.int8(): pd.Int8Dtype(),
        pa.int16(): pd.Int16Dtype(),
        pa.int32(): pd.Int32Dtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.float64(): pd.Float64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
    }
    return mapping.get


def arrow_to_pandas(table: "pa.Table") -> "pd.DataFrame":
    """Convert an Arrow table to pandas with the package's dtypes.

    Text becomes ``string[pyarrow]`` (missing is ``pd.NA``), integers and
    booleans their nullable pandas types, dates ``datetime64[ns]``, and a
    dictionary column a categorical whose categories are those declared in
    its field metadata (when every value is one of them). Columns stay
    columns: a pandas index stored in the file is not made the index.

    Parameters
    ----------
    table : pyarrow.Table

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ValueError
        For a date outside what ``datetime64[ns]`` holds (1677-09-22 to
        2262-04-11): it is never wrapped into another date.
    """
    import pandas as pd

    frame = table.to_pandas(
        types_mapper=_types_mapper(),
        date_as_object=False,
        coerce_temporal_nanoseconds=False,
        ignore_metadata=True,
    )
    for field in table.schema:
        column = frame[field.name]
        if column.dtype.kind == "M" and str(column.dtype) != "datetime64[ns]":
            try:
                frame[field.name] = column.astype("datetime64[ns]")
            except (OverflowError, ValueError) as exc:  # pandas' OutOfBoundsDatetime
                raise ValueError(f"column {field.name!r} holds a date outside 1677-09-22 to "
                                 f"2262-04-11, which datetime64[ns] cannot hold: {exc}") from None
        declared = (field.metadata or {}).get(b"categories")
        if declared is None:
            continue
        categories = json.loads(declared)
        if not isinstance(column.dtype, pd.CategoricalDtype):
            continue
        if set(column.cat.categories).issubset(categories):
            # set_categories, not astype: unordered dtypes with the same values
            # in another order compare equal, and astype would keep the
            # order of the file's dictionary
            frame[field.name] = column.cat.set_categories(categories)
    return frame


def _check_backend(backend: str) -> None:
    if backend not in _BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(_BACKENDS)}")


def _read(name: str, backend: Backend) -> Any:
    path = table_path(name)
    if backend == "polars":
        import polars as pl

        return pl.read_parquet(path)
    import pyarrow.parquet as pq

    return _as_backend(pq.read_table(path), backend)


def _as_backend(table: "pa.Table", backend: Backend) -> Any:
    if backend == "polars":
        import polars as pl

        return pl.from_arrow(table)
    return table if backend == "pyarrow" else arrow_to_pandas(table)


def _validated() -> "dict[str, pa.Table]":
    """The installed tables, validated: parsed once from the bytes hashed, then checked."""
    from usjapan_data.validation import validate_package

    report, tables = validate_package(descriptor_path(), "installed package")
    report.raise_for_errors()
    return tables


@overload
def load_table(name: str, *, validate: bool = ..., backend: Literal["pandas"] = ...) -> "pd.DataFrame": ...
@overload
def load_table(name: str, *, validate: bool = ..., backend: Literal["polars"]) -> "pl.DataFrame": ...
@overload
def load_table(name: str, *, validate: bool = ..., backend: Literal["pyarrow"]) -> "pa.Table": ...


def load_table(name: str, *, validate: bool = False, backend: Backend = "pandas") -> Any:
    """Load one table.

    Parameters
    ----------
    name : str
        A name from :func:`list_tables`.
    validate : bool, default False
        Validate the whole package first (all tables are needed for the
        keys across tables); raise :class:`usjapan_data.ValidationError` if
        it is invalid.
    backend : {"pandas", "polars", "pyarrow"}, default "pandas"
        What to return: a pandas DataFrame, a polars DataFrame or a pyarrow
        Table.

    Returns
    -------
    pandas.DataFrame, polars.DataFrame or pyarrow.Table

    Raises
    ------
    KeyError
        For an unknown table name (the message lists the valid names).

    Examples
    --------
    >>> from usjapan_data import load_table
    >>> events = load_table("events")
    >>> str(events["date_start"].dtype), str(events["event_type"].dtype)
    ('datetime64[ns]', 'category')
    """
    _check_backend(backend)
    table_path(name)  # unknown names fail before any validation
    if validate:
        return _as_backend(_validated()[name], backend)
    return _read(name, backend)


@overload
def load_tables(*, validate: bool = ..., backend: Literal["pandas"] = ...) -> "dict[str, pd.DataFrame]": ...
@overload
def load_tables(*, validate: bool = ..., backend: Literal["polars"]) -> "dict[str, pl.DataFrame]": ...
@overload
def load_tables(*, validate: bool = ..., backend: Literal["pyarrow"]) -> "dict[str, pa.Table]": ...


def load_tables(*, validate: bool = False, backend: Backend = "pandas") -> dict[str, Any]:
    """Load every table.

    Parameters
    ----------
    validate : bool, default False
        Validate the tables against the table definitions (types,
        vocabularies, keys across tables, evidence) and raise
        :class:`usjapan_data.ValidationError` if they are invalid. The
        tables returned are the ones validated: each file is read once,
        hashed, parsed, checked and returned.
    backend : {"pandas", "polars", "pyarrow"}, default "pandas"
        What each table is: a pandas DataFrame, a polars DataFrame or a
        pyarrow Table.

    Returns
    -------
    dict of str to table
        Keyed by table name, in the order of :func:`list_tables`. With
        pandas: text columns are ``string[pyarrow]``, categories
        ``category`` with every declared value, integers ``Int64``, numbers
        ``Float64``, booleans ``boolean`` and dates ``datetime64[ns]``,
        under pandas 2 and 3 alike.

    Examples
    --------
    >>> from usjapan_data import load_tables
    >>> tables = load_tables()
    >>> sorted(tables)[:3]
    ['actor_members', 'actors', 'commitments']
    >>> tables["references"]["issued_year"].dtype
    Int64Dtype()
    """
    _check_backend(backend)
    if validate:
        tables = _validated()
        return {name: _as_backend(tables[name], backend) for name in list_tables()}
    return {name: _read(name, backend) for name in list_tables()}
