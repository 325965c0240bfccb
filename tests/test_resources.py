"""Resources: a large file loads in bounded memory; a full disk is a clear error, not damage.

Memory: `newsproof load` of a 1 GB file with the default memory limit ("1GB", beyond which DuckDB
spills to a folder beside the database) peaks under 2 GB, as the hardening issue asks: 256 MB
(interpreter and libraries) + 1.75 x the file size. That holds for each reader: DuckDB's CSV
reader, the careful csv-module reader (a record spanning two lines sends the file there) and the
JSONL reader. The 1 GB loads take 50 s (DuckDB's reader), 75 s (JSONL) and 110 s (csv module)
on 2 cores, so they run under `make fuzz`; `make test` loads 200 MB (DuckDB's reader) and 50 MB
files with the memory limit scaled down alike (200 MiB, 50 MiB), so they spill in the same
way, against the same proportional budget. Peak RSS is read with getrusage(RUSAGE_CHILDREN) in
a wrapper process of its own. Afterwards no spill file is left. The memory limit itself comes
from the project file's `memory_limit`, else $NEWSPROOF_MEMORY_LIMIT, else the default; a value
that is not a size is a clear error.

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
from newsproof.config import read_config
from newsproof.contracts import load_contracts
from newsproof.errors import NewsproofError
from newsproof.load import load_dataset
from newsproof.readers import read_csv
from newsproof.store import DEFAULT_MEMORY_LIMIT, MEMORY_LIMIT_ENV, connect, temp_directory

GB = 1 << 30
MB = 1 << 20
# Bytes of one generated figure row as COPY writes it, and the size `make test` loads.
STREAMED = {"duckdb-csv": (127, 200 * MB), "careful-csv": (127, 50 * MB), "jsonl": (320, 50 * MB)}
BASE_RSS = 256 * MB
RSS_PER_FILE_BYTE = 1.75  # with BASE_RSS: under 2 GB for 1 GB


def write_figures(path: Path, rows: int, *, spanning: bool = False) -> None:
    """`rows` figures as CSV (JSON lines for a .jsonl path); `spanning`: the first record's
    value_text holds a line break, so its record spans two lines."""
    value_text = "CASE WHEN i = 0 THEN 'over 1,500' || chr(10) || 'soldiers' ELSE 'over 1,500 soldiers' END" \
        if spanning else "'over 1,500 soldiers'"
    options = "FORMAT json" if path.suffix == ".jsonl" else "HEADER"
    con = duckdb.connect()
    try:
        con.execute(f"""COPY (
          SELECT 'big-f' || i AS figure_id, 'wire-' || (i % 1000) AS article_id, NULL AS claim_id,
                 934 AS char_start, 953 AS char_end, {value_text} AS value_text, 1500 + i % 997 AS value,
                 'over' AS qualifier, 1500 + i % 997 AS lower, NULL AS upper, 'soldier' AS unit,
                 'north-korean-troops' AS subject, 'sent-to-russia-for-training' AS measure, NULL AS as_of,
                 NULL AS linked_figure_id
          FROM range({rows}) t(i)) TO '{path}' ({options})""")
    finally:
        con.close()


def big_dataset(parent: Path, rows: int, reader: str = "duckdb-csv") -> Path:
    folder = Path(shutil.copytree(DATASETS / "korea-ukraine", parent / "big"))
    if reader == "jsonl":
        (folder / "figures.csv").unlink()
        manifest = folder / "dataset.yaml"
        manifest.write_text(manifest.read_text(encoding="utf-8").replace("figures.csv", "figures.jsonl"),
                            encoding="utf-8")
        write_figures(folder / "figures.jsonl", rows)
    else:
        write_figures(folder / "figures.csv", rows, spanning=reader == "careful-csv")
    return folder


# --------------------------------------------------------------------------- memory

PEAK_RSS = """import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(json.dumps({"rc": done.returncode, "stderr": done.stderr[-2000:],
                  "peak_rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}))
"""


def peak_rss(*command: str | Path, env: dict[str, str]) -> tuple[int, int, str]:
    """Run a command in a fresh wrapper process; return its exit code, peak RSS (bytes), stderr."""
    wrapper = subprocess.run([sys.executable, "-c", PEAK_RSS, *map(str, command)], capture_output=True, text=True,
                             env=env, timeout=1800, check=True)
    report = json.loads(wrapper.stdout)
    return report["rc"], report["peak_rss"], report["stderr"]


def with_memory_limit(limit: str | None) -> dict[str, str]:
    """This environment with $NEWSPROOF_MEMORY_LIMIT set to `limit` (None: unset, the default)."""
    env = {k: v for k, v in os.environ.items() if k != MEMORY_LIMIT_ENV}
    return env if limit is None else {**env, MEMORY_LIMIT_ENV: limit}


@pytest.mark.parametrize("reader", list(STREAMED))
def test_a_large_file_loads_in_bounded_memory(tmp_path, reader):
    row_bytes, small = STREAMED[reader]
    target = 1 * GB if FUZZ else small
    # The default limit for 1 GB; the same share of a smaller file.
    limit = None if FUZZ else f"{small // MB}MiB"
    free = shutil.disk_usage(tmp_path).free
    if free < 5 * target:
        pytest.skip(f"needs {5 * target / GB:.1f} GB free in {tmp_path} for the file and its database, "
                    f"has {free / GB:.1f} GB")
    rows = target // row_bytes
    folder = big_dataset(tmp_path, rows, reader)
    size = sum(f.stat().st_size for f in folder.glob("figures.*"))
    assert abs(size - target) < target * 0.05
    db = tmp_path / "big.duckdb"
    code, rss, stderr = peak_rss(NEWSPROOF, "load", folder, "--db", db, env=with_memory_limit(limit))
    assert code == 0, stderr
    with read_db(db) as con:
        assert con.execute("SELECT count(*) FROM figures").fetchone()[0] == rows
    budget = BASE_RSS + RSS_PER_FILE_BYTE * size
    assert rss < budget, f"peak RSS {rss / MB:.0f} MB for a {size / MB:.0f} MB file (budget {budget / MB:.0f} MB)"
    assert not any(temp_directory(db).glob("*")), "spill files left behind"


@pytest.mark.parametrize("spanning", [False, True])
def test_duckdbs_csv_reader_runs_within_a_small_memory_limit(tmp_path, spanning):
    """The reader's buffers fit in 100 MiB, so a plain file is not left to the slower careful
    reader (as it was when they grew with the 64 MB cell limit); a record spanning lines is."""
    path = tmp_path / "figures.csv"
    write_figures(path, 300_000, spanning=spanning)
    con = connect(tmp_path / "db.duckdb", memory_limit="100MiB")
    try:
        staged = read_csv(path, load_contracts()["figures"], con, "stage_figures")
        first = con.execute("SELECT _line, value_text FROM stage_figures ORDER BY _line LIMIT 1").fetchall()
    finally:
        con.close()
    assert (staged.fast_path, staged.rows, staged.row_errors) == (not spanning, 300_000, [])
    assert first == [(2, "over 1,500\nsoldiers" if spanning else "over 1,500 soldiers")]


def memory_limit(con) -> str:
    return con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]


def test_the_memory_limit_comes_from_the_argument_the_environment_or_the_default(tmp_path, monkeypatch):
    db = tmp_path / "db.duckdb"
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    seen = {}
    for case, limit in (("default", None), ("argument", "300MiB")):
        con = connect(db, memory_limit=limit)
        seen[case] = memory_limit(con)
        assert con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0] == str(temp_directory(db))
        con.close()
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "200MiB")
    for case, limit in (("environment", None), ("argument over environment", "300MiB")):
        con = connect(db, read_only=True, memory_limit=limit)
        seen[case] = memory_limit(con)
        con.close()
    with duckdb.connect(config={"memory_limit": DEFAULT_MEMORY_LIMIT}) as plain:
        default = memory_limit(plain)
    assert seen == {"default": default, "argument": "300.0 MiB", "environment": "200.0 MiB",
                    "argument over environment": "300.0 MiB"}


def test_a_memory_limit_that_is_not_a_size_is_a_usage_error(tmp_path):
    env = with_memory_limit("lots")
    done = subprocess.run([str(NEWSPROOF), "load", DATASETS / "korea-ukraine", "--db", tmp_path / "db.duckdb"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"${MEMORY_LIMIT_ENV} 'lots' is not a memory size" in done.stderr and '"512MiB"' in done.stderr
    assert not (tmp_path / "db.duckdb").exists()

    config = tmp_path / "newsproof.toml"
    config.write_text('datasets = []\nkeep = 3\nmemory_limit = "lots"\n', encoding="utf-8")
    with pytest.raises(NewsproofError, match="memory_limit must be a memory size") as raised:
        read_config(config)
    assert (raised.value.file, raised.value.line) == (str(config), 3)


def test_a_run_takes_the_memory_limit_of_its_project_file(tmp_path):
    """The project file's limit wins over the environment's (here one DuckDB would refuse)."""
    (tmp_path / "fast.yaml").write_text("suite: fast\nchecks:\n  - bounds-order\n", encoding="utf-8")
    config = tmp_path / "newsproof.toml"
    config.write_text(f'datasets = ["{DATASETS / "korea-ukraine"}"]\nsuites = ["fast.yaml"]\n'
                      f'memory_limit = "300MiB"\n', encoding="utf-8")
    done = subprocess.run([str(NEWSPROOF), "run", "--config", config], capture_output=True, text=True,
                          cwd=tmp_path, env=with_memory_limit("lots"), timeout=300, check=False)
    assert done.returncode == 0, done.stderr


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
