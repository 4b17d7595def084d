"""Accounts in a real browser: the login form, a refresh that keeps the session, one-click logout,
navigation by role, and an account added by the admin logging in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import PASSWORD, log_in
from tests.e2e.test_browser import check_clean

pytestmark = pytest.mark.e2e


def _title(page) -> list[str]:
    return page.locator("[data-testid=stMain] h1").all_inner_texts()


def _nav(page) -> str:
    return page.inner_text("[data-testid=stSidebarNav]")


def test_login_refresh_and_logout(demo_server, open_page, settle, screenshot):
    page = open_page(f"{demo_server}/tinh-hinh-nop", user=None)
    assert _title(page) == ["Đăng nhập"]
    assert page.locator("input[type=file]").count() == 0 and "Tình hình nộp" not in page.inner_text("body")
    screenshot(page, "dang-nhap")

    log_in(page, "lanhdao", "sai-mat-khau-123")
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in page.inner_text("body")
    assert _title(page) == ["Đăng nhập"]

    log_in(page, "lanhdao")  # the deep link opens once logged in
    assert _title(page) == ["Tình hình nộp báo cáo"], _title(page)
    assert "Lãnh đạo" in page.inner_text("[data-testid=stSidebar]")
    check_clean(page)

    page.reload(wait_until="domcontentloaded")  # the session cookie keeps the login
    settle(page)
    assert _title(page) == ["Tình hình nộp báo cáo"]

    page.get_by_role("button", name="Đăng xuất").click()  # one click
    settle(page)
    assert _title(page) == ["Đăng nhập"] and "Đã đăng xuất" in page.inner_text("body")
    page.reload(wait_until="domcontentloaded")
    settle(page)
    assert _title(page) == ["Đăng nhập"]


def test_leadership_sees_no_upload_or_admin_pages(demo_server, open_page):
    page = open_page(f"{demo_server}/", user="lanhdao")
    nav = _nav(page)
    assert "Tổng quan" in nav and "Báo cáo tháng" in nav
    assert "Nộp số liệu" not in nav and "Tài khoản" not in nav and "Nhật ký" not in nav
    history = open_page(f"{demo_server}/lich-su", user="lanhdao")
    assert history.get_by_role("button", name="Hoàn tác lô này…").count() == 0
    assert "Chỉ tài khoản quản trị hoàn tác" in history.inner_text("body")


def test_admin_adds_an_account_that_can_log_in(demo_server, open_page, settle, screenshot):
    page = open_page(f"{demo_server}/tai-khoan")
    assert _title(page) == ["Tài khoản"]
    form = page.locator("[data-testid=stForm]").first
    form.get_by_label("Tên đăng nhập").fill("truongthon-ba")
    form.get_by_label("Họ tên").fill("Trưởng thôn Bá Thủy")
    form.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    form.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    # role cán bộ is preselected; assign thôn Bá Thủy (BG02)
    form.locator("[data-testid=stMultiSelect]").click()
    page.get_by_role("option", name="Thôn Bá Thủy (BG02)").click()
    page.keyboard.press("Escape")
    form.get_by_role("button", name="Thêm tài khoản").click()
    page.get_by_text("Đã thêm tài khoản truongthon-ba").wait_for(timeout=30_000)
    settle(page)
    alerts = page.locator("[data-testid=stAlert]").all_inner_texts()
    assert any("Đã thêm tài khoản truongthon-ba" in a for a in alerts), alerts
    screenshot(page, "tai-khoan")

    newcomer = open_page(f"{demo_server}/nop-so-lieu", user=None)
    log_in(newcomer, "truongthon-ba")
    assert _title(newcomer) == ["Nộp số liệu"]
    assert "Thôn Bá Thủy" in newcomer.inner_text("[data-testid=stSidebar]") or "BG02" in newcomer.inner_text(
        "[data-testid=stSidebar]"
    )
    nav = _nav(newcomer)
    assert "Nộp số liệu" in nav and "Tài khoản" not in nav
    check_clean(newcomer)

    audit = open_page(f"{demo_server}/nhat-ky")
    with audit.expect_download() as download:
        audit.get_by_role("button", name="Tải nhật ký (.csv)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Thêm tài khoản,tài khoản truongthon-ba" in text, text[:500]
