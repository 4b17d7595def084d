"""Text normalisation shared by every place that matches what a person typed."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")
_COMBINING = re.compile("[\u0300-\u036f]+")
_PUNCTUATION = re.compile(r"[_\-–—.,:;/()\"“”‘’']+")


def nfc(text: str) -> str:
    """NFC-normalise and trim: the form every stored string takes."""
    return _nfc(str(text))


@lru_cache(maxsize=65536)  # every cell of a file passes here; codes, names and months repeat
def _nfc(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def _unmarked(text: str) -> str:
    """`text` without diacritics: decomposed, its marks dropped, đ as d."""
    # Vietnamese marks all sit in one block: one regex pass, not a Python loop over characters
    stripped = _COMBINING.sub("", unicodedata.normalize("NFD", text)).replace("đ", "d").replace("Đ", "D")
    if not stripped.isascii():  # another script's marks
        stripped = "".join(ch for ch in stripped if unicodedata.category(ch) != "Mn")
    return stripped


def _unmarking_table() -> dict[int, str]:
    """Each precomposed Latin letter with marks (the whole of Vietnamese) mapped to what
    `_unmarked` leaves of it, where that is ASCII."""
    table = {}
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        plain = _unmarked(chr(code))
        if plain.isascii() and plain != chr(code):
            table[code] = plain
    return table


# One `str.translate` does what decomposing does, three times faster (a city's 2.851 names sorted
# at the first completeness: 5,9 -> 1,8 ms). Text it leaves non-ASCII (combining marks, other
# scripts) goes the long way.
_UNMARKED = _unmarking_table()


@lru_cache(maxsize=65536)  # a file repeats the same codes, names and months thousands of times
def _fold(text: str) -> str:
    """A key for forgiving comparison: no diacritics, lower case, single spaces.

    "Thôn  Cậy", "THON CAY" and an NFD "Thôn Cậy" all fold to "thon cay".
    """
    stripped = text.translate(_UNMARKED)
    if not stripped.isascii():
        stripped = _unmarked(text)
    stripped = _PUNCTUATION.sub(" ", stripped)
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


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def markdown_literal(text: object) -> str:
    """Text a user typed (a reason, a file name), escaped so that a Markdown renderer (Streamlit's
    alerts and captions) shows it as typed: no bold, links, colours, icons or formulas."""
    return _MARKDOWN.sub(r"\\\1", str(text))
