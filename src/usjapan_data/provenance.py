"""Check that every quote in the evidence table stands in its source text.

The rule is the one stated with the source texts (``sources/README.md``):
a quote is verbatim when, keeping only letters and digits and folding case,
it is one contiguous run of the source text after the running-title lines of
the paper are removed. Punctuation, white space, line breaks and hyphens do
not count; words, their order and glued endnote digits do.

The folder of source texts is not part of the package. It is given as an
argument or by the environment variable ``USJAPAN_DATA_SOURCES``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SOURCES_ENV",
    "ProvenanceProblem",
    "check_provenance",
    "normalize",
    "source_key",
]

#: Environment variable naming the folder that holds the source texts.
SOURCES_ENV = "USJAPAN_DATA_SOURCES"

#: The paper repeats this running title as a line of its own at page breaks.
RUNNING_TITLE = (
    "Us - Japan Defense and Security Cooperation Under President Joe Biden (2021-2025)"
)


def normalize(text: str) -> str:
    """Keep only letters and digits, case-folded.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The letters and digits of ``text`` in order, case-folded.

    Examples
    --------
    >>> normalize("mili-\\ntary threats”1")
    'militarythreats1'
    """
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def source_key(text: str) -> str:
    """Normalise a whole source text: running-title lines out, then :func:`normalize`.

    Parameters
    ----------
    text : str
        The full text of a source document.

    Returns
    -------
    str
        The searchable form of the source.
    """
    kept = (line for line in text.splitlines() if line.strip() != RUNNING_TITLE)
    return normalize("\n".join(kept))


@dataclass(frozen=True)
class ProvenanceProblem:
    """One failed provenance check.

    Attributes
    ----------
    kind : str
        ``"quote-not-found"``, ``"missing-source"``, ``"sha256-mismatch"`` or
        ``"empty-quote"``.
    source_id : str
        The ``references`` row of the source document.
    evidence_id : str or None
        The ``evidence`` row, when the problem is a quote.
    message : str
        What was found and what was expected.
    """

    kind: str
    source_id: str
    evidence_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"evidence {self.evidence_id}" if self.evidence_id else "source"
        return f"{where} ({self.source_id}): {self.message}"


def resolve_sources_dir(sources_dir: str | os.PathLike[str] | None) -> Path:
    """Return the folder of source texts from the argument or the environment.

    Raises
    ------
    ValueError
        When neither the argument nor ``USJAPAN_DATA_SOURCES`` names an
        existing folder.
    """
    value = sources_dir if sources_dir is not None else os.environ.get(SOURCES_ENV)
    if not value:
        raise ValueError(
            f"no folder of source texts: pass --sources DIR or set {SOURCES_ENV}"
        )
    path = Path(value)
    if not path.is_dir():
        raise ValueError(f"the folder of source texts {str(path)!r} does not exist")
    return path


def check_provenance(
    sources: Mapping[str, Mapping[str, str | None]],
    evidence: Iterable[Mapping[str, str]],
    sources_dir: str | os.PathLike[str] | None = None,
) -> list[ProvenanceProblem]:
    """Verify each source text's sha256 and each quote against its source.

    Parameters
    ----------
    sources : mapping
        ``reference_id -> {"source_file": ..., "sha256": ...}`` for every
        source document (the ``references`` rows whose role is
        ``source_document``).
    evidence : iterable of mappings
        Rows with ``evidence_id``, ``source_id`` and ``quote``.
    sources_dir : path-like, optional
        The folder of source texts; defaults to ``$USJAPAN_DATA_SOURCES``.

    Returns
    -------
    list of ProvenanceProblem
        Empty when every text and every quote checks out.
    """
    folder = resolve_sources_dir(sources_dir)
    problems: list[ProvenanceProblem] = []
    keys: dict[str, str] = {}
    for ref_id, meta in sources.items():
        path = folder / str(meta["source_file"])
        if not path.is_file():
            problems.append(
                ProvenanceProblem(
                    "missing-source", ref_id, None, f"file {str(path)!r} not found"
                )
            )
            continue
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest != meta["sha256"]:
            problems.append(
                ProvenanceProblem(
                    "sha256-mismatch",
                    ref_id,
                    None,
                    f"{path.name}: found sha256 {digest}, expected {meta['sha256']}",
                )
            )
        keys[ref_id] = source_key(raw.decode("utf-8"))
    for row in evidence:
        ref_id = row["source_id"]
        key = keys.get(ref_id)
        if key is None:
            if ref_id not in sources:
                problems.append(
                    ProvenanceProblem(
                        "missing-source",
                        ref_id,
                        row["evidence_id"],
                        f"source {ref_id!r} is not a source document",
                    )
                )
            continue
        needle = normalize(row["quote"])
        if not needle:
            problems.append(
                ProvenanceProblem(
                    "empty-quote", ref_id, row["evidence_id"], "quote has no letters"
                )
            )
        elif needle not in key:
            problems.append(
                ProvenanceProblem(
                    "quote-not-found",
                    ref_id,
                    row["evidence_id"],
                    f"quote {row['quote']!r} is not in the source text",
                )
            )
    return problems
