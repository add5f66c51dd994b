"""The loaders: names, paths, dtypes, backends, errors, import cost."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

import usjapan_data
from usjapan_data import descriptor_path, list_tables, load_table, load_tables, schema, table_path


def test_every_table_is_listed_in_model_order():
    assert list_tables() == list(schema.TABLES)


def test_paths_exist():
    assert descriptor_path().is_file()
    for name in list_tables():
        assert table_path(name).is_file()
        assert table_path(name).name == f"{name}.parquet"


@pytest.mark.parametrize("name", list(schema.TABLES))
def test_declared_dtypes(tables, name):
    frame = tables[name]
    specs = schema.column_specs(schema.TABLES[name])
    assert list(frame.columns) == [s.name for s in specs]
    for spec in specs:
        assert frame[spec.name].dtype == spec.dtype, (name, spec.name)
        if spec.kind == "category":
            assert list(frame[spec.name].cat.categories) == list(spec.categories)


def test_dtypes_are_the_documented_ones(tables):
    events = tables["events"]
    assert str(events["event_id"].dtype) == "string"
    assert events["event_id"].dtype.storage == "pyarrow"
    assert events["event_id"].dtype.na_value is pd.NA
    assert str(events["date_start"].dtype) == "datetime64[ns]"
    assert isinstance(events["event_type"].dtype, pd.CategoricalDtype)
    assert str(tables["references"]["issued_year"].dtype) == "Int64"
    assert str(tables["commitments"]["quantity"].dtype) == "Float64"
    assert str(tables["references"]["in_reference_list"].dtype) == "boolean"


def test_tables_are_not_empty(tables):
    for name, frame in tables.items():
        assert len(frame) > 0, name


def test_load_table_matches_load_tables(tables):
    pd.testing.assert_frame_equal(load_table("events"), tables["events"])


def test_unknown_table_lists_valid_names():
    with pytest.raises(KeyError) as info:
        load_table("treaties")
    message = str(info.value)
    assert "treaties" in message
    for name in list_tables():
        assert name in message


def test_unknown_backend():
    with pytest.raises(ValueError, match="polars"):
        load_tables(backend="excel")


def test_pyarrow_backend(tables):
    arrow = load_tables(backend="pyarrow")
    assert set(arrow) == set(tables)
    assert arrow["events"].num_rows == len(tables["events"])
    assert str(arrow["events"].schema.field("date_start").type) == "date32[day]"


def test_polars_backend(tables):
    pl = pytest.importorskip("polars")
    frames = load_tables(backend="polars")
    assert isinstance(frames["events"], pl.DataFrame)
    assert frames["events"].height == len(tables["events"])
    assert frames["events"].schema["date_start"] == pl.Date
    assert load_table("actors", backend="polars").height == len(tables["actors"])


def test_validate_option_passes_on_shipped_data():
    assert set(load_tables(validate=True)) == set(list_tables())
    assert len(load_table("events", validate=True)) > 0


def test_version_matches_descriptor():
    descriptor = json.loads(descriptor_path().read_text(encoding="utf-8"))
    assert descriptor["version"] == usjapan_data.__version__


def test_import_and_load_pull_in_neither_pandera_nor_frictionless(tmp_path):
    code = (
        "import sys, usjapan_data\n"
        "heavy = [m for m in ('pandera', 'frictionless', 'pandas', 'duckdb', 'matplotlib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "usjapan_data.codebook_path(), usjapan_data.cite, usjapan_data.timeline  # a lazy name loads only its module\n"
        "heavy = [m for m in ('pandera', 'frictionless', 'pandas', 'duckdb', 'matplotlib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "usjapan_data.load_tables()\n"
        "assert 'pandas' in sys.modules\n"
        "heavy = [m for m in ('pandera', 'frictionless') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
