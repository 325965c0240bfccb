"""The Spark engine finds what the DuckDB engine finds: the same (check, severity, table, row
key, dataset, file, line, column) for every finding, and the same status for every check.

Cases: the bundled datasets (through `validate_spark`), then in one run through the CLI a copy of
them carrying the named mutations of test_engine_mutations (plus broken records a loader must
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
from newsproof.spark.dialect import to_spark  # noqa: E402
from newsproof.spark.engine import validate_spark  # noqa: E402
from newsproof.spark.findings import import_findings  # noqa: E402
from newsproof.spark.session import get_session  # noqa: E402

pytestmark = pytest.mark.spark

KU, SF = "korea-ukraine", "synthetic-followups"
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


def test_catalog_tables_give_the_findings_their_files_give(spark, tmp_path: Path):
    """Tables already in the Spark catalog (here temp views of the korea-ukraine files, one
    figure duplicated) give the findings DuckDB gives for the files, but for the lines: a
    catalog table has none, so its rows are numbered."""
    ku = copy_dataset(KU, tmp_path)
    figures = ku / "figures.csv"
    lines = figures.read_text(encoding="utf-8").splitlines()
    figures.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    names = {}
    for table, file in (("articles", "articles.jsonl"), ("sources", "sources.csv"), ("claims", "claims.csv"),
                        ("figures", "figures.csv"), ("attributions", "attributions.csv")):
        path = str(ku / file)
        frame = (spark.read.json(path) if file.endswith(".jsonl")
                 else spark.read.csv(path, header=True, multiLine=True, escape='"'))
        frame.createOrReplaceTempView(f"ku_{table}")
        names[table] = f"ku_{table}"
    select = ["load-rejected-row", "duplicate-key", "reference-dangling", "bounds-order", "contract-not-null",
              "figure-not-in-text", "attribution-source-mismatch"]
    result = validate_spark(spark, names, select=select, findings_dir=tmp_path / "catalog-findings")
    con = duckdb.connect()
    import_findings(tmp_path / "catalog-findings", con)
    where = ", ".join(KEY[:4] + KEY[-1:])
    sparks = set(con.execute(f"SELECT {where} FROM qa_failures").fetchall())
    db = tmp_path / "files.duckdb"
    load_dataset(ku, db)
    duck_result = validate(db, select=select)
    with duckdb.connect(str(db), read_only=True) as duck:
        expected = set(duck.execute(f"SELECT {where} FROM qa_failures").fetchall())
    assert sparks == expected
    assert ("duplicate-key", "error", "figures") in {f[:3] for f in expected}
    assert result.exit_code == duck_result.exit_code == 1
