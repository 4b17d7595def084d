"""The entry form's core (issue 24): drafts per account, unit and month; the form's figures checked
by the import's own rules and sent as one batch through the import's path (both stores)."""

from __future__ import annotations

from datetime import datetime

import pytest

from indicators.domain import catalog
from indicators.domain.accounts import Actor
from indicators.domain.entry import EntryFigure, entry_file_name, is_entry
from indicators.domain.errors import PermissionDenied, StoreError
from indicators.ingest.demo import load_demo
from indicators.ingest.entry import entry_table, import_entry
from indicators.storage import Store
from tests.support import ADMIN, DEMO_TODAY

HAMLET = Actor("thon-cay", "can_bo", units=("BG01",))
DECEMBER, NOVEMBER = "2026-12", "2026-11"
NOW = datetime(2026, 12, 7, 10, 32)


@pytest.fixture
def demo(make_store) -> Store:
    store = make_store()
    load_demo(store, ADMIN, today=DEMO_TODAY)
    return store


def _november(store: Store, code: str) -> tuple[float, float]:
    rows = store.current_submissions(periods=[NOVEMBER], unit_codes=["BG01"])
    row = rows[rows["indicator_code"] == code].iloc[0]
    return float(row["numerator"]), float(row["denominator"])


def test_a_draft_is_kept_per_account_unit_and_month_and_replaced(demo):
    first = {"CQ_VNEID_MUC_2": EntryFigure(numerator=5, denominator=9, note="đếm lại")}
    demo.save_draft(HAMLET, "BG01", DECEMBER, first, now=NOW)
    second = {**first, "TT_TIN_BAI": EntryFigure(value=4)}
    demo.save_draft(HAMLET, "BG01", DECEMBER, second, now=NOW.replace(minute=40))
    draft = demo.draft("thon-cay", "BG01", DECEMBER)
    assert draft.figures == second and draft.saved_at == NOW.replace(minute=40)
    assert draft.saved_text == "Đã lưu nháp lúc 10:40 07/12/2026" and draft.filled() == 2
    assert demo.draft("canbo", "BG01", DECEMBER) is None, "another account's draft is its own"
    assert demo.draft("thon-cay", "BG01", NOVEMBER) is None
    assert [d.period for d in demo.drafts("thon-cay")] == [DECEMBER]
    assert demo.discard_draft("thon-cay", "BG01", DECEMBER) and demo.draft("thon-cay", "BG01", DECEMBER) is None


def test_a_draft_counts_nowhere(demo):
    before = demo.data_version()
    demo.save_draft(HAMLET, "BG01", DECEMBER, {"TT_TIN_BAI": EntryFigure(value=4)}, now=NOW)
    assert demo.current_submissions(periods=[DECEMBER]).empty
    assert demo.data_version() == before


def test_a_draft_for_another_units_month_is_refused_and_nothing_written(demo):
    with pytest.raises(PermissionDenied, match="không được giao nhập số liệu cho đơn vị BG02"):
        demo.save_draft(HAMLET, "BG02", DECEMBER, {"TT_TIN_BAI": EntryFigure(value=4)}, now=NOW)
    with pytest.raises(StoreError, match="Không có đơn vị mã “XX99”"):
        demo.save_draft(ADMIN, "XX99", DECEMBER, {}, now=NOW)
    with pytest.raises(PermissionDenied):
        demo.save_draft(Actor("lanhdao", "lanh_dao"), "BG01", DECEMBER, {}, now=NOW)
    assert demo.drafts("thon-cay") == [] and demo.drafts("lanhdao") == []


def test_the_table_holds_only_what_was_typed_in_the_catalogs_order():
    figures = {
        "CQ_VNEID_MUC_2": EntryFigure(numerator=5, denominator=9),
        "HT_CAP_QUANG": EntryFigure(denominator=400),  # offered from last month, nothing typed: no answer
        "HT_PHU_SONG_5G": EntryFigure(numerator=1),
        "TT_TIN_BAI": EntryFigure(value=4, note="họp thôn"),
    }
    sheet, codes = entry_table(DECEMBER, "BG01", figures)
    order = [item.code for item in catalog.indicators()]
    assert codes == sorted(["CQ_VNEID_MUC_2", "HT_PHU_SONG_5G", "TT_TIN_BAI"], key=order.index)
    rows = {row[2]: row for row in sheet.rows[1:]}
    assert rows["HT_PHU_SONG_5G"][3:6] == [1, 1, None], "a yes answer is 1 over 1, as in the template"
    assert rows["TT_TIN_BAI"][5:] == [4, "họp thôn"]


def test_checks_place_each_error_on_its_field_and_write_nothing(demo):
    numerator, denominator = _november(demo, "CQ_VNEID_MUC_2")
    figures = {
        "CQ_VNEID_MUC_2": EntryFigure(numerator=denominator + 1, denominator=denominator),
        "TT_TIN_BAI": EntryFigure(value=2.5),
        "HT_CAP_QUANG": EntryFigure(numerator=3, denominator=None),
    }
    checked = import_entry(demo, "BG01", "Thôn Cậy", DECEMBER, figures, HAMLET, dry_run=True, now=NOW)
    assert checked.report.status == "rejected"
    assert [i.message for i in checked.issues_of("CQ_VNEID_MUC_2", "numerator")] == [
        f"Tử số ({denominator + 1:,.0f}) lớn hơn mẫu số ({denominator:,.0f}).".replace(",", ".")
    ]
    assert checked.issues_of("TT_TIN_BAI", "value")[0].message == "Phải là số nguyên, không phải 2,50."
    assert "cần cả tử số và mẫu số" in checked.issues_of("HT_CAP_QUANG", "denominator")[0].message
    assert demo.current_submissions(periods=[DECEMBER]).empty


def test_warnings_name_both_values_and_do_not_block(demo):
    numerator, denominator = _november(demo, "CQ_VNEID_MUC_2")
    figures = {"CQ_VNEID_MUC_2": EntryFigure(numerator=numerator - 10, denominator=denominator)}
    checked = import_entry(demo, "BG01", "Thôn Cậy", DECEMBER, figures, HAMLET, dry_run=True, now=NOW)
    assert checked.report.status == "dry_run" and not checked.errors
    said = " ".join(i.message for i in checked.issues_of("CQ_VNEID_MUC_2"))
    assert "giảm so với tháng trước" in said and f"{numerator - 10:,.0f}".replace(",", ".") in said


def test_sending_writes_one_batch_named_as_an_entry_and_drops_the_draft(demo):
    numerator, denominator = _november(demo, "CQ_VNEID_MUC_2")
    figures = {"CQ_VNEID_MUC_2": EntryFigure(numerator=numerator + 3, denominator=denominator),
               "TT_TIN_BAI": EntryFigure(value=4, note="họp thôn")}  # fmt: skip
    demo.save_draft(HAMLET, "BG01", DECEMBER, figures, now=NOW)
    sent = import_entry(demo, "BG01", "Thôn Cậy", DECEMBER, figures, HAMLET, now=NOW)
    assert sent.report.status == "imported"
    batch = demo.batches(batch_id=sent.report.batch_id).iloc[0]
    assert batch["file_name"] == entry_file_name("Thôn Cậy", DECEMBER) == "Nhập trực tiếp – Thôn Cậy – Tháng 12/2026"
    assert is_entry(batch["file_name"]) and batch["user_name"] == "thon-cay"
    stored = demo.current_submissions(periods=[DECEMBER], unit_codes=["BG01"]).set_index("indicator_code")
    assert stored.loc["CQ_VNEID_MUC_2", "numerator"] == numerator + 3 and stored.loc["TT_TIN_BAI", "value"] == 4
    assert demo.draft("thon-cay", "BG01", DECEMBER) is None
    # revertible like any batch
    demo.revert_batch(sent.report.batch_id, ADMIN)
    assert demo.current_submissions(periods=[DECEMBER], unit_codes=["BG01"]).empty


def test_an_entry_for_a_unit_not_assigned_is_refused_on_its_row(demo):
    sent = import_entry(demo, "BG02", "Thôn Bá Thủy", DECEMBER, {"TT_TIN_BAI": EntryFigure(value=4)}, HAMLET, now=NOW)
    assert sent.report.status == "rejected" and sent.errors
    assert demo.current_submissions(periods=[DECEMBER]).empty


def test_nothing_typed_is_nothing_to_send(demo):
    sent = import_entry(demo, "BG01", "Thôn Cậy", DECEMBER, {"HT_CAP_QUANG": EntryFigure(denominator=9)}, HAMLET, now=NOW)
    assert sent.report.status == "rejected" and "Chưa nhập chỉ tiêu nào" in sent.general[0].message


def test_a_sent_warning_names_the_indicator_and_field_not_a_row(demo):
    """A form has no rows: the history says which indicator and field a warning is about."""
    numerator, denominator = _november(demo, "CQ_VNEID_MUC_2")
    figures = {"TT_TIN_BAI": EntryFigure(value=4),
               "CQ_VNEID_MUC_2": EntryFigure(numerator=numerator - 10, denominator=denominator)}  # fmt: skip
    sent = import_entry(demo, "BG01", "Thôn Cậy", DECEMBER, figures, HAMLET, now=NOW)
    kept = demo.batches(batch_id=sent.report.batch_id).iloc[0]["warnings"]
    vneid = catalog.indicator("CQ_VNEID_MUC_2").name_vi
    assert kept and all("dòng" not in text for text in kept), kept
    assert any(text.startswith(f"Cảnh báo ({vneid}") and "giảm so với tháng trước" in text
               for text in kept), kept  # fmt: skip
