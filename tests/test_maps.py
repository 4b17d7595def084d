"""The map of a city's communes: boundaries read from their folder, the figure (offline style,
status colours, value scale), the view model behind it and the pages that show it."""

from __future__ import annotations

import json
import math
from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest
from docx import Document

from indicators import metrics
from indicators.domain import catalog
from indicators.domain.boundaries import BOUNDARIES_DIR, boundaries, read_boundaries
from indicators.domain.text import fold
from indicators.domain.units import OrgUnit
from indicators.ingest.demo import CITY, COMMUNE, load_city_demo
from indicators.render import maps as render_maps
from indicators.render import report as render_report
from indicators.render import slides, typeface
from indicators.render.charts import STATUS_COLORS
from indicators.storage import Store
from indicators.views import maps, presentation, report
from tests.support import ADMIN, DEMO_TODAY, demo_db
from tests.test_city import _page  # a page of the app on a city's database, checked for exceptions

PERIOD = "2026-11"
CODE = "CQ_VNEID_MUC_2"
LIMIT = 5  # communes of the test city: Bình Giang and four more


def _square(code: str, x: float, y: float, size: float = 0.1, **extra) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Feature", "id": code, "properties": {"code": code, **extra},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}  # fmt: skip


def _write(folder: Path, name: str, features: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")


# --- boundaries -----------------------------------------------------------------------------------


def test_every_geojson_of_the_folder_is_read_keyed_by_code(tmp_path):
    _write(tmp_path, "31.geojson", [_square("10966", 106.0, 20.0)])
    feature = _square("x", 105.0, 21.0)
    feature.pop("id")
    feature["properties"]["code"] = "00004"  # a feature keyed by properties.code only
    _write(tmp_path, "01.geojson", [feature])
    found = read_boundaries(tmp_path)
    assert set(found.features) == {"10966", "00004"}
    assert found.features["00004"]["id"] == "00004"  # the id a map joins on is set
    assert found.features["10966"]["bbox"] == pytest.approx([106.0, 20.0, 106.1, 20.1])  # GeoJSON's own bbox
    assert found.has("10966") and not found.has("99999")
    collection = found.collection(["00004", "99999", "10966"])
    assert [f["id"] for f in collection["features"]] == ["00004", "10966"]
    assert read_boundaries(tmp_path / "none").features == {}


@pytest.mark.parametrize(
    "features, message",
    [
        ([{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": []}}],
         "đối tượng thứ 1 không có mã đơn vị"),
        ([{"type": "Feature", "id": "1", "geometry": {"type": "Point", "coordinates": [1, 2]}}],
         "đơn vị 1 không phải vùng"),
    ],
)  # fmt: skip
def test_a_boundary_without_code_or_area_is_refused_naming_the_file(tmp_path, features, message):
    _write(tmp_path, "31.geojson", features)
    with pytest.raises(ValueError, match=message) as caught:
        read_boundaries(tmp_path)
    assert "31.geojson" in str(caught.value)


def test_a_code_in_two_files_is_refused(tmp_path):
    _write(tmp_path, "31.geojson", [_square("10966", 106.0, 20.0)])
    _write(tmp_path, "32.geojson", [_square("10966", 107.0, 20.0)])
    with pytest.raises(ValueError, match="10966 có ranh giới ở cả 31.geojson và 32.geojson"):
        read_boundaries(tmp_path)


def test_the_shipped_folder_holds_hai_phong_keyed_by_official_code():
    found = boundaries()
    assert (BOUNDARIES_DIR / f"{CITY.code}.geojson").exists()
    assert found.has(COMMUNE.code) and len(found.features) >= 114
    assert all(code.isdigit() and len(code) == 5 for code in found.features)


# --- the figure -----------------------------------------------------------------------------------


def _rows(statuses: dict[str, str], values: dict[str, float | None]) -> pd.DataFrame:
    return pd.DataFrame([
        {"unit_code": c, "unit_name": f"Xã {c}", "value": values.get(c), "status": s, "value_text": "",
         "target_text": "", "status_text": "", "hover": f"<b>Xã {c}</b>", "mapped": True}
        for c, s in statuses.items()
    ]).astype({"value": float})  # fmt: skip


def _collection(codes: list[str]) -> dict:
    return {"type": "FeatureCollection", "features": [_square(c, 106 + 0.1 * i, 20.8) for i, c in enumerate(codes)]}


def test_status_map_has_one_colour_per_status_and_a_legend_of_all_four():
    statuses = {"A": "achieved", "B": "behind", "C": "behind", "D": "no_data"}
    fig = render_maps.member_map(_rows(statuses, {}), _collection(list(statuses)), "status", "VNeID", True)
    assert fig.layout.map.style == "white-bg"  # no tiles to download
    assert {t.type for t in fig.data} == {"choroplethmap"}  # never the geo subplot (it downloads a world map)
    names = [t.name for t in fig.data]
    assert names == ["★ Đã đạt (1)", "▲ Đúng tiến độ (0)", "● Có nguy cơ (0)", "▼ Chậm (2)", "– Chưa có số liệu (1)"]
    by_name = {t.name: t for t in fig.data}
    behind = by_name["▼ Chậm (2)"]
    assert list(behind.locations) == ["B", "C"] and behind.colorscale[0][1] == STATUS_COLORS["behind"]
    assert [f["id"] for f in behind.geojson["features"]] == ["B", "C"]  # each boundary is sent once
    assert [row[0] for row in behind.customdata] == ["B", "C"]  # a click reports the code
    # a status no unit has keeps its legend entry, drawn as nothing
    empty = by_name["▲ Đúng tiến độ (0)"].geojson["features"][0]["geometry"]["coordinates"][0]
    assert len({tuple(p) for p in empty}) == 1
    assert by_name["▲ Đúng tiến độ (0)"].customdata[0][0] == ""  # a click on it opens nothing
    assert all(t.showlegend for t in fig.data)
    drawn = [c for t in fig.data for c in t.locations if c in statuses]
    assert sorted(drawn) == sorted(statuses)


def test_value_map_is_a_sequential_scale_with_units_without_value_in_grey():
    statuses = {"A": "achieved", "B": "behind", "C": "no_data"}
    fig = render_maps.member_map(_rows(statuses, {"A": 90.0, "B": 40.0}), _collection(list(statuses)), "value",
                                 "VNeID", True)  # fmt: skip
    scale, missing = fig.data
    assert list(scale.locations) == ["A", "B"] and list(scale.z) == [90.0, 40.0]
    assert (scale.zmin, scale.zmax) == (40.0, 90.0) and scale.showscale
    assert scale.colorscale[0][1] != scale.colorscale[-1][1]
    assert scale.colorbar.ticktext[0] == "40,0%" and scale.colorbar.ticktext[-1] == "90,0%"
    assert list(missing.locations) == ["C"] and missing.colorscale[0][1] == STATUS_COLORS["no_data"]
    assert missing.name == "– Chưa có số liệu (1)"


def test_the_view_fits_the_units_in_the_given_size():
    bounds = (106.12, 20.55, 106.95, 21.24)
    for width, height in ((360, 480), (1000, 700)):
        centre, zoom = render_maps.view_of(bounds, width, height)
        world = render_maps.TILE * 2**zoom  # pixels around the world at that zoom
        assert (bounds[2] - bounds[0]) / 360 * world <= width
        merc = [render_maps._mercator_y(lat) for lat in (bounds[1], bounds[3])]
        assert (merc[1] - merc[0]) / (2 * math.pi) * world <= height
        assert bounds[0] < centre["lon"] < bounds[2] and bounds[1] < centre["lat"] < bounds[3]
    assert render_maps.view_of((106.0, 20.0, 106.1, 20.1), 360, 480)[1] > render_maps.view_of(bounds, 360, 480)[1]


def test_a_far_island_is_left_out_of_the_page_view_but_not_out_of_the_whole():
    near = [_square(str(i), 106 + 0.05 * (i % 5), 20.8 + 0.05 * (i // 5), 0.05) for i in range(20)]
    island = _square("99", 108.5, 19.0, 0.02)
    collection = {"type": "FeatureCollection", "features": [*near, island]}
    assert render_maps._bounds(collection, whole=True)[2] == pytest.approx(108.52)
    assert render_maps._bounds(collection, whole=False)[2] == pytest.approx(106.25)


# --- the view model -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def city_path(tmp_path_factory) -> Path:
    path = demo_db(tmp_path_factory.mktemp("map_city"))
    store = Store(path)
    load_city_demo(store, ADMIN, today=DEMO_TODAY, limit=LIMIT)
    # a commune the boundaries folder does not know
    store.save_units([OrgUnit(code="99999", name="Thử Nghiệm", parent=CITY.code, level="commune"),
                      OrgUnit(code="9999901", name="Một", parent="99999", level="hamlet", households=10)],
                     ADMIN)  # fmt: skip
    store.close()
    return path


@pytest.fixture
def city_store(city_path):
    store = Store(city_path)
    yield store
    store.close()


def test_the_city_map_gives_every_commune_its_value_target_and_status(city_store):
    city = next(u for u in city_store.units() if u.code == CITY.code)
    view = maps.member_map(city_store, PERIOD, city, CODE)
    table = metrics.member_table(city_store, PERIOD, CITY.code)
    table = table[table["indicator_code"] == CODE].set_index("unit_code")
    rows = view.rows.set_index("unit_code")
    assert set(rows.index) == {u.code for u in metrics.member_units(city_store, CITY.code)}
    assert len(rows) == LIMIT + 1
    for code, row in rows.iterrows():
        if code in table.index:
            assert row["value"] == pytest.approx(table.at[code, "value"], nan_ok=True)
            assert row["status"] == table.at[code, "status"]
    bg = rows.loc[COMMUNE.code]
    assert bg["value_text"].endswith("%") and "," in bg["value_text"]  # 66,9%
    assert f"<b>{COMMUNE.label}</b>" in bg["hover"] and "Mục tiêu 2026: " in bg["hover"]
    assert "Trạng thái: " + bg["status_text"] in bg["hover"]
    assert list(view.choices.values()) == sorted(view.choices.values(), key=fold)
    # the unknown commune is listed under the map, the others drawn
    assert view.unmapped_names == ["Xã Thử Nghiệm"]
    assert view.unmapped_text == "Chưa có ranh giới trên bản đồ (1 xã): Xã Thử Nghiệm."
    assert "99999" not in view.mapped_codes and COMMUNE.code in view.mapped_codes
    assert view.notice == "Ranh giới mang tính tham khảo."
    assert sum(n for _, n in view.status_counts()) == LIMIT + 1
    fig = view.figure("status")
    assert view.figure("status") is fig  # drawn once
    drawn = {c for t in fig.data for c in t.locations}
    assert set(view.mapped_codes) <= drawn and "99999" not in drawn


def test_a_commune_has_no_map(city_store):
    commune = next(u for u in city_store.units() if u.code == COMMUNE.code)
    assert not maps.has_map(city_store, commune)
    assert maps.member_map(city_store, PERIOD, commune, CODE) is None


def test_the_progress_map_follows_the_ranking_slide(city_store):
    city = next(u for u in city_store.units() if u.code == CITY.code)
    ranked = presentation.hamlet_progress(metrics.member_table(city_store, PERIOD, CITY.code))
    view = maps.progress_map(city_store, PERIOD, city, ranked)
    rows = view.rows.set_index("unit_code")
    for r in ranked.itertuples():
        assert rows.at[r.unit_code, "status"] == r.status
        assert rows.at[r.unit_code, "value"] == pytest.approx(r.progress * 100)
    assert "Tiến độ bình quân: " in rows.at[COMMUNE.code, "hover"]


# --- the pages ------------------------------------------------------------------------------------


def _captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def test_the_city_overview_shows_the_map_and_a_commune_chosen_opens_its_dashboard(city_path, monkeypatch):
    at = _page(city_path, monkeypatch, "pages/overview.py")
    assert "Bản đồ các xã" in [s.value for s in at.subheader]
    assert len(at.get("plotly_chart")) >= 3  # the map, the trend, the groups
    assert "Ranh giới mang tính tham khảo." in _captions(at)
    assert "Chưa có ranh giới trên bản đồ (1 xã): Xã Thử Nghiệm." in _captions(at)
    assert at.selectbox(key="map_code").value == catalog.HEADLINE_CODES[0]
    at.selectbox(key="map_code").set_value(CODE).run()
    at.segmented_control(key="map_mode").set_value("value").run()
    assert not at.exception
    choose = at.selectbox(key="overview_map_open")
    assert choose.label == "Mở trang của xã" and COMMUNE.label in choose.options
    choose.set_value(COMMUNE.code).run()
    assert not at.exception
    assert at.caption[0].value.startswith(COMMUNE.label)  # the commune's own overview
    assert at.query_params["dv"] in (COMMUNE.code, [COMMUNE.code])
    assert "Bản đồ các xã" not in [s.value for s in at.subheader]  # hamlets have no boundaries


def test_the_indicator_page_at_city_level_shows_the_map_and_opens_a_commune(city_path, monkeypatch):
    at = _page(city_path, monkeypatch, "pages/indicator.py", chi_tieu=CODE)
    assert "Bản đồ các xã" in [s.value for s in at.subheader]
    assert "Ranh giới mang tính tham khảo." in _captions(at)
    at.selectbox(key="indicator_map_open").set_value(COMMUNE.code).run()
    assert not at.exception
    assert at.title[0].value == "Tổng quan chuyển đổi số"  # its dashboard
    assert at.caption[0].value.startswith(COMMUNE.label)


def test_a_commune_overview_has_no_map(city_path, monkeypatch):
    at = _page(city_path, monkeypatch, "pages/overview.py", dv=COMMUNE.code)
    assert "Bản đồ các xã" not in [s.value for s in at.subheader]
    assert "Ranh giới mang tính tham khảo." not in _captions(at)


# --- the city's slides and monthly report -----------------------------------------------------------


def test_the_city_slides_have_a_map_slide_and_a_commune_has_none(city_store):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    from indicators.render import slides_html, slides_pptx

    city = next(u for u in city_store.units() if u.code == CITY.code)
    data = presentation.month_data(city_store, PERIOD, city, DEMO_TODAY)
    assert data.map is not None and slides.slide_count(data) == 12
    shown = slides.draw_slides(data)
    kinds = [s.kind for s in shown]
    assert kinds.index("map") == kinds.index("ranking") + 1
    slide = shown[kinds.index("map")]
    assert slide.title == "Tiến độ chung theo xã – Tháng 11/2026" and slide.page == f"{kinds.index('map') + 1}/12"
    assert "Ranh giới mang tính tham khảo." in slide.subtitle
    counts = dict(data.map.status_counts())
    assert slides.MapKey("behind", f"▼ Chậm: {counts['behind']} xã") in slide.keys
    assert slide.note == "Chưa có ranh giới trên bản đồ (1 xã): Xã Thử Nghiệm."
    png = slide.picture()
    assert png.startswith(b"\x89PNG") and slide.picture() is png  # made once, kept by the map
    from PIL import Image

    image = Image.open(BytesIO(png)).convert("RGB")
    assert image.size == tuple(2 * n for n in slides.MAP_PICTURE)
    colours = {pixel for _, pixel in image.getcolors(maxcolors=1 << 22)}
    drawn = set(data.map.rows.loc[data.map.rows["mapped"], "status"])
    assert drawn
    for status in metrics.STATUSES:  # every status a drawn commune has, in its colour; no other
        rgb = tuple(int(STATUS_COLORS[status][i : i + 2], 16) for i in (1, 3, 5))
        assert (rgb in colours) == (status in drawn), status
    html = slides_html.slide_html(slide)
    assert 'data-card="map"' in html and "data:image/png;base64," in html and "Xã Thử Nghiệm" in html
    from pypdf import PdfReader

    printed = PdfReader(BytesIO(slides_html.slides_pdf([slide]))).pages[0]  # the HTML printed by Chromium
    assert len(printed.images) == 1 and "Chưa có ranh giới trên bản đồ" in printed.extract_text()
    page = Presentation(BytesIO(slides_pptx.slides_pptx([slide]))).slides[0]
    pictures = [s for s in page.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert [p.name for p in pictures] == ["map"] and pictures[0].image.blob == png
    texts = [s.text_frame.text for s in page.shapes if s.has_text_frame]
    assert f"▼ Chậm: {counts['behind']} xã" in texts and slide.note in texts
    commune = next(u for u in city_store.units() if u.code == COMMUNE.code)
    alone = presentation.month_data(city_store, PERIOD, commune, DEMO_TODAY)
    assert alone.map is None and "map" not in [s.kind for s in slides.draw_slides(alone)]


def test_the_city_report_carries_the_map_with_its_caption(city_store):
    city = next(u for u in city_store.units() if u.code == CITY.code)
    context = report.report_context(city_store, PERIOD, city, DEMO_TODAY)
    assert context["map_caption"] == (
        "Bản đồ: trạng thái của từng xã theo tiến độ bình quân các chỉ tiêu so với mục tiêu năm. "
        "Ranh giới mang tính tham khảo. Chưa có ranh giới trên bản đồ (1 xã): Xã Thử Nghiệm."
    )
    figures = render_report.report_figures(context)
    assert len(figures) == 3 and figures[2].layout.map.style == "white-bg"
    assert figures[2].layout.font.family == typeface.CSS_FAMILY  # the shipped font, as the charts
    document = Document(BytesIO(render_report.docx_bytes(context)))
    assert len(document.inline_shapes) == 3  # the two charts and the map
    assert context["map_caption"] in [p.text for p in document.paragraphs]
    commune = next(u for u in city_store.units() if u.code == COMMUNE.code)
    alone = report.report_context(city_store, PERIOD, commune, DEMO_TODAY)
    assert alone["_map"] is None and alone["map_caption"] == ""
    assert len(render_report.report_figures(alone)) == 2


def test_the_city_presentation_and_report_pages_run_with_the_map(city_path, monkeypatch):
    for page in ("pages/presentation.py", "pages/report.py"):
        _page(city_path, monkeypatch, page)
