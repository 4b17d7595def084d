"""“Việc của tôi” and the entry form through AppTest, on a copy of the demo (issue 24), with the
commune's clock at 10:00 on 7 December 2026 (December open, its deadline the 18th)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from indicators.domain import clock, format
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
    at.text_input(key=PREFIX + "CQ_VNEID_MUC_2_numerator").set_value("2100")
    _ok(at.run())
    draft = open_store(demo).draft("thon-cay", "BG01", DECEMBER)
    assert draft is not None and draft.figures["CQ_VNEID_MUC_2"].numerator == 2100
    assert "Đã lưu nháp lúc 10:00" in _texts(at.caption)

    again = _entry()  # the tab was closed: a new session
    assert "Đã mở lại bản nháp chưa gửi" in _texts(again.info)
    assert again.text_input(key=PREFIX + "CQ_VNEID_MUC_2_numerator").value == "2.100"
    # the denominator was offered from November, and kept in the draft
    offered = draft.figures["CQ_VNEID_MUC_2"].denominator
    assert again.text_input(key=PREFIX + "CQ_VNEID_MUC_2_denominator").value == format.number(offered)


@pytest.mark.parametrize(("typed", "stored"), [("1.350", 1350), ("1350", 1350), ("1 350", 1350)])
def test_numbers_are_read_as_vietnamese_write_them(demo, typed, stored):
    """A number field turned “1.350” into 1 without a word; the form's fields read it as 1350."""
    at = _entry()
    at.text_input(key=PREFIX + "TT_TIN_BAI_value").set_value(typed)
    _ok(at.run())
    assert open_store(demo).draft("thon-cay", "BG01", DECEMBER).figures["TT_TIN_BAI"].value == stored
    assert not at.error


@pytest.mark.parametrize(("typed", "said"), [("72%", "“72%” là tỷ lệ %"), ("ba", "“ba” không phải là số"),
                                             ("1,5", "Phải là số nguyên")])  # fmt: skip
def test_what_is_not_a_count_is_refused_under_its_field(demo, typed, said):
    at = _entry()
    at.text_input(key=PREFIX + "CQ_VNEID_MUC_2_numerator").set_value(typed)
    _ok(at.run())
    assert said in _texts(at.error), _texts(at.error)
    assert at.button(key="entry_send").disabled


def test_sections_are_numbered_on_the_form_and_say_their_names_in_full(demo):
    at = _entry()
    titles = [e.label for e in at.expander]
    assert [t.split(".")[0] for t in titles] == [str(i) for i in range(1, len(titles) + 1)]
    assert not [t for t in titles if re.search(r"\b(KHCN|ĐMST|CĐS)\b", t)], titles
    labels = [t.label for t in at.text_input]
    assert "Số hộ đã được tuyên truyền, hướng dẫn trực tiếp (lũy kế, tính đến hết tháng)" in labels


def test_a_warning_says_what_to_do(demo):
    at = _entry()
    last = open_store(demo).current_submissions(periods=["2026-11"], unit_codes=["BG01"])
    news = last.set_index("indicator_code").loc["TT_TIN_BAI", "value"]
    at.text_input(key=PREFIX + "TT_TIN_BAI_value").set_value(str(int(news * 20 + 50)))
    _ok(at.run())
    assert "ghi lý do vào ô Ghi chú" in _texts(at.warning), _texts(at.warning)
    # ... and is said again at the button, by the indicator's name
    assert "1 chỉ tiêu có cảnh báo chưa ghi lý do: Số tin bài, buổi tuyên truyền về chuyển đổi số (nhóm 1)" in _texts(
        at.warning)
    assert not at.button(key="entry_send").disabled, "a warning does not block"
    # a note answers it: the field says so, the button no longer asks
    at.text_input(key=PREFIX + "TT_TIN_BAI_note").set_value("Tháng hội thi, nhiều buổi")
    _ok(at.run())
    assert "Đã có ghi chú" in _texts(at.warning) and "chưa ghi lý do" not in _texts(at.warning)


def test_an_error_is_said_under_its_field_and_blocks_sending(demo):
    at = _entry()
    denominator = int(at.text_input(key=PREFIX + "CQ_VNEID_MUC_2_denominator").value.replace(".", ""))
    at.text_input(key=PREFIX + "CQ_VNEID_MUC_2_numerator").set_value(str(denominator + 1))
    _ok(at.run())
    said = f"Số công dân đã kích hoạt VNeID mức 2 ({denominator + 1:,}) lớn hơn Số công dân từ 14 tuổi ({denominator:,})."
    assert said.replace(",", ".") in _texts(at.error), "the fields are named as their labels"
    assert at.button(key="entry_send").disabled


def test_sending_stores_the_month_and_says_what(demo):
    at = _entry()
    at.text_input(key=PREFIX + "CQ_VNEID_MUC_2_numerator").set_value("2100")
    at.text_input(key=PREFIX + "TT_TIN_BAI_value").set_value("3")
    _ok(at.run())
    assert at.button(key="entry_send").label == "Gửi phần đã nhập"
    assert "chỉ tiêu chưa nhập" in _texts(at.info)
    # VNeID's denominator is November's, not touched: sending waits for a tick that it still holds
    assert at.button(key="entry_send").disabled
    offered = open_store(demo).draft("thon-cay", "BG01", DECEMBER).figures["CQ_VNEID_MUC_2"].denominator
    assert f"Số công dân từ 14 tuổi: {format.number(offered)}." in _texts(at.caption)
    at.checkbox(key=PREFIX + "offers_checked").check()
    _ok(at.run())
    at.button(key="entry_send").click()
    _ok(at.run())
    assert "Đã gửi số liệu Tháng 12/2026 của Thôn Cậy" in _texts(at.success)
    store = open_store(demo)
    stored = store.current_submissions(periods=[DECEMBER], unit_codes=["BG01"]).set_index("indicator_code")
    assert stored.loc["CQ_VNEID_MUC_2", "numerator"] == 2100 and stored.loc["TT_TIN_BAI", "value"] == 3
    assert store.draft("thon-cay", "BG01", DECEMBER) is None
    # the form shows the month as sent, and nothing new to send until a figure changes
    assert at.text_input(key=PREFIX + "CQ_VNEID_MUC_2_numerator").value == "2.100"
    assert at.button(key="entry_send").disabled and "Các số trên đã được gửi" in _texts(at.caption)
    assert "Đã gửi số liệu Tháng 12/2026 của Thôn Cậy" in _texts(at.success), "said until the next change"
    at.text_input(key=PREFIX + "TT_TIN_BAI_value").set_value("4")
    _ok(at.run())
    assert not at.button(key="entry_send").disabled and not at.success


def test_another_hamlets_form_is_refused_and_nothing_written(demo):
    at = support.app_test(60, **HAMLET)
    at.query_params["dv"] = "BG02"
    _ok(at.run())
    at.switch_page("pages/entry.py")
    _ok(at.run())
    assert "không nhập được số liệu cho đơn vị “BG02”" in _texts(at.error)
    assert not [t for t in at.text_input if str(t.key).startswith("entry_")]
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
    assert [t for t in at.text_input if str(t.key).startswith("entry_10966_")], "the form is shown"
