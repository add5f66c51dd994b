"""Join the adjudicated documents into records/ (data 0.2).

Usage: python review/merge_0_2.py

records/<table>.yaml = the paper's records (ids 001-199) then the brief's
(ids 200-399) from review/adjudicated/{paper,brief}/<table>.yaml;
records/actors.yaml = review/adjudicated/actors.yaml. Nothing is changed on
the way: the adjudicated files are the reviewed text.
"""

from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
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
    (OUT / "actors.yaml").write_text((SOURCE / "actors.yaml").read_text(encoding="utf-8"),
                                      encoding="utf-8")


if __name__ == "__main__":
    main()
