"""Errors reject the whole file, write nothing, and each one says where it is, in Vietnamese."""

from __future__ import annotations

import re

import pytest

from tests.support import new_db

# errors_many.csv: Excel row -> (column letter, words the message must contain)
ERRORS_MANY = {
    5: ("B", ["Không có đơn vị “Thôn Cây Xanh”", "Có phải:", "Thôn Cậy"]),
    6: ("C", ["Không có chỉ tiêu “CQ_VNEID_MUC_3”", "Có phải:", "CQ_VNEID_MUC_2"]),
    7: ("A", ["Kỳ báo cáo “2026-13” không hợp lệ"]),
    8: ("A", ["Tháng 12/2026 chưa tới"]),
    9: ("F", ["cần giá trị", "trống"]),
    # a figure's error names the indicator first (a wide sheet has one per column)
    10: ("F", ["(TT_TIN_BAI): “bốn” không phải là số"]),
    11: ("F", ["Số âm"]),
    12: ("D", ["(CQ_VNEID_MUC_2): Tử số (1.200) lớn hơn mẫu số (1.000)"]),
    13: ("E", ["Mẫu số bằng 0"]),
    15: ("Mã chỉ tiêu", ["nhiều lần với số liệu khác nhau", "dòng 14, 15"]),
    16: ("B", ["Tỷ lệ công dân kích hoạt tài khoản định danh", "(CQ_VNEID_MUC_2) do cấp thôn báo cáo", "Xã Bình Giang"]),
    17: ("B", ["(TC_VAN_BAN) do cấp xã báo cáo", "Thôn Cậy"]),
    18: ("F", ["“72,5%” là tỷ lệ phần trăm", "tử số và mẫu số"]),
    19: ("A", ["Thiếu kỳ báo cáo"]),
    20: ("E", ["cần cả tử số và mẫu số"]),
    21: ("D", ["“ba mươi” không phải là số"]),
}


def _letter(column: str) -> str:
    """ "B (don_vi)" -> "B"; a column named without a letter stays as it is."""
    match = re.match(r"^([A-Z]{1,3}) \(", column)
    return match.group(1) if match else column


@pytest.fixture
def errors_many(store, fixture_bytes, run_import):
    return run_import(store, "errors_many.csv", fixture_bytes("errors_many.csv"))


def test_errors_many_is_rejected_with_every_error_at_once(errors_many, store):
    assert errors_many.status == "rejected"
    assert errors_many.batch_id is None
    assert len(errors_many.errors) >= len(ERRORS_MANY)
    rows = {issue.row for issue in errors_many.errors}
    assert rows == set(ERRORS_MANY)  # the good row 4 and the first duplicate (14) are not errors
    assert store.current_submissions().empty
    assert store.batches().empty
    assert "bị từ chối" in errors_many.summary() and "Chưa có số liệu nào được ghi" in errors_many.summary()


@pytest.mark.parametrize("row", sorted(ERRORS_MANY))
def test_errors_many_names_row_and_column(errors_many, row):
    letter, words = ERRORS_MANY[row]
    found = [issue for issue in errors_many.errors if issue.row == row]
    assert len(found) == 1, [issue.text() for issue in found]
    (issue,) = found
    assert _letter(issue.column) == letter
    assert issue.sheet == "errors_many.csv"
    for word in words:
        assert word in issue.message
    text = issue.text()
    assert text.startswith(f"Lỗi (dòng {row}, cột ")


def test_every_message_is_vietnamese(errors_many):
    for issue in errors_many.issues:
        # Vietnamese letters in every message, and no English words from Python or pydantic
        assert re.search(r"[àáảãạăâđèéẻẽẹêìíỉĩịòóỏõọôơùúủũụưỳýỷỹỵ]", issue.message.lower()), issue.message
        for english in ("error", "value", "invalid", "must", "Traceback", "None", "nan"):
            assert english not in issue.message, issue.message


def _one(rows: list[list[str]], make_long_csv) -> str:
    return make_long_csv(rows)


SINGLE_ERRORS = [
    # (row as written, column letter, words in the message)
    (["2026-03", "Thôn Không Có", "TT_TIN_BAI", "", "", "4", ""], "B", "Không có đơn vị"),
    (["2026-03", "Cậy", "KHONG_CO", "", "", "4", ""], "C", "Không có chỉ tiêu"),
    (["tháng ba", "Cậy", "TT_TIN_BAI", "", "", "4", ""], "A", "không hợp lệ"),
    (["13/2026", "Cậy", "TT_TIN_BAI", "", "", "4", ""], "A", "không hợp lệ"),
    (["2026-05", "Cậy", "TT_TIN_BAI", "", "", "4", ""], "A", "chưa tới"),
    (["2026-03", "Cậy", "TT_TIN_BAI", "", "", "", "chưa có số"], "F", "cần giá trị"),
    (["2026-03", "Cậy", "TT_TIN_BAI", "", "", "n/a", ""], "F", "không phải là số"),
    (["2026-03", "Cậy", "TT_TIN_BAI", "", "", "-1", ""], "F", "Số âm"),
    (["2026-03", "Cậy", "HT_CAP_QUANG", "-1", "10", "", ""], "D", "Số âm"),
    (["2026-03", "Cậy", "HT_CAP_QUANG", "5", "-10", "", ""], "E", "Số âm"),
    (["2026-03", "Cậy", "HT_CAP_QUANG", "11", "10", "", ""], "D", "lớn hơn mẫu số"),
    (["2026-03", "Cậy", "HT_PHU_SONG_5G", "2", "1", "", ""], "D", "lớn hơn mẫu số"),
    (["2026-03", "Cậy", "HT_CAP_QUANG", "3", "0", "", ""], "E", "Mẫu số bằng 0"),
    (["2026-03", "Cậy", "HT_CAP_QUANG", "3", "", "", ""], "E", "cần cả tử số và mẫu số"),
    (["2026-03", "Cậy", "HT_CAP_QUANG", "", "10", "", ""], "D", "cần cả tử số và mẫu số"),
    (["2026-03", "Cậy", "HT_CAP_QUANG", "2,5", "10", "", ""], "D", "số nguyên"),
    (["2026-03", "Cậy", "TT_TIN_BAI", "", "", "1,5", ""], "F", "số nguyên"),
    (["2026-03", "Cậy", "HT_CAP_QUANG", "", "", "72,5%", ""], "F", "tử số và mẫu số"),
    (["2026-03", "Cậy", "HT_CAP_QUANG", "", "", "72,5", ""], "F", "tử số"),
    (["2026-03", "Cậy", "HT_CAP_QUANG", "72,5%", "", "", ""], "D", "tử số và mẫu số"),
    (["2026-03", "Xã Bình Giang", "HT_CAP_QUANG", "3", "10", "", ""], "B", "do cấp thôn báo cáo"),
    (["2026-03", "Cậy", "TC_VAN_BAN", "", "", "3", ""], "B", "do cấp xã báo cáo"),
    (["", "Cậy", "TT_TIN_BAI", "", "", "4", ""], "A", "Thiếu kỳ báo cáo"),
    (["2026-03", "", "TT_TIN_BAI", "", "", "4", ""], "B", "Thiếu tên hoặc mã đơn vị"),
    (["2026-03", "Cậy", "", "", "", "4", ""], "C", "Thiếu mã chỉ tiêu"),
]


@pytest.mark.parametrize(("row", "letter", "words"), SINGLE_ERRORS)
def test_each_kind_of_error_rejects_and_is_positioned(row, letter, words, store, run_import, make_long_csv):
    good = ["2026-03", "Bá Thủy", "TT_TIN_BAI", "", "", "4", ""]
    report = run_import(store, "mot_loi.csv", make_long_csv([good, row]))
    assert report.status == "rejected"
    assert len(report.errors) == 1, [issue.text() for issue in report.errors]
    (error,) = report.errors
    assert error.row == 3
    assert _letter(error.column) == letter
    assert words in error.message
    assert store.current_submissions().empty and store.batches().empty


def test_identical_duplicate_rows_are_a_warning_kept_once(store, run_import, make_long_csv):
    row = ["2026-03", "Cậy", "HT_CAP_QUANG", "30", "40", "", ""]
    same = ["2026-03", "BG01", "ht_cap_quang", "30", "40", "", ""]
    report = run_import(store, "trung.csv", make_long_csv([row, same]))
    assert report.status == "imported"
    assert len(report.rows) == 1
    (warning,) = [w for w in report.warnings if w.row is not None]
    assert warning.row == 3 and "trùng lặp với dòng 2" in warning.message


def test_conflicting_duplicates_spelt_differently_are_an_error(store, run_import, make_long_csv):
    rows = [
        ["2026-03", "Cậy", "HT_CAP_QUANG", "30", "40", "", ""],
        ["3/2026", "BG01", "Tỷ lệ hộ gia đình có Internet cáp quang băng rộng", "31", "40", "", ""],
    ]
    report = run_import(store, "trung.csv", make_long_csv(rows))
    assert report.status == "rejected"
    (error,) = report.errors
    assert error.row == 3 and "dòng 2, 3" in error.message


def test_five_different_bad_rows_give_at_least_five_errors(store, run_import, make_long_csv):
    rows = [
        ["2026-03", "Thôn Mới", "TT_TIN_BAI", "", "", "4", ""],
        ["2026-03", "Cậy", "TT_TIN_BAI", "", "", "bốn", ""],
        ["2026-03", "Cậy", "HT_CAP_QUANG", "50", "40", "", ""],
        ["2027-01", "Cậy", "HT_MAY_2G", "", "", "1", ""],
        ["2026-03", "Cậy", "CQ_CHU_KY_SO", "", "", "60%", ""],
        ["2026-03", "Bá Thủy", "TT_TIN_BAI", "", "", "4", ""],
    ]
    report = run_import(store, "nam_loi.csv", make_long_csv(rows))
    assert report.status == "rejected"
    assert len(report.errors) >= 5
    assert {issue.row for issue in report.errors} == {2, 3, 4, 5, 6}


def test_one_row_with_several_problems_reports_each(store, run_import, make_long_csv):
    rows = [["2026-13", "Thôn Mới", "KHONG_CO", "", "", "abc", ""]]
    report = run_import(store, "nhieu.csv", make_long_csv(rows))
    assert {_letter(issue.column) for issue in report.errors} == {"A", "B", "C", "F"}
    assert {issue.row for issue in report.errors} == {2}


NOT_A_TABLE = [
    ("junk.bin", "không phải bảng dữ liệu"),
    ("empty.csv", "rỗng"),
    ("old_excel.xls", "Excel 97-2003 (.xls)"),
    ("header_only.csv", "không có dòng số liệu nào"),
]


@pytest.mark.parametrize(("name", "words"), NOT_A_TABLE)
def test_a_file_that_is_not_a_table_is_rejected(name, words, store, fixture_bytes, run_import):
    report = run_import(store, name, fixture_bytes(name))
    assert report.status == "rejected"
    (error,) = report.errors
    assert words in error.message
    assert error.row is None
    assert store.batches().empty


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"   \r\n\r\n", "rỗng"),
        (
            "Kính gửi UBND xã,\nThôn Cậy xin báo cáo tình hình tháng 3.\n".encode(),
            "Không tìm thấy dòng tiêu đề",
        ),
        (b"PK\x03\x04" + bytes(range(256)), "Không đọc được tệp Excel"),
        (b"\x00\x01\x02\x03" * 500, "không phải bảng dữ liệu"),
        (b"ky_bao_cao,don_vi,ma_chi_tieu\n,,\n\n , ,\n", "không có dòng số liệu nào"),
    ],
)
def test_other_unreadable_files_are_rejected_with_a_reason(data, words, store, run_import):
    report = run_import(store, "tep.csv", data)
    assert report.status == "rejected"
    assert any(words in issue.message for issue in report.errors), [i.text() for i in report.errors]


REJECTED = ["errors_many.csv", "junk.bin", "empty.csv", "old_excel.xls", "header_only.csv"]


def test_rejected_files_leave_the_database_unchanged(file_store, fixture_bytes, run_import):
    first = run_import(file_store, "long_utf8_bom.csv", fixture_bytes("long_utf8_bom.csv"))
    assert first.status == "imported"
    before = file_store.content_snapshot()
    assert before["submissions"] and before["batches"]
    for name in REJECTED:
        report = run_import(file_store, name, fixture_bytes(name))
        assert report.status == "rejected", name
        assert file_store.content_snapshot() == before, name


def test_a_file_with_one_error_among_good_rows_writes_none_of_them(file_store, run_import, make_long_csv):
    before = file_store.content_snapshot()
    rows = [["2026-03", unit, "TT_TIN_BAI", "", "", "4", ""] for unit in ("Cậy", "Bá Thủy", "Bá Hợp")]
    rows.append(["2026-03", "Cam Xá", "TT_TIN_BAI", "", "", "-4", ""])
    report = run_import(file_store, "mot_loi.csv", make_long_csv(rows))
    assert report.status == "rejected"
    assert file_store.content_snapshot() == before


def test_rejected_file_changes_nothing_after_reopening(tmp_path, make_store, fixture_bytes, run_import):
    path = new_db(tmp_path, "reopen")
    store = make_store(path)
    run_import(store, "long.xlsx", fixture_bytes("long.xlsx"))
    before = store.content_snapshot()
    run_import(store, "errors_many.csv", fixture_bytes("errors_many.csv"))
    store.close()
    again = make_store(path)  # save_units again: same units, only updated_at moves
    after = again.content_snapshot()
    again.close()
    for table in ("submissions", "batches", "batch_reverts", "targets", "schema_migrations"):
        assert after[table] == before[table], table
