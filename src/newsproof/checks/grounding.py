"""Figure checks against the article text: is each figure where it says, and does the text say it?

Each check is a pure function of one `ArticleBundle` (see `textbundle`). A figure is grounded
when its span holds its value_text; the value, qualifier and unit are then compared with the
count the text layer reads there (`text.numbers.find_quantities`), so that a shifted span is
reported once, as figure-not-in-text, and not again as every field it no longer matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from ..text.numbers import QUALIFIERS, Quantity, parse_quantity
from .base import Failure
from .textbundle import ArticleBundle, BundleCheck, FigureRow, ParsedArticle, number, parsed, quote

DEFAULT_CONFLATED_VALUE_RATIO = 2.0

# Relative dates need the publication date to mean anything: "Last week", "on Monday".
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_RELATIVE_DATE = re.compile(
    rf"""\b(?:yesterday|today|tonight|tomorrow
    |(?:earlier|later)\s+this\s+(?:week|month|year)
    |(?:last|next|this|past|coming)\s+(?:week|weekend|month|year|spring|summer|autumn|winter|{_WEEKDAY})
    |on\s+{_WEEKDAY}
    |(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|a\s+few|several|\d+)
     \s+(?:days?|weeks?|months?|years?)\s+ago
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)
# Qualifiers the parser codes; any other recorded value is contract-enum's finding.
_KNOWN_QUALIFIERS = frozenset(QUALIFIERS.values()) | {"exact", "range", "vague"}
# What the text fixes for a value_text, and what the curator adds: who and what is counted.
_TEXT_FIELDS = ("value", "qualifier", "lower", "upper", "unit")
_MEANING_FIELDS = ("subject", "measure")


def _same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _failure(bundle: ArticleBundle, figure: FigureRow, column: str, value: Any, message: str,
             span: tuple[int, int] | None, evidence: str | None) -> Failure:
    start, end = span if span else (None, None)
    return Failure("figures", figure.figure_id, column, None if value is None else str(value), message,
                   bundle.dataset, figure.file, figure.line, bundle.article_id, start, end, evidence)


def text_quantity(article: ParsedArticle, figure: FigureRow) -> Quantity | None:
    """The count the text states at a grounded figure's span, or None if the span does not
    hold value_text. Among counts overlapping the span, one whose number lies inside it and
    has the recorded value is preferred; a span the scanner sets aside (a bare number word)
    is read on its own."""
    if not article.holds(figure.char_start, figure.char_end, figure.value_text):
        return None
    start, end = figure.char_start, figure.char_end
    overlapping = article.quantities_overlapping(start, end)
    inside = [q for q in overlapping if q.number_start < end and q.number_end > start]
    for candidates in ([q for q in inside if _same_number(q.value, figure.value)], inside, overlapping):
        if candidates:
            return candidates[0]
    standalone = parse_quantity(figure.value_text)
    if standalone is None:
        return None
    return replace(
        standalone, start=standalone.start + start, end=standalone.end + start,
        number_start=standalone.number_start + start, number_end=standalone.number_end + start,
        unit_start=None if standalone.unit_start is None else standalone.unit_start + start,
        unit_end=None if standalone.unit_end is None else standalone.unit_end + start,
    )


def _quantity_evidence(article: ParsedArticle, quantity: Quantity, **extra: Any) -> str:
    return article.evidence(quantity.start, quantity.end, text_value_text=quantity.value_text,
                            text_value=quantity.value, text_qualifier=quantity.qualifier,
                            text_unit=quantity.unit, **extra)


# --------------------------------------------------------------------------- per figure

def check_value_text_mismatch(bundle: ArticleBundle, params: Mapping[str, Any]) -> Iterator[Failure]:
    article = parsed(bundle)
    for figure in bundle.figures:
        if figure.value_text is None or figure.value is None:
            continue
        at_span = text_quantity(article, figure)
        # The text's own reading of the span, when it is exactly value_text, saves a parse.
        read = at_span if at_span is not None and at_span.value_text == figure.value_text \
            else parse_quantity(figure.value_text)
        span = (figure.char_start, figure.char_end) if at_span is not None else None
        evidence = article.evidence(*span) if span else None
        if read is None:
            yield _failure(bundle, figure, "value_text", figure.value_text,
                           f"value_text {quote(figure.value_text)} holds no number, but value is "
                           f"{number(figure.value)}", span, evidence)
        elif not _same_number(read.value, figure.value):
            yield _failure(bundle, figure, "value", number(figure.value),
                           f"value_text {quote(figure.value_text)} reads as {number(read.value)}, "
                           f"but value is recorded as {number(figure.value)}", span, evidence)


def check_figure_not_in_text(bundle: ArticleBundle, params: Mapping[str, Any]) -> Iterator[Failure]:
    text = bundle.text
    article = parsed(bundle)
    for figure in bundle.figures:
        start, end, value_text = figure.char_start, figure.char_end, figure.value_text
        if not value_text or start is None or end is None or not 0 <= start < end <= len(text):
            continue  # no span to compare: offset-out-of-range and the contract checks say why
        if text[start:end] == value_text:
            continue
        found = _occurrences(text, value_text)
        message = f"text[{start}:{end}] reads {quote(text[start:end])}, not value_text {quote(value_text)}"
        extra: dict[str, Any] = {"recorded_value_text": value_text}
        if found:
            nearest = min(found, key=lambda at: abs(at - start))
            shift = nearest - start
            message += (f"; offsets shifted by {shift:+d}: found at {nearest}..{nearest + len(value_text)}"
                        + (f" ({len(found)} occurrences)" if len(found) > 1 else ""))
            extra["found_at"] = [nearest, nearest + len(value_text)]
        else:
            message += "; value_text occurs nowhere in the article"
        yield _failure(bundle, figure, "char_start", start, message, (start, end),
                       article.evidence(start, end, **extra))


def _occurrences(text: str, phrase: str) -> list[int]:
    found, at = [], text.find(phrase)
    while at != -1:
        found.append(at)
        at = text.find(phrase, at + 1)
    return found


def check_figure_value_mismatch(bundle: ArticleBundle, params: Mapping[str, Any]) -> Iterator[Failure]:
    article = parsed(bundle)
    for figure in bundle.figures:
        quantity = text_quantity(article, figure)
        if quantity is None or figure.value is None or _same_number(quantity.value, figure.value):
            continue
        yield _failure(bundle, figure, "value", number(figure.value),
                       f"the text says {quote(quantity.value_text)}, which is {number(quantity.value)}, "
                       f"but value is recorded as {number(figure.value)}",
                       (quantity.start, quantity.end), _quantity_evidence(article, quantity))


def _qualifier_words(bundle: ArticleBundle, quantity: Quantity) -> str:
    return bundle.text[quantity.start:quantity.number_start].strip()


def check_qualifier_dropped(bundle: ArticleBundle, params: Mapping[str, Any]) -> Iterator[Failure]:
    article = parsed(bundle)
    for figure in bundle.figures:
        quantity = text_quantity(article, figure)
        if quantity is None or quantity.qualifier == "exact" or figure.qualifier not in _KNOWN_QUALIFIERS:
            continue
        words = _qualifier_words(bundle, quantity)
        if figure.qualifier == "exact":
            message = (f"the text says {quote(quantity.value_text)} (qualifier {quantity.qualifier}), "
                       f"but the figure is recorded as exact")
            column, value = "qualifier", figure.qualifier
        elif figure.char_start > quantity.start and words and figure.char_start <= quantity.number_start:
            message = (f"the text says {quote(quantity.value_text)}, but value_text "
                       f"{quote(figure.value_text)} leaves out {quote(words)}")
            column, value = "value_text", figure.value_text
        else:
            continue
        yield _failure(bundle, figure, column, value, message, (quantity.start, quantity.end),
                       _quantity_evidence(article, quantity))


def check_qualifier_mismatch(bundle: ArticleBundle, params: Mapping[str, Any]) -> Iterator[Failure]:
    article = parsed(bundle)
    for figure in bundle.figures:
        quantity = text_quantity(article, figure)
        if quantity is None or figure.qualifier in ("exact", quantity.qualifier):
            continue  # a qualifier recorded as exact is qualifier-dropped's
        if figure.qualifier not in _KNOWN_QUALIFIERS:
            continue
        if quantity.qualifier == "exact":
            said = f"states no qualifier: {quote(quantity.value_text)}"
        else:
            said = (f"says {quote(_qualifier_words(bundle, quantity) or quantity.value_text)} "
                    f"(qualifier {quantity.qualifier}) in {quote(quantity.value_text)}")
        yield _failure(bundle, figure, "qualifier", figure.qualifier,
                       f"the text {said}, but the figure is recorded with qualifier {figure.qualifier}",
                       (quantity.start, quantity.end), _quantity_evidence(article, quantity))


def _unit_matches(recorded: str, quantity: Quantity, text: str) -> bool:
    recorded = " ".join(recorded.lower().split())
    if recorded == quantity.unit:
        return True
    if quantity.unit_start is not None and recorded == text[quantity.unit_start:quantity.unit_end].lower():
        return True  # the plural as written; figure-unit-singular asks for the singular
    return re.split(r"[\s-]+", recorded)[-1] == quantity.unit  # "special-force" counts forces


def check_unit_mismatch(bundle: ArticleBundle, params: Mapping[str, Any]) -> Iterator[Failure]:
    article = parsed(bundle)
    for figure in bundle.figures:
        quantity = text_quantity(article, figure)
        if quantity is None or quantity.unit is None or figure.unit is None:
            continue
        if _unit_matches(figure.unit, quantity, bundle.text):
            continue
        counted = quantity.unit if quantity.unit_start is None else bundle.text[quantity.unit_start:quantity.unit_end]
        yield _failure(bundle, figure, "unit", figure.unit,
                       f"the text counts {quote(counted)} ({quantity.unit}) in {quote(quantity.value_text)}, "
                       f"but unit is recorded as {figure.unit}",
                       (quantity.start, quantity.end), _quantity_evidence(article, quantity))


# --------------------------------------------------------------------------- per article

def check_figure_missing_from_dataset(bundle: ArticleBundle, params: Mapping[str, Any]) -> Iterator[Failure]:
    spans = [(f.char_start, f.char_end) for f in bundle.figures
             if f.char_start is not None and f.char_end is not None]
    article = parsed(bundle)
    for quantity in article.quantities:
        if quantity.qualifier == "vague":
            continue  # "several bases" states no number to check
        if any(start < quantity.end and end > quantity.start for start, end in spans):
            continue
        yield Failure(
            "articles", bundle.article_id, "text", quantity.value_text,
            f"{quote(quantity.value_text)} at {quantity.start}..{quantity.end} is a count in the text "
            f"that no figure row covers", bundle.dataset, bundle.file, bundle.line, bundle.article_id,
            quantity.start, quantity.end, _quantity_evidence(article, quantity),
        )


def normalised_value_text(value_text: str) -> str:
    return " ".join(value_text.lower().replace("’", "'").split())


def _field_text(value: Any) -> str:
    return number(value) if isinstance(value, float) else ("empty" if value is None else str(value))


def _parties(article: ParsedArticle, figure: FigureRow) -> tuple[str, ...]:
    """The sources named in a grounded figure's clause, after its attribution cue and other than
    its chain's: "that [North Korea] had sent over 1,500 soldiers to [Russia]"."""
    start, end = figure.char_start, figure.char_end
    if not article.holds(start, end, figure.value_text):
        return ()
    sentence = article.sentence(start)
    if sentence is None:
        return ()
    chain = article.chain(start, end)
    clause_start = chain.cue_end if chain.cue_end is not None and sentence.start <= chain.cue_end <= start \
        else sentence.start
    speakers = {chain.reporter_id, chain.via_id, chain.origin_id}
    return tuple(dict.fromkeys(m.source_id for m in article.mentions_between(clause_start, sentence.end)
                               if m.source_id not in speakers))


def check_repeated_figure_inconsistent(bundle: ArticleBundle, params: Mapping[str, Any]) -> Iterator[Failure]:
    """Figures with the same value_text in one article agree on what the text fixes (value,
    qualifier, bounds, unit); on subject and measure too when their clauses name the same
    parties, so that "Arland sent 500 soldiers" and "Borovia sent 500 soldiers" may differ."""
    first_by_text: dict[str, FigureRow] = {}
    article = parsed(bundle)
    for figure in sorted(bundle.figures, key=lambda f: (f.line or 0, f.figure_id)):
        if figure.value_text is None:
            continue
        first = first_by_text.setdefault(normalised_value_text(figure.value_text), figure)
        if first is figure:
            continue
        differ = [name for name in _TEXT_FIELDS if not _same_field(getattr(first, name), getattr(figure, name))]
        meaning = [name for name in _MEANING_FIELDS if getattr(first, name) != getattr(figure, name)]
        if meaning and (parties := _parties(article, figure)) and parties == _parties(article, first):
            differ += meaning
        if not differ:
            continue
        details = ", ".join(f"{name} {_field_text(getattr(figure, name))} (vs {_field_text(getattr(first, name))})"
                            for name in differ)
        span = (figure.char_start, figure.char_end) if article.holds(
            figure.char_start, figure.char_end, figure.value_text) else None
        yield _failure(
            bundle, figure, differ[0], getattr(figure, differ[0]),
            f"{quote(figure.value_text)} is recorded again in this article as {figure.figure_id} with "
            f"{details} in {first.figure_id} (line {first.line})",
            span, article.evidence(*span, first_figure=first.figure_id) if span else None,
        )


def _same_field(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        # A negative count breaks the contract (contract-range says so): nothing to compare.
        return (a is not None and a < 0) or (b is not None and b < 0) or _same_number(a, b)
    return a == b


def _disjoint(a: FigureRow, b: FigureRow) -> bool:
    return ((a.upper is not None and b.lower is not None and a.upper < b.lower)
            or (b.upper is not None and a.lower is not None and b.upper < a.lower))


def _ratio(a: float, b: float) -> float:
    low, high = sorted((abs(a), abs(b)))
    return float("inf") if low == 0 else high / low


def check_measure_conflated(bundle: ArticleBundle, params: Mapping[str, Any]) -> Iterator[Failure]:
    """Two figures of one count (subject, measure, unit, as_of) in one article whose values are
    far apart (more than `conflated_value_ratio` times) or whose bounds cannot both hold.
    Estimates of one count that differ but agree ("more than 10,000", "twelve thousand") pass."""
    max_ratio = float(params.get("conflated_value_ratio", DEFAULT_CONFLATED_VALUE_RATIO))
    article = parsed(bundle)
    seen: dict[tuple, list[FigureRow]] = {}
    for figure in sorted(bundle.figures, key=lambda f: (f.line or 0, f.figure_id)):
        if figure.value is None or figure.subject is None or figure.measure is None or figure.unit is None:
            continue
        earlier = seen.setdefault((figure.subject, figure.measure, figure.unit, figure.as_of), [])
        for other in earlier:
            if _same_number(other.value, figure.value) or (
                    figure.value_text and other.value_text
                    and normalised_value_text(figure.value_text) == normalised_value_text(other.value_text)):
                continue  # the same number again is repeated-figure-inconsistent's business
            ratio = _ratio(figure.value, other.value)
            if ratio > max_ratio:
                why = f"{ratio:.0f}x apart" if ratio != float("inf") else "one of them zero"
            elif _disjoint(figure, other):
                why = "with bounds that cannot both hold"
            else:
                continue
            span = (figure.char_start, figure.char_end) if article.holds(
                figure.char_start, figure.char_end, figure.value_text) else None
            yield _failure(
                bundle, figure, "measure", figure.measure,
                f"{figure.figure_id} {quote(figure.value_text)} ({number(figure.value)}) and {other.figure_id} "
                f"{quote(other.value_text)} ({number(other.value)}, line {other.line}) are both recorded as "
                f"{figure.subject} / {figure.measure} in {figure.unit}, {why}: two different counts under one "
                f"measure", span, article.evidence(*span, other_figure=other.figure_id) if span else None,
            )
            break
        earlier.append(figure)


def check_relative_date_unanchored(bundle: ArticleBundle, params: Mapping[str, Any]) -> Iterator[Failure]:
    if bundle.published_at:
        return
    article = parsed(bundle)
    for match in _RELATIVE_DATE.finditer(bundle.text):
        yield Failure(
            "articles", bundle.article_id, "published_at", match.group(),
            f"{quote(match.group())} is a relative date, but the article has no published_at to anchor it",
            bundle.dataset, bundle.file, bundle.line, bundle.article_id, match.start(), match.end(),
            article.evidence(match.start(), match.end()),
        )


CHECKS = (
    BundleCheck("value-text-mismatch", "error",
                "A figure's value_text reads as its recorded value ('12,000' is not 1,200).",
                ("figures",), check_value_text_mismatch),
    BundleCheck("figure-not-in-text", "error",
                "A figure's span holds its value_text in the article text.",
                ("figures", "articles"), check_figure_not_in_text),
    BundleCheck("figure-value-mismatch", "error",
                "The number the article states at a figure's span is the recorded value.",
                ("figures", "articles"), check_figure_value_mismatch),
    BundleCheck("qualifier-dropped", "error",
                "A qualifier the text puts on a figure ('over', 'about') is recorded, with the span.",
                ("figures", "articles"), check_qualifier_dropped),
    BundleCheck("qualifier-mismatch", "error",
                "A figure's recorded qualifier is the one the text states (about is not over).",
                ("figures", "articles"), check_qualifier_mismatch),
    BundleCheck("unit-mismatch", "error",
                "A figure's unit is the noun the text counts (soldier, not brigade).",
                ("figures", "articles"), check_unit_mismatch),
    BundleCheck("figure-missing-from-dataset", "warning",
                "Every count with a number in an article is recorded as a figure (a vague 'several bases' "
                "is not asked for).",
                ("articles", "figures"), check_figure_missing_from_dataset),
    BundleCheck("repeated-figure-inconsistent", "error",
                "Figures of one article with the same value_text agree on value, qualifier, bounds and unit, "
                "and on subject and measure when their clauses name the same parties.",
                ("figures",), check_repeated_figure_inconsistent),
    BundleCheck("measure-conflated", "error",
                "Figures of one article recorded as the same count (subject, measure, unit, date) are not "
                "far apart (conflated_value_ratio): two different counts are not merged under one measure.",
                ("figures",), check_measure_conflated),
    BundleCheck("relative-date-unanchored", "info",
                "Relative dates ('last week', 'on Monday') have a published_at to anchor them.",
                ("articles",), check_relative_date_unanchored),
)
