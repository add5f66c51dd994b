"""What the validator reads and keeps at most: the limits that bound its memory.

A package from elsewhere may be built to exhaust memory: a small Parquet file
whose dictionary decodes to gigabytes, a footer that declares billions of
rows, millions of bad values, a huge descriptor. Each limit below is checked
before the work it guards (from the descriptor's size, the Parquet footer, the
dictionary lengths), and an input over a limit is refused by the limit's name
(the ``check`` of the error). The limits apply to packages read from disk;
tables passed in memory are already in memory and are not limited, except
for the errors kept. The streaming engine (``engine="duckdb"``) reads Parquet
files in place, within the ``STREAM_`` limits, and reads in memory, within
the others, only what it cannot read in place.

With these limits, validating any package stays within a 4 GiB address space
(tested: ``tests/test_validation_corpus.py::test_bombs_within_address_space``).

Examples
--------
>>> from usjapan_data import limits
>>> limits.MAX_ERRORS
10000
"""

from __future__ import annotations

__all__ = [
    "MAX_DESCRIPTOR_BYTES",
    "MAX_FILE_BYTES",
    "MAX_DECODED_BYTES",
    "MAX_ROWS",
    "MAX_COLUMNS",
    "MAX_ERRORS",
    "STREAM_MAX_FILE_BYTES",
    "STREAM_MAX_ROWS",
]

#: Largest ``datapackage.json`` (or Table Schema file) read, in bytes. Check ``descriptor_size``.
MAX_DESCRIPTOR_BYTES = 8 * 2**20

#: Largest resource file read, in bytes; the file is read once into memory,
#: hashed and parsed from those bytes. Check ``file_size``.
MAX_FILE_BYTES = 256 * 2**20

#: Largest decoded size of all the tables of a package together, in bytes:
#: 8 bytes per cell plus the length of every text value, counted from the
#: Parquet footer and dictionaries before anything is decoded. Check ``decoded_size``.
MAX_DECODED_BYTES = 512 * 2**20

#: Most rows in one table (as the Parquet footer declares them, and as read). Check ``row_count``.
MAX_ROWS = 10_000_000

#: Most columns in one file. Check ``column_count``.
MAX_COLUMNS = 1_000

#: Errors kept in full in a report; beyond them only a count per table,
#: check and column is kept (``ValidationReport.omitted``).
MAX_ERRORS = 10_000

#: Largest resource file that the streaming engine (``engine="duckdb"``,
#: :mod:`usjapan_data.streaming`) reads in place, in bytes: it is hashed in
#: chunks and never held in memory, so only the disk bounds it. Check ``file_size``.
STREAM_MAX_FILE_BYTES = 2**40

#: Most rows in one table read in place by the streaming engine (DuckDB
#: spills to disk beyond its memory limit). Check ``row_count``.
STREAM_MAX_ROWS = 10_000_000_000
