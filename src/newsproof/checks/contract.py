"""Contract checks: the row-wise rules of `schemas/*.yaml` (types, required values, enums, ranges,
patterns), run by pandera on bounded batches read from DuckDB, or pushed down to SQL.

One pandera pass per table feeds five check ids (the pass is cached for the run), so a table is
read once whichever of them run. Uniqueness and references are table-wide: they are the SQL
checks `duplicate-key` and `reference-dangling`, not pandera's business.

Suite parameters: `contract_engine` (`pandera`, the default, or `sql`: the same rules as
generated SQL, no rows leave DuckDB) and `contract_batch_rows` (rows per pandera batch).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import duckdb
import pandas as pd
import pyarrow as pa

from ..contracts import (PROVENANCE_COLUMNS, TYPES, Column, Contract, pandera_schema, quiet_pyspark,
                         value_rules)
from ..errors import NewsproofError
from ..store import quote_ident
from .base import Check, CheckContext, Failure

DEFAULT_BATCH_ROWS = 100_000
ENGINES = ("pandera", "sql")
PROVENANCE = tuple(name for name, _ in PROVENANCE_COLUMNS)

# Check id -> the rule kinds it reports (see `contracts.value_rules`; "type" and "not-null" are
# the column's own dtype and nullability).
KINDS: dict[str, tuple[str, ...]] = {
    "contract-type": ("type",),
    "contract-not-null": ("not-null",),
    "contract-enum": ("enum",),
    "contract-range": ("min", "max"),
    "contract-pattern": ("pattern",),
}
DESCRIPTIONS = {
    "contract-type": "Every contract column is in its table with the contract's type.",
    "contract-not-null": "Columns the contract marks nullable: false hold a value in every row.",
    "contract-enum": "Columns with an enum hold only the contract's values.",
    "contract-range": "Numbers respect the contract's min and max.",
    "contract-pattern": "Text matches the contract's pattern (e.g. text_sha256 is 64 hex digits).",
}

# Pandas dtypes for Arrow types, so that a correctly typed column has the dtype in `TYPES`
# (nullable Int64/Float64/string rather than float64 with NaN for missing numbers).
_ARROW_TO_PANDAS = {
    **{t: pd.Int64Dtype() for t in (pa.int8(), pa.int16(), pa.int32(), pa.int64(),
                                    pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64())},
    pa.float32(): pd.Float64Dtype(), pa.float64(): pd.Float64Dtype(),
    pa.string(): pd.StringDtype(), pa.large_string(): pd.StringDtype(),
    pa.bool_(): pd.BooleanDtype(),
}


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name -> DuckDB type of a table in the database (empty if there is no such table)."""
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? AND table_schema = current_schema() ORDER BY ordinal_position",
        [table]).fetchall()
    return dict(rows)


def read_batches(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], batch_rows: int,
                 dataset: str | None = None) -> Iterator[pd.DataFrame]:
    """A table's rows (optionally one dataset's) as DataFrames of at most `batch_rows` rows; at
    least one, empty if there are no rows, so that column types are still seen.

    Keyset pages on rowid: one bounded query per batch, no cursor left open between batches,
    so callers may use the connection while they iterate."""
    select = ", ".join(quote_ident(c) for c in columns)
    where = "rowid > $last" + (" AND _dataset = $dataset" if dataset is not None else "")
    params: dict = {"last": -1, "rows": batch_rows}
    if dataset is not None:
        params["dataset"] = dataset
    while True:
        batch = con.sql(
            f"SELECT rowid AS __rowid, {select} FROM {quote_ident(table)} WHERE {where} "
            f"ORDER BY rowid LIMIT $rows", params=params).to_arrow_table()
        if batch.num_rows == 0 and params["last"] >= 0:
            return
        yield batch.drop_columns(["__rowid"]).to_pandas(
            types_mapper=_ARROW_TO_PANDAS.get, date_as_object=False)
        if batch.num_rows < batch_rows:
            return
        params["last"] = batch.column("__rowid")[-1].as_py()


def batch_rows_param(params, name: str) -> int:
    """A positive whole-number batch size from the suite parameters."""
    value = params.get(name, DEFAULT_BATCH_ROWS)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise NewsproofError(f"suite parameter {name} must be a positive whole number, not {value!r}")
    return value


def row_key(contract: Contract, row: pd.Series) -> str | None:
    if not contract.primary_key:
        return None
    return "|".join("" if pd.isna(row[k]) else str(row[k]) for k in contract.primary_key)


def cell_text(value) -> str | None:
    """A DataFrame cell as finding text: None for missing, lists as lists (not numpy arrays)."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    return str(value.tolist() if hasattr(value, "tolist") else value)


def _message(kind: str, col: Column, value: str | None, actual_type: str | None = None) -> str:
    if kind == "type":
        if actual_type is None:
            return f"column {col.name} of the contract is missing from the table"
        return f"column {col.name} is {actual_type} in the database; the contract says {col.type}"
    if kind == "not-null":
        return f"{col.name} is empty; the contract requires a value"
    if kind == "enum":
        return f"{value!r} is not one of {', '.join(col.enum)}"
    if kind == "min":
        return f"{col.name} {value} is below the minimum {col.min:g}"
    if kind == "max":
        return f"{col.name} {value} is above the maximum {col.max:g}"
    return f"{value!r} does not match the pattern {col.pattern}"


# -- pandera engine -------------------------------------------------------------------------------

def _pandera_pass(con: duckdb.DuckDBPyConnection, contracts: dict[str, Contract],
                  batch_rows: int) -> dict[str, list[Failure]]:
    schemas = {t: pandera_schema(c) for t, c in contracts.items()}  # imports pandera
    from pandera.errors import SchemaErrors

    by_kind: dict[str, list[Failure]] = {kind: [] for kinds in KINDS.values() for kind in kinds}
    for contract in contracts.values():
        present = table_columns(con, contract.table)
        if not present:
            continue
        schema = schemas[contract.table]
        columns = [c for c in contract.column_names if c in present]
        # Pandera reports a column's type in every batch; a type is a column's property: once.
        typed: set[str] = set()
        for frame in read_batches(con, contract.table, columns + list(PROVENANCE), batch_rows):
            try:
                schema.validate(frame, lazy=True)
            except SchemaErrors as exc:
                for kind, failure in _map_failure_cases(exc.failure_cases, contract, frame, present):
                    if kind == "type":
                        if failure.column_name in typed:
                            continue
                        typed.add(failure.column_name)
                    by_kind[kind].append(failure)
    return by_kind


def _map_failure_cases(cases: pd.DataFrame, contract: Contract, frame: pd.DataFrame,
                       present: dict[str, str]) -> Iterator[tuple[str, Failure]]:
    """Turn pandera's failure_cases into (rule kind, Failure) with the row's file and line."""
    # A column of the wrong type fails its value rules for that reason alone: report the type.
    mistyped = set(cases.loc[cases["check"].astype(str).str.startswith("dtype("), "column"])
    for case in cases.itertuples(index=False):
        check = str(case.check)
        if check == "column_in_dataframe":  # column = the schema's name, failure_case = the column
            col = contract.column(str(case.failure_case))
            yield "type", Failure(contract.table, None, col.name, None, _message("type", col, None))
            continue
        col = contract.column(str(case.column))
        if check.startswith("dtype("):
            actual = present[col.name]
            yield "type", Failure(contract.table, None, col.name, actual, _message("type", col, None, actual))
            continue
        if col.name in mistyped:
            continue
        kind = "not-null" if check == "not_nullable" else value_rules(col)[int(case.check_number)][0]
        value = cell_text(case.failure_case)
        if pd.isna(case.index):  # the rule itself raised (failure_case is the error): say so
            yield kind, Failure(contract.table, None, col.name, None,
                                f"{check} on {col.name} could not run: {value}")
            continue
        row = frame.loc[case.index]
        yield kind, Failure(
            contract.table, row_key(contract, row), col.name, value, _message(kind, col, value),
            row["_dataset"], row["_file"], int(row["_line"]),
        )


def _pandera_failures(ctx: CheckContext, kinds: tuple[str, ...]) -> Iterator[Failure]:
    batch_rows = batch_rows_param(ctx.params, "contract_batch_rows")
    key = ("contract-pandera", batch_rows)
    if key not in ctx.cache:
        with quiet_pyspark():
            ctx.cache[key] = _pandera_pass(ctx.con, ctx.contracts, batch_rows)
    for kind in kinds:
        # Each kind is asked for once per run: hand its failures over and free them.
        yield from ctx.cache[key].pop(kind, [])


# -- SQL engine -----------------------------------------------------------------------------------

def _sql_literal(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(float(value))
    return "'" + str(value).replace("'", "''") + "'"


def _rule_condition(kind: str, col: Column, arg) -> str:
    """SQL that is true for a row breaking the rule (NULL rows never do, as in pandera)."""
    ident = quote_ident(col.name)
    if kind == "not-null":
        return f"{ident} IS NULL"
    if kind == "enum":
        return f"CAST({ident} AS VARCHAR) NOT IN ({', '.join(map(_sql_literal, arg))})"
    if kind == "min":
        return f"{ident} < {_sql_literal(arg)}"
    if kind == "max":
        return f"{ident} > {_sql_literal(arg)}"
    # pandera's str_matches is re.match: anchored at the start only.
    return f"NOT regexp_matches(CAST({ident} AS VARCHAR), {_sql_literal('^(?:' + arg + ')')})"


def _type_matches(contract_type: str, actual: str) -> bool:
    # INTEGER and BIGINT read as the same pandas dtype, as in the pandera engine.
    return TYPES[contract_type] == TYPES.get(actual)


def _sql_failures(ctx: CheckContext, kinds: tuple[str, ...]) -> Iterator[Failure]:
    return rule_failures(ctx.con, ctx.contracts, kinds, lambda table: table_columns(ctx.con, table))


def rule_failures(con, contracts: dict[str, Contract], kinds: tuple[str, ...],
                  column_types: Callable[[str], dict[str, str]]) -> Iterator[Failure]:
    """The contract rules of `kinds` as SQL (the `contract_engine: sql` engine, and the Spark
    engine's): every rule in one UNION ALL query, in rule order then file order. `con` needs only
    `execute(sql)`; `column_types(table)` gives column -> DuckDB type name ({} if no table)."""
    rules, queries = [], []
    for contract in contracts.values():
        present = column_types(contract.table)
        if not present:
            continue
        key = " || '|' || ".join(f"coalesce(CAST({quote_ident(k)} AS VARCHAR), '')"
                                 for k in contract.primary_key) or "NULL"
        for col in contract.columns:
            actual = present.get(col.name)
            if actual is None or not _type_matches(col.type, actual):
                if "type" in kinds:
                    yield Failure(contract.table, None, col.name, actual, _message("type", col, None, actual))
                continue
            for kind, arg in ([("not-null", None)] if not col.nullable else []) + value_rules(col):
                if kind in kinds:
                    queries.append(
                        f"SELECT {len(rules)} AS rule, {key} AS row_key, CAST({quote_ident(col.name)} AS VARCHAR) "
                        f"AS value, _dataset, _file, _line FROM {quote_ident(contract.table)} "
                        f"WHERE {_rule_condition(kind, col, arg)}")
                    rules.append((contract, col, kind))
    if not queries:
        return
    # The engine drains a check before it touches the connection, so the cursor may stay open.
    cursor = con.execute("\nUNION ALL\n".join(queries) + "\nORDER BY rule, _dataset, _file, _line")
    while rows := cursor.fetchmany(10_000):
        for rule, key_value, value, dataset, file, line in rows:
            contract, col, kind = rules[rule]
            yield Failure(contract.table, key_value, col.name, value, _message(kind, col, value),
                          dataset, file, line)


# -- checks ---------------------------------------------------------------------------------------

def _runner(check_id: str) -> Callable[[CheckContext], Iterator[Failure]]:
    kinds = KINDS[check_id]

    def run(ctx: CheckContext) -> Iterator[Failure]:
        engine = ctx.params.get("contract_engine", "pandera")
        if engine not in ENGINES:
            raise NewsproofError(f"suite parameter contract_engine must be one of {', '.join(ENGINES)}, "
                                 f"not {engine!r}")
        return (_pandera_failures if engine == "pandera" else _sql_failures)(ctx, kinds)

    return run


def contract_checks(contracts: dict[str, Contract]) -> list[Check]:
    """The five contract check ids, each over every contract table."""
    return [Check(check_id, "error", DESCRIPTIONS[check_id], tuple(contracts), func=_runner(check_id))
            for check_id in KINDS]
