"""Sheets of raw cells -> records: one per (period, unit, indicator), each cell with its position.

Finds the header row below any title rows, recognises the long layout (one row per figure) and the
wide layout of the product's Excel template (one row per unit), and skips empty rows and columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from indicators.domain import catalog
from indicators.domain.periods import parse_period
from indicators.domain.text import fold
from indicators.ingest.columns import (
    CODE_HEADERS,
    COLUMN_VI,
    PART_VI,
    WIDE_PERIOD_LABEL,
    WIDE_UNIT_CODE,
    WIDE_UNIT_NAME,
    header_key,
    long_column,
    parse_wide_header,
)
from indicators.ingest.read import Sheet

HEADER_SEARCH_ROWS = 30


@dataclass
class Cell:
    value: object
    column: str  # as the user sees it: "C (Mã chỉ tiêu)"


@dataclass
class Record:
    sheet: str
    row: int  # Excel row number
    cells: dict[str, Cell] = field(default_factory=dict)

    def value(self, column: str) -> object:
        cell = self.cells.get(column)
        return None if cell is None else cell.value

    def column(self, column: str) -> str:
        cell = self.cells.get(column)
        return cell.column if cell else COLUMN_VI.get(column, column)


def ref(index: int, header: object) -> str:
    """A column as the user sees it in Excel: "C (Mã chỉ tiêu)"."""
    return f"{get_column_letter(index + 1)} ({header})"


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _long_header(row: list[object]) -> dict[int, str] | None:
    """{column index: field} of a long-layout header row; other columns ("STT", empty ones, anything
    unknown) are left aside. Of two columns naming one field ("Mã chỉ tiêu" and "Tên chỉ tiêu") the
    code column is read, else the first; a unit name column beside the unit code column is read as
    "ten_don_vi", to check the code by."""
    named: dict[str, list[int]] = {}
    for i, cell in enumerate(row):
        column = None if _empty(cell) else long_column(cell)
        if column is not None:
            named.setdefault(column, []).append(i)
    if len(named) < 3 or "ma_chi_tieu" not in named or "don_vi" not in named:
        return None
    found: dict[int, str] = {}
    for column, indexes in named.items():
        codes = [i for i in indexes if header_key(row[i]) in CODE_HEADERS]
        chosen = codes[0] if codes else indexes[0]
        found[chosen] = column
        names = [i for i in indexes if i not in codes]
        if column == "don_vi" and codes and names:
            found[names[0]] = "ten_don_vi"
    return dict(sorted(found.items()))


def _wide_header(
    row: list[object],
) -> tuple[int, dict[int, tuple[str, str]], int | None, int | None] | None:
    """(unit code column, {column: (indicator, part)}, note column, unit name column) of a row of
    the template's headers."""
    parts = {i: parse_wide_header(cell) for i, cell in enumerate(row) if not _empty(cell)}
    parts = {i: part for i, part in parts.items() if part}
    others = sum(1 for i, cell in enumerate(row) if not _empty(cell) and i not in parts)
    # a header row is mostly indicator columns, beside unit, name, period and note
    if not parts or others > 4:
        return None
    unit_col = None
    for i, cell in enumerate(row):
        if _empty(cell):
            continue
        key = header_key(cell)
        if key == header_key(WIDE_UNIT_CODE):
            unit_col = i
            break
        if unit_col is None and (key == header_key(WIDE_UNIT_NAME) or long_column(cell) == "don_vi"):
            unit_col = i
    if unit_col is None:
        return None
    name_col = next(
        (i for i, cell in enumerate(row)
         if i != unit_col and not _empty(cell)
         and (header_key(cell) == header_key(WIDE_UNIT_NAME) or long_column(cell) == "don_vi")),
        None,
    ) if header_key(row[unit_col]) in CODE_HEADERS else None  # fmt: skip
    note_col = next((i for i, cell in enumerate(row) if long_column(cell) == "ghi_chu"), None)
    return unit_col, parts, note_col, name_col  # type: ignore[return-value]


_PERIOD_LABELS = (fold(WIDE_PERIOD_LABEL), "thang bao cao")


def _wide_period(sheet: Sheet, header_row: int) -> Cell | None:
    """The period written above the header ("Kỳ báo cáo: 2026-03"), else the sheet's name."""
    for r in range(header_row):
        row = sheet.rows[r]
        for i, cell in enumerate(row):
            if _empty(cell) or not fold(str(cell)).startswith(_PERIOD_LABELS):
                continue
            inline = str(cell).split(":", 1)
            if len(inline) == 2 and inline[1].strip():
                return Cell(inline[1].strip(), f"{get_column_letter(i + 1)}{r + 1}")
            for j in range(i + 1, len(row)):
                if not _empty(row[j]):
                    return Cell(row[j], f"{get_column_letter(j + 1)}{r + 1} ({WIDE_PERIOD_LABEL})")
    if parse_period(sheet.name):
        return Cell(sheet.name, f"tên trang tính “{sheet.name}”")
    return None


def find_layout(sheet: Sheet) -> tuple[str, int, object] | None:
    """("long", header row, {column index: field}) or ("wide", header row, (unit column,
    {column index: (code, part)}, note column, unit name column)) of the first header row; None
    without a table."""
    for r, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        long = _long_header(row)
        if long:
            return "long", r, long
        wide = _wide_header(row)
        if wide:
            return "wide", r, wide
    return None


def sheet_records(sheet: Sheet) -> list[Record] | None:
    """Records of one sheet, or None when the sheet holds no recognisable table."""
    layout = find_layout(sheet)
    if layout is None:
        return None
    kind, r, columns = layout
    return _long_records(sheet, r, columns) if kind == "long" else _wide_records(sheet, r, *columns)


def _long_records(sheet: Sheet, header_row: int, columns: dict[int, str]) -> list[Record]:
    header = sheet.rows[header_row]
    records = []
    for r in range(header_row + 1, len(sheet.rows)):
        row = sheet.rows[r]
        if all(_empty(row[i]) for i in columns if i < len(row)):
            continue
        record = Record(sheet=sheet.name, row=r + 1)
        for i, column in columns.items():
            value = row[i] if i < len(row) else None
            record.cells[column] = Cell(value, ref(i, header[i]))
        records.append(record)
    return records


def only_prefill(code: str, values: dict[str, object]) -> bool:
    """The template prefills the denominator 1 of yes/no indicators: alone, it is no answer."""
    return (
        catalog.indicator(code).is_yes_no
        and _empty(values.get("tu_so"))
        and values.get("mau_so") in (1, 1.0, "1")
    )


def _wide_records(
    sheet: Sheet,
    header_row: int,
    unit_col: int,
    parts: dict[int, tuple[str, str]],
    note_col: int | None,
    name_col: int | None = None,
) -> list[Record]:
    header = sheet.rows[header_row]
    period_col = next((i for i, cell in enumerate(header) if long_column(cell) == "ky_bao_cao"), None)
    period_cell = None if period_col is not None else _wide_period(sheet, header_row)
    by_indicator: dict[str, dict[str, int]] = {}
    for i, (code, part) in parts.items():
        by_indicator.setdefault(code, {})[part] = i
    records = []
    for r in range(header_row + 1, len(sheet.rows)):
        row = sheet.rows[r]
        unit = row[unit_col] if unit_col < len(row) else None
        for code, columns in by_indicator.items():
            values = {part: (row[i] if i < len(row) else None) for part, i in columns.items()}
            if all(_empty(v) for v in values.values()) or only_prefill(code, values):
                continue  # this unit did not report this indicator
            record = Record(sheet=sheet.name, row=r + 1)
            record.cells["don_vi"] = Cell(unit, ref(unit_col, header[unit_col]))
            if name_col is not None:
                name = row[name_col] if name_col < len(row) else None
                record.cells["ten_don_vi"] = Cell(name, ref(name_col, header[name_col]))
            if period_col is not None:
                value = row[period_col] if period_col < len(row) else None
                record.cells["ky_bao_cao"] = Cell(value, ref(period_col, header[period_col]))
            else:
                record.cells["ky_bao_cao"] = period_cell or Cell(None, COLUMN_VI["ky_bao_cao"])
            first = min(columns.values())
            record.cells["ma_chi_tieu"] = Cell(code, ref(first, header[first]))
            for part, i in columns.items():
                record.cells[part] = Cell(values[part], ref(i, header[i] or PART_VI[part]))
            if note_col is not None and note_col < len(row):
                record.cells["ghi_chu"] = Cell(row[note_col], ref(note_col, header[note_col]))
            records.append(record)
    return records


def find_header(sheet: Sheet, aliases: dict[str, str], required: set[str]) -> tuple[int, dict[int, str]] | None:
    """(row index, {column index: canonical name}) of the first row naming every `required`
    column, looked for among the first rows (title rows may stand above it); None if none does.

    `aliases` maps folded header text to a canonical column name; headers are compared through
    `header_key` (a unit in parentheses after a header does not matter).
    """
    for r, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        found = {i: aliases.get(header_key(cell)) for i, cell in enumerate(row) if not _empty(cell)}
        found = {i: key for i, key in found.items() if key}
        if required <= set(found.values()):
            return r, found
    return None
