"""Paragraph and sentence spans over article text, with exact `str` offsets.

Rule-based and deterministic: a sentence ends at `.`, `!`, `?` or `…` (plus any closing
quotes or brackets) when the next word starts a new sentence. Abbreviations, initials and
decimals do not end a sentence; `conflict.On`, a period glued to a capital, does.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """`text[start:end]`; offsets are 0-based Python `str` indices, end exclusive."""

    start: int
    end: int
    text: str


# A paragraph is a line with its surrounding whitespace trimmed; blank lines separate nothing.
_PARAGRAPH = re.compile(r"\S(?:[^\n]*\S)?")
# A candidate boundary: terminator, closing quotes/brackets, then whitespace or a glued letter.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?:\s+|(?=[^\W\d_]))")
_OPENERS = "\"'“‘([¿¡"

# Before a period these never end a sentence: titles, and Latin abbreviations.
_TITLES = frozenset(
    "Mr Mrs Ms Dr Prof Gen Col Lt Sgt Capt Maj Adm Cmdr Gov Sen Rep Rev Hon Pres Amb St Jr Sr"
    " Mt Ft Supt".split()
)
_LATIN = frozenset({"e.g", "i.e", "cf", "vs", "viz", "approx", "ca"})
# Before a period and a number these do not end a sentence ("No. 5", "Jan. 12").
_BEFORE_NUMBER = frozenset(
    "No Nos no Art Fig Vol p pp Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec".split()
)
# An initial ("F.") or dotted acronym ("U.S.") ends a sentence only before one of these.
_SENTENCE_OPENERS = frozenset(
    "The A An He She It They We I This That These Those But And In On At However Its Their"
    " There His Her Our".split()
)
_DOTTED = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]")


def split_paragraphs(text: str) -> list[Span]:
    """Non-blank lines, trimmed; a headline line is a paragraph of its own."""
    return [Span(m.start(), m.end(), m.group()) for m in _PARAGRAPH.finditer(text)]


def split_sentences(text: str) -> list[Span]:
    """Sentences within each paragraph, in order, trimmed, never crossing a line break."""
    sentences: list[Span] = []
    for paragraph in split_paragraphs(text):
        start = paragraph.start
        # The pattern needs whitespace or a letter after the terminator, so a match never
        # ends the paragraph: its last sentence is appended after the loop.
        for boundary in _BOUNDARY.finditer(text, paragraph.start, paragraph.end):
            if _ends_sentence(text, boundary, start):
                end = _trim_end(text, boundary)
                sentences.append(Span(start, end, text[start:end]))
                start = boundary.end()
        sentences.append(Span(start, paragraph.end, text[start : paragraph.end]))
    return sentences


def sentence_at(sentences: list[Span], offset: int) -> Span | None:
    """The sentence holding `offset` (sentences sorted by start), or None between sentences."""
    index = bisect.bisect_right(sentences, offset, key=lambda span: span.start) - 1
    if index >= 0 and offset < sentences[index].end:
        return sentences[index]
    return None


def _trim_end(text: str, boundary: re.Match[str]) -> int:
    end = boundary.end()
    while end > boundary.start() and text[end - 1].isspace():
        end -= 1
    return end


def _ends_sentence(text: str, boundary: re.Match[str], sentence_start: int) -> bool:
    terminator = text[boundary.start()]
    glued = not text[boundary.end() - 1].isspace()
    next_word = _word_after(text, boundary.end())
    if not next_word or next_word[0].islower():
        return False  # "e.g. the", '"Why?" he asked' continue the sentence
    if terminator != ".":
        return True
    word = _word_before(text, boundary.start(), sentence_start)
    if glued:
        # "conflict.On" is a missing space; "U.S.Army" or "3.Then" are not worth guessing.
        return word.isalpha() and len(word) > 1 and any(c.islower() for c in word)
    if word in _TITLES or word.lower() in _LATIN:
        return False
    if word in _BEFORE_NUMBER and next_word[0].isdigit():
        return False
    if (len(word) == 1 and word.isupper()) or ("." in word and _DOTTED.fullmatch(word)):
        return next_word in _SENTENCE_OPENERS  # "John F. Kennedy", "the U.S. Army"
    return True


def _word_before(text: str, end: int, floor: int) -> str:
    """The token (letters, digits, inner dots) ending at `end`."""
    start = end
    while start > floor and (text[start - 1].isalnum() or text[start - 1] == "."):
        start -= 1
    return text[start:end].lstrip(".")


def _word_after(text: str, start: int) -> str:
    """The word starting at `start`, after any opening quotes or brackets."""
    while start < len(text) and text[start] in _OPENERS:
        start += 1
    end = start
    while end < len(text) and text[end].isalnum():
        end += 1
    return text[start:end]
