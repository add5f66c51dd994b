"""Turn text values (YAML records, CSV cells) into typed columns, strictly.

Every table column has one of six kinds: text, category, date, integer,
number or boolean. A value that does not parse as its kind is reported, with
where it was found, what was found and what was expected; it is never
coerced to something else or dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

__all__ = ["ColumnSpec", "ParseProblem", "parse_columns", "NULL_TEXTS"]

#: Texts read as a missing value (YAML's null spellings and the empty string).
NULL_TEXTS = frozenset({"", "null", "Null", "NULL", "~"})

_INT = re.compile(r"^[+-]?[0-9]+$")
_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True)
class ColumnSpec:
    """What a column holds: its kind, pandas dtype and allowed values.

    Attributes
    ----------
    name : str
    kind : str
        ``text``, ``category``, ``date``, ``integer``, ``number`` or ``boolean``.
    dtype : object
        The pandas dtype of the loaded column.
    categories : tuple of str, optional
        Allowed values of a category column.
    nullable : bool
    """

    name: str
    kind: str
    dtype: object
    categories: tuple[str, ...] = ()
    nullable: bool = True

    def expected(self) -> str:
        """Describe, for an error message, what a value should look like."""
        if self.kind == "category":
            return "one of " + ", ".join(self.categories)
        return {
            "text": "text",
            "date": "a date YYYY-MM-DD",
            "integer": "a whole number",
            "number": "a number",
            "boolean": "true or false",
        }[self.kind]


@dataclass(frozen=True)
class ParseProblem:
    """A value that did not parse: where, what was found, what was expected."""

    row: int
    column: str
    found: str
    expected: str


def _parse(spec: ColumnSpec, text: str) -> object:
    """Parse one non-null text, or raise ValueError."""
    if spec.kind == "text":
        return text
    if spec.kind == "category":
        if text not in spec.categories:
            raise ValueError
        return text
    if spec.kind == "date":
        if not _DATE.match(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    if spec.kind == "integer":
        if not _INT.match(text):
            raise ValueError
        return int(text)
    if spec.kind == "number":
        if not _NUMBER.match(text):
            raise ValueError
        return float(text)
    if spec.kind == "boolean":
        return _BOOLEANS[text]
    raise AssertionError(spec.kind)


def typed_array(spec: ColumnSpec, values: Sequence[object]) -> object:
    """Build the column of ``spec.dtype`` from parsed Python values."""
    if spec.kind == "date":
        return pd.to_datetime(pd.Series(values, dtype="object")).astype(spec.dtype).array
    if spec.kind == "category":
        return pd.Categorical(values, dtype=spec.dtype)
    return pd.array(values, dtype=spec.dtype)


def parse_columns(
    specs: Sequence[ColumnSpec],
    rows: Iterable[Mapping[str, str | None]],
) -> tuple[pd.DataFrame, list[ParseProblem]]:
    """Parse rows of text values into a typed DataFrame.

    Parameters
    ----------
    specs : sequence of ColumnSpec
        The table's columns, in order.
    rows : iterable of mappings
        Column name to text (or None). Keys absent from a row are missing
        values.

    Returns
    -------
    (pandas.DataFrame, list of ParseProblem)
        The frame, with a missing value where a value did not parse, and the
        problems found. Rows are numbered from 1.

    Examples
    --------
    >>> import pandas as pd
    >>> spec = ColumnSpec("n", "integer", pd.Int64Dtype())
    >>> frame, problems = parse_columns([spec], [{"n": "3"}, {"n": "x"}])
    >>> frame["n"].tolist(), problems[0].found
    ([3, <NA>], 'x')
    """
    data: dict[str, list[object]] = {spec.name: [] for spec in specs}
    problems: list[ParseProblem] = []
    for number, row in enumerate(rows, start=1):
        for spec in specs:
            text = row.get(spec.name)
            value = None
            if text is not None and text not in NULL_TEXTS:
                try:
                    value = _parse(spec, str(text))
                except (ValueError, KeyError):
                    problems.append(ParseProblem(number, spec.name, str(text), spec.expected()))
            data[spec.name].append(value)
    frame = pd.DataFrame({spec.name: typed_array(spec, data[spec.name]) for spec in specs})
    return frame, problems
