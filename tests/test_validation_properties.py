"""Property-based: random mutations of valid tables are accepted or reported, never a crash."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from usjapan_data import load_tables, schema, validate
from usjapan_data.report import clean
from usjapan_data.validation import ERROR_COLUMNS

TABLES = load_tables()
NAMES = list(schema.TABLES)

values = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2200, 1, 1)),
    st.sampled_from(["EVT-001", "USA", "cong-paper", "fact", "year", "committer", "", "nan"]),
)


def _copy() -> dict[str, pd.DataFrame]:
    return {name: frame.copy() for name, frame in TABLES.items()}


@st.composite
def mutations(draw):
    tables = _copy()
    steps = draw(st.integers(min_value=1, max_value=3))
    for _ in range(steps):
        name = draw(st.sampled_from(NAMES))
        frame = tables[name]
        kind = draw(st.sampled_from(["cell", "cell", "cell", "drop_column", "duplicate_row", "drop_row"]))
        if kind == "cell" and len(frame):
            row = draw(st.integers(min_value=0, max_value=len(frame) - 1))
            column = draw(st.sampled_from(list(frame.columns)))
            value = draw(values)
            series = frame[column].astype("object")
            series.iloc[row] = value
            frame[column] = series
        elif kind == "drop_column":
            frame = frame.drop(columns=draw(st.sampled_from(list(frame.columns))))
        elif kind == "duplicate_row" and len(frame):
            row = draw(st.integers(min_value=0, max_value=len(frame) - 1))
            frame = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)
        elif kind == "drop_row" and len(frame):
            row = draw(st.integers(min_value=0, max_value=len(frame) - 1))
            frame = frame.drop(index=frame.index[row]).reset_index(drop=True)
        tables[name] = frame
    return tables


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_mutated_tables_never_crash(tables):
    report = validate(tables)
    assert list(report.errors.columns) == ERROR_COLUMNS
    assert report.valid == report.errors.empty
    str(report)
    report.to_json()
    if not report.valid:
        assert report.errors["message"].notna().all()
        assert report.errors["check"].notna().all()


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    data=st.data(),
)
def test_an_unknown_category_is_always_reported(name, data):
    specs = [s for s in schema.column_specs(schema.TABLES[name]) if s.kind == "category"]
    if not specs or TABLES[name].empty:
        return
    spec = data.draw(st.sampled_from(specs))
    row = data.draw(st.integers(min_value=0, max_value=len(TABLES[name]) - 1))
    bad = data.draw(st.text(min_size=1, max_size=8).filter(lambda v: v not in spec.categories))
    tables = _copy()
    column = tables[name][spec.name].astype("object")
    column.iloc[row] = bad
    tables[name][spec.name] = column
    report = validate(tables)
    hit = report.errors[(report.errors["table"] == name) & (report.errors["column"] == spec.name)
                        & (report.errors["row"] == row + 1)]
    assert not hit.empty
    assert hit["found"].iloc[0] == clean(bad)
