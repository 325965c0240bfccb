"""Great Expectations suites (validators/gx/*.yaml) as checks gx-<suite>: the bundled datasets pass,
a broken row is reported at its file and line, an expectation that cannot run says so, whole-table
expectations are not run over several batches, and Data Docs are built offline.

GX imports in seconds: the tests share one process-wide GX context and module-scoped databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import DATASETS, copy_dataset, load_bundled, mutate_csv, run_cli
from newsproof.checks.base import CheckContext
from newsproof.checks.gx import gx_suite_check, read_gx_suite
from newsproof.contracts import load_contracts
from newsproof.engine import validate
from newsproof.errors import NewsproofError
from newsproof.findings import PASSED
from newsproof.load import load_dataset
from newsproof.resources import builtin_dir
from newsproof.suites import load_suite

CONTRACTS = load_contracts()
GX_DIR = builtin_dir("validators") / "gx"
TABLES = ("articles", "sources", "claims", "figures", "attributions")


def gx_failures(db: Path, suite_file: Path, **params) -> list:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return list(gx_suite_check(suite_file).func(CheckContext(con, CONTRACTS, params, {})))
    finally:
        con.close()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def clean_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_bundled(tmp_path_factory.mktemp("clean") / "clean.duckdb")


@pytest.fixture(scope="module")
def subject_mutation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    """korea-ukraine with one figure's subject not in kebab-case: (dataset, db, line)."""
    folder = tmp_path_factory.mktemp("mutated")
    dataset = copy_dataset("korea-ukraine", folder)
    line = mutate_csv(dataset / "figures.csv", "ku-f03", "subject", "North Korean Troops")
    db = folder / "m.duckdb"
    load_dataset(dataset, db)
    load_dataset(DATASETS / "synthetic-followups", db)
    return dataset, db, line


def test_bundled_suites_are_versioned_and_named_by_table() -> None:
    for table in TABLES:
        suite = read_gx_suite(GX_DIR / f"{table}.yaml")
        check = gx_suite_check(GX_DIR / f"{table}.yaml")
        assert (suite.table, suite.version, check.id, check.severity) == (table, "1", f"gx-{table}", "error")
        assert check.description.startswith("GX: ") and suite.expectations
        assert all(spec.line for spec in suite.expectations)


def test_the_default_suite_lists_them_without_importing_gx(tmp_path: Path) -> None:
    # In a process of its own: this one may already have imported GX for another test.
    script = write(tmp_path / "probe.py", (
        "import sys\nfrom newsproof.suites import load_suite\n"
        "ids = [c.id for c in load_suite().checks if c.id.startswith('gx-')]\n"
        "print(sorted(ids), 'great_expectations' in sys.modules)\n"))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"{sorted(f'gx-{t}' for t in TABLES)} False"


def test_bundled_datasets_pass_every_gx_suite(clean_db: Path) -> None:
    result = validate(clean_db, select=["gx-*"])
    assert {r.check_id: (r.status, r.failure_count) for r in result.results} == {
        f"gx-{t}": (PASSED, 0) for t in TABLES}


def test_a_failing_row_is_reported_at_its_file_and_line(subject_mutation) -> None:
    dataset, db, line = subject_mutation
    result = validate(db, select=["gx-*"])
    failed = {r.check_id: r for r in result.results if r.failure_count}
    assert list(failed) == ["gx-figures"] and result.exit_code == 1
    (row,) = failed["gx-figures"].sample
    assert (row.table_name, row.row_key, row.column_name, row.value) == (
        "figures", "ku-f03", "subject", "North Korean Troops")
    assert (row.dataset, row.file, row.line, row.path) == (
        "korea-ukraine", "figures.csv", line, f"{dataset}/figures.csv")
    assert "expect_column_values_to_match_regex" in row.message and row.article_id == "ku-001"


def test_an_expectation_that_cannot_run_becomes_a_failure(clean_db: Path, tmp_path: Path) -> None:
    suite = write(tmp_path / "broken.yaml", """\
suite: broken
version: "1"
table: figures
expectations:
  - type: expect_column_values_to_not_be_null
    kwargs: {column: headcount}
  - type: expect_column_values_to_be_teleported
    kwargs: {column: value}
  - type: expect_column_values_to_be_between
    kwargs: {column: value, minimum: 0}
  - type: expect_column_values_to_be_between
    kwargs: {column: value, max_value: 100}
""")
    failures = gx_failures(clean_db, suite)
    not_run = {f.line: f for f in failures if "could not run" in f.message}
    assert sorted(not_run) == [5, 7, 9]
    assert all(f.file == str(suite.resolve()) and f.table_name == "figures" for f in not_run.values())
    assert 'column "headcount"' in not_run[5].message
    assert "no expectation of that name" in not_run[7].message
    assert "minimum" in not_run[9].message
    # The expectation that can run still reports its rows: every figure above 100.
    over = {(f.dataset, f.row_key) for f in failures if "could not run" not in f.message}
    con = duckdb.connect(str(clean_db), read_only=True)
    expected = set(con.execute("SELECT _dataset, figure_id FROM figures WHERE value > 100").fetchall())
    con.close()
    assert over == expected and len(expected) > 3


def test_whole_table_expectations_run_per_dataset_only_within_one_batch(clean_db: Path, tmp_path: Path) -> None:
    suite = write(tmp_path / "claims.yaml", """\
suite: claim-counts
version: "1"
table: claims
expectations:
  - type: expect_table_row_count_to_be_between
    kwargs: {max_value: 10}
  - type: expect_column_values_to_be_unique
    kwargs: {column: claim_id}
  - type: expect_column_value_lengths_to_be_between
    kwargs: {column: text, max_value: 100}
""")
    one_batch = gx_failures(clean_db, suite)
    (too_many,) = [f for f in one_batch if "row_count" in f.message]
    assert (too_many.dataset, too_many.file, too_many.line, too_many.value) == (
        "korea-ukraine", "claims.csv", None, "18")
    long_texts = sorted(f.row_key for f in one_batch if "lengths" in f.message)
    assert len(long_texts) > 5

    batched = gx_failures(clean_db, suite, gx_batch_rows=4)
    not_run = [f for f in batched if "could not run" in f.message]
    assert {(f.line, "more than one batch" in f.message) for f in not_run} == {(5, True), (7, True)}
    assert sum("dataset korea-ukraine has 18 rows" in f.message for f in not_run) == 2
    assert sum("dataset synthetic-followups has 6 rows" in f.message for f in not_run) == 2
    # Row-wise expectations give the same rows batch by batch.
    assert sorted(f.row_key for f in batched if "lengths" in f.message) == long_texts


def test_a_malformed_suite_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(NewsproofError, match="needs 'table'") as info:
        read_gx_suite(write(tmp_path / "x.yaml", 'suite: x\nversion: "1"\nexpectations: []\n'))
    assert info.value.file == str(tmp_path / "x.yaml")
    with pytest.raises(NewsproofError, match="needs a type") as info:
        read_gx_suite(write(tmp_path / "y.yaml", 'suite: y\nversion: "1"\ntable: figures\nexpectations:\n'
                                                 '  - {kwargs: {column: value}}\n'))
    assert info.value.line == 5
    write(tmp_path / "suite.yaml", 'suite: s\nversion: "1"\nchecks: []\ngx: [missing.yaml]\n')
    with pytest.raises(NewsproofError, match="GX suite file not found"):
        load_suite(str(tmp_path / "suite.yaml"))


def test_data_docs_are_built_for_the_last_run(subject_mutation, tmp_path: Path) -> None:
    _, db, _ = subject_mutation
    out = tmp_path / "docs"
    result = run_cli("validate", "--db", db, "--select", "gx-figures,gx-claims", "--gx-data-docs", out)
    assert result.exit_code == 1
    assert f"GX Data Docs: {out / 'index.html'}" in result.stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "figures" in index and "claims" in index
    pages = sorted(p.relative_to(out).parts[:2] for p in (out / "validations").rglob("*.html"))
    assert pages == [("validations", "claims"), ("validations", "claims"),
                     ("validations", "figures"), ("validations", "figures")]  # one per dataset
    figures_pages = [p.read_text(encoding="utf-8") for p in (out / "validations" / "figures").rglob("*.html")]
    assert any("North Korean Troops" in page for page in figures_pages)


def test_data_docs_need_a_run_with_gx_suites(clean_db: Path, tmp_path: Path) -> None:
    validate(clean_db, select=["duplicate-key"])
    result = run_cli("validate", "--db", clean_db, "--select", "duplicate-key", "--gx-data-docs", tmp_path / "d")
    assert result.exit_code == 2
    assert "ran no Great Expectations suite" in result.stderr
