"""Numbers as Vietnamese offices write them: thousands dot, decimal comma."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.domain.format import number
from indicators.ingest.numbers import NumberProblem, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,5", 1234.5),
        ("1.234", 1234.0),
        ("1.234.567", 1234567.0),
        ("1.234.567,89", 1234567.89),
        ("72,5", 72.5),
        ("0,5", 0.5),
        ("12.5", 12.5),  # a lone dot without three digits after it is a decimal point
        ("1,234.5", 1234.5),  # an English-locale export
        ("1,234,567", 1234567.0),
        ("1 234", 1234.0),
        ("1\u00a0234,5", 1234.5),  # Excel's non-breaking thousands space
        ("  42  ", 42.0),
        ("0", 0.0),
        ("007", 7.0),
        ("-3", -3.0),
        ("\u22123", -3.0),  # a typographic minus
        ("-1.234,5", -1234.5),
        (12, 12.0),
        (12.0, 12.0),
        (0.25, 0.25),
    ],
)
def test_parse_number(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("empty", [None, "", "   ", "-", "–"])
def test_empty_cells_are_none(empty):
    assert parse_number(empty) is None


@pytest.mark.parametrize("text", ["72,5%", "72%", "100 %", " 7,25 % "])
def test_percentages_are_a_distinct_problem(text):
    with pytest.raises(NumberProblem) as problem:
        parse_number(text)
    assert problem.value.kind == "percent"


@pytest.mark.parametrize(
    "value",
    ["bốn", "n/a", "12a", "1.2.3,4,5", "1e3", "+5", ",5", "5.", "1.234,", True, False,
     float("nan"), float("inf"), date(2026, 3, 1), datetime(2026, 3, 1), "9" * 400, "-" + "9" * 309],
)  # fmt: skip
def test_non_numbers_are_a_text_problem(value):
    with pytest.raises(NumberProblem) as problem:
        parse_number(value)
    assert problem.value.kind == "text"


@settings(max_examples=50)
@given(units=st.integers(-(10**12), 10**12), decimals=st.integers(0, 4))
def test_vietnamese_formatted_numbers_parse_back(units, decimals):
    exact = Decimal(units).scaleb(-decimals)  # units / 10**decimals, exactly representable in text
    text = number(float(exact), decimals) if decimals else number(units)
    if decimals:
        assert text.endswith(str(abs(units)).zfill(decimals)[-decimals:])
        assert text[-decimals - 1] == ","  # the decimal comma
    assert parse_number(text) == float(exact)


@settings(max_examples=50)
@given(value=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), decimals=st.integers(0, 3))
def test_parse_of_format_is_the_rounded_value(value, decimals):
    text = number(value, decimals)
    parsed = parse_number(text)
    assert math.isclose(parsed, value, abs_tol=0.5 * 10**-decimals + 1e-9)
    assert number(parsed, decimals) == text


@settings(max_examples=50)
@given(units=st.integers(0, 10**9))
def test_whole_numbers_survive_every_office_spelling(units):
    grouped = number(units)
    for text in (
        str(units),
        grouped,
        grouped.replace(".", " "),
        grouped.replace(".", "\u00a0"),
        f"{units:,}",
    ):
        if text == f"{units:,}" and text.count(",") == 1:
            continue  # "1,234" is 1,234 in Vietnamese: one comma is a decimal comma
        assert parse_number(text) == units, text
