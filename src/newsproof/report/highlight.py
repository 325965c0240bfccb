"""Article text with figures and claims marked: spans become a tree of text and marks.

Spans may nest (a figure inside its claim) or cross. The text is cut at every span edge; each
piece is wrapped in the spans that cover it, outermost first, reusing the marks still open from
the previous piece. A crossing span is thus split in two marks and HTML nesting stays valid.
Spans outside the text or empty are left out (the article page lists them as such). Marks nest
at most MAX_DEPTH deep: a dataset may stack any number of spans on one phrase, and the page
template renders nesting by recursion; deeper spans are listed on the page, not marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_DEPTH = 32


@dataclass(frozen=True)
class Span:
    kind: str  # figure | claim
    span_id: str
    start: int
    end: int
    failing: bool
    anchor: str


@dataclass
class Mark:
    span: Span
    first: bool  # only the first piece of a split span carries its anchor id
    children: list[str | Mark] = field(default_factory=list)


def valid(span: Span, text_length: int) -> bool:
    return 0 <= span.start < span.end <= text_length


def mark_tree(text: str, spans: list[Span]) -> list[str | Mark]:
    """Text pieces and nested marks, in text order, covering the whole text."""
    usable = sorted((s for s in spans if valid(s, len(text))),
                    key=lambda s: (s.start, -s.end, s.kind, s.span_id))
    rank = {id(s): i for i, s in enumerate(usable)}
    bounds = sorted({0, len(text)} | {s.start for s in usable} | {s.end for s in usable})
    root: list[str | Mark] = []
    stack: list[Mark] = []  # open marks, outermost first
    anchored: set[str] = set()
    active: list[Span] = []
    next_span = 0
    for start, end in zip(bounds, bounds[1:]):
        active = [s for s in active if s.end > start]
        while next_span < len(usable) and usable[next_span].start == start:
            active.append(usable[next_span])
            next_span += 1
        cover = sorted(active, key=lambda s: rank[id(s)])[:MAX_DEPTH]
        keep = 0
        while keep < min(len(stack), len(cover)) and stack[keep].span is cover[keep]:
            keep += 1
        del stack[keep:]
        for span in cover[keep:]:
            mark = Mark(span, first=span.anchor not in anchored)
            anchored.add(span.anchor)
            (stack[-1].children if stack else root).append(mark)
            stack.append(mark)
        (stack[-1].children if stack else root).append(text[start:end])
    return root
