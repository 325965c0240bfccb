"""SQL smuggled in through data, names and arguments is stored or refused, never run.

A copy of korea-ukraine has `'; DROP TABLE figures; --`, its double-quote and backtick twins
appended to every text cell of every table (ids and references too, consistently, so the rows
still join) and to its manifest's texts. After load, validate, report, a plain `newsproof sql`
query and `newsproof run` every table is there with its row count, and the payloads are stored
verbatim. Names that reach SQL as identifiers or patterns (dataset names, check ids, suite
names, --select/--ignore) are refused with exit 2; values (suite params, run ids, paths) are
bound or quoted.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import DATASETS, read_db, run_cli
from newsproof.contracts import load_contracts
from newsproof.manifest import read_manifest

PAYLOADS = ("'; DROP TABLE figures; --", '"; DROP TABLE figures; --', "`; DROP TABLE figures; --`")
PAYLOAD = " ".join(PAYLOADS)
CONTRACTS = load_contracts()
DATA_TABLES = tuple(CONTRACTS)
META_TABLES = ("datasets", "dataset_files", "load_errors", "article_sentences")
QA_TABLES = ("qa_runs", "qa_results", "qa_failures")
FAST_SUITE = """suite: "{payload}"
description: "{payload}"
version: "{payload}"
checks:
  - duplicate-key
  - reference-dangling
  - attribution-missing
  - article-text-hash
  - id: figure-note
    sql: figure-note.sql
    severity: warning
    description: "{payload}"
    tables: [figures]
    params:
      note: "{payload}"
"""
# A user check whose parameter carries the payload: bound by DuckDB, never spliced.
FIGURE_NOTE_SQL = """SELECT 'figures' AS table_name, figure_id AS row_key, 'value_text' AS column_name,
       value_text AS value, 'note: ' || $note AS message, _dataset AS dataset, _file AS file, _line AS line
FROM figures WHERE $note IS NOT NULL
"""


def poisoned(value: str, column, is_key: bool) -> str:
    """Every text cell gets the payloads; keys and references keep joining (same suffix)."""
    if column.is_list:
        return "|".join(item + PAYLOAD for item in value.split("|")) if value else PAYLOAD
    if column.type != "VARCHAR":
        return value
    if is_key:
        return value + PAYLOAD if value else value
    return f"{value} {PAYLOAD}" if value else PAYLOAD


def is_key(contract, column) -> bool:
    return column.name in contract.primary_key or column.references is not None


def poison_dataset(parent: Path) -> tuple[Path, dict[str, int]]:
    """A poisoned copy of korea-ukraine; returns it and the rows of each table."""
    folder = Path(shutil.copytree(DATASETS / "korea-ukraine", parent / "poisoned"))
    manifest = read_manifest(folder, DATA_TABLES)
    rows: dict[str, int] = {}
    for table, path in manifest.files.items():
        contract = CONTRACTS[table]
        columns = {c.name: c for c in contract.columns}
        if path.suffix == ".jsonl":
            records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            for record in records:
                for name, column in columns.items():
                    value = record.get(name)
                    if value is None or isinstance(value, str):
                        record[name] = poisoned(value or "", column, is_key(contract, column)) or None
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        else:
            with path.open(encoding="utf-8", newline="") as fh:
                records = list(csv.DictReader(fh))
            header = list(records[0])
            for record in records:
                for name, column in columns.items():
                    record[name] = poisoned(record[name], column, is_key(contract, column))
            with path.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.DictWriter(fh, header, lineterminator="\n")
                writer.writeheader()
                writer.writerows(records)
        rows[table] = len(records)
    raw = yaml.safe_load(manifest.manifest_path.read_text(encoding="utf-8"))
    raw.update(title=PAYLOAD, description=PAYLOAD, license=PAYLOAD)
    manifest.manifest_path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return folder, rows


def assert_intact(db: Path, rows: dict[str, int], *, runs: int | None = None) -> None:
    with read_db(db) as con:
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert set(DATA_TABLES) | set(META_TABLES) <= tables, "a table is gone"
        counts = {t: con.execute(f"SELECT count(*) FROM {t} WHERE _dataset = 'korea-ukraine'").fetchone()[0]
                  for t in DATA_TABLES}
        assert counts == rows
        assert con.execute("SELECT count(*) FROM load_errors").fetchone()[0] == 0
        # Stored verbatim, every one of them.
        sources = con.execute("SELECT source_id, name, aliases FROM sources").fetchall()
        assert all(key.endswith(PAYLOAD) and name.endswith(PAYLOAD) and all(a.endswith(PAYLOAD) for a in aliases)
                   for key, name, aliases in sources)
        assert con.execute("SELECT count(*) FROM figures WHERE contains(value_text, ?) AND contains(subject, ?) "
                           "AND ends_with(figure_id, ?)", [PAYLOAD, PAYLOAD, PAYLOAD]).fetchone()[0] == rows["figures"]
        assert con.execute("SELECT title, description, license FROM datasets").fetchall() == [(PAYLOAD,) * 3]
        assert con.execute("SELECT count(*) FROM figure_evidence WHERE contains(reporter, ?)",
                           [PAYLOAD]).fetchone()[0] == rows["figures"]
        if runs is not None:
            assert QA_TABLES and set(QA_TABLES) <= tables
            assert con.execute("SELECT count(*) FROM qa_runs").fetchone()[0] == runs


@pytest.fixture(scope="module")
def poisoned_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], Path]:
    root = tmp_path_factory.mktemp("injection")
    folder, rows = poison_dataset(root)
    (root / "fast.yaml").write_text(FAST_SUITE.format(payload=PAYLOAD.replace('"', '\\"')), encoding="utf-8")
    (root / "figure-note.sql").write_text(FIGURE_NOTE_SQL, encoding="utf-8")
    return folder, rows, root / "fast.yaml"


def test_payloads_in_every_field_survive_load_validate_report_sql_and_run(poisoned_project, tmp_path):
    folder, rows, suite = poisoned_project
    db = tmp_path / "it's; --.duckdb"
    loaded = run_cli("load", folder, "--db", db)
    assert loaded.exit_code == 0, loaded.stderr
    assert_intact(db, rows)

    validated = run_cli("validate", "--db", db, "--suite", suite, "--format", "json")
    assert validated.exit_code == 1, validated.stderr  # the poisoned text no longer matches its hash
    assert_intact(db, rows, runs=1)
    with read_db(db) as con:
        suite_name, version = con.execute("SELECT suite, suite_version FROM qa_runs").fetchone()
        notes = con.execute("SELECT count(*) FROM qa_failures WHERE check_id = 'figure-note' AND message = ?",
                            ["note: " + PAYLOAD]).fetchone()[0]
        description = con.execute("SELECT description FROM qa_results WHERE check_id = 'figure-note'").fetchone()[0]
    assert (suite_name, version, notes, description) == (PAYLOAD, PAYLOAD, rows["figures"], PAYLOAD)

    # The default suite too: contract (pandera) and Great Expectations checks read the same rows.
    full = run_cli("validate", "--db", db, "--select", "contract-*,gx-*,reference-dangling")
    assert full.exit_code in (0, 1), full.stderr
    assert_intact(db, rows, runs=2)

    out = tmp_path / "out'; DROP TABLE figures; --"  # the CSV export writes here with COPY ... TO '<path>'
    reported = run_cli("report", "--db", db, "--out", out)
    assert reported.exit_code == 0, reported.stderr
    assert (out / "index.html").is_file() and list((out / "failures").glob("*.csv"))
    assert_intact(db, rows, runs=2)

    queried = run_cli("sql", "SELECT name FROM sources ORDER BY name", "--db", db, "--format", "csv")
    assert queried.exit_code == 0 and queried.stdout.count(PAYLOAD.replace('"', '""')) == rows["sources"]
    assert_intact(db, rows, runs=2)

    config = tmp_path / "newsproof.toml"
    config.write_text(f"datasets = {json.dumps([str(folder)])}\ndb = {json.dumps(db.name)}\n"
                      f"suites = {json.dumps([str(suite)])}\nreports = \"reports'; --\"\n", encoding="utf-8")
    ran = run_cli("run", "--config", config, "--trigger", PAYLOAD)
    assert ran.exit_code == 1, ran.stderr
    assert_intact(db, rows, runs=3)
    with read_db(db) as con:
        assert con.execute("SELECT trigger FROM qa_run_context").fetchall() == [(PAYLOAD,)]
    assert (tmp_path / "reports'; --" / "latest" / "index.html").is_file()


def test_sql_is_read_only_unless_asked(poisoned_project, tmp_path):
    folder, rows, _ = poisoned_project
    db = tmp_path / "db.duckdb"
    assert run_cli("load", folder, "--db", db).exit_code == 0
    for statement in ("DROP TABLE figures", "DELETE FROM sources", "SELECT 1; DROP TABLE figures"):
        refused = run_cli("sql", statement, "--db", db)
        assert refused.exit_code == 2, statement
        assert "Traceback" not in refused.stderr
    assert_intact(db, rows)


def write_manifest(folder: Path, name: str) -> Path:
    shutil.copytree(DATASETS / "synthetic-followups", folder)
    raw = yaml.safe_load((folder / "dataset.yaml").read_text(encoding="utf-8"))
    raw["name"] = name
    (folder / "dataset.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    return folder


@pytest.mark.parametrize("name", [*PAYLOADS, "a'b", 'a"b', "a;b", "a--b ", "a`b", "../up", "UPPER", "a\x00b"])
def test_a_dataset_name_that_is_not_plain_is_refused(tmp_path, name):
    folder = write_manifest(tmp_path / "ds", name)
    result = run_cli("load", folder, "--db", tmp_path / "db.duckdb")
    assert result.exit_code == 2
    assert "dataset name" in result.stderr and "not allowed" in result.stderr
    assert not (tmp_path / "db.duckdb").exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_column_names_are_reported_not_run(ku_copy, tmp_path, payload):
    path = ku_copy / "figures.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    quoted = '"' + payload.replace('"', '""') + '"'
    path.write_text("\n".join([lines[0] + "," + quoted] + [line + ",x" for line in lines[1:]]) + "\n",
                    encoding="utf-8")
    db = tmp_path / "db.duckdb"
    result = run_cli("load", ku_copy, "--db", db)
    assert result.exit_code == 1  # the unknown column is reported
    with read_db(db) as con:
        assert con.execute("SELECT column_name, kind FROM load_errors").fetchall() == [(payload, "unknown-column")]
        assert con.execute("SELECT count(*) FROM figures").fetchone()[0] == len(lines) - 1


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("names") / "db.duckdb"
    assert run_cli("load", DATASETS / "korea-ukraine", "--db", db).exit_code == 0
    return db


def figure_count(db: Path) -> int:
    with read_db(db) as con:
        return con.execute("SELECT count(*) FROM figures").fetchone()[0]


@pytest.mark.parametrize("option", ["--select", "--ignore", "--suite"])
@pytest.mark.parametrize("payload", [*PAYLOADS, "qualifier-bounds'", "a*'--", "x;y"])
def test_hostile_check_arguments_are_refused(loaded, option, payload):
    before = figure_count(loaded)
    result = run_cli("validate", "--db", loaded, option, payload)
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("newsproof: error: ")
    assert figure_count(loaded) == before


@pytest.mark.parametrize("entry", [
    {"id": PAYLOADS[0], "sql": "c.sql", "severity": "error", "description": "d"},
    {"id": "ok-id", "sql": "c.sql", "severity": PAYLOADS[1], "description": "d"},
    {"id": PAYLOADS[2]},
], ids=["check-id", "severity", "builtin-id"])
def test_a_suite_with_hostile_ids_is_refused(loaded, tmp_path, entry):
    (tmp_path / "c.sql").write_text("SELECT 'figures' AS table_name, 'x' AS message WHERE false", encoding="utf-8")
    suite = tmp_path / "hostile.yaml"
    suite.write_text(yaml.safe_dump({"suite": "hostile", "checks": [entry]}), encoding="utf-8")
    result = run_cli("validate", "--db", loaded, "--suite", suite)
    assert result.exit_code == 2, result.stdout
    assert figure_count(loaded) == 5


@pytest.mark.parametrize("command", [["report", "--out", "{out}", "--run"], ["diff"]])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_run_ids_are_not_found_not_run(loaded, tmp_path, command, payload):
    assert run_cli("validate", "--db", loaded, "--select", "bounds-order").exit_code == 0
    args = [a.format(out=tmp_path / "out") for a in command]
    result = run_cli(*args, payload, *([payload] if command == ["diff"] else []), "--db", loaded)
    assert result.exit_code == 2
    assert "no run" in result.stderr
    assert figure_count(loaded) == 5


def test_a_check_that_hostile_data_makes_fail_mid_run_is_not_run_not_a_crash(loaded, tmp_path):
    """A trusted check meets data it cannot take (a cast of text to a number): the other checks
    run and are recorded, that one is reported as not run, and the run fails the gate."""
    (tmp_path / "cast.sql").write_text(
        "SELECT 'figures' AS table_name, CAST(CAST(value_text AS INTEGER) AS VARCHAR) AS message FROM figures",
        encoding="utf-8")
    suite = tmp_path / "cast.yaml"
    suite.write_text(yaml.safe_dump({"suite": "cast", "params": {"about_tolerance": 0.1}, "checks": [
        "bounds-order",
        {"id": "cast-value-text", "sql": "cast.sql", "severity": "warning", "description": "d", "tables": ["figures"]},
        "qualifier-bounds"]}), encoding="utf-8")
    result = run_cli("validate", "--db", loaded, "--suite", suite, "--format", "json")
    assert result.exit_code == 1, result.stderr
    statuses = {r["id"]: r["status"] for r in json.loads(result.stdout)["checks"]}
    assert statuses == {"bounds-order": "passed", "cast-value-text": "not-run", "qualifier-bounds": "passed"}
    with read_db(loaded) as con:
        run_id = con.execute("SELECT run_id FROM qa_runs ORDER BY started_at DESC LIMIT 1").fetchone()[0]
        assert con.execute("SELECT count(*) FROM qa_results WHERE run_id = ?", [run_id]).fetchone()[0] == 3
    assert figure_count(loaded) == 5
