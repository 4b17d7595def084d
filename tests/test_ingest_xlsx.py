"""Excel workbooks: the app's template filled in, and long tables typed into Excel."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

from openpyxl import Workbook, load_workbook

from indicators.domain import catalog
from indicators.ingest.columns import parse_wide_header
from indicators.render.template import FIRST_DATA_ROW, HEADER_ROW, build_template


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _filled_cells(data: bytes) -> dict[tuple[str, str, str], dict[str, float]]:
    """{(period, unit, indicator): {part: number}} of every number typed into a template."""
    wb = load_workbook(io.BytesIO(data))
    out: dict[tuple[str, str, str], dict[str, float]] = {}
    for ws in wb.worksheets:
        if ws.sheet_state != "visible" or ws.cell(2, 1).value != "Kỳ báo cáo":
            continue
        period = ws.cell(2, 2).value
        headers = [cell.value for cell in ws[HEADER_ROW]]
        for row in range(FIRST_DATA_ROW, ws.max_row + 1):
            unit = ws.cell(row, 1).value
            for col, header in enumerate(headers, start=1):
                parsed = parse_wide_header(header)
                value = ws.cell(row, col).value
                if parsed is None or value is None:
                    continue
                code, part = parsed
                out.setdefault((period, unit, code), {})[part] = float(value)
    return out


def _expected_figures(cells, make_figure) -> dict[tuple[str, str, str], tuple]:
    expected = {}
    for key, parts in cells.items():
        if catalog.indicator(key[2]).is_ratio:
            if "tu_so" not in parts:
                continue  # a yes/no denominator prefilled by the template, no answer
            expected[key] = make_figure(parts["tu_so"], parts["mau_so"])
        else:
            expected[key] = make_figure(None, None, parts["gia_tri"])
    return expected


# --- the committed, filled-in template --------------------------------------------------------
def test_filled_template_fixture_imports_every_number_where_it_was_typed(
    store, fixture_bytes, run_import, figures, make_figure
):
    data = fixture_bytes("template_filled.xlsx")
    expected = _expected_figures(_filled_cells(data), make_figure)
    assert len(expected) > 200  # both months, every unit, every indicator of its level
    report = run_import(store, "template_filled.xlsx", data)
    assert report.errors == [], [issue.text() for issue in report.errors]
    assert report.status == "imported"
    assert figures(store) == expected
    assert report.periods == ["2026-02", "2026-03"]


def test_filled_template_fixture_leaves_blank_cells_out(store, fixture_bytes, run_import, figures):
    run_import(store, "template_filled.xlsx", fixture_bytes("template_filled.xlsx"))
    current = figures(store)
    assert ("2026-02", "BG03", "HT_CAP_QUANG") not in current
    assert ("2026-02", "BG03", "TT_TIN_BAI") not in current
    assert ("2026-03", "BG03", "HT_CAP_QUANG") in current
    # every hamlet-level indicator for every hamlet, every commune-level one for the commune
    hamlet_level = {i.code for i in catalog.indicators_at_level("hamlet")}
    commune_level = {i.code for i in catalog.indicators_at_level("commune")}
    march = {(unit, code) for (period, unit, code) in current if period == "2026-03"}
    assert {code for unit, code in march if unit == "10966"} == commune_level
    assert {code for unit, code in march if unit == "BG05"} == hamlet_level


def test_filled_template_fixture_notes_land_on_every_figure_of_the_row(store, fixture_bytes, run_import):
    run_import(store, "template_filled.xlsx", fixture_bytes("template_filled.xlsx"))
    current = store.current_submissions()
    cay = current[current["unit_code"] == "BG01"]
    assert set(zip(cay["period"], cay["note"])) == {
        ("2026-02", "Thôn Cậy nộp 2026-02"),
        ("2026-03", "Thôn Cậy nộp 2026-03"),
    }
    assert set(current[current["unit_code"] != "BG01"]["note"]) == {""}


# --- a template built and filled now ---------------------------------------------------------
def _fill_template(units, periods, value_of) -> bytes:
    wb = load_workbook(io.BytesIO(build_template(units, periods)))
    levels = {unit.code: unit.level for unit in units}
    for period in periods:
        ws = wb[period]
        headers = [cell.value for cell in ws[HEADER_ROW]]
        for row in range(FIRST_DATA_ROW, ws.max_row + 1):
            unit = ws.cell(row, 1).value
            for col, header in enumerate(headers, start=1):
                parsed = parse_wide_header(header)
                if parsed is None:
                    continue
                code, part = parsed
                if catalog.indicator(code).level == levels[unit]:
                    ws.cell(row, col).value = value_of(period, unit, code, part)
    return _save(wb)


def _value_of(period, unit, code, part):
    item = catalog.indicator(code)
    seed = (sum(map(ord, period + unit + code)) % 97) + 1
    if item.is_yes_no:
        return 1 if part == "mau_so" else seed % 2
    if part == "mau_so":
        return 2000 + seed
    return seed * 7


def test_template_built_now_round_trips_exactly(units, store, run_import, figures, make_figure):
    data = _fill_template(units, ["2026-03"], _value_of)
    report = run_import(store, "bieu_mau_t3.xlsx", data)
    assert report.errors == []
    expected = _expected_figures(_filled_cells(data), make_figure)
    hamlets = [u for u in units if u.level == "hamlet"]
    assert len(expected) == len(hamlets) * len(catalog.indicators_at_level("hamlet")) + len(
        catalog.indicators_at_level("commune")
    )
    assert figures(store) == expected


def test_template_with_only_the_prefilled_denominators_has_no_figures(units, store, run_import):
    data = build_template(units, ["2026-03"])
    report = run_import(store, "blank.xlsx", data)
    assert report.status == "rejected"
    assert [issue.message for issue in report.errors] == ["Tệp có tiêu đề nhưng không có dòng số liệu nào."]


def _cell_of(ws, unit: str, code: str, part: str) -> str:
    headers = [cell.value for cell in ws[HEADER_ROW]]
    col = headers.index(f"{code} - {dict(tu_so='Tử số', mau_so='Mẫu số', gia_tri='Giá trị')[part]}")
    for row in range(FIRST_DATA_ROW, ws.max_row + 1):
        if ws.cell(row, 1).value == unit:
            return ws.cell(row, col + 1).coordinate
    raise AssertionError(unit)


def test_template_number_in_a_grey_cell_is_a_level_error(units, store, run_import):
    wb = load_workbook(io.BytesIO(build_template(units, ["2026-03"])))
    ws = wb["2026-03"]
    ws[_cell_of(ws, "10966", "TT_TIN_BAI", "gia_tri")] = 5  # hamlet indicator on the commune row
    ws[_cell_of(ws, "BG01", "TC_VAN_BAN", "gia_tri")] = 2  # commune indicator on a hamlet row
    ws[_cell_of(ws, "BG02", "TT_TIN_BAI", "gia_tri")] = 3  # fine
    report = run_import(store, "grey.xlsx", _save(wb))
    assert report.status == "rejected"
    errors = {(issue.sheet, issue.row): issue for issue in report.errors}
    commune_row = int(re.sub(r"\D", "", _cell_of(ws, "10966", "TT_TIN_BAI", "gia_tri")))
    cay_row = int(re.sub(r"\D", "", _cell_of(ws, "BG01", "TC_VAN_BAN", "gia_tri")))
    assert set(errors) == {("2026-03", commune_row), ("2026-03", cay_row)}
    assert "do cấp thôn báo cáo" in errors[("2026-03", commune_row)].message
    assert "do cấp xã báo cáo" in errors[("2026-03", cay_row)].message
    assert store.current_submissions().empty


def test_template_numerator_above_denominator_names_sheet_row_and_column(units, store, run_import):
    wb = load_workbook(io.BytesIO(build_template(units, ["2026-03"])))
    ws = wb["2026-03"]
    num = _cell_of(ws, "BG04", "CQ_CHU_KY_SO", "tu_so")
    ws[num] = 900
    ws[_cell_of(ws, "BG04", "CQ_CHU_KY_SO", "mau_so")] = 800
    report = run_import(store, "bad.xlsx", _save(wb))
    (error,) = report.errors
    assert error.sheet == "2026-03"
    assert error.row == ws[num].row
    assert error.column == f"{ws[num].column_letter} (CQ_CHU_KY_SO - Tử số)"
    assert "Tử số (900) lớn hơn mẫu số (800)" in error.message


# --- long tables in Excel ---------------------------------------------------------------------
def test_long_xlsx_fixture_has_a_date_typed_period_and_a_blank_first_column(fixture_bytes):
    wb = load_workbook(io.BytesIO(fixture_bytes("long.xlsx")))
    ws = wb.worksheets[0]
    assert all(ws.cell(row, 1).value is None for row in range(1, ws.max_row + 1))
    assert ws["B3"].value == "Kỳ báo cáo"
    assert isinstance(ws["B5"].value, datetime)
    assert ws["B5"].is_date


def test_long_xlsx_with_dates_strings_and_numbers(store, run_import, figures, make_figure):
    wb = Workbook()
    ws = wb.active
    ws.append(["Kỳ báo cáo", "Thôn", "Mã chỉ tiêu", "Tử số", "Mẫu số", "Giá trị", "Ghi chú"])
    ws.append([datetime(2026, 3, 15), "Cậy", "CQ_VNEID_MUC_2", 812, 1045, None, None])
    ws.append(["T3/2026", "Bá Thủy", "CQ_VNEID_MUC_2", "1.234", "2.000", None, "gõ dạng chữ"])
    ws.append([datetime(2026, 2, 1), "Hạ Bì", "TT_TIN_BAI", None, None, 4.0, None])
    ws["A2"].number_format = "dd/mm/yyyy"
    ws["A4"].number_format = "mm/yyyy"
    report = run_import(store, "dai.xlsx", _save(wb))
    assert report.errors == []
    assert figures(store) == {
        ("2026-03", "BG01", "CQ_VNEID_MUC_2"): make_figure(812, 1045),
        ("2026-03", "BG02", "CQ_VNEID_MUC_2"): make_figure(1234, 2000),
        ("2026-02", "BG05", "TT_TIN_BAI"): make_figure(None, None, 4),
    }


def test_hidden_sheets_are_not_read(store, run_import):
    wb = Workbook()
    ws = wb.active
    ws.append(["ky_bao_cao", "don_vi", "ma_chi_tieu", "tu_so", "mau_so", "gia_tri"])
    ws.append(["2026-03", "Cậy", "TT_TIN_BAI", None, None, 4])
    hidden = wb.create_sheet("nháp")
    hidden.append(["ky_bao_cao", "don_vi", "ma_chi_tieu", "tu_so", "mau_so", "gia_tri"])
    hidden.append(["2026-03", "Không Có", "KHONG_CO", None, None, -1])
    hidden.sheet_state = "hidden"
    report = run_import(store, "an.xlsx", _save(wb))
    assert report.errors == []
    assert list(report.rows["unit_code"]) == ["BG01"]


def _with_dimension(data: bytes, ref: str) -> bytes:
    """The workbook with the sheet's stored <dimension> replaced, as some exporters leave it."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content, count = re.subn(
                    rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), content
                )
                assert count == 1
            target.writestr(item, content)
    return out.getvalue()


def _small_long_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["ky_bao_cao", "don_vi", "ma_chi_tieu", "tu_so", "mau_so", "gia_tri"])
    ws.append(["2026-03", "Cậy", "TT_TIN_BAI", None, None, 4])
    ws.append(["2026-03", "Bá Thủy", "HT_CAP_QUANG", 30, 40, None])
    return _save(wb)


def test_workbook_whose_dimension_starts_after_a1_still_reads_from_a1(store, run_import):
    data = _with_dimension(_small_long_workbook(), "B2:F3")
    report = run_import(store, "dim.xlsx", data, dry_run=True)
    assert report.errors == []
    assert list(report.rows["source_row"]) == [2, 3]


def test_workbook_with_a_stale_dimension_still_imports(store, run_import):
    data = _with_dimension(_small_long_workbook(), "A1")
    report = run_import(store, "stale.xlsx", data, dry_run=True)
    assert report.errors == []
    assert list(report.rows["unit_code"]) == ["BG01", "BG02"]
