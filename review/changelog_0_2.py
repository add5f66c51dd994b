"""Print the by-record part of the 0.2 changelog from the change logs.

Usage: python review/changelog_0_2.py > /tmp/records.md

Reads changes-0.2.csv (the mechanical migration) and adjudication-*.csv (the
adjudication), and prints one line per record: the fields whose coded value
changed, added and removed records first. The logs keep the old and new
values and the reasons.
"""

import csv
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUIET = {"review"}  # changed on every record by the new vocabulary; said once in the changelog


def main() -> None:
    fields: dict[str, list[str]] = defaultdict(list)
    added, removed = [], []
    for path in [HERE / "changes-0.2.csv", *sorted(HERE.glob("adjudication-*.csv"))]:
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                record, field = row["record"].strip(), row["field"].strip()
                if field == "record":
                    new = row["new"].strip().lower()
                    (added if new.startswith("present") else removed).append(record)
                elif field not in QUIET and field not in fields[record]:
                    fields[record].append(field)
    print(f"- Added ({len(added)}): {', '.join(f'`{r}`' for r in sorted(set(added)))}.")
    print(f"- Removed ({len(removed)}): {', '.join(f'`{r}`' for r in sorted(set(removed)))}.")
    print("- Changed, by record (the fields whose coded value changed):")
    for record in sorted(fields):
        if record in added:
            continue
        print(f"  - `{record}`: {', '.join(fields[record])}")


if __name__ == "__main__":
    main()
