"""The Spark engine finds what the DuckDB engine finds: the same (check, severity, table, row
key, dataset, file, line, column) for every finding, and the same status for every check.

Cases: the bundled datasets (through `validate_spark`, one of them as catalog tables), then in one
run through the CLI a copy of them carrying the named mutations of test_engine_mutations (plus broken records a loader must
keep: bad JSON, a short CSV row, an unknown column, a quoted newline) and a synthetic dataset of
20,000 figures with planted defects. One local[2] session serves the whole module.
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
from newsproof.manifest import read_manifest  # noqa: E402
from newsproof.spark.dialect import to_spark  # noqa: E402
from newsproof.spark.engine import validate_spark  # noqa: E402
from newsproof.spark.findings import import_findings  # noqa: E402
from newsproof.spark.session import get_session  # noqa: E402

pytestmark = pytest.mark.spark

KU, SF = "korea-ukraine", "synthetic-followups"
TABLES = ("articles", "sources", "claims", "figures", "attributions")
KEY = ("check_id", "severity", "table_name", "row_key", "dataset", "file", "line", "column_name")


# Test inputs are small, so Spark's fixed costs dominate: adaptive execution submits a job per
# stage, and compiling generated code takes longer than interpreting a few rows.
SMALL_INPUT_CONF = {
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}


@pytest.fixture(scope="module")
def spark():
    return get_session("local[2]", shuffle_partitions=2, conf=SMALL_INPUT_CONF)


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


def test_mutations_and_20k_synthetic_figures_give_the_same_findings_through_the_cli(spark, tmp_path: Path):
    """One run of each engine, as a user runs them: the mutated copies and the synthetic
    dataset together (one Spark run costs a fixed number of jobs, whatever the data)."""
    from newsproof.synth import generate

    folders = _mutated_copies(tmp_path / "data")
    generate(tmp_path / "data" / "synth", figures=20_000, articles=2_000, seed=7)
    folders.append(tmp_path / "data" / "synth")
    out = tmp_path / "spark-findings"
    spark_run = run_cli("validate", "--engine", "spark", *folders, "--findings-dir", out, "--format", "json")
    db = tmp_path / "m.duckdb"
    for folder in folders:  # (rejected rows make `newsproof load` exit 1)
        load_dataset(folder, db)
    duck_run = run_cli("validate", "--db", db, "--format", "json")
    assert spark_run.exit_code == duck_run.exit_code == 1

    def outcome(output: str) -> tuple[dict, set]:
        report = json.loads(output)
        return ({c["id"]: (c["status"], c["failure_count"]) for c in report["checks"]},
                {(f["check_id"], f["dataset"], f["file"], f["line"]) for f in report["failures"]})

    assert outcome(spark_run.stdout) == outcome(duck_run.stdout)
    with duckdb.connect(str(db), read_only=True) as con:
        duck = set(con.execute(f"SELECT {', '.join(KEY)} FROM qa_failures").fetchall())
    con = duckdb.connect()
    import_findings(out, con)
    sparks = set(con.execute(f"SELECT {', '.join(KEY)} FROM qa_failures").fetchall())
    assert sorted(sparks - duck, key=str) == [] and sorted(duck - sparks, key=str) == []
    checks = {f[0] for f in duck}
    for expected in ("duplicate-key", "reference-dangling", "qualifier-bounds", "bounds-order",
                     "load-rejected-row", "load-unknown-column", "article-text-hash", "offset-out-of-range"):
        assert expected in checks
    assert any(f[:3] == ("bounds-order", KU, "figures.csv") and f[3] > 1 for f in outcome(spark_run.stdout)[1])
    synthetic = {f[0] for f in duck if f[4] == "synth-20000-s7"}
    assert len(synthetic) >= 10  # planted defects of many kinds were found


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


def catalog_views(spark, folder: Path, prefix: str) -> dict[str, str]:
    """A dataset's tables as catalog tables (temp views read by Spark's own readers, cells as
    typed or as text), the way tables already in a lake reach newsproof."""
    names = {}
    for table, path in read_manifest(folder, TABLES).files.items():
        frame = (spark.read.json(str(path)) if path.suffix == ".jsonl"
                 else spark.read.csv(str(path), header=True, multiLine=True, escape='"'))
        frame.createOrReplaceTempView(f"{prefix}_{table}")
        names[table] = f"{prefix}_{table}"
    return names


def test_bundled_datasets_as_files_and_catalog_tables_give_the_same_findings(spark, tmp_path: Path):
    """korea-ukraine as its folder and synthetic-followups as catalog tables, in one run, against
    both loaded from their folders into DuckDB: the same findings (a catalog table has no lines,
    so its rows are numbered and its dataset is `catalog`), the same statuses, exit code 0."""
    tables = catalog_views(spark, DATASETS / SF, "sf")
    out = tmp_path / "spark-findings"
    result = validate_spark(spark, [DATASETS / KU, *(f"{t}={name}" for t, name in tables.items())],
                            findings_dir=out)
    con = duckdb.connect()
    import_findings(out, con)
    # Rows of the catalog dataset are compared without their file and line.
    same = (f"SELECT {', '.join(KEY[:4])}, CASE WHEN dataset = 'catalog' THEN '{SF}' ELSE dataset END, "
            f"CASE WHEN dataset IN ('catalog', '{SF}') THEN NULL ELSE file END, "
            f"CASE WHEN dataset IN ('catalog', '{SF}') THEN NULL ELSE line END, column_name FROM qa_failures")
    sparks = set(con.execute(same).fetchall())
    db = tmp_path / "bundled.duckdb"
    load_dataset(DATASETS / KU, db)
    load_dataset(DATASETS / SF, db)
    duck_result = validate(db)
    with duckdb.connect(str(db), read_only=True) as duck:
        expected = set(duck.execute(same).fetchall())
    assert sorted(sparks - expected, key=str) == [] and sorted(expected - sparks, key=str) == []
    assert {r.check_id: r.status for r in result.results} == {r.check_id: r.status for r in duck_result.results}
    assert result.exit_code == duck_result.exit_code == 0
    # Clean: at most notes (korea-ukraine's relative dates).
    assert {f[1] for f in expected} == {"info"} and {f[4] for f in expected} == {KU}
