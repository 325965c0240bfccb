"""The failing rows index.html carries for its in-page table, within a size budget.

Rows are taken round-robin across checks (the first row of every check, then the second, ...)
so a check with 100,000 failures cannot crowd out the others, and reading stops when the budget
is spent: a run of any size gives a page of bounded size. The CSVs always have every row.
Text failures (article_id + offsets) carry their sentence, from the evidence or from
`article_sentences`, cut into the text before, inside and after the span to mark.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

import duckdb
from markupsafe import Markup

from .data import has_table
from .paths import article_page, span_anchor

ROWS_PER_CHECK = 5_000
BUDGET_BYTES = 3_000_000
MAX_FIELD = 1_000  # characters of one value or message shown in the page
SENTENCE_CONTEXT = 300  # characters kept either side of a mark in a long sentence
MAX_CHAIN = 20  # sources shown of a recorded or expected attribution chain
_FETCH_ROWS = 2_000
# Compact row layout of the JSON blob (documented here and in report.js).
ROW_FIELDS = ("check", "severity", "table", "key", "column", "value", "message",
              "dataset", "file", "line", "href", "evidence")


@dataclass
class EmbeddedRows:
    checks: list[str]
    rows: list[list]
    per_check: Counter

    def truncated(self, check_id: str, failure_count: int) -> bool:
        return self.per_check[check_id] < failure_count

    def payload(self) -> dict:
        return {"fields": ROW_FIELDS, "checks": self.checks, "severities": ["error", "warning", "info"],
                "rows": self.rows}


def json_script(value: object) -> Markup:
    """JSON for a `<script type="application/json">` element: `<`, `>` and `&` are written as
    \\u escapes, so no string in the data can close the element or open a comment."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def _clip(text: str | None, limit: int = MAX_FIELD) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def _chain(value: object) -> list[str] | str | None:
    if isinstance(value, dict):  # {reporter, via, origin, cue}: one line per hop that is set
        value = [f"{hop}: {value[hop]}" for hop in ("reporter", "via", "origin", "cue") if value.get(hop)]
    if isinstance(value, list):
        return [_clip(str(v), 300) for v in value[:MAX_CHAIN]]
    return None if value is None else _clip(str(value), 300)


def sentence_parts(sentence: str, mark_start: int, mark_end: int) -> list[str]:
    """Split a sentence into [before, marked, after], cutting a long one to the context around
    the mark. Parts, not offsets: the browser counts string positions differently (UTF-16)."""
    mark_start = max(0, min(mark_start, len(sentence)))
    mark_end = max(mark_start, min(mark_end, len(sentence)))
    lo = max(0, mark_start - SENTENCE_CONTEXT)
    hi = min(len(sentence), mark_end + SENTENCE_CONTEXT)
    return [("…" if lo > 0 else "") + sentence[lo:mark_start], sentence[mark_start:mark_end],
            sentence[mark_end:hi] + ("…" if hi < len(sentence) else "")]


def evidence_for(evidence_json: str | None, char_start: int | None, char_end: int | None,
                 indexed_sentence: str | None, indexed_start: int | None) -> dict | None:
    """The evidence shown under a row: sentence with its mark, recorded vs expected chain, and
    any other keys the check gave."""
    try:
        evidence = json.loads(evidence_json) if evidence_json else {}
    except json.JSONDecodeError:
        evidence = {"evidence": evidence_json}
    if not isinstance(evidence, dict):
        evidence = {"evidence": evidence}
    out: dict = {}
    sentence, start = evidence.pop("sentence", None), evidence.pop("sentence_start", None)
    if sentence is None and indexed_sentence is not None:
        sentence, start = indexed_sentence, indexed_start
    if isinstance(sentence, str):
        if isinstance(start, int) and char_start is not None and char_end is not None:
            out["s"] = sentence_parts(sentence, char_start - start, char_end - start)
        else:
            out["s"] = [_clip(sentence), "", ""]
    recorded, expected = evidence.pop("recorded_chain", None), evidence.pop("expected_chain", None)
    if recorded is not None or expected is not None:
        out["r"], out["e"] = _chain(recorded), _chain(expected)
    extra = [[str(k), _clip(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False), 300)]
             for k, v in evidence.items()]
    if extra:
        out["x"] = extra
    return out or None


def embedded_rows(con: duckdb.DuckDBPyConnection, run_id: str, check_order: list[str],
                  rows_per_check: int = ROWS_PER_CHECK, budget_bytes: int = BUDGET_BYTES,
                  link_articles: bool = True) -> EmbeddedRows:
    """The rows to embed; with `link_articles`, each text failure links to its article page
    (off when the report has no article pages: findings without the data)."""
    index = {check_id: i for i, check_id in enumerate(check_order)}
    severity_index = {"error": 0, "warning": 1, "info": 2}
    if has_table(con, "article_sentences"):
        sentence_join = ("LEFT JOIN article_sentences s ON s._dataset = p.dataset AND s.article_id = p.article_id "
                         "AND p.char_start >= s.char_start AND p.char_start < s.char_end")
        sentence_cols = "s.text, s.char_start"
    else:
        sentence_join, sentence_cols = "", "NULL, NULL"
    cursor = con.execute(
        f"""WITH picked AS (
            SELECT *, row_number() OVER (PARTITION BY check_id
                ORDER BY dataset, file, line, row_key, column_name, message) AS rn
            FROM qa_failures WHERE run_id = $run
        )
        SELECT p.check_id, p.severity, p.table_name, p.row_key, p.column_name,
               left(p.value, {MAX_FIELD + 1}), left(p.message, {MAX_FIELD + 1}), p.dataset, p.file, p.line,
               p.article_id, p.char_start, p.char_end, p.evidence, {sentence_cols}, p.rn
        FROM picked p {sentence_join}
        WHERE p.rn <= $per_check
        QUALIFY row_number() OVER (PARTITION BY p.check_id, p.rn) = 1
        ORDER BY p.rn, CASE p.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, p.check_id""",
        {"run": run_id, "per_check": rows_per_check})
    picked: list[tuple[int, int, list]] = []
    per_check: Counter = Counter()
    spent, full = 0, False
    while not full and (batch := cursor.fetchmany(_FETCH_ROWS)):
        for (check_id, severity, table, key, column, value, message, dataset, file, line, article_id,
             char_start, char_end, evidence, sentence, sentence_start, rn) in batch:
            if check_id not in index:  # failures of a check the run has no result for
                continue
            href = None
            if link_articles and article_id is not None and dataset is not None:
                href = article_page(dataset, article_id)
                if table in ("figures", "claims") and key is not None:
                    href += "#" + span_anchor(table[:-1], key)
            row = [index[check_id], severity_index.get(severity, 2), table, key, column, _clip(value),
                   _clip(message), dataset, file, line, href,
                   evidence_for(evidence, char_start, char_end, sentence, sentence_start)]
            spent += len(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode()) + 1
            if spent > budget_bytes:
                full = True
                break
            picked.append((index[check_id], rn, row))
            per_check[check_id] += 1
    picked.sort(key=lambda item: (item[0], item[1]))
    return EmbeddedRows(check_order, [row for _, _, row in picked], per_check)
