"""Export an editable copy, write a copy's tables, rehash after a hand edit; the CSV flavour read everywhere."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import usjapan_data
from usjapan_data import WriteError, export, rehash, schema, validate, write_tables
from usjapan_data.cli import main

FORMATS = ("parquet", "csv")


def read_csv_table(folder, name):
    """The README's recipe: one table of the CSV flavour with the dtypes of load_tables()."""
    with open(f"{folder}/schemas/{name}.json", encoding="utf-8") as f:
        fields = json.load(f)["fields"]
    kinds = {"string": "string[pyarrow]", "date": "string[pyarrow]", "integer": "Int64",
             "number": "Float64", "boolean": "boolean"}
    dtype = {f["name"]: pd.CategoricalDtype([c["value"] for c in f["categories"]])
             if "categories" in f else kinds[f["type"]] for f in fields}
    frame = pd.read_csv(f"{folder}/data/{name}.csv", dtype=dtype, encoding="utf-8",
                        keep_default_na=False, na_values=[""])
    for f in fields:
        if f["type"] == "date":
            frame[f["name"]] = pd.to_datetime(frame[f["name"]], format="%Y-%m-%d").astype("datetime64[ns]")
    return frame


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    """One export of each flavour (tests must not modify them; copy first)."""
    return {fmt: export(tmp_path_factory.mktemp(fmt) / "copy", fmt).parent for fmt in FORMATS}


def copy_of(exported: dict[str, Path], fmt: str, tmp_path: Path) -> Path:
    target = tmp_path / f"copy-{fmt}"
    shutil.copytree(exported[fmt], target)
    return target


def frictionless(folder: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("frictionless") or str(Path(sys.executable).with_name("frictionless"))
    return subprocess.run([exe, "validate", "datapackage.json", "--json"], cwd=folder,
                          capture_output=True, text=True)


# --------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_is_complete_and_valid(exported, fmt, capsys):
    folder = exported[fmt]
    for rel in ("datapackage.json", "docs/codebook.md", "docs/coding-rules.md", "CITATION.cff",
                "LICENSE", "LICENSE-DATA"):
        assert (folder / rel).is_file(), rel
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert [r["name"] for r in descriptor["resources"]] == list(schema.TABLES)
    for res in descriptor["resources"]:
        data = (folder / res["path"]).read_bytes()
        assert res["path"] == f"data/{res['name']}.{fmt}" and res["format"] == fmt
        assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert ("bytes" in res) == (fmt == "csv")  # frictionless cannot count Parquet's bytes
        assert res.get("bytes", len(data)) == len(data)
        declared = json.loads((folder / res["schema"]).read_text(encoding="utf-8"))
        assert declared["$schema"] == "https://datapackage.org/profiles/2.0/tableschema.json"
    assert main(["validate", str(folder)]) == 0, capsys.readouterr().out
    result = frictionless(folder)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert json.loads(result.stdout)["valid"] is True


def test_parquet_export_is_the_installed_bytes(exported):
    for name in schema.TABLES:
        assert (exported["parquet"] / "data" / f"{name}.parquet").read_bytes() == \
            usjapan_data.table_path(name).read_bytes()


def test_csv_flavour_is_plain(exported):
    text = (exported["csv"] / "data" / "evidence.csv").read_bytes()
    assert not text.startswith(b"\xef\xbb\xbf") and b"\r\n" not in text
    header, first = text.decode("utf-8").splitlines()[:2]
    assert header.startswith('"evidence_id","record_table"')
    assert ",true," in first or ",false," in first
    events = (exported["csv"] / "data" / "events.csv").read_text(encoding="utf-8")
    assert ",2021-" in events or ",2022-" in events  # ISO dates
    schema_ = json.loads((exported["csv"] / "schemas" / "evidence.json").read_text(encoding="utf-8"))
    repeat = next(f for f in schema_["fields"] if f["name"] == "repeat")
    assert repeat["trueValues"] == ["true"] and repeat["falseValues"] == ["false"]
    assert schema_["missingValues"] == [""]


def test_csv_read_back_by_pandas_equals_the_loaded_tables(exported, tables):
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(read_csv_table(exported["csv"], name), frame, check_exact=True)


@pytest.mark.parametrize("fmt", FORMATS)
def test_duckdb_and_polars_read_both_flavours(exported, fmt, tables):
    duckdb = pytest.importorskip("duckdb")
    pl = pytest.importorskip("polars")
    folder = exported[fmt]
    con = duckdb.connect()
    for name, frame in tables.items():
        path = str(folder / "data" / f"{name}.{fmt}")
        reader = "read_parquet" if fmt == "parquet" else "read_csv"
        assert con.execute(f"SELECT count(*) FROM {reader}(?)", [path]).fetchone() == (len(frame),)
        polars = pl.read_parquet(path) if fmt == "parquet" else pl.read_csv(path, try_parse_dates=True)
        assert polars.height == len(frame) and polars.columns == list(frame.columns)
    evidence = str(folder / "data" / f"evidence.{fmt}")
    events = str(folder / "data" / f"events.{fmt}")
    reader = "read_parquet" if fmt == "parquet" else "read_csv"
    types = dict(con.execute(f"DESCRIBE SELECT * FROM {reader}(?)", [evidence]).fetchall()[i][:2]
                 for i in range(len(tables["evidence"].columns)))
    assert types["repeat"] == "BOOLEAN" and types["supports_date"] == "BOOLEAN"
    described = con.execute(f"DESCRIBE SELECT * FROM {reader}(?)", [events]).fetchall()
    assert dict(r[:2] for r in described)["date_start"] == "DATE"
    read = pl.read_parquet if fmt == "parquet" else lambda p: pl.read_csv(p, try_parse_dates=True)
    assert read(evidence).schema["repeat"] == pl.Boolean
    assert read(events).schema["date_start"] == pl.Date
    assert int(read(evidence)["repeat"].sum()) == int(tables["evidence"]["repeat"].sum())


def test_export_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(FileExistsError, match="not empty.*overwrite=True"):
        export(tmp_path)
    assert main(["export", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is not empty" in err and "Traceback" not in err
    assert main(["export", str(tmp_path), "--format", "csv", "--overwrite"]) == 0
    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "keep me"
    assert validate(tmp_path).valid
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(FileExistsError, match="is a file"):
        export(tmp_path / "file", overwrite=True)
    with pytest.raises(ValueError, match="unknown format 'xlsx'"):
        export(tmp_path / "new", "xlsx")  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# rehash
# --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_hand_edit_then_rehash(exported, fmt, tmp_path, capsys):
    folder = copy_of(exported, fmt, tmp_path)
    path = folder / "data" / f"events.{fmt}"
    if fmt == "csv":
        text = path.read_text(encoding="utf-8")
        edited = text.replace("Defense", "Defence", 1)
        assert edited != text
        path.write_text(edited, encoding="utf-8")
    else:
        import pyarrow.parquet as pq

        table = pq.read_table(path)  # edited in Arrow, keeping its types
        titles = table["title"].to_pylist()
        titles[0] = "An edited title"
        table = table.set_column(table.schema.get_field_index("title"), table.schema.field("title"),
                                 pa.array(titles, pa.string()))
        pq.write_table(table, path)
    report = validate(folder)
    assert not report.valid
    assert set(report.errors["check"]) == {"hash"} and set(report.errors["table"]) == {"events"}
    assert main(["rehash", str(folder)]) == 0
    assert "rehashed 1 resource(s): events" in capsys.readouterr().out
    assert validate(folder).valid
    assert rehash(folder) == []
    result = frictionless(folder)
    assert result.returncode == 0, result.stdout[-3000:]


def test_rehash_refuses_unsafe_paths_and_missing_files(exported, tmp_path, capsys):
    folder = copy_of(exported, "csv", tmp_path)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["path"] = "../outside.csv"
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    with pytest.raises(WriteError, match="resource 'events': path '../outside.csv' leaves the package"):
        rehash(folder)
    assert main(["rehash", str(folder)]) == 1
    descriptor["resources"][0]["path"] = "data/gone.csv"
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="resource 'events'"):
        rehash(folder / "datapackage.json")
    (folder / "data" / "link.csv").symlink_to("/etc/hostname")
    descriptor["resources"][0]["path"] = "data/link.csv"
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    with pytest.raises(WriteError, match="leads outside the package"):
        rehash(folder)
    assert main(["rehash", str(tmp_path / "nothing")]) == 2
    assert "Traceback" not in capsys.readouterr().err


# --------------------------------------------------------------------------
# write_tables
# --------------------------------------------------------------------------


def _as(backend: str, frame: pd.DataFrame):
    if backend == "pandas":
        return frame
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if backend == "pyarrow":
        return table
    pl = pytest.importorskip("polars")
    return pl.from_arrow(table)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("backend", ["pandas", "polars", "pyarrow"])
def test_write_tables_round_trip(tables, tmp_path, fmt, backend):
    edited = {name: frame.copy() for name, frame in tables.items()}
    edited["events"].loc[0, "title"] = "An edited title"
    path = write_tables({n: _as(backend, f) for n, f in edited.items()}, tmp_path / "copy", fmt)
    report = validate(path)
    assert report.valid, report.format_text()
    if fmt == "parquet":
        for name, frame in edited.items():
            pd.testing.assert_frame_equal(usjapan_data.loading.arrow_to_pandas(
                pa.parquet.read_table(path.parent / "data" / f"{name}.parquet")), frame)
    else:
        for name, frame in edited.items():
            pd.testing.assert_frame_equal(read_csv_table(path.parent, name), frame)


def test_write_tables_accepts_the_same_value_in_another_representation(tables, tmp_path):
    events = tables["events"].copy()
    events["date_start"] = events["date_start"].dt.strftime("%Y-%m-%d").astype(object)
    path = write_tables({"events": events}, tmp_path)
    assert [r["name"] for r in json.loads(path.read_text(encoding="utf-8"))["resources"]] == ["events"]
    assert (tmp_path / "data" / "events.parquet").read_bytes() == usjapan_data.table_path("events").read_bytes()


def test_write_tables_updates_a_copy_and_keeps_its_other_resources(exported, tables, tmp_path):
    folder = copy_of(exported, "csv", tmp_path)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"].append({"name": "notes", "path": "notes.txt"})
    descriptor["title"] = "My extended copy"
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    events = tables["events"].copy()
    events.loc[1, "title"] = "Another edited title"
    write_tables({"events": events}, folder, "csv")
    after = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert after["title"] == "My extended copy"
    assert [r["name"] for r in after["resources"]] == [*schema.TABLES, "notes"]
    assert read_csv_table(folder, "events").loc[1, "title"] == "Another edited title"


@pytest.mark.parametrize("fmt", FORMATS)
def test_write_tables_refuses_what_the_types_cannot_hold(tables, tmp_path, fmt):
    events = tables["events"].copy()
    events["date_start"] = events["date_start"].astype(object)
    events.loc[3, "date_start"] = "sometime in 2022"
    with pytest.raises(WriteError) as info:
        write_tables({"events": events}, tmp_path / "out", fmt)
    message = str(info.value)
    assert "table 'events'" in message and "row 4, column 'date_start'" in message
    assert "found sometime in 2022, expected a date YYYY-MM-DD" in message
    assert not (tmp_path / "out").exists()  # nothing written

    evidence = tables["evidence"].copy()
    evidence["repeat"] = evidence["repeat"].astype(object)
    evidence.loc[0, "repeat"] = "maybe"
    with pytest.raises(WriteError, match=r"row 1, column 'repeat': found maybe, expected true or false"):
        write_tables({"evidence": evidence}, tmp_path / "out", fmt)

    events = tables["events"].copy()
    events.loc[2, "title"] = None
    with pytest.raises(WriteError, match=r"row 3, column 'title': found null, expected a value"):
        write_tables({"events": events}, tmp_path / "out", fmt)

    with pytest.raises(WriteError, match=r"missing column 'title'.*unexpected column 'name'"):
        write_tables({"events": tables["events"].rename(columns={"title": "name"})}, tmp_path / "out", fmt)
    with pytest.raises(WriteError, match=r"unknown table\(s\) 'evnts'"):
        write_tables({"evnts": tables["events"]}, tmp_path / "out", fmt)
    with pytest.raises(WriteError, match="table 'events': found a list"):
        write_tables({"events": [1, 2]}, tmp_path / "out", fmt)
    assert not (tmp_path / "out").exists()


def test_csv_refuses_an_empty_text_it_would_read_as_missing(tables, tmp_path):
    events = tables["events"].copy()
    column = next(s.name for s in schema.column_specs(schema.TABLES["events"])
                  if s.kind == "text" and s.nullable)
    events.loc[0, column] = ""
    with pytest.raises(WriteError, match=f"row 1, column '{column}': found an empty text"):
        write_tables({"events": events}, tmp_path, "csv")


# --------------------------------------------------------------------------
# CSV read as its Table Schema says
# --------------------------------------------------------------------------


def _set_schema(folder: Path, name: str, change) -> None:
    path = folder / "schemas" / f"{name}.json"
    declared = json.loads(path.read_text(encoding="utf-8"))
    change(declared)
    path.write_text(json.dumps(declared), encoding="utf-8")


def _boolean_field(declared: dict, column: str) -> dict:
    return next(f for f in declared["fields"] if f["name"] == column)


def test_a_pandas_to_csv_copy_reads_with_the_default_true_values(exported, tables, tmp_path):
    folder = copy_of(exported, "csv", tmp_path)
    evidence = tables["evidence"]
    evidence.to_csv(folder / "data" / "evidence.csv", index=False)  # booleans written True/False
    _set_schema(folder, "evidence", lambda d: [_boolean_field(d, c).pop(k) for c in
                                               ("repeat", "supports_date", "supports_status",
                                                "supports_quantity") for k in ("trueValues", "falseValues")])
    rehash(folder)
    report = validate(folder)
    assert report.valid, report.format_text()

    def capitalised(d: dict) -> None:
        for column in ("repeat", "supports_date", "supports_status", "supports_quantity"):
            _boolean_field(d, column).update(trueValues=["True"], falseValues=["False"])
    _set_schema(folder, "evidence", capitalised)
    report = validate(folder)
    assert report.valid, report.format_text()
    result = frictionless(folder)
    assert result.returncode == 0, result.stdout[-3000:]

    def declared_true_values(d: dict) -> None:  # declared, they replace the defaults
        _boolean_field(d, "repeat").update(trueValues=["yes"], falseValues=["no"])
    _set_schema(folder, "evidence", declared_true_values)
    report = validate(folder)
    bad = report.errors
    assert set(bad["column"]) == {"repeat"} and set(bad["check"]) == {"type"}
    assert len(bad) == len(evidence)  # one error per cell: not also "required"
    first = bad.iloc[0]
    assert first["table"] == "evidence" and first["row"] == 1 and first["line"] == 2
    assert first["found"] in ("True", "False") and "'yes' (true)" in first["expected"]
    assert first["file"].endswith("evidence.csv")


def test_csv_missing_values_and_dialect_as_declared(exported, tables, tmp_path):
    folder = copy_of(exported, "csv", tmp_path)
    events = tables["events"].astype(object).where(tables["events"].notna(), "NA")
    for column in events:
        if str(tables["events"][column].dtype) == "datetime64[ns]":
            events[column] = [v if v == "NA" else v.strftime("%Y-%m-%d") for v in events[column]]
    raw = events.to_csv(index=False, sep=";", lineterminator="\r\n")
    (folder / "data" / "events.csv").write_bytes(raw.encode("utf-16"))
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    res = descriptor["resources"][0]
    res.update(encoding="utf-16", dialect={"delimiter": ";", "lineTerminator": "\r\n", "header": True})
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    _set_schema(folder, "events", lambda d: d.update(missingValues=["NA"]))
    rehash(folder)
    report = validate(folder)
    assert report.valid, report.format_text()
    _set_schema(folder, "events", lambda d: d.update(missingValues=[{"value": "", "label": "blank"}]))
    report = validate(folder)
    assert not report.valid and "NA" in set(report.errors["found"])


@pytest.mark.parametrize("prop, value", [("groupChar", ","), ("decimalChar", ","), ("bareNumber", False)])
def test_unsupported_lexical_properties_are_refused_by_name(exported, tmp_path, prop, value):
    folder = copy_of(exported, "csv", tmp_path)
    table, column = next((n, s.name) for n in schema.TABLES for s in schema.column_specs(schema.TABLES[n])
                         if s.kind in ("integer", "number"))
    _set_schema(folder, table, lambda d: _boolean_field(d, column).update({prop: value}))
    report = validate(folder)
    errors = report.errors[report.errors["table"] == table]
    assert list(errors["check"]) == ["schema"]
    assert prop in errors["message"].iloc[0] and "not supported" in errors["message"].iloc[0]


# --------------------------------------------------------------------------
# R
# --------------------------------------------------------------------------

_R_CLASSES = {"string": "character", "date": "Date", "integer": "integer", "number": "numeric",
              "boolean": "logical"}


@pytest.mark.skipif(shutil.which("Rscript") is None,
                    reason="Rscript is not installed (Debian: apt-get install r-base-core)")
def test_r_reads_the_csv_flavour(exported, tables, tmp_path):
    folder = exported["csv"]
    lines = []
    for name in tables:
        fields = json.loads((folder / "schemas" / f"{name}.json").read_text(encoding="utf-8"))["fields"]
        classes = ", ".join(f'"{f["name"]}" = "{_R_CLASSES[f["type"]]}"' for f in fields)
        lines.append(
            f'x <- read.csv("{folder}/data/{name}.csv", colClasses = c({classes}), na.strings = "", '
            'fileEncoding = "UTF-8", encoding = "UTF-8", check.names = FALSE)\n'
            f'cat("{name}", nrow(x), paste(sapply(x, function(c) class(c)[1]), collapse = ","), '
            'paste(colSums(is.na(x)), collapse = ","), '
            'paste(sapply(x, function(c) if (is.logical(c)) sum(c, na.rm = TRUE) else -1), collapse = ","), '
            '"\\n")')
    script = tmp_path / "read.R"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run(["Rscript", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = {}
    for line in result.stdout.splitlines():
        name, rows, classes, nas, trues = line.split()
        seen[name] = (int(rows), classes.split(","), [int(n) for n in nas.split(",")],
                      [int(t) for t in trues.split(",")])
    for name, frame in tables.items():
        rows, classes, nas, trues = seen[name]
        assert rows == len(frame), name
        fields = json.loads((folder / "schemas" / f"{name}.json").read_text(encoding="utf-8"))["fields"]
        assert classes == [_R_CLASSES[f["type"]] for f in fields], name
        assert nas == [int(frame[c].isna().sum()) for c in frame], name
        assert trues == [int(frame[c].sum()) if str(frame[c].dtype) == "boolean" else -1
                         for c in frame], name


def test_the_descriptor_is_data_package_v2(root):
    from usjapan_data.citation import DATASET

    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert "profile" not in descriptor
    # deterministic: the release date, else the day the data version was compiled; never the clock
    day = DATASET["date-released"] or usjapan_data.descriptor.COMPILED[usjapan_data.__version__]
    assert descriptor["created"] == f"{day}T00:00:00Z"
    assert descriptor["homepage"].startswith("https://")
    assert descriptor["keywords"] == DATASET["keywords"]
    assert all(s["title"] for s in descriptor["sources"])
    assert all(c["roles"] for c in descriptor["contributors"])
    for res in descriptor["resources"]:
        assert res["type"] == "table" and "profile" not in res
        assert res["schema"]["$schema"] == "https://datapackage.org/profiles/2.0/tableschema.json"
        specs = {s.name: s for s in schema.column_specs(schema.TABLES[res["name"]])}
        for field in res["schema"]["fields"]:
            if specs[field["name"]].kind == "category":
                assert [c["value"] for c in field["categories"]] == list(specs[field["name"]].categories)
            else:
                assert "categories" not in field


def test_the_readme_pandas_recipe_works_as_written(root, exported, tables, tmp_path, monkeypatch):
    readme = (root / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```python\n")[1:]]
    (recipe,) = [b for b in blocks if "def read_csv_table" in b]
    shutil.copytree(exported["csv"], tmp_path / "my-copy-csv")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(recipe, namespace)
    pd.testing.assert_frame_equal(namespace["events"], tables["events"])
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(namespace["read_csv_table"]("my-copy-csv", name), frame)
