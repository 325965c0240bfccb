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
from ..contracts import Contract
from ..errors import NewsproofError
from ..store import quote_ident
from .dialect import to_spark
from .load import view_types

FAILURE_SCHEMA = pa.schema([(c, pa.int64() if c in ("line", "char_start", "char_end") else pa.string())
                            for c in FAILURE_COLUMNS])


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
    from ..checks.contract import rule_failures

    return rule_failures(con, contracts, kinds, lambda table: view_types(con.spark, table))


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


# -- text checks (article text against the curated rows) ---------------------------------------

TEXT_TABLES = ("articles", "figures", "claims", "attributions", "sources")


def text_specs() -> dict:
    """The text checks' specs by id (`checks.grounding`, `checks.text_attribution`)."""
    from ..checks import grounding, text_attribution

    return {spec.id: spec for spec in grounding.CHECKS + text_attribution.CHECKS}


def _text_bucket(contracts: dict[str, Contract], specs: tuple, params: dict):
    """Runs on an executor: one bucket of articles with their figures, claims, attributions and
    their dataset's sources -> the failures of every text check, through the unchanged
    `textbundle.read_pages` and `run_bundle_checks` on an in-memory DuckDB."""
    def run(rows: pa.Table) -> pa.Table:
        import duckdb

        from ..checks.textbundle import read_pages, run_bundle_checks
        from ..store import ensure_schema

        con = duckdb.connect()
        try:
            ensure_schema(con, contracts)
            kinds = rows.column("_table").to_pylist()
            for table in TEXT_TABLES:
                picked = rows.filter(pa.array([k == table for k in kinds]))
                prefix = f"{table}__"
                columns = [c for c in rows.column_names if c.startswith(prefix)]
                part = picked.select(columns).rename_columns([c[len(prefix):] for c in columns])
                con.register("part_arrow", part)
                con.execute(f"INSERT INTO {quote_ident(table)} BY NAME SELECT * FROM part_arrow")
                con.unregister("part_arrow")
            bundles = (bundle for page in read_pages(con) for bundle in page)
            found = run_bundle_checks(bundles, specs, params)
        finally:
            con.close()
        out = [{"check_id": check_id, **{c: getattr(f, c) for c in FAILURE_COLUMNS}}
               for check_id, failures in found.items() for f in failures]
        return pa.Table.from_pylist(out, schema=pa.schema([("check_id", pa.string()), *FAILURE_SCHEMA]))
    return run


def text_failures(spark: SparkSession, contracts: dict[str, Contract], params: dict) -> DataFrame:
    """Every text check's failures (column `check_id` says whose), computed per bucket of
    articles on the executors. An attribution goes with the article of its figure or claim;
    the sources of a dataset go to each of its buckets."""
    buckets = max(1, spark.sparkContext.defaultParallelism)
    bucket_of = F.pmod(F.hash("_dataset", "article_id"), F.lit(buckets))

    def tagged(frame: DataFrame, table: str, bucket) -> DataFrame:
        cols = [c for c in frame.columns if c != "_bucket"]
        return frame.select(F.lit(table).alias("_table"), F.col("_dataset").alias("_group"),
                            bucket.alias("_bucket"), *[F.col(f"`{c}`").alias(f"{table}__{c}") for c in cols])

    articles, figures, claims = (spark.table(t) for t in ("articles", "figures", "claims"))
    owner = (figures.select("_dataset", F.col("figure_id").alias("_fid"), F.col("article_id").alias("_fa"))
             .dropDuplicates(["_dataset", "_fid"]))
    claim_owner = (claims.select("_dataset", F.col("claim_id").alias("_cid"), F.col("article_id").alias("_ca"))
                   .dropDuplicates(["_dataset", "_cid"]))
    attributions = spark.table("attributions")
    # An attribution about a figure and a claim of two articles goes to both, as in read_pages.
    by_figure = attributions.join(owner, (attributions["_dataset"] == owner["_dataset"])
                                  & (attributions["figure_id"] == owner["_fid"])).select(
        attributions["*"], F.col("_fa").alias("_article"))
    by_claim = attributions.join(claim_owner, (attributions["_dataset"] == claim_owner["_dataset"])
                                 & (attributions["claim_id"] == claim_owner["_cid"])).select(
        attributions["*"], F.col("_ca").alias("_article"))
    located = (by_figure.unionByName(by_claim)
               .withColumn("_bucket", F.pmod(F.hash("_dataset", "_article"), F.lit(buckets)))
               .dropDuplicates(["_dataset", "_file", "_line", "_bucket"]).drop("_article"))
    every_bucket = spark.range(buckets).select(F.col("id").cast("int").alias("_bucket"))
    parts = [
        tagged(articles, "articles", bucket_of),
        tagged(figures, "figures", bucket_of),
        tagged(claims, "claims", bucket_of),
        tagged(located, "attributions", F.col("_bucket")),
        tagged(spark.table("sources").crossJoin(every_bucket), "sources", F.col("_bucket")),
    ]
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part, allowMissingColumns=True)
    specs = tuple(text_specs().values())
    schema = "check_id string, " + _spark_schema()
    return union.groupBy("_group", "_bucket").applyInArrow(_text_bucket(contracts, specs, params), schema)
