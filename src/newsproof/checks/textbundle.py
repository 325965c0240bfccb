"""One article with everything curated about it, for the checks that read article text.

The text checks (`grounding`, `text_attribution`) are pure functions of one `ArticleBundle`:
`check_xxx(bundle, params) -> Iterator[Failure]`. They never touch a database, so the same
functions run here on bundles read from DuckDB and elsewhere on bundles built per partition.

- `read_pages(con)` yields bundles in bounded pages: keyset pagination over articles by
  (_dataset, article_id), a few hundred per page, with the page's figures, claims and
  attributions fetched by a join on the page's ids (never a whole table in memory).
- `parsed(bundle)` is the article's text parsed once (sentences, quantities, attribution
  chains), shared by every check that looks at the same bundle in turn.
- `bundle_checks(specs)` turns `BundleCheck` specs into engine checks: one pass over the pages
  computes the failures of every spec and each check id is served from `ctx.cache`.
"""

from __future__ import annotations

import bisect
import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ..errors import NewsproofError
from ..text.attribution import Chain, Mention, SourceEntry, SourceRegistry, attribute
from ..text.numbers import Quantity, find_quantities
from ..text.sentences import Span, sentence_at, split_sentences
from .base import Check, CheckContext, Failure

PAGE_ARTICLES = 200


@dataclass(frozen=True)
class FigureRow:
    figure_id: str
    claim_id: str | None
    char_start: int | None
    char_end: int | None
    value_text: str | None
    value: float | None
    qualifier: str | None
    lower: float | None
    upper: float | None
    unit: str | None
    subject: str | None
    measure: str | None
    as_of: str | None
    linked_figure_id: str | None
    file: str | None
    line: int | None


@dataclass(frozen=True)
class ClaimRow:
    claim_id: str
    char_start: int | None
    char_end: int | None
    text: str | None
    claimant_id: str | None
    about_id: str | None
    stance: str | None
    status: str | None
    file: str | None
    line: int | None


@dataclass(frozen=True)
class AttributionRow:
    attribution_id: str
    figure_id: str | None
    claim_id: str | None
    reporter_id: str | None
    via_id: str | None
    origin_id: str | None
    cue: str | None
    char_start: int | None
    char_end: int | None
    file: str | None
    line: int | None


@dataclass(frozen=True)
class ArticleBundle:
    """An article, its curated rows (each with its `_file`/`_line`) and its dataset's sources."""

    dataset: str
    article_id: str
    text: str
    published_at: str | None
    file: str | None
    line: int | None
    figures: tuple[FigureRow, ...] = ()
    claims: tuple[ClaimRow, ...] = ()
    attributions: tuple[AttributionRow, ...] = ()
    sources: tuple[SourceEntry, ...] = ()


@functools.lru_cache(maxsize=32)
def source_registry(sources: tuple[SourceEntry, ...]) -> SourceRegistry:
    """One registry per source list (a dataset's), built once: building compiles a regex.
    A source id given twice (duplicate-key's finding) stands for its first entry."""
    first: dict[str, SourceEntry] = {}
    for entry in sources:
        first.setdefault(entry.source_id, entry)
    return SourceRegistry(first.values(), ambiguous="skip")


@functools.lru_cache(maxsize=32)
def _source_names(sources: tuple[SourceEntry, ...]) -> dict[str, str]:
    return {s.source_id: s.name for s in reversed(sources) if s.name and s.name.strip()}  # the first wins


# --------------------------------------------------------------------------- the parsed text

@dataclass
class ParsedArticle:
    """A bundle's text parsed once: sentences, counted quantities, attribution chains."""

    bundle: ArticleBundle
    registry: SourceRegistry
    names: dict[str, str]  # source id -> name
    sentences: list[Span]
    quantities: list[Quantity]
    _chains: dict[tuple[int, int], Chain] = field(default_factory=dict)
    _mentions: list[Mention] | None = None

    def chain(self, start: int, end: int) -> Chain:
        """Who the text says text[start:end] (see `text.attribution.attribute`)."""
        key = (start, end)
        if key not in self._chains:
            self._chains[key] = attribute(self.bundle.text, start, end, self.registry, self.sentences)
        return self._chains[key]

    def source_name(self, source_id: str | None) -> str | None:
        """A source's name for messages; its id if it has none (or is not registered)."""
        return None if source_id is None else self.names.get(source_id, source_id)

    def sentence(self, offset: int) -> Span | None:
        return sentence_at(self.sentences, offset)

    def mentions_between(self, start: int, end: int) -> list[Mention]:
        """The source mentions (names, aliases, resolved pronouns) inside text[start:end]."""
        if self._mentions is None:
            self._mentions = self.registry.find_mentions(self.bundle.text, self.sentences)
        first = bisect.bisect_left(self._mentions, start, key=lambda m: m.start)
        last = bisect.bisect_left(self._mentions, end, key=lambda m: m.start)
        return [m for m in self._mentions[first:last] if m.end <= end]

    def sources_near(self, start: int, end: int) -> set[str]:
        """Ids of the sources named in the sentences holding text[start:end] and the one before."""
        first = bisect.bisect_right(self.sentences, start, key=lambda s: s.start) - 2
        last = bisect.bisect_left(self.sentences, end, key=lambda s: s.start)
        low = self.sentences[max(first, 0)].start if self.sentences else 0
        high = self.sentences[last].start if last < len(self.sentences) else len(self.bundle.text)
        return {m.source_id for m in self.mentions_between(low, high)}

    def mentionable(self, source_id: str | None) -> bool:
        """Whether the text can name a source: it is registered with a name or an alias."""
        return source_id is not None and self.registry.knows(source_id)

    def quantities_overlapping(self, start: int, end: int) -> list[Quantity]:
        index = bisect.bisect_left(self.quantities, start, key=lambda q: q.end)
        found = []
        for quantity in self.quantities[index:]:
            if quantity.start >= end:
                break
            if quantity.end > start:
                found.append(quantity)
        return found

    def holds(self, start: int | None, end: int | None, expected: str | None) -> bool:
        """Whether a recorded span lies in the text and reads `expected` there."""
        return (expected is not None and start is not None and end is not None
                and 0 <= start < end <= len(self.bundle.text) and self.bundle.text[start:end] == expected)

    def evidence(self, start: int, end: int, **extra: Any) -> str:
        """Failure evidence: the sentence holding the span, its offset, the span, and `extra`."""
        sentence = self.sentence(start)
        evidence: dict[str, Any] = {}
        if sentence is not None:
            evidence = {"sentence": sentence.text, "sentence_start": sentence.start}
        evidence["span"] = [start, end]
        evidence.update(extra)
        return json.dumps(evidence, ensure_ascii=False)


_last_parsed: list[ParsedArticle | None] = [None]


def parsed(bundle: ArticleBundle) -> ParsedArticle:
    """The bundle's parsed text; the last bundle's is kept, as checks visit a bundle in turn."""
    last = _last_parsed[0]  # one read and one write: safe across threads
    if last is None or last.bundle is not bundle:
        last = ParsedArticle(bundle, source_registry(bundle.sources), _source_names(bundle.sources),
                             split_sentences(bundle.text), find_quantities(bundle.text))
        _last_parsed[0] = last
    return last


def quote(text: str | None, limit: int = 120) -> str:
    """A text for a message, in double quotes, shortened in the middle if long."""
    text = "" if text is None else " ".join(text.split())
    if len(text) > limit:
        text = text[: limit // 2 - 1] + "…" + text[-(limit // 2 - 1):]
    return f'"{text}"'


def number(value: float | None) -> str:
    """1500.0 -> '1,500'; 2.5 -> '2.5'."""
    if value is None:
        return "empty"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


# --------------------------------------------------------------------------- reading DuckDB

_REQUIRED = {
    "articles": ("article_id", "text", "published_at"),
    "figures": ("figure_id", "article_id", "claim_id", "char_start", "char_end", "value_text", "value",
                "qualifier", "lower", "upper", "unit", "subject", "measure", "as_of", "linked_figure_id"),
    "claims": ("claim_id", "article_id", "char_start", "char_end", "text", "claimant_id", "about_id",
               "stance", "status"),
    "attributions": ("attribution_id", "figure_id", "claim_id", "reporter_id", "via_id", "origin_id", "cue",
                     "char_start", "char_end"),
    "sources": ("source_id", "name", "kind", "aliases", "parent_id"),
}

_PAGE = "(SELECT unnest($datasets) AS dataset, unnest($articles) AS article_id)"
_FIGURES_SQL = f"""
SELECT f._dataset, f.article_id, f.figure_id, f.claim_id, f.char_start, f.char_end, f.value_text, f.value,
       f.qualifier, f.lower, f.upper, f.unit, f.subject, f.measure, CAST(f.as_of AS VARCHAR),
       f.linked_figure_id, f._file, f._line
FROM figures f JOIN {_PAGE} p ON f._dataset = p.dataset AND f.article_id = p.article_id
ORDER BY f._dataset, f.article_id, f._line"""
_CLAIMS_SQL = f"""
SELECT c._dataset, c.article_id, c.claim_id, c.char_start, c.char_end, c.text, c.claimant_id, c.about_id,
       c.stance, c.status, c._file, c._line
FROM claims c JOIN {_PAGE} p ON c._dataset = p.dataset AND c.article_id = p.article_id
ORDER BY c._dataset, c.article_id, c._line"""
# An attribution belongs to the article of the figure or claim it is about (equi-joins, so
# that DuckDB hash-joins them).
_ATTRIBUTION_COLUMNS = ("a.attribution_id, a.figure_id, a.claim_id, a.reporter_id, a.via_id, a.origin_id, "
                        "a.cue, a.char_start, a.char_end, a._file, a._line")
_ATTRIBUTIONS_SQL = f"""
WITH page AS {_PAGE}
SELECT DISTINCT * FROM (
  SELECT f._dataset, f.article_id, {_ATTRIBUTION_COLUMNS} FROM attributions a
  JOIN figures f ON a._dataset = f._dataset AND a.figure_id = f.figure_id
  JOIN page p ON f._dataset = p.dataset AND f.article_id = p.article_id
  UNION ALL
  SELECT c._dataset, c.article_id, {_ATTRIBUTION_COLUMNS} FROM attributions a
  JOIN claims c ON a._dataset = c._dataset AND a.claim_id = c.claim_id
  JOIN page p ON c._dataset = p.dataset AND c.article_id = p.article_id)
ORDER BY _dataset, article_id, _line"""
_SOURCES_SQL = """
SELECT source_id, name, kind, aliases, parent_id FROM sources
WHERE _dataset = $dataset AND source_id IS NOT NULL ORDER BY _line"""


def _require_columns(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name IN ('articles', 'figures', 'claims', "
        "'attributions', 'sources')").fetchall()
    present = {(t, c) for t, c in rows}
    missing = [f"{t}.{c}" for t, cols in _REQUIRED.items() for c in (*cols, "_dataset", "_file", "_line")
               if (t, c) not in present]
    if missing:
        raise NewsproofError("the text checks need columns this database lacks: " + ", ".join(missing),
                             hint="the text checks read the built-in table contracts (schemas/*.yaml)")


def _by_article(rows: list[tuple]) -> dict[tuple[str, str], list[tuple]]:
    grouped: dict[tuple[str, str], list[tuple]] = {}
    for row in rows:
        grouped.setdefault((row[0], row[1]), []).append(row[2:])
    return grouped


def _sources(con: duckdb.DuckDBPyConnection, dataset: str) -> tuple[SourceEntry, ...]:
    entries: dict[str, SourceEntry] = {}
    for source_id, name, kind, aliases, parent_id in con.execute(_SOURCES_SQL, {"dataset": dataset}).fetchall():
        entries.setdefault(source_id, SourceEntry(
            source_id, name or "", kind or "other", tuple(a for a in aliases or () if a), parent_id))
    return tuple(entries.values())


def read_pages(con: duckdb.DuckDBPyConnection, *, page_size: int = PAGE_ARTICLES) -> Iterator[list[ArticleBundle]]:
    """Every article with text, as bundles, `page_size` articles per page.

    Each page is a few bounded queries; no cursor stays open between pages, so callers may use
    the connection while they iterate. An article id given twice in a dataset (duplicate-key's
    finding) is read once.
    """
    _require_columns(con)
    sources: dict[str, tuple[SourceEntry, ...]] = {}
    after: tuple[str, str] | None = None
    while True:
        where = "" if after is None else "AND (_dataset, article_id) > ($dataset, $article_id)"
        params: dict[str, Any] = {"rows": page_size}
        if after is not None:
            params |= {"dataset": after[0], "article_id": after[1]}
        articles = con.execute(
            "SELECT _dataset, article_id, text, CAST(published_at AS VARCHAR), _file, _line FROM articles "
            f"WHERE _dataset IS NOT NULL AND article_id IS NOT NULL {where} "
            "ORDER BY _dataset, article_id, _line LIMIT $rows", params).fetchall()
        if not articles:
            return
        after = (articles[-1][0], articles[-1][1])
        keys = list(dict.fromkeys((a[0], a[1]) for a in articles))
        ids = {"datasets": [k[0] for k in keys], "articles": [k[1] for k in keys]}
        figures = _by_article(con.execute(_FIGURES_SQL, ids).fetchall())
        claims = _by_article(con.execute(_CLAIMS_SQL, ids).fetchall())
        attributions = _by_article(con.execute(_ATTRIBUTIONS_SQL, ids).fetchall())
        page, seen = [], set()
        for dataset, article_id, text, published_at, file, line in articles:
            key = (dataset, article_id)
            if key in seen or text is None:
                continue
            seen.add(key)
            if dataset not in sources:
                sources[dataset] = _sources(con, dataset)
            page.append(ArticleBundle(
                dataset, article_id, text, published_at, file, line,
                tuple(FigureRow(*row) for row in figures.get(key, ())),
                tuple(ClaimRow(*row) for row in claims.get(key, ())),
                tuple(AttributionRow(*row) for row in attributions.get(key, ())),
                sources[dataset],
            ))
        yield page
        if len(articles) < page_size:
            return


# --------------------------------------------------------------------------- engine checks

BundleFunction = Callable[[ArticleBundle, Mapping[str, Any]], Iterable[Failure]]


@dataclass(frozen=True)
class BundleCheck:
    """A text check: id, default severity, one-line description, tables, per-bundle function."""

    id: str
    severity: str
    description: str
    tables: tuple[str, ...]
    func: BundleFunction


# Suite parameters the text checks read; a pass is shared by the checks that agree on them.
TEXT_PARAMS = ("conflated_value_ratio",)


def run_bundle_checks(bundles: Iterable[ArticleBundle], specs: Iterable[BundleCheck],
                      params: Mapping[str, Any]) -> dict[str, list[Failure]]:
    """Failures of every spec over the bundles, by check id (each bundle parsed once)."""
    specs = tuple(specs)
    found: dict[str, list[Failure]] = {spec.id: [] for spec in specs}
    for bundle in bundles:
        for spec in specs:
            found[spec.id].extend(spec.func(bundle, params))
    return found


def bundle_checks(specs: tuple[BundleCheck, ...]) -> list[Check]:
    """Engine checks for the specs: the first one to run reads every page once and computes the
    failures of all specs; each check then takes its own from the run's cache."""

    def pages(con: duckdb.DuckDBPyConnection) -> Iterator[ArticleBundle]:
        for page in read_pages(con):
            yield from page

    def serve(check_id: str) -> Callable[[CheckContext], Iterable[Failure]]:
        def run(ctx: CheckContext) -> Iterable[Failure]:
            key = ("text-checks", tuple((name, repr(ctx.params.get(name))) for name in TEXT_PARAMS))
            if key not in ctx.cache:
                ctx.cache[key] = run_bundle_checks(pages(ctx.con), specs, ctx.params)
            # Each check id is asked for once per run: hand its failures over and free them.
            return ctx.cache[key].pop(check_id, [])
        return run

    return [Check(spec.id, spec.severity, spec.description, spec.tables, func=serve(spec.id))
            for spec in specs]
