"""The Spark engine: the same suites over dataset folders or catalog tables, on any Spark master.

`validate_spark(spark, sources, ...)` registers the sources as the views a DuckDB project
database has, runs the suite's checks (translated from their DuckDB SQL by `dialect`) and
writes the findings as Parquet. Needs the `spark` extra (pyspark, sqlglot) and Java 17+.
"""

from .session import get_session

__all__ = ["get_session", "validate_spark"]


def __getattr__(name: str):
    # pyspark is imported only when the engine is used.
    if name == "validate_spark":
        from .engine import validate_spark

        return validate_spark
    raise AttributeError(name)
