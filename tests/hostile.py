"""Building broken and hostile packages for the corpus and the fuzzing tests.

Every helper starts from a copy of the shipped package (its datapackage.json
and Parquet files) and changes one thing.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from usjapan_data import descriptor_path, load_tables

TABLES = load_tables()
ARROW = {name: pq.read_table(descriptor_path().parent / "data" / f"{name}.parquet")
         for name in TABLES}


def copy_package(target: Path) -> Path:
    """Copy the shipped descriptor and Parquet files to ``target``."""
    source = descriptor_path().parent
    shutil.copytree(source / "data", target / "data")
    shutil.copy2(source / "datapackage.json", target / "datapackage.json")
    return target


def read_descriptor(package: Path) -> dict:
    return json.loads((package / "datapackage.json").read_text(encoding="utf-8"))


def write_descriptor(package: Path, descriptor: dict) -> None:
    (package / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


def resource(descriptor: dict, name: str) -> dict:
    return next(r for r in descriptor["resources"] if r["name"] == name)


def rehash(package: Path) -> None:
    """Record each file's current sha256, as a researcher regenerating hashes would."""
    descriptor = read_descriptor(package)
    for res in descriptor["resources"]:
        path = package / res["path"] if isinstance(res.get("path"), str) else None
        if path is not None and path.is_file() and not path.is_symlink():
            res["hash"] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    write_descriptor(package, descriptor)


def write_arrow(package: Path, name: str, table: pa.Table, **options) -> None:
    """Write a (possibly broken) table as Parquet with plain pyarrow, then rehash."""
    pq.write_table(table, package / "data" / f"{name}.parquet", **options)
    rehash(package)


def write_bytes(package: Path, name: str, data: bytes) -> None:
    (package / "data" / f"{name}.parquet").write_bytes(data)
    rehash(package)


def parquet_bytes(table: pa.Table, **options) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, **options)
    return buffer.getvalue()


def frame_to_arrow(frame: pd.DataFrame, preserve_index: bool = False) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=preserve_index)


def edit_table(name: str, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    def apply(package: Path) -> None:
        write_arrow(package, name, frame_to_arrow(edit(TABLES[name].copy())))

    return apply


def edit_arrow(name: str, edit: Callable[[pa.Table], pa.Table], **options) -> Callable[[Path], None]:
    def apply(package: Path) -> None:
        write_arrow(package, name, edit(ARROW[name]), **options)

    return apply


def edit_descriptor(edit: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(package: Path) -> None:
        descriptor = read_descriptor(package)
        edit(descriptor)
        write_descriptor(package, descriptor)

    return apply


def set_cell(column: str, value, row: int = 0, dtype=None) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        if dtype is not None:
            frame[column] = frame[column].astype(dtype)
        frame.loc[row, column] = value
        return frame

    return edit


def replace_column(table: pa.Table, column: str, values: pa.Array) -> pa.Table:
    index = table.schema.get_field_index(column)
    return table.set_column(index, pa.field(column, values.type), values)


def with_value(table: pa.Table, column: str, row: int, value, kind: pa.DataType) -> pa.Table:
    """The table with one cell replaced, the column retyped to ``kind``."""
    values = table.column(column).to_pylist()
    values[row] = value
    return replace_column(table, column, pa.array(values, kind))


def invalid_utf8(values: list[bytes | None]) -> pa.Array:
    """A string array holding the given bytes, valid UTF-8 or not."""
    binary = pa.array(values, pa.binary())
    return pa.Array.from_buffers(pa.string(), len(binary), binary.buffers(), binary.null_count)


def first_row(table: str, query: Callable[[pd.DataFrame], pd.Series]) -> int:
    frame = TABLES[table]
    return int(frame.index[query(frame)][0])


# --------------------------------------------------------------------------
# Parquet footers (Thrift compact protocol), patched in place
# --------------------------------------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def patch_row_count(data: bytes, old: int, new: int, where: str = "file") -> bytes:
    """Make the footer declare ``new`` rows instead of ``old``, for the file or its row group.

    The file's num_rows is the first i64 field holding ``old`` (field delta 1,
    zigzag varint) in the footer; the row group's the last.
    """
    size = struct.unpack("<I", data[-8:-4])[0]
    footer = data[-8 - size:-8]
    pattern = b"\x16" + _varint(2 * old)
    at = footer.index(pattern) if where == "file" else footer.rindex(pattern)
    footer = footer[:at] + b"\x16" + _varint(2 * new) + footer[at + len(pattern):]
    return data[:-8 - size] + footer + struct.pack("<I", len(footer)) + b"PAR1"


# --------------------------------------------------------------------------
# CSV copies
# --------------------------------------------------------------------------


def csv_text(frame: pd.DataFrame, **options) -> str:
    out = frame.copy()
    for column in out.columns:
        if str(out[column].dtype).startswith("datetime"):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
        elif str(out[column].dtype) == "boolean":
            out[column] = out[column].map({True: "true", False: "false"}).astype("object")
    return out.to_csv(index=False, **options)


def csv_copy(package: Path, edit: Callable[[Path], None] | None = None, *,
             tables: dict[str, pd.DataFrame] | None = None, encoding: str = "utf-8",
             dialect: dict | None = None, **options) -> None:
    """Turn the package into CSV resources (optionally with a dialect or encoding)."""
    descriptor = read_descriptor(package)
    for res in descriptor["resources"]:
        frame = (tables or TABLES)[res["name"]]
        path = package / "data" / f"{res['name']}.csv"
        path.write_bytes(csv_text(frame, **options).encode(encoding))
        (package / "data" / f"{res['name']}.parquet").unlink()
        res.update(path=f"data/{res['name']}.csv", format="csv")
        if encoding != "utf-8":
            res["encoding"] = encoding
        if dialect:
            res["dialect"] = dialect
        res.pop("hash", None)
    write_descriptor(package, descriptor)
    if edit:
        edit(package)


def edit_csv(name: str, edit: Callable[[str], str]) -> Callable[[Path], None]:
    def apply(package: Path) -> None:
        path = package / "data" / f"{name}.csv"
        path.write_bytes(edit(path.read_bytes().decode("utf-8")).encode("utf-8"))

    return apply
