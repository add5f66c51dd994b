"""Property-based fuzzing of Parquet bytes and descriptor JSON: always a report, never a crash.

Each example builds a package whose descriptor or one Parquet file is
mutated (bytes flipped, cut, spliced, footer integers changed; JSON values
replaced by random JSON), validates it and checks that a report comes back
with the public error columns, a valid verdict only when no error is found,
and output that prints safely. ``test_fuzz_within_address_space`` runs the
same fuzzing in a subprocess limited to 4 GiB of address space.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile import copy_package, patch_row_count, read_descriptor, write_descriptor
from usjapan_data import validate
from usjapan_data.cli import _github
from usjapan_data.report import ERROR_COLUMNS

SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
NAMES = ["actors", "events", "actor_members", "reference_authors"]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return copy_package(tmp_path_factory.mktemp("template") / "pkg")


def _fresh(template: Path, tmp: Path) -> Path:
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(template, tmp)
    return tmp


def _check(report) -> None:
    assert list(report.errors.columns) == ERROR_COLUMNS
    assert report.valid == (report.errors.empty and report.omitted.empty)
    assert report.errors["check"].notna().all() and report.errors["message"].notna().all()
    for line in report.format_text(limit=100).splitlines() + _github(report).splitlines():
        assert "\n" not in line and not line.lstrip().startswith("::") or line.startswith("::error ")
    json.loads(report.to_json())


@st.composite
def parquet_mutations(draw, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "splice", "footer", "zero", "rows"]))
        if kind == "flip" and data:
            at = draw(st.integers(0, len(data) - 1))
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "cut" and data:
            data = data[: draw(st.integers(0, len(data)))]
        elif kind == "splice":
            at = draw(st.integers(0, len(data)))
            data[at:at] = draw(st.binary(max_size=64))
        elif kind == "footer" and len(data) > 12:
            # an integer in the footer region, where sizes, counts and offsets live
            at = draw(st.integers(max(0, len(data) - 600), len(data) - 9))
            data[at] = draw(st.integers(0, 255))
        elif kind == "zero" and data:
            at = draw(st.integers(0, len(data) - 1))
            data[at: at + draw(st.integers(1, 16))] = bytes(16)[: len(data[at: at + 16])]
        elif kind == "rows":
            try:
                data = bytearray(patch_row_count(bytes(data), draw(st.integers(1, 400)),
                                                 draw(st.integers(0, 2**62))))
            except (ValueError, IndexError, Exception):
                pass
    return bytes(data)


@SETTINGS
@given(name=st.sampled_from(NAMES), data=st.data(), keep_hash=st.booleans())
def test_mutated_parquet_never_crashes(template, tmp_path, name, data, keep_hash):
    package = _fresh(template, tmp_path / "pkg")
    path = package / "data" / f"{name}.parquet"
    path.write_bytes(data.draw(parquet_mutations(path.read_bytes())))
    if not keep_hash:
        descriptor = read_descriptor(package)
        for res in descriptor["resources"]:
            res.pop("hash", None)
        write_descriptor(package, descriptor)
    report = validate(package)
    _check(report)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.sampled_from(["../x", "/etc/passwd", "https://x.org/a", "data/.h", "data\x00x", "\udcff",
                       "data/events.parquet", "csv", "parquet", "sha256:00", "utf-16", "\n::error::x"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["name", "path", "format", "hash", "schema", "dialect", "encoding", "bytes",
                         "fields", "resources", "$ref", "delimiter", "type", "constraints", "x"]),
        children, max_size=5),
    max_leaves=20,
)


@st.composite
def descriptor_mutations(draw, descriptor: dict) -> str:
    descriptor = json.loads(json.dumps(descriptor))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["resource", "top", "raw"]))
        resources = descriptor.get("resources")
        if kind == "resource" and isinstance(resources, list) and resources:
            res = resources[draw(st.integers(0, len(resources) - 1))]
            if isinstance(res, dict):
                res[draw(st.sampled_from(["name", "path", "format", "hash", "schema", "dialect",
                                          "encoding", "bytes", "compression"]))] = draw(json_values)
        elif kind == "top":
            descriptor[draw(st.sampled_from(["resources", "name", "profile"]))] = draw(json_values)
    text = json.dumps(descriptor)
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=8)) + text[at:]
    return text


@SETTINGS
@given(data=st.data())
def test_mutated_descriptor_never_crashes(template, tmp_path, data):
    package = _fresh(template, tmp_path / "pkg")
    descriptor = read_descriptor(package)
    text = data.draw(descriptor_mutations(descriptor))
    (package / "datapackage.json").write_bytes(text.encode("utf-8", "surrogatepass"))
    report = validate(package)
    _check(report)


def test_fuzz_within_address_space():
    """The fuzzing above, again, in a process that may not use more than 4 GiB of address space."""
    if os.environ.get("USJAPAN_FUZZ_CHILD"):
        pytest.skip("already in the limited process")
    code = (
        "import resource, sys, pytest\n"
        "resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))\n"
        "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', sys.argv[1], '-k', 'never_crashes']))\n"
    )
    env = dict(os.environ, USJAPAN_FUZZ_CHILD="1", FUZZ_EXAMPLES=os.environ.get("FUZZ_EXAMPLES", "30"))
    result = subprocess.run([sys.executable, "-c", code, __file__], capture_output=True, text=True,
                            timeout=900, env=env, cwd=Path(__file__).parent)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert resource.RLIMIT_AS is not None
