"""“Việc của tôi” and the entry form through AppTest, on a copy of the demo (issue 24), with the
commune's clock at 10:00 on 7 December 2026 (December open, its deadline the 18th)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from indicators.domain import clock
from indicators.storage import open_store
from tests import support
from tests.support import demo_db

DECEMBER = "2026-12"
HAMLET = {"name": "thon-cay", "role": "can_bo", "units": ("BG01",)}
PREFIX = f"entry_BG01_{DECEMBER}_"


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 7, 10, 0))
    db = demo_db(tmp_path)
    monkeypatch.setenv("CDS_DB", str(db))
    return db


def _texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _entry(**account) -> AppTest:
    at = support.app_test(60, **(account or HAMLET))
    at.query_params["dv"] = "BG01"
    at.query_params["ky"] = DECEMBER
    _ok(at.run())
    at.switch_page("pages/entry.py")
    return _ok(at.run())


def test_a_hamlet_head_lands_on_my_work_with_one_button_for_this_month(demo):
    at = _ok(support.app_test(60, **HAMLET).run())
    assert at.title[0].value == "Việc của tôi"
    assert "○ Chưa nhập" in _texts(at.markdown) and "còn 11 ngày" in _texts(at.markdown)
    assert [b.label for b in at.button if b.key == "my_work_BG01"] == ["Nhập số liệu Tháng 12/2026"]
    assert "T11 ◐" in _texts(at.caption), "November was sent by the demo and waits for review"


def test_commune_staff_see_every_hamlet_and_filter_them(demo):
    at = _ok(support.app_test(60, name="canbo", role="can_bo", units=("10966",)).run())
    at.switch_page("pages/my_work.py")
    _ok(at.run())
    assert "15 đơn vị: 15 chưa nhập" in _texts(at.caption)  # 14 hamlets and the commune itself
    assert len([b for b in at.button if b.key.startswith("my_work_")]) == 15
    at.segmented_control(key="my_work_filter").set_value("done")
    _ok(at.run())
    assert "Không có đơn vị nào ở mục này." in _texts(at.markdown)


def test_typing_keeps_a_draft_that_a_new_session_restores(demo):
    at = _entry()
    assert at.title[0].value == "Nhập số liệu"
    at.number_input(key=PREFIX + "CQ_VNEID_MUC_2_numerator").set_value(2100)
    _ok(at.run())
    draft = open_store(demo).draft("thon-cay", "BG01", DECEMBER)
    assert draft is not None and draft.figures["CQ_VNEID_MUC_2"].numerator == 2100
    assert "Đã lưu nháp lúc 10:00" in _texts(at.caption)

    again = _entry()  # the tab was closed: a new session
    assert "Đã mở lại bản nháp chưa gửi" in _texts(again.info)
    assert again.number_input(key=PREFIX + "CQ_VNEID_MUC_2_numerator").value == 2100
    # the denominator was offered from November, and kept in the draft
    assert again.number_input(key=PREFIX + "CQ_VNEID_MUC_2_denominator").value == draft.figures[
        "CQ_VNEID_MUC_2"].denominator


def test_an_error_is_said_under_its_field_and_blocks_sending(demo):
    at = _entry()
    denominator = at.number_input(key=PREFIX + "CQ_VNEID_MUC_2_denominator").value
    at.number_input(key=PREFIX + "CQ_VNEID_MUC_2_numerator").set_value(denominator + 1)
    _ok(at.run())
    assert f"Tử số ({denominator + 1:,}) lớn hơn mẫu số ({denominator:,}).".replace(",", ".") in _texts(at.error)
    assert at.button(key="entry_send").disabled


def test_sending_stores_the_month_and_says_what(demo):
    at = _entry()
    at.number_input(key=PREFIX + "CQ_VNEID_MUC_2_numerator").set_value(2100)
    at.number_input(key=PREFIX + "TT_TIN_BAI_value").set_value(3)
    _ok(at.run())
    assert at.button(key="entry_send").label == "Gửi phần đã nhập"
    assert "Còn 24/26 chỉ tiêu chưa nhập" in _texts(at.warning) or "chỉ tiêu chưa nhập" in _texts(at.warning)
    at.button(key="entry_send").click()
    _ok(at.run())
    assert "Đã gửi số liệu Tháng 12/2026 của Thôn Cậy" in _texts(at.success)
    store = open_store(demo)
    stored = store.current_submissions(periods=[DECEMBER], unit_codes=["BG01"]).set_index("indicator_code")
    assert stored.loc["CQ_VNEID_MUC_2", "numerator"] == 2100 and stored.loc["TT_TIN_BAI", "value"] == 3
    assert store.draft("thon-cay", "BG01", DECEMBER) is None
    # the form shows the month as sent
    assert at.number_input(key=PREFIX + "CQ_VNEID_MUC_2_numerator").value == 2100


def test_another_hamlets_form_is_refused_and_nothing_written(demo):
    at = support.app_test(60, **HAMLET)
    at.query_params["dv"] = "BG02"
    _ok(at.run())
    at.switch_page("pages/entry.py")
    _ok(at.run())
    assert "không nhập được số liệu cho đơn vị “BG02”" in _texts(at.error)
    assert not at.number_input
    assert open_store(demo).drafts("thon-cay") == []


def test_an_empty_form_says_no_error_and_offers_nothing_to_send(demo):
    at = _entry()
    assert not at.error, [e.value for e in at.error]
    assert at.button(key="entry_send").disabled
    assert not [w for w in at.warning if "chưa nhập" in str(w.value)]


def test_a_link_with_the_communes_old_code_opens_its_form(demo):
    """?dv=01310 (Bình Giang before the official codes) opens the form of 10966, not a refusal."""
    at = support.app_test(60, name="canbo", role="can_bo", units=("10966",))
    at.query_params["dv"] = "01310"
    at.query_params["ky"] = DECEMBER
    _ok(at.run())
    at.switch_page("pages/entry.py")
    _ok(at.run())
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="url_dv").value == "10966" and at.query_params["dv"] == "10966"
    assert at.number_input, "the form is shown"
