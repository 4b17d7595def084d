"""The report's chart images on a machine with only the fonts a bare Debian has (DejaVu, which
fontconfig itself depends on): drawn in the shipped Noto Sans (`indicators/fonts`), every label
whole, read back from the image with tesseract (Vietnamese). Needs Chromium (Kaleido), fontconfig's
fc-match and tesseract-ocr-vie: `make sysdeps` installs them; the tests fail without them."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from indicators.domain.catalog import GROUP_SHORT, HEADLINE
from indicators.render import charts, typeface
from indicators.render import report as render_report
from indicators.storage import Store
from indicators.views import common, report
from tests import support

PERIOD = "2026-11"


@pytest.fixture
def bare_fonts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """FONTCONFIG_FILE for a machine without the Noto fonts: DejaVu only."""
    config = support.bare_fonts_config(tmp_path)
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))
    return config


def _fc_match(config: str, pattern: str) -> str:
    assert shutil.which("fc-match"), "fc-match (Debian: fontconfig) is missing: run `make sysdeps`"
    env = {"FONTCONFIG_FILE": config, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(["fc-match", "-f", "%{file}", pattern], env=env, capture_output=True, text=True,
                          check=True, timeout=60)  # fmt: skip
    return done.stdout


def test_the_bare_machine_has_no_noto_and_the_product_brings_it(bare_fonts: Path):
    assert "Noto" not in _fc_match(str(bare_fonts), "Noto Sans")  # the test's machine is bare indeed
    config = typeface.fontconfig_file()
    assert Path(_fc_match(config, "Noto Sans")) == typeface.path("regular")
    assert Path(_fc_match(config, "Noto Sans:bold")) == typeface.path("bold")
    assert Path(_fc_match(config, "Noto Sans Symbols2")) == typeface.path("symbols")
    assert typeface.fontconfig_file() == config  # written once, the same for every export


def test_text_width_grows_with_the_text_and_the_size():
    short, long = typeface.text_width("Hợp tác", 14), typeface.text_width("5. Chính quyền số", 14)
    assert 30 < short < long < 160
    assert typeface.text_width("5. Chính quyền số", 28) == pytest.approx(2 * long, rel=0.02)
    assert typeface.text_width("<b>Mục</b><br>Mục tiêu năm", 14) == typeface.text_width("Mục tiêu năm", 14)
    assert typeface.text_width("★", 14) > 5  # the symbols' font measures the status symbols


@pytest.fixture(scope="module")
def context(tmp_path_factory) -> dict:
    store = Store(support.demo_db(tmp_path_factory.mktemp("chart_images")))
    try:
        yield report.report_context(store, PERIOD, common.root_unit(store), date(2026, 11, 20))
    finally:
        store.close()


def test_margins_are_computed_for_the_labels(context: dict):
    groups, trend = render_report.report_figures(context)
    labels = list(groups.data[0].y)
    assert groups.layout.margin.l >= max(typeface.text_width(label, charts.BASE_SIZE) for label in labels) + 8
    assert groups.layout.yaxis.automargin is False
    # the y title sits beyond the widest tick label and its standoff: never over "60%"
    needed = typeface.text_width("100%", charts.BASE_SIZE) + charts.TICK_PAD + charts.TITLE_STANDOFF
    assert trend.layout.margin.l >= needed + charts.BASE_SIZE
    assert trend.layout.yaxis.title.standoff == charts.TITLE_STANDOFF


def _ocr(png: bytes, folder: Path, name: str) -> str:
    assert shutil.which("tesseract"), "tesseract (Debian: tesseract-ocr tesseract-ocr-vie) is missing"
    image = folder / f"{name}.png"
    image.write_bytes(png)
    done = subprocess.run(["tesseract", str(image), "stdout", "-l", "vie", "--psm", "3"], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return unicodedata.normalize("NFC", done.stdout)


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[\s.,:;·]+", text) if w}


def _missing(label: str, seen: set[str]) -> list[str]:
    return [w for w in _words(label) if w not in seen]


def test_report_charts_are_whole_with_only_a_bare_machines_fonts(
    bare_fonts: Path, context: dict, tmp_path: Path
):
    figures = render_report.report_figures(context)
    pngs = render_report.figure_pngs(figures)
    out = support.ROOT / "tests" / "_output" / "chart_images"
    out.mkdir(parents=True, exist_ok=True)
    for i, png in enumerate(pngs):  # kept to look at
        (out / f"report_chart_{i + 1}.png").write_bytes(png)
    groups_text, trend_text = (_ocr(png, tmp_path, f"chart{i}") for i, png in enumerate(pngs))

    seen = _words(groups_text)
    for number, name in GROUP_SHORT.items():
        assert not _missing(f"{number}. {name}", seen), (name, groups_text)
    for label in ("Tiến độ so với mục tiêu (%)", "Mục tiêu", "Đúng tiến độ", "Có nguy cơ", "Chậm"):
        assert not _missing(label, seen), (label, groups_text)

    seen = _words(trend_text)
    assert "Tỷ lệ (%)" in trend_text, trend_text  # the axis title, clear of the tick labels
    for tick in ("100%", "80%", "60%", "40%", "20%"):
        assert tick in seen, (tick, trend_text)
    for name in (HEADLINE[code] for code in context["_view"].series):
        assert not _missing(name, seen), (name, trend_text)
