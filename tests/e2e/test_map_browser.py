"""The city's map in a real browser, desktop and phone: drawn offline, coloured by status with its
legend, filling a phone's width, panned by touch, and a commune chosen opens its overview."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import urlparse

import pytest

from indicators.domain import catalog
from indicators.domain.boundaries import boundaries
from indicators.ingest.demo import CITY, COMMUNE
from indicators.render.charts import STATUS_COLORS
from tests.e2e.conftest import eventually
from tests.e2e.test_browser import check_clean
from tests.e2e.test_english_browser import english

pytestmark = pytest.mark.e2e

MAP = "[data-testid=stMain] .js-plotly-plot:has(.maplibregl-canvas)"


def _outside_requests(page) -> list[str]:
    """Requests the page made to any host but the app's (the map must need none). MapLibre's
    workers load from blob: URLs; the app's icon (st.set_page_config's material icon) is
    Streamlit's own request, not the map's."""
    return [u for u in page.requests_seen if urlparse(u).scheme in ("http", "https")
            and urlparse(u).hostname not in ("localhost", "127.0.0.1") and "/materialsymbols" not in u]  # fmt: skip


def _open(open_page, url: str, **size):
    """The page at `url`, loaded again with every request it makes recorded (`_outside_requests`)."""
    seen: list[str] = []
    page = open_page(url, **size)
    page.requests_seen = seen
    page.on("request", lambda request: seen.append(request.url))
    page.reload(wait_until="domcontentloaded")
    return page


def _map_state(page) -> dict:
    return page.locator(MAP).first.evaluate(
        """gd => {
            const map = gd._fullLayout.map._subplot.map;
            const c = map.getCenter();
            return {traces: gd._fullData.map(t => ({type: t.type, name: t.name, n: (t.locations || []).length})),
                    style: gd._fullLayout.map.style, lon: c.lng, lat: c.lat, zoom: map.getZoom(),
                    width: gd.getBoundingClientRect().width, legend: [...gd.querySelectorAll('.legendtext')]
                    .map(e => e.textContent)};
        }"""
    )


def _status_pixels(page) -> dict[str, int]:
    """How many pixels of the map's canvas have each status colour."""
    from PIL import Image

    image = Image.open(BytesIO(page.locator(MAP).first.locator(".maplibregl-canvas").screenshot())).convert("RGB")
    wanted = {s: tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for s, c in STATUS_COLORS.items()}
    counts = dict.fromkeys(wanted, 0)
    for n, pixel in image.getcolors(maxcolors=1 << 22):
        for status, rgb in wanted.items():
            if all(abs(a - b) <= 6 for a, b in zip(pixel, rgb)):
                counts[status] += n
    return counts


def _inside_point(code: str) -> tuple[float, float]:
    """A point well inside the unit's boundary (lon, lat)."""
    geometry = boundaries().features[code]["geometry"]
    ring = geometry["coordinates"][0] if geometry["type"] == "Polygon" else geometry["coordinates"][0][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]

    def inside(x: float, y: float) -> bool:
        hit = False
        for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                hit = not hit
        return hit

    steps = 24
    candidates = [(min(xs) + (max(xs) - min(xs)) * i / steps, min(ys) + (max(ys) - min(ys)) * j / steps)
                  for i in range(1, steps) for j in range(1, steps)]  # fmt: skip
    centre = (sum(xs) / len(xs), sum(ys) / len(ys))
    points = [p for p in candidates if inside(*p)]
    return min(points, key=lambda p: (p[0] - centre[0]) ** 2 + (p[1] - centre[1]) ** 2)


def _screen_point(page, lon: float, lat: float) -> tuple[float, float]:
    return page.locator(MAP).first.evaluate(
        """(gd, p) => {
            const map = gd._fullLayout.map._subplot.map;
            const xy = map.project(p);
            const box = map.getCanvas().getBoundingClientRect();
            return [box.left + xy.x, box.top + xy.y];
        }""",
        [lon, lat],
    )


def _check_map(page) -> dict:
    page.locator(MAP).first.wait_for(state="visible")
    return eventually(page, lambda: _drawn_map(page))  # MapLibre draws after Plotly


def _drawn_map(page) -> dict:
    state = _map_state(page)
    assert state["style"] == "white-bg"
    assert {t["type"] for t in state["traces"]} == {"choroplethmap"}
    assert sum(t["n"] for t in state["traces"]) >= 5  # the five communes of the test city
    legend = " ".join(state["legend"])
    for word in ("★ Đã đạt", "▲ Đúng tiến độ", "● Có nguy cơ", "▼ Chậm"):
        assert word in legend, legend
    pixels = _status_pixels(page)
    coloured = [s for s, n in pixels.items() if n > 200]
    assert coloured, f"no status colour drawn on the map: {pixels}"
    assert not _outside_requests(page), _outside_requests(page)
    text = page.inner_text("[data-testid=stMain]")
    assert "Ranh giới mang tính tham khảo." in text
    return state


def test_the_city_map_on_a_desktop_opens_a_commune_clicked(city_server, open_page, settle, screenshot):
    page = _open(open_page, f"{city_server}/?dv={CITY.code}", width=1366, height=900)
    settle(page)
    check_clean(page)
    page.locator(MAP).first.scroll_into_view_if_needed()
    state = _check_map(page)
    assert state["width"] > 600
    screenshot(page, "map_city_desktop")
    page.locator(MAP).first.screenshot(path=str(_shot_path("map_city_desktop_map")))

    # coloured by value instead: a sequential scale with its colour bar
    page.locator("[data-testid=stMain] button").filter(has_text="Giá trị").first.click()
    settle(page)
    page.locator(MAP).first.scroll_into_view_if_needed()
    page.locator(MAP).first.locator(".colorbar").wait_for()
    assert page.locator(MAP).first.locator(".colorbar").count() == 1
    scale = page.locator(MAP).first.locator(".colorbar").text_content()
    assert catalog.HEADLINE[catalog.HEADLINE_CODES[0]] in scale and "%" in scale, scale
    page.locator(MAP).first.screenshot(path=str(_shot_path("map_city_desktop_value")))

    # touching (hovering) a commune names it with its value, target and status
    x, y = _screen_point(page, *_inside_point(COMMUNE.code))
    page.mouse.move(x, y)

    def hovered() -> str:
        hover = page.locator(".hoverlayer").first.text_content()
        assert COMMUNE.label in hover and "Mục tiêu 2026" in hover and "Trạng thái" in hover, hover
        return hover

    eventually(page, hovered)
    # the map's own mode bar speaks Vietnamese too (the English sweep's demo is a commune: no map)
    titles = page.locator(MAP).first.evaluate(
        "m => [...m.querySelectorAll('.modebar-btn')].map(b => b.getAttribute('data-title'))")
    assert titles and not english(" ".join(titles)), titles
    page.mouse.click(x, y)
    settle(page)
    check_clean(page)
    assert f"dv={COMMUNE.code}" in page.url
    assert f"{COMMUNE.label} · Tháng 11/2026" in page.inner_text("[data-testid=stMain]")  # its overview
    assert page.locator(MAP).count() == 0  # a commune's hamlets have no map


def _shot_path(name: str):
    from tests.e2e.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def test_the_city_map_on_a_phone_fills_the_width_pans_by_touch_and_opens_a_commune(
    city_server, open_page, settle, screenshot
):
    page = _open(open_page, f"{city_server}/chi-tieu?dv={CITY.code}&chi_tieu=CQ_VNEID_MUC_2", width=390,
                 height=844, touch=True)  # fmt: skip
    settle(page)
    check_clean(page)
    page.locator(MAP).first.scroll_into_view_if_needed()
    state = _check_map(page)
    assert state["width"] >= 340  # the phone's width, less the page's margins
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the screen
    page.locator(MAP).first.screenshot(path=str(_shot_path("map_city_phone_map")))

    # one finger drags the map (CDP touch events, as a phone sends them)
    page.locator(MAP).first.scroll_into_view_if_needed()
    box = page.locator(MAP).first.locator(".maplibregl-canvas").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    touched = page.evaluate("([x, y]) => document.elementFromPoint(x, y).className", [x, y])
    assert "maplibregl-canvas" in touched, touched
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y, "id": 0}]})
    for step in range(1, 11):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x - 12 * step, "y": y, "id": 0}]})
        page.wait_for_timeout(30)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(600)
    moved = _map_state(page)
    assert moved["lon"] > state["lon"] + 0.01, (state, moved)  # dragged left: the view went east
    # two fingers apart zoom in
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x - 20, "y": y, "id": 1},
                                                                               {"x": x + 20, "y": y, "id": 2}]})  # fmt: skip
    for step in range(1, 11):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [
            {"x": x - 20 - 8 * step, "y": y, "id": 1}, {"x": x + 20 + 8 * step, "y": y, "id": 2}]})  # fmt: skip
        page.wait_for_timeout(20)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(600)
    assert _map_state(page)["zoom"] > moved["zoom"] + 0.3
    screenshot(page, "map_city_phone")  # (after the touches: it resizes the viewport for a moment)

    # the select below the map opens a commune's overview
    picker = page.locator("[data-testid=stSelectbox]:visible").filter(has_text="Mở trang của xã")
    picker.scroll_into_view_if_needed()
    picker.click()
    page.get_by_role("option", name=COMMUNE.label, exact=True).click()
    settle(page)
    check_clean(page)
    assert f"dv={COMMUNE.code}" in page.url
    assert page.locator("[data-testid=stMain] h1").first.inner_text() == "Tổng quan chuyển đổi số"
    screenshot(page, "map_city_phone_opened")
