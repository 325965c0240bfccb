"""`make bench`: newsproof at scale against DuckDB's own floor, pandera and Great Expectations.

For each size (100k and 1M figures; 10M too with BENCH_LARGE=1) a dataset is generated once
into benchmarks/.cache/ (ten figures per article), then every measurement runs in its own
subprocess, timed by wall clock, with its peak resident memory from `os.wait4`. Writes
results/<date>-<host>.json and results/latest.md, and prints the table. Never part of the tests.

BENCH_SIZES=1000000 and BENCH_ONLY=load-csv,validate,spark-local2 run a part (the validate
steps need load-csv's database): results/<date>-<host>-partial-<HHMM>.json; latest.md is kept.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb

import spark_estimate

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
RESULTS = HERE / "results"
BIN = Path(sys.executable).parent
NEWSPROOF = str(BIN / "newsproof")
PYTHON = sys.executable
SIZES = (100_000, 1_000_000) + ((10_000_000,) if os.environ.get("BENCH_LARGE") == "1" else ())
if os.environ.get("BENCH_SIZES"):
    SIZES = tuple(int(size) for size in os.environ["BENCH_SIZES"].split(","))
ONLY = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
PARTIAL = bool(ONLY) or "BENCH_SIZES" in os.environ
FIGURES_PER_ARTICLE = 10
SEED = 1
TEXT_ARTICLES = 2_000
TIMEOUT_S = float(os.environ.get("BENCH_TIMEOUT", 3600))
# The report writes a page per article: bounded, so that one slow step cannot stall the run.
REPORT_TIMEOUT_S = float(os.environ.get("BENCH_REPORT_TIMEOUT", 600))
# Exit codes a measurement may end with: 1 is "findings", which planted defects guarantee.
OK_CODES = (0, 1)


def measure(name: str, cmd: list[str], log_dir: Path, timeout_s: float = TIMEOUT_S) -> dict:
    """Run one command in its own process group; wall time, peak RSS, and its JSON summary line."""
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / f"{name}.out", log_dir / f"{name}.err"
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=HERE, start_new_session=True)
        stopped = threading.Event()

        def stop() -> None:
            stopped.set()
            os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout_s, stop)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        timer.cancel()
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped by wait4 above
    result = {"name": name, "wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
              "peak_rss_mib": round(usage.ru_maxrss / 1024, 1), "exit": code}
    if stopped.is_set():
        result["timed_out"] = True
    if code not in OK_CODES:
        result["error"] = (err_path.read_text(errors="replace").strip().splitlines() or ["killed"])[-1][:300]
    lines = out_path.read_text(errors="replace").strip().splitlines()
    if lines and lines[-1].startswith("{"):
        result["detail"] = json.loads(lines[-1])
    print(f"  {name:<24} {wall:9.2f} s  {result['peak_rss_mib']:9.1f} MiB  exit {code}", flush=True)
    return result


def _generator_digest() -> str:
    """Names the cache after the generator's source: a changed generator makes new data."""
    import hashlib

    import newsproof.synth

    return hashlib.sha256(Path(newsproof.synth.__file__).read_bytes()).hexdigest()[:10]


def prepare(figures: int) -> tuple[Path, list[dict]]:
    """Generate the size's dataset (once per generator version; cached) and its Parquet copy."""
    folder = CACHE / f"{figures}-{_generator_digest()}"
    stamp = folder / "generated.json"
    measured = []
    if not stamp.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        measured.append(measure("synth", [NEWSPROOF, "synth", "--figures", str(figures), "--articles",
                                          str(figures // FIGURES_PER_ARTICLE), "--seed", str(SEED),
                                          "--out", str(folder / "csv")], folder / "logs"))
        measured.append(measure("to-parquet", [PYTHON, "to_parquet.py", str(folder / "csv"),
                                               str(folder / "parquet")], folder / "logs"))
        stamp.write_text(json.dumps(measured), encoding="utf-8")
    else:
        measured = [dict(m, cached=True) for m in json.loads(stamp.read_text(encoding="utf-8"))]
        print("  (dataset from cache)")
    return folder, measured


def run_size(figures: int, text_layer: bool) -> list[dict]:
    print(f"{figures:,} figures", flush=True)
    folder, results = prepare(figures)
    logs, csv_dir, parquet_dir = folder / "logs", folder / "csv", folder / "parquet"
    for db in folder.glob("*.duckdb*"):
        db.unlink()
    shutil.rmtree(folder / "report", ignore_errors=True)
    np_db, np_pq_db = folder / "np-csv.duckdb", folder / "np-parquet.duckdb"
    steps = [
        ("load-csv", [NEWSPROOF, "load", str(csv_dir), "--db", str(np_db)]),
        ("load-csv-duckdb", [PYTHON, "load_duckdb.py", str(csv_dir), str(folder / "duck-csv.duckdb")]),
        ("load-parquet", [NEWSPROOF, "load", str(parquet_dir), "--db", str(np_pq_db)]),
        ("load-parquet-duckdb", [PYTHON, "load_duckdb.py", str(parquet_dir), str(folder / "duck-parquet.duckdb")]),
        ("validate", [NEWSPROOF, "validate", "--db", str(np_db)]),
        # The rules the SQL floor has too: no GX suites, no checks against the article text.
        ("validate-structural", [NEWSPROOF, "validate", "--db", str(np_db), "--ignore",
                                 ",".join(["gx-*", *text_check_ids()])]),
        ("validate-sql-floor", [PYTHON, "validate_sql.py", str(np_db)]),
        ("pandera-pandas", [PYTHON, "validate_pandera.py", str(csv_dir)]),
        ("gx-pandas", [PYTHON, "validate_gx.py", str(csv_dir)]),
        ("report", [NEWSPROOF, "report", "--db", str(np_db), "--out", str(folder / "report")]),
        # The same suite on Spark, from the CSV + JSONL folder (reading and typing included).
        (SPARK_STEP, [PYTHON, "spark_bench.py", str(csv_dir), "local[2]"]),
    ]
    if text_layer:
        steps.append(("text-layer", [PYTHON, "text_layer.py", str(csv_dir), str(TEXT_ARTICLES)]))
    for name, cmd in steps:
        if ONLY and name not in ONLY:
            continue
        if name == SPARK_STEP and (missing := spark_missing()):
            print(f"  {name:<24} skipped: {missing}", flush=True)
            results.append({"name": name, "skipped": missing})
            continue
        result = measure(name, cmd, logs, REPORT_TIMEOUT_S if name == "report" else TIMEOUT_S)
        if name == SPARK_STEP and result.get("detail"):
            spark_estimate.use_process_tree(result)
        if name == "report" and (folder / "report").is_dir():
            files = [p for p in (folder / "report").rglob("*") if p.is_file()]
            result["detail"] = {"files": len(files), "mib": round(sum(p.stat().st_size for p in files) / 2**20, 1)}
        if name in ("validate", "validate-structural") and not result.get("error"):
            result["detail"] = _run_summary(np_db)
        results.append(result)
    results.append({"name": "dataset", "detail": _dataset_facts(csv_dir, np_db)})
    return results


SPARK_STEP = "spark-local2"


def spark_missing() -> str | None:
    """Why the Spark step cannot run here, or None."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install 'newsproof[spark]')"
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (java is not on the PATH and JAVA_HOME is not set; Spark needs Java 17+)"
    return None


def text_check_ids() -> list[str]:
    """Checks that read the article text (the text layer): no SQL floor exists for them."""
    from newsproof.checks import grounding, text_attribution

    return [c.id for c in grounding.CHECKS + text_attribution.CHECKS]


def _run_summary(db: Path) -> dict:
    """In-process time and slowest checks of the latest run (none if validation crashed)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        if not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'qa_runs'"
                           ).fetchall()[0][0]:
            return {}
        latest = con.execute("SELECT duration_s, timings FROM qa_runs ORDER BY started_at DESC LIMIT 1").fetchall()
        if not latest:
            return {}
        duration, timings = latest[0]
        not_run = con.execute("SELECT count(*) FROM qa_results WHERE run_id = (SELECT run_id FROM qa_runs "
                              "ORDER BY started_at DESC LIMIT 1) AND status = 'not-run'").fetchall()[0][0]
    finally:
        con.close()
    slowest = sorted(json.loads(timings).items(), key=lambda kv: -kv[1])[:6]
    return {"in_process_s": round(duration, 2), "checks_not_run": not_run,
            "slowest_checks_ms": dict(slowest)}


def _dataset_facts(csv_dir: Path, db: Path) -> dict:
    mib = sum(p.stat().st_size for p in csv_dir.iterdir()) / 2**20
    if not db.is_file():  # a partial run without load-csv
        return {"csv_mib": round(mib, 1)}
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                for t in ("articles", "sources", "claims", "figures", "attributions")}
    finally:
        con.close()
    return {"rows": rows, "csv_mib": round(mib, 1)}


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    mem_kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")))
    from importlib.metadata import version

    return {"host": socket.gethostname(), "cpu": model, "cores": os.cpu_count(),
            "ram_gib": round(mem_kib / 2**20, 1), "python": platform.python_version(),
            "duckdb": duckdb.__version__, "newsproof": version("newsproof"),
            "pandera": version("pandera"), "great_expectations": version("great-expectations"),
            "load_average_at_start": os.getloadavg()}


def _get(results: list[dict], name: str) -> dict | None:
    return next((r for r in results if r["name"] == name), None)


def _ratio(results: list[dict], a: str, b: str) -> float | None:
    x, y = _get(results, a), _get(results, b)
    if not x or not y or x.get("error") or y.get("error"):
        return None
    return round(x["wall_s"] / y["wall_s"], 2)


def targets(by_size: dict[int, list[dict]]) -> list[tuple[str, str, str]]:
    """(target, measured, met?) rows."""
    rows = []
    for size, results in by_size.items():
        for fmt in ("csv", "parquet"):
            r = _ratio(results, f"load-{fmt}", f"load-{fmt}-duckdb")
            rows.append((f"load {fmt.upper()} <= 1.3x DuckDB ({size:,})", _times(r), _met(r, lambda v: v <= 1.3)))
    big = max(s for s in by_size if s <= 1_000_000)
    results = by_size[big]
    for name in ("validate", "validate-structural"):
        r = _ratio(results, name, "validate-sql-floor")
        rows.append((f"{name} <= 1.5x SQL floor ({big:,})", _times(r), _met(r, lambda v: v <= 1.5)))
    r = _ratio(results, "gx-pandas", "validate")
    rows.append((f"validate >= 20x faster than GX on pandas ({big:,})", _times(r), _met(r, lambda v: v >= 20)))
    if 10_000_000 in by_size:
        peak = max((r.get("peak_rss_mib", 0) for r in by_size[10_000_000] if r["name"] in ("load-csv", "validate")),
                   default=None)
        rows.append(("peak memory <= 1 GiB (10,000,000)", "n/a" if peak is None else f"{peak:,.0f} MiB",
                     _met(peak, lambda v: v <= 1024)))
    text = next((_get(r, "text-layer") for r in by_size.values() if _get(r, "text-layer")), None)
    detail = (text or {}).get("detail", {})
    rate = detail.get("articles_per_cpu_s", detail.get("articles_per_s"))  # one core: CPU time
    rows.append(("text layer >= 2,000 articles/s (one core)", "n/a" if rate is None else f"{rate}",
                 _met(rate, lambda v: v >= 2000)))
    return rows


def _times(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio}x"


def _pages(result: dict) -> str:
    detail = result.get("detail") or {}
    return f", {detail['files']:,} files written" if "files" in detail else ""


def _met(value, test) -> str:
    return "n/a" if value is None else ("met" if test(value) else "missed")


def markdown(facts: dict, by_size: dict[int, list[dict]]) -> str:
    sizes = list(by_size)
    names = [r["name"] for r in by_size[sizes[0]] if r["name"] != "dataset"]
    lines = [f"# newsproof benchmark, {facts['date']}", "",
             f"{facts['cpu']}, {facts['cores']} cores, {facts['ram_gib']} GiB RAM, Python {facts['python']}, "
             f"DuckDB {facts['duckdb']}, pandera {facts['pandera']}, Great Expectations "
             f"{facts['great_expectations']}, newsproof {facts['newsproof']}. Load average at start "
             f"{', '.join(f'{v:.1f}' for v in facts['load_average_at_start'])} (a shared machine inflates wall "
             "times; cpu_s is in the JSON).", "",
             "| measurement | " + " | ".join(f"{s:,} figures: wall s / cpu s / peak MiB" for s in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    for name in names:
        cells = []
        for size in sizes:
            r = _get(by_size[size], name)
            if r is None:
                cells.append("")
            elif r.get("skipped"):
                cells.append(f"skipped: {r['skipped']}")
            elif r.get("timed_out"):
                cells.append(f"stopped at {r['wall_s']:,.0f} s" + _pages(r))
            elif r.get("error"):
                cells.append(f"failed (exit {r['exit']})" + _pages(r))
            else:
                cells.append(f"{r['wall_s']:,.1f} / {r['cpu_s']:,.1f} / {r['peak_rss_mib']:,.0f}"
                             + (" (cached)" if r.get("cached") else ""))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "| dataset | " + " | ".join(f"{s:,}" for s in sizes) + " |", "|---|" + "---|" * len(sizes)]
    for key in ("articles", "claims", "figures", "attributions"):
        lines.append(f"| {key} rows | " + " | ".join(
            f"{_get(by_size[s], 'dataset')['detail'].get('rows', {}).get(key, 0):,}" for s in sizes) + " |")
    lines.append("| CSV + JSONL MiB | " + " | ".join(
        f"{_get(by_size[s], 'dataset')['detail']['csv_mib']:,}" for s in sizes) + " |")
    lines += ["", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {ok} |" for t, m, ok in targets(by_size)]
    lines += spark_estimate.markdown(by_size)
    return "\n".join(lines) + "\n"


def main() -> None:
    CACHE.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    facts = machine()
    now = datetime.now(timezone.utc)
    facts["date"], facts["started"] = now.strftime("%Y-%m-%d"), now.strftime("%H%M")
    by_size = {size: run_size(size, text_layer=(i == 0)) for i, size in enumerate(SIZES)}
    facts["load_average_at_end"] = os.getloadavg()
    stem = f"{facts['date']}-{facts['host']}" + (f"-partial-{facts['started']}" if PARTIAL else "")
    (RESULTS / f"{stem}.json").write_text(
        json.dumps({"machine": facts, "results": {str(k): v for k, v in by_size.items()},
                    "targets": targets(by_size)}, indent=2), encoding="utf-8")
    table = markdown(facts, by_size)
    if not PARTIAL:
        (RESULTS / "latest.md").write_text(table, encoding="utf-8")
    print()
    print(table)


if __name__ == "__main__":
    main()
