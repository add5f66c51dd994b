"""The validation report in a notebook: an HTML table, every value escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import usjapan_data
from usjapan_data.validation import ERROR_COLUMNS, ValidationReport

HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


def cells(element, tag):
    return ["".join(c.itertext()) for c in element.iter(tag)]


def test_valid_report_html_lists_every_table():
    report = usjapan_data.validate()
    root = ET.fromstring(report._repr_html_())  # well-formed markup
    assert "VALID" in "".join(root.find("p").itertext())
    body = cells(root, "td")
    for table, rows in report.rows.items():
        assert [table, str(rows), "0"] == body[body.index(table):body.index(table) + 3]


def test_hostile_text_is_escaped(tables):
    frames = {name: frame.copy() for name, frame in tables.items()}
    frames["events"]["title"] = frames["events"]["title"].astype("object")
    frames["events"].loc[0, "event_id"] = HOSTILE  # breaks the id pattern: reported with the value
    report = usjapan_data.validate(frames)
    assert not report.valid
    report.source = HOSTILE
    html = report._repr_html_()
    assert "<script>" not in html and "<img" not in html
    root = ET.fromstring(html)
    assert HOSTILE in "".join(root.find("p").itertext())
    assert cells(root, "th")[-len(ERROR_COLUMNS):] == ERROR_COLUMNS
    found = [t for t in cells(root, "td") if HOSTILE in t]
    assert found, "the hostile value is shown, as text"


def test_long_reports_are_cut_with_a_count():
    import pandas as pd

    errors = pd.DataFrame([{c: f"{c}{i}" for c in ERROR_COLUMNS} for i in range(60)])
    report = ValidationReport("tables", {"events": 60}, errors)
    root = ET.fromstring(report._repr_html_(limit=10))
    assert len(root.findall(".//tbody")[1].findall("tr")) == 10
    assert "50 more" in "".join(root.itertext())
