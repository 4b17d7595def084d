"""Issuing the monthly report (issue 23): the views build the .docx and .xlsx once and keep them
with the figures they came from, a reissue is a new version, and the next month's report lists the
earlier months' figures changed after their report ("Điều chỉnh số liệu các tháng trước"); the
report page issues through a confirmation dialog and hands back the stored files byte for byte."""

from __future__ import annotations

import hashlib
import io
import math
from datetime import date, datetime

import pytest
from docx import Document
from openpyxl import load_workbook
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from indicators import metrics
from indicators.domain import clock
from indicators.domain.accounts import Actor
from indicators.domain.errors import PermissionDenied
from indicators.ingest import import_file
from indicators.storage import open_store
from indicators.views import common, report
from tests import support
from tests.support import ADMIN, demo_db

MARCH, APRIL, MAY = "2026-03", "2026-04", "2026-05"
COMMUNE = "10966"
LEADER = Actor("lanhdao", "lanh_dao")
STAFF = Actor("canbo_xa", "can_bo", (COMMUNE,))
HEADER = "ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\n"
REASON = "Thôn đếm sót 5 hộ"


def _csv(period: str, numerator: int, unit: str = "BG01") -> bytes:
    return (HEADER + f"{period},{unit},TT_HO_DUOC_HUONG_DAN,{numerator},100,,\n"
            f"{period},BG02,TT_TIN_BAI,,,3,\n").encode()  # fmt: skip


def _text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


@pytest.fixture
def at_time(monkeypatch):
    """`at_time(moment)`: the commune's clock reads `moment` (when a report is issued)."""
    return lambda moment: monkeypatch.setattr(clock, "now", lambda: moment)


@pytest.fixture
def months(store):
    """March and April of BG01 and BG02, received in time."""
    assert import_file(store, "t3.csv", _csv(MARCH, 40), ADMIN, now=datetime(2026, 4, 10)).ok
    assert import_file(store, "t4.csv", _csv(APRIL, 50), ADMIN, now=datetime(2026, 5, 10)).ok
    return store


def _issue(store, period: str, actor: Actor = LEADER, today: date | None = None) -> int:
    return report.issue_report(store, period, common.root_unit(store), actor, today, with_charts=False)


def test_issuing_keeps_the_files_and_the_figures_they_were_built_from(months, at_time):
    at_time(datetime(2026, 4, 20, 10, 0))
    assert _issue(months, MARCH, today=date(2026, 4, 20)) == 1
    stored = months.issued_report(MARCH, COMMUNE)
    assert stored["docx_sha256"] == hashlib.sha256(stored["docx"]).hexdigest()
    assert stored["xlsx_sha256"] == hashlib.sha256(stored["xlsx"]).hexdigest()
    text = _text(stored["docx"])
    assert "Bình Giang, ngày 20 tháng 04 năm 2026" in text and "BÁO CÁO" in text
    assert "VI. ĐIỀU CHỈNH SỐ LIỆU CÁC THÁNG TRƯỚC" in text
    assert "Không có số liệu nào của các tháng trước được điều chỉnh sau khi đã báo cáo." in text
    assert load_workbook(io.BytesIO(stored["xlsx"])).sheetnames == [
        "Chỉ tiêu", "Theo thôn", "Nộp số liệu", "Số liệu gốc", "Điều chỉnh"]  # fmt: skip

    figures = stored["figures"]
    summary = metrics.commune_summary(months, MARCH, COMMUNE)
    assert sorted(figures["indicators"]) == sorted(summary["indicator_code"])  # kept with sorted keys
    for row in summary.itertuples():
        kept = figures["indicators"][row.indicator_code]
        assert kept["status"] == row.status
        for column in ("value", "numerator", "denominator", "target", "progress"):
            expected = getattr(row, column)
            if expected is None or (isinstance(expected, float) and math.isnan(expected)):
                assert kept[column] is None, (row.indicator_code, column)
            else:
                assert kept[column] == expected, (row.indicator_code, column)
    assert figures["indicators"]["TT_HO_DUOC_HUONG_DAN"]["value"] == 40.0
    completeness = metrics.completeness(months, MARCH, COMMUNE)
    assert figures["completeness"]["units"] == len(completeness) == 8
    assert figures["completeness"]["figures_submitted"] == int(completeness["submitted"].sum()) == 2
    assert figures["completeness"]["hamlets_submitted"] == 2
    listed = report.issued_list(months, common.root_unit(months))
    assert listed[["Tháng", "Bản", "Phát hành lúc", "Ghi chú"]].values.tolist() == [
        ["Tháng 3/2026", 1, "10:00 20/04/2026", ""]]  # fmt: skip
    assert listed.iloc[0]["SHA-256 (.docx)"] == stored["docx_sha256"][:12]


def test_a_reissue_is_version_two_and_keeps_version_one(months, at_time):
    at_time(datetime(2026, 4, 20, 10, 0))
    _issue(months, MARCH)
    first = months.issued_report(MARCH, COMMUNE)
    root = common.root_unit(months)
    prompt = report.issue_prompt(months, MARCH, root)
    assert prompt.button == "Phát hành lại (báo cáo thay thế, bản 2)" and prompt.version == 2
    at_time(datetime(2026, 4, 21, 8, 30))
    assert _issue(months, MARCH, actor=ADMIN) == 2
    assert months.issued_report(MARCH, COMMUNE, version=1)["docx"] == first["docx"]
    second = months.issued_report(MARCH, COMMUNE)
    assert second["version"] == 2 and second["docx"] != first["docx"]
    assert "Báo cáo này thay thế báo cáo tháng 3/2026 (bản 1) đã phát hành lúc 10:00 20/04/2026." in _text(
        second["docx"]
    )
    assert "Báo cáo này thay thế" not in _text(first["docx"])
    listed = report.issued_list(months, root)
    assert listed[["Bản", "Ghi chú"]].values.tolist() == [
        [2, "Báo cáo thay thế bản 1"], [1, "Đã có bản thay thế (bản 2)"]]  # fmt: skip


def test_a_staff_account_cannot_issue(months):
    with pytest.raises(PermissionDenied, match="phát hành báo cáo"):
        _issue(months, MARCH, actor=STAFF)
    assert months.issued_reports().empty
    assert months.closed_months(COMMUNE) == []


def test_the_next_report_lists_a_change_made_with_a_reason_after_the_issue(months, at_time):
    at_time(datetime(2026, 4, 20, 10, 0))
    _issue(months, MARCH)
    refused = import_file(months, "sua.csv", _csv(MARCH, 45), ADMIN, now=datetime(2026, 4, 25, 9, 15))
    assert not refused.ok, "a closed month needs a reason"
    fixed = import_file(
        months, "sua.csv", _csv(MARCH, 45), ADMIN, now=datetime(2026, 4, 25, 9, 15), reason=REASON
    )
    assert fixed.ok, fixed.issues
    root = common.root_unit(months)

    context = report.report_context(months, APRIL, root, date(2026, 5, 20))
    assert context["adjustments"] == [{
        "month": "Tháng 3/2026", "unit": "Thôn Cậy",
        "indicator": "Tỷ lệ hộ gia đình được tuyên truyền, hướng dẫn trực tiếp về chuyển đổi số",
        "old": "40,0% (40/100)", "new": "45,0% (45/100)", "change": "40,0% (40/100) → 45,0% (45/100)",
        "who": ADMIN.label, "when": "09:15 25/04/2026", "reason": REASON,
        "note": f"{ADMIN.label}, 09:15 25/04/2026: {REASON}",
    }]  # fmt: skip
    assert context["adjustments_text"].startswith("Sau khi báo cáo các tháng trước đã phát hành, 1 số liệu")
    at_time(datetime(2026, 5, 20, 10, 0))
    assert _issue(months, APRIL, today=date(2026, 5, 20)) == 1
    april = months.issued_report(APRIL, COMMUNE)
    text = _text(april["docx"])
    assert "40,0% (40/100) → 45,0% (45/100)" in text and REASON in text and "Thôn Cậy" in text
    assert april["figures"]["adjustments"] == 1
    sheet = list(load_workbook(io.BytesIO(april["xlsx"]))["Điều chỉnh"].values)
    assert sheet[1][:3] == (MARCH, "BG01", "Thôn Cậy") and sheet[1][5:11] == (40, 100, 40, 45, 100, 45)
    assert sheet[1][-1] == REASON

    # told once: May's report does not repeat it, and March's own replacement lists earlier months only
    may = report.report_context(months, MAY, root, date(2026, 6, 20))
    assert may["adjustments"] == []
    assert (
        may["adjustments_text"]
        == "Không có số liệu nào của các tháng trước được điều chỉnh sau khi đã báo cáo."
    )
    assert report.report_context(months, MARCH, root, date(2026, 5, 20))["adjustments"] == []
    # a change made after April's report goes into May's
    later = import_file(
        months, "sua2.csv", _csv(MARCH, 47), ADMIN, now=datetime(2026, 5, 22), reason="Rà soát lại"
    )
    assert later.ok, later.issues
    may = report.report_context(months, MAY, root, date(2026, 6, 20))
    assert [a["change"] for a in may["adjustments"]] == ["45,0% (45/100) → 47,0% (47/100)"]
    # an April replacement lists what the first April report listed, and what changed since
    assert [a["change"] for a in report.report_context(months, APRIL, root, date(2026, 5, 23))["adjustments"]] == [
        "40,0% (40/100) → 45,0% (45/100)", "45,0% (45/100) → 47,0% (47/100)"]  # fmt: skip


# --- the page ------------------------------------------------------------------------------------


@pytest.fixture
def downloads(monkeypatch) -> list[tuple[bytes, str | None]]:
    """Every file the page hands to Streamlit's media storage: (data, file name)."""
    captured: list[tuple[bytes, str | None]] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def capture(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, bytes):
            captured.append((path_or_data, filename))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", capture)
    return captured


def _page(monkeypatch: pytest.MonkeyPatch, db: str, **account) -> AppTest:
    monkeypatch.setenv("CDS_DB", str(db))
    at = support.app_test(90, **account)
    at.run()
    at.switch_page("pages/report.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def test_a_leader_issues_through_the_dialog_and_downloads_the_stored_files(monkeypatch, tmp_path, downloads):
    db = demo_db(tmp_path)
    at = _page(monkeypatch, db, name="lanhdao", role="lanh_dao")
    assert any("chưa phát hành báo cáo tháng nào" in str(m.value) for m in at.markdown)
    next(c for c in at.checkbox if c.label == "Chèn biểu đồ vào báo cáo").uncheck()
    issue = _button(at, "issue_open")
    assert issue.label == "Phát hành báo cáo"
    issue.click()
    at.run()
    assert not at.exception
    shown = " ".join(str(m.value) for m in at.markdown)
    assert "Phát hành sẽ **khóa số liệu tháng 11/2026**" in shown
    assert open_store(db).issued_reports().empty, "nothing before the confirmation"
    _button(at, "issue_confirm").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Đã phát hành báo cáo tháng 11/2026 (bản 1)" in str(s.value) for s in at.success)

    stored = open_store(db).issued_report("2026-11", COMMUNE)
    assert stored["version"] == 1 and stored["issued_by"] == "lanhdao"
    listed = next(d.value for d in at.dataframe if "Phát hành lúc" in d.value.columns)
    assert listed[["Tháng", "Bản", "Người phát hành"]].values.tolist() == [
        ["Tháng 11/2026", 1, "Lãnh đạo xã (mẫu)"]
    ]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Báo cáo bản 1 (.docx)", "Phụ lục bản 1 (.xlsx)"]
    files = dict((name, data) for data, name in downloads)
    assert files["bao_cao_cds_2026-11_ban_1.docx"] == stored["docx"]
    assert files["bao_cao_cds_2026-11_ban_1.xlsx"] == stored["xlsx"]
    assert _button(at, "issue_open").label == "Phát hành lại (báo cáo thay thế, bản 2)"


def test_cancelling_the_dialog_issues_nothing(monkeypatch, tmp_path):
    db = demo_db(tmp_path)
    at = _page(monkeypatch, db, name="lanhdao", role="lanh_dao")
    _button(at, "issue_open").click()
    at.run()
    _button(at, "issue_cancel").click()
    at.run()
    assert not at.exception
    assert open_store(db).issued_reports().empty
    assert "issue_pending" not in at.session_state


def test_staff_see_the_issued_reports_but_no_issue_button(monkeypatch, tmp_path, downloads):
    db = demo_db(tmp_path)
    store = open_store(db)
    store.issue_report("2026-10", COMMUNE, b"PK docx v1", b"PK xlsx v1", {}, LEADER)
    at = _page(monkeypatch, db, name="canbo", role="can_bo", units=(COMMUNE,))
    assert not [b for b in at.button if b.key in ("issue_open", "issue_confirm")]
    assert not any("Phát hành báo cáo" == h.value for h in at.subheader)
    listed = next(d.value for d in at.dataframe if "Phát hành lúc" in d.value.columns)
    assert list(listed["Tháng"]) == ["Tháng 10/2026"]
    files = dict((name, data) for data, name in downloads)
    assert files["bao_cao_cds_2026-10_ban_1.docx"] == b"PK docx v1"
    assert files["bao_cao_cds_2026-10_ban_1.xlsx"] == b"PK xlsx v1"
