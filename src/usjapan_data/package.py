"""Read a data package from disk, treating its descriptor as untrusted.

A ``datapackage.json`` from elsewhere may point anywhere. Only plain
relative paths inside the package folder are read: no ``..``, no absolute
paths, no symlinks that resolve outside the folder, no remote URLs (no
network access is ever made) and no hidden files. Each file's hash is
checked (streamed, so memory stays bounded) before it is parsed, and a
file that cannot be parsed is reported, not raised.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import pandas as pd

from usjapan_data import schema

if TYPE_CHECKING:
    from usjapan_data.validation import _Collector

__all__ = ["read_package", "file_hash", "unsafe_path"]

#: Largest resource file read, in bytes (a guard against a hostile descriptor).
MAX_FILE_BYTES = 4 * 2**30
_HASH = re.compile(r"^(?:(md5|sha1|sha256|sha512):)?([0-9a-fA-F]+)$")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def file_hash(path: Path, algorithm: str = "sha256") -> str:
    """Hash a file in 1 MiB chunks and return the hex digest."""
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def unsafe_path(base: Path, value: object) -> str | None:
    """Return why a resource path is refused, or None when it is safe.

    Parameters
    ----------
    base : Path
        The package folder.
    value : object
        The resource's ``path`` as found in the descriptor.
    """
    if not isinstance(value, str) or not value:
        return f"found {value!r}, expected a relative file path"
    if _URL.match(value) or value.startswith("//"):
        return f"{value!r} is a remote URL; validation reads local files only"
    if value.startswith(("/", "\\")) or re.match(r"^[a-zA-Z]:", value):
        return f"{value!r} is an absolute path; expected a path inside the package"
    parts = PurePosixPath(value.replace("\\", "/")).parts
    if ".." in parts:
        return f"{value!r} leaves the package folder"
    if any(p.startswith(".") for p in parts):
        return f"{value!r} is a hidden file or folder"
    resolved = (base / value).resolve()
    if not resolved.is_relative_to(base.resolve()):
        return f"{value!r} resolves to {str(resolved)!r}, outside the package folder"
    return None


def _read_descriptor(path: Path, out: "_Collector") -> tuple[Path, dict] | None:
    if path.is_dir():
        path = path / "datapackage.json"
    name = str(path)
    if not path.is_file():
        out.add(None, "descriptor", f"{name}: no such file; expected a datapackage.json or a "
                "folder holding one", file=name, expected="a datapackage.json")
        return None
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        out.add(None, "descriptor", f"{name}: not well-formed JSON: {exc}", file=name,
                expected="well-formed JSON")
        return None
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        out.add(None, "descriptor", f"{name}: expected an object with a list of 'resources'",
                file=name, found=type(descriptor).__name__, expected="an object with resources")
        return None
    return path, descriptor


def _read_csv(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), [])
    table = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            null_values=[""],
            strings_can_be_null=True,
        ),
    )
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    from usjapan_data.loading import arrow_to_pandas

    return arrow_to_pandas(pq.read_table(path))


def read_package(path: Path, out: "_Collector") -> dict[str, pd.DataFrame] | None:
    """Read every table of a package, reporting descriptor and file problems to ``out``.

    Returns
    -------
    dict of str to pandas.DataFrame, or None
        The tables that could be read (None when the descriptor itself is
        unusable).
    """
    found = _read_descriptor(Path(path), out)
    if found is None:
        return None
    descriptor_file, descriptor = found
    base = descriptor_file.parent
    desc_name = str(descriptor_file)
    frames: dict[str, pd.DataFrame] = {}
    by_name: dict[str, dict] = {}
    for number, resource in enumerate(descriptor["resources"], start=1):
        if not isinstance(resource, dict) or not isinstance(resource.get("name"), str):
            out.add(None, "descriptor", f"resource {number} has no name",
                    file=desc_name, found=repr(resource)[:80], expected="an object with a name")
            continue
        by_name[resource["name"]] = resource
    for name in schema.TABLES:
        resource = by_name.get(name)
        if resource is None:
            continue  # reported as a missing table by the table checks
        out.failed.add(name)  # until the file is read
        value = resource.get("path")
        reason = unsafe_path(base, value)
        if reason:
            out.add(name, "unsafe_path", f"resource {name!r}: path {reason}",
                    file=desc_name, found=value, expected="a relative path inside the package")
            continue
        file = base / value
        out.files[name] = str(file)
        fmt = str(resource.get("format") or Path(value).suffix.lstrip(".")).lower()
        if fmt not in ("parquet", "csv"):
            out.add(name, "format", f"format {fmt!r} is not supported",
                    found=fmt, expected="parquet or csv")
            continue
        if not file.is_file():
            out.add(name, "file_missing", f"no such file", expected="a readable file")
            continue
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            out.add(name, "file_size", f"{size} bytes is more than the {MAX_FILE_BYTES} "
                    "bytes read at most", found=str(size), expected=f"<= {MAX_FILE_BYTES} bytes")
            continue
        recorded = resource.get("hash")
        if recorded is not None:
            match = _HASH.match(str(recorded))
            if not match:
                out.add(name, "hash", f"resource {name!r}: hash {recorded!r} is not "
                        "'sha256:<hex>'", file=desc_name, found=recorded, expected="sha256:<hex>")
            else:
                algorithm = match.group(1) or "md5"
                actual = file_hash(file, algorithm)
                if actual.lower() != match.group(2).lower():
                    out.add(name, "hash", f"{algorithm} is {actual}, the descriptor "
                            f"records {match.group(2)}; the file changed since it was recorded",
                            found=f"{algorithm}:{actual}", expected=str(recorded))
                    continue
        try:
            frames[name] = _read_csv(file) if fmt == "csv" else _read_parquet(file)
            out.failed.discard(name)
        except Exception as exc:  # a corrupt file is a finding, not a crash
            kind = "CSV" if fmt == "csv" else "Parquet"
            out.add(name, "file_readable", f"not a readable {kind} file: "
                    f"{type(exc).__name__}: {str(exc)[:200]}", expected=f"a readable {kind} file")
    return frames
