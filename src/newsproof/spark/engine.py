"""Run a suite on Spark: the same checks as on DuckDB, the same findings, written as Parquet.

Every check becomes a DataFrame of `qa_failures` rows: SQL checks through `dialect` (the check's
own SQL, translated), Python checks through `pychecks`. Each is written by its own Spark job to
`findings_dir/qa_failures.parquet`; counts and the first rows of each check are read back from
there, so no data table is collected. A check that cannot be translated, analysed or run is
reported as not run with the reason.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from py4j.protocol import Py4JError
from pyspark.errors import PySparkException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from .. import __version__
from ..checks.base import FAILURE_COLUMNS, SEVERITIES, Check, CheckContext
from ..contracts import load_contracts
from ..engine import failure_rows_sql, new_run_id, reproduce_sql, select_checks
from ..errors import NewsproofError
from ..findings import (FAILED, FAILURE_ROW_COLUMNS, NOT_RUN, PASSED, SAMPLE_SIZE, CheckResult,
                        FailureRow, ValidationResult)
from ..suites import DEFAULT_SUITE, load_suite
from . import findings, pychecks
from .dialect import to_spark
from .load import nothing_to_validate, register_sources
from .session import SQL_CONF

QA_FAILURE_COLUMNS = ("run_id", "check_id", "severity", *FAILURE_COLUMNS, "path", "finding_key")
SPARK_ERRORS = (PySparkException, Py4JError)


@contextmanager
def session_conf(spark: SparkSession) -> Iterator[None]:
    """Set the SQL settings the checks rely on (`session.SQL_CONF`) for one run, then restore
    the caller's."""
    before = {key: spark.conf.get(key, None) for key in SQL_CONF}
    for key, value in SQL_CONF.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def _split_sources(sources) -> tuple[list[str | Path], dict[str, str]]:
    """Dataset folders, and contract table -> catalog table (a mapping, or `NAME=catalog.table`)."""
    if isinstance(sources, Mapping):
        return [], dict(sources)
    if isinstance(sources, (str, Path)):
        sources = [sources]
    folders, tables = [], {}
    for item in sources:
        text = str(item)
        if "=" in text and not Path(text).exists():
            table, _, name = text.partition("=")
            tables[table.strip()] = name.strip()
        else:
            folders.append(item)
    return folders, tables


class _Run:
    """One run's checks as DataFrames of qa_failures rows."""

    def __init__(self, spark: SparkSession, run_id: str, contracts) -> None:
        self.spark = spark
        self.run_id = run_id
        self.contracts = contracts
        self.con = pychecks.SparkConnection(spark)
        self.cache: dict = {}
        self.views = 0

    def _findings(self, check: Check, source_sql: str, available: list[str], params: dict) -> DataFrame:
        """The engine's projection of a check's rows into qa_failures (`engine.failure_rows_sql`)."""
        sql = failure_rows_sql(source_sql, available, check)
        bound = {**params, "__run_id": self.run_id, "__check_id": check.id, "__severity": check.severity}
        return self.spark.sql(to_spark(sql, bound)).toDF(*QA_FAILURE_COLUMNS)

    def _view(self, frame: DataFrame) -> str:
        self.views += 1
        name = f"__newsproof_failures_{self.views}"
        frame.createOrReplaceTempView(name)
        return name

    def frame(self, check: Check, params: dict) -> DataFrame:
        if check.sql is not None:
            sql = check.sql.strip().rstrip(";")
            available = self.spark.sql(to_spark(sql, params)).columns
            return self._findings(check, sql, available, params)
        suite = pychecks.gx_suite_of(check)
        kinds = pychecks.contract_kinds(check)
        if check.origin == "built-in" and check.id in pychecks.text_specs():
            rows = self._text_failures(params).where(F.col("check_id") == check.id).drop("check_id")
        elif suite is not None:
            rows = pychecks.gx_failures(self.spark, suite, self.contracts, params)
        elif kinds is not None:
            rows = pychecks.failures_frame(self.spark, pychecks.contract_failures(self.con, self.contracts, kinds))
        else:
            ctx = CheckContext(self.con, self.contracts, params, self.cache)
            rows = pychecks.failures_frame(self.spark, check.func(ctx))
        return self._findings(check, f"SELECT * FROM {self._view(rows)}", list(FAILURE_COLUMNS), {})

    def _text_failures(self, params: dict) -> DataFrame:
        """All text checks' failures, computed once per run (per value of their parameters)."""
        from ..checks.textbundle import TEXT_PARAMS

        key = ("text-checks", tuple((name, repr(params.get(name))) for name in TEXT_PARAMS))
        if key not in self.cache:
            self.cache[key] = pychecks.text_failures(self.spark, self.contracts, params).persist()
        return self.cache[key]

    def drop_views(self) -> None:
        for frame in self.cache.values():
            if isinstance(frame, DataFrame):
                frame.unpersist()
        for number in range(1, self.views + 1):
            self.spark.catalog.dropTempView(f"__newsproof_failures_{number}")


def _not_run(exc: BaseException | str) -> str:
    # A Py4J error's own text is only "An error occurred while calling o123.parquet": the
    # reason is the Java exception's.
    java = getattr(exc, "java_exception", None)
    text = (str(java.toString()) if java is not None else str(exc)).strip()
    return f"could not run on Spark: {text.splitlines()[0] if text else type(exc).__name__}"


def _write(frames: dict[str, DataFrame], path: Path, errors: dict[str, str], durations: dict[str, float]) -> None:
    """One job per check, appended to the same folder: a check that fails while running is
    reported as not run and leaves no rows (a failed job commits nothing); the others stand.
    (One job for all checks would ship every check's plan with every task.)"""
    for check_id, frame in frames.items():
        began = time.perf_counter()
        try:
            frame.write.mode("append").parquet(str(path))
        except SPARK_ERRORS as exc:
            errors[check_id] = _not_run(exc)
        durations[check_id] += (time.perf_counter() - began) * 1000


def validate_spark(
    spark: SparkSession,
    sources,
    *,
    suite: str = DEFAULT_SUITE,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    fail_on: str = "error",
    findings_dir: str | Path | None = None,
    schemas: str | Path | None = None,
    validators: str | Path | None = None,
    run_id: str | None = None,
) -> ValidationResult:
    """Run a suite on Spark over dataset folders (paths) or catalog tables (a mapping of contract
    table -> catalog table, or `TABLE=catalog.table` items). Findings go to `findings_dir` as
    Parquet (`qa_runs`, `qa_results`, `qa_failures`; see `findings.import_findings`); without
    one they are kept only for the run. `result.exit_code` is what the CLI exits with."""
    if fail_on not in SEVERITIES:
        raise NewsproofError(f"--fail-on must be one of {', '.join(SEVERITIES)}, not {fail_on!r}")
    contracts = load_contracts(schemas)
    the_suite = load_suite(suite, contracts, validators)
    checks = select_checks(the_suite, select, ignore)
    folders, tables = _split_sources(sources)
    run_id = run_id or new_run_id()
    started_at = datetime.now(timezone.utc).replace(tzinfo=None)
    started = time.perf_counter()
    out = Path(findings_dir) if findings_dir else Path(tempfile.mkdtemp(prefix="newsproof-spark-"))
    out.mkdir(parents=True, exist_ok=True)
    with session_conf(spark):
        registered = register_sources(spark, contracts, folders, tables)
        run = _Run(spark, run_id, contracts)
        try:
            frames, errors, durations, params_of = {}, {}, {}, {}
            for check in checks:
                params_of[check.id] = {**the_suite.params, **check.params}
                began = time.perf_counter()
                try:
                    frames[check.id] = run.frame(check, params_of[check.id])
                except (NewsproofError, *SPARK_ERRORS) as exc:
                    errors[check.id] = _not_run(exc)
                except Exception as exc:  # a Python check that needs more than Spark offers it
                    errors[check.id] = _not_run(f"{type(exc).__name__}: {exc}")
                durations[check.id] = (time.perf_counter() - began) * 1000
            failures_path = out / findings.FAILURES
            shutil.rmtree(failures_path, ignore_errors=True)
            # An empty part first: the folder is a Parquet dataset with the schema even if no check ran.
            spark.createDataFrame([], findings.FAILURES_SPARK_SCHEMA).write.parquet(str(failures_path))
            _write(frames, failures_path, errors, durations)
            results = _results(spark, failures_path, checks, errors, durations, params_of)
        finally:
            run.drop_views()
            registered.release()
    outcome = ValidationResult(run_id, str(findings_dir or "spark"), the_suite.name, the_suite.version,
                               fail_on, results, time.perf_counter() - started)
    _write_run(out, outcome, the_suite, checks, registered.datasets, started_at, spark)
    if not findings_dir:
        shutil.rmtree(out, ignore_errors=True)
    return outcome


def _results(spark: SparkSession, failures_path: Path, checks: list[Check], errors: dict[str, str],
             durations: dict[str, float], params_of: dict[str, dict]) -> list[CheckResult]:
    written = spark.read.parquet(str(failures_path))
    counts = dict(written.groupBy("check_id").count().collect())
    order = Window.partitionBy("check_id").orderBy(
        *[F.col(c).asc_nulls_first() for c in ("dataset", "file", "line", "row_key", "column_name", "message")])
    samples: dict[str, list[FailureRow]] = {}
    for row in (written.withColumn("_n", F.row_number().over(order)).where(F.col("_n") <= SAMPLE_SIZE)
                .select(*FAILURE_ROW_COLUMNS).collect()):
        samples.setdefault(row["check_id"], []).append(FailureRow(*row))
    results = []
    for check in checks:
        count = 0 if check.id in errors else counts.get(check.id, 0)
        status = NOT_RUN if check.id in errors else FAILED if count else PASSED
        sample = sorted(samples.get(check.id, []), key=lambda r: (
            r.dataset or "", r.file or "", r.line or 0, r.row_key or "", r.column_name or "", r.message or ""))
        results.append(CheckResult(
            check.id, check.severity, check.description, check.tables, status, count,
            durations[check.id], errors.get(check.id), reproduce_sql(check, params_of[check.id]),
            sample if status == FAILED else []))
    return results


def _write_run(out: Path, outcome: ValidationResult, suite, checks: list[Check],
               datasets: dict[str, str | None], started_at: datetime, spark: SparkSession) -> None:
    origin = {c.id: c.origin for c in checks}
    findings.write_table(out / findings.RESULTS, [
        {"run_id": outcome.run_id, "check_id": r.check_id, "severity": r.severity,
         "description": r.description, "tables": ",".join(r.tables), "status": r.status,
         "failure_count": r.failure_count, "duration_ms": r.duration_ms, "message": r.message,
         "reproduce_sql": r.reproduce_sql, "origin": origin[r.check_id]} for r in outcome.results],
        findings.RESULTS_SCHEMA)
    counts = outcome.counts
    findings.write_table(out / findings.RUNS, [{
        "run_id": outcome.run_id, "started_at": started_at,
        "finished_at": datetime.now(timezone.utc).replace(tzinfo=None), "suite": suite.name,
        "suite_version": suite.version, "suite_sha256": suite.sha256, "engine": "spark",
        "db": spark.sparkContext.master, "datasets": json.dumps(datasets, sort_keys=True),
        "checks_run": len(outcome.results),
        "checks_failed": sum(1 for r in outcome.results if r.status != PASSED),
        "errors": counts["error"], "warnings": counts["warning"], "infos": counts["info"],
        "status": "passed" if outcome.ok else "failed", "fail_on": outcome.fail_on,
        "duration_s": outcome.duration_s, "newsproof_version": __version__,
        "timings": json.dumps({r.check_id: round(r.duration_ms, 1) for r in outcome.results}),
    }], findings.RUNS_SCHEMA)


def validate_for_cli(sources: Iterable[str], tables: Iterable[str], *, master: str | None,
                     findings_dir: str | None, **options):
    """`newsproof validate --engine spark`: start a session, validate, and return the result with
    an in-memory DuckDB connection holding the findings (for the output formats)."""
    import duckdb

    from .session import get_session

    items = [*sources, *tables]
    if not items:  # said before Spark starts, which takes seconds
        raise nothing_to_validate()
    for item in tables:
        if "=" not in item:
            raise NewsproofError(f"--table {item!r} is not TABLE=catalog.table")
    spark = get_session(master)
    keep = findings_dir or tempfile.mkdtemp(prefix="newsproof-findings-")
    try:
        result = validate_spark(spark, items, findings_dir=keep, **options)
        if not findings_dir:
            result.db = f"Spark {spark.sparkContext.master}"  # the temporary folder is gone after
        con = duckdb.connect()
        findings.import_findings(keep, con)
    finally:
        if not findings_dir:
            shutil.rmtree(keep, ignore_errors=True)
    return result, con
