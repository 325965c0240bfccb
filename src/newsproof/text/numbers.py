"""Counted quantities in text: number, qualifier, bounds and the counted noun.

`find_quantities("sent over 1,500 soldiers")` gives one `Quantity` spanning
"over 1,500 soldiers": value 1500, qualifier `over`, bounds (1500, None), unit `soldier`.

Qualifiers (the words right before the number) and the bounds they imply, see `bounds`:

    exact      no qualifier                                      (v, v)
    over       over, just over, more than, above, in excess of    (v, None)
    at-least   at least, no fewer than, no less than             (v, None)
    under      under, just under, fewer than, less than, below,
               nearly, almost                                    (None, v)
    at-most    up to, at most, no more than                      (None, v)
    about      about, around, roughly, some, approximately,
               an estimated                                      (v(1-t), v(1+t)), t = 0.1
    range      between X and Y, X-Y, X to Y                      (X, Y), value X
    vague      a vague count word, coded below                   (lower, upper), value lower

"nearly 500" and "almost 500" are `under`: the true count is below 500.

Vague counts are coded by VAGUE_COUNTS as (lower, upper); the value is the lower bound:

    a few                  2 .. 5             hundreds               200 .. 1,000
    several                3 .. 9             thousands            2,000 .. 10,000
    dozens                24 .. 144           tens of thousands   20,000 .. 100,000
    hundreds of thousands  200,000 .. 1,000,000
    millions               2,000,000 .. 10,000,000

"several" and "a few" scale with the hundred/thousand/million after them: "several
thousand soldiers" is 3,000 .. 9,000.

Numbers: digits with separators ("1,500"; "1.500" and "1 500" as thousands), decimals
("2.5"), an attached "k" ("12k"), scale words ("1.5 million"), and number words
("twelve thousand", "one hundred and twenty", "a dozen", "two dozen", "a hundred").
Percentages and money get the unit "percent" or a currency code ("$3 million" -> usd).

What is not a count: a year ("in 2024", or any 1000-2100 not followed by a plural noun),
a date next to a month name, a time ("5 p.m."), an ordinal ("21st"; "first" is not a
number word), an identifier ("Resolution 2231"), and a number word that is not followed
by a counted noun ("one of the scenarios"). Digits with no noun after them are still
counts, with unit None ("sent 1,500 to Russia").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from .sentences import PhraseFinder

ABOUT_TOLERANCE = 0.1

# Vague count words -> (lower, upper), as in the module docstring.
VAGUE_COUNTS: dict[str, tuple[float, float]] = {
    "a few": (2.0, 5.0),
    "several": (3.0, 9.0),
    "dozens": (24.0, 144.0),
    "hundreds": (200.0, 1_000.0),
    "thousands": (2_000.0, 10_000.0),
    "tens of thousands": (20_000.0, 100_000.0),
    "hundreds of thousands": (200_000.0, 1_000_000.0),
    "millions": (2_000_000.0, 10_000_000.0),
}

QUALIFIERS: dict[str, str] = {
    "over": "over", "just over": "over", "more than": "over", "above": "over",
    "in excess of": "over",
    "at least": "at-least", "no fewer than": "at-least", "no less than": "at-least",
    "under": "under", "just under": "under", "fewer than": "under", "less than": "under",
    "below": "under", "nearly": "under", "almost": "under",
    "up to": "at-most", "at most": "at-most", "no more than": "at-most",
    "about": "about", "around": "about", "roughly": "about", "some": "about",
    "approximately": "about", "an estimated": "about",
}  # fmt: skip

CURRENCIES = {"$": "usd", "us$": "usd", "€": "eur", "£": "gbp"}


@dataclass(frozen=True)
class Quantity:
    """One counted quantity; `text[start:end]` is its `value_text` ("over 1,500 soldiers")."""

    start: int
    end: int
    value_text: str
    value: float
    qualifier: str
    lower: float | None
    upper: float | None
    unit: str | None
    number_start: int
    number_end: int
    unit_start: int | None
    unit_end: int | None
    linked_to: int | None = None  # index, in the same list, of the figure this one composes


def bounds(
    value: float,
    qualifier: str,
    *,
    tolerance: float = ABOUT_TOLERANCE,
    upper: float | None = None,
) -> tuple[float | None, float | None]:
    """(lower, upper) implied by a value and its qualifier; None is an open side.

    A range's upper end, and a scaled vague count's ("several thousand"), come from the
    phrase: pass it as `upper`. Without it a vague value is looked up in VAGUE_COUNTS.
    """
    if qualifier == "exact":
        return value, value
    if qualifier in ("over", "at-least"):
        return value, None
    if qualifier in ("under", "at-most"):
        return None, value
    if qualifier == "about":
        return value * (1 - tolerance), value * (1 + tolerance)
    if qualifier == "range":
        return value, upper
    if qualifier == "vague":
        if upper is None:
            upper = next((hi for lo, hi in VAGUE_COUNTS.values() if lo == value), None)
        return value, upper
    raise ValueError(f"unknown qualifier {qualifier!r}")


# --- the number grammar (group-free pieces, composed into the patterns below) ---------

_UNIT_WORDS = "one two three four five six seven eight nine".split()
_TEEN_WORDS = ("ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen"
               " nineteen").split()  # fmt: skip
_TENS_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_SMALL_VALUES = {w: i + 1 for i, w in enumerate(_UNIT_WORDS)}
_SMALL_VALUES |= {w: i + 10 for i, w in enumerate(_TEEN_WORDS)}
_SMALL_VALUES |= {w: (i + 2) * 10 for i, w in enumerate(_TENS_WORDS)}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000,
           "billion": 1_000_000_000, "trillion": 1_000_000_000_000}  # fmt: skip


def _alternation(words: list[str]) -> str:
    # Longest first, so "fourteen" is not read as "four".
    return "|".join(sorted(words, key=len, reverse=True))


_SMALL = rf"(?:(?:{_alternation(_TENS_WORDS)})(?:[- ](?:{_alternation(_UNIT_WORDS)}))?" \
         rf"|{_alternation(_TEEN_WORDS)}|{_alternation(_UNIT_WORDS)})\b"  # fmt: skip
_HUNDREDS = rf"(?:(?:an?|{_SMALL})\s+hundred(?:\s+(?:and\s+)?{_SMALL})?|{_SMALL})"
_BIG_SCALE = r"(?:thousand|million|billion|trillion)\b"
_WORD_NUMBER = (
    rf"(?:(?:an?|{_SMALL})\s+dozen\b"
    rf"|(?:{_HUNDREDS}|an?(?=\s+{_BIG_SCALE}))(?:\s+{_BIG_SCALE}(?:\s+(?:and\s+)?{_HUNDREDS})?)*)"
)
# Grouped thousands first, so "1,500" is not read as "1".
_DIGITS = (
    r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:\.\d{3}){2,}"
    r"|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d+(?:\.\d+)?)(?![.,]?\d)"
)
_DIGIT_NUMBER = rf"{_DIGITS}(?:k\b|\s+(?:hundred|dozen|{_BIG_SCALE})\b)?"
_ANY_NUMBER = rf"(?:{_DIGIT_NUMBER}|{_WORD_NUMBER})"
_NUMBER = rf"(?:(?<![\w.,:/-]){_DIGIT_NUMBER}|{_WORD_NUMBER})"  # digits not glued to a code
_VAGUE = (r"(?:tens\s+of\s+thousands|hundreds\s+of\s+thousands|dozens|hundreds|thousands"
          r"|millions|(?:several|a\s+few)(?:\s+(?:hundred|thousand|million))?)\b")  # fmt: skip
_QUALIFIER = _alternation([q.replace(" ", r"\s+") for q in QUALIFIERS])

# One pattern for every form. The first number is read once; a range continues it
# ("between X and Y" when it opened with "between", else "X-Y" or "X to Y").
_QUANTITY = re.compile(
    rf"""(?<![\w$€£])
    (?:(?P<between>between)\s+(?={_ANY_NUMBER}\s+and\s)|(?P<qualifier>{_QUALIFIER})\s+)?
    (?:(?P<vague>{_VAGUE})
      |(?P<currency>US\$|[$€£])?(?P<number>{_NUMBER})
       (?:(?(between)\s+and\s+|(?:(?<=\d)\s*[-–]\s*(?=\d)|\s+to\s+))(?P<upper>{_ANY_NUMBER}))?
       (?![\w-])(?P<percent>\s*%|\s+per\s*cent\b)?)""",
    re.IGNORECASE | re.VERBOSE,
)
_BARE_NUMBER = re.compile(rf"\s*{_ANY_NUMBER}\s*", re.IGNORECASE)
_DIGIT_PARTS = re.compile(r"(?P<digits>\d[\d,. \u00a0\u202f]*?)(?P<k>k)?(?:\s+(?P<scale>[a-z]+))?",
                          re.IGNORECASE)  # fmt: skip
_GROUP_SEPARATORS = re.compile(r"[, \u00a0\u202f]")
_DOT_THOUSANDS = re.compile(r"[1-9]\d{0,2}\.\d{3}")
_YEAR = re.compile(r"\d{4}")
_WORD_TOKEN = re.compile(r"[a-z]+")
# A currency sign, or the first digit of a number (not "MH17", not the "000" of "12,000").
# (One character class first, so the regex engine can skip ahead to candidates quickly.)
_NUMBER_START = re.compile(r"[0-9$€£](?<![\w.,][0-9])")
_NUMBER_WORD_FORMS = frozenset(
    [*_SMALL_VALUES, *_SCALES, *(f"{scale}s" for scale in _SCALES), "dozen", "dozens", "tens",
     "several", "few"]
)  # fmt: skip
_NUMBER_WORDS = PhraseFinder(_NUMBER_WORD_FORMS, ignore_case=True)
# Words before the number that belong to the quantity: "more than", "between", "a" (dozen),
# "US" ($); at most four of them ("no more than a").
_LEAD_IN = re.compile(rf"(?:(?:{_QUALIFIER})\s+)?(?:(?:between|an?)\s+|US)?", re.IGNORECASE)
_LEAD_IN_LAST_WORDS = frozenset(q.split()[-1] for q in QUALIFIERS) | {"between", "a", "an", "us"}
_LEAD_IN_WORDS = frozenset(" ".join(QUALIFIERS).split()) | _LEAD_IN_LAST_WORDS
_LEAD_IN_MAX_WORDS = 4
_LINK = re.compile(r"\s+(?:with|of|comprising|totall?ing)\s+", re.IGNORECASE)

# --- the counted noun -----------------------------------------------------------------

_MAX_NOUN_WORDS = 5  # adjectives plus the noun: "North Korean special forces"
_NEXT_WORD = re.compile(r"[^\S\n]+([^\W\d_][\w'’-]*)")
_OF = re.compile(r"[^\S\n]+of\b", re.IGNORECASE)
_INLINE_SPACES = " \t\u00a0\u202f"
_OPENING_MARKS = "\"'“‘(["
_TIME = re.compile(r"[^\S\n]*[ap]\.?m\b\.?", re.IGNORECASE)
_MODIFIERS = frozenset("more additional active military special other further extra new fresh"
                       " elite young former".split())  # fmt: skip
_STOPWORDS = frozenset(
    """a an the to of in on at for from by with into onto over under about across after
    before since during through toward towards against among between per via near within
    without including like and or but nor so yet than as if while because that which who
    whom whose where when is are was were be been being am have has had do does did will
    would shall should can could may might must it its they them their he him his she her
    we us our you your i me my this these those there here also only just still already now
    then last next ago each every another such all both some any no not out up down off
    back away""".split()
)
# What ends the search for a noun: function words, number words, qualifiers ("almost").
_NOT_NOUNS = _STOPWORDS | _NUMBER_WORD_FORMS | frozenset(" ".join(QUALIFIERS).split()) - _MODIFIERS
_NOT_PLURAL_ENDINGS = ("ss", "us", "is", "'s", "’s")  # loss, status, crisis, Russia's
_ADJECTIVE_ENDINGS = re.compile(
    r"(?:al|ive|ous|ful|less|ary|ent|ant|ic|ed|ing|ian|ean|ese|ish|able|ible)$"
)
_IRREGULAR_PLURALS = {
    "people": "person", "men": "man", "women": "woman", "children": "child",
    "feet": "foot", "teeth": "tooth", "mice": "mouse", "geese": "goose", "lives": "life",
    "wives": "wife", "knives": "knife", "halves": "half", "wolves": "wolf",
    "heroes": "hero",
}  # fmt: skip
# Nouns that count without a plural -s.
_INVARIANT_NOUNS = frozenset("personnel police staff crew cattle sheep fish aircraft"
                             " series species news headquarters".split())  # fmt: skip
_MONTHS = frozenset("January February March April May June July August September October"
                    " November December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov"
                    " Dec".split())  # fmt: skip
# Words after which a four-digit number is a year: "in 2024", "since 1950".
_YEAR_CONTEXT = frozenset("in since by until till from during before after year early late mid"
                          " circa".split())  # fmt: skip


def parse_number(s: str) -> float | None:
    """The value of a bare number: "1,500", "twelve thousand", "1.5 million", "a dozen"."""
    if not _BARE_NUMBER.fullmatch(s):
        return None
    return _number_value(s, percent=False)


def parse_quantity(phrase: str) -> Quantity | None:
    """The first quantity in a standalone phrase (offsets relative to it).

    Unlike `find_quantities`, a number word needs no noun and no number is set aside as a
    year, date or identifier: a curator's "twelve thousand" or "2024" means that number.
    """
    return next(_scan(phrase, standalone=True), None)


def find_quantities(text: str) -> list[Quantity]:
    """Every count in `text`, in order, non-overlapping, with composed figures linked."""
    found = list(_scan(text, standalone=False))
    for index in range(1, len(found)):
        # "four brigades with 12,000 soldiers": the soldiers make up the brigades.
        if _LINK.fullmatch(text, found[index - 1].end, found[index].start):
            found[index] = replace(found[index], linked_to=index - 1)
    return found


@dataclass(frozen=True)
class _Noun:
    start: int
    end: int
    unit: str
    plural: bool


def _scan(text: str, *, standalone: bool) -> Iterator[Quantity]:
    # Matching the full pattern at every offset is slow, so it is tried only where a number
    # starts (a digit, currency sign or number word), from the qualifier or "a" before it.
    starts = [m.start() for m in _NUMBER_START.finditer(text)]
    starts += [start for start, _ in _NUMBER_WORDS.find(text)]
    covered = 0
    for start in sorted(starts):
        if start < covered:
            continue  # inside the previous quantity
        lead_in = _lead_in_start(text, start, covered)
        match = _QUANTITY.match(text, lead_in)
        if match is None and lead_in != start:
            match = _QUANTITY.match(text, start)
        if match is None:
            continue
        covered = match.end()
        quantity = _quantity(text, match, standalone)
        if quantity is not None:
            covered = quantity.end  # past its noun too, so quantities never overlap
            yield quantity


def _quantity(text: str, match: re.Match[str], standalone: bool) -> Quantity | None:
    written_qualifier, vague, currency, number, upper_text, percent = match.group(
        "qualifier", "vague", "currency", "number", "upper", "percent"
    )
    upper: float | None = None
    if vague:
        qualifier, first_number, number_group = "vague", vague, "vague"
        value, upper = _vague_bounds(vague)
    else:
        first_number, number_group = number, "number"
        value = _number_value(number, percent=bool(percent))
        if upper_text:
            qualifier = "range"
            upper = _number_value(upper_text, percent=bool(percent))
            scale = _scale_of(upper_text)
            if _scale_of(number) == 1 and value * scale <= upper:
                value *= scale  # "between 1 and 2 million": the scale is shared
            if upper < value:
                return None  # a score ("3-2") or a code, not a range
        elif written_qualifier:
            qualifier = QUALIFIERS[" ".join(written_qualifier.lower().split())]
        else:
            qualifier = "exact"
    number_start, number_end = match.span(number_group)
    if upper_text:
        number_end = match.end("upper")

    unit: str | None
    if percent or currency:
        # Percentages and money are never counts of people or things.
        marker = "percent" if percent else "currency"
        unit_end = match.end(marker)
        unit_start = unit_end - len(match.group(marker).lstrip())
        unit = "percent" if percent else CURRENCIES[currency.lower()]
        end = match.end()
    else:
        noun = _counted_noun(text, match.end(), after_vague=bool(vague))
        if not standalone and not _is_count(text, match, first_number, noun):
            return None
        if noun is None:
            unit, unit_start, unit_end, end = None, None, None, match.end()
        else:
            unit, unit_start, unit_end, end = noun.unit, noun.start, noun.end, noun.end

    start = match.start()
    lower, upper = bounds(value, qualifier, upper=upper)
    return Quantity(start, end, text[start:end], value, qualifier, lower, upper, unit,
                    number_start, number_end, unit_start, unit_end)  # fmt: skip


def _number_value(s: str, *, percent: bool) -> float:
    s = s.strip()
    plain = s.replace(",", "")
    if plain.isdigit():
        return float(plain)  # the common case: "12,000"
    if not s[0].isdigit():
        return _words_value(s)
    parts = _DIGIT_PARTS.fullmatch(s)
    scale_word = (parts.group("scale") or "").lower()
    digits = _GROUP_SEPARATORS.sub("", parts.group("digits"))
    # "1.500" is a European thousands separator unless a scale or % makes it a decimal.
    dot_groups = not scale_word and not percent and _DOT_THOUSANDS.fullmatch(digits)
    if digits.count(".") > 1 or dot_groups:
        digits = digits.replace(".", "")
    value = float(digits)
    if parts.group("k"):
        value *= 1_000
    return value * (12 if scale_word == "dozen" else _SCALES.get(scale_word, 1))


def _words_value(s: str) -> float:
    total = current = 0
    for token in _WORD_TOKEN.findall(s.lower()):
        if token in _SMALL_VALUES:
            current += _SMALL_VALUES[token]
        elif token in ("a", "an"):
            current += 1  # "a hundred", "a dozen"
        elif token == "dozen":
            current = max(current, 1) * 12
        elif token == "hundred":
            current = max(current, 1) * 100
        elif token in _SCALES:
            total += max(current, 1) * _SCALES[token]
            current = 0
    return float(total + current)


def _scale_of(number: str) -> float:
    """The trailing scale of a number: 1e6 for "2 million", 1000 for "12k", else 1."""
    last = _WORD_TOKEN.findall(number.lower())[-1:]
    if last == ["k"]:
        return 1_000
    return _SCALES.get(last[0], 1) if last and last[0] != "hundred" else 1


def _vague_bounds(phrase: str) -> tuple[float, float]:
    words = phrase.lower().split()
    if " ".join(words) in VAGUE_COUNTS:
        return VAGUE_COUNTS[" ".join(words)]
    lower, upper = VAGUE_COUNTS[" ".join(words[:-1])]  # "several thousand", "a few hundred"
    return lower * _SCALES[words[-1]], upper * _SCALES[words[-1]]


def _counted_noun(text: str, pos: int, *, after_vague: bool) -> _Noun | None:
    """The noun after a number, past adjectives: "1,500 North Korean soldiers" -> soldier."""
    if after_vague and (of := _OF.match(text, pos)):
        pos = of.end()  # "dozens of soldiers"
    for _ in range(_MAX_NOUN_WORDS):
        match = _NEXT_WORD.match(text, pos)
        if match is None:
            return None
        word = match.group(1).rstrip("'’")
        lower = word.lower()
        if lower in _MODIFIERS:
            pos = match.end()
            continue
        if lower in _NOT_NOUNS:
            return None  # "1,500 to Russia"; a number or qualifier word counts nothing
        start, end = match.start(1), match.start(1) + len(word)
        if lower in _IRREGULAR_PLURALS or lower in _INVARIANT_NOUNS or _looks_plural(lower):
            return _Noun(start, end, _singular(lower), plural=True)
        if word[0].isupper() or _ADJECTIVE_ENDINGS.search(lower):
            pos = match.end()  # "North Korean", "independent", "trained"
            continue
        return _Noun(start, end, lower, plural=False)
    return None


def _looks_plural(word: str) -> bool:
    return len(word) > 2 and word.endswith("s") and not word.endswith(_NOT_PLURAL_ENDINGS)


def _singular(plural: str) -> str:
    if plural in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[plural]
    if plural in _INVARIANT_NOUNS:
        return plural
    if plural.endswith("ies") and len(plural) > 4:
        return plural[:-3] + "y"  # countries -> country
    if plural.endswith(("sses", "xes", "ches", "shes")):
        return plural[:-2]  # losses -> loss, taxes -> tax
    return plural[:-1]


def _is_count(text: str, match: re.Match[str], first_number: str, noun: _Noun | None) -> bool:
    """Whether a number in running text counts something (see the module docstring)."""
    if not first_number[0].isdigit():
        return noun is not None  # "one of the scenarios": a number word counts only with its noun
    if _TIME.match(text, match.end()):
        return False  # "5 p.m."
    previous = _previous_word(text, match.start())
    if previous in _MONTHS:
        return False  # "Oct. 21"
    if noun is None and (next_word := _NEXT_WORD.match(text, match.end())):
        if next_word.group(1) in _MONTHS:
            return False  # "21 October"
    if _YEAR.fullmatch(first_number) and 1000 <= int(first_number) <= 2100:
        # "in 2024", "the 2024 election"; "2000 soldiers" is a count.
        return noun is not None and noun.plural and previous.lower() not in _YEAR_CONTEXT
    # "Resolution 2231", "Article 5": a bare number right after a name identifies something.
    return noun is not None or match.group("qualifier") is not None or not previous[:1].isupper()


def _lead_in_start(text: str, start: int, floor: int) -> int:
    """Where the words before a number that belong to its quantity begin, else `start`."""
    word_starts: list[int] = []
    end = start
    for _ in range(_LEAD_IN_MAX_WORDS):
        word_start, word_end = _word_before(text, end, floor)
        word = text[word_start:word_end].lower()
        if word not in (_LEAD_IN_WORDS if word_starts else _LEAD_IN_LAST_WORDS):
            break  # the common case: no qualifier before the number, decided without a regex
        word_starts.append(word_start)
        end = word_start
    for candidate in reversed(word_starts):  # the longest lead-in first
        if _LEAD_IN.fullmatch(text, candidate, start):
            return candidate
    return start


def _previous_word(text: str, pos: int) -> str:
    word_start, word_end = _word_before(text, pos, 0)
    return text[word_start:word_end]


def _word_before(text: str, pos: int, floor: int) -> tuple[int, int]:
    """The word before `pos`, past spaces and one period ("Jan. 5"), within the line."""
    end = pos
    while end > floor and text[end - 1] in _INLINE_SPACES:
        end -= 1
    if end > floor and text[end - 1] == ".":
        end -= 1
    start = text.rfind(" ", floor, end) + 1 or floor
    start = text.rfind("\n", start, end) + 1 or start
    while start < end and text[start] in _OPENING_MARKS:
        start += 1
    return start, end
