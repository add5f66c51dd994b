"""What a copy of the package may add, read from its own descriptor.

A researcher's or packager's copy may extend the dataset. What validation
then accepts:

- The core tables (:data:`usjapan_data.schema.TABLES`) keep their table
  definitions. A column added to a core table is allowed only when the
  copy's Table Schema for that resource declares it: the declared schema is
  the core schema plus extra fields (and foreign keys that only use extra
  fields). The column is then checked against its declared field. Anything
  else in a core table's schema that differs from the package's (a field's
  type, its constraints, the keys) is refused as ``schema``; a column no
  schema declares is ``column_unexpected``.
- An added table (a tabular resource that is not a core table) is checked
  against its declared Table Schema: the fields present and no others, their
  types (``string``, ``integer``, ``number``, ``boolean``, ``date``), the
  constraints ``required``, ``unique``, ``enum``, ``pattern``, ``minimum``,
  ``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``, ``minLength``,
  ``maxLength``, the ``primaryKey`` (its fields are required) and the
  ``foreignKeys``, into the core tables, into other added tables or into
  itself. A table without a Table Schema cannot be checked and is refused as
  ``schema``. A declaration this validator cannot honour (another type, a
  string ``format``, ``decimalChar``, a ``jsonSchema`` constraint, ...) is
  refused by name, never ignored.
- A resource that is not a table (no ``schema``, not declared
  ``type: "table"`` or ``profile: "tabular-data-resource"``, and not in a
  table format such as CSV or Parquet), for example a codebook in Markdown,
  is a file: its path, size, ``hash`` and ``bytes`` are checked, its content
  is not read.

A category value beyond the core vocabulary is an error (``vocabulary``),
in a copy as in the package itself. The core vocabularies are the contract
with the users: the codebook gives each value its meaning, the loaded
columns are categoricals of exactly those values, and analyses count on the
set being closed. A copy's descriptor therefore cannot widen (or narrow) the
``enum`` of a core column (refused as ``schema``); a new coding goes into a
column or a table of the copy's own, whose ``enum`` is the copy's to choose.
This follows the Frictionless practice that a changed ``enum`` is a change
of the schema, not of the data.

A declared field follows Table Schema's reading rules where the core ones are
stricter: its ``missingValues`` and ``trueValues``/``falseValues`` (by
default ``true``, ``True``, ``TRUE``, ``1`` and their false counterparts)
are honoured for text cells, and ``required`` means not missing (the core
tables also count whitespace-only text as missing).

Why not pandera's Frictionless bridge? ``pandera.io.pandas_io.
from_frictionless_schema`` needs frictionless installed, coerces every column
(the texts ``"false"``, ``"no"`` and ``"0"`` all become ``True`` in a boolean
field, without an error), reads ``date`` fields as unchecked text, refuses a
missing value in an optional integer field, reports both rows of a
duplicate, and knows no foreign keys. So the declaration is turned here into
what the core tables use: a :class:`~usjapan_data.parsing.ColumnSpec` per
field (types conformed strictly and vectorised by
:mod:`usjapan_data.conform`) and pandera checks for the constraints, which
:mod:`usjapan_data.validation` runs as it runs the core's, keys included.
frictionless itself goes through every row in Python and is not used.

Examples
--------
>>> table = declare("regions", {"fields": [
...     {"name": "region_id", "type": "string", "constraints": {"pattern": "R-[0-9]+"}},
...     {"name": "area", "type": "number", "constraints": {"minimum": 0}}],
...     "primaryKey": "region_id"})
>>> [(s.name, s.kind, s.nullable) for s in table.specs]
[('region_id', 'text', False), ('area', 'number', True)]
>>> [c.name for c in table.checks["area"]]
['greater_than_or_equal_to']
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from usjapan_data import schema  # first: it imports pandera (see the note there)

import pandera.pandas as pandera  # noqa: E402  isort: skip
from usjapan_data.parsing import ColumnSpec

__all__ = ["Definition", "Extension", "SchemaProblem", "Text", "core_definition", "declare",
           "is_table", "read_text", "split_core"]

#: Table Schema types and the column kinds they are checked as.
_KINDS = {"string": "text", "integer": "integer", "number": "number", "boolean": "boolean",
          "date": "date"}
_DTYPES = {"text": schema.TEXT_DTYPE, "integer": pd.Int64Dtype(), "number": pd.Float64Dtype(),
           "boolean": pd.BooleanDtype(), "date": np.dtype("datetime64[ns]")}
#: The constraints honoured, per type.
_CONSTRAINTS = {
    "text": {"required", "unique", "enum", "pattern", "minLength", "maxLength"},
    "integer": {"required", "unique", "enum", "minimum", "maximum", "exclusiveMinimum",
                "exclusiveMaximum"},
    "number": {"required", "unique", "enum", "minimum", "maximum", "exclusiveMinimum",
               "exclusiveMaximum"},
    "date": {"required", "unique", "enum", "minimum", "maximum", "exclusiveMinimum",
             "exclusiveMaximum"},
    "boolean": {"required", "unique", "enum"},
}
#: Field properties that only describe (or that the reader honours) and change nothing here.
_DESCRIPTIVE = {"name", "title", "description", "type", "format", "constraints", "example",
                "rdfType", "categories", "categoriesOrdered", "missingValues", "trueValues",
                "falseValues", "$schema"}
_TRUE = ("true", "True", "TRUE", "1")
_FALSE = ("false", "False", "FALSE", "0")
#: Formats read as tables when a resource does not say whether it is one.
TABLE_FORMATS = frozenset({"csv", "tsv", "parquet", "xlsx", "xls", "ods", "ndjson", "jsonl",
                           "arrow", "feather"})


class SchemaProblem(ValueError):
    """A declared Table Schema that cannot be checked as written; the message says why."""


@dataclass(frozen=True)
class Text:
    """How the text cells of a declared field are read (Table Schema's rules)."""

    missing: tuple[str, ...] = ("",)
    true: tuple[str, ...] = _TRUE
    false: tuple[str, ...] = _FALSE


@dataclass
class Definition:
    """What one table must satisfy: its columns, their checks, its keys.

    Attributes
    ----------
    name : str
    specs : tuple of ColumnSpec
        Every column, in order (a core table's, then the declared extras).
    checks : dict of str to list of pandera.Check
        Each column's value checks, in the order they are reported.
    unique : list of str
        Columns whose set values must not repeat (a one-column key excepted).
    rules : list of pandera.Check
        Row rules (core tables only).
    primary_key : list of str
    foreign_keys : list of dict
        The keys checked by :func:`usjapan_data.validation` generically: all
        of an added table's, and a core table's declared extras (its own are
        checked by the core checks).
    text : dict of str to Text
        The declared fields, read by Table Schema's rules.
    core : bool
        Whether this is a core table (then whitespace-only text is missing).
    """

    name: str
    specs: tuple[ColumnSpec, ...]
    checks: dict[str, list[Any]]
    unique: list[str]
    rules: list[Any] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[dict[str, Any]] = field(default_factory=list)
    text: dict[str, Text] = field(default_factory=dict)
    core: bool = False


@dataclass
class Extension:
    """What a copy adds, collected by :func:`usjapan_data.package.read_package`.

    Attributes
    ----------
    tables : dict of str to pyarrow.Table
        The added tables read, by resource name.
    definitions : dict of str to Definition
        Every table with a declaration beyond the core (the added tables, and
        the core tables with declared extra columns).
    resources : set of str
        Every resource name of the descriptor (to tell a foreign key into a
        resource that failed to read from one into nothing).
    """

    tables: dict[str, pa.Table] = field(default_factory=dict)
    definitions: dict[str, Definition] = field(default_factory=dict)
    resources: set[str] = field(default_factory=set)


def is_table(resource: dict[str, Any]) -> bool:
    """Whether a resource is a table: it says so, has a schema, or is in a table format.

    Examples
    --------
    >>> is_table({"name": "codebook", "path": "docs/codebook.md", "format": "md"})
    False
    >>> is_table({"name": "notes", "path": "data/notes.csv"})
    True
    """
    if "schema" in resource or resource.get("type") == "table" \
            or resource.get("profile") == "tabular-data-resource":
        return True
    path = resource.get("path")
    suffix = PurePosixPath(path).suffix.lstrip(".") if isinstance(path, str) else ""
    return str(resource.get("format") or suffix).lower() in TABLE_FORMATS


# --------------------------------------------------------------------------
# A declaration
# --------------------------------------------------------------------------


def _typed(value: Any, kind: str, what: str) -> Any:
    """A constraint's value in the field's type (JSON numbers, ISO dates), or SchemaProblem."""
    if kind == "date" and isinstance(value, str):
        try:
            return pd.Timestamp(dt.date.fromisoformat(value))
        except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
            pass
    elif kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return value
    elif kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    elif kind == "text" and isinstance(value, str):
        return value
    elif kind == "boolean" and isinstance(value, bool):
        return value
    expected = {"date": "a date YYYY-MM-DD", "integer": "a whole number", "number": "a number",
                "text": "text", "boolean": "true or false"}[kind]
    raise SchemaProblem(f"{what} {value!r} is not {expected}")


def _length(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise SchemaProblem(f"{what} {value!r} is not a whole number >= 0")


def _pattern(value: Any, what: str) -> str:
    """A pattern the vectorised matcher (RE2) can run; refused otherwise, never ignored."""
    if not isinstance(value, str):
        raise SchemaProblem(f"{what} {value!r} is not text")
    try:
        re.compile(value)
        pc.match_substring_regex(pa.array([""]), f"^(?:{value})$")
    except (re.error, OverflowError, RecursionError, pa.ArrowInvalid,
            pa.ArrowNotImplementedError) as exc:
        raise SchemaProblem(f"{what} {value!r} is not a regular expression this validator runs "
                            f"({str(exc).splitlines()[0][:120]})") from None
    return value


def _checks(name: str, kind: str, constraints: dict[str, Any]) -> list[Any]:
    """Pandera checks for a field's constraints, in the order they are reported."""
    where = f"field {name!r}: constraint"
    checks = []
    if "enum" in constraints:
        values = constraints["enum"]
        if not isinstance(values, list) or not values:
            raise SchemaProblem(f"{where} enum {values!r} is not a list of values")
        checks.append(pandera.Check.isin([_typed(v, kind, f"{where} enum value") for v in values]))
    if "pattern" in constraints:
        pattern = _pattern(constraints["pattern"], f"{where} pattern")
        checks.append(pandera.Check.str_matches(f"^{pattern}$"))
    low = {k: constraints[k] for k in ("minLength", "maxLength") if k in constraints}
    if low:
        checks.append(pandera.Check.str_length(
            _length(low["minLength"], f"{where} minLength") if "minLength" in low else None,
            _length(low["maxLength"], f"{where} maxLength") if "maxLength" in low else None))
    bounds = (("minimum", pandera.Check.ge), ("exclusiveMinimum", pandera.Check.gt),
              ("maximum", pandera.Check.le), ("exclusiveMaximum", pandera.Check.lt))
    for key, make in bounds:
        if key in constraints:
            checks.append(make(_typed(constraints[key], kind, f"{where} {key}")))
    return checks


def _texts(value: Any, default: tuple[str, ...], what: str) -> tuple[str, ...]:
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SchemaProblem(f"{what} {value!r} is not a list of texts")
    return tuple(value)


def _field(item: Any, primary_key: list[str], missing: tuple[str, ...]
           ) -> tuple[ColumnSpec, list[Any], bool, Text]:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
        raise SchemaProblem(f"field {item!r:.80} has no name")
    name = item["name"]
    declared = item.get("type", "string")
    if declared not in _KINDS:
        raise SchemaProblem(f"field {name!r}: type {declared!r} is not supported; the types "
                            f"checked are {', '.join(_KINDS)}")
    kind = _KINDS[declared]
    if item.get("format", "default") != "default":
        raise SchemaProblem(f"field {name!r}: format {item['format']!r} is not supported; "
                            "only the default format is checked")
    unknown = sorted(set(item) - _DESCRIPTIVE)
    if unknown:
        raise SchemaProblem(f"field {name!r}: property {unknown[0]!r} is not supported, so the "
                            "field would be read otherwise than declared")
    constraints = item.get("constraints", {})
    if not isinstance(constraints, dict):
        raise SchemaProblem(f"field {name!r}: constraints {constraints!r:.80} is not an object")
    unknown = sorted(set(constraints) - _CONSTRAINTS[kind])
    if unknown:
        raise SchemaProblem(f"field {name!r}: constraint {unknown[0]!r} is not supported for "
                            f"type {declared!r}; supported: {', '.join(sorted(_CONSTRAINTS[kind]))}")
    for flag in ("required", "unique"):
        if not isinstance(constraints.get(flag, False), bool):
            raise SchemaProblem(f"field {name!r}: constraint {flag} is not true or false")
    required = constraints.get("required", False) or name in primary_key
    text = Text(_texts(item.get("missingValues"), missing, f"field {name!r}: missingValues"),
                _texts(item.get("trueValues"), _TRUE, f"field {name!r}: trueValues"),
                _texts(item.get("falseValues"), _FALSE, f"field {name!r}: falseValues"))
    spec = ColumnSpec(name, kind, _DTYPES[kind], (), not required)
    unique = constraints.get("unique", False) and primary_key != [name]
    return spec, _checks(name, kind, constraints), unique, text


def _key_list(value: Any, what: str) -> list[str]:
    keys = [value] if isinstance(value, str) else value
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise SchemaProblem(f"{what} {value!r:.80} is not a field name or a list of them")
    return keys


def _foreign_keys(value: Any, names: list[str], table: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise SchemaProblem(f"foreignKeys {value!r:.80} is not a list")
    out = []
    for fk in value:
        if not isinstance(fk, dict) or not isinstance(fk.get("reference"), dict):
            raise SchemaProblem(f"foreign key {fk!r:.80} has no reference")
        fields = _key_list(fk.get("fields"), "foreign key fields")
        ref = fk["reference"]
        resource = ref.get("resource", "")
        if not isinstance(resource, str):
            raise SchemaProblem(f"foreign key reference resource {resource!r:.80} is not a name")
        target = _key_list(ref.get("fields"), "foreign key reference fields")
        if len(target) != len(fields) or not fields:
            raise SchemaProblem(f"foreign key {fields} names {len(target)} reference field(s) "
                                f"for {len(fields)} field(s)")
        absent = [f for f in fields if f not in names]
        if absent:
            raise SchemaProblem(f"foreign key field {absent[0]!r} is not a field of the schema")
        out.append({"fields": fields, "reference": {"resource": resource or table, "fields": target}})
    return out


def declare(name: str, declared: dict[str, Any]) -> Definition:
    """Turn a declared Table Schema into the definition an added table is checked against.

    Parameters
    ----------
    name : str
        The resource name (a self-reference in ``foreignKeys`` may leave the
        resource empty).
    declared : dict
        The Table Schema, as found in the descriptor.

    Returns
    -------
    Definition

    Raises
    ------
    SchemaProblem
        When the schema declares what cannot be checked as written.

    Examples
    --------
    >>> declare("x", {"fields": [{"name": "when", "type": "datetime"}]})
    Traceback (most recent call last):
    ...
    usjapan_data.extension.SchemaProblem: field 'when': type 'datetime' is not supported; the types checked are string, integer, number, boolean, date
    """
    fields = declared.get("fields")
    if not isinstance(fields, list) or not fields:
        raise SchemaProblem("the schema has no list of fields")
    unknown = sorted(set(declared) - {"fields", "primaryKey", "foreignKeys", "missingValues",
                                      "$schema", "title", "description", "name", "uniqueKeys",
                                      "fieldsMatch"})
    if unknown:
        raise SchemaProblem(f"schema property {unknown[0]!r} is not supported")
    for key, default in (("uniqueKeys", None), ("fieldsMatch", "exact")):
        if declared.get(key, default) != default:
            raise SchemaProblem(f"schema property {key!r} is not supported")
    primary_key = _key_list(declared.get("primaryKey", []), "primaryKey")
    missing = _texts(declared.get("missingValues"), ("",), "missingValues")
    definition = Definition(name, (), {}, [], primary_key=primary_key, text={})
    specs = []
    for item in fields:
        spec, checks, unique, text = _field(item, primary_key, missing)
        if spec.name in definition.text:
            raise SchemaProblem(f"field {spec.name!r} is declared twice")
        specs.append(spec)
        definition.checks[spec.name] = checks
        definition.text[spec.name] = text
        if unique:
            definition.unique.append(spec.name)
    names = [s.name for s in specs]
    absent = [k for k in primary_key if k not in names]
    if absent:
        raise SchemaProblem(f"primaryKey field {absent[0]!r} is not a field of the schema")
    definition.specs = tuple(specs)
    definition.foreign_keys = _foreign_keys(declared.get("foreignKeys", []), names, name)
    return definition


@lru_cache(maxsize=None)
def _core(name: str) -> Definition:
    model = schema.TABLES[name]
    pandera_schema = model.to_schema()
    primary_key = list(schema.keys(model)["primary_key"])
    return Definition(
        name, schema.column_specs(model),
        {n: list(c.checks) for n, c in pandera_schema.columns.items()},
        [n for n, c in pandera_schema.columns.items() if c.unique and primary_key != [n]],
        list(pandera_schema.checks), primary_key, [], {}, core=True)


def core_definition(name: str, extra: Definition | None = None) -> Definition:
    """A core table's definition (from its model), with the extras its copy declares.

    Without extras the definition is shared: treat it as read-only.
    """
    core = _core(name)
    if extra is None:
        return core
    return replace(core, specs=core.specs + extra.specs, checks={**core.checks, **extra.checks},
                   unique=core.unique + extra.unique, foreign_keys=list(extra.foreign_keys),
                   text=dict(extra.text))


def split_core(name: str, declared: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Split a core table's declared schema into its core part and the extras it adds.

    The extras are the fields the table definition does not have and the
    foreign keys whose fields are all extras; the core part is compared with
    the package's own Table Schema.
    """
    core = set(schema.columns(schema.TABLES[name]))
    fields = declared.get("fields")
    if not isinstance(fields, list):
        return declared, None
    named = [f for f in fields if isinstance(f, dict) and isinstance(f.get("name"), str)]
    extra = [f for f in named if f["name"] not in core]
    if not extra:
        return declared, None
    names = {f["name"] for f in extra}
    fks = declared.get("foreignKeys", [])

    def own(fk: Any) -> bool:
        fields_ = fk.get("fields") if isinstance(fk, dict) else None
        fields_ = [fields_] if isinstance(fields_, str) else fields_
        return isinstance(fields_, list) and bool(fields_) and set(fields_) <= names

    core_part = dict(declared, fields=[f for f in fields if f not in extra])
    extra_part = {"fields": extra}
    if isinstance(fks, list):
        core_part["foreignKeys"] = [fk for fk in fks if not own(fk)]
        if not core_part["foreignKeys"] and "foreignKeys" not in declared:
            del core_part["foreignKeys"]
        extra_part["foreignKeys"] = [fk for fk in fks if own(fk)]
    if "missingValues" in declared:
        extra_part["missingValues"] = declared["missingValues"]
    return core_part, extra_part


# --------------------------------------------------------------------------
# Reading text cells by Table Schema's rules
# --------------------------------------------------------------------------


def read_text(series: pd.Series, spec: ColumnSpec, text: Text) -> pd.Series:
    """Apply a declared field's missing, true and false values to its text cells (vectorised).

    Columns that are not text (Parquet numbers, dates, booleans) are returned
    as they are; a float NaN is missing when ``nan`` is a missing value (as
    frictionless reads it).

    Examples
    --------
    >>> spec = ColumnSpec("ok", "boolean", pd.BooleanDtype())
    >>> read_text(pd.Series(["True", "0", "-", "maybe"], dtype="string[pyarrow]"), spec,
    ...           Text(missing=("", "-"))).tolist()
    ['true', 'false', <NA>, 'maybe']
    """
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        values = pa.array(series.array, from_pandas=True)
        if text.missing:
            values = pc.if_else(pc.is_in(values, pa.array(text.missing, pa.string())),
                                pa.scalar(None, pa.string()), values)
        if spec.kind == "boolean":
            values = pc.if_else(pc.is_in(values, pa.array(text.true, pa.string())), "true",
                                pc.if_else(pc.is_in(values, pa.array(text.false, pa.string())),
                                           "false", values))
        return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([values]).cast(pa.string())),
                         index=series.index)
    if {"nan", "NaN"} & set(text.missing) and pd.api.types.is_float_dtype(series.dtype):
        return series.where(~np.isnan(series.astype("float64").to_numpy(na_value=0.0)))
    return series
