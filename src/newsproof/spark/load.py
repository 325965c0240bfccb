"""Register dataset folders (or Spark catalog tables) as the temp views the checks query.

The same tables as a DuckDB project database, under the same names: one view per contract
table with the provenance columns `_dataset`, `_file`, `_line`, plus `load_errors`,
`dataset_files` and `datasets`. Loading is lossless as on DuckDB: files are read as text, typed
with the DuckDB loader's own rules (`load.row_errors_sql`, `load.typed_sql`, translated by
`dialect`), and every row that cannot be typed or keyed goes to `load_errors` with its line.

Differences from a DuckDB load: nothing is written (the views live as long as the session), and
`dataset_files.sha256` / `datasets.fingerprint` are NULL: hashing a file means reading all of it
on the driver, and no check needs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ..contracts import PROVENANCE_COLUMNS, Contract
from ..errors import NewsproofError
from ..load import row_errors_sql, typed_sql
from ..manifest import read_manifest
from ..store import quote_ident
from .dialect import literal, to_spark
from .readers import PROBLEM_COLUMNS, Staged, read_file, typed_cells

# DuckDB type of a contract column -> Spark SQL type of the view column.
SPARK_TYPES = {
    "VARCHAR": "string", "INTEGER": "int", "BIGINT": "bigint", "DOUBLE": "double",
    "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp_ntz", "VARCHAR[]": "array<string>",
}
META_SCHEMAS = {
    "datasets": "name string, title string, description string, license string, synthetic boolean, "
                "path string, fingerprint string, loaded_at timestamp_ntz",
    "dataset_files": "dataset string, table_name string, file string, sha256 string, "
                     "rows_in_file bigint, rows_loaded bigint, rows_rejected bigint",
    "load_errors": "dataset string, file string, line bigint, column_name string, value string, "
                   "reason string, kind string, raw string",
}
CATALOG_DATASET = "catalog"
PROVENANCE = tuple(name for name, _ in PROVENANCE_COLUMNS)


@dataclass
class SparkSources:
    """What `register_sources` put in the session; `release()` frees it."""

    spark: SparkSession
    datasets: dict[str, str | None] = field(default_factory=dict)  # name -> fingerprint
    paths: dict[str, str | None] = field(default_factory=dict)  # name -> folder as given
    views: list[str] = field(default_factory=list)

    def release(self) -> None:
        for view in self.views:
            self.spark.catalog.dropTempView(view)
        self.views.clear()


@dataclass
class _Part:
    table: DataFrame
    errors: DataFrame
    files: DataFrame


def _contract_schema(contract: Contract) -> str:
    cols = [f"{quote_ident(c.name)} {SPARK_TYPES[c.type]}" for c in contract.columns]
    cols += ["_dataset string", "_file string", "_line bigint"]
    return ", ".join(cols).replace('"', "`")


class _Stager:
    """Types staged files into table parts; keeps the temp views and caches it makes."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark
        self.cached: list[DataFrame] = []
        self.views: list[str] = []

    def _view(self, frame: DataFrame) -> str:
        name = f"__newsproof_stage_{len(self.views) + 1}"
        frame.createOrReplaceTempView(name)
        self.views.append(name)
        return name

    def _cache(self, frame: DataFrame) -> DataFrame:
        self.cached.append(frame.persist())
        return frame

    def release(self) -> None:
        """Free what only the typing needed, once the views are materialised."""
        for frame in self.cached:
            frame.unpersist()
        for view in self.views:
            self.spark.catalog.dropTempView(view)

    def part(self, staged: Staged, contract: Contract, dataset: str, file: str) -> _Part:
        stage = self._cache(staged.rows)
        ok = self._view(stage.where(F.col("_kind").isNull()).drop(*PROBLEM_COLUMNS))
        # Used twice (rows kept, rows reported): computed once.
        errors = self._view(self._cache(self.spark.sql(to_spark(
            f"SELECT * FROM ({row_errors_sql(contract, ok)}) AS e(line, column_name, value, reason, kind)"))))
        exprs = ", ".join(f"{typed_sql(c)} AS {quote_ident(c.name)}" for c in contract.columns)
        table = self.spark.sql(to_spark(
            f"SELECT {exprs}, {literal(dataset)} AS _dataset, {literal(file)} AS _file, _line "
            f"FROM {ok} WHERE _line NOT IN (SELECT line FROM {errors})"))
        where = [F.lit(dataset).alias("dataset"), F.lit(file).alias("file")]
        ok_rows = self.spark.table(ok)
        typing = (self.spark.table(errors).alias("e")
                  .join(ok_rows.alias("s"), F.col("s._line") == F.col("e.line"))
                  .select(*where, "e.line", "e.column_name", "e.value", "e.reason", "e.kind",
                          F.to_json(F.struct(*[F.col(f"s.`{c}`") for c in ok_rows.columns])).alias("raw")))
        parsing = stage.where(F.col("_kind").isNotNull()).select(
            *where, F.col("_line").alias("line"), F.col("_column").alias("column_name"),
            F.col("_value").alias("value"), F.col("_reason").alias("reason"), F.col("_kind").alias("kind"),
            F.col("_raw").alias("raw"))
        reason = f"column is not in the {contract.table} contract and was not loaded"
        unknown = staged.unknown.select(
            *where, F.lit(1).cast("bigint").alias("line"), F.col("name").alias("column_name"),
            F.lit(None).cast("string").alias("value"), F.lit(reason).alias("reason"),
            F.lit("unknown-column").alias("kind"), F.lit(None).cast("string").alias("raw"))
        files = stage.agg(F.count(F.lit(1)).alias("rows_in_file")).select(
            *where, F.lit(contract.table).alias("table_name"), "rows_in_file")
        return _Part(table, typing.unionByName(parsing).unionByName(unknown), files)


def _catalog_staged(spark: SparkSession, name: str, contract: Contract) -> Staged:
    """A catalog table staged like a Parquet file: every cell as trimmed text."""
    try:
        frame = spark.table(name)
    except AnalysisException as exc:
        raise NewsproofError(f"no table {name!r} in the Spark catalog: {str(exc).splitlines()[0]}",
                             hint="use --table TABLE=database.table with a table Spark can read") from None
    fields = {f.name: f for f in frame.schema.fields}
    missing = [c for c in contract.column_names if c not in fields]
    if missing:
        raise NewsproofError(f"catalog table {name} has no column {missing[0]!r}", file=name, column=missing[0],
                             hint=f"a {contract.table} table needs: " + ", ".join(contract.column_names))
    # A catalog table has no lines: its own _line column if it has one, else a row id.
    line = F.col("_line").cast("bigint") if "_line" in fields else F.monotonically_increasing_id() + 1
    rows = frame.select(line.alias("_line"), *typed_cells(fields, contract),
                        *[F.lit(None).cast("string").alias(p) for p in PROBLEM_COLUMNS])
    unknown = [c for c in fields if c not in contract.column_names and c not in PROVENANCE]
    return Staged(rows, spark.createDataFrame([(n,) for n in unknown], "name string"))


def nothing_to_validate() -> NewsproofError:
    return NewsproofError("nothing to validate", hint="pass dataset folders or --table TABLE=catalog.table")


def register_sources(spark: SparkSession, contracts: dict[str, Contract],
                     dataset_dirs: list[str | Path] = (), tables: dict[str, str] | None = None) -> SparkSources:
    """Register dataset folders and/or catalog tables (contract table -> catalog table name, all
    one dataset named `catalog`) as the views the checks query."""
    tables = tables or {}
    if not dataset_dirs and not tables:
        raise nothing_to_validate()
    unknown = sorted(set(tables) - set(contracts))
    if unknown:
        raise NewsproofError(f"no table contract named {unknown[0]!r}", hint="tables: " + ", ".join(contracts))
    sources = SparkSources(spark)
    stager = _Stager(spark)
    parts: dict[str, list[_Part]] = {t: [] for t in contracts}
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    dataset_rows = []
    for folder in dataset_dirs:
        manifest = read_manifest(folder, tuple(contracts))
        if manifest.name in sources.datasets:
            raise NewsproofError(f"two dataset folders are both named {manifest.name!r}", file=str(folder),
                                 hint="give one of them another name in its dataset.yaml")
        for table, path in manifest.files.items():
            if not path.is_file():
                raise NewsproofError(f"file for table {table!r} not found", file=str(path),
                                     hint="create it or fix its name under 'files' in dataset.yaml")
            rel = path.relative_to(manifest.root).as_posix()
            parts[table].append(stager.part(read_file(spark, path, contracts[table]), contracts[table],
                                            manifest.name, rel))
        sources.datasets[manifest.name] = None
        sources.paths[manifest.name] = str(manifest.root)
        dataset_rows.append((manifest.name, manifest.title, manifest.description, manifest.license,
                             manifest.synthetic, str(manifest.root), None, loaded_at))
    if tables:
        if CATALOG_DATASET in sources.datasets:
            raise NewsproofError(f"a dataset folder is named {CATALOG_DATASET!r}, like the catalog tables")
        for table, name in tables.items():
            staged = _catalog_staged(spark, name, contracts[table])
            parts[table].append(stager.part(staged, contracts[table], CATALOG_DATASET, name))
        sources.datasets[CATALOG_DATASET] = None
        sources.paths[CATALOG_DATASET] = None
        dataset_rows.append((CATALOG_DATASET, "Spark catalog tables", "", "", False, None, None, loaded_at))

    def register(name: str, frames: list[DataFrame], schema: str) -> None:
        frame = frames[0] if frames else spark.createDataFrame([], schema)
        for other in frames[1:]:
            frame = frame.unionByName(other)
        # Materialised with its lineage cut: each check's plan then starts from these rows, not
        # from the reading and typing of every file (which made plans, and every task, huge).
        frame.localCheckpoint(eager=True).createOrReplaceTempView(name)
        sources.views.append(name)

    for table, contract in contracts.items():
        register(table, [p.table for p in parts[table]], _contract_schema(contract))
    every = [p for ps in parts.values() for p in ps]
    register("load_errors", [p.errors for p in every], META_SCHEMAS["load_errors"])
    # Rejected rows counted from the cached load_errors, not by computing each file's errors again.
    rejected = (spark.table("load_errors").where(F.col("kind") != "unknown-column")
                .groupBy("dataset", "file").agg(F.countDistinct("line").alias("rows_rejected")))
    counted = [p.files.join(rejected, ["dataset", "file"], "left").select(
        "dataset", "table_name", "file", F.lit(None).cast("string").alias("sha256"), "rows_in_file",
        (F.col("rows_in_file") - F.coalesce("rows_rejected", F.lit(0))).alias("rows_loaded"),
        F.coalesce("rows_rejected", F.lit(0)).alias("rows_rejected")) for p in every]
    register("dataset_files", counted, META_SCHEMAS["dataset_files"])
    register("datasets", [spark.createDataFrame(dataset_rows, META_SCHEMAS["datasets"])], META_SCHEMAS["datasets"])
    stager.release()
    return sources


_DUCKDB_TYPES = {spark_type: duck for duck, spark_type in SPARK_TYPES.items()}


def view_types(spark: SparkSession, table: str) -> dict[str, str]:
    """Column -> DuckDB type name of a registered view (what `checks.contract.table_columns`
    returns for a DuckDB table)."""
    return {f.name: _DUCKDB_TYPES.get(f.dataType.simpleString(), f.dataType.simpleString().upper())
            for f in spark.table(table).schema.fields}
