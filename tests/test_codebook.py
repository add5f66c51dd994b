"""The codebook as data (describe), the meaning of every value, the shipped codebook."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from usjapan_data import codebook_path, describe, schema
from usjapan_data.codebook import DESCRIBE_COLUMNS, format_text
from usjapan_data.descriptor import table_schema


def category_columns():
    for table, model in schema.TABLES.items():
        for spec in schema.column_specs(model):
            if spec.kind == "category":
                yield table, spec


def test_every_vocabulary_value_has_a_meaning():
    missing = [
        f"{table}.{spec.name}: {value}"
        for table, spec in category_columns()
        for value, meaning in schema.meanings(spec.categories).items()
        if not meaning or not meaning.strip()
    ]
    assert not missing, "no meaning in schema.MEANINGS for: " + "; ".join(missing)


def test_every_meaning_names_an_allowed_value():
    used = {spec.categories for _, spec in category_columns()}
    for vocabulary, meanings in schema.MEANINGS.items():
        assert vocabulary in used, f"schema.MEANINGS has a vocabulary no column uses: {vocabulary}"
        assert set(meanings) == set(vocabulary), set(meanings) ^ set(vocabulary)


def test_meanings_of_an_unwritten_vocabulary_are_none():
    assert schema.meanings(("a", "b")) == {"a": None, "b": None}


def test_describe_has_a_row_per_column_of_every_table():
    frame = describe()
    assert list(frame.columns) == DESCRIBE_COLUMNS
    expected = [(t, c) for t, m in schema.TABLES.items() for c in schema.columns(m)]
    assert list(zip(frame["table"], frame["column"])) == expected
    assert frame["description"].notna().all() and (frame["description"].str.len() > 0).all()


@pytest.mark.parametrize("table", list(schema.TABLES))
def test_describe_one_table_matches_the_model(table, tables):
    frame = describe(table)
    model = schema.TABLES[table]
    keys = schema.keys(model)
    assert frame["table"].eq(table).all()
    assert frame.reset_index(drop=True).equals(
        describe().query("table == @table").reset_index(drop=True))
    for rec, spec in zip(frame.itertuples(index=False), schema.column_specs(model)):
        assert (rec.column, rec.type, rec.nullable) == (spec.name, spec.kind, spec.nullable)
        assert rec.primary_key == (spec.name in keys["primary_key"])
        # the dtype named is the dtype of the loaded column
        loaded = tables[table][spec.name].dtype
        assert rec.dtype == ("category" if isinstance(loaded, pd.CategoricalDtype)
                             else f"string[{loaded.storage}]" if isinstance(loaded, pd.StringDtype)
                             else str(loaded))
        if spec.kind == "category":
            assert list(rec.values) == list(spec.categories)
        else:
            assert rec.values is None
    for fk in keys.get("foreign_keys", []):
        row = frame.set_index("column").loc[fk["fields"][0]]
        assert row["references"] == f"{fk['reference']['resource']}.{fk['reference']['fields'][0]}"


def test_describe_unknown_table_lists_the_names():
    with pytest.raises(KeyError, match="events, commitments"):
        describe("event")


def test_table_schemas_carry_each_value_with_its_meaning():
    for table, spec in category_columns():
        field = next(f for f in table_schema(table)["fields"] if f["name"] == spec.name)
        assert [c["value"] for c in field["categories"]] == field["constraints"]["enum"]
        assert {c["value"]: c.get("label") for c in field["categories"]} == schema.meanings(spec.categories)


def test_shipped_schemas_and_codebook_show_the_meanings(root):
    text = (root / "docs" / "codebook.md").read_text(encoding="utf-8")
    for table, spec in category_columns():
        shipped = json.loads((root / "schemas" / f"{table}.json").read_text(encoding="utf-8"))
        field = next(f for f in shipped["fields"] if f["name"] == spec.name)
        assert field["categories"] == table_schema(table)["fields"][
            schema.columns(schema.TABLES[table]).index(spec.name)]["categories"]
        for value, meaning in schema.meanings(spec.categories).items():
            assert f"| `{value}` | {meaning or ''} |" in text


def test_format_text_shows_every_column_and_value():
    text = format_text(describe("record_actors"))
    for spec in schema.column_specs(schema.TABLES["record_actors"]):
        assert f"  {spec.name} " in text
        for value, meaning in schema.meanings(spec.categories).items():
            assert f"{value}: {meaning}" in text


def test_codebook_path_is_the_generated_codebook(root):
    path = codebook_path()
    assert path.read_text(encoding="utf-8") == (root / "docs" / "codebook.md").read_text(encoding="utf-8")
    rules = path.with_name("coding-rules.md").read_text(encoding="utf-8")
    assert rules.strip() in path.read_text(encoding="utf-8")
