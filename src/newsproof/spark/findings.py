"""Findings of a Spark run as Parquet, in the schema of the DuckDB `qa_*` tables.

`findings_dir/qa_failures.parquet` is written by Spark (a folder of part files: the failures
may be many and never pass through the driver); `qa_results.parquet` and `qa_runs.parquet` are
one small file each. `import_findings` loads all three into a DuckDB connection's `qa_*` tables,
so the text/JSON/JUnit formats and the HTML report render a Spark run like a DuckDB one.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import NewsproofError
from ..findings import ensure_tables

FAILURES, RESULTS, RUNS = "qa_failures.parquet", "qa_results.parquet", "qa_runs.parquet"

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


def import_findings(findings_dir: str | Path, con: duckdb.DuckDBPyConnection) -> list[str]:
    """Load a Spark run's findings into the `qa_*` tables of a DuckDB connection; return the run
    ids imported. A run already in the tables is replaced."""
    folder = Path(findings_dir)
    paths = {name: folder / name for name in (RUNS, RESULTS, FAILURES)}
    missing = [name for name, path in paths.items() if not path.exists()]
    if missing:
        raise NewsproofError(f"no {missing[0]} in the findings folder", file=str(folder),
                             hint="pass the --findings-dir of a `newsproof validate --engine spark` run")
    ensure_tables(con)
    run_ids = [r[0] for r in con.execute(
        "SELECT DISTINCT run_id FROM read_parquet(?) ORDER BY run_id", [_parquet_glob(paths[RUNS])]).fetchall()]
    for table, name in (("qa_runs", RUNS), ("qa_results", RESULTS), ("qa_failures", FAILURES)):
        con.execute(f"DELETE FROM {table} WHERE run_id IN (SELECT unnest(?::VARCHAR[]))", [run_ids])
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?)", [_parquet_glob(paths[name])])
    return run_ids
