"""Reporting periods: a month written "YYYY-MM", parsed from what offices type."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from indicators.domain.text import fold

_PATTERNS = [
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})$"),  # 2026-03, 2026/3
    re.compile(r"^(?:thang|t)?(?P<m>\d{1,2})[-/.](?P<y>\d{4})$"),  # 03/2026, T3/2026, Tháng 3/2026
    re.compile(r"^(?:thang|t)(?P<m>\d{1,2})nam(?P<y>\d{4})$"),  # tháng 3 năm 2026
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.]\d{1,2}(?:t?\d.*)?$"),  # 2026-03-01 (a date)
    re.compile(r"^\d{1,2}[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})$"),  # 01/03/2026 (a date)
]


def parse_period(value: object) -> str | None:
    """Return "YYYY-MM" for a period as written in a file, or None if it is not one.

    Accepts 2026-03, 03/2026, 3/2026, T3/2026, "Tháng 3/2026", a date, or an Excel date cell.
    """
    if value is None:
        return None
    if isinstance(value, (datetime, date)):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, float):
        return None  # 2026.10 typed in a number cell became 2026.1: ambiguous, ask for text
    return _parse_period_text(str(value))


@lru_cache(maxsize=4096)
def _parse_period_text(value: str) -> str | None:
    # fold() would turn separators into spaces; strip only diacritics and spaces here
    parts = re.split(r"([-/.])", str(value))
    text = "".join(part if part in "-/." else fold(part) for part in parts)
    text = text.replace(" ", "")
    for pattern in _PATTERNS:
        match = pattern.match(text)
        if match:
            year, mon = int(match["y"]), int(match["m"])
            if 1 <= mon <= 12 and 2000 <= year <= 2100:
                return f"{year:04d}-{mon:02d}"
    return None


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def shift(period: str, months: int) -> str:
    year, mon = (int(part) for part in period.split("-"))
    index = year * 12 + (mon - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous(period: str) -> str:
    return shift(period, -1)


def year_of(period: str) -> int:
    return int(period[:4])


def month_number(period: str) -> int:
    return int(period[5:7])


def months_between(first: str, last: str) -> list[str]:
    """Inclusive list of periods from first to last."""
    out, current = [], first
    while current <= last:
        out.append(current)
        current = shift(current, 1)
    return out


def summary_months(period: str) -> list[str]:
    """The months a month's summary reads: its year up to it, and the month before the year (the
    change of January)."""
    return months_between(previous(f"{year_of(period):04d}-01"), period)


def deadline(period: str, deadline_day: int = 18) -> datetime:
    """The last moment a submission for the period counts as on time: end of the deadline day.

    Figures of "Tháng 3/2026" are due by 18 March 2026 (see reference/README.md).
    """
    year, mon = int(period[:4]), int(period[5:7])
    return datetime(year, mon, deadline_day) + timedelta(days=1) - timedelta(microseconds=1)


def latest_closed_period(today: date, deadline_day: int = 18) -> str:
    """The latest month whose deadline has passed on `today`."""
    current = period_of(today)
    return current if today.day > deadline_day else previous(current)
