"""datapackage.json and schemas/: self-describing, consistent, valid for frictionless."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys

import pytest

import usjapan_data
from usjapan_data import schema
from usjapan_data.descriptor import table_schema


@pytest.fixture(scope="module")
def descriptor(root):
    return json.loads((root / "datapackage.json").read_text(encoding="utf-8"))


def test_metadata(descriptor):
    assert descriptor["name"] == "usjapan-data"
    assert descriptor["version"] == usjapan_data.__version__
    assert descriptor["licenses"][0]["name"] == "CC-BY-NC-4.0"
    assert len(descriptor["sources"]) == 2
    assert descriptor["contributors"]
    assert [r["name"] for r in descriptor["resources"]] == list(schema.TABLES)


def test_resources(root, descriptor):
    for resource in descriptor["resources"]:
        path = root / resource["path"]
        assert resource["format"] == "parquet"
        assert "bytes" not in resource  # frictionless cannot check bytes of Parquet
        assert resource["hash"] == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        assert resource["description"]


def test_schemas_folder_matches_descriptor(root, descriptor):
    for resource in descriptor["resources"]:
        on_disk = json.loads((root / "schemas" / f"{resource['name']}.json").read_text(encoding="utf-8"))
        assert on_disk == resource["schema"] == table_schema(resource["name"])


def test_every_field_is_described_and_keyed(descriptor):
    for resource in descriptor["resources"]:
        fields = resource["schema"]["fields"]
        assert all(f["description"] for f in fields), resource["name"]
        names = {f["name"] for f in fields}
        assert set(resource["schema"]["primaryKey"]) <= names


def test_frictionless_validate_passes(root, tmp_path):
    exe = shutil.which("frictionless") or str(__import__("pathlib").Path(sys.executable).with_name("frictionless"))
    result = subprocess.run([exe, "validate", "datapackage.json", "--json"], cwd=root,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert json.loads(result.stdout)["valid"] is True


def test_every_row_rule_names_the_columns_it_reads():
    for model in schema.TABLES.values():
        for check in model.to_schema().checks:
            columns = schema.RULE_COLUMNS[schema.rule_name(check)]
            assert set(columns) <= set(schema.columns(model)), check
