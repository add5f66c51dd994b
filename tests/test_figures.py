"""The timeline: one bar per dated record, windows told from spans, undated records never drawn."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

pytest.importorskip("matplotlib", reason="the figures need the 'plot' extra")

from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from usjapan_data import schema, timeline  # noqa: E402
from usjapan_data.figures import _date_words, same_svg, timeline_svg  # noqa: E402

DATED_TABLES = [n for n, m in schema.TABLES.items() if "date_precision" in schema.columns(m)]


def _id_column(table: str) -> str:
    return schema.keys(schema.TABLES[table])["primary_key"][0]


def _bars(ax) -> dict[str, Rectangle]:
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid()]
    by_id = {p.get_gid(): p for p in bars}
    assert len(by_id) == len(bars), "a record drawn twice"
    return by_id


def _records(tables, names):
    return pd.concat([tables[n].rename(columns={_id_column(n): "record_id"}) for n in names], ignore_index=True)


@pytest.fixture(scope="module")
def drawn(tables):
    return timeline(tables)


def test_one_bar_per_dated_record_and_none_for_the_undated(tables, drawn):
    records = _records(tables, DATED_TABLES)
    dated = records["date_start"].notna() & records["date_end"].notna()
    assert dated.sum() > 0 and (~dated).sum() > 0  # the shipped tables have both
    bars = _bars(drawn)
    assert set(bars) == set(records.loc[dated, "record_id"])
    assert not set(bars) & set(records.loc[~dated, "record_id"])
    labels = [t.get_text() for t in drawn.get_yticklabels()]
    assert len(labels) == dated.sum()
    assert all(label.split("  ")[0] in bars for label in labels)


@pytest.mark.parametrize("name", DATED_TABLES)
def test_only_the_chosen_table_is_drawn(tables, name):
    frame = tables[name]
    ax = timeline(tables, include=[name])
    dated = frame["date_start"].notna()
    assert set(_bars(ax)) == set(frame.loc[dated, _id_column(name)])


def test_bars_run_from_start_to_the_end_of_the_last_day(tables, drawn):
    import matplotlib.dates as mdates

    records = _records(tables, DATED_TABLES).set_index("record_id")
    for record_id, bar in _bars(drawn).items():
        start, end = records.loc[record_id, ["date_start", "date_end"]]
        assert bar.get_x() == pytest.approx(mdates.date2num(start))
        assert bar.get_x() + bar.get_width() == pytest.approx(mdates.date2num(end + pd.Timedelta(days=1)))


def test_windows_are_hatched_and_pale_spans_solid(tables, drawn):
    records = _records(tables, DATED_TABLES).set_index("record_id")
    precision = records["date_precision"].astype("object")
    bars = _bars(drawn)
    windows = [i for i in bars if precision[i] == "window"]
    spans = [i for i in bars if precision[i] in schema.SPAN_PRECISIONS]
    assert windows and spans and len(windows) + len(spans) == len(bars)
    for i in windows:
        assert bars[i].get_hatch() and bars[i].get_facecolor()[3] < 0.5, i
    for i in spans:
        assert not bars[i].get_hatch() and bars[i].get_facecolor()[3] == 1, i
    # colour by table: every bar of a table has the same edge colour, and tables differ
    colours = {n: {bars[i].get_edgecolor() for i in bars if i.startswith(schema.ID_PREFIXES[n])}
               for n in DATED_TABLES}
    assert all(len(c) == 1 for c in colours.values())
    assert len(set().union(*colours.values())) == len(DATED_TABLES)


def test_a_marker_per_dated_record_shows_its_basis(tables, drawn):
    records = _records(tables, DATED_TABLES)
    dated = records[records["date_start"].notna()]
    markers = {c.get_gid(): len(c.get_offsets()) for c in drawn.collections
               if isinstance(c, PathCollection) and (c.get_gid() or "").startswith("basis-")}
    expected = dated["date_basis"].astype("object").value_counts()
    assert markers == {f"basis-{b}": n for b, n in expected.items()}


def test_undated_records_are_counted(tables, drawn):
    notes = [t.get_text() for t in drawn.texts if t.get_text().startswith("Not drawn")]
    assert len(notes) == 1
    for name in DATED_TABLES:
        assert f"{tables[name]['date_start'].isna().sum()} {name}" in notes[0]


def test_no_dated_record_draws_an_empty_timeline(tables):
    events = tables["events"]
    ax = timeline({"events": events[events["date_start"].isna()]})
    assert _bars(ax) == {}
    assert f"{events['date_start'].isna().sum()} events" in ax.texts[-1].get_text()


def test_draws_on_the_axes_given(tables):
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    assert timeline(tables, include=["exercises"], ax=ax, focus_start=None) is ax
    assert ax.get_xscale() == "linear"


def test_a_table_without_dates_is_refused(tables):
    with pytest.raises(ValueError, match=r"draws tables with a date range \(.*\); got 'actors'"):
        timeline(tables, include=["actors"])
    with pytest.raises(KeyError, match="'events' is not among the tables given"):
        timeline({"commitments": tables["commitments"]}, include=["events"])


def test_without_matplotlib_the_error_names_the_extra(tables, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    with pytest.raises(ImportError, match=r'pip install "usjapan-data\[plot\]"'):
        timeline(tables)


@pytest.mark.parametrize(
    "start, end, precision, words",
    [
        ("2001-09-11", "2001-09-11", "day", "11 Sep 2001"),
        ("2022-05-20", "2022-05-24", "day", "20–24 May 2022"),
        ("2022-05-20", "2022-05-24", "window", "within 20–24 May 2022"),
        ("2021-03-01", "2021-03-31", "month", "Mar 2021"),
        ("1950-01-01", "1953-12-31", "year", "1950–1953"),
        ("1990-01-01", "1999-12-31", "decade", "1990s"),
        ("2022-01-01", "2022-05-19", "window", "within 1 Jan 2022–19 May 2022"),
    ],
)
def test_short_bars_have_their_dates_in_words(start, end, precision, words):
    window = precision not in schema.SPAN_PRECISIONS
    assert _date_words(pd.Timestamp(start), pd.Timestamp(end), precision, window) == words


def test_svg_is_deterministic_and_knows_its_inputs(tables):
    first, second = timeline_svg(tables), timeline_svg(tables)
    assert first == second
    assert b"<dc:date>" not in first and b"<dc:description>inputs sha256:" in first
    # another matplotlib, same inputs: up to date; other inputs: drift, whatever the version
    other_version = first.replace(b"Matplotlib v", b"Matplotlib v0.0-", 1).replace(b"<path ", b"<path  ", 1)
    assert same_svg(other_version, first)
    events = tables["events"].copy()
    events.loc[events["date_start"].notna().idxmax(), "title"] = "Edited"
    edited = timeline_svg({**tables, "events": events})
    assert not same_svg(edited, first)
    assert not same_svg(edited.replace(b"Matplotlib v", b"Matplotlib v0.0-", 1), first)
    assert not same_svg(first.replace(b"<path ", b"<path  ", 1), first)  # same version: bytes must match
