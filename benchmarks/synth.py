"""Synthetic, valid tables of any size, generated from the table definitions, and packages of them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


# --------------------------------------------------------------------------
# Synthetic tables
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """Rows of each table for ``rows`` rows in the big tables."""

    rows: int

    @property
    def records(self) -> int:
        """Rows of each record table (their ids, XXX-NNN, allow 1,000 at most)."""
        return min(1000, max(20, self.rows // 200))

    @property
    def references(self) -> int:
        """Rows of references: 2 source documents, the rest cited works."""
        return max(20, self.rows // 100)

    @property
    def actors(self) -> int:
        """Rows of actors: states, then groupings and organisations."""
        return max(20, self.rows // 1000)

    @property
    def states(self) -> int:
        """States among the actors: half of them, at most 26**3 (their iso3 codes are three letters)."""
        return min(self.actors // 2, 26**3)

    @property
    def members(self) -> int:
        """Rows of actor_members (each grouping, state pair at most once)."""
        return min(self.rows // 100, self.states * self.groupings)

    @property
    def groupings(self) -> int:
        """Groupings and organisations among the actors: the rest."""
        return self.actors - self.states

    @property
    def per_record(self) -> int:
        """Rows of exercise_scenarios and reference_authors."""
        return self.rows // 10


def _pattern_columns(model: Any) -> set[str]:
    """Columns whose values a pattern constrains (the generic filler must not fill them)."""
    return {
        name for name, column in model.to_schema().columns.items()
        if any(check.name == "str_matches" for check in column.checks)
    }


#: Distinct values of a generic text column (cycled through; nothing needs them unique).
TEXT_POOL = 997


def _generic(spec: Any, n: int) -> np.ndarray:
    """Values of a column that satisfy its kind, vocabulary and nullability.

    Nullable columns get a missing value in every fourth row.
    """
    import numpy as np

    k = np.arange(n)
    if spec.kind == "text":
        values = np.array([f"{spec.name} {j}" for j in range(TEXT_POOL)], dtype=object)[k % TEXT_POOL]
    elif spec.kind == "category":
        values = np.array(spec.categories, dtype=object)[k % len(spec.categories)]
    elif spec.kind == "integer":
        values = (k % 50 + 1).astype(object)
    elif spec.kind == "number":
        values = (k % 1000 / 4).astype(object)
    elif spec.kind == "boolean":
        values = (k % 2 == 0).astype(object)
    else:
        raise ValueError(f"no generic values for {spec.kind} column {spec.name}")
    if spec.nullable:
        values[k % 4 == 3] = None
    return values


#: Values of a column: a list or a one-dimensional array.
Column: TypeAlias = "Sequence[Any] | np.ndarray"


def make_table(name: str, n: int, values: dict[str, Column]) -> pd.DataFrame:
    """Build table ``name`` with ``n`` rows: ``values`` where given, generic values elsewhere.

    Every column comes from the table's model, in its order and dtype.
    Columns with a pattern or a date must be given.
    """
    import pandas as pd
    import pyarrow as pa

    from usjapan_data import schema

    model = schema.TABLES[name]
    specs = schema.column_specs(model)
    unknown = set(values) - {s.name for s in specs}
    needed = {s.name for s in specs if s.kind == "date"} | _pattern_columns(model)
    if unknown or needed - set(values):
        raise ValueError(f"{name}: unknown columns {sorted(unknown)}, "
                         f"columns needing values {sorted(needed - set(values))}")
    columns = {}
    for spec in specs:
        column = values[spec.name] if spec.name in values else _generic(spec, n)
        if len(column) != n:
            raise ValueError(f"{name}.{spec.name}: {len(column)} values, expected {n}")
        if spec.kind == "category":  # hashed in Arrow: much faster than pandas on objects
            encoded = pa.array(column, pa.string(), from_pandas=True).dictionary_encode()
            columns[spec.name] = pd.Series(encoded.to_pandas()).astype(spec.dtype)
        else:
            columns[spec.name] = pd.Series(column, dtype=spec.dtype)
    return pd.DataFrame(columns)


def _claim_dates(n: int) -> dict[str, Any]:
    """Date ranges that agree with their precision, cycling through the precisions."""
    from calendar import monthrange

    import pandas as pd

    from usjapan_data.schema import PRECISIONS

    starts: list[date | None] = []
    ends: list[date | None] = []
    precisions: list[str] = []
    for k in range(n):
        precision = PRECISIONS[k % len(PRECISIONS)]
        year, month = 1950 + k % 70, k % 12 + 1
        start: date | None
        end: date | None
        if precision == "day":
            day = date(year, month, k % 28 + 1)
            start, end = day, day + timedelta(days=k % 3)
        elif precision == "month":
            start, end = date(year, month, 1), date(year, month, monthrange(year, month)[1])
        elif precision == "year":
            start, end = date(year, 1, 1), date(year, 12, 31)
        elif precision == "decade":
            start, end = date(year - year % 10, 1, 1), date(year - year % 10 + 9, 12, 31)
        elif precision == "window":
            start, end = date(year, month, k % 28 + 1), date(year + 1, month, 1)
        else:
            start = end = None
        starts.append(start)
        ends.append(end)
        precisions.append(precision)
    return {
        "date_start": pd.to_datetime(starts).to_numpy("datetime64[ns]"),
        "date_end": pd.to_datetime(ends).to_numpy("datetime64[ns]"),
        "date_precision": precisions,
        "date_basis": [{"unknown": "none", "window": "context"}.get(p, "printed") for p in precisions],
        # no expectations: a forecast never sets a final status, whatever the status cycle gives
        "mode": [("fact", "assessment")[k % 2] for k in range(n)],
    }


def _letters(k: int) -> str:
    """Three upper-case letters, distinct for k < 26**3."""
    return "".join(chr(65 + k // 26**p % 26) for p in (2, 1, 0))


#: The record tables' identifier prefixes.
RECORD_PREFIXES = {"EVT": "events", "COM": "commitments", "EXR": "exercises", "REC": "recommendations"}
#: The two source documents among the references.
SOURCES = ["source-a", "source-b"]


def identifiers(size: Sizes) -> dict[str, list[str]]:
    """The identifiers of the records, references, states and groupings of a package of ``size``."""
    named = {table: [f"{prefix}-{k:03d}" for k in range(size.records)]
             for prefix, table in RECORD_PREFIXES.items()}
    named["references"] = SOURCES + [f"ref-{k}" for k in range(2, size.references)]
    named["states"] = [_letters(k) for k in range(size.states)]
    named["groupings"] = [f"G{k}" for k in range(size.groupings)]
    return named


def synthetic_tables(rows: int, k: np.ndarray | None = None, small: bool = True) -> dict[str, pd.DataFrame]:
    """Generate every table, valid, with ``rows`` rows in evidence and record_actors.

    ``k`` (default: every row) picks the rows of evidence and record_actors
    to generate, so that a large package is written in slices; with
    ``small=False`` only those two tables are returned.

    Foreign keys point at existing rows, every coded record has evidence,
    every commitment a committer and every recommendation an addressee,
    dates agree with their precision, quantities have units, the first two
    references are source documents (with source_file and sha256) and the
    rest works they cite, states have iso3 and COW codes and groupings none.
    """
    import numpy as np
    import pandas as pd

    from usjapan_data.schema import ROLES

    size = Sizes(rows)
    n = size.records
    named = identifiers(size)
    ids = {prefix: named[table] for prefix, table in RECORD_PREFIXES.items()}
    refs = named["references"]
    n_ref = len(refs)
    states, groupings = named["states"], named["groupings"]
    actors = states + groupings

    tables: dict[str, pd.DataFrame] = {}
    if small:
        tables["events"] = make_table("events", n, {
            "event_id": ids["EVT"], **_claim_dates(n),
            "status": [("occurred", "ongoing", "unclear")[k % 3] for k in range(n)],
        })
        quantity = [None if k % 3 == 0 else float(k) for k in range(n)]
        tables["commitments"] = make_table("commitments", n, {
            "commitment_id": ids["COM"], **_claim_dates(n), "quantity": quantity,
            "unit": [None if q is None else "units" for q in quantity],
        })
        tables["exercises"] = make_table("exercises", n, {"exercise_id": ids["EXR"], **_claim_dates(n)})
        tables["recommendations"] = make_table("recommendations", n, {
            "recommendation_id": ids["REC"],
            "parent_id": [None if k % 3 == 0 else ids["REC"][k - k % 3] for k in range(n)],
            "level": ["overall" if k % 3 == 0 else "bullet" for k in range(n)],
            "recommender_id": [SOURCES[(k - k % 3) % 2] for k in range(n)],
        })
        tables["recommendation_domains"] = make_table("recommendation_domains", n, {
            "recommendation_id": ids["REC"],
        })
        tables["record_links"] = make_table("record_links", n, {
            "record_table": ["events"] * n, "record_id": ids["EVT"],
            "target_table": ["commitments"] * n, "target_id": ids["COM"],
        })
        source = [k < 2 for k in range(n_ref)]
        tables["references"] = make_table("references", n_ref, {
            "reference_id": refs,
            "role": ["source_document" if s else "cited_work" for s in source],
            "cited_by": [None if s else SOURCES[k % 2] for k, s in enumerate(source)],
            "in_reference_list": [None if s else k % 2 == 0 for k, s in enumerate(source)],
            "issued_year": [1900 + k % 200 for k in range(n_ref)],
            "source_file": [f"{r}.txt" if s else None for r, s in zip(refs, source)],
            "sha256": [hashlib.sha256(r.encode()).hexdigest() if s else None
                       for r, s in zip(refs, source)],
            "written_start": pd.to_datetime(["2020-01-01" if s else None for s in source]),
            "written_end": pd.to_datetime(["2020-12-31" if s else None for s in source]),
            "written_basis": ["its text" if s else None for s in source],
        })
        tables["actors"] = make_table("actors", len(actors), {
            "actor_id": actors,
            "kind": ["state"] * len(states)
            + ["grouping" if k % 2 else "organisation" for k in range(len(groupings))],
            "iso3": states + [None] * len(groupings),
            "cow_ccode": [k % 999 + 1 for k in range(len(states))] + [None] * len(groupings),
            "cow_abbrev": states + [None] * len(groupings),
            "state_id": [None] * len(actors),
        })

    # evidence: cycle through every evidenced record, so each has at least one row
    evidenced = [(t, i) for t, p in (("events", "EVT"), ("commitments", "COM"),
                                     ("exercises", "EXR"), ("recommendations", "REC"))
                 for i in ids[p]]
    evidenced += [("references", r) for r in refs] + [("actors", a) for a in actors]
    if rows < len(evidenced):
        raise ValueError(f"{rows} rows cannot evidence {len(evidenced)} records")
    k = np.arange(rows) if k is None else k
    n_rows = len(k)
    pick = k % len(evidenced)
    record_table = np.array([t for t, _ in evidenced], dtype=object)[pick]
    record_id = np.array([i for _, i in evidenced], dtype=object)[pick]
    turn = k // len(evidenced)
    suffix = np.array([f"#{j + 1}" for j in range((rows - 1) // len(evidenced) + 1)], dtype=object)[turn]
    tables["evidence"] = make_table("evidence", n_rows, {
        "evidence_id": record_id + suffix,
        "record_table": record_table,
        "record_id": record_id,
        "source_id": np.array(SOURCES, dtype=object)[k % 2],
        "supports_date": np.ones(n_rows, dtype=bool), "supports_status": np.ones(n_rows, dtype=bool),
        "supports_quantity": np.ones(n_rows, dtype=bool), "repeat": np.zeros(n_rows, dtype=bool),
    })

    # record_actors: each record gets distinct (actor, role) pairs; the first
    # pair of a commitment has role committer, of a recommendation addressee
    linked = evidenced[: 4 * n]
    pick = k % len(linked)
    turn = k // len(linked)
    if (rows - 1) // len(linked) >= len(actors) * len(ROLES):
        raise ValueError(f"{rows} rows exceed the distinct record_actors keys")
    first_role = {"commitments": ROLES.index("committer"), "recommendations": ROLES.index("addressee")}
    offset = np.array([first_role.get(t, 0) for t, _ in linked])[pick]
    tables["record_actors"] = make_table("record_actors", n_rows, {
        "record_table": np.array([t for t, _ in linked], dtype=object)[pick],
        "record_id": np.array([i for _, i in linked], dtype=object)[pick],
        "actor_id": np.array(actors, dtype=object)[turn % len(actors)],
        "role": np.array(ROLES, dtype=object)[(turn // len(actors) + offset) % len(ROLES)],
        "evidence_id": np.array([i + "#1" for _, i in linked], dtype=object)[pick],
    })
    if not small:
        return tables
    m = np.arange(size.members)
    tables["actor_members"] = make_table("actor_members", size.members, {
        "grouping_id": np.array(groupings, dtype=object)[m % len(groupings)],
        "member_id": np.array(states, dtype=object)[m // len(groupings)],
    })
    s = np.arange(size.per_record)
    tables["exercise_scenarios"] = make_table("exercise_scenarios", size.per_record, {
        "exercise_id": np.array(ids["EXR"], dtype=object)[s % n],
        # each exercise's scenarios numbered: the key (exercise_id, scenario) never repeats
        "scenario": np.char.add("Scenario ", (s // n).astype(str)).astype(object),
    })
    person = s % 3 != 0
    tables["reference_authors"] = make_table("reference_authors", size.per_record, {
        "reference_id": np.array(refs, dtype=object)[s % n_ref],
        "position": s // n_ref + 1,
        "family": np.where(person, "Family", None).astype(object),  # type: ignore[call-overload]
        "literal": np.where(person, None, "Institution").astype(object),  # type: ignore[call-overload]
    })
    return tables


def table_bytes(tables: dict[str, pd.DataFrame]) -> int:
    """In-memory size of the tables: the sum of ``memory_usage(deep=True)``."""
    return int(sum(frame.memory_usage(deep=True).sum() for frame in tables.values()))



def write_package(tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    """Write the tables as a data package in ``folder``; return its descriptor path."""
    from usjapan_data.writing import table_bytes as parquet_bytes
    from usjapan_data.descriptor import datapackage, dumps

    (folder / "data").mkdir(parents=True)
    hashes = {}
    for name, frame in tables.items():
        data = parquet_bytes(name, frame)
        (folder / "data" / f"{name}.parquet").write_bytes(data)
        hashes[name] = hashlib.sha256(data).hexdigest()
    descriptor = folder / "datapackage.json"
    descriptor.write_text(dumps(datapackage(hashes)), encoding="utf-8")
    return descriptor




def write_large_package(rows: int, folder: Path, chunk: int = 2_000_000) -> Path:
    """Write the synthetic package of ``rows`` rows, evidence and record_actors in slices of ``chunk``.

    Memory stays bounded by the slice and the small tables; each slice is a
    row group. Returns the descriptor's path.
    """
    import io

    import numpy as np
    import pyarrow.parquet as pq

    from usjapan_data.writing import table_bytes as parquet_bytes
    from usjapan_data.descriptor import arrow_schema, datapackage, dumps
    from usjapan_data.package import file_hash

    (folder / "data").mkdir(parents=True)
    for name, frame in synthetic_tables(rows, k=np.arange(0), small=True).items():
        if name not in ("evidence", "record_actors"):
            (folder / "data" / f"{name}.parquet").write_bytes(parquet_bytes(name, frame))
    writers = {name: pq.ParquetWriter(folder / "data" / f"{name}.parquet", arrow_schema(name),
                                      compression="zstd") for name in ("evidence", "record_actors")}
    try:
        for start in range(0, rows, chunk):
            part = synthetic_tables(rows, k=np.arange(start, min(rows, start + chunk)), small=False)
            for name, frame in part.items():
                writers[name].write_table(pq.read_table(io.BytesIO(parquet_bytes(name, frame))))
    finally:
        for writer in writers.values():
            writer.close()
    hashes = {path.stem: file_hash(path) for path in sorted((folder / "data").glob("*.parquet"))}
    from usjapan_data import schema

    descriptor = folder / "datapackage.json"
    descriptor.write_text(dumps(datapackage({n: hashes[n] for n in schema.TABLES})), encoding="utf-8")
    return descriptor
