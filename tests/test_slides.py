"""Presentation mode: the slides (`indicators.render.slides`) and the page `pages/presentation.py`.

The slide figures are checked directly (AppTest cannot look inside Plotly charts): every number a
slide writes must equal what `indicators.metrics` / `indicators.domain.tasks` compute, formatted by
`indicators.domain.format`. The page runs through the app when app.py lists it, else as its own script.
"""

from __future__ import annotations

import dataclasses
import io
import re
import time
import zipfile
from contextlib import suppress
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from indicators import metrics
from indicators.domain import catalog, format, tasks
from indicators.render import charts, slides
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


def texts(fig: go.Figure, prefix: str = "") -> dict[str, str]:
    """{annotation name: text} of the annotations whose name starts with `prefix`."""
    return {a.name: a.text for a in fig.layout.annotations if (a.name or "").startswith(prefix)}


def named(fig: go.Figure, name: str) -> list[str]:
    return [a.text for a in fig.layout.annotations if a.name == name]


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
        fig = slide.figure
        assert (fig.layout.width, fig.layout.height) == (slides.WIDTH, slides.HEIGHT)
        assert plain(named(fig, "title")[0]) == slide.title
        assert named(fig, "page") == [f"{i}/11"]
        words = " ".join([slide.title, slide.subtitle, *(a.text for a in fig.layout.annotations)])
        assert not ENGLISH.search(plain(words)), plain(words)


@pytest.mark.parametrize("scale", [1.0, slides.SCALE])
def test_type_is_big_enough_for_the_back_of_the_room(data: slides.MonthData, scale: float):
    """At scale 1 (a 1280×720 screen) the title is at least 40 px and every text at least 22 px;
    the default scale (1920×1080) is 1.5 times that."""
    for slide in slides.draw_slides(data, scale):
        notes = slide.figure.layout.annotations
        assert next(a.font.size for a in notes if a.name == "title") >= 40 * scale
        assert min(a.font.size for a in notes) >= 22 * scale, slide.title
        for trace in slide.figure.data:
            if isinstance(trace, go.Table):
                assert trace.cells.font.size >= 22 * scale and trace.header.font.size >= 22 * scale
        axis_font = slide.figure.layout.xaxis.tickfont.size
        assert axis_font is None or axis_font >= 22 * scale


def test_headline_slide_writes_the_commune_summary(demo_store: Store, deck: list[slides.Slide]):
    root = common.root_unit(demo_store)
    table = metrics.commune_summary(demo_store, PERIOD, root.code).set_index("indicator_code")
    fig = deck[0].figure
    values, targets, statuses = texts(fig, "value:"), texts(fig, "target:"), texts(fig, "status:")
    assert len(values) == len(catalog.HEADLINE_CODES) == 6
    for code in catalog.HEADLINE_CODES:
        row = table.loc[code]
        assert plain(values[f"value:{code}"]) == format.indicator_value(row["value"], row["kind"])
        assert (
            plain(targets[f"target:{code}"])
            == f"Mục tiêu {format.indicator_value(row['target'], row['kind'])}"
        )
        assert plain(statuses[f"status:{code}"]) == charts.status_label(row["status"])
        assert plain(texts(fig, f"label:{code}")[f"label:{code}"]) == catalog.HEADLINE[code]
    # one tile per indicator in its status colour, with the status band
    colours = [s.line.color for s in fig.layout.shapes]
    assert colours == [
        charts.STATUS_COLORS[table.loc[c, "status"]] for c in catalog.HEADLINE_CODES for _ in (1, 2)
    ]


def test_group_slides_show_every_indicator_of_the_group(data: slides.MonthData, deck: list[slides.Slide]):
    for slide, group in zip(deck[1:8], catalog.task_groups()):
        part = data.indicators[data.indicators["task_group"] == group.number]
        fig = slide.figure
        assert named(fig, "label") == [charts.short_name(c) for c in part["indicator_code"]]
        assert [plain(t) for t in named(fig, "value")] == [
            f"{format.indicator_value(r.value, r.kind)} / {format.indicator_value(r.target, r.kind)}"
            for r in part.itertuples()
        ]
        assert [plain(t) for t in named(fig, "status")] == [charts.status_label(s) for s in part["status"]]
        bars = fig.data[1]  # the coloured bars over the grey track
        expected = [min(max(p, 0), 1) * 100 if pd.notna(p) else 0 for p in part["progress"]]
        assert list(bars.x) == pytest.approx(expected)
        assert list(bars.marker.color) == [charts.STATUS_COLORS[s] for s in part["status"]]


def test_ranking_slide_orders_hamlets_by_mean_progress(demo_store: Store, deck: list[slides.Slide]):
    root = common.root_unit(demo_store)
    table = metrics.member_table(demo_store, PERIOD, root.code)
    mean = table.assign(p=table["progress"].clip(upper=1)).groupby("unit_name")["p"].mean()
    order = sorted(mean.index, key=lambda name: -mean[name])
    labels = named(deck[8].figure, "label")
    assert labels == [f"{i}. {name}" for i, name in enumerate(order, start=1)]
    assert [plain(v) for v in named(deck[8].figure, "value")] == [
        format.percent(mean[n] * 100) for n in order
    ]
    behind = table[table["status"] == "behind"].groupby("unit_name").size()
    assert [plain(t).rsplit(" (", 1)[1] for t in named(deck[8].figure, "status")] == [
        f"{int(behind.get(n, 0))})" for n in order
    ]


def test_submission_slide_counts_hamlets_on_time(demo_store: Store, deck: list[slides.Slide]):
    view = submissions.submissions_view(demo_store, PERIOD, common.root_unit(demo_store), TODAY)
    fig = deck[9].figure
    assert deck[9].title.startswith(f"{view.hamlets_on_time}/{view.hamlets_total} thôn đã nộp đúng hạn")
    tiles = texts(fig, "unit:")
    assert set(tiles) == {f"unit:{c}" for c in view.completeness["unit_code"]}
    for r in view.completeness.itertuples():
        text = plain(tiles[f"unit:{r.unit_code}"])
        assert text.startswith(r.unit_name) and metrics.SUBMISSION_STATUS_VI[r.status] in text


def test_many_units_are_listed_by_name_under_their_status(data: slides.MonthData):
    """A city's 114 communes do not fit as tiles: a column per status, its count, the names."""
    statuses = ["partial"] * 60 + ["late"] * 3 + ["on_time"] * 2
    members = pd.DataFrame({"unit_code": [f"X{i:03d}" for i in range(len(statuses))],
                            "unit_name": [f"Xã Số {i:03d}" for i in range(len(statuses))],
                            "level": "commune", "status": statuses, "submitted": 1, "expected": 2})  # fmt: skip
    sub = dataclasses.replace(data.submissions, members=members)
    fig = slides.submissions_slide(dataclasses.replace(data, submissions=sub)).figure
    assert not texts(fig, "unit:")
    counts = {name: plain(text) for name, text in texts(fig, "count:").items()}
    assert counts == {"count:missing": "✗ Chưa nộp: 0", "count:partial": "◐ Chưa đủ: 60",
                      "count:late": "◷ Muộn: 3", "count:on_time": "✓ Đúng hạn: 2"}  # fmt: skip
    names = texts(fig, "names:")
    assert names["names:missing"] == "–"
    assert plain(names["names:late"]) == "Xã Số 060, Xã Số 061, Xã Số 062"
    long = names["names:partial"].split("<br>")
    assert len(long) == slides.LIST_LINES and all(len(line) <= slides.LIST_CHARS for line in long)
    shown = sum(line.count("Xã Số") for line in long)
    assert long[-1] == f"… và {60 - shown} đơn vị khác" and long[0].startswith("Xã Số 000, ")


def test_tasks_slide_lists_exactly_the_overdue_tasks(demo_store: Store, deck: list[slides.Slide]):
    register = tasks.register(
        demo_store.tasks(), demo_store.task_notes(), TODAY, demo_store.settings().deadline_day
    )
    overdue = register[register["state"] == "overdue"]
    assert 0 < len(overdue) <= slides.MAX_TASK_ROWS  # the demo shows them all on one slide
    slide = deck[10]
    assert slide.title == f"{len(overdue)} nhiệm vụ quá hạn"
    table = next(t for t in slide.figure.data if isinstance(t, go.Table))
    codes, titles, units, due, late = (list(column) for column in table.cells.values)
    assert sorted(codes) == sorted(overdue["code"])
    by_code = overdue.set_index("code")
    for code, title, unit, deadline, days in zip(codes, titles, units, due, late):
        row = by_code.loc[code]
        when = (
            row["deadline"] if row["deadline"] is not None and pd.notna(row["deadline"]) else row["next_due"]
        )
        assert (plain(title), plain(unit)) == (row["title"], row["unit"])
        assert deadline.startswith(format.day(when))
        assert days == f"{format.number((TODAY - when).days)} ngày"


def test_tasks_slide_says_when_nothing_is_overdue(data: slides.MonthData):
    slide = slides.tasks_slide(dataclasses.replace(data, overdue=data.overdue.iloc[0:0]))
    assert slide.title == "Không có nhiệm vụ quá hạn"
    assert not [t for t in slide.figure.data if isinstance(t, go.Table)]
    assert "Không có nhiệm vụ quá hạn" in named(slide.figure, "message")[0]


def test_an_empty_database_gives_a_slide_that_says_there_is_no_data(tmp_path: Path):
    store = Store(support.empty_db(tmp_path))
    try:
        root = common.root_unit(store)
        deck = presentation.build_slides(store, common.default_period(store), root, TODAY)
    finally:
        store.close()
    assert [s.kind for s in deck] == ["empty"]
    assert deck[0].title == "Chưa có số liệu"
    assert "Chưa có số liệu" in named(deck[0].figure, "message")[0]


def test_units_without_figures_give_every_slide_with_no_data(store: Store):
    """A catalog of hamlets but no figure for the month: the slides say so, none raises."""
    root = common.root_unit(store)
    deck = presentation.build_slides(store, "2026-03", root, date(2026, 3, 25))
    assert [s.kind for s in deck] == KINDS
    statuses = texts(deck[0].figure, "status:")
    assert set(map(plain, statuses.values())) == {charts.status_label("no_data")}
    assert set(map(plain, texts(deck[0].figure, "value:").values())) == {"–"}
    assert "nhóm chưa có số liệu" in deck[1].subtitle
    assert "Chưa có số liệu theo thôn" in named(deck[8].figure, "message")[0]
    assert deck[9].title.startswith("0/7 thôn đã nộp đúng hạn")


def test_many_hamlets_show_the_best_and_the_slowest(data: slides.MonthData):
    many = pd.concat(
        [data.ranked.assign(unit_name=data.ranked["unit_name"] + f" {i}") for i in range(2)],
        ignore_index=True,
    ).sort_values("progress", ascending=False, ignore_index=True)
    slide = slides.ranking_slide(dataclasses.replace(data, ranked=many))
    labels = named(slide.figure, "label")
    assert len(labels) == slides.MAX_RANKED
    assert labels[0].startswith("1. ") and labels[-1].startswith(f"{len(many)}. ")
    assert f"trong {len(many)} thôn" in slide.subtitle


# --- files -------------------------------------------------------------------------------------


def test_pdf_and_pptx_of_two_slides_from_one_export(deck: list[slides.Slide]):
    started = time.monotonic()
    images = slides.slide_images(deck[:2])  # one Kaleido session for both files
    pdf, pptx = slides.pdf_from_images(images), slides.pptx_from_images(images)
    assert time.monotonic() - started < 120
    assert pdf.startswith(b"%PDF")
    try:
        from pypdf import PdfReader

        assert len(PdfReader(io.BytesIO(pdf)).pages) == 2
    except ImportError:
        assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 2
    with zipfile.ZipFile(io.BytesIO(pptx)) as archive:
        names = archive.namelist()
    assert sorted(n for n in names if re.fullmatch(r"ppt/slides/slide\d+\.xml", n)) == [
        "ppt/slides/slide1.xml", "ppt/slides/slide2.xml",
    ]  # fmt: skip
    from pptx import Presentation

    deck_file = Presentation(io.BytesIO(pptx))
    assert (deck_file.slide_width, deck_file.slide_height) == slides.SLIDE_EMU
    picture = deck_file.slides[0].shapes[0]
    assert (picture.left, picture.top, picture.width, picture.height) == (0, 0, *slides.SLIDE_EMU)
    from PIL import Image

    assert Image.open(io.BytesIO(images[0])).size == (2 * slides.WIDTH, 2 * slides.HEIGHT)


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
    png = io.BytesIO()
    __import__("PIL.Image", fromlist=["Image"]).new("RGB", (32, 18), "white").save(png, "PNG")

    def fake_images(deck):  # no Kaleido here: the export itself is tested above
        exports.append(len(deck))
        return [png.getvalue()] * len(deck)

    monkeypatch.setattr(slides, "slide_images", fake_images)
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
    assert not at.get("plotly_chart")
