"""The Spark section of results/latest.md: Spark local[2] beside DuckDB, where Spark's time goes,
and an estimate for 1B figures on a cluster from the measured throughput per task.

The estimate, per phase p of `spark_bench.py` (load, SQL checks, text checks, GX suites, ...):

    T_p(S slots) = a_p + b_p * F  +  task_s_p * (F / F0) / min(S, P_p)

- task_s_p: the phase's task time at the largest size measured (F0 figures): work that runs in
  tasks is taken as linear in figures and spread over S slots (executor cores), as far as the
  phase has partitions to spread: P_p is unbounded for the phases that read files or shuffle
  into `spark.default.parallelism` partitions, and the number of datasets for the GX suites
  (one task per dataset and suite).
- a_p + b_p * F: the phase's time not covered by tasks on all local cores (driver-side planning
  and Python, scheduling, stages with fewer tasks than cores), fitted over the sizes measured:
  a_p stays as it is on a cluster, b_p * F is taken as serial (it grows with the data and no
  executor takes it over: failing rows streamed to the driver, single-task stages).
- plus the session start measured here (one JVM; executors' start and resource allocation on a
  cluster are not measured).

Not modelled: the network (local shuffles read local disk; the shuffled bytes are given),
stragglers and skew, executors' memory (a text bucket holds F / S figures in one Python
worker; a GX task holds one dataset's table).
"""

from __future__ import annotations

FIGURES_1B = 1_000_000_000
EXECUTOR_CORES = 4
EXECUTORS = (10, 50, 200)
STEP = "spark-local2"
DUCKDB_STEPS = ("load-csv", "validate")
# The order of the phases in the tables.
PHASE_ORDER = ("load", "sql checks", "contract checks", "python checks", "text checks", "gx suites",
               "findings read-back", "run record", "engine other")


def use_process_tree(result: dict) -> None:
    """The Spark step's CPU and peak memory are its process tree's (Python driver, JVM, Python
    workers), not the one process `os.wait4` reports on."""
    detail = result["detail"]
    result["wait4_cpu_s"], result["wait4_peak_rss_mib"] = result["cpu_s"], result["peak_rss_mib"]
    result["cpu_s"] = round(sum(detail["cpu_s"].values()), 2)
    result["peak_rss_mib"] = detail["memory_mib"]["total"]


def _spark(results: list[dict]) -> dict | None:
    step = next((r for r in results if r["name"] == STEP), None)
    return step if step and step.get("detail") and not step.get("error") else None


def _phases(detail: dict) -> list[tuple[str, dict]]:
    phases = detail["phases"]
    return [(p, phases[p]) for p in (*PHASE_ORDER, *sorted(set(phases) - set(PHASE_ORDER))) if p in phases]


def _parallel_limit(phase: str, detail: dict) -> int | None:
    """How many tasks a phase can spread over at most (None: as many as there are cores)."""
    return detail["datasets"] if phase == "gx suites" else None


def _spread(slots: int, limit: int | None) -> int:
    return slots if limit is None else min(slots, limit)


def _not_in_tasks_s(phase: str, values: dict, detail: dict) -> float:
    """Wall time not covered by the phase's tasks on the cores it could use."""
    usable = _spread(detail["cores"], _parallel_limit(phase, detail))
    return max(0.0, values["wall_s"] - values.get("task_s", 0.0) / usable)


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """(a, b) of y = a + b * figures, least squares, both kept >= 0."""
    if len(points) == 1:
        return points[0][1], 0.0
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    b = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)
    a = mean_y - b * mean_x
    if b < 0:  # no growth seen: a constant, the largest measured
        return max(y for _, y in points), 0.0
    if a < 0:  # all of it grows: through the origin at the largest size
        x, y = max(points)
        return 0.0, y / x
    return a, b


def estimate(by_size: dict[int, list[dict]], figures: int = FIGURES_1B) -> dict:
    """Per phase, the fixed and the serial part and the task time at `figures`; minutes by cluster."""
    measured = {size: _spark(results)["detail"] for size, results in by_size.items() if _spark(results)}
    largest = max(measured)
    detail = measured[largest]
    scale = figures / detail["figures"]
    phases = {}
    for phase, values in _phases(detail):
        a, b = fit([(d["figures"], _not_in_tasks_s(phase, d["phases"][phase], d))
                    for d in measured.values() if phase in d["phases"]])
        phases[phase] = {"fixed_s": round(a, 1), "serial_s": round(b * figures, 1),
                         "task_s": round(values.get("task_s", 0.0) * scale, 1),
                         "parallel_limit": _parallel_limit(phase, detail)}
    clusters = {}
    for executors in EXECUTORS:
        slots = executors * EXECUTOR_CORES
        by_phase = {p: v["fixed_s"] + v["serial_s"] + v["task_s"] / _spread(slots, v["parallel_limit"])
                    for p, v in phases.items()}
        # The GX suites as if the data came as at least `slots` datasets.
        gx_spread = phases.get("gx suites", {"task_s": 0.0})["task_s"] / slots
        gx = phases.get("gx suites", {"fixed_s": 0.0, "serial_s": 0.0})
        clusters[executors] = {
            "slots": slots, "phases_min": {p: round(s / 60, 1) for p, s in by_phase.items()},
            "total_min": round((detail["session_start_s"] + sum(by_phase.values())) / 60, 1),
            "total_gx_spread_min": round((detail["session_start_s"] + sum(by_phase.values())
                                          - by_phase.get("gx suites", 0.0)
                                          + gx["fixed_s"] + gx["serial_s"] + gx_spread) / 60, 1),
        }
    return {"from_figures": detail["figures"], "sizes_fitted": sorted(measured), "figures": figures,
            "phases": phases, "clusters": clusters}


# -- markdown -------------------------------------------------------------------------------------

def _cell(result: dict | None, key: str = "wall_s") -> float | None:
    return None if not result or result.get("error") or result.get("skipped") else result.get(key)


def _duckdb(results: list[dict], key: str) -> float | None:
    """DuckDB's load-csv + validate (sum of times; larger peak)."""
    values = [_cell(next((r for r in results if r["name"] == n), None), key) for n in DUCKDB_STEPS]
    if None in values:
        return None
    return max(values) if key == "peak_rss_mib" else sum(values)


def _fmt(value, digits: int = 1) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def _comparison(by_size: dict[int, list[dict]], sizes: list[int]) -> list[str]:
    lines = ["| | " + " | ".join(f"{s:,} figures" for s in sizes) + " |", "|---|" + "---|" * len(sizes)]

    def row(label: str, cell) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(s) for s in sizes) + " |")

    def spark(size):
        return _spark(by_size[size])

    row("DuckDB load-csv + validate: wall s / cpu s / peak MiB", lambda s: " / ".join(
        _fmt(_duckdb(by_size[s], k), 0 if k == "peak_rss_mib" else 1) for k in ("wall_s", "cpu_s", "peak_rss_mib")))
    row("Spark local[2], reading included: wall s / cpu s / peak MiB of the process tree", lambda s: (
        f"{spark(s)['wall_s']:,.1f} / {spark(s)['cpu_s']:,.1f} / {spark(s)['peak_rss_mib']:,.0f}" if spark(s)
        else _failed(by_size[s])))
    row("Spark / DuckDB, wall", lambda s: (
        f"{spark(s)['wall_s'] / _duckdb(by_size[s], 'wall_s'):.1f}x"
        if spark(s) and _duckdb(by_size[s], "wall_s") else ""))
    row("Spark session start (JVM) s", lambda s: _fmt(spark(s) and spark(s)["detail"]["session_start_s"]))
    row("Spark peak MiB: Python driver / JVM (driver and executors) / Python workers", lambda s: " / ".join(
        _fmt(spark(s)["detail"]["memory_mib"].get(k), 0) for k in ("python_driver", "jvm_vmhwm", "python_workers"))
        if spark(s) else "")
    row("Spark CPU s: Python driver / JVM / Python workers", lambda s: " / ".join(
        _fmt(spark(s)["detail"]["cpu_s"].get(k)) for k in ("python_driver", "jvm", "python_workers"))
        if spark(s) else "")
    row("Spark jobs / tasks", lambda s: (
        f"{sum(p.get('jobs', 0) for p in spark(s)['detail']['phases'].values()):,} / "
        f"{sum(p.get('tasks', 0) for p in spark(s)['detail']['phases'].values()):,}" if spark(s) else ""))
    row("checks not run on Spark", lambda s: (
        ", ".join(spark(s)["detail"]["not_run"]) or "none") if spark(s) else "")
    return lines


def _failed(results: list[dict]) -> str:
    step = next((r for r in results if r["name"] == STEP), None)
    if step is None:
        return "not run"
    if step.get("skipped"):
        return f"skipped: {step['skipped']}"
    return f"failed (exit {step['exit']}): {step.get('error', '')}"


def _breakdown(size: int, detail: dict) -> list[str]:
    rows_total = sum(detail["input_lines"].values())
    lines = [f"Where the time goes at {size:,} figures ({rows_total:,} input rows over all tables): each "
             "phase's wall time, split into time outside any Spark job (planning, SQL translation, Python "
             "on the driver, Py4J), time inside jobs with none of their tasks running (scheduling, stage "
             "hand-over, results to the driver) and task time summed over tasks (executor run time, both "
             "cores: the cores-busy share is task s / (2 x wall s)). Throughput per task is the dataset's "
             "figures (and input rows) over the phase's task seconds.", "",
             "| phase | checks | wall s | outside jobs s | in jobs, no task s | task s (CPU s, GC s) "
             "| jobs / tasks | longest task s | shuffle write MiB | spill MiB | figures / task-s "
             "| rows / task-s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for phase, p in _phases(detail):
        task_s = p.get("task_s", 0.0)
        per_task = (f"{detail['figures'] / task_s:,.0f} | {rows_total / task_s:,.0f}" if task_s >= 1
                    else " | ")
        lines.append(
            f"| {phase} | {detail['checks'].get(phase, '')} | {p['wall_s']:,.1f} | {p['outside_jobs_s']:,.1f} "
            f"| {p.get('no_task_in_jobs_s', 0.0):,.1f} | {task_s:,.1f} ({p.get('task_cpu_s', 0.0):,.1f}, "
            f"{p.get('gc_s', 0.0):,.1f}) | {p.get('jobs', 0):,} / {p.get('tasks', 0):,} "
            f"| {p.get('max_task_s', 0.0):,.1f} | {p.get('shuffle_write_mib', 0.0):,.0f} "
            f"| {p.get('spill_disk_mib', 0.0):,.0f} | {per_task} |")
    return lines


def _favours_duckdb(by_size: dict[int, list[dict]], size: int) -> list[str]:
    spark = _spark(by_size[size])
    detail = spark["detail"]
    duck_wall, duck_cpu = _duckdb(by_size[size], "wall_s"), _duckdb(by_size[size], "cpu_s")
    phases = detail["phases"].values()
    outside = sum(p["outside_jobs_s"] for p in phases)
    no_task = sum(p.get("no_task_in_jobs_s", 0.0) for p in phases)
    task_s = sum(p.get("task_s", 0.0) for p in phases)
    task_cpu = sum(p.get("task_cpu_s", 0.0) for p in phases)
    cpu = detail["cpu_s"]
    versus = (f"{spark['wall_s'] / duck_wall:.1f}x the wall time of DuckDB's load + validate "
              f"({duck_wall:,.0f} s), with {spark['cpu_s']:,.0f} CPU-seconds to DuckDB's {duck_cpu:,.0f}"
              if duck_wall else "(no DuckDB time to compare)")
    return [
        f"One machine favours DuckDB. At {size:,} figures Spark local[2] took {spark['wall_s']:,.0f} s, "
        f"{versus}. {detail['session_start_s'] + outside + no_task:,.0f} s of the wall time ran no task: "
        f"the session start ({detail['session_start_s']:,.0f} s), {outside:,.0f} s on the driver outside "
        f"jobs and {no_task:,.0f} s of scheduling inside jobs. Of the JVM's {cpu.get('jvm', 0):,.0f} "
        f"CPU-seconds, {task_cpu:,.0f} ran in tasks; the rest planned and compiled the queries (a job or "
        f"more per check), compiled the JVM's own code and collected garbage. The tasks took "
        f"{task_s:,.0f} task-seconds: JVM CPU, the Python workers' {cpu.get('python_workers', 0):,.0f} "
        "CPU-seconds (GX suites, text checks) that their tasks wait for, shuffles through local disk, and "
        "waiting for a core on a shared machine. DuckDB pays for no JVM, no job per check, no shuffle and "
        "no Arrow round trip to Python; on a cluster these costs are spread over many machines or stay "
        "fixed while the data grows, on one machine they are only added."]


def _estimate_lines(by_size: dict[int, list[dict]]) -> list[str]:
    est = estimate(by_size)
    sizes = ", ".join(f"{s:,}" for s in est["sizes_fitted"])
    phases = list(est["phases"])
    lines = [f"Estimate for {est['figures']:,} figures on N executors of {EXECUTOR_CORES} cores like these, "
             f"from the task time at {est['from_figures']:,} figures and the time outside tasks fitted over "
             f"{sizes} figures (model and assumptions in `benchmarks/spark_estimate.py`). Minutes:", "",
             "| phase | fixed s | serial s at 1B | task-hours at 1B | "
             + " | ".join(f"{n} executors" for n in EXECUTORS) + " |",
             "|---|---|---|---|" + "---|" * len(EXECUTORS)]
    for phase in phases:
        v = est["phases"][phase]
        lines.append(f"| {phase} | {v['fixed_s']:,.0f} | {v['serial_s']:,.0f} | {v['task_s'] / 3600:,.1f} | "
                     + " | ".join(f"{est['clusters'][n]['phases_min'][phase]:,.1f}" for n in EXECUTORS) + " |")
    lines.append("| total, one dataset (GX suites in one task each) | | | | "
                 + " | ".join(f"{est['clusters'][n]['total_min']:,.1f}" for n in EXECUTORS) + " |")
    lines.append("| total, data in at least as many datasets as cores | | | | "
                 + " | ".join(f"{est['clusters'][n]['total_gx_spread_min']:,.1f}" for n in EXECUTORS) + " |")
    lines += ["", "Assumptions: work in tasks scales linearly with figures and spreads over all cores "
              "(the load reads file blocks, the checks shuffle into `spark.default.parallelism` "
              "partitions, the text checks run one bucket of articles per partition); a GX suite runs one "
              "task per dataset, so a single 1B-figure dataset is one task per suite and must fit one "
              "executor's memory, which it would not; the time outside tasks keeps its fixed part and its "
              "growing part is serial (driver-side rows, single-task stages); one session start; cores "
              "as fast as these (a shared machine: task times are inflated, not deflated). Not modelled: "
              "network shuffles (local here), skew and stragglers, executor start-up, executor memory "
              "(a text bucket holds 1B / cores figures in one Python worker)."]
    return lines


def markdown(by_size: dict[int, list[dict]]) -> list[str]:
    """The Spark section, or nothing when no size has a Spark result or a skip note."""
    sizes = [s for s, results in by_size.items() if any(r["name"] == STEP for r in results)]
    if not sizes:
        return []
    lines = ["", "## Spark local[2] beside DuckDB", "",
             "The default suite on Spark's `local[2]` (`spark_bench.py`: driver and both executor cores in "
             "one JVM, Python workers for the GX suites and the text checks), from the CSV + JSONL folder, "
             "reading and typing included; beside it DuckDB's `load-csv` + `validate` of the same folder.", ""]
    lines += _comparison(by_size, sizes)
    measured = [s for s in sizes if _spark(by_size[s])]
    if not measured:
        return lines
    largest = max(measured)
    lines += ["", *_breakdown(largest, _spark(by_size[largest])["detail"]), "",
              *_favours_duckdb(by_size, largest), "", *_estimate_lines(by_size)]
    return lines
