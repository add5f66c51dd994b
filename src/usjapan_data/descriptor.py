"""Generate, from the table definitions, the Arrow schemas, Table Schemas and datapackage.json.

pandera has no export to a Frictionless Table Schema (pandera #1826), so this
module writes one from each model: every column's type, description,
categories (each allowed value with its meaning as label, Table Schema v2),
required/unique/enum/pattern/range constraints, the primary key and the
foreign keys. The links from ``evidence`` and ``record_actors`` to whichever
record table their ``record_table`` column names cannot be expressed as a
Frictionless foreign key; :mod:`usjapan_data.validation` checks them.

The descriptor follows Data Package v2 (``$schema``, ``type: table``,
``created``, ``homepage``, ``keywords``, contributors' ``roles``, titled
``sources``), from the models and :data:`usjapan_data.citation.DATASET`; it
holds no clock time, so the same records give the same bytes. Each table
has two flavours: Parquet (the shipped files) and CSV (``usjapan-data
export --format csv``), whose Table Schema also says how its text is read
(``trueValues``, ``falseValues``, ``missingValues``) and whose resource
declares its encoding and dialect.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from usjapan_data import __version__, schema
from usjapan_data.citation import DATASET
from usjapan_data.parsing import ColumnSpec

__all__ = ["arrow_schema", "table_schema", "datapackage", "resource", "FORMATS"]

#: The flavours a table is written in.
FORMATS = ("parquet", "csv")
#: The Data Package v2 profiles the descriptor and each Table Schema follow.
PACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
SCHEMA_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"
#: The package's home: its page on PyPI, where ``pip install usjapan-data`` fetches it.
HOMEPAGE = "https://pypi.org/project/usjapan-data/"
#: The day this data version was compiled: the descriptor's ``created`` until
#: ``DATASET["date-released"]`` is set. Change it with the data version.
COMPILED = {"0.2.0": "2026-11-23"}
#: How the CSV flavour is written, declared on each CSV resource.
CSV_DIALECT = {"delimiter": ",", "lineTerminator": "\n", "quoteChar": '"', "doubleQuote": True,
               "header": True}

_FRICTIONLESS_TYPES = {
    "text": "string", "category": "string", "date": "date",
    "integer": "integer", "number": "number", "boolean": "boolean",
}
_ARROW_TYPES = {
    "text": pa.string(), "category": pa.dictionary(pa.int8(), pa.string()),
    "date": pa.date32(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
}

LICENSES = [
    {
        "name": "CC-BY-NC-4.0",
        "path": "https://creativecommons.org/licenses/by-nc/4.0/",
        "title": "Creative Commons Attribution-NonCommercial 4.0 International",
    }
]
SOURCES = [
    {
        "title": 'Tran Anh Cong, "US - Japan Defense and Security Cooperation Under '
        'President Joe Biden (2021-2025)", academic paper, CC BY-NC 4.0 '
        "(text sha256 693958627a09f6d0cdec1ddb852111835a18dcd13df7f574b45b276dc4c618bc)",
    },
    {
        "title": 'Bruce Klingner and Jeff M. Smith, "President Biden Should Strengthen '
        'Alliances During Asia Trip", The Heritage Foundation, issue brief '
        "(text sha256 5851a48daded188ce317cb5d4fbc68b032f2a5fe9f1ddfd1ee45c24a40405204)",
    },
]


def _column(model: type, name: str) -> Any:
    return model.to_schema().columns[name]


def arrow_schema(name: str) -> pa.Schema:
    """Return the Arrow schema a table's Parquet file is written with.

    Category columns are dictionary-encoded and carry their declared values
    as JSON in the field metadata key ``categories``; every field carries its
    description.
    """
    model = schema.TABLES[name]
    fields = []
    for spec in schema.column_specs(model):
        metadata = {b"description": _column(model, spec.name).description.encode()}
        if spec.kind == "category":
            metadata[b"categories"] = json.dumps(list(spec.categories)).encode()
        fields.append(pa.field(spec.name, _ARROW_TYPES[spec.kind], spec.nullable, metadata))
    return pa.schema(fields)


def _constraints(model: type, spec: ColumnSpec, primary_key: list[str]) -> dict[str, Any]:
    column = _column(model, spec.name)
    out: dict[str, Any] = {}
    if not spec.nullable:
        out["required"] = True
    if primary_key == [spec.name]:
        out["unique"] = True
    if spec.kind == "category":
        out["enum"] = list(spec.categories)
    for check in column.checks:
        stats = check.statistics or {}
        if check.name == "str_matches":
            out["pattern"] = stats["pattern"].removeprefix("^").removesuffix("$")
        elif check.name == "greater_than_or_equal_to":
            out["minimum"] = stats["min_value"]
        elif check.name == "less_than_or_equal_to":
            out["maximum"] = stats["max_value"]
        elif check.name == "str_length" and stats.get("min_value") is not None:
            out["minLength"] = stats["min_value"]
    return out


def table_schema(name: str, format: str = "parquet") -> dict[str, Any]:
    """Return the Frictionless Table Schema of a table, as a dict.

    Parameters
    ----------
    name : str
        A table of :data:`usjapan_data.schema.TABLES`.
    format : {"parquet", "csv"}, default "parquet"
        The flavour of the file the schema describes. Both declare the same
        fields, types, constraints and keys; a CSV schema also says how its
        text is read (booleans are ``true``/``false``, an empty cell is
        missing), a Parquet schema lets frictionless read pandas' ``nan``
        in a nullable number as missing.

    Examples
    --------
    >>> [f["trueValues"] for f in table_schema("evidence", "csv")["fields"] if f["type"] == "boolean"][0]
    ['true']
    """
    _check_format(format)
    model = schema.TABLES[name]
    keys = schema.keys(model)
    fields = []
    for spec in schema.column_specs(model):
        field: dict[str, Any] = {
            "name": spec.name,
            "type": _FRICTIONLESS_TYPES[spec.kind],
            "description": _column(model, spec.name).description,
        }
        if spec.kind == "date":
            field["format"] = "default"
        if spec.kind == "category":
            # Table Schema v2 categories: each value with its meaning as label
            field["categories"] = [
                {"value": value} if meaning is None else {"value": value, "label": meaning}
                for value, meaning in schema.meanings(spec.categories).items()
            ]
        if spec.kind == "boolean" and format == "csv":
            field["trueValues"], field["falseValues"] = ["true"], ["false"]
        if spec.kind in ("integer", "number") and spec.nullable and format == "parquet":
            # frictionless reads Parquet through pandas, where a null integer
            # becomes float NaN, and compares str(cell) with the missing
            # values: "nan" is the missing value it then sees.
            field["missingValues"] = ["", "nan"]
        constraints = _constraints(model, spec, keys["primary_key"])
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    out: dict[str, Any] = {"$schema": SCHEMA_PROFILE, "fields": fields, "missingValues": [""],
                           "primaryKey": keys["primary_key"]}
    foreign = [
        {
            "fields": fk["fields"],
            "reference": {
                "resource": "" if fk["reference"]["resource"] == name else fk["reference"]["resource"],
                "fields": fk["reference"]["fields"],
            },
        }
        for fk in keys.get("foreign_keys", [])
    ]
    if foreign:
        out["foreignKeys"] = foreign
    return out


def _check_format(format: str) -> None:
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")


def resource(name: str, sha256: str, format: str = "parquet", size: int | None = None,
             schema_path: str | None = None) -> dict[str, Any]:
    """Return the descriptor of one table's resource.

    Parameters
    ----------
    name : str
        The table.
    sha256 : str
        The hex digest of its file.
    format : {"parquet", "csv"}, default "parquet"
        The file's flavour: ``data/<name>.parquet`` or ``data/<name>.csv``.
    size : int, optional
        The file's size, recorded as ``bytes`` (leave it out for Parquet:
        frictionless cannot count the bytes of a Parquet file).
    schema_path : str, optional
        Refer to the Table Schema by this path inside the package instead
        of holding it inline.
    """
    _check_format(format)
    model = schema.TABLES[name]
    description = model.Config.description
    meta = schema.keys(model)
    for link in filter(None, (meta.get("record_link"), meta.get("target_link"))):
        description += (
            f" Each ({link['table']}, {link['id']}) names a record of the table given by "
            f"{link['table']}; this link is checked by `usjapan-data validate`, not by "
            "Frictionless."
        )
    out: dict[str, Any] = {
        "name": name,
        "type": "table",
        "title": model.Config.title,
        "description": description,
        "path": f"data/{name}.{format}",
        "format": format,
    }
    if format == "csv":
        out.update({"mediatype": "text/csv", "encoding": "utf-8", "dialect": dict(CSV_DIALECT)})
    else:
        out["mediatype"] = "application/vnd.apache.parquet"
    if size is not None:
        out["bytes"] = size
    out["hash"] = f"sha256:{sha256}"
    out["schema"] = schema_path if schema_path is not None else table_schema(name, format)
    return out


def created() -> str:
    """The descriptor's ``created``: the release date, else the day this data version was compiled.

    Never the clock: the same data version always gives the same descriptor.

    Examples
    --------
    >>> created().endswith("T00:00:00Z")
    True
    """
    day = DATASET.get("date-released") or COMPILED[__version__]
    return f"{day}T00:00:00Z"


def datapackage(hashes: dict[str, str], format: str = "parquet", sizes: dict[str, int] | None = None,
                schema_paths: dict[str, str] | None = None) -> dict[str, Any]:
    """Return the whole ``datapackage.json`` descriptor.

    Parameters
    ----------
    hashes : dict of str to str
        The sha256 of each table's file, in the order of the resources.
    format : {"parquet", "csv"}, default "parquet"
        The flavour of the files.
    sizes : dict of str to int, optional
        Each file's size (``bytes``); give it for CSV only.
    schema_paths : dict of str to str, optional
        Each table's Table Schema file inside the package, referred to
        instead of holding the schemas inline.
    """
    sizes, schema_paths = sizes or {}, schema_paths or {}
    return {
        "$schema": PACKAGE_PROFILE,
        "name": "usjapan-data",
        "title": "US-Japan defense and security cooperation under President Biden (2021-2025)",
        "description": (
            "Events, commitments, exercises, recommendations and references coded "
            "from two documents on US-Japan defense and security cooperation under "
            "President Biden: an academic paper by Tran Anh Cong and a Heritage "
            "Foundation issue brief by Bruce Klingner and Jeff M. Smith. Every "
            "record carries evidence (document, locator, verbatim quote) in the "
            "evidence table. See docs/codebook.md for every column and the coding rules."
        ),
        "version": __version__,
        "created": created(),
        "homepage": HOMEPAGE,
        "licenses": LICENSES,
        "sources": SOURCES,
        "contributors": [{"title": author["name"], "roles": ["creator"]}
                         for author in DATASET["authors"]],
        "keywords": list(DATASET["keywords"]),
        "resources": [resource(name, sha256, format, sizes.get(name), schema_paths.get(name))
                      for name, sha256 in hashes.items()],
    }


def dumps(data: dict[str, Any]) -> str:
    """Serialise a descriptor the one way the build writes it."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
