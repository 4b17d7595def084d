"""The upload page (Nộp số liệu) and a closed month (issue 23): a file changing a month whose
report was issued is refused with the store's message; with a reason typed in, it is imported as a
change after the issue and listed by `Store.late_changes`."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from indicators.domain import catalog
from indicators.domain.accounts import Actor
from indicators.storage import Store, open_store
from indicators.views import upload
from tests import support
from tests.support import demo_db, shown

NOVEMBER = "2026-11"
COMMUNE = "10966"
HEADER = "ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\n"
REFUSAL = "Tháng 11/2026 đã khóa: báo cáo tháng (bản 1) đã phát hành lúc"


def _november_count(store: Store) -> tuple[str, str, float]:
    """A hamlet's November figure of a count indicator: (unit, indicator, value)."""
    rows = store.current_submissions(periods=[NOVEMBER])
    for r in rows.sort_values(["unit_code", "indicator_code"]).itertuples():
        if (
            r.unit_code.startswith("BG")
            and catalog.indicator(r.indicator_code).kind != "ratio"
            and r.value == r.value
        ):
            return r.unit_code, r.indicator_code, float(r.value)
    raise AssertionError("the demo has no November count figure")


@pytest.fixture
def closed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[AppTest, Store, bytes, tuple]:
    """The upload page on a copy of the demo whose November report is issued, and a file changing
    one of November's figures."""
    db = demo_db(tmp_path)
    monkeypatch.setenv("CDS_DB", str(db))
    store = open_store(db)  # the app's own store: what the page writes is read here
    assert store.issue_report(NOVEMBER, COMMUNE, b"docx", b"xlsx", {}, Actor("lanhdao", "lanh_dao")) == 1
    unit, code, value = _november_count(store)
    data = (HEADER + f"{NOVEMBER},{unit},{code},,,{int(value) + 7},\n").encode("utf-8")
    at = support.app_test(60)
    at.run()
    at.switch_page("pages/upload.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at, store, data, (unit, code, value)


def _upload(at: AppTest, data: bytes) -> None:
    at.file_uploader[0].set_value(("sua_thang11.csv", data, "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _errors(at: AppTest) -> str:
    return " ".join(shown(e.value) for e in at.error)


def test_a_closed_month_is_refused_then_imported_with_a_reason(closed) -> None:
    at, store, data, (unit, code, value) = closed
    before = store.batch_count()
    _upload(at, data)
    assert REFUSAL in _errors(at)
    assert "Tệp “sua_thang11.csv” chưa được nhập." in _errors(at)
    assert at.text_input(key=next(k for k in _keys(at) if k.startswith("late_reason_"))).label == (
        upload.LATE_REASON_LABEL
    )
    assert "chỉ nhập được kèm lý do" in " ".join(str(i.value) for i in at.info)
    assert not any(b.key == "confirm_import" for b in at.button), (
        "the file is not offered to the plain import"
    )
    preview = at.dataframe[-1].value  # what the file would change is shown
    assert list(preview["Thay đổi"]) == ["Sửa đổi"]

    reason_key = next(k for k in _keys(at) if k.startswith("late_reason_"))
    at.text_input(key=reason_key).input("Thôn đếm sót 7 hộ")
    at.button(key=reason_key.replace("late_reason_", "late_import_")).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    done = " ".join(shown(s.value) for s in at.success)
    assert "Đã nhập tệp “sua_thang11.csv” (Tháng 11/2026) thành lô số" in done
    assert not at.file_uploader[0].value, "the uploader starts empty again"
    assert store.batch_count() == before + 1
    changes = store.late_changes()
    assert len(changes) == 1
    row = changes.iloc[0]
    assert (row["period"], row["unit_code"], row["indicator_code"]) == (NOVEMBER, unit, code)
    assert (row["old_value"], row["value"], row["reason"]) == (value, value + 7, "Thôn đếm sót 7 hộ")
    assert row["user_name"] == support.SIGNED_IN


def test_an_empty_reason_gets_the_stores_message_and_writes_nothing(closed) -> None:
    at, store, data, _ = closed
    before = store.content_snapshot()
    _upload(at, data)
    reason_key = next(k for k in _keys(at) if k.startswith("late_reason_"))
    at.text_input(key=reason_key).input("   ")
    at.button(key=reason_key.replace("late_reason_", "late_import_")).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Chưa nhập tệp “sua_thang11.csv”: cần ghi lý do điều chỉnh sau phát hành. " + REFUSAL in _errors(
        at
    )
    assert store.content_snapshot() == before
    assert store.late_changes().empty


def test_beside_a_good_file_the_closed_one_is_left_for_its_own_import(closed) -> None:
    at, store, data, _ = closed
    good = (HEADER + "2026-10,BG13,CQ_CHU_KY_SO,700,1800,,\n").encode("utf-8")  # Phú Khê's missing October
    at.file_uploader[0].set_value([("sua_thang11.csv", data, "text/csv"), ("tot.csv", good, "text/csv")])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    note = " ".join(str(c.value) for c in at.caption)
    assert "Sẽ nhập 1 tệp hợp lệ; 1 tệp của tháng đã khóa nhập riêng, kèm lý do" in note
    at.button(key="confirm_import").click()
    at.run()
    done = " ".join(shown(s.value) for s in at.success)
    assert "Đã nhập tệp “tot.csv”" in done and "sua_thang11.csv" not in done
    assert store.late_changes().empty


def _keys(at: AppTest) -> list[str]:
    return [t.key for t in at.text_input if t.key]


def test_a_hamlet_head_sees_why_the_commune_sent_the_month_back(monkeypatch, tmp_path):
    from datetime import datetime

    from indicators.domain import clock

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 7, 10, 0))
    db = demo_db(tmp_path)
    monkeypatch.setenv("CDS_DB", str(db))
    store = open_store(db)
    reason = "Mẫu số *hộ* khác tháng trước [xem](http://x) :red[gấp]"
    store.review_month(NOVEMBER, ["BG01", "BG02"], "return", Actor("canbo", "can_bo", units=(COMMUNE,)), reason=reason)

    at = support.app_test(60, name="thon-cay", role="can_bo", units=("BG01",))
    at.run()
    at.switch_page("pages/upload.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    notices = [w.value for w in at.warning if "bị trả lại" in str(w.value)]
    assert len(notices) == 1, notices  # BG01 only: BG02 is not this account's
    assert notices[0].startswith("Tháng 11/2026 – Thôn Cậy: số liệu bị trả lại lúc")
    # the reason is shown as typed: its Markdown escaped
    assert r"\*hộ\*" in notices[0] and r"\[xem\]\(http\://x\)" in notices[0] and r"\:red\[gấp\]" in notices[0]


def test_markdown_literal_escapes_what_markdown_would_render():
    from indicators.domain.text import markdown_literal

    assert markdown_literal("a*b_c [x](y) :red[z] $1$ # h") == r"a\*b\_c \[x\]\(y\) \:red\[z\] \$1\$ \# h"
    assert markdown_literal("Thôn Cậy 12,5") == r"Thôn Cậy 12,5"
