"""Cite the dataset and the source documents it is coded from: APA, BibTeX or CFF.

The dataset's citation is built from :data:`DATASET` and the package version.
Each source document's citation is built from its row of the ``references``
table (role ``source_document``) and its authors in ``reference_authors``,
and from nothing else: what the table leaves null is left out. ``usjapan-data
build`` writes ``CITATION.cff`` from the same two, so the file, :func:`cite`
and the tables cannot disagree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from usjapan_data import __version__

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DATASET", "FORMATS", "cite", "citation_cff", "source_documents"]

Format = Literal["apa", "bibtex", "cff"]
FORMATS = ("apa", "bibtex", "cff")

#: The dataset's own citation metadata (its version is the package's).
DATASET: dict[str, Any] = {
    "title": "usjapan-data: US-Japan defense and security cooperation under "
    "President Biden (2021-2025)",
    "authors": [{"name": "usjapan-data developers"}],
    "license": "CC-BY-NC-4.0",
    "date-released": None,  # "YYYY-MM-DD" once released
    "keywords": ["United States", "Japan", "alliance", "defense cooperation", "events data"],
    "message": "If you use this dataset, please cite it as below, and cite the source "
    "documents it is coded from (references).",
}

# CSL item type -> (BibTeX entry type, CFF reference type)
_TYPES = {
    "article-journal": ("article", "article"),
    "book": ("book", "book"),
    "chapter": ("incollection", "generic"),
    "report": ("techreport", "report"),
}
_UPPER_CSL = {"doi": "DOI", "url": "URL"}
_NOT_CITED = {"reference_id", "role", "cited_by", "in_reference_list", "reference_list_number",
              "citation_text", "source_file", "sha256", "note", "review"}


def _present(value: Any) -> bool:
    import pandas as pd

    return value is not None and not (pd.api.types.is_scalar(value) and pd.isna(value))


def source_documents(references: "pd.DataFrame", authors: "pd.DataFrame") -> list[dict[str, Any]]:
    """Return each source document as a CSL-JSON item, from the references tables.

    Parameters
    ----------
    references, authors : pandas.DataFrame
        The ``references`` and ``reference_authors`` tables.

    Returns
    -------
    list of dict
        One CSL-JSON item per row of role ``source_document``, in table
        order: ``id``, ``type`` and every non-null bibliographic column under
        its CSL name (``container_title`` as ``container-title``,
        ``issued_year`` as ``issued``), and ``author`` (``family``/``given``
        or ``literal``, in order).
    """
    docs = references[references["role"].astype("object") == "source_document"]
    items = []
    for row in docs.to_dict(orient="records"):
        item: dict[str, Any] = {"id": row["reference_id"]}
        for column, value in row.items():
            if column in _NOT_CITED or not _present(value):
                continue
            if column == "csl_type":
                item["type"] = value
            elif column == "issued_year":
                item["issued"] = int(value)
            else:
                item[_UPPER_CSL.get(column, column.replace("_", "-"))] = value
        mine = authors[authors["reference_id"] == row["reference_id"]].sort_values("position")
        item["author"] = [
            {k: v for k, v in a.items() if k in ("family", "given", "literal") and _present(v)}
            for a in mine.to_dict(orient="records")
        ]
        items.append(item)
    return items


# --------------------------------------------------------------------------
# APA (7th edition), plain text
# --------------------------------------------------------------------------


def _stop(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."


def _initials(given: str) -> str:
    parts = [p for p in re.split(r"[\s.]+", given) if p]
    return " ".join("-".join(q[0] + "." for q in p.split("-") if q) for p in parts)


def _apa_names(authors: list[dict[str, str]]) -> str:
    names = []
    for a in authors:
        if "literal" in a or "name" in a:
            names.append(a.get("literal") or a["name"])
        else:
            names.append(f"{a['family']}, {_initials(a['given'])}" if a.get("given") else a["family"])
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + ", & " + names[-1]


def _apa(item: Mapping[str, Any], *, version: str | None = None, kind: str | None = None) -> str:
    parts = [_stop(_apa_names(item.get("author", [])))] if item.get("author") else []
    parts.append(f"({item['issued']})." if "issued" in item else "(n.d.).")
    title = item.get("title", "[Untitled]")
    if version:
        title += f" (Version {version})"
    if kind:
        title += f" [{kind}]"
    parts.append(_stop(title))
    container = item.get("container-title")
    if item.get("type") == "article-journal" and container:
        text = container
        text += f", {item['volume']}" if "volume" in item else ""
        text += f"({item['issue']})" if "issue" in item else ""
        text += f", {item['page']}" if "page" in item else ""
        parts.append(_stop(text))
    elif container:
        pages = f" (pp. {item['page']})" if "page" in item else ""
        parts.append(_stop(f"In {container}{pages}"))
    if "publisher" in item:
        parts.append(_stop(item["publisher"]))
    if "DOI" in item:
        parts.append(f"https://doi.org/{item['DOI']}")
    elif "URL" in item:
        parts.append(item["URL"])
    return " ".join(parts)


# --------------------------------------------------------------------------
# BibTeX
# --------------------------------------------------------------------------

_BIBTEX_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
                   "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}",
                   "^": r"\textasciicircum{}"}


def _tex(text: Any) -> str:
    return "".join(_BIBTEX_ESCAPES.get(ch, ch) for ch in str(text))


def _bibtex_names(authors: list[dict[str, str]]) -> str:
    names = []
    for a in authors:
        if "literal" in a or "name" in a:
            names.append("{" + _tex(a.get("literal") or a["name"]) + "}")
        else:
            names.append(_tex(a["family"]) + (f", {_tex(a['given'])}" if a.get("given") else ""))
    return " and ".join(names)


def _bibtex(key: str, entry: str, fields: list[tuple[str, str]]) -> str:
    body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields)
    return f"@{entry}{{{key},\n{body}}}"


def _bibtex_item(item: Mapping[str, Any]) -> str:
    entry = _TYPES.get(item.get("type", ""), ("misc", "generic"))[0]
    fields = []
    if item.get("author"):
        fields.append(("author", _bibtex_names(item["author"])))
    if "title" in item:
        fields.append(("title", "{" + _tex(item["title"]) + "}"))
    container = {"article": "journal", "incollection": "booktitle"}.get(entry, "howpublished")
    for csl, name in [("container-title", container), ("publisher", "institution"
                      if entry == "techreport" else "publisher"), ("publisher-place", "address"),
                      ("issued", "year"), ("volume", "volume"), ("issue", "number")]:
        if csl in item:
            fields.append((name, _tex(item[csl])))
    if "page" in item:
        fields.append(("pages", _tex(str(item["page"]).replace("-", "--"))))
    if "DOI" in item:
        fields.append(("doi", _tex(item["DOI"])))
    if "URL" in item:
        fields.append(("url", str(item["URL"])))
    if "license" in item:
        fields.append(("note", _tex(f"License: {item['license']}")))
    return _bibtex(item["id"], entry, fields)


def _dataset_bibtex() -> str:
    fields = [("author", _bibtex_names(DATASET["authors"])),
              ("title", "{" + _tex(DATASET["title"]) + "}")]
    if DATASET["date-released"]:
        fields.append(("year", DATASET["date-released"][:4]))
    fields += [("version", __version__),
               ("note", _tex(f"Data set, version {__version__}. License: {DATASET['license']}"))]
    return _bibtex("usjapan-data", "misc", fields)


def _dataset_apa() -> str:
    item: dict[str, Any] = {"author": DATASET["authors"], "title": DATASET["title"]}
    if DATASET["date-released"]:
        item["issued"] = DATASET["date-released"][:4]
    return _apa(item, version=__version__, kind="Data set")


# --------------------------------------------------------------------------
# Citation File Format (CFF 1.2.0); strings written as JSON, which YAML reads
# --------------------------------------------------------------------------


def _cff_authors(authors: list[dict[str, str]], indent: str) -> list[str]:
    lines = []
    for a in authors:
        if "literal" in a or "name" in a:
            lines.append(f"{indent}- name: {json.dumps(a.get('literal') or a['name'], ensure_ascii=False)}")
            continue
        lines.append(f"{indent}- family-names: {json.dumps(a['family'], ensure_ascii=False)}")
        if a.get("given"):
            lines.append(f"{indent}  given-names: {json.dumps(a['given'], ensure_ascii=False)}")
    return lines


def _cff_reference(item: Mapping[str, Any], indent: str = "") -> list[str]:
    def put(key: str, value: Any) -> None:
        lines.append(f"{indent}{key}: {json.dumps(value, ensure_ascii=False)}")

    lines: list[str] = []
    put("type", _TYPES.get(item.get("type", ""), ("misc", "generic"))[1])
    put("title", item.get("title", "[Untitled]"))
    lines.append(f"{indent}authors:")
    lines += _cff_authors(item.get("author", []) or [{"name": "anonymous"}], indent + "  ")
    if "issued" in item:
        put("year", item["issued"])
    if "container-title" in item:
        put("journal" if item.get("type") == "article-journal" else "collection-title",
            item["container-title"])
    if "publisher" in item:
        lines.append(f"{indent}publisher:")
        lines.append(f"{indent}  name: {json.dumps(item['publisher'], ensure_ascii=False)}")
    for csl, key in [("volume", "volume"), ("issue", "issue"), ("DOI", "doi"), ("URL", "url"),
                     ("license", "license")]:
        if csl in item:
            put(key, item[csl])
    if "page" in item:
        start, _, end = str(item["page"]).partition("-")
        put("start", start)
        if end:
            put("end", end)
    return lines


def citation_cff(tables: Mapping[str, "pd.DataFrame"], *, references: bool = True) -> str:
    """Return ``CITATION.cff``: the dataset, with its source documents as references.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        At least ``references`` and ``reference_authors``.
    references : bool, default True
        List the source documents under ``references``.
    """
    def put(key: str, value: Any) -> str:
        return f"{key}: {json.dumps(value, ensure_ascii=False)}"

    lines = [
        "# Generated by `usjapan-data build` from src/usjapan_data/citation.py and the",
        "# references table (role source_document); do not edit by hand.",
        "cff-version: 1.2.0",
        put("message", DATASET["message"]),
        put("title", DATASET["title"]),
        "type: dataset",
        put("version", __version__),
        put("license", DATASET["license"]),
    ]
    if DATASET["date-released"]:
        lines.append(put("date-released", DATASET["date-released"]))
    lines.append("authors:")
    lines += _cff_authors(DATASET["authors"], "  ")
    lines.append("keywords:")
    lines += [f"  - {json.dumps(k, ensure_ascii=False)}" for k in DATASET["keywords"]]
    if references:
        lines.append("references:")
        for item in source_documents(tables["references"], tables["reference_authors"]):
            ref = _cff_reference(item, "    ")
            lines += ["  - " + ref[0].lstrip(), *ref[1:]]
    return "\n".join(lines) + "\n"


def cite(format: Format = "apa", what: str = "all") -> str:
    """Return how to cite the dataset and the source documents it is coded from.

    Parameters
    ----------
    format : {"apa", "bibtex", "cff"}, default "apa"
        APA 7th edition as plain text, BibTeX entries, or the Citation File
        Format (for ``"all"``, the text of ``CITATION.cff``).
    what : str, default "all"
        ``"all"`` (the dataset, then each source document), ``"dataset"``,
        or the ``reference_id`` of one source document (e.g.
        ``"cong-paper"``).

    Returns
    -------
    str
        The citations, separated by a blank line. A source document's
        citation holds only what its row of the ``references`` table holds.

    Raises
    ------
    ValueError
        For an unknown format or ``what``; the message lists the valid ones.

    Examples
    --------
    >>> from usjapan_data import cite
    >>> print(cite("apa", "heritage-brief"))
    Klingner, B., & Smith, J. M. (...). President Biden Should Strengthen Alliances During Asia Trip...
    >>> cite("bibtex", "dataset").splitlines()[0]
    '@misc{usjapan-data,'
    """
    if format not in FORMATS:
        raise ValueError(f"unknown citation format {format!r}; expected one of {', '.join(FORMATS)}")
    from usjapan_data.loading import load_table

    tables = {name: load_table(name) for name in ("references", "reference_authors")}
    items = source_documents(tables["references"], tables["reference_authors"])
    choices = ["all", "dataset", *(item["id"] for item in items)]
    if what not in choices:
        raise ValueError(f"nothing to cite as {what!r}; expected one of {', '.join(choices)}")
    if format == "cff" and what in ("all", "dataset"):
        return citation_cff(tables, references=what == "all").rstrip("\n")
    texts = []
    if what in ("all", "dataset"):
        texts.append({"apa": _dataset_apa, "bibtex": _dataset_bibtex}[format]())
    for item in items if what != "dataset" else []:
        if what not in ("all", item["id"]):
            continue
        if format == "apa":
            texts.append(_apa(item))
        elif format == "bibtex":
            texts.append(_bibtex_item(item))
        else:
            texts.append("\n".join(_cff_reference(item)))
    return "\n\n".join(texts)
