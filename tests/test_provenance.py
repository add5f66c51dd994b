"""Every quote is verbatim in its source; every source text has its recorded sha256."""

from __future__ import annotations

import shutil

from usjapan_data.cli import main
from usjapan_data.provenance import check_provenance, normalize, source_key


def _sources(tables):
    refs = tables["references"]
    docs = refs[refs["role"].astype("object") == "source_document"]
    return {r.reference_id: {"source_file": r.source_file, "sha256": r.sha256}
            for r in docs.itertuples(index=False)}


def _evidence(tables):
    return tables["evidence"][["evidence_id", "source_id", "quote"]].astype("object").to_dict("records")


def test_every_quote_is_verbatim(tables, sources_dir):
    problems = check_provenance(_sources(tables), _evidence(tables), sources_dir)
    assert problems == [], "\n".join(map(str, problems))


def test_both_source_documents_are_checked(tables):
    assert set(_sources(tables)) == {"cong-paper", "heritage-brief"}


def test_the_rule():
    assert normalize("mili-\ntary “threats”1") == "militarythreats1"
    assert normalize("The U.S. Is") == "theusis"
    text = "Vietnam War (1955-\n\nUs - Japan Defense and Security Cooperation Under President Joe Biden (2021-2025)\n\n1975)."
    assert "vietnamwar19551975" in source_key(text)


def test_a_changed_quote_fails(tables, sources_dir):
    evidence = _evidence(tables)
    evidence[0] = dict(evidence[0], quote=evidence[0]["quote"] + " and more words never written")
    problems = check_provenance(_sources(tables), evidence, sources_dir)
    assert [p.kind for p in problems] == ["quote-not-found"]
    assert problems[0].evidence_id == evidence[0]["evidence_id"]


def test_a_changed_source_text_fails(tables, sources_dir, tmp_path):
    copy = tmp_path / "sources"
    shutil.copytree(sources_dir, copy)
    path = copy / "000_1fc07e3006a67246.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    problems = check_provenance(_sources(tables), _evidence(tables), copy)
    assert [p.kind for p in problems] == ["sha256-mismatch"]


def test_cli(sources_dir, capsys):
    assert main(["provenance", "--sources", str(sources_dir)]) == 0
    assert "quotes verbatim" in capsys.readouterr().out


def test_cli_without_sources_is_a_usage_error(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("USJAPAN_DATA_SOURCES", raising=False)
    assert main(["provenance"]) == 2
    assert "USJAPAN_DATA_SOURCES" in capsys.readouterr().err
    assert main(["provenance", "--sources", str(tmp_path / "nope")]) == 2
