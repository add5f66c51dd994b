"""The checks of the table definitions as SQL, for engines that run SQL (DuckDB, Spark).

Everything here is generated from the models (:mod:`usjapan_data.schema`):
column kinds, vocabularies, patterns, ranges, lengths, keys, links, and the
row rules of each model and the rules across tables (:mod:`usjapan_data.rules`),
whose SQL forms are written once, in :data:`ROW_RULES` and :data:`TABLE_RULES`.
``usjapan-data build`` writes what :func:`generate` returns for each dialect
to ``schemas/checks.duckdb.sql`` and ``schemas/checks.spark.sql``, and
``build --check`` proves they match the models.

What the SQL expects of the engine that runs it
-----------------------------------------------
Each table is a relation named by the table (a quoted identifier, such as
``"events"``) holding:

- every column of the table, in its SQL type: text and categories
  ``VARCHAR``/``STRING`` (a category as its text, so that a value outside
  the vocabulary is seen), dates ``DATE``, integers ``BIGINT``, numbers
  ``DOUBLE``, booleans ``BOOLEAN``;
- ``__row``, the 0-based position of the row (``BIGINT``);
- ``__bad``, ``NULL`` or a text ``,col1,col2,`` naming the columns whose
  value the engine itself found of the wrong type (reported by the engine,
  as those depend on how the file stores them) and left ``NULL``.

A check whose ``tables`` are not all there is not run (its tables are
missing or lack columns, which is reported otherwise).

Each :class:`SqlCheck`'s ``sql`` is a ``SELECT`` of two columns, ``row``
(0-based) and ``found`` (text, as :func:`usjapan_data.conform.show` shows a
value; with ``found_repr``, the raw text, to be shown as Python's ``repr``,
``null`` when missing). A finding is ``(table, row + 1, column, check,
found, expected)`` and its message ``f"{message}: found {found}, expected
{expected}"``, as the default engine reports it.

One error per problem, as in :mod:`usjapan_data.validation`: each cell is
reported by the first check it fails, in the same order (type or
vocabulary, required, the column's own checks, unique, the row rules), and
the keys and links skip the cells already reported. The SQL computes, per
table, which cells are reported so far (``<column>__bad``) in a chain of
common table expressions; patterns are matched on the distinct values of a
column.

Examples
--------
>>> from usjapan_data.sqlchecks import generate
>>> checks = generate("duckdb")
>>> next(c for c in checks if c.table == "events" and c.check == "pattern").column
'event_id'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from usjapan_data import schema
from usjapan_data.conform import _DATE_SPAN, _FIRST_DAY, _LAST_DAY, _SHOWN_CHARS
from usjapan_data.parsing import ColumnSpec
from usjapan_data.validation import _SAYS, _column_check

__all__ = ["SqlCheck", "Dialect", "DIALECTS", "ROW_RULES", "TABLE_RULES", "clean", "final", "generate",
           "plan", "prepared", "screen", "script"]

Dialect = Literal["duckdb", "spark"]
DIALECTS: tuple[Dialect, ...] = ("duckdb", "spark")

#: The SQL type of each column kind.
SQL_TYPES = {
    "duckdb": {"text": "VARCHAR", "category": "VARCHAR", "date": "DATE", "integer": "BIGINT",
               "number": "DOUBLE", "boolean": "BOOLEAN"},
    "spark": {"text": "STRING", "category": "STRING", "date": "DATE", "integer": "BIGINT",
              "number": "DOUBLE", "boolean": "BOOLEAN"},
}
#: Characters that make a text blank with spaces (what Arrow's utf8_is_space counts).
_SPACE = r"[\t\n\x{0B}\f\r \x{1C}-\x{1F}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]"


@dataclass(frozen=True)
class SqlCheck:
    """One check as SQL, and how its findings are reported.

    Attributes
    ----------
    table : str
        The table the finding is reported on.
    check : str
        The check's name, as the default engine reports it.
    column : str or None
        The column reported (a row rule's columns, joined by ", ").
    expected : str
    message : str
        The message before ": found ..., expected ...".
    sql : str
        A SELECT of ``row`` (0-based) and ``found`` (text).
    tables : tuple of str
        The relations the SQL reads; the check runs only when all are there.
    found_repr : bool
        ``found`` is raw text, shown as Python's ``repr`` (``null`` when missing).
    body : str
        ``sql`` without its WITH clause: it reads the relations of
        :func:`prepared` (which an engine may create once, as views or
        tables, instead of computing them in every check).
    screened : bool
        A check of one table that finds nothing when the table's
        :func:`screen` counts 0: kinds, vocabularies, required columns, the
        columns' own checks, unique columns, row rules and the primary key.
    """

    table: str
    check: str
    column: str | None
    expected: str
    message: str
    sql: str
    tables: tuple[str, ...] = ()
    found_repr: bool = False
    body: str = ""
    screened: bool = False


# --------------------------------------------------------------------------
# Dialects
# --------------------------------------------------------------------------


class _Sql:
    """Spelling of the few things the dialects write differently."""

    def __init__(self, dialect: Dialect) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r}; the dialects are {', '.join(DIALECTS)}")
        self.dialect = dialect
        self.types = SQL_TYPES[dialect]

    def q(self, name: str) -> str:
        """A quoted identifier."""
        if self.dialect == "spark":
            return "`" + name.replace("`", "``") + "`"
        return '"' + name.replace('"', '""') + '"'

    def lit(self, text: str) -> str:
        if self.dialect == "spark":
            return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + text.replace("'", "''") + "'"

    def text(self, expr: str) -> str:
        return f"CAST({expr} AS {self.types['text']})"

    def full_match(self, expr: str, core: str) -> str:
        if self.dialect == "spark":  # Java's "$" would accept a trailing newline
            anchored = "^(?:" + core + r")\z"
            return f"({expr} RLIKE {self.lit(anchored)})"
        return f"regexp_full_match({expr}, {self.lit(core)})"

    def same(self, a: str, b: str) -> str:
        """Null-safe equality (nulls match nulls, as Arrow's is_in does)."""
        return f"({a} <=> {b})" if self.dialect == "spark" else f"({a} IS NOT DISTINCT FROM {b})"

    def eq(self, a: str, b: str) -> str:
        """pandas ``==`` on objects: a missing side is False."""
        return f"COALESCE({a} = {b}, FALSE)"

    def ne(self, a: str, b: str) -> str:
        """pandas ``!=`` on objects: a missing side is True."""
        return f"COALESCE({a} <> {b}, TRUE)"

    def isin(self, a: str, values: tuple[str, ...]) -> str:
        return f"COALESCE({a} IN ({', '.join(self.lit(v) for v in values)}), FALSE)"

    def date(self, day: object) -> str:
        return f"DATE '{day}'"

    def nan(self, expr: str) -> str:
        return f"isnan({expr})"

    def infinite(self, expr: str) -> str:
        inf = "CAST('Infinity' AS DOUBLE)" if self.dialect == "spark" else "CAST('inf' AS DOUBLE)"
        return f"({expr} = {inf} OR {expr} = -{inf})"

    def show(self, expr: str, kind: str) -> str:
        """``conform.show`` of a value: ``null`` when missing, text cut at 200 characters."""
        if kind in ("text", "category"):
            cut = (f"CASE WHEN length({expr}) > {_SHOWN_CHARS} THEN "
                   f"substr({expr}, 1, {_SHOWN_CHARS}) || '…' ELSE {expr} END")
            return f"COALESCE({cut}, 'null')"
        if kind == "boolean":
            return f"CASE WHEN {expr} THEN 'True' WHEN NOT {expr} THEN 'False' ELSE 'null' END"
        if kind == "number":
            inf = "CAST('Infinity' AS DOUBLE)" if self.dialect == "spark" else "CAST('inf' AS DOUBLE)"
            return (f"CASE WHEN {expr} IS NULL THEN 'null' WHEN isnan({expr}) THEN 'nan' "
                    f"WHEN {expr} = {inf} THEN 'inf' WHEN {expr} = -{inf} THEN '-inf' "
                    f"ELSE {self.double_text(expr)} END")
        return f"COALESCE({self.text(expr)}, 'null')"

    def double_text(self, expr: str) -> str:
        """A finite double as Python's ``repr`` writes it (``10000000000.0``, ``1e+16``, ``1e-05``).

        DuckDB writes doubles that way already. Spark writes Java's
        ``Double.toString`` (``1.0E10``, ``1.0E-4``): its scientific form
        is rewritten, positional from 1e-4 up to 1e16, as Python's otherwise.
        The digits stay Java's: before Java 19 they are not always the
        shortest (``9.999999999999999E22`` for 1e23, ``4.9E-324`` for 5e-324),
        and then differ from Python's.
        """
        text = self.text(expr)
        if self.dialect != "spark":
            return text

        def part(i: int) -> str:
            return f"regexp_extract({text}, '^(-?)([0-9])[.]([0-9]+)E(-?[0-9]+)$', {i})"

        sign, lead, frac, exp = part(1), part(2), part(3), f"try_cast({part(4)} AS INT)"
        digits = f"(CASE WHEN {frac} = '0' THEN '' ELSE {frac} END)"
        positional = (f"CASE WHEN {exp} < 0 THEN concat({sign}, '0.', repeat('0', -{exp} - 1), {lead}, "
                      f"{digits}) WHEN length({frac}) <= {exp} THEN concat({sign}, {lead}, "
                      f"rpad({frac}, {exp}, '0'), '.0') ELSE concat({sign}, {lead}, substr({frac}, 1, {exp}), "
                      f"'.', substr({frac}, {exp} + 1)) END")
        scientific = (f"concat({sign}, {lead}, CASE WHEN {frac} = '0' THEN '' ELSE concat('.', {frac}) END, "
                      f"'e', CASE WHEN {exp} < 0 THEN '-' ELSE '+' END, CASE WHEN abs({exp}) < 10 THEN '0' ELSE '' END, CAST(abs({exp}) AS STRING))")
        return (f"CASE WHEN {text} NOT LIKE '%E%' THEN {text} WHEN {exp} BETWEEN -4 AND 15 "
                f"THEN {positional} ELSE {scientific} END")

    def has_bad(self, column: str) -> str:
        """The engine reported the column's value of this row (``__bad`` names it)."""
        return f"COALESCE(instr(__bad, {self.lit(',' + column + ',')}) > 0, FALSE)"


# --------------------------------------------------------------------------
# The row rules and the rules across tables, as SQL: the one place
# --------------------------------------------------------------------------

#: The SQL form of each row rule: (dialect, conformed column expression) -> the rule holds.
#: Nulls follow pandas: ``==`` with a missing side is False, ``!=`` True.
ROW_RULES: dict[str, Callable[[_Sql, Callable[[str], str]], str]] = {
    "date_range_ordered": lambda s, c: f"NOT COALESCE({c('date_end')} < {c('date_start')}, FALSE)",
    "date_precision_agrees": lambda s, c: _precision_agrees(s, c),
    "date_basis_agrees": lambda s, c: (
        f"(({s.isin(c('date_basis'), schema.UNDATED_BASES)}) = ({s.eq(c('date_precision'), s.lit('unknown'))}))"
        f" AND ({s.ne(c('date_basis'), s.lit('time_of_writing'))} OR "
        f"{s.eq(c('date_precision'), s.lit('window'))})"),
    "event_status_agrees_mode": lambda s, c: (
        f"NOT (({s.eq(c('mode'), s.lit('expectation'))} AND NOT "
        f"{s.isin(c('status'), ('upcoming', 'unclear'))}) OR ({s.eq(c('status'), s.lit('upcoming'))}"
        f" AND {s.eq(c('mode'), s.lit('fact'))}))"),
    "commitment_expectation_not_final": lambda s, c: (
        f"NOT ({s.eq(c('mode'), s.lit('expectation'))} AND "
        f"{s.isin(c('status'), schema.FINAL_COMMITMENT_STATUSES)})"),
    "exercise_expectation_not_final": lambda s, c: (
        f"NOT ({s.eq(c('mode'), s.lit('expectation'))} AND "
        f"{s.isin(c('status'), schema.FINAL_EXERCISE_STATUSES)})"),
    "quantity_has_unit": lambda s, c: f"(({c('quantity')} IS NULL) = ({c('unit')} IS NULL))",
    "parent_agrees_level": lambda s, c: (
        f"({s.eq(c('level'), s.lit('overall'))} = ({c('parent_id')} IS NULL))"),
    "source_documents_complete": lambda s, c: _source_documents_complete(s, c),
    "author_named": lambda s, c: f"(({c('family')} IS NOT NULL) <> ({c('literal')} IS NOT NULL))",
    "state_codes": lambda s, c: _state_codes(s, c),
    "link_not_to_itself": lambda s, c: (
        f"NOT ({s.eq(c('record_table'), c('target_table'))} AND "
        f"{s.eq(c('record_id'), c('target_id'))})"),
}


def _precision_agrees(s: _Sql, c: Callable[[str], str]) -> str:
    start, end, prec = c("date_start"), c("date_end"), c("date_precision")
    def p(value: str) -> str:
        return s.eq(prec, s.lit(value))
    year_start = f"(day({start}) = 1 AND month({start}) = 1)"
    year_end = f"(month({end}) = 12 AND day({end}) = 31)"
    shaped = (
        f"{p('day')} OR ({p('month')} AND day({start}) = 1 AND {end} = last_day({end})) "
        f"OR ({p('year')} AND {year_start} AND {year_end}) "
        f"OR ({p('decade')} AND {year_start} AND {year_end} AND year({start}) % 10 = 0 "
        f"AND year({end}) % 10 = 9) OR ({p('window')} AND COALESCE({start} <= {end}, FALSE))"
    )
    return (f"(({p('unknown')} AND {start} IS NULL AND {end} IS NULL) OR (NOT {p('unknown')} "
            f"AND {start} IS NOT NULL AND {end} IS NOT NULL AND COALESCE({shaped}, FALSE)))")


def _source_documents_complete(s: _Sql, c: Callable[[str], str]) -> str:
    source = s.eq(c("role"), s.lit("source_document"))
    written = [c("written_start"), c("written_end"), c("written_basis")]
    as_source = (f"{c('source_file')} IS NOT NULL AND {c('sha256')} IS NOT NULL AND "
                 f"{c('cited_by')} IS NULL AND " + " AND ".join(f"{w} IS NOT NULL" for w in written)
                 + f" AND COALESCE({written[0]} <= {written[1]}, FALSE)")
    as_cited = (f"{c('cited_by')} IS NOT NULL AND {c('in_reference_list')} IS NOT NULL AND NOT ("
                + " OR ".join(f"{w} IS NOT NULL" for w in written) + ")")
    return f"(({source} AND {as_source}) OR (NOT {source} AND {as_cited}))"


def _state_codes(s: _Sql, c: Callable[[str], str]) -> str:
    state = s.eq(c("kind"), s.lit("state"))
    part = s.isin(c("kind"), schema.STATE_PARTS)
    codes = [c("iso3"), c("cow_ccode"), c("cow_abbrev")]
    every = " AND ".join(f"{x} IS NOT NULL" for x in codes)
    some = " OR ".join(f"{x} IS NOT NULL" for x in codes)
    has_state = f"({c('state_id')} IS NOT NULL)"
    return (f"(({state} AND {every} AND NOT {has_state}) OR "
            f"(NOT {state} AND NOT ({some}) AND ({has_state} = {part})))")


# --------------------------------------------------------------------------
# Per table: the conformed values and the cells reported so far
# --------------------------------------------------------------------------


def _specs(table: str) -> tuple[ColumnSpec, ...]:
    return schema.column_specs(schema.TABLES[table])


def _column_tests(s: _Sql, table: str) -> dict[str, list[tuple[str, str, str, str | None]]]:
    """Each column's own checks: (check, SQL that the value passes, expected, pattern core)."""
    columns = schema.TABLES[table].to_schema().columns
    out: dict[str, list[tuple[str, str, str, str | None]]] = {}
    for name, column in columns.items():
        tests = []
        v = s.q(name)
        for check in column.checks:
            stats = check.statistics or {}
            codebook, _, expected = _column_check(check)
            core = None
            if check.name == "str_matches":
                core = stats["pattern"].removeprefix("^").removesuffix("$")
                sql = s.full_match(v, core)
            elif check.name in ("greater_than_or_equal_to", "greater_than"):
                sql = f"{v} {'>=' if check.name.endswith('equal_to') else '>'} {stats['min_value']}"
            elif check.name in ("less_than_or_equal_to", "less_than"):
                sql = f"{v} {'<=' if check.name.endswith('equal_to') else '<'} {stats['max_value']}"
            elif check.name == "in_range":
                sql = f"{v} >= {stats['min_value']} AND {v} <= {stats['max_value']}"
            elif check.name == "str_length":
                low, high, exact = stats.get("min_value"), stats.get("max_value"), stats.get("exact_value")
                if exact is not None:
                    low = high = exact
                sql = f"length({v}) >= {low or 0}" + (f" AND length({v}) <= {high}" if high is not None else "")
            elif check.name == "isin":
                sql = f"{v} IN ({', '.join(s.lit(str(x)) for x in stats['allowed_values'])})"
            else:
                raise NotImplementedError(f"{table}.{name}: check {check.name!r} has no SQL form; "
                                          "add one in usjapan_data.sqlchecks")
            tests.append((codebook, sql, expected, core))
        out[name] = tests
    return out


def _type_tests(s: _Sql, spec: ColumnSpec) -> list[tuple[str, str, str]]:
    """Value checks of the column's kind that SQL sees: (check, SQL that fails, expected)."""
    v = s.q(spec.name)
    if spec.kind == "category":
        return [("vocabulary", f"{v} NOT IN ({', '.join(s.lit(x) for x in spec.categories)})",
                 "one of " + ", ".join(spec.categories))]
    if spec.kind == "number":
        return [("type", f"({s.nan(v)} OR {s.infinite(v)})", "a finite number")]
    if spec.kind == "date":
        return [("type", f"({v} < {s.date(_FIRST_DAY.date())} OR {v} > {s.date(_LAST_DAY.date())})",
                 f"a date YYYY-MM-DD from {_DATE_SPAN}")]
    return []


#: Code points beyond ASCII that are spaces (the first character of a blank text is one of them).
_WIDE_SPACES = (0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)


def _blank(s: _Sql, spec: ColumnSpec, v: str) -> str:
    """Missing, or (text) empty or only spaces; the regex runs only where the first character is a space."""
    if spec.kind != "text":
        return f"({v} IS NULL)"
    first = f"{'ascii' if s.dialect == 'spark' else 'unicode'}({v})"
    return (f"({v} IS NULL OR (({first} <= 32 OR {first} IN ({', '.join(map(str, _WIDE_SPACES))})) "
            f"AND {s.full_match(v, _SPACE + '*')}))")


@dataclass(frozen=True)
class _Chain:
    """The CTEs of one table: ``<t>__c`` (conformed), ``<t>__k`` (column checks), ``<t>__r<i>`` (rules)."""

    ctes: list[tuple[str, str]]
    final: str  # the CTE with every conformed value and each cell's final ``__bad`` flag
    summaries: tuple[str, ...] = ()  # after it: what the checks across tables read of a big table


def _bad(column: str) -> str:
    return column + "__bad"


@lru_cache(maxsize=None)
def _chain(dialect: Dialect, table: str) -> _Chain:
    s = _Sql(dialect)
    specs = _specs(table)
    names = [sp.name for sp in specs]
    tests = _column_tests(s, table)
    conformed, flags = [], []
    for spec in specs:
        v = s.q(spec.name)
        failing = [fail for _, fail, _ in _type_tests(s, spec)]
        bad = " OR ".join([s.has_bad(spec.name)] + [f"COALESCE({f}, FALSE)" for f in failing])
        conformed.append(f"CASE WHEN {' OR '.join(f'COALESCE({f}, FALSE)' for f in failing)} THEN NULL "
                         f"ELSE {v} END AS {v}" if failing else v)
        flags.append(f"({bad}) AS {s.q(_bad(spec.name))}")
    c_name = f"{table}__c"
    ctes = [(c_name, f"SELECT __row, {', '.join(conformed + flags)} FROM {s.q(table)}")]
    # the column's own checks, required first; unique beside them
    unique = [n for n in _unique_columns(table)]
    checked = []
    for spec in specs:
        v, bad = s.q(spec.name), s.q(_bad(spec.name))
        parts = [bad]
        if not spec.nullable:
            parts.append(_blank(s, spec, v))
        parts += [f"({v} IS NOT NULL AND NOT COALESCE({sql}, FALSE))" for _, sql, _, _ in tests.get(spec.name, [])]
        if spec.name in unique:
            parts.append(f"({v} IS NOT NULL AND row_number() OVER (PARTITION BY {v} ORDER BY __row) > 1)")
        checked.append(f"({' OR '.join(parts)}) AS {bad}")
    k_name = f"{table}__k"
    ctes.append((k_name, f"SELECT __row, {', '.join(s.q(n) for n in names)}, {', '.join(checked)} "
                         f"FROM {s.q(c_name)}"))
    previous = k_name
    for i, (rule, columns) in enumerate(_table_rules(table)):
        fail = _rule_fails(s, rule, columns)
        updated = [f"({s.q(_bad(n))} OR ({fail})) AS {s.q(_bad(n))}" if n in columns else s.q(_bad(n))
                   for n in names]
        name = f"{table}__r{i}"
        ctes.append((name, f"SELECT __row, {', '.join(s.q(n) for n in names)}, {', '.join(updated)} "
                           f"FROM {s.q(previous)}"))
        previous = name
    summaries = []
    for name, summary in _SUMMARIES.get(table, {}).items():
        ctes.append((name, summary(s, s.q(previous))))
        summaries.append(name)
    return _Chain(ctes, previous, tuple(summaries))


#: Per table, relations that the checks across tables read instead of the whole table: one
#: scan of it, however many checks (records with evidence, what it supports, from which source;
#: the records' actors by role).
_SUMMARIES: dict[str, dict[str, Callable[[_Sql, str], str]]] = {
    "evidence": {"evidence__records": lambda s, f: (
        "SELECT record_table, record_id, source_id, "
        + ", ".join(f"bool_or(COALESCE(supports_{v}, FALSE)) AS supports_{v}"
                    for v in ("date", "status", "quantity"))
        + f" FROM {f} GROUP BY record_table, record_id, source_id")},
    "record_actors": {"record_actors__roles": lambda s, f: (
        f"SELECT DISTINCT record_table, record_id, role FROM {f}")},
}


def _rule_fails(s: _Sql, rule: str, columns: list[str]) -> str:
    holds = ROW_RULES[rule](s, s.q)
    clean = " AND ".join(f"NOT {s.q(_bad(c))}" for c in columns)
    return f"NOT COALESCE({holds}, FALSE) AND {clean}"


@lru_cache(maxsize=None)
def _unique_columns(table: str) -> list[str]:
    from usjapan_data.extension import core_definition

    return list(core_definition(table).unique)


@lru_cache(maxsize=None)
def _table_rules(table: str) -> list[tuple[str, list[str]]]:
    """Each row rule of a table, in the model's order, with the columns it reads."""
    names = [sp.name for sp in _specs(table)]
    out = []
    for check in schema.TABLES[table].to_schema().checks:
        rule = schema.rule_name(check)
        if rule not in ROW_RULES:
            raise NotImplementedError(f"row rule {rule!r} of {table} has no SQL form; add it to "
                                      "usjapan_data.sqlchecks.ROW_RULES")
        out.append((rule, [c for c in schema.RULE_COLUMNS.get(rule, names) if c in names]))
    return out


def _rule_error(table: str, rule: str) -> str:
    for check in schema.TABLES[table].to_schema().checks:
        if schema.rule_name(check) == rule:
            return check.error
    raise KeyError(rule)


def _with(dialect: Dialect, tables: list[str], body: str) -> str:
    """``body`` after the CTEs of each table that it reads (up to the last one it names)."""
    s = _Sql(dialect)
    ctes = []
    for table in dict.fromkeys(tables):
        chain = _chain(dialect, table).ctes
        used = [i for i, (name, _) in enumerate(chain) if s.q(name) in body]
        ctes += [f"{s.q(name)} AS ({sql})" for name, sql in chain[: max(used, default=-1) + 1]]
    return ("WITH " + ",\n  ".join(ctes) + "\n" if ctes else "") + body


def _final(dialect: Dialect, table: str) -> str:
    return _Sql(dialect).q(_chain(dialect, table).final)


# --------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------


def _table_checks(dialect: Dialect, table: str) -> list[SqlCheck]:
    s = _Sql(dialect)
    specs = _specs(table)
    tests = _column_tests(s, table)
    c_rel, k_rel = s.q(f"{table}__c"), s.q(f"{table}__k")
    out = []

    def add(check: str, column: str, expected: str, body: str, *, found_repr: bool = False,
            chain: bool = True, message: str | None = None) -> None:
        sql = _with(dialect, [table], body) if chain else body
        out.append(SqlCheck(table, check, column, expected,
                            message or f"{table}.{column} {_SAYS.get(check, 'fails ' + check)}",
                            sql, (table,), found_repr))

    for spec in specs:  # the kind: what the engine could not see in the file
        v = s.q(spec.name)
        for check, fail, expected in _type_tests(s, spec):
            add(check, spec.name, expected,
                f"SELECT __row AS row, {s.show(v, spec.kind)} AS found FROM {s.q(table)} "
                f"WHERE {v} IS NOT NULL AND {fail}", chain=False)
    for spec in specs:
        v, bad = s.q(spec.name), s.q(_bad(spec.name))
        # the reported-so-far flag before each check, built up as the default engine does
        before = [bad]
        if not spec.nullable:
            add("required", spec.name, "a value (the column is required)",
                f"SELECT __row AS row, {v} AS found FROM {c_rel} WHERE NOT {bad} AND "
                f"{_blank(s, spec, v)}", found_repr=True)
            before.append(_blank(s, spec, v))
        for check, sql, expected, core in tests.get(spec.name, []):
            earlier = " OR ".join(before)
            if core is not None:  # a pattern: matched once per distinct value
                failing = (f"{v} IN (SELECT value FROM (SELECT DISTINCT {v} AS value FROM {c_rel} "
                           f"WHERE {v} IS NOT NULL) AS d WHERE NOT {s.full_match('value', core)})")
            else:
                failing = f"NOT COALESCE({sql}, FALSE)"
            add(check, spec.name, expected,
                f"SELECT __row AS row, {s.show(v, spec.kind)} AS found FROM {c_rel} "
                f"WHERE {v} IS NOT NULL AND NOT ({earlier}) AND {failing}")
            before.append(f"({v} IS NOT NULL AND NOT COALESCE({sql}, FALSE))")
        if spec.name in _unique_columns(table):
            add("unique", spec.name, "a value not already used",
                f"SELECT row, found FROM (SELECT __row AS row, {s.show(v, spec.kind)} AS found, "
                f"{v} IS NOT NULL AND NOT ({' OR '.join(before)}) AS usable, row_number() OVER "
                f"(PARTITION BY {v} ORDER BY __row) AS n FROM {c_rel}) AS u WHERE usable AND n > 1")
    previous = k_rel
    kinds = {sp.name: sp.kind for sp in specs}
    for i, (rule, columns) in enumerate(_table_rules(table)):
        error = _rule_error(table, rule)
        found = " || ', ' || ".join(f"{s.lit(c + '=')} || {s.show(s.q(c), kinds[c])}" for c in columns)
        add(rule, ", ".join(columns), error,
            f"SELECT __row AS row, {found} AS found FROM {previous} "
            f"WHERE {_rule_fails(s, rule, columns)}", message=f"{table}: {error}")
        previous = s.q(f"{table}__r{i}")
    return out


def _key_checks(dialect: Dialect) -> list[SqlCheck]:
    s = _Sql(dialect)
    out: list[SqlCheck] = []
    kinds = {t: {sp.name: sp.kind for sp in _specs(t)} for t in schema.TABLES}

    def pk(table: str) -> list[str]:
        return schema.keys(schema.TABLES[table])["primary_key"]

    def ids(table: str) -> str:
        """The set key values of a table with a one-column primary key."""
        key = pk(table)
        if len(key) != 1:
            return "SELECT NULL AS id WHERE FALSE"
        return f"SELECT {s.q(key[0])} AS id FROM {_final(dialect, table)} WHERE {s.q(key[0])} IS NOT NULL"

    for table in schema.TABLES:
        key = pk(table)
        f = _final(dialect, table)
        cols = ", ".join(s.q(c) for c in key)
        found = " || ', ' || ".join(s.show(f"t.{s.q(c)}", kinds[table][c]) for c in key)
        usable = " AND ".join(f"NOT t.{s.q(_bad(c))} AND t.{s.q(c)} IS NOT NULL" for c in key)
        join = " AND ".join(f"d.{s.q(c)} = t.{s.q(c)}" for c in key)
        out.append(SqlCheck(
            table, "primary_key", ", ".join(key), "a value not already used",
            f"{table}: duplicate primary key ({', '.join(key)})",
            _with(dialect, [table],
                  f"SELECT t.__row AS row, {found} AS found FROM {f} AS t JOIN (SELECT {cols}, "
                  f"min(__row) AS first FROM {f} GROUP BY {cols} HAVING count(*) > 1) AS d "
                  f"ON {join} WHERE t.__row > d.first AND {usable}"), (table,)))

    def refer(table: str, column: str, target: str, targets: list[str], expected: str,
              where: str = "TRUE") -> None:
        f = _final(dialect, table)
        v = f"t.{s.q(column)}"
        out.append(SqlCheck(
            table, "foreign_key", column, expected, f"{table}.{column} points at nothing",
            _with(dialect, [table, *targets],
                  f"SELECT t.__row AS row, {s.show(v, kinds[table][column])} AS found FROM {f} AS t "
                  f"WHERE NOT t.{s.q(_bad(column))} AND {v} IS NOT NULL AND {where} AND "
                  f"{v} NOT IN ({target})"), tuple(dict.fromkeys([table, *targets]))))

    for table in schema.TABLES:
        meta = schema.keys(schema.TABLES[table])
        for fk in meta.get("foreign_keys", []):
            (column,), ref = fk["fields"], fk["reference"]
            refer(table, column, ids(ref["resource"]), [ref["resource"]],
                  f"an existing {ref['resource']}.{ref['fields'][0]}")
        for link in filter(None, (meta.get("record_link"), meta.get("target_link"))):
            spec = next(sp for sp in _specs(table) if sp.name == link["table"])
            for target in spec.categories:
                if target in schema.TABLES:
                    refer(table, link["id"], ids(target), [target], f"an existing {target} id",
                          s.eq(f"t.{s.q(link['table'])}", s.lit(target)))
    sources = (f"SELECT reference_id AS id FROM {_final(dialect, 'references')} WHERE "
               f"{s.eq('role', s.lit('source_document'))} AND reference_id IS NOT NULL")
    for table, column in (("evidence", "source_id"), ("recommendations", "recommender_id"),
                          ("references", "cited_by")):
        refer(table, column, sources, ["references"], "a reference of role source_document")
    return out


def _coverage_checks(dialect: Dialect) -> list[SqlCheck]:
    s = _Sql(dialect)
    out = []
    for table in schema.CODED_TABLES:
        key = schema.keys(schema.TABLES[table])["primary_key"][0]
        kind = next(sp.kind for sp in _specs(table) if sp.name == key)
        f = _final(dialect, table)
        covers = [("evidence", "evidence", "at least one evidence row", "the record has no evidence",
                   s.eq("record_table", s.lit(table)))]
        if table in ("commitments", "recommendations"):
            role = "committer" if table == "commitments" else "addressee"
            covers.append(("record_actors", role, f"a record_actors row with role {role}",
                           f"the record names no {role}",
                           f"{s.eq('record_table', s.lit(table))} AND {s.eq('role', s.lit(role))}"))
        for other, check, expected, message, where in covers:
            summary = s.q(_chain(dialect, other).summaries[0])
            present = f"SELECT record_id FROM {summary} WHERE {where}"
            out.append(SqlCheck(
                table, check, None, expected, f"{table}: {message}",
                _with(dialect, [table, other],
                      f"SELECT t.__row AS row, {s.show('t.' + s.q(key), kind)} AS found FROM {f} AS t "
                      f"WHERE t.{s.q(key)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ({present}) AS p "
                      f"WHERE p.record_id = t.{s.q(key)})"), (table, other)))
    out.append(SqlCheck(
        "actor_members", "grouping_kind", "grouping_id", "a grouping or organisation",
        "actor_members.grouping_id: a state cannot have members",
        _with(dialect, ["actor_members", "actors"],
              f"SELECT t.__row AS row, {s.show('t.grouping_id', 'text')} AS found FROM "
              f"{_final(dialect, 'actor_members')} AS t WHERE t.grouping_id IN (SELECT actor_id FROM "
              f"{_final(dialect, 'actors')} WHERE {s.eq('kind', s.lit('state'))} AND actor_id IS NOT NULL)"),
        ("actor_members", "actors")))
    return out


# --------------------------------------------------------------------------
# The rules across tables (rules.RULES), as SQL
# --------------------------------------------------------------------------


def _in_set(s: _Sql, value: str, select: str) -> str:
    """Null-safe membership, as Arrow's ``is_in``: a null matches a null in the set."""
    return f"EXISTS (SELECT 1 FROM ({select}) AS m WHERE {s.same('m.v', value)})"


def _evidence_for_value(dialect: Dialect) -> list[SqlCheck]:
    s = _Sql(dialect)
    out = []
    ev = s.q("evidence__records")
    for table in schema.CLAIM_TABLES:
        key = schema.keys(schema.TABLES[table])["primary_key"][0]
        columns = {sp.name: sp for sp in _specs(table)}
        own = s.eq("record_table", s.lit(table))
        evidenced = _in_set(s, f"t.{s.q(key)}", f"SELECT record_id AS v FROM {ev} WHERE {own}")
        needs = {"date": (s.ne("t.date_precision", s.lit("unknown")), "date_precision"),
                 "status": (s.ne("t.status", s.lit("unclear")), "status")}
        if "quantity" in columns:
            needs["quantity"] = ("t.quantity IS NOT NULL", "quantity")
        for value, (needed, column) in needs.items():
            marked = f"SELECT record_id AS v FROM {ev} WHERE {own} AND COALESCE(supports_{value}, FALSE)"
            found = s.show(f"t.{s.q(column)}", columns[column].kind)
            out.append(SqlCheck(
                table, "evidence_for_value", column,
                f"an evidence row of the record with supports_{value} true",
                f"{table}: no evidence row supports the record's {value}",
                _with(dialect, [table, "evidence"],
                      f"SELECT t.__row AS row, {found} AS found FROM {_final(dialect, table)} AS t "
                      f"WHERE {needed} AND {evidenced} AND NOT {_in_set(s, f't.{s.q(key)}', marked)}"),
                (table, "evidence")))
    return out


def _actor_evidence(dialect: Dialect) -> list[SqlCheck]:
    s = _Sql(dialect)
    ev, ra = _final(dialect, "evidence"), _final(dialect, "record_actors")
    # the actor is compared with the first evidence row of its evidence_id (the others are
    # duplicate keys, reported as such), as the default engine's index_in does
    if dialect == "spark":
        # the first row of each evidence_id (a struct is never null: min_by keeps null fields)
        first = (f"SELECT evidence_id, s.r AS record_id, s.t AS record_table FROM (SELECT evidence_id, "
                 f"min_by(named_struct('r', record_id, 't', record_table), __row) AS s FROM {ev} "
                 f"GROUP BY evidence_id) AS e")
        body = (f"SELECT t.__row AS row, {s.show('t.evidence_id', 'text')} AS found FROM {ra} AS t "
                f"JOIN ({first}) AS e ON {s.same('e.evidence_id', 't.evidence_id')} WHERE NOT ("
                f"COALESCE(e.record_id = t.record_id, FALSE) AND "
                f"COALESCE(e.record_table = t.record_table, FALSE))")
    else:
        # one join: the pairs that disagree, kept when no earlier row has their evidence_id
        # (nothing disagrees in a valid package, and the earlier rows are not looked for)
        pairs = (f"SELECT t.__row AS row, t.evidence_id AS evidence_id, e.__row AS at FROM {ra} AS t "
                 f"JOIN {ev} AS e ON {s.same('e.evidence_id', 't.evidence_id')} WHERE NOT ("
                 f"COALESCE(e.record_id = t.record_id, FALSE) AND "
                 f"COALESCE(e.record_table = t.record_table, FALSE))")
        body = (f"SELECT p.row AS row, {s.show('p.evidence_id', 'text')} AS found FROM ({pairs}) AS p "
                f"WHERE NOT EXISTS (SELECT 1 FROM {ev} AS f WHERE {s.same('f.evidence_id', 'p.evidence_id')} "
                f"AND f.__row < p.at)")
    return [SqlCheck(
        "record_actors", "actor_evidence", "evidence_id", "an evidence row of the same record",
        "record_actors: the actor's evidence row belongs to another record",
        _with(dialect, ["record_actors", "evidence"], body), ("record_actors", "evidence"))]


def _time_of_writing(dialect: Dialect) -> list[SqlCheck]:
    s = _Sql(dialect)
    out = []
    written = (f"SELECT reference_id, {s.show('written_end', 'date')} AS day FROM (SELECT reference_id, "
               f"written_end, row_number() OVER (PARTITION BY reference_id ORDER BY __row) AS n FROM "
               f"{_final(dialect, 'references')} WHERE {s.eq('role', s.lit('source_document'))}) AS w "
               f"WHERE n = 1")
    for table in schema.CLAIM_TABLES:
        key = schema.keys(schema.TABLES[table])["primary_key"][0]
        f = _final(dialect, table)
        anchored = s.eq("date_basis", s.lit("time_of_writing"))
        ids = f"SELECT {s.q(key)} AS v FROM {f} WHERE {anchored}"
        allowed = (f"SELECT e.record_id AS rid, w.day AS day FROM {s.q('evidence__records')} AS e "
                   f"JOIN ({written}) AS w ON {s.same('w.reference_id', 'e.source_id')} "
                   f"WHERE {s.eq('e.record_table', s.lit(table))} AND "
                   f"{_in_set(s, 'e.record_id', ids)}")
        day = s.show("t.date_end", "date")
        out.append(SqlCheck(
            table, "time_of_writing", "date_end",
            "the last day of the time of writing of one of the record's source documents",
            f"{table}: a date anchored to the time of writing must end when the source was written",
            _with(dialect, [table, "evidence", "references"],
                  f"SELECT t.__row AS row, {day} AS found FROM {f} AS t WHERE "
                  f"{s.eq('t.date_basis', s.lit('time_of_writing'))} AND NOT EXISTS (SELECT 1 FROM "
                  f"({allowed}) AS a WHERE {s.same('a.rid', f't.{s.q(key)}')} AND a.day = {day})"),
            (table, "evidence", "references")))
    return out


def _recommendation_tree(dialect: Dialect) -> list[SqlCheck]:
    s = _Sql(dialect)
    f = _final(dialect, "recommendations")
    first = (f"SELECT recommendation_id, level, recommender_id FROM (SELECT recommendation_id, level, "
             f"recommender_id, row_number() OVER (PARTITION BY recommendation_id ORDER BY __row) AS n "
             f"FROM {f}) AS r WHERE n = 1")
    fits = (f"(({s.eq('t.level', s.lit('bullet'))} AND {s.eq('p.level', s.lit('overall'))}) OR "
            f"({s.eq('t.level', s.lit('ask'))} AND {s.isin('p.level', ('bullet', 'overall'))}))")
    same = s.eq("p.recommender_id", "t.recommender_id")
    return [SqlCheck(
        "recommendations", "recommendation_tree", "parent_id",
        "a bullet's parent is an overall record, an ask's a bullet or an overall record, with the "
        "same recommender", "recommendations: the record's parent does not fit the tree",
        _with(dialect, ["recommendations"],
              f"SELECT t.__row AS row, {s.show('t.parent_id', 'text')} AS found FROM {f} AS t "
              f"JOIN ({first}) AS p ON {s.same('p.recommendation_id', 't.parent_id')} "
              f"WHERE p.level IS NOT NULL AND NOT ({fits} AND {same})"),
        ("recommendations",))]


def _policy_domain(dialect: Dialect) -> list[SqlCheck]:
    s = _Sql(dialect)
    present = f"SELECT recommendation_id AS v FROM {_final(dialect, 'recommendation_domains')}"
    return [SqlCheck(
        "recommendations", "policy_domain", "recommendation_id", "at least one recommendation_domains row",
        "recommendations: the recommendation has no policy domain",
        _with(dialect, ["recommendations", "recommendation_domains"],
              f"SELECT t.__row AS row, {s.show('t.recommendation_id', 'text')} AS found FROM "
              f"{_final(dialect, 'recommendations')} AS t WHERE NOT "
              f"{_in_set(s, 't.recommendation_id', present)}"),
        ("recommendations", "recommendation_domains"))]


#: The SQL form of each rule across tables (:data:`usjapan_data.rules.RULES`).
TABLE_RULES: dict[str, Callable[[Dialect], list[SqlCheck]]] = {
    "evidence_for_value": _evidence_for_value,
    "actor_evidence": _actor_evidence,
    "time_of_writing": _time_of_writing,
    "recommendation_tree": _recommendation_tree,
    "policy_domain": _policy_domain,
}


@lru_cache(maxsize=None)
def _generate(dialect: Dialect) -> tuple[SqlCheck, ...]:
    from usjapan_data.rules import RULES

    missing = [r for r in RULES if r not in TABLE_RULES]
    if missing:
        raise NotImplementedError(f"rules without a SQL form: {', '.join(missing)}; add them to "
                                  "usjapan_data.sqlchecks.TABLE_RULES")
    _Sql(dialect)  # refuse an unknown dialect by name
    checks: list[SqlCheck] = []
    for table in schema.TABLES:
        checks += [replace(c, screened=True) for c in _table_checks(dialect, table)]
    checks += [replace(c, screened=c.check == "primary_key") for c in _key_checks(dialect)]
    checks += _coverage_checks(dialect)
    for rule in RULES:
        checks += TABLE_RULES[rule](dialect)
    # the body: the last line (the CTEs are each one line, before it)
    return tuple(replace(c, body=c.sql.rsplit("\n", 1)[-1]) for c in checks)


def prepared(dialect: Dialect) -> list[tuple[str, str, str]]:
    """The relations the checks' bodies read: ``(table, name, SELECT)``, in the order to create them.

    Per table: ``<table>__c`` (conformed values, the cells the engine or a
    kind check reported), ``<table>__k`` (after the columns' own checks),
    ``<table>__r<i>`` (after each row rule); the last of them, named by
    :func:`final`, holds every cell's final flag.
    """
    return [(table, name, sql) for table in schema.TABLES for name, sql in _chain(dialect, table).ctes]


def final(dialect: Dialect, table: str) -> str:
    """The name of the last relation of ``table`` in :func:`prepared`."""
    return _chain(dialect, table).final


def screen(dialect: Dialect, table: str) -> str:
    """A SELECT of one number: how many problems of its own ``table`` may have; 0 means none.

    The sum of :func:`screen_parts`, whose docstring says what it reads.
    """
    return f"SELECT {' + '.join(screen_parts(dialect, table))} AS n"


@lru_cache(maxsize=None)
def screen_parts(dialect: Dialect, table: str) -> tuple[str, ...]:
    """Scalar subqueries, each counting some of the problems ``table`` may have; all 0 means none.

    It reads the table's relation once for every value check and row rule
    (an ``OR`` of what each one finds failing, on the values as stored),
    each pattern column once for its distinct values, and the primary key
    once (with the pattern of a one-column key). An engine may run them one
    by one and stop at the first that is not 0. When they all count 0,
    no :attr:`SqlCheck.screened` check of the table can find anything:
    every cell's flag in :func:`prepared` is false, and the table's last
    relation is :func:`clean` instead. A count above 0 is not a number of
    findings (a cell can fail several checks; only the first is reported).
    """
    s = _Sql(dialect)
    table_q = s.q(table)
    tests = _column_tests(s, table)
    fails = ["__bad IS NOT NULL"]
    patterns = []
    for spec in _specs(table):
        v = s.q(spec.name)
        fails += [f"COALESCE({fail}, FALSE)" for _, fail, _ in _type_tests(s, spec)]
        if not spec.nullable:
            fails.append(_blank(s, spec, v))
        for _, sql, _, core in tests.get(spec.name, []):
            if core is None:
                fails.append(f"({v} IS NOT NULL AND NOT COALESCE({sql}, FALSE))")
            else:
                patterns.append(f"(SELECT count(*) FROM (SELECT DISTINCT {v} AS value FROM {table_q} "
                                f"WHERE {v} IS NOT NULL) AS d WHERE NOT {s.full_match('value', core)})")
        if spec.name in _unique_columns(table):
            patterns.append(f"(SELECT count({v}) - count(DISTINCT {v}) FROM {table_q})")
    # a rule on the stored values: where they differ from the conformed ones, a kind check
    # above already counts the row
    fails += [f"NOT COALESCE({ROW_RULES[rule](s, s.q)}, FALSE)" for rule, _ in _table_rules(table)]
    rows = f"(SELECT count(*) FROM {table_q} WHERE {' OR '.join(f'({f})' for f in fails)})"
    key = schema.keys(schema.TABLES[table])["primary_key"]
    cols = ", ".join(s.q(c) for c in key)
    own = [p for p in patterns if len(key) == 1 and f"SELECT DISTINCT {s.q(key[0])} AS value" in p]
    if own:  # a one-column key with a pattern: one grouping for both
        core = next(c for _, _, _, c in tests[key[0]] if c is not None)
        patterns.remove(own[0])
        patterns.append(f"(SELECT count_if(n > 1) + count_if(NOT {s.full_match('value', core)}) FROM "
                        f"(SELECT {cols} AS value, count(*) AS n FROM {table_q} WHERE {cols} IS NOT NULL "
                        f"GROUP BY {cols}) AS d)")
    else:
        patterns.append(f"(SELECT count(*) FROM (SELECT {cols} FROM {table_q} GROUP BY {cols} "
                        f"HAVING count(*) > 1) AS d)")
    return (rows, *patterns)


def clean(dialect: Dialect, table: str) -> str:
    """The table's last relation when its :func:`screen` counts 0: its values, every flag false."""
    s = _Sql(dialect)
    names = [sp.name for sp in _specs(table)]
    return (f"SELECT __row, {', '.join(s.q(n) for n in names)}, "
            f"{', '.join(f'FALSE AS {s.q(_bad(n))}' for n in names)} FROM {s.q(table)}")


def plan(dialect: Dialect, available: set[str] | frozenset[str],
         screened: set[str] | frozenset[str]) -> tuple[list[tuple[str, str, str]], list[SqlCheck]]:
    """The relations to create and the checks to run.

    Parameters
    ----------
    dialect : {"duckdb", "spark"}
    available : set of str
        The tables there are relations of.
    screened : set of str
        The tables whose :func:`screen` counted 0: only their last relation
        is created (:func:`clean`, and the summaries read by checks across
        tables), and their :attr:`SqlCheck.screened` checks are not run.

    Returns
    -------
    relations : list of (table, name, SELECT)
        In the order to create them (see :func:`prepared`).
    checks : list of SqlCheck
        The checks to run, in the order of :func:`generate`.
    """
    relations = [(t, n, clean(dialect, t)) if t in screened and n == final(dialect, t) else (t, n, sql)
                 for t, n, sql in prepared(dialect)
                 if t in available and (t not in screened or n == final(dialect, t)
                                        or n in _chain(dialect, t).summaries)]
    checks = [c for c in _generate(dialect) if set(c.tables) <= set(available)
              and not (c.screened and c.table in screened)]
    return relations, checks


def generate(dialect: Dialect) -> list[SqlCheck]:
    """Return every check of the table definitions as SQL in ``dialect``.

    Parameters
    ----------
    dialect : {"duckdb", "spark"}

    Returns
    -------
    list of SqlCheck
        Per table: its kinds and vocabularies, required columns, the
        columns' own checks, unique columns and row rules; then primary
        keys, foreign keys and links, the records' evidence, committers and
        addressees, and the rules across tables.

    Raises
    ------
    ValueError
        For an unknown dialect.

    Examples
    --------
    >>> checks = generate("spark")
    >>> sorted({c.check for c in checks if c.table == "recommendations"})[:3]
    ['addressee', 'evidence', 'foreign_key']
    """
    return list(_generate(dialect))


def script(dialect: Dialect) -> str:
    """The relations of :func:`prepared` as views, the screens, then each check's body, as one SQL file.

    ``usjapan-data build`` writes it to ``schemas/checks.<dialect>.sql``;
    each check is preceded by a comment saying what it reports.
    """
    s = _Sql(dialect)
    view = "CREATE OR REPLACE TEMPORARY VIEW" if dialect == "spark" else "CREATE OR REPLACE TEMP VIEW"
    parts = [f"-- The checks of the table definitions of usjapan-data, as {dialect} SQL.",
             "-- Generated by `usjapan-data build` from src/usjapan_data/schema.py; do not edit.",
             "-- Each table is a relation of its columns, __row and __bad: see usjapan_data.sqlchecks.",
             "", "-- What each table's checks read: conformed values, and the cells reported so far"]
    parts += [f"{view} {s.q(name)} AS {sql};" for _, name, sql in prepared(dialect)]
    parts.append("\n-- Screening, one number per table: 0 means that the table's own checks (kinds, "
                 "vocabularies,\n-- required, patterns, ranges, row rules, primary key) find nothing")
    parts += [f"-- {table}\n{screen(dialect, table)};" for table in schema.TABLES]
    for check in generate(dialect):
        parts.append(f"\n-- {check.table}: {check.check}"
                     + (f" ({check.column})" if check.column else "") + f"; expected {check.expected}")
        parts.append(check.body + ";")
    return "\n".join(parts) + "\n"
