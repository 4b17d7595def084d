"""Issuing the monthly report in a real browser (issue 23): a leader on a phone confirms in the
dialog, the issued list offers the stored files, and the downloaded .docx is the one kept (its
SHA-256 as the page shows it); the page at desktop width lists the issued report too."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.e2e.conftest import serve, warm_up
from tests.support import demo_db

pytestmark = pytest.mark.e2e

URL_PATH = "bao-cao?ky=2026-11"


@pytest.fixture(scope="module")
def issue_server(tmp_path_factory, browser):
    db = demo_db(tmp_path_factory.mktemp("e2e_issue"))
    with serve(db, "issue_server") as url:
        warm_up(browser, url)
        yield url


def test_a_leader_issues_the_report_at_phone_width(issue_server, open_page, settle, screenshot):
    page = open_page(f"{issue_server}/{URL_PATH}", 390, 844, user="lanhdao")
    assert page.get_by_role("heading", name="Báo cáo tháng gửi thành phố").count() == 1
    assert page.get_by_text("Xã Bình Giang chưa phát hành báo cáo tháng nào.").count() == 1
    screenshot(page, "report_issue_before_390")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390 + 1, "no sideways scrolling"

    page.get_by_text("Chèn biểu đồ vào báo cáo").click()  # no charts: seconds instead of twenty
    settle(page)
    page.get_by_role("button", name="Phát hành báo cáo").click()
    settle(page)
    dialog = page.get_by_role("dialog")
    assert "khóa số liệu tháng 11/2026" in dialog.inner_text()
    screenshot(page, "report_issue_dialog_390")
    dialog.get_by_role("button", name="Xác nhận phát hành").click()
    settle(page)
    assert page.get_by_text("Đã phát hành báo cáo tháng 11/2026 (bản 1).").count() == 1
    assert page.get_by_role("button", name="Phát hành lại (báo cáo thay thế, bản 2)").count() == 1
    picker = page.locator("[data-testid=stSelectbox]").filter(has_text="Tải bản đã phát hành")
    shown = picker.inner_text() + " ".join(
        picker.locator("input").evaluate_all("inputs => inputs.map(i => i.value)")
    )
    assert "Tháng 11/2026 – bản 1" in shown, shown
    screenshot(page, "report_issue_after_390")

    with page.expect_download() as info:
        page.get_by_role("button", name="Báo cáo bản 1 (.docx)").click()
    download = info.value
    assert download.suggested_filename == "bao_cao_cds_2026-11_ban_1.docx"
    digest = hashlib.sha256(Path(download.path()).read_bytes()).hexdigest()
    assert page.get_by_text(f"SHA-256 .docx: {digest}").count() == 1, "the file downloaded is the one kept"
    assert not page.js_errors, page.js_errors


def test_the_issued_list_at_desktop_width(issue_server, open_page, screenshot):
    page = open_page(f"{issue_server}/{URL_PATH}", 1366, 768, user="lanhdao")
    assert page.get_by_role("heading", name="Báo cáo đã phát hành").count() == 1
    assert page.locator("[data-testid=stDataFrame]").count() == 1
    screenshot(page, "report_issue_1366")
