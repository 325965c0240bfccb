"""The Spark section of results/latest.md: Spark local[2] beside DuckDB, where Spark's time goes,
and an estimate for 1B figures on a cluster from the measured throughput per task.

The estimate, for S slots (executor cores) and F figures, from the largest size measured (F0):

    T(S) = session start + sum over phases p of (d_p + W_p * F / F0 / min(S, P_p)) + c * F

- W_p: the phase's task time (executor run time summed over its tasks) at F0, taken as linear
  in figures and spread over the slots as far as the phase has tasks to spread: P_p is
  unbounded for the phases that read file blocks or shuffle into `spark.default.parallelism`
  partitions (the text checks: one bucket of articles per partition), and the number of
  datasets for the GX suites (one task per dataset and suite).
- d_p: the phase's time outside its tasks at F0 (driver-side planning, SQL translation,
  scheduling), kept as it is: it is per job, not per row (compare the sizes measured).
- c * F: the Python driver's CPU that grows with the data (failing rows fetched to the driver
  and built into DataFrames there), fitted over the sizes measured: serial, no executor takes
  it over.

Not modelled: the network (shuffles read local disk here; the bytes are given), skew and
stages with fewer tasks than slots (the longest stages are listed), executor start-up, and
executors' memory: a text bucket holds F / buckets figures in one Python worker, a GX task one
dataset's table.
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


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """(a, b) of y = a + b * figures by least squares, both kept >= 0 (one point: through 0)."""
    if len(points) == 1:
        x, y = points[0]
        return 0.0, y / x
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


def _measured(by_size: dict[int, list[dict]]) -> dict[int, dict]:
    return {size: _spark(results)["detail"] for size, results in by_size.items() if _spark(results)}


def estimate(by_size: dict[int, list[dict]], figures: int = FIGURES_1B) -> dict:
    """The model of the module docstring: per phase its fixed and task time, minutes by cluster."""
    measured = _measured(by_size)
    detail = measured[max(measured)]
    scale = figures / detail["figures"]
    phases = {phase: {"fixed_s": round(v["outside_jobs_s"] + v.get("no_task_in_jobs_s", 0.0), 1),
                      "task_s": round(v.get("task_s", 0.0) * scale, 1),
                      "parallel_limit": _parallel_limit(phase, detail)}
              for phase, v in _phases(detail)}
    _, per_figure = fit([(d["figures"], d["cpu_s"]["python_driver"]) for d in measured.values()])
    driver_s = per_figure * figures
    clusters = {}
    for executors in EXECUTORS:
        slots = executors * EXECUTOR_CORES
        by_phase = {p: v["fixed_s"] + v["task_s"] / _spread(slots, v["parallel_limit"]) for p, v in phases.items()}
        total = detail["session_start_s"] + driver_s + sum(by_phase.values())
        gx = phases.get("gx suites", {"fixed_s": 0.0, "task_s": 0.0})
        # The GX suites as if the data came as at least `slots` datasets.
        gx_spread = total - by_phase.get("gx suites", 0.0) + gx["fixed_s"] + gx["task_s"] / slots
        clusters[executors] = {"slots": slots, "phases_min": {p: round(t / 60, 1) for p, t in by_phase.items()},
                               "total_min": round(total / 60, 1), "total_gx_spread_min": round(gx_spread / 60, 1)}
    return {"from_figures": detail["figures"], "sizes_fitted": sorted(measured), "figures": figures,
            "session_start_s": detail["session_start_s"], "driver_python_s": round(driver_s, 1),
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
    spill = sum(p.get("spill_disk_mib", 0.0) for p in phases)
    cpu = detail["cpu_s"]
    versus = (f"{spark['wall_s'] / duck_wall:.1f}x the wall time of DuckDB's load + validate "
              f"({duck_wall:,.0f} s), with {spark['cpu_s']:,.0f} CPU-seconds to DuckDB's {duck_cpu:,.0f} "
              f"({spark['cpu_s'] / spark['wall_s']:.1f} cores busy on average to DuckDB's "
              f"{duck_cpu / duck_wall:.1f})" if duck_wall else "(no DuckDB time to compare)")
    return [
        f"One machine favours DuckDB. At {size:,} figures Spark local[2] took {spark['wall_s']:,.0f} s, "
        f"{versus}. {detail['session_start_s'] + outside + no_task:,.0f} s of the wall time ran no task: "
        f"the session start ({detail['session_start_s']:,.0f} s), {outside:,.0f} s on the driver outside "
        f"jobs and {no_task:,.0f} s of scheduling inside jobs. Of the JVM's {cpu.get('jvm', 0):,.0f} "
        f"CPU-seconds, {task_cpu:,.0f} ran in tasks; the rest planned and compiled the queries (a job or "
        f"more per check), compiled the JVM's own code and collected garbage. The tasks took "
        f"{task_s:,.0f} task-seconds: JVM CPU, the Python workers' {cpu.get('python_workers', 0):,.0f} "
        "CPU-seconds (GX suites, text checks) that their tasks wait for, shuffles through local disk, and "
        "waiting for a core on a shared machine. The JVM had Spark's default 1 GiB heap (newsproof sets "
        f"no `spark.driver.memory`): sorts and aggregations spilled {spill:,.0f} MiB to disk. DuckDB pays "
        "for no JVM, no job per check, no shuffle and no Arrow round trip to Python; on a cluster these "
        "costs are spread over many machines or stay fixed while the data grows, on one machine they are only added."]


def _stage_lines(detail: dict) -> list[str]:
    """The stages with the longest single task: they do not spread over more cores."""
    stages = detail.get("longest_stages") or []
    if not stages:
        return []
    named = "; ".join(f"{st['check'] or st['phase']} ({st['phase']}): {st['max_task_s']:,.0f} s, "
                      + ("the stage's only task" if st["tasks"] == 1 else f"the longest of {st['tasks']} tasks")
                      for st in stages)
    return ["", f"The longest single tasks at {detail['figures']:,} figures, by check: {named}. A GX suite "
            "has one task per dataset and the text checks one per bucket of articles "
            f"({detail['default_parallelism']} buckets here, `spark.default.parallelism`)."]


def _worker_mib(detail: dict, phase: str) -> float | None:
    return (detail.get("memory_by_phase_mib") or {}).get(phase, {}).get("python_workers")


def _memory_lines(est: dict, detail: dict) -> list[str]:
    """What one Python worker would hold at 1B figures: a text bucket, a GX dataset."""
    buckets, cores = detail["default_parallelism"], detail["cores"]
    text_mib, gx_mib = _worker_mib(detail, "text checks"), _worker_mib(detail, "gx suites")
    per_bucket = detail["figures"] / buckets
    lines = [f"Memory, which the estimate leaves out: a text bucket is one task in one Python worker; here "
             f"{buckets} buckets held {per_bucket:,.0f} figures each"]
    if text_mib:
        per_worker = text_mib / min(cores, buckets)
        lines[0] += (f" and the Python workers peaked at {text_mib:,.0f} MiB during the text checks "
                     f"(about {per_worker:,.0f} MiB each, {cores} at once; idle workers count too)")
        growth = ", ".join(f"{est['figures'] / c['slots'] / per_bucket:,.0f}x that "
                           f"({per_worker * est['figures'] / c['slots'] / per_bucket / 1024:,.0f} GiB) on {n} executors"
                           for n, c in est["clusters"].items())
    else:
        growth = ", ".join(f"{est['figures'] / c['slots'] / per_bucket:,.0f}x that on {n} executors"
                           for n, c in est["clusters"].items())
    lines[0] += (f". At {est['figures']:,} figures with one bucket per core a bucket holds {growth}, if "
                 "memory grows with the bucket as the text checks' data does. A GX task holds one dataset's "
                 f"table: at {est['figures']:,} figures in one dataset, {est['figures'] / detail['figures']:,.0f}x "
                 "the rows a GX task held here"
                 + (f" (the Python workers peaked at {gx_mib:,.0f} MiB during the GX suites)." if gx_mib else "."))
    return lines


def _estimate_lines(by_size: dict[int, list[dict]]) -> list[str]:
    est = estimate(by_size)
    detail = _measured(by_size)[max(_measured(by_size))]
    sizes = ", ".join(f"{s:,}" for s in est["sizes_fitted"])
    cells = " | ".join(f"{n} x {EXECUTOR_CORES} cores" for n in EXECUTORS)
    lines = [f"Estimate for {est['figures']:,} figures on N executors of {EXECUTOR_CORES} cores like these "
             f"(model in `benchmarks/spark_estimate.py`): each phase's task time at {est['from_figures']:,} "
             "figures, scaled linearly and spread over the cores the phase can use, plus its time outside "
             "tasks (driver and scheduling) as measured, plus the Python driver's CPU growing with the data "
             f"(fitted over {sizes} figures). Minutes:", "",
             f"| phase | driver + scheduling s | task-hours at 1B | {cells} |",
             "|---|---|---|" + "---|" * len(EXECUTORS)]
    for phase, v in est["phases"].items():
        lines.append(f"| {phase} | {v['fixed_s']:,.0f} | {v['task_s'] / 3600:,.1f} | "
                     + " | ".join(f"{est['clusters'][n]['phases_min'][phase]:,.1f}" for n in EXECUTORS) + " |")
    fixed = {"session start": est["session_start_s"], "Python driver CPU growing with the data (serial)":
             est["driver_python_s"]}
    for label, seconds in fixed.items():
        lines.append(f"| {label} | {seconds:,.0f} | | " + " | ".join(f"{seconds / 60:,.1f}" for _ in EXECUTORS) + " |")
    lines.append("| **total**, one dataset (each GX suite one task) | | | "
                 + " | ".join(f"**{est['clusters'][n]['total_min']:,.0f}**" for n in EXECUTORS) + " |")
    lines.append("| **total**, at least as many datasets as cores | | | "
                 + " | ".join(f"**{est['clusters'][n]['total_gx_spread_min']:,.0f}**" for n in EXECUTORS) + " |")
    lines += ["", "Assumptions: tasks scale linearly with figures and spread evenly (the load reads file "
              "blocks, the checks shuffle into `spark.default.parallelism` partitions, set to the cores); "
              "a GX suite runs one task per dataset; the time outside tasks is per job and stays as it is "
              "(it did not grow between the sizes measured); one session start; cores as fast as these "
              "(on a shared machine task times are inflated, not deflated). Not modelled: shuffles over the "
              "network (local disk here: the shuffle write column), skew and stragglers, executor start-up "
              "and memory.", "", *_memory_lines(est, detail)]
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
    detail = _spark(by_size[largest])["detail"]
    lines += ["", *_breakdown(largest, detail), *_stage_lines(detail), "",
              *_favours_duckdb(by_size, largest), "", *_estimate_lines(by_size)]
    return lines
