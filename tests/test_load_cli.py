"""`newsproof load` as a user meets it: exit 0 clean, 1 with rejected rows, 2 for input the user
must fix, with a message that names file, line and column, never a traceback."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from conftest import (DATASETS, csv_header, csv_records, mutate_csv, run_cli, run_cli_process,
                      table_rows)


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def drop_qualifier_column(dataset: Path) -> tuple[str, int | None, str | None]:
    path = dataset / "figures.csv"
    header = csv_header(path)
    i = header.index("qualifier")
    rows = [header, *(row for _, row in csv_records(path))]
    _write_rows(path, [[c for j, c in enumerate(row) if j != i] for row in rows])
    return "figures.csv", 1, "qualifier"


def append_latin1_row(dataset: Path) -> tuple[str, int | None, str | None]:
    with (dataset / "sources.csv").open("ab") as fh:
        fh.write("cafe,Caf\u00e9,other,,,\n".encode("latin-1"))
    return "sources.csv", 17, None


def empty_claims(dataset: Path) -> tuple[str, int | None, str | None]:
    (dataset / "claims.csv").write_bytes(b"")
    return "claims.csv", 1, None


def remove_claims(dataset: Path) -> tuple[str, int | None, str | None]:
    (dataset / "claims.csv").unlink()
    return "claims.csv", None, None


def manifest_outside(dataset: Path) -> tuple[str, int | None, str | None]:
    manifest = dataset / "dataset.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("claims: claims.csv", "claims: ../x.csv"),
                        encoding="utf-8")
    return "dataset.yaml", None, "files"


def malformed_quote(dataset: Path) -> tuple[str, int | None, str | None]:
    with (dataset / "sources.csv").open("a", encoding="utf-8") as fh:
        fh.write('broken,"Broken "quote,other,,,\n')
    return "sources.csv", 17, None


BAD_INPUTS = {
    "missing-column": drop_qualifier_column,
    "bad-encoding": append_latin1_row,
    "empty-file": empty_claims,
    "missing-file": remove_claims,
    "manifest-outside": manifest_outside,
    "malformed-quote": malformed_quote,
}


def assert_user_error(stderr: str, file: str, line: int | None, column: str | None) -> None:
    assert stderr.startswith("newsproof: error: ")
    assert "Traceback" not in stderr
    where = re.escape(file) + (f":{line}" if line else "") + r"\b"
    assert re.search(where, stderr), stderr
    if column:
        assert f"(column '{column}')" in stderr


@pytest.mark.parametrize("make_bad", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_exits_2_naming_file_line_and_column(ku_copy, tmp_path, make_bad):
    file, line, column = make_bad(ku_copy)
    db = tmp_path / "bad.duckdb"
    result = run_cli("load", ku_copy, "--db", db)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert_user_error(result.stderr, file, line, column)
    assert not db.exists()


@pytest.mark.parametrize("make_bad", [drop_qualifier_column, append_latin1_row],
                         ids=["missing-column", "bad-encoding"])
def test_the_installed_command_prints_no_traceback(ku_copy, tmp_path, make_bad):
    file, line, column = make_bad(ku_copy)
    done = run_cli_process("load", ku_copy, "--db", tmp_path / "p.duckdb")
    assert done.returncode == 2
    assert_user_error(done.stderr, file, line, column)


def test_a_missing_dataset_folder_exits_2(tmp_path):
    result = run_cli("load", tmp_path / "nowhere", "--db", tmp_path / "x.duckdb")
    assert result.exit_code == 2
    assert "dataset folder not found" in result.stderr


def test_clean_datasets_load_with_exit_0_and_a_summary(tmp_path):
    db = tmp_path / "demo.duckdb"
    result = run_cli("load", DATASETS / "korea-ukraine", DATASETS / "synthetic-followups", "--db", db)
    assert result.exit_code == 0, result.stderr
    assert "korea-ukraine: 62 row(s) loaded, 0 rejected" in result.stdout
    assert "synthetic-followups: 29 row(s) loaded, 0 rejected" in result.stdout
    assert result.stderr == ""


def test_a_wrong_type_is_recorded_and_exits_1(ku_copy, tmp_path):
    line = mutate_csv(ku_copy / "figures.csv", "ku-f03", "value", "twelve thousand")
    db = tmp_path / "type.duckdb"
    result = run_cli("load", ku_copy, "--db", db)
    assert result.exit_code == 1
    assert f"figures.csv:{line}: column 'value' value 'twelve thousand': not a number" in result.stderr
    assert "figures.csv                 4 loaded      1 rejected" in result.stdout
    assert table_rows(db, "SELECT file, line, column_name FROM load_errors") == [("figures.csv", line, "value")]


def test_strict_exits_2_and_creates_nothing(ku_copy, tmp_path):
    line = mutate_csv(ku_copy / "figures.csv", "ku-f03", "value", "twelve thousand")
    db = tmp_path / "strict.duckdb"
    result = run_cli("load", ku_copy, "--db", db, "--strict")
    assert result.exit_code == 2
    assert_user_error(result.stderr, "figures.csv", line, "value")
    assert "nothing was written" in result.stderr
    assert not db.exists()


def test_strict_keeps_an_existing_database_unchanged(ku_copy, tmp_path):
    db = tmp_path / "strict.duckdb"
    assert run_cli("load", DATASETS / "korea-ukraine", "--db", db).exit_code == 0
    query = "SELECT figure_id, value, _line FROM figures ORDER BY ALL"
    before = table_rows(db, query)
    mutate_csv(ku_copy / "figures.csv", "ku-f01", "value", "about fifteen hundred")
    result = run_cli("load", ku_copy, "--db", db, "--strict")
    assert result.exit_code == 2
    assert table_rows(db, query) == before
    assert table_rows(db, "SELECT count(*) FROM load_errors") == [(0,)]


def test_bom_and_crlf_files_load_with_exit_0(ku_copy, tmp_path):
    for path in ku_copy.glob("*.csv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    result = run_cli("load", ku_copy, "--db", tmp_path / "bom.duckdb")
    assert result.exit_code == 0, result.stderr
    assert "62 row(s) loaded, 0 rejected" in result.stdout


def test_an_unclosed_quote_is_refused_at_the_record_where_it_opens(ku_copy, tmp_path):
    # Read leniently, the open quote would swallow every record after it into one cell.
    path = ku_copy / "claims.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[5].startswith("ku-c05,")
    lines[5] = lines[5].replace(",Ukrainian President", ',"Ukrainian President', 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    result = run_cli("load", ku_copy, "--db", tmp_path / "q.duckdb")
    assert result.exit_code == 2
    assert_user_error(result.stderr, "claims.csv", 6, None)
    assert "malformed CSV" in result.stderr
