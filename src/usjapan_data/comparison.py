"""Compare two versions of a data package: records, Table Schemas, and the version bump.

:func:`diff` reads two packages (folders, ``datapackage.json`` files or the
installed package) through the safe reader of :mod:`usjapan_data.package`,
each resource as its own descriptor declares it, and compares them:

- per table, the records added, removed and changed, matched by the
  table's primary key (composite keys too), each change as field, old
  value, new value. Matching is an Arrow hash join on the key columns and
  each column is compared with vectorised kernels: no row goes through
  Python until a change is printed;
- the tables added and removed, and the changes to each Table Schema
  (fields added, removed, re-ordered, their type, format and constraints,
  primary and foreign keys) and to the descriptive metadata;
- the version bump all of that implies under the Frictionless *Data Package
  Version* recipe (see :data:`RECIPE` and :func:`diff`).

The module is named for its role; the function is ``diff``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from usjapan_data.report import Findings, clean

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BUMPS", "DiffError", "PackageDiff", "SchemaChange", "TableDiff", "diff"]

#: Where the rules for the bump come from.
RECIPE = "https://datapackage.org/recipes/data-package-version/"

#: The bumps, from none to the largest.
BUMPS = ("none", "patch", "minor", "major")

#: Words of the recipe each rule cites.
_MAJOR_NAME = "MAJOR: change the data package, resource or field name or identifier"
_MAJOR_FIELDS = "MAJOR: add, remove or re-order fields"
_MAJOR_TYPE = "MAJOR: change a field type or format"
_MAJOR_TIGHTER = "MAJOR: change a field constraint to be more restrictive"
_MAJOR_REFERENCED = ("MAJOR: combine, split, delete or change the meaning of data that is "
                     "referenced by another data resource")
_MINOR_RESOURCE = "MINOR: add a new data resource to a data package"
_MINOR_DATA = "MINOR: add new data to an existing data resource"
_MINOR_LOOSER = "MINOR: change a field constraint to be less restrictive"
_MINOR_REFERENCE = "MINOR: update a reference to another data resource"
_PATCH_DATA = "PATCH: correct errors in existing data"
_PATCH_META = "PATCH: change descriptive metadata properties"
_NONE_PATH = "no change: relocate the data to a new URL or path (or store it otherwise)"

#: Package and resource properties that say how or where the data are stored, not what they are.
_STORAGE = {"path", "format", "mediatype", "encoding", "dialect", "compression", "scheme",
            "hash", "bytes"}
#: Field properties that say how a value is written in a file, not what it is.
_REPRESENTATION = {"trueValues", "falseValues", "missingValues", "decimalChar", "groupChar",
                   "bareNumber"}
_DESCRIPTIVE = {"title", "description", "example", "examples", "rdfType"}
#: Constraints whose larger value restricts more (and the others whose larger value restricts less).
_LOWER_BOUNDS = {"minimum", "exclusiveMinimum", "minLength"}
_UPPER_BOUNDS = {"maximum", "exclusiveMaximum", "maxLength"}


class DiffError(ValueError):
    """A package that cannot be read or compared; the message says which and why."""


# --------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaChange:
    """One change to a descriptor or a Table Schema.

    Attributes
    ----------
    table : str or None
        The resource, or None for the package's own properties.
    field : str or None
        The field (or the property, for a package or resource), or None.
    change : str
        What changed, such as ``field_removed``, ``type_changed``,
        ``constraint_tightened``, ``primary_key_changed``.
    old, new : object
        The values before and after (None where there was none).
    bump : str
        ``major``, ``minor``, ``patch`` or ``none``.
    rule : str
        The rule of the recipe that gives the bump.
    """

    table: str | None
    field: str | None
    change: str
    old: Any
    new: Any
    bump: str
    rule: str

    def describe(self) -> str:
        """The change in words, with the values shortened for one line."""
        where = f"field {self.field!r}" if self.field else ""
        words = self.change.removeprefix("field_").replace("_", " ")
        values = ""
        if self.old is not None or self.new is not None:
            values = f": {_short(self.old)} -> {_short(self.new)}"
        return clean(f"{where} {words}{values}".strip())


@dataclass
class TableDiff:
    """How one table differs between the two packages.

    Attributes
    ----------
    name : str
    status : str
        ``added``, ``removed``, ``changed`` or ``unchanged``.
    primary_key : list of str
        The key records are matched by (empty when they could not be matched).
    rows_old, rows_new : int or None
        Rows in each package (None where the table is absent).
    added, removed : pyarrow.Table
        The key of each record added or removed, in key order.
    schema_changes : list of SchemaChange
    note : str or None
        Why records could not be matched, when they could not.
    """

    name: str
    status: str
    primary_key: list[str]
    rows_old: int | None
    rows_new: int | None
    added: pa.Table
    removed: pa.Table
    schema_changes: list[SchemaChange] = field(default_factory=list)
    note: str | None = None
    data_bump: str = "none"
    data_rule: str | None = None
    #: the keys of the records found in both, in key order, and per field the changed ones
    _matched: pa.Table | None = None
    _changes: dict[str, pa.Table] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        """How many records (found in both) have at least one changed value."""
        if not self._changes:
            return 0
        return len(np.unique(np.concatenate([t["pos"].to_numpy() for t in self._changes.values()])))

    @property
    def changed_values(self) -> int:
        """How many values changed, over all records and fields."""
        return sum(t.num_rows for t in self._changes.values())

    @property
    def bump(self) -> str:
        """The largest bump of this table's schema and data changes."""
        return _largest([self.data_bump, *(c.bump for c in self.schema_changes)])

    def changes(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Each changed value as ``{"key": {...}, "field", "old", "new"}``, by key, then field order.

        Parameters
        ----------
        limit : int, optional
            At most this many (all by default).
        """
        if not self._changes or self._matched is None:
            return []
        fields = list(self._changes)
        pos = np.concatenate([self._changes[f]["pos"].to_numpy() for f in fields])
        which = np.concatenate([np.full(self._changes[f].num_rows, i) for i, f in enumerate(fields)])
        within = np.concatenate([np.arange(self._changes[f].num_rows) for f in fields])
        # only the changed records are sorted by key (the join leaves rows in no order)
        keys = self._matched.take(pa.array(pos))
        by = [(k, "ascending") for k in keys.column_names]
        ranked = keys.append_column("__field", pa.array(which)).append_column(
            "__i", pa.array(np.arange(len(pos)))).sort_by([*by, ("__field", "ascending")])
        order = ranked["__i"].to_numpy()[:limit]
        keys = keys.take(pa.array(order)).to_pylist()
        values = {f: (self._changes[f]["old"].to_pylist(), self._changes[f]["new"].to_pylist())
                  for f in fields}
        out = []
        for key, i, j in zip(keys, which[order].tolist(), within[order].tolist()):
            old, new = values[fields[i]]
            out.append({"key": {k: _plain(v) for k, v in key.items()}, "field": fields[i],
                        "old": _plain(old[j]), "new": _plain(new[j])})
        return out

    def to_dict(self) -> dict[str, Any]:
        """The table's differences as JSON-ready data (every record and change)."""
        return {
            "status": self.status,
            "primary_key": self.primary_key,
            "rows": {"old": self.rows_old, "new": self.rows_new},
            "bump": self.bump,
            "note": self.note,
            "counts": {"added": self.added.num_rows, "removed": self.removed.num_rows,
                       "changed": self.changed, "changed_values": self.changed_values,
                       "schema_changes": len(self.schema_changes)},
            "data_rule": self.data_rule,
            "schema_changes": [_change_dict(c) for c in self.schema_changes],
            "added": [_key_dict(k) for k in self.added.to_pylist()],
            "removed": [_key_dict(k) for k in self.removed.to_pylist()],
            "changed": self.changes(),
        }


@dataclass
class PackageDiff:
    """The result of :func:`diff`: what differs between two packages, and the bump it implies.

    Attributes
    ----------
    old, new : str
        The packages compared, as given.
    versions : tuple of (str or None, str or None)
        The ``version`` each descriptor declares.
    tables : dict of str to TableDiff
        Every table of either package, in the new package's order, then
        the removed ones.
    package_changes : list of SchemaChange
        Changes to the package's own properties (name, title, licenses, ...).
    """

    old: str
    new: str
    versions: tuple[str | None, str | None]
    tables: dict[str, TableDiff]
    package_changes: list[SchemaChange] = field(default_factory=list)

    @property
    def bump(self) -> str:
        """``major``, ``minor``, ``patch`` or ``none``: the largest any change calls for."""
        return _largest([*(c.bump for c in self.package_changes),
                         *(t.bump for t in self.tables.values())])

    @property
    def identical(self) -> bool:
        """True when nothing differs: no record, schema or metadata change."""
        return not self.package_changes and all(t.status == "unchanged" for t in self.tables.values())

    @property
    def schema_changes(self) -> list[SchemaChange]:
        """Every change to the descriptors: the package's, then each table's."""
        return [*self.package_changes, *(c for t in self.tables.values() for c in t.schema_changes)]

    def summary(self) -> "pd.DataFrame":
        """One row per table: status, rows before and after, records added, removed, changed,
        schema changes, and the bump."""
        import pandas as pd

        rows = [{"table": t.name, "status": t.status, "rows_old": t.rows_old, "rows_new": t.rows_new,
                 "added": t.added.num_rows, "removed": t.removed.num_rows, "changed": t.changed,
                 "schema_changes": len(t.schema_changes), "bump": t.bump}
                for t in self.tables.values()]
        frame = pd.DataFrame(rows, columns=["table", "status", "rows_old", "rows_new", "added",
                                            "removed", "changed", "schema_changes", "bump"])
        return frame.astype({"rows_old": "Int64", "rows_new": "Int64"})

    def to_dict(self) -> dict[str, Any]:
        """Every difference as JSON-ready data: all records and changes, however many."""
        return {
            "old": self.old,
            "new": self.new,
            "versions": {"old": self.versions[0], "new": self.versions[1]},
            "identical": self.identical,
            "bump": self.bump,
            "recipe": RECIPE,
            "package_changes": [_change_dict(c) for c in self.package_changes],
            "tables": {name: t.to_dict() for name, t in self.tables.items()},
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, default=str)

    def format_text(self, limit: int = 20) -> str:
        """A readable account: the bump, a line per table, then each table's changes.

        At most ``limit`` records (added, removed or changed) and ``limit``
        schema changes are shown per table; the count of the rest is said.
        Every line starts with text of its own, never with a value from a
        package.
        """
        limit = max(limit, 0)
        old_v, new_v = (v or "no version" for v in self.versions)
        lines = [f"Diff of {clean(self.old)} ({clean(old_v)}) -> {clean(self.new)} ({clean(new_v)})"]
        if self.identical:
            lines.append("no differences")
            return "\n".join(lines)
        lines.append(f"bump: {self.bump} (Data Package Version recipe, {RECIPE})")
        lines.append(f"  {'table':<24} {'status':<9} {'rows':>15} {'added':>7} {'removed':>7} "
                     f"{'changed':>7} {'schema':>6}  bump")
        for t in self.tables.values():
            rows = f"{_count(t.rows_old)} -> {_count(t.rows_new)}"
            lines.append(f"  {clean(t.name):<24} {t.status:<9} {rows:>15} {t.added.num_rows:>7} "
                         f"{t.removed.num_rows:>7} {t.changed:>7} {len(t.schema_changes):>6}  {t.bump}")
        if self.package_changes:
            lines.append("package:")
            lines += _schema_lines(self.package_changes, limit)
        for t in self.tables.values():
            if t.status == "unchanged":
                continue
            key = ", ".join(t.primary_key) or "none"
            lines.append(f"{clean(t.name)} ({t.status}; primary key: {clean(key)}):")
            if t.note:
                lines.append(f"  note: {clean(t.note)}")
            lines += _schema_lines(t.schema_changes, limit)
            if t.status in ("added", "removed"):
                continue
            shown = 0
            for word, keys in (("removed", t.removed), ("added", t.added)):
                for key in keys.slice(0, max(limit - shown, 0)).to_pylist():
                    lines.append(f"  {word} {_key_text(key)}")
                shown += min(keys.num_rows, max(limit - shown, 0))
            for change in t.changes(max(limit - shown, 0)):
                lines.append(f"  changed {_key_text(change['key'])}: {clean(change['field'])} "
                             f"{_short(change['old'])} -> {_short(change['new'])}")
            rest = t.added.num_rows + t.removed.num_rows + t.changed_values - limit
            if rest > 0:
                lines.append(f"  ... and {rest} more record change(s) (use --format json for all)")
            if t.data_rule:
                lines.append(f"  data: {t.data_bump} ({t.data_rule})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format_text()


# --------------------------------------------------------------------------
# Helpers of the result
# --------------------------------------------------------------------------


def _largest(bumps: Iterable[str]) -> str:
    return max(bumps, key=BUMPS.index, default="none")


def _plain(value: Any) -> Any:
    """A value as JSON holds it: dates ISO, decimals and bytes as text, NaN as null."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() and value.tzinfo is None \
            else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    if isinstance(value, (decimal.Decimal, bytes)):
        return str(value)
    return value


def _short(value: Any) -> str:
    return "(none)" if value is None else clean(json.dumps(_plain(value), ensure_ascii=False,
                                                            default=str), limit=120)


def _count(n: int | None) -> str:
    return "-" if n is None else str(n)


def _key_dict(key: dict[str, Any]) -> dict[str, Any]:
    return {"key": {k: _plain(v) for k, v in key.items()}}


def _key_text(key: dict[str, Any]) -> str:
    values = [clean(_plain(v), limit=80) for v in key.values()]
    return values[0] if len(values) == 1 else "(" + ", ".join(values) + ")"


def _change_dict(change: SchemaChange) -> dict[str, Any]:
    return {"table": change.table, "field": change.field, "change": change.change,
            "old": change.old, "new": change.new, "bump": change.bump, "rule": change.rule}


def _schema_lines(changes: list[SchemaChange], limit: int) -> list[str]:
    lines = [f"  schema {c.bump}: {c.describe()}" for c in changes[:limit]]
    if len(changes) > limit:
        lines.append(f"  ... and {len(changes) - limit} more schema change(s) (use --format json)")
    return lines


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


@dataclass
class _Package:
    label: str
    descriptor: dict[str, Any]
    tables: dict[str, pa.Table]
    schemas: dict[str, dict[str, Any]]


def _location(source: str | os.PathLike[str]) -> Path:
    if isinstance(source, str) and source == "installed":
        from usjapan_data.loading import descriptor_path

        return descriptor_path()
    return Path(source)


def _read(source: str | os.PathLike[str], which: str) -> _Package:
    from usjapan_data.package import Refused, _declared_schema, _resource, read_descriptor, read_resources

    label = str(source)
    out = Findings()
    found = read_descriptor(_location(source), out)
    tables: dict[str, pa.Table] = {}
    schemas: dict[str, dict[str, Any]] = {}
    if found is not None:
        descriptor_file, descriptor = found
        tables = read_resources(descriptor_file, descriptor, out, as_declared=True)
        for resource in descriptor["resources"]:
            if not isinstance(resource, dict) or resource.get("name") not in tables:
                continue
            name = resource["name"]
            try:
                declared = _declared_schema(_resource(resource), descriptor_file.parent) \
                    if "schema" in resource else {}
            except Refused as exc:
                out.add(name, exc.check, f"resource {name!r}: {exc.message}")
                continue
            if not isinstance(declared, dict) or not isinstance(declared.get("fields", []), list):
                out.add(name, "schema", f"resource {name!r}: its schema is not a Table Schema")
                continue
            schemas[name] = declared
    if out.records or out.omitted:
        problems = [f"  {r['table'] or 'package'}: {r['check']}: {r['message']}"
                    for r in out.records[:10]]
        more = len(out.records) + sum(out.omitted.values()) - len(problems)
        hint = ""
        if any(r["check"] == "hash" for r in out.records):
            hint = ("\n(a copy edited by hand needs its hashes recorded again: "
                    "`usjapan-data rehash DIR`)")
        raise DiffError(clean(f"cannot read the {which} package {label}:", limit=1000) + "\n"
                        + "\n".join(clean(p, limit=600) for p in problems)
                        + (f"\n  ... and {more} more problem(s)" if more > 0 else "") + hint)
    assert found is not None
    return _Package(label, found[1], {n: _typed(t, schemas.get(n, {})) for n, t in tables.items()},
                    schemas)


#: Arrow types for the Table Schema types a CSV file holds as text.
_ARROW_TYPES = {"integer": pa.int64(), "number": pa.float64(), "date": pa.date32(),
                "datetime": pa.timestamp("us"), "year": pa.int64()}


def _typed(table: pa.Table, declared: dict[str, Any]) -> pa.Table:
    """Columns with plain Arrow types: dictionaries decoded, CSV text typed as its schema says.

    A text value that does not fit its declared type keeps the column as
    text (the comparison then shows it as it is written).
    """
    fields = {f.get("name"): f for f in declared.get("fields", []) if isinstance(f, dict)}
    columns = []
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if pa.types.is_large_string(column.type):
            column = column.cast(pa.string())
        spec = fields.get(name, {})
        kind = spec.get("type")
        if pa.types.is_string(column.type) and kind in (*_ARROW_TYPES, "boolean"):
            try:
                if kind == "boolean":
                    true = spec.get("trueValues", ["true", "True", "TRUE", "1"])
                    false = spec.get("falseValues", ["false", "False", "FALSE", "0"])
                    is_true = pc.is_in(column, value_set=pa.array(true, pa.string()))
                    is_false = pc.is_in(column, value_set=pa.array(false, pa.string()))
                    if pc.any(pc.and_(pc.is_valid(column),
                                      pc.invert(pc.or_(is_true, is_false)))).as_py():
                        raise ValueError("not a boolean")
                    column = pc.if_else(pc.is_valid(column), is_true, pa.scalar(None, pa.bool_()))
                else:
                    column = column.cast(_ARROW_TYPES[kind])
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
                pass
        columns.append(column)
    return pa.table(columns, names=table.column_names)


# --------------------------------------------------------------------------
# Comparing schemas
# --------------------------------------------------------------------------


def _values(entries: Any) -> list[Any]:
    """The values of an ``enum`` or ``categories`` list (categories may be {value, label})."""
    if not isinstance(entries, list):
        return []
    return [e.get("value") if isinstance(e, dict) else e for e in entries]


def _set_change(table: str, name: str, what: str, old: list[Any], new: list[Any]) -> SchemaChange | None:
    """An allowed-values list that changed: fewer values restrict more."""
    old_set, new_set = {json.dumps(v) for v in old}, {json.dumps(v) for v in new}
    if old_set == new_set:
        return None
    removed = [v for v in old if json.dumps(v) not in new_set]
    added = [v for v in new if json.dumps(v) not in old_set]
    if removed:
        return SchemaChange(table, name, f"{what}_values_removed", removed, added or None,
                            "major", _MAJOR_TIGHTER)
    return SchemaChange(table, name, f"{what}_values_added", None, added, "minor", _MINOR_LOOSER)


def _constraint_changes(table: str, name: str, old: dict[str, Any], new: dict[str, Any]
                        ) -> list[SchemaChange]:
    out = []
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        label = f"constraint {key}"
        if key == "enum":
            if a is None or b is None:
                tighter = a is None
                out.append(SchemaChange(table, name, "enum_added" if tighter else "enum_removed",
                                        a, b, "major" if tighter else "minor",
                                        _MAJOR_TIGHTER if tighter else _MINOR_LOOSER))
            else:
                change = _set_change(table, name, "enum", _values(a), _values(b))
                if change:
                    out.append(change)
            continue
        if a is None or b is None:
            tighter = a is None or (key in ("required", "unique") and b is True)
        elif key in ("required", "unique"):
            tighter = bool(b) and not bool(a)
        elif key in _LOWER_BOUNDS | _UPPER_BOUNDS:
            try:
                tighter = (b > a) if key in _LOWER_BOUNDS else (b < a)
            except TypeError:  # values of other kinds: cannot tell, so assume the worst
                tighter = True
        else:  # a pattern or another constraint changed: it may restrict more
            tighter = True
        if key in ("required", "unique") and (a in (None, False)) and (b in (None, False)):
            continue  # false and absent mean the same
        out.append(SchemaChange(table, name, f"{label.replace(' ', '_')}_"
                                f"{'tightened' if tighter else 'loosened'}", a, b,
                                "major" if tighter else "minor",
                                _MAJOR_TIGHTER if tighter else _MINOR_LOOSER))
    return out


def _field_changes(table: str, old: dict[str, Any], new: dict[str, Any]) -> list[SchemaChange]:
    name = str(new.get("name"))
    out = []
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key), new.get(key)
        if key == "name" or a == b:
            continue
        if key in ("type", "format"):
            default = "string" if key == "type" else "default"
            if (a or default) != (b or default):
                out.append(SchemaChange(table, name, f"{key}_changed", a, b, "major", _MAJOR_TYPE))
        elif key == "constraints":
            out += _constraint_changes(table, name, a if isinstance(a, dict) else {},
                                       b if isinstance(b, dict) else {})
        elif key == "categories":
            # an enum, where there is one, says the allowed values (compared above);
            # the categories then only label them
            enums = [isinstance(f.get("constraints"), dict) and "enum" in f["constraints"]
                     for f in (old, new)]
            change = None if all(enums) else _set_change(table, name, "categories", _values(a),
                                                         _values(b))
            out.append(change or SchemaChange(table, name, "categories_changed", None, None,
                                              "patch", _PATCH_META))
        elif key in _REPRESENTATION:
            out.append(SchemaChange(table, name, f"{key}_changed", a, b, "none", _NONE_PATH))
        elif key in _DESCRIPTIVE:
            out.append(SchemaChange(table, name, f"{key}_changed", None, None, "patch", _PATCH_META))
        else:  # a property that may change what the values mean
            out.append(SchemaChange(table, name, f"{key}_changed", a, b, "major", _MAJOR_TYPE))
    return out


def _key_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []


def _foreign_keys(declared: dict[str, Any]) -> dict[str, dict[str, Any]]:
    keys = declared.get("foreignKeys", [])
    return {json.dumps(_key_list(fk.get("fields"))): fk for fk in keys if isinstance(fk, dict)} \
        if isinstance(keys, list) else {}


def _schema_changes(table: str, old: dict[str, Any], new: dict[str, Any]) -> list[SchemaChange]:
    """The changes between two Table Schemas of one resource."""
    out = []
    old_fields = {f.get("name"): f for f in old.get("fields", []) if isinstance(f, dict)}
    new_fields = {f.get("name"): f for f in new.get("fields", []) if isinstance(f, dict)}
    for name in old_fields:
        if name not in new_fields:
            out.append(SchemaChange(table, name, "field_removed", None, None, "major", _MAJOR_FIELDS))
    for name in new_fields:
        if name not in old_fields:
            out.append(SchemaChange(table, name, "field_added", None, new_fields[name].get("type"),
                                    "major", _MAJOR_FIELDS))
    common_old = [n for n in old_fields if n in new_fields]
    common_new = [n for n in new_fields if n in old_fields]
    if common_old != common_new:
        out.append(SchemaChange(table, None, "fields_reordered", common_old, common_new, "major",
                                _MAJOR_FIELDS))
    for name in common_new:
        out += _field_changes(table, old_fields[name], new_fields[name])
    old_pk, new_pk = _key_list(old.get("primaryKey")), _key_list(new.get("primaryKey"))
    if old_pk != new_pk:
        out.append(SchemaChange(table, None, "primary_key_changed", old_pk, new_pk, "major",
                                _MAJOR_NAME))
    old_fk, new_fk = _foreign_keys(old), _foreign_keys(new)
    for fields in dict.fromkeys([*old_fk, *new_fk]):
        a, b = old_fk.get(fields), new_fk.get(fields)
        if a == b:
            continue
        what = ", ".join(json.loads(fields))
        if a is None and b is not None:  # a new reference restricts the values more
            out.append(SchemaChange(table, what, "foreign_key_added", None, b.get("reference"),
                                    "major", _MAJOR_TIGHTER))
        elif b is None and a is not None:
            out.append(SchemaChange(table, what, "foreign_key_removed", a.get("reference"), None,
                                    "minor", _MINOR_LOOSER))
        elif a is not None and b is not None:
            out.append(SchemaChange(table, what, "foreign_key_changed", a.get("reference"),
                                    b.get("reference"), "minor", _MINOR_REFERENCE))
    for key in dict.fromkeys([*old, *new]):
        if key in ("fields", "primaryKey", "foreignKeys") or old.get(key) == new.get(key):
            continue
        if key == "missingValues":
            bump, rule = "none", _NONE_PATH
        elif key in _DESCRIPTIVE or key in ("$schema", "profile"):
            bump, rule = "patch", _PATCH_META
        else:
            bump, rule = "major", _MAJOR_TYPE
        out.append(SchemaChange(table, None, f"schema_property_{key}_changed", old.get(key),
                                new.get(key), bump, rule))
    return out


def _property_changes(table: str | None, old: dict[str, Any], new: dict[str, Any],
                      skip: set[str]) -> list[SchemaChange]:
    """Changes to the properties of a package or a resource (other than those in ``skip``)."""
    out = []
    for key in dict.fromkeys([*old, *new]):
        if key in skip or old.get(key) == new.get(key):
            continue
        if key in ("name", "id"):
            bump, rule = "major", _MAJOR_NAME
        elif key in _STORAGE:
            bump, rule = "none", _NONE_PATH
        else:
            bump, rule = "patch", _PATCH_META
        shown = key in ("name", "id", "path", "format")
        out.append(SchemaChange(table, None, f"property_{key}_changed",
                                old.get(key) if shown else None, new.get(key) if shown else None,
                                bump, rule))
    return out


# --------------------------------------------------------------------------
# Comparing records
# --------------------------------------------------------------------------


def _comparable(a: pa.ChunkedArray, b: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.ChunkedArray] | None:
    """The two columns with one type (either cast to the other's, else both to text)."""
    if a.type == b.type:
        return a, b
    for x, y in ((a, b), (b, a)):
        try:
            cast = x.cast(y.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            continue
        return (cast, b) if x is a else (a, cast)
    try:
        return a.cast(pa.string()), b.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None


def _differ(a: pa.ChunkedArray, b: pa.ChunkedArray) -> np.ndarray:
    """Where two aligned columns differ (a null against a value differs; two NaNs do not)."""
    unequal = pc.fill_null(pc.not_equal(a, b), False)
    if pa.types.is_floating(a.type):
        unequal = pc.and_(unequal, pc.invert(pc.and_(pc.fill_null(pc.is_nan(a), False),
                                                      pc.fill_null(pc.is_nan(b), False))))
    mask = pc.or_(unequal, pc.xor(pc.is_null(a), pc.is_null(b)))
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _adjacent_repeats(keys: pa.Table) -> bool:
    """Whether a table of keys, sorted, holds a key twice (two equal neighbours)."""
    if keys.num_rows < 2:
        return False
    same = None
    for column in keys.columns:
        equal = pc.fill_null(pc.equal(column.slice(1), column.slice(0, len(column) - 1)), False)
        same = equal if same is None else pc.and_(same, equal)
    return bool(pc.any(same).as_py())


def _repeats(rows: pa.ChunkedArray) -> bool:
    """Whether a row number appears twice in the join (its key matched two rows of the other side)."""
    valid = pc.drop_null(rows)
    return bool(pc.count_distinct(valid).as_py() != len(valid))


def _empty_keys(table: pa.Table | None, key: list[str]) -> pa.Table:
    if table is None or not key:
        return pa.table({})
    return table.select(key).slice(0, 0)


def _compare_records(name: str, old: pa.Table, new: pa.Table, key: list[str]
                     ) -> tuple[pa.Table, pa.Table, pa.Table, dict[str, pa.Table]]:
    """Join on the key (Arrow hash join); return added keys, removed keys, matched keys, changes."""
    old_k, new_k = {}, {}
    for column in key:
        pair = _comparable(old[column], new[column])
        if pair is None:
            raise DiffError(f"table {name}: the key column {column!r} has types "
                            f"{old[column].type} and {new[column].type}, which cannot be compared")
        old_k[column], new_k[column] = pair
    left = pa.table({**old_k, "__old_row": pa.array(np.arange(old.num_rows, dtype=np.int64))})
    right = pa.table({**new_k, "__new_row": pa.array(np.arange(new.num_rows, dtype=np.int64))})
    joined = left.join(right, keys=key, join_type="full outer", coalesce_keys=True)
    old_rows, new_rows = joined["__old_row"], joined["__new_row"]
    by = [(k, "ascending") for k in key]
    added = joined.filter(pc.is_null(old_rows)).select(key).sort_by(by)
    removed = joined.filter(pc.is_null(new_rows)).select(key).sort_by(by)
    # a key repeated on one side either matches a row of the other side twice, or is unmatched
    # and stands twice, side by side, among the keys added or removed
    for which, matched, unmatched in (("old", new_rows, removed), ("new", old_rows, added)):
        if _repeats(matched) or _adjacent_repeats(unmatched):
            raise DiffError(f"table {name} of the {which} package repeats a primary key "
                            f"({', '.join(key)}); records are matched by it: validate the package "
                            "first")
    both = joined.filter(pc.and_(pc.is_valid(old_rows), pc.is_valid(new_rows)))
    take_old, take_new = both["__old_row"], both["__new_row"]
    changes: dict[str, pa.Table] = {}
    for column in new.column_names:
        if column in key or column not in old.column_names:
            continue
        pair = _comparable(old[column], new[column])
        if pair is None:
            continue
        a, b = pair[0].take(take_old), pair[1].take(take_new)
        mask = _differ(a, b)
        if mask.any():
            rows = pa.array(np.flatnonzero(mask))
            changes[column] = pa.table({"pos": rows, "old": old[column].take(take_old).take(rows),
                                        "new": new[column].take(take_new).take(rows)})
    return added, removed, both.select(key), changes


def _referenced(name: str, descriptor: dict[str, Any], schemas: dict[str, dict[str, Any]]) -> bool:
    """Whether another resource declares a foreign key into this one."""
    for other, declared in schemas.items():
        if other == name:
            continue
        for fk in _foreign_keys(declared).values():
            reference = fk.get("reference")
            if isinstance(reference, dict) and reference.get("resource") == name:
                return True
    return False


def _table_diff(name: str, old: _Package, new: _Package) -> TableDiff:
    old_t, new_t = old.tables.get(name), new.tables.get(name)
    old_s, new_s = old.schemas.get(name, {}), new.schemas.get(name, {})
    old_pk, new_pk = _key_list(old_s.get("primaryKey")), _key_list(new_s.get("primaryKey"))
    if old_t is None or new_t is None:
        present, key = (new_t, new_pk) if new_t is not None else (old_t, old_pk)
        assert present is not None  # the name comes from one package or the other
        key = key if key and all(k in present.column_names for k in key) else []
        keys = present.select(key).sort_by([(k, "ascending") for k in key]) if key else pa.table({})
        if old_t is None:
            return TableDiff(name, "added", key, None, present.num_rows, keys, _empty_keys(None, key),
                             [SchemaChange(name, None, "table_added", None, None, "minor",
                                           _MINOR_RESOURCE)])
        return TableDiff(name, "removed", key, present.num_rows, None, _empty_keys(None, key), keys,
                         [SchemaChange(name, None, "table_removed", None, None, "major",
                                       _MAJOR_NAME + " (a renamed table is one removed and one "
                                       "added; a table removed breaks what read it)")])
    resource = {r["name"]: r for r in old.descriptor["resources"] if isinstance(r, dict)}
    new_resource = {r["name"]: r for r in new.descriptor["resources"] if isinstance(r, dict)}
    changes = _property_changes(name, resource.get(name, {}), new_resource.get(name, {}),
                                {"name", "schema", "hash", "bytes"})
    changes += _schema_changes(name, old_s, new_s)
    key = next((k for k in (new_pk, old_pk) if k and all(
        c in old_t.column_names and c in new_t.column_names for c in k)), [])
    result = TableDiff(name, "unchanged", key, old_t.num_rows, new_t.num_rows,
                       _empty_keys(new_t, key), _empty_keys(old_t, key), changes)
    if not key:
        result.note = ("records not matched: the two versions share no primary key whose columns "
                       "both hold")
    else:
        result.added, result.removed, result._matched, result._changes = \
            _compare_records(name, old_t, new_t, key)
    bumps = []
    if result.removed.num_rows:
        referenced = _referenced(name, old.descriptor, old.schemas)
        bumps.append(("major", _MAJOR_REFERENCED) if referenced else ("patch", _PATCH_DATA))
    if result.added.num_rows:
        bumps.append(("minor", _MINOR_DATA))
    if result._changes:
        bumps.append(("patch", _PATCH_DATA))
    if not key and old_t.num_rows != new_t.num_rows:
        bumps.append(("minor", _MINOR_DATA) if new_t.num_rows > old_t.num_rows
                     else ("patch", _PATCH_DATA))
    if bumps:
        result.data_bump, result.data_rule = max(bumps, key=lambda b: BUMPS.index(b[0]))
    differs = bumps or changes
    result.status = "changed" if differs else "unchanged"
    return result


# --------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------


def diff(old: str | os.PathLike[str], new: str | os.PathLike[str]) -> PackageDiff:
    """Compare two versions of the data package and say which version bump they call for.

    Parameters
    ----------
    old, new : path-like or "installed"
        A ``datapackage.json``, a folder holding one, or the word
        ``"installed"`` for the installed package (write ``./installed``
        for a folder of that name). Each is read by the same safe reader as
        :func:`usjapan_data.validate` (local files inside the package only,
        hashes checked, sizes limited), every resource as its own
        descriptor declares it, Parquet or CSV.

    Returns
    -------
    PackageDiff
        ``.bump`` (``"major"``, ``"minor"``, ``"patch"`` or ``"none"``),
        ``.identical``, ``.tables`` (per table a :class:`TableDiff`: records
        ``added`` and ``removed`` by primary key, ``changes()`` as key,
        field, old, new, and ``schema_changes``), ``.summary()`` (a
        DataFrame, a row per table), ``.to_dict()``, ``.to_json()`` and
        ``str()``.

    Raises
    ------
    DiffError
        When a package cannot be read (no descriptor, an unsafe path, a
        hash that does not match its file, a file over a limit, ...) or a
        table repeats a primary key; the message names the package, table
        and problem.

    Notes
    -----
    The bump follows the Frictionless *Data Package Version* recipe
    (https://datapackage.org/recipes/data-package-version/), which says:
    increment the MAJOR version "when you make incompatible changes, e.g.
    change the data package, resource or field name or identifier; add,
    remove or re-order fields; change a field type or format; change a
    field constraint to be more restrictive; combine, split, delete or
    change the meaning of data that is referenced by another data
    resource"; the MINOR version "when you add data or change metadata in a
    backwards-compatible manner, e.g. add a new data resource to a data
    package; add new data to an existing data resource; change a field
    constraint to be less restrictive; update a reference to another data
    resource"; the PATCH version "when you make backwards-compatible fixes,
    e.g. correct errors in existing data; change descriptive metadata
    properties"; and relocating the data to a new URL or path changes no
    version. Each change found carries the rule it falls under
    (``SchemaChange.rule``, ``TableDiff.data_rule``). Where the recipe
    names no case, this reading is used:

    - a removed table is MAJOR (a renamed resource, which the recipe makes
      MAJOR, shows as one removed and one added);
    - a field added is MAJOR, as the recipe says ("you append a column to
      the data: increment the MAJOR version"), even though old readers
      may not notice;
    - a primary key changed is MAJOR (the identifier of the records); a
      foreign key added is a more restrictive constraint (MAJOR), one
      removed a less restrictive one (MINOR), one pointing elsewhere an
      updated reference (MINOR);
    - allowed values (``enum``, ``categories``) removed are MAJOR, only
      added MINOR; a changed ``pattern`` may restrict more, so MAJOR;
    - records removed from a table another resource refers to by a foreign
      key are MAJOR; from any other table, and values changed in place,
      are corrections of existing data (PATCH); records added are MINOR;
    - how values are written (``trueValues``, ``missingValues``, the
      format of the file, its path, hash) is not a change of the data;
    - the ``version`` and ``created`` of the package are what is being
      versioned and are not compared.

    Below 1.0.0 Semantic Versioning lets any step carry any change; the
    bump still says what the change is.

    Examples
    --------
    >>> import usjapan_data
    >>> result = usjapan_data.diff("installed", "installed")
    >>> result.identical, result.bump
    (True, 'none')
    >>> print(result)  # doctest: +ELLIPSIS
    Diff of installed (...) -> installed (...)
    no differences
    """
    before, after = _read(old, "old"), _read(new, "new")
    names = [r["name"] for r in after.descriptor["resources"]
             if isinstance(r, dict) and r.get("name") in after.tables]
    names += [r["name"] for r in before.descriptor["resources"]
              if isinstance(r, dict) and r.get("name") in before.tables and r["name"] not in names]
    tables = {name: _table_diff(name, before, after) for name in names}
    package_changes = _property_changes(None, before.descriptor, after.descriptor,
                                        {"resources", "version", "created"})
    def version(package: _Package) -> str | None:
        value = package.descriptor.get("version")
        return None if value is None else str(value)

    return PackageDiff(str(old), str(new), (version(before), version(after)), tables,
                       package_changes)
