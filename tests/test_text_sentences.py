"""Paragraphs, sentences and phrase search over article text (newsproof.text.sentences)."""

from __future__ import annotations

import pytest

from newsproof.text.sentences import (
    PhraseFinder,
    Span,
    lowercase_keeping_offsets,
    lowercase_words,
    sentence_at,
    split_paragraphs,
    split_sentences,
)

# The seed article's opening: a headline line without a period, then a paragraph.
SEED_OPENING = (
    "South Korea ponders over supplying weapons to Ukraine\n"
    "In response to the strengthening military alliance between North Korea and Russia, the South "
    "Korean administration is contemplating direct weapon supply to Ukraine. Various diplomatic, "
    "economic, and military responses are being readied to counter potential military "
    "collaborations between North Korea and Russia, as reported by the presidential office in Seoul."
)
# The seed article's sub-headline (its line 6) and the paragraph after it.
SEED_SUBHEADLINE = (
    'North Korea: "Unsubstantiated Allegations"\n'
    "North Korea dismissed allegations of sending its soldiers to Russia for deployment in Ukraine "
    'as "unsubstantiated allegations." The accusations thrown by South Korea aimed to "smear the '
    "reputation of the Democratic People's Republic of Korea and undermine the legitimate and "
    'friendly relations between two independent states," said the North Korean representative.'
)


def texts(spans: list[Span]) -> list[str]:
    return [span.text for span in spans]


def test_paragraphs_are_trimmed_lines_with_exact_offsets():
    text = "Headline\n\n  First paragraph.  \nSecond one.\n\n\n"
    paragraphs = split_paragraphs(text)
    assert texts(paragraphs) == ["Headline", "First paragraph.", "Second one."]
    assert [(p.start, p.end) for p in paragraphs] == [(0, 8), (12, 28), (31, 42)]
    assert all(text[p.start : p.end] == p.text for p in paragraphs)


def test_paragraphs_of_blank_text():
    assert split_paragraphs("") == []
    assert split_paragraphs(" \n\t\n") == []


def test_headline_without_period_is_its_own_sentence():
    sentences = split_sentences(SEED_OPENING)
    assert texts(sentences) == [
        "South Korea ponders over supplying weapons to Ukraine",
        "In response to the strengthening military alliance between North Korea and Russia, the South "
        "Korean administration is contemplating direct weapon supply to Ukraine.",
        "Various diplomatic, economic, and military responses are being readied to counter potential "
        "military collaborations between North Korea and Russia, as reported by the presidential "
        "office in Seoul.",
    ]
    assert all(SEED_OPENING[s.start : s.end] == s.text for s in sentences)


def test_subheadline_and_quotes_closing_after_the_period():
    assert texts(split_sentences(SEED_SUBHEADLINE)) == [
        'North Korea: "Unsubstantiated Allegations"',
        "North Korea dismissed allegations of sending its soldiers to Russia for deployment in "
        'Ukraine as "unsubstantiated allegations."',
        'The accusations thrown by South Korea aimed to "smear the reputation of the Democratic '
        "People's Republic of Korea and undermine the legitimate and friendly relations between two "
        'independent states," said the North Korean representative.',
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Troops left the U.S. Army base. They returned.", ["Troops left the U.S. Army base.", "They returned."]),
        ("He moved to the U.S. The army followed.", ["He moved to the U.S.", "The army followed."]),
        ("Mr. Kim met Dr. Lee today. Both left.", ["Mr. Kim met Dr. Lee today.", "Both left."]),
        ("Gen. Park spoke. No. 5 is next.", ["Gen. Park spoke.", "No. 5 is next."]),
        ("See Article No. 5 for details.", ["See Article No. 5 for details."]),
        ("Weapons, e.g. Rockets, were sent. Others, i.e. Drones, were not.",
         ["Weapons, e.g. Rockets, were sent.", "Others, i.e. Drones, were not."]),
        ("The rate rose to 1.5 percent. It fell later.", ["The rate rose to 1.5 percent.", "It fell later."]),
        ("John F. Kennedy spoke. J. R. Smith listened.", ["John F. Kennedy spoke.", "J. R. Smith listened."]),
        ('"If true, this is alarming," he added. Then he left.',
         ['"If true, this is alarming," he added.', "Then he left."]),
        ('He called it "unsubstantiated." The ministry agreed.',
         ['He called it "unsubstantiated."', "The ministry agreed."]),
        ("It ended in the Ukraine conflict.On Monday, talks began.",
         ["It ended in the Ukraine conflict.", "On Monday, talks began."]),
        ('"Why?" he asked. "Because!" She left... Then?', ['"Why?" he asked.', '"Because!"', "She left...", "Then?"]),
        ("Talks ended on Jan. 12 in Seoul. Nobody spoke.", ["Talks ended on Jan. 12 in Seoul.", "Nobody spoke."]),
        ("Over 1,500 soldiers. 12,000 more followed.", ["Over 1,500 soldiers.", "12,000 more followed."]),
    ],
)  # fmt: skip
def test_sentence_boundaries(text: str, expected: list[str]):
    sentences = split_sentences(text)
    assert texts(sentences) == expected
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_sentences_never_cross_a_line_break():
    text = "First line without period\nSecond line. Third sentence"
    assert texts(split_sentences(text)) == ["First line without period", "Second line.", "Third sentence"]


def test_sentence_at_uses_exclusive_ends():
    text = "One sentence.  Two sentences."
    sentences = split_sentences(text)
    assert [(s.start, s.end) for s in sentences] == [(0, 13), (15, 29)]
    assert sentence_at(sentences, 0) == sentences[0]
    assert sentence_at(sentences, 12) == sentences[0]
    assert sentence_at(sentences, 13) is None  # the space between sentences
    assert sentence_at(sentences, 15) == sentences[1]
    assert sentence_at(sentences, 29) is None
    assert sentence_at([], 0) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("North Korea and North Korean representative", [(0, 11), (16, 43)]),
        ("North Korean soldiers", []),  # "North Korea" inside a longer word is no match
        ("the North Korea-Russia alliance", [(4, 15)]),
        ("NorthKorea, North Korea.", [(12, 23)]),
        ("Korea", []),
    ],
)
def test_phrase_finder_whole_words_leftmost_longest(text: str, expected: list[tuple[int, int]]):
    finder = PhraseFinder(["North Korea", "North Korean representative", "Korean representative"])
    assert finder.find(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He said so, as reported by Yonhap", [(3, 7), (12, 26)]),
        ("SAID and Said", [(0, 4), (9, 13)]),
        ("unsaid, saidx", []),
        ("As Reported By the agency", [(0, 14)]),
    ],
)
def test_phrase_finder_ignoring_case(text: str, expected: list[tuple[int, int]]):
    finder = PhraseFinder(["said", "reported", "as reported by"], ignore_case=True)
    assert finder.find(text) == expected


def test_phrase_finder_rejects_phrases_without_words():
    with pytest.raises(ValueError):
        PhraseFinder(["..."])
    assert PhraseFinder([]).find("anything") == []


def test_lowercase_keeps_offsets_and_words():
    text = "İstanbul SAID"  # "İ".lower() is two characters
    lowered = lowercase_keeping_offsets(text)
    assert len(lowered) == len(text)
    assert lowered[9:] == "said"
    assert lowercase_words('He said: "Four brigades."') == {"he", "said", "four", "brigades"}
