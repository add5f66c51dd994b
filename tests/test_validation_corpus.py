"""A corpus of broken packages and tables: each is reported, located, and exits 1.

Every case starts from a copy of the shipped package (its datapackage.json and
Parquet files), breaks one thing, and asserts the kind of error (``check``),
where it was found (file, table, row, column) and the exit code of
``usjapan-data validate``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from usjapan_data import descriptor_path, load_tables, validate
from usjapan_data.cli import main


def copy_package(target: Path) -> Path:
    """Copy the shipped descriptor and Parquet files to ``target``."""
    source = descriptor_path().parent
    shutil.copytree(source / "data", target / "data")
    shutil.copy2(source / "datapackage.json", target / "datapackage.json")
    return target


def read_descriptor(package: Path) -> dict:
    return json.loads((package / "datapackage.json").read_text(encoding="utf-8"))


def write_descriptor(package: Path, descriptor: dict) -> None:
    (package / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


def rehash(package: Path) -> None:
    """Record each file's current sha256, as a researcher regenerating hashes would."""
    descriptor = read_descriptor(package)
    for resource in descriptor["resources"]:
        path = package / resource["path"]
        if path.is_file():
            resource["hash"] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    write_descriptor(package, descriptor)


def write_table(package: Path, name: str, frame: pd.DataFrame) -> None:
    """Write a (possibly broken) table with plain pyarrow, then rehash."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, package / "data" / f"{name}.parquet")
    rehash(package)


def edit_table(name: str, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    def apply(package: Path) -> None:
        frame = load_tables()[name].copy()
        write_table(package, name, edit(frame))

    return apply


def edit_descriptor(edit: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(package: Path) -> None:
        descriptor = read_descriptor(package)
        edit(descriptor)
        write_descriptor(package, descriptor)

    return apply


def resource(descriptor: dict, name: str) -> dict:
    return next(r for r in descriptor["resources"] if r["name"] == name)


def set_cell(column: str, value, row: int = 0, dtype=None) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        if dtype is not None:
            frame[column] = frame[column].astype(dtype)
        frame.loc[row, column] = value
        return frame

    return edit


def first_row(table: str, query: Callable[[pd.DataFrame], pd.Series]) -> int:
    frame = load_tables()[table]
    return int(frame.index[query(frame)][0])


@dataclass
class Case:
    """A broken input and what the report must say about it."""

    id: str
    breaks: Callable[[Path], None]
    check: str
    table: str | None = None
    column: str | None = None
    row: int | None = None  # 1-based; None when not row-specific
    file: str | None = None  # substring of the reported file


def _truncate(package: Path) -> None:
    path = package / "data" / "events.parquet"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    rehash(package)


def _corrupt_bytes(package: Path) -> None:
    path = package / "data" / "actors.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))  # hash left as recorded


def _symlink_outside(package: Path) -> None:
    outside = package.parent / "outside.parquet"
    shutil.copy2(package / "data" / "events.parquet", outside)
    os.symlink(outside, package / "data" / "link.parquet")
    edit_descriptor(lambda d: resource(d, "events").update(path="data/link.parquet"))(package)


def _drop_evidence_of(record_id: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda f: f[f["record_id"] != record_id].reset_index(drop=True)


def _drop_committer(frame: pd.DataFrame) -> pd.DataFrame:
    first = load_tables()["commitments"]["commitment_id"].iloc[0]
    keep = ~((frame["record_table"] == "commitments") & (frame["record_id"] == first) & (frame["role"] == "committer"))
    return frame[keep].reset_index(drop=True)


def _swap_dates(frame: pd.DataFrame) -> pd.DataFrame:
    row = int(frame.index[frame["date_start"].notna() & (frame["date_start"] != frame["date_end"])][0])
    frame.loc[row, ["date_start", "date_end"]] = [frame.loc[row, "date_end"], frame.loc[row, "date_start"]]
    return frame


def _row_with_dates(table: str) -> int:
    return first_row(table, lambda f: f["date_start"].notna() & (f["date_start"] != f["date_end"]))


def _csv_copy(package: Path, break_csv: Callable[[Path], None] | None = None) -> None:
    descriptor = read_descriptor(package)
    for res in descriptor["resources"]:
        frame = load_tables()[res["name"]]
        out = frame.copy()
        for column in out.columns:
            if str(out[column].dtype).startswith("datetime"):
                out[column] = out[column].dt.strftime("%Y-%m-%d")
            elif str(out[column].dtype) == "boolean":
                out[column] = out[column].map({True: "true", False: "false"}).astype("object")
        path = package / "data" / f"{res['name']}.csv"
        out.to_csv(path, index=False)
        (package / "data" / f"{res['name']}.parquet").unlink()
        res.update(path=f"data/{res['name']}.csv", format="csv")
        res.pop("hash", None)
    write_descriptor(package, descriptor)
    if break_csv:
        break_csv(package)


def _csv_bad_integer(package: Path) -> None:
    path = package / "data" / "references.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = int(frame.index[frame["issued_year"] != ""][0])
    frame.loc[row, "issued_year"] = "twenty"
    frame.to_csv(path, index=False)


def _csv_bad_date(package: Path) -> None:
    path = package / "data" / "events.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = int(frame.index[frame["date_start"] != ""][0])
    frame.loc[row, "date_start"] = "20 May 2022"
    frame.to_csv(path, index=False)


def _csv_row(table: str, column: str) -> int:
    frame = load_tables()[table]
    return int(frame.index[frame[column].notna()][0]) + 1


CASES = [
    # the descriptor and the files
    Case("descriptor-not-json", lambda p: (p / "datapackage.json").write_text("{ not json", encoding="utf-8"),
         "descriptor", file="datapackage.json"),
    Case("descriptor-no-resources", edit_descriptor(lambda d: d.pop("resources")), "descriptor",
         file="datapackage.json"),
    Case("resource-missing", edit_descriptor(lambda d: d["resources"].remove(resource(d, "actors"))),
         "table_present", table="actors"),
    Case("path-parent", edit_descriptor(lambda d: resource(d, "events").update(path="../events.parquet")),
         "unsafe_path", table="events", file="datapackage.json"),
    Case("path-absolute", edit_descriptor(lambda d: resource(d, "events").update(path="/etc/passwd")),
         "unsafe_path", table="events"),
    Case("path-url", edit_descriptor(lambda d: resource(d, "events").update(path="https://example.org/e.parquet")),
         "unsafe_path", table="events"),
    Case("path-hidden", edit_descriptor(lambda d: resource(d, "events").update(path="data/.events.parquet")),
         "unsafe_path", table="events"),
    Case("path-symlink-outside", _symlink_outside, "unsafe_path", table="events"),
    Case("hash-mismatch", _corrupt_bytes, "hash", table="actors", file="actors.parquet"),
    Case("truncated-parquet", _truncate, "file_readable", table="events", file="events.parquet"),
    Case("file-missing", lambda p: (p / "data" / "exercises.parquet").unlink(), "file_missing",
         table="exercises", file="exercises.parquet"),
    Case("format-unsupported", edit_descriptor(lambda d: resource(d, "events").update(format="xlsx")),
         "format", table="events"),
    # the tables against their models
    Case("column-missing", edit_table("events", lambda f: f.drop(columns="title")),
         "column_in_dataframe", table="events", column="title", file="events.parquet"),
    Case("column-unexpected", edit_table("actors", lambda f: f.assign(colour="red")),
         "column_in_schema", table="actors", column="colour"),
    Case("category-unknown", edit_table("events", set_cell("event_type", "coup", 2, "object")),
         "dtype", table="events", column="event_type", row=3),
    Case("required-null", edit_table("events", set_cell("title", None, 4)),
         "not_nullable", table="events", column="title", row=5),
    Case("id-pattern", edit_table("events", set_cell("event_id", "E-1", 1)),
         "str_matches('^EVT-[0-9]{3}$')", table="events", column="event_id", row=2),
    Case("wrong-type-text", edit_table("exercises", lambda f: f.assign(description=range(42, 42 + len(f)))),
         "dtype", table="exercises", column="description", row=1),
    Case("negative-quantity", edit_table("commitments", set_cell(
        "quantity", -2.0, first_row("commitments", lambda f: f["quantity"].notna()))),
         "greater_than_or_equal_to(0)", table="commitments", column="quantity",
         row=first_row("commitments", lambda f: f["quantity"].notna()) + 1),
    Case("duplicate-primary-key", edit_table("actors", lambda f: pd.concat([f, f.iloc[[0]]], ignore_index=True)),
         "primary_key", table="actors", column="actor_id", row=len(load_tables()["actors"]) + 1),
    # rules across the columns of a row
    Case("date-range-reversed", edit_table("events", _swap_dates), "date_range_ordered",
         table="events", row=_row_with_dates("events") + 1),
    Case("precision-disagrees", edit_table("events", set_cell(
        "date_precision", "unknown", first_row("events", lambda f: f["date_precision"] == "year"))),
         "date_precision_agrees", table="events",
         row=first_row("events", lambda f: f["date_precision"] == "year") + 1),
    Case("quantity-without-unit", edit_table("commitments", set_cell(
        "unit", None, first_row("commitments", lambda f: f["quantity"].notna()))),
         "quantity_has_unit", table="commitments",
         row=first_row("commitments", lambda f: f["quantity"].notna()) + 1),
    # keys and rules across tables
    Case("foreign-key-actor", edit_table("record_actors", set_cell("actor_id", "ATLANTIS", 0)),
         "foreign_key", table="record_actors", column="actor_id", row=1),
    Case("evidence-dangling-record", edit_table("evidence", set_cell("record_id", "EVT-999", 0)),
         "foreign_key", table="evidence", column="record_id", row=1),
    Case("evidence-from-a-cited-work", edit_table("evidence", set_cell(
        "source_id", load_tables()["references"].query("role == 'cited_work'")["reference_id"].iloc[0], 0)),
         "foreign_key", table="evidence", column="source_id", row=1),
    Case("record-without-evidence", edit_table("evidence", _drop_evidence_of(
        load_tables()["exercises"]["exercise_id"].iloc[0])), "evidence", table="exercises", row=1),
    Case("commitment-without-committer", edit_table("record_actors", _drop_committer), "committer",
         table="commitments", row=1),
    Case("parent-dangling", edit_table("recommendations", set_cell(
        "parent_id", "REC-999", first_row("recommendations", lambda f: f["parent_id"].notna()))),
         "foreign_key", table="recommendations", column="parent_id",
         row=first_row("recommendations", lambda f: f["parent_id"].notna()) + 1),
    # CSV copies
    Case("csv-bad-integer", lambda p: _csv_copy(p, _csv_bad_integer), "dtype", table="references",
         column="issued_year", row=_csv_row("references", "issued_year"), file="references.csv"),
    Case("csv-bad-date", lambda p: _csv_copy(p, _csv_bad_date), "dtype", table="events",
         column="date_start", row=_csv_row("events", "date_start"), file="events.csv"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_input_is_reported(case: Case, tmp_path, capsys):
    package = copy_package(tmp_path / "pkg")
    case.breaks(package)
    report = validate(package)
    assert not report.valid
    errors = report.errors
    hits = errors[errors["check"] == case.check]
    assert not hits.empty, f"no {case.check!r} error in:\n{errors.to_string()}"
    if case.table is not None:
        hits = hits[hits["table"] == case.table]
        assert not hits.empty, errors.to_string()
    if case.column is not None:
        hits = hits[hits["column"].fillna("").str.contains(case.column, regex=False)]
        assert not hits.empty, errors.to_string()
    if case.row is not None:
        hits = hits[hits["row"] == case.row]
        assert not hits.empty, errors.to_string()
    if case.file is not None:
        assert hits["file"].fillna("").str.contains(case.file, regex=False).any(), errors.to_string()
    message = hits["message"].iloc[0]
    assert message
    if case.row is not None:
        assert hits["found"].notna().all() and hits["expected"].notna().all()
    # the command line: exit 1, the error in every format, never a traceback
    assert main(["validate", str(package)]) == 1
    text = capsys.readouterr()
    assert "INVALID" in text.out and "Traceback" not in text.out + text.err
    assert main(["validate", str(package), "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["valid"] is False and any(e["check"] == case.check for e in payload["errors"])
    assert main(["validate", str(package), "--format", "github"]) == 1
    assert "::error " in capsys.readouterr().out


def test_corpus_is_large_enough():
    assert len(CASES) >= 25


def test_shipped_package_copy_is_valid(tmp_path):
    package = copy_package(tmp_path / "pkg")
    assert validate(package).valid
    assert main(["validate", str(package)]) == 0


def test_csv_copy_is_valid(tmp_path):
    package = copy_package(tmp_path / "pkg")
    _csv_copy(package)
    report = validate(package)
    assert report.valid, str(report)


def test_polars_frames(tmp_path):
    pl = pytest.importorskip("polars")
    frames = load_tables(backend="polars")
    assert validate(frames).valid
    frames["events"] = frames["events"].with_columns(pl.lit("zzz").alias("event_type"))
    report = validate(frames)
    assert not report.valid
    assert set(report.errors["column"]) == {"event_type"}


def test_pyarrow_tables():
    assert validate(load_tables(backend="pyarrow")).valid


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
