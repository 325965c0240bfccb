"""`newsproof init` / `run` / `history` / `diff`: the project file, the run itself, publishing,
history and diffs, on tmp copies of the bundled datasets.

Most projects here use a small suite of the built-in SQL checks plus the bundled custom SQL
check (written into the project as a suite file), so a run takes about a second; one test runs
the default suite end to end.
"""

from __future__ import annotations

import csv
import json
import os
import pty
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsproof.cli import main
from newsproof.config import CONFIG_FILE, init_config, read_config, render_config
from newsproof.errors import LockTimeout, NewsproofError
from newsproof.runs import (LATEST, RUNS_DIR, ProgressEvent, diff_runs, latest_run_id, lock_path,
                            progress_printer, project_lock, prune_runs, publish_report, run_history,
                            run_project, warnings_to_progress)
from newsproof.store import connect

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO / "datasets"
FAST_SUITE = "fast-suite.yaml"


# --------------------------------------------------------------------------- helpers (shared)

def fast_suite_text() -> str:
    custom_sql = REPO / "validators" / "custom" / "figure-unit-singular.sql"
    return f"""suite: fast
version: "1"
description: Built-in SQL checks and the bundled custom SQL check.
checks:
  - reference-dangling
  - duplicate-key
  - load-rejected-row
  - bounds-order
  - attribution-missing
  - id: figure-unit-singular
    sql: {json.dumps(str(custom_sql))}
    severity: warning
    description: Units are singular nouns.
    tables: [figures]
"""


def make_project(root: Path, *, keep: int = 0, notify: str | None = None) -> Path:
    """A project folder: its own copy of korea-ukraine (to mutate), the bundled synthetic
    follow-ups (never changed), the fast suite, and newsproof.toml with relative paths."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(DATASETS / "korea-ukraine", root / "korea-ukraine")
    (root / FAST_SUITE).write_text(fast_suite_text(), encoding="utf-8")
    (root / CONFIG_FILE).write_text(render_config(
        datasets=["korea-ukraine", str(DATASETS / "synthetic-followups")], suites=[FAST_SUITE],
        keep=keep, notify=notify), encoding="utf-8")
    return root / CONFIG_FILE


def edit_csv(path: Path, key: str, changes: dict[str, str] | None = None) -> None:
    """Change cells of the row whose first column is `key`, or delete the row (no changes)."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert any(next(iter(r.values())) == key for r in rows), key
    kept = [dict(r, **(changes or {})) if next(iter(r.values())) == key else r
            for r in rows if changes is not None or next(iter(r.values())) != key]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)


def newsproof(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
              ) -> subprocess.CompletedProcess:
    """The real command in a child process."""
    child_env = {k: v for k, v in os.environ.items() if k not in ("NEWSPROOF_TEST_PAUSE_AT", "CI")}
    return subprocess.run([sys.executable, "-m", "newsproof", *args], cwd=cwd, capture_output=True, text=True,
                          env={**child_env, **(env or {})}, timeout=timeout)


def finding_checks(rows) -> list[str]:
    return sorted(r.check_id for r in rows)


# --------------------------------------------------------------------------- project file

def test_init_writes_a_project_file_that_reads_back(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    shutil.copytree(DATASETS / "korea-ukraine", tmp_path / "data" / "ku")
    (tmp_path / "data" / "my-suite.yaml").write_text(fast_suite_text(), encoding="utf-8")
    notify = 'printf "%s" "$(cat)" > "last run.json" # quotes \\ and \x7f'
    path = init_config("proj", datasets=["data/ku", DATASETS / "synthetic-followups"], keep=7,
                       fail_on="warning", notify=notify, suites=["default", "data/my-suite.yaml"])
    config = read_config(path)
    assert config.datasets == (Path("data/ku"), DATASETS / "synthetic-followups")
    assert '"../data/ku"' in path.read_text()  # stored relative to the project file
    assert config.db == Path("proj/newsproof.duckdb") and config.reports == Path("proj/reports")
    assert config.suites == ("default", "data/my-suite.yaml")
    assert (config.keep, config.fail_on, config.notify) == (7, "warning", notify)


def test_init_refuses_to_overwrite_without_force(tmp_path):
    runner = CliRunner()
    first = runner.invoke(main, ["init", str(tmp_path), "--dataset", str(DATASETS / "korea-ukraine")])
    assert first.exit_code == 0, first.output
    again = runner.invoke(main, ["init", str(tmp_path)])
    assert again.exit_code == 2 and "already exists" in again.output and "--force" in again.output
    assert "korea-ukraine" in (tmp_path / CONFIG_FILE).read_text()
    forced = runner.invoke(main, ["init", str(tmp_path), "--force", "--keep", "3"])
    assert forced.exit_code == 0
    assert read_config(tmp_path / CONFIG_FILE).keep == 3 and not read_config(tmp_path / CONFIG_FILE).datasets
    missing = runner.invoke(main, ["init", str(tmp_path / "other"), "--dataset", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "dataset folder not found" in missing.output


@pytest.mark.parametrize("text, message, line", [
    ('datasets = ["a"]\nkeep = -1\n', "keep must be", 2),
    ('datasets = ["a"]\n\nfail_on = "fatal"\n', "fail_on must be one of", 3),
    ('datasets = ["a"]\nschedule = "daily"\n', "unknown setting 'schedule'", 2),
    ('datasets = "a"\n', "datasets must be a list", 1),
    ('datasets = ["a"\nkeep = 3\n', "not valid TOML", 2),
])
def test_bad_project_files_name_file_and_line(tmp_path, text, message, line):
    path = tmp_path / CONFIG_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(NewsproofError) as info:
        read_config(path)
    assert message in info.value.message
    assert (info.value.file, info.value.line) == (str(path), line)


# --------------------------------------------------------------------------- a whole run

def test_init_and_run_in_an_empty_folder(tmp_path):
    # The fast suite lives outside the project folder (the default suite's GX checks take ~10 s).
    suite = tmp_path / "suites" / FAST_SUITE
    suite.parent.mkdir()
    suite.write_text(fast_suite_text(), encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    init = newsproof("init", "--dataset", str(DATASETS / "korea-ukraine"), "--suite", str(suite), cwd=project)
    assert init.returncode == 0, init.stderr
    done = newsproof("run", "--trigger", "test", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "PASSED" in done.stdout
    assert done.stderr.startswith("newsproof run: [1/4] loading ")  # plain progress lines, no TTY
    latest = project / "reports" / LATEST
    assert latest.is_symlink() and (latest / "index.html").is_file()
    history = newsproof("history", "--format", "json", cwd=project)
    (record,) = json.loads(history.stdout)
    assert (record["suite"], record["status"], record["trigger"]) == ("fast", "passed", "test")
    assert Path(record["report_path"]) == (project / "reports" / RUNS_DIR / record["run_id"] / "index.html")


def test_three_runs_history_and_diff(tmp_path):
    config = read_config(make_project(tmp_path))
    ku = tmp_path / "korea-ukraine"
    clean = run_project(config, trigger="test")
    assert clean.exit_code == 0 and clean.suite_runs[0].diff is None
    assert [load.unchanged for load in clean.loads] == [False, False]

    edit_csv(ku / "attributions.csv", "ku-a01")  # figure ku-f01 loses its attribution: to be fixed
    edit_csv(ku / "figures.csv", "ku-f02", {"unit": "brigades"})  # a plural unit: stays
    broken = run_project(config, trigger="test")
    assert broken.exit_code == 1
    assert [load.unchanged for load in broken.loads] == [False, True]  # only the edited dataset reloads

    shutil.copy(DATASETS / "korea-ukraine" / "attributions.csv", ku / "attributions.csv")
    edit_csv(ku / "figures.csv", "ku-f04", {"lower": "3"})  # lower above upper: new
    mixed = run_project(config, trigger="test")
    assert mixed.exit_code == 1

    run_ids = [o.suite_runs[0].result.run_id for o in (clean, broken, mixed)]
    changes = mixed.suite_runs[0].diff
    assert (changes.run_a, changes.run_b) == (run_ids[1], run_ids[2])
    assert changes.counts == {"new": 1, "fixed": 1, "still_failing": 1}

    con = connect(config.db, read_only=True)
    try:
        assert [r.run_id for r in run_history(con)] == run_ids[::-1]
        assert [r.status for r in run_history(con)] == ["failed", "failed", "passed"]
        found = diff_runs(con, run_ids[1], run_ids[2])
        first = diff_runs(con, run_ids[0][:-2], run_ids[1])  # a unique prefix will do
    finally:
        con.close()
    assert finding_checks(found.new) == ["bounds-order"] and found.new[0].row_key == "ku-f04"
    assert finding_checks(found.fixed) == ["attribution-missing"] and found.fixed[0].row_key == "ku-f01"
    assert finding_checks(found.still_failing) == ["figure-unit-singular"]
    assert found.still_failing[0].line == 3 and found.still_failing[0].value == "brigades"
    assert finding_checks(first.new) == ["attribution-missing", "figure-unit-singular"]
    assert not first.fixed and not first.still_failing

    runner = CliRunner()
    text = runner.invoke(main, ["diff", "--config", str(config.path)])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0].endswith(f"{run_ids[1]} -> {run_ids[2]}: 1 new, 1 fixed, 1 still failing")
    assert [line.split()[:3] for line in lines[1:]] == [
        ["NEW", "error", "bounds-order:"], ["FIXED", "error", "attribution-missing:"],
        ["STILL", "warning", "figure-unit-singular:"]]
    assert "korea-ukraine/figures.csv:5 [figures ku-f04]" in lines[1]
    as_json = json.loads(runner.invoke(main, ["diff", run_ids[0], run_ids[2], "--db", str(config.db),
                                              "--format", "json"]).output)
    assert as_json["counts"] == {"new": 2, "fixed": 0, "still_failing": 0}
    table = runner.invoke(main, ["history", "--config", str(config.path), "--limit", "2"])
    assert [line.split()[0] for line in table.output.splitlines()[2:4]] == run_ids[:0:-1]
    assert table.output.splitlines()[-1] == "(2 rows)"
    one = runner.invoke(main, ["diff", run_ids[0], "--db", str(config.db)])
    assert one.exit_code == 2 and "give two runs" in one.output
    unknown = runner.invoke(main, ["diff", "nope", run_ids[0], "--db", str(config.db)])
    assert unknown.exit_code == 2 and "no run 'nope'" in unknown.output


def test_keep_prunes_old_runs_and_their_reports_but_never_latest(tmp_path):
    config = read_config(make_project(tmp_path, keep=2))
    outcomes = [run_project(config, trigger="test") for _ in range(3)]
    run_ids = [o.suite_runs[0].result.run_id for o in outcomes]
    assert outcomes[2].pruned == [run_ids[0]]
    runs_dir = config.reports / RUNS_DIR
    assert sorted(p.name for p in runs_dir.iterdir()) == sorted(run_ids[1:])
    assert latest_run_id(config.reports) == run_ids[2]

    # Point latest back at the oldest kept run, as after a run that could not publish.
    tmp_link = config.reports / "relink"
    os.symlink(Path(RUNS_DIR) / run_ids[1], tmp_link)
    os.replace(tmp_link, config.reports / LATEST)
    con = connect(config.db)
    try:
        assert prune_runs(con, config.reports, keep=1) == []  # the newest is kept, latest too
        count = {t: con.execute(f"SELECT count(DISTINCT run_id) FROM {t}").fetchone()[0]
                 for t in ("qa_runs", "qa_results", "qa_run_context")}
    finally:
        con.close()
    assert count == {"qa_runs": 2, "qa_results": 2, "qa_run_context": 2}
    assert (config.reports / LATEST / "index.html").is_file()


def test_notify_gets_the_summary_and_a_failing_notify_does_not_change_the_verdict(tmp_path):
    config = read_config(make_project(tmp_path, notify="cat > notified.json"))
    outcome = run_project(config, trigger="test")
    summary = json.loads((tmp_path / "notified.json").read_text())
    assert summary["status"] == "passed" and summary["exit_code"] == 0 and outcome.notify_error is None
    assert summary["runs"][0]["run_id"] == outcome.suite_runs[0].result.run_id
    assert summary["runs"][0]["report"].endswith("index.html")
    assert [d["name"] for d in summary["datasets"]] == ["korea-ukraine", "synthetic-followups"]

    failing = read_config(make_project(tmp_path / "again", notify="echo mail server down >&2; exit 3"))
    events: list[ProgressEvent] = []
    outcome = run_project(failing, trigger="test", progress=events.append)
    assert outcome.exit_code == 0
    assert outcome.notify_error == "notify command exited with 3: mail server down"
    assert [e.event for e in events][-2:] == ["notify-failed", "done"]


def test_progress_events_and_json_log_lines(tmp_path):
    config = read_config(make_project(tmp_path))
    events: list[ProgressEvent] = []
    run_project(config, trigger="test", progress=events.append)
    assert [(e.event, e.step) for e in events if e.event != "loaded"] == [
        ("load", 1), ("load", 2), ("validate", 3), ("publish", 4), ("prune", 5), ("done", 5)]
    assert all(e.total == 5 for e in events)

    log = tmp_path / "progress.log"
    with log.open("w") as stream:
        printer = progress_printer(stream, "json")
        printer(events[0])
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings_to_progress(printer)
            warnings.warn("a library complains", UserWarning)
    first, warned = (json.loads(line) for line in log.read_text().splitlines())
    assert (first["event"], first["step"], first["dataset"]) == ("load", 1, str(tmp_path / "korea-ukraine"))
    assert (warned["event"], warned["message"]) == ("warning", "UserWarning: a library complains")

    controller, terminal = pty.openpty()  # a real terminal: the bar redraws one line
    with os.fdopen(terminal, "w") as tty:
        bar = progress_printer(tty)
        for event in events:
            bar(event)
    drawn = b""
    while True:  # the terminal delivers in pieces; it reports EIO once drained and closed
        try:
            chunk = os.read(controller, 1 << 16)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(controller)
    drawn = drawn.decode()
    assert drawn.startswith("\r[####") and "1/5 loading" in drawn
    assert drawn.rstrip().endswith("[" + "#" * 24 + "] 5/5 passed") and drawn.count("\n") == 1


def test_second_run_waits_for_the_lock_then_names_the_holder(tmp_path):
    db = tmp_path / "project.duckdb"
    with project_lock(db, command="newsproof run --config here.toml"):
        holder = json.loads(lock_path(db).read_text())
        assert holder["pid"] == os.getpid() and holder["command"] == "newsproof run --config here.toml"
        with pytest.raises(LockTimeout) as info:
            with project_lock(db, wait=0.3):
                pass
    assert f"pid {os.getpid()} on " in info.value.message and "here.toml" in info.value.message
    with project_lock(db, wait=0):  # released on exit
        pass


def test_latest_folder_in_the_way_and_leftovers_of_killed_runs(tmp_path):
    config = read_config(make_project(tmp_path))
    (config.reports / LATEST).mkdir(parents=True)
    with pytest.raises(NewsproofError, match="latest is a folder"):
        run_project(config, trigger="test")
    (config.reports / LATEST).rmdir()
    leftover = config.reports / ".building-20250101T000000Z-abcdef"
    leftover.mkdir()
    (leftover / "index.html").write_text("half")
    run_project(config, trigger="test")
    assert not leftover.exists() and (config.reports / LATEST / "index.html").is_file()


def test_a_report_that_fails_to_build_is_not_published(tmp_path):
    config = read_config(make_project(tmp_path))
    first = run_project(config, trigger="test").suite_runs[0]
    con = connect(config.db)
    try:
        with pytest.raises(NewsproofError):
            publish_report(con, config.db, config.reports, "20250101T000000Z-0000ff")  # no such run
    finally:
        con.close()
    assert sorted(p.name for p in config.reports.iterdir()) == [LATEST, RUNS_DIR]
    assert latest_run_id(config.reports) == first.result.run_id


def test_problems_before_any_write_exit_2(tmp_path):
    config_path = make_project(tmp_path)
    text = config_path.read_text().replace(f'"{FAST_SUITE}"', '"no-such-suite"')
    config_path.write_text(text)
    done = newsproof("run", "--config", str(config_path), "--log-format", "json", cwd=tmp_path)
    assert done.returncode == 2
    error = json.loads(done.stderr.splitlines()[-1])
    assert error["event"] == "error" and "no suite named 'no-such-suite'" in error["message"]
    assert not (tmp_path / "newsproof.duckdb").exists()
    assert "Traceback" not in done.stderr
    missing = CliRunner().invoke(main, ["run", "--config", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2 and "project file not found" in missing.output
