"""SIGKILL `newsproof load` and `newsproof run` at seeded random moments on a large dataset.

After every kill the database opens, and each table holds exactly the state before the command
or exactly the state after it (row count and a checksum of every row), all tables the same side:
never a mix, never half a dataset. Every run in the history is whole, and `reports/latest` is a
complete report of one of them.

The figures file has 1,000,000 narrow rows (short ids and words, so a load takes seconds).
`make test` kills 12 loads and 10 runs, `make fuzz` (NEWSPROOF_FUZZ=1) 60 of each. Kill moments
are drawn from a seeded generator over the time a full command takes on this machine, measured
first, so they fall before, inside and after the commit.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import DATASETS, FUZZ
from newsproof.store import connect

FIGURES = 1_000_000
# 22 kills keep this file near 90 s on 2 cores (a load of the million rows takes about 5 s, a
# run 6 s); 20 of each took 140 s.
LOAD_KILLS = 60 if FUZZ else 12
RUN_KILLS = 60 if FUZZ else 10
SEED = 20261126
DATA_TABLES = ("articles", "sources", "claims", "figures", "attributions", "article_sentences", "datasets",
               "dataset_files", "load_errors")
SUITE = """suite: crash
description: Fast checks over the large figures table.
params:
  about_tolerance: 0.1
checks:
  - duplicate-key
  - load-rejected-row
  - qualifier-bounds
  - bounds-order
  - offset-out-of-range
"""


def write_figures(path: Path, version: int) -> None:
    """Version 0 and 1 differ in row count, every value, and rejected rows (1 has bad values).
    The figures cite wire copy that is not in the dataset, so no article page holds them all."""
    rows = FIGURES + version * 1_000
    con = duckdb.connect()
    try:
        con.execute(f"""COPY (
          SELECT 'f' || i AS figure_id, 'w' || (i % 1000) AS article_id, NULL AS claim_id, 0 AS char_start,
                 1 AS char_end, '1' AS value_text,
                 CASE WHEN {version} = 1 AND i % 20000 = 7 THEN 'many' ELSE CAST(1500 + (i + {version}) % 997 AS VARCHAR) END AS value,
                 'over' AS qualifier,
                 CASE WHEN {version} = 1 AND i % 5000 = 3 THEN 99999 ELSE 1500 + (i + {version}) % 997 END AS lower,
                 NULL AS upper, 's' AS unit, 's' AS subject, 'm' AS measure, NULL AS as_of, NULL AS linked_figure_id
          FROM range({rows}) t(i)) TO '{path}' (HEADER, DELIMITER ',')""")
    finally:
        con.close()


class BigDataset:
    """The korea-ukraine files plus a large figures.csv, switchable between two versions."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = Path(shutil.copytree(DATASETS / "korea-ukraine", root / "big"))
        (self.folder / "dataset.yaml").write_text(
            "name: big\nfiles:\n  articles: articles.jsonl\n  sources: sources.csv\n  claims: claims.csv\n"
            "  figures: figures.csv\n  attributions: attributions.csv\n", encoding="utf-8")
        self.versions = [root / "figures-0.csv", root / "figures-1.csv"]
        for version, path in enumerate(self.versions):
            write_figures(path, version)
        self.states: list[dict] = []
        self.references: list[Path] = []  # a database after a complete load of each version
        self.load_seconds = 0.0  # the longer of the two complete loads

    def install(self, version: int) -> None:
        tmp = self.folder / "figures.csv.tmp"
        shutil.copyfile(self.versions[version], tmp)
        os.replace(tmp, self.folder / "figures.csv")


def checksum(con: duckdb.DuckDBPyConnection, table: str) -> tuple:
    """(rows, sum of a hash of every row) - load times left out, they differ between loads."""
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]).fetchone()[0]:
        return (0, None)
    exclude = " EXCLUDE (loaded_at)" if table == "datasets" else ""
    return con.execute(f"SELECT count(*), sum(hash(t)) FROM (SELECT *{exclude} FROM {table}) t").fetchone()


def data_state(db: Path) -> dict[str, tuple]:
    """Open the database as the next command would (replaying its log) and sum up its data."""
    con = connect(db)
    try:
        return {table: checksum(con, table) for table in DATA_TABLES}
    finally:
        con.close()


def assert_runs_whole(db: Path) -> set[str]:
    """Every run has all its results and findings, and no row belongs to a run that is not there."""
    con = connect(db, read_only=True)
    try:
        runs = {r for (r,) in con.execute("SELECT run_id FROM qa_runs").fetchall()}
        orphans = con.execute(
            "SELECT (SELECT count(*) FROM qa_results WHERE run_id NOT IN (SELECT run_id FROM qa_runs)), "
            "(SELECT count(*) FROM qa_failures WHERE run_id NOT IN (SELECT run_id FROM qa_runs)), "
            "(SELECT count(*) FROM qa_run_context WHERE run_id NOT IN (SELECT run_id FROM qa_runs))").fetchone()
        partial = con.execute(
            "SELECT r.run_id, r.checks_run, count(q.check_id), "
            "coalesce(sum(q.failure_count), 0), (SELECT count(*) FROM qa_failures f WHERE f.run_id = r.run_id) "
            "FROM qa_runs r LEFT JOIN qa_results q USING (run_id) GROUP BY ALL "
            "HAVING count(q.check_id) <> r.checks_run OR coalesce(sum(q.failure_count), 0) <> "
            "(SELECT count(*) FROM qa_failures f WHERE f.run_id = r.run_id)").fetchall()
    finally:
        con.close()
    # (A run may lack its qa_run_context row: `run` adds it just after the validation commits.)
    assert orphans == (0, 0, 0), "rows of a run that is not in qa_runs"
    assert partial == [], "a run without all its results or findings"
    return runs


def newsproof(*args: str | Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("NEWSPROOF_TEST_PAUSE_AT", "CI")}
    return subprocess.Popen([sys.executable, "-m", "newsproof", *map(str, args)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def timed(proc: subprocess.Popen) -> float:
    started = time.monotonic()
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode in (0, 1), stderr
    return time.monotonic() - started


def kill_after(proc: subprocess.Popen, delay: float) -> bool:
    """SIGKILL `proc` after `delay` seconds; True if it was still running (really killed)."""
    try:
        _, stderr = proc.communicate(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
        if proc.returncode == -signal.SIGKILL:
            return True
        # It ended between the timeout and the kill.
    assert proc.returncode in (0, 1), stderr
    return False
    assert proc.returncode in (0, 1), stderr
    return False


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> BigDataset:
    """Both versions, and the state each leaves after a complete load (one database each)."""
    dataset = BigDataset(tmp_path_factory.mktemp("crash"))
    for version in (0, 1):
        dataset.install(version)
        db = dataset.root / f"reference-{version}.duckdb"
        dataset.load_seconds = max(dataset.load_seconds, timed(newsproof("load", dataset.folder, "--db", db)))
        dataset.states.append(data_state(db))
        dataset.references.append(db)
    assert dataset.states[0]["figures"][0] == FIGURES and dataset.states[1]["figures"][0] < FIGURES + 1_000
    assert dataset.states[0] != dataset.states[1]
    return dataset


def which_state(big: BigDataset, state: dict, allowed: tuple[int, ...]) -> int:
    """The version whose complete load the database holds (empty counts as -1)."""
    empty = {table: (0, None) for table in DATA_TABLES}
    candidates = {-1: empty, **{v: big.states[v] for v in (0, 1)}}
    for version in allowed:
        if state == candidates[version]:
            return version
    mixed = {t: state[t] for t in DATA_TABLES if all(state[t] != candidates[v][t] for v in allowed)}
    raise AssertionError(f"the database is in neither state {allowed}: tables {sorted(mixed)} differ")


def test_killed_loads_leave_the_old_or_the_new_dataset(big, tmp_path):
    rng = random.Random(SEED)
    db = tmp_path / "load.duckdb"
    shutil.copyfile(big.references[0], db)  # closed cleanly: the file is the whole database
    full = big.load_seconds
    current = which_state(big, data_state(db), (0,))
    outcomes = {"killed-old": 0, "killed-new": 0, "finished": 0}
    for _ in range(LOAD_KILLS):
        target = 1 - current
        big.install(target)
        killed = kill_after(newsproof("load", big.folder, "--db", db), rng.uniform(0.0, 1.15 * full))
        after = which_state(big, data_state(db), (current, target) if killed else (target,))
        outcomes["finished" if not killed else "killed-new" if after == target else "killed-old"] += 1
        current = after
    assert outcomes["killed-old"] > 0, outcomes  # the kills did land inside loads


def test_a_killed_first_load_leaves_no_data(big, tmp_path):
    rng = random.Random(SEED + 1)
    big.install(0)
    for attempt in range(3):
        db = tmp_path / f"first-{attempt}.duckdb"
        killed = kill_after(newsproof("load", big.folder, "--db", db), rng.uniform(0.0, big.load_seconds))
        if db.exists():
            which_state(big, data_state(db), (-1, 0) if killed else (0,))


def write_project(root: Path, dataset: Path) -> Path:
    (root / "crash.yaml").write_text(SUITE, encoding="utf-8")
    config = root / "newsproof.toml"
    config.write_text(f'datasets = ["{dataset}"]\ndb = "project.duckdb"\nsuites = ["crash.yaml"]\n'
                      f'reports = "reports"\nkeep = 3\n', encoding="utf-8")
    return config


def assert_latest_complete(reports: Path, runs: set[str]) -> None:
    latest = reports / "latest"
    if latest.is_symlink():
        assert latest.resolve().name in runs
        assert (latest / "index.html").is_file()
        assert latest.resolve().parent == (reports / "runs").resolve()


def test_killed_runs_leave_whole_datasets_runs_and_reports(big, tmp_path):
    rng = random.Random(SEED + 2)
    config = write_project(tmp_path, big.folder)
    db, reports = tmp_path / "project.duckdb", tmp_path / "reports"
    shutil.copyfile(big.references[0], db)
    big.install(0)
    # The first run finds the dataset loaded (unchanged); a run that loads a version takes about
    # as long as a load and this run together.
    full = big.load_seconds + timed(newsproof("run", "--config", config, "--trigger", "test"))
    current = which_state(big, data_state(db), (0,))
    runs = assert_runs_whole(db)
    killed_inside = 0
    for _ in range(RUN_KILLS):
        target = 1 - current
        big.install(target)
        killed = kill_after(newsproof("run", "--config", config, "--trigger", "test", "--wait", "60"),
                            rng.uniform(0.0, 1.1 * full))
        after = which_state(big, data_state(db), (current, target) if killed else (target,))
        runs_after = assert_runs_whole(db)
        # A run either committed its validation or left no trace; at most one new run per command.
        assert len(runs_after - runs) <= 1 and (killed or len(runs_after - runs) == 1)
        assert_latest_complete(reports, runs_after)
        killed_inside += killed and (after != target or runs_after == runs)
        current, runs = after, runs_after
    assert killed_inside > 0

    # The next run after all that finishes, publishes and leaves no half-built report behind.
    big.install(1 - current)
    timed(newsproof("run", "--config", config, "--trigger", "test"))
    assert which_state(big, data_state(db), (1 - current,)) == 1 - current
    assert_latest_complete(reports, assert_runs_whole(db))
    assert not list(reports.glob(".building-*")) and not list(reports.glob(".latest-*"))
