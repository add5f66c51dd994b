"""The ``usjapan-data`` command: info, validate, describe, cite, export, rehash, diff, build, provenance.

Exit codes: 0 success or valid, 1 invalid data or a failed check, 2 a usage
error (``diff``, like ``diff(1)``: 0 no differences, 1 differences, 2 trouble). Every failure is a message on stderr, never a traceback. Output is
safe in pipes (``usjapan-data info | head -1`` ends quietly, with the
command's own exit code) and in CI logs: no line of it starts with, or holds
a line break from, the data (see :func:`usjapan_data.report.clean`).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from usjapan_data import __version__

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 with the usage, as argparse does
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _info(args: argparse.Namespace) -> int:
    import pyarrow.parquet as pq

    from usjapan_data import descriptor_path, list_tables, table_path

    print(f"usjapan-data {__version__}")
    print(f"descriptor: {descriptor_path()}")
    print(f"{'table':<20} {'rows':>6}  file")
    for name in list_tables():
        path = table_path(name)
        print(f"{name:<20} {pq.ParquetFile(path).metadata.num_rows:>6}  {path.name}")
    if args.no_validate:
        return 0
    from usjapan_data import validate

    report = validate()
    print(f"validation: {'valid' if report.valid else f'INVALID ({report.error_count} errors)'}")
    if not report.valid:
        print(report.format_text(), file=sys.stderr)
    return 0 if report.valid else 1


def _escape(text: str, prop: bool = False) -> str:
    text = str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def _github(report) -> str:
    """GitHub Actions annotations: one ``::error`` line per problem, then a summary.

    A CSV error points at the physical line of its row (``line``), which
    differs from the row number when an earlier field holds a newline.
    """
    import pandas as pd

    lines = []
    for rec in report.errors.itertuples(index=False):
        has_row = not pd.isna(rec.row)
        props = []
        if isinstance(rec.file, str):
            props.append(f"file={_escape(rec.file, True)}")
            if not pd.isna(rec.line):
                props.append(f"line={int(rec.line)}")
        props.append(f"title={_escape('usjapan-data ' + str(rec.check), True)}")
        where = f"table {rec.table}" if isinstance(rec.table, str) else "package"
        if has_row:
            where += f", row {int(rec.row)}"
        if isinstance(rec.column, str):
            where += f", column {rec.column}"
        lines.append(f"::error {','.join(props)}::{_escape(where + ': ' + rec.message)}")
    for rec in report.omitted.itertuples(index=False):
        lines.append(f"::error title=usjapan-data {_escape(str(rec.check), True)}::"
                     f"{_escape(f'{rec.count} more error(s) in table {rec.table}, not kept')}")
    summary = "valid" if report.valid else f"invalid: {report.error_count} error(s)"
    lines.append(f"usjapan-data validate {report.source}: {summary}")
    return "\n".join(lines)


def _validate(args: argparse.Namespace) -> int:
    from usjapan_data import validate

    if (args.memory_limit or args.temp_directory) and args.engine != "duckdb":
        print("usjapan-data validate: error: --memory-limit and --temp-directory are options of "
              "--engine duckdb", file=sys.stderr)
        return 2
    if args.engine == "duckdb":
        from usjapan_data.streaming import EngineError

        progress = sys.stderr.isatty() and not os.environ.get("CI")
        try:
            report = validate(args.path, engine="duckdb", progress=progress,
                              memory_limit=args.memory_limit, temp_directory=args.temp_directory)
        except EngineError as exc:  # not a finding: the data were not all checked
            print(f"usjapan-data validate: {exc}", file=sys.stderr)
            return 3
        except ValueError as exc:  # --memory-limit or --temp-directory that DuckDB refuses
            print(f"usjapan-data validate: error: {exc}", file=sys.stderr)
            return 2
    elif args.engine == "spark":
        report = validate(args.path, engine="spark", progress=sys.stderr.isatty() and not os.environ.get("CI"))
    else:
        report = validate(args.path)
    if args.format == "json":
        print(report.to_json())
    elif args.format == "github":
        print(_github(report))
    else:
        print(report.format_text(limit=args.limit))
    return 0 if report.valid else 1


def _build(args: argparse.Namespace) -> int:
    from usjapan_data.build import BuildError, build
    from usjapan_data.records import RecordsError

    try:
        result = build(args.root, check=args.check)
    except (BuildError, RecordsError) as exc:
        print(f"usjapan-data build: {exc}", file=sys.stderr)
        return 1
    rows = ", ".join(f"{n} {r}" for n, r in result.rows.items())
    for rel, reason in result.skipped.items():
        print(f"usjapan-data build: {'cannot check' if args.check else 'skipped'} {rel}: {reason}",
              file=sys.stderr)
    if args.check:
        if result.changed:
            print("out of date (run `usjapan-data build`):", file=sys.stderr)
            for rel in result.changed:
                print(f"  {rel}", file=sys.stderr)
        if result.changed or result.skipped:
            return 1
        print(f"up to date: every generated file matches the records ({rows})")
        return 0
    print(f"built ({rows})")
    for rel in result.changed:
        print(f"  wrote {rel}")
    return 0


def _provenance(args: argparse.Namespace) -> int:
    from usjapan_data.provenance import check_provenance, resolve_sources_dir

    try:
        folder = resolve_sources_dir(args.sources)
    except ValueError as exc:
        print(f"usjapan-data provenance: {exc}", file=sys.stderr)
        return 2
    if args.records:
        from usjapan_data.records import read_records

        tables = read_records(args.records)
    else:
        from usjapan_data import load_tables

        tables = load_tables()
    refs = tables["references"]
    docs = refs[refs["role"].astype("object") == "source_document"]
    sources = {r.reference_id: {"source_file": r.source_file, "sha256": r.sha256}
               for r in docs.itertuples(index=False)}
    evidence = tables["evidence"][["evidence_id", "source_id", "quote"]].astype("object")
    problems = check_provenance(sources, evidence.to_dict(orient="records"), folder)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    total = len(evidence)
    print(f"provenance: {total - sum(p.evidence_id is not None for p in problems)} of {total} "
          f"quotes verbatim in their source; {len(sources)} source text(s) checked "
          f"against their sha256 in {folder}")
    return 1 if problems else 0


def _describe(args: argparse.Namespace) -> int:
    from usjapan_data import list_tables

    if args.table is not None and args.table not in list_tables():
        print(f"usjapan-data describe: unknown table {args.table!r}; the tables are: "
              f"{', '.join(list_tables())}", file=sys.stderr)
        return 2
    from usjapan_data.codebook import describe, format_text

    print(format_text(describe(args.table)), end="")
    return 0


def _cite(args: argparse.Namespace) -> int:
    from usjapan_data.citation import cite

    try:
        print(cite(args.format, args.what))
    except ValueError as exc:
        print(f"usjapan-data cite: {exc}", file=sys.stderr)
        return 2
    return 0


def _writing(command: str, call: Callable[[], Any]) -> tuple[Any, int]:
    """Run export or rehash: a usage problem exits 2, a failed write 1, each with a message."""
    from usjapan_data.writing import WriteError

    try:
        return call(), 0
    except (FileExistsError, FileNotFoundError) as exc:  # the folder given, not the data
        message, code = str(exc), 2
    except (WriteError, OSError) as exc:
        message, code = str(exc), 1
    print(f"usjapan-data {command}: {message}", file=sys.stderr)
    return None, code


def _export(args: argparse.Namespace) -> int:
    from usjapan_data.writing import export

    path, code = _writing("export", lambda: export(args.dir, args.format, overwrite=args.overwrite))
    if path is not None:
        print(f"exported usjapan-data {__version__} ({args.format}) to {path.parent}")
        print(f"after editing a file by hand: usjapan-data rehash {args.dir}; then usjapan-data "
              f"validate {args.dir}")
    return code


def _rehash(args: argparse.Namespace) -> int:
    from usjapan_data.writing import rehash

    changed, code = _writing("rehash", lambda: rehash(args.dir))
    if changed:
        print(f"rehashed {len(changed)} resource(s): {', '.join(changed)}")
    elif changed is not None:
        print("every hash and size was already up to date")
    return code


def _diff(args: argparse.Namespace) -> int:
    from usjapan_data.comparison import DiffError, diff

    try:
        result = diff(args.old, args.new)
    except DiffError as exc:
        print(f"usjapan-data diff: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # exit 1 means "differences": any other failure is trouble, 2
        from usjapan_data.report import clean

        print(f"usjapan-data diff: error: {type(exc).__name__}: {clean(exc)}", file=sys.stderr)
        return 2
    print(result.to_json() if args.format == "json" else result.format_text(limit=args.limit))
    return 0 if result.identical else 1


#: Examples shown at the end of each command's --help.
EXAMPLES = {
    "usjapan-data": """\
examples:
  usjapan-data info                      the tables, their rows, and whether they validate
  usjapan-data validate my-copy/         validate a data package on disk
  usjapan-data describe events           every column of a table, and what its values mean
  usjapan-data cite --format bibtex      cite the dataset and its source documents
  usjapan-data export my-copy/ --format csv   an editable copy of the data package

Run `usjapan-data COMMAND --help` for the examples of each command.""",
    "info": """\
examples:
  usjapan-data info                  tables, rows, file names, and validation
  usjapan-data info --no-validate    the same without validating (faster)""",
    "validate": """\
examples:
  usjapan-data validate                                    the installed package
  usjapan-data validate path/to/datapackage.json           a data package on disk
  usjapan-data validate my-copy/ --format json > report.json
  usjapan-data validate my-copy/ --format github           annotations in GitHub Actions
  usjapan-data validate my-copy/ --limit 200               show up to 200 errors
  usjapan-data validate big-copy/ --engine duckdb          any size, in bounded memory
  usjapan-data validate hdfs://nn/pkg/ --engine spark      Parquet on a cluster, read by Spark
  usjapan-data validate huge/ --engine duckdb --memory-limit 8GB --temp-directory /scratch

exit codes: 0 valid, 1 invalid (any data or file error), 2 usage error,
  3 not validated: DuckDB ran out of memory (give it more with --memory-limit) or could not spill""",
    "describe": """\
examples:
  usjapan-data describe                  every table and column
  usjapan-data describe events           the columns of one table
  usjapan-data describe record_actors    keys, links, and each role's meaning

In Python: usjapan_data.describe("events") returns the same as a DataFrame.""",
    "cite": """\
examples:
  usjapan-data cite                              the dataset and its source documents, APA
  usjapan-data cite --format bibtex > refs.bib   BibTeX entries
  usjapan-data cite dataset --format cff         the dataset's Citation File Format
  usjapan-data cite heritage-brief               one source document (a reference_id)""",
    "export": """\
examples:
  usjapan-data export my-copy/                   Parquet, as installed, to edit and republish
  usjapan-data export my-copy/ --format csv      CSV, for R, spreadsheets and any tool
  usjapan-data export my-copy/ --overwrite       write over an earlier export

The copy holds datapackage.json, schemas/, data/, docs/ (codebook, coding rules),
CITATION.cff, LICENSE and LICENSE-DATA. After editing a file: usjapan-data rehash my-copy/

exit codes: 0 written, 1 a write failed, 2 usage error (such as a folder that is not empty)""",
    "rehash": """\
examples:
  usjapan-data rehash my-copy/                    after editing data/events.csv by hand
  usjapan-data rehash my-copy/datapackage.json && usjapan-data validate my-copy/

exit codes: 0 done, 1 a file that cannot be hashed (unsafe path, not a file),
2 usage error (no datapackage.json, a missing file)""",
    "build": """\
examples:
  usjapan-data build                       regenerate data/, schemas/, datapackage.json, docs (and the figure)
  usjapan-data build --check               exit 1 if any generated file is out of date
  usjapan-data build --root path/to/checkout --check""",
    "provenance": """\
examples:
  USJAPAN_DATA_SOURCES=../shared/sources usjapan-data provenance
  usjapan-data provenance --sources ../shared/sources
  usjapan-data provenance --sources ../shared/sources --records records/""",
    "diff": """\
examples:
  usjapan-data diff installed my-copy/                 what a copy changed: records, schemas, bump
  usjapan-data diff old/datapackage.json new/ --format json > changes.json
  usjapan-data diff installed my-copy/ --limit 100     show up to 100 record changes per table

OLD and NEW are folders holding a datapackage.json, datapackage.json files, or the
word `installed` (the installed package; write ./installed for a folder of that name).
exit codes: 0 no differences, 1 differences, 2 a package that cannot be read (like diff(1))""",
}


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="usjapan-data", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"usjapan-data {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    info = sub.add_parser("info", help="show the tables, their rows, the version and whether they validate")
    info.add_argument("--no-validate", action="store_true", help="skip validation")
    info.set_defaults(func=_info)

    val = sub.add_parser("validate", help="validate the installed package or a data package on disk")
    val.add_argument("path", nargs="?", help="a datapackage.json or a folder holding one "
                     "(default: the installed package)")
    val.add_argument("--format", choices=["text", "json", "github"], default="text",
                     help="text (default), json (one document), github (Actions annotations)")
    val.add_argument("--limit", type=_count, default=50, help="errors shown in text format (default 50)")
    val.add_argument("--engine", choices=["pandas", "duckdb", "spark"], default="pandas",
                     help="pandas (default: in memory) or duckdb (streams Parquet files in bounded "
                     "memory, any size; progress on a terminal; needs the sql extra) or spark "
                     "(PATH any URI Spark reads, e.g. hdfs://; needs the spark extra and Java 17)")
    val.add_argument("--memory-limit", metavar="SIZE",
                     help="with --engine duckdb: DuckDB's memory limit, beyond which it spills "
                     "to disk (default 1.5GB; e.g. 8GB)")
    val.add_argument("--temp-directory", metavar="DIR",
                     help="with --engine duckdb: where DuckDB spills (default: a new temporary folder)")
    val.set_defaults(func=_validate)

    from usjapan_data.descriptor import FORMATS

    exp = sub.add_parser("export", help="write an editable copy of the data package (Parquet or CSV)")
    exp.add_argument("dir", help="a new or empty folder")
    exp.add_argument("--format", choices=FORMATS, default="parquet",
                     help="parquet (default, as installed) or csv")
    exp.add_argument("--overwrite", action="store_true",
                     help="write over the files of an earlier export in a folder that is not empty")
    exp.set_defaults(func=_export)

    reh = sub.add_parser("rehash", help="refresh the hash and size of every file of a copy edited by hand")
    reh.add_argument("dir", help="the copy's folder, or its datapackage.json")
    reh.set_defaults(func=_rehash)

    bld = sub.add_parser("build", help="compile records/ into data/, schemas/, datapackage.json, docs")
    bld.add_argument("--root", default=".", help="the source checkout (default: .)")
    bld.add_argument("--check", action="store_true",
                     help="write nothing; exit 1 if any generated file is out of date")
    bld.set_defaults(func=_build)

    prov = sub.add_parser("provenance", help="verify every quote against the source texts")
    prov.add_argument("--sources", help="folder of source texts (default: $USJAPAN_DATA_SOURCES)")
    prov.add_argument("--records", help="check a records/ folder instead of the installed tables")
    prov.set_defaults(func=_provenance)

    desc = sub.add_parser("describe", help="show every column of the tables, with what each value means")
    desc.add_argument("table", nargs="?", help="one table (default: all)")
    desc.set_defaults(func=_describe)

    from usjapan_data.citation import FORMATS

    cit = sub.add_parser("cite", help="cite the dataset and the source documents it is coded from")
    cit.add_argument("what", nargs="?", default="all",
                     help="all (default), dataset, or a source document's reference_id")
    cit.add_argument("--format", choices=FORMATS, default="apa", help="apa (default), bibtex or cff")
    cit.set_defaults(func=_cite)

    dif = sub.add_parser("diff", help="compare two versions of a data package: records, schemas "
                         "and the version bump")
    dif.add_argument("old", help="the earlier package: a folder, a datapackage.json, or `installed`")
    dif.add_argument("new", help="the later package: a folder, a datapackage.json, or `installed`")
    dif.add_argument("--format", choices=["text", "json"], default="text",
                     help="text (default) or json (one document holding every change)")
    dif.add_argument("--limit", type=_count, default=20,
                     help="record and schema changes shown per table in text format (default 20)")
    dif.set_defaults(func=_diff)

    for name, command in [("usjapan-data", parser), *sub.choices.items()]:
        command.epilog = EXAMPLES[name]
        command.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def _write(text: str) -> None:
    """Write the command's output; a reader that stops reading (``| head``) is no error."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # stop Python from failing again when it flushes stdout at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")  # any text prints, whatever the locale
    args = _parser().parse_args(argv)
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            code = args.func(args)
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:  # the last guard: a message, never a traceback
        from usjapan_data.report import clean

        print(f"usjapan-data {args.command}: error: {type(exc).__name__}: {clean(exc)}",
              file=sys.stderr)
        code = 1
    _write(buffer.getvalue())
    return code


if __name__ == "__main__":
    sys.exit(main())
