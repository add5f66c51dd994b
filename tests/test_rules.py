"""The mechanical coding rules: each breaks one record and is reported, located.

Every case copies the shipped tables, changes the fewest values that break
one rule of ``docs/coding-rules.md`` and asserts the check, table, row and
column of the report. The shipped data must satisfy every rule (the build
refuses otherwise); ``test_shipped_data_follows_the_rules`` also checks the
classes of the 0.1 audit directly on the data.
"""

from __future__ import annotations

import pandas as pd
import pytest

from usjapan_data import validate


def _copy(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {name: frame.copy() for name, frame in tables.items()}


def _first(frame: pd.DataFrame, mask) -> int:
    rows = frame.index[mask]
    assert len(rows), "the shipped data has no record of the kind this case needs"
    return int(rows[0])


def _errors(tables, check: str) -> pd.DataFrame:
    report = validate(tables)
    assert not report.valid
    found = report.errors[report.errors["check"] == check]
    assert len(found), f"expected a {check} error, got:\n{report}"
    return found


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def test_shipped_data_follows_the_rules(tables):
    assert validate(tables).valid
    for name in ("events", "commitments", "exercises"):
        frame = tables[name]
        # a heading fixes no date; a window is never reported as a span
        heading = frame["date_basis"] == "heading"
        assert frame.loc[heading, "date_start"].isna().all()
        spans = frame["date_precision"].isin(["day", "month", "year", "decade"])
        assert not (spans & frame["date_basis"].isin(["time_of_writing"])).any()
        assert set(frame["mode"].astype(str)) <= {"fact", "assessment", "expectation"}
    events = tables["events"]
    assert not ((events["mode"] == "expectation") & (events["status"] == "occurred")).any()
    commitments = tables["commitments"]
    assert not ((commitments["mode"] == "expectation")
                & commitments["status"].isin(["completed", "abandoned"])).any()


@pytest.mark.parametrize("basis", ["heading", "none"])
def test_an_undated_basis_with_a_date_is_refused(tables, basis):
    t = _copy(tables)
    ev = t["events"]
    row = _first(ev, ev["date_precision"] == "year")
    ev.loc[row, "date_basis"] = basis
    errors = _errors(t, "date_basis_agrees")
    assert (errors["table"] == "events").all()
    assert row + 1 in errors["row"].tolist()
    assert "date_basis" in errors.iloc[0]["column"]


def test_a_printed_basis_without_a_date_is_refused(tables):
    t = _copy(tables)
    com = t["commitments"]
    row = _first(com, com["date_precision"] == "unknown")
    com.loc[row, "date_basis"] = "printed"
    errors = _errors(t, "date_basis_agrees")
    assert row + 1 in errors["row"].tolist()


def test_time_of_writing_must_be_a_window(tables):
    t = _copy(tables)
    ev = t["events"]
    row = _first(ev, ev["date_precision"] == "year")
    ev.loc[row, "date_basis"] = "time_of_writing"
    errors = _errors(t, "date_basis_agrees")
    assert row + 1 in errors["row"].tolist()


def test_time_of_writing_ends_when_the_source_was_written(tables):
    t = _copy(tables)
    frame = None
    for name in ("commitments", "events", "exercises"):
        candidate = t[name]
        if (candidate["date_basis"] == "time_of_writing").any():
            frame, table = candidate, name
            break
    assert frame is not None, "the shipped data anchors no date to the time of writing"
    row = _first(frame, frame["date_basis"] == "time_of_writing")
    frame.loc[row, "date_end"] = frame.loc[row, "date_end"] + pd.Timedelta(days=1)
    errors = _errors(t, "time_of_writing")
    assert (errors["table"] == table).all()
    assert errors.iloc[0]["row"] == row + 1
    assert errors.iloc[0]["column"] == "date_end"


def test_a_window_may_have_any_bounds_but_a_span_may_not(tables):
    t = _copy(tables)
    ev = t["events"]
    row = _first(ev, ev["date_precision"] == "year")
    ev.loc[row, ["date_start", "date_end"]] = [_ts("2021-01-20"), _ts("2021-03-02")]
    errors = _errors(t, "date_precision_agrees")
    assert row + 1 in errors["row"].tolist()
    ev.loc[row, "date_precision"] = "window"
    ev.loc[row, "date_basis"] = "context"
    report = validate(t)
    assert "date_precision_agrees" not in set(report.errors["check"])


def test_a_forecast_never_sets_a_final_commitment_status(tables):
    t = _copy(tables)
    com = t["commitments"]
    row = _first(com, com["mode"] == "fact")
    com.loc[row, ["mode", "status"]] = ["expectation", "abandoned"]
    errors = _errors(t, "commitment_expectation_not_final")
    assert errors.iloc[0]["row"] == row + 1
    assert errors.iloc[0]["table"] == "commitments"


def test_a_forecast_event_has_not_occurred(tables):
    t = _copy(tables)
    ev = t["events"]
    row = _first(ev, ev["status"] == "occurred")
    ev.loc[row, "mode"] = "expectation"
    errors = _errors(t, "event_status_agrees_mode")
    assert errors.iloc[0]["row"] == row + 1


def test_an_upcoming_event_is_not_a_fact(tables):
    t = _copy(tables)
    ev = t["events"]
    row = _first(ev, ev["status"] == "occurred")
    ev.loc[row, "status"] = "upcoming"
    ev.loc[row, "mode"] = "fact"
    errors = _errors(t, "event_status_agrees_mode")
    assert errors.iloc[0]["row"] == row + 1


def test_a_dated_record_needs_evidence_for_its_date(tables):
    t = _copy(tables)
    ev, evidence = t["events"], t["evidence"]
    row = _first(ev, ev["date_precision"] != "unknown")
    rid = ev.loc[row, "event_id"]
    evidence.loc[evidence["record_id"] == rid, "supports_date"] = False
    errors = _errors(t, "evidence_for_value")
    hit = errors[(errors["table"] == "events") & (errors["row"] == row + 1)]
    assert hit.iloc[0]["column"] == "date_precision"


def test_a_quantity_needs_evidence_for_it(tables):
    t = _copy(tables)
    com, evidence = t["commitments"], t["evidence"]
    row = _first(com, com["quantity"].notna())
    rid = com.loc[row, "commitment_id"]
    evidence.loc[evidence["record_id"] == rid, "supports_quantity"] = False
    errors = _errors(t, "evidence_for_value")
    assert "quantity" in errors[errors["row"] == row + 1]["column"].tolist()


def test_an_actor_points_at_evidence_of_its_own_record(tables):
    t = _copy(tables)
    ra = t["record_actors"]
    other = t["evidence"]["evidence_id"]
    row = 0
    foreign = other[~other.str.startswith(ra.loc[row, "record_id"] + "#")].iloc[0]
    ra.loc[row, "evidence_id"] = foreign
    errors = _errors(t, "actor_evidence")
    assert errors.iloc[0]["row"] == row + 1
    assert errors.iloc[0]["column"] == "evidence_id"
    assert errors.iloc[0]["found"] == foreign


def test_the_recommendation_tree_is_walkable(tables):
    t = _copy(tables)
    rec = t["recommendations"]
    bullet = _first(rec, rec["level"] == "bullet")
    ask = _first(rec, rec["level"] == "ask")
    # a bullet whose parent is an ask does not fit the tree
    rec.loc[bullet, "parent_id"] = rec.loc[ask, "recommendation_id"]
    errors = _errors(t, "recommendation_tree")
    assert errors.iloc[0]["row"] == bullet + 1
    assert errors.iloc[0]["column"] == "parent_id"


def test_an_overall_record_has_no_parent_and_a_bullet_has_one(tables):
    t = _copy(tables)
    rec = t["recommendations"]
    bullet = _first(rec, rec["level"] == "bullet")
    rec.loc[bullet, "parent_id"] = pd.NA
    errors = _errors(t, "parent_agrees_level")
    assert errors.iloc[0]["row"] == bullet + 1


def test_every_recommendation_has_a_policy_domain(tables):
    t = _copy(tables)
    rid = t["recommendations"]["recommendation_id"].iloc[3]
    domains = t["recommendation_domains"]
    t["recommendation_domains"] = domains[domains["recommendation_id"] != rid].reset_index(drop=True)
    errors = _errors(t, "policy_domain")
    assert errors.iloc[0]["row"] == 4
    assert errors.iloc[0]["found"] == rid


def test_a_link_points_at_an_existing_record(tables):
    t = _copy(tables)
    links = t["record_links"]
    assert len(links), "the shipped data has no record links"
    links.loc[0, "target_id"] = "EVT-999"
    errors = _errors(t, "foreign_key")
    assert errors.iloc[0]["table"] == "record_links"
    assert errors.iloc[0]["column"] == "target_id"
    assert errors.iloc[0]["found"] == "EVT-999"


def test_a_leader_belongs_to_a_state(tables):
    t = _copy(tables)
    actors = t["actors"]
    row = _first(actors, actors["kind"] == "leader")
    actors.loc[row, "state_id"] = pd.NA
    errors = _errors(t, "state_codes")
    assert errors.iloc[0]["row"] == row + 1


def test_a_source_document_states_its_time_of_writing(tables):
    t = _copy(tables)
    refs = t["references"]
    row = _first(refs, refs["role"] == "source_document")
    refs.loc[row, "written_end"] = refs.loc[row, "written_start"] - pd.Timedelta(days=1)
    errors = _errors(t, "source_documents_complete")
    assert errors.iloc[0]["row"] == row + 1


def test_integers_are_64_bit(tables):
    actors = tables["actors"]
    assert str(actors["cow_ccode"].dtype) == "Int64"
    japan = actors.loc[actors["actor_id"] == "JPN", "cow_ccode"].iloc[0]
    assert japan * 1000 == 740_000
