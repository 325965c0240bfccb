"""Every failing row of a run, one CSV per check (`failures/<check-id>.csv`), written by DuckDB
(`COPY ... TO`) and safe to open in a spreadsheet: a text cell that starts like a formula is
prefixed with a single quote."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..findings import FAILURE_ROW_COLUMNS
from ..store import quote_ident
from .paths import failures_csv, inside

# A spreadsheet evaluates a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMERIC = {"line", "char_start", "char_end"}


def _neutralised(column: str) -> str:
    ident = quote_ident(column)
    if column in _NUMERIC:
        return ident
    starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_START)
    return f"CASE WHEN left({ident}, 1) IN ({starts}) THEN '''' || {ident} ELSE {ident} END AS {ident}"


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_failure_csvs(con: duckdb.DuckDBPyConnection, run_id: str, out_dir: Path) -> dict[str, str]:
    """Write one CSV per failing check of the run; return check id -> path relative to out_dir."""
    written: dict[str, str] = {}
    check_ids = [r[0] for r in con.execute(
        "SELECT DISTINCT check_id FROM qa_failures WHERE run_id = ? ORDER BY check_id", [run_id]).fetchall()]
    columns = ", ".join(_neutralised(c) for c in FAILURE_ROW_COLUMNS)
    for check_id in check_ids:
        written[check_id] = failures_csv(check_id)
        path = inside(out_dir, written[check_id])
        path.parent.mkdir(parents=True, exist_ok=True)
        # COPY takes no parameter for its target: the path is written as a literal.
        con.execute(
            f"COPY (SELECT {columns} FROM qa_failures WHERE run_id = ? AND check_id = ? "
            f"ORDER BY dataset, file, line, row_key, column_name, message) "
            f"TO {_sql_string(str(path))} (FORMAT csv, HEADER true)", [run_id, check_id])
    return written
