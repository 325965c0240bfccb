"""Load a dataset folder into the project database: one transaction, nothing lost.

Each file is split into text columns (`readers`), typed in DuckDB SQL, and every row that cannot
be typed or keyed is recorded in `load_errors` with its file, line, column and raw content.
Re-loading a dataset replaces its rows; loading the same files again changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .contracts import Column, Contract, load_contracts
from .errors import NewsproofError
from .findings import ensure_tables
from .manifest import Manifest, read_manifest
from .readers import LIST_SEPARATOR, StagedFile, read_file
from .store import DEFAULT_DB, connect, ensure_schema, quote_ident, transaction
from .text.sentences import split_sentences

# What a failed cast means, in words a curator understands.
_TYPE_REASON = {
    "INTEGER": "not a whole number",
    "BIGINT": "not a whole number",
    "DOUBLE": "not a number",
    "BOOLEAN": "not true or false",
    "DATE": "not a date (YYYY-MM-DD)",
    "TIMESTAMP": "not a timestamp (YYYY-MM-DD HH:MM:SS)",
}
MAX_ERRORS_SHOWN = 20


@dataclass(frozen=True)
class LoadError:
    dataset: str
    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str
    kind: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        col = f" column {self.column!r}" if self.column else ""
        val = f" value {self.value!r}" if self.value is not None else ""
        return f"{where}:{col}{val}: {self.reason}" if col or val else f"{where}: {self.reason}"


@dataclass(frozen=True)
class FileReport:
    table: str
    file: str
    sha256: str
    rows_in_file: int
    rows_loaded: int
    rows_rejected: int


@dataclass
class LoadResult:
    dataset: str
    db: str
    fingerprint: str
    files: list[FileReport] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    unchanged: bool = False

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(manifest: Manifest, file_hashes: dict[str, str]) -> str:
    """One hash over the manifest and every file: equal fingerprints mean an unchanged dataset."""
    digest = hashlib.sha256()
    if manifest.manifest_path.exists():
        digest.update(manifest.manifest_path.read_bytes())
    for table in sorted(file_hashes):
        digest.update(f"{table}={file_hashes[table]}\n".encode())
    return digest.hexdigest()


def typed_sql(col: Column) -> str:
    ident = quote_ident(col.name)
    if col.is_list:
        return f"string_split({ident}, '{LIST_SEPARATOR}')"
    if col.type == "VARCHAR":
        return ident
    return f"TRY_CAST({ident} AS {col.type})"


def _not_typed_sql(col: Column) -> str:
    """SQL that is true when a (non-null) text cell is not a value of the column's type."""
    ident = quote_ident(col.name)
    cast = f"TRY_CAST({ident} AS {col.type})"
    if col.type in ("INTEGER", "BIGINT"):
        # DuckDB rounds '12.7' to 13 when casting to an integer; an offset must be whole
        # ('934.0' is whole: Parquet writers often store integer columns with gaps as doubles).
        return f"({cast} IS NULL OR NOT regexp_full_match(trim({ident}), '[+-]?[0-9]+([.]0*)?'))"
    if col.type == "DOUBLE":
        # 'nan' and 'inf' cast to DOUBLE, but no stated figure is infinite or not a number.
        return f"({cast} IS NULL OR NOT isfinite({cast}))"
    return f"{cast} IS NULL"


def row_errors_sql(contract: Contract, stage: str) -> str:
    """SQL listing (line, column, value, reason, kind) for every row that cannot be loaded."""
    parts = []
    for col in contract.columns:
        if col.type in _TYPE_REASON:
            ident = quote_ident(col.name)
            parts.append(
                f"SELECT _line, '{col.name}', {ident}, '{_TYPE_REASON[col.type]}', 'type' "
                f"FROM {stage} WHERE {ident} IS NOT NULL AND {_not_typed_sql(col)}"
            )
    if contract.primary_key:
        keys = [quote_ident(k) for k in contract.primary_key]
        label = ", ".join(contract.primary_key)
        value = " || '|' || ".join(keys)
        parts.append(
            f"SELECT _line, '{label}', NULL, 'missing key', 'missing-key' FROM {stage} "
            f"WHERE " + " OR ".join(f"{k} IS NULL" for k in keys)
        )
        parts.append(
            f"SELECT _line, '{label}', {value}, 'duplicate key (first at line ' || first_line || ')', "
            f"'duplicate-key' FROM (SELECT *, min(_line) OVER (PARTITION BY {', '.join(keys)}) AS first_line "
            f"FROM {stage} WHERE " + " AND ".join(f"{k} IS NOT NULL" for k in keys) + ") "
            f"WHERE _line > first_line"
        )
    return " UNION ALL ".join(parts) if parts else _NO_ERRORS_SQL


_NO_ERRORS_SQL = ("SELECT CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), "
                  "CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR) WHERE false")


def _probe_sql(contract: Contract, stage: str) -> str:
    """One cheap scan that says whether any row needs the detailed error listing at all."""
    bad = [f"({quote_ident(c.name)} IS NOT NULL AND {_not_typed_sql(c)})"
           for c in contract.columns if c.type in _TYPE_REASON]
    keys = [quote_ident(k) for k in contract.primary_key]
    bad += [f"{k} IS NULL" for k in keys]
    flagged = f"count(*) FILTER (WHERE {' OR '.join(bad)})" if bad else "0"
    duplicated = (f"count(*) - count(DISTINCT ({', '.join(keys)}))" if len(keys) > 1
                  else f"count({keys[0]}) - count(DISTINCT {keys[0]})" if keys else "0")
    return f"SELECT {flagged} + {duplicated} FROM {stage}"


def _load_table(
    con: duckdb.DuckDBPyConnection, manifest: Manifest, contract: Contract, staged: StagedFile,
    sha: str,
) -> tuple[FileReport, list[LoadError]]:
    rel = staged.path.relative_to(manifest.root).as_posix()
    stage = staged.stage
    suspects = con.execute(_probe_sql(contract, stage)).fetchall()[0][0]
    errors_sql = row_errors_sql(contract, stage) if suspects else _NO_ERRORS_SQL
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {stage}_errors AS "
        f"SELECT * FROM ({errors_sql}) AS e(line, column_name, value, reason, kind)"
    )
    cols = ", ".join(quote_ident(c) for c in contract.column_names)
    exprs = ", ".join(typed_sql(c) for c in contract.columns)
    # Stage rows are in file order and INSERT keeps it, so no sort is needed.
    keep = f"WHERE _line NOT IN (SELECT line FROM {stage}_errors)" if suspects else ""
    con.execute(
        f"INSERT INTO {quote_ident(contract.table)} ({cols}, _dataset, _file, _line) "
        f"SELECT {exprs}, ?, ?, _line FROM {stage} {keep}",
        [manifest.name, rel],
    )
    # Keep the whole raw row of every rejected record, so nothing is lost.
    con.execute(
        f"INSERT INTO load_errors SELECT ?, ?, e.line, e.column_name, e.value, e.reason, e.kind, "
        f"to_json(s) FROM {stage}_errors e JOIN {stage} s ON s._line = e.line",
        [manifest.name, rel],
    )
    errors = [
        LoadError(manifest.name, rel, line, column, value, reason, kind)
        for line, column, value, reason, kind in con.execute(
            f"SELECT * FROM {stage}_errors ORDER BY line, column_name").fetchall()
    ]
    for row in staged.row_errors:
        errors.append(LoadError(manifest.name, rel, row.line, row.column, row.value, row.reason, row.kind))
        con.execute("INSERT INTO load_errors VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [manifest.name, rel, row.line, row.column, row.value, row.reason, row.kind, row.raw])
    for name in staged.unknown_columns:
        reason = f"column is not in the {contract.table} contract and was not loaded"
        errors.append(LoadError(manifest.name, rel, 1, name, None, reason, "unknown-column"))
        con.execute("INSERT INTO load_errors VALUES (?, ?, 1, ?, NULL, ?, 'unknown-column', NULL)",
                    [manifest.name, rel, name, reason])
    rejected = len({e.line for e in errors if e.kind != "unknown-column"})
    con.execute(f"DROP TABLE {stage}")
    con.execute(f"DROP TABLE {stage}_errors")
    report = FileReport(contract.table, rel, sha, staged.records, staged.records - rejected, rejected)
    con.execute("INSERT INTO dataset_files VALUES (?, ?, ?, ?, ?, ?, ?)",
                [manifest.name, contract.table, rel, sha, report.rows_in_file,
                 report.rows_loaded, report.rows_rejected])
    return report, errors


def _index_sentences(con: duckdb.DuckDBPyConnection, dataset: str) -> None:
    """Store each article's sentences with offsets: the evidence views join figures to them."""
    import pyarrow as pa

    last = ""
    # Keyset pages: the inserts below run on the same connection, so no cursor stays open.
    while batch := con.execute(
        "SELECT article_id, text FROM articles WHERE _dataset = ? AND text IS NOT NULL "
        "AND article_id > ? ORDER BY article_id LIMIT 1000", [dataset, last]).fetchall():
        last = batch[-1][0]
        rows: dict[str, list] = {k: [] for k in ("article_id", "sentence_no", "char_start", "char_end", "text")}
        for article_id, text in batch:
            for number, span in enumerate(split_sentences(text), start=1):
                rows["article_id"].append(article_id)
                rows["sentence_no"].append(number)
                rows["char_start"].append(span.start)
                rows["char_end"].append(span.end)
                rows["text"].append(span.text)
        con.register("sentences_arrow", pa.table(rows))
        con.execute("INSERT INTO article_sentences SELECT ?, article_id, sentence_no, char_start, "
                    "char_end, text FROM sentences_arrow", [dataset])
        con.unregister("sentences_arrow")


def _delete_dataset(con: duckdb.DuckDBPyConnection, contracts: dict[str, Contract], name: str) -> None:
    for table in contracts:
        con.execute(f"DELETE FROM {quote_ident(table)} WHERE _dataset = ?", [name])
    con.execute("DELETE FROM article_sentences WHERE _dataset = ?", [name])
    for table in ("datasets", "dataset_files", "load_errors"):
        key = "name" if table == "datasets" else "dataset"
        con.execute(f"DELETE FROM {table} WHERE {key} = ?", [name])


def load_dataset(
    dataset_dir: str | Path,
    db: str | Path = DEFAULT_DB,
    *,
    strict: bool = False,
    schemas: str | Path | None = None,
    skip_unchanged: bool = False,
    con: duckdb.DuckDBPyConnection | None = None,
) -> LoadResult:
    """Load (or re-load) one dataset folder into the database, in one transaction.

    Rows that cannot be loaded are recorded in `load_errors` and returned in `LoadResult.errors`.
    With `strict=True` any such row rejects the whole load: `NewsproofError`, nothing written.
    With `skip_unchanged=True` a dataset whose files have the fingerprint already loaded is left
    as it is (`LoadResult.unchanged`).
    """
    contracts = load_contracts(schemas)
    manifest = read_manifest(dataset_dir, tuple(contracts))
    hashes = {}
    for table, path in manifest.files.items():
        if not path.is_file():
            raise NewsproofError(f"file for table {table!r} not found", file=str(path),
                                 hint="create it or fix its name under 'files' in dataset.yaml")
        hashes[table] = _sha256(path)
    result = LoadResult(manifest.name, str(db), fingerprint(manifest, hashes))
    db_existed = Path(db).exists()
    own = con is None
    con = con or connect(db)
    try:
        ensure_schema(con, contracts)
        # The findings tables exist from the first load on, so a later validation that fails
        # (say, on a full disk) leaves the database exactly as the load left it.
        ensure_tables(con)
        if skip_unchanged:
            row = con.execute("SELECT fingerprint FROM datasets WHERE name = ?", [manifest.name]).fetchone()
            if row and row[0] == result.fingerprint:
                result.unchanged = True
                return result
        staged = {t: read_file(p, contracts[t], con, f"stage_{t}") for t, p in manifest.files.items()}
        with transaction(con):
            _delete_dataset(con, contracts, manifest.name)
            for table, staged_file in staged.items():
                report, errors = _load_table(con, manifest, contracts[table], staged_file, hashes[table])
                result.files.append(report)
                result.errors.extend(errors)
            if strict and result.errors:
                shown = "\n  ".join(str(e) for e in result.errors[:MAX_ERRORS_SHOWN])
                more = len(result.errors) - MAX_ERRORS_SHOWN
                first = result.errors[0]
                raise NewsproofError(
                    f"strict load refused: {len(result.errors)} row error(s); nothing was written\n  "
                    + shown + (f"\n  ... and {more} more" if more > 0 else ""),
                    file=str(manifest.root / first.file), line=first.line, column=first.column,
                    hint="fix the rows above, or load without --strict to record them in load_errors",
                )
            if "articles" in staged:
                _index_sentences(con, manifest.name)
            con.execute(
                "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
                [manifest.name, manifest.title, manifest.description, manifest.license,
                 manifest.synthetic, str(manifest.root), result.fingerprint],
            )
    except BaseException:
        # Refused or crashed: the transaction rolled back; a first load also leaves no file.
        if own:
            con.close()
            con = None
            if not db_existed:
                _remove_database(Path(db))
        raise
    finally:
        if own and con is not None:
            con.close()
    return result


def _remove_database(path: Path) -> None:
    """A refused first load leaves no half-made database file behind."""
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)
