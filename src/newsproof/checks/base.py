"""What a check is: a stable id, a severity, a one-line description, and a way to find failures.

A check either carries SQL (run inside DuckDB, results inserted without leaving the database)
or a Python function that yields `Failure` rows. Both produce the same findings columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ..contracts import Contract
from ..errors import NewsproofError

SEVERITIES = ("info", "warning", "error")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
CHECK_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# Columns a check's SQL returns (those it leaves out are NULL), in the order they are stored.
FAILURE_COLUMNS = (
    "table_name", "row_key", "column_name", "value", "message",
    "dataset", "file", "line", "article_id", "char_start", "char_end", "evidence",
)


@dataclass(frozen=True)
class Failure:
    """One failing row: where it is (table, key, column, file:line) and why."""

    table_name: str
    row_key: str | None
    column_name: str | None
    value: str | None
    message: str
    dataset: str | None = None
    file: str | None = None
    line: int | None = None
    article_id: str | None = None
    char_start: int | None = None
    char_end: int | None = None
    evidence: str | None = None  # JSON text: sentence, recorded vs expected chain, ...


@dataclass
class CheckContext:
    """What a check may use while it runs."""

    con: duckdb.DuckDBPyConnection
    contracts: dict[str, Contract]
    params: Mapping[str, Any] = field(default_factory=dict)
    # Shared between the checks of one run (e.g. one pandera pass feeds several check ids).
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    id: str
    severity: str
    description: str
    tables: tuple[str, ...]
    sql: str | None = None
    func: Callable[[CheckContext], Iterable[Failure]] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    # Where the check is defined (a built-in module, or a user's .sql / .py file).
    origin: str = "built-in"

    def __post_init__(self) -> None:
        if not CHECK_ID.match(self.id):
            raise NewsproofError(f"check id {self.id!r} is not kebab-case",
                                 hint="use lower-case letters, digits and single hyphens")
        if self.severity not in SEVERITIES:
            raise NewsproofError(f"check {self.id}: unknown severity {self.severity!r}",
                                 hint="use one of " + ", ".join(SEVERITIES))
        if (self.sql is None) == (self.func is None):
            raise ValueError(f"check {self.id} needs exactly one of sql and func")
