"""Read dataset files (CSV, JSONL, Parquet) into all-text staging tables with line numbers.

Readers only split records and fields; typing happens afterwards in DuckDB SQL so that every
bad value is reported with its file, line and column instead of failing the whole file.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from .contracts import Contract
from .errors import NewsproofError

LIST_SEPARATOR = "|"
# A cell may be large (article text in CSV) but not unbounded.
MAX_FIELD_BYTES = 64 * 1024 * 1024
csv.field_size_limit(MAX_FIELD_BYTES)


@dataclass(frozen=True)
class RowError:
    """A record that could not be split into the contract's columns."""

    line: int
    column: str | None
    value: str | None
    reason: str
    kind: str
    raw: str | None = None


@dataclass
class StagedFile:
    """One file's records as text columns, plus the records that could not be split."""

    path: Path
    table: pa.Table  # `_line` BIGINT plus one string column per contract column
    row_errors: list[RowError] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        return self.table.num_rows + len({e.line for e in self.row_errors if e.kind != "unknown-column"})


def _decode(path: Path, data: bytes) -> str:
    if not data.strip():
        raise NewsproofError("file is empty", file=str(path), line=1,
                             hint="write at least the header line (CSV) or remove the file from dataset.yaml")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise NewsproofError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at character {col} of the line)",
            file=str(path), line=line,
            hint="save the file as UTF-8 (in a spreadsheet: 'CSV UTF-8')",
        ) from None


def _check_header(path: Path, header: list[str], contract: Contract) -> list[str]:
    """Fail on missing or repeated columns; return the unknown ones (reported, not loaded)."""
    seen = set()
    for name in header:
        if name in seen:
            raise NewsproofError(f"column {name!r} appears twice in the header", file=str(path),
                                 line=1, column=name, hint="remove or rename one of them")
        seen.add(name)
    for col in contract.columns:
        if col.name not in seen:
            raise NewsproofError(
                f"missing column {col.name!r}", file=str(path), line=1, column=col.name,
                hint=f"the header of a {contract.table} file needs: " + ", ".join(contract.column_names),
            )
    return [name for name in header if name not in contract.column_names]


def _to_arrow(contract: Contract, lines: list[int], columns: dict[str, list]) -> pa.Table:
    arrays = {"_line": pa.array(lines, pa.int64())}
    for name in contract.column_names:
        arrays[name] = pa.array(columns[name], pa.string())
    return pa.table(arrays)


def read_csv(path: Path, contract: Contract) -> StagedFile:
    text = _decode(path, path.read_bytes())
    # strict: a stray or unclosed quote is an error, not a cell that silently swallows the
    # records after it.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise NewsproofError(f"cannot read the header: {exc}", file=str(path), line=1) from None
    unknown = _check_header(path, header, contract)
    index = {name: i for i, name in enumerate(header)}
    wanted = [(name, index[name]) for name in contract.column_names]
    columns: dict[str, list] = {name: [] for name in contract.column_names}
    lines: list[int] = []
    errors: list[RowError] = []
    end_of_previous = reader.line_num
    while True:
        start = end_of_previous + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise NewsproofError(f"malformed CSV: {exc}", file=str(path), line=start,
                                 hint="check quoting: a field with a comma, quote or newline must be in double quotes") from None
        end_of_previous = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        if len(row) != len(header):
            errors.append(RowError(
                start, None, None,
                f"has {len(row)} fields, the header has {len(header)}", "field-count",
                json.dumps(row, ensure_ascii=False)))
            continue
        lines.append(start)
        for name, i in wanted:
            value = row[i]
            columns[name].append(value if value.strip() != "" else None)
    return StagedFile(path, _to_arrow(contract, lines, columns), errors, unknown)


def _json_cell(value, is_list: bool) -> tuple[str | None, str | None]:
    """Return (text, problem) for one JSON value."""
    if value is None:
        return None, None
    if isinstance(value, list):
        if not is_list:
            return json.dumps(value, ensure_ascii=False), "a list where a single value is expected"
        items = [str(v) for v in value]
        if any(LIST_SEPARATOR in item for item in items):
            return json.dumps(value, ensure_ascii=False), f"a list item contains {LIST_SEPARATOR!r}"
        return LIST_SEPARATOR.join(items), None
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False), "an object where a single value is expected"
    if isinstance(value, bool):
        return ("true" if value else "false"), None
    text = str(value)
    return (text if text.strip() != "" else None), None


def read_jsonl(path: Path, contract: Contract) -> StagedFile:
    text = _decode(path, path.read_bytes())
    known = set(contract.column_names)
    is_list = {c.name: c.is_list for c in contract.columns}
    columns: dict[str, list] = {name: [] for name in contract.column_names}
    lines: list[int] = []
    errors: list[RowError] = []
    unknown: dict[str, None] = {}
    # Split on "\n" only: str.splitlines() also breaks at U+2028, U+0085 and form feeds,
    # which JSON strings may hold verbatim (article text pasted from the web).
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(RowError(number, None, None, f"not valid JSON: {exc.msg} (character {exc.colno})",
                                   "json", line))
            continue
        if not isinstance(record, dict):
            errors.append(RowError(number, None, None, "a line must hold one JSON object", "json", line))
            continue
        for key in record:
            if key not in known:
                unknown.setdefault(str(key))
        cells, problem = {}, None
        for name in contract.column_names:
            cells[name], issue = _json_cell(record.get(name), is_list[name])
            if issue:
                problem = RowError(number, name, cells[name], issue, "type", line)
                break
        if problem:
            errors.append(problem)
            continue
        lines.append(number)
        for name in contract.column_names:
            columns[name].append(cells[name])
    return StagedFile(path, _to_arrow(contract, lines, columns), errors, list(unknown))


def read_parquet(path: Path, contract: Contract, con: duckdb.DuckDBPyConnection) -> StagedFile:
    """Parquet rows as text like the other readers: `_line` is the 1-based row number, a list
    column is joined with the list separator, and a blank cell is missing."""
    try:
        # DESCRIBE gives the top-level columns; parquet_schema() also lists the inner fields
        # of nested columns (`list`, `element`), which are not columns of the file.
        found = {name: type_ for name, type_, *_ in con.execute(
            "DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()}
    except duckdb.Error as exc:
        raise NewsproofError(f"not a readable Parquet file: {str(exc).splitlines()[0]}",
                             file=str(path), hint="re-export the file as Parquet, or use CSV") from None
    unknown = _check_header(path, list(found), contract)
    exprs = ["file_row_number + 1 AS _line"]
    for col in contract.columns:
        ident = '"' + col.name.replace('"', '""') + '"'
        if found[col.name].endswith("[]"):
            text = f"array_to_string({ident}, '{LIST_SEPARATOR}')"
        else:
            text = f"CAST({ident} AS VARCHAR)"
        # Blank means missing, as in CSV; other values stay verbatim (spans are compared as-is).
        exprs.append(f"CASE WHEN trim({text}) = '' THEN NULL ELSE {text} END AS {ident}")
    sql = f"SELECT {', '.join(exprs)} FROM read_parquet(?, file_row_number = true) ORDER BY _line"
    try:
        table = con.sql(sql, params=[str(path)]).to_arrow_table()
    except duckdb.Error as exc:
        raise NewsproofError(f"cannot read the Parquet rows: {str(exc).splitlines()[0]}",
                             file=str(path), hint="re-export the file as Parquet, or use CSV") from None
    return StagedFile(path, table, [], unknown)


def read_file(path: Path, contract: Contract, con: duckdb.DuckDBPyConnection) -> StagedFile:
    if not path.is_file():
        raise NewsproofError(f"file for table {contract.table!r} not found", file=str(path),
                             hint="create it or fix its name under 'files' in dataset.yaml")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path, contract)
    if suffix in (".jsonl", ".ndjson"):
        return read_jsonl(path, contract)
    return read_parquet(path, contract, con)
