"""Attribution and claim checks against the article text: does the text say who the record says?

For every grounded span (a figure whose span holds its value_text, a claim whose span holds
its text) the text layer reads the chain the article gives (`text.attribution.attribute`:
reporter, via, origin, cue) and the recorded attributions are compared with it by source id.

Several records may share one span: "Neither NATO nor the USA have corroborated ...", "a claim
both sides refute". The text names one subject; when another record on the span is the text's
chain, a record passes if the sources it names are mentioned in the span's sentence or the one
before (a coordinated subject), not otherwise.
Spans the text layer cannot attribute (no cue, or a source not in the registry) are not judged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..text.attribution import CUES, Chain
from .base import Failure
from .textbundle import ArticleBundle, AttributionRow, BundleCheck, ClaimRow, ParsedArticle, parsed, quote

MISMATCH, MISSING_HOP, REVERSED = "attribution-source-mismatch", "attribution-missing-hop", "attribution-chain-reversed"


@dataclass(frozen=True)
class _SpanGroup:
    """One span of the article, the text's chain for it, and the rows recorded on it."""

    start: int
    end: int
    text: str
    chain: Chain
    claims: tuple[ClaimRow, ...]
    attributions: tuple[AttributionRow, ...]

    def matched_by_another(self, row: AttributionRow | ClaimRow) -> bool:
        """Whether a record other than `row` on this span is what the text says."""
        expected = _chain_ids(self.chain)
        if isinstance(row, ClaimRow):
            return any(c.claimant_id in expected for c in self.claims if c.claim_id != row.claim_id)
        return any(_ids(a) == expected for a in self.attributions if a.attribution_id != row.attribution_id)


def _ids(row: AttributionRow) -> tuple[str | None, str | None, str | None]:
    return row.reporter_id, row.via_id, row.origin_id


def _chain_ids(chain: Chain) -> tuple[str | None, str | None, str | None]:
    return chain.reporter_id, chain.via_id, chain.origin_id


def _span_groups(bundle: ArticleBundle) -> list[_SpanGroup]:
    """The grounded spans the text attributes to known sources, with their records."""
    article = parsed(bundle)
    on_figure: dict[str, list[AttributionRow]] = {}
    on_claim: dict[str, list[AttributionRow]] = {}
    for row in bundle.attributions:
        if row.figure_id is not None:
            on_figure.setdefault(row.figure_id, []).append(row)
        if row.claim_id is not None:
            on_claim.setdefault(row.claim_id, []).append(row)
    # span -> (its text, the claims on it, the attributions of the figures and claims on it)
    targets: dict[tuple[int, int], tuple[str, list[ClaimRow], dict[str, AttributionRow]]] = {}
    for figure in bundle.figures:
        if article.holds(figure.char_start, figure.char_end, figure.value_text):
            entry = targets.setdefault((figure.char_start, figure.char_end), (figure.value_text, [], {}))
            entry[2].update((row.attribution_id, row) for row in on_figure.get(figure.figure_id, ()))
    for claim in bundle.claims:
        if article.holds(claim.char_start, claim.char_end, claim.text):
            entry = targets.setdefault((claim.char_start, claim.char_end), (claim.text, [], {}))
            entry[1].append(claim)
            entry[2].update((row.attribution_id, row) for row in on_claim.get(claim.claim_id, ()))
    groups = []
    for (start, end), (text, claims, rows) in sorted(targets.items()):
        chain = article.chain(start, end)
        if chain.reporter_id is None or chain.origin_id is None:
            continue  # no cue, or a source the registry does not know: nothing to compare with
        groups.append(_SpanGroup(start, end, text, chain, tuple(claims), tuple(rows.values())))
    return groups


def _span_groups_of(bundle: ArticleBundle) -> list[_SpanGroup]:
    # The three attribution checks and the denial check look at the same groups in turn.
    if _last_groups[0] is None or _last_groups[0][0] is not bundle:
        _last_groups[0] = (bundle, _span_groups(bundle))
    return _last_groups[0][1]


_last_groups: list[tuple[ArticleBundle, list[_SpanGroup]] | None] = [None]


def _co_named(article: ParsedArticle, group: _SpanGroup, source_ids: tuple[str | None, ...]) -> bool:
    """Whether a record that differs from the text's chain is one of several sharing the span,
    naming sources the text mentions around it (a coordinated subject)."""
    near = article.sources_near(group.start, group.end)
    return all(s is None or s in near for s in source_ids)


def classify(recorded: tuple[str | None, ...], expected: tuple[str | None, ...]) -> str | None:
    """Which attribution check a recorded (reporter, via, origin) fails against the text's."""
    if recorded == expected:
        return None
    reporter, _, origin = recorded
    if reporter != origin and (reporter, origin) == (expected[2], expected[0]):
        return REVERSED
    recorded_ids, expected_ids = {s for s in recorded if s}, {s for s in expected if s}
    if recorded_ids < expected_ids:
        return MISSING_HOP
    return MISMATCH


def _chain_evidence(article: ParsedArticle, reporter: str | None, via: str | None, origin: str | None,
                    cue: str | None) -> dict[str, str | None]:
    return {"reporter": article.source_name(reporter), "via": article.source_name(via),
            "origin": article.source_name(origin), "cue": cue}


def describe(article: ParsedArticle, reporter: str | None, via: str | None, origin: str | None) -> str:
    """'Yonhap citing South Korean intelligence agency'; one name when reporter is origin."""
    names = [article.source_name(s) for s in dict.fromkeys(s for s in (reporter, via, origin) if s)]
    return " citing ".join(str(n) for n in names) if names else "nobody"


def _said(article: ParsedArticle, group: _SpanGroup) -> str:
    return describe(article, *_chain_ids(group.chain)) + (f" ({group.chain.cue})" if group.chain.cue else "")


def _attribution_failures(bundle: ArticleBundle) -> Iterator[tuple[str, Failure]]:
    article = parsed(bundle)
    for group in _span_groups_of(bundle):
        expected = _chain_ids(group.chain)
        for row in group.attributions:
            if not (article.mentionable(row.reporter_id) and article.mentionable(row.origin_id)
                    and (row.via_id is None or article.mentionable(row.via_id))):
                continue  # a missing, unknown or nameless source: the contract and reference checks say so
            kind = classify(_ids(row), expected)
            if kind is None or (group.matched_by_another(row) and _co_named(article, group, _ids(row))):
                continue
            said, recorded = _said(article, group), describe(article, *_ids(row))
            if kind == REVERSED:
                message = (f"reporter and origin are swapped: the text has {said} for {quote(group.text)}; "
                           f"attribution {row.attribution_id} records {recorded}")
            elif kind == MISSING_HOP:
                missing = ", ".join(str(article.source_name(s)) for s in expected if s and s not in _ids(row))
                message = (f"the text has {said} for {quote(group.text)}; attribution {row.attribution_id} "
                           f"records {recorded}, without {missing}")
            else:
                message = (f"the text attributes {quote(group.text)} to {said}; attribution "
                           f"{row.attribution_id} records {recorded}")
            column = next(name for name, got, want in zip(("reporter_id", "via_id", "origin_id"), _ids(row), expected)
                          if got != want)
            evidence = article.evidence(
                group.start, group.end,
                recorded_chain=_chain_evidence(article, *_ids(row), row.cue),
                expected_chain=_chain_evidence(article, *expected, group.chain.cue))
            yield kind, Failure("attributions", row.attribution_id, column, getattr(row, column), message,
                                bundle.dataset, row.file, row.line, bundle.article_id, group.start, group.end,
                                evidence)
        for claim in group.claims:
            # The claimant is one of the chain's sources (the reporter, or the source it cites).
            if not article.mentionable(claim.claimant_id) or claim.claimant_id in expected:
                continue
            if group.matched_by_another(claim) and _co_named(article, group, (claim.claimant_id,)):
                continue
            evidence = article.evidence(
                group.start, group.end,
                recorded_chain=_chain_evidence(article, claim.claimant_id, None, claim.claimant_id, None),
                expected_chain=_chain_evidence(article, *expected, group.chain.cue))
            yield MISMATCH, Failure(
                "claims", claim.claim_id, "claimant_id", claim.claimant_id,
                f"the text attributes {quote(group.text)} to {_said(article, group)}; claim {claim.claim_id} records "
                f"claimant {article.source_name(claim.claimant_id)}",
                bundle.dataset, claim.file, claim.line, bundle.article_id, group.start, group.end, evidence)


def check_attribution_source_mismatch(bundle: ArticleBundle, params: Mapping[str, Any]) -> Iterator[Failure]:
    return (failure for kind, failure in _attribution_failures(bundle) if kind == MISMATCH)


def check_attribution_missing_hop(bundle: ArticleBundle, params: Mapping[str, Any]) -> Iterator[Failure]:
    return (failure for kind, failure in _attribution_failures(bundle) if kind == MISSING_HOP)


def check_attribution_chain_reversed(bundle: ArticleBundle, params: Mapping[str, Any]) -> Iterator[Failure]:
    return (failure for kind, failure in _attribution_failures(bundle) if kind == REVERSED)


def check_denial_recorded_as_assertion(bundle: ArticleBundle, params: Mapping[str, Any]) -> Iterator[Failure]:
    article = parsed(bundle)
    for group in _span_groups_of(bundle):
        cue = group.chain.cue
        if cue is None or CUES.get(cue, ("", ""))[1] != "denial":
            continue
        denier = group.chain.reporter_id
        for claim in group.claims:
            if claim.stance in (None, "denies"):
                continue
            if claim.claimant_id != denier and not (
                    any(c.claimant_id == denier for c in group.claims if c.claim_id != claim.claim_id)
                    and _co_named(article, group, (claim.claimant_id,))):
                continue  # someone else denies it: the claimant's own stance may stand
            yield Failure(
                "claims", claim.claim_id, "stance", claim.stance,
                f"the text has {article.source_name(denier)} deny it ({cue}): {quote(group.text)}; "
                f"claim {claim.claim_id} by {article.source_name(claim.claimant_id)} is recorded with stance "
                f"{claim.stance}, not denies",
                bundle.dataset, claim.file, claim.line, bundle.article_id, group.start, group.end,
                article.evidence(group.start, group.end,
                                 expected_chain=_chain_evidence(article, *_chain_ids(group.chain), cue)),
            )


CHECKS = (
    BundleCheck(MISMATCH, "error",
                "The source a figure or claim is attributed to is the one the article names for it.",
                ("attributions", "claims", "articles", "sources"), check_attribution_source_mismatch),
    BundleCheck(MISSING_HOP, "error",
                "An attribution keeps every hop of the article's chain (Yonhap citing the agency).",
                ("attributions", "articles", "sources"), check_attribution_missing_hop),
    BundleCheck(REVERSED, "error",
                "An attribution does not swap reporter and origin relative to the article.",
                ("attributions", "articles", "sources"), check_attribution_chain_reversed),
    BundleCheck("denial-recorded-as-assertion", "error",
                "A claim its claimant denies in the text (dismissed, denied, refute) has stance denies.",
                ("claims", "articles", "sources"), check_denial_recorded_as_assertion),
)
