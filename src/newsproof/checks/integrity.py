"""Integrity checks generated from the table contracts: references, keys, rejected load rows."""

from __future__ import annotations

from ..contracts import Contract
from ..store import quote_ident


def dangling_references_sql(contracts: dict[str, Contract]) -> str:
    """One query over every declared reference: the value that points nowhere, with its file:line.
    References resolve within the same dataset."""
    parts = []
    for contract in contracts.values():
        if not contract.primary_key:
            continue
        key = quote_ident(contract.primary_key[0])
        for col in contract.columns:
            ref = col.references
            if ref is None or ref.table not in contracts:
                continue
            child, parent = quote_ident(contract.table), quote_ident(ref.table)
            c, p = quote_ident(col.name), quote_ident(ref.column)
            parts.append(
                f"SELECT '{contract.table}' AS table_name, CAST(x.{key} AS VARCHAR) AS row_key, "
                f"'{col.name}' AS column_name, CAST(x.{c} AS VARCHAR) AS value, "
                f"'{col.name} ' || CAST(x.{c} AS VARCHAR) || ' not found in {ref.table}.{ref.column}' AS message, "
                f"x._dataset AS dataset, x._file AS file, x._line AS line "
                f"FROM {child} x WHERE x.{c} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {parent} y WHERE y._dataset = x._dataset AND y.{p} = x.{c})"
            )
    return "\nUNION ALL\n".join(parts) or _NOTHING


def duplicate_keys_sql(contracts: dict[str, Contract]) -> str:
    """Duplicate keys rejected by the loader (recorded in load_errors) and any that reached a
    table another way (rows inserted by hand)."""
    parts = [
        "SELECT df.table_name AS table_name, e.value AS row_key, e.column_name AS column_name, "
        "e.value AS value, e.reason || '; the row was not loaded' AS message, "
        "e.dataset AS dataset, e.file AS file, e.line AS line "
        "FROM load_errors e LEFT JOIN dataset_files df ON df.dataset = e.dataset AND df.file = e.file "
        "WHERE e.kind = 'duplicate-key'"
    ]
    for contract in contracts.values():
        if not contract.primary_key:
            continue
        keys = ", ".join(quote_ident(k) for k in contract.primary_key)
        first = quote_ident(contract.primary_key[0])
        parts.append(
            f"SELECT '{contract.table}', CAST({first} AS VARCHAR), '{contract.primary_key[0]}', "
            f"CAST({first} AS VARCHAR), 'duplicate key (first at line ' || CAST(first_line AS VARCHAR) || ')', "
            f"_dataset, _file, _line FROM (SELECT *, min(_line) OVER (PARTITION BY _dataset, {keys}) AS first_line "
            f"FROM {quote_ident(contract.table)}) t WHERE _line > first_line"
        )
    return "\nUNION ALL\n".join(parts)


REJECTED_ROWS_SQL = """
SELECT df.table_name AS table_name, NULL AS row_key, e.column_name AS column_name, e.value AS value,
       e.reason || ' (' || e.kind || '); the row was not loaded' AS message,
       e.dataset AS dataset, e.file AS file, e.line AS line
FROM load_errors e LEFT JOIN dataset_files df ON df.dataset = e.dataset AND df.file = e.file
WHERE e.kind NOT IN ('duplicate-key', 'unknown-column')
"""

UNKNOWN_COLUMNS_SQL = """
SELECT df.table_name AS table_name, NULL AS row_key, e.column_name AS column_name, NULL AS value,
       e.reason AS message, e.dataset AS dataset, e.file AS file, e.line AS line
FROM load_errors e LEFT JOIN dataset_files df ON df.dataset = e.dataset AND df.file = e.file
WHERE e.kind = 'unknown-column'
"""

_NOTHING = "SELECT NULL AS table_name WHERE 1 = 0"
