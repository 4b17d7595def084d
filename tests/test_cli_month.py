"""`python -m indicators month status|approve|return`: closing the month from the command line
(issue 23), through `indicators.cli.main` (exit codes 0 / 1 / 2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from indicators.domain.accounts import Actor
from indicators.storage import Store
from tests.conftest import APRIL_10, build_store
from tests.support import copy_db, db_snapshot, new_db

MARCH = "2026-03"
ON_TIME = datetime(2026, 3, 15, 9, 0)  # before the deadline of 18 March
LEADER = Actor("lanhdao", "lanh_dao")
HAMLET_OWES = 16  # the indicators a hamlet reports every month
HEADER = "ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\n"

Run = Callable[..., tuple[int, str, str]]


def _send(store: Store, run_import, unit: str, households: int, now: datetime) -> None:
    rows = [f"{MARCH},{unit},TT_HO_DUOC_HUONG_DAN,{households},100,,", f"{MARCH},{unit},TT_TIN_BAI,,,3,"]
    data = HEADER + "\n".join(rows) + "\n"
    report = run_import(store, f"{unit}_{households}.csv", data, now=now)
    assert report.ok, report.issues


@pytest.fixture(scope="module")
def month_base(tmp_path_factory: pytest.TempPathFactory, run_import) -> str:
    """Bình Giang's March, built once: BG01 approved, BG02 waiting, BG03 sent late and returned,
    BG04 approved then one figure changed (waiting again), BG05–BG07 and the commune missing."""
    db = new_db(tmp_path_factory.mktemp("month_base"), "base")
    store = build_store(db)
    try:
        for unit in ("BG01", "BG02", "BG04"):
            _send(store, run_import, unit, 40, ON_TIME)
        _send(store, run_import, "BG03", 40, APRIL_10)
        store.review_month(MARCH, ["BG01", "BG04"], "approve", LEADER)
        store.review_month(MARCH, ["BG03"], "return", LEADER, reason="Mẫu số hộ chưa đúng")
        # one of BG04's two figures changes after its approval; the batch warns that it is late
        _send(store, run_import, "BG04", 41, APRIL_10)
    finally:
        store.close()
    return db


@pytest.fixture
def db(tmp_path: Path, month_base: str) -> str:
    return copy_db(month_base, tmp_path, "cds")


@pytest.fixture
def run(cli_run: Run) -> Run:
    """`run(*argv) -> (exit code, stdout, stderr)` through `cli.main`."""
    return cli_run


def states(run: Run, db: str) -> dict[str, dict]:
    code, out, err = run("month", "status", "--period", MARCH, "--json", "--db", db)
    assert code == 0, err
    return {row["unit"]: row for row in json.loads(out)}


def line_of(out: str, code: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(f"{code}\t"))


# --- status -----------------------------------------------------------------------------------


def test_status_text_shows_each_state_and_the_tally(db: str, run: Run) -> None:
    code, out, _ = run("month", "status", "--period", MARCH, "--db", db)
    assert code == 0
    assert out.startswith("Tháng 3/2026 — duyệt số liệu, đơn vị 10966")
    approved = line_of(out, "BG01").split("\t")
    assert approved[2:5] == ["Đã duyệt", f"2/{HAMLET_OWES} số liệu", "đúng hạn"]
    assert "duyệt bởi lanhdao" in approved[5]
    assert line_of(out, "BG02").split("\t")[2:] == [
        "Đã nộp, chờ duyệt",
        f"2/{HAMLET_OWES} số liệu",
        "đúng hạn",
    ]
    returned = line_of(out, "BG03")
    assert "\tTrả lại\t" in returned and "\tnộp muộn 2 số liệu" in returned
    assert returned.endswith("\tlý do: Mẫu số hộ chưa đúng")
    changed = line_of(out, "BG04")
    assert "\tĐã nộp, chờ duyệt\t" in changed and "\tthay đổi sau khi duyệt: 1 số liệu" in changed
    assert "\tđúng hạn\t" in changed  # a correction after the deadline keeps the first arrival's timeliness
    assert line_of(out, "BG05").split("\t")[2:] == ["Chưa nộp", f"0/{HAMLET_OWES} số liệu", "–"]
    assert "thay đổi sau khi duyệt" not in line_of(out, "BG02")
    assert out.splitlines()[-1] == (
        "1/7 thôn đã duyệt (2 chờ duyệt, 1 trả lại, 3 chưa nộp); 0/1 xã đã duyệt (1 chưa nộp)"
    )


def test_status_json_gives_one_object_per_unit(db: str, run: Run) -> None:
    rows = states(run, db)
    assert list(rows) == ["BG03", "BG02", "BG07", "BG04", "BG01", "BG05", "BG06", "10966"]  # hamlets by name
    assert {row["state"] for row in rows.values()} == {"missing", "submitted", "returned", "approved"}
    assert rows["BG03"] == {
        "unit": "BG03", "name": rows["BG03"]["name"], "level": "hamlet", "state": "returned",
        "changed_since_approval": 0, "submitted": 2, "expected": HAMLET_OWES, "late": 2,
        "reason": "Mẫu số hộ chưa đúng", "reviewed_by": "lanhdao", "reviewed_at": rows["BG03"]["reviewed_at"],
    }  # fmt: skip
    assert "Bá Hợp" in rows["BG03"]["name"]
    assert datetime.fromisoformat(rows["BG03"]["reviewed_at"])
    assert rows["BG04"]["state"] == "submitted" and rows["BG04"]["changed_since_approval"] == 1
    assert rows["BG01"]["state"] == "approved" and rows["BG01"]["late"] == 0
    assert rows["BG05"] | {"name": None} == {
        "unit": "BG05", "name": None, "level": "hamlet", "state": "missing", "changed_since_approval": 0,
        "submitted": 0, "expected": HAMLET_OWES, "late": 0, "reason": "", "reviewed_by": "", "reviewed_at": None,
    }  # fmt: skip
    assert rows["10966"]["level"] == "commune" and rows["10966"]["state"] == "missing"


def test_status_below_one_unit_and_of_an_unknown_one(db: str, run: Run) -> None:
    code, out, _ = run("month", "status", "--period", MARCH, "--unit", "BG03", "--json", "--db", db)
    assert code == 0 and [row["unit"] for row in json.loads(out)] == ["BG03"]
    code, _, err = run("month", "status", "--period", MARCH, "--unit", "KHONG_CO", "--db", db)
    assert code == 2 and "KHONG_CO" in err


# --- approve ----------------------------------------------------------------------------------


def test_approve_one_unit(db: str, run: Run) -> None:
    code, out, err = run(
        "month", "approve", "--period", MARCH, "--unit", "BG02", "--user", "kiem_thu", "--db", db
    )
    assert code == 0, err
    assert out.splitlines()[-1].startswith("Đã duyệt 1 đơn vị: BG02 ")
    after = states(run, db)
    assert after["BG02"]["state"] == "approved"
    assert after["BG02"]["reviewed_by"] == "dòng lệnh: kiem_thu"
    assert after["BG04"]["state"] == "submitted", "only the unit asked for"


def test_approve_all_approves_only_the_units_waiting_and_lists_what_to_note(db: str, run: Run) -> None:
    before = states(run, db)
    code, out, err = run("month", "approve", "--period", MARCH, "--all", "--db", db)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Cần lưu ý:"
    assert any(
        line.startswith("  - BG04 ") and "1 số liệu thay đổi sau lần duyệt trước" in line for line in lines
    )
    assert any(
        line.startswith("  - BG02 ") and f"còn thiếu {HAMLET_OWES - 2}/{HAMLET_OWES}" in line
        for line in lines
    )
    batch = next(line for line in lines if line.startswith("  - lô #"))
    assert "BG04_41.csv" in batch and "số liệu của BG04" in batch and "cảnh báo khi nhập" in batch
    assert any("nộp sau hạn 18/03/2026" in line for line in lines)  # the batch's own warning text
    assert lines[-1].startswith("Đã duyệt 2 đơn vị: ") and "BG02" in lines[-1] and "BG04" in lines[-1]

    after = states(run, db)
    assert {code for code, row in after.items() if row["state"] == "approved"} == {"BG01", "BG02", "BG04"}
    assert after["BG03"]["state"] == "returned" and after["BG05"]["state"] == "missing"
    assert after["BG01"] == before["BG01"], "an approved month is not approved again"

    written = db_snapshot(db)
    code, out, _ = run("month", "approve", "--period", MARCH, "--all", "--db", db)
    assert code == 0
    assert out.strip() == "Không có đơn vị nào chờ duyệt tháng 3/2026 dưới đơn vị 10966: không ghi gì."
    assert db_snapshot(db) == written


def test_approve_dry_run_writes_nothing(db: str, run: Run) -> None:
    before = db_snapshot(db)
    code, out, _ = run("month", "approve", "--period", MARCH, "--all", "--dry-run", "--db", db)
    assert code == 0
    assert "Sẽ duyệt 2 đơn vị" in out.splitlines()[-1] and "Chưa ghi gì" in out
    code, out, _ = run("month", "approve", "--period", MARCH, "--unit", "BG05", "--dry-run", "--db", db)
    assert code == 1 and "BG05 chưa nộp số liệu" in out
    assert db_snapshot(db) == before


# --- return -----------------------------------------------------------------------------------


def test_return_with_a_reason_shows_in_the_status(db: str, run: Run) -> None:
    code, out, err = run("month", "return", "--period", MARCH, "--unit", "BG02", "--reason",
                         "  Số tin bài   chưa khớp sổ ", "--db", db)  # fmt: skip
    assert code == 0, err
    assert out.startswith("Đã trả lại số liệu tháng 3/2026 của BG02 ")
    assert out.strip().endswith("Lý do: Số tin bài chưa khớp sổ")
    code, out, _ = run("month", "status", "--period", MARCH, "--db", db)
    assert "\tTrả lại\t" in line_of(out, "BG02")
    assert line_of(out, "BG02").endswith("\tlý do: Số tin bài chưa khớp sổ")
    assert states(run, db)["BG02"]["reason"] == "Số tin bài chưa khớp sổ"


# --- refusals: exit 1, nothing written; misuse: exit 2 ----------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected", "message"),
    [
        (["return", "--unit", "BG02"], 2, "--reason"),  # argparse: the reason is required
        (["return", "--unit", "BG02", "--reason", "   "], 1, "Cần ghi lý do trả lại"),
        (["return", "--unit", "KHONG_CO", "--reason", "x"], 2, "KHONG_CO"),
        (["approve", "--unit", "KHONG_CO"], 2, "KHONG_CO"),
        (["approve", "--unit", "BG05"], 1, "BG05 chưa nộp số liệu tháng 3/2026"),
        (["approve"], 2, "--unit"),  # neither --unit nor --all
        (["approve", "--unit", "BG02", "--all"], 2, "not allowed"),
        (["status"], 2, "--period"),
        (["close"], 2, "invalid choice"),
    ],
)
def test_refusals_and_misuse_write_nothing(
    db: str, run: Run, argv: list[str], expected: int, message: str
) -> None:
    before = db_snapshot(db)
    period = ["--period", MARCH] if "--unit" in argv else []
    code, out, err = run("month", *argv, *period, "--db", db)
    assert code == expected
    assert message in err and out == ""
    assert db_snapshot(db) == before


def test_month_is_listed_after_summary_in_the_help(run: Run) -> None:
    code, out, _ = run("--help")
    assert code == 0
    assert out.index("summary") < out.index("month") < out.index("history")
    code, out, _ = run("month", "approve", "--help")
    assert code == 0 and "thoát với mã 0" in " ".join(out.split())  # nothing to approve is no failure
