"""The findings model: `qa_runs`, `qa_results` and `qa_failures` in DuckDB, and result objects.

A finding is data, not a log line: one row per failing record, with the check id, severity,
table, row key, column, value, message and the dataset file:line it came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import duckdb

from .checks.base import SEVERITIES, SEVERITY_RANK

QA_DDL = (
    """CREATE TABLE IF NOT EXISTS qa_runs (
  run_id VARCHAR NOT NULL, started_at TIMESTAMP, finished_at TIMESTAMP, suite VARCHAR,
  suite_version VARCHAR, suite_sha256 VARCHAR, engine VARCHAR, db VARCHAR, datasets VARCHAR,
  checks_run INTEGER, checks_failed INTEGER, errors BIGINT, warnings BIGINT, infos BIGINT,
  status VARCHAR, fail_on VARCHAR, duration_s DOUBLE, newsproof_version VARCHAR, timings VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS qa_results (
  run_id VARCHAR NOT NULL, check_id VARCHAR NOT NULL, severity VARCHAR NOT NULL,
  description VARCHAR, tables VARCHAR, status VARCHAR NOT NULL, failure_count BIGINT,
  duration_ms DOUBLE, message VARCHAR, reproduce_sql VARCHAR, origin VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS qa_failures (
  run_id VARCHAR NOT NULL, check_id VARCHAR NOT NULL, severity VARCHAR NOT NULL,
  table_name VARCHAR, row_key VARCHAR, column_name VARCHAR, value VARCHAR, message VARCHAR,
  dataset VARCHAR, file VARCHAR, line BIGINT, path VARCHAR, article_id VARCHAR,
  char_start INTEGER, char_end INTEGER, evidence VARCHAR, finding_key VARCHAR)""",
)
# Check statuses: passed (no failing rows), failed (rows), not-run (the check could not run:
# its message says why; a check that cannot run fails the gate like an error).
PASSED, FAILED, NOT_RUN = "passed", "failed", "not-run"
SAMPLE_SIZE = 20


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in QA_DDL:
        con.execute(ddl)


@dataclass(frozen=True)
class FailureRow:
    check_id: str
    severity: str
    table_name: str | None
    row_key: str | None
    column_name: str | None
    value: str | None
    message: str | None
    dataset: str | None
    file: str | None
    line: int | None
    path: str | None
    article_id: str | None = None
    char_start: int | None = None
    char_end: int | None = None
    evidence: str | None = None
    finding_key: str | None = None

    @property
    def location(self) -> str:
        where = self.path or self.file or "?"
        return f"{where}:{self.line}" if self.line else where


FAILURE_ROW_COLUMNS = (
    "check_id", "severity", "table_name", "row_key", "column_name", "value", "message", "dataset",
    "file", "line", "path", "article_id", "char_start", "char_end", "evidence", "finding_key",
)


@dataclass
class CheckResult:
    check_id: str
    severity: str
    description: str
    tables: tuple[str, ...]
    status: str
    failure_count: int
    duration_ms: float
    message: str | None = None
    reproduce_sql: str | None = None
    sample: list[FailureRow] = field(default_factory=list)


@dataclass
class ValidationResult:
    run_id: str
    db: str
    suite: str
    suite_version: str
    fail_on: str
    results: list[CheckResult]
    duration_s: float = 0.0

    def count(self, severity: str) -> int:
        return sum(r.failure_count for r in self.results if r.severity == severity)

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in reversed(SEVERITIES)}

    @property
    def not_run(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == NOT_RUN]

    def gate_failures(self) -> list[CheckResult]:
        """Checks that fail the gate: failing rows at or above `fail_on`, or could not run."""
        threshold = SEVERITY_RANK[self.fail_on]
        return [r for r in self.results
                if r.status == NOT_RUN or (r.status == FAILED and SEVERITY_RANK[r.severity] >= threshold)]

    @property
    def ok(self) -> bool:
        return not self.gate_failures()

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


def iter_failures(con: duckdb.DuckDBPyConnection, run_id: str, check_id: str | None = None,
                  limit: int | None = None) -> Iterator[FailureRow]:
    """Stream a run's failures in a stable order (check, file, line), without loading them all."""
    sql = f"SELECT {', '.join(FAILURE_ROW_COLUMNS)} FROM qa_failures WHERE run_id = ?"
    params: list = [run_id]
    if check_id:
        sql += " AND check_id = ?"
        params.append(check_id)
    sql += " ORDER BY check_id, dataset, file, line, row_key, column_name, message"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cursor = con.execute(sql, params)
    while rows := cursor.fetchmany(10_000):
        for row in rows:
            yield FailureRow(*row)
