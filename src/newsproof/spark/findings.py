"""Findings of a Spark run as Parquet, in the schema of the DuckDB `qa_*` tables.

`findings_dir/qa_failures.parquet` is written by Spark (a folder of part files: the failures
may be many and never pass through the driver); `qa_results.parquet` and `qa_runs.parquet` are
one small file each. `import_findings` loads all three into a DuckDB connection's `qa_*` tables,
so the text/JSON/JUnit formats and the HTML report (`write_findings_report`, `newsproof report
--findings`) render a Spark run like a DuckDB one. Nothing here needs pyspark.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import NewsproofError
from ..findings import ensure_tables

FAILURES, RESULTS, RUNS = "qa_failures.parquet", "qa_results.parquet", "qa_runs.parquet"
_HINT = "pass the --findings-dir of a finished `newsproof validate --engine spark` run, as Spark wrote it"

# Arrow types of the DuckDB qa_* tables (findings.QA_DDL), column for column.
_S, _L, _I, _D, _T = pa.string(), pa.int64(), pa.int32(), pa.float64(), pa.timestamp("us")
RESULTS_SCHEMA = pa.schema([
    ("run_id", _S), ("check_id", _S), ("severity", _S), ("description", _S), ("tables", _S),
    ("status", _S), ("failure_count", _L), ("duration_ms", _D), ("message", _S),
    ("reproduce_sql", _S), ("origin", _S)])
RUNS_SCHEMA = pa.schema([
    ("run_id", _S), ("started_at", _T), ("finished_at", _T), ("suite", _S), ("suite_version", _S),
    ("suite_sha256", _S), ("engine", _S), ("db", _S), ("datasets", _S), ("checks_run", _I),
    ("checks_failed", _I), ("errors", _L), ("warnings", _L), ("infos", _L), ("status", _S),
    ("fail_on", _S), ("duration_s", _D), ("newsproof_version", _S), ("timings", _S)])
# Spark SQL types of qa_failures, in table order.
FAILURES_SPARK_SCHEMA = (
    "run_id string, check_id string, severity string, table_name string, row_key string, "
    "column_name string, value string, message string, dataset string, file string, line bigint, "
    "path string, article_id string, char_start int, char_end int, evidence string, finding_key string")


def write_table(path: Path, rows: list[dict], schema: pa.Schema) -> None:
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


def _parquet_glob(path: Path) -> str:
    """A Parquet file, or Spark's folder of part files, as a read_parquet argument."""
    return str(path / "*.parquet") if path.is_dir() else str(path)


def _findings_paths(folder: Path) -> dict[str, Path]:
    """The three tables of a findings folder, or a NewsproofError saying what is missing."""
    if not folder.is_dir():
        raise NewsproofError("findings folder not found" if not folder.exists() else "findings folder is a file",
                             file=str(folder), hint=_HINT)
    paths = {name: folder / name for name in (RUNS, RESULTS, FAILURES)}
    missing = [name for name, path in paths.items() if not path.exists()]
    if missing:
        raise NewsproofError(f"not the findings of a finished run: no {', '.join(missing)}", file=str(folder),
                             hint=_HINT)
    return paths


def import_findings(findings_dir: str | Path, con: duckdb.DuckDBPyConnection) -> list[str]:
    """Load a Spark run's findings into the `qa_*` tables of a DuckDB connection; return the run
    ids imported. A run already in the tables is replaced."""
    paths = _findings_paths(Path(findings_dir))
    ensure_tables(con)
    run_ids = [r[0] for r in _read(con, paths[RUNS], "SELECT DISTINCT run_id FROM read_parquet(?) ORDER BY run_id")]
    if not run_ids:
        raise NewsproofError("the findings hold no run", file=str(paths[RUNS]), hint=_HINT)
    strays = _read(con, paths[FAILURES], "SELECT DISTINCT run_id FROM read_parquet(?) "
                   "WHERE run_id NOT IN (SELECT unnest(?::VARCHAR[])) LIMIT 1", run_ids)
    if strays:
        # A run that stopped part-way rewrites qa_failures first and qa_runs last.
        raise NewsproofError(f"qa_failures holds rows of run {strays[0][0]}, which {RUNS} does not list: "
                             "a run stopped before it finished", file=str(paths[FAILURES]),
                             hint="validate again into this folder, or report on another one")
    for table, name in (("qa_runs", RUNS), ("qa_results", RESULTS), ("qa_failures", FAILURES)):
        con.execute(f"DELETE FROM {table} WHERE run_id IN (SELECT unnest(?::VARCHAR[]))", [run_ids])
        _read(con, paths[name], f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?)")
    return run_ids


def _read(con: duckdb.DuckDBPyConnection, path: Path, sql: str, *params) -> list[tuple]:
    """Run `sql` with the Parquet at `path` as its first parameter; a file that is not Parquet
    in the qa_* schema is the user's to fix."""
    try:
        return con.execute(sql, [_parquet_glob(path), *params]).fetchall()
    except (duckdb.IOException, duckdb.InvalidInputException, duckdb.BinderException,
            duckdb.ConversionException) as exc:
        raise NewsproofError(f"cannot read the findings: {str(exc).strip().splitlines()[0]}", file=str(path),
                             hint=_HINT) from None


def write_findings_report(findings_dir: str | Path, out_dir: str | Path, *, run_id: str | None = None,
                          templates: str | Path | None = None) -> Path:
    """Write the HTML report of a Spark run from its findings folder, without Spark: the report
    `--db` gives for a DuckDB run of the same data, less what comes from the data itself
    (article pages, sentences, dataset files). Returns the path of its index.html."""
    from ..report import write_report

    con = duckdb.connect()
    try:
        import_findings(findings_dir, con)
        return write_report(findings_dir, out_dir, run_id=run_id, templates=templates, con=con)
    finally:
        con.close()
