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
import pyarrow as pa
import pyarrow.compute as pc

from usjapan_data import schema
from usjapan_data.conform import show

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["RULES", "check_rules"]

#: The names these rules report under (beside the models' row rules).
RULES = ("evidence_for_value", "actor_evidence", "time_of_writing", "recommendation_tree",
         "policy_domain")


def _key(table: str, frame: pd.DataFrame) -> pd.Series:
    return frame[schema.keys(schema.TABLES[table])["primary_key"][0]]


def _arrow(series: pd.Series) -> pa.Array:
    """A column as an Arrow array (zero-copy for string[pyarrow]); categories as text."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    return pa.array(series.array, from_pandas=True)


def _mask(array: pa.Array) -> np.ndarray:
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False)


def _report(add: Callable[..., None], table: str, check: str, mask: np.ndarray,
            column: str, found: pd.Series, expected: str, message: str) -> None:
    rows = np.flatnonzero(mask)
    if isinstance(found.dtype, pd.CategoricalDtype):  # a missing category is null, not nan
        found = found.astype(object).where(found.notna(), None)
    if len(rows):
        # shown as every other finding: astype(str) would depend on the pandas version
        add(table, check, rows, column, lambda kept: [show(v) for v in found.iloc[kept].tolist()],
            expected, f"{table}: {message}")


def check_rules(tables: dict[str, pd.DataFrame], add: Callable[..., None]) -> None:
    """Check the cross-table coding rules; ``add`` is ``Findings.add_rows``.

    Tables that are missing are skipped: their absence is reported elsewhere.
    Keys are compared in Arrow (hash sets), never as Python objects.
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


def _of_table(evidence: pd.DataFrame, table: str) -> np.ndarray:
    """Rows of ``evidence`` about records of ``table`` (compared by category code)."""
    kinds = evidence["record_table"]
    if isinstance(kinds.dtype, pd.CategoricalDtype) and table in kinds.cat.categories:
        return kinds.cat.codes.to_numpy() == kinds.cat.categories.get_loc(table)
    return (kinds.astype(object) == table).to_numpy(dtype=bool)


def _evidence_for_values(tables: dict[str, pd.DataFrame], evidence: pd.DataFrame,
                         add: Callable[..., None]) -> None:
    record_ids = _arrow(evidence["record_id"])
    for table in schema.CLAIM_TABLES:
        frame = tables.get(table)
        if frame is None:
            continue
        key = _arrow(_key(table, frame))
        own = _of_table(evidence, table)
        # a record with no evidence at all is reported once, by the evidence check
        evidenced = _mask(pc.is_in(key, value_set=pc.unique(record_ids.filter(pa.array(own)))))
        needs = {
            "date": (frame["date_precision"].astype(object) != "unknown", "date_precision"),
            "status": (frame["status"].astype(object) != "unclear", "status"),
        }
        if "quantity" in frame:
            needs["quantity"] = (frame["quantity"].notna(), "quantity")
        for value, (needed, column) in needs.items():
            rows = own & evidence[f"supports_{value}"].fillna(False).to_numpy(dtype=bool)
            marked = pc.unique(record_ids.filter(pa.array(rows)))
            mask = (needed.fillna(False).to_numpy(dtype=bool) & evidenced
                    & ~_mask(pc.is_in(key, value_set=marked)))
            _report(add, table, "evidence_for_value", mask, column, frame[column],
                    f"an evidence row of the record with supports_{value} true",
                    f"no evidence row supports the record's {value}")


def _actor_evidence(actors: pd.DataFrame, evidence: pd.DataFrame, add: Callable[..., None]) -> None:
    # the evidence row each actor names (evidence_id is evidence's primary key)
    at = pc.index_in(_arrow(actors["evidence_id"]), value_set=_arrow(evidence["evidence_id"]))
    found = at.is_valid()
    rows = pc.fill_null(at, 0)
    same = pc.and_(
        pc.equal(_arrow(evidence["record_id"]).take(rows), _arrow(actors["record_id"])),
        pc.equal(_arrow(evidence["record_table"]).take(rows), _arrow(actors["record_table"])),
    )
    # an evidence_id that is no evidence row at all is a foreign_key error, reported elsewhere
    mask = _mask(pc.and_(found, pc.invert(pc.fill_null(same, False))))
    _report(add, "record_actors", "actor_evidence", mask, "evidence_id", actors["evidence_id"],
            "an evidence row of the same record", "the actor's evidence row belongs to another record")


def _time_of_writing(tables: dict[str, pd.DataFrame], evidence: pd.DataFrame,
                     add: Callable[..., None]) -> None:
    refs = tables.get("references")
    if refs is None:
        return
    written = refs.loc[(refs["role"].astype(object) == "source_document").to_numpy()]
    ends = _lookup(written["reference_id"], _day(written["written_end"]))
    for table in schema.CLAIM_TABLES:
        frame = tables.get(table)
        if frame is None:
            continue
        anchored = (frame["date_basis"].astype(object) == "time_of_writing").to_numpy(dtype=bool)
        if not anchored.any():
            continue
        key = _key(table, frame)
        # only the evidence of the anchored records: (record, last day of its source's writing)
        ids = pc.unique(_arrow(key[anchored]))
        rows = _of_table(evidence, table) & _mask(pc.is_in(_arrow(evidence["record_id"]), value_set=ids))
        sub = evidence.loc[rows, ["record_id", "source_id"]].astype(object)
        allowed = set(zip(sub["record_id"], sub["source_id"].map(ends)))
        ok = np.array([(rid, day) in allowed for rid, day in
                       zip(key[anchored].astype(object), _day(frame["date_end"][anchored]))], dtype=bool)
        mask = anchored.copy()
        mask[anchored] = ~ok
        _report(add, table, "time_of_writing", mask, "date_end", _day(frame["date_end"]),
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
    key = recs["recommendation_id"]
    present = pc.unique(_arrow(domains["recommendation_id"]))
    mask = ~_mask(pc.is_in(_arrow(key), value_set=present))
    _report(add, "recommendations", "policy_domain", mask, "recommendation_id", key,
            "at least one recommendation_domains row", "the recommendation has no policy domain")
