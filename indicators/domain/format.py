"""Vietnamese number, percentage and month formatting, through Babel's vi locale."""

from __future__ import annotations

import decimal
import math
from datetime import date, datetime

import pandas as pd

LOCALE = "vi_VN"


def _missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def number(value: float | int | None, decimals: int = 0) -> str:
    """1234.5 -> "1.234,5" (decimals=1); None -> "–"."""
    if _missing(value):
        return "–"
    if decimals == 0 and 0 < value < 1e15 and float(value).is_integer():  # most counts: nothing to round
        return f"{int(value):,}".replace(",", ".")
    # halves round up, as in Excel; the same text as Babel's vi_VN "#,##0.0" (tests/test_format.py), written
    # out because a city's heat map formats thousands of cells and Babel takes 0,1 ms for each
    rounded = decimal.Decimal(str(value)).quantize(_STEPS[decimals], rounding=decimal.ROUND_HALF_UP)
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    text = f"{int(whole):,}".replace(",", ".") + ("," + fraction if decimals else "")
    return "-" + text if rounded.is_signed() else text


_STEPS = {n: decimal.Decimal(1).scaleb(-n) for n in range(10)}


def percent(value: float | None, decimals: int = 1) -> str:
    """A percentage already on the 0–100 scale: 66.94 -> "66,9%"."""
    if _missing(value):
        return "–"
    return number(value, decimals) + "%"


def signed(value: float | None, decimals: int = 1, suffix: str = "") -> str:
    """A change with its sign: +2,5 / −1,0 (a true minus sign reads better on a projector)."""
    if _missing(value):
        return "–"
    text = number(abs(value), decimals)
    shown = float(text.replace(".", "").replace(",", "."))
    sign = "±" if shown == 0 else ("+" if value > 0 else "−")
    return f"{sign}{text}{suffix}"


def indicator_value(value: float | None, kind: str) -> str:
    """The one way an indicator's value is written: ratios as 66,9%, counts as 1.234."""
    if kind == "ratio":
        return percent(value)
    if _missing(value):
        return "–"
    return number(value, 0 if float(value).is_integer() else 1)


def indicator_change(value: float | None, kind: str) -> str:
    """A month-on-month change: percentage points for ratios, plain numbers for counts."""
    if kind == "ratio":
        return signed(value, 1, " điểm %")
    if _missing(value):
        return "–"
    return signed(value, 0 if float(value).is_integer() else 1)


def month(period: str) -> str:
    """"2026-03" -> "Tháng 3/2026"."""
    year, mon = period.split("-")
    return f"Tháng {int(mon)}/{year}"


def day(value: date | datetime | None) -> str:
    """A date as Vietnamese write it: 18/03/2026."""
    if value is None:
        return "–"
    return value.strftime("%d/%m/%Y")


def timestamp(value: datetime | None) -> str:
    if value is None:
        return "–"
    return value.strftime("%H:%M %d/%m/%Y")
