"""Files as they arrive from offices: encodings, separators, title rows, empty rows, CRLF, NFD."""

from __future__ import annotations

import codecs
import unicodedata

import pytest

from indicators.ingest.layout import sheet_records
from indicators.ingest.read import _first_lines, decode_text, read_tables, sniff_delimiter

MARCH_FILES = [
    "long_utf8_bom.csv",
    "long_cp1258_semicolon.csv",
    "long_utf16_tab.txt",
    "long_cp1252.csv",
    "long_nfd.csv",
    "long_vietnamese_headers.csv",
    "long.xlsx",
]


@pytest.mark.parametrize("name", MARCH_FILES)
def test_fixture_imports_exactly_the_march_figures(
    name, store, fixture_bytes, run_import, figures, march_2026
):
    report = run_import(store, name, fixture_bytes(name))
    assert report.errors == [], [issue.text() for issue in report.errors]
    assert report.status == "imported"
    assert figures(store) == march_2026
    assert report.count("new") == len(march_2026)
    # received on 10 April: the March figures are late, which is the only warning
    assert [issue.message for issue in report.warnings] == [
        "Số liệu Tháng 3/2026 nộp sau hạn 18/03/2026: ghi nhận là nộp muộn."
    ]


@pytest.mark.parametrize("name", [n for n in MARCH_FILES if n != "long_cp1252.csv"])
def test_fixture_notes_arrive_as_nfc_text(name, store, fixture_bytes, run_import, march_2026_notes):
    run_import(store, name, fixture_bytes(name))
    current = store.current_submissions()
    notes = {(r.period, r.unit_code, r.indicator_code): r.note for r in current.itertuples() if r.note}
    assert notes == march_2026_notes
    for note in current["note"]:
        assert unicodedata.is_normalized("NFC", note)
        assert "\r" not in note and "\n" not in note


def test_cp1252_file_keeps_its_latin1_letters(store, fixture_bytes, run_import):
    run_import(store, "long_cp1252.csv", fixture_bytes("long_cp1252.csv"))
    notes = set(store.current_submissions()["note"]) - {""}
    assert notes == {"Ghi chú: Hòa, Bình"}


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("long_utf8_bom.csv", "utf-8-sig"),
        ("long_cp1258_semicolon.csv", "cp1258"),
        ("long_utf16_tab.txt", "utf-16"),
        ("long_cp1252.csv", "cp1252"),
        ("long_nfd.csv", "utf-8"),
        ("long_vietnamese_headers.csv", "utf-8"),
    ],
)
def test_encoding_is_recognised(name, encoding, fixture_bytes):
    text, found = decode_text(fixture_bytes(name))
    assert found == encoding
    assert unicodedata.is_normalized("NFC", text)
    assert "\ufffd" not in text


def test_cp1258_fixture_really_holds_combining_tone_marks(fixture_bytes):
    data = fixture_bytes("long_cp1258_semicolon.csv")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    # "Kỳ" is written as y + the combining grave (0xCC), "ậ" as â (0xE2) + dot below (0xF2)
    assert b"Ky\xcc" in data and b"C\xe2\xf2y" in data
    assert b"\r\n" in data
    text, _ = decode_text(data)
    assert "BÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ THÁNG 3/2026" in text
    assert "Kỳ báo cáo;Thôn;Mã chỉ tiêu;Tử số;Mẫu số;Giá trị;Ghi chú" in text


def test_cp1258_file_of_names_only_is_not_mistaken_for_cp1252(cp1258, store, run_import, figures):
    """What a hamlet head really sends: ASCII header and codes, hamlet names, no "đ" anywhere."""
    text = (
        "ky_bao_cao;don_vi;ma_chi_tieu;tu_so;mau_so;gia_tri;ghi_chu\r\n"
        "2026-03;Thôn Cậy;CQ_VNEID_MUC_2;812;1.045;;\r\n"
        "2026-03;Thôn Cậy;TT_TIN_BAI;;;4;\r\n"
        "2026-03;Thôn Cậy;HT_CAP_QUANG;301;412;;\r\n"
    )
    data = cp1258(text)
    decoded, encoding = decode_text(data)
    assert (decoded, encoding) == (text, "cp1258")
    report = run_import(store, "cay_t3.csv", data)
    assert report.status == "imported"
    assert {key[1] for key in figures(store)} == {"BG01"}


def test_cp1258_names_only_fixture_imports(store, fixture_bytes, run_import, figures):
    report = run_import(store, "long_cp1258_names_only.csv", fixture_bytes("long_cp1258_names_only.csv"))
    assert report.errors == []
    assert {key[1] for key in figures(store)} == {"BG01", "BG02", "BG05"}


def test_utf16_file_is_what_excel_unicode_text_writes(fixture_bytes):
    data = fixture_bytes("long_utf16_tab.txt")
    assert data.startswith(codecs.BOM_UTF16_LE)
    text = data.decode("utf-16")
    assert "\t" in text and "\r\n" in text
    (sheet,) = read_tables("long_utf16_tab.txt", data)
    assert sheet.rows[0] == ["Kỳ báo cáo", "Thôn", "Mã chỉ tiêu", "Tử số", "Mẫu số", "Giá trị", "Ghi chú"]


def test_nfd_fixture_is_really_decomposed(fixture_bytes):
    text = fixture_bytes("long_nfd.csv").decode("utf-8")
    assert not unicodedata.is_normalized("NFC", text)
    assert unicodedata.normalize("NFD", text) == text


def test_rows_are_numbered_as_excel_shows_them_under_title_rows(store, fixture_bytes, run_import):
    report = run_import(
        store, "long_cp1258_semicolon.csv", fixture_bytes("long_cp1258_semicolon.csv"), dry_run=True
    )
    # title (1), empty row (2), header (3): the first figure is on row 4
    assert list(report.rows["source_row"]) == list(range(4, 15))
    assert set(report.rows["sheet"]) == {"long_cp1258_semicolon.csv"}


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ('a;b;c\r\n1;"2,5";3\r\n4;1.234,5;6\r\n', ";"),
        ("a\tb\tc\n1,5\t2\t3\n", "\t"),
        ("TIÊU ĐỀ, THÁNG 3\n\na;b;c\n1;2;3\n4;5,5;6\n", ";"),
    ],
)
def test_separator_is_sniffed(text, delimiter):
    assert sniff_delimiter(text) == delimiter


@pytest.mark.parametrize("line_length", [10, 2_000, 70_000])
@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_the_first_lines_of_a_large_text_are_its_first_lines(line_length, ending):
    """Only a prefix is split (a city's file is 40 MB); lines longer than the prefix, and a line
    end cut in two at its edge, still give the lines `splitlines` gives."""
    text = ending.join(f"{i};" + "x" * line_length for i in range(100)) + ending
    for count in (1, 60, 100, 200):
        assert _first_lines(text, count) == text.splitlines()[:count]
    cut = "a;b" + "\r\n" * 40_000  # "\r" at one prefix's edge, its "\n" in the next
    assert _first_lines(cut[: 64 * 1024 - 1] + "x" + cut, 60) == (cut[: 64 * 1024 - 1] + "x" + cut).splitlines()[:60]
    assert sniff_delimiter("\n".join(["x;" + "y" * 70_000] * 3 + ["1;2"] * 3)) == ";"


ENCODERS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8-sig": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16": lambda text: text.encode("utf-16"),  # with a BOM, as Excel writes it
    "cp1252": lambda text: text.encode("cp1252"),
}


@pytest.mark.parametrize("encoding", [*ENCODERS, "cp1258"])
@pytest.mark.parametrize(("delimiter", "line_end"), [(",", "\n"), (";", "\r\n"), ("\t", "\r\n")])
def test_every_encoding_with_every_separator(
    encoding, delimiter, line_end, store, run_import, figures, make_long_csv, cp1258, make_figure
):
    rows = [
        ["2026-03", "BG01", "CQ_VNEID_MUC_2", "1.234", "2.000", "", ""],
        ["3/2026", "bg02", "TT_TIN_BAI", "", "", "12", ""],
        ["T3/2026", "Xã Bình Giang", "TC_VAN_BAN", "", "", "2", "Ghi chú: Hòa"],
    ]
    text = make_long_csv(rows, delimiter=delimiter, line_end=line_end)
    encode = cp1258 if encoding == "cp1258" else ENCODERS[encoding]
    report = run_import(store, f"file_{encoding}.csv", encode(text))
    assert report.errors == [], [issue.text() for issue in report.errors]
    assert figures(store) == {
        ("2026-03", "BG01", "CQ_VNEID_MUC_2"): make_figure(1234, 2000),
        ("2026-03", "BG02", "TT_TIN_BAI"): make_figure(None, None, 12),
        ("2026-03", "10966", "TC_VAN_BAN"): make_figure(None, None, 2),
    }
    assert set(store.current_submissions()["note"]) == {"", "Ghi chú: Hòa"}


def test_empty_rows_and_columns_around_the_data(store, run_import, figures, make_figure):
    text = (
        ";;;;;;;;\r\n"
        ";BÁO CÁO THÁNG 3/2026;;;;;;;\r\n"
        ";;;;;;;;\r\n"
        ";ky_bao_cao;don_vi;ma_chi_tieu;tu_so;mau_so;gia_tri;ghi_chu;\r\n"
        ";2026-03;Cậy;HT_CAP_QUANG;301;412;;;\r\n"
        ";;;;;;;;\r\n"
        ";;;;;;;;\r\n"
        ";2026-03;Bá Hợp;HT_CAP_QUANG;15;20;;;\r\n"
        ";;;;;;;;\r\n"
    )
    report = run_import(store, "gaps.csv", text)
    assert report.errors == []
    assert list(report.rows["source_row"]) == [5, 8]
    assert figures(store) == {
        ("2026-03", "BG01", "HT_CAP_QUANG"): make_figure(301, 412),
        ("2026-03", "BG03", "HT_CAP_QUANG"): make_figure(15, 20),
    }


def test_several_title_rows_are_skipped(store, run_import, make_long_csv):
    titles = [
        "ỦY BAN NHÂN DÂN XÃ BÌNH GIANG",
        "THÔN CẬY",
        "",
        "BÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ THÁNG 3/2026",
        "(Kèm theo Kế hoạch số 12/KH-UBND)",
        "",
    ]
    text = make_long_csv([["2026-03", "Cậy", "TT_TIN_BAI", "", "", "4", ""]], title_rows=titles)
    report = run_import(store, "titles.csv", text)
    assert report.errors == []
    assert list(report.rows["source_row"]) == [8]


def test_crlf_and_lf_give_the_same_figures(make_store, run_import, figures, make_long_csv):
    rows = [["2026-03", "Cậy", "TT_TIN_BAI", "", "", "4", "một\ndòng nữa"]]
    results = []
    for line_end in ("\n", "\r\n"):
        store = make_store()
        report = run_import(store, "x.csv", make_long_csv(rows, line_end=line_end))
        assert report.errors == []
        results.append((figures(store), list(store.current_submissions()["note"])))
        store.close()
    assert results[0] == results[1]


def test_every_sheet_record_keeps_its_excel_position(fixture_bytes):
    sheets = read_tables("long.xlsx", fixture_bytes("long.xlsx"))
    records = [record for sheet in sheets for record in (sheet_records(sheet) or [])]
    # the table starts in column B under a title and an empty row, with an empty row after the 5th
    assert [record.row for record in records] == [4, 5, 6, 7, 8, *range(10, 16)]
    assert records[0].column("don_vi").startswith("C ")
    assert records[0].column("ky_bao_cao") == "B (Kỳ báo cáo)"


# Texts that the csv module and Arrow's reader might split differently. `fast`: Arrow reads it (every
# line has the same number of fields); otherwise the csv module does.
CSV_EDGE_CASES = {
    "plain": ("a,b,c\n1,2,3\n", True),
    "crlf": ("a,b,c\r\n1,2,3\r\n", True),
    "cr only": ("a,b,c\r1,2,3\r", False),
    "quoted separator": ('a,b,c\n"x,y",2,3\n', True),
    "doubled quote": ('a,b,c\n"x""y",2,3\n', True),
    "quote inside a cell": ('a,b,c\nx"y,2,3\n', True),
    "text after a closing quote": ('a,b,c\n"x"y,2,3\n', True),
    "space around quotes": ('a,b,c\n"x" , "z",3\n', True),
    "line break in a quoted cell": ('a,b,c\n"x\ny",2,3\n', True),
    "blank line": ("a,b,c\n\n1,2,3\n", False),
    "trailing blank lines": ("a,b,c\n1,2,3\n\n\n", False),
    "line of spaces": ("a,b,c\n   \n1,2,3\n", False),
    "short row": ("a,b,c\n1,2\n", False),
    "long row": ("a,b,c\n1,2,3,4\n", False),
    "spaces to trim": ("a , b,c\n  1 ,2,  \n", True),
    "no final line break": ("a,b,c\n1,2,3", True),
    "empty quoted cells": ('a,b,c\n"",2,""\n', True),
    "semicolons and decimal commas": ("a;b;c\n1,5;2;3\n", True),
    "tabs": ("a\tb\tc\n1\t2\t3\n", True),
    "Vietnamese and double spaces": ("ký,đơn,c\nThôn  Đông,2,3\n", True),
    "no-break space": ("a,b,c\n1\u00a0,2,3\n", True),
    "quoted header with separator": ('"a,1",b,c\n1,2,3\n', True),
    "line break in the header": ('"a\nx",b,c\n1,2,3\n', False),
    "one column": ("a\n1\n2\n", True),
}


@pytest.mark.parametrize("text,fast", CSV_EDGE_CASES.values(), ids=list(CSV_EDGE_CASES))
def test_csv_read_column_wise_gives_the_csv_modules_rows(text, fast):
    import csv
    import io

    from indicators.ingest.read import _csv_cell, read_csv_text

    sheet = read_csv_text(text, "x.csv")
    delimiter = sniff_delimiter(text)
    expected = [list(map(_csv_cell, row)) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    assert (sheet.frame is not None) == fast
    assert list(sheet.rows) == expected
    assert len(sheet.rows) == len(expected) and sheet.rows[-1] == expected[-1] and sheet.rows[1:2] == expected[1:2]
