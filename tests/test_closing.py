"""Closing the month (issue 23): issued reports kept byte for byte, a closed month refuses changes
without a reason, openings for a few days, the auto-close day."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest

from indicators.domain.accounts import Actor
from indicators.domain.errors import PermissionDenied, StoreError
from indicators.domain.settings import Settings
from tests.support import ADMIN

MARCH = "2026-03"
COMMUNE = "10966"
LEADER = Actor("lanhdao", "lanh_dao")
STAFF = Actor("canbo_xa", "can_bo", (COMMUNE,))
DOCX, XLSX = b"PK\x03\x04 bao cao \x00\xff", b"PK\x03\x04 phu luc \x00\x01"


def _csv(unit: str, value: int) -> str:
    return (
        "ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\n"
        f"{MARCH},{unit},TT_HO_DUOC_HUONG_DAN,{value},100,,\n"
    )


def _current(store, unit: str) -> float:
    rows = store.current_submissions(periods=[MARCH])
    return float(rows[(rows["unit_code"] == unit) & (rows["indicator_code"] == "TT_HO_DUOC_HUONG_DAN")]["numerator"].iloc[0])


@pytest.fixture
def issued(store, run_import):
    """March with figures of BG01 and BG02, its report issued by a leader."""
    for unit in ("BG01", "BG02"):
        assert run_import(store, f"{unit}.csv", _csv(unit, 40)).ok
    version = store.issue_report(MARCH, COMMUNE, DOCX, XLSX, {"TT_HO_DUOC_HUONG_DAN": 40.0}, LEADER)
    assert version == 1
    return store


def test_an_issued_report_downloads_byte_identical_and_a_reissue_keeps_version_one(issued):
    first = issued.issued_report(MARCH, COMMUNE)
    assert (first["docx"], first["xlsx"]) == (DOCX, XLSX)
    assert first["docx_sha256"] == hashlib.sha256(DOCX).hexdigest()
    assert first["figures"] == {"TT_HO_DUOC_HUONG_DAN": 40.0}
    assert issued.issue_report(MARCH, COMMUNE, b"v2 docx", b"v2 xlsx", {}, ADMIN) == 2
    assert issued.issued_report(MARCH, COMMUNE)["docx"] == b"v2 docx"
    assert issued.issued_report(MARCH, COMMUNE, version=1)["docx"] == DOCX
    listed = issued.issued_reports(MARCH)
    assert list(listed["version"]) == [2, 1]
    assert {"report_issue"} <= set(issued.audit_log(ADMIN)["action"])


def test_only_leaders_and_admins_issue(store):
    with pytest.raises(PermissionDenied):
        store.issue_report(MARCH, COMMUNE, DOCX, XLSX, {}, STAFF)
    assert store.issued_reports().empty


def test_a_closed_month_refuses_new_figures_and_names_the_report(issued, run_import):
    batches = issued.batch_count()
    report = run_import(issued, "muon.csv", _csv("BG01", 45), now=datetime(2026, 4, 25))
    assert not report.ok
    text = " ".join(i.message for i in report.errors)
    assert "Tháng 3/2026 đã khóa: báo cáo tháng (bản 1) đã phát hành" in text
    assert "nhập lại kèm lý do" in text and "mở bổ sung" in text
    assert issued.batch_count() == batches, "nothing was written"
    assert _current(issued, "BG01") == 40
    with pytest.raises(StoreError, match="đã khóa"):  # the store refuses too, whoever calls it
        issued.insert_batch({"file_name": "x", "sha256": "0", "created_at": datetime(2026, 4, 25),
                             "periods": [MARCH], "rows_total": 1, "rows_new": 0, "rows_changed": 1,
                             "rows_unchanged": 0, "warnings": [], "outcome": "imported"},
                            report.rows.assign(received_at=datetime(2026, 4, 25)), ADMIN)  # fmt: skip


def test_with_a_reason_the_change_is_stored_and_listed_old_to_new(issued, run_import):
    from indicators.ingest import import_file

    report = import_file(issued, "dieu_chinh.csv", _csv("BG01", 45).encode(), ADMIN,
                         now=datetime(2026, 4, 25), reason="Thôn đếm sót 5 hộ")  # fmt: skip
    assert report.ok, report.issues
    assert any("Điều chỉnh sau phát hành" in w.message for w in report.warnings)
    assert _current(issued, "BG01") == 45
    changes = issued.late_changes()
    assert len(changes) == 1
    row = changes.iloc[0]
    assert (row["unit_code"], row["old_numerator"], row["numerator"], row["reason"]) == ("BG01", 40, 45, "Thôn đếm sót 5 hộ")


def test_an_opening_lets_one_hamlet_change_its_month_for_a_few_days(issued, run_import):
    with pytest.raises(StoreError, match="lý do"):
        issued.open_month(MARCH, "BG01", 3, "  ", LEADER)
    with pytest.raises(PermissionDenied):
        issued.open_month(MARCH, "BG01", 3, "Sửa sai sót", STAFF)
    issued.open_month(MARCH, "BG01", 3, "Thôn báo sai mẫu số", LEADER)
    assert run_import(issued, "bg01.csv", _csv("BG01", 47), now=datetime(2026, 4, 25)).ok
    assert not run_import(issued, "bg02.csv", _csv("BG02", 47), now=datetime(2026, 4, 25)).ok
    assert issued.late_changes().empty, "an opened month needs no reason"


def test_months_close_automatically_after_the_set_day_only_when_asked(store, run_import):
    assert run_import(store, "a.csv", _csv("BG01", 40), now=datetime(2026, 4, 25)).ok  # off by default
    store.save_settings(Settings(auto_close_day=25), ADMIN)
    assert run_import(store, "b.csv", _csv("BG01", 41), now=datetime(2026, 3, 25, 23, 0)).ok
    refused = run_import(store, "c.csv", _csv("BG01", 42), now=datetime(2026, 3, 26, 0, 1))
    assert "đã khóa tự động sau ngày 25" in " ".join(i.message for i in refused.errors)


def test_an_adjustment_after_the_issue_is_marked_where_its_figure_is_shown(issued):
    from indicators.domain import catalog
    from indicators.ingest import import_file
    from indicators.views import indicator

    assert import_file(issued, "dc.csv", _csv("BG01", 45).encode(), ADMIN, reason="Đếm sót 5 hộ").ok
    item = catalog.indicator("TT_HO_DUOC_HUONG_DAN")
    rows = indicator.revision_rows(issued.revisions(item.code), item, {"BG01": "Thôn Cậy", "BG02": "Thôn Bá Thủy"})
    marked = rows[rows["Tình trạng"].str.contains("điều chỉnh sau phát hành")]
    assert list(marked["Đơn vị"]) == ["Thôn Cậy"]
    assert "Lý do điều chỉnh: Đếm sót 5 hộ" in marked.iloc[0]["Ghi chú"]
    assert len(rows) == 3 and len(marked) == 1, "the figures sent before the issue carry no mark"
