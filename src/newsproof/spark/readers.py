"""Read dataset files (CSV, JSONL, Parquet) with Spark into all-text staged DataFrames.

The counterpart of `newsproof.readers`, with the same rules: every cell is text (typing comes
after, in SQL), blank cells are NULL, blank lines are skipped, and a record that cannot be split
into the contract's columns stays in the staged rows with its problem (`_kind`, `_reason`,
`_column`, `_value`, `_raw`) instead of stopping the read, so it can be reported with its line.
Problems with the file as a whole (empty, not UTF-8, a header that lacks a contract column) stop
the load with a `NewsproofError`, as they do on DuckDB.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from pyspark.errors import AnalysisException
from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType

from ..contracts import Contract
from ..errors import NewsproofError
from ..readers import LIST_SEPARATOR, check_header
from .lines import BLANK, csv_records, numbered_lines

PROBLEM_COLUMNS = ("_kind", "_reason", "_column", "_value", "_raw")
_CSV_OPTIONS = {"quote": '"', "escape": '"', "mode": "PERMISSIVE",
                "columnNameOfCorruptRecord": "_corrupt", "ignoreLeadingWhiteSpace": "false",
                "ignoreTrailingWhiteSpace": "false"}


@dataclass
class Staged:
    """One file's records: `_line`, one text column per contract column, and the problem
    columns (NULL for a good record). `unknown` lists columns outside the contract."""

    rows: DataFrame
    unknown: DataFrame  # one column `name`


def _blank_to_null(col: SparkColumn) -> SparkColumn:
    return F.when(~col.rlike(BLANK), col)


def _no_problem() -> list[SparkColumn]:
    return [F.lit(None).cast("string").alias(name) for name in PROBLEM_COLUMNS]


def _names(spark: SparkSession, names: list[str]) -> DataFrame:
    return spark.createDataFrame([(n,) for n in names], "name string")


def read_csv(spark: SparkSession, path: str, display: str, contract: Contract) -> Staged:
    numbered = numbered_lines(spark, path, display, csv=True)
    try:
        header = [h.strip() for h in next(csv.reader([numbered.first_line]))]
    except (csv.Error, StopIteration) as exc:
        raise NewsproofError(f"cannot read the header: {exc}", file=display, line=1) from None
    unknown = check_header(Path(display), header, contract)
    schema = ", ".join(f"c{i} string" for i in range(len(header))) + ", _corrupt string"
    records = csv_records(numbered).where((F.col("_line") > 1) & ~F.col("value").rlike(BLANK))
    parsed = records.select("_line", "value", F.from_csv("value", schema, _CSV_OPTIONS).alias("r"))
    position = {name: i for i, name in enumerate(header)}
    broken = F.col("r._corrupt").isNotNull()
    # Fields outside quoted sections, counted by their commas: only for the message.
    fields = F.size(F.split(F.regexp_replace("value", '"(?:[^"]|"")*"', ""), ",", -1))
    cells = [F.when(~broken, _blank_to_null(F.col(f"r.c{position[name]}"))).alias(name)
             for name in contract.column_names]
    problems = [
        F.when(broken, F.lit("field-count")).alias("_kind"),
        F.when(broken, F.format_string(f"has %d fields, the header has {len(header)}", fields)).alias("_reason"),
        F.lit(None).cast("string").alias("_column"),
        F.lit(None).cast("string").alias("_value"),
        F.when(broken, F.col("value")).alias("_raw"),
    ]
    return Staged(parsed.select("_line", *cells, *problems), _names(spark, unknown))


def _json_cell(name: str, is_list: bool) -> tuple[SparkColumn, SparkColumn]:
    """(text, problem) of one field, as `readers._json_cell` reads it, from the columns
    `_f_<name>` (the field as a VARIANT) and `_k_<name>` (its JSON type)."""
    field, kind = F.col(f"_f_{name}"), F.col(f"_k_{name}")
    is_array, is_object = kind.startswith("ARRAY"), kind.startswith("OBJECT")
    scalar = F.when(kind == "BOOLEAN", F.lower(field.cast("string"))).otherwise(field.cast("string"))
    if is_list:
        items = F.expr(f"variant_get(_f_{name}, '$', 'array<string>')")
        bad_item = F.exists(items, lambda item: F.instr(item, LIST_SEPARATOR) > 0)
        problem = (F.when(is_array & bad_item, F.lit(f"a list item contains {LIST_SEPARATOR!r}"))
                   .when(is_object, F.lit("an object where a single value is expected")))
        fitting = F.when(is_array & ~bad_item, F.array_join(items, LIST_SEPARATOR))
    else:
        problem = (F.when(is_array, F.lit("a list where a single value is expected"))
                   .when(is_object, F.lit("an object where a single value is expected")))
        fitting = F.lit(None).cast("string")
    text = (F.when(kind.isNull() | (kind == "VOID"), F.lit(None).cast("string"))
            .when(problem.isNotNull(), F.to_json(field))
            .when(is_array, fitting)
            .otherwise(_blank_to_null(scalar)))
    return text, problem


def read_jsonl(spark: SparkSession, path: str, display: str, contract: Contract) -> Staged:
    numbered = numbered_lines(spark, path, display, csv=False)
    # Built in steps, each referring to the columns of the one before: one nested expression per
    # cell would repeat the JSON parsing and outgrow Java's 64 KB method limit in codegen.
    lines = numbered.lines.where(~F.col("value").rlike(BLANK)).withColumn("_v", F.try_parse_json("value"))
    fields = lines.select(
        "_line", "value", "_v", F.schema_of_variant("_v").startswith("OBJECT").alias("_object"),
        *[F.expr(f"variant_get(_v, '$.{name}')").alias(f"_f_{name}") for name in contract.column_names])
    kinds = fields.select("*", *[F.schema_of_variant(f"_f_{name}").alias(f"_k_{name}")
                                 for name in contract.column_names])
    cells = kinds.select("_line", "value", "_v", "_object", *[
        F.struct(text.alias("text"), problem.alias("problem")).alias(f"_c_{col.name}")
        for col in contract.columns for text, problem in [_json_cell(col.name, col.is_list)]])
    problems = [F.when(F.col(f"_c_{name}.problem").isNotNull(), F.struct(
        F.lit(name).alias("column"), F.col(f"_c_{name}.problem").alias("reason"),
        F.col(f"_c_{name}.text").alias("value"))) for name in contract.column_names]
    # The first column in contract order, as the reader stops at the first problem.
    checked = cells.withColumn("_first", F.coalesce(*problems))
    v, is_object, first = F.col("_v"), F.col("_object"), F.col("_first")
    kind = F.when(v.isNull() | ~is_object, F.lit("json")).when(first.isNotNull(), F.lit("type"))
    reason = (F.when(v.isNull(), F.lit("not valid JSON"))
              .when(~is_object, F.lit("a line must hold one JSON object"))
              .otherwise(first["reason"]))
    good = v.isNotNull() & is_object & first.isNull()
    rows = checked.select(
        "_line",
        *[F.when(good, F.col(f"_c_{name}.text")).alias(name) for name in contract.column_names],
        kind.alias("_kind"), reason.alias("_reason"),
        F.when(is_object, first["column"]).alias("_column"),
        F.when(is_object, first["value"]).alias("_value"),
        F.when(~good, F.col("value")).alias("_raw"),
    )
    known = F.array(*[F.lit(n) for n in contract.column_names])
    unknown = (lines.where(F.col("_v").isNotNull() & F.schema_of_variant("_v").startswith("OBJECT"))
               .select(F.explode(F.json_object_keys("value")).alias("name"))
               .where(~F.array_contains(known, F.col("name"))).distinct())
    return Staged(rows, unknown)


def typed_cells(fields: dict, contract: Contract) -> list[SparkColumn]:
    """The contract's columns of a typed source (Parquet, a catalog table) as text cells, as
    `readers` stages Parquet: lists joined with LIST_SEPARATOR, blank text as NULL."""
    cells = []
    for name in contract.column_names:
        if isinstance(fields[name].dataType, ArrayType):
            cells.append(F.array_join(F.col(f"`{name}`"), LIST_SEPARATOR).alias(name))
        else:
            text = F.trim(F.col(f"`{name}`").cast("string"))
            cells.append(F.when(text != "", text).alias(name))
    return cells


def read_parquet(spark: SparkSession, path: str, display: str, contract: Contract) -> Staged:
    try:
        frame = spark.read.parquet(path)
        fields = {f.name: f for f in frame.schema.fields}
    except AnalysisException as exc:
        raise NewsproofError(f"not a readable Parquet file: {str(exc).splitlines()[0]}",
                             file=display, hint="re-export the file as Parquet, or use CSV") from None
    unknown = check_header(Path(display), list(fields), contract)
    rows = frame.select((F.col("_metadata.row_index") + 1).alias("_line"), *typed_cells(fields, contract),
                        *_no_problem())
    return Staged(rows, _names(spark, unknown))


def read_file(spark: SparkSession, path: Path, contract: Contract) -> Staged:
    """Stage one dataset file by its suffix (the manifest allows only these)."""
    suffix = path.suffix.lower()
    location = path.resolve().as_uri()
    if suffix == ".csv":
        return read_csv(spark, location, str(path), contract)
    if suffix in (".jsonl", ".ndjson"):
        return read_jsonl(spark, location, str(path), contract)
    return read_parquet(spark, location, str(path), contract)
