"""The README's examples run, and its reference sections match the code (docs that cannot drift)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsproof.contracts import load_contracts
from newsproof.engine import validate
from newsproof.load import load_dataset
from newsproof.suites import load_suite
from test_adhoc_sql import README_DUCKDB_COMMAND
from test_spark_report import write_spark_layout

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)
# A shell line the README test does not run: it needs Java, a cluster, a cloud service...
NOT_RUN = re.compile(r"\s#\s*needs\b")
SPARK_VALIDATE = re.compile(r"newsproof validate --engine spark (\S+) --findings-dir (\S+)")


def section(title: str) -> str:
    start = README.index(f"\n## {title}")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]


def fragments(expected: str) -> list[str]:
    """The pieces of an example output that must appear in the real one (columns are padded
    differently, and `...` stands for what the example leaves out)."""
    pieces = []
    for line in expected.splitlines():
        for piece in re.split(r"\s{2,}", line.strip()):
            piece = piece.strip().removesuffix("...").strip(" -")
            if piece and piece != "...":
                pieces.append(piece)
    return pieces


def test_data_model_section_lists_every_contract_column() -> None:
    text = section("Data model")
    for contract in load_contracts().values():
        assert f"#### `{contract.table}`" in text
        for col in contract.columns:
            assert re.search(rf"\| `{col.name}` \| {re.escape(col.type)} \|", text), (contract.table, col.name)


def test_checks_section_lists_every_check_of_the_default_suite() -> None:
    text = section("Checks")
    for check in load_suite("default").checks:
        assert f"| `{check.id}` | {check.severity} |" in text, check.id


def test_duckdb_cli_example_is_the_tested_one() -> None:
    assert README_DUCKDB_COMMAND in section("Ad-hoc SQL")


def test_the_two_commands_open_the_readme() -> None:
    first = blocks(README)[0][1]
    assert first.splitlines()[0].startswith("make demo") and first.splitlines()[1].startswith("make test")


@pytest.fixture(scope="module")
def tour_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("tour")
    shutil.copytree(ROOT / "datasets", work / "datasets")
    return work


def _run_shell_line(line: str, cwd: Path, tmp: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = line.replace("/tmp/", f"{tmp}/")
    return subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_the_tour_runs_as_written(tour_dir: Path) -> None:
    """Every shell line of the tour exits as the README says (0, or the `# exits N` it notes),
    and each example output block shows what the command before it really prints."""
    tmp = tour_dir / "tmp"
    tmp.mkdir()
    last_output = ""
    for lang, body in blocks(section("A five-minute tour")):
        if lang == "sh":
            for line in body.splitlines():
                if not line.strip():
                    continue
                expected = int(m.group(1)) if (m := re.search(r"# exits (\d)", line)) else 0
                done = _run_shell_line(line.split("  #")[0], tour_dir, tmp)
                assert done.returncode == expected, (line, done.stdout[-2000:], done.stderr[-2000:])
                assert "Traceback" not in done.stderr, line
                last_output = done.stdout + done.stderr
        elif lang == "python":
            code = body.replace('"/tmp/', f'"{tmp}/')
            done = subprocess.run([sys.executable, "-c", code], cwd=tour_dir, capture_output=True,
                                  text=True, timeout=300, check=False)
            assert done.returncode == 0, done.stderr[-2000:]
        elif lang == "":
            squeezed = " ".join(last_output.split())
            for piece in fragments(body.replace("/tmp/", f"{tmp}/")):
                assert " ".join(piece.split()) in squeezed, (piece, last_output[-3000:])


def test_the_ad_hoc_python_example_runs(tour_dir: Path) -> None:
    code = dict((lang, body) for lang, body in blocks(section("Ad-hoc SQL")))["python"]
    db = tour_dir / "adhoc.duckdb"
    load = _run_shell_line(f"newsproof load datasets/korea-ukraine --db {db.name}", tour_dir, tour_dir)
    assert load.returncode == 0, load.stderr
    validate = _run_shell_line(f"newsproof validate --ignore 'gx-*' --db {db.name}", tour_dir, tour_dir)
    assert validate.returncode == 0, validate.stdout
    done = subprocess.run([sys.executable, "-c", code.replace('"newsproof.duckdb"', repr(str(db)))],
                          cwd=tour_dir, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "check_id" in done.stdout


def test_the_spark_section_runs_what_needs_no_spark(tour_dir: Path) -> None:
    """Shell lines of the Spark section run as written unless marked `# needs ...`. For a
    marked `validate --engine spark DATASET --findings-dir DIR`, a DuckDB run of DATASET stands
    in, written to DIR as the Spark engine writes it (test_spark_parity.py shows both engines
    find the same rows), so the `report --findings` after it runs on real findings."""
    tmp = tour_dir / "spark-tmp"
    tmp.mkdir()
    ran = []
    for lang, body in blocks(section("Spark")):
        if lang != "sh":
            continue
        for line in body.replace("\\\n", " ").splitlines():
            command = line.split("  #")[0].strip()
            if not command:
                continue
            if NOT_RUN.search(line):
                if stand_in := SPARK_VALIDATE.fullmatch(command):
                    dataset, findings_dir = (tour_dir / p.replace("/tmp/", f"{tmp}/") for p in stand_in.groups())
                    db = tmp / f"{dataset.name}.duckdb"
                    load_dataset(dataset, db)
                    write_spark_layout(db, validate(db).run_id, findings_dir)
                continue
            done = _run_shell_line(command, tour_dir, tmp)
            assert done.returncode == 0, (line, done.stdout[-2000:], done.stderr[-2000:])
            assert "Traceback" not in done.stderr, line
            ran.append(done.stdout.strip())
    reports = [Path(out) for out in ran if out.endswith("index.html")]
    assert reports and all(index.is_file() for index in reports)
