"""Read a data package from disk, treating its descriptor and files as untrusted.

A ``datapackage.json`` from elsewhere may point anywhere and its files may be
built to break the reader. What this module guarantees:

- Paths: only plain relative paths inside the package folder are read: no
  ``..``, no absolute paths, no URLs (nothing is ever fetched), no hidden
  files or folders, no control characters; the file actually opened must
  be a regular file inside the folder and not hidden (a symlink is judged
  by where it leads). Every resource is checked, known table or not.
- One read: each file is opened once, read into memory (at most
  :data:`~usjapan_data.limits.MAX_FILE_BYTES`), hashed, and parsed from those
  same bytes, so what is validated is what was hashed.
- Bounded memory: the Parquet footer (rows, columns, sizes) and the lengths
  that dictionaries expand to are checked against
  :mod:`usjapan_data.limits` before anything is decoded.
- Semantics: every descriptor property that changes how a file is read is
  honoured (``format``, ``encoding``, ``dialect``, ``hash``, ``bytes``; for
  CSV the Table Schema's ``missingValues``, ``trueValues`` and
  ``falseValues``, with the Table Schema defaults) or refused by name
  (``compression``, a remote ``schema``, ``$ref``, ``groupChar``, ...); a
  core table's declared ``schema`` must say what the package's own table
  definition says (a CSV file's ``missingValues`` aside: they are how it is
  read), and may add fields; an added table needs a ``schema`` (see
  :mod:`usjapan_data.extension`). A resource that is not a table is
  checked as a file (path, size, hash) and not parsed. Duplicate JSON keys
  and duplicate resource names are errors.
- A ``hash`` or ``bytes`` that does not match the bytes read is a finding,
  and those same bytes are still parsed and validated: an edited copy shows
  both that it changed and what is wrong in it.
- Errors, never exceptions: an operating-system error (permission denied,
  a symlink loop, a name too long), a corrupt file or a file over a limit
  is a finding with the table and file; the text of a file never appears in
  a message.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from usjapan_data import limits, schema
from usjapan_data.conform import usable_dictionary
from usjapan_data.extension import (Definition, Extension, SchemaProblem, core_definition,
                                    declare, is_table, split_core)
from usjapan_data.report import Findings

__all__ = ["read_package", "read_descriptor", "read_resources", "file_hash", "open_checked",
           "unsafe_path"]

_HASH = re.compile(r"^(?:(md5|sha1|sha256|sha512):)?([0-9a-fA-F]+)$")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_CONTROL = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
#: Resource properties that would change how a file is read, and are not supported.
_UNSUPPORTED = ("compression", "innerpath", "sheet", "layout", "control", "extrapaths", "data")
#: CSV dialect properties that are honoured (others are refused by name).
_DIALECT = {"delimiter", "quoteChar", "doubleQuote", "escapeChar", "header", "lineTerminator",
            "skipInitialSpace", "caseSensitiveHeader", "csvddfVersion", "nullSequence"}


class Refused(Exception):
    """A resource (or the descriptor) that is not read, and why."""

    def __init__(self, check: str, message: str, *, found: Any = None, expected: str | None = None,
                 in_descriptor: bool = False):
        super().__init__(message)
        self.check, self.message = check, message
        self.found, self.expected, self.in_descriptor = found, expected, in_descriptor


def file_hash(path: Path, algorithm: str = "sha256") -> str:
    """Hash a file in 1 MiB chunks and return the hex digest."""
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def unsafe_path(base: Path, value: object) -> str | None:
    """Return why a resource path is refused (looking at its text only), or None.

    Where the path leads is checked when the file is opened.

    Parameters
    ----------
    base : Path
        The package folder.
    value : object
        The resource's ``path`` as found in the descriptor.

    Examples
    --------
    >>> from pathlib import Path
    >>> unsafe_path(Path("."), "../secret.parquet")
    "'../secret.parquet' leaves the package folder"
    >>> unsafe_path(Path("."), "data/events.parquet") is None
    True
    """
    if isinstance(value, list):
        return "is a list of paths (a multipart resource), which is not supported"
    if not isinstance(value, str) or not value:
        return f"found {value!r}, expected a relative file path"
    if _CONTROL.search(value):
        return f"{value!r} holds a control character, a NUL or an unencodable character"
    if _URL.match(value) or value.startswith("//"):
        return f"{value!r} is a remote URL; validation reads local files only and fetches nothing"
    if value.startswith(("/", "\\")) or re.match(r"^[a-zA-Z]:", value):
        return f"{value!r} is an absolute path; expected a path inside the package"
    parts = PurePosixPath(value.replace("\\", "/")).parts
    if ".." in parts:
        return f"{value!r} leaves the package folder"
    if any(p.startswith(".") for p in parts):
        return f"{value!r} is a hidden file or folder"
    return None


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    if isinstance(exc, UnicodeError):
        return "the path is not valid text"
    if isinstance(exc, ValueError):
        return "the path holds a NUL byte"
    return type(exc).__name__


def _opened_path(fd: int, fallback: str) -> str:
    """The real path of an open file (Linux: what the descriptor points at)."""
    proc = f"/proc/self/fd/{fd}"
    try:
        return os.readlink(proc)
    except OSError:
        return os.path.realpath(fallback)


def _read_bytes(path: Path, limit: int, inside: Path | None, check_size: str) -> bytes:
    """Open ``path`` once and return its bytes; refuse anything but a small regular file.

    With ``inside``, the file actually opened must lie in that folder and not
    be hidden there (a symlink is judged by where it leads).
    """
    fd, info = open_checked(path, inside)
    try:
        if info.st_size > limit:
            raise Refused(check_size, f"is {info.st_size} bytes, more than the {limit} bytes "
                          "read at most", found=str(info.st_size), expected=f"at most {limit} bytes")
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, min(2**24, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise Refused(check_size, f"grew beyond the {limit} bytes read at most while read",
                              expected=f"at most {limit} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise Refused("file_readable", f"cannot be read: {_os_reason(exc)}",
                      expected="a readable file") from None
    finally:
        os.close(fd)


def open_checked(path: Path, inside: Path | None) -> tuple[int, os.stat_result]:
    """Open ``path`` for reading; return the descriptor and its ``fstat``, or raise Refused.

    Refuses anything but a regular file; with ``inside``, a file that is not
    in that folder or is hidden there (a symlink is judged by where it
    leads). The caller closes the descriptor.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
        | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise Refused("file_missing", "no such file", expected="a readable file") from None
    except (OSError, ValueError, UnicodeError) as exc:
        raise Refused("file_readable", f"cannot be opened: {_os_reason(exc)}",
                      expected="a readable file") from None
    try:
        info = os.fstat(fd)
        if inside is not None:
            real = Path(_opened_path(fd, str(path)))
            root = Path(os.path.realpath(inside))
            if not real.is_relative_to(root):
                raise Refused("unsafe_path", "leads outside the package folder",
                              expected="a file inside the package")
            if any(p.startswith(".") for p in real.relative_to(root).parts):
                raise Refused("unsafe_path", "leads to a hidden file or folder",
                              expected="a file that is not hidden")
        if not stat.S_ISREG(info.st_mode):
            raise Refused("file_readable", "is not a regular file (a folder, FIFO, device or socket)",
                          expected="a regular file")
        return fd, info
    except OSError as exc:
        os.close(fd)
        raise Refused("file_readable", f"cannot be read: {_os_reason(exc)}",
                      expected="a readable file") from None
    except BaseException:
        os.close(fd)
        raise


class _DuplicateKey(ValueError):
    pass


def _strict_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_json(data: bytes, what: str) -> Any:
    """Strict JSON: UTF-8 (a BOM allowed), no duplicate keys, no NaN/Infinity; never raises but Refused."""
    try:
        return json.loads(data.decode("utf-8-sig"), object_pairs_hook=_strict_pairs,
                          parse_constant=_no_constant)
    except _DuplicateKey as exc:
        raise Refused("descriptor", f"{what}: the key {exc.args[0]!r} appears twice in one object; "
                      "JSON readers disagree on which one counts", found=exc.args[0],
                      expected="each key once", in_descriptor=True) from None
    except UnicodeDecodeError as exc:
        raise Refused("descriptor", f"{what}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                      expected="UTF-8 JSON", in_descriptor=True) from None
    except RecursionError:
        raise Refused("descriptor", f"{what}: nested too deeply", expected="well-formed JSON",
                      in_descriptor=True) from None
    except ValueError as exc:
        raise Refused("descriptor", f"{what}: not well-formed JSON: {str(exc)[:200]}",
                      expected="well-formed JSON", in_descriptor=True) from None


# --------------------------------------------------------------------------
# Descriptor semantics
# --------------------------------------------------------------------------


@dataclass
class _Resource:
    name: str
    raw: dict[str, Any]
    format: str
    encoding: str
    csv: dict[str, Any]


def _encoding(resource: dict[str, Any], fmt: str) -> str:
    value = resource.get("encoding", "utf-8")
    try:
        name = codecs.lookup(str(value)).name
    except (LookupError, ValueError, UnicodeError):
        raise Refused("encoding", f"encoding {value!r} is not known", found=value,
                      expected="a text encoding such as utf-8", in_descriptor=True) from None
    if fmt == "parquet" and name not in ("utf-8", "utf-8-sig"):
        raise Refused("encoding", f"encoding {value!r} declared for a Parquet file, whose text "
                      "is UTF-8 by definition", found=value, expected="utf-8 or none",
                      in_descriptor=True)
    return name


def _char(dialect: dict[str, Any], key: str, default: str | bool) -> str | bool:
    value = dialect.get(key, default)
    if value is False and key in ("quoteChar", "escapeChar"):
        return False
    if not isinstance(value, str) or len(value) != 1 or value in "\r\n":
        raise Refused("dialect", f"dialect {key} {value!r} is not one character",
                      found=value, expected="one character", in_descriptor=True)
    return value


def _csv_dialect(resource: dict[str, Any]) -> dict[str, Any]:
    """pyarrow parse options for the declared CSV dialect; refuse what cannot be honoured."""
    dialect = resource.get("dialect", {})
    if not isinstance(dialect, dict):
        raise Refused("dialect", "a dialect given by path or URL is not read; give it inline",
                      found=dialect, expected="an inline dialect object", in_descriptor=True)
    unknown = sorted(set(dialect) - _DIALECT)
    if unknown:
        raise Refused("dialect", f"dialect property {unknown[0]!r} is not supported, so the file "
                      "would be read otherwise than declared", found=unknown[0],
                      expected=", ".join(sorted(_DIALECT)), in_descriptor=True)
    if dialect.get("header", True) is not True:
        raise Refused("dialect", "a CSV file without a header row is not supported",
                      found=dialect.get("header"), expected="header: true", in_descriptor=True)
    if dialect.get("skipInitialSpace", False) is not False:
        raise Refused("dialect", "skipInitialSpace is not supported", found="true",
                      expected="false", in_descriptor=True)
    if dialect.get("lineTerminator", "\r\n") not in ("\r\n", "\n", "\r"):
        raise Refused("dialect", "lineTerminator must be \\r\\n, \\n or \\r",
                      found=dialect.get("lineTerminator"), expected="\\r\\n, \\n or \\r",
                      in_descriptor=True)
    null = dialect.get("nullSequence", "")
    if not isinstance(null, str):
        raise Refused("dialect", "nullSequence must be text", found=null, expected="text",
                      in_descriptor=True)
    double = dialect.get("doubleQuote", True)
    if not isinstance(double, bool):
        raise Refused("dialect", "doubleQuote must be true or false", found=double,
                      expected="true or false", in_descriptor=True)
    return {
        "delimiter": _char(dialect, "delimiter", ","),
        "quote_char": _char(dialect, "quoteChar", '"'),
        "double_quote": double,
        "escape_char": _char(dialect, "escapeChar", False),
        "null": [null] if "nullSequence" in dialect else [],
    }


def _resource(resource: dict[str, Any]) -> _Resource:
    name = resource["name"]
    for key in _UNSUPPORTED:
        if key in resource and not (key == "compression" and resource[key] in (None, "no")):
            raise Refused("descriptor", f"property {key!r} is not supported, so the resource "
                          "would be read otherwise than declared", found=key,
                          expected="no " + key, in_descriptor=True)
    if resource.get("scheme", "file") != "file":
        raise Refused("unsafe_path", f"scheme {resource['scheme']!r}: only local files are read",
                      found=resource["scheme"], expected="file", in_descriptor=True)
    path = resource.get("path")
    suffix = PurePosixPath(path).suffix.lstrip(".") if isinstance(path, str) else ""
    fmt = str(resource.get("format") or suffix).lower()
    if fmt not in ("parquet", "csv"):
        raise Refused("format", f"format {fmt!r} is not supported", found=fmt,
                      expected="parquet or csv")
    return _Resource(name, resource, fmt, _encoding(resource, fmt),
                     _csv_dialect(resource) if fmt == "csv" else {})


#: The Table Schema's default spellings of booleans (datapackage.org/standard/table-schema/#boolean).
_TRUE_VALUES = ("true", "True", "TRUE", "1")
_FALSE_VALUES = ("false", "False", "FALSE", "0")
#: Field properties that change how text is read, with the only value honoured (None: absent).
_LEXICAL = {"decimalChar": ".", "groupChar": None, "bareNumber": True}


@dataclass
class _Reading:
    """How the cells of a CSV file are read, from its Table Schema."""

    missing: dict[str, list[str]]  # column -> the texts that mean missing
    default_missing: list[str]  # for columns the schema does not name
    booleans: dict[str, tuple[list[str], list[str]]]  # column -> (trueValues, falseValues)


def _texts(value: Any, what: str) -> list[str]:
    """A list of strings, or of objects with a string ``value`` (missingValues, Table Schema v2)."""
    if isinstance(value, list):
        texts = [v.get("value") if isinstance(v, dict) else v for v in value]
        if all(isinstance(t, str) for t in texts):
            return texts
    raise Refused("schema", f"{what} must be a list of strings", found=json.dumps(value)[:80],
                  expected="a list of strings", in_descriptor=True)


def _csv_reading(declared: Any, name: str) -> _Reading:
    """Missing values (schema- and field-level) and the spellings of booleans; refuse the rest by name.

    Without a declared schema, a table of the dataset is read with its own
    column types and the Table Schema defaults.
    """
    fields = declared.get("fields") if isinstance(declared, dict) else None
    if not isinstance(fields, list):
        model = schema.TABLES.get(name)
        fields = [{"name": s.name, "type": "boolean"} for s in schema.column_specs(model)
                  if s.kind == "boolean"] if model is not None else []
    default = _texts(declared.get("missingValues", [""]), "missingValues") \
        if isinstance(declared, dict) else [""]
    reading = _Reading({}, default, {})
    for field in fields:
        if not isinstance(field, dict) or not isinstance(field.get("name"), str):
            continue  # reported with the schema
        column, kind = field["name"], field.get("type", "any")
        reading.missing[column] = _texts(field["missingValues"], f"field {column!r}: missingValues") \
            if "missingValues" in field else default
        for prop, honoured in _LEXICAL.items():
            if kind in ("number", "integer") and field.get(prop, honoured) != honoured:
                raise Refused("schema", f"field {column!r}: {prop} {field[prop]!r} is not supported, "
                              "so the file would be read otherwise than declared", found=prop,
                              expected=f"no {prop}" if honoured is None else f"{prop} {honoured!r}",
                              in_descriptor=True)
        if kind in ("date", "datetime", "time") and field.get("format", "default") != "default":
            raise Refused("schema", f"field {column!r}: {kind} format {field['format']!r} is not "
                          "supported, so the file would be read otherwise than declared",
                          found=field["format"], expected="format default (ISO 8601)",
                          in_descriptor=True)
        if kind == "boolean":
            reading.booleans[column] = (
                _texts(field.get("trueValues", list(_TRUE_VALUES)), f"field {column!r}: trueValues"),
                _texts(field.get("falseValues", list(_FALSE_VALUES)), f"field {column!r}: falseValues"))
    return reading


def _semantics(declared: dict[str, Any]) -> dict[str, Any]:
    """What in a Table Schema changes validation: fields, types, constraints, keys."""
    fields = declared.get("fields")
    if not isinstance(fields, list) or not all(isinstance(f, dict) and "name" in f for f in fields):
        raise Refused("schema", "the schema has no list of named fields", expected="fields",
                      in_descriptor=True)
    def key(value: Any) -> str:
        return json.dumps(value, sort_keys=True)
    names = [f["name"] for f in fields]
    pk = declared.get("primaryKey", [])
    return {
        "fields": {f["name"]: (f.get("type", "any"), f.get("format", "default"),
                               key(f.get("constraints", {}))) for f in fields},
        "duplicates": sorted({str(n) for n in names if names.count(n) > 1}),
        "primaryKey": [pk] if isinstance(pk, str) else pk,
        "foreignKeys": sorted(key(fk) for fk in declared.get("foreignKeys", []))
        if isinstance(declared.get("foreignKeys", []), list) else key(declared.get("foreignKeys")),
        "missingValues": declared.get("missingValues", [""]),
    }


def _schema_differences(name: str, declared: dict[str, Any], fmt: str = "parquet") -> list[str]:
    """How the core part of a declared schema differs from the table's own Table Schema."""
    from usjapan_data.descriptor import table_schema

    own = table_schema(name)
    got, want = _semantics(declared), _semantics(own)
    out = [f"field {d!r} is declared twice" for d in got["duplicates"]]
    enums = {f["name"]: f.get("constraints", {}).get("enum") for f in own["fields"]}
    for field in want["fields"]:
        if field not in got["fields"]:
            out.append(f"field {field!r} is not declared")
        elif got["fields"][field] != want["fields"][field]:
            constraints = json.loads(got["fields"][field][2])
            if isinstance(constraints, dict) and constraints.get("enum") != enums[field]:
                out.append(f"field {field!r} declares another vocabulary (enum); the core "
                           "vocabularies are fixed: code new values in a column or table of "
                           "the copy's own")
            else:
                out.append(f"field {field!r} is declared with another type, format or constraints")
    compared = ("primaryKey", "foreignKeys") + (() if fmt == "csv" else ("missingValues",))
    out += [f"{k} differs" for k in compared if got[k] != want[k]]  # CSV reads its missingValues
    return out


def _declared_schema(res: _Resource, base: Path) -> Any:
    declared = res.raw["schema"]
    if isinstance(declared, str):
        reason = unsafe_path(base, declared)
        if reason:
            raise Refused("schema", f"schema path {reason}", found=declared,
                          expected="an inline Table Schema or a path in the package",
                          in_descriptor=True)
        try:
            data = _read_bytes(base / declared, limits.MAX_DESCRIPTOR_BYTES, base, "descriptor_size")
        except Refused as exc:
            raise Refused("schema", f"schema {declared!r}: {exc.message}", found=declared,
                          expected=exc.expected, in_descriptor=True) from None
        declared = _parse_json(data, f"schema {declared!r}")
    return declared


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------


class _Budget:
    """Decoded bytes left for the package (:data:`~usjapan_data.limits.MAX_DECODED_BYTES`)."""

    def __init__(self) -> None:
        self.left = limits.MAX_DECODED_BYTES

    def spend(self, size: int, what: str) -> None:
        if size > self.left:
            raise Refused("decoded_size", f"{what} decodes to {size} bytes; with the tables "
                          f"before it, more than the {limits.MAX_DECODED_BYTES} bytes a package "
                          "may decode to", found=str(size),
                          expected=f"at most {limits.MAX_DECODED_BYTES} decoded bytes in all")
        self.left -= size


def _rows_ok(rows: int, what: str) -> None:
    if rows < 0 or rows > limits.MAX_ROWS:
        raise Refused("row_count", f"{what} declares {rows} rows; at most {limits.MAX_ROWS} "
                      "are read", found=str(rows), expected=f"at most {limits.MAX_ROWS} rows")


def _is_bytes(kind: pa.DataType) -> bool:
    return (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind))


def _flat(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return _flat(kind.value_type)
    return not pa.types.is_nested(kind) and not isinstance(kind, pa.ExtensionType)


def _decoded_size(table: pa.Table, kept_dictionary: set[str]) -> int:
    """8 bytes per cell plus every text value's length, as it will be held once decoded.

    A dictionary column counts the length of the value of each row, computed
    from the dictionary and the indices without decoding; one that stays a
    dictionary (a vocabulary) counts its dictionary once per chunk.
    """
    size = 8 * table.num_rows * table.num_columns
    for name, column in zip(table.column_names, table.columns):
        for chunk in column.chunks:
            if pa.types.is_dictionary(chunk.type):
                if not _is_bytes(chunk.type.value_type):
                    continue
                lengths = pc.binary_length(chunk.dictionary)
                if name in kept_dictionary:
                    size += int(pc.sum(lengths).as_py() or 0)
                else:
                    size += int(pc.sum(pc.take(lengths, chunk.indices)).as_py() or 0)
            elif _is_bytes(chunk.type):
                size += int(pc.sum(pc.binary_length(chunk)).as_py() or 0)
    return size


def arrow_owned(data: bytes) -> pa.Buffer:
    """The bytes copied into Arrow's memory, for pyarrow readers that use threads.

    pyarrow's worker threads may drop the last reference to a buffer while the
    interpreter shuts down; a buffer wrapping a Python object then needs the
    GIL there, which aborts the process ("terminate called without an active
    exception", one exit in about fifteen). A buffer of Arrow's memory needs
    no GIL.
    """
    owned = pa.allocate_buffer(len(data))
    pa.FixedSizeBufferWriter(owned).write(data)
    return owned


def _read_parquet(data: bytes, columns: dict[str, str] | None, budget: _Budget,
                  out: Findings, name: str) -> pa.Table:
    """Parse Parquet bytes within the limits; ``columns`` maps the wanted columns to their kind."""
    import pyarrow.parquet as pq

    owned = arrow_owned(data)

    def open_file(read_dictionary: list[str] | None = None) -> Any:
        return pq.ParquetFile(pa.BufferReader(owned), read_dictionary=read_dictionary)

    footer = open_file()
    meta = footer.metadata
    if meta.num_columns > limits.MAX_COLUMNS:
        raise Refused("column_count", f"the file has {meta.num_columns} columns; at most "
                      f"{limits.MAX_COLUMNS} are read", found=str(meta.num_columns),
                      expected=f"at most {limits.MAX_COLUMNS} columns")
    _rows_ok(meta.num_rows, "the footer")
    groups = [meta.row_group(i) for i in range(meta.num_row_groups)]
    for group in groups:
        _rows_ok(group.num_rows, "a row group")
    if sum(g.num_rows for g in groups) != meta.num_rows:
        raise Refused("row_count", f"the footer declares {meta.num_rows} rows, its row groups "
                      f"{sum(g.num_rows for g in groups)}", found=str(meta.num_rows),
                      expected="a footer that agrees with its row groups")
    stored = sum(max(g.column(j).total_uncompressed_size, 0) for g in groups
                 for j in range(g.num_columns))
    budget.spend(stored, "the file's pages")
    budget.left += stored  # only a first bound; the decoded size is counted below
    arrow = footer.schema_arrow
    names = arrow.names
    for column in dict.fromkeys(names) if columns is not None else ():
        if column not in columns:  # a pandas index stored as a column among them
            out.add(name, "column_unexpected", f"unexpected column {column!r}; the columns of "
                    f"{name} are {', '.join(columns)} (a copy that adds a column declares it in "
                    "the table's schema)", column=column, found=column, expected="no such column")
    wanted = [n for n in (columns if columns is not None else names)
              if names.count(n) == 1]
    for column in sorted({n for n in names if names.count(n) > 1}):
        out.add(name, "column_duplicate", f"column {column!r} appears {names.count(column)} "
                "times in the file", column=column, found=column, expected="each column once")
        out.reported_columns.add((name, column))
    readable = []
    for column in wanted:
        kind = arrow.field(column).type
        if _flat(kind):
            readable.append(column)
        elif columns is not None:
            out.add(name, "type", f"{name}.{column}: found a column of {kind}, expected "
                    "a column of single values", column=column, found=str(kind),
                    expected="single values")
            out.reported_columns.add((name, column))
    dictionary = [c for c in readable if _is_bytes(arrow.field(c).type)
                  or pa.types.is_dictionary(arrow.field(c).type)]
    reader = open_file(dictionary)
    keep_dictionary = {c for c in readable if columns is not None and columns.get(c) == "category"}
    pieces = []
    for i, group in enumerate(groups):
        piece = reader.read_row_group(i, columns=readable, use_pandas_metadata=False)
        if piece.num_rows != group.num_rows:
            raise Refused("row_count", f"row group {i + 1} declares {group.num_rows} rows and "
                          f"holds {piece.num_rows}", found=str(piece.num_rows),
                          expected=str(group.num_rows))
        budget.spend(_decoded_size(piece, keep_dictionary), "the table")
        pieces.append(piece)
    if pieces:
        table = pa.concat_tables(pieces)
    else:
        table = pa.schema([arrow.field(c) for c in readable]).empty_table()
    if table.num_rows != meta.num_rows:
        raise Refused("row_count", f"the footer declares {meta.num_rows} rows, the file holds "
                      f"{table.num_rows}", found=str(table.num_rows), expected=str(meta.num_rows))
    # decode the dictionaries read only to bound their size: text stays text
    decoded = []
    for field, column in zip(table.schema, table.columns):
        kind = column.type
        if pa.types.is_dictionary(kind) and not (
                field.name in keep_dictionary and all(usable_dictionary(c) for c in column.chunks)):
            column = column.cast(kind.value_type)
        decoded.append(column)
    if not decoded:
        return table  # no column of the table: its rows still count
    return pa.table(decoded, schema=pa.schema(
        [pa.field(f.name, c.type, metadata=f.metadata) for f, c in zip(table.schema, decoded)]))


def _read_csv(data: bytes, res: _Resource, budget: _Budget) -> tuple[pa.Table, np.ndarray]:
    """Parse CSV bytes with the declared dialect and encoding, every cell as its text.

    Returns the table and the physical line (1-based) where each data row starts.
    Missing values and booleans are read afterwards, by :func:`_read_cells`.
    """
    import pyarrow.csv as pacsv

    options = res.csv
    read = pacsv.ReadOptions(use_threads=False, encoding=res.encoding,
                             block_size=max(2**20, min(len(data) + 1, 2**26)))
    parse = pacsv.ParseOptions(delimiter=options["delimiter"], quote_char=options["quote_char"],
                               double_quote=options["double_quote"], escape_char=options["escape_char"],
                               newlines_in_values=True)
    names = pacsv.open_csv(pa.BufferReader(data), read_options=read, parse_options=parse).schema.names
    if len(names) > limits.MAX_COLUMNS:
        raise Refused("column_count", f"the header has {len(names)} columns; at most "
                      f"{limits.MAX_COLUMNS} are read", found=str(len(names)),
                      expected=f"at most {limits.MAX_COLUMNS} columns")
    table = pacsv.read_csv(
        pa.BufferReader(data), read_options=read, parse_options=parse,
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, null_values=[],
            strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    _rows_ok(table.num_rows, "the file")
    budget.spend(_decoded_size(table, set()), "the table")
    return table, _csv_lines(data, table, names, res)


def _csv_lines(data: bytes, table: pa.Table, names: list[str], res: _Resource) -> np.ndarray:
    """The physical line where each data row starts, counting the newlines inside fields."""
    per_row = np.ones(table.num_rows, dtype=np.int64)
    for column in table.columns:
        per_row += pc.fill_null(pc.count_substring(column, "\n"), 0).to_numpy(
            zero_copy_only=False).astype(np.int64)
    header = 1 + sum(n.count("\n") for n in names)
    starts = header + 1 + np.concatenate([[0], np.cumsum(per_row)[:-1]]) if len(per_row) else per_row
    text_newlines = data.count(b"\n") if res.encoding in ("utf-8", "utf-8-sig") else None
    last = int(starts[-1] + per_row[-1] - 1) if len(per_row) else header
    if text_newlines is not None and text_newlines in (last, last - 1):
        return starts
    # blank lines or other line ends: count the lines as Python's csv module reads them
    import csv
    import io

    opts = res.csv
    reader = csv.reader(io.StringIO(data.decode(res.encoding, errors="replace"), newline=""),
                        delimiter=opts["delimiter"], quotechar=opts["quote_char"] or None,
                        doublequote=opts["double_quote"], escapechar=opts["escape_char"] or None,
                        quoting=csv.QUOTE_MINIMAL if opts["quote_char"] else csv.QUOTE_NONE)
    lines, previous = [], 0
    try:
        for record in reader:
            if record:
                lines.append(previous + 1)
            previous = reader.line_num
    except csv.Error:
        return starts
    lines = np.asarray(lines[1:], dtype=np.int64)
    return lines if len(lines) == table.num_rows else starts


def _read_cells(table: pa.Table, reading: _Reading, res: _Resource, name: str,
                out: Findings) -> pa.Table:
    """Read the cells' text as the Table Schema says: missing values become null, booleans true/false.

    A boolean cell that is none of its field's trueValues and falseValues is
    reported here (the validator skips the cell) and left missing.
    """
    columns = []
    for column_name, column in zip(table.column_names, table.columns):
        missing = reading.missing.get(column_name, reading.default_missing) + res.csv["null"]
        if missing:
            nulls = pc.is_in(column, value_set=pa.array(missing, pa.string()))
            column = pc.if_else(nulls, pa.scalar(None, pa.string()), column)
        if column_name in reading.booleans:
            true, false = reading.booleans[column_name]
            is_true = pc.is_in(column, value_set=pa.array(true, pa.string()))
            is_false = pc.is_in(column, value_set=pa.array(false, pa.string()))
            bad = pc.and_(pc.is_valid(column), pc.invert(pc.or_(is_true, is_false)))
            rows = np.flatnonzero(bad.to_numpy(zero_copy_only=False))
            if len(rows):
                raw = column
                expected = (f"true or false, written {' or '.join(map(repr, true))} (true), "
                            f"{' or '.join(map(repr, false))} (false)")
                out.add_rows(name, "type", rows, column_name,
                             lambda kept, c=raw: [str(v) for v in c.take(pa.array(kept)).to_pylist()],
                             expected, f"{name}.{column_name} has a value of the wrong type")
                cells = out.reported_cells.setdefault((name, column_name),
                                                       np.zeros(table.num_rows, dtype=bool))
                cells[rows] = True
            column = pc.if_else(is_true, pa.scalar("true"),
                                pc.if_else(is_false, pa.scalar("false"), pa.scalar(None, pa.string())))
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


# --------------------------------------------------------------------------
# The package
# --------------------------------------------------------------------------


def read_descriptor(path: Path, out: Findings) -> tuple[Path, dict[str, Any]] | None:
    """Read a ``datapackage.json`` (or the one in a folder); None, with a finding, if unusable."""
    name = str(path)
    try:
        if path.is_dir():
            path = path / "datapackage.json"
            name = str(path)
        data = _read_bytes(path, limits.MAX_DESCRIPTOR_BYTES, None, "descriptor_size")
        descriptor = _parse_json(data, name)
    except (OSError, ValueError, UnicodeError) as exc:
        out.add(None, "descriptor", f"{name}: {_os_reason(exc)}", file=name,
                expected="a datapackage.json or a folder holding one")
        return None
    except Refused as exc:
        message = exc.message if exc.message.startswith(name) else f"{name}: {exc.message}"
        if exc.check == "file_missing":
            message = f"{name}: no such file; expected a datapackage.json or a folder holding one"
        out.add(None, "descriptor" if exc.check in ("file_missing", "file_readable") else exc.check,
                message, file=name, found=exc.found, expected=exc.expected or "a datapackage.json")
        return None
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        out.add(None, "descriptor", f"{name}: expected an object with a list of 'resources'",
                file=name, found=type(descriptor).__name__, expected="an object with resources")
        return None
    return path, descriptor


def _named_resources(descriptor: dict[str, Any], desc_name: str,
                     out: Findings) -> dict[str, dict[str, Any]]:
    by_name: dict[str, dict[str, Any]] = {}
    numbers: dict[str, list[int]] = {}
    for number, resource in enumerate(descriptor["resources"], start=1):
        if not isinstance(resource, dict) or not isinstance(resource.get("name"), str):
            out.add(None, "descriptor", f"resource {number} has no name", file=desc_name,
                    found=repr(resource)[:80], expected="an object with a name")
            continue
        numbers.setdefault(resource["name"], []).append(number)
        by_name.setdefault(resource["name"], resource)
    for name, found in numbers.items():
        if len(found) > 1:
            out.add(name, "descriptor", f"resources {', '.join(map(str, found))} are all named "
                    f"{name!r}; which one is the table is ambiguous", file=desc_name,
                    found=f"{len(found)} resources", expected="each name once")
            del by_name[name]
            out.failed.add(name)
    return by_name


def _describe(exc: BaseException) -> str:
    """An exception of a parser, without the text of the file it may quote."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    ragged = re.search(r"(Row #\d+: Expected \d+ columns, got \d+)", text)
    if ragged:  # pyarrow goes on to quote the row
        text = ragged.group(1)
    return f"{type(exc).__name__}: {text[:160]}"


def read_package(path: Path, out: Findings, extension: Extension | None = None,
                 read: Any = None) -> dict[str, pa.Table] | None:
    """Read every table of a package, reporting descriptor and file problems to ``out``.

    Parameters
    ----------
    path : Path
        A ``datapackage.json`` or a folder holding one.
    out : Findings
        Where problems go.
    extension : Extension, optional
        Filled with what the copy adds: its added tables, the definitions of
        those and of the core tables with declared extra columns (see
        :mod:`usjapan_data.extension`).

    Returns
    -------
    dict of str to pyarrow.Table, or None
        The core tables that could be read, each parsed from the bytes that
        were hashed (None when the descriptor itself is unusable). A hash or
        ``bytes`` that does not match is a finding; the table is still read.
        Other resources are checked (path, file, hash, parsing within the
        limits) but returned only through ``extension``. ``read`` replaces the
        reader of one resource (:mod:`usjapan_data.streaming` reads Parquet
        files in place); it takes the arguments of ``_read_resource``.
    """
    found = read_descriptor(Path(path), out)
    if found is None:
        return None
    return read_resources(*found, out, extension=extension, read=read)


def read_resources(descriptor_file: Path, descriptor: dict[str, Any], out: Findings, *,
                   extension: Extension | None = None, as_declared: bool = False,
                   read: Any = None) -> dict[str, pa.Table]:
    """Read the resources of a descriptor read by :func:`read_descriptor` (see :func:`read_package`).

    With ``as_declared``, every resource is read as its own descriptor
    declares it and returned, dataset table or not, with all its columns,
    and its schema is not compared with the table definitions (for
    :mod:`usjapan_data.comparison`, which compares two packages' own schemas);
    resources that are not tables are checked as files and not returned.
    """
    base, desc_name = descriptor_file.parent, str(descriptor_file)
    extension = Extension() if extension is None else extension
    extension.resources = {r["name"] for r in descriptor["resources"]
                           if isinstance(r, dict) and isinstance(r.get("name"), str)}
    tables: dict[str, pa.Table] = {}
    budget = _Budget()
    for name, resource in _named_resources(descriptor, desc_name, out).items():
        known = name in schema.TABLES or as_declared
        out.failed.add(name)  # until the file is read
        try:
            table = (read or _read_resource)(name, resource, base, budget, out, extension,
                                             desc_name, as_declared)
        except Refused as exc:
            where = {"file": desc_name} if exc.in_descriptor else {}
            out.add(name, exc.check, f"resource {name!r}: {exc.message}" if exc.in_descriptor
                    else exc.message, found=exc.found, expected=exc.expected, **where)
            extension.definitions.pop(name, None)
            continue
        except Exception as exc:  # a corrupt file is a finding, not a crash
            kind = "CSV" if str(resource.get("format", "")).lower() == "csv" else "Parquet"
            out.add(name, "file_readable", f"not a readable {kind} file: {_describe(exc)}",
                    expected=f"a readable {kind} file")
            extension.definitions.pop(name, None)
            continue
        out.failed.discard(name)
        if known and table is not None:
            tables[name] = table
        elif table is not None:
            extension.tables[name] = table
    _resolve_keys(extension, out, desc_name)
    return tables


def _resolve_keys(extension: Extension, out: Findings, desc_name: str) -> None:
    """Keep the declared foreign keys that point at a resource and fields the package has."""
    def fields(name: str) -> set[str] | None:
        if name in extension.definitions:
            return {s.name for s in extension.definitions[name].specs}
        if name in schema.TABLES:
            return set(schema.columns(schema.TABLES[name]))
        return None  # a resource refused or without a schema: reported already

    for name, definition in extension.definitions.items():
        kept = []
        for fk in definition.foreign_keys:
            ref = fk["reference"]
            target = fields(ref["resource"])
            what = f"resource {name!r}: foreign key ({', '.join(fk['fields'])}) refers to"
            if ref["resource"] not in extension.resources:
                out.add(name, "schema", f"{what} resource {ref['resource']!r}, which the package "
                        "does not have", file=desc_name, found=ref["resource"],
                        expected="the name of a resource of the package")
            elif target is not None and not set(ref["fields"]) <= target:
                absent = sorted(set(ref["fields"]) - target)
                out.add(name, "schema", f"{what} {ref['resource']}.{absent[0]}, which is not a "
                        f"field of {ref['resource']}", file=desc_name, found=absent[0],
                        expected=f"fields of {ref['resource']}")
            else:
                kept.append(fk)
        definition.foreign_keys = kept


def _integrity(name: str, resource: dict[str, Any], data: bytes, out: Findings,
               desc_name: str, size: int | None = None,
               digest: Callable[[str], str] | None = None) -> None:
    """Report a ``bytes`` or ``hash`` that does not match the bytes read (reading goes on).

    ``size`` and ``digest`` (algorithm name to hex digest) stand for ``data``
    when a file is hashed without being held in memory (the streaming engine).
    """
    size = len(data) if size is None else size
    if "bytes" in resource and resource["bytes"] != size:
        out.add(name, "bytes", f"the file has {size} bytes, the descriptor records "
                f"{resource['bytes']!r}; the file changed since it was recorded (its content "
                "is validated as it is)", found=str(size), expected=str(resource["bytes"]))
    recorded = resource.get("hash")
    if recorded is None:
        return
    match = _HASH.match(str(recorded))
    if not match:
        out.add(name, "hash", f"resource {name!r}: hash {recorded!r} is not '<algorithm>:<hex>'",
                found=recorded, expected="sha256:<hex>", file=desc_name)
        return
    algorithm = match.group(1) or "md5"
    actual = digest(algorithm) if digest is not None else hashlib.new(algorithm, data).hexdigest()
    if actual != match.group(2).lower():
        out.add(name, "hash", f"{algorithm} is {actual}, the descriptor records {match.group(2)}; "
                "the file changed since it was recorded (its content is validated as it is; "
                "`usjapan-data rehash` records the new hash)",
                found=f"{algorithm}:{actual}", expected=str(recorded))


def _definition(name: str, declared: Any, fmt: str) -> Definition | None:
    """What a table's declared schema asks beyond the core (None: nothing), or Refused."""
    if not isinstance(declared, dict):
        raise Refused("schema", "the schema is neither an object nor a path", found=declared,
                      expected="a Table Schema", in_descriptor=True)
    if "$ref" in declared:
        raise Refused("schema", "a schema by reference ($ref) is not followed", found="$ref",
                      expected="an inline Table Schema or a path in the package",
                      in_descriptor=True)
    core, extra = split_core(name, declared) if name in schema.TABLES else (None, declared)
    if core is not None:
        differences = _schema_differences(name, core, fmt)
        if differences:
            raise Refused("schema", "its schema differs from the table definition of "
                          f"usjapan-data, which validation applies: {'; '.join(differences[:3])}"
                          + (f" (and {len(differences) - 3} more)" if len(differences) > 3 else ""),
                          found=differences[0], expected="the table's own Table Schema, "
                          "with extra fields declared after it if the copy adds columns",
                          in_descriptor=True)
    if extra is None:
        return None
    try:
        added = declare(name, extra)
    except SchemaProblem as exc:
        raise Refused("schema", str(exc), found=str(exc)[:80], expected="a Table Schema whose "
                      "every declaration can be checked", in_descriptor=True) from None
    return core_definition(name, added) if core is not None else added


def _read_resource(name: str, resource: dict[str, Any], base: Path, budget: _Budget,
                   out: Findings, extension: Extension, desc_name: str,
                   as_declared: bool = False) -> pa.Table | None:
    value = resource.get("path")
    reason = unsafe_path(base, value)
    if reason:
        raise Refused("unsafe_path", f"path {reason}", found=value,
                      expected="a relative path inside the package", in_descriptor=True)
    known = name in schema.TABLES and not as_declared
    if name not in schema.TABLES and not is_table(resource):  # a file (a codebook): not parsed
        file = base / value
        out.files[name] = str(file)
        _integrity(name, resource, _read_bytes(file, limits.MAX_FILE_BYTES, base, "file_size"),
                   out, desc_name)
        return None
    res = _resource(resource)
    declared = None
    if "schema" in resource:
        declared = _declared_schema(res, base)
        if as_declared:  # read as the copy declares it, not compared with the definitions
            if isinstance(declared, dict) and "$ref" in declared:
                raise Refused("schema", "a schema by reference ($ref) is not followed",
                              found="$ref", expected="an inline Table Schema or a path in the "
                              "package", in_descriptor=True)
        else:
            definition = _definition(name, declared, res.format)
            if definition is not None:
                extension.definitions[name] = definition
    elif not known and not as_declared:
        raise Refused("schema", "a table the descriptor gives no Table Schema; an added table "
                      "is validated against its declared schema, so it needs one",
                      expected="a schema with the table's fields", in_descriptor=True)
    definition = extension.definitions.get(name)
    file = base / value
    out.files[name] = str(file)
    data = _read_bytes(file, limits.MAX_FILE_BYTES, base, "file_size")
    _integrity(name, resource, data, out, desc_name)
    if res.format == "csv":
        reading = _csv_reading(declared, name)
        table, lines = _read_csv(data, res, budget)
        out.lines[name] = lines
        return _read_cells(table, reading, res, name, out)
    if as_declared:
        return _read_parquet(data, None, budget, out, name)
    specs = definition.specs if definition is not None else schema.column_specs(schema.TABLES[name])
    return _read_parquet(data, {s.name: s.kind for s in specs}, budget, out, name)
