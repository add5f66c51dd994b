"""Agreement between coding passes: alpha against a reference implementation, matching, the report."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from usjapan_data.agreement import agreement_report, krippendorff_alpha, match_records


def test_alpha_by_hand():
    # coincidences a-a 2, b-b 2, a-b 2: D_o = 2/6, D_e = 18/30
    assert krippendorff_alpha([("a", "a"), ("b", "b"), ("a", "b")]) == pytest.approx(1 - (2 / 6) / 0.6)
    assert krippendorff_alpha([("a", "a"), ("b", "b")]) == 1.0
    assert krippendorff_alpha([("a", "b"), ("b", "a")]) == pytest.approx(-0.5)
    assert krippendorff_alpha([("a", "a"), ("a", "a")]) is None  # no variation: undefined
    assert krippendorff_alpha([("a", None)]) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=2, max_size=40))
def test_alpha_agrees_with_the_krippendorff_package(pairs):
    krippendorff = pytest.importorskip("krippendorff")
    ours = krippendorff_alpha(pairs)
    data = np.array(pairs, dtype=float).T
    if ours is None:
        return
    assert ours == pytest.approx(krippendorff.alpha(reliability_data=data,
                                                    level_of_measurement="nominal"))


def _record(title, quote, **values):
    return {"title": title, "evidence": [{"quote": quote}], **values}


def test_records_match_by_their_evidence_not_their_order():
    first = [_record("Korean War", "including during the Korean War (1950-1953) and"),
             _record("Treaty", "The 1951 Treaty of San Francisco and the accompanying")]
    second = [_record("the treaty of 1951", "The 1951 Treaty of San Francisco"),
              _record("a war", "during the Korean War (1950-1953)"),
              _record("unrelated", "Space security has also emerged as a priority")]
    assert match_records(first, second) == [(0, 1), (1, 0)]


def test_one_quote_for_several_records_is_told_apart_by_their_text():
    quote = "The acquisition of F-35 fighter jets, Aegis-equipped destroyers, and advanced radar systems"
    first = [_record("Japan acquires F-35 fighter jets", quote),
             _record("Japan acquires advanced radar systems", quote)]
    second = [_record("Advanced radar systems acquired", quote),
              _record("F-35 fighter jets acquired", quote)]
    assert match_records(first, second) == [(0, 1), (1, 0)]


def test_report_counts_inclusion_and_values(tmp_path):
    quote = "The 1997 revision of the US-Japan Defense Guidelines expanded the scope"
    common = {"event_type": "guidelines_revision", "date_precision": "year", "mode": "fact"}
    for n, extra in ((1, {"status": "occurred"}), (2, {"status": "unclear"})):
        folder = tmp_path / f"paper-pass{n}"
        folder.mkdir()
        events = [_record("revision", quote, **common, **extra)]
        if n == 2:
            events.append(_record("other", "During the Cold War, the alliance served", **common))
        (folder / "events.yaml").write_text(yaml.safe_dump(events), encoding="utf-8")
    report = agreement_report(tmp_path)
    assert "## paper: paper-pass1 and paper-pass2" in report
    assert "| events | 1 | 2 | 1 | 0.67 |" in report
    assert "| status | 1 | 0.00 | 0.00 |" in report  # one disagreeing unit: alpha 0
    assert "| mode | 1 | 1.00 | — |" in report


def test_published_figures_are_generated_from_the_passes(root):
    published = (root / "docs" / "agreement.md").read_text(encoding="utf-8")
    assert published == agreement_report(root / "review" / "passes")
