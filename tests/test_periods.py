"""Reporting periods: what offices type for a month, and the calendar of deadlines."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.domain import periods
from indicators.domain.format import month
from indicators.domain.periods import parse_period


@pytest.mark.parametrize(
    "text",
    [
        "2026-03",
        "2026-3",
        "2026/03",
        "2026.03",
        "03/2026",
        "3/2026",
        "3-2026",
        "3.2026",
        "T3/2026",
        "t3/2026",
        "T03/2026",
        "T 3/2026",
        "Tháng 3/2026",
        "tháng 3/2026",
        "THÁNG 3/2026",
        "Thang 3/2026",
        "Tháng 03/2026",
        "Tháng 3 / 2026",
        "Tháng 3 năm 2026",
        "tháng 03 năm 2026",
        unicodedata.normalize("NFD", "Tháng 3/2026"),
        "  2026-03  ",
        "2026-03-01",
        "2026-03-01 00:00:00",
        "01/03/2026",
        "15/3/2026",
        datetime(2026, 3, 1),
        datetime(2026, 3, 31, 23, 59),
        date(2026, 3, 15),
    ],
)
def test_march_2026_in_every_form(text):
    assert parse_period(text) == "2026-03"


@pytest.mark.parametrize(
    "text",
    [None, "", "2026", "2026-13", "13/2026", "0/2026", "2026-00", "1999-12", "2101-01", "tháng ba",
     "T13/2026", "3/26", "Mar 2026", "3/15/2026", "abc"],
)  # fmt: skip
def test_not_a_period(text):
    assert parse_period(text) is None


@settings(max_examples=50)
@given(year=st.integers(2000, 2100), mon=st.integers(1, 12))
def test_every_written_form_of_a_month_parses_back(year, mon):
    expected = f"{year:04d}-{mon:02d}"
    forms = [
        expected,
        f"{mon:02d}/{year}",
        f"{mon}/{year}",
        f"T{mon}/{year}",
        month(expected),  # "Tháng 3/2026", as the app writes it
        f"tháng {mon} năm {year}",
        datetime(year, mon, 1),
    ]
    for form in forms:
        assert parse_period(form) == expected, form


def test_deadline_is_the_end_of_the_18th_of_the_same_month():
    due = periods.deadline("2026-03")
    assert due.date() == date(2026, 3, 18)
    assert datetime(2026, 3, 18, 23, 0) <= due < datetime(2026, 3, 19)
    assert periods.deadline("2026-03", deadline_day=20).date() == date(2026, 3, 20)
    assert periods.deadline("2026-12").date() == date(2026, 12, 18)


@pytest.mark.parametrize(
    ("today", "closed"),
    [
        (date(2026, 3, 18), "2026-02"),
        (date(2026, 3, 19), "2026-03"),
        (date(2026, 1, 5), "2025-12"),
        (date(2026, 11, 27), "2026-11"),
    ],
)
def test_latest_closed_period(today, closed):
    assert periods.latest_closed_period(today) == closed


def test_month_arithmetic():
    assert periods.shift("2026-03", 1) == "2026-04"
    assert periods.shift("2026-12", 1) == "2027-01"
    assert periods.shift("2026-01", -1) == "2025-12"
    assert periods.shift("2026-03", -15) == "2024-12"
    assert periods.previous("2026-01") == "2025-12"
    assert periods.months_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert periods.months_between("2026-03", "2026-02") == []
    assert periods.year_of("2026-03") == 2026 and periods.month_number("2026-03") == 3
    assert periods.period_of(date(2026, 11, 27)) == "2026-11"


@settings(max_examples=50)
@given(year=st.integers(2003, 2097), mon=st.integers(1, 12), months=st.integers(-24, 24))
def test_shift_and_back(year, mon, months):
    period = f"{year:04d}-{mon:02d}"
    assert periods.shift(periods.shift(period, months), -months) == period
    assert parse_period(periods.shift(period, months)) == periods.shift(period, months)


@pytest.mark.parametrize(
    ("written", "expected"),
    [("2026-03", "2026-03"), ("3/2026", "2026-03"), ("T3/2026", "2026-03"), ("Tháng 3/2026", "2026-03"),
     ("Tháng 12/2025", "2025-12"), ("01/2026", "2026-01")],
)  # fmt: skip
def test_periods_in_a_file(written, expected, store, run_import, make_long_csv):
    report = run_import(
        store, "k.csv", make_long_csv([[written, "Cậy", "TT_TIN_BAI", "", "", "4", ""]]), dry_run=True
    )
    assert report.errors == []
    assert list(report.rows["period"]) == [expected]


def test_the_current_month_is_not_future_but_the_next_is(store, run_import, make_long_csv):
    rows = [["2026-04", "Cậy", "TT_TIN_BAI", "", "", "4", ""]]
    ok = run_import(store, "k.csv", make_long_csv(rows), now=datetime(2026, 4, 1, 0, 1), dry_run=True)
    assert ok.errors == []
    rows = [["2026-05", "Cậy", "TT_TIN_BAI", "", "", "4", ""]]
    future = run_import(store, "k.csv", make_long_csv(rows), now=datetime(2026, 4, 30, 23, 59))
    (error,) = future.errors
    assert "Tháng 5/2026 chưa tới" in error.message and "30/04/2026" in error.message
