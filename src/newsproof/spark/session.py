"""Build (or reuse) the SparkSession newsproof runs on: the one a launcher made, or a local one.

Three cases, in this order: a session already active (a notebook, a Databricks job, a driver
script that built its own) is used as it is; under `spark-submit`, or on a SparkContext that
already runs, a new session takes the master and settings given there; otherwise newsproof starts Spark itself, on
`--spark-master` or `local[*]`, with settings for a laptop or a CI box: bind to 127.0.0.1, no
Spark UI, few shuffle partitions (a shuffle of a small dataset into 200 partitions costs more
than the work). On a cluster, size them with spark-submit's `--conf`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..errors import NewsproofError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
# pyspark reads this to join the JVM that started the interpreter, as spark-submit does for a
# driver script; without it pyspark starts a JVM of its own.
LAUNCHER_GATEWAY_ENV = "PYSPARK_GATEWAY_PORT"
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


def set_up_elsewhere() -> bool:
    """Whether spark-submit started this interpreter, or a SparkContext already runs here."""
    from pyspark import SparkContext

    # pyspark has no public accessor for a running context that has no session yet.
    return LAUNCHER_GATEWAY_ENV in os.environ or SparkContext._active_spark_context is not None


def session_settings(master: str | None, *, launched: bool,
                     shuffle_partitions: int | None = None) -> tuple[str | None, dict[str, str]]:
    """The master (None: the one spark-submit was given) and the settings of a new session.

    When Spark was `launched` by spark-submit (or a SparkContext runs), its master and settings
    stand: only what the checks need and what the caller asks for are set. Otherwise, local
    defaults."""
    if launched:
        asked = {"spark.sql.shuffle.partitions": str(shuffle_partitions)} if shuffle_partitions else {}
        return master, {**asked, **SQL_CONF}
    master = master or DEFAULT_MASTER
    local = master.startswith("local")
    partitions = str(shuffle_partitions or (4 if local else 200))
    settings = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
                "spark.sql.shuffle.partitions": partitions, "spark.default.parallelism": partitions}
    if local:
        settings |= {"spark.driver.bindAddress": "127.0.0.1", "spark.driver.host": "127.0.0.1"}
    return master, {**settings, **SQL_CONF}


def get_session(master: str | None = None, *, app_name: str = "newsproof",
                shuffle_partitions: int | None = None, conf: Mapping[str, str] | None = None) -> SparkSession:
    """The active SparkSession as it is; else a new one on `master`, else on the master
    spark-submit was given, else on `local[*]` (see the module's docstring). `conf` is set on
    a new session over newsproof's own settings."""
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    launched = set_up_elsewhere()
    master, settings = session_settings(master, launched=launched, shuffle_partitions=shuffle_partitions)
    builder = SparkSession.builder
    if master is not None:
        builder = builder.master(master)
    if not launched:  # spark-submit's --name stands
        builder = builder.appName(app_name)
    if not launched and master.startswith("local"):
        # The JVM starts here, so its environment can still be set. Without SPARK_LOCAL_IP Spark
        # resolves the host name and may bind to a public interface; Python workers must be
        # this interpreter (newsproof, duckdb and pyarrow installed), not the first `python3`
        # on the PATH.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for key, value in {**settings, **(conf or {})}.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: Java missing, bad master URL, ...
        where = master or "the master spark-submit was given"
        raise NewsproofError(f"cannot start Spark on {where}: {str(exc).strip().splitlines()[0]}",
                             hint="the Spark engine needs Java 17+ (java -version) and a reachable master") from None
    if not launched:  # under spark-submit, its log settings stand
        spark.sparkContext.setLogLevel("ERROR")
    return spark
