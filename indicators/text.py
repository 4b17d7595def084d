"""Text normalisation shared by every place that matches what a person typed."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """NFC-normalise and trim: the form every stored string takes."""
    return _nfc(str(text))


@lru_cache(maxsize=65536)  # every cell of a file passes here; codes, names and months repeat
def _nfc(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


@lru_cache(maxsize=65536)  # a file repeats the same codes, names and months thousands of times
def _fold(text: str) -> str:
    """A key for forgiving comparison: no diacritics, lower case, single spaces.

    "Thôn  Cậy", "THON CAY" and an NFD "Thôn Cậy" all fold to "thon cay".
    """
    decomposed = unicodedata.normalize("NFD", str(text))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    stripped = re.sub(r"[_\-–—.,:;/()\"“”‘’']+", " ", stripped)
    return _SPACES.sub(" ", stripped).strip().lower()


def fold(text: object) -> str:
    """A key for forgiving comparison: no diacritics, lower case, single spaces.

    "Thôn  Cậy", "THON CAY" and an NFD "Thôn Cậy" all fold to "thon cay".
    """
    return _fold(str(text))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> object:
    """Neutralise spreadsheet formulas in text a user controls (CSV/Excel injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def unsafe_text(value: object) -> object:
    """Undo `safe_text` when a file we exported comes back (the leading "'" was ours)."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value
