"""Resources: a large file loads in bounded memory; a full disk is a clear error, not damage.

Memory: `newsproof load` of a ~200 MB figures.csv (a ~1 GB one under `make fuzz`) runs in a
child process whose peak RSS, read with getrusage(RUSAGE_CHILDREN) in a wrapper process of its
own, stays under 256 MB (interpreter and libraries) + 1.75 x the file size: 2 GB for 1 GB.

Full disk: the command runs with a file size limit (RLIMIT_FSIZE, SIGXFSZ ignored so a write
fails with EFBIG instead of killing it) below the size its database needs, so its writes fail
part-way, as on a full disk. It exits 2 with "disk full or file too large" and no traceback, and the database, the
published report and the lock are as they were.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import DATASETS, FUZZ, NEWSPROOF, read_db
from newsproof.load import load_dataset

GB = 1 << 30
MB = 1 << 20
FIGURE_ROW_BYTES = 127  # one row of the generated file, as COPY writes it
STREAM_BYTES = 1 * GB if FUZZ else 200 * MB
BASE_RSS = 256 * MB
RSS_PER_FILE_BYTE = 1.75


def write_figures(path: Path, rows: int) -> None:
    con = duckdb.connect()
    try:
        con.execute(f"""COPY (
          SELECT 'big-f' || i AS figure_id, 'wire-' || (i % 1000) AS article_id, NULL AS claim_id,
                 934 AS char_start, 953 AS char_end, 'over 1,500 soldiers' AS value_text, 1500 + i % 997 AS value,
                 'over' AS qualifier, 1500 + i % 997 AS lower, NULL AS upper, 'soldier' AS unit,
                 'north-korean-troops' AS subject, 'sent-to-russia-for-training' AS measure, NULL AS as_of,
                 NULL AS linked_figure_id
          FROM range({rows}) t(i)) TO '{path}' (HEADER)""")
    finally:
        con.close()


def big_dataset(parent: Path, rows: int) -> Path:
    folder = Path(shutil.copytree(DATASETS / "korea-ukraine", parent / "big"))
    write_figures(folder / "figures.csv", rows)
    return folder


# --------------------------------------------------------------------------- memory

PEAK_RSS = """import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(json.dumps({"rc": done.returncode, "stderr": done.stderr[-2000:],
                  "peak_rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}))
"""


def peak_rss(*command: str | Path) -> tuple[int, int, str]:
    """Run a command in a fresh wrapper process; return its exit code, peak RSS (bytes), stderr."""
    wrapper = subprocess.run([sys.executable, "-c", PEAK_RSS, *map(str, command)], capture_output=True, text=True,
                             timeout=1800, check=True)
    report = json.loads(wrapper.stdout)
    return report["rc"], report["peak_rss"], report["stderr"]


@pytest.mark.xfail(strict=True, reason=(
    "loader bug: the fast CSV path stages the whole file in a DuckDB temp table held in memory (no "
    "memory_limit, so DuckDB never spills): peak RSS ~ 180 MB + 2.5 x the file (2.7 GB for 1 GB)"))
def test_a_large_file_loads_in_bounded_memory(tmp_path):
    free = shutil.disk_usage(tmp_path).free
    if free < 5 * GB:
        pytest.skip(f"needs 5 GB free in {tmp_path} for the file and its database, has {free / GB:.1f} GB")
    folder = big_dataset(tmp_path, STREAM_BYTES // FIGURE_ROW_BYTES)
    size = (folder / "figures.csv").stat().st_size
    assert abs(size - STREAM_BYTES) < STREAM_BYTES * 0.05
    db = tmp_path / "big.duckdb"
    code, rss, stderr = peak_rss(NEWSPROOF, "load", folder, "--db", db)
    assert code == 0, stderr
    with read_db(db) as con:
        assert con.execute("SELECT count(*) FROM figures").fetchone()[0] == STREAM_BYTES // FIGURE_ROW_BYTES
    budget = BASE_RSS + RSS_PER_FILE_BYTE * size
    assert rss < budget, f"peak RSS {rss / MB:.0f} MB for a {size / MB:.0f} MB file (budget {budget / MB:.0f} MB)"


# --------------------------------------------------------------------------- full disk

ROOM = 512 * 1024  # bytes a write may reach: less than any of these databases needs


def limited(limit: int):
    """preexec_fn: writes past `limit` bytes fail with EFBIG (SIGXFSZ would kill the process)."""
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def run_limited(limit: int, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(NEWSPROOF), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          preexec_fn=limited(limit), timeout=600, check=False)


def state(db: Path) -> dict:
    con = duckdb.connect(str(db))  # read-write: replays the log as the next command would
    try:
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        return {t: con.execute(f"SELECT count(*), sum(hash(x)) FROM (SELECT * EXCLUDE (loaded_at) FROM {t}) x"
                               if t == "datasets" else f"SELECT count(*), sum(hash(x)) FROM {t} x").fetchone()
                for t in sorted(tables)}
    finally:
        con.close()


def assert_refused_for_room(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr[-3000:])
    assert "Traceback" not in done.stderr
    assert "disk full or file too large" in done.stderr


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return big_dataset(tmp_path_factory.mktemp("full-disk"), 200_000)


def test_a_load_on_a_full_disk_leaves_the_database_as_it_was(big, tmp_path):
    db = tmp_path / "db.duckdb"
    load_dataset(DATASETS / "synthetic-followups", db)
    load_dataset(DATASETS / "korea-ukraine", db)
    before = state(db)
    done = run_limited(ROOM, "load", big, "--db", db)
    assert_refused_for_room(done)
    assert state(db) == before


def test_a_first_load_on_a_full_disk_leaves_no_database(big, tmp_path):
    db = tmp_path / "db.duckdb"
    done = run_limited(ROOM, "load", big, "--db", db)
    assert_refused_for_room(done)
    assert not db.exists() and not db.with_name(db.name + ".wal").exists()


def test_a_validation_on_a_full_disk_records_no_run(big, tmp_path):
    db = tmp_path / "db.duckdb"
    load_dataset(big, db)
    before = state(db)
    # 200,000 findings (no figure is attributed) to write, with no room for them.
    done = run_limited(ROOM, "validate", "--db", db, "--select", "attribution-missing")
    assert_refused_for_room(done)
    assert state(db) == before


def test_a_run_on_a_full_disk_keeps_database_report_and_lock(big, tmp_path):
    (tmp_path / "fast.yaml").write_text("suite: fast\nchecks:\n  - attribution-missing\n  - bounds-order\n",
                                        encoding="utf-8")
    config = tmp_path / "newsproof.toml"
    config.write_text(f'datasets = ["{DATASETS / "korea-ukraine"}"]\nsuites = ["fast.yaml"]\n', encoding="utf-8")
    first = subprocess.run([str(NEWSPROOF), "run", "--config", config], capture_output=True, text=True, cwd=tmp_path,
                           timeout=600, check=False)
    assert first.returncode == 0, first.stderr
    db, latest = tmp_path / "newsproof.duckdb", tmp_path / "reports" / "latest"
    before, published = state(db), os.readlink(latest)
    # The big dataset replaces the small one: 200,000 figures without attribution to load and report.
    config.write_text(f'datasets = ["{big}"]\nsuites = ["fast.yaml"]\n', encoding="utf-8")
    done = run_limited(ROOM, "run", "--config", config, "--wait", "0", cwd=tmp_path)
    assert_refused_for_room(done)
    assert state(db) == before
    assert os.readlink(latest) == published and (latest / "index.html").is_file()
    assert not list((tmp_path / "reports").glob(".building-*"))
    # The lock was released: the next run (with room) goes ahead at once.
    again = subprocess.run([str(NEWSPROOF), "run", "--config", config, "--wait", "0"], capture_output=True,
                           text=True, cwd=tmp_path, timeout=600, check=False)
    assert again.returncode == 1, again.stderr  # 200,000 figures without attribution
