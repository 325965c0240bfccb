"""The Spark engine on one machine: `python spark_bench.py DATASET_DIR [MASTER]` (default local[2]).

Runs `validate_spark` once on a dataset folder (e.g. benchmarks/.cache/1000000-<hash>/csv) and
prints, as its last line, JSON with:

- `phases`: where the wall time goes. Each phase's wall time (own timers around the engine's
  steps, and the per-check `duration_ms` that `validate_spark` returns, which cover building a
  check's DataFrame and the job that writes its findings), split by Spark's event log into time
  outside any job (planning, SQL translation, Python on the driver, Py4J), time inside jobs when
  none of their tasks runs (scheduling, stage hand-over) and task time (the sum over tasks of
  executor run time, with CPU, GC, shuffle and spill).
- `longest_stages`: the stages with the longest single task, by check (what does not spread
  over more cores).
- `memory_mib` / `memory_by_phase_mib` / `cpu_s`: peak resident memory (over the run and
  within each phase) and CPU seconds of the process tree by role, sampled from /proc: this
  Python driver, the JVM (in local mode the driver and the executors) and the Python workers
  (GX and text checks); the sampling's own CPU is told apart. `run.py`'s own `os.wait4` sees
  only one process of the tree.

`run.py` runs it as one of its measurements and derives the per-task throughput and the
cluster estimate from this output (see the Spark section of results/latest.md).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

SAMPLE_S = 0.5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / 2**20
MIB = 2**20


# -- the process tree -----------------------------------------------------------------------------

def _stat(pid: int) -> tuple[str, int, float, float] | None:
    """(command, parent pid, CPU seconds, resident MiB) of a process, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    command = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()  # fields[0] is field 3 of proc(5)
    return (command, int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS,
            int(fields[21]) * PAGE_MIB)


def _role(pid: int, root: int, command: str) -> str:
    if pid == root:
        return "python_driver"
    return "jvm" if command == "java" else "python_workers" if command.startswith("python") else "other"


class ProcessTree(threading.Thread):
    """Samples the resident memory and CPU time of this process and its descendants, by role,
    and the peak memory by role within each phase (`phase` is set as the run goes)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.root = os.getpid()
        self.phase = "session start"
        self.peak_mib: dict[str, float] = defaultdict(float)
        self.peak_by_phase: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.cpu_by_pid: dict[int, tuple[str, float]] = {}
        self.own_cpu_s = 0.0
        self.finished = threading.Event()

    def sample(self) -> None:
        stats = {int(p): s for p in os.listdir("/proc") if p.isdigit() and (s := _stat(int(p)))}
        children = defaultdict(list)
        for pid, (_, parent, _, _) in stats.items():
            children[parent].append(pid)
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo += children.get(pid, [])
        by_role: dict[str, float] = defaultdict(float)
        for pid in tree:
            if pid in stats:
                command, _, cpu, rss = stats[pid]
                role = _role(pid, self.root, command)
                by_role[role] += rss
                self.cpu_by_pid[pid] = (role, cpu)
        by_role["total"] = sum(by_role.values())
        in_phase = self.peak_by_phase[self.phase]
        for role, mib in by_role.items():
            self.peak_mib[role] = max(self.peak_mib[role], mib)
            in_phase[role] = max(in_phase[role], mib)

    def run(self) -> None:
        while not self.finished.wait(SAMPLE_S):
            self.sample()
        # Sampling costs a few ms of the driver's CPU each time: told apart, not charged to it.
        self.own_cpu_s = time.thread_time()

    def cpu_s(self) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for role, cpu in self.cpu_by_pid.values():
            totals[role] += cpu
        usage = resource.getrusage(resource.RUSAGE_SELF)  # exact for this process
        totals["python_driver"] = usage.ru_utime + usage.ru_stime - self.own_cpu_s
        totals["sampling"] = self.own_cpu_s
        return {role: round(cpu, 1) for role, cpu in totals.items()}


def _jvm_peak_mib(spark) -> float | None:
    """VmHWM (peak resident set) of the JVM behind the session: exact where sampling is not."""
    pid = spark.sparkContext._jvm.ProcessHandle.current().pid()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


# -- phases: own timers, and Spark jobs labelled by phase -----------------------------------------

def check_phase(check) -> str:
    """The phase a check belongs to, as the engine dispatches it (`engine._Run.frame`)."""
    from newsproof.spark import pychecks

    if check.sql is not None:
        return "sql checks"
    if check.origin == "built-in" and check.id in pychecks.text_specs():
        return "text checks"
    if pychecks.gx_suite_of(check) is not None:
        return "gx suites"
    if pychecks.contract_kinds(check) is not None:
        return "contract checks"
    return "python checks"


class Phases:
    """Wraps the engine's steps to time them and to give every Spark job a description
    `phase|check`, by which the event log's jobs and tasks are told apart. The wrappers call
    the engine's own functions unchanged."""

    def __init__(self, spark, tree: ProcessTree) -> None:
        self.spark = spark
        self.tree = tree
        self.wall_s: dict[str, float] = defaultdict(float)
        self.phase_of: dict[str, str] = {}

    def label(self, phase: str, check: str = "") -> None:
        self.spark.sparkContext.setJobDescription(f"{phase}|{check}")
        self.tree.phase = phase

    def timed(self, phase: str, func):
        def run(*args, **kwargs):
            self.label(phase)
            began = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.wall_s[phase] += time.perf_counter() - began
        return run

    def install(self, engine) -> None:
        frame, write = engine._Run.frame, engine._write

        def labelled_frame(run, check, params):
            self.phase_of[check.id] = check_phase(check)
            self.label(self.phase_of[check.id], check.id)
            return frame(run, check, params)

        def labelled_write(frames, path, errors, durations):
            for check_id, one in frames.items():  # the engine writes one check per job too
                self.label(self.phase_of[check_id], check_id)
                write({check_id: one}, path, errors, durations)

        engine._Run.frame = labelled_frame
        engine._write = labelled_write
        engine.register_sources = self.timed("load", engine.register_sources)
        engine._results = self.timed("findings read-back", engine._results)
        engine._write_run = self.timed("run record", engine._write_run)


# -- the event log --------------------------------------------------------------------------------

def _union_s(intervals: list[tuple[int, int]]) -> float:
    """Length in seconds of the union of [start, end] intervals in milliseconds."""
    total, reach = 0, None
    for start, end in sorted(intervals):
        if reach is None or start > reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total / 1000


def read_event_log(event_log: Path) -> tuple[dict, dict, dict]:
    """From a Spark event log (JSON lines): job -> its description, job -> [submitted, completed]
    (ms), job -> [(stage, task info, task metrics)] of its finished tasks."""
    job_label, stage_job, job_span, tasks = {}, {}, {}, defaultdict(list)
    with event_log.open(encoding="utf-8") as lines:
        for line in lines:
            event = json.loads(line)
            kind = event["Event"]
            if kind == "SparkListenerJobStart":
                properties = event.get("Properties") or {}
                job_label[event["Job ID"]] = properties.get("spark.job.description") or "unlabelled|"
                job_span[event["Job ID"]] = [event["Submission Time"], event["Submission Time"]]
                for stage in event["Stage IDs"]:
                    stage_job.setdefault(stage, event["Job ID"])
            elif kind == "SparkListenerJobEnd":
                job_span[event["Job ID"]][1] = event["Completion Time"]
            elif kind == "SparkListenerTaskEnd" and event.get("Task Metrics"):
                tasks[stage_job[event["Stage ID"]]].append((event["Stage ID"], event["Task Info"],
                                                            event["Task Metrics"]))
    return job_label, job_span, tasks


def longest_stages(job_label: dict, tasks: dict, count: int = 8) -> list[dict]:
    """The stages with the longest tasks, by check: a stage of one long task does not spread
    over more cores, however many there are."""
    stages: dict[int, dict] = {}
    for job, label in job_label.items():
        for stage, _, metrics in tasks[job]:
            entry = stages.setdefault(stage, {"label": label, "tasks": 0, "task_s": 0.0, "max_task_s": 0.0})
            run_s = metrics["Executor Run Time"] / 1000
            entry["tasks"] += 1
            entry["task_s"] += run_s
            entry["max_task_s"] = max(entry["max_task_s"], run_s)
    top = sorted(stages.values(), key=lambda e: -e["max_task_s"])[:count]
    return [_rounded({"phase": e["label"].split("|")[0], "check": e["label"].split("|")[1],
                      "tasks": e["tasks"], "task_s": e["task_s"], "max_task_s": e["max_task_s"]}) for e in top]


def job_metrics(job_label: dict, job_span: dict, tasks: dict) -> dict[str, dict]:
    """Per phase: jobs, stages, tasks and their metrics."""
    phases: dict[str, dict] = {}
    for job, label in job_label.items():
        phase = label.split("|")[0]
        p = phases.setdefault(phase, {"jobs": 0, "stages": set(), "tasks": 0, "job_spans": [], "task_spans": [],
                                      "task_s": 0.0, "task_cpu_s": 0.0, "gc_s": 0.0, "max_task_s": 0.0,
                                      "shuffle_read_mib": 0.0, "shuffle_write_mib": 0.0, "spill_disk_mib": 0.0,
                                      "input_records": 0, "output_mib": 0.0})
        p["jobs"] += 1
        p["job_spans"].append(tuple(job_span[job]))
        for stage, info, metrics in tasks[job]:
            run_s = metrics["Executor Run Time"] / 1000
            p["stages"].add(stage)
            p["tasks"] += 1
            p["task_spans"].append((info["Launch Time"], info["Finish Time"]))
            p["task_s"] += run_s
            p["max_task_s"] = max(p["max_task_s"], run_s)
            p["task_cpu_s"] += metrics["Executor CPU Time"] / 1e9
            p["gc_s"] += metrics["JVM GC Time"] / 1000
            read = metrics.get("Shuffle Read Metrics", {})
            p["shuffle_read_mib"] += (read.get("Local Bytes Read", 0) + read.get("Remote Bytes Read", 0)) / MIB
            p["shuffle_write_mib"] += metrics.get("Shuffle Write Metrics", {}).get("Shuffle Bytes Written", 0) / MIB
            p["spill_disk_mib"] += metrics.get("Disk Bytes Spilled", 0) / MIB
            p["input_records"] += metrics.get("Input Metrics", {}).get("Records Read", 0)
            p["output_mib"] += metrics.get("Output Metrics", {}).get("Bytes Written", 0) / MIB
    for p in phases.values():
        p["stages"] = len(p["stages"])
        p["in_jobs_s"] = _union_s(p.pop("job_spans"))
        # Inside a job with none of its tasks running: scheduling, stage hand-over, result fetch.
        p["no_task_in_jobs_s"] = max(0.0, p["in_jobs_s"] - _union_s(p.pop("task_spans")))
    return phases


def _rounded(values: dict) -> dict:
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in values.items()}


def phase_table(wall_s: dict[str, float], jobs: dict[str, dict]) -> dict[str, dict]:
    """Every phase's wall time with its jobs' metrics; time outside jobs is driver-side work."""
    table = {}
    for phase in [*wall_s, *(p for p in jobs if p not in wall_s)]:
        metrics = jobs.get(phase, {"jobs": 0, "tasks": 0, "task_s": 0.0, "in_jobs_s": 0.0})
        wall = wall_s.get(phase, metrics["in_jobs_s"])
        table[phase] = _rounded({"wall_s": wall, **metrics, "outside_jobs_s": max(0.0, wall - metrics["in_jobs_s"])})
    return table


# -- the run --------------------------------------------------------------------------------------

def _input_lines(folder: Path) -> dict[str, int]:
    """Data lines per table file of the dataset (CSV without its header): what Spark reads."""
    from newsproof.contracts import load_contracts
    from newsproof.manifest import read_manifest

    lines = {}
    for table, path in read_manifest(folder, tuple(load_contracts())).files.items():
        with path.open("rb") as fh:
            lines[table] = sum(1 for _ in fh) - (path.suffix == ".csv")
    return lines


def main(folder: str, master: str = "local[2]") -> dict:
    from newsproof.spark import engine, get_session

    tree = ProcessTree()
    tree.start()
    with tempfile.TemporaryDirectory(prefix="newsproof-spark-bench-") as scratch:
        events = Path(scratch) / "events"
        events.mkdir()
        began = time.perf_counter()
        spark = get_session(master, conf={"spark.eventLog.enabled": "true", "spark.eventLog.dir": str(events),
                                          "spark.eventLog.compress": "false",
                                          "spark.eventLog.rolling.enabled": "false"})
        session_start_s = time.perf_counter() - began
        phases = Phases(spark, tree)
        phases.install(engine)
        result = engine.validate_spark(spark, [folder], findings_dir=Path(scratch) / "findings")
        tree.sample()
        jvm_peak = _jvm_peak_mib(spark)
        slots = spark.sparkContext.defaultParallelism
        began = time.perf_counter()
        spark.stop()
        stop_s = time.perf_counter() - began
        tree.finished.set()
        tree.join()
        job_label, job_span, tasks = read_event_log(next(events.iterdir()))
    wall = defaultdict(float, phases.wall_s)
    for check in result.results:
        wall[phases.phase_of[check.check_id]] += check.duration_ms / 1000
    # What validate_spark spent outside the timed steps: the empty findings part, dropping views.
    wall["engine other"] = max(0.0, result.duration_s - sum(wall.values()))
    lines = _input_lines(Path(folder))
    cores = master.removeprefix("local[").removesuffix("]")
    memory = {role: round(mib, 1) for role, mib in tree.peak_mib.items()}
    memory["jvm_vmhwm"] = jvm_peak
    memory_by_phase = {phase: {role: round(mib, 1) for role, mib in roles.items()}
                       for phase, roles in tree.peak_by_phase.items()}
    return {
        "master": master, "cores": int(cores) if cores.isdigit() else slots,
        "default_parallelism": slots, "figures": lines.get("figures"), "input_lines": lines,
        # One folder is one dataset: each GX suite runs in one task (one per dataset).
        "datasets": 1, "exit_code": result.exit_code,
        "checks": {phase: sum(1 for p in phases.phase_of.values() if p == phase)
                   for phase in sorted(set(phases.phase_of.values()))},
        "not_run": {r.check_id: r.message for r in result.not_run},
        "session_start_s": round(session_start_s, 2), "validate_s": round(result.duration_s, 2),
        "stop_s": round(stop_s, 2),
        "phases": phase_table(wall, job_metrics(job_label, job_span, tasks)),
        "longest_stages": longest_stages(job_label, tasks),
        "slowest_checks_ms": dict(sorted(((r.check_id, round(r.duration_ms)) for r in result.results),
                                         key=lambda kv: -kv[1])[:8]),
        "memory_mib": memory, "memory_by_phase_mib": memory_by_phase, "cpu_s": tree.cpu_s(),
    }


if __name__ == "__main__":
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    print(json.dumps(main(*sys.argv[1:])))
