"""Presentation mode: the slides (`indicators.render.slides`) and the page `pages/presentation.py`.

The slides are checked as what they say (`slides.Slide`): every number a slide writes must equal what
`indicators.metrics` / `indicators.domain.tasks` compute, formatted by `indicators.domain.format`;
then as HTML, PDF and PowerPoint. Their layout at each screen size is checked in a browser
(tests/e2e/test_slides_browser.py). The page runs through the app when app.py lists it.
"""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
import unicodedata
import zipfile
from contextlib import suppress
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from indicators import metrics
from indicators.domain import catalog, format, tasks
from indicators.render import charts, slides, slides_html, slides_pptx
from indicators.storage import Store, StoreError, open_store
from indicators.views import common, presentation, submissions
from tests import support

PERIOD = "2026-11"  # the latest demo month
TODAY = support.DEMO_TODAY
PAGE = "pages/presentation.py"
KINDS = ["headline", *["group"] * 7, "ranking", "submissions", "tasks"]
# words that would give away an English text on a slide
ENGLISH = re.compile(r"\b(the|of|and|target|progress|status|page|no data|overdue|hamlet|month)\b", re.I)


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Store:
    store = Store(support.demo_db(tmp_path_factory.mktemp("slides")))
    yield store
    store.close()


@pytest.fixture(scope="module")
def data(demo_store: Store) -> slides.MonthData:
    return presentation.month_data(demo_store, PERIOD, common.root_unit(demo_store), TODAY)


@pytest.fixture(scope="module")
def deck(data: slides.MonthData) -> list[slides.Slide]:
    return slides.draw_slides(data)


def plain(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()


# --- the slides --------------------------------------------------------------------------------


def test_build_slides_gives_eleven_slides_with_vietnamese_titles(demo_store: Store):
    deck = presentation.build_slides(demo_store, PERIOD, common.root_unit(demo_store), TODAY)
    assert [s.kind for s in deck] == KINDS
    month = format.month(PERIOD)
    assert deck[0].title == f"Các chỉ tiêu chính – {month}"
    for slide, group in zip(deck[1:8], catalog.task_groups()):
        assert slide.title == f"Nhóm {group.number}. {group.name_vi}"
    assert deck[8].title == f"Xếp hạng thôn theo tiến độ – {month}"
    assert re.fullmatch(rf"\d+/\d+ thôn đã nộp đúng hạn – {month}", deck[9].title)
    assert deck[10].title.endswith("nhiệm vụ quá hạn")
    for i, slide in enumerate(deck, start=1):
        assert slide.page == f"{i}/11"
        assert slide.footer.endswith("DỮ LIỆU MẪU (minh họa)") and slide.demo
        words = " ".join(slide.texts())
        assert not ENGLISH.search(words), words


def test_headline_slide_writes_the_commune_summary(demo_store: Store, deck: list[slides.Slide]):
    root = common.root_unit(demo_store)
    table = metrics.commune_summary(demo_store, PERIOD, root.code).set_index("indicator_code")
    tiles = {t.code: t for t in deck[0].tiles}
    assert list(tiles) == list(catalog.HEADLINE_CODES) and len(tiles) == 6
    for code in catalog.HEADLINE_CODES:
        row, tile = table.loc[code], tiles[code]
        assert tile.value == format.indicator_value(row["value"], row["kind"])
        assert tile.target == format.indicator_value(row["target"], row["kind"])
        assert tile.status == row["status"] and tile.label == catalog.HEADLINE[code]


def test_group_slides_show_every_indicator_of_the_group(data: slides.MonthData, deck: list[slides.Slide]):
    for slide, group in zip(deck[1:8], catalog.task_groups()):
        part = data.indicators[data.indicators["task_group"] == group.number]
        assert [r.label for r in slide.rows] == [charts.short_name(c) for c in part["indicator_code"]]
        assert [f"{r.value} / {r.target}" for r in slide.rows] == [
            f"{format.indicator_value(r.value, r.kind)} / {format.indicator_value(r.target, r.kind)}"
            for r in part.itertuples()
        ]
        assert [r.note for r in slide.rows] == [charts.status_label(s) for s in part["status"]]
        expected = [min(max(p, 0), 1) if pd.notna(p) else 0 for p in part["progress"]]
        assert [r.progress for r in slide.rows] == pytest.approx(expected)


def test_ranking_slide_orders_hamlets_by_mean_progress(demo_store: Store, deck: list[slides.Slide]):
    root = common.root_unit(demo_store)
    table = metrics.member_table(demo_store, PERIOD, root.code)
    mean = table.assign(p=table["progress"].clip(upper=1)).groupby("unit_name")["p"].mean()
    order = sorted(mean.index, key=lambda name: -mean[name])
    rows = deck[8].rows
    assert [r.label for r in rows] == [f"{i}. {name}" for i, name in enumerate(order, start=1)]
    assert [r.value for r in rows] == [format.percent(mean[n] * 100) for n in order]
    behind = table[table["status"] == "behind"].groupby("unit_name").size()
    assert [r.note.rsplit(" (", 1)[1] for r in rows] == [f"{int(behind.get(n, 0))})" for n in order]


def test_submission_slide_counts_hamlets_on_time(demo_store: Store, deck: list[slides.Slide]):
    view = submissions.submissions_view(demo_store, PERIOD, common.root_unit(demo_store), TODAY)
    slide = deck[9]
    assert slide.title.startswith(f"{view.hamlets_on_time}/{view.hamlets_total} thôn đã nộp đúng hạn")
    tiles = {u.code: u for u in slide.units}
    assert set(tiles) == set(view.completeness["unit_code"])
    for r in view.completeness.itertuples():
        assert tiles[r.unit_code].name == r.unit_name
        assert metrics.SUBMISSION_STATUS_VI[r.status] in tiles[r.unit_code].detail


def test_many_units_are_listed_by_name_under_their_status(data: slides.MonthData):
    """A city's 114 communes do not fit as tiles: a column per status, its count, the names."""
    statuses = ["partial"] * 60 + ["late"] * 3 + ["on_time"] * 2
    members = pd.DataFrame({"unit_code": [f"X{i:03d}" for i in range(len(statuses))],
                            "unit_name": [f"Xã Số {i:03d}" for i in range(len(statuses))],
                            "level": "commune", "status": statuses, "submitted": 1, "expected": 2})  # fmt: skip
    sub = dataclasses.replace(data.submissions, members=members)
    slide = slides.submissions_slide(dataclasses.replace(data, submissions=sub))
    assert not slide.units
    lists = {item.status: item for item in slide.lists}
    assert [slides.list_heading(lists[s]) for s in ("missing", "partial", "late", "on_time")] == [
        "✗ Chưa nộp: 0", "◐ Chưa đủ: 60", "◷ Muộn: 3", "✓ Đúng hạn: 2"]  # fmt: skip
    assert lists["missing"].names == [] and lists["late"].names == ["Xã Số 060", "Xã Số 061", "Xã Số 062"]
    shown = lists["partial"].names
    assert shown == [f"Xã Số {i:03d}" for i in range(len(shown))] and lists["partial"].more == 60 - len(shown)
    assert sum(len(n) + 2 for n in shown) <= slides.LIST_CHARS < sum(len(n) + 2 for n in shown) + 11
    html = slides_html.slide_html(slide)
    assert f"… và {60 - len(shown)} đơn vị khác" in html


def test_tasks_slide_lists_exactly_the_overdue_tasks(demo_store: Store, deck: list[slides.Slide]):
    register = tasks.register(
        demo_store.tasks(), demo_store.task_notes(), TODAY, demo_store.settings().deadline_day
    )
    overdue = register[register["state"] == "overdue"]
    assert 0 < len(overdue) <= slides.MAX_TASK_ROWS  # the demo shows them all on one slide
    slide = deck[10]
    assert slide.title == f"{len(overdue)} nhiệm vụ quá hạn"
    assert list(slide.headers) == ["Mã", "Nhiệm vụ", "Đơn vị chủ trì", "Hạn", "Quá hạn"]
    assert sorted(row[0] for row in slide.table) == sorted(overdue["code"])
    by_code = overdue.set_index("code")
    for code, title, unit, deadline, days in slide.table:
        row = by_code.loc[code]
        when = (
            row["deadline"] if row["deadline"] is not None and pd.notna(row["deadline"]) else row["next_due"]
        )
        assert (title, unit) == (row["title"], row["unit"])
        assert deadline.startswith(format.day(when))
        assert days == f"{format.number((TODAY - when).days)} ngày"


def test_tasks_slide_says_when_nothing_is_overdue(data: slides.MonthData):
    slide = slides.tasks_slide(dataclasses.replace(data, overdue=data.overdue.iloc[0:0]))
    assert slide.title == "Không có nhiệm vụ quá hạn"
    assert not slide.table and "Không có nhiệm vụ quá hạn" in slide.message


def test_an_empty_database_gives_a_slide_that_says_there_is_no_data(tmp_path: Path):
    store = Store(support.empty_db(tmp_path))
    try:
        root = common.root_unit(store)
        deck = presentation.build_slides(store, common.default_period(store), root, TODAY)
    finally:
        store.close()
    assert [s.kind for s in deck] == ["empty"]
    assert deck[0].title == "Chưa có số liệu" and "Chưa có số liệu" in deck[0].message


def test_units_without_figures_give_every_slide_with_no_data(store: Store):
    """A catalog of hamlets but no figure for the month: the slides say so, none raises."""
    root = common.root_unit(store)
    deck = presentation.build_slides(store, "2026-03", root, date(2026, 3, 25))
    assert [s.kind for s in deck] == KINDS
    assert {t.status for t in deck[0].tiles} == {"no_data"}
    assert {t.value for t in deck[0].tiles} == {"–"}
    assert "nhóm chưa có số liệu" in deck[1].subtitle
    assert "Chưa có số liệu theo thôn" in deck[8].message
    assert deck[9].title.startswith("0/7 thôn đã nộp đúng hạn")
    for slide in deck:  # every one draws
        assert slide.title in slides_html.slide_html(slide)


def test_many_hamlets_show_the_best_and_the_slowest(data: slides.MonthData):
    many = pd.concat(
        [data.ranked.assign(unit_name=data.ranked["unit_name"] + f" {i}") for i in range(2)],
        ignore_index=True,
    ).sort_values("progress", ascending=False, ignore_index=True)
    slide = slides.ranking_slide(dataclasses.replace(data, ranked=many))
    labels = [r.label for r in slide.rows]
    assert len(labels) == slides.MAX_RANKED
    assert labels[0].startswith("1. ") and labels[-1].startswith(f"{len(many)}. ")
    assert f"trong {len(many)} thôn" in slide.subtitle


# --- HTML, PDF, PowerPoint ----------------------------------------------------------------------


def test_html_marks_every_text_in_a_card_and_escapes_names(data: slides.MonthData, deck: list[slides.Slide]):
    html = slides_html.slide_html(deck[0])
    assert html.count('data-card="tile:') == 6 and 'data-slide="headline"' in html
    for tile in deck[0].tiles:
        assert f">{tile.value}<" in html and f">{tile.label}<" in html
    hostile = data.ranked.assign(unit_name="<script>alert(1)</script> & Thôn")
    html = slides_html.slide_html(slides.ranking_slide(dataclasses.replace(data, ranked=hostile)))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Thôn" in html


def test_pdf_has_a_page_per_slide_with_real_text(deck: list[slides.Slide], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch):  # fmt: skip
    """Printed on a machine without the Noto fonts: the shipped ones are embedded all the same."""
    monkeypatch.setenv("FONTCONFIG_FILE", str(support.bare_fonts_config(tmp_path)))
    pdf = slides_html.slides_pdf(deck)
    assert pdf.startswith(b"%PDF")
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == len(deck)
    box = reader.pages[0].mediabox
    assert float(box.width) / float(box.height) == pytest.approx(16 / 9, rel=0.01)
    for page, slide in zip(reader.pages, deck):
        text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", page.extract_text()))
        assert slide.title.split(" – ")[0] in text, (slide.title, text[:200])
    fonts = {f for page in reader.pages for f in (page["/Resources"].get("/Font") or {}).values()}
    names = {str(f.get_object().get("/BaseFont")) for f in fonts}
    assert any("NotoSans-Regular" in n for n in names) and any("NotoSans-Bold" in n for n in names), names
    assert not any("DejaVu" in n for n in names), names  # nothing fell back to the machine's font


def test_pptx_is_editable_text_tables_and_native_charts(deck: list[slides.Slide]):
    from pptx import Presentation

    pptx = slides_pptx.slides_pptx(deck)
    with zipfile.ZipFile(io.BytesIO(pptx)) as archive:
        names = archive.namelist()
    assert not [n for n in names if n.startswith("ppt/media/")], "no pictures: everything is editable"
    charts_xml = [n for n in names if re.fullmatch(r"ppt/charts/chart\d+\.xml", n)]
    assert len(charts_xml) == 8  # the seven groups and the ranking
    deck_file = Presentation(io.BytesIO(pptx))
    assert (deck_file.slide_width, deck_file.slide_height) == slides_pptx.SLIDE_EMU
    assert len(deck_file.slides) == len(deck)
    for page, slide in zip(deck_file.slides, deck):
        text = " ".join(shape.text_frame.text for shape in page.shapes if shape.has_text_frame)
        assert slide.title in text and slide.page in text
    headline = deck_file.slides[0].shapes
    tiles = {s.name: s.text_frame.text for s in headline if s.name.startswith("tile:")}
    assert tiles == {f"tile:{t.code}": f"{t.label}\n{t.value}\nMục tiêu {t.target}" for t in deck[0].tiles}
    group = deck_file.slides[1]
    chart = next(s for s in group.shapes if s.has_chart).chart
    assert list(chart.plots[0].categories) == [r.label for r in deck[1].rows]
    assert list(chart.series[0].values) == pytest.approx([round(r.progress * 100, 1) for r in deck[1].rows])
    table = next(s for s in group.shapes if s.has_table).table
    assert [table.cell(1, c).text for c in range(3)] == [deck[1].rows[0].label,
        f"{deck[1].rows[0].value} / {deck[1].rows[0].target}", deck[1].rows[0].note]  # fmt: skip
    tasks_table = next(s for s in deck_file.slides[10].shapes if s.has_table).table
    assert [tasks_table.cell(1, c).text for c in range(5)] == deck[10].table[0]


def test_libreoffice_opens_the_pptx(deck: list[slides.Slide], tmp_path: Path):
    """The PowerPoint file opens in LibreOffice Impress (`make sysdeps` installs it) with every title."""
    assert shutil.which("soffice"), "LibreOffice (soffice) is missing: run `make sysdeps`"
    source = tmp_path / "trinh_chieu.pptx"
    source.write_bytes(slides_pptx.slides_pptx(deck))
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    from pypdf import PdfReader

    reader = PdfReader(str(tmp_path / "trinh_chieu.pdf"))
    assert len(reader.pages) == len(deck)
    for page, slide in zip(reader.pages, deck):
        text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", page.extract_text()))
        assert slide.title.split(" – ")[0] in text, (slide.title, text[:200])


# --- the page ----------------------------------------------------------------------------------


def _through_app() -> bool:
    return PAGE in Path(support.APP).read_text(encoding="utf-8")


@pytest.fixture
def page_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`page_db("demo" | "empty")`: a fresh database file for this test, set as CDS_DB."""
    used: list[Path] = []

    def use(kind: str) -> Path:
        path = support.demo_db(tmp_path) if kind == "demo" else support.empty_db(tmp_path)
        monkeypatch.setenv("CDS_DB", str(path))
        st.cache_resource.clear()
        used.append(path)
        return path

    yield use
    for path in used:
        with suppress(StoreError):
            open_store(path).close()


def run_page(**params: str) -> AppTest:
    if _through_app():
        at = support.app_test(90)
        at.switch_page(PAGE)
    else:  # until app.py lists the page: the page alone (the repository root is on sys.path)
        at = AppTest.from_file(str(support.ROOT / PAGE), default_timeout=90)
    at.query_params.update(params)
    at.run()
    assert not at.exception, "\n".join(e.message for e in at.exception)
    return at


def param(at: AppTest, name: str) -> str | None:
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


def bar_text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def test_page_shows_the_first_slide_and_next_moves_on(page_db):
    page_db("demo")
    at = run_page(ky=PERIOD)
    assert param(at, "trang") == "1" and param(at, "ky") == PERIOD
    assert "Trang 1/11" in bar_text(at)
    assert at.button(key="pres_prev").disabled
    at.button(key="pres_next").click().run()
    assert not at.exception
    assert param(at, "trang") == "2"
    assert "Trang 2/11" in bar_text(at)
    at.button(key="pres_prev").click().run()
    assert param(at, "trang") == "1"


def test_page_opens_the_slide_of_the_link_and_mends_a_bad_one(page_db):
    page_db("demo")
    at = run_page(ky=PERIOD, trang="11")
    assert "Trang 11/11" in bar_text(at) and at.button(key="pres_next").disabled
    at = run_page(ky="2020-01", trang="99")
    assert param(at, "trang") == "1" and param(at, "ky") == PERIOD
    assert any("2020-01" in support.shown(w.value) for w in at.warning)


def test_page_makes_the_files_only_when_asked(page_db, monkeypatch: pytest.MonkeyPatch):
    page_db("demo")
    exports: list[int] = []

    def fake_pdf(deck):  # no Chromium here: the export itself is tested above
        exports.append(len(deck))
        return b"%PDF-1.4"

    monkeypatch.setattr(slides_html, "slides_pdf", fake_pdf)
    at = run_page(ky=PERIOD)
    at.button(key="pres_next").click().run()
    assert exports == [] and not at.get("download_button")
    at.button(key="pres_make").click().run()
    assert not at.exception
    assert exports == [11]  # all slides, one export for both files
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Tải PDF", "Tải PPTX"]
    at.button(key="pres_next").click().run()
    assert exports == [11] and len(at.get("download_button")) == 2  # kept for the session and month


def test_auto_advance_moves_to_the_next_slide(page_db):
    page_db("demo")
    at = run_page(ky=PERIOD, trang="11")
    at.toggle(key="pres_auto").set_value(True).run()
    assert not at.exception
    assert at.button(key="pres_make").disabled  # no export while the slides move
    at.session_state["pres_shown_at"] = 0.0  # the slide has been shown long enough
    at.run()
    assert not at.exception
    assert param(at, "trang") == "1"  # after the last slide, the first again


def test_page_on_an_empty_database_explains_how_to_start(page_db):
    page_db("empty")
    at = run_page()
    assert any("Chưa có số liệu" in i.value for i in at.info)
    assert not at.get("html")
