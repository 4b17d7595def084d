"""Reading a task register file (CSV or Excel) against the current tasks, and the on-time
indicator (TC_NHIEM_VU_DUNG_HAN) written from the register through the normal import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import ValidationError

from indicators.domain.models import Issue
from indicators.domain.tasks import COLUMN_VI, CSV_COLUMNS, STATUS_VI, Task, on_time_ratio
from indicators.domain.text import fold, unsafe_text
from indicators.ingest.columns import header_key
from indicators.ingest.layout import find_header, ref
from indicators.ingest.numbers import NumberProblem, parse_number
from indicators.ingest.read import ReadError, read_tables

_STATUS_BY_WORD = {fold(text): key for key, text in STATUS_VI.items() if key != "overdue"}
_STATUS_BY_WORD.update({key.replace("_", " "): key for key in STATUS_VI if key != "overdue"})
_ALIASES = {header_key(alias): key for key, aliases in CSV_COLUMNS.items() for alias in aliases}
_FIELD_OF = {
    "nhom": "task_group", "ma": "code", "nhiem_vu": "title", "don_vi_chu_tri": "unit",
    "nguoi_phu_trach": "person", "ket_qua": "expected_result", "han": "deadline",
    "lap_lai_ngay": "recurrence_day", "trang_thai": "status", "ngay_hoan_thanh": "done_on",
    "ly_do_huy": "cancel_reason",
}  # fmt: skip
_COLUMN_OF = {value: key for key, value in _FIELD_OF.items()}


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
    """TC_NHIEM_VU_DUNG_HAN of a commune for `period`, computed from that commune's own register, as
    an import file."""
    done, due = on_time_ratio(store.tasks(commune_code), store.task_notes(commune=commune_code), period)
    return (
        "ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\n"
        f"{period},{commune_code},TC_NHIEM_VU_DUNG_HAN,{done},{due},,Tính từ sổ nhiệm vụ\n"
    ).encode()


def import_on_time_indicator(store, period: str, actor, commune_code: str, now: datetime | None = None):
    """Write TC_NHIEM_VU_DUNG_HAN from the register through the normal import.

    One path for every figure: a batch, revisions, warnings and revert.
    """
    from indicators.ingest import import_file

    data = on_time_indicator_csv(store, period, commune_code)
    return import_file(store, f"so_nhiem_vu_{period}.csv", data, actor, now=now)
