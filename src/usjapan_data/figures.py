"""Figures of the records: a timeline of every dated event, commitment and exercise.

The figures need matplotlib, which the ``plot`` extra installs
(``pip install "usjapan-data[plot]"``); importing this module does not
import it. The timeline draws what the records say about their dates and
nothing more:

- one bar per dated record, from ``date_start`` to the end of ``date_end``,
  in the colour of its table;
- a solid bar for a span (precision day, month, year or decade: the
  happening's own dates), a pale hatched bar for a ``window`` (it happened
  somewhere within the range);
- a marker in the middle of each bar for its ``date_basis``;
- records without a date (precision ``unknown``) are counted under the
  axes, never drawn.

``usjapan-data build`` renders it to ``docs/timeline.svg`` with
:func:`timeline_svg`.
"""

from __future__ import annotations

import hashlib
import io
import re
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["PLOT_EXTRA", "same_svg", "timeline", "timeline_svg"]

#: What to tell someone who calls a figure without matplotlib.
PLOT_EXTRA = 'the figures need matplotlib, which the \'plot\' extra installs: pip install "usjapan-data[plot]"'

#: Bar colour of each table, in the order the tables are drawn (Okabe-Ito:
#: told apart by colour-blind readers too).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
#: Markers for the date bases that give a date, in the order of
#: ``schema.DATE_BASES``: (marker, filled).
BASIS_MARKERS = (("o", True), ("o", False), (">", True), ("s", False), ("D", True))
#: Dates before ``focus_start`` take at most this share of the axis width.
EARLY_SHARE = 0.3
#: Bars narrower than this share of the axis have their dates written beside them.
SHORT_BAR = 0.04
#: Height of one row, in inches, when the timeline makes its own figure.
ROW_INCHES = 0.2


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(f"usjapan_data.timeline(): {PLOT_EXTRA}") from exc
    return matplotlib


def _records(tables: Mapping[str, pd.DataFrame], include: Sequence[str] | None) -> tuple[pd.DataFrame, dict[str, int]]:
    """The dated records to draw, one row each, and the undated ones counted per table."""
    import pandas as pd

    from usjapan_data import schema

    dated_tables = [n for n, m in schema.TABLES.items() if "date_precision" in schema.columns(m)]
    names = [n for n in dated_tables if n in tables] if include is None else list(include)
    for name in names:
        if name not in dated_tables:
            raise ValueError(f"timeline() draws tables with a date range ({', '.join(dated_tables)}); "
                             f"got {name!r}")
        if name not in tables:
            raise KeyError(f"timeline(): table {name!r} is not among the tables given "
                           f"({', '.join(tables) or 'none'})")
    parts, undated = [], {}
    for name in names:
        frame, model = tables[name], schema.TABLES[name]
        columns = schema.label_columns(model)
        label = frame[columns[0]].astype("object")
        for column in columns[1:]:
            label = label.where(label.notna(), frame[column].astype("object"))
        dated = frame["date_start"].notna() & frame["date_end"].notna()
        undated[name] = int((~dated).sum())
        part = pd.DataFrame({
            "table": name,
            "record_id": frame[schema.keys(model)["primary_key"][0]].astype("object"),
            "label": label,
            "start": frame["date_start"],
            "end": frame["date_end"],
            "precision": frame["date_precision"].astype("object"),
            "basis": frame["date_basis"].astype("object"),
        })[dated]
        parts.append(part.sort_values(["start", "end", "record_id"]))
    columns = ["table", "record_id", "label", "start", "end", "precision", "basis"]
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    return rows, undated


def _scale(lo: float, split: float | None, hi: float) -> tuple[float, Any, Any]:
    """How much to compress the dates before ``split``, and the scale's functions."""
    import numpy as np

    factor = 1.0
    if split is not None and lo < split < hi:
        factor = max(1.0, (split - lo) * (1 - EARLY_SHARE) / (EARLY_SHARE * (hi - split)))
    edge = split if split is not None else lo

    def forward(x: Any) -> Any:
        x = np.asarray(x, dtype=float)
        return np.where(x < edge, edge + (x - edge) / factor, x)

    def inverse(x: Any) -> Any:
        x = np.asarray(x, dtype=float)
        return np.where(x < edge, edge + (x - edge) * factor, x)

    return factor, forward, inverse


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date_words(start: pd.Timestamp, end: pd.Timestamp, precision: str, window: bool) -> str:
    """A short bar's dates in words: '11 Sep 2001', 'Mar 2021', '1950–1953', 'within 20–24 May 2022'."""
    def words(day: pd.Timestamp) -> str:
        if precision in ("year", "decade"):
            return str(day.year)
        month = f"{_MONTHS[day.month - 1]} {day.year}"
        return month if precision == "month" else f"{day.day} {month}"

    first, last = words(start), words(end)
    if precision == "decade":
        text = f"{start.year}s"
    elif first == last:
        text = first
    elif precision not in ("year", "month") and (start.year, start.month) == (end.year, end.month):
        text = f"{start.day}–{last}"
    else:
        text = f"{first}–{last}"
    return f"within {text}" if window else text


def _year_ticks(first: int, last: int, split_year: int, factor: float) -> list[int]:
    """Years to label: every year from the split on; before it, steps wide enough to read."""
    step = next((s for s in (1, 2, 5, 10, 20, 25, 50) if s / factor >= 0.6), 100)
    early = [y for y in range(first - first % step, split_year, step)
             if y >= first and (split_year - y) / factor >= 0.6]
    return early + list(range(max(first, split_year), last + 1))


def timeline(
    tables: Mapping[str, pd.DataFrame] | None = None,
    *,
    include: Sequence[str] | None = None,
    ax: Axes | None = None,
    focus_start: str | None = "2021-01-01",
    label_width: int = 60,
) -> Axes:
    """Draw the dated records on a timeline, showing each date's precision and basis.

    One row and one bar per dated record, from ``date_start`` to the end of
    ``date_end``, coloured by table and labelled with the record's id and
    title (or item, name, description). A span (precision day, month, year
    or decade) is a solid bar; a window (the record lies somewhere within
    the range) a pale hatched one. A marker in the middle of each bar shows
    the date's basis: filled circle ``printed``, open circle ``context``,
    triangle ``time_of_writing``. Bars too short to see have their dates
    written beside them. Records without a date are never drawn: their
    number per table is written under the axes. Dates before
    ``focus_start`` are drawn on a compressed scale (shaded), so that
    decades of background do not squeeze the years the data are about.

    Needs matplotlib: ``pip install "usjapan-data[plot]"``.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame, optional
        Tables as :func:`usjapan_data.load_tables` returns them (default: the
        shipped tables).
    include : sequence of str, optional
        The tables to draw, in order (default: every table given that has a
        date range: events, commitments, exercises).
    ax : matplotlib.axes.Axes, optional
        Draw here; by default on a new figure sized to the number of rows.
    focus_start : str or None, default "2021-01-01"
        Dates before this day are compressed to about a third of the
        width; None draws every year alike.
    label_width : int, default 60
        Longest row label, in characters; longer titles are shortened with
        an ellipsis.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (``ax.figure`` is its figure). Each bar is a
        ``Rectangle`` whose gid is the record's id.

    Raises
    ------
    ImportError
        When matplotlib is not installed.
    ValueError, KeyError
        When ``include`` names a table without dates, or one not given.

    Examples
    --------
    >>> import usjapan_data
    >>> ax = usjapan_data.timeline(include=["events"])
    >>> events = usjapan_data.load_table("events")
    >>> bars = [p for p in ax.patches if p.get_gid() in set(events["event_id"])]
    >>> len(bars) == int(events["date_start"].notna().sum())
    True
    >>> ax.figure.savefig("timeline.png")  # doctest: +SKIP

    In a notebook, end the cell with ``ax.figure`` to show it.
    """
    _matplotlib()
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    if tables is None:
        from usjapan_data.loading import load_tables

        tables = load_tables()
    rows, undated = _records(tables, include)
    if ax is None:
        ax = Figure(figsize=(11, 2.4 + ROW_INCHES * len(rows)), layout="constrained").add_subplot()
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(undated)}

    starts = mdates.date2num(rows["start"].to_numpy())
    ends = mdates.date2num(rows["end"].to_numpy()) + 1  # date_end is the last day, inclusive
    lo, hi = (float(starts.min()), float(ends.max())) if len(rows) else (0.0, 1.0)
    split = mdates.datestr2num(focus_start) if focus_start is not None else None
    factor, forward, inverse = _scale(lo, split, hi)
    if split is not None and factor > 1:
        ax.set_xscale("function", functions=(forward, inverse))
        ax.axvspan(lo - 3650, split, color="0.93", zorder=0, linewidth=0)
        split_year = mdates.num2date(split).year
        ax.set_xlabel(f"before {split_year} (shaded): compressed {factor:.0f}×", fontsize=8, loc="left",
                      color="0.35")
    if len(rows):
        first, last = mdates.num2date(lo).year, mdates.num2date(hi - 1).year
        years = _year_ticks(first, last + 1, split_year if factor > 1 else first, factor)
        ax.set_xticks([mdates.datestr2num(f"{y}-01-01") for y in years], [str(y) for y in years], fontsize=8)
        ax.set_xlim(inverse(forward(lo) - 60), hi + 60)
    visible = SHORT_BAR * (forward(hi) - forward(lo))
    for y, (row, x0, x1) in enumerate(zip(rows.itertuples(index=False), starts, ends)):
        _bar(ax, y, x0, x1, row, colours[row.table], short=forward(x1) - forward(x0) < visible)
    for basis, (marker, filled) in _markers().items():
        chosen = (rows["basis"] == basis).to_numpy()
        if chosen.any():
            middle = inverse((forward(starts[chosen]) + forward(ends[chosen])) / 2)
            ax.scatter(middle, rows.index[chosen], marker=marker, s=16, zorder=3, linewidths=1,
                       facecolors="0.1" if filled else "white", edgecolors="0.1", gid=f"basis-{basis}")

    labels = [f"{r.record_id}  {textwrap.shorten(str(r.label), label_width, placeholder=' …')}"
              for r in rows.itertuples(index=False)]
    ax.set_yticks(range(len(rows)), labels, fontsize=7.5)
    ax.set_ylim(max(len(rows), 1) - 0.5, -0.5)
    for boundary in rows.index[rows["table"] != rows["table"].shift()][1:]:
        ax.axhline(boundary - 0.5, color="0.75", linewidth=0.6, zorder=1)
    ax.grid(axis="x", color="0.85", linewidth=0.6)
    ax.tick_params(axis="y", length=0)
    ax.set_axisbelow(True)
    _legend(ax, colours, rows["table"].value_counts())
    counts = ", ".join(f"{k} {n}" for n, k in undated.items())
    ax.annotate(f"Not drawn, having no date (precision unknown): {counts}.", xy=(0, 0), xycoords="axes fraction",
                xytext=(0, -30), textcoords="offset points", va="top", fontsize=8, color="0.25")
    return ax


def _markers() -> dict[str, tuple[str, bool]]:
    """The marker of each date basis that gives a date."""
    from usjapan_data import schema

    return dict(zip([b for b in schema.DATE_BASES if b not in schema.UNDATED_BASES], BASIS_MARKERS))


def _bar(ax: Axes, y: int, x0: float, x1: float, row: Any, colour: str, *, short: bool) -> None:
    """One record's bar: solid for a span, pale and hatched for a window; a short one with its dates."""
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Rectangle

    from usjapan_data import schema

    window = row.precision not in schema.SPAN_PRECISIONS
    ax.add_patch(Rectangle(
        (x0, y - 0.32), x1 - x0, 0.64, facecolor=to_rgba(colour, 0.2 if window else 1), edgecolor=colour,
        hatch="////" if window else None, linewidth=0.8 if window else 1.2, gid=row.record_id, zorder=2,
    ))
    if short:
        ax.annotate(_date_words(row.start, row.end, row.precision, window), xy=(x1, y), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=7, color="0.25")


def _legend(ax: Axes, colours: dict[str, str], drawn: pd.Series) -> None:
    """Above the axes: the tables (with the records drawn), span and window, the bases."""
    from matplotlib.colors import to_rgba
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(facecolor=c, edgecolor=c, label=f"{n} ({drawn.get(n, 0)})")
                          for n, c in colours.items()]
    handles += [
        Patch(facecolor="0.45", edgecolor="0.45", label="span: the happening's own dates"),
        Patch(facecolor=to_rgba("0.45", 0.2), edgecolor="0.45", hatch="////", label="window: somewhere within"),
    ]
    handles += [Line2D([], [], linestyle="", marker=m, markersize=5, markerfacecolor="0.1" if f else "white",
                       markeredgecolor="0.1", label=f"basis: {b.replace('_', ' ')}")
                for b, (m, f) in _markers().items()]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, frameon=False, fontsize=8,
              handlelength=1.6, columnspacing=1.4)


#: matplotlib settings that make :func:`timeline_svg` give the same bytes on every machine
#: with the same matplotlib: its default style (no matplotlibrc), a font that ships with
#: matplotlib, glyphs drawn as paths, and fixed ids.
SVG_STYLE = {"font.family": "DejaVu Sans", "svg.fonttype": "path", "svg.hashsalt": "usjapan-data"}
_INPUTS = re.compile(rb"<dc:description>inputs sha256:([0-9a-f]{64})</dc:description>")
_CREATOR = re.compile(rb"<dc:creator>.*?<dc:title>([^<]*)</dc:title>", re.S)


def timeline_svg(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """Render :func:`timeline` of ``tables`` as SVG, the same bytes every time.

    No date is written; the SVG's description holds the sha256 of what it is
    drawn from (the rows drawn, the undated counts and this module's source),
    so that :func:`same_svg` can tell a change of data from a change of
    matplotlib.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Tables as :func:`usjapan_data.load_tables` returns them.

    Returns
    -------
    bytes
    """
    _matplotlib()
    import matplotlib.style

    rows, undated = _records(tables, None)
    inputs = hashlib.sha256(rows.to_csv(index=False).encode())
    inputs.update(repr(sorted(undated.items())).encode())
    inputs.update(Path(__file__).read_bytes())
    with matplotlib.style.context(["default", SVG_STYLE]):
        ax = timeline(tables)
        sink = io.BytesIO()
        ax.figure.savefig(sink, format="svg", metadata={
            "Date": None, "Title": "usjapan-data timeline", "Description": f"inputs sha256:{inputs.hexdigest()}",
        })
    return sink.getvalue()


def same_svg(old: bytes, new: bytes) -> bool:
    """Whether a committed figure ``old`` is up to date with a fresh rendering ``new``.

    Up to date when the bytes are equal, or when both are drawn from the same
    inputs by different versions of matplotlib (whose output differs in
    detail from version to version). The same matplotlib must give the same
    bytes.
    """
    if old == new:
        return True

    def found(pattern: re.Pattern[bytes], svg: bytes) -> bytes | None:
        match = pattern.search(svg)
        return match.group(1) if match else None

    inputs = found(_INPUTS, old)
    return (inputs is not None and inputs == found(_INPUTS, new)
            and found(_CREATOR, old) != found(_CREATOR, new))
