"""Run a suite's checks over the database and store their findings.

SQL checks run inside DuckDB and their failing rows go straight into `qa_failures`; Python
checks stream `Failure` rows in batches. A validation is one transaction: a killed run leaves
the findings of earlier runs as they were.
"""

from __future__ import annotations

import fnmatch
import json
import re
import secrets
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from . import __version__
from .checks.base import FAILURE_COLUMNS, SEVERITIES, Check, CheckContext, Failure
from .contracts import load_contracts
from .errors import NewsproofError
from .findings import (FAILED, NOT_RUN, PASSED, SAMPLE_SIZE, CheckResult, ValidationResult,
                       ensure_tables, iter_failures)
from .store import DEFAULT_DB, connect, ensure_schema, no_room_error, transaction
from .suites import DEFAULT_SUITE, Suite, load_suite

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_PATTERN = re.compile(r"^[a-z0-9*?\[\]-]+$")
_FAILURE_TYPES = {"line": "BIGINT", "char_start": "INTEGER", "char_end": "INTEGER"}
BATCH_ROWS = 10_000


def new_run_id() -> str:
    """Sortable by time, unique across processes."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def _sql_params(sql: str, params: dict) -> dict:
    used = dict.fromkeys(_PARAM.findall(sql))
    missing = [name for name in used if name not in params]
    if missing:
        raise NewsproofError("check SQL uses parameters with no value: " + ", ".join(missing),
                             hint="give them under params: in the suite")
    return {name: params[name] for name in used}


def reproduce_sql(check: Check, params: dict) -> str:
    """The check's SQL with its parameters written in, to paste into any DuckDB client."""
    if check.sql is None:
        return ""

    def literal(match: re.Match) -> str:
        value = params.get(match.group(1))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return repr(value)
        return "'" + str(value).replace("'", "''") + "'"

    return _PARAM.sub(literal, check.sql.strip().rstrip(";"))


def _projection(available: Iterable[str]) -> str:
    available = set(available)
    exprs = []
    for col in FAILURE_COLUMNS:
        type_ = _FAILURE_TYPES.get(col, "VARCHAR")
        exprs.append(f'CAST(q."{col}" AS {type_})' if col in available else f"CAST(NULL AS {type_})")
    return ", ".join(exprs)


_KEY = ("md5(concat_ws('|', $__check_id, coalesce(CAST(q.dataset AS VARCHAR), ''), "
        "coalesce(CAST(q.table_name AS VARCHAR), ''), coalesce(CAST(q.row_key AS VARCHAR), "
        "CAST(q.line AS VARCHAR), ''), coalesce(CAST(q.column_name AS VARCHAR), '')))")


def failure_rows_sql(source_sql: str, available: list[str], check: Check) -> str:
    """A check's rows (`source_sql`, with the columns `available`) as qa_failures rows, with
    the $__run_id, $__check_id and $__severity parameters. The one projection both engines run."""
    missing = {"table_name", "message"} - set(available)
    if missing:
        raise NewsproofError(f"check {check.id} returns no column " + ", ".join(sorted(missing)),
                             file=check.origin)
    for col in ("dataset", "file", "line", "row_key", "column_name"):
        if col not in available:
            source_sql = f"SELECT *, NULL AS {col} FROM ({source_sql}\n) s_{col}"
    return (f"SELECT $__run_id, $__check_id, $__severity, {_projection(available)}, "
            f"CASE WHEN d.path IS NULL OR q.file IS NULL THEN q.file ELSE d.path || '/' || q.file END, "
            f"{_KEY} FROM ({source_sql}\n) q LEFT JOIN datasets d ON d.name = q.dataset")


def _insert_from(con, source_sql: str, available: list[str], params: dict, run_id: str, check: Check) -> None:
    con.execute(
        f"INSERT INTO qa_failures (run_id, check_id, severity, {', '.join(FAILURE_COLUMNS)}, path, finding_key) "
        + failure_rows_sql(source_sql, available, check),
        {**params, "__run_id": run_id, "__check_id": check.id, "__severity": check.severity},
    )


def _run_sql_check(con, check: Check, params: dict, run_id: str) -> None:
    sql = check.sql.strip().rstrip(";")
    bound = _sql_params(sql, params)
    columns = [d[0] for d in con.execute(f"SELECT * FROM ({sql}\n) q LIMIT 0", bound).description]
    _insert_from(con, sql, columns, bound, run_id, check)


def _run_python_check(con, check: Check, ctx: CheckContext, run_id: str) -> None:
    # The whole generator is drained before inserting, so a check may keep a cursor open on
    # the same connection while it yields; failures are held as compact Arrow batches.
    batches: list[pa.RecordBatch] = []
    pending: list[Failure] = []

    def spool() -> None:
        batches.append(pa.RecordBatch.from_pydict(
            {col: [getattr(f, col) for f in pending] for col in FAILURE_COLUMNS}, schema=_ARROW_SCHEMA))
        pending.clear()

    for failure in check.func(ctx):
        pending.append(failure)
        if len(pending) >= BATCH_ROWS:
            spool()
    if pending:
        spool()
    if not batches:
        return
    con.register("failures_arrow", pa.Table.from_batches(batches, schema=_ARROW_SCHEMA))
    try:
        _insert_from(con, "SELECT * FROM failures_arrow", list(FAILURE_COLUMNS), {}, run_id, check)
    finally:
        con.unregister("failures_arrow")


_ARROW_SCHEMA = pa.schema([
    (col, pa.int64() if col in _FAILURE_TYPES else pa.string()) for col in FAILURE_COLUMNS
])


def select_checks(suite: Suite, select: Iterable[str] | None, ignore: Iterable[str] | None) -> list[Check]:
    """Apply --select / --ignore (ids or glob patterns such as `attribution-*`)."""
    def patterns(values: Iterable[str] | None) -> list[str]:
        out = []
        for value in values or ():
            for item in str(value).split(","):
                item = item.strip()
                if not item:
                    continue
                if not _PATTERN.match(item):
                    raise NewsproofError(f"{item!r} is not a check id or pattern",
                                         hint="use kebab-case ids, optionally with * or ?")
                if not any(fnmatch.fnmatchcase(c.id, item) for c in suite.checks):
                    raise NewsproofError(f"no check in suite {suite.name!r} matches {item!r}",
                                         hint="known checks: " + ", ".join(c.id for c in suite.checks))
                out.append(item)
        return out

    chosen, dropped = patterns(select), patterns(ignore)
    return [c for c in suite.checks
            if (not chosen or any(fnmatch.fnmatchcase(c.id, p) for p in chosen))
            and not any(fnmatch.fnmatchcase(c.id, p) for p in dropped)]


class _CheckAbortedRun(Exception):
    """A check failed while executing (say a cast that some row's data cannot take): DuckDB has
    aborted the validation's transaction, so it is run again without that check."""

    def __init__(self, check_id: str, message: str) -> None:
        super().__init__(message)
        self.check_id, self.message = check_id, message


def run_checks(con: duckdb.DuckDBPyConnection, suite: Suite, checks: list[Check], run_id: str,
               contracts, not_run: dict[str, str] | None = None) -> list[CheckResult]:
    """Run the checks; those in `not_run` (id -> message) are recorded as not run, unexecuted."""
    cache: dict = {}
    results = []
    for check in checks:
        params = {**suite.params, **check.params}
        started = time.perf_counter()
        status, message = PASSED, None
        try:
            if not_run and check.id in not_run:
                status, message = NOT_RUN, not_run[check.id]
            elif check.sql is not None:
                _run_sql_check(con, check, params, run_id)
            else:
                _run_python_check(con, check, CheckContext(con, contracts, params, cache), run_id)
        except (duckdb.Error, NewsproofError) as exc:
            if no_room_error(exc) is not None:
                raise  # a full disk ends the validation, it is not one check's failure
            status, message = NOT_RUN, f"could not run: {str(exc).strip().splitlines()[0]}"
        except Exception as exc:  # a user's own Python check: report it, do not crash the run
            if check.origin == "built-in":
                raise
            status, message = NOT_RUN, f"could not run: {type(exc).__name__}: {exc}"
        if status == NOT_RUN:
            try:
                con.execute("DELETE FROM qa_failures WHERE run_id = ? AND check_id = ?", [run_id, check.id])
            except duckdb.TransactionException:
                raise _CheckAbortedRun(check.id, message) from None
            count = 0
        else:
            # fetchall, not fetchone: DuckDB 2 refuses register()/sql() while a result is unfinished.
            count = con.execute("SELECT count(*) FROM qa_failures WHERE run_id = ? AND check_id = ?",
                                [run_id, check.id]).fetchall()[0][0]
            status = FAILED if count else PASSED
        result = CheckResult(
            check.id, check.severity, check.description, check.tables, status, count,
            (time.perf_counter() - started) * 1000, message, reproduce_sql(check, params),
        )
        if count:
            result.sample = list(iter_failures(con, run_id, check.id, limit=SAMPLE_SIZE))
        results.append(result)
    return results


def validate(
    db: str | Path = DEFAULT_DB,
    *,
    suite: str = DEFAULT_SUITE,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    fail_on: str = "error",
    schemas: str | Path | None = None,
    validators: str | Path | None = None,
    run_id: str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> ValidationResult:
    """Run a suite over a project database and record the findings (`qa_runs`, `qa_results`,
    `qa_failures`). Returns the results; `result.exit_code` is what the CLI exits with."""
    if fail_on not in SEVERITIES:
        raise NewsproofError(f"--fail-on must be one of {', '.join(SEVERITIES)}, not {fail_on!r}")
    contracts = load_contracts(schemas)
    the_suite = load_suite(suite, contracts, validators)
    checks = select_checks(the_suite, select, ignore)
    if not Path(db).exists() and con is None:
        raise NewsproofError("database file does not exist", file=str(db),
                             hint="load a dataset first: newsproof load DATASET_DIR --db " + str(db))
    own = con is None
    con = con or connect(db)
    run_id = run_id or new_run_id()
    started_at = datetime.now(timezone.utc).replace(tzinfo=None)
    started = time.perf_counter()
    try:
        ensure_schema(con, contracts)
        ensure_tables(con)
        datasets = dict(con.execute("SELECT name, fingerprint FROM datasets ORDER BY name").fetchall())
        if not datasets:
            raise NewsproofError("no dataset is loaded in this database", file=str(db),
                                 hint="newsproof load DATASET_DIR --db " + str(db))
        not_run: dict[str, str] = {}
        while True:  # once more for each check that aborts the transaction (see _CheckAbortedRun)
            try:
                with transaction(con):
                    results = run_checks(con, the_suite, checks, run_id, contracts, not_run)
                    outcome = ValidationResult(run_id, str(db), the_suite.name, the_suite.version, fail_on,
                                               results, time.perf_counter() - started)
                    counts = outcome.counts
                    con.executemany(
                        "INSERT INTO qa_results (run_id, check_id, severity, description, tables, status, "
                        "failure_count, duration_ms, message, reproduce_sql, origin) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [[run_id, r.check_id, r.severity, r.description, ",".join(r.tables), r.status,
                          r.failure_count, r.duration_ms, r.message, r.reproduce_sql,
                          next(c.origin for c in checks if c.id == r.check_id)] for r in results],
                    )
                    con.execute(
                        "INSERT INTO qa_runs (run_id, started_at, finished_at, suite, suite_version, suite_sha256, "
                        "engine, db, datasets, checks_run, checks_failed, errors, warnings, infos, status, "
                        "fail_on, duration_s, newsproof_version, timings) "
                        "VALUES (?, ?, now()::TIMESTAMP, ?, ?, ?, 'duckdb', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [run_id, started_at, the_suite.name, the_suite.version, the_suite.sha256, str(db),
                         json.dumps(datasets, sort_keys=True), len(results),
                         sum(1 for r in results if r.status != PASSED), counts["error"], counts["warning"],
                         counts["info"], "passed" if outcome.ok else "failed", fail_on, outcome.duration_s,
                         __version__, json.dumps({r.check_id: round(r.duration_ms, 1) for r in results})],
                    )
                break
            except _CheckAbortedRun as aborted:
                not_run[aborted.check_id] = aborted.message
    finally:
        if own:
            con.close()
    return outcome
