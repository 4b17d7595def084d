"""The unit of a template row (issue #26): the code is checked against the name beside it, a row with
a name and no code is matched by name, and the code and name columns are locked in the template."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from indicators.render.template import (
    FIRST_DATA_ROW,
    FIRST_INDICATOR_COL,
    HEADER_ROW,
    PERIOD_ROW,
    build_template,
)


def _save(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _template(units):
    wb = load_workbook(io.BytesIO(build_template(units, ["2026-03"])))
    return wb, wb["2026-03"]


def _row(ws, code: str) -> int:
    return next(r for r in range(FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, 1).value == code)


def _column(ws, header: str) -> int:
    return next(c for c in range(1, ws.max_column + 1) if ws.cell(HEADER_ROW, c).value == header)


def _hamlet(hamlets, name: str):
    return next(h for h in hamlets if h.name == name)


def _fill_news(ws, row: int, value: int) -> None:
    ws.cell(row, _column(ws, "TT_TIN_BAI - Giá trị"), value)


def test_a_row_whose_code_and_name_disagree_is_refused_naming_both(units, hamlets, store, run_import):
    wb, ws = _template(units)
    cay, ba_thuy = _hamlet(hamlets, "Cậy"), _hamlet(hamlets, "Bá Thủy")
    row = _row(ws, cay.code)
    ws.cell(row, 2, ba_thuy.label)  # a sort in Excel that left the code column behind
    _fill_news(ws, row, 4)
    _fill_news(ws, _row(ws, ba_thuy.code), 6)
    report = run_import(store, "sorted.xlsx", _save(wb))
    assert report.status == "rejected"
    (error,) = report.errors
    assert (error.sheet, error.row) == ("2026-03", row)
    assert error.message.startswith(f"Mã {cay.code} là Thôn Cậy nhưng cột tên ghi Thôn Bá Thủy.")
    assert error.column == "A (Mã đơn vị)"
    assert store.current_submissions().empty


def test_names_sorted_apart_from_their_codes_refuse_every_moved_row(units, hamlets, store, run_import):
    wb, ws = _template(units)
    rows = [_row(ws, h.code) for h in hamlets[:3]]
    names = [ws.cell(r, 2).value for r in rows]
    for r, name in zip(rows, names[1:] + names[:1], strict=True):  # the name column rotated by one
        ws.cell(r, 2, name)
        _fill_news(ws, r, r)
    report = run_import(store, "rotated.xlsx", _save(wb))
    assert report.status == "rejected"
    assert sorted(e.row for e in report.errors) == sorted(rows)
    assert store.current_submissions().empty


def test_a_row_with_a_name_and_no_code_is_matched_by_name(units, hamlets, store, run_import, figures, make_figure):
    wb, ws = _template(units)
    cay = _hamlet(hamlets, "Cậy")
    row = _row(ws, cay.code)
    ws.cell(row, 1).value = None
    ws.cell(row, 2, "thôn  cậy")
    _fill_news(ws, row, 4)
    report = run_import(store, "no_code.xlsx", _save(wb))
    assert report.errors == [], [e.text() for e in report.errors]
    assert figures(store) == {("2026-03", cay.code, "TT_TIN_BAI"): make_figure(None, None, 4)}


def test_a_name_without_code_that_names_no_unit_blames_the_name_column(units, hamlets, store, run_import):
    wb, ws = _template(units)
    row = _row(ws, hamlets[0].code)
    ws.cell(row, 1).value = None
    ws.cell(row, 2, "Thôn Cây Xanh")
    _fill_news(ws, row, 4)
    report = run_import(store, "unknown.xlsx", _save(wb))
    (error,) = report.errors
    assert error.row == row and error.column == "B (Tên đơn vị)"
    assert "Thôn Cây Xanh" in error.message


def test_the_same_rows_agreeing_import(units, hamlets, store, run_import):
    wb, ws = _template(units)
    for h in hamlets:
        _fill_news(ws, _row(ws, h.code), 2)
    ws.cell(_row(ws, hamlets[0].code), 2, hamlets[0].name.upper())  # the name without "Thôn", in capitals
    report = run_import(store, "ok.xlsx", _save(wb))
    assert report.status == "imported", [e.text() for e in report.errors]


@pytest.mark.parametrize("order", ["code first", "name first"])
def test_a_long_table_with_code_and_name_columns_checks_one_by_the_other(order, hamlets, store, run_import, figures):
    cay, ba_thuy, ha_bi = (_hamlet(hamlets, n) for n in ("Cậy", "Bá Thủy", "Hạ Bì"))
    rows = [
        (cay.code, "Thôn Cậy", 4),
        (ba_thuy.code, "Thôn Cậy", 5),  # line 3: disagrees
        ("", "Hạ Bì", 6),  # by name
    ]
    head = ["STT", "Kỳ báo cáo", "Mã thôn", "Tên thôn", "Mã chỉ tiêu", "Giá trị"]
    lines = []
    for i, (code, name, value) in enumerate(rows, start=1):
        unit = [code, name] if order == "code first" else [name, code]
        lines.append(",".join([str(i), "2026-03", *unit, "TT_TIN_BAI", str(value)]))
    if order == "name first":
        head = ["STT", "Kỳ báo cáo", "Tên thôn", "Mã thôn", "Mã chỉ tiêu", "Giá trị"]
    report = run_import(store, "both.csv", "\n".join([",".join(head), *lines]) + "\n")
    (error,) = report.errors
    assert error.row == 3
    assert error.message.startswith(f"Mã {ba_thuy.code} là Thôn Bá Thủy nhưng cột tên ghi Thôn Cậy.")
    fixed = run_import(store, "both.csv", "\n".join([",".join(head), lines[0], lines[2]]) + "\n")
    assert fixed.status == "imported", [e.text() for e in fixed.errors]
    assert set(figures(store)) == {("2026-03", cay.code, "TT_TIN_BAI"), ("2026-03", ha_bi.code, "TT_TIN_BAI")}


def test_code_and_name_columns_are_locked_and_figure_cells_open(units):
    _, ws = _template(units)
    assert ws.protection.sheet is True
    note_col = ws.max_column
    for row in range(FIRST_DATA_ROW, ws.max_row + 1):
        assert ws.cell(row, 1).protection.locked and ws.cell(row, 2).protection.locked
        for col in range(FIRST_INDICATOR_COL, note_col + 1):
            assert not ws.cell(row, col).protection.locked, ws.cell(row, col).coordinate
    for col in range(1, note_col + 1):
        assert ws.cell(HEADER_ROW, col).protection.locked
    assert ws.cell(PERIOD_ROW, 2).protection.locked
    assert ws.protection.sort  # a sort touches locked cells: Excel refuses it
