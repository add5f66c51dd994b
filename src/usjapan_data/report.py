"""The validation report, and the collector the reader and the checks write findings to.

Every text a report holds (file names, table and column names, values found,
messages) comes from the input and may be hostile: a cell holding a newline
and ``::error ...`` would become a GitHub Actions workflow command if printed
raw, a lone surrogate would make printing fail. So every finding passes
through :func:`clean` once, when it is recorded: control characters, line and
paragraph separators, bidirectional overrides and surrogates are shown as
escapes (``\\n``, ``\\u2028``), and long values are cut. No output format can
then print a line that the input chose.

Memory stays bounded however many values are bad: the first
:data:`usjapan_data.limits.MAX_ERRORS` errors are kept in full, the rest
only counted per table, check and column (:attr:`ValidationReport.omitted`).
"""

from __future__ import annotations

import json
from html import escape
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from usjapan_data import limits

__all__ = ["ERROR_COLUMNS", "ValidationError", "ValidationReport", "clean"]

ERROR_COLUMNS = ["file", "table", "row", "line", "column", "check", "found", "expected", "message"]
_OMITTED_COLUMNS = ["table", "check", "column", "count"]

# C0 and C1 controls, DEL, line/paragraph separators, bidi and zero-width
# format characters, the BOM, and surrogates (from undecodable file names).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MAX_CHARS = 400


def clean(text: object, limit: int = _MAX_CHARS) -> str:
    r"""Return ``text`` safe to print on one line: controls escaped, at most ``limit`` characters.

    Examples
    --------
    >>> clean("a\n::error::b")
    'a\\n::error::b'
    >>> clean("x" * 500, limit=5)
    'xxxxx…'
    """
    text = str(text)
    if len(text) > limit:
        text = text[:limit] + "…"
    return _UNSAFE.sub(lambda m: _ESCAPES.get(m.group(), f"\\u{ord(m.group()):04x}"), text)


class ValidationError(ValueError):
    """Raised by :meth:`ValidationReport.raise_for_errors`; carries the report."""

    def __init__(self, report: "ValidationReport"):
        self.report = report
        super().__init__(str(report))


def _empty_errors() -> pd.DataFrame:
    return pd.DataFrame(columns=ERROR_COLUMNS)


def _empty_omitted() -> pd.DataFrame:
    return pd.DataFrame(columns=_OMITTED_COLUMNS)


@dataclass
class ValidationReport:
    """The outcome of :func:`usjapan_data.validate`.

    Attributes
    ----------
    source : str
        What was validated (a path, ``"installed package"`` or ``"tables"``).
    rows : dict of str to int
        Rows read per table.
    errors : pandas.DataFrame
        One row per problem: file, table, row (1-based data row, or null),
        line (the physical line of that row in a CSV file, or null), column,
        check, found, expected, message.
    omitted : pandas.DataFrame
        Errors found beyond :data:`usjapan_data.limits.MAX_ERRORS`, counted
        per table, check and column (columns table, check, column, count).
    """

    source: str
    rows: dict[str, int] = field(default_factory=dict)
    errors: pd.DataFrame = field(default_factory=_empty_errors)
    omitted: pd.DataFrame = field(default_factory=_empty_omitted)

    def __post_init__(self) -> None:
        self.source = clean(self.source)

    @property
    def valid(self) -> bool:
        """True when no problem was found."""
        return self.errors.empty and self.omitted.empty

    @property
    def error_count(self) -> int:
        """Every error found: those kept in ``errors`` and those omitted."""
        return int(len(self.errors) + self.omitted["count"].sum())

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready data."""
        def plain(frame: pd.DataFrame) -> list[dict[str, Any]]:
            frame = frame.astype(object).where(frame.notna(), None)
            return [{k: (int(v) if isinstance(v, np.integer) else v) for k, v in rec.items()}
                    for rec in frame.to_dict(orient="records")]

        return {
            "source": self.source,
            "valid": self.valid,
            "rows": dict(self.rows),
            "error_count": self.error_count,
            "errors": plain(self.errors),
            "omitted": plain(self.omitted),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, default=str)

    def raise_for_errors(self) -> None:
        """Raise :class:`ValidationError` if the report has any error."""
        if not self.valid:
            raise ValidationError(self)

    def format_text(self, limit: int = 50) -> str:
        """A readable summary: rows and errors per table, then the errors, grouped.

        Every line starts with text of the report's own (a table name, a dash,
        "at"), never with a value from the input.
        """
        lines = [f"Validation of {self.source}: {'VALID' if self.valid else 'INVALID'}"]
        counts = Counter(self.errors["table"].fillna("(package)"))
        for table, n in self.omitted.groupby(self.omitted["table"].fillna("(package)"))["count"]:
            counts[table] += int(n.sum())
        for table, n in self.rows.items():
            bad = counts.pop(table, 0)
            lines.append(f"  {table:<20} {n:>8} rows  {'ok' if not bad else f'{bad} error(s)'}")
        for table, bad in counts.items():
            lines.append(f"  {table:<20} {'':>8}       {bad} error(s)")
        if self.valid:
            return "\n".join(lines)
        lines.append(f"{self.error_count} error(s):")
        shown = self.errors.head(max(limit, 0))
        for (table, check), group in shown.groupby(
            [shown["table"].fillna("(package)"), "check"], sort=False
        ):
            lines.append(f"- {table}: {check} ({len(group)})")
            for rec in group.itertuples(index=False):
                lines.append(f"    at {_where(rec)}: {rec.message}")
        if len(self.errors) > len(shown):
            lines.append(f"  … and {len(self.errors) - len(shown)} more (use --format json for all)")
        for rec in self.omitted.itertuples(index=False):
            where = f"{rec.table}.{rec.column}" if _present(rec.column) else str(rec.table)
            lines.append(f"  … and {rec.count} more {rec.check} error(s) in {where}, not kept "
                         f"(a report keeps {limits.MAX_ERRORS} errors in full)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format_text()


    def _repr_html_(self, limit: int = 50) -> str:
        """The report as HTML tables, for Jupyter: rows and errors per table, then the errors.

        Every value is escaped: a cell may hold any text from the data.
        """
        def cells(tag: str, values: list[Any]) -> str:
            return "".join(
                f"<{tag}>{escape(str(v)) if _present(v) else ''}</{tag}>" for v in values
            )

        status = "VALID" if self.valid else f"INVALID, {self.error_count} error(s)"
        counts = self.errors["table"].value_counts()
        html = [f"<div><p><strong>Validation of {escape(self.source)}: {status}</strong></p>",
                "<table><thead><tr><th>table</th><th>rows</th><th>errors</th></tr></thead><tbody>"]
        html += [f"<tr>{cells('td', [t, n, int(counts.get(t, 0))])}</tr>" for t, n in self.rows.items()]
        html.append("</tbody></table>")
        if not self.valid:
            html.append(f"<table><thead><tr>{cells('th', list(self.errors.columns))}</tr></thead><tbody>")
            for rec in self.errors.head(limit).itertuples(index=False):
                html.append(f"<tr>{cells('td', list(rec))}</tr>")
            html.append("</tbody></table>")
            if self.error_count > limit:
                html.append(f"<p>… and {self.error_count - limit} more: see <code>.errors</code>"
                            " and <code>.omitted</code></p>")
        html.append("</div>")
        return "\n".join(html)


def _where(rec: Any) -> str:
    parts = [str(rec.file) if _present(rec.file) else None]
    if _present(rec.table):
        parts.append(f"table {rec.table}")
    if _present(rec.row):
        parts.append(f"row {int(rec.row)}")
    if _present(rec.column):
        parts.append(f"column {rec.column}")
    return ", ".join(p for p in parts if p) or "package"


def _present(value: Any) -> bool:
    return value is not None and value is not pd.NA and not (
        isinstance(value, float) and np.isnan(value))


class Findings:
    """Gathers problems as records (at most ``MAX_ERRORS`` kept), turned into a report at the end.

    Also the state the reader shares with the checks: the file each table
    came from, the tables whose file failed, the physical line of each row
    of a CSV table, and the columns and cells already reported.
    """

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.omitted: Counter[tuple[Any, str, Any]] = Counter()
        self.files: dict[str, str] = {}
        self.failed: set[str] = set()  # tables whose file was refused or unreadable
        self.lines: dict[str, np.ndarray] = {}  # table -> physical line of each data row (CSV)
        self.reported_columns: set[tuple[str, str]] = set()
        # (table, column) -> the cells (0-based rows) the reader reported, which the checks skip
        self.reported_cells: dict[tuple[str, str], np.ndarray] = {}

    def _room(self, n: int, key: tuple[Any, str, Any]) -> int:
        room = max(0, limits.MAX_ERRORS - len(self.records))
        if n > room:
            self.omitted[key] += n - room
        return min(n, room)

    def add(self, table: str | None, check: str, message: str, *, row: int | None = None,
            column: str | None = None, found: Any = None, expected: str | None = None,
            file: str | None = None) -> None:
        """Record one problem; ``row`` is 1-based."""
        if not self._room(1, (table, check, column)):
            return
        self.records.append({
            "file": file or (self.files.get(table) if table else None),
            "table": table, "row": row, "line": None, "column": column, "check": check,
            "found": None if found is None else str(found), "expected": expected,
            "message": message,
        })

    def add_rows(self, table: str, check: str, rows: np.ndarray, column: str | None,
                 found: Callable[[np.ndarray], list[str]], expected: str, message: str) -> None:
        """Record one problem per row (0-based ``rows``); ``found`` is called only for those kept."""
        rows = np.asarray(rows)
        kept = rows[: self._room(len(rows), (table, check, column))]
        if not len(kept):
            return
        file = self.files.get(table)
        for r, f in zip(kept.tolist(), found(kept)):
            self.records.append({
                "file": file, "table": table, "row": int(r) + 1, "line": None, "column": column,
                "check": check, "found": f, "expected": expected,
                "message": f"{message}: found {f}, expected {expected}",
            })

    def report(self, source: str, rows: dict[str, int]) -> ValidationReport:
        """The findings as a :class:`ValidationReport`, every text cleaned."""
        texts = ("file", "table", "column", "check", "found", "expected", "message")
        records = [{k: (clean(v) if k in texts and v is not None else v) for k, v in rec.items()}
                   for rec in self.records]
        frame = pd.DataFrame(records, columns=ERROR_COLUMNS, dtype=object)
        frame["row"] = frame["row"].astype("Int64")
        frame["line"] = self._lines(frame)
        omitted = pd.DataFrame(
            [(None if t is None else clean(t), clean(c), None if col is None else clean(col), n)
             for (t, c, col), n in self.omitted.items()], columns=_OMITTED_COLUMNS, dtype=object)
        omitted["count"] = omitted["count"].astype("int64")
        return ValidationReport(source, dict(rows), frame, omitted)

    def _lines(self, frame: pd.DataFrame) -> pd.Series:
        lines = pd.Series(pd.array([None] * len(frame), dtype="Int64"), index=frame.index)
        for table, starts in self.lines.items():
            if not len(starts):
                continue
            mask = (frame["table"] == table) & frame["row"].notna()
            rows = frame.loc[mask, "row"].to_numpy(dtype="int64")
            inside = rows <= len(starts)
            values = np.where(inside, starts[np.minimum(rows, len(starts)) - 1], -1)
            lines[mask] = pd.array(np.where(values > 0, values, None).tolist(), dtype="Int64")
        return lines
