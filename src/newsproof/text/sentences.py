"""Spans over article text with exact `str` offsets: paragraphs, sentences, phrases.

Rule-based and deterministic: a sentence ends at `.`, `!`, `?` or `…` (plus any closing
quotes or brackets) when the next word starts a new sentence. Abbreviations, initials and
decimals do not end a sentence; `conflict.On`, a period glued to a capital, does.

`PhraseFinder` is the whole-word phrase search the number and attribution scanners share.
"""

from __future__ import annotations

import bisect
import functools
import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar


@dataclass(frozen=True)
class Span:
    """`text[start:end]`; offsets are 0-based Python `str` indices, end exclusive."""

    start: int
    end: int
    text: str


# A paragraph is a line with its surrounding whitespace trimmed; blank lines separate nothing.
_PARAGRAPH = re.compile(r"\S(?:[^\n]*\S)?")
# A candidate boundary: a terminator and any closing quotes or brackets (group 1 ends them),
# then whitespace or a glued letter, then the next word (group 2) if there is one.
# One pattern per terminator, so that "." is found by fast literal search; the others are
# searched for only when the text has them.
_TERMINATORS = {
    terminator: re.compile(
        re.escape(terminator)
        + r"([.!?…]*[\"'”’)\]]*)(?:\s+|(?=[^\W\d_]))(?=[\"'“‘(\[¿¡]*(\w+))?"
    )
    for terminator in ".!?…"
}

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
    # (terminator start, end of the closing marks, start of what follows, the next word)
    candidates = sorted(
        (m.start(), m.end(1), m.end(), m.group(2))
        for terminator, pattern in _TERMINATORS.items()
        if terminator in text
        for m in pattern.finditer(text)
    )
    sentences: list[Span] = []
    index, count = 0, len(candidates)
    for paragraph in _PARAGRAPH.finditer(text):
        start, paragraph_end = paragraph.span()
        while index < count and candidates[index][0] < paragraph_end:
            mark_start, mark_end, after, next_word = candidates[index]
            index += 1
            # Skip a candidate inside the last boundary ("?!") or one that ends the paragraph.
            if (
                start <= mark_start
                and after < paragraph_end
                and _ends_sentence(text, mark_start, after, next_word, start)
            ):
                sentences.append(Span(start, mark_end, text[start:mark_end]))
                start = after
        sentences.append(Span(start, paragraph_end, text[start:paragraph_end]))
    return sentences


def sentence_at(sentences: list[Span], offset: int) -> Span | None:
    """The sentence holding `offset` (sentences sorted by start), or None between sentences."""
    index = bisect.bisect_right(sentences, offset, key=lambda span: span.start) - 1
    if index >= 0 and offset < sentences[index].end:
        return sentences[index]
    return None


def _ends_sentence(
    text: str, mark_start: int, after: int, next_word: str | None, sentence_start: int
) -> bool:
    if next_word is None or next_word[0].islower():
        return False  # "e.g. the", '"Why?" he asked' continue the sentence
    if text[mark_start] != ".":
        return True
    word = _word_before(text, mark_start, sentence_start)
    if not text[after - 1].isspace():
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
    """The token before a terminator at `end`, without opening quotes or brackets."""
    return text[max(floor, text.rfind(" ", floor, end) + 1) : end].lstrip("\"'“‘([")


def lowercase_keeping_offsets(text: str) -> str:
    """`text.lower()` with every character at its original offset.

    The few characters that lowercase to two ("İ") are left as they are.
    """
    lowered = text.lower()
    if len(lowered) == len(text):  # lower() never shortens, so equal length means aligned
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


_WORD_SEPARATORS = str.maketrans(
    dict.fromkeys(string.punctuation + "“”‘’«»„‚‹›—–―…·•¡¿", " ")
)
_LONG_KEY = 4  # keys this long rarely occur inside other words
_T = TypeVar("_T")


def remember_last(function: Callable[[str], _T]) -> Callable[[str], _T]:
    """Keep a text function's answer for the last string it was given (that very object):
    the text layer's scanners ask for the words or cues of one article in turn."""
    last: list[tuple[str | None, _T | None]] = [(None, None)]

    @functools.wraps(function)
    def remembered(text: str) -> _T:
        remembered_text, answer = last[0]  # one read and one write: safe across threads
        if remembered_text is not text:
            answer = function(text)
            last[0] = (text, answer)
        return answer

    return remembered


@remember_last
def lowercase_words(text: str) -> frozenset[str]:
    """The distinct lowercased words of `text`, punctuation removed."""
    return frozenset(lowercase_keeping_offsets(text).translate(_WORD_SEPARATORS).split())


class PhraseFinder:
    """Whole-word occurrences of fixed phrases: leftmost first, then longest, never overlapping.

    Words in a phrase are separated by single spaces in the text too. Both searches are
    linear in the text, with the per-character work done by the regex engine:

    - case-sensitive (source names): one trie-shaped regex. Names mostly start with a
      capital, and the engine skips to the characters a phrase can start with.
    - `ignore_case` (cues, number words, pronouns): such phrases start with common
      lowercase letters, so each is looked up by its longest word (its key), and only the
      keys among the text's words (`lowercase_words`) are searched for.
    """

    def __init__(self, phrases: Iterable[str], *, ignore_case: bool = False) -> None:
        self._ignore_case = ignore_case
        phrases = {phrase.lower() if ignore_case else phrase for phrase in phrases}
        if any(not phrase.translate(_WORD_SEPARATORS).split() for phrase in phrases):
            raise ValueError("every phrase needs a word")
        self._pattern = re.compile(_trie_pattern(phrases)) if phrases and not ignore_case else None
        self._by_key: dict[str, list[tuple[str, int]]] = {}  # key -> (phrase, key offset)
        for phrase in phrases if ignore_case else ():
            key = max(phrase.translate(_WORD_SEPARATORS).split(), key=len)
            offset = re.search(rf"(?<!\w){re.escape(key)}(?!\w)", phrase).start()
            self._by_key.setdefault(key, []).append((phrase, offset))
        # Short keys hit inside many words ("he" in "the"): a regex rejects those in C.
        self._short_key_patterns = {
            key: re.compile(rf"{re.escape(key)}(?<!\w{re.escape(key)})(?!\w)")
            for key in self._by_key
            if len(key) < _LONG_KEY
        }

    def find(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each phrase found, in order."""
        if not self._ignore_case:
            return [m.span() for m in self._pattern.finditer(text)] if self._pattern else []
        folded = lowercase_keeping_offsets(text)
        hits: list[tuple[int, int]] = []  # (start, -end): sorting puts the longest first
        for key in self._by_key.keys() & lowercase_words(text):
            for position in self._key_positions(key, folded):
                for phrase, offset in self._by_key[key]:
                    start = position - offset
                    end = start + len(phrase)
                    if start >= 0 and folded.startswith(phrase, start) and _is_word_edge(
                        folded, start, end
                    ):
                        hits.append((start, -end))
        found: list[tuple[int, int]] = []
        for start, negative_end in sorted(hits):
            if not found or start >= found[-1][1]:
                found.append((start, -negative_end))
        return found

    def _key_positions(self, key: str, folded: str) -> list[int]:
        pattern = self._short_key_patterns.get(key)
        if pattern is not None:
            return [match.start() for match in pattern.finditer(folded)]
        # str.find outpaces the regex engine's literal search; word edges are checked later.
        positions = []
        position = folded.find(key)
        while position != -1:
            positions.append(position)
            position = folded.find(key, position + 1)
        return positions


def _trie_pattern(phrases: Iterable[str]) -> str:
    """A regex matching any of `phrases` as whole words, longest first at each start."""
    trie: dict[str, dict] = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}  # a phrase ends here
    return _trie_branches(trie, at_root=True) + r"(?!\w)"


def _trie_branches(node: dict[str, dict], *, at_root: bool = False) -> str:
    branches = []
    for char, child in node.items():
        if char:
            escaped = re.escape(char)
            # The word-start check comes after the first character, so that the engine can
            # still skip ahead to the characters a phrase starts with.
            guard = rf"(?<!\w{escaped})" if at_root else ""
            branches.append(escaped + guard + _trie_branches(child))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body  # greedy: the longer phrase first


def _is_word_edge(text: str, start: int, end: int) -> bool:
    before_ok = start == 0 or not text[start - 1].isalnum()
    return before_ok and (end == len(text) or not text[end].isalnum())
