"""Numbers as Vietnamese offices write them: "1.234,5", "1 234", "72,5%" (a mistake for ratios)."""

from __future__ import annotations

import math
import re
from datetime import date, datetime

_GROUPED_DOT = re.compile(r"^-?\d{1,3}(\.\d{3})+$")
_PLAIN = re.compile(r"^-?\d+(\.\d+)?$")


class NumberProblem(Exception):
    """Why a cell is not a number: `kind` is "percent" or "text"."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def parse_number(value: object) -> float | None:
    """The number in a cell, None when empty; raises NumberProblem otherwise.

    Vietnamese convention: dot groups thousands, comma marks decimals ("1.234,5" = 1234.5).
    A lone dot followed by exactly three digits ("1.234") is a thousands dot; "12.5" is a decimal.
    """
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, (datetime, date)):
        raise NumberProblem("text")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            raise NumberProblem("text")
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace("\u2212", "-")
    if not text or text in {"-", "–"}:
        return None
    if text.endswith("%"):
        raise NumberProblem("percent")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")  # 1.234,5
        else:
            text = text.replace(",", "")  # 1,234.5 from an English-locale export
    elif "," in text:
        if text.count(",") > 1:
            text = text.replace(",", "")  # 1,234,567
        else:
            text = text.replace(",", ".")  # 72,5
    elif _GROUPED_DOT.match(text):
        text = text.replace(".", "")
    if not _PLAIN.match(text):
        raise NumberProblem("text")
    number = float(text)
    if math.isinf(number):  # 309 digits or more: beyond any figure, and beyond a float
        raise NumberProblem("text")
    return number
