"""Validating an extended copy by its own descriptor: added tables, added columns, edits.

Each copy starts from the shipped package (datapackage.json and data/), to
which a test adds a table (Parquet or CSV) with its Table Schema, a declared
column to a core table, or an edit, written with pyarrow and json.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hostile import ARROW, TABLES, copy_package, read_descriptor, resource, write_descriptor
from usjapan_data import validate
from usjapan_data.cli import main

ACTORS = TABLES["actors"]["actor_id"].tolist()

#: An added table: regions, each in a state (a core actor), perhaps within another region.
REGIONS_SCHEMA = {
    "fields": [
        {"name": "region_id", "type": "string", "constraints": {"required": True, "pattern": "RGN-[0-9]{3}"}},
        {"name": "name", "type": "string", "constraints": {"required": True, "maxLength": 40}},
        {"name": "actor_id", "type": "string", "constraints": {"required": True}},
        {"name": "kind", "type": "string", "constraints": {"enum": ["prefecture", "state", "island"]}},
        {"name": "area_km2", "type": "number", "constraints": {"minimum": 0}},
        {"name": "founded", "type": "date", "constraints": {"minimum": "1850-01-01"}},
        {"name": "coastal", "type": "boolean"},
        {"name": "within", "type": "string"},
    ],
    "primaryKey": ["region_id"],
    "foreignKeys": [
        {"fields": ["actor_id"], "reference": {"resource": "actors", "fields": ["actor_id"]}},
        {"fields": ["within"], "reference": {"resource": "", "fields": ["region_id"]}},
    ],
}
REGIONS = {
    "region_id": ["RGN-001", "RGN-002", "RGN-003"],
    "name": ["Okinawa", "Hawaii", "Ishigaki"],
    "actor_id": [ACTORS[0], ACTORS[1], ACTORS[0]],
    "kind": ["prefecture", "state", "island"],
    "area_km2": [2281.0, 28311.0, None],
    "founded": ["1879-04-04", "1959-08-21", None],
    "coastal": [True, True, None],
    "within": [None, None, "RGN-001"],
}
#: The CSV flavour of the same rows, with the file's physical lines (header on line 1).
REGIONS_CSV = (
    "region_id,name,actor_id,kind,area_km2,founded,coastal,within\n"
    f"RGN-001,Okinawa,{ACTORS[0]},prefecture,2281,1879-04-04,true,\n"
    f"RGN-002,Hawaii,{ACTORS[1]},state,28311,1959-08-21,True,\n"
    f"RGN-003,Ishigaki,{ACTORS[0]},island,,,,RGN-001\n"
)


def _sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _regions_parquet(package: Path, rows: dict | None = None) -> None:
    import datetime as dt

    rows = dict(rows or REGIONS)
    rows["founded"] = [None if v is None else dt.date.fromisoformat(v) for v in rows["founded"]]
    pq.write_table(pa.table(rows), package / "data" / "regions.parquet")


def _add_resource(package: Path, name: str, path: str, schema: dict | None = REGIONS_SCHEMA,
                  **extra) -> None:
    descriptor = read_descriptor(package)
    res = {"name": name, "path": path, "profile": "tabular-data-resource", **extra}
    if (package / path).is_file():
        res["hash"] = _sha256(package / path)
    if schema is not None:
        res["schema"] = schema
    descriptor["resources"].append(res)
    write_descriptor(package, descriptor)


def _add_region_column(package: Path, values: list) -> None:
    """actors gets a declared column region_id, a foreign key into regions."""
    table = ARROW["actors"].append_column("region_id", pa.array(values, pa.string()))
    pq.write_table(table, package / "data" / "actors.parquet")
    descriptor = read_descriptor(package)
    actors = resource(descriptor, "actors")
    actors["schema"]["fields"] = [f for f in actors["schema"]["fields"] if f["name"] != "region_id"]
    actors["schema"]["foreignKeys"] = [k for k in actors["schema"].get("foreignKeys", [])
                                       if k["fields"] != ["region_id"]]
    actors["schema"]["fields"].append({"name": "region_id", "type": "string",
                                       "constraints": {"pattern": "RGN-[0-9]{3}"}})
    actors["schema"]["foreignKeys"].append(
        {"fields": ["region_id"], "reference": {"resource": "regions", "fields": ["region_id"]}})
    actors["hash"] = _sha256(package / "data" / "actors.parquet")
    write_descriptor(package, descriptor)


@pytest.fixture
def extended(tmp_path) -> Path:
    """A valid extended copy: an added Parquet table and a declared column on a core table."""
    package = copy_package(tmp_path / "pkg")
    _regions_parquet(package)
    _add_resource(package, "regions", "data/regions.parquet", format="parquet")
    _add_region_column(package, ["RGN-001"] + [None] * (len(ARROW["actors"]) - 1))
    return package


def _frictionless(package: Path) -> dict:
    exe = shutil.which("frictionless") or str(Path(sys.executable).with_name("frictionless"))
    if not Path(exe).exists():
        pytest.skip("frictionless is not installed")
    result = subprocess.run([exe, "validate", "datapackage.json", "--json"], cwd=package,
                            capture_output=True, text=True, timeout=600)
    return json.loads(result.stdout)


def _frictionless_errors(package: Path) -> list[tuple]:
    """frictionless's errors as (resource, row, field, type), less one defect of its own.

    Under pandas 2, frictionless 5 reads a null number of a Parquet file as the
    cell "nan" (its pandas parser tests ``value is np.nan``, and pandas 2 hands
    it another NaN object), then checks it against ``minimum``. The copy is
    valid; only those errors are set aside, and only under pandas 2.
    """
    errors = [(task["name"], error.get("rowNumber"), error.get("fieldName"), error["type"], error.get("cell"))
              for task in _frictionless(package)["tasks"] for error in task["errors"]]
    if int(pd.__version__.split(".")[0]) < 3:
        errors = [error for error in errors if error[4] != "nan"]
    return [error[:4] for error in errors]


def test_a_valid_added_table_and_a_declared_column_are_valid(extended, capsys):
    report = validate(extended)
    assert report.valid, str(report)
    assert report.rows["regions"] == 3
    assert main(["validate", str(extended)]) == 0
    assert "regions" in capsys.readouterr().out
    assert _frictionless_errors(extended) == []


def test_a_valid_added_csv_table_is_valid(tmp_path):
    package = copy_package(tmp_path / "pkg")
    (package / "data" / "regions.csv").write_text(REGIONS_CSV, encoding="utf-8")
    _add_resource(package, "regions", "data/regions.csv", format="csv")
    report = validate(package)
    assert report.valid, str(report)


BAD_CSV = (
    "region_id,name,actor_id,kind,area_km2,founded,coastal,within\n"
    f"RGN-001,Okinawa,{ACTORS[0]},prefecture,big,1879-04-04,true,\n"   # line 2: wrong type
    f"RGN-002,Hawaii,ATLANTIS,state,28311,1959-08-21,true,\n"           # line 3: FK to nothing (core)
    f"RGN-001,Ishigaki,{ACTORS[0]},island,,,,\n"                        # line 4: duplicate key
    f"RGN-004,\"Somewhere\nelse\",{ACTORS[0]},galaxy,,,,\n"             # line 5-6: enum
    f"rgn-5,Fifth,{ACTORS[0]},island,,,,RGN-999\n"                      # line 7: pattern, FK (self)
)


def test_an_added_table_that_violates_its_schema(tmp_path, capsys):
    package = copy_package(tmp_path / "pkg")
    (package / "data" / "regions.csv").write_text(BAD_CSV, encoding="utf-8")
    _add_resource(package, "regions", "data/regions.csv", format="csv")
    report = validate(package)
    errors = report.errors
    got = sorted(zip(errors["row"], errors["line"], errors["column"], errors["check"]))
    assert got == [
        (1, 2, "area_km2", "type"),
        (2, 3, "actor_id", "foreign_key"),
        (3, 4, "region_id", "primary_key"),
        (4, 5, "kind", "vocabulary"),
        (5, 7, "region_id", "pattern"),
        (5, 7, "within", "foreign_key"),
    ], errors.to_string()
    assert set(errors["table"]) == {"regions"}
    assert errors["file"].str.endswith("regions.csv").all()
    assert errors["found"].notna().all() and errors["expected"].notna().all()
    assert "prefecture, state, island" in errors.loc[errors["check"] == "vocabulary", "expected"].iloc[0]
    assert main(["validate", str(package)]) == 1
    out = capsys.readouterr().out
    assert "regions.csv, table regions, row 2, column actor_id" in out
    assert _frictionless(package)["valid"] is False


def test_an_added_parquet_table_with_wrong_types_and_keys(tmp_path):
    package = copy_package(tmp_path / "pkg")
    rows = dict(REGIONS, area_km2=["2281", "-5", "huge"], region_id=["RGN-001", "RGN-001", "RGN-003"],
                within=["RGN-404", None, None])
    rows["area_km2"] = pa.array(rows["area_km2"], pa.string())
    _regions_parquet(package, rows)
    _add_resource(package, "regions", "data/regions.parquet", format="parquet")
    errors = validate(package).errors
    assert sorted(zip(errors["row"], errors["column"], errors["check"])) == [
        (1, "within", "foreign_key"), (2, "area_km2", "range"), (2, "region_id", "primary_key"),
        (3, "area_km2", "type")], errors.to_string()


def test_a_declared_column_is_checked_against_its_field(extended):
    values = ["RGN-404", "bad"] + [None] * (len(ARROW["actors"]) - 2)
    _add_region_column(extended, values)
    errors = validate(extended).errors
    assert sorted(zip(errors["table"], errors["row"], errors["column"], errors["check"])) == [
        ("actors", 1, "region_id", "foreign_key"), ("actors", 2, "region_id", "pattern")]


def test_an_edited_value_reports_the_hash_and_the_value(tmp_path):
    package = copy_package(tmp_path / "pkg")
    frame = TABLES["events"].copy()
    frame["event_type"] = frame["event_type"].astype(object)
    frame.loc[2, "event_type"] = "coup"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), package / "data" / "events.parquet")
    errors = validate(package).errors
    assert sorted(zip(errors["table"], errors["check"], errors["row"].fillna(0))) == [
        ("events", "hash", 0), ("events", "vocabulary", 3)], errors.to_string()
    assert "events.parquet" in errors.loc[errors["check"] == "hash", "file"].iloc[0]


def test_an_edited_added_table_reports_the_hash_and_the_value(extended):
    rows = dict(REGIONS, kind=["prefecture", "state", "atoll"])
    _regions_parquet(extended, rows)  # the hash recorded is the old file's
    errors = validate(extended).errors
    assert sorted(zip(errors["table"], errors["check"])) == [("regions", "hash"), ("regions", "vocabulary")]


def test_a_wrong_bytes_is_reported_and_the_table_still_read(tmp_path):
    package = copy_package(tmp_path / "pkg")
    descriptor = read_descriptor(package)
    resource(descriptor, "actors")["bytes"] = 12
    write_descriptor(package, descriptor)
    report = validate(package)
    assert report.errors["check"].tolist() == ["bytes"]
    assert report.rows["actors"] == len(TABLES["actors"])


def test_an_undeclared_table_is_an_error(tmp_path):
    package = copy_package(tmp_path / "pkg")
    (package / "data" / "regions.csv").write_text(REGIONS_CSV, encoding="utf-8")
    _add_resource(package, "regions", "data/regions.csv", schema=None, format="csv")
    errors = validate(package).errors
    assert errors[["table", "check"]].values.tolist() == [["regions", "schema"]]
    assert "datapackage.json" in errors["file"].iloc[0]


def test_an_undeclared_column_is_an_error(tmp_path):
    package = copy_package(tmp_path / "pkg")
    table = ARROW["actors"].append_column("colour", pa.array(["red"] * len(ARROW["actors"])))
    pq.write_table(table, package / "data" / "actors.parquet")
    descriptor = read_descriptor(package)
    resource(descriptor, "actors")["hash"] = _sha256(package / "data" / "actors.parquet")
    write_descriptor(package, descriptor)
    errors = validate(package).errors
    assert errors[["table", "column", "check"]].values.tolist() == [["actors", "colour", "column_unexpected"]]


def test_an_added_table_with_an_undeclared_or_missing_column(tmp_path):
    package = copy_package(tmp_path / "pkg")
    text = REGIONS_CSV.replace("within\n", "within,extra\n", 1).replace(",\n", ",,\n").replace(
        "RGN-001\n", "RGN-001,\n")
    (package / "data" / "regions.csv").write_text(text, encoding="utf-8")
    schema = dict(REGIONS_SCHEMA, fields=REGIONS_SCHEMA["fields"] + [{"name": "population", "type": "integer"}])
    _add_resource(package, "regions", "data/regions.csv", schema=schema, format="csv")
    errors = validate(package).errors
    assert sorted(zip(errors["column"], errors["check"])) == [
        ("extra", "column_unexpected"), ("population", "column_missing")]


def test_a_widened_core_vocabulary_is_refused(tmp_path):
    package = copy_package(tmp_path / "pkg")
    descriptor = read_descriptor(package)
    field = next(f for f in resource(descriptor, "events")["schema"]["fields"] if f["name"] == "event_type")
    field["constraints"]["enum"].append("coup")
    write_descriptor(package, descriptor)
    errors = validate(package).errors
    assert errors[["table", "check"]].values.tolist() == [["events", "schema"]]
    assert "vocabulary" in errors["message"].iloc[0] and "event_type" in errors["message"].iloc[0]


@pytest.mark.parametrize("edit, says", [
    (lambda s: s["fields"].append({"name": "at", "type": "datetime"}), "type 'datetime'"),
    (lambda s: s["fields"][0].update(format="email"), "format 'email'"),
    (lambda s: s["fields"][4].update(decimalChar=","), "'decimalChar'"),
    (lambda s: s["fields"][0]["constraints"].update(jsonSchema={}), "'jsonSchema'"),
    (lambda s: s["fields"][0]["constraints"].update(pattern="(a)\\1"), "regular expression"),
    (lambda s: s["fields"][5]["constraints"].update(minimum="long ago"), "minimum"),
    (lambda s: s.update(primaryKey=["nothing"]), "primaryKey"),
    (lambda s: s["foreignKeys"][0]["reference"].update(resource="nowhere"), "'nowhere'"),
    (lambda s: s["foreignKeys"][0]["reference"].update(fields=["nothing"]), "actors.nothing"),
])
def test_a_declaration_that_cannot_be_checked_is_refused_by_name(tmp_path, edit, says):
    package = copy_package(tmp_path / "pkg")
    _regions_parquet(package)
    schema = json.loads(json.dumps(REGIONS_SCHEMA))
    edit(schema)
    _add_resource(package, "regions", "data/regions.parquet", schema=schema, format="parquet")
    errors = validate(package).errors
    assert errors[["table", "check"]].values.tolist() == [["regions", "schema"]], errors.to_string()
    assert says in errors["message"].iloc[0]


def test_a_resource_that_is_not_a_table_is_checked_as_a_file(tmp_path):
    package = copy_package(tmp_path / "pkg")
    (package / "docs").mkdir()
    (package / "docs" / "codebook.md").write_text("# Codebook\n", encoding="utf-8")
    descriptor = read_descriptor(package)
    descriptor["resources"].append({"name": "codebook", "path": "docs/codebook.md", "format": "md",
                                    "mediatype": "text/markdown",
                                    "hash": _sha256(package / "docs" / "codebook.md")})
    write_descriptor(package, descriptor)
    assert validate(package).valid
    (package / "docs" / "codebook.md").write_text("# Codebook, edited\n", encoding="utf-8")
    errors = validate(package).errors
    assert errors[["table", "check"]].values.tolist() == [["codebook", "hash"]]
    resource_ = read_descriptor(package)
    resource(resource_, "codebook")["path"] = "../secret.md"
    write_descriptor(package, resource_)
    assert validate(package).errors["check"].tolist() == ["unsafe_path"]


def test_validating_an_extended_copy_imports_no_frictionless(extended):
    code = ("import sys, usjapan_data\n"
            f"assert usjapan_data.validate({str(extended)!r}).valid\n"
            "assert 'frictionless' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_composite_keys_of_an_added_table(tmp_path):
    """A two-field primary key, and a two-field foreign key into a core table (into a category)."""
    package = copy_package(tmp_path / "pkg")
    (package / "data" / "roles.csv").write_text(
        "grouping_id,member_id,year,since,record_table\n"
        "QUAD,AUS,2021,2021-03-12,events\n"
        "QUAD,AUS,2022,,events\n"
        "QUAD,AUS,2021,,commitments\n"   # row 3: repeats the key of row 1
        "QUAD,CHN,2021,,battles\n"        # row 4: not a member, and not a record table
        "QUAD,,2023,,\n",                 # row 5: member missing (required), not also a foreign key error
        encoding="utf-8")
    members = json.loads(json.dumps(resource(read_descriptor(package), "actor_members")["schema"]))
    record_table = next(f for f in resource(read_descriptor(package), "evidence")["schema"]["fields"]
                        if f["name"] == "record_table")
    schema = {
        "fields": [*members["fields"], {"name": "year", "type": "integer", "constraints": {"minimum": 2021}},
                   {"name": "since", "type": "date"},
                   {"name": "record_table", "type": "string"}],
        "primaryKey": ["grouping_id", "member_id", "year"],
        "foreignKeys": [
            {"fields": ["grouping_id", "member_id"],
             "reference": {"resource": "actor_members", "fields": ["grouping_id", "member_id"]}},
            {"fields": ["record_table"], "reference": {"resource": "evidence", "fields": ["record_table"]}},
        ],
    }
    for field in schema["fields"]:
        field.get("constraints", {}).pop("pattern", None)
    assert "enum" in record_table["constraints"]  # the core column is a category
    _add_resource(package, "roles", "data/roles.csv", schema=schema, format="csv")
    errors = validate(package).errors
    assert sorted(zip(errors["row"], errors["column"], errors["check"])) == [
        (3, "grouping_id, member_id, year", "primary_key"),
        (4, "grouping_id, member_id", "foreign_key"),
        (4, "record_table", "foreign_key"),
        (5, "member_id", "required"),
    ], errors.to_string()


def test_an_empty_text_is_missing_in_a_declared_field(tmp_path):
    package = copy_package(tmp_path / "pkg")
    _regions_parquet(package, dict(REGIONS, name=["Okinawa", "", "Ishigaki"]))
    _add_resource(package, "regions", "data/regions.parquet", format="parquet")
    errors = validate(package).errors
    assert errors[["row", "column", "check"]].values.tolist() == [[2, "name", "required"]]


def _same_findings(package: Path) -> None:
    """Both engines report the same findings: the streaming one must never call a copy valid
    that the default engine does not."""
    pytest.importorskip("duckdb")
    columns = ["file", "table", "row", "column", "check", "found", "expected"]

    def rows(report) -> list:
        frame = report.errors[columns].astype(object)
        return sorted(map(repr, frame.where(frame.notna(), None).itertuples(index=False)))

    default, streamed = validate(package), validate(package, engine="duckdb")
    assert not default.valid
    assert rows(streamed) == rows(default)


def test_the_streaming_engine_validates_an_added_table_by_its_schema(tmp_path):
    package = copy_package(tmp_path / "pkg")
    (package / "data" / "regions.csv").write_text(BAD_CSV, encoding="utf-8")
    _add_resource(package, "regions", "data/regions.csv", format="csv")
    _same_findings(package)


def test_the_streaming_engine_checks_a_declared_column(extended):
    _add_region_column(extended, ["RGN-404", "bad"] + [None] * (len(ARROW["actors"]) - 2))
    _same_findings(extended)


def test_the_streaming_engine_reports_the_hash_and_the_value(tmp_path):
    package = copy_package(tmp_path / "pkg")
    frame = TABLES["events"].copy()
    frame["event_type"] = frame["event_type"].astype(object)
    frame.loc[2, "event_type"] = "coup"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), package / "data" / "events.parquet")
    _same_findings(package)
