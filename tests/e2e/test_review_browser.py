"""The review page (Duyệt số liệu) in a real browser, at desktop and phone width (issue 23): the
commune sends a hamlet's month back with a reason, then approves every waiting hamlet."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import serve, warm_up
from tests.support import demo_db

pytestmark = pytest.mark.e2e

URL_PATH = "duyet-so-lieu?ky=2026-11"


@pytest.fixture(scope="module")
def review_server(tmp_path_factory, browser):
    db = demo_db(tmp_path_factory.mktemp("e2e_review"))
    with serve(db, "review_server") as url:
        warm_up(browser, url)
        yield url, db


def test_send_back_then_approve_all_at_phone_width(review_server, open_page, settle, screenshot):
    url, _ = review_server
    page = open_page(f"{url}/{URL_PATH}", 390, 844)
    assert page.get_by_role("heading", name="Duyệt số liệu").count() == 1
    assert page.get_by_text("0/14 thôn đã duyệt").count() == 1
    screenshot(page, "review_before_390")
    # no sideways scrolling on a phone
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390 + 1

    page.get_by_role("tab", name="Trả lại").click()
    page.get_by_label("Lý do trả lại (thôn sẽ thấy)").fill("Mẫu số hộ khác tháng trước, đề nghị kiểm tra.")
    page.get_by_role("button", name="Trả lại", exact=True).click()
    settle(page)
    assert page.get_by_text("Đã trả lại số liệu của").count() == 1

    page.get_by_role("tab", name="Duyệt").click()
    page.get_by_role("button", name="Duyệt tất cả").click()
    settle(page)
    assert page.get_by_text("Đã duyệt số liệu của").count() == 1
    # the hamlet sent back waits for its new figures: every other hamlet is approved
    assert page.get_by_text("13/14 thôn đã duyệt").count() == 1
    assert page.get_by_text("↩ Trả lại").count() >= 1
    screenshot(page, "review_after_390")


def test_the_page_at_desktop_width_lists_every_unit(review_server, open_page, screenshot):
    url, _ = review_server
    page = open_page(f"{url}/{URL_PATH}", 1366, 768)
    assert page.get_by_role("heading", name="Duyệt số liệu").count() == 1
    screenshot(page, "review_1366")
    assert page.locator("[data-testid=stDataFrame]").count() == 1
