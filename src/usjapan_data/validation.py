"""Validate the tables, the shipped package or a researcher's copy, all at once.

:func:`validate` never raises on bad data: it returns a
:class:`~usjapan_data.report.ValidationReport` whose ``errors`` frame has one
row per problem, with the file, table, row, column, check, what was found,
what was expected and a message a person can act on.
:meth:`~usjapan_data.report.ValidationReport.raise_for_errors` raises
:class:`~usjapan_data.report.ValidationError` for callers who want an
exception.

One error per problem: each value is reported once, by the first check it
fails, in this order: ``type`` or ``vocabulary`` (the value is not of the
column's kind or not among its allowed values), ``required``, then the
column's own checks as the table definition declares them (``pattern``,
``range``, ``length``, ...), ``unique``, the row rules (by their names),
``primary_key`` and ``foreign_key``. A later check never reports a value an
earlier one did (a bad value left missing is not also "required").

What is checked:

- the descriptor and files (when validating a package; see
  :mod:`usjapan_data.package`): well-formed JSON, safe local paths, each
  file's hash (a mismatch is reported and the table still checked), the
  limits of :mod:`usjapan_data.limits`, files readable;
- each table against its model (:mod:`usjapan_data.schema`): columns present
  and no others, types, nullability, vocabularies, patterns, ranges, lengths
  and the rules across the columns of a row;
- primary keys, foreign keys, the links from evidence and record_actors to
  the record tables, and rules across tables: every coded record has
  evidence, every commitment a committer, every recommendation an addressee,
  evidence and recommenders point at source documents;
- what a copy adds, by its own descriptor (see :mod:`usjapan_data.extension`):
  a column added to a core table against its declared field, an added table
  against its declared Table Schema (types, constraints, primary key,
  foreign keys into the core tables, other added tables or itself), with
  the same checks and in the same order as above. An undeclared column or
  table is an error; a category value beyond a core vocabulary is one too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from usjapan_data import schema
from usjapan_data.conform import arrow_frame, conform_column, show
from usjapan_data.extension import Definition, Extension, core_definition, read_text
from usjapan_data.report import ERROR_COLUMNS, Findings, ValidationError, ValidationReport
from usjapan_data.rules import check_rules

__all__ = ["ValidationReport", "ValidationError", "validate", "validate_tables", "ERROR_COLUMNS"]

#: What each conform check says, in a message.
_SAYS = {
    "type": "has a value of the wrong type",
    "vocabulary": "has a value outside its vocabulary",
    "required": "is required",
    "pattern": "does not match its pattern",
    "range": "is out of range",
    "length": "has a value of the wrong length",
    "unique": "repeats a value",
}


# --------------------------------------------------------------------------
# The checks of each column, read from the table definition
# --------------------------------------------------------------------------

Test = Callable[[pd.Series], pd.Series]


def _column_check(check: Any) -> tuple[str, Test, str]:
    """A pandera column check as (codebook name, test of the set values, expected)."""
    stats = check.statistics or {}
    name = check.name
    if name == "str_matches":
        core = stats["pattern"].removeprefix("^").removesuffix("$")
        # fullmatch: "$" would accept a trailing newline
        return "pattern", lambda s: s.str.fullmatch(core), f"text matching {core}"
    bounds = {
        "greater_than_or_equal_to": (lambda s, v: s >= v, ">= {}", "min_value"),
        "greater_than": (lambda s, v: s > v, "> {}", "min_value"),
        "less_than_or_equal_to": (lambda s, v: s <= v, "<= {}", "max_value"),
        "less_than": (lambda s, v: s < v, "< {}", "max_value"),
    }
    if name in bounds:
        test, text, key = bounds[name]
        value = stats[key]
        return "range", lambda s: test(s, value), "a value " + text.format(value)
    if name == "in_range":
        low, high = stats["min_value"], stats["max_value"]
        return "range", lambda s: (s >= low) & (s <= high), f"a value from {low} to {high}"
    if name == "str_length":
        low, high, exact = stats.get("min_value"), stats.get("max_value"), stats.get("exact_value")
        if exact is not None:
            low = high = exact
        def length(s: pd.Series) -> pd.Series:
            n = s.str.len()
            return (n >= (low or 0)) & (n <= (high if high is not None else np.inf))
        expected = (f"at least {low} character(s)" if high is None else
                    f"from {low or 0} to {high} characters")
        return "length", length, expected
    if name == "isin":
        allowed = list(stats["allowed_values"])
        return "vocabulary", lambda s: s.isin(allowed), "one of " + ", ".join(map(str, allowed))
    # a custom check: its own name and error text
    def custom(s: pd.Series) -> pd.Series:
        output = check(s).check_output
        return output.reindex(s.index, fill_value=True)
    return name, custom, check.error or name


def _column_checks(definition: Definition) -> dict[str, list[tuple[str, Test, str]]]:
    return {name: [_column_check(c) for c in checks] for name, checks in definition.checks.items()}


# --------------------------------------------------------------------------
# One table
# --------------------------------------------------------------------------


def _to_pandas(frame: Any) -> pd.DataFrame:
    if isinstance(frame, pd.DataFrame):
        return frame
    module = type(frame).__module__
    if module.startswith("polars"):
        if type(frame).__name__ == "LazyFrame":
            frame = frame.collect()
        if type(frame).__name__ == "DataFrame":
            return arrow_frame(frame.to_arrow())
    if isinstance(frame, pa.RecordBatch):
        frame = pa.Table.from_batches([frame])
    if isinstance(frame, pa.Table):
        return arrow_frame(frame)
    raise TypeError(f"found a {type(frame).__name__}, expected a pandas or polars DataFrame "
                    "or LazyFrame, or a pyarrow Table")


class _Table:
    """A table being checked: its conformed columns and the cells already reported."""

    def __init__(self, name: str, out: Findings) -> None:
        self.name, self.out = name, out
        self.columns: dict[str, pd.Series] = {}
        self.bad: dict[str, np.ndarray] = {}

    def report(self, check: str, column: str, failing: Any, found: Callable[[np.ndarray], list[str]],
               expected: str) -> None:
        mask = np.asarray(pd.Series(failing).to_numpy(dtype=bool, na_value=False))
        rows = np.flatnonzero(mask & ~self.bad[column])
        if len(rows):
            self.out.add_rows(self.name, check, rows, column, found, expected,
                              f"{self.name}.{column} {_SAYS.get(check, 'fails ' + check)}")
            self.bad[column][rows] = True

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns)

    def clean_rows(self, columns: list[str]) -> np.ndarray:
        """Whether each row has no reported cell among ``columns``."""
        bad = np.zeros(len(next(iter(self.bad.values()))) if self.bad else 0, dtype=bool)
        for column in columns:
            if column in self.bad:
                bad |= self.bad[column]
        return ~bad


def _found(values: pd.Series) -> Callable[[np.ndarray], list[str]]:
    return lambda rows: [show(v) for v in values.iloc[rows].tolist()]


def _blank(values: pd.Series) -> pd.Series:
    """Missing, or text that is empty or only whitespace."""
    missing = values.isna()
    if isinstance(values.dtype, pd.StringDtype):
        text = pa.array(values.array, from_pandas=True)
        blank = pc.or_(pc.utf8_is_space(text), pc.equal(pc.binary_length(text), 0))
        missing |= pc.fill_null(blank, False).to_numpy(zero_copy_only=False)
    return missing


def check_columns(name: str, names: list[str], present: list[Any], out: Findings) -> list[str]:
    """Report duplicated, unexpected and missing columns of a table; return the missing ones."""
    duplicated = {c for c in present if present.count(c) > 1}
    for column in sorted(map(str, duplicated)):
        out.add(name, "column_duplicate", f"column {column!r} appears {present.count(column)} "
                "times", column=column, found=column, expected="each column once")
        out.reported_columns.add((name, column))
    for column in dict.fromkeys(present):
        if column not in names and column not in duplicated:
            out.add(name, "column_unexpected", f"unexpected column {column!r}; the columns of "
                    f"{name} are {', '.join(names)} (a copy that adds a column declares it "
                    "in the table's schema)", column=str(column), found=column,
                    expected="no such column")
    missing = [n for n in names if n not in present and (name, n) not in out.reported_columns]
    for column in missing:
        out.add(name, "column_missing", f"missing column {column!r}", column=column,
                expected=f"a column {column}")
    return missing


def _conform_table(definition: Definition, frame: pd.DataFrame, out: Findings,
                   checks: bool = True) -> _Table | None:
    """Conform a table to its definition (None when columns are missing), then check its values.

    With ``checks=False`` only the columns and the types are checked (the
    SQL engine of :mod:`usjapan_data.streaming` checks the values).
    """
    name, specs = definition.name, definition.specs
    if check_columns(name, [s.name for s in specs], list(frame.columns), out):
        return None
    table = _Table(name, out)
    n = len(frame)
    for spec in specs:
        if (name, spec.name) in out.reported_columns:  # reported as a whole already
            table.columns[spec.name] = pd.Series(pd.array([None] * n, dtype=spec.dtype)) \
                if spec.kind != "date" else pd.Series(np.full(n, np.datetime64("NaT"), "datetime64[ns]"))
            table.bad[spec.name] = np.ones(n, dtype=bool)
            continue
        column = frame[spec.name]
        if spec.name in definition.text:  # a declared field: Table Schema's reading rules
            column = read_text(column.reset_index(drop=True), spec, definition.text[spec.name])
        values, problems = conform_column(column, spec)
        table.columns[spec.name] = values
        table.bad[spec.name] = out.reported_cells.get((name, spec.name), np.zeros(n, dtype=bool)).copy()
        for problem in problems:
            mask = np.zeros(n, dtype=bool)
            mask[problem.rows] = True
            table.report(problem.check, spec.name, mask, problem.found, problem.expected)
    if checks:
        _value_checks(table, definition)
    return table


def _value_checks(table: _Table, definition: Definition) -> None:
    checks = _column_checks(definition)
    for spec in definition.specs:
        values = table.columns[spec.name]
        if not spec.nullable:
            declared = spec.name in definition.text  # Table Schema: required is not missing
            table.report("required", spec.name, values.isna() if declared else _blank(values),
                         lambda rows, v=values: ["null" if pd.isna(x) else repr(x)
                                                 for x in v.iloc[rows].tolist()],
                         "a value (the column is required)")
        for check, test, expected in checks.get(spec.name, []):
            candidates = values.notna().to_numpy() & ~table.bad[spec.name]
            if not candidates.any():
                continue
            passed = test(values[candidates])
            failing = np.zeros(len(values), dtype=bool)
            failing[np.flatnonzero(candidates)] = ~np.asarray(
                pd.Series(passed).to_numpy(dtype=bool, na_value=False))
            table.report(check, spec.name, failing, _found(values), expected)
    for column in definition.unique:
        values = table.columns[column]
        repeated = _repeated(table.columns, [column]) & values.notna().to_numpy()
        table.report("unique", column, repeated, _found(values), "a value not already used")
    frame = table.frame()
    for rule in definition.rules:
        rule_name = schema.rule_name(rule)
        columns = [c for c in schema.RULE_COLUMNS.get(rule_name, frame.columns) if c in frame]
        output = rule(frame).check_output
        if isinstance(output, pd.DataFrame):
            output = output.all(axis=1)
        failing = ~output.to_numpy(dtype=bool, na_value=True) & table.clean_rows(columns)
        rows = np.flatnonzero(failing)
        if not len(rows):
            continue
        def found(kept: np.ndarray, cols: list[str] = columns) -> list[str]:
            return [", ".join(f"{c}={show(frame[c].iloc[r])}" for c in cols) for r in kept.tolist()]
        table.out.add_rows(table.name, rule_name, rows, ", ".join(columns), found, rule.error,
                           f"{table.name}: {rule.error}")
        for column in columns:  # one error per problem: a later rule on these cells is skipped
            table.bad[column][rows] = True


# --------------------------------------------------------------------------
# Across tables
# --------------------------------------------------------------------------


def _arrow(series: pd.Series) -> pa.Array:
    """A text column as an Arrow array (zero-copy for string[pyarrow])."""
    return pa.array(series.array, from_pandas=True)


def _outside(values: pa.Array, target: pa.Array) -> np.ndarray:
    """Positions of the values that are set but not among ``target`` (hash lookup in Arrow)."""
    bad = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=target)))
    return np.flatnonzero(pc.fill_null(bad, False).to_numpy(zero_copy_only=False))


def _cross_checks(checked: dict[str, _Table], out: Findings) -> None:
    # The frames are conformed: text is string[pyarrow], vocabularies categorical.
    # Keys are compared in Arrow (hash sets), categories by their codes; no
    # column is turned into Python objects. A cell already reported is skipped.
    tables = {name: t.frame() for name, t in checked.items()}
    keys: dict[str, pa.Array] = {}
    for name, frame in tables.items():
        pk = schema.keys(schema.TABLES[name])["primary_key"]
        usable = checked[name].clean_rows(pk) & frame[pk].notna().all(axis=1).to_numpy()
        dup = frame.duplicated(subset=pk, keep="first").to_numpy() & usable
        if dup.any():
            rows = np.flatnonzero(dup)
            def found(kept: np.ndarray, f: pd.DataFrame = frame, pk: list[str] = pk) -> list[str]:
                return [", ".join(show(f[c].iloc[r]) for c in pk) for r in kept.tolist()]
            out.add_rows(name, "primary_key", rows, ", ".join(pk), found,
                         "a value not already used", f"{name}: duplicate primary key ({', '.join(pk)})")
        if len(pk) == 1:
            keys[name] = pc.drop_null(_arrow(frame[pk[0]]))

    def ids(table: str) -> pa.Array:
        return keys.get(table, pa.array([], pa.string()))

    def refer(name: str, column: str, target: pa.Array, what: str,
              rows: np.ndarray | None = None) -> None:
        """Report the rows (all, or ``rows``) of ``name.column`` whose value is not in target."""
        usable = checked[name].clean_rows([column])
        if rows is not None:
            chosen = np.zeros(len(usable), dtype=bool)
            chosen[rows] = True
            usable &= chosen
        values = _arrow(tables[name][column])
        if usable.all():
            bad = _outside(values, target)
        else:
            rows = np.flatnonzero(usable)
            bad = rows[_outside(values.take(pa.array(rows, pa.int64())), target)]
        if len(bad):
            out.add_rows(name, "foreign_key", bad, column, _found(tables[name][column]),
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
        sources = pc.drop_null(_arrow(refs.loc[(refs["role"] == "source_document").to_numpy(),
                                               "reference_id"]))
        for name, column in (("evidence", "source_id"), ("recommendations", "recommender_id"),
                             ("references", "cited_by")):
            if name in tables:
                refer(name, column, sources, "a reference of role source_document")

    def primary(table: str) -> pd.Series:
        return tables[table][schema.keys(schema.TABLES[table])["primary_key"][0]]

    def covered(table: str, frame: pd.DataFrame, mask: pd.Series) -> np.ndarray:
        """Whether each key of ``table`` is a record_id of the rows of ``frame`` in ``mask``."""
        present = pc.unique(_arrow(frame["record_id"]).filter(mask.to_numpy(dtype=bool, na_value=False)))
        found = pc.is_in(_arrow(primary(table)), value_set=present)
        return pc.fill_null(found, False).to_numpy(zero_copy_only=False) | primary(table).isna().to_numpy()

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
        states = pc.drop_null(_arrow(actors.loc[(actors["kind"] == "state").to_numpy(), "actor_id"]))
        found = pc.fill_null(pc.is_in(_arrow(members["grouping_id"]), value_set=states), False)
        rows = np.flatnonzero(found.to_numpy(zero_copy_only=False))
        if len(rows):
            out.add_rows("actor_members", "grouping_kind", rows, "grouping_id",
                         _found(members["grouping_id"]), "a grouping or organisation",
                         "actor_members.grouping_id: a state cannot have members")
    check_rules(tables, out.add_rows)


def _missing(out: Findings, table: str, covered: np.ndarray, key: pd.Series, check: str,
             expected: str, message: str) -> None:
    bad = ~covered
    if bad.any():
        out.add_rows(table, check, np.flatnonzero(bad), None, _found(key), expected,
                     f"{table}: {message}")


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------


def _pandas_or_finding(name: str, frame: Any, out: Findings) -> pd.DataFrame | None:
    """The table as pandas, or None when its own library cannot convert it (a finding)."""
    try:
        return _to_pandas(frame)
    except Exception as exc:
        out.add(name, "table_type", f"table {name!r}: {type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:200] if str(exc) else ''}",
                expected="a pandas or polars DataFrame or a pyarrow Table")
        return None


def _check_tables(frames: Mapping[Any, Any], out: Findings, rows: dict[str, int],
                  extension: Extension | None = None) -> None:
    definitions = extension.definitions if extension is not None else {}
    checked: dict[str, _Table] = {}
    for name in frames:
        if name not in schema.TABLES:
            out.add(str(name), "unknown_table", f"unknown table {name!r}; the tables are "
                    f"{', '.join(schema.TABLES)}", found=name, expected="a table of the dataset")
    for name in schema.TABLES:
        if name not in frames:
            if name in out.failed:
                continue  # its file problem is already reported
            out.add(name, "table_present", f"required table {name!r} is missing",
                    expected=f"a table {name}")
            continue
        table = _frame_table(definitions.get(name) or core_definition(name), frames[name], out, rows)
        if table is not None:
            checked[name] = table
    _cross_checks(checked, out)
    if extension is None:
        return
    for name, data in extension.tables.items():
        table = _frame_table(definitions[name], data, out, rows)
        if table is not None:
            checked[name] = table
    _declared_keys(checked, definitions, out)


def _frame_table(definition: Definition, data: Any, out: Findings,
                 rows: dict[str, int]) -> _Table | None:
    name = definition.name
    frame = _pandas_or_finding(name, data, out)
    if frame is None:
        return None
    rows[name] = len(frame)
    return _conform_table(definition, frame, out)


def _key_array(values: pd.Series) -> pa.Array:
    """A key column as one Arrow array, categories as their values."""
    array = pa.array(values.array, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.dictionary_decode() if pa.types.is_dictionary(array.type) else array


def _joint_codes(columns: list[pa.Array]) -> np.ndarray:
    """One integer per row, equal where the rows' values are equal in every column.

    Codes grow in the order values first appear (Arrow's hash encoding); a
    row with a missing value in any column gets -1.
    """
    codes: np.ndarray | None = None
    for values in columns:
        code = pc.fill_null(pc.dictionary_encode(values).indices.cast(pa.int64()), -1).to_numpy()
        if codes is None:
            codes = code
            continue
        pair = np.where((codes >= 0) & (code >= 0), codes * (int(code.max(initial=0)) + 1) + code, -1)
        joint = pc.dictionary_encode(pa.array(pair)).indices.cast(pa.int64()).to_numpy()
        codes = np.where(pair < 0, -1, joint)
    assert codes is not None
    return codes


def _repeated(frame: Mapping[str, pd.Series], columns: list[str]) -> np.ndarray:
    """Whether each row repeats the (set) values of ``columns`` of an earlier row."""
    codes = _joint_codes([_key_array(frame[c]) for c in columns])
    seen = np.maximum.accumulate(np.concatenate([[-1], codes[:-1]])) if len(codes) else codes
    return (codes >= 0) & (codes <= seen)


def _unmatched(frame: pd.DataFrame, fields: list[str], target: pd.DataFrame,
               ref_fields: list[str]) -> np.ndarray:
    """Whether each row's ``fields`` are not (all set and) among the target's ``ref_fields``."""
    columns = []
    try:
        for field, ref_field in zip(fields, ref_fields):
            left, right = _key_array(frame[field]), _key_array(target[ref_field])
            columns.append(pa.concat_arrays([left, right.cast(left.type)]))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return np.ones(len(frame), dtype=bool)  # keys of types that never compare equal
    codes = _joint_codes(columns)
    left, right = codes[: len(frame)], codes[len(frame):]
    present = np.zeros(int(codes.max(initial=0)) + 1, dtype=bool)
    present[right[right >= 0]] = True
    return ~((left >= 0) & present[np.maximum(left, 0)])


def _declared_keys(checked: dict[str, _Table], definitions: Mapping[str, Definition],
                   out: Findings) -> None:
    """The keys a copy declares: an added table's primary key, the foreign keys of its schemas.

    Keys are grouped and joined in Arrow (hash tables, no per-row Python); a cell already reported
    is skipped, and so is a foreign key whose fields are all missing.
    """
    frames = {name: t.frame() for name, t in checked.items()}
    for name, definition in definitions.items():
        if name not in checked:
            continue
        table, frame = checked[name], frames[name]
        pk = definition.primary_key
        if not definition.core and pk:
            usable = table.clean_rows(pk) & frame[pk].notna().all(axis=1).to_numpy()
            dup = _repeated(frame, pk) & usable
            if dup.any():
                def found(kept: np.ndarray, f: pd.DataFrame = frame, pk: list[str] = pk) -> list[str]:
                    return [", ".join(show(f[c].iloc[r]) for c in pk) for r in kept.tolist()]
                out.add_rows(name, "primary_key", np.flatnonzero(dup), ", ".join(pk), found,
                             "a value not already used", f"{name}: duplicate primary key ({', '.join(pk)})")
        for fk in definition.foreign_keys:
            fields, ref = fk["fields"], fk["reference"]
            target = frames.get(ref["resource"])
            if target is None:
                continue  # the table referred to failed: reported already
            usable = table.clean_rows(fields) & frame[fields].notna().any(axis=1).to_numpy()
            unmatched = _unmatched(frame, fields, target, ref["fields"])
            bad = np.flatnonzero(unmatched & usable)
            if len(bad):
                def values(kept: np.ndarray, f: pd.DataFrame = frame, c: list[str] = fields) -> list[str]:
                    return [", ".join(show(f[x].iloc[r]) for x in c) for r in kept.tolist()]
                out.add_rows(name, "foreign_key", bad, ", ".join(fields), values,
                             f"an existing {ref['resource']}.{', '.join(ref['fields'])}",
                             f"{name}.{', '.join(fields)} points at nothing")


def validate_tables(tables: Mapping[str, Any], source: str = "tables") -> ValidationReport:
    """Validate a mapping of table name to DataFrame (pandas or polars) or pyarrow Table."""
    out = Findings()
    rows: dict[str, int] = {}
    _check_tables(tables, out, rows)
    return out.report(source, rows)


def validate_package(path: str | os.PathLike[str], source: str | None = None
                     ) -> tuple[ValidationReport, dict[str, pa.Table]]:
    """Validate a package on disk; also return its tables, as parsed from the bytes hashed.

    :func:`usjapan_data.load_tables` uses this with ``validate=True`` so that
    the tables it returns are the very ones validated.
    """
    from usjapan_data.package import read_package

    out = Findings()
    rows: dict[str, int] = {}
    extension = Extension()
    tables = read_package(Path(path), out, extension)
    if tables is not None:
        _check_tables(tables, out, rows, extension)
    return out.report(str(path) if source is None else source, rows), tables or {}


def validate(source: str | os.PathLike[str] | Mapping[str, Any] | None = None, *,
             engine: str = "pandas", **options: Any) -> ValidationReport:
    """Validate the installed package, a data package on disk, or tables in memory.

    Parameters
    ----------
    source : None, path-like or mapping, optional
        ``None`` validates the installed package. A path names a
        ``datapackage.json`` or a folder holding one (Parquet or CSV
        resources). A mapping of table name to pandas DataFrame, polars
        DataFrame or LazyFrame, or pyarrow Table validates those tables.
    engine : {"pandas", "duckdb", "spark"}, default "pandas"
        ``"pandas"`` checks the tables in memory. ``"duckdb"`` streams: the
        Parquet files of a package are read in place by DuckDB, in bounded
        memory, with the checks of :mod:`usjapan_data.sqlchecks` (see
        :mod:`usjapan_data.streaming`; needs the ``sql`` extra). The report
        is the same.
    **options
        For ``engine="duckdb"``: ``memory_limit``, ``temp_directory``,
        ``threads``, ``progress`` (see :func:`usjapan_data.streaming.validate_package`).
        For ``engine="spark"``: ``spark`` (a SparkSession), ``progress``; the source may
        also be a mapping of Spark DataFrames or any URI Spark reads
        (see :func:`usjapan_data.spark.validate_spark`; needs the ``spark`` extra).

    Returns
    -------
    ValidationReport
        ``.valid``, ``.errors`` (a DataFrame: file, table, row, column,
        check, found, expected, message), ``.to_dict()``, ``.to_json()``,
        ``str()``, ``.raise_for_errors()``, and an HTML table in Jupyter.
        Never raises on bad data.

    Raises
    ------
    usjapan_data.streaming.EngineError
        With ``engine="duckdb"``, when DuckDB runs out of memory within its
        ``memory_limit`` (``EngineMemoryError``, also a ``MemoryError``) or
        cannot spill: the package was not fully validated (the message names
        the step, the limit and the spill folder).
    ValueError
        An unknown engine, an option it does not take, or a ``memory_limit``
        DuckDB cannot read.

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
    if engine == "duckdb":
        from usjapan_data import streaming

        if isinstance(source, Mapping):
            return streaming.validate_tables(source, **options)
        if source is None:
            from usjapan_data.loading import descriptor_path

            return streaming.validate_package(descriptor_path(), "installed package", **options)
        return streaming.validate_package(source, **options)
    if engine == "spark":
        from usjapan_data.spark import validate_spark

        if source is None:
            from usjapan_data.loading import descriptor_path

            source = descriptor_path()
        return validate_spark(source, **options)
    if engine != "pandas" or options:
        raise ValueError(f"engine {engine!r} with options {sorted(options)}: the engines are 'pandas' "
                         "(no options), 'duckdb' (memory_limit, temp_directory, threads, progress) "
                         "and 'spark' (spark, progress)")
    if isinstance(source, Mapping):
        return validate_tables(source)
    if source is None:
        from usjapan_data.loading import descriptor_path

        return validate_package(descriptor_path(), "installed package")[0]
    return validate_package(source)[0]
