"""The plan's task register under the "5 rõ" principle: who, what, responsibility, when, result.

Tasks are revised, never deleted: every change appends a revision (the latest counts) and a
cancelled task keeps its reason. "Overdue" is derived from today's date, never stored.
"""

from __future__ import annotations

import calendar
import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from . import catalog, periods
from .catalog import DATA_DIR
from .ingest.layout import find_header, ref
from .ingest.numbers import NumberProblem, parse_number
from .ingest.read import ReadError, read_tables
from .models import Issue
from .text import fold, nfc, safe_text, unsafe_text

TaskStatus = Literal["not_started", "in_progress", "done", "cancelled"]
STATUS_VI = {
    "not_started": "Chưa bắt đầu",
    "in_progress": "Đang thực hiện",
    "done": "Hoàn thành",
    "cancelled": "Đã hủy",
    "overdue": "Quá hạn",
}
_STATUS_BY_WORD = {fold(text): key for key, text in STATUS_VI.items() if key != "overdue"}
_STATUS_BY_WORD.update({key.replace("_", " "): key for key in STATUS_VI if key != "overdue"})


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


def reported_periods(notes: pd.DataFrame, code: str) -> set[str]:
    if notes.empty:
        return set()
    return set(notes.loc[notes["code"] == code, "period"])


def state(task: Task, today: date, notes: pd.DataFrame) -> str:
    """The status a person sees: the stored one, or "overdue" when its time has passed.

    A one-off task is overdue after its deadline unless done or cancelled. A monthly task is
    overdue when this month's day has passed without a progress note for this month.
    """
    if task.status in ("done", "cancelled"):
        return task.status
    if task.recurring:
        period = periods.period_of(today)
        if today.day > task.recurrence_day and period not in reported_periods(notes, task.code):  # type: ignore[operator]
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
            if due is not None and due < today and period in reported_periods(notes, task.code):
                due = task.due_in(periods.shift(period, 1))
        else:
            due = task.deadline
        mine = notes[notes["code"] == task.code] if not notes.empty else notes
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
            mine = notes[(notes["code"] == task.code) & (notes["period"] == period)] if not notes.empty else notes
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
_ALIASES = {fold(alias): key for key, aliases in CSV_COLUMNS.items() for alias in aliases}
_FIELD_OF = {
    "nhom": "task_group", "ma": "code", "nhiem_vu": "title", "don_vi_chu_tri": "unit",
    "nguoi_phu_trach": "person", "ket_qua": "expected_result", "han": "deadline",
    "lap_lai_ngay": "recurrence_day", "trang_thai": "status", "ngay_hoan_thanh": "done_on",
    "ly_do_huy": "cancel_reason",
}  # fmt: skip
_COLUMN_OF = {value: key for key, value in _FIELD_OF.items()}


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


def _parse_date(value: object) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    raise ValueError(text)


@dataclass
class TaskImport:
    tasks: list[Task] = field(default_factory=list)  # new or changed tasks only
    issues: list[Issue] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)


def parse_tasks_file(file_name: str, data: bytes, current: list[Task]) -> TaskImport:
    """Validate a register file against the current tasks; all problems at once, nothing written."""
    result = TaskImport()
    try:
        sheet = read_tables(file_name, data)[0]
    except ReadError as exc:
        result.issues.append(Issue("error", str(exc)))
        return result
    located = find_header(sheet, _ALIASES, {"ma", "nhiem_vu"})
    if located is None:
        result.issues.append(Issue("error", "Không tìm thấy dòng tiêu đề: cần các cột ma, nhiem_vu, nhom, "
                                            "don_vi_chu_tri, ket_qua, han hoặc lap_lai_ngay."))  # fmt: skip
        return result
    header_at, columns = located
    header = sheet.rows[header_at]
    refs = {key: ref(i, header[i]) for i, key in columns.items()}
    by_code = {t.code: t for t in current}
    seen: dict[str, int] = {}
    for r in range(header_at + 1, len(sheet.rows)):
        row = sheet.rows[r]
        cells = {key: (row[i] if i < len(row) else None) for i, key in columns.items()}
        if all(v in (None, "") for v in cells.values()):
            continue
        line = r + 1
        problems: list[tuple[str, str]] = []
        code = str(cells.get("ma") or "").strip()
        if code in seen:
            problems.append(("ma", f"Mã “{code}” lặp lại (đã có ở dòng {seen[code]})."))
        seen.setdefault(code, line)
        base = by_code.get(code)
        values: dict = base.model_dump() if base else {}
        values["code"] = code
        for key, raw in cells.items():
            if key == "ma" or (raw in (None, "") and base is not None and key not in ("han", "lap_lai_ngay", "ngay_hoan_thanh", "ly_do_huy", "nguoi_phu_trach")):
                continue
            target = _FIELD_OF[key]
            try:
                if key in ("han", "ngay_hoan_thanh"):
                    values[target] = _parse_date(raw)
                elif key in ("nhom", "lap_lai_ngay"):
                    number = parse_number(raw)
                    values[target] = int(number) if number is not None else None
                elif key == "trang_thai":
                    word = fold(str(raw or ""))
                    if word and word not in _STATUS_BY_WORD:
                        raise ValueError(raw)
                    values[target] = _STATUS_BY_WORD.get(word, "not_started")
                else:
                    values[target] = unsafe_text(raw)
            except (ValueError, NumberProblem):
                hint = {"han": "dạng 2026-03-31 hoặc 31/03/2026", "ngay_hoan_thanh": "dạng 2026-03-31",
                        "trang_thai": "Chưa bắt đầu, Đang thực hiện, Hoàn thành hoặc Đã hủy"}.get(key, "một số")  # fmt: skip
                problems.append((key, f"“{raw}” không hợp lệ: cần {hint}."))
        if not problems:
            try:
                task = Task(**values)
            except ValidationError as exc:
                for problem in exc.errors():
                    field_name = str(problem["loc"][0]) if problem["loc"] else ""
                    column = _COLUMN_OF.get(field_name) or problem["type"]
                    message = problem["msg"] if not problem["type"].startswith(("string", "greater", "less", "missing", "int")) else _vi(problem)
                    problems.append((column, message))
            else:
                if base is None or base != task:
                    result.tasks.append(task)
                else:
                    result.unchanged += 1
        for column, message in problems:
            result.issues.append(Issue("error", message, line, refs.get(column, COLUMN_VI.get(column, column)), sheet.name))
    if not seen and result.ok:
        result.issues.append(Issue("error", "Tệp không có dòng nhiệm vụ nào."))
    if not result.ok:
        result.tasks = []
    return result


def _vi(problem: dict) -> str:
    kind = problem["type"]
    if kind == "missing":
        return "Thiếu giá trị."
    if kind.startswith("string_too_short"):
        return "Nội dung quá ngắn hoặc để trống."
    if kind.startswith("string_too_long"):
        return "Nội dung quá dài."
    if kind.startswith("string_pattern"):
        return "Mã chỉ gồm chữ không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới."
    ctx = problem.get("ctx", {})
    if kind.startswith("greater"):
        return f"Giá trị “{problem.get('input')}” phải lớn hơn hoặc bằng {next(iter(ctx.values()), '')}."
    if kind.startswith("less"):
        return f"Giá trị “{problem.get('input')}” phải nhỏ hơn hoặc bằng {next(iter(ctx.values()), '')}."
    return "Giá trị không hợp lệ."



def on_time_indicator_csv(store, period: str, commune_code: str) -> bytes:
    """TC_NHIEM_VU_DUNG_HAN for `period`, computed from the register, as an import file."""
    done, due = on_time_ratio(store.tasks(), store.task_notes(), period)
    return (
        "ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\n"
        f"{period},{commune_code},TC_NHIEM_VU_DUNG_HAN,{done},{due},,Tính từ sổ nhiệm vụ\n"
    ).encode()


def import_on_time_indicator(store, period: str, actor, commune_code: str, now: datetime | None = None):
    """Write TC_NHIEM_VU_DUNG_HAN from the register through the normal import.

    One path for every figure: a batch, revisions, warnings and revert.
    """
    from .ingest import import_file

    data = on_time_indicator_csv(store, period, commune_code)
    return import_file(store, f"so_nhiem_vu_{period}.csv", data, actor, now=now)


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
