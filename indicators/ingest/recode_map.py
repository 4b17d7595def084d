"""A map of unit codes, old → new, as CSV/Excel (`units recode --map FILE`), and the map that moves
a database's units from the previous list's codes to the official ones (`units recode-map`)."""

from __future__ import annotations

import csv
import io

from indicators.domain import admin_units
from indicators.domain.models import Issue
from indicators.domain.text import fold
from indicators.ingest.layout import find_header, ref
from indicators.ingest.read import ReadError, read_tables
from indicators.storage import RecodeRow, Store

MAP_ALIASES = {
    "old": ("old", "old_code", "mã cũ", "ma_cu", "previousListCode"),
    "new": ("new", "new_code", "mã mới", "ma_moi"),
}
_INDEX = {fold(alias): key for key, aliases in MAP_ALIASES.items() for alias in aliases}
MAP_HEADER = ("mã cũ", "mã mới", "tên đơn vị")


def _code(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def parse_recode_map(file_name: str, data: bytes) -> tuple[list[RecodeRow], list[Issue]]:
    """The map's lines (old code, new code; other columns ignored); all issues at once. Whether
    the codes fit the database is the store's check (`Store.recode_units`)."""
    try:
        sheet = read_tables(file_name, data)[0]
    except ReadError as exc:
        return [], [Issue("error", str(exc))]
    located = find_header(sheet, _INDEX, {"old", "new"})
    if located is None:
        return [], [Issue("error", "Không tìm thấy dòng tiêu đề: cần hai cột “mã cũ” và “mã mới” (hoặc old, new).")]
    header_at, columns = located
    header = sheet.rows[header_at]
    pairs, issues = [], []
    for r in range(header_at + 1, len(sheet.rows)):
        row = sheet.rows[r]
        cells = {key: (row[i] if i < len(row) else None, ref(i, header[i])) for i, key in columns.items()}
        if all(_code(value) == "" for value, _ in cells.values()):
            continue
        codes = {key: _code(value) for key, (value, _) in cells.items()}
        for key, name in (("old", "mã cũ"), ("new", "mã mới")):
            if not codes[key]:
                issues.append(Issue("error", f"Thiếu {name}.", r + 1, cells[key][1], sheet.name))
            elif any(ch.isspace() or ch == "," for ch in codes[key]):
                issues.append(Issue("error", f"Mã “{codes[key]}” có khoảng trắng hoặc dấu phẩy.", r + 1,
                                    cells[key][1], sheet.name))  # fmt: skip
        if codes["old"] and codes["new"]:
            pairs.append(RecodeRow(r + 1, codes["old"], codes["new"]))
    if not pairs and not issues:
        issues.append(Issue("error", "Bảng đổi mã không có dòng nào."))
    return pairs, issues


def official_map(store: Store) -> list[tuple[str, str, str]]:
    """(old code, official code, name) for the database's cities and communes that still carry
    the previous list's code: the code is in the official list's `previousListCode` and the
    names agree (a unit named otherwise is left out: a person decides). Hamlets keep their codes."""
    official = admin_units.official_code_of_previous()
    names = {row["code"]: row for row in (*admin_units.provinces(), *admin_units.communes())}
    out = []
    for unit in store.units():
        new = official.get(unit.code)
        if unit.level == "hamlet" or new is None or new == unit.code:
            continue
        row = names[new]
        if {fold(unit.name), fold(unit.label)} & {fold(row["name"]), fold(row["fullName"].split(",")[0])}:
            out.append((unit.code, new, unit.label))
    return out


def map_csv(rows: list[tuple[str, str, str]]) -> str:
    """A map as CSV, as `parse_recode_map` reads it back."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MAP_HEADER)
    writer.writerows(rows)
    return buffer.getvalue()
