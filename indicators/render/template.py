"""The monthly Excel data-entry template that hamlet heads and the commune fill in.

One sheet per period ("2026-03"), one row per reporting unit, one column per indicator part.
Row 5 holds the headers the wide-format importer reads (`ingest.columns.wide_header`); everything
above it is for people. The template guards what it can inside Excel (whole numbers only, grey
blank-only cells where an indicator belongs to the other level, a red numerator above its
denominator) because the people who fill it in rarely see the importer's messages.

Pure: no Streamlit, no database; `build_template` returns the bytes of an .xlsx file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from indicators.domain.catalog import KIND_VI, LEVEL_VI, Indicator, indicators, task_group
from indicators.domain.format import day, month
from indicators.domain.periods import deadline
from indicators.domain.text import fold, nfc
from indicators.domain.units import OrgUnit
from indicators.ingest.columns import WIDE_PERIOD_LABEL, WIDE_UNIT_CODE, WIDE_UNIT_NAME, Part, wide_header

# Fixed positions the importer relies on (keep in step with the wide reader)
TITLE_ROW = 1
PERIOD_ROW = 2  # A2 = WIDE_PERIOD_LABEL, B2 = "YYYY-MM" as text
NOTE_ROW = 3
GROUP_ROW = 4
HEADER_ROW = 5
FIRST_DATA_ROW = 6
FIRST_INDICATOR_COL = 3  # A = unit code, B = unit name

NOTE_HEADER = "Ghi chú"
GUIDE_SHEET = "Hướng dẫn"
LIST_SHEET = "DanhMuc"

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

# Styling
_GREY = PatternFill("solid", fgColor="D9D9D9")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_GROUP_FILL = PatternFill("solid", fgColor="BDD7EE")
_UNIT_FILL = PatternFill("solid", fgColor="F2F2F2")
_RED_FILL = PatternFill("solid", fgColor="FFC7CE")
_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP_TOP = Alignment(vertical="top", wrap_text=True)
_BOLD = Font(bold=True)
_OPEN = Protection(locked=False)  # the cells people fill in a protected sheet

# What to type for each aggregation: the dashboard sums "sum" indicators over months
_ENTRY_VI = {
    "latest": "Số lũy kế tính đến cuối tháng",
    "sum": "Số phát sinh trong tháng",
}


@dataclass(frozen=True)
class _Column:
    """One indicator part in the sheet."""

    indicator: Indicator
    part: Part
    col: int

    @property
    def letter(self) -> str:
        return get_column_letter(self.col)

    @property
    def header(self) -> str:
        return wide_header(self.indicator.code, self.part)


def template_columns() -> list[tuple[str, Part]]:
    """(indicator code, part) of every indicator column, in sheet order (after A and B)."""
    return [(column.indicator.code, column.part) for column in _columns()]


def template_headers() -> list[str]:
    """The exact header row (row 5) of a period sheet."""
    return [WIDE_UNIT_CODE, WIDE_UNIT_NAME, *(c.header for c in _columns()), NOTE_HEADER]


def _columns() -> list[_Column]:
    out: list[_Column] = []
    col = FIRST_INDICATOR_COL
    for item in indicators():
        parts: tuple[Part, ...] = ("tu_so", "mau_so") if item.is_ratio else ("gia_tri",)
        for part in parts:
            out.append(_Column(item, part, col))
            col += 1
    return out


def _ordered_units(units: Sequence[OrgUnit]) -> list[OrgUnit]:
    """Hamlets by name (Vietnamese-insensitive), then the commune row(s)."""
    seen: set[str] = set()
    for unit in units:
        if unit.level not in ("hamlet", "commune"):
            raise ValueError(f"Đơn vị {unit.code} ({unit.label}) không phải thôn hoặc xã.")
        if unit.code in seen:
            raise ValueError(f"Mã đơn vị {unit.code} bị trùng.")
        seen.add(unit.code)
    hamlets = sorted(
        (u for u in units if u.level == "hamlet"), key=lambda u: (fold(u.name), u.name, u.code)
    )
    communes = [u for u in units if u.level == "commune"]
    return hamlets + communes


def _commune_title(units: Sequence[OrgUnit], commune_name: str) -> str:
    name = nfc(commune_name)
    if not name:
        communes = [u for u in units if u.level == "commune"]
        return communes[0].label if len(communes) == 1 else ""
    if re.match(r"^(xa|phuong|dac khu|thi tran) ", fold(name)):
        return name
    return f"Xã {name}"


def _clean_periods(periods: Sequence[str]) -> list[str]:
    out: list[str] = []
    for period in periods:
        text = str(period).strip()
        if not _PERIOD.match(text):
            raise ValueError(f"Kỳ báo cáo không hợp lệ: {period!r} (cần dạng YYYY-MM).")
        if text not in out:
            out.append(text)
    if not out:
        raise ValueError("Cần ít nhất một kỳ báo cáo.")
    return out


def _ranges(col: str, rows: list[int]) -> str:
    """A space-separated sqref covering `rows` of one column, contiguous runs merged."""
    parts: list[str] = []
    start = prev = rows[0]
    for row in [*rows[1:], None]:
        if row is not None and row == prev + 1:
            prev = row
            continue
        parts.append(f"{col}{start}" if start == prev else f"{col}{start}:{col}{prev}")
        if row is not None:
            start = prev = row
    return " ".join(parts)


def _runs(rows: list[int]) -> list[list[int]]:
    """Contiguous runs of row numbers (a blank-only formula is relative to its run's first cell)."""
    runs: list[list[int]] = []
    for row in rows:
        if runs and runs[-1][-1] == row - 1:
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


def _short(text: str, limit: int) -> str:
    """Excel refuses validation titles over 32 and messages over 255 characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number_validation(column: _Column) -> DataValidation:
    item = column.indicator
    yes_no = item.is_yes_no
    if column.part == "mau_so" and yes_no:
        dv = DataValidation(type="whole", operator="equal", formula1="1", allow_blank=True)
        error = "Mẫu số của chỉ tiêu này luôn là 1 (mỗi thôn một)."
    elif yes_no:
        dv = DataValidation(
            type="whole", operator="between", formula1="0", formula2="1", allow_blank=True
        )
        error = "Chỉ nhập 1 (có) hoặc 0 (chưa)."
    else:
        dv = DataValidation(
            type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True
        )
        error = "Chỉ nhập số nguyên không âm (0, 1, 2, …), không nhập chữ, dấu phẩy hay %."
    dv.showErrorMessage = True
    dv.errorStyle = "stop"
    dv.errorTitle = "Số liệu không hợp lệ"
    dv.error = error
    # The input message says what to count, so nobody needs the guide sheet open
    what = item.denominator_vi if column.part == "mau_so" else item.numerator_vi
    dv.showInputMessage = True
    dv.promptTitle = _short(f"{item.code}", 32)
    dv.prompt = _short(f"{what}. {_ENTRY_VI[item.aggregation]}.", 255)
    return dv


def _blank_only_validation(first_cell: str, item: Indicator) -> DataValidation:
    reporter = "xã" if item.level == "commune" else "các thôn"
    dv = DataValidation(type="custom", formula1=f"LEN({first_cell})=0", allow_blank=True)
    dv.showErrorMessage = True
    dv.errorStyle = "stop"
    dv.errorTitle = "Ô không cần nhập"
    dv.error = _short(f"Chỉ tiêu {item.code} do {reporter} báo cáo; để trống ô này.", 255)
    return dv


def _period_sheet(
    ws: Worksheet,
    period: str,
    rows: list[OrgUnit],
    columns: list[_Column],
    commune: str,
    list_ref: str,
    code_ref: str,
) -> None:
    note_col = FIRST_INDICATOR_COL + len(columns)
    last_col = note_col
    last_row = FIRST_DATA_ROW + len(rows) - 1

    # Rows 1-3: for people
    title = f"BIỂU NHẬP SỐ LIỆU CHUYỂN ĐỔI SỐ – {month(period)}"
    ws.cell(TITLE_ROW, 1, f"{title} – {commune}" if commune else title).font = Font(
        bold=True, size=14
    )
    ws.cell(PERIOD_ROW, 1, WIDE_PERIOD_LABEL).font = _BOLD
    period_cell = ws.cell(PERIOD_ROW, 2, period)
    period_cell.number_format = "@"  # stays text if someone retypes it
    period_cell.font = _BOLD
    period_cell.alignment = Alignment(horizontal="left")
    due = day(deadline(period))
    ws.cell(
        NOTE_ROW,
        1,
        f"Hạn nộp: ngày {due}. Chỉ nhập số nguyên không âm; chỉ tiêu tỷ lệ nhập tử số và "
        "mẫu số, không nhập %; ô màu xám để trống; chưa có số liệu thì để trống (không ghi 0). "
        f"Xem sheet “{GUIDE_SHEET}”.",
    ).font = Font(italic=True, color="C00000")

    # Row 4: indicator names over their columns; row 5: the machine-read headers
    for cell in (ws.cell(GROUP_ROW, 1), ws.cell(GROUP_ROW, 2), ws.cell(GROUP_ROW, note_col)):
        cell.fill = _GROUP_FILL
        cell.border = _BORDER
    by_code: dict[str, list[_Column]] = {}
    for column in columns:
        by_code.setdefault(column.indicator.code, []).append(column)
    for group in by_code.values():
        first, last = group[0].col, group[-1].col
        cell = ws.cell(GROUP_ROW, first, group[0].indicator.name_vi)
        if last > first:
            ws.merge_cells(
                start_row=GROUP_ROW, start_column=first, end_row=GROUP_ROW, end_column=last
            )
        for col in range(first, last + 1):
            ws.cell(GROUP_ROW, col).fill = _GROUP_FILL
            ws.cell(GROUP_ROW, col).border = _BORDER
        cell.font = _BOLD
        cell.alignment = _WRAP_CENTER

    for col, header in enumerate(
        [WIDE_UNIT_CODE, WIDE_UNIT_NAME, *(c.header for c in columns), NOTE_HEADER], start=1
    ):
        cell = ws.cell(HEADER_ROW, col, header)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = _WRAP_CENTER
        cell.border = _BORDER

    # Rows 6..: one per unit
    for row, unit in enumerate(rows, start=FIRST_DATA_ROW):
        code_cell = ws.cell(row, 1, unit.code)
        code_cell.number_format = "@"  # codes like "00004" (Ba Đình) keep their leading zero
        name_cell = ws.cell(row, 2, unit.label)
        for cell in (code_cell, name_cell):
            cell.fill = _UNIT_FILL
            cell.border = _BORDER
            cell.font = _BOLD if unit.level == "commune" else Font()
        for column in columns:
            cell = ws.cell(row, column.col)
            cell.border = _BORDER
            cell.number_format = "#,##0"
            if column.indicator.level != unit.level:
                cell.fill = _GREY
            elif column.part == "mau_so" and column.indicator.is_yes_no:
                cell.value = 1
        note = ws.cell(row, note_col)
        note.border = _BORDER
        note.alignment = _WRAP_TOP
        for col in range(FIRST_INDICATOR_COL, note_col + 1):
            ws.cell(row, col).protection = _OPEN

    # Validation and highlighting, per column so each carries its own input message
    if rows:
        unit_list = DataValidation(type="list", formula1=list_ref, allow_blank=True)
        unit_list.showErrorMessage = True
        unit_list.errorTitle = "Đơn vị không có trong danh sách"
        unit_list.error = "Chọn tên đơn vị trong danh sách thả xuống."
        ws.add_data_validation(unit_list)
        unit_list.add(f"B{FIRST_DATA_ROW}:B{last_row}")
        code_list = DataValidation(type="list", formula1=code_ref, allow_blank=True)
        code_list.showErrorMessage = True
        code_list.errorTitle = "Mã đơn vị không hợp lệ"
        code_list.error = "Không sửa cột mã đơn vị; chọn mã trong danh sách."
        ws.add_data_validation(code_list)
        code_list.add(f"A{FIRST_DATA_ROW}:A{last_row}")

    for column in columns:
        item = column.indicator
        own = [r for r, u in enumerate(rows, start=FIRST_DATA_ROW) if u.level == item.level]
        other = [r for r, u in enumerate(rows, start=FIRST_DATA_ROW) if u.level != item.level]
        if own:
            dv = _number_validation(column)
            ws.add_data_validation(dv)
            dv.add(_ranges(column.letter, own))
            if column.part == "tu_so":
                denominator = get_column_letter(column.col + 1)
                for run in _runs(own):
                    top = run[0]
                    rule = FormulaRule(
                        formula=[
                            f"AND(ISNUMBER({column.letter}{top}),ISNUMBER({denominator}{top}),"
                            f"{column.letter}{top}>{denominator}{top})"
                        ],
                        fill=_RED_FILL,
                        font=Font(bold=True, color="9C0006"),
                    )
                    ws.conditional_formatting.add(_ranges(column.letter, run), rule)
        for run in _runs(other):
            dv = _blank_only_validation(f"{column.letter}{run[0]}", item)
            ws.add_data_validation(dv)
            dv.add(_ranges(column.letter, run))

    # Layout
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 24
    for column in columns:
        ws.column_dimensions[column.letter].width = 15
    ws.column_dimensions[get_column_letter(note_col)].width = 32
    ws.row_dimensions[GROUP_ROW].height = 110  # long names wrap over one or two columns
    ws.row_dimensions[HEADER_ROW].height = 48
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, FIRST_INDICATOR_COL).coordinate  # "C6"
    ws.print_title_rows = f"{GROUP_ROW}:{HEADER_ROW}"
    ws.print_title_cols = "A:B"
    ws.print_area = f"A1:{get_column_letter(last_col)}{max(last_row, HEADER_ROW)}"
    _landscape(ws)
    _protect(ws)


def _protect(ws: Worksheet) -> None:
    """Lock everything but the figure and note cells: the unit code and name columns, the period
    and the headers cannot be typed over, and a sort (refused on locked cells) cannot move figures
    away from their unit. No password: it guards against slips, not against the unit's own officer."""
    protection = ws.protection
    protection.sheet = True
    protection.formatColumns = False  # widths and row heights stay adjustable
    protection.formatRows = False
    protection.selectLockedCells = False
    protection.selectUnlockedCells = False


def _landscape(ws: Worksheet) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True


GUIDE_HEADERS = (
    "Mã",
    "Nhóm nhiệm vụ",
    "Nội dung chỉ tiêu",
    "Loại",
    "Tử số / giá trị cần nhập",
    "Mẫu số",
    "Đơn vị tính",
    "Cấp báo cáo",
    "Mục tiêu 2026",
    "Số liệu nhập",
)
# The guide's headers avoid the long-format aliases ("Mã chỉ tiêu", "Tên chỉ tiêu", "Tử số"...)
# so an importer that sniffs every sheet cannot take the guide for data.

GUIDE_LINES = (
    "Mỗi sheet mang tên một kỳ báo cáo (ví dụ 2026-03 là Tháng 3/2026). Không đổi tên sheet, "
    "không sửa ô B2 (kỳ báo cáo) và hàng tiêu đề số 5.",
    "Mỗi dòng là một đơn vị: các thôn, rồi đến xã. Cột mã và tên đơn vị được khóa (không sửa, "
    "không sắp xếp); thôn nào chỉ nhập vào dòng của thôn mình.",
    "Chỉ nhập số nguyên không âm (0, 1, 2, …); không nhập chữ, dấu chấm, dấu phẩy hay đơn vị.",
    "Chỉ tiêu tỷ lệ: nhập tử số và mẫu số, không nhập tỷ lệ %; hệ thống tự tính. Ô tử số chuyển "
    "màu đỏ khi lớn hơn mẫu số – cần kiểm tra lại.",
    "Chỉ tiêu “1 nếu … 0 nếu …” (phủ sóng 5G, Tổ công nghệ số cộng đồng): tử số nhập 1 (có) "
    "hoặc 0 (chưa); mẫu số đã điền sẵn là 1.",
    "Ô màu xám là chỉ tiêu không thuộc cấp của dòng đó (chỉ tiêu cấp xã do xã nhập, chỉ tiêu "
    "cấp thôn do thôn nhập): để trống.",
    "Chưa có số liệu thì để trống; chỉ ghi 0 khi số liệu thực sự bằng 0.",
    "Cột “Số liệu nhập” cho biết nhập số lũy kế đến cuối tháng hay số phát sinh trong tháng.",
    "Hạn nộp: ngày 18 của tháng báo cáo. Có giải thích thêm thì ghi vào cột Ghi chú.",
)


def _guide_sheet(ws: Worksheet) -> None:
    ws.cell(1, 1, "HƯỚNG DẪN NHẬP BIỂU SỐ LIỆU CHUYỂN ĐỔI SỐ").font = Font(bold=True, size=14)
    row = 2
    for number, line in enumerate(GUIDE_LINES, start=1):
        ws.cell(row, 1, f"{number}. {line}")
        row += 1
    row += 1
    ws.cell(row, 1, "DANH MỤC CHỈ TIÊU").font = Font(bold=True, size=12)
    row += 1
    for col, header in enumerate(GUIDE_HEADERS, start=1):
        cell = ws.cell(row, col, header)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = _WRAP_CENTER
        cell.border = _BORDER
    header_row = row
    for item in indicators():
        row += 1
        target = int(item.target_2026) if item.target_2026.is_integer() else item.target_2026
        values = (
            item.code,
            item.task_group,
            item.name_vi,
            KIND_VI[item.kind],
            item.numerator_vi,
            item.denominator_vi if item.is_ratio else "",
            item.display_unit,
            LEVEL_VI[item.level],
            target,
            _ENTRY_VI[item.aggregation],
        )
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row, col, value)
            cell.alignment = _WRAP_TOP
            cell.border = _BORDER
        ws.cell(row, 2).alignment = Alignment(horizontal="center", vertical="top")
        if item.is_ratio:
            ws.cell(row, 9).number_format = '0"%"'  # the target is on the 0-100 scale
    # Task group names under the table, since the column carries only the number
    row += 2
    ws.cell(row, 1, "Nhóm nhiệm vụ").font = _BOLD
    for number in sorted({item.task_group for item in indicators()}):
        row += 1
        ws.cell(row, 1, number).alignment = Alignment(horizontal="center")
        ws.cell(row, 2, task_group(number).name_vi)

    for col, width in enumerate((26, 9, 46, 20, 40, 26, 12, 10, 11, 26), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(header_row + 1, 1).coordinate
    ws.print_title_rows = f"{header_row}:{header_row}"
    _landscape(ws)


def _list_sheet(ws: Worksheet, rows: list[OrgUnit]) -> tuple[str, str]:
    """Unit labels (A) and codes (B); returns the range references for the drop-downs."""
    # Headers differ from WIDE_UNIT_* so this sheet never looks like a period sheet
    ws.cell(1, 1, "Tên")
    ws.cell(1, 2, "Mã")
    for row, unit in enumerate(rows, start=2):
        ws.cell(row, 1, unit.label)
        ws.cell(row, 2, unit.code).number_format = "@"
    last = max(len(rows) + 1, 2)
    ws.sheet_state = "hidden"
    return f"{LIST_SHEET}!$A$2:$A${last}", f"{LIST_SHEET}!$B$2:$B${last}"


def build_template(
    units: Sequence[OrgUnit], periods: Sequence[str], commune_name: str = ""
) -> bytes:
    """The .xlsx bytes of the data-entry template for `units` and each of `periods` ("YYYY-MM").

    `units` are the reporting units of one commune: its hamlets and the commune itself.
    """
    rows = _ordered_units(units)
    if not rows:
        raise ValueError("Cần ít nhất một đơn vị báo cáo.")
    months = _clean_periods(periods)
    commune = _commune_title(units, commune_name)
    columns = _columns()

    wb = Workbook()
    first = wb.active
    sheets = [first, *(wb.create_sheet() for _ in months[1:])]
    # Hidden list sheet after the months, guide last: readers see months first and guide last
    list_ws = wb.create_sheet(LIST_SHEET)
    list_ref, code_ref = _list_sheet(list_ws, rows)
    for ws, period in zip(sheets, months, strict=True):
        ws.title = period
        _period_sheet(ws, period, rows, columns, commune, list_ref, code_ref)
    _guide_sheet(wb.create_sheet(GUIDE_SHEET))
    wb.active = 0

    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
