"""Python checks on Spark: the same functions as on DuckDB, fed from the registered views.

- Checks that query with `ctx.con.execute(sql, params)` and fetch rows (ratio plausibility, the
  user check example) get `SparkConnection`: their DuckDB SQL is translated by `dialect` and only
  the failing rows they select come back to the driver, streamed (`toLocalIterator`).
- Contract checks run their SQL rules (`checks.contract`, `contract_engine: sql`): the pandera
  engine reads whole tables into pandas on one machine, and pandera's pyspark backend reports
  counts per rule rather than the failing rows, so it cannot give file:line findings.
- Great Expectations suites run GX's pandas engine once per dataset on the executors
  (`applyInArrow`): each task puts its dataset's rows in an in-memory DuckDB and calls the
  unchanged `checks.gx.run_gx_suite`, which batches as it does on DuckDB. GX's own Spark data
  source is not used: it evaluates expectations with Spark semantics (regexes, types) and would
  need every unexpected row collected to name it, so its findings would differ from DuckDB's.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ..checks.base import FAILURE_COLUMNS, Check, CheckContext, Failure
from ..contracts import Contract, value_rules
from ..errors import NewsproofError
from ..store import quote_ident
from .dialect import to_spark
from .load import view_types

FAILURE_SCHEMA = pa.schema([(c, pa.int64() if c in ("line", "char_start", "char_end") else pa.string())
                            for c in FAILURE_COLUMNS])
FETCH_ROWS = 10_000


class SparkCursor:
    """The rows of one query, fetched in bounded batches like a DuckDB result."""

    def __init__(self, frame: DataFrame) -> None:
        self.description = [(name, None, None, None, None, None, None) for name in frame.columns]
        self._rows = frame.toLocalIterator(prefetchPartitions=True)

    def fetchone(self) -> tuple | None:
        row = next(self._rows, None)
        return None if row is None else tuple(row)

    def fetchmany(self, size: int = 1) -> list[tuple]:
        out = []
        for row in self._rows:
            out.append(tuple(row))
            if len(out) >= size:
                break
        return out

    def fetchall(self) -> list[tuple]:
        return [tuple(row) for row in self._rows]


class SparkConnection:
    """What a Python check may call on `ctx.con` when it runs on Spark: `execute(sql, params)`
    with DuckDB SQL and `$name` parameters. Anything else is reported as not supported."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> SparkCursor:
        if params is not None and not isinstance(params, Mapping):
            raise NewsproofError("on Spark a Python check's SQL takes $name parameters, not ? placeholders")
        return SparkCursor(self.spark.sql(to_spark(sql, params or {})))

    def __getattr__(self, name: str):
        raise NewsproofError(f"a Python check on Spark can use con.execute(), not con.{name}")


# -- contract rules -----------------------------------------------------------------------------

def contract_failures(con: SparkConnection, contracts: dict[str, Contract], kinds: tuple[str, ...]
                      ) -> Iterator[Failure]:
    """The contract checks' SQL engine over the Spark views (see the module docstring)."""
    from ..checks.contract import _message, _rule_condition, _type_matches

    for contract in contracts.values():
        present = view_types(con.spark, contract.table)
        key = " || '|' || ".join(f"coalesce(CAST({quote_ident(k)} AS VARCHAR), '')"
                                 for k in contract.primary_key) or "NULL"
        for col in contract.columns:
            actual = present.get(col.name)
            if actual is None or not _type_matches(col.type, actual):
                if "type" in kinds:
                    yield Failure(contract.table, None, col.name, actual, _message("type", col, None, actual))
                continue
            rules = ([("not-null", None)] if not col.nullable else []) + value_rules(col)
            for kind, arg in rules:
                if kind not in kinds:
                    continue
                cursor = con.execute(
                    f"SELECT {key}, CAST({quote_ident(col.name)} AS VARCHAR), _dataset, _file, _line "
                    f"FROM {quote_ident(contract.table)} WHERE {_rule_condition(kind, col, arg)}")
                while rows := cursor.fetchmany(FETCH_ROWS):
                    for key_value, value, dataset, file, line in rows:
                        yield Failure(contract.table, key_value, col.name, value,
                                      _message(kind, col, value), dataset, file, line)


def contract_kinds(check: Check) -> tuple[str, ...] | None:
    """The rule kinds of a built-in contract check, or None for any other check."""
    from ..checks.contract import KINDS

    return KINDS.get(check.id) if check.origin == "built-in" else None


# -- Great Expectations ---------------------------------------------------------------------------

def gx_suite_of(check: Check):
    """The GX suite a check runs, or None if it is no GX check."""
    from ..checks.gx import run_gx_suite

    func = check.func
    if isinstance(func, functools.partial) and func.func is run_gx_suite:
        return func.args[0]
    return None


def _gx_dataset(suite, contracts: dict[str, Contract], params: dict, files: dict[str, str]):
    """Runs on an executor: one dataset's rows of the suite's table -> its GX failures."""
    def run(rows: pa.Table) -> pa.Table:
        import duckdb

        from ..checks.gx import run_gx_suite
        from ..store import ensure_schema

        con = duckdb.connect()
        try:
            ensure_schema(con, contracts)
            dataset = rows.column("_dataset")[0].as_py()
            con.register("rows_arrow", rows)
            con.execute(f"INSERT INTO {quote_ident(suite.table)} BY NAME "
                        "SELECT * FROM rows_arrow ORDER BY _line")
            con.unregister("rows_arrow")
            con.execute("INSERT INTO datasets (name) VALUES (?)", [dataset])
            con.execute("INSERT INTO dataset_files (dataset, table_name, file) VALUES (?, ?, ?)",
                        [dataset, suite.table, files.get(dataset)])
            failures = list(run_gx_suite(suite, CheckContext(con, contracts, params, {})))
        finally:
            con.close()
        return pa.Table.from_pylist([{c: getattr(f, c) for c in FAILURE_COLUMNS} for f in failures],
                                    schema=FAILURE_SCHEMA)
    return run


def gx_failures(spark: SparkSession, suite, contracts: dict[str, Contract], params: dict) -> DataFrame:
    """A GX suite's failures, computed per dataset on the executors."""
    if suite.table not in contracts:
        raise NewsproofError(f"GX suite {suite.name}: no table {suite.table!r}", file=str(suite.path))
    files = dict(spark.table("dataset_files").where(F.col("table_name") == suite.table)
                 .select("dataset", "file").collect())
    failures = spark.table(suite.table).groupBy("_dataset").applyInArrow(
        _gx_dataset(suite, contracts, params, files), _spark_schema())
    # An expectation that cannot run says so in every dataset's task; the DuckDB run says it once.
    return failures.dropDuplicates()


def _spark_schema() -> str:
    return ", ".join(f"{c} {'bigint' if t == pa.int64() else 'string'}" for c, t in
                     zip(FAILURE_SCHEMA.names, FAILURE_SCHEMA.types))


def failures_frame(spark: SparkSession, failures: Iterator[Failure]) -> DataFrame:
    """Failures yielded on the driver as a DataFrame (they are findings, not data rows)."""
    rows = [tuple(getattr(f, c) for c in FAILURE_COLUMNS) for f in failures]
    return spark.createDataFrame(rows, _spark_schema())
