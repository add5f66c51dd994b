"""Read the curated YAML records into typed tables.

The records (``records/<table>.yaml``, one file per coded table) are the
reviewable source of the dataset. Each record may hold nested lists that
become rows of the link tables: ``actors`` (record_actors), ``evidence``,
``scenarios`` (exercise_scenarios), ``authors`` (reference_authors) and
``members`` (actor_members). The format is described in ``records/README.md``.

YAML is read with every scalar as text, then parsed by the column's type
(:mod:`usjapan_data.parsing`), so ``no`` stays ``"no"`` and ``1.10`` stays
``"1.10"`` until a column says what they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from usjapan_data import schema
from usjapan_data.parsing import parse_columns

__all__ = ["RecordsError", "read_records", "AUTHORED_TABLES"]

#: The tables authored as YAML files; the other tables are built from them.
AUTHORED_TABLES = (
    "events", "commitments", "exercises", "recommendations", "references", "actors",
)


class RecordsError(ValueError):
    """The records could not be read; ``problems`` lists each, located."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            f"{len(problems)} problem(s) in the records:\n" + "\n".join(problems)
        )


@dataclass
class _Row:
    values: dict[str, str | None]
    where: str  # "records/events.yaml: record 3 (EVT-003)"


def _actors(table: str, rid: str, items: list) -> list[tuple[str, dict]]:
    return [
        ("record_actors", {"record_table": table, "record_id": rid,
                           "actor_id": item.get("actor"), "role": item.get("role"),
                           "evidence_id": f"{rid}#{item['evidence']}" if item.get("evidence") else None})
        for item in items
    ]


#: What an evidence row may say it supports, and the column that records it.
SUPPORTS = {"date": "supports_date", "status": "supports_status", "quantity": "supports_quantity"}


def _evidence(table: str, rid: str, items: list) -> list[tuple[str, dict]]:
    rows = []
    for n, item in enumerate(items, start=1):
        supports = item.get("supports") or []
        row = {"evidence_id": f"{rid}#{n}", "record_table": table, "record_id": rid,
               "source_id": item.get("source"), "locator": item.get("locator"),
               "quote": item.get("quote"), "repeat": item.get("repeat", "false"),
               "note": item.get("note")}
        for value, column in SUPPORTS.items():
            row[column] = "true" if value in supports else "false"
        unknown = [v for v in supports if v not in SUPPORTS]
        if unknown:  # left for the parser to report: not a boolean
            row[SUPPORTS["date"]] = f"supports: {unknown!r}, expected a list of {', '.join(SUPPORTS)}"
        rows.append(("evidence", row))
    return rows


def _links(table: str, rid: str, items: list) -> list[tuple[str, dict]]:
    prefixes = {prefix: name for name, prefix in schema.ID_PREFIXES.items()}
    return [
        ("record_links", {"record_table": table, "record_id": rid,
                          "relation": item.get("relation"),
                          "target_table": prefixes.get(str(item.get("to", "")).split("-")[0]),
                          "target_id": item.get("to")})
        for item in items
    ]


def _domains(table: str, rid: str, items: list) -> list[tuple[str, dict]]:
    return [("recommendation_domains", {"recommendation_id": rid, "policy_domain": d}) for d in items]


def _scenarios(table: str, rid: str, items: list) -> list[tuple[str, dict]]:
    return [("exercise_scenarios", {"exercise_id": rid, "scenario": s}) for s in items]


def _authors(table: str, rid: str, items: list) -> list[tuple[str, dict]]:
    return [
        ("reference_authors", {"reference_id": rid, "position": str(n),
                               "family": item.get("family"), "given": item.get("given"),
                               "literal": item.get("literal")})
        for n, item in enumerate(items, start=1)
    ]


def _members(table: str, rid: str, items: list) -> list[tuple[str, dict]]:
    return [("actor_members", {"grouping_id": rid, "member_id": m}) for m in items]


_NESTED: dict[str, Callable[[str, str, list], list[tuple[str, dict]]]] = {
    "actors": _actors,
    "evidence": _evidence,
    "links": _links,
    "policy_domains": _domains,
    "scenarios": _scenarios,
    "authors": _authors,
    "members": _members,
}
_NESTED_KEYS = {
    "events": ("actors", "evidence", "links"),
    "commitments": ("actors", "evidence", "links"),
    "exercises": ("actors", "evidence", "scenarios", "links"),
    "recommendations": ("actors", "evidence", "policy_domains", "links"),
    "references": ("authors", "evidence"),
    "actors": ("members", "evidence"),
}
_ITEM_KEYS = {
    "actors": {"actor", "role", "evidence"},
    "evidence": {"source", "locator", "quote", "supports", "repeat", "note"},
    "links": {"relation", "to"},
    "authors": {"family", "given", "literal"},
}


def _load_yaml(path: Path, problems: list[str]) -> list:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot be read: {exc}")
        return []
    except yaml.YAMLError as exc:
        problems.append(f"{path}: is not valid YAML: {exc}")
        return []
    if data in (None, ""):
        return []
    if not isinstance(data, list):
        problems.append(f"{path}: found a {type(data).__name__}, expected a list of records")
        return []
    return data


def _collect(folder: Path, problems: list[str]) -> dict[str, list[_Row]]:
    rows: dict[str, list[_Row]] = {name: [] for name in schema.TABLES}
    for table in AUTHORED_TABLES:
        path = folder / f"{table}.yaml"
        if not path.is_file():
            problems.append(f"{path}: missing; every authored table needs its file")
            continue
        model = schema.TABLES[table]
        own = set(schema.columns(model))
        pk = schema.keys(model)["primary_key"][0]
        nested = _NESTED_KEYS[table]
        for number, record in enumerate(_load_yaml(path, problems), start=1):
            if not isinstance(record, dict):
                problems.append(f"{path}: record {number}: found {record!r}, expected a mapping")
                continue
            rid = record.get(pk)
            where = f"{path}: record {number} ({rid or 'no ' + pk})"
            values: dict[str, str | None] = {}
            for key, value in record.items():
                if key in nested:
                    if value in (None, ""):
                        continue
                    if not isinstance(value, list):
                        problems.append(f"{where}: {key}: found {value!r}, expected a list")
                        continue
                    allowed = _ITEM_KEYS.get(key)
                    for item in value:
                        bad = (
                            not isinstance(item, dict) if allowed else not isinstance(item, str)
                        ) or (allowed and set(item) - allowed)
                        if bad:
                            shape = f"a mapping with keys {', '.join(sorted(allowed))}" if allowed else "text"
                            problems.append(f"{where}: {key}: found {item!r}, expected {shape}")
                            break
                    else:
                        for link, link_values in _NESTED[key](table, str(rid), value):
                            rows[link].append(_Row(link_values, f"{where}, {key}"))
                elif key in own:
                    if isinstance(value, (list, dict)):
                        problems.append(f"{where}: {key}: found {value!r}, expected a single value")
                    else:
                        values[key] = value
                else:
                    expected = ", ".join([*schema.columns(model), *nested])
                    problems.append(f"{where}: unknown key {key!r}; expected one of {expected}")
            rows[table].append(_Row(values, where))
    return rows


def read_records(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Read every authored YAML file into the typed tables, link tables included.

    Parameters
    ----------
    folder : path-like
        The folder holding ``events.yaml``, ``commitments.yaml``, … .

    Returns
    -------
    dict of str to pandas.DataFrame
        Every table of :data:`usjapan_data.schema.TABLES`, with the declared
        dtypes, in the order of the records.

    Raises
    ------
    RecordsError
        When a file is missing or malformed, or a value does not parse; each
        problem names the file, the record, the column, what was found and
        what was expected.
    """
    folder = Path(folder)
    problems: list[str] = []
    rows = _collect(folder, problems)
    tables: dict[str, pd.DataFrame] = {}
    for name, model in schema.TABLES.items():
        frame, parse_problems = parse_columns(
            schema.column_specs(model), [row.values for row in rows[name]]
        )
        for p in parse_problems:
            problems.append(
                f"{rows[name][p.row - 1].where}: {name}.{p.column}: "
                f"found {p.found!r}, expected {p.expected}"
            )
        tables[name] = frame
    if problems:
        raise RecordsError(problems)
    return tables
