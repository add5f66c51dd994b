"""Query the tables with SQL: an in-memory DuckDB database with a typed view of every table.

Everything is generated from the table definitions (:mod:`usjapan_data.schema`):

- one ENUM type per vocabulary, named after its column (``mode``,
  ``event_type``), or ``<table>_<column>`` where one column name has
  different vocabularies in different tables (``commitments_status``);
- one view per table over its Parquet file, each column cast to its type:
  text ``VARCHAR``, category its ENUM, date ``DATE``, integers and numbers
  their width, booleans ``BOOLEAN``;
- a second name for each table whose name is a reserved word in SQL:
  ``refs`` for ``references`` (the table itself must be quoted:
  ``SELECT * FROM "references"``);
- ``record_labels``: every record a link can name (``record_table``,
  ``record_id``, ``record_label``);
- ``<table>_named`` for each table that links to records through a
  (table, id) pair of columns (``schema.record_links``: ``record_actors_named``,
  ``evidence_named``): its rows, each link's id followed by the record's
  label (``record_id`` by ``record_label``) and each single-column foreign
  key by the label of the row it names (``actor_id`` by ``actor_name``,
  ``source_id`` by ``source_title``).

A record's label is the first non-null of: its ``title`` or ``name`` column,
its first required text column that is not a key, its identifier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from usjapan_data import schema
from usjapan_data.loading import table_path

if TYPE_CHECKING:
    import duckdb

__all__ = ["ALIASES", "connect", "statements"]

#: Second names for tables whose name SQL reserves.
ALIASES = {"references": "refs"}

_INTEGERS = {"Int8": "TINYINT", "Int16": "SMALLINT", "Int32": "INTEGER", "Int64": "BIGINT"}
_TYPES = {"text": "VARCHAR", "date": "DATE", "number": "DOUBLE", "boolean": "BOOLEAN"}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _enum_names() -> dict[tuple[str, str], str]:
    """The ENUM type of each (table, category column)."""
    vocabularies: dict[str, set[tuple[str, ...]]] = {}
    columns = []
    for table, model in schema.TABLES.items():
        for spec in schema.column_specs(model):
            if spec.kind == "category":
                vocabularies.setdefault(spec.name, set()).add(spec.categories)
                columns.append((table, spec.name))
    return {(t, c): c if len(vocabularies[c]) == 1 else f"{t}_{c}" for t, c in columns}


def _label(table: str) -> tuple[str, str]:
    """A table's label expression, and the name of the column it mainly shows."""
    candidates = schema.label_columns(schema.TABLES[table])
    return f"COALESCE({', '.join(_ident(c) for c in candidates)})", candidates[0]


def _linkable(table: str) -> bool:
    return table in schema.TABLES and len(schema.keys(schema.TABLES[table])["primary_key"]) == 1


def statements() -> list[str]:
    """Return the SQL that :func:`connect` runs: types, table views, link views."""
    enums = _enum_names()
    sql: list[str] = []
    for (table, column), name in enums.items():
        if any(f'TYPE {_ident(name)} ' in s for s in sql):
            continue  # created for another table with the same vocabulary
        spec = next(s for s in schema.column_specs(schema.TABLES[table]) if s.name == column)
        values = ", ".join(_literal(v) for v in spec.categories)
        sql.append(f"CREATE TYPE {_ident(name)} AS ENUM ({values})")
    for table, model in schema.TABLES.items():
        casts = []
        for spec in schema.column_specs(model):
            if spec.kind == "category":
                target = _ident(enums[(table, spec.name)])
            elif spec.kind == "integer":
                target = _INTEGERS.get(str(spec.dtype), "BIGINT")
            else:
                target = _TYPES[spec.kind]
            casts.append(f"CAST({_ident(spec.name)} AS {target}) AS {_ident(spec.name)}")
        path = _literal(str(table_path(table)))
        sql.append(f"CREATE VIEW {_ident(table)} AS SELECT {', '.join(casts)} FROM read_parquet({path})")
        if table in ALIASES:
            sql.append(f"CREATE VIEW {_ident(ALIASES[table])} AS SELECT * FROM {_ident(table)}")
    sql += _link_views()
    return sql


def _link_views() -> list[str]:
    links = {t: schema.record_links(m) for t, m in schema.TABLES.items() if schema.record_links(m)}
    targets: list[str] = []
    for table, table_links in links.items():
        specs = {s.name: s for s in schema.column_specs(schema.TABLES[table])}
        for link in table_links:
            targets += [t for t in specs[link["table"]].categories if _linkable(t) and t not in targets]
    if not targets:
        return []
    union = " UNION ALL ".join(
        f"SELECT {_literal(t)} AS record_table, "
        f"CAST({_ident(schema.keys(schema.TABLES[t])['primary_key'][0])} AS VARCHAR) AS record_id, "
        f"{_label(t)[0]} AS record_label FROM {_ident(t)}"
        for t in targets
    )
    sql = [f"CREATE VIEW record_labels AS {union}"]
    for table, table_links in links.items():
        keys = schema.keys(schema.TABLES[table])
        foreign = {fk["fields"][0]: fk["reference"] for fk in keys.get("foreign_keys", [])
                   if len(fk["fields"]) == 1 and _linkable(fk["reference"]["resource"])}
        by_id = {link["id"]: link for link in table_links}
        select, joins = [], []
        for number, spec in enumerate(schema.column_specs(schema.TABLES[table])):
            select.append(f"l.{_ident(spec.name)}")
            alias = f"j{number}"
            stem = spec.name.removesuffix("_id")
            if spec.name in by_id:  # (record_table, record_id) -> record_label
                select.append(f"{alias}.record_label AS {_ident(stem + '_label')}")
                joins.append(
                    f"LEFT JOIN record_labels AS {alias} ON {alias}.record_table = "
                    f"CAST(l.{_ident(by_id[spec.name]['table'])} AS VARCHAR) "
                    f"AND {alias}.record_id = l.{_ident(spec.name)}"
                )
            elif spec.name in foreign:  # actor_id -> actor_name
                ref = foreign[spec.name]
                expression, shown = _label(ref["resource"])
                select.append(f"{alias}.label AS {_ident(f'{stem}_{shown}')}")
                joins.append(
                    f"LEFT JOIN (SELECT {_ident(ref['fields'][0])} AS id, {expression} AS label "
                    f"FROM {_ident(ref['resource'])}) AS {alias} ON {alias}.id = l.{_ident(spec.name)}"
                )
        sql.append(f"CREATE VIEW {_ident(table + '_named')} AS SELECT {', '.join(select)} "
                   f"FROM {_ident(table)} AS l {' '.join(joins)}")
    return sql


def connect() -> "duckdb.DuckDBPyConnection":
    """Return an in-memory DuckDB connection with a typed view of every table.

    Needs the ``sql`` extra: ``pip install "usjapan-data[sql]"``.

    Returns
    -------
    duckdb.DuckDBPyConnection
        Views of every table (categories as ENUM types, dates as DATE),
        ``refs`` for ``"references"`` (a reserved word: quote it),
        ``record_labels``, and ``record_actors_named`` and
        ``evidence_named``, which resolve each (record_table, record_id)
        link to the record's label and each actor or source to its name.

    Raises
    ------
    ImportError
        When DuckDB is not installed; the message names the extra.

    Examples
    --------
    >>> from usjapan_data import connect
    >>> con = connect()
    >>> con.execute("SELECT record_label, actor_name, role FROM record_actors_named "
    ...             "WHERE record_id = 'EVT-004' AND actor_id = 'JPN'").fetchall()
    [('Treaty of San Francisco', 'Japan', 'participant')]
    >>> con.execute("SELECT count(*) FROM refs WHERE role = 'source_document'").fetchone()
    (2,)
    >>> con.execute('SELECT count(*) FROM "references"').fetchone() == con.execute(
    ...     "SELECT count(*) FROM refs").fetchone()
    True
    """
    try:
        import duckdb
    except ImportError as exc:
        raise ImportError(
            "usjapan_data.connect() needs DuckDB, which the 'sql' extra installs: "
            "pip install \"usjapan-data[sql]\""
        ) from exc
    con = duckdb.connect(":memory:")
    for statement in statements():
        con.execute(statement)
    return con
