"""What the report shows, read from the project database with small, bounded queries."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from ..checks.base import SEVERITY_RANK
from ..errors import NewsproofError
from ..findings import FAILED, NOT_RUN
from .paths import article_page

HISTORY_RUNS = 20
ARTICLES_LISTED = 1_000


@dataclass(frozen=True)
class Run:
    run_id: str
    started_at: datetime | None
    finished_at: datetime | None
    suite: str
    suite_version: str | None
    suite_sha256: str | None
    engine: str | None
    db: str | None
    datasets: dict[str, str]  # name -> fingerprint at validation time
    checks_run: int
    checks_failed: int
    errors: int
    warnings: int
    infos: int
    status: str
    fail_on: str | None
    duration_s: float | None
    newsproof_version: str | None

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class CheckRow:
    check_id: str
    severity: str
    description: str | None
    tables: str | None
    status: str
    failure_count: int
    duration_ms: float | None
    message: str | None
    reproduce_sql: str | None
    origin: str | None

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    @property
    def not_run(self) -> bool:
        return self.status == NOT_RUN


@dataclass(frozen=True)
class DatasetFile:
    table_name: str
    file: str
    sha256: str | None
    rows_in_file: int | None
    rows_loaded: int | None
    rows_rejected: int | None


@dataclass
class Dataset:
    name: str
    title: str | None = None
    synthetic: bool | None = None
    path: str | None = None
    license: str | None = None
    loaded: bool = True
    # The dataset's files changed (or it was re-loaded differently) after this run.
    changed_since_run: bool = False
    files: list[DatasetFile] = field(default_factory=list)


@dataclass(frozen=True)
class HistoryPoint:
    run_id: str
    started_at: datetime | None
    errors: int
    warnings: int
    infos: int
    status: str

    @property
    def total(self) -> int:
        return self.errors + self.warnings + self.infos


@dataclass(frozen=True)
class ArticleRow:
    dataset: str
    article_id: str
    title: str | None
    figures: int
    claims: int
    failing_spans: int
    failures: int

    @property
    def href(self) -> str:
        return article_page(self.dataset, self.article_id)


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def query(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> duckdb.DuckDBPyConnection:
    """Run SQL with the named parameters it uses (DuckDB refuses unused ones)."""
    return con.execute(sql, {name: params[name] for name in set(_PARAM.findall(sql))})


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                       [name]).fetchone()[0] > 0


# Article pages need the tables of the built-in contracts (custom `--schemas` may lack some).
ARTICLE_TABLES = ("articles", "figures", "claims", "attributions", "sources")


def has_article_tables(con: duckdb.DuckDBPyConnection) -> bool:
    return all(has_table(con, name) for name in ARTICLE_TABLES)


def _run_from_row(columns: list[str], row: tuple) -> Run:
    values = dict(zip(columns, row))
    try:
        datasets = json.loads(values.get("datasets") or "{}")
    except json.JSONDecodeError:
        datasets = {}
    return Run(
        run_id=values["run_id"], started_at=values["started_at"], finished_at=values["finished_at"],
        suite=values["suite"] or "", suite_version=values["suite_version"],
        suite_sha256=values["suite_sha256"], engine=values["engine"], db=values["db"],
        datasets=datasets if isinstance(datasets, dict) else {},
        checks_run=values["checks_run"] or 0, checks_failed=values["checks_failed"] or 0,
        errors=values["errors"] or 0, warnings=values["warnings"] or 0, infos=values["infos"] or 0,
        status=values["status"] or "failed", fail_on=values["fail_on"],
        duration_s=values["duration_s"], newsproof_version=values["newsproof_version"],
    )


def find_run(con: duckdb.DuckDBPyConnection, db_label: str, run_id: str | None) -> Run:
    """The run to report on: the one asked for, or the latest."""
    if not has_table(con, "qa_runs") or not con.execute("SELECT count(*) FROM qa_runs").fetchone()[0]:
        raise NewsproofError("no validation run in this database", file=db_label,
                             hint="run one first: newsproof validate --db " + db_label)
    sql = "SELECT * FROM qa_runs"
    if run_id is None:
        cursor = con.execute(sql + " ORDER BY started_at DESC NULLS LAST, run_id DESC LIMIT 1")
    else:
        cursor = con.execute(sql + " WHERE run_id = ?", [run_id])
    row = cursor.fetchone()
    if row is None:
        recent = [r[0] for r in con.execute(
            "SELECT run_id FROM qa_runs ORDER BY started_at DESC NULLS LAST LIMIT 5").fetchall()]
        raise NewsproofError(f"no run {run_id!r} in this database", file=db_label,
                             hint="recent runs: " + ", ".join(recent))
    return _run_from_row([d[0] for d in cursor.description], row)


def check_rows(con: duckdb.DuckDBPyConnection, run_id: str) -> list[CheckRow]:
    """The run's checks: failing first (most severe first), then not run, then passed."""
    rows = [CheckRow(*r) for r in con.execute(
        "SELECT check_id, severity, description, tables, status, coalesce(failure_count, 0), "
        "duration_ms, message, reproduce_sql, origin FROM qa_results WHERE run_id = ?", [run_id]).fetchall()]
    status_rank = {FAILED: 0, NOT_RUN: 1}
    return sorted(rows, key=lambda r: (status_rank.get(r.status, 2), -SEVERITY_RANK.get(r.severity, -1),
                                       r.check_id))


def not_run_count(checks: list[CheckRow]) -> int:
    return sum(1 for c in checks if c.not_run)


def severity_counts(checks: list[CheckRow]) -> dict[str, int]:
    """Failing rows by severity, from the checks shown (so the page always adds up)."""
    return {sev: sum(c.failure_count for c in checks if c.severity == sev) for sev in ("error", "warning", "info")}


def datasets(con: duckdb.DuckDBPyConnection, run: Run) -> list[Dataset]:
    """The datasets the run checked, as loaded now, with their files and hashes."""
    names = sorted(run.datasets)
    if not names or not has_table(con, "datasets"):
        return [Dataset(name, loaded=False) for name in names]
    found: dict[str, Dataset] = {}
    for name, title, synthetic, path, license_, fingerprint in con.execute(
            "SELECT name, title, synthetic, path, license, fingerprint FROM datasets "
            "WHERE list_contains(?, name) ORDER BY name", [names]).fetchall():
        found[name] = Dataset(name, title, synthetic, path, license_,
                              changed_since_run=fingerprint != run.datasets.get(name))
    if has_table(con, "dataset_files"):
        for dataset, *rest in con.execute(
                "SELECT dataset, table_name, file, sha256, rows_in_file, rows_loaded, rows_rejected "
                "FROM dataset_files WHERE list_contains(?, dataset) ORDER BY dataset, file", [names]).fetchall():
            found[dataset].files.append(DatasetFile(*rest))
    return [found.get(name) or Dataset(name, loaded=False) for name in names]


def history(con: duckdb.DuckDBPyConnection, run: Run, limit: int = HISTORY_RUNS) -> list[HistoryPoint]:
    """The last runs up to and including this one, oldest first."""
    rows = con.execute(
        "SELECT run_id, started_at, coalesce(errors, 0), coalesce(warnings, 0), coalesce(infos, 0), "
        "coalesce(status, 'failed') FROM qa_runs "
        "WHERE started_at <= (SELECT started_at FROM qa_runs WHERE run_id = $run) OR run_id = $run "
        "ORDER BY started_at DESC NULLS LAST, run_id DESC LIMIT $limit",
        {"run": run.run_id, "limit": limit}).fetchall()
    return [HistoryPoint(*r) for r in reversed(rows)]


def articles(con: duckdb.DuckDBPyConnection, run: Run, limit: int = ARTICLES_LISTED) -> tuple[list[ArticleRow], int]:
    """Articles of the run's datasets, those with most failures first; and how many there are."""
    if not run.datasets or not has_article_tables(con):
        return [], 0
    names = sorted(run.datasets)
    total = con.execute("SELECT count(*) FROM articles WHERE list_contains(?, _dataset)", [names]).fetchone()[0]
    rows = query(
        con, f"""WITH spans AS ({SPANS_SQL}), hits AS ({SPAN_FAILURES_SQL})
        SELECT a._dataset, a.article_id, a.title,
               count(*) FILTER (WHERE s.kind = 'figure'), count(*) FILTER (WHERE s.kind = 'claim'),
               count(*) FILTER (WHERE h.failures > 0), coalesce(sum(h.failures), 0)
        FROM articles a
        LEFT JOIN spans s ON s.dataset = a._dataset AND s.article_id = a.article_id
        LEFT JOIN (SELECT dataset, kind, span_id, count(*) AS failures FROM hits GROUP BY ALL) h
               ON h.dataset = s.dataset AND h.kind = s.kind AND h.span_id = s.span_id
        WHERE list_contains($datasets, a._dataset)
        GROUP BY a._dataset, a.article_id, a.title
        ORDER BY 7 DESC, 1, 2 LIMIT $limit""",
        {"run": run.run_id, "datasets": names, "limit": limit}).fetchall()
    return [ArticleRow(*r) for r in rows], total


# Figures and claims of the run's datasets, as spans of their article's text.
SPANS_SQL = """
    SELECT 'figure' AS kind, _dataset AS dataset, article_id, figure_id AS span_id,
           char_start, char_end, value_text AS label, _file AS file, _line AS line
    FROM figures WHERE list_contains($datasets, _dataset)
    UNION ALL
    SELECT 'claim', _dataset, article_id, claim_id, char_start, char_end, text, _file, _line
    FROM claims WHERE list_contains($datasets, _dataset)"""

# Failures of the run that concern a figure or claim: on its own row, or on an attribution of it.
SPAN_FAILURES_SQL = """
    SELECT f.dataset, CASE f.table_name WHEN 'figures' THEN 'figure' ELSE 'claim' END AS kind,
           f.row_key AS span_id, f.check_id, f.severity, f.message
    FROM qa_failures f
    WHERE f.run_id = $run AND f.table_name IN ('figures', 'claims') AND f.row_key IS NOT NULL
    UNION ALL
    SELECT f.dataset, CASE WHEN a.figure_id IS NOT NULL THEN 'figure' ELSE 'claim' END,
           coalesce(a.figure_id, a.claim_id), f.check_id, f.severity, f.message
    FROM qa_failures f
    JOIN attributions a ON a._dataset = f.dataset AND a.attribution_id = f.row_key
    WHERE f.run_id = $run AND f.table_name = 'attributions'
      AND (a.figure_id IS NOT NULL OR a.claim_id IS NOT NULL)"""
