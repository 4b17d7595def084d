"""The task register ("5 rõ"): seed list, rules, overdue and due dates, CSV round trip, storage."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pandas as pd
import pytest
from pydantic import ValidationError

from indicators.cli import main
from indicators.domain import catalog, tasks
from indicators.ingest import tasks_file
from indicators.storage import Store
from tests.support import admin, memory_store, new_db

NO_NOTES = pd.DataFrame(columns=["code", "period", "note", "author", "created_at"])


def one_off(**changes) -> tasks.Task:
    base = dict(code="T1", task_group=2, title="Ban hành kế hoạch năm", unit="Phòng Văn hóa - Xã hội",
                person="Trưởng phòng", expected_result="Kế hoạch được ban hành", deadline=date(2026, 3, 31))  # fmt: skip
    return tasks.Task(**{**base, **changes})


def monthly(**changes) -> tasks.Task:
    return one_off(**{"code": "M1", "deadline": None, "recurrence_day": 18, **changes})


def notes(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["code", "period", "note", "author", "created_at"])


def test_a_new_database_starts_with_the_plans_tasks():
    store = memory_store()
    register = store.tasks()
    assert 30 <= len(register) <= 40
    assert {t.task_group for t in register} == {g.number for g in catalog.task_groups()}
    assert len({t.code for t in register}) == len(register)
    # the duties of section III: the 18th and the 20th
    days = {t.code: t.recurrence_day for t in register}
    assert days["TH1"] == 18 and days["TH2"] == 20
    assert all(t.status == "not_started" and t.unit and t.expected_result for t in register)


@pytest.mark.parametrize(
    "changes, column",
    [
        ({"deadline": None}, "han"),  # neither deadline nor recurrence
        ({"recurrence_day": 18}, "han"),  # both
        ({"status": "cancelled"}, "ly_do_huy"),  # cancelled without a reason
        ({"status": "done"}, "ngay_hoan_thanh"),  # done without a date
    ],
)
def test_rules_of_a_task(changes, column):
    with pytest.raises(ValidationError) as caught:
        one_off(**changes)
    assert caught.value.errors()[0]["type"] == column


def test_a_monthly_task_is_never_done_once():
    with pytest.raises(ValidationError):
        monthly(status="done", done_on=date(2026, 3, 1))


def test_overdue_is_derived_from_today():
    task = one_off()
    assert tasks.state(task, date(2026, 3, 31), NO_NOTES) == "not_started"
    assert tasks.state(task, date(2026, 4, 1), NO_NOTES) == "overdue"
    done = one_off(status="done", done_on=date(2026, 4, 5))
    assert tasks.state(done, date(2026, 5, 1), NO_NOTES) == "done"
    cancelled = one_off(status="cancelled", cancel_reason="Thành phố làm thay")
    assert tasks.state(cancelled, date(2026, 5, 1), NO_NOTES) == "cancelled"


def test_a_monthly_task_is_overdue_without_this_months_note():
    task = monthly()
    assert tasks.state(task, date(2026, 3, 18), NO_NOTES) == "not_started"
    assert tasks.state(task, date(2026, 3, 19), NO_NOTES) == "overdue"
    noted = notes(("M1", "2026-03", "Đã báo cáo", "a", datetime(2026, 3, 17)))
    assert tasks.state(task, date(2026, 3, 25), noted) == "not_started"


def test_what_falls_due_before_the_next_18th():
    assert tasks.next_cutoff(date(2026, 3, 10)) == date(2026, 3, 18)
    assert tasks.next_cutoff(date(2026, 3, 19)) == date(2026, 4, 18)
    register = tasks.register(
        [one_off(code="A", deadline=date(2026, 3, 15)), one_off(code="B", deadline=date(2026, 6, 30)), monthly()],
        NO_NOTES, date(2026, 3, 10),
    )  # fmt: skip
    assert set(register.loc[register["due_soon"], "code"]) == {"A", "M1"}


def test_on_time_ratio_for_the_indicator():
    register = [
        one_off(code="A", deadline=date(2026, 2, 10), status="done", done_on=date(2026, 2, 9)),  # on time
        one_off(code="B", deadline=date(2026, 3, 10), status="done", done_on=date(2026, 3, 12)),  # late
        one_off(code="C", deadline=date(2026, 3, 20)),  # due, not done
        one_off(code="D", deadline=date(2026, 4, 30)),  # not yet due
        one_off(code="E", deadline=date(2026, 3, 1), status="cancelled", cancel_reason="Không còn phù hợp"),
        monthly(),
    ]
    noted = notes(("M1", "2026-03", "ok", "a", datetime(2026, 3, 18, 9)))
    assert tasks.on_time_ratio(register, noted, "2026-03") == (2, 4)  # A and M1 of A, B, C, M1
    late_note = notes(("M1", "2026-03", "ok", "a", datetime(2026, 3, 19, 9)))
    assert tasks.on_time_ratio(register, late_note, "2026-03") == (1, 4)


def test_revisions_are_appended_and_history_kept():
    store = memory_store()
    first = store.tasks()[0]
    store.save_tasks([first.model_copy(update={"status": "in_progress"})], admin("cán bộ A"))
    store.save_tasks([first.model_copy(update={"status": "cancelled", "cancel_reason": "Gộp vào NV1.4"})], admin("cán bộ B"))
    current = {t.code: t for t in store.tasks()}[first.code]
    assert current.status == "cancelled" and current.cancel_reason == "Gộp vào NV1.4"
    history = store.task_history(first.code)
    assert list(history["status"]) == ["cancelled", "in_progress", "not_started"]
    assert list(history["author"])[:2] == ["cán bộ B", "cán bộ A"]


def test_csv_round_trip_changes_nothing():
    store = memory_store()
    data = tasks.export_csv(store.tasks())
    assert data.startswith(b"\xef\xbb\xbf")
    result = tasks_file.parse_tasks_file("so.csv", data, store.tasks())
    assert result.ok and result.tasks == [] and result.unchanged == len(store.tasks())


def _edited(rows_changes: dict[int, dict[str, str]]) -> bytes:
    store = memory_store()
    reader = list(csv.DictReader(io.StringIO(tasks.export_csv(store.tasks()).decode("utf-8-sig"))))
    for index, changes in rows_changes.items():
        reader[index].update(changes)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(reader[0]))
    writer.writeheader()
    writer.writerows(reader)
    return out.getvalue().encode("utf-8")


def test_csv_import_updates_and_adds():
    store = memory_store()
    data = _edited({1: {"trang_thai": "Hoàn thành", "ngay_hoan_thanh": "20/02/2026"}})
    data += "1,NV1.9,Nhiệm vụ mới bổ sung,Các thôn,Trưởng thôn,Kết quả rõ,2026-12-31,,Chưa bắt đầu,,\n".encode()
    result = tasks_file.parse_tasks_file("so.csv", data, store.tasks())
    assert result.ok, result.issues
    assert {t.code for t in result.tasks} == {store.tasks()[1].code, "NV1.9"}
    store.save_tasks(result.tasks, admin("test"))
    by_code = {t.code: t for t in store.tasks()}
    assert by_code["NV1.9"].unit == "Các thôn"
    assert by_code[store.tasks()[1].code].done_on == date(2026, 2, 20)


def test_csv_errors_name_row_and_column_and_reject_everything():
    store = memory_store()
    data = _edited({
        0: {"trang_thai": "Đã hủy"},  # no reason
        2: {"han": "31/13/2026"},
        3: {"nhom": "9"},
        4: {"trang_thai": "xong rồi"},
        5: {"trang_thai": "Hoàn thành"},  # a monthly task (TH4) is never done once
        6: {"trang_thai": "Hoàn thành"},  # no date
    })  # fmt: skip
    result = tasks_file.parse_tasks_file("so.csv", data, store.tasks())
    assert not result.ok and result.tasks == []
    where = {(i.row, i.column.split(" ")[0]) for i in result.issues}
    assert where == {(2, "K"), (4, "G"), (5, "A"), (6, "I"), (7, "I"), (8, "J")}
    messages = {i.row: i.message for i in result.issues}
    assert messages[5] == "Giá trị “9” phải nhỏ hơn hoặc bằng 7."
    assert "Đã hủy" in messages[6] and "lý do" in messages[2]


def test_cli_tasks_export_import_and_indicator(tmp_path):
    db = new_db(tmp_path, "t")
    Store(db).close()
    out = tmp_path / "so.csv"
    assert main(["tasks", "export", "--out", str(out), "--db", db]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_bytes(out.read_bytes().replace("Chưa bắt đầu".encode(), b"???", 1))
    assert main(["tasks", "import", str(bad), "--db", db]) == 1
    assert main(["tasks", "import", str(out), "--db", db]) == 0
    assert main(["units", "import", str(_units_csv(tmp_path)), "--db", db]) == 0
    assert main(["tasks", "indicator", "--period", "2026-03", "--db", db]) == 0
    store = Store(db)
    current = store.current_submissions(periods=["2026-03"])
    row = current[current["indicator_code"] == "TC_NHIEM_VU_DUNG_HAN"].iloc[0]
    done, due = tasks.on_time_ratio(store.tasks(), store.task_notes(), "2026-03")
    assert (row["numerator"], row["denominator"]) == (done, due)
    store.close()


def _units_csv(folder) -> object:
    path = folder / "units.csv"
    path.write_text("code,name,parent\n10966,Bình Giang,\nBG01,Cậy,10966\n", encoding="utf-8")
    return path


def test_a_title_starting_with_a_formula_sign_survives_export_and_import():
    store = memory_store()
    first = store.tasks()[0].model_copy(update={"title": "=Tổng hợp số liệu các thôn"})
    store.save_tasks([first], admin("test"))
    data = tasks.export_csv(store.tasks())
    assert b"'=T" in data  # neutralised in the file
    result = tasks_file.parse_tasks_file("so.csv", data, store.tasks())
    assert result.ok and result.tasks == []  # read back unchanged
