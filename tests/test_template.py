"""The Excel data-entry template: layout the importer relies on, and the guards inside Excel."""

from __future__ import annotations

import unicodedata
from io import BytesIO

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from indicators.domain.catalog import indicators
from indicators.domain.units import OrgUnit
from indicators.ingest.columns import (
    WIDE_PERIOD_LABEL,
    WIDE_UNIT_CODE,
    WIDE_UNIT_NAME,
    parse_wide_header,
    wide_header,
)
from indicators.render.template import (
    GUIDE_SHEET,
    LIST_SHEET,
    build_template,
    template_columns,
    template_headers,
)

COMMUNE = OrgUnit(code="10966", name="Bình Giang", level="commune")
HAMLETS = [
    OrgUnit(code="BG01", name="Cậy", parent="10966"),
    OrgUnit(code="BG02", name="Bá Thủy", parent="10966"),
    OrgUnit(code="BG03", name="Hạ Bì", parent="10966"),
]
UNITS = [COMMUNE, *HAMLETS]  # commune first on purpose: the template puts it last
ROW_CODES = ["BG02", "BG01", "BG03", "10966"]  # hamlets by name, then the commune
LAST_ROW = 5 + len(ROW_CODES)


def _open(data: bytes) -> Workbook:
    return load_workbook(BytesIO(data))


@pytest.fixture(scope="module")
def wb() -> Workbook:
    return _open(build_template(UNITS, ["2026-03"], commune_name="Bình Giang"))


@pytest.fixture(scope="module")
def ws(wb: Workbook) -> Worksheet:
    return wb["2026-03"]


def _expected_headers() -> list[str]:
    out = [WIDE_UNIT_CODE, WIDE_UNIT_NAME]
    for item in indicators():
        parts = ("tu_so", "mau_so") if item.kind == "ratio" else ("gia_tri",)
        out += [wide_header(item.code, part) for part in parts]
    return [*out, "Ghi chú"]


def _header_col(ws: Worksheet, header: str) -> str:
    for cell in ws[5]:
        if cell.value == header:
            return cell.column_letter
    raise AssertionError(f"no column {header}")


def _validations(ws: Worksheet, coordinate: str):
    return [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]


def _row_of(code: str) -> int:
    return 6 + ROW_CODES.index(code)


def test_sheets_in_order_and_list_sheet_hidden(wb: Workbook) -> None:
    assert wb.sheetnames == ["2026-03", LIST_SHEET, GUIDE_SHEET]
    assert wb.sheetnames[-1] == "Hướng dẫn"
    assert wb[LIST_SHEET].sheet_state == "hidden"
    assert wb["2026-03"].sheet_state == "visible"
    assert wb[GUIDE_SHEET].sheet_state == "visible"
    assert wb.active.title == "2026-03"


def test_title_and_period_cell(ws: Worksheet) -> None:
    assert "Tháng 3/2026" in ws["A1"].value
    assert "Bình Giang" in ws["A1"].value
    assert ws["A2"].value == WIDE_PERIOD_LABEL
    assert ws["B2"].value == "2026-03"
    assert isinstance(ws["B2"].value, str)
    assert "18/03/2026" in ws["A3"].value


def test_header_row_is_exact_and_round_trips(ws: Worksheet) -> None:
    headers = [cell.value for cell in ws[5]]
    assert headers == _expected_headers()
    assert headers == template_headers()
    assert len(headers) == 2 + sum(2 if i.kind == "ratio" else 1 for i in indicators()) + 1
    parsed = [parse_wide_header(header) for header in headers[2:-1]]
    assert parsed == template_columns()
    for item in indicators():
        if item.kind == "ratio":
            assert (item.code, "tu_so") in parsed and (item.code, "mau_so") in parsed
        else:
            assert (item.code, "gia_tri") in parsed
    assert parse_wide_header("Ghi chú") is None
    assert headers[-1] == "Ghi chú"


def test_group_row_names_each_indicator_over_its_columns(ws: Worksheet) -> None:
    merged = {str(r) for r in ws.merged_cells.ranges}
    for item in indicators():
        col = _header_col(ws, wide_header(item.code, "tu_so" if item.is_ratio else "gia_tri"))
        assert ws[f"{col}4"].value == item.name_vi
        assert ws[f"{col}4"].alignment.wrap_text
        if item.is_ratio:
            den = _header_col(ws, wide_header(item.code, "mau_so"))
            assert f"{col}4:{den}4" in merged


def test_one_row_per_unit_hamlets_sorted_then_commune(ws: Worksheet) -> None:
    codes = [ws.cell(row, 1).value for row in range(6, ws.max_row + 1)]
    assert codes == ROW_CODES
    names = [ws.cell(row, 2).value for row in range(6, ws.max_row + 1)]
    assert names == ["Thôn Bá Thủy", "Thôn Cậy", "Thôn Hạ Bì", "Xã Bình Giang"]
    assert ws.freeze_panes == "C6"


def test_non_applicable_cells_are_grey_and_blank_only(ws: Worksheet) -> None:
    for item in indicators():
        col = _header_col(ws, wide_header(item.code, "tu_so" if item.is_ratio else "gia_tri"))
        wrong_rows = (
            [_row_of(h.code) for h in HAMLETS]
            if item.level == "commune"
            else [_row_of(COMMUNE.code)]
        )
        for row in wrong_rows:
            cell = ws[f"{col}{row}"]
            assert cell.fill.fgColor.rgb.endswith("D9D9D9"), cell.coordinate
            assert cell.value is None
            dvs = _validations(ws, cell.coordinate)
            assert len(dvs) == 1, cell.coordinate
            dv = dvs[0]
            assert dv.type == "custom"
            assert dv.formula1.startswith("LEN(") and dv.formula1.endswith(")=0")
            assert dv.showErrorMessage
            who = "xã" if item.level == "commune" else "các thôn"
            assert who in dv.error


def test_blank_only_formula_points_at_the_first_cell_of_its_range(ws: Worksheet) -> None:
    for dv in ws.data_validations.dataValidation:
        if dv.type == "custom":
            first = str(dv.sqref).split()[0].split(":")[0]
            assert dv.formula1 == f"LEN({first})=0"


def test_applicable_cells_take_whole_numbers(ws: Worksheet) -> None:
    for item in indicators():
        parts = ("tu_so", "mau_so") if item.is_ratio else ("gia_tri",)
        rows = (
            [_row_of(COMMUNE.code)]
            if item.level == "commune"
            else [_row_of(h.code) for h in HAMLETS]
        )
        for part in parts:
            col = _header_col(ws, wide_header(item.code, part))
            for row in rows:
                cell = ws[f"{col}{row}"]
                assert cell.fill.fgColor.rgb in (None, "00000000"), cell.coordinate
                dvs = _validations(ws, cell.coordinate)
                assert len(dvs) == 1, cell.coordinate
                dv = dvs[0]
                assert dv.type == "whole"
                assert dv.formula1 in ("0", "1")
                assert dv.showErrorMessage and dv.error and dv.errorTitle


def test_yes_no_indicators_take_0_or_1_with_denominator_1(ws: Worksheet) -> None:
    for code in ("HT_PHU_SONG_5G", "NL_TO_CONG_NGHE_SO"):
        num = _header_col(ws, wide_header(code, "tu_so"))
        den = _header_col(ws, wide_header(code, "mau_so"))
        for hamlet in HAMLETS:
            row = _row_of(hamlet.code)
            (dv,) = _validations(ws, f"{num}{row}")
            assert (dv.type, dv.operator, dv.formula1, dv.formula2) == (
                "whole",
                "between",
                "0",
                "1",
            )
            assert ws[f"{num}{row}"].value is None
            assert ws[f"{den}{row}"].value == 1
        assert ws[f"{den}{_row_of(COMMUNE.code)}"].value is None


def test_ordinary_numbers_are_non_negative(ws: Worksheet) -> None:
    col = _header_col(ws, wide_header("HT_CAP_QUANG", "mau_so"))
    (dv,) = _validations(ws, f"{col}6")
    assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")


def test_numerator_above_denominator_turns_red(ws: Worksheet) -> None:
    num = _header_col(ws, wide_header("CQ_VNEID_MUC_2", "tu_so"))
    den = _header_col(ws, wide_header("CQ_VNEID_MUC_2", "mau_so"))
    rules = {
        str(cf.sqref): [rule.formula[0] for rule in cf.rules] for cf in ws.conditional_formatting
    }
    assert rules[f"{num}6:{num}8"] == [f"AND(ISNUMBER({num}6),ISNUMBER({den}6),{num}6>{den}6)"]
    # every ratio has one, counts have none
    ratio_cols = {_header_col(ws, wide_header(i.code, "tu_so")) for i in indicators() if i.is_ratio}
    assert {ref.split(":")[0].rstrip("0123456789") for ref in rules} == ratio_cols


def test_unit_name_drop_down_reads_the_hidden_list(wb: Workbook, ws: Worksheet) -> None:
    (dv,) = _validations(ws, "B6")
    assert dv.type == "list"
    assert dv.formula1.startswith(f"{LIST_SHEET}!$A$2:$A$")
    assert '"' not in dv.formula1  # a range, not an inline list
    labels = [row[0] for row in wb[LIST_SHEET].iter_rows(min_row=2, values_only=True)]
    assert sorted(labels) == sorted(unit.label for unit in UNITS)
    assert dv.formula1 == f"{LIST_SHEET}!$A$2:$A${1 + len(UNITS)}"


def test_guide_lists_every_indicator(wb: Workbook) -> None:
    guide = wb[GUIDE_SHEET]
    codes = {item.code for item in indicators()}
    rows = [row for row in guide.iter_rows(values_only=True) if row[0] in codes]
    assert len(indicators()) == 26
    assert [row[0] for row in rows] == [item.code for item in indicators()]
    by_code = {row[0]: row for row in rows}
    vneid = by_code["CQ_VNEID_MUC_2"]
    assert vneid[1] == 5
    assert vneid[3] == "Tỷ lệ (tử số/mẫu số)"
    assert vneid[7] == "Thôn"
    assert vneid[8] == 90
    assert by_code["TC_VAN_BAN"][7] == "Xã"
    assert by_code["TC_VAN_BAN"][3] == "Số lượng"
    text = " ".join(str(v) for row in guide.iter_rows(values_only=True) for v in row if v)
    assert "số nguyên không âm" in text and "tử số và mẫu số" in text


def test_all_text_is_nfc(wb: Workbook) -> None:
    for sheet in wb.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    assert unicodedata.normalize("NFC", value) == value


def test_print_setup(ws: Worksheet) -> None:
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1


def test_several_periods_give_several_sheets() -> None:
    wb = _open(build_template(UNITS, ["2026-03", "2026-04", "2026-05"]))
    assert wb.sheetnames == ["2026-03", "2026-04", "2026-05", LIST_SHEET, GUIDE_SHEET]
    for period in ("2026-03", "2026-04", "2026-05"):
        assert wb[period]["B2"].value == period
        assert [c.value for c in wb[period][5]] == _expected_headers()
    # the commune name comes from the commune unit when not given
    assert "Xã Bình Giang" in wb["2026-04"]["A1"].value
    assert "Tháng 4/2026" in wb["2026-04"]["A1"].value


def test_hamlet_names_with_commas_survive() -> None:
    odd = OrgUnit(code="BG09", name="Đông, Tây", parent="10966")
    wb = _open(build_template([*UNITS, odd], ["2026-03"]))
    labels = [row[0] for row in wb[LIST_SHEET].iter_rows(min_row=2, values_only=True)]
    assert "Thôn Đông, Tây" in labels


@pytest.mark.parametrize("periods", [[], ["2026-3"], ["03/2026"], ["2026-13"]])
def test_bad_periods_are_refused(periods: list[str]) -> None:
    with pytest.raises(ValueError):
        build_template(UNITS, periods)


def test_filled_copy_reads_back(tmp_path) -> None:
    wb = _open(build_template(UNITS, ["2026-03"]))
    ws = wb["2026-03"]
    ws[f"{_header_col(ws, wide_header('HT_CAP_QUANG', 'tu_so'))}6"] = 80
    ws[f"{_header_col(ws, wide_header('HT_CAP_QUANG', 'mau_so'))}6"] = 100
    path = tmp_path / "filled.xlsx"
    wb.save(path)
    again = load_workbook(path)["2026-03"]
    assert again[f"{_header_col(again, wide_header('HT_CAP_QUANG', 'tu_so'))}6"].value == 80
    assert again["B2"].value == "2026-03"
