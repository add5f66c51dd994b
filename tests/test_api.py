"""The public API: what dir() shows, what imports cheaply, what type checkers see."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import usjapan_data


def test_dir_shows_the_public_names():
    names = dir(usjapan_data)
    assert names == sorted(usjapan_data.__all__)
    assert "ValidationReport" in names and "describe" in names and "timeline" in names
    assert not {"Any", "os", "Mapping", "TYPE_CHECKING", "annotations", "loading"} & set(names)


def test_every_public_name_resolves_to_its_definition():
    for name in usjapan_data.__all__:
        value = getattr(usjapan_data, name)
        module = usjapan_data._LAZY.get(name)
        if module:
            assert value is getattr(importlib.import_module(module), name)


def test_a_misspelt_name_fails_at_run_time():
    with pytest.raises(AttributeError, match="load_tabels"):
        usjapan_data.load_tabels  # noqa: B018
    with pytest.raises(ImportError, match="load_tabels"):
        exec("from usjapan_data import load_tabels", {})


GOOD = """\
from pathlib import Path

from matplotlib.axes import Axes

import usjapan_data
from usjapan_data import (
{imports}
)

report: ValidationReport = validate()
error: type[Exception] = ValidationError
text: str = cite("bibtex", "dataset")
path: Path = codebook_path()
names: list[str] = list_tables()
frame = describe("events")
axes: Axes = timeline(include=["events"], focus_start=None)
version: str = usjapan_data.__version__
exported: Path = export("copy", "csv", overwrite=True)
changed: list[str] = rehash(exported.parent)
written: Path = write_tables(load_tables(), "copy", format="parquet")
failure: type[ValueError] = WriteError
"""

# each line is an error a type checker must report: two misspelt names, a wrong type
BAD = """\
from usjapan_data import load_tabels
import usjapan_data
usjapan_data.descibe()
number: int = usjapan_data.cite()
"""


def _type_checkers() -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    found = {}
    for tool in ("mypy", "pyright"):
        exe = shutil.which(tool, path=str(bin_dir)) or shutil.which(tool)
        if exe is None:
            pytest.fail(f"{tool} is not installed: pip install -e '.[dev]'")
        found[tool] = [exe, "--strict"] if tool == "mypy" else [exe, "--pythonpath", sys.executable]
    return found


@pytest.mark.slow
@pytest.mark.parametrize("tool", ["mypy", "pyright"])
def test_type_checkers_see_the_api_and_reject_misspelt_names(tool, tmp_path):
    command = _type_checkers()[tool]
    imports = "".join(f"    {name},\n" for name in usjapan_data.__all__ if name != "__version__")
    (tmp_path / "good.py").write_text(GOOD.format(imports=imports), encoding="utf-8")
    (tmp_path / "bad.py").write_text(BAD, encoding="utf-8")

    good = subprocess.run([*command, "good.py"], cwd=tmp_path, capture_output=True, text=True)
    assert good.returncode == 0, good.stdout + good.stderr

    bad = subprocess.run([*command, "bad.py"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode != 0
    out = bad.stdout + bad.stderr
    lines = {"mypy": "bad.py:{}:", "pyright": "bad.py:{}:"}[tool]
    for number in (1, 3, 4):
        assert lines.format(number) in out, out
    assert "load_tabels" in out and "descibe" in out, out
