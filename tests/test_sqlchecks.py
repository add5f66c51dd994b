"""The checks as SQL: every rule has a SQL form, the generated files are up to date, engines agree.

The default engine (pandas) and the streaming engine (DuckDB running the SQL
of :mod:`usjapan_data.sqlchecks`) must give the same findings (file, table,
row, column, check, found, expected, message) on every broken input of the
corpus and on randomly mutated tables.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

pytest.importorskip("duckdb")

from hostile import copy_package  # noqa: E402
from test_validation_corpus import CASES, Case, _assert_safe_output  # noqa: E402
from test_validation_properties import mutations  # noqa: E402
from usjapan_data import schema, sqlchecks, streaming, validate  # noqa: E402
from usjapan_data.rules import RULES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: Cases where the engines differ by design: the streamed limits are higher.
STREAMED_LIMITS = {"file-too-big": "hash"}  # read in place, the (sparse) file's hash differs


def findings(report) -> list[tuple[str, ...]]:
    """The report's errors as sorted tuples of text, and what was omitted."""
    columns = ["file", "table", "row", "column", "check", "found", "expected", "message"]
    rows = [tuple(str(v) for v in rec) for rec in report.errors[columns].values.tolist()]
    omitted = [tuple(str(v) for v in rec) for rec in report.omitted.values.tolist()]
    return sorted(rows) + [("omitted",)] + sorted(omitted)


def _clear_caches() -> None:
    sqlchecks._generate.cache_clear()
    sqlchecks._chain.cache_clear()
    sqlchecks._table_rules.cache_clear()


def test_every_row_rule_and_table_rule_has_a_sql_form():
    rules = {schema.rule_name(c) for m in schema.TABLES.values() for c in m.to_schema().checks}
    assert rules <= set(sqlchecks.ROW_RULES), rules - set(sqlchecks.ROW_RULES)
    assert set(RULES) <= set(sqlchecks.TABLE_RULES)
    for dialect in sqlchecks.DIALECTS:
        names = {c.check for c in sqlchecks.generate(dialect)}
        assert rules | set(RULES) <= names


@pytest.mark.parametrize("registry,name", [("ROW_RULES", "date_range_ordered"),
                                           ("TABLE_RULES", "policy_domain")])
def test_a_rule_without_a_sql_form_fails_loudly(monkeypatch, registry, name):
    forms = dict(getattr(sqlchecks, registry))
    del forms[name]
    monkeypatch.setattr(sqlchecks, registry, forms)
    _clear_caches()
    try:
        with pytest.raises(NotImplementedError, match=name):
            sqlchecks.generate("duckdb")
    finally:
        monkeypatch.undo()
        _clear_caches()


def test_both_dialects_hold_the_same_checks():
    def shape(dialect):
        return [(c.table, c.check, c.column, c.expected, c.message, c.tables)
                for c in sqlchecks.generate(dialect)]
    assert shape("duckdb") == shape("spark")
    with pytest.raises(ValueError, match="dialect"):
        sqlchecks.generate("oracle")


@pytest.mark.parametrize("dialect", sqlchecks.DIALECTS)
def test_generated_sql_files_are_up_to_date(dialect):
    path = ROOT / "schemas" / f"checks.{dialect}.sql"
    assert path.read_text(encoding="utf-8") == sqlchecks.script(dialect), \
        f"{path.name} is out of date: run `usjapan-data build`"


def test_the_sql_file_runs_in_duckdb_on_the_shipped_tables():
    """Views of the tables, then the file as written: every check finds nothing."""
    import duckdb

    from usjapan_data import table_path

    con = duckdb.connect()
    types = sqlchecks.SQL_TYPES["duckdb"]
    for name, model in schema.TABLES.items():
        columns = ", ".join(f'CAST("{s.name}" AS {types[s.kind]}) AS "{s.name}"'
                            for s in schema.column_specs(model))
        con.execute(f"CREATE VIEW \"{name}\" AS SELECT file_row_number AS __row, {columns}, "
                    f"NULL::VARCHAR AS __bad FROM read_parquet('{table_path(name)}', file_row_number=true)")
    statements = 0
    for statement in (ROOT / "schemas" / "checks.duckdb.sql").read_text(encoding="utf-8").split(";\n"):
        sql = "\n".join(line for line in statement.splitlines() if not line.startswith("--")).strip()
        if sql:
            found = con.execute(sql).fetchall()
            if sql.startswith("SELECT") and con.description[0][0] == "n":  # a table's screen
                assert found == [(0,)], sql[:300]
            else:
                assert found == [] or not sql.startswith("SELECT"), sql[:300]
            statements += 1
    assert statements > len(sqlchecks.generate("duckdb"))


def _both(case: Case, tmp_path: Path):
    if case.tables is not None:
        return validate(case.tables()), validate(case.tables(), engine="duckdb")
    folder = "p\n::error::pwned" if case.kind == "output" and case.id.startswith("folder") else "pkg"
    package = copy_package(tmp_path / folder)
    case.breaks(package)
    return validate(package), validate(package, engine="duckdb")


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_corpus_gives_the_same_findings_through_duckdb(case: Case, tmp_path):
    default, streamed = _both(case, tmp_path)
    if case.id in STREAMED_LIMITS:
        assert case.check not in set(streamed.errors["check"])
        assert STREAMED_LIMITS[case.id] in set(streamed.errors["check"])
        return
    assert findings(streamed) == findings(default)
    assert streamed.rows == default.rows
    _assert_safe_output(streamed, case.secret)


@pytest.mark.parametrize("case", [c for c in CASES if c.id in (
    "category-unknown", "required-null", "id-pattern", "negative-quantity", "duplicate-primary-key",
    "date-range-reversed", "precision-disagrees", "quantity-without-unit", "foreign-key-actor",
    "evidence-dangling-record", "record-without-evidence", "bad-id-no-dangling-error",
    "invalid-utf8-text", "nan-in-number", "date-after-2262", "csv-bad-date", "millions-of-errors",
    "wrong-type-in-required", "api-tz-aware")], ids=lambda c: c.id)
def test_a_sample_of_the_corpus_agrees(case: Case, tmp_path):
    """The cases of each kind of check, in the quick runs too (the whole corpus is marked slow)."""
    default, streamed = _both(case, tmp_path)
    assert findings(streamed) == findings(default)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_mutated_tables_give_the_same_findings(tables):
    copies = {name: frame.copy() for name, frame in tables.items()}
    assert findings(validate(copies, engine="duckdb")) == findings(validate(tables))


def test_rules_show_missing_values_as_null():
    """Found values of the rules across tables are shown as every other finding (not pandas' astype)."""
    tables = {n: f.copy() for n, f in __import__("usjapan_data").load_tables().items()}
    recs = tables["recommendations"]
    tables["recommendation_domains"] = tables["recommendation_domains"].iloc[0:0]
    recs.loc[0, "recommendation_id"] = None
    report = validate(tables)
    hits = report.errors[report.errors["check"] == "policy_domain"]
    assert "null" in set(hits["found"]) and not {"nan", "<NA>"} & set(hits["found"])
    assert findings(validate(tables, engine="duckdb")) == findings(report)
    assert isinstance(report.errors, pd.DataFrame)


def test_a_missing_category_in_a_rule_across_tables_is_shown_as_null():
    """A record whose date_precision is missing and whose evidence supports no date (found by hypothesis)."""
    tables = {n: f.copy() for n, f in __import__("usjapan_data").load_tables().items()}
    claimed = tables["commitments"]["commitment_id"].iloc[2]
    evidence = tables["evidence"]
    evidence.loc[evidence["record_id"] == claimed, "supports_date"] = False
    tables["commitments"].loc[2, "date_precision"] = None
    report = validate(tables)
    hits = report.errors[report.errors["check"] == "evidence_for_value"]
    assert list(hits["found"]) == ["null"], hits.to_string()
    assert findings(validate(tables, engine="duckdb")) == findings(report)
