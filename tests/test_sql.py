"""SQL: an in-memory DuckDB database with a typed view of every table and views of the links."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from usjapan_data import connect, schema
from usjapan_data.sql import ALIASES, statements

duckdb = pytest.importorskip("duckdb")  # the dev extra installs it


@pytest.fixture(scope="module")
def con():
    return connect()


def columns(con, view):
    return {name: kind for name, kind, *_ in con.execute(f'DESCRIBE "{view}"').fetchall()}


@pytest.mark.parametrize("table", list(schema.TABLES))
def test_every_table_is_a_typed_view(con, tables, table):
    types = columns(con, table)
    specs = schema.column_specs(schema.TABLES[table])
    assert list(types) == [s.name for s in specs]
    for spec in specs:
        kind = types[spec.name]
        if spec.kind == "category":
            values = con.execute(f"SELECT enum_range(NULL::{kind})").fetchone()[0]
            assert list(values) == list(spec.categories)
        else:
            assert kind == {"text": "VARCHAR", "date": "DATE", "number": "DOUBLE",
                            "boolean": "BOOLEAN"}.get(spec.kind, kind)
            if spec.kind == "integer":
                assert kind in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT")
    frame = con.execute(f'SELECT * FROM "{table}"').df()
    assert len(frame) == len(tables[table])
    for spec in specs:  # same values as the loaded table
        mine = frame[spec.name].astype("object").where(frame[spec.name].notna(), None)
        theirs = tables[table][spec.name].astype("object").where(tables[table][spec.name].notna(), None)
        if spec.kind == "date":
            mine, theirs = pd.to_datetime(mine), pd.to_datetime(theirs)
        assert mine.tolist() == theirs.tolist(), spec.name


def test_reserved_table_names_have_a_second_name(con):
    reserved = {k for (k,) in con.execute(
        "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'").fetchall()}
    for table in schema.TABLES:
        if table in reserved:
            assert table in ALIASES, f"table {table} is a reserved word in SQL; give it an alias"
    assert con.execute("SELECT count(*) FROM refs").fetchone() == con.execute(
        'SELECT count(*) FROM "references"').fetchone()
    with pytest.raises(duckdb.ParserException):
        con.execute("SELECT * FROM references")


def link_tables():
    return [t for t, m in schema.TABLES.items() if schema.record_links(m)]


def test_record_actors_and_evidence_are_link_tables():
    assert {"record_actors", "evidence"} <= set(link_tables())


@pytest.mark.parametrize("table", link_tables())
def test_named_views_resolve_every_link(con, tables, table):
    model = schema.TABLES[table]
    named = con.execute(f'SELECT * FROM "{table}_named"').df()
    assert len(named) == len(tables[table])
    own = list(schema.columns(model))
    assert [c for c in named.columns if c in own] == own
    after = dict(zip(named.columns, list(named.columns)[1:]))
    added = [c for c in named.columns if c not in own]
    assert named[added].notna().all().all(), "every link resolves to a labelled row"
    for fk in schema.keys(model).get("foreign_keys", []):
        assert after[fk["fields"][0]].startswith(fk["fields"][0].removesuffix("_id") + "_")
    for link in schema.record_links(model):
        label = after[link["id"]]
        assert label == link["id"].removesuffix("_id") + "_label"
        # each label is the record's own: check against the tables
        for rec in named.head(50).to_dict(orient="records"):
            target = rec[link["table"]]
            pk = schema.keys(schema.TABLES[target])["primary_key"][0]
            row = tables[target].set_index(pk).loc[rec[link["id"]]]
            assert rec[label] in {str(v) for v in row.dropna().values}


def test_record_actors_named_gives_actor_names(con, tables):
    named = con.execute("SELECT actor_id, actor_name FROM record_actors_named").df()
    names = dict(zip(tables["actors"]["actor_id"], tables["actors"]["name"]))
    assert all(names[a] == n for a, n in zip(named["actor_id"], named["actor_name"]))


def test_statements_are_generated_from_the_models():
    sql = "\n".join(statements())
    for table in schema.TABLES:
        assert f'CREATE VIEW "{table}" AS' in sql
    for table in link_tables():
        assert f'CREATE VIEW "{table}_named" AS' in sql


def test_without_duckdb_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb now raises ImportError
    with pytest.raises(ImportError, match=r"pip install \"usjapan-data\[sql\]\""):
        connect()
