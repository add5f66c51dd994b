"""Citations of the dataset and of the source documents, built from the references table."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

import usjapan_data
from usjapan_data import cite
from usjapan_data.citation import DATASET, _apa, _bibtex_item, citation_cff, source_documents


@pytest.fixture(scope="module")
def docs(tables):
    refs = tables["references"]
    return refs[refs["role"].astype("object") == "source_document"]


def authors_of(tables, reference_id):
    authors = tables["reference_authors"]
    return authors[authors["reference_id"] == reference_id].sort_values("position")


def test_dataset_citation_names_title_and_version():
    for fmt in ("apa", "bibtex", "cff"):
        text = cite(fmt, "dataset")
        assert usjapan_data.__version__ in text
        assert DATASET["title"] in text


def test_every_source_document_is_cited_from_its_row(tables, docs):
    assert len(docs) >= 1
    everything = {fmt: cite(fmt) for fmt in ("apa", "bibtex", "cff")}
    for doc in docs.itertuples(index=False):
        apa, bib = cite("apa", doc.reference_id), cite("bibtex", doc.reference_id)
        assert apa in everything["apa"] and bib in everything["bibtex"]
        assert bib.startswith(f"@") and f"{{{doc.reference_id}," in bib.splitlines()[0]
        assert doc.title in apa and doc.title in bib
        for author in authors_of(tables, doc.reference_id).itertuples(index=False):
            name = author.literal if pd.notna(author.literal) else author.family
            assert name in apa and name in bib and name in everything["cff"]
        entry = yaml.safe_load(cite("cff", doc.reference_id))
        assert entry["title"] == doc.title


def test_nothing_is_added_that_the_table_does_not_hold(tables, docs):
    # the publisher of a source document is what its row says, or absent
    for doc in docs.itertuples(index=False):
        bib = cite("bibtex", doc.reference_id)
        assert ("publisher" in bib or "institution" in bib) == pd.notna(doc.publisher)
        assert ("year =" in bib) == pd.notna(doc.issued_year)


def test_citations_follow_the_table(tables):
    refs = tables["references"].copy()
    authors = tables["reference_authors"].copy()
    first = refs.index[refs["role"].astype("object") == "source_document"][0]
    ref_id = refs.at[first, "reference_id"]
    refs.loc[first, ["title", "container_title", "issued_year", "volume", "issue", "page", "csl_type"]] = [
        "Costs & Benefits of 100% {Alliance}_Work", "Journal of Tests", 2023, "3", "2", "10-12",
        "article-journal"]
    authors = authors[authors["reference_id"] != ref_id]
    authors = pd.concat([authors, pd.DataFrame({
        "reference_id": [ref_id] * 3, "position": [1, 2, 3], "family": ["Doe", "Roe", None],
        "given": ["Jane Ann", "Jean-Paul", None], "literal": [None, None, "Some Institute"]})])
    (item,) = [i for i in source_documents(refs, authors) if i["id"] == ref_id]
    assert _apa(item) == (
        "Doe, J. A., Roe, J.-P., & Some Institute. (2023). Costs & Benefits of 100% {Alliance}_Work. "
        "Journal of Tests, 3(2), 10-12.")
    bib = _bibtex_item(item)
    assert r"title = {{Costs \& Benefits of 100\% \{Alliance\}\_Work}}" in bib
    assert "author = {Doe, Jane Ann and Roe, Jean-Paul and {Some Institute}}" in bib
    assert "journal = {Journal of Tests}" in bib and "pages = {10--12}" in bib and "year = {2023}" in bib
    assert bib.count("{") - bib.count(r"\{") == bib.count("}") - bib.count(r"\}")
    cff = yaml.safe_load(citation_cff({"references": refs, "reference_authors": authors}))
    (ref,) = [r for r in cff["references"] if r["title"] == "Costs & Benefits of 100% {Alliance}_Work"]
    assert ref["journal"] == "Journal of Tests" and ref["year"] == 2023
    assert ref["start"] == "10" and ref["end"] == "12"
    assert ref["authors"][2] == {"name": "Some Institute"}


def test_citation_cff_is_generated_and_shipped(root, tables, docs):
    text = (root / "CITATION.cff").read_text(encoding="utf-8")
    assert text == citation_cff(tables) == cite("cff") + "\n"
    data = yaml.safe_load(text)
    assert data["cff-version"] == "1.2.0" and data["type"] == "dataset"
    assert data["version"] == usjapan_data.__version__
    assert [r["title"] for r in data["references"]] == list(docs["title"])
    assert "references" not in yaml.safe_load(cite("cff", "dataset"))


def test_unknown_format_or_document():
    with pytest.raises(ValueError, match="apa, bibtex, cff"):
        cite("mla")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="all, dataset, "):
        cite("apa", "biden-2022")  # a cited work, not a source document
