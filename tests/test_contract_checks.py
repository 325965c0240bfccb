"""Contract checks (pandera over schemas/*.yaml, or the same rules as SQL) on the bundled datasets:
clean data passes, one edited cell is reported with its check id, file and line, the batches are
really bounded, and both engines find the same rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import newsproof.checks.contract as contract_module
from conftest import DATASETS, copy_dataset, load_bundled, mutate_csv, mutate_jsonl
from newsproof.checks.base import CheckContext
from newsproof.checks.contract import KINDS, contract_checks
from newsproof.contracts import load_contracts
from newsproof.engine import validate
from newsproof.findings import NOT_RUN, PASSED
from newsproof.load import load_dataset

CONTRACTS = load_contracts()
CONTRACT_IDS = tuple(KINDS)


def findings(db: Path, **params) -> list[tuple]:
    """(check id, table, row key, column, dataset, file, line) of every contract failure."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        ctx = CheckContext(con, CONTRACTS, params, {})
        return [(check.id, f.table_name, f.row_key, f.column_name, f.dataset, f.file, f.line)
                for check in contract_checks(CONTRACTS) for f in check.func(ctx)]
    finally:
        con.close()


def write_suite(path: Path, **params) -> Path:
    lines = ["suite: contracts", 'version: "1"', "params:"] + [f"  {k}: {v}" for k, v in params.items()]
    lines += ["checks:"] + [f"  - {c}" for c in CONTRACT_IDS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def clean_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_bundled(tmp_path_factory.mktemp("clean") / "clean.duckdb")


@pytest.mark.parametrize("engine", ["pandera", "sql"])
def test_bundled_datasets_pass_every_contract_check(clean_db: Path, engine: str) -> None:
    assert findings(clean_db, contract_engine=engine) == []


def test_default_suite_runs_the_contract_checks_and_they_pass(clean_db: Path) -> None:
    result = validate(clean_db, select=["contract-*"])
    assert {r.check_id: (r.status, r.failure_count) for r in result.results} == {
        check_id: (PASSED, 0) for check_id in CONTRACT_IDS}
    assert result.exit_code == 0


# One edited cell of korea-ukraine -> (check id, table, key, column) reported at that file:line.
MUTATIONS = {
    "unknown qualifier": ("figures.csv", "ku-f02", "qualifier", "roughly", "contract-enum"),
    "negative value": ("figures.csv", "ku-f03", "value", "-5", "contract-range"),
    "negative claim offset": ("claims.csv", "ku-c04", "char_start", "-3", "contract-range"),
    "empty source name": ("sources.csv", "yonhap", "name", "", "contract-not-null"),
    "unknown claim status": ("claims.csv", "ku-c07", "status", "rumoured", "contract-enum"),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_an_edited_cell_is_reported_at_its_file_and_line(tmp_path: Path, name: str) -> None:
    file, key, column, value, check_id = MUTATIONS[name]
    dataset = copy_dataset("korea-ukraine", tmp_path)
    line = mutate_csv(dataset / file, key, column, value)
    db = tmp_path / "m.duckdb"
    load_dataset(dataset, db)
    table = file.removesuffix(".csv")
    assert findings(db) == [(check_id, table, key, column, "korea-ukraine", file, line)]


def test_a_malformed_text_hash_breaks_the_pattern(tmp_path: Path) -> None:
    dataset = copy_dataset("korea-ukraine", tmp_path)
    line = mutate_jsonl(dataset / "articles.jsonl", "ku-001", "text_sha256", "not-a-hash")
    db = tmp_path / "m.duckdb"
    load_dataset(dataset, db)
    assert findings(db) == [("contract-pattern", "articles", "ku-001", "text_sha256", "korea-ukraine",
                             "articles.jsonl", line)]


def test_findings_carry_value_message_and_the_dataset_path(tmp_path: Path) -> None:
    dataset = copy_dataset("korea-ukraine", tmp_path)
    line = mutate_csv(dataset / "figures.csv", "ku-f02", "qualifier", "roughly")
    db = tmp_path / "m.duckdb"
    load_dataset(dataset, db)
    result = validate(db, select=["contract-enum"])
    assert result.exit_code == 1
    (row,) = result.results[0].sample
    assert (row.value, row.line, row.path) == ("roughly", line, f"{dataset}/figures.csv")
    assert "'roughly' is not one of exact, over" in row.message


def mutated_db(tmp_path: Path) -> Path:
    """Both datasets, korea-ukraine with failures in several tables and rows."""
    dataset = copy_dataset("korea-ukraine", tmp_path)
    mutate_csv(dataset / "figures.csv", "ku-f01", "qualifier", "roughly")
    mutate_csv(dataset / "figures.csv", "ku-f04", "value", "-2")
    mutate_csv(dataset / "figures.csv", "ku-f05", "unit", "")
    mutate_csv(dataset / "sources.csv", "experts", "kind", "pundit")
    mutate_csv(dataset / "claims.csv", "ku-c18", "stance", "")
    mutate_csv(dataset / "attributions.csv", "ku-a23", "char_end", "-1")
    db = tmp_path / "m.duckdb"
    load_dataset(dataset, db)
    load_dataset(DATASETS / "synthetic-followups", db)
    return db


def test_batches_are_bounded_and_give_the_same_findings(tmp_path: Path, monkeypatch) -> None:
    db = mutated_db(tmp_path)
    whole = findings(db)
    assert len(whole) == 6

    sizes: list[int] = []
    real_read_batches = contract_module.read_batches

    def recording(*args, **kwargs):
        for frame in real_read_batches(*args, **kwargs):
            sizes.append(len(frame))
            yield frame

    monkeypatch.setattr(contract_module, "read_batches", recording)
    batched = findings(db, contract_batch_rows=2)
    assert sorted(batched) == sorted(whole)
    assert max(sizes) == 2 and len(sizes) > 20  # 91 rows in 5 tables, 2 at a time


def test_pandera_and_sql_engines_find_the_same_rows(tmp_path: Path) -> None:
    db = mutated_db(tmp_path)
    pandera = findings(db, contract_engine="pandera")
    assert sorted(findings(db, contract_engine="sql")) == sorted(pandera)
    assert {f[0] for f in pandera} == {"contract-enum", "contract-range", "contract-not-null"}


@pytest.mark.parametrize("engine", ["pandera", "sql"])
def test_a_column_of_the_wrong_type_or_missing_is_a_type_finding(clean_db: Path, tmp_path: Path,
                                                                 engine: str) -> None:
    db = tmp_path / "typed.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"ATTACH '{clean_db}' AS clean (READ_ONLY)")
    for table in CONTRACTS:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM clean.{table}")
    con.execute("ALTER TABLE figures ALTER value TYPE VARCHAR")
    con.execute("UPDATE figures SET value = '-1' WHERE figure_id = 'ku-f01'")  # no range finding
    con.execute("ALTER TABLE sources DROP COLUMN country")
    con.close()
    assert sorted(findings(db, contract_engine=engine)) == [
        ("contract-type", "figures", None, "value", None, None, None),
        ("contract-type", "sources", None, "country", None, None, None),
    ]


def test_bad_parameters_leave_the_checks_not_run(clean_db: Path, tmp_path: Path) -> None:
    for params in ({"contract_engine": "spark"}, {"contract_batch_rows": 0}):
        suite = write_suite(tmp_path / "contracts.yaml", **params)
        result = validate(clean_db, suite=str(suite))
        assert {r.status for r in result.results} == {NOT_RUN}
        assert next(iter(params)) in result.results[0].message
        assert result.exit_code == 1
    suite = write_suite(tmp_path / "contracts.yaml", contract_engine="sql", contract_batch_rows=5)
    assert {r.status for r in validate(clean_db, suite=str(suite)).results} == {PASSED}
