"""Login, logout, the public view and the admin pages (Tài khoản, Nhật ký) through AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest

from indicators.domain import accounts
from indicators.storage import open_store
from tests import support
from tests.support import ADMIN, demo_db


@pytest.fixture
def demo(tmp_path: Path, monkeypatch) -> Path:
    path = demo_db(tmp_path)
    monkeypatch.setenv("CDS_DB", str(path))
    return path


def _login(at, name: str, password: str):
    inputs = {t.label: t for t in at.text_input}
    inputs["Tên đăng nhập"].input(name)
    inputs["Mật khẩu"].input(password)
    next(b for b in at.button if b.label == "Đăng nhập").click()
    return at.run()


def test_nobody_sees_data_before_logging_in(demo):
    at = support.app_test(name=None).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Đăng nhập"]
    assert {t.label for t in at.text_input} == {"Tên đăng nhập", "Mật khẩu"}
    assert not at.metric and not at.dataframe  # no figures behind the form
    assert any("quantri" in c.value for c in at.caption)  # the demo's accounts are named


def test_login_with_a_wrong_then_the_right_password(demo):
    """Logout and the session cookie need a browser: tests/e2e/test_accounts_browser.py."""
    at = support.app_test(name=None).run()
    _login(at, "lanhdao", "sai-mat-khau-99")
    assert "không đúng" in at.error[0].value and [t.value for t in at.title] == ["Đăng nhập"]
    assert not at.metric
    _login(at, "lanhdao", "demo-binhgiang")
    assert not at.exception
    assert at.metric, "the overview after login"
    assert at.session_state["actor"].role == "lanh_dao"
    assert any("Lãnh đạo" in c.value for c in at.sidebar.caption)
    assert [b.label for b in at.sidebar.button if not b.key.startswith("as_of_")] == ["Đăng xuất"]


@pytest.mark.parametrize("page", ["pages/upload.py", "pages/overview.py", "pages/history.py", "pages/users.py"])
def test_a_page_run_without_the_router_still_needs_a_login(demo, page):
    """Streamlit runs a page script straight from pages/ when a fresh server's first request names
    it (before app.py ever called st.navigation); AppTest does the same when switching before the
    first run. The page itself then refuses to show anything."""
    at = support.app_test(name=None)
    at.switch_page(page).run()
    assert not at.exception
    assert "Hãy đăng nhập" in at.warning[0].value
    assert not at.file_uploader and not at.metric and not at.dataframe and not at.button


def test_the_public_view_shows_dashboards_read_only(demo):
    store = open_store(demo)
    store.save_settings(store.settings().model_copy(update={"public_view": True}), ADMIN)
    at = support.app_test(name=None).run()
    assert not at.exception
    assert at.metric, "the overview's figures are public"
    assert at.session_state["actor"].kind == "public"
    assert [b.label for b in at.sidebar.button if not b.key.startswith("as_of_")] == ["Đăng nhập"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/upload.py")  # not in a guest's navigation


def test_leadership_cannot_use_the_upload_page(demo):
    at = support.app_test(name="lanhdao")
    at.switch_page("pages/upload.py").run()
    assert not at.file_uploader
    assert "không dùng được trang Nộp số liệu" in at.warning[0].value


def test_hamlet_head_templates_hold_only_their_hamlet(demo):
    from indicators.views import upload

    at = support.app_test(name="thon-cay")
    at.switch_page("pages/upload.py").run()
    assert not at.exception and at.file_uploader
    units = upload.upload_units(open_store(demo), "10966", accounts.Actor("thon-cay", "can_bo", units=("BG01",)))
    assert [u.code for u in units] == ["BG01"]


def test_admin_adds_and_disables_an_account(demo):
    at = support.app_test()
    at.switch_page("pages/users.py").run()
    assert not at.exception and at.dataframe
    form = {t.label: t for t in at.text_input}
    form["Tên đăng nhập"].input("nguyenvanb")
    form["Họ tên"].input("Nguyễn Văn B")
    form["Mật khẩu"].input("mat-khau-du-dai")
    form["Nhập lại mật khẩu"].input("mat-khau-du-dai")
    at.selectbox[0].select("lanh_dao")
    next(b for b in at.button if b.label == "Thêm tài khoản").click()
    at.run()
    assert not at.exception and "Đã thêm tài khoản nguyenvanb" in at.success[0].value
    store = open_store(demo)
    assert store.user("nguyenvanb")["role"] == "lanh_dao"
    assert accounts.authenticate(store, "nguyenvanb", "mat-khau-du-dai").actor is not None
    store.update_user("nguyenvanb", ADMIN, active=False)
    assert accounts.authenticate(store, "nguyenvanb", "mat-khau-du-dai").actor is None


def test_audit_page_lists_and_exports(demo):
    at = support.app_test()
    at.switch_page("pages/audit.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == ["Số", "Thời điểm", "Người thực hiện", "Vai trò", "Thao tác", "Đối tượng", "Trước", "Sau"]
    assert "Nhập số liệu" in set(table["Thao tác"])
    assert at.get("download_button")
    # before and after as Vietnamese fields, not JSON
    shown = "\n".join(table["Trước"]) + "\n".join(table["Sau"])
    assert "{" not in shown and '"' not in shown
    assert "Tệp: " in shown and "Vai trò: Cán bộ" in shown


def test_audit_fields_read_as_vietnamese():
    import json

    from indicators.views.audit import readable

    change = {"period": "2026-09", "unit": "BG05", "indicator": "HT_CAP_QUANG", "before": [517, 708, 73.0],
              "after": [518, 708, 73.2]}  # fmt: skip
    text = readable(json.dumps({"changed": 1, "changes": [change], "listed": 1}), {"BG05": "Thôn Hạ Bì"})
    assert text == ("Số liệu bị thay: 1; Thay đổi: Thôn Hạ Bì · Tỷ lệ hộ gia đình có Internet cáp quang băng rộng "
                    "(HT_CAP_QUANG) · Tháng 9/2026: 517/708 → 518/708")  # fmt: skip
    assert readable(json.dumps({"status": "done", "active": False, "sha256": "ab"})) == (
        "Trạng thái: Hoàn thành; Đang hoạt động: không")
    assert readable(None) == "" and readable("văn bản") == "văn bản"


def test_admin_pages_refuse_other_roles(demo):
    for page in ("pages/users.py", "pages/audit.py"):
        at = support.app_test(name="canbo")
        at.switch_page(page).run()
        assert not at.exception and not at.dataframe
        assert "không dùng được trang" in at.warning[0].value
