"""The plan's task register under the "5 rõ" principle: who, what, responsibility, when, result.

Tasks are revised, never deleted: every change appends a revision (the latest counts) and a
cancelled task keeps its reason. "Overdue" is derived from today's date, never stored.
"""

from __future__ import annotations

import calendar
import csv
import io
from datetime import date
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from indicators.domain import catalog, periods
from indicators.domain.catalog import DATA_DIR
from indicators.domain.text import fold, nfc, safe_text

TaskStatus = Literal["not_started", "in_progress", "done", "cancelled"]
STATUS_VI = {
    "not_started": "Chưa bắt đầu",
    "in_progress": "Đang thực hiện",
    "done": "Hoàn thành",
    "cancelled": "Đã hủy",
    "overdue": "Quá hạn",
}


class Task(BaseModel):
    """One task of the register; constructing it enforces the "5 rõ" rules."""

    code: str = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_.\-]+$")
    task_group: int = Field(ge=1, le=7)
    title: str = Field(min_length=5, max_length=500)
    unit: str = Field(min_length=2, max_length=200)
    person: str = Field(default="", max_length=200)
    expected_result: str = Field(min_length=2, max_length=500)
    deadline: date | None = None
    recurrence_day: int | None = Field(default=None, ge=1, le=28)
    status: TaskStatus = "not_started"
    done_on: date | None = None
    cancel_reason: str = Field(default="", max_length=500)
    # the commune whose register holds the task: set by the store when it reads one, not by a file
    commune_code: str = ""

    @field_validator("title", "unit", "person", "expected_result", "cancel_reason", mode="before")
    @classmethod
    def _clean(cls, value: object) -> str:
        return nfc(value) if value is not None else ""

    @model_validator(mode="after")
    def _rules(self) -> Task:
        if self.deadline is None and self.recurrence_day is None:
            raise PydanticCustomError("han", "Cần hạn hoàn thành (ngày) hoặc ngày lặp lại hằng tháng.")
        if self.deadline is not None and self.recurrence_day is not None:
            raise PydanticCustomError("han", "Chỉ ghi một trong hai: hạn hoàn thành hoặc ngày lặp lại hằng tháng.")
        if self.status == "cancelled" and not self.cancel_reason.strip():
            raise PydanticCustomError("ly_do_huy", "Nhiệm vụ hủy phải ghi lý do hủy.")
        if self.status == "done" and self.recurrence_day is not None:
            raise PydanticCustomError(
                "trang_thai", "Nhiệm vụ lặp lại hằng tháng không “hoàn thành” một lần: ghi tiến độ từng tháng."
            )
        if self.status == "done" and self.done_on is None:
            raise PydanticCustomError("ngay_hoan_thanh", "Nhiệm vụ hoàn thành cần ngày hoàn thành.")
        if self.status != "done":
            self.done_on = None
        return self

    @property
    def recurring(self) -> bool:
        return self.recurrence_day is not None

    def due_in(self, period: str) -> date | None:
        """The date this task falls due within a month, if it does."""
        if self.recurring:
            return date(int(period[:4]), int(period[5:7]), self.recurrence_day)  # type: ignore[arg-type]
        if self.deadline and periods.period_of(self.deadline) == period:
            return self.deadline
        return None


def seed_tasks() -> list[Task]:
    """The starting register: the tasks of section II and the duties of section III of the plan."""
    with open(DATA_DIR / "tasks.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        Task(
            code=row["code"], task_group=int(row["task_group"]), title=row["title"], unit=row["unit"],
            person=row["person"], expected_result=row["expected_result"],
            deadline=date.fromisoformat(row["deadline"]) if row["deadline"] else None,
            recurrence_day=int(row["recurrence_day"]) if row["recurrence_day"] else None,
        )
        for row in rows
    ]  # fmt: skip


# --- derived state -------------------------------------------------------------------------------


def _of(notes: pd.DataFrame, task: Task) -> pd.Series:
    """Which `notes` are `task`'s: same code, and same commune when the notes say theirs (one
    register per commune: two communes may both have an NV1.1)."""
    mask = notes["code"] == task.code
    if "commune_code" in notes.columns:
        mask &= notes["commune_code"] == task.commune_code
    return mask


def reported_periods(notes: pd.DataFrame, task: Task) -> set[str]:
    if notes.empty:
        return set()
    return set(notes.loc[_of(notes, task), "period"])


def state(task: Task, today: date, notes: pd.DataFrame) -> str:
    """The status a person sees: the stored one, or "overdue" when its time has passed.

    A one-off task is overdue after its deadline unless done or cancelled. A monthly task is
    overdue when this month's day has passed without a progress note for this month.
    """
    if task.status in ("done", "cancelled"):
        return task.status
    if task.recurring:
        period = periods.period_of(today)
        if today.day > task.recurrence_day and period not in reported_periods(notes, task):  # type: ignore[operator]
            return "overdue"
        return task.status
    if task.deadline and task.deadline < today:
        return "overdue"
    return task.status


def next_cutoff(today: date, deadline_day: int = 18) -> date:
    """The next reporting deadline: this month's 18th, or next month's once it has passed."""
    if today.day <= deadline_day:
        return today.replace(day=deadline_day)
    following = periods.shift(periods.period_of(today), 1)
    return date(int(following[:4]), int(following[5:7]), deadline_day)


def register(tasks: list[Task], notes: pd.DataFrame, today: date, deadline_day: int = 18) -> pd.DataFrame:
    """The register as a table: one row per task with its derived state and next due date."""
    cutoff = next_cutoff(today, deadline_day)
    rows = []
    for task in tasks:
        current = state(task, today, notes)
        if task.recurring:
            period = periods.period_of(today)
            due = task.due_in(period)
            if due is not None and due < today and period in reported_periods(notes, task):
                due = task.due_in(periods.shift(period, 1))
        else:
            due = task.deadline
        mine = notes[_of(notes, task)] if not notes.empty else notes
        last_note = mine.sort_values("created_at").iloc[-1] if len(mine) else None
        rows.append(
            {
                **task.model_dump(),
                "state": current,
                "state_vi": STATUS_VI[current],
                "group_name": catalog.task_group(task.task_group).name_vi,
                "next_due": due,
                "due_soon": current not in ("done", "cancelled") and due is not None and due <= cutoff,
                "last_note": None if last_note is None else last_note["note"],
                "last_note_at": None if last_note is None else last_note["created_at"],
                "last_note_by": None if last_note is None else last_note["author"],
            }
        )
    return pd.DataFrame(rows)


def on_time_ratio(tasks: list[Task], notes: pd.DataFrame, period: str) -> tuple[int, int]:
    """(done on time, due) for TC_NHIEM_VU_DUNG_HAN in `period`.

    Due: one-off tasks whose deadline falls by the end of the month (cancelled ones excluded),
    plus each monthly task's obligation for this month. On time: one-off tasks done by their
    deadline; monthly tasks with a progress note for the month written by its due day.
    """
    end = _month_end(period)
    due = done = 0
    for task in tasks:
        if task.status == "cancelled":
            continue
        if task.recurring:
            due += 1
            limit = task.due_in(period)
            mine = notes[_of(notes, task) & (notes["period"] == period)] if not notes.empty else notes
            if len(mine) and mine["created_at"].min().date() <= limit:
                done += 1
        elif task.deadline and task.deadline <= end:
            due += 1
            if task.status == "done" and task.done_on and task.done_on <= task.deadline:
                done += 1
    return done, due


def _month_end(period: str) -> date:
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, calendar.monthrange(year, month)[1])


# --- CSV import and export -----------------------------------------------------------------------

CSV_COLUMNS = {
    "nhom": ("nhom", "nhóm", "nhóm nhiệm vụ", "task_group"),
    "ma": ("ma", "mã", "mã nhiệm vụ", "code"),
    "nhiem_vu": ("nhiem_vu", "nhiệm vụ", "nội dung", "title"),
    "don_vi_chu_tri": ("don_vi_chu_tri", "đơn vị chủ trì", "đơn vị", "unit"),
    "nguoi_phu_trach": ("nguoi_phu_trach", "người phụ trách", "person"),
    "ket_qua": ("ket_qua", "kết quả", "kết quả cần đạt", "expected_result"),
    "han": ("han", "hạn", "hạn hoàn thành", "deadline"),
    "lap_lai_ngay": ("lap_lai_ngay", "lặp lại ngày", "hằng tháng ngày", "recurrence_day"),
    "trang_thai": ("trang_thai", "trạng thái", "status"),
    "ngay_hoan_thanh": ("ngay_hoan_thanh", "ngày hoàn thành", "done_on"),
    "ly_do_huy": ("ly_do_huy", "lý do hủy", "cancel_reason"),
}
COLUMN_VI = {
    "nhom": "Nhóm", "ma": "Mã", "nhiem_vu": "Nhiệm vụ", "don_vi_chu_tri": "Đơn vị chủ trì",
    "nguoi_phu_trach": "Người phụ trách", "ket_qua": "Kết quả cần đạt", "han": "Hạn",
    "lap_lai_ngay": "Lặp lại ngày", "trang_thai": "Trạng thái", "ngay_hoan_thanh": "Ngày hoàn thành",
    "ly_do_huy": "Lý do hủy",
}  # fmt: skip


def export_csv(tasks: list[Task]) -> bytes:
    """The register as CSV (UTF-8 with BOM for Excel) that `parse_tasks_file` reads back."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(CSV_COLUMNS))
    for t in tasks:
        writer.writerow(
            [
                t.task_group, t.code, safe_text(t.title), safe_text(t.unit), safe_text(t.person),
                safe_text(t.expected_result), t.deadline.isoformat() if t.deadline else "",
                t.recurrence_day or "", STATUS_VI[t.status],
                t.done_on.isoformat() if t.done_on else "", safe_text(t.cancel_reason),
            ]
        )  # fmt: skip
    return out.getvalue().encode("utf-8-sig")


def responsible_units(tasks: list[Task]) -> list[str]:
    """The responsible units named in the register, for the unit filter."""
    return sorted({t.unit for t in tasks}, key=fold)


def unit_view(table: pd.DataFrame, unit: str | None = None, group: int | None = None) -> pd.DataFrame:
    """The register rows of one responsible unit and/or task group, most urgent first."""
    part = table
    if unit:
        part = part[part["unit"] == unit]
    if group:
        part = part[part["task_group"] == group]
    urgency = {"overdue": 0, "in_progress": 1, "not_started": 2, "done": 3, "cancelled": 4}
    order = part["state"].map(urgency).fillna(5)
    return part.assign(_o=order).sort_values(["_o", "next_due"], na_position="last").drop(columns="_o")


def state_counts(table: pd.DataFrame) -> dict[str, int]:
    counts = table["state"].value_counts() if not table.empty else pd.Series(dtype=int)
    return {key: int(counts.get(key, 0)) for key in STATUS_VI}
