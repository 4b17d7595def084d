"""No English a person can see: every page as each demo role, at desktop and phone width.

Each page is opened, its charts and tables hovered (their toolbars and each toolbar button's
tooltip), the ⋮ menu opened when there is one, an uploader and a number input used where the page
has them; the visible text and the tooltips (`title`, Plotly's `data-title`) must hold none of the
English words Streamlit and Plotly show by default. Screen-reader labels (`aria-label`, e.g. the
date picker's "Choose date" and the password eye's "Show password") are Streamlit's own and not
translatable in 1.67: they are not checked here.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import eventually
from tests.e2e.test_browser import VIEWPORTS

# what the browser shows, whichever store is behind it: the DuckDB pass is enough
pytestmark = [pytest.mark.e2e, pytest.mark.screen_only]

ENGLISH_UI = (
    "Upload", "Browse files", "Drag and drop", "per file", "Download", "Search", "Fullscreen",
    "Zoom", "Pan", "Reset", "Autoscale", "Print", "Record", "Made with", "Choose date",
    "Show password", "Settings", "Rerun", "Clear cache", "Deploy", "About", "Press Enter",
)  # fmt: skip
_WORDS = re.compile(r"\b(" + "|".join(re.escape(word) for word in ENGLISH_UI) + r")\b")
ROLES = ("quantri", "lanhdao", "canbo", "thon-cay")

# the visible tooltips of the page: native ones (title) and Plotly's mode bar (data-title)
_TOOLTIPS = """() => [...document.querySelectorAll('[title], [data-title]')]
    .map(e => [e.getAttribute('title') || '', e.getAttribute('data-title') || ''].join(' '))"""


def english(text: str) -> list[str]:
    return sorted(set(_WORDS.findall(text)))


def test_the_word_list_catches_streamlits_defaults():
    assert english("Drag and drop files here · 20MB per file") == ["Drag and drop", "per file"]
    assert english("Download plot as a PNG | Reset axes") == ["Download", "Reset"]
    assert english("Tải ảnh biểu đồ (PNG) · Về khung ban đầu · Chọn tệp") == []
    assert english("Panel") == []  # whole words only


def _nav_paths(page) -> list[str]:
    """The url paths of the pages this account's navigation lists ("" for the default page)."""
    hrefs = page.evaluate("() => [...document.querySelectorAll('[data-testid=stSidebarNav] a')].map(a => a.href)")
    return list(dict.fromkeys(urlparse(href).path.strip("/") for href in hrefs))


def _seen(page) -> str:
    return page.inner_text("body") + "\n" + "\n".join(page.evaluate(_TOOLTIPS))


def _hover_toolbars(page) -> str:
    """Hover the first chart and the first table, and each button of the toolbar that appears; what
    was seen. Every chart has the same mode bar (one shared config) and every table the same
    toolbar: one of each per page is enough, and keeps the sweep of 8 roles × widths short."""
    seen = []
    for selector in ("[data-testid=stPlotlyChart]", "[data-testid=stDataFrame]"):
        for element in [e for e in page.locator(selector).all() if e.is_visible()][:1]:
            element.scroll_into_view_if_needed()
            box = element.bounding_box()
            if box is None:
                continue
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(250)
            buttons = page.locator(".modebar-btn, [data-testid=stElementToolbar] button")
            for button in buttons.all():
                button_box = button.bounding_box() if button.is_visible() else None
                if button_box:
                    page.mouse.move(button_box["x"] + button_box["width"] / 2, button_box["y"] + button_box["height"] / 2)
                    page.wait_for_timeout(150)
                    seen.append(_seen(page))
    return "\n".join(seen)


def _use_inputs(page) -> str:
    """Type into the first number input (Streamlit shows "Press Enter to apply" while one is
    edited); what was seen meanwhile."""
    number = page.locator("[data-testid=stNumberInput] input")
    if number.count() == 0 or not number.first.is_visible():
        return ""
    number.first.scroll_into_view_if_needed()
    number.first.click()
    page.keyboard.press("End")
    page.keyboard.type("0")
    page.wait_for_timeout(200)
    seen = _seen(page)
    page.keyboard.press("Escape")
    return seen


def _open_menu(page) -> str:
    """The ⋮ menu's text when the app shows one (toolbarMode "minimal" hides it)."""
    menu = page.locator("[data-testid=stMainMenu]")
    if menu.count() == 0 or not menu.first.is_visible():
        return ""
    menu.first.click()
    page.wait_for_timeout(300)
    seen = _seen(page)
    page.keyboard.press("Escape")
    return seen


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
@pytest.mark.parametrize("user", ROLES)
def test_no_english_on_any_page(demo_server, open_page, settle, screenshot, user, viewport):
    width, height = VIEWPORTS[viewport]
    page = open_page(f"{demo_server}/", width, height, user=user)
    paths = _nav_paths(page)
    assert paths, f"no navigation found for {user}"
    found = {}
    for path in paths:
        page.goto(f"{demo_server}/{path}", wait_until="domcontentloaded")
        settle(page)
        seen = "\n".join((_seen(page), _hover_toolbars(page), _use_inputs(page), _open_menu(page)))
        if english(seen):
            found[path or "/"] = english(seen)
            screenshot(page, f"english_{user}_{path or 'home'}_{width}")
    assert not found, f"English words on screen as {user} at {width}px: {found}"


def test_uploader_speaks_vietnamese(demo_server, open_page, screenshot):
    """The uploader's own words are replaced by CSS: the Vietnamese ones are drawn on screen."""
    page = open_page(f"{demo_server}/nop-so-lieu", 390, 844)
    screenshot(page, "uploader_390")
    drawn = page.evaluate(
        """() => {
            const z = document.querySelector('[data-testid=stFileUploaderDropzone]');
            const after = e => getComputedStyle(e, '::after').content;
            return [after(z.querySelector('button [data-testid=stMarkdownContainer]')),
                    after(z.querySelector('[data-testid=stFileUploaderDropzoneInstructions] > div'))];
        }"""
    )
    assert drawn[0] == '"Chọn tệp"'
    assert "kéo thả tệp" in drawn[1] and "20 MB" in drawn[1]


_OVERLAP = """chart => {
    const bar = chart.querySelector('.modebar');
    const title = chart.querySelector('.gtitle');
    if (!bar || !bar.querySelector('.modebar-btn') || !title) return null;
    const a = bar.getBoundingClientRect(), b = title.getBoundingClientRect();
    const hit = document.elementFromPoint(a.left + a.width / 2, a.top + a.height / 2);
    return {overlap: a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom,
            reachable: !!hit && bar.contains(hit), title: title.textContent};
}"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_chart_toolbars_never_cover_their_titles(demo_server, open_page, screenshot, viewport):
    """The mode bar sits in a strip above the chart: clear of the title, and not clipped."""
    width, height = VIEWPORTS[viewport]
    checked = 0
    for path in ("", "chi-tieu", "tinh-hinh-nop", "nhom-nhiem-vu"):
        page = open_page(f"{demo_server}/{path}", width, height)
        for chart in page.locator("[data-testid=stPlotlyChart]").all():
            chart.scroll_into_view_if_needed()
            box = chart.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            found = None
            for _ in range(4):  # a chart drawn late (a busy machine) gets its mode bar late too
                page.wait_for_timeout(300)
                found = chart.evaluate(_OVERLAP)
                if found is not None:
                    break
            if found is None:
                continue
            if found["overlap"] or not found["reachable"]:
                screenshot(page, f"toolbar_over_title_{path or 'home'}_{width}")
            assert not found["overlap"] and found["reachable"], f"/{path} at {width}px: {found}"
            checked += 1
    assert checked >= 3


# --- the phone forms ----------------------------------------------------------------------------


def _visible(page, selector: str) -> int:
    return sum(1 for element in page.locator(selector).all() if element.is_visible())


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_heat_map_on_a_phone_is_a_list_of_hamlets(demo_server, open_page, screenshot, viewport):
    width, height = VIEWPORTS[viewport]
    page = open_page(f"{demo_server}/theo-thon", width, height)
    cards = "[data-testid=stMain] [data-testid=stExpander]"
    if viewport == "phone":
        assert _visible(page, cards) == 14 and _visible(page, "[data-testid=stPlotlyChart]") == 0
        page.locator(f"{cards} summary").first.click()

        def opened() -> None:
            text = page.locator(cards).first.inner_text()
            assert "Thôn An Cường" in text and re.search(r"[★▲●▼–] .+: \d", text), text

        eventually(page, opened)
    else:
        assert _visible(page, cards) == 0 and _visible(page, "[data-testid=stPlotlyChart]") == 1
    screenshot(page, f"heat_map_{width}")


def test_upload_preview_on_a_phone_shows_the_values(demo_server, open_page, settle, screenshot):
    page = open_page(f"{demo_server}/nop-so-lieu", 390, 844, user="thon-cay")
    data = (b"ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\n"
            b"2026-11,BG01,TT_TIN_BAI,,,3,\n")  # fmt: skip
    page.locator("input[type=file]").first.set_input_files({"name": "xem.csv", "mimeType": "text/csv", "buffer": data})
    page.get_by_text("xem.csv").last.wait_for(timeout=60_000)
    settle(page)
    screenshot(page, "upload_preview_390")
    assert _visible(page, "[data-testid=stMain] [data-testid=stDataFrame]") == 0
    card = page.get_by_text("Số tin bài, buổi tuyên truyền về chuyển đổi số (TT_TIN_BAI): 3")
    assert card.count() == 1 and card.first.is_visible()
    box = card.first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
