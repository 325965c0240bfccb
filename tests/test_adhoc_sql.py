"""`newsproof sql` on the demo database, and the stock DuckDB CLI reading the same file."""

from __future__ import annotations

import csv
import io
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli, run_cli_process
from newsproof.engine import validate

# The acceptance query: who reports each figure, through whom, citing whom.
ACCEPTANCE_QUERY = "SELECT value_text, reporter, via, origin FROM figure_evidence"
# What the README shows for the stock DuckDB client (`duckdb`), against a newsproof database;
# the test below runs this very command.
README_DUCKDB_QUERY = (
    "SELECT value_text, reporter, via, origin FROM figure_evidence "
    "WHERE dataset = 'korea-ukraine' ORDER BY line"
)
README_DUCKDB_COMMAND = f'duckdb -readonly newsproof.duckdb "{README_DUCKDB_QUERY}"'
AGENCY = "South Korean intelligence agency"


def stock_duckdb() -> Path:
    """The `duckdb` command of the duckdb-cli package (a dev dependency) next to this Python."""
    beside = Path(sys.executable).parent / "duckdb"
    found = beside if beside.exists() else shutil.which("duckdb")
    if not found:
        pytest.skip("the stock duckdb CLI (pip package duckdb-cli) is not installed")
    return Path(found)


def evidence(db: Path, query: str = ACCEPTANCE_QUERY) -> list[dict]:
    result = run_cli("sql", query, "--db", db, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_the_acceptance_query_shows_who_reports_whom(loaded_db):
    rows = evidence(loaded_db)
    over_1500 = [r for r in rows if r["value_text"] == "over 1,500 soldiers" and r["reporter"] == AGENCY]
    assert over_1500 == [{"value_text": "over 1,500 soldiers", "reporter": AGENCY, "via": None, "origin": AGENCY}]
    assert {"value_text": "12,000 soldiers", "reporter": "Yonhap", "via": None, "origin": AGENCY} in rows
    two_hops = [r for r in rows if r["via"] is not None]
    assert two_hops == [{"value_text": "more than 10,000 soldiers", "reporter": "Beta Wire (invented)",
                         "via": "Yonhap", "origin": AGENCY}]


def test_the_table_output_is_readable(loaded_db):
    result = run_cli("sql", ACCEPTANCE_QUERY, "--db", loaded_db)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["value_text", "reporter", "via", "origin"]
    assert set(lines[1]) == {"-", " "}
    assert any(line.startswith("12,000 soldiers") and "Yonhap" in line and line.rstrip().endswith(AGENCY)
               for line in lines)
    assert lines[-1] == "(9 rows)"


def test_csv_output_parses(loaded_db):
    result = run_cli("sql", ACCEPTANCE_QUERY, "--db", loaded_db, "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 9
    assert {"value_text": "over 1,500 soldiers", "reporter": AGENCY, "via": "", "origin": AGENCY} in rows


def test_sentences_join_the_figures_they_hold(loaded_db):
    rows = evidence(loaded_db, "SELECT figure_id, sentence FROM figure_evidence WHERE figure_id = 'ku-f03'")
    assert len(rows) == 1
    assert "four brigades with 12,000 soldiers" in rows[0]["sentence"]


@pytest.mark.parametrize("query,error", [
    ("SELEC value_text FROM figures", "syntax error"),
    ("SELECT nope FROM figures", "nope"),
    ("SELECT * FROM no_such_table", "no_such_table"),
], ids=["syntax", "unknown-column", "unknown-table"])
def test_a_bad_query_exits_2_with_the_sql_error(loaded_db, query, error):
    result = run_cli("sql", query, "--db", loaded_db)
    assert result.exit_code == 2
    assert result.stderr.startswith("newsproof: error: SQL error:")
    assert error in result.stderr and "hint:" in result.stderr


def test_the_installed_command_reports_a_bad_query_without_a_traceback(loaded_db):
    done = run_cli_process("sql", "SELECT * FROM no_such_table", "--db", loaded_db)
    assert done.returncode == 2
    assert "SQL error" in done.stderr and "Traceback" not in done.stderr


def test_queries_are_read_only_unless_asked(loaded_db):
    result = run_cli("sql", "DELETE FROM figures", "--db", loaded_db)
    assert result.exit_code == 2
    assert "read-only" in result.stderr
    assert len(evidence(loaded_db)) == 9


def test_a_missing_database_exits_2(tmp_path):
    result = run_cli("sql", "SELECT 1", "--db", tmp_path / "none.duckdb")
    assert result.exit_code == 2
    assert "database file does not exist" in result.stderr
    assert not (tmp_path / "none.duckdb").exists()


def test_the_stock_duckdb_cli_reads_a_newsproof_database(loaded_db, tmp_path):
    # A validation adds the findings tables: the older client must still open the file.
    db = tmp_path / "newsproof.duckdb"
    shutil.copy(loaded_db, db)
    validate(db, ignore=["gx-*"])
    command = shlex.split(README_DUCKDB_COMMAND)
    assert command[0] == "duckdb"
    done = subprocess.run([str(stock_duckdb()), *command[1:]], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if "soldiers" in line or "brigades" in line]
    assert [r.split("│")[1].strip() for r in rows] == [
        "over 1,500 soldiers", "four brigades", "12,000 soldiers", "over 1,500 soldiers"]
    cells = [c.strip() for c in rows[0].split("│")[1:-1]]
    assert cells == ["over 1,500 soldiers", AGENCY, "NULL", AGENCY]
    cells = [c.strip() for c in rows[2].split("│")[1:-1]]
    assert cells == ["12,000 soldiers", "Yonhap", "NULL", AGENCY]
