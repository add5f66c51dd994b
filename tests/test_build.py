"""The build: one source of truth, deterministic output, no drift, clear record errors."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from usjapan_data.build import TIMELINE, build
from usjapan_data.cli import main
from usjapan_data.records import RecordsError, read_records

GENERATED = ["data", "schemas", "datapackage.json", "docs", "README.md", "CITATION.cff"]


def _copy_tree(root: Path, target: Path) -> Path:
    for name in ["records", *GENERATED]:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, target / name)
        else:
            shutil.copy2(src, target / name)
    return target


def test_committed_files_are_up_to_date(root):
    result = build(root, check=True)
    assert result.changed == [], f"run `usjapan-data build`: {result.changed}"


def test_same_records_give_same_bytes(root, tmp_path):
    first = _copy_tree(root, tmp_path / "a")
    second = _copy_tree(root, tmp_path / "b")
    for tree in (first, second):
        shutil.rmtree(tree / "data")
        (tree / "datapackage.json").unlink()
        (tree / TIMELINE).unlink()
        build(tree)
    for path in sorted((first / "data").iterdir()):
        assert path.read_bytes() == (second / "data" / path.name).read_bytes(), path.name
    for rel in ["datapackage.json", TIMELINE]:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
    assert (first / TIMELINE).read_bytes() == (root / TIMELINE).read_bytes()


def test_check_reports_a_stale_file(root, tmp_path):
    tree = _copy_tree(root, tmp_path / "t")
    (tree / "schemas" / "events.json").write_text("{}\n", encoding="utf-8")
    text = (tree / "records" / "events.yaml").read_text(encoding="utf-8")
    (tree / "records" / "events.yaml").write_text(
        text.replace("title: ", "title: Edited ", 1), encoding="utf-8"
    )
    changed = build(tree, check=True).changed
    assert "schemas/events.json" in changed
    assert "data/events.parquet" in changed
    assert "datapackage.json" in changed  # the hash of events.parquet changes
    assert TIMELINE in changed  # an event's title is drawn


def test_check_reports_a_stale_figure(root, tmp_path):
    tree = _copy_tree(root, tmp_path / "t")
    svg = tree / TIMELINE
    svg.write_bytes(svg.read_bytes().replace(b"EVT-", b"EVX-", 1))
    assert build(tree, check=True).changed == [TIMELINE]
    assert main(["build", "--check", "--root", str(tree)]) == 1
    build(tree)
    assert svg.read_bytes() == (root / TIMELINE).read_bytes()


def test_without_matplotlib_build_skips_the_figure_and_check_fails(root, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    tree = _copy_tree(root, tmp_path / "t")
    (tree / TIMELINE).unlink()
    result = build(tree)
    assert TIMELINE in result.skipped and not (tree / TIMELINE).exists()
    assert main(["build", "--root", str(tree)]) == 0
    assert main(["build", "--check", "--root", str(tree)]) == 1
    err = capsys.readouterr().err
    assert f"skipped {TIMELINE}" in err and f"cannot check {TIMELINE}" in err
    assert 'pip install "usjapan-data[plot]"' in err


def test_records_round_trip_equals_shipped_tables(root, tables):
    import pandas as pd

    built = read_records(root / "records")
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(built[name], frame, check_categorical=True, obj=name)


@pytest.mark.parametrize(
    "edit, expected",
    [
        (("date_precision: ", "date_precision: fortnight # "), "date_precision: found 'fortnight', expected one of day, month"),
        (("date_start: ", "date_start: 19510101 # "), "expected a date YYYY-MM-DD"),
        (("mode: ", "colour: blue\n  mode: "), "unknown key 'colour'"),
    ],
)
def test_bad_record_names_file_record_column(root, tmp_path, edit, expected):
    tree = _copy_tree(root, tmp_path / "t")
    path = tree / "records" / "events.yaml"
    text = path.read_text(encoding="utf-8")
    old, new = edit
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RecordsError) as info:
        read_records(tree / "records")
    message = str(info.value)
    assert "events.yaml: record" in message
    assert expected in message


def test_invalid_yaml_is_reported(root, tmp_path):
    tree = _copy_tree(root, tmp_path / "t")
    (tree / "records" / "actors.yaml").write_text("- actor_id: [unclosed\n", encoding="utf-8")
    with pytest.raises(RecordsError, match="actors.yaml: is not valid YAML"):
        read_records(tree / "records")
