"""Bring a column of any representation to its declared dtype, reporting what does not fit.

Input comes as Parquet or a user's pyarrow table (Arrow types), CSV (text), or
a user's pandas or polars frame (whatever dtypes they hold). A value that is
the same value in another representation (a date held as ``datetime64[ms]``
or ``date32``, an integer held as a float ``3.0`` or a ``Decimal``, the text
``"true"`` in a CSV boolean column) is accepted; anything else is a problem
with its rows, what was found and what was expected, and is left missing in
the conformed column so that the other checks can go on. Nothing is coerced
silently: a NaN or an infinity is not a number of the dataset, a date outside
what ``datetime64[ns]`` holds is reported with its true value (never
wrapped), a timestamp with a time zone is not a date.

Every non-text representation goes one way: to Arrow (zero-copy for Arrow
and most numpy data), checked there with vectorised kernels, then to the
declared pandas dtype. A categorical of any kind is conformed through its
categories, then taken by its codes. Only a column of Python objects is
looked at value by value. A million rows conform in well under a second.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from usjapan_data.parsing import ColumnSpec

__all__ = ["arrow_frame", "conform_column", "Problem", "show", "usable_dictionary"]

#: The days ``datetime64[ns]`` holds in full (what pandas can represent).
_FIRST_DAY = pd.Timestamp.min.ceil("D")
_LAST_DAY = pd.Timestamp.max.floor("D")
_DATE_SPAN = f"{_FIRST_DAY.date()} to {_LAST_DAY.date()}"
_SHOWN_CHARS = 200


@dataclass(frozen=True)
class Problem:
    """Values of one column that did not fit, found by one check.

    Attributes
    ----------
    check : str
        ``"type"`` or ``"vocabulary"``.
    rows : numpy.ndarray
        0-based positions.
    found : callable
        Maps positions (a subset of ``rows``) to the values found, as text;
        called only for the problems a report keeps.
    expected : str
    """

    check: str
    rows: np.ndarray
    found: Callable[[np.ndarray], list[str]]
    expected: str


def show(value: object) -> str:
    """A value as a report shows it: ``null`` for missing, dates as YYYY-MM-DD, at most 200 characters."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "null"
    if isinstance(value, float) and np.isnan(value):
        return "nan"
    if isinstance(value, dt.datetime) and value.tzinfo is None and value.time() == dt.time():
        return value.date().isoformat()
    text = repr(value) if isinstance(value, bytes) else str(value)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…"


def _positions(mask: object) -> np.ndarray:
    if isinstance(mask, (pa.Array, pa.ChunkedArray)):
        mask = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
    elif isinstance(mask, pd.Series):
        mask = mask.to_numpy(dtype=bool, na_value=False)
    return np.flatnonzero(np.asarray(mask, dtype=bool))


def _from_series(series: pd.Series) -> Callable[[np.ndarray], list[str]]:
    return lambda rows: [show(v) for v in series.iloc[rows].tolist()]


def _from_arrow(values: pa.ChunkedArray) -> Callable[[np.ndarray], list[str]]:
    return lambda rows: [show(v) for v in values.take(pa.array(rows)).to_pylist()]


class _Column:
    """The problems of one column, and the rows they leave missing."""

    def __init__(self, spec: ColumnSpec, n: int) -> None:
        self.spec = spec
        self.problems: list[Problem] = []
        self.bad = np.zeros(n, dtype=bool)

    def report(self, mask: object, found: Callable[[np.ndarray], list[str]],
               expected: str | None = None, check: str = "type") -> np.ndarray:
        rows = _positions(mask)
        rows = rows[~self.bad[rows]]
        if len(rows):
            self.problems.append(Problem(check, rows, found, expected or self.spec.expected()))
            self.bad[rows] = True
        return rows

    def keep(self, values: pa.ChunkedArray) -> pa.ChunkedArray:
        """The values with every reported row set missing."""
        if not self.bad.any():
            return values
        return pc.if_else(pa.array(self.bad), pa.nulls(len(values), values.type), values)


# --------------------------------------------------------------------------
# Representations
# --------------------------------------------------------------------------


def _arrow_of(series: pd.Series) -> pa.ChunkedArray | None:
    """The column as Arrow, or None for Python objects Arrow cannot type.

    numpy floats follow the pandas convention (NaN is missing); nullable and
    Arrow-backed columns keep a NaN as a value.
    """
    try:
        values = pa.array(series.array, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return None
    return values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])


def _is_text_type(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _valid_utf8(values: pa.ChunkedArray, column: _Column) -> pa.ChunkedArray:
    """Report and drop text that is not valid UTF-8 (Arrow does not check on read)."""
    try:
        values.validate(full=True)
        return values
    except pa.ArrowInvalid:
        pass
    binary = values.cast(pa.large_binary() if pa.types.is_large_string(values.type) else pa.binary())
    bad, start = np.zeros(len(values), dtype=bool), 0
    for chunk in binary.chunks:
        for offset in range(0, len(chunk), 65536):
            piece = chunk.slice(offset, 65536)
            try:
                piece.cast(pa.string()).validate(full=True)
                continue
            except pa.ArrowInvalid:
                pass
            for i, raw in enumerate(piece.to_pylist()):
                if raw is not None:
                    try:
                        raw.decode("utf-8")
                    except UnicodeDecodeError:
                        bad[start + offset + i] = True
        start += len(chunk)
    column.report(bad, lambda rows: [show(v) for v in binary.take(pa.array(rows)).to_pylist()],
                  "text in UTF-8")
    cleaned = pc.if_else(pa.array(bad), pa.nulls(len(binary), binary.type), binary)
    return cleaned.cast(pa.large_string() if pa.types.is_large_string(values.type) else pa.string())


def _text(series: pd.Series, column: _Column) -> pd.Series:
    """The column as ``string[pyarrow]``; anything but text is a problem."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype) or (isinstance(dtype, pd.ArrowDtype)
                                              and _is_text_type(dtype.pyarrow_dtype)):
        values = _arrow_of(series)
        if values is not None and _is_text_type(values.type):
            values = _valid_utf8(values, column)
            return _to_pandas_text(values, series.index)
        return series.astype(pd.StringDtype("pyarrow"))
    if dtype == object:
        values = series.to_numpy()
        missing = pd.isna(values)
        is_text = np.fromiter((isinstance(v, str) for v in values), bool, len(values))
        column.report(~missing & ~is_text, _from_series(series))
        try:
            text = pa.array(np.where(is_text, values, None), pa.string())
        except UnicodeEncodeError:  # a lone surrogate is not text that UTF-8 can hold
            encodable = np.fromiter((not isinstance(v, str) or _encodable(v) for v in values),
                                    bool, len(values))
            column.report(~encodable, _from_series(series), "text in UTF-8")
            text = pa.array(np.where(is_text & encodable, values, None), pa.string())
        return _to_pandas_text(pa.chunked_array([text]), series.index)
    # numbers, booleans, dates, ...: never text
    column.report(series.notna(), _from_series(series))
    return pd.Series(pd.array([None] * len(series), dtype=pd.StringDtype("pyarrow")), index=series.index)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _to_pandas_text(values: pa.ChunkedArray, index: pd.Index) -> pd.Series:
    if pa.types.is_large_string(values.type):
        values = values.cast(pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(values), index=index)


def _object_to_arrow(series: pd.Series, column: _Column) -> pa.ChunkedArray:
    """Python objects as Arrow, value by value: numbers (``Decimal`` too), dates, text."""
    spec = column.spec
    out: list[object] = []
    bad = np.zeros(len(series), dtype=bool)
    for i, value in enumerate(series.tolist()):
        if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
            out.append(None)
        elif isinstance(value, str):
            out.append(value)
        elif spec.kind in ("integer", "number") and isinstance(value, (int, float, np.number)) \
                and not isinstance(value, (bool, np.bool_)):
            whole = isinstance(value, (float, np.floating)) and float(value).is_integer()
            out.append(str(int(value)) if whole and spec.kind == "integer" else str(value))
        elif spec.kind in ("integer", "number") and type(value).__name__ == "Decimal":
            out.append(str(value) if value.is_finite() else "nan")
        elif spec.kind == "date" and hasattr(value, "isoformat") and getattr(value, "tzinfo", None) is None:
            text = value.isoformat()
            out.append(text[:10] if text[10:].strip("T0:.") == "" else text)
        elif spec.kind == "boolean" and isinstance(value, (bool, np.bool_)):
            out.append("true" if value else "false")
        else:
            out.append(None)
            bad[i] = True
    column.report(bad, _from_series(series))
    return pa.chunked_array([pa.array(out, pa.string())])


# --------------------------------------------------------------------------
# Kinds
# --------------------------------------------------------------------------


_PATTERNS = {
    "integer": r"[+-]?[0-9]+",
    "number": r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?",
    "date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "boolean": r"true|false",
}


def _parse_text(values: pa.ChunkedArray, column: _Column) -> pa.ChunkedArray:
    """Strict parsing of text into the column's kind (CSV cells, object columns)."""
    kind = column.spec.kind
    shaped = pc.match_substring_regex(values, "^(?:" + _PATTERNS[kind] + ")$")
    column.report(pc.and_(pc.is_valid(values), pc.invert(shaped)), _from_arrow(values))
    values = column.keep(values)
    if kind == "boolean":
        return pc.equal(values, "true")
    if kind == "date":
        parsed = pc.strptime(values, format="%Y-%m-%d", unit="s", error_is_null=True)
        column.report(pc.and_(pc.is_valid(values), pc.is_null(parsed)), _from_arrow(values))
        return column.keep(parsed)
    return pc.cast(values, pa.float64())


def _finite(values: pa.ChunkedArray, column: _Column) -> pa.ChunkedArray:
    if pa.types.is_floating(values.type):
        column.report(pc.invert(pc.is_finite(values)), _from_arrow(values),
                      "a finite number" if column.spec.kind == "number" else None)
        values = column.keep(values)
    return values


def _integers(values: pa.ChunkedArray, column: _Column) -> pa.ChunkedArray:
    target = pa.from_numpy_dtype(column.spec.dtype.numpy_dtype)
    info = np.iinfo(column.spec.dtype.numpy_dtype)
    if pa.types.is_decimal(values.type):
        values = values.cast(pa.float64())
    if pa.types.is_floating(values.type):
        values = _finite(values, column)
        column.report(pc.not_equal(pc.floor(values), values), _from_arrow(values))
        values = column.keep(values)
    expected = f"a whole number from {info.min} to {info.max}"
    if pa.types.is_floating(values.type):  # compared as floats: int64's bounds are not exact floats
        outside = pc.or_(pc.less(values, float(info.min)), pc.greater_equal(values, float(info.max) + 1))
    else:
        outside = pc.or_(pc.less(values, info.min), pc.greater(values, info.max))
    column.report(outside, _from_arrow(values), expected)
    return column.keep(values).cast(target, safe=False)


def _dates(values: pa.ChunkedArray, column: _Column) -> pa.ChunkedArray:
    kind = values.type
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        column.report(pc.is_valid(values), _from_arrow(values),
                      "a date YYYY-MM-DD (a timestamp with a time zone is not a date)")
        return pa.chunked_array([pa.nulls(len(values), pa.timestamp("ns"))])
    if pa.types.is_date64(kind):
        values = values.cast(pa.date32())
    if pa.types.is_date(values.type):
        seconds = values.cast(pa.timestamp("s"))
    else:
        day = pc.floor_temporal(values, unit="day")
        column.report(pc.not_equal(day, values), _from_arrow(values),
                      "a date YYYY-MM-DD (found a time of day)")
        seconds = column.keep(values).cast(pa.timestamp("s"))
    first = pa.scalar(_FIRST_DAY.to_pydatetime(), pa.timestamp("s"))
    last = pa.scalar(_LAST_DAY.to_pydatetime(), pa.timestamp("s"))
    column.report(pc.or_(pc.less(seconds, first), pc.greater(seconds, last)), _from_arrow(values),
                  f"a date YYYY-MM-DD from {_DATE_SPAN}")
    return column.keep(seconds).cast(pa.timestamp("ns"))


def _typed(values: pa.ChunkedArray, column: _Column) -> pa.ChunkedArray | None:
    """Arrow values of a numeric, boolean or date column in their target Arrow type."""
    kind, spec = values.type, column.spec
    if pa.types.is_dictionary(kind):
        values = values.cast(kind.value_type)
        kind = values.type
    if pa.types.is_null(kind):
        values, kind = values.cast(pa.string()), pa.string()
    if _is_text_type(kind):
        values = _parse_text(_valid_utf8(values, column), column)
        kind = values.type
    numeric = (pa.types.is_integer(kind) or pa.types.is_floating(kind)
               or pa.types.is_decimal(kind))
    if spec.kind == "integer" and numeric:
        return _integers(values, column)
    if spec.kind == "number" and numeric:
        return _finite(values.cast(pa.float64()), column)
    if spec.kind == "boolean" and pa.types.is_boolean(kind):
        return values
    if spec.kind == "date" and (pa.types.is_date(kind) or pa.types.is_timestamp(kind)):
        return _dates(values, column)
    return None


def _typed_column(series: pd.Series, column: _Column) -> pd.Series:
    spec = column.spec
    values = _arrow_of(series) if series.dtype != object else None
    if values is None:
        values = _object_to_arrow(series, column)
    typed = _typed(values, column)
    if typed is None:  # another type altogether: every value is a problem
        column.report(pc.is_valid(values), _from_arrow(values))
        return pd.Series(pd.array([None] * len(series), dtype=spec.dtype), index=series.index)
    if spec.kind == "date":
        return pd.Series(typed.to_pandas().to_numpy(dtype="datetime64[ns]"), index=series.index)
    return pd.Series(spec.dtype.__from_arrow__(typed), index=series.index)


def _categorical(series: pd.Series, column: _Column) -> pd.Series:
    """Conform the categories (a handful), then take them by the codes (no per-row work)."""
    spec = column.spec
    categories = pd.Series(series.cat.categories)
    codes = series.cat.codes.to_numpy()
    if spec.kind == "category" and all(isinstance(c, str) for c in categories):
        unknown = np.flatnonzero(~categories.isin(spec.categories).to_numpy())
        column.report(np.isin(codes, unknown), _from_series(series),
                      "one of " + ", ".join(spec.categories), check="vocabulary")
        kept = series.cat.remove_categories(categories.iloc[unknown].tolist()) if len(unknown) else series
        return kept.astype(spec.dtype).reset_index(drop=True)
    inner = _Column(spec, len(categories))
    conformed = _conform(categories, inner)
    for problem in inner.problems:
        column.report(np.isin(codes, problem.rows), _from_series(series), problem.expected,
                      problem.check)
    taken = conformed.take(np.where(codes < 0, 0, codes)) if len(conformed) else \
        pd.Series(pd.array([None] * len(series), dtype=spec.dtype))
    return taken.reset_index(drop=True).where(pd.Series(codes >= 0))


def _conform(series: pd.Series, column: _Column) -> pd.Series:
    spec = column.spec
    if isinstance(series.dtype, pd.ArrowDtype) and pa.types.is_dictionary(series.dtype.pyarrow_dtype):
        series = _arrow_series(_arrow_of(series))  # a categorical, or its values
    if isinstance(series.dtype, pd.CategoricalDtype):
        return _categorical(series, column)
    if spec.kind in ("text", "category"):
        text = _text(series, column)
        if spec.kind == "text":
            return text
        known = text.isin(spec.categories) | text.isna()
        column.report(~known, _from_series(text), "one of " + ", ".join(spec.categories),
                      check="vocabulary")
        return pd.Series(pd.Categorical(text.where(known, None), dtype=spec.dtype))
    return _typed_column(series, column)


def usable_dictionary(chunk: pa.DictionaryArray) -> bool:
    """Whether pandas can take a dictionary as categories: valid UTF-8 text, unique, no nulls."""
    dictionary = chunk.dictionary
    try:
        dictionary.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return dictionary.null_count == 0 and len(pc.unique(dictionary)) == len(dictionary)


def _arrow_series(column: pa.ChunkedArray) -> pd.Series:
    kind = column.type
    if pa.types.is_dictionary(kind):
        if all(usable_dictionary(c) for c in column.chunks):
            return column.to_pandas()
        column, kind = column.cast(kind.value_type), kind.value_type
    if getattr(pa.types, "is_string_view", lambda _: False)(kind) or pa.types.is_large_string(kind):
        column, kind = column.cast(pa.string()), pa.string()
    if getattr(pa.types, "is_binary_view", lambda _: False)(kind):
        column, kind = column.cast(pa.binary()), pa.binary()
    if pa.types.is_string(kind):
        return pd.Series(pd.arrays.ArrowStringArray(column))
    return pd.Series(pd.arrays.ArrowExtensionArray(column))


def arrow_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as pandas for conforming, losing nothing.

    Text becomes ``string[pyarrow]`` (zero-copy), a dictionary a categorical,
    everything else an Arrow-backed column: a NaN stays a NaN (not missing),
    a date stays in its own unit (not wrapped into ``datetime64[ns]``), a
    decimal stays exact. Duplicate column names are kept, for the checks to
    report. Pandas metadata (an index stored as a column) is ignored: such a
    column is a column.
    """
    series = [_arrow_series(column) for column in table.columns]
    if not series:
        return pd.DataFrame(index=pd.RangeIndex(table.num_rows))
    frame = pd.concat(series, axis=1, ignore_index=True)
    frame.columns = list(table.column_names)
    return frame


def conform_column(series: pd.Series, spec: ColumnSpec) -> tuple[pd.Series, list[Problem]]:
    """Conform one column to ``spec``.

    Parameters
    ----------
    series : pandas.Series
        The column as read, in any dtype (numpy, nullable, Arrow-backed,
        categorical or Python objects).
    spec : ColumnSpec
        What the column should hold.

    Returns
    -------
    (pandas.Series, list of Problem)
        The column in ``spec.dtype`` with a 0-based RangeIndex (values that
        did not fit are missing) and the problems, one per value at most.

    Examples
    --------
    >>> import pandas as pd
    >>> from usjapan_data.parsing import ColumnSpec
    >>> spec = ColumnSpec("n", "number", pd.Float64Dtype())
    >>> values, problems = conform_column(pd.Series([1.5, float("inf")], dtype=object), spec)
    >>> values.tolist(), problems[0].rows.tolist(), problems[0].found(problems[0].rows)
    ([1.5, <NA>], [1], ['inf'])
    """
    series = series.reset_index(drop=True)
    column = _Column(spec, len(series))
    values = _conform(series, column)
    return values.reset_index(drop=True), column.problems
