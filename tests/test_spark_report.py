"""`newsproof report --findings DIR` renders the Parquet findings of `validate --engine spark
--findings-dir DIR` into the report `--db` gives, without Spark; the driver script for
spark-submit; and how `get_session` treats a session or master that a launcher set.

The findings here are a real DuckDB validation of a mutated korea-ukraine, written in the layout
the Spark engine writes (qa_runs and qa_results one file each, in the Arrow schemas of
`spark/findings.py`; qa_failures a folder of part files). That the two engines find the same
rows is test_spark_parity.py's job; these tests start no JVM.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import copy_dataset, mutate_csv, read_db, run_cli
from newsproof.engine import validate
from newsproof.load import load_dataset
from newsproof.spark import findings
from newsproof.spark.session import DEFAULT_MASTER, SQL_CONF, session_settings
from test_report import embedded_rows

KU = "korea-ukraine"


def write_spark_layout(db: Path, run_id: str, out: Path) -> Path:
    """The findings of `run_id` in `db`, laid out in `out` as the Spark engine writes them."""
    parts = out / findings.FAILURES
    parts.mkdir(parents=True)
    targets = {"qa_runs": out / findings.RUNS, "qa_results": out / findings.RESULTS,
               "qa_failures": parts / "part-00000-0.snappy.parquet"}
    with read_db(db) as con:
        for table, target in targets.items():
            con.execute(f"COPY (SELECT * FROM {table} WHERE run_id = ?) TO '{target}' (FORMAT parquet)", [run_id])
    (parts / "_SUCCESS").touch()
    return out


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """korea-ukraine with 12,000 soldiers recorded as 1,200, loaded and validated: (db, run id)."""
    root = tmp_path_factory.mktemp("spark-report")
    ku = copy_dataset(KU, root)
    for column, value in (("value", "1200"), ("lower", "1200"), ("upper", "1200")):
        mutate_csv(ku / "figures.csv", "ku-f03", column, value)
    db = root / "ku.duckdb"
    load_dataset(ku, db)
    return db, validate(db).run_id


@pytest.fixture(scope="module")
def findings_dir(validated: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    db, run_id = validated
    return write_spark_layout(db, run_id, tmp_path_factory.mktemp("findings") / "findings")


class _Checks(HTMLParser):
    """(check id, status, failing rows) of each check card of index.html."""

    def __init__(self) -> None:
        super().__init__()
        self.checks: dict[str, tuple[str, int]] = {}
        self._card: tuple[str, str] | None = None
        self._in_count = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "details" and "check" in classes:
            status = next(c.removeprefix("check-") for c in classes if c.startswith("check-"))
            self._card = (a["id"].removeprefix("check-"), status)
        self._in_count = tag == "span" and "check-count" in classes and self._card is not None

    def handle_data(self, data: str) -> None:
        if self._in_count:
            check_id, status = self._card
            self.checks[check_id] = (status, int(data.split()[0].replace(",", "")))
            self._in_count, self._card = False, None


def report_checks(index: Path) -> dict[str, tuple[str, int]]:
    parser = _Checks()
    parser.feed(index.read_text(encoding="utf-8"))
    return parser.checks


def test_the_findings_render_the_report_of_the_database(validated, findings_dir: Path, tmp_path: Path):
    db, run_id = validated
    from_db = run_cli("report", "--db", db, "--out", tmp_path / "db")
    from_findings = run_cli("report", "--findings", findings_dir, "--out", tmp_path / "spark")
    assert from_db.exit_code == from_findings.exit_code == 0, from_findings.stderr
    index = Path(from_findings.stdout.strip())
    assert index == (tmp_path / "spark/index.html").resolve()

    with read_db(db) as con:
        expected = {check: (status, count) for check, status, count in con.execute(
            "SELECT check_id, status, failure_count FROM qa_results WHERE run_id = ?", [run_id]).fetchall()}
    assert expected["figure-value-mismatch"] == ("failed", 1)  # the mutation is caught
    assert report_checks(index) == report_checks(tmp_path / "db/index.html") == expected

    # Links to article pages and sentences from `article_sentences` come from the data, which
    # the findings do not hold; everything else is the same.
    def without_data(rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in row.items() if k not in ("href", "evidence")} for row in rows]

    rows, db_rows = embedded_rows(index), embedded_rows(tmp_path / "db/index.html")
    assert without_data(rows) == without_data(db_rows)
    for row, db_row in zip(rows, db_rows):
        assert row["evidence"] is None or row["evidence"] == db_row["evidence"]
    assert any(row["evidence"] for row in rows)  # the checks' own evidence is kept
    assert {r["check"] for r in rows} == {c for c, (status, _) in expected.items() if status == "failed"}
    csvs = sorted(p.relative_to(tmp_path / "spark") for p in (tmp_path / "spark/failures").iterdir())
    assert csvs == sorted(p.relative_to(tmp_path / "db") for p in (tmp_path / "db/failures").iterdir())
    for path in csvs:
        assert (tmp_path / "spark" / path).read_bytes() == (tmp_path / "db" / path).read_bytes()

    page = index.read_text(encoding="utf-8")
    assert run_id in page and html.escape(str(findings_dir)) in page
    # The data is not in the findings: no article pages, so no link to one.
    assert not (tmp_path / "spark/articles").exists() and all(r["href"] is None for r in rows)
    assert any(r["href"] for r in embedded_rows(tmp_path / "db/index.html"))


def test_the_layout_is_the_one_the_spark_engine_writes(findings_dir: Path):
    def columns(schema) -> list[tuple[str, str]]:
        return [(field.name, str(field.type)) for field in schema]

    for name, schema in ((findings.RUNS, findings.RUNS_SCHEMA), (findings.RESULTS, findings.RESULTS_SCHEMA)):
        assert columns(pq.read_schema(findings_dir / name)) == columns(schema)
    spark_columns = [column.split()[0] for column in findings.FAILURES_SPARK_SCHEMA.split(", ")]
    failures = pq.ParquetDataset(findings_dir / findings.FAILURES)
    assert failures.schema.names == spark_columns and len(failures.files) == 1


def test_report_on_findings_needs_no_pyspark(findings_dir: Path, tmp_path: Path):
    """A machine without Spark renders the findings a cluster wrote (pyspark made unimportable)."""
    code = ("import sys; sys.modules['pyspark'] = None\n"
            "from newsproof.cli import main\n"
            f"main(['report', '--findings', {str(findings_dir)!r}, '--out', {str(tmp_path / 'out')!r}])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out/index.html").is_file()


def test_a_run_of_the_findings_can_be_named(validated, findings_dir: Path, tmp_path: Path):
    _, run_id = validated
    named = run_cli("report", "--findings", findings_dir, "--out", tmp_path / "out", "--run", run_id)
    assert named.exit_code == 0
    unknown = run_cli("report", "--findings", findings_dir, "--out", tmp_path / "out2", "--run", "nope")
    assert unknown.exit_code == 2 and "no run 'nope'" in unknown.stderr and run_id in unknown.stderr


def _fails(args: list, message: str) -> None:
    result = run_cli("report", *args)
    assert result.exit_code == 2, result
    assert message in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_a_missing_or_partial_findings_folder_exits_2(findings_dir: Path, tmp_path: Path):
    out = ["--out", tmp_path / "out"]
    _fails(["--findings", tmp_path / "nowhere", *out], "findings folder not found")
    (tmp_path / "empty").mkdir()
    _fails(["--findings", tmp_path / "empty", *out],
           "no qa_runs.parquet, qa_results.parquet, qa_failures.parquet")
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / findings.FAILURES).mkdir()  # a run stopped before qa_results and qa_runs
    _fails(["--findings", partial, *out], "no qa_runs.parquet, qa_results.parquet")
    _fails(["--findings", findings_dir, "--db", tmp_path / "x.duckdb", *out], "--db and --findings are two sources")
    assert not (tmp_path / "out").exists()


def test_findings_that_are_not_the_engines_parquet_exit_2(findings_dir: Path, tmp_path: Path):
    out = ["--out", tmp_path / "out"]
    not_parquet = Path(shutil.copytree(findings_dir, tmp_path / "not-parquet"))
    (not_parquet / findings.RUNS).write_text("run_id\nx\n", encoding="utf-8")
    _fails(["--findings", not_parquet, *out], "cannot read the findings")

    no_parts = Path(shutil.copytree(findings_dir, tmp_path / "no-parts"))
    for part in (no_parts / findings.FAILURES).glob("*.parquet"):
        part.unlink()
    _fails(["--findings", no_parts, *out], "cannot read the findings")

    # qa_failures rewritten by a run that stopped before writing its qa_runs.
    mixed = Path(shutil.copytree(findings_dir, tmp_path / "mixed"))
    (part,) = (mixed / findings.FAILURES).glob("*.parquet")
    duckdb.execute(f"COPY (SELECT * REPLACE ('20990101T000000Z-000000' AS run_id) FROM read_parquet('{part}')) "
                   f"TO '{part}.new' (FORMAT parquet)")
    Path(f"{part}.new").replace(part)
    _fails(["--findings", mixed, *out], "a run stopped before it finished")

    no_run = Path(shutil.copytree(findings_dir, tmp_path / "no-run"))
    duckdb.execute(f"COPY (FROM read_parquet('{no_run / findings.RUNS}') LIMIT 0) TO '{no_run / 'empty.parquet'}'")
    (no_run / "empty.parquet").replace(no_run / findings.RUNS)
    _fails(["--findings", no_run, *out], "the findings hold no run")


# --------------------------------------------------------------------------- session and spark-submit

def test_a_session_started_here_is_local_and_quiet():
    master, settings = session_settings(None, launched=False)
    assert master == DEFAULT_MASTER
    assert settings["spark.ui.enabled"] == "false" and settings["spark.driver.host"] == "127.0.0.1"
    master, settings = session_settings("spark://host:7077", launched=False)
    assert master == "spark://host:7077" and "spark.driver.host" not in settings  # executors must reach it


def test_under_spark_submit_its_master_and_settings_stand():
    master, settings = session_settings(None, launched=True)
    assert master is None  # the builder gets no master: spark-submit's --master is used
    assert settings == SQL_CONF  # only what the checks need: no UI, partition or bind settings
    master, settings = session_settings("local[2]", launched=True, shuffle_partitions=8)
    assert master == "local[2]" and settings["spark.sql.shuffle.partitions"] == "8"


def _submit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    from newsproof.spark import submit

    return subprocess.run([sys.executable, submit.__file__, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, check=False)


def test_the_submit_script_takes_the_options_of_validate_and_exits_2_on_bad_input(tmp_path: Path):
    """Run as spark-submit runs it (a script, outside its package), up to where Spark would start."""
    usage = _submit("--help", cwd=tmp_path)
    assert usage.returncode == 0 and "spark-submit submit.py" in usage.stdout and "--findings-dir" in usage.stdout
    html_too = _submit("--html", str(tmp_path / "h"), "datasets/x", cwd=tmp_path)
    assert html_too.returncode == 2 and "--html need --engine duckdb" in html_too.stderr
    bad_table = _submit("--table", "figures", cwd=tmp_path)
    assert bad_table.returncode == 2 and "is not TABLE=catalog.table" in bad_table.stderr
    bad_option = _submit("--fail-on", "never", cwd=tmp_path)
    assert bad_option.returncode == 2 and "--fail-on" in bad_option.stderr
    for done in (usage, html_too, bad_table, bad_option):
        assert "Traceback" not in done.stderr and not re.search(r"\bSparkContext\b", done.stderr)
