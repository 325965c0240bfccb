"""Who says what: source mentions, attribution cues, quotes, and reporting chains.

`attribute(text, start, end, registry)` answers "who says text[start:end]?" with a `Chain`:
the reporter (who says it in the article), the origin (the source ultimately cited) and,
for a relayed report, the source in between:

    "X disclosed that ... [span]"             reporter X, origin X, cue "disclosed"
    "X reported, citing Y, that ... [span]"   reporter X, origin Y, cue "citing"
    "X reported, citing Y, which cited Z"     reporter X, via Y, origin Z, cue "citing"
    "according to Y, ... [span]"              reporter Y, origin Y, cue "according to"
    "[span], as reported by X"                reporter X, origin X, cue "as reported by"
    '"[span] ...," he added.'                 the speaker, via the pronoun, cue "added"

Rule-based: the subject of a cue is the nearest source mention before it in the sentence,
the source a citation names is the mention right after it. Unknown sources give None.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .sentences import PhraseFinder, Span, remember_last, split_sentences

# Surface form -> (lemma, kind). Kinds: speech, disclosure, citation, denial, belief.
CUES: dict[str, tuple[str, str]] = {
    "said": ("say", "speech"), "says": ("say", "speech"), "say": ("say", "speech"),
    "told": ("tell", "speech"), "added": ("add", "speech"), "shared": ("share", "speech"),
    "noted": ("note", "speech"), "emphasized": ("emphasize", "speech"),
    "emphasised": ("emphasize", "speech"), "stated": ("state", "speech"),
    "warned": ("warn", "speech"), "cautioned": ("caution", "speech"),
    "put it": ("put", "speech"), "discussed": ("discuss", "speech"),
    "disclosed": ("disclose", "disclosure"), "revealed": ("reveal", "disclosure"),
    "reported": ("report", "disclosure"), "announced": ("announce", "disclosure"),
    "as reported by": ("report", "disclosure"),
    "citing": ("cite", "citation"), "cited": ("cite", "citation"),
    "according to": ("according to", "citation"), "quoting": ("quote", "citation"),
    "denied": ("deny", "denial"), "dismissed": ("dismiss", "denial"),
    "rejected": ("reject", "denial"), "refuted": ("refute", "denial"),
    "refute": ("refute", "denial"), "refutes": ("refute", "denial"),
    "believe": ("believe", "belief"), "believes": ("believe", "belief"),
    "claimed": ("claim", "belief"), "claims": ("claim", "belief"),
    "suspects": ("suspect", "belief"), "estimated": ("estimate", "belief"),
    "estimates": ("estimate", "belief"),
}  # fmt: skip
# Cues whose source comes after them: "citing Y", "according to Y", "as reported by X".
_SOURCE_FOLLOWS = frozenset(s for s, (_, kind) in CUES.items() if kind == "citation") | {
    "as reported by"
}
PERSON_KINDS = frozenset({"official", "expert"})  # what "he" and "she" can refer to


@dataclass(frozen=True)
class SourceEntry:
    source_id: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    parent_id: str | None = None


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    source_id: str
    surface: str


@dataclass(frozen=True)
class Cue:
    start: int
    end: int
    surface: str
    lemma: str
    kind: str


@dataclass(frozen=True)
class Chain:
    reporter_id: str | None
    via_id: str | None
    origin_id: str | None
    cue: str | None  # the cue as written, lowercased: "disclosed", "according to"
    cue_start: int | None
    cue_end: int | None


NO_CHAIN = Chain(None, None, None, None, None, None)

_CUE_FINDER = PhraseFinder(CUES, ignore_case=True)
_PRONOUN_FINDER = PhraseFinder(["he", "she"], ignore_case=True)
_QUOTE = re.compile(r'"([^"\n]*)"|“([^”\n]*)”')
# Between a quote (or clause) and its trailing cue: punctuation, "the", at most one source.
_BARE_GAP = re.compile(r"[\s,.:;\"“”'’]*(?:the\s+)?[\s,.:;\"“”'’]*", re.IGNORECASE)
# Between a reporting cue and the citation that continues it: "X reported, citing Y, which cited Z".
_CHAIN_GAP = re.compile(
    r"(?:[\s,;:—–-]|\b(?:the|which|who|that|in\s+turn|itself|had|has|have)\b)*", re.IGNORECASE
)
# Right before a mention that is not a subject: "summoned by X", "these reports".
_OBJECT_MARKER = re.compile(
    r"\b(?:of|about|by|to|from|with|in|on|at|for|against|between|among|these|those|such)"
    r"\s+(?:the\s+)?\Z",
    re.IGNORECASE,
)
# Between a citation and the source it names: a few words, no clause break ("citing the agency").
_SOURCE_GAP = re.compile(r"[^,;:\"“”()]{0,60}")


class SourceRegistry:
    """Known sources, found in text by name or alias (leftmost, then longest)."""

    def __init__(self, entries: Iterable[SourceEntry]) -> None:
        self._kinds: dict[str, str] = {}
        self._ids_by_surface: dict[str, str] = {}
        for entry in entries:
            if entry.source_id in self._kinds:
                raise ValueError(f"duplicate source id {entry.source_id!r}")
            self._kinds[entry.source_id] = entry.kind
            for surface in (entry.name, *entry.aliases):
                for variant in _surface_variants(surface):
                    known = self._ids_by_surface.setdefault(variant, entry.source_id)
                    if known != entry.source_id:
                        raise ValueError(f"{variant!r} names both {known!r} and {entry.source_id!r}")
        self._finder = PhraseFinder(self._ids_by_surface)

    def find_mentions(self, text: str, sentences: list[Span] | None = None) -> list[Mention]:
        """Every named source in `text`, plus "he"/"she" resolved to the most recent person
        (kind official or expert) mentioned in the same or the previous sentence.

        Pass the text's sentences if already split; they only serve pronoun resolution.
        """
        sentences = split_sentences(text) if sentences is None else sentences
        found = sorted(self._finder.find(text) + _PRONOUN_FINDER.find(text))
        mentions: list[Mention] = []
        sentence = 0  # index of the sentence holding the current mention
        last_person: tuple[int, str] | None = None  # (sentence index, source id)
        for start, end in found:
            surface = text[start:end]
            source_id = self._ids_by_surface.get(surface)
            if source_id is None or self._kinds[source_id] in PERSON_KINDS:
                while sentence + 1 < len(sentences) and sentences[sentence + 1].start <= start:
                    sentence += 1
                if source_id is None:  # a pronoun
                    if last_person is None or sentence - last_person[0] > 1:
                        continue  # nobody to refer to
                    source_id = last_person[1]
                last_person = (sentence, source_id)
            mentions.append(Mention(start, end, source_id, surface))
        return mentions


def find_cues(text: str) -> list[Cue]:
    """Attribution cues (see CUES), case-insensitive, in order."""
    return list(_cues_of(text))


@remember_last
def _cues_of(text: str) -> tuple[Cue, ...]:
    # Remembered: callers and `attribute` ask for the cues of the same article in turn.
    return tuple(
        Cue(start, end, text[start:end], *CUES[text[start:end].lower()])
        for start, end in _CUE_FINDER.find(text)
    )


def find_quotes(text: str) -> list[Span]:
    """Direct quotes ("..." or “...”) within one line; spans exclude the quote marks."""
    quotes = []
    for match in _QUOTE.finditer(text):
        group = 1 if match.group(1) is not None else 2
        if match.group(group):
            quotes.append(Span(match.start(group), match.end(group), match.group(group)))
    return quotes


def attribute(
    text: str, start: int, end: int, registry: SourceRegistry, sentences: list[Span] | None = None
) -> Chain:
    """Who says text[start:end]: see the module docstring. NO_CHAIN if no cue governs it;
    a cue whose source is not in the registry gives a chain with that cue and None ids.

    Attributing several spans of one article in turn is cheap: the article's sentences,
    quotes, mentions and cues are found once, on the first call (pass the sentences if
    already split).
    """
    article = _indexed_article(text, registry, sentences)
    quote = article.quote_around(start, end)
    anchor = Span(quote.start - 1, quote.end + 1, "") if quote else Span(start, end, "")
    first = _sentence_index(article.sentences, anchor.start)
    last = _sentence_index(article.sentences, anchor.end - 1)
    if first is None or last is None:
        return NO_CHAIN
    scope = Span(article.sentences[first].start, article.sentences[last].end, "")
    context = _Context(
        text, anchor, scope, article.within(article.quotes, scope),
        article.within(article.mentions, scope), article.within(article.cues, scope),
    )  # fmt: skip
    return context.chain(is_quote=quote is not None)


@dataclass(frozen=True)
class _Article:
    """An article's sentences, quotes, mentions and the cues outside quotes, each in order."""

    text: str
    registry: SourceRegistry
    sentences: list[Span]
    quotes: list[Span]
    mentions: list[Mention]
    cues: list[Cue]

    @classmethod
    def index(cls, text: str, registry: SourceRegistry, sentences: list[Span] | None) -> _Article:
        sentences = split_sentences(text) if sentences is None else sentences
        quotes = find_quotes(text)
        # A cue inside a quote is the quoted speaker's, never the article's attribution.
        cues = [c for c in _cues_of(text) if (q := _last_starting_before(quotes, c.start)) is None or q.end < c.end]
        return cls(text, registry, sentences, quotes, registry.find_mentions(text, sentences), cues)

    def quote_around(self, start: int, end: int) -> Span | None:
        """The quote holding text[start:end] (with or without its quote marks)."""
        quote = _last_starting_before(self.quotes, start + 2)
        return quote if quote is not None and end <= quote.end + 1 and start >= quote.start - 1 else None

    @staticmethod
    def within(items: list, scope: Span) -> list:
        """The items (sorted by start, not overlapping) that lie inside `scope`."""
        first = bisect.bisect_left(items, scope.start, key=lambda item: item.start)
        last = bisect.bisect_right(items, scope.end, key=lambda item: item.start)
        return [item for item in items[first:last] if item.end <= scope.end]


# The article attributed last: its spans usually come one after another.
_last_article: _Article | None = None


def _indexed_article(text: str, registry: SourceRegistry, sentences: list[Span] | None) -> _Article:
    global _last_article
    article = _last_article
    if (
        article is None
        or article.text is not text
        or article.registry is not registry
        or (sentences is not None and article.sentences is not sentences)
    ):
        article = _last_article = _Article.index(text, registry, sentences)
    return article


def _last_starting_before(spans: list[Span], offset: int) -> Span | None:
    index = bisect.bisect_left(spans, offset, key=lambda span: span.start) - 1
    return spans[index] if index >= 0 else None


@dataclass(frozen=True)
class _Context:
    """What `attribute` looks at: the anchor (the span, or the quote around it), the
    sentences holding it (scope), and the quotes, mentions and cues in them."""

    text: str
    anchor: Span
    scope: Span
    quotes: list[Span]
    mentions: list[Mention]
    cues: list[Cue]

    def chain(self, *, is_quote: bool) -> Chain:
        cues, anchor = self.cues, self.anchor
        before = next(
            (i for i in reversed(range(len(cues))) if cues[i].end <= anchor.start and self._leads(cues[i])), None
        )
        after = next(
            (i for i, c in enumerate(cues) if c.start >= anchor.end and self._trails(c, is_quote)), None
        )
        inside = next((i for i, c in enumerate(cues) if _within(c, anchor)), None)
        if is_quote and before is not None and after is not None:
            # A quote belongs to the nearer speech cue: '"...," he added' or 'X put it, "..."'.
            trailing = cues[after].start - anchor.end <= anchor.start - cues[before].end
        else:
            trailing = before is None and after is not None
        if trailing:
            group = self._group_forward(after)
        elif before is not None:
            group = self._group_backward(before)
        elif inside is not None and not is_quote:
            group = self._group_backward(inside)  # a claim span holding its own cue
        else:
            return NO_CHAIN
        head = self.cues[group[0]]
        sources = [self._source_of(head, trailing=trailing)]
        sources += [self._source_after(self.cues[i]) for i in group[1:]]
        via = sources[1] if len(sources) > 2 else None
        # The cue that names the cited source: "citing" in "X reported, citing Y, which cited Z".
        cue = self.cues[group[1]] if len(group) > 1 else head
        return Chain(sources[0], via, sources[-1], cue.surface.lower(), cue.start, cue.end)

    def _leads(self, cue: Cue) -> bool:
        """A cue before the anchor governs it unless a ";" intervenes or it is the trailing
        cue of an earlier quote ('"...," he said, and ...')."""
        if ";" in self.text[cue.end : self.anchor.start]:
            return False
        return not any(q.end < cue.start and self._is_bare_gap(q.end + 1, cue.start) for q in self.quotes)

    def _trails(self, cue: Cue, is_quote: bool) -> bool:
        """A cue after the anchor governs it when it names its source after it ("as reported
        by X") or when only punctuation and its speaker stand between: '"...," he added',
        "... 1,500 soldiers were sent, officials said"."""
        gap = self.text[self.anchor.end : cue.start]
        if ";" in gap:
            return False
        if cue.surface.lower() in _SOURCE_FOLLOWS:
            return True
        clause_start = self.anchor.end if is_quote else self.anchor.end + gap.rfind(",") + 1
        return self._is_bare_gap(clause_start, cue.start)

    def _group_backward(self, index: int) -> list[int]:
        """The cue and the reporting cues it continues: "reported, citing" -> [reported, citing]."""
        group = [index]
        while group[0] > 0 and self._continues(self.cues[group[0] - 1], self.cues[group[0]]):
            group.insert(0, group[0] - 1)
        return group

    def _group_forward(self, index: int) -> list[int]:
        group = [index]
        while group[-1] + 1 < len(self.cues) and self._continues(self.cues[group[-1]], self.cues[group[-1] + 1]):
            group.append(group[-1] + 1)
        return group

    def _continues(self, earlier: Cue, citation: Cue) -> bool:
        if CUES[citation.surface.lower()][1] != "citation":
            return False
        return _CHAIN_GAP.fullmatch(self._without_mentions(earlier.end, citation.start)) is not None

    def _source_of(self, cue: Cue, *, trailing: bool) -> str | None:
        if cue.surface.lower() in _SOURCE_FOLLOWS:
            return self._source_after(cue)
        if trailing:
            # '"...," he added' names the speaker before the cue; '"...," said X' after it.
            between = [m for m in self.mentions if self.anchor.end <= m.start and m.end <= cue.start]
            return between[-1].source_id if between else self._source_after(cue)
        subjects = [
            m
            for m in self.mentions
            if m.end <= cue.start
            and not any(_within(m, q) for q in self.quotes)
            and not _OBJECT_MARKER.search(self.text, max(self.scope.start, m.start - 24), m.start)
        ]
        return subjects[-1].source_id if subjects else self._source_after(cue)

    def _source_after(self, cue: Cue) -> str | None:
        """The mention right after a cue, in the same clause: "citing the agency" -> agency."""
        for mention in self.mentions:
            if mention.start >= cue.end:
                if _SOURCE_GAP.fullmatch(self.text, cue.end, mention.start):
                    return mention.source_id
                return None
        return None

    def _is_bare_gap(self, start: int, end: int) -> bool:
        inner = [m for m in self.mentions if start <= m.start and m.end <= end]
        return len(inner) <= 1 and _BARE_GAP.fullmatch(self._without_mentions(start, end)) is not None

    def _without_mentions(self, start: int, end: int) -> str:
        pieces, position = [], start
        for mention in self.mentions:
            if start <= mention.start and mention.end <= end:
                pieces.append(self.text[position : mention.start])
                position = mention.end
        pieces.append(self.text[position:end])
        return " ".join(pieces)


def _surface_variants(surface: str) -> set[str]:
    """How a name may appear: without a leading "the", capitalised at a sentence start,
    with straight or curly apostrophes."""
    surface = " ".join(surface.split())
    if surface.lower().startswith("the "):
        surface = surface[4:]
    variants = {surface, surface[:1].upper() + surface[1:]} if surface[:1].islower() else {surface}
    return variants | {v.replace("'", "’") for v in variants} | {v.replace("’", "'") for v in variants}


def _sentence_index(sentences: list[Span], offset: int) -> int | None:
    """The sentence holding `offset`, or the next one if it falls between sentences."""
    index = bisect.bisect_right(sentences, offset, key=lambda s: s.start) - 1
    if index >= 0 and offset < sentences[index].end:
        return index
    return index + 1 if index + 1 < len(sentences) else None


def _within(inner: Span | Mention | Cue, outer: Span) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end
