"""The package works as installed: from a wheel outside the source tree, and editable."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

CHECK = (
    "import sys, usjapan_data as u\n"
    "t = u.load_tables()\n"
    "assert set(t) == set(u.list_tables()) and all(len(f) for f in t.values())\n"
    "assert str(t['events']['date_start'].dtype) == 'datetime64[ns]'\n"
    "assert str(t['events']['event_type'].dtype) == 'category'\n"
    "assert u.validate().valid\n"
    "print(u.__file__)\n"
    "print(u.descriptor_path())\n"
)


@pytest.fixture(scope="module")
def wheel(root, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(root)], check=True, capture_output=True)
    (path,) = out.glob("usjapan_data-*.whl")
    return path


def test_wheel_contents(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for expected in ["usjapan_data/__init__.py", "usjapan_data/py.typed",
                     "usjapan_data/datapackage.json", "usjapan_data/data/events.parquet",
                     "usjapan_data/schemas/events.json"]:
        assert expected in names
    assert not any(n.startswith(("records/", "tests/")) for n in names)


def test_wheel_installed_outside_the_source_tree(wheel, tmp_path, root):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    env = dict(os.environ, PYTHONPATH=str(target))
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    module, descriptor = result.stdout.split()
    assert Path(module).is_relative_to(target)
    assert Path(descriptor).is_relative_to(target)
    assert not Path(descriptor).is_relative_to(root)


def test_editable_or_source_checkout_from_another_directory(tmp_path, root):
    # the test environment is the README's editable install
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.split()[1]) == root / "datapackage.json"
