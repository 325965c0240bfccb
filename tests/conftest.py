"""Shared fixtures: copies of the bundled datasets, a loaded demo database, cell editors for
dataset files, and a way to run the CLI that keeps stdout and stderr apart.

Every database and output file lives under pytest's tmp_path, never in the repository.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

from newsproof.cli import main
from newsproof.load import load_dataset

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO / "datasets"
DATASET_NAMES = ("korea-ukraine", "synthetic-followups")
NEWSPROOF = Path(sys.executable).parent / "newsproof"
# `make fuzz` sets NEWSPROOF_FUZZ=1: many more property examples and the large crash/stream inputs.
FUZZ = os.environ.get("NEWSPROOF_FUZZ") == "1"

# Property tests stay quick in `make test`; `make fuzz` runs them long. Loads touch files, so no
# per-example deadline; no example database in the repository (a failure prints its blob).
# `make test` draws the same examples every time; `make fuzz` draws new ones on each run.
settings.register_profile("newsproof", max_examples=15, deadline=None, database=None, print_blob=True,
                          derandomize=True)
settings.register_profile("newsproof-fuzz", max_examples=2_000, deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("newsproof-fuzz" if FUZZ else "newsproof")


# --------------------------------------------------------------------------- dataset files

def copy_dataset(name: str, parent: Path) -> Path:
    """Copy a bundled dataset folder to `parent/name` and return the copy."""
    return Path(shutil.copytree(DATASETS / name, parent / name))


def csv_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) for each data record, header excluded.
    Counts physical lines, so a quoted newline inside a cell moves the next record down."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        end_of_previous = reader.line_num
        for row in reader:
            yield end_of_previous + 1, row
            end_of_previous = reader.line_num


def csv_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


def line_of(path: Path, row_id: str) -> int:
    """Line of the record whose first cell (the key) is `row_id`: CSV records or JSONL lines."""
    if path.suffix == ".jsonl":
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
            if line.strip() and next(iter(json.loads(line).values())) == row_id:
                return number
    else:
        for line, row in csv_records(path):
            if row[0] == row_id:
                return line
    raise KeyError(f"{row_id} not in {path}")


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def mutate_csv(path: Path, row_id: str, column: str, value: str) -> int:
    """Set one cell of the record keyed `row_id`; return the line the record starts on."""
    header = csv_header(path)
    rows = [row for _, row in csv_records(path)]
    positions = [i for i, row in enumerate(rows) if row[0] == row_id]
    assert len(positions) == 1, f"{row_id} is not one record of {path}"
    rows[positions[0]][header.index(column)] = value
    _write_csv(path, header, rows)
    # Looked up by position: the edit may change the key itself, or the lines a cell spans.
    return list(csv_records(path))[positions[0]][0]


def mutate_jsonl(path: Path, row_id: str, column: str, value: object) -> int:
    """Set one field of the JSONL record keyed `row_id`; return its line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        record = json.loads(line)
        if next(iter(record.values())) == row_id:
            record[column] = value
            lines[number - 1] = json.dumps(record, ensure_ascii=False)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            return number
    raise KeyError(f"{row_id} not in {path}")


@pytest.fixture
def ku_copy(tmp_path: Path) -> Path:
    """A private copy of datasets/korea-ukraine."""
    return copy_dataset("korea-ukraine", tmp_path)


@pytest.fixture
def sf_copy(tmp_path: Path) -> Path:
    """A private copy of datasets/synthetic-followups."""
    return copy_dataset("synthetic-followups", tmp_path)


# --------------------------------------------------------------------------- databases

def load_bundled(db: Path) -> Path:
    for name in DATASET_NAMES:
        load_dataset(DATASETS / name, db)
    return db


@pytest.fixture(scope="module")
def loaded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both bundled datasets loaded, once per test module. Treat it as read-only."""
    return load_bundled(tmp_path_factory.mktemp("loaded") / "demo.duckdb")


@contextmanager
def read_db(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to a project database, closed afterwards."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        yield con
    finally:
        con.close()


def table_rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with read_db(db) as con:
        return con.execute(sql, params or []).fetchall()


# --------------------------------------------------------------------------- the CLI

@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path) -> CliResult:
    """Run `newsproof ARGS` in this process. A crash (anything but a clean exit) fails the test
    with its traceback, as a user would see one."""
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr)


def run_cli_process(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed `newsproof` command as a user does, in its own process."""
    return subprocess.run([str(NEWSPROOF), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120, check=False)
