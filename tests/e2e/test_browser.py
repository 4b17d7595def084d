"""The app in a real browser: every page at desktop and phone width, uploads, empty state, bad URLs.

The server runs `streamlit run app.py` on a copy of the demo database (see conftest.py). The
figures expected on screen are computed from a second copy with the project's own functions.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from indicators.domain import catalog, format
from indicators.storage import Store
from tests.e2e.conftest import RUN_TIMEOUT
from tests.support import APP

pytestmark = pytest.mark.e2e

VIEWPORTS = {"desktop": (1366, 768), "phone": (390, 844)}
EXPECTED_PAGES = {
    "tong-quan", "theo-thon", "nhom-nhiem-vu", "chi-tieu",
    "nop-so-lieu", "tinh-hinh-nop", "lich-su", "danh-muc",
}  # fmt: skip
# Streamlit's own English error texts (the app's messages are Vietnamese)
ENGLISH_ERRORS = (
    "Traceback",
    "Exception",
    "This app has encountered an error",
    "Error running app",
    "Page not found",
    "You have requested page",
    "Connection error",
    "Is Streamlit still running",
    "Something went wrong",
    "Bad message format",
    "No such file",
    "KeyError",
    "ValueError",
    "TypeError",
    "AttributeError",
    "NameError",
    "IndexError",
    "ModuleNotFoundError",
    "ImportError",
    "StreamlitAPIException",
    "duckdb.",
)

PERIOD = "2026-11"  # the latest demo month, the overview's default
HAMLETS = [f"BG{n:02d}" for n in range(1, 15)]
CODE = "CQ_VNEID_MUC_2"
CONFIRM = "Nhập số liệu"  # the upload page's confirm button
HEADER = "ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\n"


def _pages() -> tuple[list[str], str]:
    """The url paths of every page app.py registers, and the default page's."""
    source = Path(APP).read_text(encoding="utf-8")
    pages = re.findall(r"st\.Page\([^)]*?url_path=\"([^\"]+)\"", source)
    default = re.findall(r"st\.Page\([^)]*?url_path=\"([^\"]+)\"[^)]*default=True", source)
    return list(dict.fromkeys(pages)), (default or [pages[0]])[0]


PAGES, DEFAULT_PAGE = _pages()
# The overview is the default page, served at "/"; a hidden twin answers at /tong-quan
# (see test_overview_answers_at_its_own_url_path).
OVERVIEW = "/"


def page_url(base: str, path: str) -> str:
    return f"{base}{OVERVIEW}" if path == DEFAULT_PAGE else f"{base}/{path}"


def check_clean(page) -> None:
    """No Streamlit exception box, no English error text, no uncaught JavaScript error."""
    exceptions = page.locator("[data-testid=stException]")
    assert exceptions.count() == 0, f"{page.url}: exception shown:\n{exceptions.first.inner_text()}"
    text = page.inner_text("body")
    found = [phrase for phrase in ENGLISH_ERRORS if phrase in text]
    assert not found, f"{page.url}: English error text {found} on the page"
    assert not page.js_errors, f"{page.url}: JavaScript errors {page.js_errors}"


def metric_value(page, label: str) -> str:
    """The value shown by the st.metric whose label is `label`."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    metric = page.locator("[data-testid=stMetric]").filter(
        has=page.locator("[data-testid=stMetricLabel]", has_text=label)
    )
    try:  # on a busy machine the app may go idle once before the run that draws the metrics
        metric.first.wait_for(state="visible", timeout=RUN_TIMEOUT)
    except PlaywrightTimeout:
        pytest.fail(f"{page.url}: no metric labelled “{label}”", pytrace=False)
    return metric.first.locator("[data-testid=stMetricValue]").inner_text().strip()


def tables(page) -> list[list[list[str]]]:
    """The cells of every st.table and st.dataframe (its accessible DOM table), row by row."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stTable], [data-testid=stDataFrame]')]
            .map(t => [...t.querySelectorAll('tr')]
                .map(tr => [...tr.children].map(c => c.textContent.trim())))"""
    )


def issue_rows(page) -> list[list[str]]:
    """(Dòng, rest of the row) of every issues table on the page: a table with a "Dòng" column."""
    found = []
    for table in tables(page):
        if table and "Dòng" in table[0]:
            column = table[0].index("Dòng")
            found += [[row[column], " ".join(row)] for row in table[1:] if len(row) > column]
    return found


def test_app_registers_the_expected_pages():
    assert EXPECTED_PAGES <= set(PAGES), f"app.py pages {PAGES} lack {EXPECTED_PAGES - set(PAGES)}"


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
@pytest.mark.parametrize("path", PAGES)
def test_page_renders_cleanly(demo_server, open_page, screenshot, path, viewport):
    width, height = VIEWPORTS[viewport]
    page = open_page(page_url(demo_server, path), width, height)
    shot = screenshot(page, f"{path}_{width}")
    check_clean(page)
    if path == "trinh-chieu":  # full-screen slides: the slide is the page (HTML, with its title)
        assert page.locator("[data-testid=stMain] [data-slide] .cds-title").count() == 1, f"no slide ({shot})"
    else:
        assert page.locator("[data-testid=stMain] h1").count() >= 1, f"/{path}: no page title ({shot})"
    # nothing wider than a phone: the page itself must not scroll sideways
    overflow = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]');"
        " return [document.documentElement.scrollWidth, m ? m.scrollWidth : 0, window.innerWidth]; }"
    )
    assert max(overflow[:2]) <= overflow[2] + 1, f"/{path} at {width}px scrolls sideways: {overflow} ({shot})"


def test_overview_answers_at_its_own_url_path(demo_server, open_page, screenshot):
    page = open_page(f"{demo_server}/tong-quan")
    screenshot(page, "tong-quan_by-url-path_1366")
    check_clean(page)
    assert page.get_by_text("Tổng quan chuyển đổi số").count() >= 1


def test_bad_query_parameter_warns_instead_of_failing(demo_server, open_page, screenshot):
    page = open_page(f"{demo_server}{OVERVIEW}?ky=2099-99")
    screenshot(page, "tong-quan_bad-ky_1366")
    check_clean(page)
    warning = page.locator("[data-testid=stAlertContentWarning]")
    assert warning.count() >= 1, "no warning for ?ky=2099-99"
    assert "2099-99" in warning.first.inner_text()
    # the page falls back to the latest month
    assert format.month(PERIOD) in page.inner_text("[data-testid=stMain]")


def test_empty_database_explains_how_to_start(empty_server, open_page, screenshot):
    for width, height in VIEWPORTS.values():
        page = open_page(f"{empty_server}{OVERVIEW}", width, height)
        screenshot(page, f"tong-quan_empty_{width}")
        check_clean(page)
        assert page.get_by_text("Chưa có số liệu").count() >= 1, "no how-to-start message on an empty DB"


# --- uploading --------------------------------------------------------------------------------


def _current(reference: Path) -> dict[str, tuple[float, float]]:
    """{hamlet: (numerator, denominator)} of CODE in PERIOD, from the reference copy."""
    store = Store(reference)
    try:
        rows = store.current_submissions(periods=[PERIOD])
    finally:
        store.close()
    rows = rows[rows["indicator_code"] == CODE]
    return {r.unit_code: (r.numerator, r.denominator) for r in rows.itertuples()}


def _commune_percent(figures: dict[str, tuple[float, float]]) -> str:
    numerator = sum(num for num, _ in figures.values())
    denominator = sum(den for _, den in figures.values())
    return format.percent(100 * numerator / denominator)


def _csv(figures: dict[str, tuple[float, float]]) -> bytes:
    lines = [f"{PERIOD},{unit},{CODE},{num:.0f},{den:.0f},," for unit, (num, den) in sorted(figures.items())]
    return (HEADER + "\n".join(lines) + "\n").encode("utf-8")


def _upload(page, settle, name: str, data: bytes) -> None:
    page.locator("input[type=file]").first.set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )
    # the rerun starts only once the upload is through: wait for the file's own preview heading
    page.get_by_text(name).last.wait_for(timeout=60_000)
    settle(page)


def test_upload_rejects_a_bad_file_and_imports_a_good_one(
    demo_server, demo_reference, open_page, settle, screenshot
):
    before = _current(demo_reference)
    assert sorted(before) == HAMLETS, f"demo {PERIOD} {CODE} hamlets: {sorted(before)}"
    # a good file: about 3 points more in every hamlet
    after = {unit: (min(den, num + round(0.03 * den)), den) for unit, (num, den) in before.items()}
    old_text, new_text = _commune_percent(before), _commune_percent(after)
    assert old_text != new_text
    label = catalog.HEADLINE[CODE]

    overview = open_page(f"{demo_server}{OVERVIEW}")
    assert metric_value(overview, label) == old_text

    # a bad file: the numerator of line 3 exceeds its denominator
    bad = dict(after)
    num, den = bad["BG02"]
    bad["BG02"] = (den + 5, den)
    page = open_page(f"{demo_server}/nop-so-lieu")
    assert page.locator("input[type=file]").count() >= 1, "no file uploader on /nop-so-lieu"
    _upload(page, settle, "so_lieu_sai.csv", _csv(bad))
    screenshot(page, "nop-so-lieu_bad_1366")
    check_clean(page)
    assert page.locator("[data-testid=stAlertContentError]").count() >= 1, "no error for a bad file"
    # the issue names the row: line 3 of the file (the header is line 1)
    rows = issue_rows(page)
    assert any(line == "3" and "Tử số" in text for line, text in rows), f"no issue on dòng 3: {rows}"
    confirm = page.get_by_role("button", name=CONFIRM, exact=True)
    assert confirm.count() == 0 or confirm.first.is_disabled(), "a rejected file can still be imported"

    overview = open_page(f"{demo_server}{OVERVIEW}")
    assert metric_value(overview, label) == old_text, "the bad file changed the overview"

    # the good file, confirmed
    page = open_page(f"{demo_server}/nop-so-lieu")
    _upload(page, settle, "so_lieu_dung.csv", _csv(after))
    check_clean(page)
    assert page.locator("[data-testid=stAlertContentError]").count() == 0, "a good file shows an error"
    confirm = page.get_by_role("button", name=CONFIRM, exact=True)
    confirm.first.wait_for(timeout=60_000)
    assert confirm.count() == 1, f"no “{CONFIRM}” button after a good file"
    confirm.click()
    settle(page)
    screenshot(page, "nop-so-lieu_good_1366")
    check_clean(page)

    overview = open_page(f"{demo_server}{OVERVIEW}")
    screenshot(overview, "tong-quan_after-upload_1366")
    assert metric_value(overview, label) == new_text
    assert new_text in overview.inner_text("[data-testid=stMain]")
