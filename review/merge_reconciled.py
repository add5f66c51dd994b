"""Merge the two reconciled documents into records/ (run once, then records/ is edited by hand).

Usage: python review/merge_reconciled.py

- events, commitments, exercises, recommendations, references: the paper's
  records (ids 001-199) then the brief's (ids 201-399), unchanged;
- the source-document rows get their source_file, sha256 and license (from
  shared/sources/README.md);
- actors: one row per actor_id, members and evidence from both documents,
  with ISO 3166-1 alpha-3 and Correlates of War codes for states (the table
  in shared/guides/codebook-conventions.md).

Facts stated in both documents are then merged by hand into one record with
evidence from each; see review/README.md.
"""

from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "records"
DOCS = ["paper", "brief"]
SOURCES = {
    "cong-paper": ("000_1fc07e3006a67246.txt", "693958627a09f6d0cdec1ddb852111835a18dcd13df7f574b45b276dc4c618bc", "CC-BY-NC-4.0"),
    "heritage-brief": ("002_f6c205a9c6c3a37b.txt", "5851a48daded188ce317cb5d4fbc68b032f2a5fe9f1ddfd1ee45c24a40405204", None),
}
COW = {  # actor_id: (COW ccode, COW abbrev)
    "USA": (2, "USA"), "JPN": (740, "JPN"), "KOR": (732, "ROK"), "PRK": (731, "PRK"),
    "CHN": (710, "CHN"), "TWN": (713, "TAW"), "AUS": (900, "AUL"), "IND": (750, "IND"),
    "VNM": (816, "DRV"), "NZL": (920, "NEW"),
}


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def load(doc: str, table: str) -> list[dict]:
    return yaml.safe_load((HERE / "reconciled" / doc / f"{table}.yaml").read_text(encoding="utf-8")) or []


def dump(table: str, records: list[dict]) -> None:
    text = yaml.dump(records, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    (OUT / f"{table}.yaml").write_text(text, encoding="utf-8")


def main() -> None:
    for table in ("events", "commitments", "exercises", "recommendations", "references"):
        records = [r for doc in DOCS for r in load(doc, table)]
        for record in records:
            if record.get("reference_id") in SOURCES:
                record["source_file"], record["sha256"], record["license"] = SOURCES[record["reference_id"]]
        dump(table, records)
    actors: dict[str, dict] = {}
    for doc in DOCS:
        for actor in load(doc, "actors"):
            merged = actors.setdefault(actor["actor_id"], dict(actor))
            if merged is not actor:
                merged["members"] = sorted(set(merged.get("members") or []) | set(actor.get("members") or []))
                merged["evidence"] = (merged.get("evidence") or []) + (actor.get("evidence") or [])
                notes = [n for n in (merged.get("note"), actor.get("note")) if n]
                merged["note"] = " ".join(dict.fromkeys(notes)) or None
    for actor_id, actor in actors.items():
        if actor_id in COW:
            actor["iso3"] = actor_id
            actor["cow_ccode"], actor["cow_abbrev"] = COW[actor_id]
        actor.pop("review", None)
        if not actor.get("members"):
            actor.pop("members", None)
        if not actor.get("evidence"):
            actor.pop("evidence", None)
    dump("actors", sorted(actors.values(), key=lambda a: (a.get("kind") != "state", a["actor_id"])))


if __name__ == "__main__":
    main()
