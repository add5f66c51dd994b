"""The benchmark's synthetic packages are valid at every size the benchmark writes."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))

import synth  # noqa: E402
from bench import FULL, QUICK  # noqa: E402
from usjapan_data import schema, validate  # noqa: E402

#: Every size of the big tables a benchmark run generates.
SIZES = sorted({*FULL.sizes, *FULL.stream_sizes, *QUICK.sizes, *QUICK.stream_sizes,
                FULL.frictionless_rows, QUICK.frictionless_rows})


@pytest.mark.parametrize("rows", SIZES)
def test_identifiers_stay_valid_keys_at_every_size(rows):
    """Ids unique and matching their patterns; the composite keys have room for every row.

    Checked on the identifiers alone, so that 100M rows need no 100M-row tables.
    """
    size = synth.Sizes(rows)
    named = synth.identifiers(size)
    actors = named["states"] + named["groupings"]
    for table in (*synth.RECORD_PREFIXES.values(), "references"):
        ids = named[table]
        assert len(set(ids)) == len(ids), table
        assert all(re.fullmatch(schema.ID_PATTERNS[table].strip("^$"), i) for i in ids), table
    assert len(set(actors)) == len(actors) == size.actors
    assert all(re.fullmatch(schema.ID_PATTERNS["actors"].strip("^$"), a) for a in actors)
    assert all(re.fullmatch("[A-Z]{3}", s) for s in named["states"])  # iso3 and cow_abbrev



@pytest.mark.parametrize("rows", SIZES)
def test_the_first_and_last_rows_of_the_big_tables_are_valid_together(rows):
    """Evidence and record_actors, their first and last 2,000 rows: patterns, vocabularies, keys.

    The last rows are those most likely to outgrow an identifier or repeat a
    key of the first; generated alone, so that 100M rows need no 100M-row tables.
    """
    import numpy as np
    import pandas as pd

    n = min(rows, 2_000)
    first = synth.synthetic_tables(rows, k=np.arange(n), small=False)
    last = synth.synthetic_tables(rows, k=np.arange(rows - n, rows), small=False)
    for name in first:
        both = pd.concat([first[name], last[name]], ignore_index=True)
        schema.TABLES[name].validate(both, lazy=True)
        key = schema.keys(schema.TABLES[name])["primary_key"]
        assert not both.duplicated(key).any(), (name, both[both.duplicated(key, keep=False)].head())


def test_a_package_written_in_slices_is_valid(tmp_path):
    """The writer of large packages, in several slices: valid by both engines, every row there."""
    pytest.importorskip("duckdb")
    rows = 30_000
    descriptor = synth.write_large_package(rows, tmp_path / "pkg", chunk=7_000)
    for engine in ("pandas", "duckdb"):
        report = validate(descriptor.parent, engine=engine)
        assert report.valid, report.format_text(limit=10)
        assert report.rows["evidence"] == report.rows["record_actors"] == rows


def test_too_few_rows_to_evidence_every_record_are_refused():
    with pytest.raises(ValueError, match="cannot evidence"):
        synth.synthetic_tables(100)


def test_the_diff_benchmark_runs(capsys):
    """bench_diff.py on a small package: one JSON line, the edits it made found by diff."""
    import json

    import bench_diff

    assert bench_diff.main(["--rows", "20000", "--json"]) == 0
    measured = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert measured["rows_in_big_tables"] == 20_000
    assert measured["changed_values"] > 0 and measured["removed"] > 0
