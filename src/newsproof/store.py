"""The DuckDB store: open the project database, create tables and views, run SQL.

One database file per project (default `newsproof.duckdb`). Every table is a plain DuckDB
table a user can query by hand, also from the stock `duckdb` client, whose release can lag the
Python package: new files are written in a storage format that older clients read.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from .contracts import PROVENANCE_COLUMNS, Contract, create_table_sql
from .errors import NewsproofError

DEFAULT_DB = "newsproof.duckdb"
# Memory DuckDB may hold before it spills to a folder beside the database. Its own default is
# most of the RAM, so a large load never spilled (2.1 GB for a 1 GB file; 1.2 GB with this);
# loads and validations of a million figures take as long with it.
DEFAULT_MEMORY_LIMIT = "1GB"
MEMORY_LIMIT_ENV = "NEWSPROOF_MEMORY_LIMIT"
MEMORY_LIMIT_HINT = ('write a size as DuckDB reads it: "1GB", "512MiB", "25%" (of the RAM), '
                     'or "none" (DuckDB\'s own default, most of the RAM)')
# Oldest DuckDB release that must be able to open a newsproof database (the stock CLI lags).
STORAGE_COMPATIBILITY = "v1.0.0"

META_DDL = (
    """CREATE TABLE IF NOT EXISTS datasets (
  name VARCHAR NOT NULL, title VARCHAR, description VARCHAR, license VARCHAR,
  synthetic BOOLEAN, path VARCHAR, fingerprint VARCHAR, loaded_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS dataset_files (
  dataset VARCHAR NOT NULL, table_name VARCHAR NOT NULL, file VARCHAR NOT NULL,
  sha256 VARCHAR, rows_in_file BIGINT, rows_loaded BIGINT, rows_rejected BIGINT)""",
    """CREATE TABLE IF NOT EXISTS load_errors (
  dataset VARCHAR NOT NULL, file VARCHAR NOT NULL, line BIGINT, column_name VARCHAR,
  value VARCHAR, reason VARCHAR NOT NULL, kind VARCHAR NOT NULL, raw VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS article_sentences (
  _dataset VARCHAR NOT NULL, article_id VARCHAR NOT NULL, sentence_no INTEGER NOT NULL,
  char_start INTEGER NOT NULL, char_end INTEGER NOT NULL, text VARCHAR NOT NULL)""",
)

# Ad-hoc SQL entry points. Plain SQL that every DuckDB release since 1.0 parses.
VIEWS_DDL = (
    """CREATE OR REPLACE VIEW figure_evidence AS
SELECT f._dataset AS dataset, f.article_id, f.figure_id, f.value_text, f.value, f.qualifier,
       f.lower, f.upper, f.unit, f.subject, f.measure, f.as_of,
       r.name AS reporter, v.name AS via, o.name AS origin, a.cue,
       s.text AS sentence, f._file AS file, f._line AS line
FROM figures f
LEFT JOIN attributions a ON a._dataset = f._dataset AND a.figure_id = f.figure_id
LEFT JOIN sources r ON r._dataset = a._dataset AND r.source_id = a.reporter_id
LEFT JOIN sources v ON v._dataset = a._dataset AND v.source_id = a.via_id
LEFT JOIN sources o ON o._dataset = a._dataset AND o.source_id = a.origin_id
LEFT JOIN article_sentences s ON s._dataset = f._dataset AND s.article_id = f.article_id
     AND f.char_start >= s.char_start AND f.char_start < s.char_end""",
    """CREATE OR REPLACE VIEW claim_evidence AS
SELECT c._dataset AS dataset, c.article_id, c.claim_id, c.text, c.stance, c.status,
       cl.name AS claimant, ab.name AS about,
       r.name AS reporter, v.name AS via, o.name AS origin, a.cue,
       c._file AS file, c._line AS line
FROM claims c
LEFT JOIN sources cl ON cl._dataset = c._dataset AND cl.source_id = c.claimant_id
LEFT JOIN sources ab ON ab._dataset = c._dataset AND ab.source_id = c.about_id
LEFT JOIN attributions a ON a._dataset = c._dataset AND a.claim_id = c.claim_id
LEFT JOIN sources r ON r._dataset = a._dataset AND r.source_id = a.reporter_id
LEFT JOIN sources v ON v._dataset = a._dataset AND v.source_id = a.via_id
LEFT JOIN sources o ON o._dataset = a._dataset AND o.source_id = a.origin_id""",
)


# A write that cannot grow a file: the disk or the quota is full, or the file size limit
# (`ulimit -f`) is reached. DuckDB reports these in its IOException text.
_NO_ROOM = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
_NO_ROOM_TEXT = tuple(os.strerror(code) for code in _NO_ROOM)


def no_room_error(exc: BaseException) -> NewsproofError | None:
    """The user-fixable error for a write that failed for lack of room, or None for any other."""
    if isinstance(exc, OSError) and exc.errno in _NO_ROOM:
        detail = f"{exc.strerror}: {exc.filename}" if exc.filename else str(exc.strerror)
    elif isinstance(exc, duckdb.Error) and any(text in str(exc) for text in _NO_ROOM_TEXT):
        detail = str(exc).strip().splitlines()[0]
    else:
        return None
    return NewsproofError(f"disk full or file too large ({detail})",
                          hint="free disk space (or raise the file size limit) and run the command again; "
                               "what it was writing was rolled back")


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (table or column name) for DuckDB and Spark alike."""
    return '"' + name.replace('"', '""') + '"'


def temp_directory(db: str | Path) -> Path:
    """Where DuckDB spills what does not fit in its memory limit (emptied when it closes)."""
    path = Path(db)
    return path.with_name(path.name + ".tmp")


def connect(db: str | Path = DEFAULT_DB, *, read_only: bool = False,
            memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open (or create) a project database, turning the usual failures into clear errors.

    `memory_limit` (a DuckDB size: "1GB", "512MiB", "50%"; "none" for DuckDB's own default)
    bounds the memory of the connection; without it, $NEWSPROOF_MEMORY_LIMIT or
    DEFAULT_MEMORY_LIMIT."""
    path = Path(db)
    limit = memory_limit or os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT
    if read_only and not path.exists():
        raise NewsproofError(
            "database file does not exist", file=str(path),
            hint="load a dataset first: newsproof load DATASET_DIR --db " + str(path),
        )
    try:
        return duckdb.connect(
            str(path),
            read_only=read_only,
            config={"storage_compatibility_version": STORAGE_COMPATIBILITY, "memory_limit": limit,
                    "temp_directory": str(temp_directory(path))},
        )
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            hint = "another process has the database open for writing; wait for it or close it"
        else:
            hint = "check that the path is a DuckDB database file you can read and write"
        raise NewsproofError(f"cannot open database: {text.splitlines()[0]}", file=str(path),
                             hint=hint) from None
    except duckdb.Error as exc:
        problem = memory_limit_problem(limit)
        if problem is not None:
            source = "memory_limit" if memory_limit else f"${MEMORY_LIMIT_ENV}"
            raise NewsproofError(f"{source} {limit!r} is not a memory size ({problem})",
                                 hint=MEMORY_LIMIT_HINT) from None
        raise NewsproofError(f"cannot open database: {str(exc).splitlines()[0]}",
                             file=str(path)) from None


def memory_limit_problem(limit: str) -> str | None:
    """DuckDB's complaint about a memory limit, or None when it takes it."""
    try:
        duckdb.connect(":memory:", config={"memory_limit": limit}).close()
    except duckdb.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def ensure_schema(con: duckdb.DuckDBPyConnection, contracts: dict[str, Contract]) -> None:
    """Create the data tables of the contracts, the metadata tables and the views."""
    for contract in contracts.values():
        con.execute(create_table_sql(contract))
        _check_table_shape(con, contract)
    for ddl in META_DDL:
        con.execute(ddl)
    if {"figures", "attributions", "sources", "claims"} <= set(contracts):
        for ddl in VIEWS_DDL:
            con.execute(ddl)


def _check_table_shape(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """A table made under another version of its contract cannot take rows of this one: say so
    instead of failing on the first insert (inserts name their columns, so order is free)."""
    found = {name for (name,) in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() "
        "AND table_schema = current_schema() AND table_name = ?", [contract.table]).fetchall()}
    wanted = {*contract.column_names, *(name for name, _ in PROVENANCE_COLUMNS)}
    if found != wanted:
        detail = "; ".join(part for part in (
            "missing " + ", ".join(sorted(wanted - found)) if wanted - found else "",
            "not in the contract: " + ", ".join(sorted(found - wanted)) if found - wanted else "",
        ) if part)
        raise NewsproofError(
            f"table {contract.table!r} in this database does not match its contract ({detail})",
            file=str(contract.path) if contract.path else None,
            hint="the database was made with another version of the contract: load into a new --db file",
        )


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All or nothing: commit on success, roll back on any exception (or a kill)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException as exc:
        con.execute("ROLLBACK")
        no_room = no_room_error(exc)
        if no_room is not None:
            raise no_room from None
        raise
    con.execute("COMMIT")


def run_sql(db: str | Path, sql: str, *, write: bool = False) -> tuple[list[str], list[tuple]]:
    """Run one ad-hoc SQL statement against a project database; return column names and rows."""
    con = connect(db, read_only=not write)
    try:
        try:
            rel = con.execute(sql)
        except duckdb.Error as exc:
            raise NewsproofError(f"SQL error: {str(exc).strip()}",
                                 hint="check the query; `SHOW TABLES` lists what there is") from None
        if rel.description is None:
            return [], []
        return [d[0] for d in rel.description], rel.fetchall()
    finally:
        con.close()
