"""The review of a unit's month: chưa nộp → đã nộp → đã duyệt or trả lại → đã nộp (issue 23)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from indicators import metrics
from indicators.domain.accounts import Actor
from indicators.domain.errors import PermissionDenied, StoreError
from indicators.domain.review import Review, month_state
from tests.support import ADMIN, new_db

ROOT = Path(__file__).resolve().parent.parent
MARCH = "2026-03"
STAFF = Actor("canbo_xa", "can_bo", ("10966",))
HAMLET_HEAD = Actor("thon_cay", "can_bo", ("BG01",))
LEADER = Actor("lanhdao", "lanh_dao")


def _send(run_import, store, unit: str, value: int, now: datetime = datetime(2026, 4, 10, 9, 0)):
    rows = [(MARCH, unit, "TT_HO_DUOC_HUONG_DAN", value, 100, "", ""), (MARCH, unit, "TT_TIN_BAI", "", "", 3, "")]
    data = "ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\n" + "\n".join(
        ",".join(str(c) for c in row) for row in rows
    )
    report = run_import(store, f"{unit}_{value}.csv", data, now=now)
    assert report.ok, report.issues
    return report


def _states(store, period: str = MARCH) -> dict[str, str]:
    table = metrics.month_review(store, period, "10966")
    return dict(zip(table["unit_code"], table["state"]))


# --- the rule ---------------------------------------------------------------------------------


def test_the_state_follows_figures_and_the_latest_review():
    at = datetime(2026, 4, 20, 9, 0)
    approved, returned = Review("approve", 5, at, "x"), Review("return", 5, at, "x", "sai mẫu số")
    assert month_state(0, None, None) == "missing"
    assert month_state(0, None, approved) == "missing"  # every figure reverted: nothing to approve
    assert month_state(3, 5, None) == "submitted"
    assert month_state(3, 5, approved) == "approved"
    assert month_state(3, 5, returned) == "returned"
    assert month_state(3, 6, approved) == "submitted"  # new figures after the approval
    assert month_state(3, 6, returned) == "submitted"  # the hamlet sent again
    assert month_state(3, 4, approved, last_revert=datetime(2026, 4, 21)) == "submitted"
    assert month_state(3, 5, approved, last_revert=datetime(2026, 4, 19)) == "approved"


# --- the store --------------------------------------------------------------------------------


def test_a_month_is_sent_back_with_a_reason_resubmitted_and_approved(store, run_import):
    assert set(_states(store).values()) == {"missing"}
    _send(run_import, store, "BG01", 40)
    assert _states(store)["BG01"] == "submitted"
    assert _states(store)["BG02"] == "missing"

    store.review_month(MARCH, ["BG01"], "return", STAFF, reason="  Mẫu số   hộ chưa đúng ")
    table = metrics.month_review(store, MARCH, "10966").set_index("unit_code")
    assert table.loc["BG01", "state"] == "returned"
    assert table.loc["BG01", "reason"] == "Mẫu số hộ chưa đúng"
    assert table.loc["BG01", "reviewed_by"] == STAFF.label

    _send(run_import, store, "BG01", 45)
    assert _states(store)["BG01"] == "submitted"
    store.review_month(MARCH, ["BG01"], "approve", LEADER)
    assert _states(store)["BG01"] == "approved"
    assert metrics.state_counts(metrics.month_review(store, MARCH, "10966"))["approved"] == 1


def test_new_figures_after_approval_count_what_changed(store, run_import):
    _send(run_import, store, "BG01", 40)
    store.review_month(MARCH, ["BG01"], "approve", STAFF)
    _send(run_import, store, "BG01", 41)  # one of the two figures changes
    table = metrics.month_review(store, MARCH, "10966").set_index("unit_code")
    assert table.loc["BG01", "state"] == "submitted"
    assert table.loc["BG01", "changed_since_approval"] == 1


def test_a_revert_after_approval_asks_for_a_new_look(store, run_import):
    _send(run_import, store, "BG01", 40)
    second = _send(run_import, store, "BG01", 41)
    store.review_month(MARCH, ["BG01"], "approve", STAFF)
    store.revert_batch(second.batch_id, ADMIN)
    assert _states(store)["BG01"] == "submitted"


def test_reviews_are_refused_without_figures_reason_or_right(store, run_import):
    _send(run_import, store, "BG01", 40)
    with pytest.raises(StoreError, match="BG02 chưa nộp số liệu tháng 3/2026"):
        store.review_month(MARCH, ["BG01", "BG02"], "approve", STAFF)
    with pytest.raises(StoreError, match="Cần ghi lý do trả lại"):
        store.review_month(MARCH, ["BG01"], "return", STAFF, reason="   ")
    with pytest.raises(PermissionDenied, match="không được duyệt số liệu của đơn vị BG01"):
        store.review_month(MARCH, ["BG01"], "approve", HAMLET_HEAD)  # a hamlet head never approves
    with pytest.raises(PermissionDenied):
        store.review_month(MARCH, ["BG01"], "approve", Actor("khach", "khach", kind="public"))
    assert _states(store)["BG01"] == "submitted", "nothing was written"
    assert store.month_reviews(MARCH).empty


def test_every_review_is_in_the_audit_log(store, run_import):
    _send(run_import, store, "BG01", 40)
    _send(run_import, store, "BG02", 40)
    store.review_month(MARCH, ["BG01", "BG02"], "approve", LEADER)
    store.review_month(MARCH, ["BG02"], "return", STAFF, reason="Thiếu ghi chú")
    log = store.audit_log(ADMIN)
    reviews = log[log["action"].str.startswith("month_")]
    assert list(reviews["action"]) == ["month_return", "month_approve", "month_approve"]
    assert "Thiếu ghi chú" in reviews.iloc[0]["after"]
    assert set(reviews["object"]) == {"BG01 tháng 2026-03", "BG02 tháng 2026-03"}


def test_an_approval_and_an_import_racing_leave_a_consistent_state(tmp_path, make_store, run_import):
    """Two processes: one imports new figures for BG01 while the other approves BG01's month.
    Whichever lands second, the state tells the truth: approved only if the approval saw the
    newest figures."""
    db = new_db(tmp_path)
    store = make_store(db)
    _send(run_import, store, "BG01", 40)
    store.close()
    script = textwrap.dedent(
        """
        import sys
        from datetime import datetime
        from indicators.domain.accounts import Actor
        from indicators.ingest import import_file
        from indicators.storage import Store
        store = Store(sys.argv[1])
        if sys.argv[2] == "import":
            data = ("ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\\n"
                    "2026-03,BG01,TT_HO_DUOC_HUONG_DAN,55,100,,\\n").encode()
            report = import_file(store, "moi.csv", data, Actor("nhap", "quan_tri"), now=datetime(2026, 4, 11))
            assert report.ok, report.issues
        else:
            store.review_month("2026-03", ["BG01"], "approve", Actor("lanhdao", "lanh_dao"))
        store.close()
        """
    )
    if str(db).startswith("postgresql"):
        children = [subprocess.Popen([sys.executable, "-c", script, str(db), what], cwd=ROOT)
                    for what in ("import", "approve")]  # fmt: skip
        assert [child.wait(timeout=120) for child in children] == [0, 0]
    else:  # one DuckDB file has one writer process at a time: the two run one after the other
        for what in ("import", "approve"):
            subprocess.run([sys.executable, "-c", script, str(db), what], cwd=ROOT, check=True, timeout=120)
    store = make_store(db)
    review = store.month_reviews(MARCH).iloc[0]
    figures = store.month_figures(MARCH).set_index("unit_code").loc["BG01"]
    state = _states(store)["BG01"]
    if int(review["batch_mark"]) == int(figures["last_batch"]):
        assert state == "approved"  # the approval saw the new figures
    else:
        assert state == "submitted" and figures["changed"] == 1
    store.close()
