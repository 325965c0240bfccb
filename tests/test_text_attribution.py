"""Source mentions, cues, quotes and attribution chains (newsproof.text.attribution)."""

from __future__ import annotations

import pytest

from newsproof.text.attribution import (
    CUES,
    NO_CHAIN,
    Chain,
    SourceEntry,
    SourceRegistry,
    attribute,
    find_cues,
    find_quotes,
)
from newsproof.text.sentences import split_sentences

from seed_article import SEED_ARTICLE

# The sources of the curated korea-ukraine dataset (same ids, names and aliases).
SEED_SOURCES = [
    SourceEntry("kr-government", "South Korean government", "government",
                ("South Korean administration", "South Korea")),
    SourceEntry("kr-presidential-office", "South Korean presidential office", "government",
                ("presidential office in Seoul", "presidential office"), "kr-government"),
    SourceEntry("kr-presidential-official", "South Korean presidential official", "official",
                ("presidential official",), "kr-presidential-office"),
    SourceEntry("kr-intelligence-agency", "South Korean intelligence agency", "intelligence-agency",
                ("South Korean intelligence agency", "intelligence agency"), "kr-government"),
    SourceEntry("yonhap", "Yonhap", "news-agency", ("South Korean news agency Yonhap", "Yonhap")),
    SourceEntry("zelenskyy", "Volodymyr Zelenskyy", "official",
                ("Ukrainian President Volodymyr Zelenskyy", "Zelenskyy")),
    SourceEntry("nato", "NATO", "international-org", ("NATO",)),
    SourceEntry("us-government", "United States government", "government", ("USA",)),
    SourceEntry("robert-wood", "Robert Wood", "official",
                ("US Ambassador to the United Nations", "Robert Wood"), "us-government"),
    SourceEntry("kp-government", "North Korean government", "government",
                ("Democratic People's Republic of Korea", "North Korea", "Pyongyang")),
    SourceEntry("kp-un-representative", "North Korean representative at the United Nations", "official",
                ("North Korean representative",), "kp-government"),
    SourceEntry("ru-government", "Russian government", "government", ("Russia",)),
    SourceEntry("ru-ambassador", "Russian ambassador", "official", ("Russian ambassador",), "ru-government"),
    SourceEntry("experts", "unnamed experts", "expert", ("Experts",)),
    SourceEntry("unnamed-reports", "unnamed reports", "other", ("reports",)),
]  # fmt: skip


@pytest.fixture(scope="module")
def registry() -> SourceRegistry:
    return SourceRegistry(SEED_SOURCES)


def span_of(text: str, phrase: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(phrase, start + 1)
    return start, start + len(phrase)


def chain_of(text: str, phrase: str, registry: SourceRegistry, occurrence: int = 0) -> Chain:
    start, end = span_of(text, phrase, occurrence)
    return attribute(text, start, end, registry)


def ids(chain: Chain) -> tuple:
    return (chain.reporter_id, chain.via_id, chain.origin_id, chain.cue)


# --- the seed expectations ------------------------------------------------------------


def test_seed_first_figure_is_disclosed_by_the_intelligence_agency(registry: SourceRegistry):
    chain = chain_of(SEED_ARTICLE, "over 1,500 soldiers", registry)
    assert chain == Chain("kr-intelligence-agency", None, "kr-intelligence-agency", "disclosed", 881, 890)


@pytest.mark.parametrize("figure", ["four brigades", "12,000 soldiers"])
def test_seed_brigades_are_reported_by_yonhap_citing_the_agency(registry: SourceRegistry, figure: str):
    chain = chain_of(SEED_ARTICLE, figure, registry)
    assert chain == Chain("yonhap", None, "kr-intelligence-agency", "citing", 1079, 1085)


def test_seed_quote_with_pronoun_speaker(registry: SourceRegistry):
    chain = chain_of(SEED_ARTICLE, "If true, this is an alarming and deeply concerning development", registry)
    assert chain == Chain("robert-wood", None, "robert-wood", "added", 1794, 1799)


def test_seed_quote_with_inverted_speaker(registry: SourceRegistry):
    chain = chain_of(SEED_ARTICLE, "We've seen reports suggesting", registry)
    assert ids(chain) == ("robert-wood", None, "robert-wood", "shared")


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("two independent states", ("kp-un-representative", None, "kp-un-representative", "said")),
        ("Various diplomatic, economic, and military responses are being readied",
         ("kr-presidential-office", None, "kr-presidential-office", "as reported by")),
        ("We would regard weapon delivery for defensive purposes",
         ("kr-presidential-official", None, "kr-presidential-official", "put it")),
        ("North Korea dismissed allegations", ("kp-government", None, "kp-government", "dismissed")),
        ("the strengthening ties of his country with Russia",
         ("kp-un-representative", None, "kp-un-representative", "emphasized")),
        ("the cooperation of Russia and North Korea", ("ru-ambassador", None, "ru-ambassador", "noted")),
        ("Russia is using North Korean rockets in Ukraine", ("experts", None, "experts", "believe")),
    ],
)  # fmt: skip
def test_seed_claims(registry: SourceRegistry, phrase: str, expected: tuple):
    assert ids(chain_of(SEED_ARTICLE, phrase, registry)) == expected


def test_seed_figure_after_reports_of(registry: SourceRegistry):
    # "... follows reports of North Korea sending over 1,500 soldiers": the noun names the source.
    chain = chain_of(SEED_ARTICLE, "over 1,500 soldiers", registry, occurrence=1)
    assert chain == Chain("unnamed-reports", None, "unnamed-reports", "reports", 3095, 3102)


def test_seed_claims_sharing_a_cue(registry: SourceRegistry):
    # The claim span holds its own cue; the sentence's earlier "believe" is the experts'.
    assert ids(chain_of(SEED_ARTICLE, "a claim both sides refute", registry)) == (
        "ru-government", None, "ru-government", "refute")
    assert ids(chain_of(SEED_ARTICLE, "North Korea sending over 1,500 soldiers to Russia", registry)) == (
        "unnamed-reports", None, "unnamed-reports", "reports")


def test_attribute_accepts_precomputed_sentences(registry: SourceRegistry):
    start, end = span_of(SEED_ARTICLE, "12,000 soldiers")
    sentences = split_sentences(SEED_ARTICLE)
    assert attribute(SEED_ARTICLE, start, end, registry, sentences) == attribute(SEED_ARTICLE, start, end, registry)


# --- chains on constructed sentences --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrase", "expected"),
    [
        ("Yonhap reported, citing the intelligence agency, which cited a presidential official, "
         "that 300 soldiers had left.", "300 soldiers",
         ("yonhap", "kr-intelligence-agency", "kr-presidential-official", "citing")),
        ("According to NATO, 500 soldiers crossed the border.", "500 soldiers",
         ("nato", None, "nato", "according to")),
        ("500 soldiers crossed the border, NATO said.", "500 soldiers", ("nato", None, "nato", "said")),
        ("500 soldiers crossed the border, said Robert Wood.", "500 soldiers",
         ("robert-wood", None, "robert-wood", "said")),
        ("500 soldiers crossed the border, Yonhap reported, citing the intelligence agency.", "500 soldiers",
         ("yonhap", None, "kr-intelligence-agency", "citing")),
        ("Over 500 soldiers left, as reported by Yonhap.", "Over 500 soldiers",
         ("yonhap", None, "yonhap", "as reported by")),
        ("The Russian ambassador summoned by Pyongyang noted that 500 soldiers left.", "500 soldiers",
         ("ru-ambassador", None, "ru-ambassador", "noted")),
        ("Robert Wood spoke. He said 500 soldiers left.", "500 soldiers",
         ("robert-wood", None, "robert-wood", "said")),
        # a citation made by the subject, before or around the speech cue
        ("Yonhap, citing the intelligence agency, said 500 soldiers left.", "500 soldiers",
         ("yonhap", None, "kr-intelligence-agency", "citing")),
        ("Citing the intelligence agency, Yonhap said 500 soldiers left.", "500 soldiers",
         ("yonhap", None, "kr-intelligence-agency", "citing")),
        ("Yonhap, also citing the intelligence agency, put the total at 500 soldiers.", "500 soldiers",
         ("yonhap", None, "kr-intelligence-agency", "citing")),
        ("Yonhap cited the intelligence agency as saying that 500 soldiers left.", "500 soldiers",
         ("yonhap", None, "kr-intelligence-agency", "cited")),
        ("According to Yonhap, 500 soldiers left.", "500 soldiers", ("yonhap", None, "yonhap", "according to")),
        # a source named by a noun, with no cue
        ("Reports that 500 soldiers left are spreading.", "500 soldiers",
         ("unnamed-reports", None, "unnamed-reports", "reports")),
        ("Russia dismissed reports of 500 soldiers leaving.", "500 soldiers leaving",
         ("ru-government", None, "ru-government", "dismissed")),
    ],
)  # fmt: skip
def test_chains(registry: SourceRegistry, text: str, phrase: str, expected: tuple):
    assert ids(chain_of(text, phrase, registry)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Russia sent 500 soldiers, and NATO said it would respond.",  # a new clause with its own cue
        "NATO said nothing; 500 soldiers left.",  # a semicolon ends the cue's scope
        '"We will respond," NATO said, and 500 soldiers left.',  # that cue belongs to the quote
        "500 soldiers left.",
        "NATO accused Russia of sending 500 soldiers.",  # a name is not a noun source
    ],
)
def test_no_chain(registry: SourceRegistry, text: str):
    assert chain_of(text, "500 soldiers", registry) == NO_CHAIN


def test_cue_without_known_source(registry: SourceRegistry):
    text = "A spokesman said 300 soldiers left."
    assert chain_of(text, "300 soldiers", registry) == Chain(None, None, None, "said", 12, 16)
    # The source after "said that" is the subject of the reported clause, not the speaker.
    text = "A spokesman said that Russia had sent 300 soldiers."
    assert chain_of(text, "300 soldiers", registry) == Chain(None, None, None, "said", 12, 16)


# --- mentions -------------------------------------------------------------------------


def mentions(registry: SourceRegistry, text: str) -> list[tuple[str, str]]:
    return [(m.surface, m.source_id) for m in registry.find_mentions(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("said the North Korean representative", [("North Korean representative", "kp-un-representative")]),
        ("North Korean soldiers and North Korea", [("North Korea", "kp-government")]),
        ("the South Korean intelligence agency", [("South Korean intelligence agency", "kr-intelligence-agency")]),
        ("citing the intelligence agency", [("intelligence agency", "kr-intelligence-agency")]),
        ("The presidential office in Seoul", [("presidential office in Seoul", "kr-presidential-office")]),
        ("Reports suggest that russia", [("Reports", "unnamed-reports")]),
        ("the Democratic People’s Republic of Korea", [("Democratic People’s Republic of Korea", "kp-government")]),
        ("Russia's side, Russian ambassador", [("Russia", "ru-government"), ("Russian ambassador", "ru-ambassador")]),
        ("NATOs and USAF", []),
    ],
)  # fmt: skip
def test_mentions_longest_match(registry: SourceRegistry, text: str, expected: list):
    assert mentions(registry, text) == expected


def test_mention_offsets(registry: SourceRegistry):
    [mention] = registry.find_mentions("Last week, the South Korean intelligence agency disclosed")
    assert (mention.start, mention.end) == (15, 47)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Robert Wood spoke. He left.", [("Robert Wood", "robert-wood"), ("He", "robert-wood")]),
        ("Robert Wood spoke and he left.", [("Robert Wood", "robert-wood"), ("he", "robert-wood")]),
        ("Experts spoke. She agreed.", [("Experts", "experts"), ("She", "experts")]),
        ("Robert Wood spoke. NATO agreed. He left.", [("Robert Wood", "robert-wood"), ("NATO", "nato")]),
        ("NATO spoke. He left.", [("NATO", "nato")]),  # an organisation is no "he"
        ("He left.", []),
        ("Robert Wood spoke. He left. He came back.",
         [("Robert Wood", "robert-wood"), ("He", "robert-wood"), ("He", "robert-wood")]),
        ("The ambassador and the theme", []),  # "he" inside words
    ],
)  # fmt: skip
def test_pronouns_resolve_to_recent_person(registry: SourceRegistry, text: str, expected: list):
    assert mentions(registry, text) == expected


def test_seed_mentions(registry: SourceRegistry):
    found = registry.find_mentions(SEED_ARTICLE)
    assert len(found) == 48
    assert all(SEED_ARTICLE[m.start : m.end] == m.surface for m in found)
    assert [(m.surface, m.source_id) for m in found if m.surface in ("he", "He")] == [
        ("he", "robert-wood"),
        ("He", "kp-un-representative"),
    ]


def test_registry_rejects_ambiguous_entries():
    with pytest.raises(ValueError, match="duplicate source id"):
        SourceRegistry([SourceEntry("a", "A", "other"), SourceEntry("a", "B", "other")])
    with pytest.raises(ValueError, match="names both"):
        SourceRegistry([SourceEntry("a", "Seoul", "other"), SourceEntry("b", "B", "other", ("Seoul",))])


def test_registry_can_skip_ambiguous_and_blank_names():
    registry = SourceRegistry([SourceEntry("a", "Seoul", "other", ("Alpha",)),
                               SourceEntry("b", " ", "other", ("Seoul", "", "—", "Beta"))], ambiguous="skip")
    assert mentions(registry, "Seoul, Alpha and Beta") == [("Alpha", "a"), ("Beta", "b")]
    assert registry.knows("a") and registry.knows("b") and not registry.knows("c")
    assert not SourceRegistry([SourceEntry("c", " ", "other")], ambiguous="skip").knows("c")
    with pytest.raises(ValueError, match="ambiguous"):
        SourceRegistry([], ambiguous="ignore")


# --- cues and quotes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("surface", "lemma", "kind"),
    [
        ("said", "say", "speech"), ("told", "tell", "speech"), ("added", "add", "speech"),
        ("shared", "share", "speech"), ("noted", "note", "speech"),
        ("emphasized", "emphasize", "speech"), ("emphasised", "emphasize", "speech"),
        ("stated", "state", "speech"), ("warned", "warn", "speech"), ("cautioned", "caution", "speech"),
        ("disclosed", "disclose", "disclosure"), ("revealed", "reveal", "disclosure"),
        ("reported", "report", "disclosure"), ("announced", "announce", "disclosure"),
        ("as reported by", "report", "disclosure"),
        ("citing", "cite", "citation"), ("according to", "according to", "citation"),
        ("quoting", "quote", "citation"),
        ("denied", "deny", "denial"), ("dismissed", "dismiss", "denial"), ("rejected", "reject", "denial"),
        ("refuted", "refute", "denial"), ("refute", "refute", "denial"), ("refutes", "refute", "denial"),
        ("believe", "believe", "belief"), ("believes", "believe", "belief"), ("claimed", "claim", "belief"),
        ("claims", "claim", "belief"), ("suspects", "suspect", "belief"),
    ],
)  # fmt: skip
def test_cue_table(surface: str, lemma: str, kind: str):
    assert CUES[surface] == (lemma, kind)
    text = f"Officials {surface} it."
    [cue] = find_cues(text)
    assert (cue.start, cue.end, cue.surface, cue.lemma, cue.kind) == (10, 10 + len(surface), surface, lemma, kind)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Troops left, as reported by Yonhap.", [("as reported by", "disclosure")]),
        ("According to NATO, they said so.", [("According to", "citation"), ("said", "speech")]),
        ("It was unsaid and the reportedly", []),
        ("They sent an estimated 3,000 troops, officials estimated.", [("estimated", "belief")]),
        ("Yonhap had reported, citing the agency", [("reported", "disclosure"), ("citing", "citation")]),
    ],
)
def test_find_cues(text: str, expected: list):
    assert [(c.surface, c.kind) for c in find_cues(text)] == expected


def test_seed_cues():
    assert [(c.surface, c.start) for c in find_cues(SEED_ARTICLE)] == [
        ("as reported by", 367), ("put it", 528), ("disclosed", 881), ("reported", 1069), ("citing", 1079),
        ("discussed", 1274), ("cautioned", 1380), ("shared", 1631), ("added", 1794), ("dismissed", 1856),
        ("said", 2171), ("emphasized", 2289), ("noted", 2537), ("believe", 2742), ("refute", 2823),
    ]  # fmt: skip


def test_find_quotes_straight_and_curly():
    text = 'He said "one" and “two”, then "".\n"Three," she said, "never\nfour"'
    assert [(q.start, q.end, q.text) for q in find_quotes(text)] == [
        (9, 12, "one"), (19, 22, "two"), (35, 41, "Three,"),
    ]  # fmt: skip


def test_seed_quotes():
    quotes = [q.text for q in find_quotes(SEED_ARTICLE)]
    assert len(quotes) == 8
    assert quotes[1] == "four brigades with 12,000 soldiers, including special forces"
    assert quotes[3] == "If true, this is an alarming and deeply concerning development,"
