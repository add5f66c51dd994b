"""Carry the 0.1 records over to the 0.2 data model, mechanically, logging every change.

Usage: python review/migrate_0_2.py

Reads records/*.yaml (data 0.1), writes review/adjudicated/{paper,brief}/*.yaml
(the starting point of the 0.2 adjudication, one folder per document;
actors in review/adjudicated/actors.yaml) and
appends one row per changed value to review/changes-0.2.csv (record, field,
old, new, reason). Only mechanical changes are made here: the new columns
get values derived from the old ones; every judgement is left to the
adjudication, which logs its own changes in the same file.
"""

import csv
import re
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
RECORDS = HERE.parent / "records"
OUT = HERE / "adjudicated"
LOG = HERE / "changes-0.2.csv"
TABLES = ("events", "commitments", "exercises", "recommendations", "references", "actors")
PK = {"events": "event_id", "commitments": "commitment_id", "exercises": "exercise_id",
      "recommendations": "recommendation_id", "references": "reference_id", "actors": "actor_id"}
REVIEW = {"both_passes": "agreed", "adjudicated": "adjudicated",
          "first_pass_only": "single_pass", "second_pass_only": "single_pass"}
WRITTEN = {
    "cong-paper": ("2024-01-01", "2025-12-31",
                   "Not before 2024: its latest cited works are of 2024 (Blinken, 2024; Singh, 2024). "
                   "It speaks of Biden's presidency, whose period its title gives as '(2021-2025)', in "
                   "the present perfect ('has sought', 'has deepened'), so not after 2025."),
    "heritage-brief": ("2022-01-01", "2022-05-19",
                       "Before the trip 'During May 20–24', which is 'upcoming'. The 'inaugural summit "
                       "held in Washington in September 2021' is past, so the trip is in May 2022; the "
                       "exercises cut 'During the past four years' are to return to 'pre-2018 levels', "
                       "which places the writing in 2022."),
}
BIDEN_WORDS = re.compile(r"biden", re.I)
ACTOR_WORDS = {
    "USA": r"\bU\.?S\.?\b|United States|America|Washington|Biden|Obama|Trump",
    "JPN": r"Japan|Tokyo|Kishida|Abe\b",
    "KOR": r"Korea(?!n missile| nuclear)|Seoul|Yoon|Moon",
    "PRK": r"North Korea|Pyongyang",
    "CHN": r"China|Chinese|Beijing",
    "AUS": r"Australia", "IND": r"India", "TWN": r"Taiwan", "VNM": r"Vietnam",
    "NZL": r"New Zealand", "QUAD": r"Quad", "NATO": r"NATO", "UN": r"U\.?N\.?\b|United Nations",
}


class Dumper(yaml.SafeDumper):
    pass


Dumper.add_representer(str, lambda d, v: d.represent_scalar(
    "tag:yaml.org,2002:str", v, style="|" if "\n" in v else None))


def dump(records, path):
    text = yaml.dump(records, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(text, encoding="utf-8")


def norm(text):
    return re.sub(r"[^0-9a-z]", "", str(text).lower())


def doc_of(table, record):
    if table == "references":
        rid = record["reference_id"]
        return "paper" if "cong-paper" in (rid, record.get("cited_by")) else "brief"
    number = int(record[PK[table]].split("-")[1])
    return "paper" if number < 200 else "brief"


def main():
    changes = []

    def change(rid, field, old, new, reason):
        if str(old) != str(new):
            changes.append({"record": rid, "field": field, "old": "" if old is None else old,
                            "new": "" if new is None else new, "reason": reason, "step": "migration"})

    out = {doc: {t: [] for t in TABLES} for doc in ("paper", "brief")}
    actors = []
    for table in TABLES:
        for rec in yaml.safe_load((RECORDS / f"{table}.yaml").read_text(encoding="utf-8")) or []:
            rid = rec[PK[table]]
            for key, value in list(rec.items()):
                if hasattr(value, "isoformat"):
                    rec[key] = value.isoformat()
            if "review" in rec:
                new = REVIEW[rec["review"]]
                change(rid, "review", rec["review"], new, "0.2 review vocabulary")
                rec["review"] = new
            if table in ("events", "commitments", "exercises"):
                migrate_claim(table, rec, change)
            if table == "recommendations":
                domain = rec.pop("policy_domain")
                rec["policy_domains"] = [domain]
                change(rid, "policy_domains", domain, domain, "policy domains become a list")
            if table == "references" and rid in WRITTEN:
                for key, value in zip(("written_start", "written_end", "written_basis"), WRITTEN[rid]):
                    change(rid, key, None, value, "time of writing derived from the document's own text")
                    rec[key] = value
            for ev in rec.get("evidence") or []:
                ev.setdefault("supports", [])
            for actor in rec.get("actors") or []:  # the first row naming the actor, else the first
                pattern = ACTOR_WORDS.get(actor["actor"])
                actor["evidence"] = next((i for i, ev in enumerate(rec["evidence"], 1)
                                          if pattern and re.search(pattern, ev["quote"])), 1)
            if table == "actors":
                actors.append(rec)
                continue
            out[doc_of(table, rec)][table].append(rec)
    for doc, tables in out.items():
        overall = [r["recommendation_id"] for r in tables["recommendations"] if r["level"] == "overall"]
        for rec in tables["recommendations"]:
            if rec["level"] == "bullet" and not rec.get("parent_id"):
                change(rec["recommendation_id"], "parent_id", None, overall[0],
                       "one tree per document: a bullet's parent is the overall record of its list")
                rec["parent_id"] = overall[0]
        (OUT / doc).mkdir(parents=True, exist_ok=True)
        for table, records in tables.items():
            if table != "actors":
                dump(records, OUT / doc / f"{table}.yaml")
    dump(actors, OUT / "actors.yaml")
    with LOG.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["step", "record", "field", "old", "new", "reason"])
        writer.writeheader()
        writer.writerows(changes)
    print(f"{len(changes)} changes logged")


def migrate_claim(table, rec, change):
    rid = rec[PK[table]]
    evidence = rec.get("evidence") or []
    if rec.get("mode") == "recommendation":
        change(rid, "mode", "recommendation", "fact", "asks are recommendations; to adjudicate")
        rec["mode"] = "fact"
    if table == "events":
        status = {"fact": "occurred", "expectation": "upcoming"}.get(rec["mode"], "unclear")
        change(rid, "status", None, status, "event status from mode; to adjudicate")
        new = {}
        for k, v in rec.items():
            new[k] = v
            if k == "place":
                new["status"] = status
        rec.clear(); rec.update(new)
    if table == "exercises" and rec.get("status") == "recommended":
        change(rid, "status", "recommended", "unclear", "'recommended' is a mode, not a status")
        rec["status"] = "unclear"
    precision = rec["date_precision"]
    text = rec.get("date_text") or ""
    note = rec.get("note") or ""
    if precision == "unknown":
        basis = "none"
    elif rec.get("date_start") == "2021-01-01" and rec.get("date_end") == "2025-12-31":
        basis = "context"
        change(rid, "date_precision", precision, "window", "'under Biden' is a window, not a span")
        rec["date_precision"] = "window"
    elif re.search(r"context|not printed|never prints", note) and rid.split("-")[1] >= "200":
        basis = "context"
    else:
        basis = "printed"
    change(rid, "date_basis", None, basis, "date basis from the 0.1 dating convention; to adjudicate")
    new = {}
    for k, v in rec.items():
        new[k] = v
        if k == "date_precision":
            new["date_basis"] = basis
    rec.clear(); rec.update(new)
    # evidence marks: the first row quoting the date words, the status words, the quantity
    if rec["date_precision"] != "unknown" and evidence:
        mark(evidence, text, "date")
    if rec.get("status") not in (None, "unclear") and evidence:
        mark(evidence, rec.get("status_text") or "", "status")
    if rec.get("quantity") is not None and evidence:
        mark(evidence, str(rec["quantity"]).removesuffix(".0"), "quantity")


def mark(evidence, words, what):
    key = norm(words)
    for ev in evidence:
        if key and key in norm(ev["quote"]):
            ev.setdefault("supports", []).append(what)
            return
    evidence[0].setdefault("supports", []).append(what)


if __name__ == "__main__":
    main()
