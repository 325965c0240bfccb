"""Crash safety and concurrency of `newsproof run`, with real processes.

A run started with NEWSPROOF_TEST_PAUSE_AT=load|validate|publish stops itself (SIGSTOP) at that
stage's point of no return - just before a load's or a validation's COMMIT, just before a
report's rename - so the test can SIGKILL it exactly there, or let it go on (SIGCONT).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from newsproof.config import read_config
from newsproof.runs import LATEST, latest_run_id, lock_path, run_project
from newsproof.store import connect
from test_runs import edit_csv, make_project, newsproof

TABLES = ("articles", "sources", "claims", "figures", "attributions", "article_sentences", "datasets",
          "dataset_files", "load_errors", "qa_runs", "qa_results", "qa_failures", "qa_run_context")
FAST_SUITE_CHECKS = 6


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """A project after one complete run (built once, copied for each test)."""
    root = tmp_path_factory.mktemp("baseline") / "project"
    run_project(read_config(make_project(root)), trigger="test")
    return root


@pytest.fixture
def project(baseline: Path, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(baseline, root, symlinks=True)
    return root


def snapshot(root: Path) -> dict:
    """Row counts, dataset fingerprints and the published report: what a crash must not change."""
    con = connect(root / "newsproof.duckdb", read_only=True)
    try:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        fingerprints = con.execute("SELECT list(fingerprint ORDER BY name) FROM datasets").fetchone()[0]
    finally:
        con.close()
    latest = root / "reports" / LATEST
    return {"counts": counts, "fingerprints": fingerprints, "latest": os.readlink(latest),
            "index": (latest / "index.html").read_bytes()}


def start_run(root: Path, *args: str, pause: str | None = None, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("NEWSPROOF_TEST_PAUSE_AT", "CI")}
    if pause:
        env["NEWSPROOF_TEST_PAUSE_AT"] = pause
    return subprocess.Popen(
        [sys.executable, "-m", "newsproof", "run", "--config", str(root / "newsproof.toml"), "--trigger", "test",
         *args], cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=stderr, text=True)


def wait_until_paused(proc: subprocess.Popen, log: Path | None = None) -> None:
    _, status = os.waitpid(proc.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status), f"the run ended instead of pausing: {log.read_text() if log else status}"


@pytest.mark.parametrize("stage", ["load", "validate", "publish"])
def test_a_run_killed_at_any_point_leaves_database_and_report_intact(project, tmp_path, stage):
    before = snapshot(project)
    if stage == "load":  # give the load rows to replace: korea-ukraine loses an attribution
        edit_csv(project / "korea-ukraine" / "attributions.csv", "ku-a01")
    log = tmp_path / "killed.log"
    with log.open("w") as stderr:
        proc = start_run(project, pause=stage, stderr=stderr)
        wait_until_paused(proc, log)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL

    after = snapshot(project)
    assert (after["latest"], after["index"]) == (before["latest"], before["index"])  # the old complete report
    assert after["fingerprints"] == before["fingerprints"]
    grown = {t: after["counts"][t] - before["counts"][t] for t in TABLES}
    if stage == "publish":
        # The validation had committed: its run is in the history, without a report.
        assert grown == {t: {"qa_runs": 1, "qa_results": FAST_SUITE_CHECKS, "qa_run_context": 1}.get(t, 0)
                         for t in TABLES}
        (building,) = (project / "reports").glob(".building-*")
        con = connect(project / "newsproof.duckdb", read_only=True)
        try:
            report_path = con.execute("SELECT report_path FROM qa_run_context WHERE run_id = ?",
                                      [building.name.removeprefix(".building-")]).fetchone()[0]
        finally:
            con.close()
        assert report_path is None
    else:
        assert grown == dict.fromkeys(TABLES, 0)
    # The lock file still names the killed run, but the kernel released its lock: no waiting.
    assert json.loads(lock_path(project / "newsproof.duckdb").read_text())["pid"] == proc.pid

    recovered = newsproof("run", "--config", str(project / "newsproof.toml"), "--wait", "0", cwd=project)
    assert recovered.returncode == (1 if stage == "load" else 0), recovered.stderr
    assert latest_run_id(project / "reports") != Path(before["latest"]).name
    assert (project / "reports" / LATEST / "index.html").is_file()
    assert not list((project / "reports").glob(".building-*"))


def test_two_runs_race_the_second_reports_the_holder_or_waits(project, tmp_path):
    before = snapshot(project)
    log = tmp_path / "holder.log"
    with log.open("w") as stderr:
        holder = start_run(project, pause="validate", stderr=stderr)
        wait_until_paused(holder, log)

        refused = newsproof("run", "--config", str(project / "newsproof.toml"), "--wait", "0", cwd=project)
        assert refused.returncode == 2
        assert (f"another run holds the project lock: pid {holder.pid} on {socket.gethostname()}, started "
                in refused.stderr)
        assert "newsproof run --config" in refused.stderr and "Traceback" not in refused.stderr

        waiting = start_run(project, "--wait", "120", "--log-format", "json", stderr=subprocess.PIPE)
        for line in waiting.stderr:
            event = json.loads(line)
            if event["event"] == "lock-wait":
                break
        assert event["holder"]["pid"] == holder.pid
        os.kill(holder.pid, signal.SIGCONT)
        assert holder.wait(timeout=120) == 0
        assert waiting.wait(timeout=120) == 0
        events = [json.loads(line)["event"] for line in waiting.stderr]
        waiting.stderr.close()
    assert events[-1] == "done"

    after = snapshot(project)
    assert after["counts"]["qa_runs"] == before["counts"]["qa_runs"] + 2
    assert after["counts"]["figures"] == before["counts"]["figures"]
    con = connect(project / "newsproof.duckdb", read_only=True)
    try:
        newest = con.execute("SELECT run_id FROM qa_runs ORDER BY started_at DESC LIMIT 1").fetchone()[0]
    finally:
        con.close()
    assert latest_run_id(project / "reports") == newest
