"""The codebook: every table and column, as data (:func:`describe`) and as ``docs/codebook.md``.

Both come from the table definitions in :mod:`usjapan_data.schema`: types,
nullability, keys, constraints, descriptions and the meaning of every value a
category column allows (``schema.MEANINGS``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from usjapan_data import __version__, schema
from usjapan_data.descriptor import table_schema

__all__ = ["DESCRIBE_COLUMNS", "codebook", "describe", "format_text", "summary"]

#: The columns of :func:`describe`'s frame.
DESCRIBE_COLUMNS = [
    "table", "column", "type", "dtype", "nullable", "primary_key", "references",
    "constraints", "description", "values",
]


def _dtype_name(dtype: object) -> str:
    if isinstance(dtype, pd.StringDtype):
        return f"string[{dtype.storage}]"
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    return str(dtype)


def _constraint_text(field: dict[str, Any], code: str = "`") -> str:
    """Describe a Table Schema field's constraints other than its allowed values."""
    c = field.get("constraints", {})
    parts = []
    if "pattern" in c:
        parts.append(f"matches {code}{c['pattern']}{code}")
    if "minimum" in c:
        parts.append(f">= {c['minimum']}")
    if "maximum" in c:
        parts.append(f"<= {c['maximum']}")
    if "minLength" in c:
        parts.append(f"at least {c['minLength']} character(s)")
    if c.get("unique"):
        parts.append("unique")
    return "; ".join(parts)


def _references(model: Any) -> dict[str, str]:
    """What each key column of a table points at, by column."""
    out = {}
    for fk in schema.keys(model).get("foreign_keys", []):
        ref = fk["reference"]
        for mine, theirs in zip(fk["fields"], ref["fields"]):
            out[mine] = f"{ref['resource']}.{theirs}"
    for link in schema.record_links(model):
        out[link["id"]] = f"the primary key of the table named in {link['table']}"
    return out


def describe(table: str | None = None) -> pd.DataFrame:
    """Return the codebook as a DataFrame: one row per column of every table.

    Parameters
    ----------
    table : str, optional
        Only this table's columns (a name from :func:`usjapan_data.list_tables`).

    Returns
    -------
    pandas.DataFrame
        One row per column, in table and column order, with ``table``,
        ``column``, ``type`` (text, category, date, integer, number or
        boolean), ``dtype`` (of the loaded pandas column), ``nullable``,
        ``primary_key`` (part of the table's primary key), ``references``
        (the ``table.column`` a foreign key points at), ``constraints``
        (pattern, range, uniqueness), ``description`` and ``values``: for a
        category column, a dict of every allowed value to its meaning, else
        None. The full codebook, with the coding rules, is the file at
        :func:`usjapan_data.codebook_path`.

    Raises
    ------
    KeyError
        For an unknown table (the message lists the valid names).

    Examples
    --------
    >>> from usjapan_data import describe
    >>> events = describe("events").set_index("column")
    >>> events.loc["date_precision", "type"], bool(events.loc["date_precision", "nullable"])
    ('category', False)
    >>> events.loc["mode", "values"]["fact"]
    'reported as having happened or being so'
    >>> describe("record_actors").set_index("column").loc["actor_id", "references"]
    'actors.actor_id'
    >>> print(describe().query("column == 'role'")["table"].tolist())
    ['references', 'record_actors']
    """
    names = [table] if table is not None else list(schema.TABLES)
    rows = []
    for name in names:
        model = schema.table_model(name)
        keys = schema.keys(model)
        references = _references(model)
        fields = {f["name"]: f for f in table_schema(name)["fields"]}
        for spec in schema.column_specs(model):
            field = fields[spec.name]
            rows.append({
                "table": name,
                "column": spec.name,
                "type": spec.kind,
                "dtype": _dtype_name(spec.dtype),
                "nullable": spec.nullable,
                "primary_key": spec.name in keys["primary_key"],
                "references": references.get(spec.name),
                "constraints": _constraint_text(field, code="") or None,
                "description": field["description"],
                "values": schema.meanings(spec.categories) if spec.kind == "category" else None,
            })
    frame = pd.DataFrame(rows, columns=DESCRIBE_COLUMNS)
    text = [c for c in DESCRIBE_COLUMNS if c not in ("nullable", "primary_key", "values")]
    return frame.astype({c: schema.TEXT_DTYPE for c in text} | {"nullable": bool, "primary_key": bool})


def _table_header(name: str) -> tuple[str, list[str]]:
    """A table's description and the lines naming its keys (Markdown)."""
    model = schema.TABLES[name]
    keys = schema.keys(model)
    lines = [f"Primary key: {', '.join(f'`{k}`' for k in keys['primary_key'])}."]
    for fk in keys.get("foreign_keys", []):
        ref = fk["reference"]
        lines.append(f"Foreign key: `{fk['fields'][0]}` → `{ref['resource']}.{ref['fields'][0]}`.")
    for link in schema.record_links(model):
        lines.append(f"Record link: (`{link['table']}`, `{link['id']}`) → the record of that table.")
    return model.Config.description or "", lines


def format_text(frame: pd.DataFrame) -> str:
    """Render a :func:`describe` frame as plain text for a terminal.

    Parameters
    ----------
    frame : pandas.DataFrame
        What :func:`describe` returned.
    """
    lines: list[str] = []
    for name, columns in frame.groupby("table", sort=False):
        description, keys = _table_header(str(name))
        lines += [f"{name}", f"  {description}"]
        lines += [f"  {k.replace('`', '').replace('→', '->')}" for k in keys]
        width = max(len(c) for c in columns["column"])
        for rec in columns.itertuples(index=False):
            facts = [rec.type, "nullable" if rec.nullable else "required"]
            facts += [f"-> {rec.references}"] if pd.notna(rec.references) else []
            facts += [rec.constraints] if pd.notna(rec.constraints) else []
            lines.append(f"  {rec.column:<{width}}  {', '.join(facts)}")
            lines.append(f"  {'':<{width}}  {rec.description}")
            for value, meaning in (rec.values or {}).items():
                lines.append(f"  {'':<{width}}    {value}: {meaning or '(meaning not written)'}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _types_line() -> str:
    kinds = ", ".join(f"`{kind}` `{dtype}`" for dtype, kind in schema._KINDS.items())
    return (
        f"Types are those of the loaded pandas columns ({kinds}); `category` is a "
        "pandas categorical with every allowed value as a category, `date` is stored "
        "as Parquet `date32`; all are nullable with `pd.NA`/`NaT`."
    )


def codebook(rules: str) -> str:
    """Return the codebook: every table and column, the meaning of every value, the coding rules.

    Parameters
    ----------
    rules : str
        The text of ``docs/coding-rules.md``.
    """
    lines = [
        "# Codebook",
        "",
        f"usjapan-data {__version__}. Generated by `usjapan-data build` from the table "
        "definitions in `src/usjapan_data/schema.py`; do not edit by hand. In Python, "
        "`usjapan_data.describe()` returns the same as a DataFrame.",
        "",
        _types_line(),
        "",
    ]
    frame = describe()
    shown: dict[tuple[str, ...], str] = {}  # vocabulary -> where its meanings are listed
    for name, columns in frame.groupby("table", sort=False):
        description, keys = _table_header(str(name))
        lines += [f"## `{name}`", "", description, "", *keys, "",
                  "| column | type | required | allowed values | description |",
                  "| --- | --- | --- | --- | --- |"]
        vocabularies = []
        fields = {f["name"]: f for f in table_schema(str(name))["fields"]}
        for rec in columns.itertuples(index=False):
            allowed = [f"one of {', '.join(f'`{v}`' for v in rec.values)}"] if rec.values else []
            allowed += [_constraint_text(fields[rec.column])] if pd.notna(rec.constraints) else []
            lines.append(
                f"| `{rec.column}` | {rec.type} | {'' if rec.nullable else 'yes'} | "
                f"{'; '.join(allowed)} | {rec.description} |"
            )
            if rec.values:
                vocabularies.append(rec)
        lines.append("")
        for rec in vocabularies:
            key = tuple(rec.values)
            if key in shown:
                lines += [f"Values of `{rec.column}`: as for {shown[key]}.", ""]
                continue
            shown[key] = f"`{name}.{rec.column}`"
            lines += [f"Values of `{rec.column}`:", "", "| value | meaning |", "| --- | --- |"]
            lines += [f"| `{v}` | {m or ''} |" for v, m in rec.values.items()]
            lines.append("")
    lines += ["---", "", rules.strip(), ""]
    return "\n".join(lines)


def summary(tables: dict[str, pd.DataFrame]) -> str:
    """Return the Markdown table of row counts per table and per source document."""
    evidence = tables["evidence"]
    by_source: dict[str, Counter] = {}
    for table in ("events", "commitments", "exercises", "recommendations", "references", "actors"):
        ev = evidence[evidence["record_table"].astype("object") == table]
        counts = ev.drop_duplicates(["record_id", "source_id"])["source_id"].astype("object").value_counts()
        by_source[table] = Counter(counts.to_dict())
    sources = list(tables["references"].loc[
        tables["references"]["role"].astype("object") == "source_document", "reference_id"])
    head = "| table | rows | " + " | ".join(f"with evidence from `{s}`" for s in sources) + " |"
    lines = [head, "| --- | ---: |" + " ---: |" * len(sources)]
    for name in schema.TABLES:
        cells = [str(by_source[name].get(s, "")) if name in by_source else "" for s in sources]
        lines.append(f"| `{name}` | {len(tables[name])} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
