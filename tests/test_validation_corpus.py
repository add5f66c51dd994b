"""A corpus of broken, hostile and unusual inputs: each bad one is reported once, located, never valid.

Every case breaks one thing, in a copy of the shipped package or in the
tables in memory, and asserts the kind of error (``check``, named as in the
codebook), where it was found (file, table, row, column), how many errors
there are (one per problem), that no internal check name shows, and that no
output format prints a line the input chose. The cases are grouped by the
classes of issue #10; ``test_every_class_is_covered`` keeps each class
populated. The unusual but valid inputs at the end must be accepted.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import re
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hostile import (
    ARROW,
    TABLES,
    copy_package,
    csv_copy,
    edit_arrow,
    edit_csv,
    edit_descriptor,
    edit_table,
    first_row,
    frame_to_arrow,
    invalid_utf8,
    parquet_bytes,
    patch_row_count,
    read_descriptor,
    rehash,
    replace_column,
    resource,
    set_cell,
    with_value,
    write_arrow,
    write_bytes,
    write_descriptor,
)
from usjapan_data import limits, load_tables, schema, validate
from usjapan_data.cli import _github, main
from usjapan_data.rules import RULES

#: Every check name a report may use: the codebook's, the row rules', the package's.
PUBLIC_CHECKS = {
    "type", "vocabulary", "required", "pattern", "range", "length", "unique", "primary_key",
    "foreign_key", "evidence", "committer", "addressee", "grouping_kind",
    "column_missing", "column_unexpected", "column_duplicate", "table_present", "unknown_table",
    "table_type", "descriptor", "descriptor_size", "unsafe_path", "hash", "bytes",
    "file_missing", "file_readable", "file_size", "decoded_size", "row_count", "column_count",
    "format", "encoding", "dialect", "schema",
} | set(schema.RULE_COLUMNS) | set(RULES)
#: Words of pandera's internals that must never show in a report.
INTERNAL = ("str_matches", "not_nullable", "greater_than", "less_than", "column_in_", "dtype(",
            "field_uniqueness", "isin(", "str_length", "Traceback", "SchemaError")


@dataclass
class Case:
    """A broken input and what the report must say about it."""

    id: str
    kind: str  # the class of issue #10 it belongs to
    breaks: Callable[[Path], None] | None
    check: str
    table: str | None = None
    column: str | None = None
    row: int | None = None  # 1-based; None when not row-specific
    file: str | None = None  # substring of the reported file
    count: int | None = 1  # errors in all (None: not fixed, still one per cell)
    tables: Callable[[], dict[str, Any]] | None = None  # instead of a package: tables in memory
    secret: str | None = None  # text that must appear in no output


def _copy() -> dict[str, pd.DataFrame]:
    return {name: frame.copy() for name, frame in TABLES.items()}


def _tables(name: str, edit: Callable[[Any], Any]) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        tables: dict[str, Any] = _copy()
        tables[name] = edit(tables[name])
        return tables
    return build


def _raw_descriptor(edit: Callable[[str], str]) -> Callable[[Path], None]:
    def apply(package: Path) -> None:
        path = package / "datapackage.json"
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return apply


def _write_raw(data: bytes) -> Callable[[Path], None]:
    return lambda p: (p / "datapackage.json").write_bytes(data)


#: The Table Schema of the added table ``notes`` (see ``_extra``).
NOTES_SCHEMA = {"fields": [{"name": "a", "type": "integer", "constraints": {"required": True}},
                           {"name": "b", "type": "integer"}], "primaryKey": ["a"]}


def _extra(text: str = "a,b\n1,2\n", **fields) -> Callable[[Path], None]:
    """Add a CSV table ``notes`` holding ``text``, declared with NOTES_SCHEMA unless ``fields`` say otherwise."""
    def apply(package: Path) -> None:
        (package / "data" / "notes.csv").write_text(text, encoding="utf-8")
        declared = {"name": "notes", "path": "data/notes.csv", "format": "csv", "schema": NOTES_SCHEMA,
                    **fields}
        edit_descriptor(lambda d: d["resources"].append(
            {k: v for k, v in declared.items() if v is not None}))(package)
    return apply


def _notes_schema(**changes) -> dict:
    return {**json.loads(json.dumps(NOTES_SCHEMA)), **changes}


def _edited_not_rehashed(package: Path) -> None:
    frame = TABLES["events"].copy()
    frame["event_type"] = frame["event_type"].astype(object)
    frame.loc[2, "event_type"] = "coup"
    (package / "data" / "events.parquet").write_bytes(parquet_bytes(frame_to_arrow(frame)))


def _truncate(package: Path) -> None:
    path = package / "data" / "events.parquet"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    rehash(package)


def _corrupt_bytes(package: Path) -> None:
    path = package / "data" / "actors.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))  # hash left as recorded


def _symlink(target: Callable[[Path], Path], name: str = "link.parquet") -> Callable[[Path], None]:
    def apply(package: Path) -> None:
        os.symlink(target(package), package / "data" / name)
        edit_descriptor(lambda d: resource(d, "events").update(path=f"data/{name}"))(package)
    return apply


def _outside(package: Path) -> Path:
    outside = package.parent / "outside.parquet"
    shutil.copy2(package / "data" / "events.parquet", outside)
    return outside


def _hidden_secret(package: Path) -> None:
    """An innocently named CSV that links to a hidden file holding a secret."""
    (package / "data" / ".env").write_text("API_TOKEN=hunter2-secret\n", encoding="utf-8")
    os.symlink(package / "data" / ".env", package / "data" / "events.csv")
    edit_descriptor(lambda d: resource(d, "events").update(
        path="data/events.csv", format="csv"))(package)


def _loop(package: Path) -> None:
    os.symlink(package / "data" / "b.parquet", package / "data" / "a.parquet")
    os.symlink(package / "data" / "a.parquet", package / "data" / "b.parquet")
    edit_descriptor(lambda d: resource(d, "events").update(path="data/a.parquet"))(package)


def _fifo(package: Path) -> None:
    os.mkfifo(package / "data" / "pipe.parquet")
    edit_descriptor(lambda d: resource(d, "events").update(path="data/pipe.parquet"))(package)


def _fifo_descriptor(package: Path) -> None:
    (package / "datapackage.json").unlink()
    os.mkfifo(package / "datapackage.json")


def _sparse_file(package: Path) -> None:
    with open(package / "data" / "events.parquet", "r+b") as handle:
        handle.truncate(limits.MAX_FILE_BYTES + 1)


def _huge_descriptor(package: Path) -> None:
    descriptor = read_descriptor(package)
    descriptor["description"] = "x" * (limits.MAX_DESCRIPTOR_BYTES + 1)
    write_descriptor(package, descriptor)


def _dictionary_bomb(package: Path) -> None:
    """A small file whose title column decodes to more than MAX_DECODED_BYTES."""
    rows = limits.MAX_DECODED_BYTES // 100_000 + 100
    title = pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, np.int32)), pa.array(["t" * 100_000]))
    table = pa.table({"event_id": pa.array([f"EVT-{i % 1000:03d}" for i in range(rows)]), "title": title})
    write_arrow(package, "events", table, compression="zstd", dictionary_pagesize_limit=2**24)
    assert (package / "data" / "events.parquet").stat().st_size < 20_000


def _footer_rows(new: int, where: str = "file") -> Callable[[Path], None]:
    def apply(package: Path) -> None:
        data = (package / "data" / "events.parquet").read_bytes()
        write_bytes(package, "events", patch_row_count(data, len(TABLES["events"]), new, where))
    return apply


def _many_columns(package: Path) -> None:
    table = ARROW["actors"]
    for i in range(limits.MAX_COLUMNS):
        table = table.append_column(f"c{i}", pa.nulls(table.num_rows, pa.int8()))
    write_arrow(package, "actors", table)


def _many_bad_rows(package: Path) -> None:
    """50,000 rows whose actor_id fails its pattern: 10,000 kept, the rest counted."""
    n = 50_000
    table = pa.table({
        "record_table": pa.array(["events"] * n).dictionary_encode(),
        "record_id": pa.array([f"EVT-{i:05d}" for i in range(n)]),
        "actor_id": pa.array(["bad id"] * n),
        "role": pa.array(["participant"] * n).dictionary_encode(),
        "evidence_id": pa.array([f"EVT-{i:05d}#1" for i in range(n)]),
    })
    write_arrow(package, "record_actors", table)


def _swap_after_read(package: Path) -> None:
    """Made by the test: see test_the_bytes_hashed_are_the_bytes_parsed."""


def _tz(table: pa.Table) -> pa.Table:
    values = table.column("date_start").cast(pa.timestamp("s")).cast(pa.timestamp("us", tz="UTC"))
    return replace_column(table, "date_start", values.combine_chunks())


def _timestamp_with_time(table: pa.Table) -> pa.Table:
    values = table.column("date_start").cast(pa.timestamp("s")).to_pylist()
    row = next(i for i, v in enumerate(values) if v is not None)
    values[row] = values[row] + dt.timedelta(hours=9)
    return replace_column(table, "date_start", pa.array(values, pa.timestamp("s")))


def _dated(table: str) -> int:
    return first_row(table, lambda f: f["date_start"].notna() & (f["date_precision"] == "day"))


def _with_date(value: dt.date, column: str = "date_start") -> Callable[[pa.Table], pa.Table]:
    def edit(table: pa.Table) -> pa.Table:
        values = table.column(column).to_pylist()
        values[_dated("events")] = value
        return replace_column(table, column, pa.array(values, pa.date32()))
    return edit


def _with_float(column: str, value: float, row: int) -> Callable[[pa.Table], pa.Table]:
    def edit(table: pa.Table) -> pa.Table:
        values = table.column(column).cast(pa.float64()).to_pylist()
        values[row] = value
        return replace_column(table, column, pa.array(values, pa.float64()))
    return edit


def _with_text(column: str, value: Any, row: int) -> Callable[[pa.Table], pa.Table]:
    return lambda t: with_value(t, column, row, value, pa.string())


def _utf8(column: str, row: int, raw: bytes) -> Callable[[pa.Table], pa.Table]:
    def edit(table: pa.Table) -> pa.Table:
        values = [None if v is None else v.encode() for v in table.column(column).cast(pa.string()).to_pylist()]
        values[row] = raw
        return replace_column(table, column, invalid_utf8(values))
    return edit


def _utf8_dictionary(table: pa.Table) -> pa.Table:
    values = table.column("kind").cast(pa.string()).to_pylist()
    raw = [v.encode() for v in values]
    raw[2] = b"st\xffte"
    return replace_column(table, "kind", invalid_utf8(raw).dictionary_encode())


def _pandas_index(package: Path) -> None:
    frame = TABLES["actors"].copy()
    frame.index = pd.Index([f"i{i}" for i in range(len(frame))])
    write_arrow(package, "actors", frame_to_arrow(frame, preserve_index=True))


def _duplicate_parquet_column(table: pa.Table) -> pa.Table:
    return table.append_column(pa.field("iso3", pa.string()), table.column("iso3"))


def _list_column(table: pa.Table) -> pa.Table:
    values = pa.array([[v] for v in table.column("name").to_pylist()], pa.list_(pa.string()))
    return replace_column(table, "name", values)


def _struct_column(table: pa.Table) -> pa.Table:
    return table.append_column("extra", pa.array([{"a": 1}] * table.num_rows))


def _with_decimal_quantity(table: pa.Table) -> pa.Table:
    values = [None if v is None else decimal.Decimal(str(v)) for v in table.column("quantity").to_pylist()]
    return replace_column(table, "quantity", pa.array(values, pa.decimal128(18, 4)))


def _csv_edit(name: str, column: str, value: str, row: int) -> Callable[[Path], None]:
    def apply(package: Path) -> None:
        path = package / "data" / f"{name}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.loc[row, column] = value
        path.write_text(frame.to_csv(index=False), encoding="utf-8")
    return apply


def _csv_ragged(package: Path) -> None:
    path = package / "data" / "actors.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = "SECRET-CELL-TEXT"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _csv_invalid_utf8(package: Path) -> None:
    path = package / "data" / "actors.csv"
    path.write_bytes(path.read_bytes().replace(b"Japan", b"Jap\xffn"))


def _csv_duplicate_header(package: Path) -> None:
    path = package / "data" / "actors.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("cow_abbrev", "iso3", 1), encoding="utf-8")


def _dirname_injection(package: Path) -> None:
    """Handled by the test: the package lives in a folder whose name holds a command."""


def _tables_polars(edit: Callable[[Any], Any], name: str) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        tables = load_tables(backend="polars")
        tables[name] = edit(tables[name])
        return tables
    return build


def _pl():
    return pytest.importorskip("polars")


def _integer_categorical_text(frame: pd.DataFrame) -> pd.DataFrame:
    frame["place"] = pd.Categorical([1] + [None] * (len(frame) - 1))
    return frame


def _duplicate_columns(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame, frame[["iso3"]]], axis=1)


ROW_Q = first_row("commitments", lambda f: f["quantity"].notna())
ROW_YEAR = first_row("references", lambda f: f["issued_year"].notna())
ROW_PARENT = first_row("recommendations", lambda f: f["parent_id"].notna())
ROW_STATE = first_row("actors", lambda f: f["kind"] == "state")
ROW_DAY = _dated("events")
ROW_DATED = first_row("events", lambda f: f["date_start"].notna())
N_DATES = int(TABLES["events"]["date_start"].notna().sum())

CASES = [
    # ------------------------------------------------------------------ descriptor
    Case("descriptor-not-json", "descriptor", _write_raw(b"{ not json"), "descriptor",
         file="datapackage.json"),
    Case("descriptor-no-resources", "descriptor", edit_descriptor(lambda d: d.pop("resources")),
         "descriptor", file="datapackage.json"),
    Case("descriptor-resources-not-a-list", "descriptor",
         edit_descriptor(lambda d: d.update(resources={"events": {}})), "descriptor",
         file="datapackage.json"),
    Case("descriptor-duplicate-key", "descriptor", _raw_descriptor(
        lambda t: t.replace('"path": "data/events.parquet"',
                            '"path": "data/actors.parquet", "path": "data/events.parquet"', 1)),
         "descriptor", file="datapackage.json"),
    Case("descriptor-nan-literal", "descriptor", _raw_descriptor(
        lambda t: re.sub(r'"version": "[^"]*"', '"version": NaN', t, count=1)), "descriptor",
         file="datapackage.json"),
    Case("descriptor-deeply-nested", "descriptor", _write_raw(b"[" * 100_000 + b"]" * 100_000),
         "descriptor", file="datapackage.json"),
    Case("descriptor-huge-integer", "descriptor", _write_raw(b'{"resources": [], "n": ' + b"9" * 6000 + b"}"),
         "descriptor", file="datapackage.json"),
    Case("descriptor-not-utf8", "descriptor", _write_raw(b'{"title": "\xff\xfe", "resources": []}'),
         "descriptor", file="datapackage.json"),
    Case("descriptor-is-a-fifo", "os", _fifo_descriptor, "descriptor", file="datapackage.json"),
    Case("resource-missing", "descriptor", edit_descriptor(lambda d: d["resources"].remove(resource(d, "actors"))),
         "table_present", table="actors"),
    Case("resource-without-name", "descriptor", edit_descriptor(lambda d: resource(d, "actors").pop("name")),
         "descriptor", file="datapackage.json", count=2),  # and actors is missing
    Case("resource-name-twice", "descriptor", edit_descriptor(lambda d: d["resources"].append(
        dict(resource(d, "actors"), path="data/events.parquet"))), "descriptor", table="actors",
         file="datapackage.json"),
    Case("extra-resource-path-parent", "descriptor", _extra(path="../notes.csv"), "unsafe_path",
         table="notes", file="datapackage.json"),
    Case("extra-resource-hash-mismatch", "descriptor", _extra(hash="sha256:" + "0" * 64), "hash",
         table="notes", file="notes.csv"),
    Case("extra-resource-url", "descriptor", _extra(path="https://example.org/notes.csv"),
         "unsafe_path", table="notes"),
    Case("extra-resource-schema-ref", "descriptor", _extra(schema={"$ref": "https://example.org/s.json"}),
         "schema", table="notes"),
    Case("parquet-without-the-tables-columns", "model", lambda p: write_arrow(p, "actors", pa.table(
        {"colour": ["red"] * len(TABLES["actors"])})), "column_unexpected", table="actors", count=None),
    Case("csv-too-many-columns", "exhaustion", lambda p: csv_copy(p, edit_csv(
        "actors", lambda t: ",".join(f"c{i}" for i in range(limits.MAX_COLUMNS + 1)) + "\n")),
         "column_count", table="actors", file="actors.csv"),
    Case("schema-url", "descriptor", edit_descriptor(lambda d: resource(d, "events").update(
        schema="https://example.org/events.json")), "schema", table="events", file="datapackage.json"),
    Case("schema-parent-path", "descriptor", edit_descriptor(lambda d: resource(d, "events").update(
        schema="../schemas/events.json")), "schema", table="events", file="datapackage.json"),
    Case("schema-ref", "descriptor", edit_descriptor(lambda d: resource(d, "events").update(
        schema={"$ref": "#/definitions/events"})), "schema", table="events"),
    Case("schema-differs", "descriptor", edit_descriptor(lambda d: resource(d, "events")["schema"][
        "fields"][1]["constraints"]["enum"].append("coup")), "schema", table="events"),
    Case("schema-field-dropped", "descriptor", edit_descriptor(lambda d: resource(d, "actors")["schema"][
        "fields"].pop()), "schema", table="actors"),
    Case("schema-file-missing", "descriptor", edit_descriptor(lambda d: resource(d, "events").update(
        schema="schemas/events.json")), "schema", table="events"),
    Case("dialect-unsupported", "descriptor", lambda p: csv_copy(p, dialect={"commentChar": "#"}),
         "dialect", table="events", file="datapackage.json", count=len(TABLES)),
    Case("dialect-by-path", "descriptor", lambda p: (csv_copy(p), edit_descriptor(
        lambda d: resource(d, "actors").update(dialect="dialect.json"))(p)), "dialect", table="actors"),
    Case("dialect-no-header", "descriptor", lambda p: (csv_copy(p), edit_descriptor(
        lambda d: resource(d, "actors").update(dialect={"header": False}))(p)), "dialect", table="actors"),
    Case("dialect-delimiter-ignored", "descriptor", lambda p: csv_copy(p, sep=";"), "column_unexpected",
         table="record_actors", count=None),
    Case("encoding-unknown", "descriptor", edit_descriptor(lambda d: resource(d, "actors").update(
        encoding="klingon-8")), "encoding", table="actors"),
    Case("encoding-parquet-latin1", "descriptor", edit_descriptor(lambda d: resource(d, "actors").update(
        encoding="latin-1")), "encoding", table="actors"),
    Case("encoding-wrong", "descriptor", lambda p: (csv_copy(p, encoding="utf-16"), edit_descriptor(
        lambda d: [r.pop("encoding") for r in d["resources"]])(p)), "file_readable", table="events",
         count=len(TABLES)),
    Case("compression-declared", "descriptor", edit_descriptor(lambda d: resource(d, "actors").update(
        compression="gz")), "descriptor", table="actors"),
    Case("inline-data", "descriptor", edit_descriptor(lambda d: resource(d, "actors").update(
        data=[{"actor_id": "USA"}])), "descriptor", table="actors"),
    Case("bytes-mismatch", "descriptor", edit_descriptor(lambda d: resource(d, "actors").update(
        bytes=12)), "bytes", table="actors", file="actors.parquet"),
    Case("format-unsupported", "descriptor", edit_descriptor(lambda d: resource(d, "events").update(
        format="xlsx")), "format", table="events"),
    Case("hash-not-a-hash", "descriptor", edit_descriptor(lambda d: resource(d, "events").update(
        hash="sha256:xyz")), "hash", table="events", file="datapackage.json"),
    # ------------------------------------------------------------------ extended copies
    Case("added-table-undeclared", "extension", _extra(schema=None), "schema", table="notes",
         file="datapackage.json"),
    Case("added-table-wrong-type", "extension", _extra("a,b\n1,2\n2,two\n"), "type", table="notes",
         column="b", row=2, file="notes.csv"),
    Case("added-table-duplicate-key", "extension", _extra("a,b\n1,2\n1,3\n"), "primary_key",
         table="notes", column="a", row=2),
    Case("added-table-required", "extension", _extra("a,b\n1,2\n,3\n"), "required", table="notes",
         column="a", row=2),
    Case("added-table-range", "extension", _extra("a,b\n1,2\n2,-3\n", schema=_notes_schema(fields=[
        NOTES_SCHEMA["fields"][0], {"name": "b", "type": "integer", "constraints": {"minimum": 0}}])),
         "range", table="notes", column="b", row=2),
    Case("added-table-foreign-key-into-core", "extension", _extra(
        "a,b,actor\n1,2,USA\n2,3,ATLANTIS\n", schema=_notes_schema(
            fields=[*NOTES_SCHEMA["fields"], {"name": "actor", "type": "string"}],
            foreignKeys=[{"fields": ["actor"], "reference": {"resource": "actors", "fields": ["actor_id"]}}])),
         "foreign_key", table="notes", column="actor", row=2),
    Case("added-table-foreign-key-into-nothing", "extension", _extra(schema=_notes_schema(
        foreignKeys=[{"fields": ["b"], "reference": {"resource": "nowhere", "fields": ["id"]}}])),
         "schema", table="notes", file="datapackage.json"),
    Case("added-table-type-unsupported", "extension", _extra(schema=_notes_schema(
        fields=[NOTES_SCHEMA["fields"][0], {"name": "b", "type": "geojson"}])), "schema", table="notes"),
    Case("core-enum-widened", "extension", edit_descriptor(lambda d: resource(d, "events")["schema"][
        "fields"][1]["constraints"]["enum"].append("coup")), "schema", table="events"),
    Case("edited-not-rehashed", "extension", _edited_not_rehashed, "vocabulary", table="events",
         column="event_type", row=3, count=2),  # and the hash
    # ------------------------------------------------------------------ paths and files
    Case("path-parent", "paths", edit_descriptor(lambda d: resource(d, "events").update(
        path="../events.parquet")), "unsafe_path", table="events", file="datapackage.json"),
    Case("path-absolute", "paths", edit_descriptor(lambda d: resource(d, "events").update(
        path="/etc/passwd")), "unsafe_path", table="events"),
    Case("path-url", "paths", edit_descriptor(lambda d: resource(d, "events").update(
        path="https://example.org/e.parquet")), "unsafe_path", table="events"),
    Case("path-hidden", "paths", edit_descriptor(lambda d: resource(d, "events").update(
        path="data/.events.parquet")), "unsafe_path", table="events"),
    Case("path-list", "paths", edit_descriptor(lambda d: resource(d, "events").update(
        path=["data/events.parquet"])), "unsafe_path", table="events"),
    Case("path-symlink-outside", "paths", _symlink(_outside), "unsafe_path", table="events"),
    Case("path-symlink-device", "paths", _symlink(lambda p: Path("/dev/zero")), "unsafe_path",
         table="events"),
    Case("path-directory", "paths", edit_descriptor(lambda d: resource(d, "events").update(
        path="data")), "file_readable", table="events"),
    Case("path-fifo", "paths", _fifo, "file_readable", table="events"),
    Case("hash-mismatch", "paths", _corrupt_bytes, "hash", table="actors", file="actors.parquet",
         count=2),  # and the file, still parsed, is not readable Parquet
    Case("truncated-parquet", "paths", _truncate, "file_readable", table="events", file="events.parquet"),
    Case("file-missing", "paths", lambda p: (p / "data" / "exercises.parquet").unlink(), "file_missing",
         table="exercises", file="exercises.parquet"),
    Case("not-parquet", "paths", lambda p: write_bytes(p, "actors", b"PAR1 this is not parquet PAR1"),
         "file_readable", table="actors", file="actors.parquet"),
    # ------------------------------------------------------------------ operating-system errors
    Case("path-nul-byte", "os", edit_descriptor(lambda d: resource(d, "events").update(
        path="data/events\x00.parquet")), "unsafe_path", table="events"),
    Case("path-lone-surrogate", "os", _raw_descriptor(lambda t: t.replace(
        '"data/events.parquet"', '"data/\\udcffevents.parquet"', 1)), "unsafe_path", table="events"),
    Case("path-name-too-long", "os", edit_descriptor(lambda d: resource(d, "events").update(
        path="data/" + "e" * 300 + ".parquet")), "file_readable", table="events"),
    Case("path-symlink-loop", "os", _loop, "file_readable", table="events"),
    Case("path-control-character", "os", edit_descriptor(lambda d: resource(d, "events").update(
        path="data/events\n.parquet")), "unsafe_path", table="events"),
    # ------------------------------------------------------------------ resource exhaustion
    Case("descriptor-too-big", "exhaustion", _huge_descriptor, "descriptor_size", file="datapackage.json"),
    Case("file-too-big", "exhaustion", _sparse_file, "file_size", table="events", file="events.parquet"),
    Case("dictionary-bomb", "exhaustion", _dictionary_bomb, "decoded_size", table="events",
         file="events.parquet"),
    Case("footer-declares-2-30-rows", "exhaustion", _footer_rows(2**30), "row_count", table="events",
         file="events.parquet"),
    Case("too-many-columns", "exhaustion", _many_columns, "column_count", table="actors"),
    Case("millions-of-errors", "exhaustion", _many_bad_rows, "pattern", table="record_actors",
         column="actor_id", row=1, count=None),
    # ------------------------------------------------------------------ values that pass a type check
    Case("date-with-time-zone", "values", edit_arrow("events", _tz), "type", table="events",
         column="date_start", row=ROW_DATED + 1, count=N_DATES),
    Case("date-with-time-of-day", "values", edit_arrow("events", _timestamp_with_time), "type",
         table="events", column="date_start", row=first_row("events", lambda f: f["date_start"].notna()) + 1),
    Case("date-after-2262", "values", edit_arrow("events", _with_date(dt.date(3000, 1, 1))), "type",
         table="events", column="date_start", row=ROW_DAY + 1),
    Case("date-before-1677", "values", edit_arrow("events", _with_date(dt.date(1500, 1, 1), "date_end")),
         "type", table="events", column="date_end", row=ROW_DAY + 1),
    Case("date-year-9999", "values", edit_arrow("events", _with_date(dt.date(9999, 12, 31))), "type",
         table="events", column="date_start", row=ROW_DAY + 1),
    Case("nan-in-number", "values", edit_arrow("commitments", _with_float("quantity", float("nan"), ROW_Q)),
         "type", table="commitments", column="quantity", row=ROW_Q + 1),
    Case("inf-in-number", "values", edit_arrow("commitments", _with_float("quantity", float("inf"), ROW_Q)),
         "type", table="commitments", column="quantity", row=ROW_Q + 1),
    Case("minus-inf-in-integer", "values", edit_arrow("references", _with_float(
        "issued_year", float("-inf"), ROW_YEAR)), "type", table="references", column="issued_year",
         row=ROW_YEAR + 1),
    Case("fraction-in-integer", "values", edit_arrow("references", _with_float(
        "issued_year", 2001.5, ROW_YEAR)), "type", table="references", column="issued_year", row=ROW_YEAR + 1),
    Case("integer-overflow", "values", edit_arrow("references", lambda t: with_value(
        t, "issued_year", ROW_YEAR, decimal.Decimal(10**30), pa.decimal128(38, 0))), "type",
         table="references", column="issued_year", row=ROW_YEAR + 1),  # beyond any integer dtype
    Case("empty-required-text", "values", edit_arrow("events", _with_text("title", "", 4)),
         "required", table="events", column="title", row=5),
    Case("whitespace-required-text", "values", edit_arrow("events", _with_text("title", " \t\u3000", 4)),
         "required", table="events", column="title", row=5),
    Case("whitespace-quote", "values", edit_arrow("evidence", _with_text("quote", "   ", 7)),
         "required", table="evidence", column="quote", row=8),
    Case("pattern-trailing-newline", "values", edit_arrow("actors", _with_text("iso3", "JPN\n", ROW_STATE)),
         "pattern", table="actors", column="iso3", row=ROW_STATE + 1),
    Case("pattern-unicode-digits", "values", edit_arrow("references", _with_text(
        "sha256", "٠" * 64, 0)), "pattern", table="references", column="sha256", row=1),
    Case("invalid-utf8-text", "values", edit_arrow("events", _utf8("title", 3, b"caf\xe9")), "type",
         table="events", column="title", row=4),
    Case("invalid-utf8-dictionary", "values", edit_arrow("actors", _utf8_dictionary), "type",
         table="actors", column="kind", row=3),
    Case("pandas-index-column", "values", _pandas_index, "column_unexpected", table="actors",
         column="__index_level_0__"),
    Case("footer-row-count-disagrees", "values", _footer_rows(len(TABLES["events"]) + 1), "row_count",
         table="events", file="events.parquet"),
    Case("row-group-row-count-disagrees", "values", _footer_rows(len(TABLES["events"]) + 1, "group"),
         "row_count", table="events", file="events.parquet"),
    Case("bool-in-number", "values", edit_arrow("commitments", lambda t: replace_column(
        t, "quantity", pa.array([None if v is None else True for v in t.column("quantity").to_pylist()]))),
         "type", table="commitments", column="quantity", row=ROW_Q + 1, count=3),
    Case("list-column", "values", edit_arrow("actors", _list_column), "type", table="actors",
         column="name"),
    Case("struct-extra-column", "values", edit_arrow("actors", _struct_column), "column_unexpected",
         table="actors", column="extra"),
    Case("duplicate-parquet-column", "values", edit_arrow("actors", _duplicate_parquet_column),
         "column_duplicate", table="actors", column="iso3"),
    # ------------------------------------------------------------------ the tables against their models
    Case("column-missing", "model", edit_table("events", lambda f: f.drop(columns="title")),
         "column_missing", table="events", column="title", file="events.parquet"),
    Case("column-unexpected", "model", edit_table("actors", lambda f: f.assign(colour="red")),
         "column_unexpected", table="actors", column="colour"),
    Case("category-unknown", "model", edit_table("events", set_cell("event_type", "coup", 2, "object")),
         "vocabulary", table="events", column="event_type", row=3),
    Case("required-null", "model", edit_table("events", set_cell("title", None, 4)),
         "required", table="events", column="title", row=5),
    Case("wrong-type-in-required", "model", None, "type", table="events", column="title", row=5,
         tables=_tables("events", set_cell("title", 42, 4, "object"))),
    Case("id-pattern", "model", edit_table("actors", set_cell("iso3", "jpn", ROW_STATE)),
         "pattern", table="actors", column="iso3", row=ROW_STATE + 1),
    Case("wrong-type-text", "model", edit_table("exercises", lambda f: f.assign(
        description=range(42, 42 + len(f)))), "type", table="exercises", column="description", row=1,
         count=len(TABLES["exercises"])),
    Case("negative-quantity", "model", edit_table("commitments", set_cell("quantity", -2.0, ROW_Q)),
         "range", table="commitments", column="quantity", row=ROW_Q + 1),
    Case("year-out-of-range", "model", edit_table("references", set_cell("issued_year", 1800, ROW_YEAR)),
         "range", table="references", column="issued_year", row=ROW_YEAR + 1),
    Case("duplicate-primary-key", "model", edit_table("actor_members", lambda f: pd.concat(
        [f, f.iloc[[0]]], ignore_index=True)), "primary_key", table="actor_members",
         column="grouping_id", row=len(TABLES["actor_members"]) + 1),
    Case("date-range-reversed", "model", edit_table("events", lambda f: f.assign(
        date_end=f["date_start"].where(f.index != ROW_DAY, f["date_start"] - pd.Timedelta(days=1)))),
         "date_range_ordered", table="events", row=ROW_DAY + 1, count=None),
    Case("precision-disagrees", "model", edit_table("events", set_cell(
        "date_precision", "unknown", first_row("events", lambda f: f["date_precision"] == "year"))),
         "date_precision_agrees", table="events",
         row=first_row("events", lambda f: f["date_precision"] == "year") + 1),
    Case("quantity-without-unit", "model", edit_table("commitments", set_cell("unit", None, ROW_Q)),
         "quantity_has_unit", table="commitments", row=ROW_Q + 1),
    Case("bad-date-no-second-error", "model", None, "type", table="events", column="date_start",
         row=ROW_DAY + 1, tables=_tables("events", set_cell("date_start", "someday", ROW_DAY, "object"))),
    # ------------------------------------------------------------------ keys and rules across tables
    Case("foreign-key-actor", "model", edit_table("record_actors", set_cell("actor_id", "ATLANTIS", 0)),
         "foreign_key", table="record_actors", column="actor_id", row=1),
    Case("evidence-dangling-record", "model", edit_table("evidence", set_cell("record_id", "EVT-999", 0)),
         "foreign_key", table="evidence", column="record_id", row=1, count=None),
    Case("evidence-from-a-cited-work", "model", edit_table("evidence", set_cell(
        "source_id", TABLES["references"].query("role == 'cited_work'")["reference_id"].iloc[0], 0)),
         "foreign_key", table="evidence", column="source_id", row=1),
    Case("record-without-evidence", "model", edit_table("evidence", lambda f: f[
        f["record_id"] != TABLES["exercises"]["exercise_id"].iloc[0]].reset_index(drop=True)),
         # the record has no evidence; and its two actors point at the evidence rows removed
         "evidence", table="exercises", row=1, count=3),
    Case("parent-dangling", "model", edit_table("recommendations", set_cell("parent_id", "REC-999", ROW_PARENT)),
         "foreign_key", table="recommendations", column="parent_id", row=ROW_PARENT + 1),
    Case("bad-id-no-dangling-error", "model", edit_table("record_actors", set_cell("actor_id", "usa", 0)),
         "pattern", table="record_actors", column="actor_id", row=1),
    # ------------------------------------------------------------------ CSV copies
    Case("csv-bad-integer", "csv", lambda p: csv_copy(p, _csv_edit("references", "issued_year", "twenty", ROW_YEAR)),
         "type", table="references", column="issued_year", row=ROW_YEAR + 1, file="references.csv"),
    Case("csv-bad-date", "csv", lambda p: csv_copy(p, _csv_edit("events", "date_start", "20 May 2022", ROW_DAY)),
         "type", table="events", column="date_start", row=ROW_DAY + 1, file="events.csv"),
    Case("csv-date-after-2262", "csv", lambda p: csv_copy(p, _csv_edit("events", "date_start", "3000-01-01", ROW_DAY)),
         "type", table="events", column="date_start", row=ROW_DAY + 1, file="events.csv"),
    Case("csv-nan-number", "csv", lambda p: csv_copy(p, _csv_edit("commitments", "quantity", "NaN", ROW_Q)),
         "type", table="commitments", column="quantity", row=ROW_Q + 1),
    Case("csv-ragged-row", "csv", lambda p: csv_copy(p, _csv_ragged), "file_readable", table="actors",
         file="actors.csv", secret="SECRET-CELL-TEXT"),
    Case("csv-invalid-utf8", "csv", lambda p: csv_copy(p, _csv_invalid_utf8), "file_readable",
         table="actors", file="actors.csv"),
    Case("csv-duplicate-header", "csv", lambda p: csv_copy(p, _csv_duplicate_header), "column_duplicate",
         table="actors", column="iso3", count=2),  # and cow_abbrev is missing
    Case("csv-whitespace-title", "csv", lambda p: csv_copy(p, _csv_edit("events", "title", "   ", 2)),
         "required", table="events", column="title", row=3),
    Case("csv-bad-boolean", "csv", lambda p: csv_copy(p, _csv_edit("references", "in_reference_list", "yes", 3)),
         "type", table="references", column="in_reference_list", row=4),
    # ------------------------------------------------------------------ output that becomes a command
    Case("cell-holds-workflow-command", "output", edit_table("events", set_cell(
        "event_type", "x\n::error file=a.py::pwned", 2, "object")), "vocabulary", table="events",
         column="event_type", row=3),
    Case("column-name-holds-workflow-command", "output", edit_table("actors", lambda f: f.assign(
        **{"\n::warning::pwned": 1})), "column_unexpected", table="actors"),
    Case("symlink-to-hidden-file", "output", _hidden_secret, "unsafe_path", table="events",
         secret="hunter2"),
    Case("folder-name-holds-workflow-command", "output", edit_table("actors", set_cell("iso3", "jpn", ROW_STATE)),
         "pattern", table="actors", column="iso3", row=ROW_STATE + 1),
    Case("cell-holds-bidi-and-nul", "output", edit_table("events", set_cell(
        "event_type", "\u202e\x00::error::x", 2, "object")), "vocabulary", table="events", column="event_type", row=3),
    # ------------------------------------------------------------------ API inputs
    Case("api-lazyframe-bad-value", "api", None, "vocabulary", table="events", column="event_type", row=1,
         count=len(TABLES["events"]), tables=lambda: _tables_polars(
             lambda f: f.lazy().with_columns(_pl().lit("zzz").alias("event_type")), "events")()),
    Case("api-duplicate-columns", "api", None, "column_duplicate", table="actors", column="iso3",
         tables=_tables("actors", _duplicate_columns)),
    Case("api-integer-categorical-in-text", "api", None, "type", table="events", column="place", row=1,
         tables=_tables("events", _integer_categorical_text)),
    Case("api-integer-categorical-with-nulls", "api", None, "range", table="references", column="issued_year",
         row=ROW_YEAR + 1, tables=_tables("references", lambda f: f.assign(issued_year=pd.Categorical(
             f["issued_year"].astype("Int64").where(f.index != ROW_YEAR, 1800).astype(object))))),
    Case("api-lone-surrogate-text", "api", None, "type", table="events", column="title", row=2,
         tables=_tables("events", set_cell("title", "bad\udcfftext", 1, "object"))),
    Case("api-not-a-frame", "api", None, "table_type", table="actors",
         tables=_tables("actors", lambda f: f.to_dict())),
    Case("api-unknown-table-name", "api", None, "unknown_table", table="\n::error::x",
         tables=lambda: {**_copy(), "\n::error::x": TABLES["actors"]}),
    Case("api-nan-in-arrow", "api", None, "type", table="commitments", column="quantity", row=ROW_Q + 1,
         tables=lambda: {**load_tables(backend="pyarrow"), "commitments": _with_float(
             "quantity", float("nan"), ROW_Q)(ARROW["commitments"])}),
    Case("api-timestamps-out-of-range", "api", None, "type", table="events", column="date_start",
         row=ROW_DAY + 1, tables=_tables("events", lambda f: f.assign(date_start=pd.Series(
             f["date_start"].astype("datetime64[s]").where(f.index != ROW_DAY,
                                                            np.datetime64("2500-01-01", "s")))))),
    Case("api-tz-aware", "api", None, "type", table="events", column="date_start", row=ROW_DATED + 1,
         count=N_DATES,
         tables=_tables("events", lambda f: f.assign(date_start=f["date_start"].dt.tz_localize("Asia/Tokyo")))),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_input_is_reported(case: Case, tmp_path):
    if case.tables is not None:
        report = validate(case.tables())
    else:
        folder = "p\n::error::pwned" if case.kind == "output" and case.id.startswith("folder") else "pkg"
        package = copy_package(tmp_path / folder)
        case.breaks(package)
        report = validate(package)
    assert not report.valid
    errors = report.errors
    hits = errors[errors["check"] == case.check]
    assert not hits.empty, f"no {case.check!r} error in:\n{errors.to_string()}"
    if case.table is not None:
        from usjapan_data.report import clean

        hits = hits[hits["table"] == clean(case.table)]
        assert not hits.empty, errors.to_string()
    if case.column is not None:
        hits = hits[hits["column"].fillna("").str.contains(case.column, regex=False)]
        assert not hits.empty, errors.to_string()
    if case.row is not None:
        hits = hits[hits["row"] == case.row]
        assert not hits.empty, errors.to_string()
        assert hits["found"].notna().all() and hits["expected"].notna().all()
    if case.file is not None:
        assert hits["file"].fillna("").str.contains(case.file, regex=False).any(), errors.to_string()
    assert hits["message"].iloc[0]
    # one error per problem, named as in the codebook, no internals
    if case.count is not None:
        assert len(errors) == case.count, errors.to_string()
    located = errors.dropna(subset=["row"])
    assert not located.duplicated(subset=["table", "row", "column"]).any(), located.to_string()
    assert set(errors["check"]) <= PUBLIC_CHECKS, set(errors["check"]) - PUBLIC_CHECKS
    for text in errors["message"].tolist() + errors["expected"].dropna().tolist():
        assert not any(word in text for word in INTERNAL), text
    if case.check == "vocabulary":
        column = case.column
        allowed = next(s for s in schema.column_specs(schema.TABLES[case.table]) if s.name == column).categories
        assert all(value in hits["expected"].iloc[0] for value in allowed)
    _assert_safe_output(report, case.secret)


def _assert_safe_output(report, secret: str | None = None) -> None:
    """No output line starts with, or holds a line break from, the input."""
    text = report.format_text(limit=1000)
    for line in text.splitlines():
        assert not line.lstrip().startswith(("::", "##")), line
    github = _github(report)
    for line in github.splitlines():
        assert line.startswith(("::error ", "::error title=", "usjapan-data validate ")), line
    payload = report.to_json()
    json.loads(payload)
    if secret:
        assert secret not in text + github + payload


def test_every_class_is_covered():
    kinds = {c.kind for c in CASES}
    assert {"descriptor", "paths", "os", "exhaustion", "values", "model", "csv", "output", "api",
            "extension"} <= kinds
    assert len(CASES) >= 100
    for kind in kinds:
        assert sum(c.kind == kind for c in CASES) >= 3, kind


def test_millions_of_errors_are_counted_not_kept(tmp_path):
    package = copy_package(tmp_path / "pkg")
    _many_bad_rows(package)
    report = validate(package)
    assert len(report.errors) == limits.MAX_ERRORS
    assert report.error_count > 50_000  # each bad actor_id, and the records without evidence
    omitted = report.omitted.set_index(["table", "check", "column"])["count"]
    assert omitted[("record_actors", "pattern", "actor_id")] == 50_000 - (
        report.errors["check"] == "pattern").sum()
    assert "not kept" in report.format_text()
    assert report.to_dict()["error_count"] == report.error_count


def test_permission_denied_is_a_finding(tmp_path, monkeypatch):
    package = copy_package(tmp_path / "pkg")
    real_open = os.open

    def deny(path, flags, *args, **kwargs):
        if Path(path).name == "actors.parquet":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    if os.geteuid() != 0:
        (package / "data" / "actors.parquet").chmod(0)
    else:
        monkeypatch.setattr(os, "open", deny)
    report = validate(package)
    hit = report.errors[report.errors["check"] == "file_readable"]
    assert hit["table"].tolist() == ["actors"] and "Permission denied" in hit["message"].iloc[0]
    assert len(report.errors) == 1


def test_the_bytes_hashed_are_the_bytes_parsed(tmp_path, monkeypatch):
    """A file swapped after it was read: what is parsed is what was hashed."""
    from usjapan_data import package as reader
    from usjapan_data.validation import validate_package

    package = copy_package(tmp_path / "pkg")
    path = package / "data" / "actors.parquet"
    swapped = TABLES["actors"].copy()
    swapped.loc[0, "name"] = "Swapped after hashing"
    swapped_bytes = parquet_bytes(frame_to_arrow(swapped))
    real = reader._read_bytes

    def read_then_swap(file, *args, **kwargs):
        data = real(file, *args, **kwargs)
        if Path(file).name == "actors.parquet":
            path.write_bytes(swapped_bytes)
        return data

    monkeypatch.setattr(reader, "_read_bytes", read_then_swap)
    report, tables = validate_package(package)
    assert report.valid, str(report)
    assert tables["actors"].column("name")[0].as_py() == TABLES["actors"].loc[0, "name"]


def test_load_tables_validate_returns_the_tables_validated(monkeypatch):
    import usjapan_data.loading as loading

    def never(*args, **kwargs):
        raise AssertionError("a second read")

    monkeypatch.setattr(loading, "_read", never)
    tables = load_tables(validate=True)
    pd.testing.assert_frame_equal(tables["events"], TABLES["events"], check_categorical=False)
    assert list(tables["events"]["event_type"].cat.categories) == list(TABLES["events"]["event_type"].cat.categories)
    assert load_tables(validate=True, backend="pyarrow")["events"].num_rows == len(TABLES["events"])


def test_arrow_to_pandas_never_wraps_dates():
    from usjapan_data.loading import arrow_to_pandas

    table = pa.table({"d": pa.array([dt.date(3000, 1, 1)], pa.date32())})
    with pytest.raises(ValueError, match="date_|3000|outside"):
        arrow_to_pandas(table)
    ok = arrow_to_pandas(pa.table({"d": pa.array([dt.date(2000, 1, 1)], pa.date32())}))
    assert str(ok["d"].dtype) == "datetime64[ns]"


def test_bombs_within_address_space(tmp_path):
    """The exhaustion cases, validated in a process limited to 4 GiB of address space."""
    packages = []
    for case in CASES:
        if case.kind == "exhaustion":
            package = copy_package(tmp_path / case.id)
            case.breaks(package)
            packages.append((case.check, str(package)))
    code = (
        "import json, resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))\n"
        "import usjapan_data\n"
        "out = []\n"
        "for check, path in json.loads(sys.argv[1]):\n"
        "    report = usjapan_data.validate(path)\n"
        "    out.append([check, report.valid, sorted(set(report.errors['check']))])\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run([sys.executable, "-c", code, json.dumps(packages)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    for check, valid, checks in json.loads(result.stdout):
        assert not valid and check in checks, (check, checks)


# --------------------------------------------------------------------------
# Unusual but valid inputs: accepted
# --------------------------------------------------------------------------


def _csv_with_newline_in_note(package: Path) -> None:
    tables = _copy()
    tables["events"].loc[0, "note"] = "first line\nsecond line, with a comma and a \"quote\""
    csv_copy(package, tables=tables)


def _schema_as_path(package: Path) -> None:
    shutil.copytree(Path(__file__).resolve().parents[1] / "schemas", package / "schemas")
    edit_descriptor(lambda d: [r.update(schema=f"schemas/{r['name']}.json") for r in d["resources"]])(package)


def _md5_hashes(package: Path) -> None:
    descriptor = read_descriptor(package)
    for res in descriptor["resources"]:
        res["hash"] = hashlib.md5((package / res["path"]).read_bytes()).hexdigest()
    write_descriptor(package, descriptor)


def _valid_extra_resource(package: Path) -> None:
    _extra()(package)


def _bom_descriptor(package: Path) -> None:
    path = package / "datapackage.json"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


def _decimal_quantity(package: Path) -> None:
    edit_arrow("commitments", _with_decimal_quantity)(package)


def _many_row_groups(package: Path) -> None:
    edit_arrow("evidence", lambda t: t, row_group_size=7, compression="zstd")(package)


def _large_strings(package: Path) -> None:
    edit_arrow("evidence", lambda t: t.cast(pa.schema([
        pa.field(f.name, pa.large_string() if f.type == pa.string() else f.type, metadata=f.metadata)
        for f in t.schema])))(package)


def _dates_as_timestamps(package: Path) -> None:
    edit_arrow("events", lambda t: replace_column(replace_column(
        t, "date_start", t.column("date_start").cast(pa.timestamp("ms")).combine_chunks()),
        "date_end", t.column("date_end").cast(pa.timestamp("us")).combine_chunks()))(package)


def _plain_strings_for_categories(package: Path) -> None:
    edit_arrow("events", lambda t: t.cast(pa.schema([
        pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type) for f in t.schema])))(package)


def _reordered_columns(package: Path) -> None:
    edit_arrow("actors", lambda t: t.select(list(reversed(t.column_names))))(package)


def _no_hashes_no_schemas(package: Path) -> None:
    edit_descriptor(lambda d: [(r.pop("hash"), r.pop("schema")) for r in d["resources"]])(package)


def _range_index_metadata(package: Path) -> None:
    write_arrow(package, "actors", frame_to_arrow(TABLES["actors"], preserve_index=None))


VALID = {
    "csv-copy": lambda p: csv_copy(p),
    "csv-semicolon-dialect": lambda p: csv_copy(p, sep=";", dialect={"delimiter": ";"}),
    "csv-utf-16": lambda p: csv_copy(p, encoding="utf-16"),
    "csv-crlf": lambda p: csv_copy(p, lineterminator="\r\n"),
    "csv-newline-in-field": _csv_with_newline_in_note,
    "schema-as-path": _schema_as_path,
    "md5-hashes": _md5_hashes,
    "extra-valid-resource": _valid_extra_resource,
    "descriptor-with-bom": _bom_descriptor,
    "decimal-quantity": _decimal_quantity,
    "many-row-groups": _many_row_groups,
    "large-strings": _large_strings,
    "dates-as-midnight-timestamps": _dates_as_timestamps,
    "categories-as-plain-text": _plain_strings_for_categories,
    "columns-reordered": _reordered_columns,
    "no-hashes-no-schemas": _no_hashes_no_schemas,
    "pandas-range-index-metadata": _range_index_metadata,
}


@pytest.mark.parametrize("name", list(VALID))
def test_unusual_valid_package_is_accepted(name, tmp_path):
    package = copy_package(tmp_path / "pkg")
    VALID[name](package)
    report = validate(package)
    assert report.valid, str(report)


def _valid_tables() -> dict[str, Callable[[], dict[str, Any]]]:
    pl = pytest.importorskip("polars")
    return {
        "pandas": _copy,
        "pyarrow": lambda: load_tables(backend="pyarrow"),
        "polars": lambda: load_tables(backend="polars"),
        "polars-lazy": lambda: {n: f.lazy() for n, f in load_tables(backend="polars").items()},
        "polars-string-view": lambda: {n: pl.from_arrow(f.to_arrow()) for n, f in load_tables(backend="polars").items()},
        "record-batches": lambda: {n: t.combine_chunks().to_batches()[0] if t.num_rows else t
                                   for n, t in load_tables(backend="pyarrow").items()},
        "pandas-pyarrow-dtypes": lambda: {n: pq.read_table(Path(__import__("usjapan_data").table_path(n))).to_pandas(
            types_mapper=pd.ArrowDtype) for n in TABLES},
        "decimal-objects": _tables("commitments", lambda f: f.assign(quantity=f["quantity"].map(
            lambda v: decimal.Decimal(str(v)), na_action="ignore").astype(object))),
        "numpy-float-nan-as-missing": _tables("commitments", lambda f: f.assign(
            quantity=f["quantity"].astype("float64"))),
        "dates-in-seconds": _tables("events", lambda f: f.assign(date_start=f["date_start"].astype("datetime64[s]"))),
        "python-dates": _tables("events", lambda f: f.assign(date_start=pd.Series(
            [None if pd.isna(v) else v.date() for v in f["date_start"]], dtype=object))),
        "integer-categorical": _tables("references", lambda f: f.assign(
            issued_year=pd.Categorical(f["issued_year"].astype(object).where(f["issued_year"].notna(), None)))),
        "shuffled-index": _tables("actors", lambda f: f.set_axis(range(100, 100 + len(f)))),
    }


@pytest.mark.parametrize("name", ["pandas", "pyarrow", "polars", "polars-lazy", "polars-string-view",
                                  "record-batches", "pandas-pyarrow-dtypes", "decimal-objects",
                                  "numpy-float-nan-as-missing", "dates-in-seconds", "python-dates",
                                  "integer-categorical", "shuffled-index"])
def test_unusual_valid_tables_are_accepted(name):
    report = validate(_valid_tables()[name]())
    assert report.valid, str(report)


def test_shipped_package_copy_is_valid(tmp_path):
    package = copy_package(tmp_path / "pkg")
    assert validate(package).valid
    assert main(["validate", str(package)]) == 0


def test_cli_formats_on_a_broken_package(tmp_path, capsys):
    package = copy_package(tmp_path / "pkg")
    edit_table("events", set_cell("event_type", "coup", 2, "object"))(package)
    assert main(["validate", str(package)]) == 1
    text = capsys.readouterr()
    assert "INVALID" in text.out and "Traceback" not in text.out + text.err
    assert main(["validate", str(package), "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["valid"] is False and [e["check"] for e in payload["errors"]] == ["vocabulary"]
    assert main(["validate", str(package), "--format", "github"]) == 1
    assert capsys.readouterr().out.startswith("::error file=")


def test_raise_for_errors():
    from usjapan_data import ValidationError

    tables = load_tables()
    tables["actors"] = tables["actors"].iloc[0:0]
    report = validate(tables)
    with pytest.raises(ValidationError) as info:
        report.raise_for_errors()
    assert info.value.report is report
    assert "foreign_key" in str(info.value)


def test_a_missing_descriptor_path_is_reported(tmp_path):
    report = validate(tmp_path / "nowhere")
    assert not report.valid
    assert report.errors.loc[0, "check"] == "descriptor"


@pytest.mark.parametrize("path", ["pkg\x00", "\udcff/datapackage.json", "x" * 5000])
def test_odd_descriptor_paths_are_findings(path):
    report = validate(path)
    assert not report.valid and report.errors["check"].tolist() == ["descriptor"]
    _assert_safe_output(report)
