"""Vietnamese formatting: dot thousands, comma decimals, "Tháng 3/2026", a dash for no value."""

from __future__ import annotations

import math
import unicodedata
from datetime import date, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.domain import format as fmt

MISSING = [None, float("nan"), np.nan, np.float64("nan"), math.nan]


def _nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (1234.5, 1, "1.234,5"),
        (1234.5, 2, "1.234,50"),
        (1234, 0, "1.234"),
        (1234567, 0, "1.234.567"),
        (999, 0, "999"),
        (0, 0, "0"),
        (0.25, 2, "0,25"),
        (12.345, 1, "12,3"),
        (np.int64(5000), 0, "5.000"),
        (np.float64(1234.5), 1, "1.234,5"),
    ],
)
def test_number(value, decimals: int, expected: str) -> None:
    assert fmt.number(value, decimals) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(66.94, "66,9%"), (100, "100,0%"), (0, "0,0%"), (5.06, "5,1%"), (1234.56, "1.234,6%")],
)
def test_percent(value: float, expected: str) -> None:
    assert fmt.percent(value) == expected


def test_percent_decimals() -> None:
    assert fmt.percent(66.94, 0) == "67%"
    assert fmt.percent(66.94, 2) == "66,94%"


@pytest.mark.parametrize(
    ("period", "expected"),
    [("2026-03", "Tháng 3/2026"), ("2026-12", "Tháng 12/2026"), ("2025-01", "Tháng 1/2025")],
)
def test_month(period: str, expected: str) -> None:
    text = fmt.month(period)
    assert text == unicodedata.normalize("NFC", expected)
    assert _nfc(text)


def test_signed_uses_plus_true_minus_and_plus_minus() -> None:
    assert fmt.signed(2.5) == "+2,5"
    assert fmt.signed(-1) == "\u22121,0"
    assert fmt.signed(0) == "±0,0"
    assert fmt.signed(1234.5, 1, " điểm %") == "+1.234,5 điểm %"
    assert "-" not in fmt.signed(-3.25, 2)


def test_indicator_value_ratio_and_count() -> None:
    assert fmt.indicator_value(66.94, "ratio") == "66,9%"
    assert fmt.indicator_value(100.0, "ratio") == "100,0%"
    assert fmt.indicator_value(1234, "count") == "1.234"
    assert fmt.indicator_value(1234.0, "count") == "1.234"
    assert fmt.indicator_value(12.5, "count") == "12,5"
    assert fmt.indicator_value(np.float64(7), "count") == "7"


def test_indicator_change() -> None:
    assert fmt.indicator_change(2.5, "ratio") == "+2,5 điểm %"
    assert fmt.indicator_change(-3, "count") == "\u22123"
    assert fmt.indicator_change(1.5, "count") == "+1,5"


@pytest.mark.parametrize("value", MISSING, ids=["None", "nan", "np.nan", "np.float64", "math.nan"])
def test_missing_values_show_a_dash(value) -> None:
    assert fmt.number(value) == "–"
    assert fmt.number(value, 2) == "–"
    assert fmt.percent(value) == "–"
    assert fmt.signed(value) == "–"
    assert fmt.indicator_value(value, "ratio") == "–"
    assert fmt.indicator_value(value, "count") == "–"
    assert fmt.indicator_change(value, "ratio") == "–"
    assert fmt.indicator_change(value, "count") == "–"


def test_day_and_timestamp() -> None:
    assert fmt.day(date(2026, 3, 18)) == "18/03/2026"
    assert fmt.day(datetime(2026, 3, 18, 23, 59)) == "18/03/2026"
    assert fmt.timestamp(datetime(2026, 3, 18, 7, 5)) == "07:05 18/03/2026"
    assert fmt.day(None) == "–"
    assert fmt.timestamp(None) == "–"


def test_every_output_is_nfc() -> None:
    outputs = [
        fmt.number(1234.5, 1), fmt.percent(66.94), fmt.month("2026-03"), fmt.signed(-2),
        fmt.indicator_value(5, "count"), fmt.indicator_change(1, "ratio"), fmt.number(None),
    ]  # fmt: skip
    for text in outputs:
        assert isinstance(text, str)
        assert _nfc(text), repr(text)


def test_halves_round_up_like_excel() -> None:
    assert fmt.number(2.5) == "3"
    assert fmt.percent(12.25) == "12,3%"


def babel_number(value, decimals: int = 0) -> str:
    """`number` through Babel's vi_VN locale, as it was written before: the reference."""
    import decimal

    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    with decimal.localcontext() as ctx:
        ctx.rounding = decimal.ROUND_HALF_UP
        return format_decimal(decimal.Decimal(str(value)), format=pattern, locale=fmt.LOCALE)


@settings(max_examples=500, deadline=None)
@given(
    value=st.one_of(
        st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
        st.integers(min_value=-10**15, max_value=10**15),
        st.decimals(min_value=-10_000, max_value=10_000, places=3).map(float),
    ),
    decimals=st.integers(0, 3),
)
def test_number_writes_what_babel_writes(value, decimals) -> None:
    """`number` is written out for speed; Babel's vi_VN locale stays the reference."""
    assert fmt.number(value, decimals) == babel_number(value, decimals)


@pytest.mark.parametrize("value", [-0.0, -0.04, -0.05, 0.05, 2.5, 0.5, -1.5, 1e-7, 1.2345678901234567e19, np.float64(66.94),
                                   np.int64(1234)])  # fmt: skip
def test_number_edge_cases_match_babel(value) -> None:
    for decimals in (0, 1, 2):
        assert fmt.number(value, decimals) == babel_number(value, decimals)
