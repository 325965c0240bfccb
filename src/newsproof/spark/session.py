"""Build (or reuse) the SparkSession newsproof runs on: local by default, quiet, no web UI.

The settings here are for a laptop or a CI box: bind to 127.0.0.1, no Spark UI, few shuffle
partitions (a shuffle of a small dataset into 200 partitions costs more than the work). On a
cluster pass `--spark-master` (or your own session to `validate_spark`) and size them there.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from ..errors import NewsproofError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
# Settings the checks rely on, on any session (see `dialect` for why each matters).
SQL_CONF = {
    # Timestamps are read and printed as written, whatever the machine's zone.
    "spark.sql.session.timeZone": "UTC",
    # Python's json keeps the last of repeated keys; Spark's JSON parser must too, not fail.
    "spark.sql.variant.allowDuplicateKeys": "true",
    # This rule leaves some UNION ALL plans of the integrity checks unresolved (Spark 4.x
    # rejects them with PLAN_VALIDATION_FAILED_RULE_IN_BATCH); it only removes aliases.
    "spark.sql.optimizer.excludedRules": "org.apache.spark.sql.catalyst.optimizer.RemoveRedundantAliases",
}


def require_pyspark() -> None:
    """Fail with install instructions when the spark extra is missing."""
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError as exc:
        raise NewsproofError(f"the Spark engine needs pyspark and sqlglot ({exc.name} is not installed)",
                             hint='pip install "newsproof[spark]" (and a Java 17+ runtime)') from None


def get_session(master: str | None = None, *, app_name: str = "newsproof",
                shuffle_partitions: int | None = None) -> SparkSession:
    """The active SparkSession, or a new one on `master` (default `local[*]`)."""
    require_pyspark()
    # Without this Spark resolves the host name and may bind to a public interface.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    master = master or DEFAULT_MASTER
    local = master.startswith("local")
    if local:
        # Python workers must be this interpreter (newsproof, duckdb and pyarrow installed),
        # not whatever `python3` is first on the PATH.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    partitions = shuffle_partitions or (4 if local else 200)
    builder = (
        SparkSession.builder.master(master).appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.default.parallelism", str(partitions))
    )
    if local:
        builder = (builder.config("spark.driver.bindAddress", "127.0.0.1")
                   .config("spark.driver.host", "127.0.0.1"))
    for key, value in SQL_CONF.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: Java missing, bad master URL, ...
        raise NewsproofError(f"cannot start Spark on {master}: {str(exc).strip().splitlines()[0]}",
                             hint="the Spark engine needs Java 17+ (java -version) and a reachable master") from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark
