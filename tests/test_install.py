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
    "d = u.describe()\n"
    "assert set(d['table']) == set(u.list_tables())\n"
    "assert d.set_index(['table', 'column']).loc[('events', 'mode'), 'values']['fact']\n"
    "assert u.codebook_path().read_text(encoding='utf-8').startswith('# Codebook')\n"
    "assert u.codebook_path().with_name('coding-rules.md').is_file()\n"
    "assert f'version: \"{u.__version__}\"' in u.cite('cff')\n"
    "assert '@misc{usjapan-data,' in u.cite('bibtex')\n"
    "con = u.connect()\n"
    "assert con.execute('SELECT count(*) FROM record_actors_named WHERE actor_name IS NULL').fetchone() == (0,)\n"
    "assert '<table>' in u.validate()._repr_html_()\n"
    "ax = u.timeline()\n"
    "assert len([p for p in ax.patches if p.get_gid()]) == int(sum(t[n]['date_start'].notna().sum() for n in ('events', 'commitments', 'exercises')))\n"
    "import tempfile\n"
    "for fmt in ('parquet', 'csv'):\n"
    "    p = u.export(tempfile.mkdtemp(), fmt)\n"
    "    assert u.validate(p).valid, fmt\n"
    "    assert all((p.parent / f).is_file() for f in ('LICENSE', 'LICENSE-DATA', 'CITATION.cff', 'docs/coding-rules.md'))\n"
    "print(u.__file__)\n"
    "print(u.descriptor_path())\n"
    "print(u.codebook_path())\n"
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
                     "usjapan_data/schemas/events.json", "usjapan_data/docs/codebook.md",
                     "usjapan_data/docs/coding-rules.md", "usjapan_data/CITATION.cff",
                     "usjapan_data/LICENSE", "usjapan_data/LICENSE-DATA", "usjapan_data/writing.py"]:
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
    module, descriptor, codebook = result.stdout.split()
    for path in (module, descriptor, codebook):
        assert Path(path).is_relative_to(target)
        assert not Path(path).is_relative_to(root)


def test_wheel_in_a_fresh_virtual_environment(wheel, tmp_path, root):
    """The README's user: pip install the wheel with the sql and plot extras, work from elsewhere."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", f"{wheel}[sql,plot,frictionless]"],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-3000:]
    work = tmp_path / "elsewhere"
    work.mkdir()
    result = subprocess.run([str(python), "-c", CHECK], cwd=work, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert all(Path(p).is_relative_to(venv) for p in result.stdout.split())
    cli = venv / "bin" / "usjapan-data"
    described = subprocess.run([str(cli), "describe", "events"], cwd=work, capture_output=True, text=True)
    assert described.returncode == 0 and described.stdout.startswith("events\n"), described.stderr
    cited = subprocess.run([str(cli), "cite", "--format", "bibtex"], cwd=work, capture_output=True, text=True)
    assert cited.returncode == 0 and "@misc{usjapan-data," in cited.stdout, cited.stderr
    helped = subprocess.run([str(cli), "validate", "--help"], cwd=work, capture_output=True, text=True)
    assert "examples:" in helped.stdout
    # the packager's round trip: export each flavour, validate with both validators, edit, rehash
    for fmt in ("parquet", "csv"):
        copy = work / f"copy-{fmt}"
        for args in (["export", str(copy), "--format", fmt], ["validate", str(copy)]):
            done = subprocess.run([str(cli), *args], cwd=work, capture_output=True, text=True)
            assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
        checked = subprocess.run([str(venv / "bin" / "frictionless"), "validate", "datapackage.json"],
                                 cwd=copy, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout[-3000:]
    events = work / "copy-csv" / "data" / "events.csv"
    events.write_text(events.read_text(encoding="utf-8").replace("Defense", "Defence", 1), encoding="utf-8")
    invalid = subprocess.run([str(cli), "validate", "copy-csv"], cwd=work, capture_output=True, text=True)
    assert invalid.returncode == 1 and "hash" in invalid.stdout
    for args in (["rehash", "copy-csv"], ["validate", "copy-csv"]):
        done = subprocess.run([str(cli), *args], cwd=work, capture_output=True, text=True)
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])


def test_editable_or_source_checkout_from_another_directory(tmp_path, root):
    # the test environment is the README's editable install
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.split()[1]) == root / "datapackage.json"
    assert Path(result.stdout.split()[2]) == root / "docs" / "codebook.md"
