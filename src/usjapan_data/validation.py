"""Validate the tables, the shipped package or a researcher's copy, all at once.

:func:`validate` never raises on bad data: it returns a
:class:`ValidationReport` whose ``errors`` frame has one row per problem,
with the file, table, row, column, check, what was found, what was expected
and a message a person can act on. :meth:`ValidationReport.raise_for_errors`
raises :class:`ValidationError` for callers who want an exception.

What is checked:

- the descriptor (when validating a package): well-formed JSON, a resource
  for every table, safe local paths (no ``..``, absolute paths, symlinks out
  of the package, URLs or hidden files), each file's sha256 against its
  recorded hash, files readable;
- each table against its model (:mod:`usjapan_data.schema`): columns present
  and no others, types, nullability, vocabularies, patterns, ranges, and the
  rules across the columns of a row;
- primary keys, foreign keys, the links from evidence and record_actors to
  the record tables, and rules across tables: every coded record has
  evidence, every commitment a committer, every recommendation an addressee,
  evidence and recommenders point at source documents.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from usjapan_data import schema
from usjapan_data.conform import conform_column
from usjapan_data.rules import check_rules

__all__ = ["ValidationReport", "ValidationError", "validate", "validate_tables"]

ERROR_COLUMNS = ["file", "table", "row", "column", "check", "found", "expected", "message"]

class ValidationError(ValueError):
    """Raised by :meth:`ValidationReport.raise_for_errors`; carries the report."""

    def __init__(self, report: "ValidationReport"):
        self.report = report
        super().__init__(str(report))


@dataclass
class ValidationReport:
    """The outcome of :func:`validate`.

    Attributes
    ----------
    source : str
        What was validated (a path, ``"installed package"`` or ``"tables"``).
    rows : dict of str to int
        Rows read per table.
    errors : pandas.DataFrame
        One row per problem: file, table, row (1-based data row, or null),
        column, check, found, expected, message.
    """

    source: str
    rows: dict[str, int] = field(default_factory=dict)
    errors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ERROR_COLUMNS))

    @property
    def valid(self) -> bool:
        """True when no problem was found."""
        return self.errors.empty

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready data."""
        errors = self.errors.astype(object).where(self.errors.notna(), None)
        return {
            "source": self.source,
            "valid": self.valid,
            "rows": dict(self.rows),
            "error_count": int(len(self.errors)),
            "errors": [
                {k: (int(v) if isinstance(v, (np.integer,)) else v) for k, v in rec.items()}
                for rec in errors.to_dict(orient="records")
            ],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, default=str)

    def raise_for_errors(self) -> None:
        """Raise :class:`ValidationError` if the report has any error."""
        if not self.valid:
            raise ValidationError(self)

    def format_text(self, limit: int = 50) -> str:
        """A readable summary: rows and errors per table, then the errors, grouped."""
        lines = [f"Validation of {self.source}: {'VALID' if self.valid else 'INVALID'}"]
        counts = self.errors["table"].fillna("(package)").value_counts()
        for table, n in self.rows.items():
            bad = int(counts.get(table, 0))
            lines.append(f"  {table:<20} {n:>8} rows  {'ok' if not bad else f'{bad} error(s)'}")
        if "(package)" in counts:
            lines.append(f"  {'(package)':<20} {'':>8}       {counts['(package)']} error(s)")
        if self.valid:
            return "\n".join(lines)
        lines.append(f"{len(self.errors)} error(s):")
        shown = self.errors.head(limit)
        for (table, check), group in shown.groupby(
            [shown["table"].fillna("(package)"), "check"], sort=False
        ):
            lines.append(f"- {table}: {check} ({len(group)})")
            for rec in group.itertuples(index=False):
                lines.append(f"    {_where(rec)}: {rec.message}")
        if len(self.errors) > limit:
            lines.append(f"  … and {len(self.errors) - limit} more (use --format json for all)")
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

        status = "VALID" if self.valid else f"INVALID, {len(self.errors)} error(s)"
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
            if len(self.errors) > limit:
                html.append(f"<p>… and {len(self.errors) - limit} more: see <code>.errors</code></p>")
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
    return ", ".join(p for p in parts if p)


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and value is not pd.NA


class _Collector:
    """Gathers problems as records, turned into one frame at the end."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.files: dict[str, str] = {}
        self.failed: set[str] = set()  # tables whose file was refused or unreadable

    def add(self, table: str | None, check: str, message: str, *, row: int | None = None,
            column: str | None = None, found: Any = None, expected: str | None = None,
            file: str | None = None) -> None:
        self.records.append({
            "file": file or (self.files.get(table) if table else None),
            "table": table, "row": row, "column": column, "check": check,
            "found": None if found is None else str(found), "expected": expected,
            "message": message,
        })

    def add_rows(self, table: str, check: str, rows: np.ndarray, column: str | None,
                 found: list[str], expected: str, message: str) -> None:
        file = self.files.get(table)
        for r, f in zip(rows.tolist(), found):
            self.records.append({
                "file": file, "table": table, "row": int(r) + 1, "column": column,
                "check": check, "found": f, "expected": expected,
                "message": f"{message}: found {f!r}, expected {expected}",
            })

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.records, columns=ERROR_COLUMNS)
        frame["row"] = frame["row"].astype("Int64")
        return frame


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


def _to_pandas(frame: Any) -> pd.DataFrame:
    if isinstance(frame, pd.DataFrame):
        return frame
    module = type(frame).__module__
    if module.startswith(("polars", "pyarrow")):
        from usjapan_data.loading import arrow_to_pandas

        return arrow_to_pandas(frame.to_arrow() if module.startswith("polars") else frame)
    raise TypeError(
        f"found a {type(frame).__name__}, expected a pandas or polars DataFrame or a pyarrow Table"
    )


def _conform_table(name: str, frame: pd.DataFrame, out: _Collector) -> pd.DataFrame | None:
    """Conform a table to its model; None when columns are missing."""
    specs = schema.column_specs(schema.TABLES[name])
    names = [s.name for s in specs]
    missing = [n for n in names if n not in frame.columns]
    extra = [c for c in frame.columns if c not in names]
    for column in extra:
        out.add(name, "column_in_schema", f"unexpected column {column!r}; the columns of "
                f"{name} are {', '.join(names)}", column=str(column), found=column,
                expected="no such column")
    for column in missing:
        out.add(name, "column_in_dataframe", f"missing column {column!r}", column=column,
                expected=f"a column {column}")
    if missing:
        return None
    columns = {}
    for spec in specs:
        values, problems = conform_column(frame[spec.name], spec)
        for rows, found, expected in problems:
            out.add_rows(name, "dtype", rows, spec.name, found, expected,
                         f"{name}.{spec.name} has a value of the wrong type")
        columns[spec.name] = values
    return pd.DataFrame(columns)


def _expected(check: str) -> str:
    if check == "not_nullable":
        return "a value (the column is required)"
    if check.startswith("str_matches"):
        return "text matching " + check[len("str_matches("):-1]
    if check.startswith("greater_than_or_equal_to"):
        return ">= " + check[len("greater_than_or_equal_to("):-1]
    if check.startswith("less_than_or_equal_to"):
        return "<= " + check[len("less_than_or_equal_to("):-1]
    if check.startswith("str_length"):
        return "non-empty text"
    return check


@lru_cache(maxsize=None)
def _value_schema(name: str) -> Any:
    """The table's pandera schema without dtypes, for frames already conformed.

    :func:`_conform_table` builds every column in exactly its declared dtype
    (reporting what did not fit), so checking dtypes again would only cost
    time; the values, nullability, patterns, ranges and row rules remain.
    """
    full = schema.TABLES[name].to_schema()
    return full.update_columns({column: {"dtype": None} for column in full.columns})


def _model_checks(name: str, frame: pd.DataFrame, out: _Collector) -> None:
    import pandera.errors

    model = schema.TABLES[name]
    try:
        _value_schema(name).validate(frame, lazy=True)
        return
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    # pandera names a failed dataframe-level check by its error text, and
    # reports it once per column of the failing row: report it once, by name
    rules = {c.error: c for c in model.to_schema().checks}
    seen_rules: set[tuple[str, int | None]] = set()
    for case in cases.itertuples(index=False):
        check = str(case.check)
        index = None if pd.isna(case.index) else int(case.index)
        rule = rules.get(check) if case.schema_context == "DataFrameSchema" else None
        if rule is not None:
            rule_name = schema.rule_name(rule)
            if (rule_name, index) in seen_rules:
                continue
            seen_rules.add((rule_name, index))
            cols = [c for c in schema.RULE_COLUMNS.get(rule_name, frame.columns) if c in frame]
            found = ", ".join(f"{c}={_show(frame[c].iloc[index])}" for c in cols) if index is not None else None
            out.add(name, rule_name, f"{rule.error}: found {found}", row=None if index is None else index + 1,
                    column=", ".join(cols), found=found, expected=rule.error)
            continue
        column = None if pd.isna(case.column) else str(case.column)
        found = None if pd.isna(case.failure_case) else case.failure_case
        expected = _expected(check)
        out.add(name, check, f"{name}.{column}: found {_show(found)}, expected {expected}",
                row=None if index is None else index + 1, column=column,
                found=_show(found), expected=expected)


def _show(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "null"
    if isinstance(value, pd.Timestamp):
        return "null" if pd.isna(value) else value.date().isoformat()
    return str(value)


def _arrow(series: pd.Series) -> pa.Array:
    """A text column as an Arrow array (zero-copy for string[pyarrow])."""
    return pa.array(series.array, from_pandas=True)


def _outside(values: pa.Array, target: pa.Array) -> np.ndarray:
    """Positions of the values that are set but not among ``target`` (hash lookup in Arrow)."""
    bad = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=target)))
    return np.flatnonzero(bad.to_numpy(zero_copy_only=False))


def _cross_checks(tables: dict[str, pd.DataFrame], out: _Collector) -> None:
    # The frames are conformed: text is string[pyarrow], vocabularies categorical.
    # Keys are compared in Arrow (hash sets), categories by their codes; no
    # column is turned into Python objects.
    keys: dict[str, pa.Array] = {}
    for name, frame in tables.items():
        meta = schema.keys(schema.TABLES[name])
        pk = meta["primary_key"]
        dup = frame.duplicated(subset=pk, keep="first") & frame[pk].notna().all(axis=1)
        if dup.any():
            rows = np.flatnonzero(dup.to_numpy())
            found = (frame[pk[0]].iloc[rows].astype(object) if len(pk) == 1 else
                     pd.Series(list(zip(*(frame[f].iloc[rows].astype(object) for f in pk)))))
            out.add_rows(name, "primary_key", rows, ", ".join(pk), [_show(v) for v in found],
                         "a value not already used", f"duplicate primary key ({', '.join(pk)})")
        if len(pk) == 1:
            keys[name] = pc.drop_null(_arrow(frame[pk[0]]))

    def ids(table: str) -> pa.Array:
        return keys.get(table, pa.array([], pa.string()))

    def refer(name: str, column: str, target: pa.Array, what: str,
              rows: np.ndarray | None = None) -> None:
        """Report the rows (all, or ``rows``) of ``name.column`` whose value is not in target."""
        values = _arrow(tables[name][column])
        bad = _outside(values if rows is None else values.take(rows), target)
        if len(bad):
            bad = bad if rows is None else rows[bad]
            out.add_rows(name, "foreign_key", bad, column,
                         [str(v) for v in tables[name][column].iloc[bad]],
                         what, f"{name}.{column} points at nothing")

    for name, frame in tables.items():
        meta = schema.keys(schema.TABLES[name])
        for fk in meta.get("foreign_keys", []):
            (column,), ref = fk["fields"], fk["reference"]
            if ref["resource"] in tables:
                refer(name, column, ids(ref["resource"]),
                      f"an existing {ref['resource']}.{ref['fields'][0]}")
        for link in filter(None, (meta.get("record_link"), meta.get("target_link"))):
            kinds = frame[link["table"]]
            codes = kinds.cat.codes.to_numpy()
            for code, table in enumerate(kinds.cat.categories):
                rows = np.flatnonzero(codes == code)
                if table in tables and len(rows):
                    refer(name, link["id"], ids(table), f"an existing {table} id", rows)

    refs = tables.get("references")
    if refs is not None:
        sources = _arrow(refs.loc[(refs["role"] == "source_document").to_numpy(), "reference_id"])
        for name, column in (("evidence", "source_id"), ("recommendations", "recommender_id"),
                             ("references", "cited_by")):
            if name in tables:
                refer(name, column, sources, "a reference of role source_document")

    def primary(table: str) -> pd.Series:
        return tables[table][schema.keys(schema.TABLES[table])["primary_key"][0]]

    def covered(table: str, frame: pd.DataFrame, mask: pd.Series) -> np.ndarray:
        """Whether each key of ``table`` is a record_id of the rows of ``frame`` in ``mask``."""
        present = pc.unique(_arrow(frame["record_id"]).filter(mask.to_numpy()))
        found = pc.is_in(_arrow(primary(table)), value_set=present)
        return pc.fill_null(found, False).to_numpy(zero_copy_only=False)

    evidence = tables.get("evidence")
    links = tables.get("record_actors")
    for table in schema.CODED_TABLES:
        if table not in tables:
            continue
        if evidence is not None:
            _missing(out, table, covered(table, evidence, evidence["record_table"] == table),
                     primary(table), "evidence", "at least one evidence row",
                     "the record has no evidence")
        if links is not None and table in ("commitments", "recommendations"):
            role = "committer" if table == "commitments" else "addressee"
            mask = (links["record_table"] == table) & (links["role"] == role)
            _missing(out, table, covered(table, links, mask), primary(table), f"{role}",
                     f"a record_actors row with role {role}", f"the record names no {role}")
    members = tables.get("actor_members")
    actors = tables.get("actors")
    if members is not None and actors is not None:
        states = _arrow(actors.loc[(actors["kind"] == "state").to_numpy(), "actor_id"])
        found = pc.fill_null(pc.is_in(_arrow(members["grouping_id"]), value_set=states), False)
        rows = np.flatnonzero(found.to_numpy(zero_copy_only=False))
        if len(rows):
            out.add_rows("actor_members", "grouping_kind", rows, "grouping_id",
                         members["grouping_id"].iloc[rows].astype(str).tolist(),
                         "a grouping or organisation", "a state cannot have members")


def _missing(out: _Collector, table: str, covered: np.ndarray, key: pd.Series, check: str,
             expected: str, message: str) -> None:
    bad = ~covered
    if bad.any():
        rows = np.flatnonzero(bad)
        out.add_rows(table, check, rows, None, key.iloc[rows].astype(str).tolist(), expected, message)


def _check_tables(frames: Mapping[str, Any], out: _Collector, rows: dict[str, int]) -> None:
    conformed: dict[str, pd.DataFrame] = {}
    for name in frames:
        if name not in schema.TABLES:
            out.add(name, "unknown_table", f"unknown table {name!r}; the tables are "
                    f"{', '.join(schema.TABLES)}", found=name, expected="a table of the dataset")
    for name in schema.TABLES:
        if name not in frames:
            if name in out.failed:
                continue  # its file problem is already reported
            out.add(name, "table_present", f"required table {name!r} is missing",
                    expected=f"a table {name}")
            continue
        try:
            frame = _to_pandas(frames[name])
        except TypeError as exc:
            out.add(name, "table_type", str(exc))
            continue
        rows[name] = len(frame)
        table = _conform_table(name, frame, out)
        if table is None:
            continue
        _model_checks(name, table, out)
        conformed[name] = table
    _cross_checks(conformed, out)
    check_rules(conformed, out.add_rows)


def validate_tables(tables: Mapping[str, Any], source: str = "tables") -> ValidationReport:
    """Validate a mapping of table name to DataFrame (pandas or polars)."""
    out = _Collector()
    report = ValidationReport(source)
    _check_tables(tables, out, report.rows)
    report.errors = out.frame()
    return report


def validate(source: str | os.PathLike[str] | Mapping[str, Any] | None = None) -> ValidationReport:
    """Validate the installed package, a data package on disk, or tables in memory.

    Parameters
    ----------
    source : None, path-like or mapping, optional
        ``None`` validates the installed package. A path names a
        ``datapackage.json`` or a folder holding one (Parquet or CSV
        resources). A mapping of table name to pandas DataFrame, polars
        DataFrame or pyarrow Table validates those tables.

    Returns
    -------
    ValidationReport
        ``.valid``, ``.errors`` (a DataFrame: file, table, row, column,
        check, found, expected, message), ``.to_dict()``, ``.to_json()``,
        ``str()``, ``.raise_for_errors()``, and an HTML table in Jupyter.
        Never raises on bad data.

    Examples
    --------
    >>> import usjapan_data
    >>> report = usjapan_data.validate()
    >>> report.valid
    True
    >>> tables = usjapan_data.load_tables()
    >>> tables["events"].loc[0, "date_precision"] = "decade"
    >>> usjapan_data.validate(tables).valid
    False
    """
    if isinstance(source, Mapping):
        return validate_tables(source)
    from usjapan_data.package import read_package
    from usjapan_data.loading import descriptor_path

    path = Path(source) if source is not None else descriptor_path()
    out = _Collector()
    report = ValidationReport("installed package" if source is None else str(path))
    frames = read_package(path, out)
    if frames is not None:
        _check_tables(frames, out, report.rows)
    report.errors = out.frame()
    return report
