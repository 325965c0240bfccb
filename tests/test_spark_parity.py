"""The Spark engine finds what the DuckDB engine finds: the same (check, severity, table, row
key, dataset, file, line, column) for every finding, and the same status for every check.

Cases: the bundled datasets, a copy carrying the named mutations of test_engine_mutations (plus
broken records a loader must keep: bad JSON, a short CSV row, an unknown column, a quoted
newline), and a synthetic dataset of 20,000 figures with planted defects. One local[2] session
serves the whole module.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

pytest.importorskip("pyspark")
pytest.importorskip("sqlglot")
if shutil.which("java") is None:
    pytest.skip("the Spark engine needs a Java runtime", allow_module_level=True)

from conftest import DATASETS, copy_dataset, mutate_csv, run_cli  # noqa: E402
from newsproof.engine import validate  # noqa: E402
from newsproof.load import load_dataset  # noqa: E402
from newsproof.spark.dialect import to_spark  # noqa: E402
from newsproof.spark.engine import validate_spark  # noqa: E402
from newsproof.spark.findings import import_findings  # noqa: E402
from newsproof.spark.session import get_session  # noqa: E402

pytestmark = pytest.mark.spark

KU, SF = "korea-ukraine", "synthetic-followups"
KEY = ("check_id", "severity", "table_name", "row_key", "dataset", "file", "line", "column_name")


@pytest.fixture(scope="module")
def spark():
    return get_session("local[2]", shuffle_partitions=2)


def duckdb_findings(folders: list[Path], tmp: Path) -> tuple[set, dict]:
    db = tmp / "parity.duckdb"
    for folder in folders:
        load_dataset(folder, db)
    result = validate(db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = set(con.execute(f"SELECT {', '.join(KEY)} FROM qa_failures WHERE run_id = ?",
                               [result.run_id]).fetchall())
    finally:
        con.close()
    return rows, {r.check_id: r.status for r in result.results} | {"exit code": result.exit_code}


def spark_findings(spark, folders: list[Path], tmp: Path) -> tuple[set, dict]:
    out = tmp / "spark-findings"
    result = validate_spark(spark, folders, findings_dir=out)
    con = duckdb.connect()
    import_findings(out, con)
    rows = set(con.execute(f"SELECT {', '.join(KEY)} FROM qa_failures WHERE run_id = ?",
                           [result.run_id]).fetchall())
    return rows, {r.check_id: r.status for r in result.results} | {"exit code": result.exit_code}


def assert_parity(spark, folders: list[Path], tmp: Path) -> set:
    duck, duck_status = duckdb_findings(folders, tmp)
    sparks, spark_status = spark_findings(spark, folders, tmp)
    assert sorted(sparks - duck, key=str) == [] and sorted(duck - sparks, key=str) == []
    assert spark_status == duck_status
    return duck


def test_bundled_datasets_give_the_same_findings_on_both_engines(spark, tmp_path: Path):
    findings = assert_parity(spark, [DATASETS / KU, DATASETS / SF], tmp_path)
    # Clean, exit code 0 on both (compared above): at most notes (a relative date, ...).
    assert {f[1] for f in findings} <= {"info"}


def _mutated_copies(root: Path) -> list[Path]:
    """Both bundled datasets with the named mutations of test_engine_mutations, each on its own
    records (a case that touches a record already touched is left out), and broken records."""
    from test_engine_mutations import CASES, apply

    folders = [copy_dataset(KU, root), copy_dataset(SF, root)]
    touched: set[tuple[str, str, str]] = set()
    for case in CASES.values():
        # A record is named by its key, which an edit may change: both names count as touched.
        records = {(e.dataset, e.file, name) for e in case.edits for name in (e.row_id, e.value)}
        if records & touched:
            continue
        touched |= records
        for edit in case.edits:
            apply(edit, root)
    ku = root / KU
    # A quoted newline: the record starts on its line, the ones after it move down.
    mutate_csv(ku / "claims.csv", "ku-c01", "text", "Various diplomatic responses\nare being readied")
    with (ku / "articles.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"article_id": "ku-002", "title": "broken\n')  # not valid JSON
        fh.write(json.dumps({"article_id": "ku-003", "title": ["a", "list"], "language": "en", "text": "x"}) + "\n")
    with (root / SF / "sources.csv").open("a", encoding="utf-8") as fh:
        fh.write("too,few\n\n")
    figures = root / SF / "figures.csv"
    lines = figures.read_text(encoding="utf-8").splitlines()
    lines[0] += ",reviewer"
    lines[1:] = [line + ",x" for line in lines[1:]]
    figures.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folders


def test_named_mutations_give_the_same_findings_on_both_engines(spark, tmp_path: Path):
    findings = assert_parity(spark, _mutated_copies(tmp_path / "data"), tmp_path)
    checks = {f[0] for f in findings}
    for expected in ("duplicate-key", "reference-dangling", "qualifier-bounds", "bounds-order",
                     "load-rejected-row", "load-unknown-column", "article-text-hash", "offset-out-of-range"):
        assert expected in checks


def test_a_synthetic_dataset_of_20k_figures_gives_the_same_findings(spark, tmp_path: Path):
    from newsproof.synth import generate

    folder = tmp_path / "synth"
    generate(folder, figures=20_000, articles=2_000, seed=7)
    findings = assert_parity(spark, [folder], tmp_path)
    assert len({f[0] for f in findings}) >= 10  # planted defects of many kinds were found


def test_the_cli_exits_as_duckdb_does_with_the_same_file_and_line(spark, tmp_path: Path):
    # (The clean datasets exit 0 on both engines: test_bundled_datasets_...)
    ku = copy_dataset(KU, tmp_path)
    line = mutate_csv(ku / "figures.csv", "ku-f02", "lower", "5")
    spark_run = run_cli("validate", "--engine", "spark", ku, "--format", "json")
    db = tmp_path / "m.duckdb"
    assert run_cli("load", ku, "--db", db).exit_code == 0
    duck_run = run_cli("validate", "--db", db, "--format", "json")
    assert spark_run.exit_code == duck_run.exit_code == 1

    def located(output: str) -> set:
        report = json.loads(output)
        return {(f["check_id"], f["file"], f["line"]) for f in report["failures"]}

    assert located(spark_run.stdout) == located(duck_run.stdout)
    assert ("bounds-order", "figures.csv", line) in located(spark_run.stdout)


def test_usage_errors_exit_2_without_a_traceback(tmp_path: Path):
    missing = run_cli("validate", "--engine", "spark", tmp_path / "nowhere")
    assert missing.exit_code == 2 and "dataset folder not found" in missing.stderr
    mixed = run_cli("validate", DATASETS / KU)
    assert mixed.exit_code == 2 and "--engine spark" in mixed.stderr


def test_duckdb_casts_keep_their_meaning_on_spark(spark):
    cases = {"INTEGER": ["12", "934.0", "1.5", "1e3", "x", "12,000"], "DOUBLE": ["1,500", "1d", "inf", ".5"],
             "DATE": ["2024-01-05", "2024", "2024/01/05", "2024-02-30"], "BOOLEAN": [" true ", "yes"],
             "TIMESTAMP": ["2024-01-05 10", "2024-01-05T10:00:00", "2024"]}
    for type_, values in cases.items():
        for value in values:
            sql = f"SELECT CAST(TRY_CAST($v AS {type_}) AS VARCHAR) IS NULL"
            expected = duckdb.execute(sql.replace("$v", "?"), [value]).fetchone()[0]
            assert spark.sql(to_spark(sql, {"v": value})).collect()[0][0] == expected, (type_, value)
