"""Forgiving matching of what people type: headers, unit names and indicator names."""

from __future__ import annotations

import unicodedata

import pytest

from indicators.domain import catalog
from indicators.domain.units import OrgUnit
from indicators.ingest.columns import LONG_COLUMNS, long_column
from tests.support import ADMIN


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _one_row(unit: str, code: str = "TT_TIN_BAI", numbers=("", "", "4")) -> list[str]:
    return ["2026-03", unit, code, *numbers, ""]


# --- headers ---------------------------------------------------------------------------------
HEADER_SPELLINGS = {
    "ky_bao_cao": ["ky_bao_cao", "Kỳ báo cáo", "KỲ BÁO CÁO", "ky bao cao", "Ky Bao Cao", nfd("Kỳ báo cáo")],
    "don_vi": ["don_vi", "Thôn", "THON", "thôn", "Đơn vị", "ĐƠN VỊ", "don vi", nfd("Đơn vị")],
    "ma_chi_tieu": ["ma_chi_tieu", "Mã chỉ tiêu", "MA CHI TIEU", "Chỉ tiêu", "chi tieu", nfd("Mã chỉ tiêu")],
    "tu_so": ["tu_so", "Tử số", "TỬ SỐ", "tu so", nfd("Tử số")],
    "mau_so": ["mau_so", "Mẫu số", "MẪU SỐ", "mau so", nfd("Mẫu số")],
    "gia_tri": ["gia_tri", "Giá trị", "GIÁ TRỊ", "gia tri", nfd("Giá trị")],
    "ghi_chu": ["ghi_chu", "Ghi chú", "GHI CHÚ", "ghi chu", nfd("Ghi chú")],
}


@pytest.mark.parametrize(
    ("column", "spelling"),
    [(column, spelling) for column, spellings in HEADER_SPELLINGS.items() for spelling in spellings],
)
def test_header_alias_is_recognised(column, spelling):
    assert long_column(spelling) == column
    assert long_column(f"  {spelling}  ") == column


def test_every_canonical_column_has_aliases():
    assert set(HEADER_SPELLINGS) == set(LONG_COLUMNS)


@pytest.mark.parametrize("variant", range(5))
def test_file_with_vietnamese_headers_in_any_spelling_imports(
    variant, store, run_import, figures, make_long_csv, make_figure
):
    header = [spellings[variant % len(spellings)] for spellings in HEADER_SPELLINGS.values()]
    rows = [
        ["2026-03", "Cậy", "HT_CAP_QUANG", "301", "412", "", "ghi chú"],
        ["2026-03", "Cậy", "TT_TIN_BAI", "", "", "4", ""],
    ]
    report = run_import(store, "headers.csv", make_long_csv(rows, header=header))
    assert report.errors == [], header
    assert figures(store) == {
        ("2026-03", "BG01", "HT_CAP_QUANG"): make_figure(301, 412),
        ("2026-03", "BG01", "TT_TIN_BAI"): make_figure(None, None, 4),
    }
    assert "ghi chú" in set(store.current_submissions()["note"])


def test_headers_in_another_order_import(store, run_import, make_long_csv, figures, make_figure):
    header = ["Ghi chú", "Giá trị", "Mẫu số", "Tử số", "Chỉ tiêu", "Thôn", "Kỳ báo cáo"]
    rows = [["", "", "412", "301", "HT_CAP_QUANG", "Cậy", "2026-03"]]
    report = run_import(store, "reversed.csv", make_long_csv(rows, header=header))
    assert report.errors == []
    assert figures(store) == {("2026-03", "BG01", "HT_CAP_QUANG"): make_figure(301, 412)}


# --- units -----------------------------------------------------------------------------------
UNIT_SPELLINGS = [
    ("BG01", "BG01"),
    ("BG01", "bg01"),
    ("BG01", "Cậy"),
    ("BG01", "cậy"),
    ("BG01", "CẬY"),
    ("BG01", "Cay"),
    ("BG01", "cay"),
    ("BG01", "Thôn Cậy"),
    ("BG01", "thon cay"),
    ("BG01", "THÔN CẬY"),
    ("BG01", "  Thôn   Cậy  "),
    ("BG01", nfd("Thôn Cậy")),
    ("BG01", nfd("Cậy")),
    ("BG02", "Bá Thủy"),
    ("BG02", "Bá Thuỷ"),  # old-style tone placement
    ("BG02", "ba thuy"),
    ("BG02", "Thôn Bá Thủy"),
    ("BG02", "TDP Bá Thủy"),
    ("BG02", "Tổ dân phố Bá Thủy"),
    ("BG03", "BÁ HỢP"),
    ("BG04", "cam xa"),
    ("BG05", "Thon Ha Bi"),
    ("BG06", "Ô Xuyên"),
    ("BG06", "o xuyen"),
    ("BG06", "Thôn Ô Xuyên"),
    ("BG07", "Bì Đổ"),
    ("BG07", "bi do"),
    ("BG07", "BÌ ĐỔ"),
    ("BG07", nfd("Thôn Bì Đổ")),
]


@pytest.mark.parametrize(("code", "spelling"), UNIT_SPELLINGS)
def test_hamlet_is_found_by_code_or_name_in_any_spelling(code, spelling, store, run_import, make_long_csv):
    report = run_import(store, "u.csv", make_long_csv([_one_row(spelling)]), dry_run=True)
    assert report.errors == [], [issue.text() for issue in report.errors]
    assert list(report.rows["unit_code"]) == [code]


@pytest.mark.parametrize(
    "spelling", ["10966", "Bình Giang", "binh giang", "Xã Bình Giang", "XA BINH GIANG", nfd("Xã Bình Giang")]
)
def test_commune_is_found_by_code_or_name(spelling, store, run_import, make_long_csv):
    report = run_import(store, "c.csv", make_long_csv([_one_row(spelling, "TC_VAN_BAN")]), dry_run=True)
    assert report.errors == []
    assert list(report.rows["unit_code"]) == ["10966"]


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("Thôn Cạy Xanh", "Thôn Cậy"),
        ("Ba Thuyy", "Thôn Bá Thủy"),
        ("Cam Xá Đông", "Thôn Cam Xá"),
        ("BG010", "Thôn Cậy"),
    ],
)
def test_unknown_unit_is_an_error_suggesting_the_nearest(typed, suggested, store, run_import, make_long_csv):
    report = run_import(store, "u.csv", make_long_csv([_one_row(typed)]))
    assert report.status == "rejected"
    (error,) = report.errors
    assert error.row == 2 and error.column.startswith("B")
    assert f"Không có đơn vị “{typed.strip()}”" in error.message
    assert "Có phải:" in error.message and suggested in error.message


def test_a_name_shared_by_two_units_asks_for_the_code(make_store, run_import, make_long_csv):
    store = make_store()
    store.save_units([OrgUnit(code="BG99", name="Cây", parent="10966")], ADMIN)  # folds like "Cậy"
    report = run_import(store, "u.csv", make_long_csv([_one_row("Cay")]))
    (error,) = report.errors
    assert "BG01" in error.message and "BG99" in error.message and "mã" in error.message
    # the code itself is never ambiguous
    ok = run_import(store, "u.csv", make_long_csv([_one_row("BG99")]), dry_run=True)
    assert list(ok.rows["unit_code"]) == ["BG99"]
    store.close()


def test_inactive_unit_is_refused(make_store, run_import, make_long_csv):
    store = make_store()
    store.save_units([OrgUnit(code="BG07", name="Bì Đổ", parent="10966", active=False)], ADMIN)
    report = run_import(store, "u.csv", make_long_csv([_one_row("Bì Đổ")]))
    (error,) = report.errors
    assert "ngừng hoạt động" in error.message
    store.close()


# --- indicators ------------------------------------------------------------------------------
def _indicator_spellings():
    vneid = catalog.indicator("CQ_VNEID_MUC_2")
    tin = catalog.indicator("TT_TIN_BAI")
    return [
        ("CQ_VNEID_MUC_2", "CQ_VNEID_MUC_2"),
        ("CQ_VNEID_MUC_2", "cq_vneid_muc_2"),
        ("CQ_VNEID_MUC_2", " CQ_VNEID_MUC_2 "),
        ("CQ_VNEID_MUC_2", vneid.name_vi),
        ("CQ_VNEID_MUC_2", vneid.name_vi.upper()),
        ("CQ_VNEID_MUC_2", vneid.name_vi.lower()),
        ("CQ_VNEID_MUC_2", nfd(vneid.name_vi)),
        ("CQ_VNEID_MUC_2", "ty le cong dan kich hoat tai khoan dinh danh dien tu muc 2 (vneid)"),
        ("CQ_VNEID_MUC_2", "  Tỷ lệ  công dân kích hoạt  tài khoản định danh điện tử mức 2 (VNeID) "),
        ("CQ_VNEID_MUC_2", vneid.name_en),
        ("TT_TIN_BAI", tin.name_vi),
        ("TT_TIN_BAI", "so tin bai, buoi tuyen truyen ve chuyen doi so"),
        ("TT_TIN_BAI", "tt tin bai"),
    ]


@pytest.mark.parametrize(("code", "spelling"), _indicator_spellings())
def test_indicator_is_found_by_code_or_name_in_any_spelling(code, spelling, store, run_import, make_long_csv):
    numbers = ("5", "10", "") if catalog.indicator(code).is_ratio else ("", "", "5")
    report = run_import(store, "i.csv", make_long_csv([_one_row("Cậy", spelling, numbers)]), dry_run=True)
    assert report.errors == [], [issue.text() for issue in report.errors]
    assert list(report.rows["indicator_code"]) == [code]


def test_every_indicator_is_found_by_its_folded_name():
    for item in catalog.indicators():
        assert catalog.match_indicator(item.code) == item.code
        assert catalog.match_indicator(item.name_vi) == item.code
        assert catalog.match_indicator(nfd(item.name_vi).upper()) == item.code


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("CQ_VNEID_MUC_3", "CQ_VNEID_MUC_2"),
        ("TT_TIN_BAII", "TT_TIN_BAI"),
        ("Tỷ lệ hộ có cáp quang", "HT_CAP_QUANG"),
    ],
)
def test_unknown_indicator_is_an_error_suggesting_the_nearest(
    typed, suggested, store, run_import, make_long_csv
):
    report = run_import(store, "i.csv", make_long_csv([_one_row("Cậy", typed)]))
    (error,) = report.errors
    assert error.row == 2 and error.column.startswith("C")
    assert f"Không có chỉ tiêu “{typed}”" in error.message
    assert "Có phải:" in error.message and suggested in error.message


@pytest.mark.parametrize("typed", ["Xóm Mới", "Thôn Đông Hải", "ZZ99"])
def test_unrelated_names_get_no_suggestion(typed, store, run_import, make_long_csv):
    """“Có phải…” offers only close names: none for a name unlike every hamlet."""
    report = run_import(store, "u.csv", make_long_csv([_one_row(typed)]))
    (error,) = report.errors
    assert f"Không có đơn vị “{typed}”" in error.message
    assert "Có phải" not in error.message


def test_an_indicator_suggestion_names_it():
    from indicators.ingest.rules import indicator_cell

    _, problem = indicator_cell("HT_CAP_QANG")
    assert f"Có phải: {catalog.indicator('HT_CAP_QUANG').label}?" in problem.say()
    assert "Có phải" not in indicator_cell("SO_LIEU_LA")[1].say()
