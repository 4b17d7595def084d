"""The review page (Duyệt số liệu) through AppTest, on a copy of the demo database (issue 23)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from indicators import metrics
from indicators.storage import open_store
from tests import support
from tests.support import demo_db, empty_db, shown

PAGE = "pages/review.py"
NOVEMBER = "2026-11"
COMMUNE = "10966"


def _app(monkeypatch: pytest.MonkeyPatch, db: str, **account) -> AppTest:
    monkeypatch.setenv("CDS_DB", str(db))
    at = support.app_test(60, **account)
    at.query_params["ky"] = NOVEMBER
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _states(db: str) -> dict[str, str]:
    table = metrics.month_review(open_store(db), NOVEMBER, COMMUNE)
    return dict(zip(table["unit_code"], table["state"]))


def _texts(elements) -> str:
    return " ".join(shown(e.value) for e in elements)


@pytest.fixture
def demo(tmp_path: Path) -> str:
    return demo_db(tmp_path)


def test_the_page_renders_on_an_empty_database(monkeypatch, tmp_path):
    at = _app(monkeypatch, empty_db(tmp_path))
    assert at.title[0].value == "Duyệt số liệu"


def test_the_month_waits_for_review_and_approve_all_approves_every_waiting_unit(monkeypatch, demo):
    at = _app(monkeypatch, demo)
    before = _states(demo)
    waiting = [code for code, state in before.items() if state == "submitted"]
    assert waiting, "the demo's hamlets have sent November"
    hamlets = [code for code in before if code != COMMUNE]
    assert at.subheader[0].value == f"0/{len(hamlets)} thôn đã duyệt"
    table = at.dataframe[0].value
    assert set(table["Trạng thái"]) <= {"◐ Đã nộp, chờ duyệt", "○ Chưa nộp"}

    at.button(key="review_approve_all").click().run()
    assert not at.exception
    after = _states(demo)
    assert {code for code, state in after.items() if state == "approved"} == set(waiting)
    assert "Đã duyệt số liệu của" in _texts(at.success)
    approved_hamlets = sum(1 for code in hamlets if after[code] == "approved")
    assert at.subheader[0].value == f"{approved_hamlets}/{len(hamlets)} thôn đã duyệt"


def test_sending_back_needs_a_reason_and_the_reason_is_shown(monkeypatch, demo):
    at = _app(monkeypatch, demo)
    unit = at.selectbox(key="review_return_unit").value
    at.button(key="FormSubmitter:review_return-Trả lại").click().run()
    assert "Cần ghi lý do trả lại" in _texts(at.error)
    assert _states(demo)[unit] == "submitted", "nothing was written"

    at.text_area(key="review_return_reason").input("Mẫu số hộ khác tháng trước")
    at.button(key="FormSubmitter:review_return-Trả lại").click().run()
    assert _states(demo)[unit] == "returned"
    table = at.dataframe[0].value
    row = table[table["Lý do trả lại"] != ""].iloc[0]
    assert row["Lý do trả lại"] == "Mẫu số hộ khác tháng trước"
    assert row["Trạng thái"] == "↩ Trả lại"


def test_a_hamlet_head_has_no_review_page(monkeypatch, demo):
    monkeypatch.setenv("CDS_DB", str(demo))
    at = support.app_test(60, name="truong_thon_cay", role="can_bo", units=("BG01",))
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


def test_commune_staff_approve_their_hamlets(monkeypatch, demo):
    at = _app(monkeypatch, demo, name="canbo_xa_kiem_thu", role="can_bo", units=(COMMUNE,))
    unit = at.selectbox(key="review_one").value
    at.button(key="review_approve_one").click().run()
    assert _states(demo)[unit] == "approved"


def _cycle_form(at: AppTest, deadline: int, report: int, auto: int | None) -> None:
    inputs = {n.label: n for n in at.number_input}
    inputs["Hạn nộp của các đơn vị: ngày"].set_value(deadline)
    inputs["Xã báo cáo thành phố: ngày"].set_value(report)
    at.checkbox[0].set_value(auto is not None)
    if auto is not None:
        inputs["Tự khóa sau ngày"].set_value(auto)
    at.button(key="FormSubmitter:cycle_settings-Lưu lịch").click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_an_admin_sets_the_auto_close_day_and_the_month_shows_closed(monkeypatch, demo):
    at = _app(monkeypatch, demo)
    assert "tháng chỉ khóa khi phát hành báo cáo" in _texts(at.caption)
    assert not [i for i in at.info if "đã khóa" in str(i.value)], "November is open before any close"

    _cycle_form(at, 18, 20, 25)
    assert open_store(demo).settings().auto_close_day == 25
    assert "tháng tự khóa sau ngày 25" in _texts(at.success)
    # the real clock is past 25 November 2026: the month shows closed, and why
    assert "Tháng 11/2026 đã khóa tự động sau ngày 25" in _texts(at.info)


def test_the_cycle_refuses_a_close_before_the_deadline_and_writes_nothing(monkeypatch, demo):
    at = _app(monkeypatch, demo)
    _cycle_form(at, 18, 20, 10)
    assert "Ngày tự khóa (10) không được trước hạn nộp (18)" in _texts(at.error)
    _cycle_form(at, 18, 15, None)
    assert "Ngày báo cáo (15) không được trước hạn nộp của các đơn vị (18)" in _texts(at.error)
    settings = open_store(demo).settings()
    assert (settings.deadline_day, settings.report_day, settings.auto_close_day) == (18, 20, None)


def test_only_admins_change_the_cycle(monkeypatch, demo):
    at = _app(monkeypatch, demo, name="canbo_xa_kiem_thu", role="can_bo", units=(COMMUNE,))
    assert not [n for n in at.number_input if n.label == "Tự khóa sau ngày"]
    assert "Đơn vị nộp đến hết ngày 18" in _texts(at.caption)
