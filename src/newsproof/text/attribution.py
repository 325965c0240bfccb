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
    "X, citing Y, said ... [span]"            reporter X, origin Y, cue "citing"
    "Citing Y, X said ... [span]"             reporter X, origin Y, cue "citing"
    "reports of [span]"                       the source named "reports", cue "reports"

Rule-based: the subject of a cue is the nearest source mention before it in the sentence,
the source a citation names is the mention right after it. A claim span that holds its own
cue ("a claim both sides refute") is governed by that cue. Unknown sources give None.
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
# Citations made by their subject: "X, citing Y, ...", "X cited Y as saying ...".
_SUBJECT_CITES = frozenset({"citing", "cited", "quoting"})
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
_THAT = re.compile(r"\bthat\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]")
# "an estimated 3,000 troops": a number's qualifier, not an attribution cue.
_QUALIFIER_BEFORE = re.compile(r"\ban\s+\Z", re.IGNORECASE)
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
# Between a subject and its citation, or a citation and the cue it qualifies, once the mentions
# are taken out: "Yonhap, also citing", "citing the agency, Yonhap said".
_SIDE_GAP = re.compile(r"(?:[\s,]|\b(?:the|also|again|later|then|\w+ly)\b)*", re.IGNORECASE)
# After a source named by a noun ("reports"), the clause it reports: "reports of ...", "reports that ...".
_NOUN_SOURCE_GAP = re.compile(r"\s+(?:of|that)\s+[^,;:\"“”()]{0,60}", re.IGNORECASE)


class SourceRegistry:
    """Known sources, found in text by name or alias (leftmost, then longest)."""

    def __init__(self, entries: Iterable[SourceEntry], *, ambiguous: str = "raise") -> None:
        """`ambiguous="skip"` takes registries as curated data comes: a name or alias given to
        two sources names neither, and names without a word are left out, instead of a ValueError."""
        if ambiguous not in ("raise", "skip"):
            raise ValueError(f"ambiguous must be 'raise' or 'skip', not {ambiguous!r}")
        self._kinds: dict[str, str] = {}
        self._ids_by_surface: dict[str, str] = {}
        shared: set[str] = set()
        for entry in entries:
            if entry.source_id in self._kinds:
                raise ValueError(f"duplicate source id {entry.source_id!r}")
            self._kinds[entry.source_id] = entry.kind
            for surface in (entry.name, *entry.aliases):
                if ambiguous == "skip" and not _WORD.search(surface or ""):
                    continue  # blank, or punctuation only: nothing a text could name
                for variant in _surface_variants(surface):
                    known = self._ids_by_surface.setdefault(variant, entry.source_id)
                    if known != entry.source_id:
                        if ambiguous == "raise":
                            raise ValueError(f"{variant!r} names both {known!r} and {entry.source_id!r}")
                        shared.add(variant)
        for variant in shared:
            del self._ids_by_surface[variant]
        self._named = frozenset(self._ids_by_surface.values())
        self._finder = PhraseFinder(self._ids_by_surface)

    def knows(self, source_id: str) -> bool:
        """Whether the source has a name or alias the text can mention."""
        return source_id in self._named

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
        if not _QUALIFIER_BEFORE.search(text, max(0, start - 4), start)
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
    first, last = article.sentence_index(anchor.start), article.sentence_index(anchor.end - 1)
    if first is None or last is None:
        return NO_CHAIN
    scope = Span(article.sentences[first].start, article.sentences[last].end, "")
    context = _Context(
        text, anchor, scope, article.quotes_in(scope), article.mentions_in(scope),
        article.cues_in(scope),
    )  # fmt: skip
    chain = context.chain(is_quote=quote is not None)
    if chain == NO_CHAIN and quote is None:
        return context.noun_source(article.sentences[first].start)
    return chain


class _Article:
    """What `attribute` reads from one article, indexed for lookups by offset: its
    sentences, quotes, source mentions, and the cues outside quotes."""

    def __init__(self, text: str, registry: SourceRegistry, sentences: list[Span] | None) -> None:
        self.text, self.registry = text, registry
        self.sentences = split_sentences(text) if sentences is None else sentences
        self.quotes = find_quotes(text)
        self.mentions = registry.find_mentions(text, self.sentences)
        self._sentence_starts = [s.start for s in self.sentences]
        self._quote_starts = [q.start for q in self.quotes]
        # A cue inside a quote is the quoted speaker's, never the article's attribution.
        self.cues = [c for c in _cues_of(text) if not self._in_quote(c)]
        self._cue_starts = [c.start for c in self.cues]
        self._mention_starts = [m.start for m in self.mentions]

    def sentence_index(self, offset: int) -> int | None:
        """The sentence holding `offset`, or the next one if it falls between sentences."""
        index = bisect.bisect_right(self._sentence_starts, offset) - 1
        if index >= 0 and offset < self.sentences[index].end:
            return index
        return index + 1 if index + 1 < len(self.sentences) else None

    def quote_around(self, start: int, end: int) -> Span | None:
        """The quote holding text[start:end] (with or without its quote marks)."""
        index = bisect.bisect_right(self._quote_starts, start + 1) - 1
        quote = self.quotes[index] if index >= 0 else None
        if quote is None or start < quote.start - 1 or end > quote.end + 1:
            return None
        return quote

    def quotes_in(self, scope: Span) -> list[Span]:
        return self._within(self.quotes, self._quote_starts, scope)

    def cues_in(self, scope: Span) -> list[Cue]:
        return self._within(self.cues, self._cue_starts, scope)

    def mentions_in(self, scope: Span) -> list[Mention]:
        return self._within(self.mentions, self._mention_starts, scope)

    def _in_quote(self, cue: Cue) -> bool:
        index = bisect.bisect_right(self._quote_starts, cue.start) - 1
        return index >= 0 and cue.end <= self.quotes[index].end

    @staticmethod
    def _within(items: list, starts: list[int], scope: Span) -> list:
        first = bisect.bisect_left(starts, scope.start)
        last = bisect.bisect_right(starts, scope.end)
        return [item for item in items[first:last] if item.end <= scope.end]


# The article attributed last: its spans usually come one after another.
_last_article: _Article | None = None


def _indexed_article(
    text: str, registry: SourceRegistry, sentences: list[Span] | None
) -> _Article:
    global _last_article
    article = _last_article
    if (
        article is None
        or article.text is not text
        or article.registry is not registry
        or (sentences is not None and article.sentences is not sentences)
    ):
        article = _last_article = _Article(text, registry, sentences)
    return article


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
        # The nearest cue on each side that governs the anchor.
        before = next(
            (i for i in reversed(range(len(cues)))
             if cues[i].end <= anchor.start and self._leads(cues[i])),
            None,
        )  # fmt: skip
        after = next(
            (i for i, c in enumerate(cues) if c.start >= anchor.end and self._trails(c, is_quote)),
            None,
        )
        inside = next((i for i, c in enumerate(cues) if _within(c, anchor)), None)
        if is_quote and before is not None and after is not None:
            # A quote belongs to the nearer speech cue: '"...," he added' or 'X put it, "..."'.
            trailing = cues[after].start - anchor.end <= anchor.start - cues[before].end
        else:
            trailing = before is None and after is not None
        if inside is not None and not is_quote:
            trailing = False
            group = self._group_backward(inside)  # a claim span holding its own cue
        elif trailing:
            group = self._group_forward(after)
        elif before is not None:
            group = self._group_backward(before)
        else:
            return NO_CHAIN
        head = self.cues[group[0]]
        # The cue that names the cited source: "citing" in "X reported, citing Y, which cited Z".
        cue = self.cues[group[1]] if len(group) > 1 else head
        subject = None if trailing else self._citing_subject(head)
        if subject is not None:  # "X, citing Y, ...": X cites Y
            sources = [subject] + [self._source_after(self.cues[i]) for i in group]
        else:
            sources = [self._source_of(head, trailing=trailing)]
            sources += [self._source_after(self.cues[i]) for i in group[1:]]
            side = None if trailing or head.kind == "citation" else self._side_citation(group[0], sources[0])
            if side is not None:  # "X, citing Y, said ...", "Citing Y, X said ..."
                sources.append(self._source_after(side))
                cue = side
        via = sources[1] if len(sources) > 2 else None
        return Chain(sources[0], via, sources[-1], cue.surface.lower(), cue.start, cue.end)

    def _citing_subject(self, cue: Cue) -> str | None:
        """The source that cites, right before a citation it makes: "Yonhap, also citing"."""
        if cue.surface.lower() not in _SUBJECT_CITES:
            return None
        before = [m for m in self.mentions if m.end <= cue.start]
        if before and _SIDE_GAP.fullmatch(self.text, before[-1].end, cue.start):
            return before[-1].source_id
        return None

    def _side_citation(self, index: int, subject: str | None) -> Cue | None:
        """A citation right before the head cue that names the subject's source: the "citing"
        of "X, citing Y, said" and of "Citing Y, X said"."""
        if index == 0 or subject is None:
            return None
        citation = self.cues[index - 1]
        if citation.surface.lower() not in _SUBJECT_CITES:
            return None
        cited = self._source_after(citation)
        gap = self._without_mentions(citation.end, self.cues[index].start)
        if cited is None or cited == subject or not _SIDE_GAP.fullmatch(gap):
            return None
        return citation

    def noun_source(self, sentence_start: int) -> Chain:
        """With no cue: a source named by a common noun right before the span's clause,
        "reports of [span]", "reports that [span]" (a name is no such noun: "accused Russia of")."""
        for mention in reversed(self.mentions):
            if mention.end > self.anchor.start or any(_within(mention, q) for q in self.quotes):
                continue
            is_noun = mention.surface.islower() or (
                mention.start == sentence_start and mention.surface[1:].islower() and " " not in mention.surface)
            if is_noun and _NOUN_SOURCE_GAP.fullmatch(self.text, mention.end, self.anchor.start):
                return Chain(mention.source_id, None, mention.source_id, mention.surface.lower(),
                             mention.start, mention.end)
        return NO_CHAIN

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
        cited = {self._cited_mention(c) for c in self.cues if c.kind == "citation" and c.end <= cue.start}
        subjects = [
            m
            for m in self.mentions
            if m.end <= cue.start
            and m not in cited  # "citing the agency, Yonhap said": the agency is cited, not speaking
            and not any(_within(m, q) for q in self.quotes)
            and not _OBJECT_MARKER.search(self.text, max(self.scope.start, m.start - 24), m.start)
        ]
        if subjects:
            return subjects[-1].source_id
        # "said Robert Wood, ...": the speaker after the cue, but not the subject of its
        # clause ("a senior official said that Pelland had ...": Pelland says nothing).
        after = self._cited_mention(cue)
        return None if after is None or _THAT.search(self.text, cue.end, after.start) else after.source_id

    def _source_after(self, cue: Cue) -> str | None:
        """The mention right after a cue, in the same clause: "citing the agency" -> agency."""
        mention = self._cited_mention(cue)
        return mention.source_id if mention is not None else None

    def _cited_mention(self, cue: Cue) -> Mention | None:
        for mention in self.mentions:
            if mention.start >= cue.end:
                return mention if _SOURCE_GAP.fullmatch(self.text, cue.end, mention.start) else None
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


def _within(inner: Span | Mention | Cue, outer: Span) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end
