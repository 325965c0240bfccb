"""Line numbers for text files read by Spark, without funnelling the file through the driver.

`spark.read.text` splits a file into blocks read in parallel; within a block, rows come in file
order. So a row's line is (lines in the blocks before its block) + (its position in its block)
+ 1. One small job counts the lines of each block (`_metadata.file_block_start`, with the
block's first `monotonically_increasing_id`, which numbers rows consecutively within a task);
the driver turns the counts into offsets (one row per block) and every row gets its line.
`monotonically_increasing_id` alone is no line number: it jumps by 2^33 between tasks.

The same job reports what must stop a load before any row is parsed: an empty file, bytes that
are not UTF-8 (Spark decodes them to U+FFFD), the first line (the CSV header), and whether any
line has an odd number of double quotes (a CSV record that continues on the next line).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from ..errors import NewsproofError

# Python's str.strip() and Java's \s under UNICODE_CHARACTER_CLASS agree on what is blank.
BLANK = r"(?U)^\s*$"
REPLACEMENT_CHARACTER = "\ufffd"


@dataclass
class NumberedLines:
    """A file's lines as rows (`_line`, `value`), and what the counting job saw."""

    lines: DataFrame
    first_line: str
    has_open_quotes: bool


def _quote_parity() -> F.Column:
    quotes = F.length("value") - F.length(F.regexp_replace("value", '"', ""))
    return (quotes % 2).cast("int")


def numbered_lines(spark: SparkSession, path: str, display: str, *, csv: bool) -> NumberedLines:
    """Read a text file as numbered lines. `display` names the file in errors."""
    raw = spark.read.text(path).select(
        "value",
        F.col("_metadata.file_block_start").alias("_block"),
        F.monotonically_increasing_id().alias("_row"),
    )
    blocks = raw.groupBy("_block").agg(
        F.min("_row").alias("_first"),
        F.count(F.lit(1)).alias("_count"),
        F.min_by("value", "_row").alias("_first_value"),
        F.sum(F.when(~F.col("value").rlike(BLANK), 1).otherwise(0)).alias("_filled"),
        F.min(F.when(F.instr("value", REPLACEMENT_CHARACTER) > 0, F.col("_row"))).alias("_bad_row"),
        F.sum(_quote_parity() if csv else F.lit(0)).alias("_odd"),
    ).orderBy("_block").collect()
    if not blocks or sum(b["_filled"] for b in blocks) == 0:
        raise NewsproofError("file is empty", file=display, line=1,
                             hint="write at least the header line (CSV) or remove the file from dataset.yaml")
    offsets, seen = [], 0
    for block in blocks:
        offsets.append((block["_block"], block["_first"], seen))
        if block["_bad_row"] is not None:
            raise NewsproofError(
                "not valid UTF-8 (or it contains U+FFFD, the replacement character)",
                file=display, line=seen + block["_bad_row"] - block["_first"] + 1,
                hint="save the file as UTF-8 (in a spreadsheet: 'CSV UTF-8')")
        seen += block["_count"]
    offset_df = spark.createDataFrame(offsets, "_block long, _first long, _offset long")
    lines = (raw.join(F.broadcast(offset_df), "_block")
             .select((F.col("_offset") + F.col("_row") - F.col("_first") + 1).alias("_line"), "value"))
    first = blocks[0]["_first_value"].lstrip("\ufeff")  # a UTF-8 byte order mark is no part of the header
    return NumberedLines(lines, first, any(b["_odd"] for b in blocks))


def csv_records(numbered: NumberedLines) -> DataFrame:
    """CSV records as rows (`_line` where the record starts, `value`): a quoted field that spans
    lines joins its lines into one record, as Python's csv reader does.

    Only files with such a field pay for it: their lines pass through one ordered window (one
    task per file), which is fine for curated files; a file without one is not reshuffled."""
    if not numbered.has_open_quotes:
        return numbered.lines
    ordered = Window.orderBy("_line")
    before = ordered.rowsBetween(Window.unboundedPreceding, -1)
    # Quote state before a line: the parity of all double quotes above it (RFC 4180 doubles a
    # quote inside a quoted field, which keeps the parity).
    marked = numbered.lines.withColumn("_odd", _quote_parity()).withColumn(
        "_starts", F.coalesce(F.sum("_odd").over(before), F.lit(0)) % 2 == 0)
    grouped = marked.withColumn(
        "_record", F.max(F.when(F.col("_starts"), F.col("_line"))).over(
            ordered.rowsBetween(Window.unboundedPreceding, 0)))
    return grouped.groupBy("_record").agg(
        F.array_join(F.transform(F.array_sort(F.collect_list(F.struct("_line", "value"))),
                                 lambda item: item["value"]), "\n").alias("value"),
    ).withColumnRenamed("_record", "_line")
