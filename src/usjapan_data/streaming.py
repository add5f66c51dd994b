"""Validate a data package of any size on one machine: DuckDB reads the Parquet files in place.

``usjapan_data.validate(path, engine="duckdb")`` (``usjapan-data validate
DIR --engine duckdb``) gives the same report as the default engine, with
memory bounded whatever the size of the tables:

- the descriptor and the paths are checked by :mod:`usjapan_data.package`
  (the same functions, the same findings); each Parquet file is opened once,
  hashed in 16 MiB chunks (never read whole), and DuckDB reads that same
  open file (``/proc/self/fd/N``), with the row positions of the file
  (``file_row_number``);
- the values, keys and rules are checked by the SQL of
  :mod:`usjapan_data.sqlchecks`, generated from the table definitions, with
  DuckDB's ``memory_limit`` (default ``1.5GB``), ``temp_directory`` (where it
  spills; default a temporary folder) and ``threads`` (default: the cores);
- each table is screened first (:func:`~usjapan_data.sqlchecks.screen_parts`:
  one scan of its values and row rules, each pattern on distinct values, the
  primary key grouped once); a table that screens clean is read as a view of
  its file and its own checks are not run, so a valid package is read about
  as often as the hand-written SQL of the same checks reads it, and each
  check is done once; a table that does not screen clean has its checks run
  one by one, each finding located by row and column;
- the limits are those of streamed files (:data:`~usjapan_data.limits.STREAM_MAX_FILE_BYTES`,
  :data:`~usjapan_data.limits.STREAM_MAX_ROWS`), not the in-memory ones.

A Parquet file is read in place when its columns are those of the table, in
their declared types (text or dictionary-encoded text, ``date32``, integers,
numbers, booleans) and its footer is consistent. Anything else (a CSV file,
a column of another type, a duplicated or extra column, an inconsistent
footer, text that is not UTF-8) is read and conformed in memory as the
default engine does, within the in-memory limits of :mod:`usjapan_data.limits`:
such a file is refused beyond them, by name.

A copy that adds tables or declares extra columns on a core table (see
:mod:`usjapan_data.extension`) is validated by the default engine, in
memory and within its limits: the checks of a copy's own declarations are
not generated as SQL. A hash or ``bytes`` that does not match is a finding,
and the table is still validated, as by the default engine.

Progress: with ``progress=True`` (the command line sets it on a terminal,
never when stderr is piped or ``CI`` is set) one line per check on stderr.

DuckDB is the ``sql`` extra: ``pip install "usjapan-data[sql]"``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from usjapan_data import limits, schema
from usjapan_data.extension import Extension, core_definition, split_core
from usjapan_data.report import Findings, ValidationReport
from usjapan_data.sqlchecks import SQL_TYPES, plan, screen_parts

__all__ = ["validate_package", "validate_tables", "DEFAULT_MEMORY_LIMIT", "EngineError", "EngineMemoryError"]

#: DuckDB's memory limit unless told otherwise. The process's peak resident memory runs about
#: 400 MiB above it (Python, Arrow, DuckDB's untracked buffers): with 1.5GB, the benchmark's
#: 100M-row package peaked at 1,824 MiB on 2 cores (with 2GB, at 2.4 GiB).
DEFAULT_MEMORY_LIMIT = "1.5GB"


class EngineError(RuntimeError):
    """DuckDB could not finish (out of memory, or unable to spill): the package was not fully validated.

    The message names the step (the table and the check) and says what to
    change. It is not a finding about the data: no report is returned, and
    the command line exits 3.
    """


class EngineMemoryError(EngineError, MemoryError):
    """DuckDB ran out of memory within its ``memory_limit`` (see :class:`EngineError`)."""


#: Bytes hashed at a time.
_CHUNK = 2**24


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError as exc:
        raise ImportError(
            "validating with engine='duckdb' needs DuckDB, which the 'sql' extra installs: "
            "pip install \"usjapan-data[sql]\"") from exc
    return duckdb


@dataclass
class _Streamed:
    """A Parquet file read in place: the open descriptor, the path DuckDB reads, its rows."""

    fd: int
    path: str
    rows: int


# --------------------------------------------------------------------------
# Reading a resource: in place when it can be, else as the default engine does
# --------------------------------------------------------------------------


def _native(kind: str, arrow: pa.DataType) -> bool:
    """Whether a Parquet column of this Arrow type holds the column kind as DuckDB reads it."""
    if pa.types.is_dictionary(arrow):
        return kind in ("text", "category") and (pa.types.is_string(arrow.value_type)
                                                 or pa.types.is_large_string(arrow.value_type))
    if kind in ("text", "category"):
        return pa.types.is_string(arrow) or pa.types.is_large_string(arrow)
    if kind == "date":
        return pa.types.is_date32(arrow)
    if kind == "integer":
        return pa.types.is_signed_integer(arrow)
    if kind == "number":
        return pa.types.is_floating(arrow) or pa.types.is_signed_integer(arrow)
    return kind == "boolean" and pa.types.is_boolean(arrow)


def _digest(fd: int) -> Callable[[str], str]:
    """The hex digest of a file read in chunks, by algorithm name."""
    def digest(algorithm: str) -> str:
        state, offset = hashlib.new(algorithm), 0
        while chunk := os.pread(fd, _CHUNK, offset):
            state.update(chunk)
            offset += len(chunk)
        return state.hexdigest()

    return digest


def _in_place(name: str, fd: int, path: str) -> int | None:
    """The rows of a Parquet file DuckDB can read in place, or None (read it otherwise)."""
    import pyarrow.parquet as pq

    from usjapan_data.package import Refused

    meta = pq.ParquetFile(path).metadata  # a corrupt file raises: reported as unreadable
    if meta.num_columns > limits.MAX_COLUMNS:
        return None
    rows = meta.num_rows
    if rows < 0 or sum(meta.row_group(i).num_rows for i in range(meta.num_row_groups)) != rows:
        return None
    if rows > limits.STREAM_MAX_ROWS:
        raise Refused("row_count", f"the footer declares {rows} rows; at most "
                      f"{limits.STREAM_MAX_ROWS} are read", found=str(rows),
                      expected=f"at most {limits.STREAM_MAX_ROWS} rows")
    arrow = meta.schema.to_arrow_schema()
    kinds = {s.name: s.kind for s in schema.column_specs(schema.TABLES[name])}
    if sorted(arrow.names) != sorted(kinds):
        return None  # missing, extra or duplicated columns: reported as the default engine does
    if not all(_native(kinds[f.name], f.type) for f in arrow):
        return None
    return rows


def _reader(in_memory: set[str]) -> Any:
    """The reader of one resource for :func:`usjapan_data.package.read_package`.

    The tables named in ``in_memory`` are read as the default engine reads them.
    """
    from usjapan_data.package import (
        Refused,
        _declared_schema,
        _integrity,
        _read_resource,
        _resource,
        _schema_differences,
        open_checked,
        unsafe_path,
    )

    def read(name: str, resource: dict[str, Any], base: Path, budget: Any, out: Findings,
             extension: Any, desc_name: str, as_declared: bool = False) -> Any:
        def default() -> Any:
            return _read_resource(name, resource, base, budget, out, extension, desc_name,
                                  as_declared)

        value = resource.get("path")
        if name not in schema.TABLES or name in in_memory or unsafe_path(base, value):
            return default()
        res = _resource(resource)
        if res.format != "parquet":
            return default()
        if "schema" in resource:
            declared = _declared_schema(res, base)
            if (not isinstance(declared, dict) or "$ref" in declared
                    or split_core(name, declared)[1] is not None
                    or _schema_differences(name, declared)):
                return default()  # extra columns declared, or differences: in the default's words
        file = base / str(value)
        out.files[name] = str(file)
        fd, info = open_checked(file, base)
        keep = False
        try:
            if info.st_size > limits.STREAM_MAX_FILE_BYTES:
                raise Refused("file_size", f"is {info.st_size} bytes, more than the "
                              f"{limits.STREAM_MAX_FILE_BYTES} bytes read at most",
                              found=str(info.st_size),
                              expected=f"at most {limits.STREAM_MAX_FILE_BYTES} bytes")
            path = f"/proc/self/fd/{fd}" if os.path.exists(f"/proc/self/fd/{fd}") else str(file)

            def integrity() -> None:
                _integrity(name, resource, b"", out, desc_name, info.st_size, _digest(fd))

            try:
                rows = _in_place(name, fd, path)
            except Exception:  # a corrupt file: reported as unreadable, after its hash
                integrity()
                raise
            if rows is not None:
                integrity()
                keep = True
                return _Streamed(fd, path, rows)
            if info.st_size > limits.MAX_FILE_BYTES:
                integrity()
                raise Refused("file_size", f"is {info.st_size} bytes; a file that DuckDB cannot "
                              "read in place (a column of another type, a column missing or "
                              "extra, an inconsistent footer) is read in memory, at most "
                              f"{limits.MAX_FILE_BYTES} bytes", found=str(info.st_size),
                              expected="a Parquet file with the table's columns in their "
                              "declared types")
        finally:
            if not keep:
                os.close(fd)
        return default()  # it checks the hash of the bytes it reads

    return read


# --------------------------------------------------------------------------
# The tables as DuckDB relations
# --------------------------------------------------------------------------


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _view_streamed(con: Any, name: str, src: _Streamed) -> None:
    types = SQL_TYPES["duckdb"]
    columns = [f"CAST({_q(s.name)} AS {types[s.kind]}) AS {_q(s.name)}"
               for s in schema.column_specs(schema.TABLES[name])]
    con.execute(f"CREATE OR REPLACE VIEW {_q(name)} AS SELECT CAST(file_row_number AS BIGINT) AS __row, "
                f"{', '.join(columns)}, CAST(NULL AS VARCHAR) AS __bad "
                f"FROM read_parquet({_literal(src.path)}, file_row_number = true)")


def _conformed_arrow(name: str, table: Any) -> pa.Table:
    """A conformed table (types checked) as Arrow, with ``__row`` and ``__bad``."""
    columns: dict[str, pa.Array] = {}
    n = len(next(iter(table.columns.values()))) if table.columns else 0
    parts = []
    for spec in schema.column_specs(schema.TABLES[name]):
        series = table.columns[spec.name]
        if spec.kind == "category":
            codes = series.cat.codes.to_numpy()
            categories = pa.array([str(c) for c in series.cat.categories], pa.string())
            values = pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), categories)
            array = values.cast(pa.string())
        elif spec.kind == "date":
            array = pa.array(series.to_numpy(dtype="datetime64[ns]"), pa.timestamp("ns"),
                             from_pandas=True).cast(pa.date32())
        else:
            array = pa.array(series.array, from_pandas=True)
            target = {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
                      "text": pa.string()}[spec.kind]
            array = array.cast(target)
        columns[spec.name] = array
        bad = table.bad[spec.name]
        if bad.any():
            parts.append(pc.if_else(pa.array(bad), spec.name + ",", ""))
    if parts:
        joined = pc.binary_join_element_wise(*parts, "")
        bad_text = pc.if_else(pc.equal(joined, ""), pa.nulls(n, pa.string()),
                              pc.binary_join_element_wise(",", joined, ""))
    else:
        bad_text = pa.nulls(n, pa.string())
    return pa.table({"__row": pa.array(np.arange(n, dtype=np.int64)), **columns, "__bad": bad_text})


# --------------------------------------------------------------------------
# Running the checks
# --------------------------------------------------------------------------


class _Progress:
    def __init__(self, on: bool, total: int) -> None:
        self.on, self.total, self.done = on, total, 0
        self.last = ""  # the step under way

    def step(self, what: str) -> None:
        self.done += 1
        self.last = what.strip()
        if self.on:
            sys.stderr.write(f"\rchecking {self.done}/{self.total}: {what[:60]:<60}")
            sys.stderr.flush()

    def end(self) -> None:
        if self.on:
            sys.stderr.write("\r" + " " * 80 + "\r")
            sys.stderr.flush()


def _connect(memory_limit: str | None, temp_directory: str | None, threads: int | None) -> Any:
    duckdb = _duckdb()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    config = {
        "memory_limit": memory_limit or DEFAULT_MEMORY_LIMIT,
        "threads": threads or cores or 1,
        "temp_directory": temp_directory or tempfile.mkdtemp(prefix="usjapan-duckdb-"),
        "preserve_insertion_order": False,
    }
    try:
        con = duckdb.connect(":memory:", config=config)
    except duckdb.Error as exc:  # a memory_limit DuckDB cannot read, a folder it cannot use
        raise ValueError(f"DuckDB refused memory_limit={config['memory_limit']!r} or temp_directory="
                         f"{config['temp_directory']!r}: {str(exc).splitlines()[0]}") from None
    con.execute("SET enable_progress_bar = false")
    return con


def _run_checks(con: Any, available: set[str], out: Findings, progress: bool) -> None:
    """Screen each table, create the relations the checks read, then run the checks.

    A table whose :func:`~usjapan_data.sqlchecks.screen` counts 0 has no
    finding of its own values or key: those checks are not run and its last
    relation is a view of the file (:func:`~usjapan_data.sqlchecks.clean`).
    The other tables' own checks run on relations computed once.
    """
    tables = [t for t in schema.TABLES if t in available]
    bar = _Progress(progress, len(tables))
    try:
        with _naming_memory_errors(con, bar):
            _run_planned(con, available, tables, out, bar)
    finally:
        bar.end()


@contextlib.contextmanager
def _naming_memory_errors(con: Any, bar: _Progress) -> Iterator[None]:
    """Turn DuckDB's out-of-memory and spill errors into :class:`EngineError`, naming the step."""
    duckdb = _duckdb()
    try:
        yield
    except (duckdb.OutOfMemoryException, duckdb.IOException) as exc:
        try:
            limit, spill = con.execute("SELECT current_setting('memory_limit'), "
                                       "current_setting('temp_directory')").fetchall()[0]
        except duckdb.Error:
            limit, spill = "unknown", "unknown"
        if isinstance(exc, duckdb.IOException) and spill not in str(exc):
            raise  # not the spill folder: a file of the package, reported as before
        said = str(exc).splitlines()[0][:300]
        where = f"at {bar.last!r} (memory_limit {limit}; spilling to {spill}): {said}. "
        if isinstance(exc, duckdb.OutOfMemoryException):
            raise EngineMemoryError(
                f"not validated: DuckDB ran out of memory {where}Give it more memory "
                "(validate(..., engine='duckdb', memory_limit='8GB'), or usjapan-data validate "
                "--engine duckdb --memory-limit 8GB), or a temp_directory (--temp-directory) on a "
                "disk with more free space") from exc
        raise EngineError(f"not validated: DuckDB could not spill {where}Give it a temp_directory "
                          "(--temp-directory) on a disk with free space") from exc


def _run_planned(con: Any, available: set[str], tables: list[str], out: Findings,
                 bar: _Progress) -> None:
    """Screen the tables, create the relations of :func:`~usjapan_data.sqlchecks.plan`, run its checks."""
    from usjapan_data.sqlchecks import final

    screened = set()
    for table in tables:
        bar.step(f"{table}: screening")
        # one part at a time (each its own hash table), up to the first that finds something
        if not any(con.execute(f"SELECT {part}").fetchone()[0] for part in screen_parts("duckdb", table)):
            screened.add(table)
    relations, checks = plan("duckdb", available, screened)
    bar.total += len(relations) + len(checks)
    for table, name, sql in relations:
        bar.step(f"{table}: preparing {name}")
        # computed once per table (DuckDB spills beyond its memory limit): the cells reported
        # so far, the summaries; the conformed values and a screened table stay views
        view = name.endswith("__c") or (table in screened and name == final("duckdb", table))
        con.execute(f"CREATE OR REPLACE {'VIEW' if view else 'TEMP TABLE'} {_q(name)} AS {sql}")
    for check in checks:
        bar.step(f"{check.table}: {check.check} {check.column or ''}")
        _collect(con, check, out)


def _collect(con: Any, check: Any, out: Findings) -> None:
    """Add the findings of one check: the first rows in full (as many as fit), the rest counted."""
    from usjapan_data.conform import show

    result = con.execute(f"SELECT row, found FROM ({check.body}) AS f ORDER BY row")
    key = (check.table, check.check, check.column)
    while batch := result.fetchmany(100_000):
        room = max(0, limits.MAX_ERRORS - len(out.records))
        kept, rest = batch[:room], len(batch) - min(room, len(batch))
        if kept:
            rows = np.array([r for r, _ in kept], dtype=np.int64)
            if check.found_repr:
                found = ["null" if f is None else repr(f) for _, f in kept]
            else:
                found = [show(f) for _, f in kept]

            def shown(taken: np.ndarray, found: list[str] = found) -> list[str]:
                return found[: len(taken)]

            out.add_rows(check.table, check.check, rows, check.column, shown, check.expected,
                         check.message)
        if rest:
            out.omitted[key] += rest


def _check(sources: Mapping[Any, Any], out: Findings, rows: dict[str, int], con: Any,
           progress: bool) -> None:
    from usjapan_data.validation import _conform_table, _pandas_or_finding

    for name in sources:
        if name not in schema.TABLES:
            out.add(str(name), "unknown_table", f"unknown table {name!r}; the tables are "
                    f"{', '.join(schema.TABLES)}", found=name, expected="a table of the dataset")
    available: set[str] = set()
    for name in schema.TABLES:
        if name not in sources:
            if name not in out.failed:
                out.add(name, "table_present", f"required table {name!r} is missing",
                        expected=f"a table {name}")
            continue
        source = sources[name]
        if isinstance(source, _Streamed):
            rows[name] = source.rows
            _view_streamed(con, name, source)
            available.add(name)
            continue
        frame = _pandas_or_finding(name, source, out)
        if frame is None:
            continue
        rows[name] = len(frame)
        table = _conform_table(core_definition(name), frame, out, checks=False)
        if table is None:
            continue
        con.register(f"{name}__arrow", _conformed_arrow(name, table))
        con.execute(f"CREATE OR REPLACE VIEW {_q(name)} AS SELECT * FROM {_q(name + '__arrow')}")
        available.add(name)
    _run_checks(con, available, out, progress)


def validate_tables(tables: Mapping[str, Any], source: str = "tables", *,
                    memory_limit: str | None = None, temp_directory: str | None = None,
                    threads: int | None = None, progress: bool = False) -> ValidationReport:
    """Validate tables in memory with DuckDB: types conformed as by default, the rest in SQL."""
    con = _connect(memory_limit, temp_directory, threads)
    out, rows = Findings(), dict[str, int]()
    try:
        _check(tables, out, rows, con, progress)
    finally:
        con.close()
    return out.report(source, rows)


def validate_package(path: str | os.PathLike[str], source: str | None = None, *,
                     memory_limit: str | None = None, temp_directory: str | None = None,
                     threads: int | None = None, progress: bool = False) -> ValidationReport:
    """Validate a data package on disk with bounded memory (see the module's description).

    Parameters
    ----------
    path : path-like
        A ``datapackage.json`` or a folder holding one.
    source : str, optional
        What the report says was validated (default: the path).
    memory_limit : str, optional
        DuckDB's ``memory_limit`` (default ``"1.5GB"``: the benchmark's
        100M-row package peaked at 1,824 MiB with it); beyond it DuckDB spills.
    temp_directory : str, optional
        Where DuckDB spills (default: a new temporary folder).
    threads : int, optional
        DuckDB's threads (default: the cores this process may use).
    progress : bool, default False
        One line per check on stderr.

    Returns
    -------
    ValidationReport
        The same report as the default engine's.

    Raises
    ------
    ImportError
        When DuckDB is not installed (the ``sql`` extra).

    Examples
    --------
    >>> import usjapan_data
    >>> usjapan_data.validate(usjapan_data.descriptor_path(), engine="duckdb").valid
    True
    """
    from usjapan_data.package import read_package

    con = _connect(memory_limit, temp_directory, threads)
    out, rows = Findings(), dict[str, int]()
    sources: dict[str, Any] = {}
    in_memory: set[str] = set()
    try:
        while True:
            mark = (len(out.records), dict(out.omitted), set(out.failed), dict(out.files))
            extension = Extension()
            read = read_package(Path(path), out, extension, _reader(in_memory))
            sources = read or {}
            if read is None:
                break
            if extension.tables or extension.definitions:
                # a copy that adds tables or declares extra columns: the checks of its own
                # declarations run in memory, so the default engine validates it whole
                from usjapan_data.validation import validate_package as in_memory_engine

                return in_memory_engine(path, source)[0]
            try:
                _check(sources, out, rows, con, progress)
                break
            except _duckdb().InvalidInputException as exc:
                # text that is not UTF-8: DuckDB refuses the file; read it as the default engine does
                broken = [n for n, s in sources.items() if isinstance(s, _Streamed)
                          and s.path in str(exc)]
                if not broken or "encoding" not in str(exc):
                    raise
                del out.records[mark[0]:]
                out.omitted.clear()
                out.omitted.update(mark[1])
                out.failed, out.files = mark[2], mark[3]
                rows.clear()
                _close(sources)
                in_memory.update(broken)
    finally:
        _close(sources)
        con.close()
    return out.report(str(path) if source is None else source, rows)


def _close(sources: Mapping[str, Any]) -> None:
    for value in sources.values():
        if isinstance(value, _Streamed):
            try:
                os.close(value.fd)
            except OSError:
                pass
