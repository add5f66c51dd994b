"""The Spark engine: the same table definitions, the same report, on tables held in Spark.

Broken inputs come from the corpus (tests/test_validation_corpus.py): the
cases about table content, several to a package (each table edited once per
package), each package validated by the default engine and through Spark
local mode, and the errors compared (table, row, column, check, found).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from hostile import copy_package, rehash
from usjapan_data import schema, validate

pyspark = pytest.importorskip("pyspark", reason="the spark extra is not installed")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java 17 (no java on PATH)", allow_module_level=True)

from usjapan_data.spark import SparkUnavailable, validate_spark  # noqa: E402

#: Corpus cases about table content, grouped so that each package edits a table once.
GROUPS = [
    ["category-unknown", "nan-in-number", "fraction-in-integer", "id-pattern", "duplicate-primary-key",
     "foreign-key-actor", "evidence-from-a-cited-work", "parent-dangling"],
    ["date-range-reversed", "negative-quantity", "year-out-of-range", "pattern-trailing-newline",
     "bad-id-no-dangling-error", "record-without-evidence"],
    ["date-with-time-of-day", "quantity-without-unit"],
]
KEY = ["table", "row", "column", "check", "found"]


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("usjapan-data tests")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("warehouse"))).getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _cases() -> dict:
    from test_validation_corpus import CASES

    return {case.id: case for case in CASES}


def _broken(tmp_path: Path, ids: list[str]) -> Path:
    """A package with every case of ``ids`` applied; each must edit a table no other one does."""
    cases = _cases()
    package = copy_package(tmp_path / "pkg")
    original = {p.name: p.read_bytes() for p in (package / "data").iterdir()}
    edited: dict[str, str] = {}
    for number, case_id in enumerate(ids):
        scratch = copy_package(tmp_path / f"scratch{number}")
        cases[case_id].breaks(scratch)
        for path in (scratch / "data").iterdir():
            if path.read_bytes() != original.get(path.name):
                assert path.name not in edited, (case_id, edited[path.name])
                edited[path.name] = case_id
                _spark_readable(path, package / "data" / path.name)
    rehash(package)
    return package


def _spark_readable(path: Path, target: Path) -> None:
    """Copy a Parquet file, its nanosecond timestamps as the dates they hold (date32, as built).

    pandas writes datetime64[ns] as TIMESTAMP(NANOS), a Parquet type Spark
    refuses (PARQUET_TYPE_ILLEGAL, reported as ``file_readable``); the
    package's own files hold dates as date32. Both engines see the same file.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    for number, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.unit == "ns" and field.type.tz is None:
            table = table.set_column(number, field.name, table.column(number).cast(pa.date32()))
    pq.write_table(table, target)


def _errors(report) -> list[tuple]:
    frame = report.errors[KEY].astype(object).where(report.errors[KEY].notna(), None)
    return sorted(map(tuple, frame.to_numpy().tolist()), key=repr)


def test_shipped_package_is_valid_through_the_cli(spark, capsys):
    from usjapan_data import descriptor_path
    from usjapan_data.cli import main

    assert main(["validate", str(descriptor_path().parent), "--engine", "spark"]) == 0
    out = capsys.readouterr().out
    assert "VALID" in out and "INVALID" not in out
    for name in schema.TABLES:
        assert name in out


@pytest.mark.parametrize("ids", GROUPS, ids=[f"group{i}" for i in range(len(GROUPS))])
def test_same_errors_as_the_default_engine(spark, tmp_path, ids):
    package = _broken(tmp_path, ids)
    default = validate(package)
    through_spark = validate_spark(package, spark)
    assert not default.valid
    assert _errors(through_spark) == _errors(default)
    assert through_spark.rows == default.rows
    cases = _cases()
    for case_id in ids:  # each case's own error is among them, located
        case = cases[case_id]
        hits = through_spark.errors[(through_spark.errors["check"] == case.check)
                                    & (through_spark.errors["table"] == case.table)]
        if case.row is not None:
            hits = hits[hits["row"] == case.row]
        assert not hits.empty, case_id
        assert hits["file"].str.startswith("file:").all(), hits
        assert hits["file"].str.endswith(f"/{case.table}.parquet").all(), hits


def test_a_mapping_of_spark_dataframes(spark, tmp_path):
    package = _broken(tmp_path, GROUPS[0])
    frames = {name: spark.read.parquet(str(package / "data" / f"{name}.parquet")) for name in schema.TABLES}
    report = validate_spark(frames, spark)
    assert _errors(report) == _errors(validate(package))
    assert report.errors["file"].isna().all()
    assert report.source == "Spark tables"


def test_rows_are_numbered_in_the_dataframes_order(spark):
    """Across partitions, __row is what zipWithIndex gives (computed in the JVM)."""
    from usjapan_data.spark import _Run

    frame = spark.range(0, 1000, numPartitions=7).selectExpr("id * 3 AS value")
    numbered = _Run(spark)._indexed("t", frame, None)
    got = sorted((r["__row"], r["value"]) for r in numbered.collect())
    want = sorted((i, r["value"]) for r, i in frame.rdd.zipWithIndex().collect())
    assert got == want


def test_a_column_of_another_spark_type_is_one_error(spark):
    from pyspark.sql import functions as F

    from usjapan_data import descriptor_path

    base = descriptor_path().parent / "data"
    frames = {name: spark.read.parquet(str(base / f"{name}.parquet")) for name in schema.TABLES}
    frames["actors"] = frames["actors"].withColumn("name", F.length("name"))
    report = validate_spark(frames, spark)
    errors = report.errors
    assert errors[["table", "column", "check", "found", "expected"]].values.tolist() == [
        ["actors", "name", "type", "int", "string"]]
    assert errors["row"].isna().all()


def test_without_pyspark_a_clear_error(monkeypatch, capsys):
    from usjapan_data.cli import main

    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(SparkUnavailable, match="pip install 'usjapan-data\\[spark\\]'"):
        validate_spark({})
    assert main(["validate", "--engine", "spark"]) == 1
    err = capsys.readouterr().err
    assert "SparkUnavailable" in err and "pip install" in err and "Traceback" not in err


def test_an_extended_copy_is_never_valid_through_spark(spark, tmp_path):
    """Spark checks the dataset's own tables: a copy that adds a table is an `engine` error
    naming it (the default engine validates it), never VALID; an edited file reports its hash
    and its content."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    package = copy_package(tmp_path / "pkg")
    pq.write_table(pa.table({"region_id": ["RGN-001"]}), package / "data" / "regions.parquet")
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"].append({"name": "regions", "path": "data/regions.parquet",
                                    "format": "parquet", "schema": {"fields": [
                                        {"name": "region_id", "type": "string"}]}})
    (package / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    report = validate_spark(package, spark)
    assert not report.valid
    assert list(report.errors.loc[report.errors["table"] == "regions", "check"]) == ["engine"]

    edited = copy_package(tmp_path / "edited")
    events = pq.read_table(edited / "data" / "events.parquet")
    column = events.schema.get_field_index("title")
    titles = events["title"].to_pylist()
    titles[0] = ""
    pq.write_table(events.set_column(column, events.schema.field("title"),
                                     pa.array(titles, events.schema.field("title").type)),
                   edited / "data" / "events.parquet")
    checks = sorted(validate_spark(edited, spark).errors["check"])
    assert checks == sorted(validate(edited).errors["check"]) == ["hash", "required"]


def test_numbers_are_shown_as_python_shows_them(spark, tmp_path):
    """Spark's doubles (Java writes 1.0E10, 1.0E-4) appear in the report as the default engine's."""
    import pyarrow as pa

    from hostile import ARROW, write_arrow

    values = [-1e10, -1.5e20, -1e-05, -2.5e-4, -12345678901.25, -1e100]
    table = ARROW["commitments"]
    quantity = table.column("quantity").to_pylist()
    quantity[: len(values)] = values
    unit = table.column("unit").to_pylist()
    unit[: len(values)] = ["units"] * len(values)  # no quantity_has_unit finding beside them
    table = table.set_column(table.schema.get_field_index("quantity"), "quantity",
                             pa.array(quantity, table.schema.field("quantity").type))
    table = table.set_column(table.schema.get_field_index("unit"), "unit",
                             pa.array(unit, table.schema.field("unit").type))
    package = copy_package(tmp_path / "pkg")
    write_arrow(package, "commitments", table)
    default, through_spark = validate(package), validate_spark(package, spark)
    assert _errors(through_spark) == _errors(default)
    found = set(through_spark.errors.loc[through_spark.errors["column"] == "quantity", "found"])
    assert found == {repr(v) for v in values}  # '-10000000000.0', '-1.5e+20', '-1e-05', ...
