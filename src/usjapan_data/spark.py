"""Validate tables held in Spark: the same table definitions, the same report, beyond one machine.

:func:`validate_spark` takes a mapping of table name to Spark DataFrame, or a
data package whose Parquet files Spark can read (a local folder, or a URI
such as ``file:///data/pkg/``, ``hdfs://namenode/pkg/datapackage.json``,
``s3a://bucket/pkg/``), and returns the
:class:`~usjapan_data.report.ValidationReport` the default engine returns:
one error per problem, with file, table, row (1-based), column, check, what
was found and what was expected.

How it works, all of it generated from the table definitions
(:mod:`usjapan_data.schema`), nothing declared twice:

1. Each table becomes a temporary view named by the table, with its
   columns and ``__row``: the 0-based position of the row in its Parquet
   file (Spark's ``_metadata.row_index``), or in the DataFrame's order.
2. The columns and their Spark types are checked against the model. A
   column of another type altogether (text where a date belongs, a
   timestamp with a time zone, a list) is one ``type`` error naming the
   column, the Spark type found and the type expected. A type that can hold
   the column's values but also others (a double for an integer column, a
   timestamp without time zone for a date) is checked row by row, as the
   default engine does: NaN and infinities, fractions, times of day and
   dates pandas cannot hold are ``type`` errors located by row.
3. Every check of :func:`usjapan_data.sqlchecks.generate` (``dialect="spark"``)
   runs as Spark SQL; at most :data:`~usjapan_data.limits.MAX_ERRORS` rows
   of each are brought to the driver (``ORDER BY __row LIMIT``), beyond them
   only a count. No table is ever collected.

What the default engine checks and this one does not: the limits of
:mod:`usjapan_data.limits` (a cluster is the place for big tables), CSV
resources (validate those with the default engine), and the guarantee that
the bytes hashed are the bytes parsed (the hash is computed by Spark in a
separate read of the same file).

Spark resolves column names case-insensitively unless
``spark.sql.caseSensitive`` is set; a DataFrame with columns ``Title`` and
``title`` should be validated with it set.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from usjapan_data import limits, schema
from usjapan_data.report import Findings, ValidationReport
from usjapan_data.sqlchecks import SqlCheck
from usjapan_data.validation import check_columns

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import DataType

    from usjapan_data.parsing import ColumnSpec

__all__ = ["SparkUnavailable", "validate_spark"]

_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
#: The bounds of the model's integers (Int64).
_INT64 = (-(2**63), 2**63 - 1)


class SparkUnavailable(RuntimeError):
    """pyspark or Java is missing, or Spark could not start; the message says what to install."""


# --------------------------------------------------------------------------
# The session
# --------------------------------------------------------------------------


def _session(spark: SparkSession | None) -> SparkSession:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailable("the spark engine needs pyspark: pip install 'usjapan-data[spark]'"
                               ) from None
    if spark is not None:
        return spark
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise SparkUnavailable("the spark engine needs Java 17 or later (no java on PATH and no "
                               "JAVA_HOME); install a JDK, e.g. apt-get install openjdk-17-jre-headless")
    # no spark-warehouse/ folder left where the command was run: nothing is written there
    builder = (SparkSession.builder.appName("usjapan-data validate")
               .config("spark.ui.showConsoleProgress", str(sys.stderr.isatty()).lower())
               .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="usjapan-spark-")))
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # Java too old, no gateway: say so, no Java stack trace
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SparkUnavailable(f"Spark did not start ({text[:300]}); it needs Java 17 or later "
                               "(java -version)") from None
    session.sparkContext.setLogLevel("ERROR")
    return session


# --------------------------------------------------------------------------
# Column types
# --------------------------------------------------------------------------


#: Checks submitted to Spark at once (from as many driver threads).
_PARALLEL = 4


@dataclass(frozen=True)
class _Check(SqlCheck):
    """A type check of the runner's own."""

    number: bool = False  # found is a double's text, shown as Python shows the float


@dataclass(frozen=True)
class _Typed:
    """A column's SQL in the view, and (when its Spark type can hold wrong values) the rows to report.

    ``found`` is the value as text; with ``number`` it is a double's text,
    shown as Python shows the float (``1e+30``, ``nan``), as the default engine does.
    """

    value: str
    bad: str | None = None  # SQL: true where the value is not of the column's kind
    found: str | None = None
    expected: str | None = None
    number: bool = False


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _conform(spec: ColumnSpec, kind: DataType) -> _Typed | None:
    """How a column of Spark type ``kind`` becomes the model's ``spec`` (None: it cannot).

    Only what the generated SQL cannot see is checked here: a time of day in a
    timestamp, a fraction or a NaN in an integer column. NaN in a number and
    dates pandas cannot hold are checked by :mod:`usjapan_data.sqlchecks`.
    """
    from pyspark.sql import types as T

    c = _quote(spec.name)
    target = _spark_type(spec)
    if isinstance(kind, T.NullType):
        return _Typed(f"CAST(NULL AS {target})")
    if spec.kind in ("text", "category"):
        return _Typed(c) if isinstance(kind, (T.StringType, T.VarcharType, T.CharType)) else None
    if spec.kind == "boolean":
        return _Typed(c) if isinstance(kind, T.BooleanType) else None
    if spec.kind == "date":
        if isinstance(kind, T.DateType):
            return _Typed(c)
        if isinstance(kind, T.TimestampNTZType):
            day = f"CAST({c} AS DATE)"
            bad = f"{c} <> CAST({day} AS TIMESTAMP_NTZ)"
            return _Typed(f"CASE WHEN {bad} THEN NULL ELSE {day} END", bad, f"CAST({c} AS STRING)",
                          "a date YYYY-MM-DD (found a time of day)")
        return None  # a timestamp with a time zone is not a date; text is not a date
    integral = isinstance(kind, (T.ByteType, T.ShortType, T.IntegerType, T.LongType))
    floating = isinstance(kind, (T.FloatType, T.DoubleType))
    decimal = isinstance(kind, T.DecimalType)
    if spec.kind == "number":
        return _Typed(f"CAST({c} AS DOUBLE)") if integral or floating or decimal else None
    if spec.kind == "integer":
        if integral:
            return _Typed(f"CAST({c} AS BIGINT)")
        if not (floating or decimal):
            return None
        # as the default engine: a decimal is taken as a double; NaN, infinities and fractions
        # are not whole numbers; the bounds are compared as doubles (int64's are not exact doubles)
        x = f"CAST({c} AS DOUBLE)"
        low, high = _INT64
        bad = (f"(isnan({x}) OR {x} IN (double('inf'), double('-inf')) OR {x} <> floor({x}) "
               f"OR {x} < {float(low)!r}D OR {x} >= {float(high) + 1!r}D)")
        return _Typed(f"CASE WHEN {bad} THEN NULL ELSE CAST({x} AS BIGINT) END", bad,
                      f"CAST({x} AS STRING)", f"a whole number from {low} to {high}", number=True)
    return None


def _spark_type(spec: ColumnSpec) -> str:
    return {"text": "string", "category": "string", "date": "date", "integer": "bigint",
            "number": "double", "boolean": "boolean"}[spec.kind]


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


class _Run:
    """One validation: the session, the findings, the relations registered and to drop."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark
        self.out = Findings()
        self.rows: dict[str, int] = {}
        self.given: set[str] = set()  # the tables given (usable or not)
        self.tables: dict[str, DataFrame] = {}  # table -> its view: columns, __row, __bad
        self.types: list[_Check] = []  # the row-by-row type checks, run before the others
        self.saved: dict[str, DataFrame | None] = {}  # view name -> the session's own view of it
        self.persisted: list[DataFrame] = []
        self.prefix = f"usjapan_data_{os.getpid()}_{id(self)}_"

    def view(self, name: str, frame: DataFrame) -> None:
        """Register a temporary view; a view of the session's own by that name comes back after."""
        if name not in self.saved:
            self.saved[name] = None
            try:
                if self.spark.catalog.getTable(name).isTemporary:
                    self.saved[name] = self.spark.table(name)
            except Exception:  # no such table or view
                pass
        frame.createOrReplaceTempView(name)

    def table(self, name: str, frame: DataFrame, row: str | None) -> None:
        """Check the columns of ``frame`` against the model, then register its view.

        ``row`` is the SQL of the 0-based position (``_metadata.row_index``);
        None numbers the rows in the DataFrame's order.
        """
        self.given.add(name)
        specs = schema.column_specs(schema.TABLES[name])
        names = [s.name for s in specs]
        present = list(frame.columns)
        out = self.out
        if check_columns(name, names, present, out):
            return
        duplicated = {c for c in present if present.count(c) > 1}
        types = {f.name: f.dataType for f in frame.schema.fields}
        selected, flags = [], []  # flags: (column, SQL true where its value is reported here)
        for spec in specs:
            typed = None if spec.name in duplicated else _conform(spec, types[spec.name])
            if typed is None:
                if spec.name not in duplicated:
                    found = types[spec.name].simpleString()
                    out.add(name, "type", f"{name}.{spec.name} is of Spark type {found}; expected "
                            f"{_spark_type(spec)} ({spec.expected()})", column=spec.name,
                            found=found, expected=_spark_type(spec))
                    out.reported_columns.add((name, spec.name))
                selected.append(f"CAST(NULL AS {_spark_type(spec)}) AS {_quote(spec.name)}")
                flags.append((spec.name, "TRUE"))  # reported as a whole: no later check on it
                continue
            selected.append(f"{typed.value} AS {_quote(spec.name)}")
            if typed.bad is not None:
                flags.append((spec.name, f"COALESCE({typed.bad}, FALSE)"))
                self.types.append(_Check(
                    name, "type", spec.name, typed.expected or spec.expected(),
                    f"{name}.{spec.name} has a value of the wrong type",
                    f"SELECT `__row` AS `row`, {typed.found} AS `found` FROM {_quote(self.prefix + name)} "
                    f"WHERE {typed.bad}", (name,), number=typed.number))
        source = self._indexed(name, frame, row)
        raw = self.prefix + name
        self.view(raw, source)
        if flags:  # ",col1,col2," naming the columns reported here, or NULL
            names_sql = ", ".join(f"CASE WHEN {bad} THEN '{col}' END" for col, bad in flags)
            bad_sql = (f"CASE WHEN {' OR '.join(bad for _, bad in flags)} THEN "
                       f"concat(',', concat_ws(',', {names_sql}), ',') END")
        else:
            bad_sql = "CAST(NULL AS STRING)"
        self.tables[name] = self.spark.sql(
            f"SELECT `__row`, {', '.join(selected)}, {bad_sql} AS `__bad` FROM {_quote(raw)}")

    def _indexed(self, name: str, frame: DataFrame, row: str | None) -> DataFrame:
        from pyspark import StorageLevel
        from pyspark.sql import functions as F

        if row is not None:
            return frame.withColumn("__row", F.expr(row).cast("bigint"))
        # The order of the DataFrame, as zipWithIndex numbers it, computed in the JVM:
        # monotonically_increasing_id is (partition << 33) + position in the partition;
        # the rows before each partition are summed from a count per partition. The
        # ids are persisted so that every check sees the same numbering.
        ids = frame.withColumn("__id", F.monotonically_increasing_id()).persist(
            StorageLevel.MEMORY_AND_DISK)
        self.persisted.append(ids)
        counts = dict(ids.groupBy(F.shiftright("__id", 33).alias("p")).count().collect())
        offsets, total = {}, 0
        for part in sorted(counts):
            offsets[part], total = total, total + counts[part]
        start = F.create_map(*[F.lit(x) for p in sorted(offsets) for x in (p, offsets[p])]) \
            if offsets else F.create_map(F.lit(0), F.lit(0))
        part = F.shiftright("__id", 33)
        position = F.element_at(start, part) + (F.col("__id") - F.shiftleft(part, 33))
        return ids.withColumn("__row", position.cast("bigint")).drop("__id")

    def check(self, progress: bool) -> None:
        """Register the views, then run the type checks and every generated check."""
        from pyspark import StorageLevel

        from usjapan_data.sqlchecks import final, plan, screen

        available = set(self.tables)
        for name, frame in self.tables.items():
            self.view(name, frame)
        # a table whose screen counts 0: its own checks are not run (see sqlchecks.plan)
        tables = sorted(available)
        with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
            counts = list(pool.map(lambda t: self.spark.sql(screen("spark", t)).collect()[0][0], tables))
        screened = {t for t, n in zip(tables, counts) if n == 0}
        relations, generated = plan("spark", available, screened)
        for table, name, sql in relations:
            relation = self.spark.sql(sql)
            if not name.endswith("__c") and not (table in screened and name == final("spark", table)):
                # as DuckDB's temporary tables: computed once
                relation = relation.persist(StorageLevel.MEMORY_AND_DISK)
                self.persisted.append(relation)
            self.view(name, relation)
        if available:
            union = " UNION ALL ".join(f"SELECT '{t}' AS t, count(*) AS n FROM {_quote(t)}"
                                       for t in sorted(available))
            counted = dict(self.spark.sql(union).collect())
            self.rows = {t: int(counted[t]) for t in schema.TABLES if t in counted}
        checks = [c for c in self.types if set(c.tables) <= available] + generated
        from usjapan_data.streaming import _Progress

        bar = _Progress(progress, len(checks))
        # Spark runs jobs from several threads at once: the driver plans one query while the
        # executors run another. The findings are recorded in the checks' order.
        with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
            try:
                for check, (found_rows, total) in zip(checks, pool.map(self._query, checks)):
                    bar.step(f"{check.table}: {check.check} {check.column or ''}")
                    self._record(check, found_rows, total)
            finally:
                bar.end()

    def _query(self, check: Any) -> tuple[list[tuple[int, Any]], int | None]:
        """The first MAX_ERRORS rows a check finds, by position (a top-k), and the count when more."""
        cap = limits.MAX_ERRORS
        got = self.spark.sql(f"SELECT `row`, `found` FROM ({_body(check)}) AS c ORDER BY `row` "
                             f"LIMIT {cap + 1}").collect()
        if len(got) <= cap:
            return [(int(r), f) for r, f in got], None
        total = self.spark.sql(f"SELECT count(*) FROM ({_body(check)}) AS c").collect()[0][0]
        return [(int(r), f) for r, f in got[:cap]], int(total)

    def _record(self, check: Any, found_rows: list[tuple[int, Any]], total: int | None) -> None:
        from usjapan_data.conform import show

        if not found_rows:
            return
        if check.found_repr:
            founds = ["null" if f is None else repr(f) for _, f in found_rows]
        elif getattr(check, "number", False):
            founds = [show(float(f)) for _, f in found_rows]
        else:
            founds = [show(f) for _, f in found_rows]
        rows = np.asarray([r for r, _ in found_rows], dtype=np.int64)
        self.out.add_rows(check.table, check.check, rows, check.column,
                          lambda kept: founds[: len(kept)], check.expected, check.message)
        if total is not None:
            self.out.omitted[(check.table, check.check, check.column)] += total - len(found_rows)

    def close(self) -> None:
        for name, own in self.saved.items():  # the session's own views of these names come back
            self.spark.catalog.dropTempView(name)
            if own is not None:
                own.createOrReplaceTempView(name)
        for frame in self.persisted:
            frame.unpersist()


def _body(check: Any) -> str:
    """What a check selects from the registered relations (its own SQL when it has no body)."""
    return check.body or check.sql


# --------------------------------------------------------------------------
# Packages
# --------------------------------------------------------------------------


def _remote_bytes(spark: SparkSession, uri: str, limit: int, check: str) -> bytes:
    """Read a small file (a descriptor, a schema) through Spark, refusing one over ``limit``."""
    from usjapan_data.package import Refused

    try:
        files = spark.read.format("binaryFile").load(uri)
        info = files.select("length").collect()
    except Exception as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise Refused("file_missing" if "PATH_NOT_FOUND" in text else "file_readable",
                      f"cannot be read: {text[:200]}", expected="a readable file") from None
    if len(info) != 1:
        raise Refused("file_readable", f"names {len(info)} files", expected="one file")
    if info[0][0] > limit:
        raise Refused(check, f"is {info[0][0]} bytes, more than the {limit} bytes read at most",
                      found=str(info[0][0]), expected=f"at most {limit} bytes")
    return bytes(files.select("content").collect()[0][0])


def _descriptor(run: _Run, source: str) -> tuple[str, dict[str, Any]] | None:
    """The package's base (a URI ending in /) and its descriptor; findings when unusable."""
    from usjapan_data.package import Refused, _parse_json, read_descriptor

    if not _URI.match(source) or source.startswith("file://"):
        local = Path(source.removeprefix("file://")) if source.startswith("file://") else Path(source)
        found = read_descriptor(local, run.out)
        if found is None:
            return None
        return found[0].parent.resolve().as_uri() + "/", found[1]
    uri = source if source.endswith(".json") else source.rstrip("/") + "/datapackage.json"
    try:
        descriptor = _parse_json(_remote_bytes(run.spark, uri, limits.MAX_DESCRIPTOR_BYTES,
                                               "descriptor_size"), uri)
    except Refused as exc:
        run.out.add(None, "descriptor" if exc.check.startswith("file_") else exc.check,
                    f"{uri}: {exc.message}", file=uri, found=exc.found,
                    expected=exc.expected or "a datapackage.json")
        return None
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        run.out.add(None, "descriptor", f"{uri}: expected an object with a list of 'resources'",
                    file=uri, found=type(descriptor).__name__, expected="an object with resources")
        return None
    return uri.rsplit("/", 1)[0] + "/", descriptor


_HASHES = {"md5": "md5(content)", "sha1": "sha1(content)", "sha256": "sha2(content, 256)",
           "sha512": "sha2(content, 512)"}


def _check_resource(run: _Run, name: str, resource: dict[str, Any], base: str
                    ) -> tuple[str, tuple[str, str, str] | None]:
    """A resource's Parquet file (URI) and recorded hash (algorithm, hex, as written), once
    what its descriptor says is checked."""
    from usjapan_data.package import _HASH, Refused, _parse_json, _resource, _schema_differences, \
        unsafe_path

    value = resource.get("path")
    reason = unsafe_path(Path("."), value)
    if reason:
        raise Refused("unsafe_path", f"path {reason}", found=value,
                      expected="a relative path inside the package", in_descriptor=True)
    from usjapan_data.extension import is_table, split_core

    res = _resource(resource)
    if name not in schema.TABLES and is_table(resource):
        raise Refused("engine", "the copy adds this table; the spark engine validates the "
                      "dataset's own tables, so a copy that adds tables or columns is "
                      "validated by the default engine (`usjapan-data validate DIR`)",
                      found=name, expected="the dataset's tables only", in_descriptor=True)
    if name not in schema.TABLES:  # a file (a codebook): its hash is checked, nothing is read
        pass
    elif res.format != "parquet":
        raise Refused("format", f"format {res.format!r}: the spark engine reads Parquet "
                      "resources; validate CSV with the default engine", found=res.format,
                      expected="parquet", in_descriptor=True)
    if "schema" in resource and name in schema.TABLES:
        declared = resource["schema"]
        if isinstance(declared, str):
            reason = unsafe_path(Path("."), declared)
            if reason:
                raise Refused("schema", f"schema path {reason}", found=declared,
                              expected="an inline Table Schema or a path in the package",
                              in_descriptor=True)
            try:
                data = _remote_bytes(run.spark, base + declared, limits.MAX_DESCRIPTOR_BYTES,
                                     "descriptor_size")
            except Refused as exc:
                raise Refused("schema", f"schema {declared!r}: {exc.message}", found=declared,
                              expected=exc.expected, in_descriptor=True) from None
            declared = _parse_json(data, f"schema {declared!r}")
        if not isinstance(declared, dict):
            raise Refused("schema", "the schema is neither an object nor a path", found=declared,
                          expected="a Table Schema", in_descriptor=True)
        core, extra = split_core(name, declared)
        if extra is not None:
            raise Refused("engine", "the copy declares columns beyond the table definition; "
                          "the spark engine validates the dataset's own columns, so such a "
                          "copy is validated by the default engine (`usjapan-data validate DIR`)",
                          found=", ".join(f["name"] for f in extra.get("fields", [])
                                          if isinstance(f, dict) and "name" in f) or "extra fields",
                          expected="the table's own fields", in_descriptor=True)
        differences = _schema_differences(name, core)
        if differences:
            raise Refused("schema", "its schema differs from the table definition of usjapan-data, "
                          f"which validation applies: {'; '.join(differences[:3])}",
                          found=differences[0], expected="the table's own Table Schema",
                          in_descriptor=True)
    uri = base + value
    run.out.files[name] = uri
    recorded = resource.get("hash")
    if recorded is None:
        return uri, None
    match = _HASH.match(str(recorded))
    if not match or (match.group(1) or "md5") not in _HASHES:
        raise Refused("hash", f"hash {recorded!r} is not '<algorithm>:<hex>'", found=recorded,
                      expected="sha256:<hex>", in_descriptor=True)
    return uri, (match.group(1) or "md5", match.group(2).lower(), str(recorded))


def _file_key(uri: str) -> str:
    """A file's path as Spark may spell it back (``file:/a`` for ``file:///a``, a port added)."""
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(uri).path)


def _hashes(run: _Run, wanted: dict[str, tuple[str, str, str]]) -> dict[str, str]:
    """The digests of the files (uri -> hex), computed by Spark where the files are, in one job."""
    algorithms = sorted({w[0] for w in wanted.values()})
    try:
        rows = run.spark.read.format("binaryFile").load(sorted(wanted)).selectExpr(
            "path", *[f"{_HASHES[a]} AS {a}" for a in algorithms]).collect()
    except Exception:
        if len(wanted) == 1:
            raise
        found: dict[str, str] = {}  # one file is unreadable: find which, one by one
        for uri, want in wanted.items():
            try:
                found.update(_hashes(run, {uri: want}))
            except Exception:
                pass
        return found
    by_path = {_file_key(r["path"]): r for r in rows}
    return {uri: by_path[_file_key(uri)][want[0]] for uri, want in wanted.items()
            if _file_key(uri) in by_path}


def _package_tables(run: _Run, source: str) -> None:
    from usjapan_data.package import Refused, _named_resources

    found = _descriptor(run, source)
    if found is None:
        return
    base, descriptor = found
    desc_name = base + "datapackage.json"

    def refuse(name: str, exc: Refused) -> None:
        where = {"file": desc_name} if exc.in_descriptor else {}
        run.out.add(name, exc.check, f"resource {name!r}: {exc.message}" if exc.in_descriptor
                    else exc.message, found=exc.found, expected=exc.expected, **where)

    files: dict[str, str] = {}
    wanted: dict[str, tuple[str, str, str]] = {}
    for name, resource in _named_resources(descriptor, desc_name, run.out).items():
        run.out.failed.add(name)  # until its file is read
        try:
            uri, recorded = _check_resource(run, name, resource, base)
        except Refused as exc:
            refuse(name, exc)
            continue
        files[name] = uri
        if recorded is not None:
            wanted[uri] = recorded
    digests = _hashes(run, wanted) if wanted else {}
    for name, uri in files.items():
        try:
            if uri in wanted:
                algorithm, expected, recorded = wanted[uri]
                actual = digests.get(uri)
                if actual is None:
                    frame = run.spark.read.parquet(uri)  # says why the file cannot be read
                    raise Refused("file_readable", "cannot be read", expected="a readable file")
                if actual != expected:  # a finding; the content is still validated
                    run.out.add(name, "hash", f"{algorithm} is {actual}, the descriptor records "
                                f"{expected}; the file changed since it was recorded (its content "
                                "is validated as it is; `usjapan-data rehash` records the new hash)",
                                found=f"{algorithm}:{actual}", expected=recorded)
            if name not in schema.TABLES:
                run.out.failed.discard(name)
                continue
            frame = run.spark.read.parquet(uri)
            frame.schema  # the footer is read here: a file that is not Parquet fails now
        except Refused as exc:
            refuse(name, exc)
            continue
        except Exception as exc:  # a file Spark cannot read is a finding, not a crash
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            missing = "PATH_NOT_FOUND" in text
            run.out.add(name, "file_missing" if missing else "file_readable",
                        "no such file" if missing else f"not a readable Parquet file: {text[:200]}",
                        expected="a readable Parquet file")
            continue
        run.out.failed.discard(name)
        run.table(name, frame, "_metadata.row_index")


def _frame_tables(run: _Run, frames: Mapping[str, Any]) -> None:
    from pyspark.sql import DataFrame

    for name, frame in frames.items():
        if name not in schema.TABLES:
            run.out.add(str(name), "unknown_table", f"unknown table {name!r}; the tables are "
                        f"{', '.join(schema.TABLES)}", found=name, expected="a table of the dataset")
        elif not isinstance(frame, DataFrame):
            run.out.add(name, "table_type", f"table {name!r}: found a {type(frame).__name__}",
                        found=type(frame).__name__, expected="a Spark DataFrame")
            run.out.failed.add(name)
        else:
            run.table(name, frame, None)


def validate_spark(source: str | os.PathLike[str] | Mapping[str, DataFrame],
                   spark: SparkSession | None = None, *, progress: bool = False) -> ValidationReport:
    """Validate tables held in Spark, or a data package read by Spark, with the same report.

    Parameters
    ----------
    source : mapping, path-like or str
        A mapping of table name to Spark DataFrame (rows are numbered in the
        DataFrame's order), or a ``datapackage.json`` or folder holding one:
        a local path, or any URI Spark reads (``file://``, ``hdfs://``,
        ``s3a://``, ...). Its Parquet resources are read by Spark, rows
        numbered by their position in the file.
    spark : SparkSession, optional
        The session to use; by default the active one, else a new one
        (configured by ``spark-defaults.conf`` and ``PYSPARK_SUBMIT_ARGS``
        as usual; ``local[*]`` when nothing says otherwise).
    progress : bool, default False
        One line on stderr, rewritten as the checks run.

    Returns
    -------
    ValidationReport
        The report :func:`usjapan_data.validate` returns, with the same
        errors on the same input. ``.rows`` counts the rows of each table.

    Raises
    ------
    SparkUnavailable
        When pyspark or Java is missing or Spark cannot start.

    Examples
    --------
    >>> from usjapan_data.spark import validate_spark
    >>> validate_spark("hdfs://namenode/data/usjapan/").valid  # doctest: +SKIP
    True
    >>> frames = {name: spark.read.parquet(f"/data/{name}.parquet") for name in tables}  # doctest: +SKIP
    >>> validate_spark(frames).errors  # doctest: +SKIP
    """
    session = _session(spark)
    run = _Run(session)
    try:
        if isinstance(source, Mapping):
            label = "Spark tables"
            _frame_tables(run, source)
        else:
            label = os.fspath(source)
            _package_tables(run, label)
        for name in schema.TABLES:
            if name not in run.given and name not in run.out.failed:
                run.out.add(name, "table_present", f"required table {name!r} is missing",
                            expected=f"a table {name}")
        run.check(progress)
    finally:
        run.close()
    return run.out.report(label, run.rows)

