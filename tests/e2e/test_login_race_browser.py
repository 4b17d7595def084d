"""Several browser sessions trying one name at once against the real server: only the allowed
number of tries are checked, the others are told to wait or that the system is busy."""

from __future__ import annotations

import pytest

from indicators.domain import accounts
from tests.e2e.conftest import RUN_TIMEOUT, wait_for_app

pytestmark = pytest.mark.e2e
SESSIONS = 8


def test_parallel_wrong_passwords_from_several_sessions_are_throttled_together(demo_server, open_page):
    # a name of its own: the other tests' accounts are not slowed down
    pages = [open_page(f"{demo_server}/", user=None) for _ in range(SESSIONS)]
    for i, page in enumerate(pages):
        page.get_by_label("Tên đăng nhập").fill("ke-doan-mat-khau")
        page.get_by_label("Mật khẩu").fill(f"sai-mat-khau-{i}")
    buttons = [page.get_by_role("button", name="Đăng nhập") for page in pages]
    for button in buttons:  # as close together as the browser allows
        button.click(no_wait_after=True)
    answers = []
    for page in pages:
        alert = page.locator("[data-testid=stAlertContentError]").first
        alert.wait_for(timeout=RUN_TIMEOUT)
        wait_for_app(page)
        answers.append(alert.inner_text())
    wrong = [a for a in answers if "không đúng" in a]
    held = [a for a in answers if "thử lại sau" in a or "Hệ thống đang bận" in a]
    assert len(wrong) <= accounts.FREE_FAILURES and len(wrong) + len(held) == SESSIONS, answers
