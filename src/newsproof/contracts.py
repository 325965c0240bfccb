"""Table contracts: read `schemas/*.yaml` into `Contract` objects; build DDL and pandera schemas.

A contract is the single declaration of a table: its columns, types, nullability, enums, ranges,
keys and references. The loader, the DuckDB tables, the pandera checks and the README's data
model all come from it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import NewsproofError
from .resources import builtin_dir

# DuckDB type names a contract may use, and the pandas dtype pandera checks for each: the dtype a
# correctly typed column has once read through Arrow (`checks.contract.read_batches`).
TYPES: dict[str, str] = {
    "VARCHAR": "string",
    "INTEGER": "Int64",
    "BIGINT": "Int64",
    "DOUBLE": "Float64",
    "BOOLEAN": "boolean",
    "DATE": "datetime64[ms]",  # Arrow date32 arrives as milliseconds
    "TIMESTAMP": "datetime64[us]",
    "VARCHAR[]": "object",
}
# Columns every loaded table carries so that a finding can point to `figures.csv:7`.
PROVENANCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_dataset", "VARCHAR"),
    ("_file", "VARCHAR"),
    ("_line", "BIGINT"),
)
# Load order: referenced tables first (only cosmetic; references are checked after loading).
TABLE_ORDER = ("articles", "sources", "claims", "figures", "attributions")

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_COLUMN_KEYS = {"name", "type", "nullable", "enum", "min", "max", "pattern", "references", "description"}


@dataclass(frozen=True)
class Reference:
    table: str
    column: str


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    enum: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    references: Reference | None = None
    description: str = ""

    @property
    def is_list(self) -> bool:
        return self.type.endswith("[]")


@dataclass(frozen=True)
class Contract:
    table: str
    version: int
    description: str
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]
    path: Path | None = field(default=None, compare=False)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _parse_column(raw: Any, path: Path) -> Column:
    if not isinstance(raw, dict) or "name" not in raw or "type" not in raw:
        raise NewsproofError(
            f"column entry {raw!r} needs at least 'name' and 'type'", file=str(path),
            hint="write columns as {name: ..., type: ...}",
        )
    unknown = sorted(set(raw) - _COLUMN_KEYS)
    if unknown:
        raise NewsproofError(
            f"column {raw['name']!r} has unknown key(s) {', '.join(map(str, unknown))}", file=str(path),
            hint="known keys: " + ", ".join(sorted(_COLUMN_KEYS)) + " (quote values that contain commas)",
        )
    name, type_ = str(raw["name"]), str(raw["type"]).upper()
    if not _NAME.match(name):
        raise NewsproofError(
            f"column name {name!r} is not a plain lower-case identifier", file=str(path),
            column=name, hint="use letters, digits and underscores, starting with a letter",
        )
    if type_ not in TYPES:
        raise NewsproofError(
            f"unknown type {raw['type']!r}", file=str(path), column=name,
            hint="use one of " + ", ".join(TYPES),
        )
    ref = None
    if raw.get("references"):
        table, _, column = str(raw["references"]).partition(".")
        if not (_NAME.match(table) and _NAME.match(column)):
            raise NewsproofError(
                f"reference {raw['references']!r} is not table.column", file=str(path),
                column=name,
            )
        ref = Reference(table, column)
    enum = raw.get("enum")
    return Column(
        name=name,
        type=type_,
        nullable=bool(raw.get("nullable", True)),
        enum=tuple(str(v) for v in enum) if enum else None,
        min=raw.get("min"),
        max=raw.get("max"),
        pattern=raw.get("pattern"),
        references=ref,
        description=str(raw.get("description", "")),
    )


def read_contract(path: Path) -> Contract:
    """Read one `schemas/<table>.yaml` file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise NewsproofError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}", file=str(path),
            line=mark.line + 1 if mark else None,
        ) from None
    if not isinstance(raw, dict) or "table" not in raw or "columns" not in raw:
        raise NewsproofError("a contract needs 'table' and 'columns'", file=str(path))
    table = str(raw["table"])
    if not _NAME.match(table):
        raise NewsproofError(f"table name {table!r} is not a plain identifier", file=str(path))
    columns = tuple(_parse_column(c, path) for c in raw["columns"])
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise NewsproofError("a column is declared twice", file=str(path))
    key = tuple(raw.get("primary_key") or ())
    for k in key:
        if k not in names:
            raise NewsproofError(f"primary key column {k!r} is not declared", file=str(path))
    return Contract(
        table=table,
        version=int(raw.get("version", 1)),
        description=str(raw.get("description", "")),
        primary_key=key,
        columns=columns,
        path=path,
    )


def load_contracts(folder: Path | str | None = None) -> dict[str, Contract]:
    """All contracts in a folder (default: the built-in `schemas/`), in load order."""
    folder = Path(folder) if folder else builtin_dir("schemas")
    if not folder.is_dir():
        raise NewsproofError("schemas folder not found", file=str(folder))
    found = {c.table: c for c in map(read_contract, sorted(folder.glob("*.yaml")))}
    if not found:
        raise NewsproofError("no *.yaml contracts in the schemas folder", file=str(folder))
    ordered = [t for t in TABLE_ORDER if t in found] + sorted(set(found) - set(TABLE_ORDER))
    return {t: found[t] for t in ordered}


def create_table_sql(contract: Contract) -> str:
    """DDL for a contract's table. Constraints stay out of the DDL on purpose: bad rows must
    load (or be recorded) so that the checks can report them with their file and line."""
    cols = [f'"{c.name}" {c.type}' for c in contract.columns]
    cols += [f'"{name}" {type_} NOT NULL' for name, type_ in PROVENANCE_COLUMNS]
    return f'CREATE TABLE IF NOT EXISTS "{contract.table}" (\n  ' + ",\n  ".join(cols) + "\n)"


@contextmanager
def quiet_pyspark() -> Iterator[None]:
    """pandera and Great Expectations import pyspark when it is installed (the spark extra), and
    pyspark warns on every import attempt that it does not support pandas 3: not our users' news."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support", category=FutureWarning)
        yield


def value_rules(col: Column) -> list[tuple[str, Any]]:
    """A column's row-wise value rules as (kind, argument), kind one of enum, min, max, pattern.

    The order is fixed: pandera numbers a column's checks in this order, and the contract checks
    map each pandera failure back to its rule by that number."""
    rules: list[tuple[str, Any]] = []
    if col.enum:
        rules.append(("enum", col.enum))
    if col.min is not None:
        rules.append(("min", col.min))
    if col.max is not None:
        rules.append(("max", col.max))
    if col.pattern:
        rules.append(("pattern", col.pattern))
    return rules


def pandera_schema(contract: Contract):
    """A pandera DataFrameSchema for the row-wise rules of a contract: types, nullability,
    enums, ranges and patterns. Uniqueness and references are table-wide and run as SQL."""
    with quiet_pyspark():
        import pandera.pandas as pa

    build = {
        "enum": lambda values: pa.Check.isin(list(values)),
        "min": pa.Check.ge,
        "max": pa.Check.le,
        "pattern": pa.Check.str_matches,
    }
    columns = {
        col.name: pa.Column(
            TYPES[col.type],
            checks=[build[kind](arg) for kind, arg in value_rules(col)],
            nullable=col.nullable,
            coerce=False,
        )
        for col in contract.columns
    }
    return pa.DataFrameSchema(columns, name=contract.table, strict=False)
