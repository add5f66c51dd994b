"""Write data packages: a copy's tables, an editable export, fresh hashes after a hand edit.

One writer serves the build (``data/*.parquet``), :func:`write_tables` and
:func:`export`: :func:`table_bytes` conforms a table to its declared types
(the validator's conformer: a value that is the same value in another
representation is accepted, anything else is an error, never coerced) and
serialises it deterministically with the package's Arrow schema, as Parquet
or as CSV.

The CSV flavour is UTF-8 without a byte-order mark, one header row, ``,``
between cells, ``"`` around text, ``\\n`` at the end of each line, dates as
``YYYY-MM-DD``, booleans as ``true``/``false`` and an empty cell for a
missing value. Its Table Schemas say so (``trueValues``, ``falseValues``,
``missingValues``), and each CSV resource declares its ``encoding`` and
``dialect``, so that frictionless, pandas, R and a spreadsheet read the same
values. An empty text cannot be told from a missing value in that flavour,
so a table holding one is refused rather than written as missing.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from usjapan_data import schema
from usjapan_data.descriptor import FORMATS, arrow_schema, datapackage, dumps, resource, table_schema

__all__ = ["WriteError", "export", "rehash", "table_bytes", "write_tables"]

Format = Literal["parquet", "csv"]

#: Problems listed in a WriteError's message; the rest are counted.
_SHOWN = 10
#: Files beside the data that make an export self-contained (from the installed package).
_DOCUMENTS = ("docs/codebook.md", "docs/coding-rules.md", "CITATION.cff", "LICENSE", "LICENSE-DATA")
_ALGORITHMS = ("md5", "sha1", "sha256", "sha512")


class WriteError(ValueError):
    """A table that cannot be written with the package's types, or a copy that cannot be rehashed."""


def _check_format(format: str) -> None:
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")


def _conformed(name: str, frame: Any, format: str) -> dict[str, Any]:
    """The table's columns in their declared dtypes; raise WriteError for anything that does not fit."""
    from usjapan_data.conform import conform_column, show
    from usjapan_data.validation import _to_pandas

    specs = schema.column_specs(schema.TABLES[name])
    try:
        frame = _to_pandas(frame)
    except TypeError as exc:
        raise WriteError(f"table {name!r}: {exc}") from None
    columns = [str(c) for c in frame.columns]
    names = [s.name for s in specs]
    wrong = [f"column {c!r} appears {columns.count(c)} times" for c in sorted(set(columns))
             if columns.count(c) > 1]
    wrong += [f"missing column {c!r}" for c in names if c not in columns]
    wrong += [f"unexpected column {c!r}" for c in dict.fromkeys(columns) if c not in names]
    if wrong:
        raise WriteError(f"table {name!r}: {'; '.join(wrong)}; the columns of {name} are "
                         f"{', '.join(names)}")
    problems: list[str] = []
    count = 0
    out: dict[str, Any] = {}
    for spec in specs:
        values, found = conform_column(frame[spec.name], spec)
        for problem in found:
            count += len(problem.rows)
            shown = problem.rows[: max(0, _SHOWN - len(problems))]
            for row, value in zip(shown.tolist(), problem.found(shown)):
                problems.append(f"row {row + 1}, column {spec.name!r}: found {value}, "
                                f"expected {problem.expected}")
        missing = values.isna().to_numpy()
        if not spec.nullable:
            original = frame[spec.name].reset_index(drop=True)
            bad = missing & original.isna().to_numpy()  # values that did not fit are reported above
            count += int(bad.sum())
            for row in bad.nonzero()[0][: max(0, _SHOWN - len(problems))].tolist():
                problems.append(f"row {row + 1}, column {spec.name!r}: found "
                                f"{show(original.iloc[row])}, expected a value (the column is required)")
        if format == "csv" and spec.kind == "text":
            empty = (values.str.len() == 0).to_numpy(dtype=bool, na_value=False)
            count += int(empty.sum())
            for row in empty.nonzero()[0][: max(0, _SHOWN - len(problems))].tolist():
                problems.append(f"row {row + 1}, column {spec.name!r}: found an empty text, "
                                "expected text or a missing value (in CSV an empty cell is missing)")
        out[spec.name] = values
    if problems:
        more = f"\n  … and {count - len(problems)} more" if count > len(problems) else ""
        raise WriteError(f"table {name!r} cannot be written with the package's types "
                         f"({count} problem(s)):\n  " + "\n  ".join(problems) + more)
    return out


def _arrow_table(name: str, columns: dict[str, Any]) -> pa.Table:
    target = arrow_schema(name)
    arrays = []
    for field in target:
        column = columns[field.name]
        if pa.types.is_date32(field.type):
            arrays.append(pa.array(column.dt.date.astype("object").where(column.notna(), None), pa.date32()))
        elif pa.types.is_dictionary(field.type):
            arrays.append(pa.array(column.astype("object").where(column.notna(), None), pa.string())
                          .dictionary_encode().cast(field.type))
        else:
            arrays.append(pa.array(column.astype("object").where(column.notna(), None), field.type))
    return pa.Table.from_arrays(arrays, schema=target)


def table_bytes(name: str, frame: Any, format: Format = "parquet") -> bytes:
    """Serialise one table, deterministically, with the package's types.

    Parameters
    ----------
    name : str
        A table of the dataset (:func:`usjapan_data.list_tables`).
    frame : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        The table, with exactly its declared columns. Values may come in
        another representation of the same value (an integer as ``3.0``, a
        date as a timestamp at midnight or as text ``YYYY-MM-DD``).
    format : {"parquet", "csv"}, default "parquet"

    Returns
    -------
    bytes
        The same table always gives the same bytes.

    Raises
    ------
    WriteError
        For missing, extra or repeated columns, and for values that are not
        of their column's type or vocabulary, or missing in a required
        column: the message names the table, row, column, what was found
        and what was expected.

    Examples
    --------
    >>> from usjapan_data import load_table
    >>> table_bytes("actor_members", load_table("actor_members"), "csv").splitlines()[0]
    b'"grouping_id","member_id"'
    """
    _check_format(format)
    if name not in schema.TABLES:
        raise WriteError(f"unknown table {name!r}; the tables are {', '.join(schema.TABLES)}")
    table = _arrow_table(name, _conformed(name, frame, format))
    sink = io.BytesIO()
    if format == "csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=True, delimiter=",", eol="\n",
                                                        null_string="", quoting_style="needed"))
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, sink, compression="zstd", compression_level=9,
                       write_statistics=False, store_schema=True)
    return sink.getvalue()


def _write_file(path: Path, data: bytes) -> None:
    """Write through a temporary file, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WriteError(f"{path}: not a readable JSON descriptor ({exc})") from None
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        raise WriteError(f"{path}: expected an object with a list of 'resources'")
    return descriptor


def _write(tables: Mapping[str, Any], folder: Path, format: Format, merge: bool) -> Path:
    _check_format(format)
    if not isinstance(tables, Mapping):
        raise TypeError(f"found a {type(tables).__name__}, expected a mapping of table name to "
                        "DataFrame or pyarrow Table")
    unknown = [str(n) for n in tables if n not in schema.TABLES]
    if unknown:
        raise WriteError(f"unknown table(s) {', '.join(map(repr, unknown))}; the tables are "
                         f"{', '.join(schema.TABLES)}")
    names = [n for n in schema.TABLES if n in tables]
    encoded = {name: table_bytes(name, tables[name], format) for name in names}  # all, or nothing written
    descriptor_file = folder / "datapackage.json"
    existing = _read_json(descriptor_file) if merge and descriptor_file.is_file() else None
    for name, data in encoded.items():
        _write_file(folder / "data" / f"{name}.{format}", data)
        _write_file(folder / "schemas" / f"{name}.json", dumps(table_schema(name, format)).encode())
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in encoded.items()}
    sizes = {name: len(data) for name, data in encoded.items()} if format == "csv" else None
    paths = {name: f"schemas/{name}.json" for name in names}
    descriptor = datapackage(hashes, format, sizes, paths)
    if existing is not None:  # the copy's own metadata and other resources stay
        fresh = {r["name"]: r for r in descriptor["resources"]}
        resources = [fresh.pop(r["name"]) if isinstance(r, dict) and r.get("name") in fresh else r
                     for r in existing["resources"]]
        descriptor = {**existing, "resources": resources + list(fresh.values())}
    _write_file(descriptor_file, dumps(descriptor).encode())
    return descriptor_file


def write_tables(tables: Mapping[str, Any], dir: str | os.PathLike[str],
                 format: Format = "parquet") -> Path:
    """Write a copy's tables as a data package, with the package's types and fresh hashes.

    Writes ``data/<table>.parquet`` (or ``.csv``), ``schemas/<table>.json``
    and ``datapackage.json`` in ``dir``. When ``dir`` already holds a
    ``datapackage.json`` (a copy made by :func:`export`), only the resources
    of the tables written are replaced; its other resources and metadata
    stay. Nothing is written when any table cannot be.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame, polars.DataFrame or pyarrow.Table
        Some or all of the dataset's tables, each with exactly its declared
        columns.
    dir : path-like
        The package folder (created if needed).
    format : {"parquet", "csv"}, default "parquet"

    Returns
    -------
    pathlib.Path
        The ``datapackage.json`` written, ready for
        :func:`usjapan_data.validate`.

    Raises
    ------
    WriteError
        For an unknown table, missing or extra columns, or a value that is
        not of its column's type (named by table, row and column, with what
        was found and expected); nothing is written.

    Examples
    --------
    >>> import tempfile, usjapan_data
    >>> tables = usjapan_data.load_tables()
    >>> tables["events"].loc[0, "title"] = "An edited title"
    >>> folder = tempfile.mkdtemp()
    >>> path = usjapan_data.write_tables(tables, folder, format="csv")
    >>> usjapan_data.validate(path).valid
    True
    """
    return _write(tables, Path(dir), format, merge=True)


def export(dir: str | os.PathLike[str], format: Format = "parquet", *, overwrite: bool = False) -> Path:
    """Export the installed data as a complete data package that you may edit.

    The folder gets ``datapackage.json`` (Data Package v2), the Table
    Schemas in ``schemas/``, the tables in ``data/`` (Parquet or CSV), the
    codebook and coding rules in ``docs/``, ``CITATION.cff``, ``LICENSE``
    (code) and ``LICENSE-DATA`` (data). It is valid for
    ``usjapan-data validate`` and ``frictionless validate``; after editing a
    file by hand, run :func:`rehash`.

    Parameters
    ----------
    dir : path-like
        A new or empty folder.
    format : {"parquet", "csv"}, default "parquet"
        The flavour of the data files. CSV is for R, spreadsheets and any
        tool without Parquet.
    overwrite : bool, default False
        Write into a folder that is not empty, replacing the files of an
        export (other files are left alone).

    Returns
    -------
    pathlib.Path
        The ``datapackage.json`` written.

    Raises
    ------
    FileExistsError
        When ``dir`` is a file, or a folder that is not empty and
        ``overwrite`` is false.

    Examples
    --------
    >>> import tempfile, usjapan_data
    >>> folder = tempfile.mkdtemp()
    >>> path = usjapan_data.export(folder, format="csv")
    >>> sorted(p.name for p in path.parent.iterdir())
    ['CITATION.cff', 'LICENSE', 'LICENSE-DATA', 'data', 'datapackage.json', 'docs', 'schemas']
    >>> usjapan_data.validate(path).valid
    True
    """
    from usjapan_data.loading import descriptor_path, load_tables

    _check_format(format)
    folder = Path(dir)
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder} is a file; expected a new or empty folder")
    if folder.is_dir() and any(folder.iterdir()) and not overwrite:
        raise FileExistsError(f"{folder} is not empty; choose a new or empty folder, or overwrite "
                              "the files of an export with overwrite=True (--overwrite)")
    folder.mkdir(parents=True, exist_ok=True)
    root = descriptor_path().parent
    missing = [rel for rel in _DOCUMENTS if not (root / rel).is_file()]
    if missing:
        raise FileNotFoundError(f"the installed package lacks {', '.join(missing)} in {root}; "
                                "reinstall usjapan-data")
    path = _write(load_tables(), folder, format, merge=False)
    for rel in _DOCUMENTS:
        _write_file(folder / rel, (root / rel).read_bytes())
    return path


def _descriptor_file(dir: str | os.PathLike[str]) -> Path:
    path = Path(dir)
    if path.is_dir():
        path = path / "datapackage.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; expected a datapackage.json or a folder "
                                "holding one")
    return path


def rehash(dir: str | os.PathLike[str]) -> list[str]:
    """Refresh the ``hash`` and ``bytes`` of every resource of a copy edited by hand.

    Each resource's file is hashed with the algorithm its ``hash`` names
    (sha256 when it names none). ``bytes`` is recorded for every file but a
    Parquet file whose resource has none (frictionless cannot count the
    bytes of Parquet). Only plain relative paths inside the package are
    read (:func:`usjapan_data.package.unsafe_path`); the descriptor is
    rewritten only when something changed.

    Parameters
    ----------
    dir : path-like
        The package folder, or its ``datapackage.json``.

    Returns
    -------
    list of str
        The names of the resources whose hash or size changed.

    Raises
    ------
    FileNotFoundError
        When there is no ``datapackage.json``, or a resource's file is missing.
    WriteError
        For an unreadable descriptor, a resource without a name, an unsafe
        path (outside the package, remote, hidden) or a file that is not a
        regular file.

    Examples
    --------
    >>> import tempfile, usjapan_data
    >>> path = usjapan_data.export(tempfile.mkdtemp(), format="csv")
    >>> events = path.parent / "data" / "events.csv"
    >>> text = events.read_text(encoding="utf-8")
    >>> _ = events.write_text(text.replace("Defense", "Defence", 1), encoding="utf-8")
    >>> usjapan_data.rehash(path.parent)
    ['events']
    >>> usjapan_data.validate(path).valid
    True
    """
    from usjapan_data.package import unsafe_path

    descriptor_file = _descriptor_file(dir)
    base = descriptor_file.parent
    descriptor = _read_json(descriptor_file)
    changed: list[str] = []
    for number, res in enumerate(descriptor["resources"], start=1):
        if not isinstance(res, dict) or not isinstance(res.get("name"), str):
            raise WriteError(f"{descriptor_file}: resource {number} has no name")
        name = res["name"]
        if "path" not in res:
            continue  # inline data: no file to hash
        reason = unsafe_path(base, res["path"])
        if reason:
            raise WriteError(f"resource {name!r}: path {reason}")
        file = base / res["path"]
        real, inside = Path(os.path.realpath(file)), Path(os.path.realpath(base))
        if not real.is_relative_to(inside) or any(p.startswith(".") for p in real.relative_to(inside).parts):
            raise WriteError(f"resource {name!r}: path {res['path']!r} leads outside the package "
                             "folder or to a hidden file")
        if not file.exists():
            raise FileNotFoundError(f"resource {name!r}: {file}: no such file")
        if not file.is_file():
            raise WriteError(f"resource {name!r}: {file} is not a regular file")
        recorded = str(res.get("hash", ""))
        algorithm = recorded.split(":", 1)[0].lower() if ":" in recorded else "sha256"
        algorithm = algorithm if algorithm in _ALGORITHMS else "sha256"
        digest, size = hashlib.new(algorithm), 0
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(2**20), b""):
                digest.update(chunk)
                size += len(chunk)
        before = (res.get("hash"), res.get("bytes"))
        res["hash"] = f"{algorithm}:{digest.hexdigest()}"
        fmt = str(res.get("format") or Path(res["path"]).suffix.lstrip(".")).lower()
        if fmt != "parquet" or "bytes" in res:
            res["bytes"] = size
        if (res.get("hash"), res.get("bytes")) != before:
            changed.append(name)
    if changed:
        _write_file(descriptor_file, dumps(descriptor).encode())
    return changed
