"""Numbers, qualifiers, bounds and counted nouns (newsproof.text.numbers)."""

from __future__ import annotations

import pytest

from newsproof.text.numbers import (
    ABOUT_TOLERANCE,
    VAGUE_COUNTS,
    Quantity,
    bounds,
    find_quantities,
    parse_number,
    parse_quantity,
)

from seed_article import SEED_ARTICLE

# Its sentences holding counts.
SEED_DISCLOSED = (
    "Last week, the South Korean intelligence agency disclosed evidence showing that North Korea had "
    "sent over 1,500 soldiers to Russia for training to be deployed in the Ukraine conflict."
)
SEED_BRIGADES = (
    "Previously, the South Korean news agency Yonhap had reported, citing the intelligence agency, "
    'that Pyongyang intended to send a total of "four brigades with 12,000 soldiers, including '
    'special forces" to Ukraine.'
)
SEED_STATES = (
    'The accusations thrown by South Korea aimed to "smear the reputation of the Democratic '
    "People's Republic of Korea and undermine the legitimate and friendly relations between two "
    'independent states," said the North Korean representative.'
)
SEED_SCENARIOS = (
    'As a presidential official put it, "We would regard weapon delivery for defensive purposes as '
    'one of the progressive scenarios."'
)


def summary(q: Quantity) -> tuple:
    return (q.value_text, q.value, q.qualifier, q.lower, q.upper, q.unit)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,500", 1500), ("12,000", 12000), ("1,500.5", 1500.5), ("1.500", 1500),
        ("1.234.567", 1234567), ("1 500", 1500), ("1\u202f500", 1500), ("1\u00a0500", 1500),
        ("2.5", 2.5), ("0.500", 0.5), ("12k", 12000), ("1.5 million", 1_500_000),
        ("3 billion", 3e9), ("2 dozen", 24), ("four", 4), ("Twelve", 12), ("twenty-five", 25),
        ("twelve thousand", 12000), ("one hundred and twenty", 120), ("a dozen", 12),
        ("two dozen", 24), ("a hundred", 100), ("a thousand", 1000),
        ("twelve thousand five hundred", 12500), ("one million two hundred thousand", 1_200_000),
        ("  7 ", 7),
    ],
)  # fmt: skip
def test_parse_number(text: str, value: float):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "soldiers", "first", "21st", "1,50", "a", "1,500 soldiers", "twelve apples"])
def test_parse_number_rejects_non_numbers(text: str):
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("phrase", "qualifier", "lower", "upper"),
    [
        ("1,500 soldiers", "exact", 1500, 1500),
        ("over 1,500 soldiers", "over", 1500, None),
        ("just over 1,500 soldiers", "over", 1500, None),
        ("more than 1,500 soldiers", "over", 1500, None),
        ("above 1,500 soldiers", "over", 1500, None),
        ("in excess of 1,500 soldiers", "over", 1500, None),
        ("at least 1,500 soldiers", "at-least", 1500, None),
        ("no fewer than 1,500 soldiers", "at-least", 1500, None),
        ("under 1,500 soldiers", "under", None, 1500),
        ("just under 1,500 soldiers", "under", None, 1500),
        ("fewer than 1,500 soldiers", "under", None, 1500),
        ("less than 1,500 soldiers", "under", None, 1500),
        ("below 1,500 soldiers", "under", None, 1500),
        ("nearly 1,500 soldiers", "under", None, 1500),
        ("almost 1,500 soldiers", "under", None, 1500),
        ("up to 1,500 soldiers", "at-most", None, 1500),
        ("at most 1,500 soldiers", "at-most", None, 1500),
        ("no more than 1,500 soldiers", "at-most", None, 1500),
        ("about 1,500 soldiers", "about", 1350, 1650),
        ("around 1,500 soldiers", "about", 1350, 1650),
        ("roughly 1,500 soldiers", "about", 1350, 1650),
        ("some 1,500 soldiers", "about", 1350, 1650),
        ("approximately 1,500 soldiers", "about", 1350, 1650),
        ("an estimated 1,500 soldiers", "about", 1350, 1650),
        ("Over 1,500 soldiers", "over", 1500, None),
    ],
)
def test_qualifiers(phrase: str, qualifier: str, lower: float | None, upper: float | None):
    quantity = parse_quantity(phrase)
    assert quantity is not None
    assert (quantity.value_text, quantity.value, quantity.qualifier, quantity.unit) == (
        phrase, 1500, qualifier, "soldier",
    )  # fmt: skip
    assert quantity.lower == pytest.approx(lower)
    assert quantity.upper == pytest.approx(upper)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("between 2,000 and 3,000 troops", ("between 2,000 and 3,000 troops", 2000, "range", 2000, 3000, "troop")),
        ("1,000-2,000 soldiers", ("1,000-2,000 soldiers", 1000, "range", 1000, 2000, "soldier")),
        ("1,000–2,000 soldiers", ("1,000–2,000 soldiers", 1000, "range", 1000, 2000, "soldier")),
        ("10 to 20 rockets", ("10 to 20 rockets", 10, "range", 10, 20, "rocket")),
        ("two to four brigades", ("two to four brigades", 2, "range", 2, 4, "brigade")),
        ("between two and four brigades", ("between two and four brigades", 2, "range", 2, 4, "brigade")),
        ("1-2 million people", ("1-2 million people", 1e6, "range", 1e6, 2e6, "person")),
        ("dozens of soldiers", ("dozens of soldiers", 24, "vague", 24, 144, "soldier")),
        ("hundreds of troops", ("hundreds of troops", 200, "vague", 200, 1000, "troop")),
        ("thousands of people", ("thousands of people", 2000, "vague", 2000, 10000, "person")),
        ("tens of thousands of troops", ("tens of thousands of troops", 20000, "vague", 20000, 100000, "troop")),
        ("several brigades", ("several brigades", 3, "vague", 3, 9, "brigade")),
        ("a few rockets", ("a few rockets", 2, "vague", 2, 5, "rocket")),
        ("several thousand soldiers", ("several thousand soldiers", 3000, "vague", 3000, 9000, "soldier")),
        ("5%", ("5%", 5, "exact", 5, 5, "percent")),
        ("over 5 percent of soldiers", ("over 5 percent", 5, "over", 5, None, "percent")),
        ("$3 million", ("$3 million", 3e6, "exact", 3e6, 3e6, "usd")),
        ("about €40 million", ("about €40 million", 4e7, "about", 3.6e7, 4.4e7, "eur")),
        ("£2.5 billion", ("£2.5 billion", 2.5e9, "exact", 2.5e9, 2.5e9, "gbp")),
        ("1.5 million people", ("1.5 million people", 1.5e6, "exact", 1.5e6, 1.5e6, "person")),
        ("12k soldiers", ("12k soldiers", 12000, "exact", 12000, 12000, "soldier")),
        ("1.500 soldiers", ("1.500 soldiers", 1500, "exact", 1500, 1500, "soldier")),
        ("1 500 soldiers", ("1 500 soldiers", 1500, "exact", 1500, 1500, "soldier")),
        ("2.5 soldiers", ("2.5 soldiers", 2.5, "exact", 2.5, 2.5, "soldier")),
        ("twelve thousand soldiers", ("twelve thousand soldiers", 12000, "exact", 12000, 12000, "soldier")),
        ("one hundred and twenty soldiers", ("one hundred and twenty soldiers", 120, "exact", 120, 120, "soldier")),
        ("a dozen rockets", ("a dozen rockets", 12, "exact", 12, 12, "rocket")),
        ("two dozen rockets", ("two dozen rockets", 24, "exact", 24, 24, "rocket")),
        ("a hundred soldiers", ("a hundred soldiers", 100, "exact", 100, 100, "soldier")),
        ("almost a thousand troops", ("almost a thousand troops", 1000, "under", None, 1000, "troop")),
        ("a total of four brigades", ("four brigades", 4, "exact", 4, 4, "brigade")),
        ("one soldier", ("one soldier", 1, "exact", 1, 1, "soldier")),
    ],
)  # fmt: skip
def test_number_forms(phrase: str, expected: tuple):
    quantity = parse_quantity(phrase)
    assert quantity is not None
    value_text, value, qualifier, lower, upper, unit = expected
    assert (quantity.value_text, quantity.qualifier, quantity.unit) == (value_text, qualifier, unit)
    assert (quantity.value, quantity.lower, quantity.upper) == (
        pytest.approx(value), pytest.approx(lower), pytest.approx(upper),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("phrase", "value_text", "unit"),
    [
        ("over 1,500 North Korean soldiers were sent", "over 1,500 North Korean soldiers", "soldier"),
        ("up to 200 additional active military personnel", "up to 200 additional active military personnel", "personnel"),
        ("10,000 more soldiers arrived", "10,000 more soldiers", "soldier"),
        ("4,000 special forces", "4,000 special forces", "force"),
        ("two independent states", "two independent states", "state"),
        ("500 troops", "500 troops", "troop"),
        ("3 million people", "3 million people", "person"),
        ("40 countries", "40 countries", "country"),
        ("200 North Korean rockets", "200 North Korean rockets", "rocket"),
        ("6 brigades", "6 brigades", "brigade"),
        ("300 men", "300 men", "man"),
        ("sent 1,500 to Russia", "1,500", None),
        ("5,000 soldiers died", "5,000 soldiers", "soldier"),
    ],
)  # fmt: skip
def test_counted_noun(phrase: str, value_text: str, unit: str | None):
    [quantity] = find_quantities(phrase)
    assert (quantity.value_text, quantity.unit) == (value_text, unit)
    assert phrase[quantity.start : quantity.end] == value_text


@pytest.mark.parametrize(
    "text",
    [
        "in 2024 soldiers were moved",
        "since 2022",
        "The 2024 election",
        "the 21st brigade",
        "first soldiers",
        "one of the progressive scenarios",
        "no one was hurt",
        "Security Council Resolution 2231",
        "on 21 October",
        "on October 21",
        "on Oct. 21",
        "at 5 p.m.",
        "a 12-year-old boy",
        "a 1,500-strong unit",
        "COVID-19 cases",
        "flight MH17",
        "lost 3-2",
        "from 2020 to 2024",
        "dozens",
        "several of them",
    ],
)
def test_not_counts(text: str):
    assert find_quantities(text) == []


def test_percentages_and_money_are_not_soldiers():
    quantities = find_quantities("Some 5% of the 2,000 soldiers cost $3 million.")
    assert [summary(q) for q in quantities] == [
        ("Some 5%", 5, "about", pytest.approx(4.5), pytest.approx(5.5), "percent"),
        ("2,000 soldiers", 2000, "exact", 2000, 2000, "soldier"),
        ("$3 million", 3e6, "exact", 3e6, 3e6, "usd"),
    ]


def test_offsets_of_parts():
    [quantity] = find_quantities("had sent over 1,500 soldiers to Russia")
    assert (quantity.start, quantity.end) == (9, 28)
    assert (quantity.number_start, quantity.number_end) == (14, 19)
    assert (quantity.unit_start, quantity.unit_end) == (20, 28)
    [money] = find_quantities("cost $3 million")
    assert (money.number_start, money.number_end, money.unit_start, money.unit_end) == (6, 15, 5, 6)


@pytest.mark.parametrize("link", ["with", "of", "comprising", "totalling", "totaling"])
def test_composed_figures_are_linked(link: str):
    first, second = find_quantities(f"four brigades {link} 12,000 soldiers")
    assert (first.linked_to, second.linked_to) == (None, 0)


def test_figures_side_by_side_are_not_linked():
    quantities = find_quantities("four brigades and 12,000 soldiers")
    assert [q.linked_to for q in quantities] == [None, None]


@pytest.mark.parametrize(
    ("qualifier", "expected"),
    [
        ("exact", (100, 100)),
        ("over", (100, None)),
        ("at-least", (100, None)),
        ("under", (None, 100)),
        ("at-most", (None, 100)),
        ("about", (90, 110)),
        ("range", (100, None)),  # the upper end comes from the phrase
        ("vague", (100, None)),  # 100 is no vague coding
    ],
)
def test_bounds(qualifier: str, expected: tuple):
    assert bounds(100, qualifier) == pytest.approx(expected)


def test_bounds_options():
    assert ABOUT_TOLERANCE == 0.1
    assert bounds(100, "about", tolerance=0.25) == pytest.approx((75, 125))
    assert bounds(10, "range", upper=20) == (10, 20)
    assert bounds(24, "vague") == (24, 144)  # the coded value identifies "dozens"
    assert bounds(3000, "vague", upper=9000) == (3000, 9000)
    with pytest.raises(ValueError):
        bounds(1, "roughly")


def test_vague_coding_table():
    assert VAGUE_COUNTS == {
        "a few": (2, 5),
        "several": (3, 9),
        "dozens": (24, 144),
        "hundreds": (200, 1000),
        "thousands": (2000, 10000),
        "tens of thousands": (20000, 100000),
        "hundreds of thousands": (200000, 1000000),
        "millions": (2000000, 10000000),
    }


def test_parse_quantity_of_standalone_values():
    assert summary(parse_quantity("twelve thousand")) == ("twelve thousand", 12000, "exact", 12000, 12000, None)
    assert parse_quantity("2024").value == 2024
    assert parse_quantity("soldiers") is None


def test_seed_sentences():
    assert [summary(q) for q in find_quantities(SEED_DISCLOSED)] == [
        ("over 1,500 soldiers", 1500, "over", 1500, None, "soldier"),
    ]
    brigades, soldiers = find_quantities(SEED_BRIGADES)
    assert summary(brigades) == ("four brigades", 4, "exact", 4, 4, "brigade")
    assert summary(soldiers) == ("12,000 soldiers", 12000, "exact", 12000, 12000, "soldier")
    assert soldiers.linked_to == 0
    assert [summary(q) for q in find_quantities(SEED_STATES)] == [
        ("two independent states", 2, "exact", 2, 2, "state"),
    ]
    assert find_quantities(SEED_SCENARIOS) == []


def test_seed_article_counts_exactly_these():
    quantities = find_quantities(SEED_ARTICLE)
    assert [(q.start, q.end, *summary(q), q.linked_to) for q in quantities] == [
        (934, 953, "over 1,500 soldiers", 1500, "over", 1500, None, "soldier", None),
        (1155, 1168, "four brigades", 4, "exact", 4, 4, "brigade", None),
        (1174, 1189, "12,000 soldiers", 12000, "exact", 12000, 12000, "soldier", 1),
        (2146, 2168, "two independent states", 2, "exact", 2, 2, "state", None),
        (3126, 3145, "over 1,500 soldiers", 1500, "over", 1500, None, "soldier", None),
    ]
    assert all(SEED_ARTICLE[q.start : q.end] == q.value_text for q in quantities)
    soldiers = quantities[2]
    assert SEED_ARTICLE[soldiers.number_start : soldiers.number_end] == "12,000"
    assert SEED_ARTICLE[soldiers.unit_start : soldiers.unit_end] == "soldiers"
