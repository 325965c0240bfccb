"""Synthetic datasets at any scale, with planted defects and the findings they must produce.

`generate(out_dir, figures=, articles=, seed=, defect_rate=)` writes a dataset folder in the
dataset format (dataset.yaml, articles.jsonl and sources/claims/figures/attributions.csv) and a
`truth.csv` that lists every finding the planted defects must produce:
(check_id, table, row_key, file, line). The same seed gives byte-identical files.

How the data is made:
- Invented countries, ministries, wire agencies and outlets (sources, with aliases).
- Stories: a count (subject, measure, unit, as-of date, true value) reported by up to three
  consecutive articles, each in its own words ("over 1,500 soldiers", "about 3,000 troops",
  "twelve thousand soldiers", "four brigades with 12,000 soldiers", "between 10,000 and
  12,000 soldiers"). Every recorded bound holds for the true value, so clean figures never
  conflict, and a story's key is unique to it, so the cross-article self-join stays small.
- Each statement is one sentence with an attribution cue: "X said that ...", "According to
  X, ...", "R reported, citing X, that ..." or "R reported, citing V, which cited X, that
  ..."; the clause is a claim, its numbers are figures, and the figure and the claim each
  get an attribution (reporter, via, origin, cue offsets). Countries deny some reports, and
  claims about a party that denies them are marked disputed.
- Articles are about 4 KB: the statements, padded with neutral sentences.

Defects: with probability `defect_rate` a statement is replaced by one that carries the next
defect kind in turn (every check of the default suite whose failures can be planted in data,
structural and against the article text; see DEFECT_KINDS). A defect touches only its own rows (figures whose bounds are wrong get a
subject of their own), so it triggers its own check and nothing else, except where two checks
share a rule (a GX expectation restating bounds-order; a source without a name is also an empty
required column): truth.csv then lists both findings.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

from .errors import NewsproofError

# Column order of the dataset files (the table contracts in schemas/).
COLUMNS = {
    "sources": ("source_id", "name", "kind", "country", "aliases", "parent_id"),
    "claims": ("claim_id", "article_id", "char_start", "char_end", "text", "claimant_id", "about_id",
               "stance", "status"),
    "figures": ("figure_id", "article_id", "claim_id", "char_start", "char_end", "value_text", "value",
                "qualifier", "lower", "upper", "unit", "subject", "measure", "as_of", "linked_figure_id"),
    "attributions": ("attribution_id", "figure_id", "claim_id", "reporter_id", "via_id", "origin_id", "cue",
                     "char_start", "char_end"),
}
FILES = {"articles": "articles.jsonl", "sources": "sources.csv", "claims": "claims.csv",
         "figures": "figures.csv", "attributions": "attributions.csv"}
TRUTH_FILE = "truth.csv"
TRUTH_COLUMNS = ("check_id", "table", "row_key", "file", "line")

# Every check of the default suite whose failures can be planted in data, in planting order.
DEFECT_KINDS = (
    "duplicate-key", "reference-dangling", "load-rejected-row", "load-unknown-column",
    "article-text-hash", "offset-out-of-range", "qualifier-bounds", "bounds-order",
    "ratio-plausibility", "cross-article-conflict", "attribution-missing", "attribution-target",
    "attribution-via-invalid", "attribution-chain-cycle", "denied-claim-status",
    "contract-not-null", "contract-enum", "contract-range", "contract-pattern",
    "gx-articles", "gx-sources", "gx-claims", "gx-figures", "gx-attributions",
    "figure-not-in-text", "value-text-mismatch", "figure-value-mismatch", "qualifier-dropped",
    "qualifier-mismatch", "unit-mismatch", "figure-missing-from-dataset", "repeated-figure-inconsistent",
    "measure-conflated", "relative-date-unanchored", "attribution-source-mismatch", "attribution-missing-hop",
    "attribution-chain-reversed", "denial-recorded-as-assertion",
    "figure-unit-singular", "source-name-present",
)
DEFAULT_DEFECT_RATE = 0.01

# --------------------------------------------------------------------------- vocabulary

# (name, demonym, capital): invented countries, so no statement is put in a real party's mouth.
NATIONS = (
    ("Arland", "Arlandian", "Port Arl"), ("Borovia", "Borovian", "Borograd"),
    ("Calderra", "Calderran", "Calder"), ("Dravia", "Dravian", "Dravik"),
    ("Estmark", "Estmarkian", "Estholm"), ("Fennor", "Fennorian", "Fennmouth"),
    ("Galvany", "Galvanian", "Galvo"), ("Harwick", "Harwickian", "Harwick City"),
    ("Istria Nova", "Istrian", "Nova Pola"), ("Jorvale", "Jorvalian", "Jorby"),
    ("Kestria", "Kestrian", "Kesh"), ("Lunmark", "Lunmarkian", "Lunholm"),
    ("Moravel", "Moravelian", "Moravia Port"), ("Norvania", "Norvanian", "Norvik"),
    ("Ostravia", "Ostravian", "Ostrov"), ("Pelland", "Pellish", "Pellham"),
)
# (plural noun in text, unit): what a story counts.
FORCES = (("troops", "troop"), ("soldiers", "soldier"), ("marines", "marine"),
          ("reservists", "reservist"), ("volunteers", "volunteer"))
# (measure, clause with {nation}, {host} and {value}).
MEASURES = (
    ("sent-for-training", "{nation} had sent {value} to {host} for training"),
    ("planned-deployment-total", "{nation} planned to send a total of {value} to {host}"),
    ("deployed-at-border", "{nation} had deployed {value} along its border with {host}"),
    ("killed", "{value} from {nation} had been killed in the fighting near {host}"),
    ("wounded", "{value} from {nation} had been wounded since the spring"),
    ("withdrawn", "{nation} had withdrawn {value} from positions near {host}"),
    ("stationed-abroad", "{value} from {nation} were stationed in {host}"),
    ("recruited", "{nation} had recruited {value} for new units"),
)
# (unit, plural, per-unit soldier counts that the default ratio rules accept).
FORMATIONS = (
    ("brigade", "brigades", (2_000, 2_500, 3_000, 4_000, 5_000)),
    ("battalion", "battalions", (400, 500, 600, 800, 1_000)),
    ("division", "divisions", (8_000, 10_000, 12_000, 15_000)),
)
AGENCIES = (("northstar-wire", "Northstar Wire"), ("meridian-press", "Meridian Press Agency"),
            ("harbor-news", "Harbor News Agency"), ("atlas-wire", "Atlas Wire"),
            ("compass-news", "Compass News Service"), ("beacon-agency", "Beacon Agency"))
OUTLETS = (("daily-ledger", "The Daily Ledger"), ("evening-courier", "The Evening Courier"),
           ("continental-times", "The Continental Times"), ("morning-dispatch", "The Morning Dispatch"),
           ("coastal-herald", "The Coastal Herald"), ("weekly-observer", "The Weekly Observer"))
FILLERS = (
    "The figures could not be verified independently.",
    "Officials did not respond to a request for comment.",
    "Diplomats said talks on the matter would continue.",
    "The ministry declined to give further details.",
    "Analysts cautioned that early estimates are often revised.",
    "Opposition lawmakers called for a closed briefing on the reports.",
    "Satellite images published earlier showed new activity at several bases.",
    "The government has repeatedly said it seeks a negotiated settlement.",
    "Neighbouring states have raised their alert levels.",
    "Observers noted that similar reports in the past proved exaggerated.",
    "The foreign ministry summoned the ambassador for consultations.",
    "Humanitarian groups warned of the impact on civilians in the region.",
    "A parliamentary committee is expected to discuss the matter.",
    "Independent monitors have not been granted access to the area.",
    "Military experts said the numbers were consistent with earlier assessments.",
    "The reports added to concerns about a wider escalation.",
    "Both governments have described their cooperation as routine.",
    "Regional leaders are due to meet at a summit soon.",
    "The claims come amid heightened tension along the frontier.",
    "Neither side has published official casualty figures.",
)
HEADLINES = ("{demonym} {force} figures disputed as reports multiply",
             "New estimates emerge on {demonym} {force} abroad",
             "Agencies report fresh numbers on {demonym} {force}",
             "Questions grow over {demonym} {force} abroad")
DENIALS = (("denied", "{party} denied the reports as groundless"),
           ("dismissed", "{party} dismissed the figures as a fabrication"),
           ("rejected", "{party} rejected the account as hostile propaganda"))
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
                "nineteen")
TENS_WORDS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
FIRST_DAY = date(2022, 1, 1)
ABOUT_TOLERANCE = 0.1  # the default suite's about_tolerance: "about N" is N x (1 -/+ 0.1)


# Neutral sentences that pad an article to about 4 KB: cut from one long shuffled run of the
# fillers, from a sentence start to the first sentence end past the length wanted.
_PADDING_RUN = "".join(
    FILLERS[(i * 7 + i // len(FILLERS)) % len(FILLERS)] + ("\n" if i % 4 == 3 else " ") for i in range(400))
_PADDING_STARTS = [0] + [i + 1 for i, c in enumerate(_PADDING_RUN[:-1])
                         if c in " \n" and _PADDING_RUN[i - 1] == "."]


def _padding(start_no: int, length: int) -> str:
    start = _PADDING_STARTS[start_no % (len(_PADDING_STARTS) // 2)]  # the first half: room to cut
    ends = (_PADDING_RUN.find(". ", start + length), _PADDING_RUN.find(".\n", start + length))
    return _PADDING_RUN[start:min(e for e in ends if e >= 0) + 1]


def _words(n: int) -> str:
    """1..99 in words: 'twelve', 'forty-five'."""
    if n < 20:
        return NUMBER_WORDS[n]
    tens, ones = divmod(n, 10)
    return TENS_WORDS[tens] + ("-" + NUMBER_WORDS[ones] if ones else "")


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


@dataclass(frozen=True)
class _Nation:
    name: str
    demonym: str
    capital: str

    @property
    def government(self) -> str:
        return _slug(self.name) + "-government"

    @property
    def ministry(self) -> str:
        return _slug(self.name) + "-defence-ministry"

    @property
    def intelligence(self) -> str:
        return _slug(self.name) + "-intelligence"

    @property
    def spokesperson(self) -> str:
        return _slug(self.name) + "-spokesperson"


_NATIONS = tuple(_Nation(*n) for n in NATIONS)


def _source_registry() -> list[tuple]:
    """Sources rows (source_id, name, kind, country, aliases, parent_id) of the fixed registry."""
    rows = []
    for i, n in enumerate(_NATIONS):
        code = "X" + chr(ord("A") + i)  # ISO 3166 user-assigned codes: no real country
        rows += [
            (n.government, f"{n.name} government", "government", code, f"{n.name}|the {n.name} government", None),
            (n.ministry, f"{n.name} defence ministry", "government", code,
             f"the {n.name} defence ministry|{n.name}'s defence ministry", n.government),
            (n.intelligence, f"{n.name} intelligence service", "intelligence-agency", code,
             f"the {n.name} intelligence service|{n.name}'s intelligence service", n.government),
            (n.spokesperson, f"{n.name} foreign ministry spokesperson", "official", code,
             f"a spokesperson for the {n.name} foreign ministry", n.government),
        ]
    rows += [(sid, name, "news-agency", None, name, None) for sid, name in AGENCIES]
    rows += [(sid, name, "outlet", None, name.removeprefix("The "), None) for sid, name in OUTLETS]
    rows.append(("military-analysts", "independent military analysts", "expert", None,
                 "independent military analysts", None))
    return rows


# How each source is named in running text (the first alias reads best mid-sentence).
_MENTION = {row[0]: (row[4].split("|")[0] if row[4] else row[1]) for row in _source_registry()}
# Who gives counts about a country: another country's ministry or intelligence service, or analysts.
_FOREIGN_ORIGINS = {
    nation.name: tuple(s for n in _NATIONS if n != nation for s in (n.ministry, n.intelligence))
    + ("military-analysts",)
    for nation in _NATIONS
}


# --------------------------------------------------------------------------- plan of a statement

@dataclass(slots=True)
class _Story:
    """A count reported by several articles: subject, measure, unit, as-of date, true value."""

    nation: _Nation
    host: _Nation
    noun: str
    unit: str
    measure: str
    clause: str
    as_of: date
    value: int
    formation: tuple[str, str, int] | None = None  # (unit, plural, count): "four brigades with ..."
    subject: str = ""

    def __post_init__(self) -> None:
        self.subject = self.subject or f"{_slug(self.nation.demonym)}-{self.noun}"


@dataclass(slots=True)
class _Figure:
    """A figure row while its article is built."""

    figure_id: str
    char_start: int
    value_text: str
    value: int
    qualifier: str
    lower: int | None
    upper: int | None
    unit: str
    story: _Story
    linked_figure_id: str | None = None


@dataclass(slots=True)
class _Statement:
    """One attributed sentence: its claim span, figures and attribution chain."""

    kind: str | None  # the planted defect kind, "denial", "conflict-partner" or None
    story: _Story
    claim_span: tuple[int, int]
    cue: str
    cue_start: int
    reporter: str
    via: str | None
    origin: str
    stance: str
    figures: list[_Figure] = field(default_factory=list)
    about: str | None = None  # for a denial: whom it answers
    variant: int = 0  # which form of the defect (table or column), in turn
    lead_in: tuple[int, int] = (0, 0)  # span of "reported, citing X, that"


class _Draw:
    """Seeded draws built on `random()` alone: cheaper than `choice`/`randrange`, and stable
    across Python versions for a given seed."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed).random

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def pick(self, items: tuple | list):
        return items[int(self.random() * len(items))]


class _Text:
    """Article text assembled from pieces, with the offset of each piece."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0

    def add(self, piece: str) -> int:
        start = self.pos
        self.parts.append(piece)
        self.pos += len(piece)
        return start

    def value(self) -> str:
        return "".join(self.parts)


def _capital(s: str) -> str:
    return s[:1].upper() + s[1:]


@dataclass
class TruthRow:
    """A finding a planted defect must produce."""

    check_id: str
    table: str
    row_key: str
    file: str
    line: int


@dataclass
class SynthTruth:
    """What `generate` wrote: rows per table and the findings the planted defects must produce."""

    out_dir: Path
    seed: int
    defect_rate: float
    rows: dict[str, int] = field(default_factory=dict)
    defects: list[TruthRow] = field(default_factory=list)

    def by_check(self) -> dict[str, int]:
        return dict(sorted(Counter(d.check_id for d in self.defects).items()))


class _Table:
    """A CSV file written row by row, knowing the line each row lands on."""

    def __init__(self, path: Path, columns: tuple[str, ...], extra_column: str | None = None) -> None:
        self.fh: TextIO = path.open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.fh, lineterminator="\n")
        self.padding: tuple = ("",) if extra_column else ()
        self.writer.writerow(columns + ((extra_column,) if extra_column else ()))
        self.line = 1
        self.rows = 0

    def write(self, row: list | tuple) -> int:
        """Write one row (None as an empty cell); return its line number."""
        self.writer.writerow([*row, *self.padding] if self.padding else row)
        self.line += 1
        self.rows += 1
        return self.line


# Defect kinds whose figures get a subject of their own (their bounds, unit or subject are wrong).
_OWN_SUBJECT = frozenset({"qualifier-bounds", "bounds-order", "ratio-plausibility", "cross-article-conflict",
                          "figure-unit-singular", "contract-range", "gx-figures", "value-text-mismatch",
                          "figure-value-mismatch", "qualifier-dropped", "qualifier-mismatch", "unit-mismatch",
                          "repeated-figure-inconsistent", "measure-conflated"})
# Defects planted as a second figure of the same article, right after the first: (kind of the
# second statement, in its own words or in the first's).
_PARTNERED = {"measure-conflated": "conflated-partner", "repeated-figure-inconsistent": "repeated-partner"}
_PARTNER_OF = {"conflict-partner": "cross-article-conflict", "conflated-partner": "measure-conflated",
               "repeated-partner": "repeated-figure-inconsistent"}
# Defects of the article row planted beside a clean statement: the sentence added after it.
_BESIDE_STATEMENT = {
    "figure-missing-from-dataset": "Officials said {count} people attended the briefing.",  # no figure row
    "relative-date-unanchored": "The figures were first reported last week.",  # and no published_at
    "denial-recorded-as-assertion": "",  # the denial that follows the statement carries it
}
# How many forms each defect kind takes in turn (which table or column carries it).
_VARIANTS = {"duplicate-key": 3, "reference-dangling": 4, "load-rejected-row": 3, "offset-out-of-range": 3,
             "attribution-missing": 2, "contract-enum": 2}
# Defects that are one wrong cell of a statement's claim row, figure row or the figure's
# attribution row: (kind, variant) -> (table, column, value or one of the markers below).
_PAST_END = "past-end"  # an offset beyond the end of the article text
_SHIFTED = "shifted"  # the span moved one character on: it no longer holds value_text
_SWAPPED = "swapped"  # reporter and origin exchanged
_OTHER_ORIGIN = "other-origin"  # a source the sentence does not cite
_REVERSED = "reversed"  # the span's end before its start
_LEAD_IN = "lead-in"  # the whole lead-in ("reported, citing X, which cited Y, that") as the cue
_CELL_DEFECTS: dict[tuple[str, int], tuple[str, str, object]] = {
    ("reference-dangling", 0): ("figures", "claim_id", "unregistered-claim"),
    ("reference-dangling", 1): ("figures", "linked_figure_id", "unregistered-figure"),
    ("reference-dangling", 2): ("claims", "about_id", "unregistered-party"),
    ("reference-dangling", 3): ("attributions", "origin_id", "unregistered-source"),
    ("offset-out-of-range", 0): ("figures", "char_end", _PAST_END),
    ("offset-out-of-range", 1): ("claims", "char_end", _PAST_END),
    ("offset-out-of-range", 2): ("attributions", "char_end", _PAST_END),
    ("contract-enum", 0): ("claims", "stance", "alleges"),
    ("contract-enum", 1): ("figures", "qualifier", "approximately"),
    ("contract-not-null", 0): ("figures", "unit", None),
    ("denied-claim-status", 0): ("claims", "status", "corroborated"),
    ("gx-claims", 0): ("claims", "char_end", _REVERSED),
    ("gx-attributions", 0): ("attributions", "cue", _LEAD_IN),
    ("figure-not-in-text", 0): ("figures", "char_start", _SHIFTED),
    ("attribution-chain-reversed", 0): ("attributions", "reporter_id", _SWAPPED),
    ("attribution-missing-hop", 0): ("attributions", "via_id", None),
    ("attribution-source-mismatch", 0): ("attributions", "origin_id", _OTHER_ORIGIN),
}
# Findings a defect produces besides its own check's, where two checks share a rule.
_ALSO = {"bounds-order": ("gx-figures",), "gx-claims": ("offset-out-of-range",),
         "value-text-mismatch": ("figure-value-mismatch",)}
_KEY_PREFIX = {"claims": "clm", "figures": "fig", "attributions": "att"}
_EXTRA_ROW_TABLES = tuple(_KEY_PREFIX)  # where a duplicate or rejected row goes, by variant
# Where a load-rejected row has text in a numeric column: (column, text or None for value_text).
_REJECTED = {"claims": ("char_start", "n/a"), "figures": ("value", None), "attributions": ("char_end", "end")}


class _Generator:
    def __init__(self, out: Path, figures: int, articles: int, seed: int, defect_rate: float,
                 kinds: tuple[str, ...], checks: frozenset[str]) -> None:
        self.out = out
        self.figures_wanted = figures
        self.articles_wanted = articles
        self.rng = _Draw(seed)
        self.defect_rate = defect_rate
        self.kinds = tuple(k for k in kinds if k != "load-unknown-column")  # planted once, in sources.csv
        self.unknown_column = "notes" if "load-unknown-column" in kinds and defect_rate > 0 else None
        self.checks = checks  # the suite's check ids: findings of checks that do not run are not expected
        self.truth = SynthTruth(out, seed, defect_rate)
        self.next_kind = 0
        self.planted: Counter[str] = Counter()
        self.ids: Counter[str] = Counter()
        # Three consecutive articles (a beat) report the same stories.
        self.stories_per_beat = max(4, -(-figures // max(articles, 1)) + 2)
        self.beat = -1
        self.beat_stories: list[_Story] = []
        self.pending_conflict: tuple[_Story, int] | None = None
        self.extra_sources: list[tuple[tuple, str]] = []  # (sources row, defect kind)

    # ---------------------------------------------------------------- the files

    def run(self) -> SynthTruth:
        self.tables = {t: _Table(self.out / FILES[t], COLUMNS[t]) for t in ("claims", "figures", "attributions")}
        with (self.out / FILES["articles"]).open("w", encoding="utf-8", newline="\n") as articles:
            self.articles_fh = articles
            for number in range(self.articles_wanted):
                self.article(number)
        for table in self.tables.values():
            table.fh.close()
        self.write_sources()
        self.truth.rows = {"articles": self.articles_wanted, "sources": self.sources_rows,
                           **{t: table.rows for t, table in self.tables.items()}}
        self.truth.defects.sort(key=lambda d: (d.check_id, d.file, d.line, d.row_key))
        with (self.out / TRUTH_FILE).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(TRUTH_COLUMNS)
            writer.writerows((d.check_id, d.table, d.row_key, d.file, d.line) for d in self.truth.defects)
        (self.out / "dataset.yaml").write_text(_manifest(self.truth, self.figures_wanted), encoding="utf-8")
        return self.truth

    def write_sources(self) -> None:
        sources = _Table(self.out / FILES["sources"], COLUMNS["sources"], self.unknown_column)
        for row in _source_registry():
            sources.write(row)
        for row, kind in self.extra_sources:
            line = sources.write(row)
            if kind == "gx-sources":
                self.plant(kind, "sources", row[0], line)
            elif kind == "source-name-present":  # a source without a name breaks its contract too
                self.plant("contract-not-null", "sources", row[0], line)
        sources.fh.close()
        if self.unknown_column:
            self.plant("load-unknown-column", "sources", "", 1)
        self.sources_rows = sources.rows

    def new_id(self, prefix: str) -> str:
        self.ids[prefix] += 1
        return f"{prefix}{self.ids[prefix]:08d}"

    def plant(self, check_id: str, table: str, row_key: str, line: int) -> None:
        """Record a finding the data must produce (if its check runs), and those of checks
        that share the rule."""
        for check in (check_id,) + _ALSO.get(check_id, ()):
            if check in self.checks:
                self.truth.defects.append(TruthRow(check, table, row_key, FILES[table], line))

    # ---------------------------------------------------------------- stories

    def story(self, number: int) -> _Story:
        """The key (subject, measure, unit, date) follows from the story number, so no two
        stories share one; the true value, host country and formation are drawn."""
        rng = self.rng
        nation = _NATIONS[number % len(_NATIONS)]
        rest = number // len(_NATIONS)
        noun, unit = FORCES[rest % len(FORCES)]
        rest //= len(FORCES)
        measure, clause = MEASURES[rest % len(MEASURES)]
        day = FIRST_DAY + timedelta(days=rest // len(MEASURES))
        host = _NATIONS[(number + 1 + rng.below(len(_NATIONS) - 1)) % len(_NATIONS)]
        if unit == "soldier" and rng.random() < 0.5:
            f_unit, f_plural, sizes = FORMATIONS[rng.below(len(FORMATIONS))]
            count = rng.between(2, 9)
            return _Story(nation, host, noun, unit, measure, clause, day, count * rng.pick(sizes),
                          (f_unit, f_plural, count))
        return _Story(nation, host, noun, unit, measure, clause, day, (5 + rng.below(295)) * 100)

    def stories_for(self, article_no: int) -> list[_Story]:
        beat = article_no // 3
        if beat != self.beat:
            self.beat = beat
            first = beat * self.stories_per_beat
            self.beat_stories = [self.story(first + j) for j in range(self.stories_per_beat)]
        return self.beat_stories

    def own_story(self, like: _Story, kind: str) -> _Story:
        """The story under a subject no other figure uses, so a wrong bound meets no other."""
        subject = f"{like.subject}-case-{kind}-{self.planted[kind]}"
        if kind == "gx-figures":  # a label that is not kebab-case
            subject = f"{like.nation.demonym} {like.noun} (case {self.planted[kind]})"
        noun, unit = ("soldiers", "soldier") if kind == "ratio-plausibility" else (like.noun, like.unit)
        # An off-round value (4,530 where clean counts are whole hundreds): no clean phrase repeats it.
        value = like.value + 10 * self.rng.between(1, 9)
        return _Story(like.nation, like.host, noun, unit, like.measure, like.clause, like.as_of,
                      value, like.formation, subject)

    def phrase(self, story: _Story, used: set[str]) -> tuple[str, int, str, int | None, int | None]:
        """(value_text, value, qualifier, lower, upper) for the true value in one of the usual
        forms (coded as `newsproof.text.numbers` codes them); every bound holds for it. The
        text is new to the article (`used`): one phrase in one article means one count."""
        for _ in range(20):
            phrase = self.one_phrase(story)
            if phrase[0] not in used:
                return phrase
        t, noun = story.value, story.noun
        width = 100
        while f"between {t - width:,} and {t + width:,} {noun}" in used:
            width += 100
        return f"between {t - width:,} and {t + width:,} {noun}", t - width, "range", t - width, t + width

    def one_phrase(self, story: _Story) -> tuple[str, int, str, int | None, int | None]:
        rng, t, noun = self.rng, story.value, story.noun
        form = rng.below(10)
        if form == 1 and t % 1000 == 0 and t < 100_000:
            return f"{_words(t // 1000)} thousand {noun}", t, "exact", t, t
        if form == 2:
            n = max(100, t * 4 // 5 // 100 * 100)
            return f"{rng.pick(('over', 'more than'))} {n:,} {noun}", n, "over", n, None
        if form == 3:
            return f"at least {t:,} {noun}", t, "at-least", t, None
        if form == 4:
            n = (t * 5 // 4 // 100 + 1) * 100
            return f"{rng.pick(('fewer than', 'under'))} {n:,} {noun}", n, "under", None, n
        if form == 5:
            n = t + 100 * rng.between(0, 5)
            return f"up to {n:,} {noun}", n, "at-most", None, n
        if form == 6:
            word = rng.pick(("about", "around", "roughly", "some", "an estimated"))
            return f"{word} {t:,} {noun}", t, "about", t - t // 10, t + t // 10
        if form == 7:
            low, high = max(100, t - 100 * rng.between(1, 10)), t + 100 * rng.between(1, 10)
            return f"between {low:,} and {high:,} {noun}", low, "range", low, high
        if form == 8 and 3_000 <= t <= 9_000:
            return f"several thousand {noun}", 3_000, "vague", 3_000, 9_000
        if form == 8 and 2_000 <= t <= 10_000:
            return f"thousands of {noun}", 2_000, "vague", 2_000, 10_000
        return f"{t:,} {noun}", t, "exact", t, t

    # ---------------------------------------------------------------- one article

    def quota(self, number: int) -> int:
        n, m = self.figures_wanted, self.articles_wanted
        return n * (number + 1) // m - n * number // m

    def draw_kind(self, number: int, room: int) -> str | None:
        """The defect kind the next statement carries, in turn, or None for a clean one."""
        if not self.kinds or self.rng.random() >= self.defect_rate:
            return None
        kind = self.kinds[self.next_kind % len(self.kinds)]
        if kind == "cross-article-conflict" and (number + 1 >= self.articles_wanted or self.pending_conflict):
            return None  # its partner goes into the next article
        if kind == "ratio-plausibility" and room < 2:
            return None
        self.next_kind += 1
        return kind

    def article(self, number: int) -> None:
        rng = self.rng
        article_id = f"art{number + 1:07d}"
        stories = self.stories_for(number)
        outlet_id, outlet_name = rng.pick(OUTLETS + AGENCIES)
        lead = stories[0]
        text = _Text()
        title = rng.pick(HEADLINES).format(demonym=lead.nation.demonym, force=lead.noun)
        text.add(title + "\n")
        published = max(s.as_of for s in stories) + timedelta(days=1)
        text.add(f"{lead.nation.capital.upper()}, {published.day} {MONTHS[published.month - 1]} "
                 f"{published.year} ({outlet_name}) - ")
        statements: list[_Statement] = []
        used: set[str] = set()  # figure phrases already in the article
        room = self.quota(number)
        article_defects: list[str] = []  # defects of the article row, planted when it is written
        if self.pending_conflict and room > 0:
            story, phrase = self.pending_conflict
            self.pending_conflict = None
            statements.append(self.statement(text, used, story, "conflict-partner", partner=phrase))
            room -= 1
            text.add(" ")
        slot = 0
        while room > 0:
            story = stories[slot % len(stories)]
            slot += 1
            kind = self.draw_kind(number, room)
            composite = kind == "ratio-plausibility" or (
                kind is None and story.formation is not None and room >= 2 and rng.random() < 0.5)
            in_statement = None if kind in _BESIDE_STATEMENT else kind
            statement = self.statement(text, used, story, in_statement, composite=composite)
            statements.append(statement)
            room -= len(statement.figures)
            if kind in _PARTNERED:
                text.add(" ")
                partner_story, phrase = self.partner_of(statement, stories[slot % len(stories)])
                statements.append(self.statement(text, used, partner_story, _PARTNERED[kind], partner=phrase))
                room -= 1
            elif _BESIDE_STATEMENT.get(kind):
                text.add(" " + _BESIDE_STATEMENT[kind].format(count=20 + 10 * rng.below(30)))
                article_defects.append(kind)
            if kind in ("denied-claim-status", "denial-recorded-as-assertion") or rng.random() < 0.15:
                text.add(" ")
                statements.append(self.denial(text, statement, recorded_as_assertion=(
                    kind == "denial-recorded-as-assertion")))
            for _ in range(rng.between(0, 2)):
                text.add(" " + rng.pick(FILLERS))
            text.add("\n" if rng.random() < 0.6 else " ")
        if text.pos < 3_800:
            text.add(_padding(rng.below(len(_PADDING_STARTS)), 3_800 + rng.below(600) - text.pos))
        body = text.value().rstrip()
        self.write_article(number, article_id, title, outlet_id, published, body, statements, article_defects)

    # ---------------------------------------------------------------- one statement

    def chain(self, kind: str | None, origin: str) -> tuple[str, str | None, str]:
        """(reporter, via, origin): said directly, relayed once, or relayed twice."""
        rng = self.rng
        two_hop = ("attribution-via-invalid", "attribution-chain-cycle", "gx-attributions", "attribution-missing-hop")
        shape = 3 if kind in two_hop else 2 if kind == "attribution-chain-reversed" else rng.below(4)
        if kind == "source-name-present" or shape <= 1:
            return origin, None, origin
        reporter = rng.pick(AGENCIES + OUTLETS)[0]
        if shape == 2:
            return reporter, None, origin
        via = rng.pick([a for a, _ in AGENCIES if a != reporter])
        if kind == "attribution-via-invalid":  # a government is no relay of news
            via = _NATIONS[rng.below(len(_NATIONS))].government
        if kind == "attribution-chain-cycle":  # the relay cites the reporter back
            origin = reporter
        return reporter, via, origin

    def statement(self, text: _Text, used: set[str], story: _Story, kind: str | None, *,
                  composite: bool = False, partner: tuple | None = None) -> _Statement:
        """Write one attributed sentence into the text; return what the rows need."""
        rng = self.rng
        variant = 0
        if kind:
            variant = self.planted[kind] % _VARIANTS.get(kind, 1)
            self.planted[kind] += 1
        if kind in _OWN_SUBJECT:
            story = self.own_story(story, kind)
        origin = rng.pick(_FOREIGN_ORIGINS[story.nation.name])
        mention = _MENTION
        if kind == "source-name-present":  # a source registered without a name
            origin = f"unnamed-official-{self.planted[kind]}"
            self.extra_sources.append(((origin, None, "official", None, None, None), kind))
            mention = {origin: "a senior official"}
        if kind == "gx-sources":  # a desk registered with its country spelled out, not coded
            desk = f"regional-desk-{self.planted[kind]}"
            self.extra_sources.append(((desk, f"Regional desk {self.planted[kind]}", "outlet",
                                        story.nation.name, None, None), kind))
        reporter, via, origin = self.chain(kind, origin)

        lead_in_start = text.pos
        if via is None and reporter == origin:
            stance = "asserts"
            if rng.random() < 0.5:
                cue = "According to"
                cue_start = text.add(cue)
                text.add(f" {mention[origin]}, ")
            else:
                text.add(_capital(mention[origin]) + " ")
                cue = rng.pick(("said", "disclosed", "estimated"))
                cue_start = text.add(cue)
                text.add(" that ")
        else:
            stance = "reports"
            lead_in_start = text.add(_capital(_MENTION[reporter]) + " ") + len(_MENTION[reporter]) + 1
            text.add("reported, ")
            cue = "citing"
            cue_start = text.add(cue)
            if via is None:
                text.add(f" {_MENTION[origin]}, that")
            else:
                text.add(f" {_MENTION[via]}, which cited {_MENTION[origin]}, that")
            text.add(" ")
        lead_in = (lead_in_start, text.pos - 1)
        before, after = (part.format(nation=story.nation.name, host=story.host.name)
                         for part in story.clause.split("{value}"))
        claim_start = text.add(before)
        figures: list[_Figure] = []
        f_unit, f_plural, count = story.formation or ("brigade", "brigades", 4)
        if kind == "ratio-plausibility":  # a formation count not yet in the article
            count = next((n for n in range(count, count + 20) if f"{_words(n)} {f_plural}" not in used), count)
        soldiers = story.value
        if kind == "ratio-plausibility":  # ten times the largest plausible size of the unit
            soldiers = count * {"brigade": 60_000, "battalion": 12_000, "division": 250_000}[f_unit]
        formation_text, soldier_text = f"{_words(count)} {f_plural}", f"{soldiers:,} {story.noun}"
        if composite and (kind or not {formation_text, soldier_text} & used):
            formation = self.figure(text, formation_text, count, "exact", count, count, story, f_unit)
            text.add(" with ")
            soldier = self.figure(text, soldier_text, soldiers, "exact", soldiers, soldiers, story)
            soldier.linked_figure_id = formation.figure_id
            figures += [formation, soldier]
        else:
            t = story.value
            recorded = None  # value_text as recorded, when it is not the whole phrase
            if partner is not None:  # the second figure of a two-figure defect
                phrase = partner
            elif kind == "qualifier-bounds":  # "over N" recorded with an upper bound
                phrase = (f"over {t:,} {story.noun}", t, "over", t, 2 * t)
            elif kind == "bounds-order":  # a vague count with its bounds swapped
                words, value, upper = self.vague_phrase(story, used)
                phrase = (words, value, "vague", upper, value)
            elif kind == "contract-range":  # a sign slipped into the lower bound
                words, value, upper = self.vague_phrase(story, used)
                phrase = (words, value, "vague", -value, upper)
            elif kind in ("cross-article-conflict", "measure-conflated", "qualifier-dropped"):
                phrase = (f"{'over ' if kind == 'qualifier-dropped' else ''}{t:,} {story.noun}", t, "exact", t, t)
                if kind == "cross-article-conflict":  # the next article reports three times as many
                    self.pending_conflict = (story, (f"{3 * t:,} {story.noun}", 3 * t, "exact", 3 * t, 3 * t))
            elif kind == "value-text-mismatch":  # "4,530 troops" recorded as 453
                phrase = (f"{t:,} {story.noun}", t // 10, "exact", t // 10, t // 10)
            elif kind == "figure-value-mismatch":  # "14,530 troops" with the span on "14" alone
                big = t + 10_000
                phrase = (f"{big:,} {story.noun}", big // 1000, "exact", big // 1000, big // 1000)
                recorded = str(big // 1000)
            elif kind == "qualifier-mismatch":  # "about N" recorded as over N
                phrase = (f"about {t:,} {story.noun}", t, "over", t, None)
            elif kind == "repeated-figure-inconsistent":
                words, value, upper = self.vague_phrase(story, used)
                phrase = (words, value, "vague", value, upper)
            else:
                phrase = self.phrase(story, used)
            unit = {"figure-unit-singular": story.unit + "s", "unit-mismatch": "brigade"}.get(kind, story.unit)
            figures.append(self.figure(text, *phrase, story, unit, recorded))
        used.update(f.value_text for f in figures)
        text.add(after)
        claim_end = text.pos
        text.add(".")
        return _Statement(kind, story, (claim_start, claim_end), cue, cue_start, reporter, via, origin,
                          stance, figures, variant=variant, lead_in=lead_in)

    def vague_phrase(self, story: _Story, used: set[str]) -> tuple[str, int, int]:
        """(value_text, value, upper) of a vague count new to the article, coded as the text
        layer codes it ("a few thousand": 2,000 to 5,000)."""
        forms = ((f"a few thousand {story.noun}", 2_000, 5_000), (f"several thousand {story.noun}", 3_000, 9_000),
                 (f"thousands of {story.noun}", 2_000, 10_000))
        return next((f for f in forms if f[0] not in used), forms[0])

    def figure(self, text: _Text, value_text: str, value: int, qualifier: str, lower: int | None,
               upper: int | None, story: _Story, unit: str | None = None, recorded: str | None = None) -> _Figure:
        start = text.add(value_text)
        return _Figure(self.new_id("fig"), start, recorded or value_text, value, qualifier, lower, upper,
                       unit or story.unit, story)

    def partner_of(self, first: _Statement, next_story: _Story) -> tuple[_Story, tuple]:
        """The story and phrase of a two-figure defect's second figure: three times the first
        count under the same key (measure-conflated), or the first's words for another count,
        recorded with another upper bound (repeated-figure-inconsistent)."""
        figure = first.figures[0]
        if first.kind == "measure-conflated":
            v = 3 * figure.value
            return first.story, (f"{v:,} {first.story.noun}", v, "exact", v, v)
        story = self.own_story(next_story, "repeated-figure-inconsistent")
        story.noun, story.unit = first.story.noun, first.story.unit
        return story, (figure.value_text, figure.value, "vague", figure.lower, figure.upper - 1_000)

    def denial(self, text: _Text, about: _Statement, recorded_as_assertion: bool = False) -> _Statement:
        """'<party> denied the reports as groundless', by the country whose troops are counted."""
        rng = self.rng
        nation = about.story.nation
        denier = rng.pick((nation.government, nation.spokesperson))
        cue, template = DENIALS[rng.below(len(DENIALS))]
        party = _capital(_MENTION[denier])
        sentence = template.format(party=party)
        start = text.add(sentence)
        text.add(".")
        kind, stance = ("denial-recorded-as-assertion", "asserts") if recorded_as_assertion else ("denial", "denies")
        return _Statement(kind, about.story, (start, start + len(sentence)), cue, start + len(party) + 1,
                          denier, None, denier, stance, about=about.origin)

    # ---------------------------------------------------------------- rows

    def write_article(self, number: int, article_id: str, title: str, outlet: str, published: date,
                      text: str, statements: list[_Statement], article_defects: list[str]) -> None:
        rng = self.rng
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        url = f"https://news.example/{outlet}/{article_id}"
        # Claims about a country that denies them in the same article are disputed.
        denied = {s.story.nation.government for s in statements if s.kind == "denial"}
        for s in statements:
            self.write_statement(article_id, text, s, denied)
            if s.kind == "article-text-hash":  # the text changed after curation
                digest = hashlib.sha256((text + "\n").encode("utf-8")).hexdigest()
            elif s.kind == "contract-pattern":  # the right digest, in capitals
                digest = digest.upper()
            elif s.kind == "gx-articles":  # a link without its scheme
                url = url.removeprefix("https://")
            if s.kind in ("article-text-hash", "contract-pattern", "gx-articles"):
                self.plant(s.kind, "articles", article_id, number + 1)
        for kind in article_defects:
            self.plant(kind, "articles", article_id, number + 1)
        published_at = f"{published.isoformat()}T{6 + rng.below(16):02d}:{rng.pick((0, 15, 30, 45)):02d}:00"
        if "relative-date-unanchored" in article_defects:  # "last week" with no date to anchor it
            published_at = None
        record = {
            "article_id": article_id, "title": title, "outlet": outlet, "url": url, "published_at": published_at,
            "language": "en", "text": text, "text_sha256": digest,
        }
        self.articles_fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    def write_statement(self, article_id: str, text: str, s: _Statement, denied: set[str]) -> None:
        kind, variant = s.kind, s.variant
        cell = _CELL_DEFECTS.get((kind, variant)) if kind else None
        claim_id = self.new_id("clm")
        if kind in ("denial", "denial-recorded-as-assertion"):
            about, status = s.about, "reported"
        else:
            about = s.story.nation.government
            status = "disputed" if about in denied else ("reported", "corroborated", "unverified",
                                                         "disputed")[self.rng.below(4)]
        start, end = s.claim_span
        claim = [claim_id, article_id, start, end, text[start:end], s.reporter, about, s.stance, status]
        claim_line = self.write_row("claims", claim, s, cell, text)
        if kind == "denial-recorded-as-assertion":
            self.plant(kind, "claims", claim_id, claim_line)

        for figure in s.figures:
            story = figure.story
            row = [figure.figure_id, article_id, claim_id, figure.char_start,
                   figure.char_start + len(figure.value_text), figure.value_text, figure.value, figure.qualifier,
                   figure.lower, figure.upper, figure.unit, story.subject, story.measure, story.as_of.isoformat(),
                   figure.linked_figure_id]
            line = self.write_row("figures", row, s, cell, text)
            if kind in _OWN_SUBJECT and kind not in _PARTNERED and (
                    kind != "ratio-plausibility" or figure.linked_figure_id):
                self.plant(kind, "figures", figure.figure_id, line)
            if kind in _PARTNER_OF:
                self.plant(_PARTNER_OF[kind], "figures", figure.figure_id, line)
            if kind == "attribution-missing" and variant == 0:
                self.plant(kind, "figures", figure.figure_id, line)
            else:
                # An attribution naming the figure and its claim too is the target defect.
                target_claim = claim_id if kind == "attribution-target" else None
                self.write_attribution(s, figure.figure_id, target_claim, cell, text)
        if kind == "attribution-missing" and variant == 1:
            self.plant(kind, "claims", claim_id, claim_line)
        else:
            self.write_attribution(s, None, claim_id, cell, text)

    def write_attribution(self, s: _Statement, figure_id: str | None, claim_id: str | None,
                          cell: tuple[str, str, object] | None, text: str) -> None:
        kind = s.kind
        attribution_id = self.new_id("att")
        row = [attribution_id, figure_id, claim_id, s.reporter, s.via, s.origin, s.cue, s.cue_start,
               s.cue_start + len(s.cue)]
        # Row defects of attributions sit in the figure's attribution only.
        line = self.write_row("attributions", row, s, cell, text, defective=figure_id is not None)
        if kind in ("attribution-via-invalid", "attribution-chain-cycle", "source-name-present") or (
                kind == "attribution-target" and figure_id):
            self.plant(kind, "attributions", attribution_id, line)

    def write_row(self, table: str, row: list, s: _Statement, cell: tuple[str, str, object] | None,
                  text: str, defective: bool = True) -> int:
        """Write one row, with the statement's defect if it sits in this row; return its line."""
        kind, variant = s.kind, s.variant
        writer = self.tables[table]
        in_row = defective and cell is not None and cell[0] == table
        if in_row:
            column = COLUMNS[table].index(cell[1])
            value = cell[2]
            if value == _PAST_END:
                value = len(text) + 25
            elif value == _REVERSED:
                value = row[COLUMNS[table].index("char_start")] - 1
            elif value == _LEAD_IN:
                value = text[s.lead_in[0]:s.lead_in[1]]
            elif value == _OTHER_ORIGIN:
                others = [o for o in _FOREIGN_ORIGINS[s.story.nation.name] if o not in (s.reporter, s.origin)]
                value = others[len(row[0]) % len(others)]
            if value == _SHIFTED:
                row[3], row[4] = row[3] + 1, row[4] + 1
            elif value == _SWAPPED:
                row[3], row[5] = row[5], row[3]
            else:
                row[column] = value
        line = writer.write(row)
        if in_row:
            self.plant(kind, table, row[0], line)
        carrier = (defective and kind in ("duplicate-key", "load-rejected-row")
                   and _EXTRA_ROW_TABLES[variant] == table)
        if kind == "duplicate-key" and carrier:
            self.plant(kind, table, row[0], writer.write(row))  # the same row again, rejected at load
        elif kind == "load-rejected-row" and carrier:
            bad = list(row)
            bad[0] = self.new_id(_KEY_PREFIX[table])
            column, value = _REJECTED[table]
            bad[COLUMNS[table].index(column)] = value if value is not None else row[5]  # text for a number
            self.plant(kind, table, "", writer.write(bad))
        return line


def _manifest(truth: SynthTruth, figures: int) -> str:
    return (
        f"name: synth-{figures}-s{truth.seed}\n"
        f'title: "[SYNTHETIC] Generated troop-count reports ({figures:,} figures, seed {truth.seed})"\n'
        "description: >-\n"
        "  SYNTHETIC: generated by `newsproof synth` for tests and benchmarks; invented countries,\n"
        "  agencies and outlets, not real reporting. Planted defects are listed in truth.csv\n"
        f"  (defect rate {truth.defect_rate}).\n"
        "license: Apache-2.0\n"
        "synthetic: true\n"
        "files:\n" + "".join(f"  {table}: {name}\n" for table, name in FILES.items())
    )


def suite_check_ids(suite: str = "default") -> frozenset[str]:
    from .suites import load_suite

    return frozenset(c.id for c in load_suite(suite).checks)


def plantable_kinds(suite: str = "default") -> tuple[str, ...]:
    """The defect kinds whose check runs in the suite (all of DEFECT_KINDS for the default)."""
    ids = suite_check_ids(suite)
    return tuple(k for k in DEFECT_KINDS if k in ids)


def generate(out_dir: str | Path, *, figures: int, articles: int, seed: int = 0,
             defect_rate: float = DEFAULT_DEFECT_RATE, kinds: tuple[str, ...] | None = None) -> SynthTruth:
    """Write a synthetic dataset folder with `figures` figures over `articles` articles.

    About `defect_rate` of the statements carry a planted defect, cycling through `kinds`
    (default: every kind the default suite checks); truth.csv lists the findings they must
    produce. Deterministic: the same arguments give byte-identical files.
    """
    if figures < 0 or articles < 1:
        raise NewsproofError("need at least one article and no negative figure count",
                             hint="e.g. --figures 20000 --articles 2000")
    if not 0 <= defect_rate <= 1:
        raise NewsproofError(f"defect rate {defect_rate} is not between 0 and 1", hint="e.g. --defect-rate 0.01")
    checks = suite_check_ids()
    chosen = tuple(k for k in DEFECT_KINDS if k in checks) if kinds is None else tuple(kinds)
    unknown = sorted(set(chosen) - set(DEFECT_KINDS))
    if unknown:
        raise NewsproofError("cannot plant defects of kind " + ", ".join(unknown),
                             hint="known kinds: " + ", ".join(DEFECT_KINDS))
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NewsproofError("output path exists and is not a folder", file=str(out))
    out.mkdir(parents=True, exist_ok=True)
    return _Generator(out, figures, articles, seed, defect_rate, chosen, checks).run()
