"""diff(): records added, removed and changed by primary key, schema changes, and the bump."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hostile import copy_package, resource, write_arrow
from hostile import read_descriptor as descriptor
from hostile import write_descriptor as save_descriptor

import usjapan_data
from usjapan_data import DiffError, diff

CLI = Path(sys.executable).with_name("usjapan-data")


def read_table(package: Path, name: str) -> pa.Table:
    return pq.read_table(package / resource(descriptor(package), name)["path"])


def set_value(package: Path, name: str, key: dict, column: str, value: object) -> object:
    """Set one value of the record with ``key``; return the old value."""
    table = read_table(package, name)
    rows = table.to_pylist()
    (index,) = [i for i, r in enumerate(rows) if all(r[k] == v for k, v in key.items())]
    old = rows[index][column]
    values = table[column].to_pylist()
    values[index] = value
    position = table.schema.get_field_index(column)
    write_arrow(package, name, table.set_column(position, table.schema.field(column),
                                                pa.array(values, table.schema.field(column).type)))
    return old


def run(*args: str) -> subprocess.CompletedProcess:
    """The installed console script, as a user runs it."""
    return subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True)


@pytest.fixture
def pair(tmp_path):
    """Two copies of the package (descriptor and Parquet files); tests edit the new one."""
    return copy_package(tmp_path / "old"), copy_package(tmp_path / "new")


def test_one_value_edited_names_table_record_field_old_new_and_says_patch(pair):
    old, new = pair
    before = set_value(new, "events", {"event_id": "EVT-010"}, "title", "An edited title")
    result = diff(old, new)
    assert result.bump == "patch"
    assert not result.identical
    events = result.tables["events"]
    assert events.status == "changed" and events.changed == 1
    assert events.changes() == [{"key": {"event_id": "EVT-010"}, "field": "title",
                                 "old": before, "new": "An edited title"}]
    assert events.data_rule == "PATCH: correct errors in existing data"
    assert all(t.status == "unchanged" for n, t in result.tables.items() if n != "events")
    assert result.schema_changes == []  # the hash changed, which is storage, not schema

    cli = run("diff", old, new)
    assert cli.returncode == 1, cli.stderr
    assert "bump: patch" in cli.stdout
    assert f'changed EVT-010: title {json.dumps(before)} -> "An edited title"' in cli.stdout
    summary = result.summary().set_index("table")
    assert summary.loc["events", "changed"] == 1 and summary.loc["events", "bump"] == "patch"
    assert summary.loc["actors", "bump"] == "none"


def test_a_composite_key_is_named_whole(pair):
    old, new = pair
    row = read_table(new, "record_actors").slice(0, 1).to_pylist()[0]
    key = {k: row[k] for k in ("record_table", "record_id", "actor_id", "role")}
    set_value(new, "record_actors", key, "evidence_id", "EVIDENCE-EDITED")
    (change,) = diff(old, new).tables["record_actors"].changes()
    assert change["key"] == key
    assert change["field"] == "evidence_id"
    assert change["old"] == row["evidence_id"] and change["new"] == "EVIDENCE-EDITED"
    text = run("diff", old, new).stdout
    assert f"changed ({', '.join(key.values())}): evidence_id" in text


def test_a_removed_column_says_major(pair):
    old, new = pair
    write_arrow(new, "events", read_table(new, "events").drop_columns(["place"]))
    desc = descriptor(new)
    fields = resource(desc, "events")["schema"]["fields"]
    fields[:] = [f for f in fields if f["name"] != "place"]
    save_descriptor(new, desc)
    result = diff(old, new)
    assert result.bump == "major"
    (change,) = result.tables["events"].schema_changes
    assert (change.table, change.field, change.change, change.bump) == (
        "events", "place", "field_removed", "major")
    assert change.rule == "MAJOR: add, remove or re-order fields"
    assert result.tables["events"].changed == 0  # the other columns are the same

    cli = run("diff", old, new, "--format", "json")
    assert cli.returncode == 1
    data = json.loads(cli.stdout)
    assert data["bump"] == "major"
    assert data["tables"]["events"]["schema_changes"][0]["change"] == "field_removed"


def test_an_added_record_says_minor(pair):
    old, new = pair
    events = read_table(new, "events")
    first = events.slice(0, 1)
    added = first.set_column(0, events.schema.field(0), pa.array(["EVT-999"], events.schema.field(0).type))
    write_arrow(new, "events", pa.concat_tables([events, added]))
    result = diff(old, new)
    assert result.bump == "minor"
    table = result.tables["events"]
    assert table.added.to_pylist() == [{"event_id": "EVT-999"}]
    assert table.removed.num_rows == 0 and table.changed == 0
    assert table.data_rule == "MINOR: add new data to an existing data resource"
    assert "added EVT-999" in run("diff", old, new).stdout


def test_removed_records_are_major_only_where_another_table_refers_to_them(pair):
    old, new = pair
    events = read_table(new, "events")
    write_arrow(new, "events", events.slice(1))  # nothing declares a foreign key into events
    result = diff(old, new)
    assert result.tables["events"].removed.num_rows == 1
    assert result.bump == "patch"
    actors = read_table(new, "actors")  # record_actors.actor_id refers to actors
    write_arrow(new, "actors", actors.slice(1))
    result = diff(old, new)
    assert result.tables["actors"].removed.to_pylist() == actors.slice(0, 1).select(["actor_id"]).to_pylist()
    assert result.tables["actors"].bump == "major"
    assert "referenced by another data resource" in result.tables["actors"].data_rule


@pytest.mark.parametrize("edit, change, bump", [
    (lambda values: values[:-1], "enum_values_removed", "major"),
    (lambda values: [*values, "new_kind"], "enum_values_added", "minor"),
])
def test_a_changed_enum(pair, edit, change, bump):
    old, new = pair
    desc = descriptor(new)
    field = next(f for f in resource(desc, "events")["schema"]["fields"] if f["name"] == "event_type")
    before = list(field["constraints"]["enum"])
    field["constraints"]["enum"] = edit(before)
    save_descriptor(new, desc)
    result = diff(old, new)
    (found,) = [c for c in result.schema_changes if c.field == "event_type"]
    assert (found.table, found.change, found.bump) == ("events", change, bump)
    assert result.bump == bump
    if bump == "major":
        assert found.old == [before[-1]]
    else:
        assert found.new == ["new_kind"]


def test_schema_changes_each_with_its_rule(pair):
    old, new = pair
    desc = descriptor(new)
    events = resource(desc, "events")["schema"]
    title = next(f for f in events["fields"] if f["name"] == "title")
    title["description"] = "Reworded."
    place = next(f for f in events["fields"] if f["name"] == "place")
    place["constraints"] = {"required": True}
    evidence = resource(desc, "evidence")["schema"]
    evidence["primaryKey"] = ["evidence_id", "record_id"]
    save_descriptor(new, desc)
    found = {(c.table, c.field, c.change): (c.bump, c.rule) for c in diff(old, new).schema_changes}
    assert found[("events", "title", "description_changed")] == (
        "patch", "PATCH: change descriptive metadata properties")
    assert found[("events", "place", "constraint_required_tightened")] == (
        "major", "MAJOR: change a field constraint to be more restrictive")
    assert found[("evidence", None, "primary_key_changed")][0] == "major"
    # the other way round, the constraint is loosened
    back = {(c.table, c.field, c.change): c.bump for c in diff(new, old).schema_changes}
    assert back[("events", "place", "constraint_required_loosened")] == "minor"


def test_a_table_added_is_minor_and_removed_is_major(pair):
    old, new = pair
    desc = descriptor(new)
    desc["resources"] = [r for r in desc["resources"] if r["name"] != "reference_authors"]
    save_descriptor(new, desc)
    removed = diff(old, new)
    table = removed.tables["reference_authors"]
    assert table.status == "removed" and table.bump == "major" and removed.bump == "major"
    assert table.removed.num_rows == table.rows_old
    added = diff(new, old)
    assert added.tables["reference_authors"].status == "added"
    assert added.bump == "minor"


def test_identical_packages_exit_0(pair):
    old, new = pair
    result = diff(old, new / "datapackage.json")
    assert result.identical and result.bump == "none"
    cli = run("diff", old, new)
    assert cli.returncode == 0, cli.stderr
    assert "no differences" in cli.stdout
    installed = run("diff", "installed", new)
    assert installed.returncode == 0, installed.stderr


def test_an_unreadable_package_exits_2_with_a_clear_message(pair, tmp_path):
    old, _ = pair
    cli = run("diff", old, tmp_path / "nowhere")
    assert cli.returncode == 2
    assert "cannot read the new package" in cli.stderr and "nowhere" in cli.stderr
    assert "no such file" in cli.stderr and "Traceback" not in cli.stderr
    assert cli.stdout == ""
    with pytest.raises(DiffError, match="cannot read the old package"):
        diff(tmp_path / "nowhere", old)


def test_a_file_edited_without_its_hash_exits_2_naming_table_and_hash(pair):
    old, new = pair
    path = new / "data" / "events.parquet"
    table = pq.read_table(path)
    pq.write_table(table.slice(1), path)  # the descriptor still records the old sha256
    cli = run("diff", old, new)
    assert cli.returncode == 2
    assert "events: hash:" in cli.stderr
    assert "usjapan-data rehash" in cli.stderr


def test_an_unsafe_path_is_not_read(pair, tmp_path):
    old, new = pair
    desc = descriptor(new)
    resource(desc, "events")["path"] = "../old/data/events.parquet"
    save_descriptor(new, desc)
    with pytest.raises(DiffError, match="leaves the package folder"):
        diff(old, new)


@pytest.mark.parametrize("side", ["old", "new"])
@pytest.mark.parametrize("matched", [True, False])
def test_a_repeated_primary_key_is_refused(pair, side, matched):
    """Whether or not the other package holds the repeated key, and for composite keys too."""
    packages = dict(zip(["old", "new"], pair))
    for name in ("events", "record_actors"):
        table = read_table(packages[side], name)
        twice = table.slice(0, 1)
        if not matched:  # a key the other package does not hold, twice
            column = table.schema.field("record_id" if name == "record_actors" else "event_id")
            twice = twice.set_column(twice.schema.get_field_index(column.name), column,
                                     pa.array(["EVT-998"], column.type))
            table = table.slice(1)
        write_arrow(packages[side], name, pa.concat_tables([table, twice, twice]))
        with pytest.raises(DiffError, match=f"{name} of the {side} package repeats a primary key"):
            diff(*pair)
        write_arrow(packages[side], name, read_table(packages["new" if side == "old" else "old"], name))


def test_json_holds_every_change_and_text_is_limited(pair):
    old, new = pair
    events = read_table(new, "events")
    titles = [f"Title {i}" for i in range(events.num_rows)]
    column = events.schema.get_field_index("title")
    write_arrow(new, "events", events.set_column(column, events.schema.field("title"),
                                                 pa.array(titles, events.schema.field("title").type)))
    cli = run("diff", old, new, "--format", "json", "--limit", "3")
    data = json.loads(cli.stdout)
    changed = data["tables"]["events"]["changed"]
    assert len(changed) == events.num_rows
    assert [c["key"]["event_id"] for c in changed] == sorted(events["event_id"].to_pylist())
    text = run("diff", old, new, "--limit", "3").stdout
    assert text.count("  changed EVT-") == 3
    assert f"... and {events.num_rows - 3} more record change(s)" in text


def test_text_never_starts_a_line_with_data(pair):
    old, new = pair
    set_value(new, "events", {"event_id": "EVT-010"}, "title", "x\n::error::injected")
    text = run("diff", old, new).stdout
    assert "\n::" not in text and "::error::injected" in text  # escaped, inside the line


def test_csv_text_is_compared_as_the_values_its_schema_declares(pair):
    old, new = pair
    table = read_table(new, "evidence")
    csv = new / "data" / "evidence.csv"
    import pyarrow.csv as pacsv

    plain = pa.table([c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c
                      for c in table.columns], names=table.column_names)
    pacsv.write_csv(plain, csv)
    desc = descriptor(new)
    res = resource(desc, "evidence")
    res.update(path="data/evidence.csv", format="csv", mediatype="text/csv",
               hash="sha256:" + hashlib.sha256(csv.read_bytes()).hexdigest())
    save_descriptor(new, desc)
    result = diff(old, new)
    assert result.tables["evidence"].changed == 0
    assert result.bump == "none"  # a file stored otherwise is no change of the data
    assert {c.change for c in result.schema_changes} == {
        "property_path_changed", "property_format_changed", "property_mediatype_changed"}


def test_the_public_api():
    assert usjapan_data.diff is diff
    assert "diff" in dir(usjapan_data) and "PackageDiff" in dir(usjapan_data)


def test_changelog_data_section_is_the_diff_of_the_previous_release(root):
    """CHANGELOG.md's data section is what review/changelog_data.py writes now."""
    import os

    script = root / "review" / "changelog_data.py"
    check = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    if check.returncode == 2 and "git history" in check.stderr and not os.environ.get("CI"):
        pytest.skip(check.stderr.strip())  # no git history here (an sdist, a shallow clone)
    assert check.returncode == 0, check.stderr
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "calls this a **major** change (0.1.0 → 0.2.0" in text
    assert "- `recommendations`: fields removed: `policy_domain` (major)" in text


def test_the_packagers_round_trip_on_two_exports(tmp_path):
    """README's round trip, by the commands: export twice (Parquet, CSV), edit one CSV value by
    hand, rehash, validate, diff: one change, named, and a patch; then a removed column: major."""
    old, new = tmp_path / "old", tmp_path / "new"
    assert run("export", old).returncode == 0
    assert run("export", new, "--format", "csv").returncode == 0
    title = usjapan_data.load_table("events").set_index("event_id").loc["EVT-010", "title"]
    csv = new / "data" / "events.csv"
    text = csv.read_text(encoding="utf-8")
    assert text.count(f',"{title}",') == 1  # every field is quoted
    csv.write_text(text.replace(f',"{title}",', ',"An edited title",'), encoding="utf-8")
    assert run("validate", new).returncode == 1  # the hash no longer matches
    assert run("rehash", new).returncode == 0
    assert run("validate", new).returncode == 0
    compared = run("diff", old, new, "--format", "json")
    assert compared.returncode == 1, compared.stderr
    result = json.loads(compared.stdout)
    assert result["bump"] == "patch"
    assert diff(old, new).tables["events"].changes() == [
        {"key": {"event_id": "EVT-010"}, "field": "title", "old": title, "new": "An edited title"}]

    schema_file = new / "schemas" / "events.json"
    declared = json.loads(schema_file.read_text(encoding="utf-8"))
    declared["fields"] = [f for f in declared["fields"] if f["name"] != "place"]
    schema_file.write_text(json.dumps(declared), encoding="utf-8")
    rows = csv.read_text(encoding="utf-8")
    import pandas as pd

    frame = pd.read_csv(csv, dtype=str, keep_default_na=False).drop(columns="place")
    frame.to_csv(csv, index=False, lineterminator="\n")
    assert run("rehash", new).returncode == 0
    assert rows != csv.read_text(encoding="utf-8")
    assert diff(old, new).bump == "major"
