"""The whole monthly cycle in a real browser (issue 23), each step by the account that takes it:
the hamlet head of thôn Cậy sends November's file, the commune's staff sends it back with a reason,
the hamlet sees the reason and sends a corrected file, the commune approves every hamlet, the leader
issues November's report; a late file for November is then refused, the same file with a reason is
stored, and December's report lists the change (on the page and in the .docx)."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest

from indicators.storage import open_store
from tests.e2e.conftest import serve, warm_up
from tests.support import demo_db

pytestmark = pytest.mark.e2e

NOVEMBER, DECEMBER = "2026-11", "2026-12"
UNIT, UNIT_NAME = "BG01", "Thôn Cậy"  # the demo's hamlet account thon-cay is assigned to it
CODE = "CQ_VNEID_MUC_2"
HEADER = "ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\n"
RETURN_REASON = "Số người kích hoạt VNeID mức 2 thấp hơn tháng trước, đề nghị kiểm tra lại."
LATE_REASON = "Thôn rà soát lại danh sách, bổ sung 5 người kích hoạt."


def _csv(period: str, numerator: int, denominator: int) -> bytes:
    return (HEADER + f"{period},{UNIT},{CODE},{numerator},{denominator},,\n").encode("utf-8")


@pytest.fixture(scope="module")
def cycle_server(tmp_path_factory, browser):
    db = demo_db(tmp_path_factory.mktemp("e2e_cycle"))
    store = open_store(db)
    try:
        rows = store.current_submissions(periods=[NOVEMBER], unit_codes=[UNIT])
    finally:
        store.close()
    row = rows[rows["indicator_code"] == CODE].iloc[0]
    with serve(db, "cycle_server") as url:
        warm_up(browser, url)
        yield url, int(row["numerator"]), int(row["denominator"])


def _upload(page, settle, name: str, data: bytes) -> None:
    page.locator("input[type=file]").first.set_input_files({"name": name, "mimeType": "text/csv", "buffer": data})
    page.get_by_text(name).last.wait_for(timeout=60_000)
    settle(page)


def _send(page, settle, name: str, data: bytes) -> None:
    """Upload a file on /nop-so-lieu and confirm it; the page reports it stored."""
    _upload(page, settle, name, data)
    page.get_by_role("button", name="Nhập số liệu", exact=True).click()
    settle(page)
    assert page.get_by_text("Đã nhập xong").count() + page.locator("[data-testid=stAlertContentSuccess]").count() >= 1


def _pick(page, label: str, option: str) -> None:
    """Choose `option` in the visible selectbox labelled `label`."""
    page.locator("[data-testid=stSelectbox]:visible").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def _main_text(page) -> str:
    return page.inner_text("[data-testid=stMain]")


def test_the_month_from_the_hamlets_file_to_the_next_months_report(cycle_server, open_page, settle, screenshot):
    url, numerator, denominator = cycle_server
    first, corrected, late = (min(denominator, numerator + k) for k in (2, 3, 8))

    # 1. the hamlet head sends November's file
    hamlet = open_page(f"{url}/nop-so-lieu", 390, 844, user="thon-cay")
    _send(hamlet, settle, "thon_cay_11.csv", _csv(NOVEMBER, first, denominator))

    # 2. the commune's staff sends it back with a reason
    commune = open_page(f"{url}/duyet-so-lieu?ky={NOVEMBER}", 1366, 768, user="canbo")
    commune.get_by_role("tab", name="Trả lại").click()
    _pick(commune, "Đơn vị", UNIT_NAME)
    commune.get_by_label("Lý do trả lại (thôn sẽ thấy)").fill(RETURN_REASON)
    commune.get_by_role("button", name="Trả lại", exact=True).click()
    settle(commune)
    assert commune.get_by_text(f"Đã trả lại số liệu của {UNIT_NAME}").count() == 1

    # 3. the hamlet sees why, and sends a corrected file
    hamlet = open_page(f"{url}/nop-so-lieu", 390, 844, user="thon-cay")
    notice = hamlet.locator("[data-testid=stAlert]").filter(has_text="bị trả lại")
    assert notice.count() == 1 and RETURN_REASON in notice.inner_text(), _main_text(hamlet)
    screenshot(hamlet, "cycle_returned_390")
    _send(hamlet, settle, "thon_cay_11_sua.csv", _csv(NOVEMBER, corrected, denominator))
    hamlet = open_page(f"{url}/nop-so-lieu", 390, 844, user="thon-cay")
    assert "bị trả lại" not in _main_text(hamlet), "the notice stays after the corrected file"

    # 4. the commune approves every hamlet
    commune = open_page(f"{url}/duyet-so-lieu?ky={NOVEMBER}", 1366, 768, user="canbo")
    commune.get_by_role("button", name="Duyệt tất cả").click()
    settle(commune)
    assert commune.get_by_text("14/14 thôn đã duyệt").count() == 1, _main_text(commune)

    # 5. the leader issues November's report
    leader = open_page(f"{url}/bao-cao?ky={NOVEMBER}", 1366, 768, user="lanhdao")
    leader.get_by_text("Chèn biểu đồ vào báo cáo").click()  # no charts: seconds instead of twenty
    settle(leader)
    leader.get_by_role("button", name="Phát hành báo cáo").click()
    settle(leader)
    leader.get_by_role("dialog").get_by_role("button", name="Xác nhận phát hành").click()
    settle(leader)
    assert leader.get_by_text("Đã phát hành báo cáo tháng 11/2026 (bản 1).").count() == 1

    # 6. a late file for November is refused, then stored with a reason
    hamlet = open_page(f"{url}/nop-so-lieu", 390, 844, user="thon-cay")
    _upload(hamlet, settle, "thon_cay_11_bo_sung.csv", _csv(NOVEMBER, late, denominator))
    text = _main_text(hamlet)
    assert "Tháng 11/2026 đã khóa: báo cáo tháng (bản 1) đã phát hành lúc" in text, text
    assert hamlet.get_by_role("button", name="Nhập số liệu", exact=True).count() == 0
    screenshot(hamlet, "cycle_late_refused_390")
    hamlet.get_by_role("textbox", name="Lý do điều chỉnh sau phát hành").fill(LATE_REASON)
    hamlet.get_by_role("button", name="Nhập kèm lý do").click()
    settle(hamlet)
    assert "đã khóa" not in " ".join(hamlet.locator("[data-testid=stAlertContentError]").all_inner_texts())
    # ... and December's figures come in as usual
    _send(hamlet, settle, "thon_cay_12.csv", _csv(DECEMBER, late, denominator))

    # 7. December's report lists the change, on the page and in the document
    leader = open_page(f"{url}/bao-cao?ky={DECEMBER}", 1366, 768, user="lanhdao")
    section = leader.locator("[data-testid=stExpander]").filter(has_text="Điều chỉnh số liệu các tháng trước (1)")
    assert section.count() == 1, _main_text(leader)
    screenshot(leader, "cycle_adjustments_1366")
    leader.get_by_text("Chèn biểu đồ vào báo cáo").click()
    settle(leader)
    leader.get_by_role("button", name="Lập báo cáo").click()
    settle(leader)
    with leader.expect_download() as info:
        leader.get_by_role("button", name="Tải báo cáo (.docx)").click()
    document = docx.Document(io.BytesIO(Path(info.value.path()).read_bytes()))
    words = "\n".join(p.text for p in document.paragraphs)
    words += "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "ĐIỀU CHỈNH SỐ LIỆU CÁC THÁNG TRƯỚC" in words and "1 số liệu được điều chỉnh" in words
    assert LATE_REASON in words and "Tháng 11/2026" in words and UNIT_NAME in words
    assert not leader.js_errors, leader.js_errors
