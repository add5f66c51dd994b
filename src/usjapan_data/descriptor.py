"""Generate, from the table definitions, the Arrow schemas, Table Schemas and datapackage.json.

pandera has no export to a Frictionless Table Schema (pandera #1826), so this
module writes one from each model: every column's type, description,
categories (each allowed value with its meaning as label, Table Schema v2),
required/unique/enum/pattern/range constraints, the primary key and the
foreign keys. The links from ``evidence`` and ``record_actors`` to whichever
record table their ``record_table`` column names cannot be expressed as a
Frictionless foreign key; :mod:`usjapan_data.validation` checks them.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from usjapan_data import __version__, schema
from usjapan_data.parsing import ColumnSpec

__all__ = ["arrow_schema", "table_schema", "datapackage"]

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


def table_schema(name: str) -> dict[str, Any]:
    """Return the Frictionless Table Schema of a table, as a dict."""
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
        if spec.kind in ("integer", "number") and spec.nullable:
            # frictionless reads Parquet through pandas, where a null integer
            # becomes float NaN, and compares str(cell) with the missing
            # values: "nan" is the missing value it then sees.
            field["missingValues"] = ["", "nan"]
        constraints = _constraints(model, spec, keys["primary_key"])
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    out: dict[str, Any] = {"fields": fields, "missingValues": [""], "primaryKey": keys["primary_key"]}
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


def resource(name: str, sha256: str) -> dict[str, Any]:
    """Return the descriptor of one table's resource."""
    model = schema.TABLES[name]
    description = model.Config.description
    meta = schema.keys(model)
    for link in filter(None, (meta.get("record_link"), meta.get("target_link"))):
        description += (
            f" Each ({link['table']}, {link['id']}) names a record of the table given by "
            f"{link['table']}; this link is checked by `usjapan-data validate`, not by "
            "Frictionless."
        )
    return {
        "name": name,
        "title": model.Config.title,
        "description": description,
        "path": f"data/{name}.parquet",
        "format": "parquet",
        "mediatype": "application/vnd.apache.parquet",
        "profile": "tabular-data-resource",
        "hash": f"sha256:{sha256}",
        "schema": table_schema(name),
    }


def datapackage(hashes: dict[str, str]) -> dict[str, Any]:
    """Return the whole ``datapackage.json`` descriptor.

    Parameters
    ----------
    hashes : dict of str to str
        The sha256 of each table's Parquet file.
    """
    return {
        "profile": "tabular-data-package",
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
        "licenses": LICENSES,
        "sources": SOURCES,
        "contributors": [{"title": "usjapan-data developers", "role": "author"}],
        "keywords": ["United States", "Japan", "alliance", "defense", "security",
                     "Indo-Pacific", "Biden", "events data"],
        "resources": [resource(name, hashes[name]) for name in schema.TABLES],
    }


def dumps(data: dict[str, Any]) -> str:
    """Serialise a descriptor the one way the build writes it."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
