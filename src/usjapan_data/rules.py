"""The coding rules that span tables, checked on conformed frames.

The rules within one row (date shapes, basis against precision, a forecast
with a final status, …) are row rules of the models in
:mod:`usjapan_data.schema`. The rules here need more than one row or table:

- ``evidence_for_value``: a dated record has an evidence row marked for its
  date, a status other than ``unclear`` one marked for its status, a
  quantity one marked for its quantity;
- ``actor_evidence``: each actor of a record points at an evidence row of
  that same record;
- ``time_of_writing``: a date anchored to the time of writing ends on the
  last day of the time of writing of one of the record's source documents;
- ``recommendation_tree``: a bullet's parent is an overall record, an ask's
  a bullet or an overall record, with the same recommender;
- ``policy_domain``: every recommendation has at least one policy domain.

Each rule reports through the validator's collector with the table, the
0-based row positions, the column, what was found and what was expected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from usjapan_data import schema

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["check_rules"]


def _key(table: str, frame: pd.DataFrame) -> pd.Series:
    return frame[schema.keys(schema.TABLES[table])["primary_key"][0]].astype(object)


def _pairs(frame: pd.DataFrame, table_col: str = "record_table", id_col: str = "record_id") -> pd.Series:
    return frame[table_col].astype(object) + "\x00" + frame[id_col].astype(object)


def _report(add: Callable[..., None], table: str, check: str, mask: np.ndarray,
            column: str, found: pd.Series, expected: str, message: str) -> None:
    rows = np.flatnonzero(mask)
    if len(rows):
        add(table, check, rows, column, found.iloc[rows].astype(str).tolist(), expected, message)


def check_rules(tables: dict[str, pd.DataFrame], add: Callable[..., None]) -> None:
    """Check the cross-table coding rules; ``add`` is ``_Collector.add_rows``.

    Tables that are missing are skipped: their absence is reported elsewhere.
    """
    evidence = tables.get("evidence")
    if evidence is not None:
        _evidence_for_values(tables, evidence, add)
        _time_of_writing(tables, evidence, add)
        if "record_actors" in tables:
            _actor_evidence(tables["record_actors"], evidence, add)
    if "recommendations" in tables:
        _recommendation_tree(tables["recommendations"], add)
        if "recommendation_domains" in tables:
            _policy_domains(tables["recommendations"], tables["recommendation_domains"], add)


def _marked(evidence: pd.DataFrame, table: str, column: str) -> set[Any]:
    rows = (evidence["record_table"].astype(object) == table) & evidence[column].fillna(False).astype(bool)
    return set(evidence.loc[rows.to_numpy(), "record_id"].astype(object))


def _evidence_for_values(tables: dict[str, pd.DataFrame], evidence: pd.DataFrame,
                         add: Callable[..., None]) -> None:
    for table in schema.CLAIM_TABLES:
        frame = tables.get(table)
        if frame is None:
            continue
        key = _key(table, frame)
        needs = {
            "date": (frame["date_precision"].astype(object) != "unknown", "date_precision",
                     frame["date_precision"]),
            "status": (frame["status"].astype(object) != "unclear", "status", frame["status"]),
        }
        if "quantity" in frame:
            needs["quantity"] = (frame["quantity"].notna(), "quantity", frame["quantity"])
        for value, (needed, column, found) in needs.items():
            marked = key.isin(_marked(evidence, table, f"supports_{value}"))
            mask = (needed.fillna(False) & ~marked).to_numpy(dtype=bool)
            _report(add, table, "evidence_for_value", mask, column, found,
                    f"an evidence row of the record with supports_{value} true",
                    f"no evidence row supports the record's {value}")


def _actor_evidence(actors: pd.DataFrame, evidence: pd.DataFrame, add: Callable[..., None]) -> None:
    own = set(_pairs(evidence) + "\x00" + evidence["evidence_id"].astype(object))
    pairs = _pairs(actors) + "\x00" + actors["evidence_id"].astype(object)
    mask = (actors["evidence_id"].notna() & ~pairs.isin(own)).to_numpy(dtype=bool)
    _report(add, "record_actors", "actor_evidence", mask, "evidence_id", actors["evidence_id"],
            "an evidence row of the same record", "the actor's evidence row belongs to another record")


def _time_of_writing(tables: dict[str, pd.DataFrame], evidence: pd.DataFrame,
                     add: Callable[..., None]) -> None:
    refs = tables.get("references")
    if refs is None:
        return
    written = refs.loc[(refs["role"].astype(object) == "source_document").to_numpy()]
    ends = _lookup(written["reference_id"], written["written_end"])
    allowed = set(_pairs(evidence) + "\x00" + _day(evidence["source_id"].astype(object).map(ends)))
    for table in schema.CLAIM_TABLES:
        frame = tables.get(table)
        if frame is None:
            continue
        anchored = frame["date_basis"].astype(object) == "time_of_writing"
        if not anchored.any():
            continue
        key = table + "\x00" + _key(table, frame) + "\x00" + _day(frame["date_end"])
        mask = (anchored & ~key.isin(allowed)).to_numpy(dtype=bool)
        _report(add, table, "time_of_writing", mask, "date_end",
                _day(frame["date_end"]),
                "the last day of the time of writing of one of the record's source documents",
                "a date anchored to the time of writing must end when the source was written")


def _day(dates: pd.Series) -> pd.Series:
    """Dates as ISO days (``null`` for a missing one), to compare as text."""
    return pd.to_datetime(dates).dt.strftime("%Y-%m-%d").fillna("null").astype(object)


def _lookup(keys: pd.Series, values: pd.Series) -> pd.Series:
    """A mapping from key to value (the first value of a duplicated key)."""
    table = pd.Series(values.to_numpy(dtype=object), index=keys.astype(object).to_numpy())
    return table[~table.index.duplicated()]


def _recommendation_tree(recs: pd.DataFrame, add: Callable[..., None]) -> None:
    ids = recs["recommendation_id"]
    parent = recs["parent_id"].astype(object)
    parent_level = parent.map(_lookup(ids, recs["level"].astype(object)))
    parent_recommender = parent.map(_lookup(ids, recs["recommender_id"].astype(object)))
    level = recs["level"].astype(object)
    fits = ((level == "bullet") & (parent_level == "overall")) | (
        (level == "ask") & parent_level.isin(("bullet", "overall")))
    same = parent_recommender == recs["recommender_id"].astype(object)
    # null parents and dangling ids are reported by other checks
    mask = (parent_level.notna() & ~(fits & same)).to_numpy(dtype=bool)
    _report(add, "recommendations", "recommendation_tree", mask, "parent_id", parent,
            "a bullet's parent is an overall record, an ask's a bullet or an overall "
            "record, with the same recommender", "the record's parent does not fit the tree")


def _policy_domains(recs: pd.DataFrame, domains: pd.DataFrame, add: Callable[..., None]) -> None:
    key = recs["recommendation_id"].astype(object)
    mask = (~key.isin(set(domains["recommendation_id"].astype(object)))).to_numpy(dtype=bool)
    _report(add, "recommendations", "policy_domain", mask, "recommendation_id", key,
            "at least one recommendation_domains row", "the recommendation has no policy domain")
