"""Scheduled validation runs: `newsproof run` loads a project's datasets, validates them and
publishes the HTML report; safe under cron, systemd timers, CI and pre-commit.

What can go wrong, and why it is harmless:

- Two runs at once. A run holds an OS file lock (`flock` on `<db>.lock`) from start to end. A
  second run waits up to `--wait` seconds, then stops (exit 2) naming the holder: pid, host,
  start time and command, which the holder writes into the lock file. The kernel drops the lock
  when its holder dies, however it dies, so stale holder details never block anyone.
- A run killed part-way. Each dataset load and each validation is one DuckDB transaction: the
  database keeps the state before the unfinished one. A report is built in
  `<reports>/.building-<run_id>/`, renamed to `<reports>/runs/<run_id>/` (atomic), and only then
  is `<reports>/latest` repointed, by renaming a fresh symlink over it (atomic). A reader sees the
  old report or the new one, never a half-written one.

Reports folder:

    latest -> runs/<run_id>         symlink to the last published report (with several
                                    suites, each is a run of its own; latest is the last one)
    runs/<run_id>/index.html        one folder per kept run (`keep`, `--keep N` prune the rest)
    .building-<run_id>/             a report being written; one left by a killed run is
                                    removed by the next run
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

import duckdb

from . import engine
from .config import DEFAULT_WAIT, ProjectConfig
from .errors import LockTimeout, NewsproofError
from .findings import FAILED, FAILURE_ROW_COLUMNS, NOT_RUN, FailureRow, ValidationResult, ensure_tables
from .load import LoadResult, load_dataset
from .store import connect, transaction
from .suites import load_suite

LOCK_POLL_S = 0.2
NOTIFY_TIMEOUT_S = 60
RUNS_DIR, LATEST = "runs", "latest"
BUILDING_PREFIX, LATEST_TMP_PREFIX = ".building-", ".latest-"
RUN_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")
DIFF_LIMIT = 1000

# Who started a run, with which project file, and where its report went. A table of its own:
# only `newsproof run` has this context (a `validate` run has none), and the report is published
# after the validation's transaction has committed its qa_runs row.
CONTEXT_DDL = """CREATE TABLE IF NOT EXISTS qa_run_context (
  run_id VARCHAR NOT NULL, trigger VARCHAR, config VARCHAR, report_path VARCHAR, published_at TIMESTAMP)"""


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- lock

@dataclass(frozen=True)
class LockHolder:
    pid: int | None = None
    host: str | None = None
    started_at: str | None = None
    command: str | None = None

    def describe(self) -> str:
        if self.pid is None:
            return "a process that has not written its details yet"
        return f"pid {self.pid} on {self.host}, started {self.started_at}: {self.command}"


def lock_path(db: str | Path) -> Path:
    db = Path(db)
    return db.with_name(db.name + ".lock")


def read_lock_holder(path: Path) -> LockHolder:
    """The details the holder wrote (or an empty holder while it is writing them)."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return LockHolder()
    if not isinstance(info, dict):
        return LockHolder()
    return LockHolder(info.get("pid"), info.get("host"), info.get("started_at"), info.get("command"))


@contextmanager
def project_lock(db: str | Path, *, wait: float = DEFAULT_WAIT, command: str = "newsproof run",
                 on_wait: Callable[[LockHolder], None] | None = None) -> Iterator[Path]:
    """Hold the project's run lock; wait up to `wait` seconds for it, then raise `LockTimeout`."""
    path = lock_path(db)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise NewsproofError(f"cannot open the project lock file: {exc.strerror}", file=str(path),
                             hint="the folder of the database must be writable by the user running newsproof") from None
    try:
        deadline = time.monotonic() + max(wait, 0.0)
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise LockTimeout(
                        f"another run holds the project lock: {read_lock_holder(path).describe()}",
                        file=str(path),
                        hint="it is released when that run ends; wait longer with --wait SECONDS",
                    ) from None
                if not told and on_wait is not None:
                    on_wait(read_lock_holder(path))
                    told = True
                time.sleep(min(LOCK_POLL_S, remaining))
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": _utc_now(), "command": command}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the lock


# --------------------------------------------------------------------------- test pause hook

PAUSE_ENV = "NEWSPROOF_TEST_PAUSE_AT"


def _pause_for_test(stage: str) -> None:
    """Crash-safety tests only. `NEWSPROOF_TEST_PAUSE_AT=load|validate|publish` stops this
    process with SIGSTOP at that stage's point of no return - a load or a validation just before
    its COMMIT, a report just before its rename - so a test can SIGKILL (or SIGCONT) it there
    deterministically. Unset, nothing happens."""
    if os.environ.get(PAUSE_ENV) == stage:
        os.kill(os.getpid(), signal.SIGSTOP)


class _PauseBeforeCommit:
    """The run's connection, pausing (see `_pause_for_test`) before it commits."""

    def __init__(self, con: duckdb.DuckDBPyConnection, stage: str) -> None:
        self._con, self._stage = con, stage

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        if sql == "COMMIT":
            _pause_for_test(self._stage)
        return self._con.execute(sql, *args, **kwargs)


def _connection_for(stage: str, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    return _PauseBeforeCommit(con, stage) if os.environ.get(PAUSE_ENV) == stage else con  # type: ignore[return-value]


# --------------------------------------------------------------------------- run context

def ensure_context_table(con: duckdb.DuckDBPyConnection) -> None:
    ensure_tables(con)
    con.execute(CONTEXT_DDL)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()[0])


# --------------------------------------------------------------------------- publish

def _write_report(con: duckdb.DuckDBPyConnection, db: Path, out_dir: Path, run_id: str) -> Path:
    """The HTML report of one run, written into `out_dir`; returns its index.html."""
    from .report import write_report

    return write_report(db, out_dir, run_id=run_id, con=con)


def latest_run_id(reports: Path) -> str | None:
    """The run `<reports>/latest` points at, if any."""
    link = reports / LATEST
    return Path(os.readlink(link)).name if link.is_symlink() else None


def _check_reports_folder(reports: Path) -> None:
    link = reports / LATEST
    if link.exists() and not link.is_symlink():
        raise NewsproofError(f"{LATEST} is a folder, but newsproof run keeps it as a link to runs/<run_id>",
                             file=str(link), hint="move it out of the way (or delete it) and run again")


def _remove_leftovers(reports: Path) -> None:
    """Half-built reports and temporary links of killed runs (only called under the lock)."""
    if not reports.is_dir():
        return
    for entry in reports.iterdir():
        if entry.name.startswith(BUILDING_PREFIX) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        elif entry.name.startswith(LATEST_TMP_PREFIX) and entry.is_symlink():
            entry.unlink()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_report(con: duckdb.DuckDBPyConnection, db: Path, reports: Path, run_id: str) -> Path:
    """Build a run's report beside the published ones, then publish it with two atomic renames:
    the folder to `runs/<run_id>`, a new symlink over `latest`. Returns the published index.html."""
    (reports / RUNS_DIR).mkdir(parents=True, exist_ok=True)
    building = reports / f"{BUILDING_PREFIX}{run_id}"
    building.mkdir()
    try:
        index = _write_report(con, db, building, run_id)
        _pause_for_test("publish")
        final = reports / RUNS_DIR / run_id
        os.rename(building, final)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    tmp_link = reports / f"{LATEST_TMP_PREFIX}{run_id}"
    os.symlink(Path(RUNS_DIR) / run_id, tmp_link)  # relative: the reports folder may move
    os.replace(tmp_link, reports / LATEST)
    _fsync_dir(reports)
    return final / Path(index).resolve().relative_to(building.resolve())


# --------------------------------------------------------------------------- prune

def prune_runs(con: duckdb.DuckDBPyConnection, reports: Path, keep: int) -> list[str]:
    """Keep the newest `keep` runs (0 keeps all): delete older runs' rows in one transaction,
    then their report folders. The run `latest` points at is always kept."""
    if keep <= 0:
        return []
    ensure_context_table(con)
    protected = latest_run_id(reports)
    run_ids = [r[0] for r in con.execute("SELECT run_id FROM qa_runs ORDER BY started_at DESC, run_id DESC").fetchall()]
    pruned = [r for r in run_ids[keep:] if r != protected]
    if pruned:
        with transaction(con):
            for table in ("qa_failures", "qa_results", "qa_run_context", "qa_runs"):
                con.execute(f"DELETE FROM {table} WHERE list_contains(?::VARCHAR[], run_id)", [pruned])
    kept = set(run_ids) - set(pruned)
    runs_dir = reports / RUNS_DIR
    if runs_dir.is_dir():
        # Also the folders of runs pruned by a run that was killed before it got here.
        for folder in runs_dir.iterdir():
            if RUN_ID.match(folder.name) and folder.name not in kept and folder.name != protected:
                shutil.rmtree(folder)
    return pruned


# --------------------------------------------------------------------------- history

@dataclass(frozen=True)
class RunRecord:
    run_id: str
    started_at: datetime
    suite: str
    status: str
    errors: int
    warnings: int
    infos: int
    checks_failed: int
    duration_s: float
    trigger: str | None
    report_path: str | None


def run_history(con: duckdb.DuckDBPyConnection, limit: int | None = 20) -> list[RunRecord]:
    """The newest runs first (runs made by `newsproof validate` too; they have no trigger)."""
    if not _has_table(con, "qa_runs"):
        return []
    # A database only ever validated (never `newsproof run`) has no qa_run_context table.
    has_context = _has_table(con, "qa_run_context")
    context = "c.trigger, c.report_path" if has_context else "NULL, NULL"
    join = "LEFT JOIN qa_run_context c USING (run_id)" if has_context else ""
    sql = (f"SELECT r.run_id, r.started_at, r.suite, r.status, r.errors, r.warnings, r.infos, r.checks_failed, "
           f"r.duration_s, {context} FROM qa_runs r {join} ORDER BY r.started_at DESC, r.run_id DESC")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [RunRecord(*row) for row in con.execute(sql).fetchall()]


# --------------------------------------------------------------------------- diff

@dataclass
class RunDiff:
    """Findings of run B compared with run A, matched by their stable `finding_key`.

    The lists hold up to `limit` findings each (in a stable order); `counts` are exact."""

    run_a: str
    run_b: str
    new: list[FailureRow] = field(default_factory=list)  # in B, not in A (as in B)
    fixed: list[FailureRow] = field(default_factory=list)  # in A, not in B (as they were in A)
    still_failing: list[FailureRow] = field(default_factory=list)  # in both (as in B)
    counts: dict[str, int] = field(default_factory=dict)


def resolve_run_id(con: duckdb.DuckDBPyConnection, text: str) -> str:
    """A run id, or an unambiguous prefix of one."""
    matches = [r[0] for r in con.execute(
        "SELECT run_id FROM qa_runs WHERE starts_with(run_id, ?) ORDER BY run_id", [text]).fetchall()] \
        if _has_table(con, "qa_runs") else []
    if text in matches:
        return text
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NewsproofError(f"no run {text!r} in the database", hint="newsproof history lists the runs")
    raise NewsproofError(f"{text!r} matches {len(matches)} runs", hint="give more of the run id")


def previous_run_id(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """The run of the same suite just before `run_id`."""
    row = con.execute(
        "SELECT p.run_id FROM qa_runs r JOIN qa_runs p ON p.suite = r.suite "
        "AND (p.started_at, p.run_id) < (r.started_at, r.run_id) WHERE r.run_id = ? "
        "ORDER BY p.started_at DESC, p.run_id DESC LIMIT 1", [run_id]).fetchone()
    return row[0] if row else None


def last_two_runs(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """The latest run and the one before it of the same suite (what `newsproof diff` compares)."""
    latest = run_history(con, limit=1)
    if not latest:
        raise NewsproofError("no runs in the database yet", hint="newsproof run (or newsproof validate) makes one")
    before = previous_run_id(con, latest[0].run_id)
    if before is None:
        raise NewsproofError(f"only one run of suite {latest[0].suite!r}; nothing to compare yet",
                             hint="run again, or name two runs: newsproof diff RUN_A RUN_B")
    return before, latest[0].run_id


_DIFF_SQL = f"""SELECT {', '.join(FAILURE_ROW_COLUMNS)} FROM (
  SELECT *, row_number() OVER (PARTITION BY finding_key ORDER BY message, value) AS nth
  FROM qa_failures WHERE run_id = $this AND finding_key {{op}} (
    SELECT finding_key FROM qa_failures WHERE run_id = $other AND finding_key IS NOT NULL))
WHERE nth = 1 ORDER BY check_id, dataset, file, line, row_key, column_name"""


def diff_runs(con: duckdb.DuckDBPyConnection, run_a: str, run_b: str, *, limit: int | None = DIFF_LIMIT) -> RunDiff:
    """New, fixed and still-failing findings of run B against run A."""
    run_a, run_b = resolve_run_id(con, run_a), resolve_run_id(con, run_b)
    diff = RunDiff(run_a, run_b)
    parts = {"new": (run_b, run_a, "NOT IN"), "fixed": (run_a, run_b, "NOT IN"), "still_failing": (run_b, run_a, "IN")}
    for name, (this, other, op) in parts.items():
        sql = _DIFF_SQL.format(op=op)
        params = {"this": this, "other": other}
        diff.counts[name] = con.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
        page = sql + (f" LIMIT {int(limit)}" if limit is not None else "")
        getattr(diff, name).extend(FailureRow(*row) for row in con.execute(page, params).fetchall())
    return diff


def format_diff(diff: RunDiff) -> Iterator[str]:
    """`newsproof diff` as text: a count line, then the findings of each group."""
    c = diff.counts
    yield (f"newsproof diff {diff.run_a} -> {diff.run_b}: {c['new']} new, {c['fixed']} fixed, "
           f"{c['still_failing']} still failing")
    for label, name in (("NEW", "new"), ("FIXED", "fixed"), ("STILL", "still_failing")):
        rows = getattr(diff, name)
        for row in rows:
            key = f" [{row.table_name} {row.row_key}]" if row.row_key else f" [{row.table_name}]"
            yield f"{label:<6} {row.severity:<7} {row.check_id}: {row.location}{key} {row.message}"
        if c[name] > len(rows):
            yield f"{label:<6} ... {c[name] - len(rows)} more (raise --limit)"


# --------------------------------------------------------------------------- progress

@dataclass(frozen=True)
class ProgressEvent:
    step: int
    total: int
    event: str  # lock-wait, load, loaded, validate, publish, prune, notify-failed, warning, error, done
    message: str
    fields: dict[str, Any] = field(default_factory=dict)


Progress = Callable[[ProgressEvent], None]
# Events that report something along the way rather than start a step.
NOTE_EVENTS = ("lock-wait", "loaded", "notify-failed", "warning", "error")


def progress_printer(stream: TextIO, log_format: str = "text") -> Progress:
    """Progress on `stream`: one JSON object per line, a bar on a terminal, else plain lines."""
    if log_format == "json":
        def emit_json(e: ProgressEvent) -> None:
            record = {"time": _utc_now(), "event": e.event, "step": e.step, "total": e.total,
                      "message": e.message, **e.fields}
            print(json.dumps(record, default=str, ensure_ascii=False), file=stream, flush=True)
        return emit_json
    if stream.isatty():
        def emit_bar(e: ProgressEvent, width: int = 24) -> None:
            if e.event in NOTE_EVENTS:
                if e.event != "loaded":  # a note gets its own line; the bar is redrawn below it
                    print(f"\r{e.message:<80}", file=stream, flush=True)
                return
            done = width * e.step // max(e.total, 1)
            bar = f"[{'#' * done}{'-' * (width - done)}] {e.step}/{e.total} {e.message}"
            print(f"\r{bar[:120]:<80}", end="\n" if e.event == "done" else "", file=stream, flush=True)
        return emit_bar

    def emit_line(e: ProgressEvent) -> None:
        counter = "" if e.event in NOTE_EVENTS else f"[{e.step}/{e.total}] "
        print(f"newsproof run: {counter}{e.message}", file=stream, flush=True)
    return emit_line


def warnings_to_progress(progress: Progress) -> None:
    """Send Python warnings (from libraries the checks use) through `progress` instead of raw
    stderr lines, so that `--log-format json` stays one JSON object per line."""
    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None) -> None:
        progress(ProgressEvent(0, 0, "warning", f"{category.__name__}: {message}",
                               {"source": f"{filename}:{lineno}"}))
    warnings.showwarning = show


# --------------------------------------------------------------------------- run

@dataclass
class SuiteRun:
    result: ValidationResult
    report: Path | None = None  # the published index.html
    diff: RunDiff | None = None  # against the previous run of the same suite

    def summary(self) -> dict[str, Any]:
        r = self.result
        return {
            "run_id": r.run_id, "suite": r.suite, "status": "passed" if r.ok else "failed",
            "exit_code": r.exit_code, "counts": r.counts,
            "checks_failed": [c.check_id for c in r.results if c.status in (FAILED, NOT_RUN)],
            "report": str(self.report) if self.report else None,
            "previous_run_id": self.diff.run_a if self.diff else None,
            "changes": self.diff.counts if self.diff else None,
        }


@dataclass
class RunOutcome:
    config: ProjectConfig
    loads: list[LoadResult] = field(default_factory=list)
    suite_runs: list[SuiteRun] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    notify_error: str | None = None

    @property
    def exit_code(self) -> int:
        return max((s.result.exit_code for s in self.suite_runs), default=0)

    def summary(self) -> dict[str, Any]:
        """What `notify` receives on stdin and `--log-format json` prints last."""
        return {
            "config": str(self.config.path), "db": str(self.config.db),
            "status": "passed" if self.exit_code == 0 else "failed", "exit_code": self.exit_code,
            "datasets": [{"name": l.dataset, "unchanged": l.unchanged, "rows_loaded": l.rows_loaded,
                          "rows_rejected": l.rows_rejected} for l in self.loads],
            "runs": [s.summary() for s in self.suite_runs],
            "pruned": self.pruned,
        }


def detect_trigger(environ: dict[str, str], interactive: bool) -> str:
    """What started a run, when the caller does not say: CI, a person at a terminal, or a scheduler."""
    if environ.get("CI"):
        return "ci"
    return "manual" if interactive else "scheduled"


def _notify(command: str, summary: dict[str, Any], cwd: Path) -> str | None:
    """Run the notify command with the summary on stdin; return what went wrong, if anything."""
    try:
        done = subprocess.run(["/bin/sh", "-c", command], input=json.dumps(summary, default=str), text=True,
                              cwd=cwd, capture_output=True, timeout=NOTIFY_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"notify command did not finish within {NOTIFY_TIMEOUT_S} s"
    except OSError as exc:
        return f"notify command could not start: {exc}"
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or [""])[-1]
        return f"notify command exited with {done.returncode}" + (f": {detail}" if detail else "")
    return None


def _run_suite(con: duckdb.DuckDBPyConnection, config: ProjectConfig, suite: str, trigger: str,
               emit: Callable[..., None]) -> SuiteRun:
    """Validate one suite, record who ran it, compare with its previous run, publish the report."""
    emit("validate", f"validating suite {suite}", suite=suite)
    result = engine.validate(config.db, suite=suite, fail_on=config.fail_on, con=_connection_for("validate", con))
    con.execute("INSERT INTO qa_run_context (run_id, trigger, config) VALUES (?, ?, ?)",
                [result.run_id, trigger, str(config.path.absolute())])
    suite_run = SuiteRun(result)
    before = previous_run_id(con, result.run_id)
    if before is not None:
        suite_run.diff = diff_runs(con, before, result.run_id, limit=0)
    emit("publish", f"publishing the report of run {result.run_id}", run_id=result.run_id)
    suite_run.report = publish_report(con, config.db, config.reports, result.run_id).absolute()
    con.execute("UPDATE qa_run_context SET report_path = ?, published_at = now()::TIMESTAMP WHERE run_id = ?",
                [str(suite_run.report), result.run_id])
    return suite_run


def run_project(config: ProjectConfig, *, wait: float = DEFAULT_WAIT, keep: int | None = None,
                trigger: str = "manual", command: str = "newsproof run",
                progress: Progress | None = None) -> RunOutcome:
    """Load every configured dataset (unchanged files are skipped), run each suite, publish each
    run's report, prune old runs, then notify. Safe to run again at any time and from several
    schedulers at once; `outcome.exit_code` is what `newsproof validate` would exit with."""
    if not config.datasets:
        raise NewsproofError("the project lists no datasets", file=str(config.path),
                             hint='add dataset folders: datasets = ["path/to/dataset"]')
    for suite in config.suites:  # a typo in a suite fails before anything is written
        load_suite(suite)
    keep = config.keep if keep is None else keep
    if keep < 0:
        raise NewsproofError("--keep must be 0 or more (0 keeps every run)")
    total = len(config.datasets) + 2 * len(config.suites) + 1
    step = 0

    def emit(event: str, message: str, **fields: Any) -> None:
        nonlocal step
        if event not in NOTE_EVENTS and event != "done":
            step += 1
        if progress is not None:
            progress(ProgressEvent(step, total, event, message, fields))

    outcome = RunOutcome(config)
    config.db.parent.mkdir(parents=True, exist_ok=True)
    config.reports.mkdir(parents=True, exist_ok=True)
    on_wait = (lambda h: emit("lock-wait", f"waiting up to {wait:g} s for the run of {h.describe()}",
                              holder=h.__dict__))
    with project_lock(config.db, wait=wait, command=command, on_wait=on_wait):
        _check_reports_folder(config.reports)
        _remove_leftovers(config.reports)
        con = connect(config.db, memory_limit=config.memory_limit)
        try:
            for dataset in config.datasets:
                emit("load", f"loading {dataset}", dataset=str(dataset))
                loaded = load_dataset(dataset, config.db, skip_unchanged=True, con=_connection_for("load", con))
                outcome.loads.append(loaded)
                emit("loaded", f"{loaded.dataset}: unchanged" if loaded.unchanged else
                     f"{loaded.dataset}: {loaded.rows_loaded} row(s) loaded, {loaded.rows_rejected} rejected",
                     dataset=loaded.dataset, unchanged=loaded.unchanged, rows_loaded=loaded.rows_loaded,
                     rows_rejected=loaded.rows_rejected)
            ensure_context_table(con)
            outcome.suite_runs = [_run_suite(con, config, suite, trigger, emit) for suite in config.suites]
            emit("prune", f"keeping the newest {keep} runs" if keep else "keeping every run")
            outcome.pruned = prune_runs(con, config.reports, keep)
        finally:
            con.close()
    if config.notify:
        outcome.notify_error = _notify(config.notify, outcome.summary(), config.root)
        if outcome.notify_error:
            emit("notify-failed", outcome.notify_error)
    emit("done", "passed" if outcome.exit_code == 0 else "failed", exit_code=outcome.exit_code)
    return outcome
