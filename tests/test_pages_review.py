"""The review page (Duyệt số liệu) through AppTest, on a copy of the demo database (issue 23)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from indicators import metrics
from indicators.storage import open_store
from tests import support
from tests.support import demo_db, empty_db

PAGE = "pages/review.py"
NOVEMBER = "2026-11"
COMMUNE = "01310"


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
    return " ".join(str(e.value) for e in elements)


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
