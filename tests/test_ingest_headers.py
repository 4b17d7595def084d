"""Headers as offices write them (issue #26): any case, spacing, diacritics (NFC or NFD, old or new
tone placement), a unit in parentheses after the name, "STT" and empty columns beside the data."""

from __future__ import annotations

import unicodedata

import pytest

from indicators.ingest.columns import LONG_ALIASES, header_key, long_column, parse_wide_header
from indicators.ingest.layout import find_layout
from indicators.ingest.read import Sheet

OFFICE_FILES = [
    "office_stt_ten_thon.csv",  # STT, Tháng báo cáo, Tên thôn, Tên chỉ tiêu, Tử số (hộ), an empty column
    "office_thon_tdp_nfd.csv",  # Số TT, Thôn/Tổ dân phố, capitals, NFD, Tử số (người)
    "office_don_vi_bao_cao.csv",  # Đơn vị báo cáo, Tháng báo cáo, Tên chỉ tiêu; cp1258 under a title
    "office_to_dan_pho.xlsx",  # TT, Tổ dân phố, Tên chỉ tiêu beside Mã chỉ tiêu, Tử số [hộ]
]


@pytest.mark.parametrize("name", OFFICE_FILES)
def test_office_file_imports_exactly_the_march_figures(name, store, fixture_bytes, run_import, figures, march_2026):
    report = run_import(store, name, fixture_bytes(name))
    assert report.errors == [], [issue.text() for issue in report.errors]
    assert report.status == "imported"
    assert figures(store) == march_2026


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("STT", None),
        ("Số TT", None),
        ("Tên thôn", "don_vi"),
        ("Thôn/Tổ dân phố", "don_vi"),
        ("Thôn / Tổ dân phố", "don_vi"),
        ("Tổ dân phố", "don_vi"),
        ("Tên đơn vị", "don_vi"),
        ("Đơn vị báo cáo", "don_vi"),
        ("Tháng báo cáo", "ky_bao_cao"),
        ("Tên chỉ tiêu", "ma_chi_tieu"),
        ("Tử số (hộ)", "tu_so"),
        ("Mẫu số (người)", "mau_so"),
        ("Giá trị (cái) ", "gia_tri"),
        ("Giá trị [%]", "gia_tri"),
        ("Ghi chú (nếu có)", "ghi_chu"),
        ("TỬ   SỐ\n(hộ)", "tu_so"),
    ],
)
def test_office_headers_name_their_column(header, column):
    assert long_column(header) == column
    assert long_column(unicodedata.normalize("NFD", header)) == column
    assert long_column(header.upper()) == column
    assert long_column(f"  {header.lower()}  ") == column


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Hoà", "Hòa"),  # old and new tone placement
        ("Thuỷ", "Thủy"),
        ("Tử số", unicodedata.normalize("NFD", "Tử số")),
        ("Tử số (hộ)", "tu_so"),
        ("Mẫu số (hộ) (*)", "Mẫu số"),
    ],
)
def test_header_keys_ignore_what_offices_vary(one, other):
    assert header_key(one) == header_key(other)


def test_every_alias_is_recognised_in_every_spelling():
    for column, aliases in LONG_ALIASES.items():
        for alias in aliases:
            for spelt in (alias, alias.upper(), unicodedata.normalize("NFD", alias), f"{alias} (đơn vị tính)"):
                assert long_column(spelt) == column, spelt


def test_a_remark_alone_is_not_a_header():
    assert long_column("(hộ)") is None
    assert long_column("") is None


def test_code_column_is_read_when_a_name_column_stands_beside_it():
    for header in (
        ["STT", "Tên chỉ tiêu", "Mã chỉ tiêu", "Tên thôn", "Mã thôn", "Kỳ báo cáo", "Giá trị"],
        ["STT", "Mã chỉ tiêu", "Tên chỉ tiêu", "Mã thôn", "Tên thôn", "Kỳ báo cáo", "Giá trị"],
    ):
        kind, row, columns = find_layout(Sheet("x", [header]))
        assert kind == "long" and row == 0
        read = {field: header[i] for i, field in columns.items()}
        assert read["ma_chi_tieu"] == "Mã chỉ tiêu"
        assert read["don_vi"] == "Mã thôn"
        assert "STT" not in read.values()


def test_template_part_with_a_unit_in_parentheses():
    assert parse_wide_header("CQ_VNEID_MUC_2 - Tử số (người)") == ("CQ_VNEID_MUC_2", "tu_so")
    assert parse_wide_header("CQ_VNEID_MUC_2 - MẪU SỐ") == ("CQ_VNEID_MUC_2", "mau_so")


def test_units_file_reads_office_headers(store):
    from indicators.ingest.units_file import parse_units_file

    data = "STT,Mã,Tên thôn (tổ dân phố),Số hộ (hộ),Dân số (người)\n1,BG01,Cậy,420,1600\n"
    units, issues = parse_units_file("thon.csv", data.encode(), store)
    assert [i.text() for i in issues if i.severity == "error"] == []
    assert [(u.code, u.name, u.households, u.population) for u in units if u.code == "BG01"] == [
        ("BG01", "Cậy", 420, 1600)
    ]
