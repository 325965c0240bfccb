"""Read dataset files (CSV, JSONL, Parquet) into all-text staging tables with line numbers.

Readers only split records and fields; typing happens afterwards in DuckDB SQL so that every
bad value is reported with its file, line and column instead of failing the whole file.
Files stream into a temporary DuckDB table in bounded batches, which DuckDB spills to disk
past the connection's memory limit (`store.connect`), so memory does not grow with file size.
A plain CSV file (one record per line) is split by DuckDB's own reader; anything else goes
through Python's csv module, which knows each record's line.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from .contracts import Contract
from .errors import NewsproofError
from .store import quote_ident

LIST_SEPARATOR = "|"
# A cell may be large (article text in CSV) but not unbounded.
MAX_FIELD_BYTES = 64 * 1024 * 1024
# DuckDB's CSV reader holds a few buffers per thread, by default 16 x the longest line it takes:
# for 64 MB lines more than the memory limit, so it would never run. Longer lines than this go to
# the careful reader.
FAST_MAX_LINE_BYTES = 16 * 1024 * 1024
FAST_BUFFER_BYTES = 2 * FAST_MAX_LINE_BYTES
# What str.strip() removes: a cell of only these is missing, on every reading path.
PY_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
                 "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# A cell of only those, as an RE2 pattern for DuckDB: ten times faster than trim() with them.
BLANK_CELL = "[" + "".join(f"\\x{{{ord(char):x}}}" for char in PY_WHITESPACE) + "]*"
# Records held in Python before they are appended to the stage table.
STAGE_BATCH_ROWS = 50_000
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
    """One file's records as text columns in a temporary DuckDB table, plus the records that
    could not be split."""

    path: Path
    stage: str  # temp table: `_line` BIGINT plus one VARCHAR column per contract column
    rows: int  # records in the stage table
    row_errors: list[RowError] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    fast_path: bool = False  # split by DuckDB's own CSV reader

    @property
    def records(self) -> int:
        return self.rows + len({e.line for e in self.row_errors if e.kind != "unknown-column"})


def _empty_error(path: Path) -> NewsproofError:
    return NewsproofError("file is empty", file=str(path), line=1,
                          hint="write at least the header line (CSV) or remove the file from dataset.yaml")


def _check_not_empty(path: Path) -> None:
    with path.open("rb") as fh:
        while block := fh.read(1 << 16):
            if block.strip():
                return
    raise _empty_error(path)


def _encoding_error(path: Path) -> NewsproofError:
    """Find the first byte that is not UTF-8 (streaming) and name its line and character."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, line, line_start = 0, 1, 0  # line_start: file offset where the current line begins
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                bad = max(exc.start, 0)
                line += block.count(b"\n", 0, bad)
                newline = block.rfind(b"\n", 0, bad)
                if newline >= 0:
                    line_start = offset + newline + 1
                return NewsproofError(
                    f"not valid UTF-8 (byte 0x{block[bad]:02x} at byte {offset + bad - line_start + 1} of the line)",
                    file=str(path), line=line,
                    hint="save the file as UTF-8 (in a spreadsheet: 'CSV UTF-8')",
                )
            line += block.count(b"\n")
            newline = block.rfind(b"\n")
            if newline >= 0:
                line_start = offset + newline + 1
            offset += len(block)
    return NewsproofError("not valid UTF-8 (the file ends inside a character)", file=str(path), line=line,
                          hint="save the file as UTF-8 (in a spreadsheet: 'CSV UTF-8')")


def _open_text(path: Path):
    """A streaming text view of a UTF-8 file (BOM dropped); newline translation off for csv."""
    return io.TextIOWrapper(path.open("rb"), encoding="utf-8-sig", newline="", errors="strict")


class _Stager:
    """Collects split records and appends them to the stage table in bounded batches."""

    def __init__(self, con: duckdb.DuckDBPyConnection, stage: str, contract: Contract) -> None:
        self.con, self.stage, self.names = con, stage, contract.column_names
        self.lines: list[int] = []
        self.columns: dict[str, list] = {name: [] for name in self.names}
        self.rows = 0
        cols = ", ".join(f"{quote_ident(n)} VARCHAR" for n in self.names)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {stage} (_line BIGINT, {cols})")

    def add(self, line: int, cells: dict[str, str | None]) -> None:
        self.lines.append(line)
        for name in self.names:
            self.columns[name].append(cells[name])
        if len(self.lines) >= STAGE_BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.lines:
            return
        arrays = {"_line": pa.array(self.lines, pa.int64())}
        for name in self.names:
            arrays[name] = pa.array(self.columns[name], pa.string())
        self.con.register("stage_batch", pa.table(arrays))
        try:
            self.con.execute(f"INSERT INTO {self.stage} SELECT * FROM stage_batch")
        finally:
            self.con.unregister("stage_batch")
        self.rows += len(self.lines)
        self.lines.clear()
        for values in self.columns.values():
            values.clear()


def check_header(path: Path, header: list[str], contract: Contract) -> list[str]:
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


def _physical_lines(path: Path) -> int:
    count, last = 0, b""
    with path.open("rb") as fh:
        while block := fh.read(1 << 24):
            if block.count(b"\r") != block.count(b"\r\n"):
                return -1  # a lone CR ends a line for the readers too: no simple numbering
            count += block.count(b"\n")
            last = block[-1:]
    return count + (1 if last and last != b"\n" else 0)


def _csv_header(path: Path) -> list[str]:
    try:
        with _open_text(path) as fh:
            return [h.strip() for h in next(csv.reader(fh, strict=True))]
    except UnicodeDecodeError:
        raise _encoding_error(path) from None
    except (csv.Error, StopIteration) as exc:
        raise NewsproofError(f"cannot read the header: {exc}", file=str(path), line=1) from None


def _stage_csv_duckdb(path: Path, header: list[str], contract: Contract,
                      con: duckdb.DuckDBPyConnection, stage: str) -> int | None:
    """Fast path: DuckDB's own CSV reader, when the file is plain (one record per line, every
    record well formed, valid UTF-8, no line over FAST_MAX_LINE_BYTES) and its buffers fit in the
    memory limit. Returns the row count, or None to use the careful reader that reports each bad
    record with its line."""
    position = {name: i for i, name in enumerate(header)}
    # Columns are named by position, so no name from the file is ever spliced into SQL.
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    selects = ", ".join(
        f"CASE WHEN regexp_full_match(c{position[name]}, $blank) THEN NULL ELSE c{position[name]} END "
        f"AS {quote_ident(name)}"
        for name in contract.column_names
    )
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {stage} AS "
            f"SELECT CAST(row_number() OVER () + 1 AS BIGINT) AS _line, {selects} "
            f"FROM read_csv($path, header = true, auto_detect = false, columns = {columns}, delim = ',', "
            f"quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
            f"parallel = true, max_line_size = {FAST_MAX_LINE_BYTES}, buffer_size = {FAST_BUFFER_BYTES})",
            {"path": str(path), "blank": BLANK_CELL},
        )
    except duckdb.Error:
        return None
    rows = con.execute(f"SELECT count(*) FROM {stage}").fetchall()[0][0]
    # Line numbers are row numbers + 1 only if no record spans lines and none is blank.
    if _physical_lines(path) != rows + 1:
        con.execute(f"DROP TABLE {stage}")
        return None
    return rows


def _stage_csv_python(path: Path, header: list[str], contract: Contract,
                      con: duckdb.DuckDBPyConnection, stage: str) -> tuple[int, list[RowError]]:
    """Careful path: Python's csv module, streaming, one record at a time with its first line."""
    index = {name: i for i, name in enumerate(header)}
    wanted = [(name, index[name]) for name in contract.column_names]
    stager = _Stager(con, stage, contract)
    errors: list[RowError] = []
    try:
        with _open_text(path) as fh:
            # strict: a stray or unclosed quote is an error, not a cell that silently swallows
            # the records after it.
            reader = csv.reader(fh, strict=True)
            next(reader)
            end_of_previous = reader.line_num
            while True:
                start = end_of_previous + 1
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    raise NewsproofError(
                        f"malformed CSV: {exc}", file=str(path), line=start,
                        hint="check quoting: a field with a comma, quote or newline must be in double quotes",
                    ) from None
                end_of_previous = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                if len(row) != len(header):
                    errors.append(RowError(
                        start, None, None, f"has {len(row)} fields, the header has {len(header)}",
                        "field-count", json.dumps(row, ensure_ascii=False)))
                    continue
                stager.add(start, {name: (row[i] if row[i].strip() != "" else None) for name, i in wanted})
    except UnicodeDecodeError:
        raise _encoding_error(path) from None
    stager.flush()
    return stager.rows, errors


def read_csv(path: Path, contract: Contract, con: duckdb.DuckDBPyConnection, stage: str) -> StagedFile:
    _check_not_empty(path)
    header = _csv_header(path)
    unknown = check_header(path, header, contract)
    rows = _stage_csv_duckdb(path, header, contract, con, stage)
    if rows is not None:
        return StagedFile(path, stage, rows, [], unknown, fast_path=True)
    rows, errors = _stage_csv_python(path, header, contract, con, stage)
    return StagedFile(path, stage, rows, errors, unknown)


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
        joined = LIST_SEPARATOR.join(items)
        if _storable(joined) != joined:
            return _storable(joined), "holds an unpaired surrogate escape (\\ud800-\\udfff), which is not text"
        return joined, None
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False), "an object where a single value is expected"
    if isinstance(value, bool):
        return ("true" if value else "false"), None
    text = str(value)
    if _storable(text) != text:
        return _storable(text), "holds an unpaired surrogate escape (\\ud800-\\udfff), which is not text"
    return (text if text.strip() != "" else None), None


def _storable(text: str) -> str:
    """JSON may decode to lone UTF-16 surrogates that no UTF-8 database can store: escape them."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def read_jsonl(path: Path, contract: Contract, con: duckdb.DuckDBPyConnection, stage: str) -> StagedFile:
    _check_not_empty(path)
    known = set(contract.column_names)
    is_list = {c.name: c.is_list for c in contract.columns}
    stager = _Stager(con, stage, contract)
    errors: list[RowError] = []
    unknown: dict[str, None] = {}
    with path.open("rb") as fh:
        # Binary lines split on b"\n" only: str.splitlines() would also break at U+2028, U+0085
        # and form feeds, which JSON strings may hold verbatim (article text pasted from the web).
        for number, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise NewsproofError(
                    f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the line)",
                    file=str(path), line=number, hint="save the file as UTF-8",
                ) from None
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(RowError(number, None, None, f"not valid JSON: {exc.msg} (character {exc.colno})",
                                       "json", line))
                continue
            except RecursionError:
                errors.append(RowError(number, None, None, "JSON nested too deeply", "json", line))
                continue
            if not isinstance(record, dict):
                errors.append(RowError(number, None, None, "a line must hold one JSON object", "json", line))
                continue
            for key in record:
                if key not in known:
                    unknown.setdefault(_storable(str(key)))
            cells, problem = {}, None
            for name in contract.column_names:
                cells[name], issue = _json_cell(record.get(name), is_list[name])
                if issue:
                    problem = RowError(number, name, cells[name], issue, "type", line)
                    break
            if problem:
                errors.append(problem)
                continue
            stager.add(number, cells)
    stager.flush()
    return StagedFile(path, stage, stager.rows, errors, list(unknown))


def read_parquet(path: Path, contract: Contract, con: duckdb.DuckDBPyConnection, stage: str) -> StagedFile:
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
    unknown = check_header(path, list(found), contract)
    exprs = ["file_row_number + 1 AS _line"]
    for col in contract.columns:
        ident = quote_ident(col.name)
        if found[col.name].endswith("[]"):
            text = f"array_to_string({ident}, '{LIST_SEPARATOR}')"
        else:
            text = f"CAST({ident} AS VARCHAR)"
        # Blank means missing, as in CSV; other values stay verbatim (spans are compared as-is).
        exprs.append(f"CASE WHEN trim({text}) = '' THEN NULL ELSE {text} END AS {ident}")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {stage} AS SELECT {', '.join(exprs)} "
                    f"FROM read_parquet(?, file_row_number = true)", [str(path)])
    except duckdb.Error as exc:
        raise NewsproofError(f"cannot read the Parquet rows: {str(exc).splitlines()[0]}",
                             file=str(path), hint="re-export the file as Parquet, or use CSV") from None
    rows = con.execute(f"SELECT count(*) FROM {stage}").fetchall()[0][0]
    return StagedFile(path, stage, rows, [], unknown)


def read_file(path: Path, contract: Contract, con: duckdb.DuckDBPyConnection, stage: str) -> StagedFile:
    """Split a dataset file into the temp table `stage` (bounded memory whatever its size)."""
    if not path.is_file():
        raise NewsproofError(f"file for table {contract.table!r} not found", file=str(path),
                             hint="create it or fix its name under 'files' in dataset.yaml")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path, contract, con, stage)
    if suffix in (".jsonl", ".ndjson"):
        return read_jsonl(path, contract, con, stage)
    return read_parquet(path, contract, con, stage)
