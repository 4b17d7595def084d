"""The typeface of every chart image and slide file, shipped with the product (`indicators/fonts/`).

Noto Sans (Vietnamese) and Noto Sans Symbols2 (★ ▲ ● ▼ ✓ ◷ ◐ ✗), SIL Open Font License 1.1
(`indicators/fonts/OFL.txt`). A chart image must not depend on the fonts of the machine that makes
it: Kaleido renders in Chromium, which finds fonts through fontconfig, so `use_project_fonts` points
FONTCONFIG_FILE at a configuration that adds the shipped folder to the machine's own. `text_width`
measures a label with the same font files, so that margins are computed for the text drawn.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
FAMILY = "Noto Sans"
SYMBOLS_FAMILY = "Noto Sans Symbols2"
# for Plotly: the symbols' font second, so a status symbol never falls back to a machine's font
CSS_FAMILY = f"{FAMILY}, {SYMBOLS_FAMILY}, sans-serif"
FILES = {
    "regular": "NotoSans-Regular.ttf",
    "bold": "NotoSans-Bold.ttf",
    "symbols": "NotoSansSymbols2-Regular.ttf",
}
SYSTEM_CONFIG = "/etc/fonts/fonts.conf"
_MARK = "cds-fonts"  # in the name of the files written here: never taken as the base configuration


def path(style: str = "regular") -> Path:
    return FONT_DIR / FILES[style]


def fontconfig_file(base: str | None = None) -> str:
    """A fontconfig file: the configuration `base` (by default the environment's FONTCONFIG_FILE,
    else the system's) plus the shipped fonts. Written once to the temporary folder."""
    if base is None:
        base = os.environ.get("FONTCONFIG_FILE") or SYSTEM_CONFIG
        if _MARK in Path(base).name:
            return base
    folder = Path(tempfile.gettempdir())
    key = hashlib.sha1(f"{base}|{FONT_DIR}".encode()).hexdigest()[:12]
    target = folder / f"{_MARK}-{key}.conf"
    include = (
        f'  <include ignore_missing="yes">{html.escape(base)}</include>\n' if Path(base).exists() else ""
    )
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"{include}  <dir>{html.escape(str(FONT_DIR))}</dir>\n"
        f"  <cachedir>{html.escape(str(folder / f'{_MARK}-cache'))}</cachedir>\n</fontconfig>\n"
    )
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)  # atomic: another process may read it meanwhile
    return str(target)


def use_project_fonts() -> str:
    """Point FONTCONFIG_FILE at `fontconfig_file()` for the browsers started from now on (Kaleido's,
    the slides' PDF); idempotent. Returns the file."""
    config = fontconfig_file()
    os.environ["FONTCONFIG_FILE"] = config
    return config


@lru_cache(maxsize=64)
def _font(style: str, size: float):
    from PIL import ImageFont

    return ImageFont.truetype(str(path(style)), size=max(1, round(size * 4)))  # measured 4× larger


def _is_symbol(char: str) -> bool:
    return 0x2190 <= ord(char) <= 0x2BFF  # arrows, geometric shapes, dingbats: Symbols2's glyphs


def plain(text: str) -> list[str]:
    """The lines of a Plotly text without its tags (<b>, <sup>…), entities decoded."""
    return [html.unescape(re.sub(r"<[^>]+>", "", line)) for line in re.split(r"<br\s*/?>", text or "")]


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width in pixels of `text` (its longest line) in the shipped font at `size` pixels."""
    widest = 0.0
    for line in plain(text):
        width = 0.0
        for is_symbol, run in _runs(line):
            style = "symbols" if is_symbol else ("bold" if bold else "regular")
            width += _font(style, size).getlength(run) / 4
        widest = max(widest, width)
    return widest


def _runs(line: str) -> list[tuple[bool, str]]:
    runs: list[tuple[bool, str]] = []
    for char in line:
        kind = _is_symbol(char)
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1] + char)
        else:
            runs.append((kind, char))
    return runs
