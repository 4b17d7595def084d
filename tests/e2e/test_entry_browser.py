"""A hamlet head enters the month on a phone in a real browser (issue 24): “Việc của tôi” opens on
login, its button opens the form, the figures typed survive a reload as a draft, the last value
typed before tapping “Gửi” is the one stored, and the month then shows as sent; another hamlet's
form is refused. The form at desktop width for the commune's staff."""

from __future__ import annotations

import pytest

from indicators.domain import catalog, clock, format, periods
from indicators.views import entry
from tests.e2e.conftest import eventually, serve, warm_up
from tests.support import demo_db

pytestmark = pytest.mark.e2e

VNEID = catalog.indicator("CQ_VNEID_MUC_2")
NEWS = catalog.indicator("TT_TIN_BAI")


@pytest.fixture(scope="module")
def entry_server(tmp_path_factory, browser):
    db = demo_db(tmp_path_factory.mktemp("e2e_entry"))
    with serve(db, "entry_server") as url:
        warm_up(browser, url)
        yield url


def _section(page, item) -> None:
    """Open the task group's section of `item` (sections start closed but the first to fill)."""
    group = next(g for g in catalog.task_groups() if g.number == item.task_group)
    header = page.locator("[data-testid=stExpander] summary").filter(has_text=entry.spelled_out(group.name_vi))
    field = page.get_by_label(entry.count_label(item) if not item.is_ratio else entry.numerator_label(item))
    if not field.is_visible():
        header.click()
        field.wait_for()
        height = page.viewport_size["height"]

        def in_view() -> None:  # after the server's answer closes the sections above (later when busy)
            box = header.bounding_box()
            assert box and 50 <= box["y"] <= height / 2, f"the section opened is scrolled to, clear of the top bar: {box}"

        eventually(page, in_view)
    field.wait_for()


def test_a_hamlet_head_enters_the_month_on_a_phone(entry_server, open_page, settle, screenshot):
    month = format.month(periods.period_of(clock.today()))
    page = open_page(f"{entry_server}/", 390, 844, user="thon-cay", touch=True)
    assert page.get_by_role("heading", name="Việc của tôi").count() == 1
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390 + 1, "no sideways scrolling"
    screenshot(page, "my_work_390")
    page.get_by_role("button", name=f"Nhập số liệu {month}").click()
    settle(page)
    assert page.get_by_role("heading", name="Nhập số liệu").count() == 1
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390 + 1, "no sideways scrolling"

    # the news count, then VNeID's two figures; each change is kept as a draft
    _section(page, NEWS)
    news = page.get_by_label(entry.count_label(NEWS))
    assert news.get_attribute("type") == "tel", "the phone's number keypad"
    news.fill("3")
    news.press("Tab")
    settle(page)
    _section(page, VNEID)
    page.get_by_label(entry.numerator_label(VNEID)).fill("2100")
    page.get_by_label(entry.numerator_label(VNEID)).press("Tab")
    settle(page)
    page.get_by_label(entry.denominator_label(VNEID), exact=False).first.fill("2600")
    page.get_by_label(entry.denominator_label(VNEID), exact=False).first.press("Tab")
    settle(page)
    assert page.get_by_text("Đã lưu nháp lúc").count() >= 1
    screenshot(page, "entry_390")

    # the connection drops half-way: the reopened form has the draft
    page.reload(wait_until="domcontentloaded")
    settle(page)
    assert page.get_by_text("Đã mở lại bản nháp chưa gửi").count() == 1
    _section(page, VNEID)
    assert page.get_by_label(entry.numerator_label(VNEID)).input_value() == "2.100"

    # a number as Vietnamese write it is read whole
    page.get_by_label(entry.numerator_label(VNEID)).fill("1.350")
    page.get_by_label(entry.numerator_label(VNEID)).press("Tab")
    settle(page)
    assert "không phải là số" not in page.inner_text("[data-testid=stMain]")

    # a last number typed and, without leaving the field, “Gửi”: that number is the one stored
    page.get_by_label(entry.numerator_label(VNEID)).fill("2150")
    page.get_by_role("button", name="Gửi phần đã nhập").click()
    settle(page)
    sent = page.get_by_text(f"Đã gửi số liệu {month} của Thôn Cậy")
    sent.wait_for(timeout=30_000)
    box = sent.bounding_box()
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= 844, f"the message is out of view: {box}"
    _section(page, VNEID)
    assert page.get_by_label(entry.numerator_label(VNEID)).input_value() == "2.150"
    screenshot(page, "entry_sent_390")

    # the month shows as sent on “Việc của tôi”
    mine = open_page(f"{entry_server}/viec-cua-toi", 390, 844, user="thon-cay", touch=True)
    assert "◐ Đã gửi, chờ duyệt" in mine.inner_text("[data-testid=stMain]")
    # ... and on the hamlet head's overview, which opens on the month just sent
    overview = open_page(f"{entry_server}/tong-quan", 390, 844, user="thon-cay", touch=True)
    card = overview.inner_text("[data-testid=stMain]")
    assert "Thôn của tôi: Thôn Cậy" in card and f"{month}: ◐ Đã gửi, chờ duyệt · 2/" in card, card
    screenshot(overview, "overview_hamlet_390")
    assert not page.js_errors, page.js_errors


def test_another_hamlets_form_is_refused(entry_server, open_page):
    page = open_page(f"{entry_server}/nhap-so-lieu?dv=BG02", 390, 844, user="thon-cay", touch=True)
    assert "không nhập được số liệu cho đơn vị “BG02”" in page.inner_text("[data-testid=stMain]")
    assert page.locator("input[type=number]").count() == 0


def test_the_form_at_desktop_width_for_commune_staff(entry_server, open_page, screenshot):
    page = open_page(f"{entry_server}/nhap-so-lieu?dv=BG03", 1366, 768, user="canbo")
    assert page.get_by_role("heading", name="Nhập số liệu").count() == 1
    screenshot(page, "entry_1366")
    mine = open_page(f"{entry_server}/viec-cua-toi", 1366, 768, user="canbo")
    screenshot(mine, "my_work_1366")
    assert "Thôn Cậy" in mine.inner_text("[data-testid=stMain]")
