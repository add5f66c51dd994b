"""Check every evidence quote in a folder of YAML records (drafts or final).

Usage: python review/check_quotes.py FOLDER [SOURCES_DIR]

Prints each quote that is not verbatim in its source, by the rule in
shared/sources/README.md, and exits 1 if any; 0 when all are found.
"""

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from usjapan_data.provenance import normalize, source_key  # noqa: E402

FILES = {
    "cong-paper": "000_1fc07e3006a67246.txt",
    "heritage-brief": "002_f6c205a9c6c3a37b.txt",
}


def main() -> int:
    folder = Path(sys.argv[1])
    sources = Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).resolve().parents[2] / "shared" / "sources")
    keys = {k: source_key((sources / f).read_text(encoding="utf-8")) for k, f in FILES.items()}
    bad = total = 0
    for path in sorted(folder.glob("*.yaml")):
        for record in yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or []:
            rid = next(iter(record.values()))
            for ev in record.get("evidence", []) or []:
                total += 1
                src = ev.get("source")
                if src not in keys:
                    print(f"{path.name} {rid}: unknown source {src!r}")
                    bad += 1
                elif normalize(ev.get("quote", "")) not in keys[src]:
                    print(f"{path.name} {rid}: quote not in {src}: {ev.get('quote')!r}")
                    bad += 1
    print(f"{total - bad} of {total} quotes verified")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
