"""Per-article pages: the text with every figure and claim marked by status, what each says,
who it is attributed to, and the run's findings on it. Articles are read in keyset batches, so a
dataset of any size is never held in memory at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from .data import SPAN_FAILURES_SQL, SPANS_SQL, Run, has_article_tables, query
from .highlight import Mark, Span, mark_tree, valid
from .paths import article_page, span_anchor

BATCH_ARTICLES = 200
FAILURES_PER_SPAN = 20
FAILURES_PER_ARTICLE = 200


@dataclass(frozen=True)
class Finding:
    check_id: str
    severity: str
    message: str | None


@dataclass
class SpanInfo:
    span: Span
    label: str | None
    file: str | None
    line: int | None
    in_text: bool
    findings: list[Finding] = field(default_factory=list)
    # (cue, reporter, via, origin) names for each attribution of the span.
    chains: list[tuple[str | None, str | None, str | None, str | None]] = field(default_factory=list)


@dataclass(frozen=True)
class SourceInfo:
    source_id: str
    name: str | None
    kind: str | None
    aliases: list[str]


@dataclass
class ArticlePage:
    dataset: str
    article_id: str
    title: str | None
    outlet: str | None
    url: str | None
    published_at: datetime | None
    language: str | None
    text: str
    file: str | None
    line: int | None
    tree: list[str | Mark] = field(default_factory=list)
    spans: list[SpanInfo] = field(default_factory=list)
    findings: list[tuple[Finding, str | None]] = field(default_factory=list)  # with the record key
    sources: list[SourceInfo] = field(default_factory=list)

    @property
    def path(self) -> str:
        return article_page(self.dataset, self.article_id)

    @property
    def failing_spans(self) -> int:
        return sum(1 for s in self.spans if s.span.failing)


def _group(rows, key_len: int) -> dict[tuple, list[tuple]]:
    grouped: dict[tuple, list[tuple]] = defaultdict(list)
    for row in rows:
        grouped[tuple(row[:key_len])].append(tuple(row[key_len:]))
    return grouped


def _batch_pages(con: duckdb.DuckDBPyConnection, run: Run, dataset: str, batch: list[tuple]) -> list[ArticlePage]:
    params = {"run": run.run_id, "datasets": [dataset], "dataset": dataset,
              "first": batch[0][0], "last": batch[-1][0]}
    in_batch = "dataset = $dataset AND article_id BETWEEN $first AND $last"
    in_batch_s = "s.dataset = $dataset AND s.article_id BETWEEN $first AND $last"
    spans = _group(query(
        con, f"SELECT article_id, kind, span_id, char_start, char_end, label, file, line "
        f"FROM ({SPANS_SQL}) WHERE {in_batch} ORDER BY article_id, char_start, kind, span_id", params).fetchall(), 1)
    findings = _group(query(
        con, f"""SELECT s.article_id, s.kind, s.span_id, h.check_id, h.severity, h.message
        FROM ({SPANS_SQL}) s JOIN ({SPAN_FAILURES_SQL}) h
          ON h.dataset = s.dataset AND h.kind = s.kind AND h.span_id = s.span_id
        WHERE {in_batch_s}
        QUALIFY row_number() OVER (PARTITION BY s.article_id, s.kind, s.span_id
                                   ORDER BY h.severity = 'error' DESC, h.check_id) <= {FAILURES_PER_SPAN}
        ORDER BY ALL""", params).fetchall(), 3)
    chains = _group(query(
        con, f"""SELECT s.article_id, s.kind, s.span_id, a.cue, r.name, v.name, o.name
        FROM ({SPANS_SQL}) s
        JOIN attributions a ON a._dataset = s.dataset
             AND ((s.kind = 'figure' AND a.figure_id = s.span_id) OR (s.kind = 'claim' AND a.claim_id = s.span_id))
        LEFT JOIN sources r ON r._dataset = a._dataset AND r.source_id = a.reporter_id
        LEFT JOIN sources v ON v._dataset = a._dataset AND v.source_id = a.via_id
        LEFT JOIN sources o ON o._dataset = a._dataset AND o.source_id = a.origin_id
        WHERE {in_batch_s}
        ORDER BY s.article_id, s.kind, s.span_id, a.attribution_id""", params).fetchall(), 3)
    article_findings = _group(query(
        con, f"""SELECT coalesce(article_id, row_key), check_id, severity, message, row_key FROM qa_failures
        WHERE run_id = $run AND dataset = $dataset
          AND (article_id BETWEEN $first AND $last
               OR (table_name = 'articles' AND row_key BETWEEN $first AND $last))
        QUALIFY row_number() OVER (PARTITION BY coalesce(article_id, row_key)
                                   ORDER BY severity = 'error' DESC, check_id, row_key) <= {FAILURES_PER_ARTICLE}
        ORDER BY ALL""", params).fetchall(), 1)
    sources = _group(query(
        con, f"""WITH cited AS (
            SELECT DISTINCT s.article_id, unnest([a.reporter_id, a.via_id, a.origin_id]) AS source_id
            FROM ({SPANS_SQL}) s
            JOIN attributions a ON a._dataset = s.dataset
                 AND ((s.kind = 'figure' AND a.figure_id = s.span_id) OR (s.kind = 'claim' AND a.claim_id = s.span_id))
            WHERE {in_batch_s}
        )
        SELECT DISTINCT c.article_id, c.source_id, src.name, src.kind, src.aliases
        FROM cited c LEFT JOIN sources src ON src._dataset = $dataset AND src.source_id = c.source_id
        WHERE c.source_id IS NOT NULL ORDER BY ALL""", params).fetchall(), 1)

    pages = []
    for article_id, title, outlet, url, published_at, language, text, file, line in batch:
        text = text or ""
        page = ArticlePage(dataset, article_id, title, outlet, url, published_at, language, text, file, line)
        for kind, span_id, start, end, label, span_file, span_line in spans.get((article_id,), []):
            span_findings = [Finding(*f) for f in findings.get((article_id, kind, span_id), [])]
            span = Span(kind, span_id, start if start is not None else -1, end if end is not None else -1,
                        bool(span_findings), span_anchor(kind, span_id))
            page.spans.append(SpanInfo(span, label, span_file, span_line, valid(span, len(text)),
                                       span_findings, chains.get((article_id, kind, span_id), [])))
        page.tree = mark_tree(text, [s.span for s in page.spans])
        page.findings = [(Finding(check_id, severity, message), row_key)
                         for check_id, severity, message, row_key in article_findings.get((article_id,), [])]
        page.sources = [SourceInfo(source_id, name, kind, list(aliases or []))
                        for source_id, name, kind, aliases in sources.get((article_id,), [])]
        pages.append(page)
    return pages


def article_pages(con: duckdb.DuckDBPyConnection, run: Run) -> Iterator[ArticlePage]:
    """Every article of the run's datasets, as loaded now, with its marks and findings."""
    if not has_article_tables(con):
        return
    for dataset in sorted(run.datasets):
        last = ""
        while batch := con.execute(
                "SELECT article_id, title, outlet, url, published_at, language, text, _file, _line "
                "FROM articles WHERE _dataset = ? AND article_id > ? ORDER BY article_id LIMIT ?",
                [dataset, last, BATCH_ARTICLES]).fetchall():
            last = batch[-1][0]
            yield from _batch_pages(con, run, dataset, batch)
