"""Join the adjudicated documents into records/ (data 0.2).

Usage: python review/merge_0_2.py

records/<table>.yaml = the paper's records (ids 001-199) then the brief's
(ids 200-399) from review/adjudicated/{paper,brief}/<table>.yaml;
records/actors.yaml = review/adjudicated/actors.yaml, then the actors each
adjudication added (review/adjudicated/<doc>/actors-new.yaml; an actor added
by both once, with the evidence of each). Nothing else is changed on the way: the
adjudicated files are the reviewed text.
"""

from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(str, lambda d, v: d.represent_scalar(
    "tag:yaml.org,2002:str", v, style="|" if "\n" in v else None))
SOURCE = HERE / "adjudicated"
OUT = HERE.parent / "records"


def main() -> None:
    for table in ("events", "commitments", "exercises", "recommendations", "references"):
        text = "".join(
            (SOURCE / doc / f"{table}.yaml").read_text(encoding="utf-8").removesuffix("[]\n")
            for doc in ("paper", "brief")
        )
        yaml.safe_load(text)  # the joined file must still parse
        (OUT / f"{table}.yaml").write_text(text or "[]\n", encoding="utf-8")
    actors = yaml.safe_load((SOURCE / "actors.yaml").read_text(encoding="utf-8")) or []
    known = {a["actor_id"]: a for a in actors}
    for doc in ("paper", "brief"):
        path = SOURCE / doc / "actors-new.yaml"
        for actor in (yaml.safe_load(path.read_text(encoding="utf-8")) or []) if path.is_file() else []:
            same = known.get(actor["actor_id"])
            if same is None:
                known[actor["actor_id"]] = actor
                actors.append(actor)
            elif (same["kind"], same.get("state_id")) != (actor["kind"], actor.get("state_id")):
                raise SystemExit(f"{path}: {actor['actor_id']} differs from the actor already defined")
            else:  # named in both documents: one actor, evidence from each
                same["evidence"] = (same.get("evidence") or []) + (actor.get("evidence") or [])
    text = yaml.dump(actors, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    (OUT / "actors.yaml").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
