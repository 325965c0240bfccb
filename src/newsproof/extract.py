"""Propose figures, claims and attributions from article text, with the same text layer the
checks use: what the extractor proposes is what the grounding and attribution checks expect.

- `propose(text, article_id, registry)` -> `Proposal`: rows in the dataset's CSV columns
  (schemas/*.yaml), ids `<article_id>-f01`, `-c01`, `-a01`. A figure is every count
  `text.numbers.find_quantities` reads; its attribution is the chain `text.attribution.attribute`
  reads; its claim is the clause that carries it (the "that" clause after the cue, else the
  quote around it, else its sentence). Subject and measure are left for the curator. A vague
  count nobody is said to state ("activity at several bases") is not proposed, as the
  figure-missing-from-dataset check does not ask for it.
- `extract_files(paths, sources=)` reads .txt files (article id = file stem) and articles.jsonl.
- `diff_dataset(proposals, dataset_dir)`: what a curated dataset has that the extractor does not
  propose, and the reverse; figures match on span, value, qualifier, unit and origin.
- `score(dataset_dir)`: precision and recall of the proposed figures and of their attributions
  against a curated dataset.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from .checks.textbundle import read_pages, source_registry
from .contracts import load_contracts
from .errors import NewsproofError
from .text.attribution import CUES, NO_CHAIN, Chain, SourceEntry, SourceRegistry, attribute, find_quotes
from .text.numbers import Quantity, find_quantities
from .text.sentences import Span, sentence_at, split_sentences

PROPOSED_TABLES = ("figures", "claims", "attributions")
_THAT = re.compile(r"\bthat\s+", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[\s.!?…]+$")


@dataclass
class Proposal:
    """Proposed rows, each a dict keyed by the table contract's column names."""

    figures: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    attributions: list[dict[str, Any]] = field(default_factory=list)

    def extend(self, other: Proposal) -> None:
        self.figures += other.figures
        self.claims += other.claims
        self.attributions += other.attributions


def _stance(chain: Chain) -> str:
    if chain.cue is not None and CUES.get(chain.cue, ("", ""))[1] == "denial":
        return "denies"
    return "reports" if chain.reporter_id != chain.origin_id else "asserts"


def _claim_span(text: str, sentence: Span, quotes: list[Span], quantity: Quantity, chain: Chain) -> tuple[int, int]:
    """The clause that carries a figure: after "that" following a cue before it, else the quote
    holding it, else the whole sentence (closing punctuation left out)."""
    if chain.cue_end is not None and sentence.start <= chain.cue_end <= quantity.start:
        that = _THAT.search(text, chain.cue_end, quantity.start)
        if that is not None:
            end = sentence.start + len(_SENTENCE_END.sub("", sentence.text))
            return that.end(), max(end, quantity.end)
    for quote_span in quotes:
        if quote_span.start <= quantity.start and quantity.end <= quote_span.end:
            return quote_span.start, quote_span.start + len(quote_span.text.rstrip(" ,.;:"))
    return sentence.start, max(sentence.start + len(_SENTENCE_END.sub("", sentence.text)), quantity.end)


def propose(text: str, article_id: str, registry: SourceRegistry | None = None) -> Proposal:
    """Figures, claims and attributions for one article (see the module docstring)."""
    registry = registry or SourceRegistry([])
    sentences = split_sentences(text)
    quotes = find_quotes(text)
    proposal = Proposal()
    claim_ids: dict[tuple[int, int], str] = {}
    numbers: dict[int, int] = {}  # index in find_quantities -> figure number
    for index, quantity in enumerate(find_quantities(text)):
        chain = attribute(text, quantity.start, quantity.end, registry, sentences)
        known = chain != NO_CHAIN and chain.reporter_id is not None and chain.origin_id is not None
        if quantity.qualifier == "vague" and not known:
            continue  # "new activity at several bases": no number, nobody's figure (as the checks see it)
        numbers[index] = len(numbers) + 1
        figure_id = f"{article_id}-f{numbers[index]:02d}"
        sentence = sentence_at(sentences, quantity.start)
        claim_id = None
        if known and sentence is not None:
            span = _claim_span(text, sentence, quotes, quantity, chain)
            claim_id = claim_ids.get(span)
            if claim_id is None:
                claim_id = claim_ids[span] = f"{article_id}-c{len(claim_ids) + 1:02d}"
                proposal.claims.append({
                    "claim_id": claim_id, "article_id": article_id, "char_start": span[0], "char_end": span[1],
                    "text": text[span[0]:span[1]], "claimant_id": chain.reporter_id, "about_id": None,
                    "stance": _stance(chain), "status": "reported",
                })
                proposal.attributions.append(_attribution(article_id, len(proposal.attributions) + 1,
                                                          None, claim_id, chain))
            proposal.attributions.append(_attribution(article_id, len(proposal.attributions) + 1,
                                                      figure_id, None, chain))
        linked = None if quantity.linked_to not in numbers else f"{article_id}-f{numbers[quantity.linked_to]:02d}"
        proposal.figures.append({
            "figure_id": figure_id, "article_id": article_id, "claim_id": claim_id,
            "char_start": quantity.start, "char_end": quantity.end, "value_text": quantity.value_text,
            "value": quantity.value, "qualifier": quantity.qualifier, "lower": quantity.lower,
            "upper": quantity.upper, "unit": quantity.unit, "subject": None, "measure": None,
            "as_of": None, "linked_figure_id": linked,
        })
    return proposal


def _attribution(article_id: str, number: int, figure_id: str | None, claim_id: str | None,
                 chain: Chain) -> dict[str, Any]:
    return {"attribution_id": f"{article_id}-a{number:02d}", "figure_id": figure_id, "claim_id": claim_id,
            "reporter_id": chain.reporter_id, "via_id": chain.via_id, "origin_id": chain.origin_id,
            "cue": chain.cue, "char_start": chain.cue_start, "char_end": chain.cue_end}


# --------------------------------------------------------------------------- files

def read_sources(path: str | Path) -> list[SourceEntry]:
    """A sources.csv (source_id, name, kind, aliases '|'-separated, parent_id)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = {"source_id", "name"} - set(reader.fieldnames or ())
            if missing:
                raise NewsproofError("sources file lacks column(s) " + ", ".join(sorted(missing)), file=str(path),
                                     line=1, hint="use the columns of schemas/sources.yaml")
            entries: dict[str, SourceEntry] = {}
            for row in reader:
                source_id = (row.get("source_id") or "").strip()
                if not source_id:
                    raise NewsproofError("a source has no source_id", file=str(path), line=reader.line_num)
                aliases = tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip())
                entries.setdefault(source_id, SourceEntry(source_id, (row.get("name") or "").strip(),
                                                          (row.get("kind") or "other").strip(), aliases,
                                                          (row.get("parent_id") or "").strip() or None))
    except OSError as exc:
        raise NewsproofError(f"cannot read sources file: {exc.strerror}", file=str(path)) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise NewsproofError(f"not a readable CSV file: {exc}", file=str(path)) from None
    return list(entries.values())


def read_articles(path: str | Path) -> Iterator[tuple[str, str]]:
    """(article_id, text) of an article file: a .txt file (its stem is the id, its content the
    text, verbatim) or an articles.jsonl (one record per line, with article_id and text)."""
    path = Path(path)
    try:
        data = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise NewsproofError(f"cannot read article file: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError:
        raise NewsproofError("article file is not UTF-8 text", file=str(path)) from None
    if path.suffix == ".txt":
        yield path.stem, data
        return
    if path.suffix not in (".jsonl", ".ndjson"):
        raise NewsproofError("not an article file", file=str(path),
                             hint="give .txt files (one article each) or an articles.jsonl")
    for number, line in enumerate(data.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise NewsproofError(f"not a JSON record: {exc.msg}", file=str(path), line=number,
                                 column=str(exc.colno)) from None
        if not isinstance(record, dict) or not isinstance(record.get("article_id"), str) \
                or not isinstance(record.get("text"), str):
            raise NewsproofError("a record needs article_id and text (strings)", file=str(path), line=number)
        yield record["article_id"], record["text"]


def extract_files(paths: Iterable[str | Path], registry: SourceRegistry | None = None
                  ) -> tuple[Proposal, dict[str, str]]:
    """Proposals for every article in the files, and the articles' texts by id."""
    proposal, texts = Proposal(), {}
    for path in paths:
        for article_id, text in read_articles(path):
            if article_id in texts:
                raise NewsproofError(f"article id {article_id!r} is given twice", file=str(path))
            texts[article_id] = text
            proposal.extend(propose(text, article_id, registry))
    return proposal, texts


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.12g}"  # 3300.0000000000005 (about 3,000 + 10%) -> 3300
    return str(value)


def write_proposal(proposal: Proposal, out_dir: str | Path, schemas: str | Path | None = None) -> list[Path]:
    """figures.csv, claims.csv and attributions.csv in the dataset format; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    contracts = load_contracts(schemas)
    written = []
    for table in PROPOSED_TABLES:
        columns = contracts[table].column_names
        path = out / f"{table}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows([_cell(row.get(c)) for c in columns] for row in getattr(proposal, table))
        written.append(path)
    return written


def summary_lines(proposal: Proposal) -> Iterator[str]:
    """One line per proposed figure: id, span, value_text, value, qualifier, unit, chain."""
    chains = {a["figure_id"]: a for a in proposal.attributions if a["figure_id"]}
    for figure in proposal.figures:
        chain = chains.get(figure["figure_id"])
        said = "unattributed" if chain is None else " -> ".join(
            s for s in (chain["reporter_id"], chain["via_id"], chain["origin_id"]) if s) + f" ({chain['cue']})"
        yield (f"{figure['figure_id']}  {figure['char_start']}..{figure['char_end']}  {figure['value_text']!r}  "
               f"value={_cell(figure['value'])} qualifier={figure['qualifier']} unit={figure['unit'] or '-'}  {said}")


# --------------------------------------------------------------------------- curated datasets

@dataclass(frozen=True)
class FigureKey:
    """What a proposed and a curated figure must share to match."""

    char_start: int | None
    char_end: int | None
    value: float | None
    qualifier: str | None
    unit: str | None
    origin_id: str | None


@dataclass(frozen=True)
class CuratedArticle:
    article_id: str
    text: str
    figures: dict[str, FigureKey]  # figure id -> key
    value_texts: dict[str, str]
    chains: set[tuple]  # (figure span, reporter, via, origin) of the figures' attributions
    sources: tuple[SourceEntry, ...]


def read_curated(dataset_dir: str | Path) -> dict[str, CuratedArticle]:
    """A dataset folder's articles with their figures and figure attributions, loaded through
    the project loader into an in-memory database (so files read exactly as `load` reads them)."""
    from .load import load_dataset

    con = duckdb.connect()
    try:
        load_dataset(dataset_dir, ":memory:", con=con)
        curated = {}
        for page in read_pages(con):
            for bundle in page:
                origins = {a.figure_id: a for a in sorted(bundle.attributions, key=lambda a: a.line or 0)
                           if a.figure_id}
                figures, value_texts, chains = {}, {}, set()
                for f in bundle.figures:
                    attribution = origins.get(f.figure_id)
                    figures[f.figure_id] = FigureKey(f.char_start, f.char_end, f.value, f.qualifier, f.unit,
                                                     attribution.origin_id if attribution else None)
                    value_texts[f.figure_id] = f.value_text or ""
                    for a in bundle.attributions:
                        if a.figure_id == f.figure_id:
                            chains.add((f.char_start, f.char_end, a.reporter_id, a.via_id, a.origin_id))
                curated[bundle.article_id] = CuratedArticle(bundle.article_id, bundle.text, figures, value_texts,
                                                            chains, bundle.sources)
        return curated
    finally:
        con.close()


def _proposed_keys(proposal: Proposal, article_id: str) -> tuple[dict[str, FigureKey], dict[str, str], set[tuple]]:
    chains = {a["figure_id"]: a for a in proposal.attributions if a["figure_id"]}
    keys, value_texts, attributed = {}, {}, set()
    for f in proposal.figures:
        if f["article_id"] != article_id:
            continue
        chain = chains.get(f["figure_id"])
        keys[f["figure_id"]] = FigureKey(f["char_start"], f["char_end"], f["value"], f["qualifier"], f["unit"],
                                         chain["origin_id"] if chain else None)
        value_texts[f["figure_id"]] = f["value_text"]
        if chain:
            attributed.add((f["char_start"], f["char_end"], chain["reporter_id"], chain["via_id"], chain["origin_id"]))
    return keys, value_texts, attributed


def _describe_figure(figure_id: str, key: FigureKey, value_text: str) -> str:
    return (f"{figure_id} {key.char_start}..{key.char_end} {value_text!r} value={_cell(key.value)} "
            f"qualifier={key.qualifier} unit={key.unit or '-'} origin={key.origin_id or '-'}")


def _differences(a: FigureKey, b: FigureKey) -> list[str]:
    return [name for name in ("value", "qualifier", "unit", "origin_id") if getattr(a, name) != getattr(b, name)]


def diff_dataset(proposal: Proposal, texts: dict[str, str], dataset_dir: str | Path) -> tuple[list[str], int]:
    """Lines comparing the proposal with a curated dataset's figures, and how many differ."""
    curated = read_curated(dataset_dir)
    lines, differing = [], 0
    by_text = {a.text: a for a in curated.values()}
    for article_id, text in texts.items():
        # A .txt file is named by its stem; the same text in the dataset is the same article.
        article = curated.get(article_id) or by_text.get(text)
        if article is None:
            lines.append(f"{article_id}: not in the dataset {dataset_dir} (no article with this id or text)")
            differing += 1
            continue
        proposed, proposed_texts, _ = _proposed_keys(proposal, article_id)
        only_curated = {i: k for i, k in article.figures.items() if k not in set(proposed.values())}
        only_proposed = {i: k for i, k in proposed.items() if k not in set(article.figures.values())}
        named = article_id if article.article_id == article_id else \
            f"{article_id} (dataset article {article.article_id})"
        lines.append(f"{named}: {len(article.figures)} curated figure(s), {len(proposed)} proposed, "
                     f"{len(article.figures) - len(only_curated)} matching")
        if article.text != text:
            lines.append("  note: the article text differs from the dataset's; spans may not line up")
        by_span = {(k.char_start, k.char_end): (i, k) for i, k in only_proposed.items()}
        for figure_id, key in only_curated.items():
            line = "  only in dataset: " + _describe_figure(figure_id, key, article.value_texts[figure_id])
            twin = by_span.get((key.char_start, key.char_end))
            if twin:
                line += f" (proposed {twin[0]} differs in {', '.join(_differences(key, twin[1]))})"
            lines.append(line)
        by_span = {(k.char_start, k.char_end): (i, k) for i, k in only_curated.items()}
        for figure_id, key in only_proposed.items():
            line = "  only proposed:   " + _describe_figure(figure_id, key, proposed_texts[figure_id])
            twin = by_span.get((key.char_start, key.char_end))
            if twin:
                line += f" (dataset {twin[0]} differs in {', '.join(_differences(key, twin[1]))})"
            lines.append(line)
        differing += len(only_curated) + len(only_proposed)
    return lines, differing


def _precision_recall(curated: int, proposed: int, matched: int) -> dict[str, float | int | None]:
    return {"curated": curated, "proposed": proposed, "matched": matched,
            "precision": matched / proposed if proposed else None,
            "recall": matched / curated if curated else None}


def score(dataset_dir: str | Path) -> dict[str, Any]:
    """Precision and recall of what `propose` gives for a curated dataset's articles, with the
    dataset's own sources: figures match on span, value, qualifier and unit; attributions (of
    figures) on the figure's span, reporter, via and origin."""
    curated = read_curated(dataset_dir)
    totals = {"figures": [0, 0, 0], "attributions": [0, 0, 0]}  # curated, proposed, matched
    for article in curated.values():
        proposal = propose(article.text, article.article_id, source_registry(article.sources))
        proposed, _, attributed = _proposed_keys(proposal, article.article_id)

        def figure_key(key: FigureKey) -> tuple:
            return key.char_start, key.char_end, key.value, key.qualifier, key.unit

        curated_figures = [figure_key(k) for k in article.figures.values()]
        proposed_figures = {figure_key(k) for k in proposed.values()}
        for name, (c, p, m) in (("figures", (len(curated_figures), len(proposed),
                                              sum(1 for k in curated_figures if k in proposed_figures))),
                                ("attributions", (len(article.chains), len(attributed),
                                                  len(article.chains & attributed)))):
            totals[name] = [t + v for t, v in zip(totals[name], (c, p, m))]
    return {"dataset": str(dataset_dir), "articles": len(curated),
            **{name: _precision_recall(*values) for name, values in totals.items()}}
