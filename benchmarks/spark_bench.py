"""The Spark engine on one machine: `python spark_bench.py DATASET_DIR [MASTER]` (default local[2]).

Runs `validate_spark` on a dataset folder (e.g. benchmarks/.cache/1000000/csv) and prints, as
its last line, JSON with: wall time by phase (session start; reading and typing alone; the whole
validation, which reads again), the slowest checks, peak resident memory of the driver (Python)
and of the JVM (in local mode the JVM is the driver and the executors), and an estimate for 1B
figures on N executors from the measured throughput per core. `run.py` times the whole process
as it does every other measurement.

One machine favours DuckDB: Spark pays for a JVM, task scheduling, shuffles through local
disk and Python workers for the Python checks, which a cluster amortises over many machines
and DuckDB never pays at all.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def _jvm_peak_mib(spark) -> float | None:
    """VmHWM (peak resident set) of the JVM behind the session, if it runs on this machine."""
    pid = spark.sparkContext._jvm.ProcessHandle.current().pid()
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def _figures(folder: Path) -> int:
    with (folder / "figures.csv").open("rb") as fh:
        return sum(1 for _ in fh) - 1


def main(folder: str, master: str = "local[2]") -> dict:
    from newsproof.spark import engine, get_session
    from newsproof.spark.load import register_sources
    from newsproof.contracts import load_contracts

    began = time.perf_counter()
    spark = get_session(master)
    started = time.perf_counter()
    contracts = load_contracts()
    # Reading and typing alone: register the views and materialise every table once.
    with engine.session_conf(spark):
        sources = register_sources(spark, contracts, [folder])
        rows = {t: spark.table(t).count() for t in (*contracts, "load_errors")}
        sources.release()
    read = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="newsproof-spark-bench-") as findings:
        result = engine.validate_spark(spark, [folder], findings_dir=findings)
    checked = time.perf_counter()
    # Cores of the master (local[N]); on a cluster, what Spark reports as default parallelism.
    master_cores = master.removeprefix("local[").rstrip("]")
    cores = int(master_cores) if master_cores.isdigit() else spark.sparkContext.defaultParallelism
    figures = _figures(Path(folder))
    wall = checked - read  # one validation: reading, typing and every check
    # Throughput per core over the whole run (read + checks), as a cluster would scale it.
    per_core = figures / (wall * cores)
    estimates = {f"{n}x{cores}-core executors": round(1_000_000_000 / (per_core * n * cores) / 60, 1)
                 for n in (10, 50, 200)}
    detail = {
        "master": master, "cores": cores, "figures": figures, "rows": rows,
        "session_start_s": round(started - began, 1), "read_and_type_s": round(read - started, 1),
        "validate_s": round(checked - read, 1), "exit_code": result.exit_code,
        "not_run": [r.check_id for r in result.not_run],
        "slowest_checks_ms": dict(sorted(((r.check_id, round(r.duration_ms)) for r in result.results),
                                         key=lambda kv: -kv[1])[:6]),
        "driver_peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "jvm_peak_mib": _jvm_peak_mib(spark),
        "figures_per_core_s": round(per_core),
        "estimate_1b_figures_minutes": estimates,
        "estimate_note": "linear in figures per core, plus startup; shuffles (duplicate keys, "
                         "cross-article conflicts) grow with the data and are not modelled",
    }
    spark.stop()
    return detail


if __name__ == "__main__":
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    print(json.dumps(main(*sys.argv[1:])))
