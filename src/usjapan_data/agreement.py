"""Agreement between independent coding passes (inter-coder reliability).

Each document was coded by independent passes (``review/passes/<doc>-passN/``,
YAML records in the format of ``records/``). This module matches the records
of two passes and reports, per table and over all tables:

- **inclusion**: how many records each pass coded, how many match, and the
  positive agreement ``2 * matched / (n1 + n2)`` (the share of coded records
  that the other pass coded too; Krippendorff's alpha does not apply, since
  the statements neither pass coded are not enumerable);
- for the matched records, **percent agreement** and **Krippendorff's alpha**
  (nominal, two coders) on type, mode, status, date precision, date basis,
  date range and actors (the set of actor and role pairs as one value).

Records are matched within a table by their evidence: the overlap of the
normalised words of their quotes, with the overlap of their descriptive
text as a tie-breaker (one sentence often evidences several records),
greedily from the best pair, with a floor below which records do not match.

``usjapan-data build`` writes ``docs/agreement.md`` from this module and
``build --check`` reports it when it has drifted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import yaml

__all__ = ["krippendorff_alpha", "match_records", "agreement_report"]

TABLES = ("events", "commitments", "exercises", "recommendations", "references")
#: The coded value compared for each variable: a function of one record.
TYPE_FIELD = {"events": "event_type", "commitments": "category", "exercises": "domain",
              "recommendations": "level", "references": "csl_type"}
VARIABLES = ("type", "mode", "status", "date_precision", "date_basis", "date_range", "actors")
MATCH_FLOOR = 0.25


def _words(text: Any) -> list[str]:
    return re.findall(r"[0-9a-z]+", str(text or "").lower())


def _shingles(texts: Iterable[Any], n: int = 3) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for text in texts:
        words = _words(text)
        out.update(tuple(words[i:i + n]) for i in range(max(len(words) - n + 1, 1)))
    return out


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _label(record: dict) -> list[Any]:
    keys = ("title", "item", "action", "description", "name", "heading")
    return [record.get(k) for k in keys]


def match_records(first: Sequence[dict], second: Sequence[dict]) -> list[tuple[int, int]]:
    """Pair the records of two passes of one table (indices into each).

    Parameters
    ----------
    first, second : sequence of dict
        Records as read from YAML.

    Returns
    -------
    list of (int, int)
        Matched pairs, each record in at most one pair.

    Examples
    --------
    >>> a = [{"title": "x", "evidence": [{"quote": "the treaty was signed in 1951 by both"}]}]
    >>> b = [{"title": "y", "evidence": [{"quote": "The treaty was signed in 1951 by both."}]}]
    >>> match_records(a, b)
    [(0, 0)]
    """
    quotes_a = [_shingles(ev.get("quote") for ev in r.get("evidence") or []) for r in first]
    quotes_b = [_shingles(ev.get("quote") for ev in r.get("evidence") or []) for r in second]
    text_a = [_shingles(_label(r), 1) for r in first]
    text_b = [_shingles(_label(r), 1) for r in second]
    scores = []
    for i, j in ((i, j) for i in range(len(first)) for j in range(len(second))):
        quote = _jaccard(quotes_a[i], quotes_b[j])
        if quote <= 0:
            continue
        scores.append((quote + 0.5 * _jaccard(text_a[i], text_b[j]), i, j))
    pairs, used_a, used_b = [], set(), set()
    for score, i, j in sorted(scores, reverse=True):
        if score < MATCH_FLOOR or i in used_a or j in used_b:
            continue
        pairs.append((i, j))
        used_a.add(i)
        used_b.add(j)
    return sorted(pairs)


def krippendorff_alpha(pairs: Sequence[tuple[Any, Any]]) -> float | None:
    """Krippendorff's alpha for nominal values coded by two coders.

    Parameters
    ----------
    pairs : sequence of (value, value)
        One pair per unit; units with a missing value (None) are left out.

    Returns
    -------
    float or None
        ``1 - D_o / D_e``; None when fewer than two values are pairable or
        every value is the same (alpha is undefined).

    Examples
    --------
    >>> krippendorff_alpha([("a", "a"), ("b", "b"), ("a", "b")])
    0.4444444444444444
    """
    units = [(a, b) for a, b in pairs if a is not None and b is not None]
    coincidences: Counter = Counter()
    for a, b in units:
        coincidences[(a, b)] += 1
        coincidences[(b, a)] += 1
    n = 2 * len(units)
    totals: Counter = Counter()
    for (a, _), count in coincidences.items():
        totals[a] += count
    if n < 2 or len(totals) < 2:
        return None
    observed = sum(c for (a, b), c in coincidences.items() if a != b) / n
    expected = sum(totals[a] * totals[b] for a, b in combinations(totals, 2)) * 2 / (n * (n - 1))
    return 1 - observed / expected


def _value(table: str, record: dict, variable: str) -> Any:
    if variable == "type":
        return record.get(TYPE_FIELD[table])
    if variable == "date_range":
        if "date_precision" not in record:
            return None
        return (str(record.get("date_start")), str(record.get("date_end")))
    if variable == "actors":
        if table == "references":
            return None
        return tuple(sorted((a.get("actor"), a.get("role")) for a in record.get("actors") or []))
    return record.get(variable)


@dataclass
class _Comparison:
    table: str
    n1: int
    n2: int
    matched: int
    values: dict[str, list[tuple[Any, Any]]]


def _load(folder: Path, table: str) -> list[dict]:
    path = folder / f"{table}.yaml"
    if not path.is_file():
        return []
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or []


def _compare(first: Path, second: Path) -> list[_Comparison]:
    out = []
    for table in TABLES:
        a, b = _load(first, table), _load(second, table)
        pairs = match_records(a, b)
        values = {v: [(_value(table, a[i], v), _value(table, b[j], v)) for i, j in pairs]
                  for v in VARIABLES}
        out.append(_Comparison(table, len(a), len(b), len(pairs), values))
    return out


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _agreement(pairs: list[tuple[Any, Any]]) -> tuple[float | None, float | None, int]:
    usable = [(a, b) for a, b in pairs if a is not None and b is not None]
    if not usable:
        return None, None, 0
    return (sum(a == b for a, b in usable) / len(usable), krippendorff_alpha(usable), len(usable))


def agreement_report(passes: str | Path) -> str:
    """Return ``docs/agreement.md``: every pair of passes of each document.

    Parameters
    ----------
    passes : path-like
        The folder holding ``<doc>-passN`` folders (``review/passes``).

    Returns
    -------
    str
        Markdown.
    """
    passes = Path(passes)
    folders: dict[str, list[Path]] = {}
    for folder in sorted(p for p in passes.iterdir() if p.is_dir()):
        doc, _, _ = folder.name.rpartition("-pass")
        folders.setdefault(doc, []).append(folder)
    lines = [
        "# Agreement between independent coding passes",
        "",
        "Generated by `usjapan-data build` from `review/passes/` (module",
        "`usjapan_data.agreement`); do not edit. Passes 1 and 2 of each document",
        "coded data version 0.1 under its rules; passes 3 and 4 are the fresh,",
        "independent full passes of version 0.2, under `docs/coding-rules.md`.",
        "Variables a pass's rules did not have (date basis and event status before",
        "0.2) are left out of the pairs that lack them.",
        "",
        "- **Inclusion**: records of each pass, records matched (by the overlap of",
        "  their evidence quotes), and positive agreement 2·matched/(n1+n2).",
        "- **Values**, on matched records: percent agreement and Krippendorff's",
        "  alpha (nominal); `—` where undefined (no variation, or no values).",
        "  `type` is event_type, category (commitments), domain (exercises), level",
        "  (recommendations) or csl_type (references); `actors` compares the whole",
        "  set of actor and role pairs.",
        "",
    ]
    for doc, doc_folders in folders.items():
        for first, second in combinations(doc_folders, 2):
            comparisons = _compare(first, second)
            lines += [f"## {doc}: {first.name} and {second.name}", "",
                      "| table | n1 | n2 | matched | inclusion |", "| --- | --- | --- | --- | --- |"]
            n1 = n2 = m = 0
            for c in comparisons:
                n1, n2, m = n1 + c.n1, n2 + c.n2, m + c.matched
                share = 2 * c.matched / (c.n1 + c.n2) if c.n1 + c.n2 else None
                lines.append(f"| {c.table} | {c.n1} | {c.n2} | {c.matched} | {_fmt(share)} |")
            lines.append(f"| all | {n1} | {n2} | {m} | {_fmt(2 * m / (n1 + n2) if n1 + n2 else None)} |")
            lines += ["", "| variable | units | agreement | alpha |", "| --- | --- | --- | --- |"]
            for variable in VARIABLES:
                pooled = [(c.table, a, b) for c in comparisons for a, b in c.values[variable]]
                percent, alpha, units = _agreement([((t, a), (t, b)) if a is not None and b is not None
                                                    else (None, None) for t, a, b in pooled])
                lines.append(f"| {variable} | {units} | {_fmt(percent)} | {_fmt(alpha)} |")
            lines.append("")
    return "\n".join(lines)
