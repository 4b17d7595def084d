"""Dry runs, duplicates, re-submissions as revisions, and reverting a batch."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from indicators.storage import StoreError
from indicators.views import history as history_view
from tests.support import admin, new_db

MARCH = [
    ["2026-03", "Cậy", "CQ_VNEID_MUC_2", "812", "1045", "", ""],
    ["2026-03", "Bá Thủy", "TT_TIN_BAI", "", "", "4", ""],
    ["2026-03", "Xã Bình Giang", "TC_VAN_BAN", "", "", "3", ""],
]
FIRST = datetime(2026, 3, 12, 8, 0)
SECOND = datetime(2026, 3, 15, 8, 0)


def _report_key(report):
    rows = report.rows.drop(columns=["change"], errors="ignore").reset_index(drop=True)
    return [issue.text() for issue in report.issues], rows


def test_a_summary_writes_its_counts_as_vietnamese_write_numbers():
    from indicators.domain.models import Issue
    from indicators.ingest import ImportReport

    rows = pd.DataFrame({"period": ["2026-03"] * 9128 + ["2026-04"] * 1234,
                         "change": ["unchanged"] * 9128 + ["new"] * 1234})  # fmt: skip
    report = ImportReport("xa.csv", "x", "imported", [Issue("warning", "w")] * 1001, rows, batch_id=71286)
    assert report.summary() == ("Đã nhập tệp “xa.csv” (Tháng 3/2026, Tháng 4/2026) thành lô số 71.286: "
                                "1.234 số liệu mới, 0 sửa đổi, 9.128 không đổi; 1.001 cảnh báo.")  # fmt: skip
    report.status, report.duplicate_of = "duplicate", 1500
    assert "(lô số 1.500)" in report.summary()
    report.status, report.issues = "rejected", [Issue("error", "e")] * 2000
    assert "2.000 lỗi cần sửa" in report.summary()


# --- dry run ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["long_utf8_bom.csv", "long.xlsx", "template_filled.xlsx", "errors_many.csv"]
)
def test_dry_run_gives_the_same_report_and_writes_nothing(
    name, make_store, tmp_path, fixture_bytes, run_import
):
    data = fixture_bytes(name)
    store = make_store(new_db(tmp_path, "dry"))
    before = store.content_snapshot()
    dry = run_import(store, name, data, dry_run=True)
    assert store.content_snapshot() == before
    real = run_import(store, name, data)
    assert dry.status == ("rejected" if real.status == "rejected" else "dry_run")
    assert [i.text() for i in dry.issues] == [i.text() for i in real.issues]
    pd.testing.assert_frame_equal(dry.rows.reset_index(drop=True), real.rows.reset_index(drop=True))
    assert dry.batch_id is None and dry.sha256 == real.sha256
    if real.status != "rejected":
        assert "Chưa ghi vào cơ sở dữ liệu" in dry.summary()
        assert dry.count("new") == real.count("new") > 0
    store.close()


def test_dry_run_of_a_changed_file_counts_changes_without_writing(store, run_import, make_long_csv):
    run_import(store, "t3.csv", make_long_csv(MARCH), now=FIRST)
    changed = [row[:] for row in MARCH]
    changed[1][5] = "5"
    before = store.content_snapshot()
    dry = run_import(store, "t3_sua.csv", make_long_csv(changed), now=SECOND, dry_run=True)
    assert dry.status == "dry_run"
    assert (dry.count("new"), dry.count("changed"), dry.count("unchanged")) == (0, 1, 2)
    assert store.content_snapshot() == before


# --- duplicates and unchanged files ----------------------------------------------------------
def test_same_file_again_is_a_duplicate_and_writes_nothing(file_store, fixture_bytes, run_import):
    data = fixture_bytes("long_cp1258_semicolon.csv")
    first = run_import(file_store, "t3.csv", data)
    assert first.status == "imported" and first.batch_id is not None
    before = file_store.content_snapshot()
    again = run_import(file_store, "t3 (1).csv", data, now=datetime(2026, 4, 11))
    assert again.status == "duplicate"
    assert again.duplicate_of == first.batch_id
    assert again.batch_id is None
    assert f"lô số {first.batch_id}" in again.summary()
    assert file_store.content_snapshot() == before
    assert again.ok and again.errors == []


def test_same_file_again_in_a_dry_run_is_also_a_duplicate(store, fixture_bytes, run_import):
    data = fixture_bytes("long.xlsx")
    run_import(store, "a.xlsx", data)
    assert run_import(store, "a.xlsx", data, dry_run=True).status == "duplicate"


def test_same_figures_in_other_bytes_are_unchanged_and_write_nothing(store, run_import, make_long_csv):
    run_import(store, "t3.csv", make_long_csv(MARCH), now=FIRST)
    before = store.content_snapshot()
    report = run_import(store, "t3.csv", make_long_csv(MARCH, delimiter=";"), now=SECOND)
    assert report.status == "unchanged"
    assert report.count("unchanged") == 3
    assert store.content_snapshot() == before


def test_a_reverted_file_can_be_imported_again(store, run_import, make_long_csv, figures):
    data = make_long_csv(MARCH)
    first = run_import(store, "t3.csv", data, now=FIRST)
    store.revert_batch(first.batch_id, admin("quan_tri"))
    assert figures(store) == {}
    again = run_import(store, "t3.csv", data, now=SECOND)
    assert again.status == "imported" and again.batch_id != first.batch_id
    assert len(figures(store)) == 3


# --- revisions and reverts -------------------------------------------------------------------
@pytest.fixture
def revised(store, run_import, make_long_csv):
    """March imported, then sent again with one figure changed."""
    first = run_import(store, "t3.csv", make_long_csv(MARCH), now=FIRST, user="truong_thon")
    changed = [row[:] for row in MARCH]
    changed[0][3] = "850"  # Cậy VNeID numerator 812 -> 850
    second = run_import(store, "t3_lan2.csv", make_long_csv(changed), now=SECOND, user="can_bo_xa")
    return store, first, second


def test_resubmission_adds_a_revision_and_the_latest_counts(revised, figures, make_figure):
    store, first, second = revised
    assert second.status == "imported"
    assert (second.count("new"), second.count("changed"), second.count("unchanged")) == (0, 1, 2)
    assert figures(store)[("2026-03", "BG01", "CQ_VNEID_MUC_2")] == make_figure(850, 1045)
    current = store.current_submissions(periods=["2026-03"])
    vneid = current[current["indicator_code"] == "CQ_VNEID_MUC_2"].iloc[0]
    assert vneid["batch_id"] == second.batch_id
    assert vneid["revisions"] == 2
    assert vneid["received_at"] == SECOND and vneid["first_received_at"] == FIRST
    # only the changed row was written by the second batch
    batches = store.batches().set_index("id")
    assert batches.loc[
        second.batch_id, ["rows_total", "rows_new", "rows_changed", "rows_unchanged"]
    ].tolist() == [3, 0, 1, 2]
    assert batches.loc[second.batch_id, "user_name"] == "can_bo_xa"
    assert batches.loc[second.batch_id, "file_name"] == "t3_lan2.csv"


def test_earlier_figure_stays_in_the_revisions(revised):
    store, first, second = revised
    history = store.revisions("CQ_VNEID_MUC_2", "2026-03")
    assert list(history["numerator"]) == [850.0, 812.0]  # newest first
    assert list(history["batch_id"]) == [second.batch_id, first.batch_id]
    assert list(history["user_name"]) == ["can_bo_xa", "truong_thon"]
    assert not history["reverted"].any()


def test_reverting_the_batch_restores_the_previous_value(revised, figures, make_figure):
    store, first, second = revised
    assert store.revert_batch(second.batch_id, admin("quan_tri")) == 1
    assert figures(store)[("2026-03", "BG01", "CQ_VNEID_MUC_2")] == make_figure(812, 1045)
    history = store.revisions("CQ_VNEID_MUC_2", "2026-03")
    assert list(history["reverted"]) == [True, False]  # kept, marked
    batches = store.batches().set_index("id")
    assert batches.loc[second.batch_id, "reverted_by"] == "quan_tri"
    assert pd.isna(batches.loc[first.batch_id, "reverted_at"])


def test_reverting_twice_is_a_clear_error(revised, figures):
    store, first, second = revised
    store.revert_batch(second.batch_id, admin("quan_tri"))
    before = store.content_snapshot()
    with pytest.raises(StoreError, match=f"Lô nhập số {second.batch_id} đã được hoàn tác trước đó"):
        store.revert_batch(second.batch_id, admin("quan_tri"))
    assert store.content_snapshot() == before


def test_reverting_an_unknown_batch_is_a_clear_error(store):
    with pytest.raises(StoreError, match="Không có lô nhập số 99"):
        store.revert_batch(99, admin("quan_tri"))


def test_reverting_the_first_batch_keeps_the_later_revision(revised, figures, make_figure):
    store, first, second = revised
    assert store.revert_batch(first.batch_id, admin("quan_tri")) == 3
    current = figures(store)
    assert current == {("2026-03", "BG01", "CQ_VNEID_MUC_2"): make_figure(850, 1045)}


def test_revert_effect_names_what_each_figure_falls_back_to(revised, run_import, make_long_csv):
    store, first, second = revised
    key = ["period", "unit_code", "indicator_code"]
    latest = store.revert_effect(second.batch_id).set_index(key)
    assert latest.index.tolist() == [("2026-03", "BG01", "CQ_VNEID_MUC_2")]
    row = latest.iloc[0]
    assert row["numerator"] == 850 and bool(row["is_current"]) and bool(row["has_after"])
    assert (row["after_numerator"], row["after_denominator"]) == (812, 1045)

    earliest = store.revert_effect(first.batch_id).set_index(key)
    assert len(earliest) == 3
    assert not earliest.loc[("2026-03", "BG01", "CQ_VNEID_MUC_2"), "is_current"], "replaced by the second batch"
    others = earliest.drop(index=("2026-03", "BG01", "CQ_VNEID_MUC_2"))
    assert others["is_current"].all() and not others["has_after"].any()
    assert others["after_value"].isna().all()

    # a reverted batch's figure is no fallback: the third batch falls back to the first one's
    third_rows = [row[:] for row in MARCH[:1]]
    third_rows[0][3] = "900"
    third = run_import(store, "t3_lan3.csv", make_long_csv(third_rows), now=datetime(2026, 3, 16))
    store.revert_batch(second.batch_id, admin("quan_tri"))
    after_third = store.revert_effect(third.batch_id).iloc[0]
    assert after_third["numerator"] == 900 and after_third["after_numerator"] == 812
    assert store.revert_effect(999).empty


def test_revert_preview_lists_the_changes_and_counts_the_superseded(revised):
    store, first, second = revised
    preview = history_view.revert_preview(store, first.batch_id)
    assert preview.superseded == 1
    assert list(preview.changes["Sau khi hoàn tác"]) == ["Không còn số liệu"] * 2
    assert set(preview.changes["Kỳ báo cáo"]) == {"Tháng 3/2026"}
    assert preview.summary == (f"Hoàn tác lô số {first.batch_id} sẽ thay đổi 2 số liệu; 1 số liệu khác của lô "
                               "đã được lô mới hơn thay thế nên giữ nguyên.")  # fmt: skip
    latest = history_view.revert_preview(store, second.batch_id).changes.iloc[0]
    assert latest["Hiện tại"].endswith("(850/1.045)") and latest["Sau khi hoàn tác"].endswith("(812/1.045)")
    assert latest["Đơn vị"] == "Thôn Cậy"


def test_sending_the_first_file_again_after_a_revision_is_a_new_revision(
    revised, run_import, make_long_csv, figures, make_figure
):
    store, first, second = revised
    report = run_import(store, "t3.csv", make_long_csv(MARCH), now=datetime(2026, 3, 16))
    assert report.status == "imported"  # the same bytes as batch 1, but figures differ from now
    assert report.count("changed") == 1
    assert figures(store)[("2026-03", "BG01", "CQ_VNEID_MUC_2")] == make_figure(812, 1045)
    assert len(store.revisions("CQ_VNEID_MUC_2", "2026-03")) == 3


def test_batches_limit_keeps_the_newest_that_match(store, run_import, make_long_csv):
    ids = {}
    for month in ("2026-01", "2026-02", "2026-03", "2026-04"):
        rows = [[month, *row[1:]] for row in MARCH]
        ids[month] = run_import(store, f"{month}.csv", make_long_csv(rows), now=datetime(2026, 5, 2)).batch_id
    store.revert_batch(ids["2026-03"], admin("quan_tri"))

    def listed(**filters):
        return store.batches(**filters)["id"].tolist()

    assert listed(limit=2) == [ids["2026-04"], ids["2026-03"]]
    assert listed(state="live", limit=2) == [ids["2026-04"], ids["2026-02"]], "past the reverted one"
    assert listed(state="reverted", limit=5) == [ids["2026-03"]]
    assert listed(period="2026-02", limit=1) == [ids["2026-02"]]
    assert listed(period="2025-12", limit=3) == [] and listed(limit=0) == []
    assert listed() == sorted(ids.values(), reverse=True)
    assert store.batches(limit=1)["warnings"].map(type).tolist() == [list]


def test_batches_record_the_import(store, fixture_bytes, run_import, now):
    report = run_import(store, "long.xlsx", fixture_bytes("long.xlsx"), user="can_bo_xa")
    (batch,) = store.batches().to_dict("records")
    assert batch["id"] == report.batch_id
    assert batch["sha256"] == report.sha256
    assert batch["created_at"] == now
    assert batch["periods"] == "2026-03"
    assert batch["outcome"] == "imported"
    assert batch["rows_new"] == 11 and batch["rows_total"] == 11
    assert not batch["is_demo"]
    received = store.current_submissions()["received_at"]
    assert (received == now).all()


def test_the_history_view_is_kept_and_follows_every_import_and_revert(store, run_import, make_long_csv):
    first = run_import(store, "a.csv", make_long_csv([["2026-03", "Cậy", "TT_TIN_BAI", "", "", "4", ""]]))
    view = history_view.history_view(store)
    assert (view.total, view.months, list(view.batches["id"])) == (1, ["2026-03"], [first.batch_id])
    view.batches.drop(view.batches.index, inplace=True)  # a caller that changes what it got
    assert list(history_view.history_view(store).batches["id"]) == [first.batch_id]
    second = run_import(store, "b.csv", make_long_csv([["2026-04", "Cậy", "TT_TIN_BAI", "", "", "5", ""]]))
    view = history_view.history_view(store)
    assert (view.total, view.months) == (2, ["2026-04", "2026-03"])
    store.revert_batch(second.batch_id, admin("quan_tri"))
    assert list(history_view.history_view(store, state="reverted").batches["id"]) == [second.batch_id]
    assert list(history_view.history_view(store, state="live").batches["id"]) == [first.batch_id]
