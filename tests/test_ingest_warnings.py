"""Warnings import the file but are flagged, and stored with the batch."""

from __future__ import annotations

from datetime import datetime

import pytest

from indicators.domain.settings import Settings
from tests.support import ADMIN

FEB = [
    ["2026-02", "Cậy", "CQ_VNEID_MUC_2", "500", "1000", "", ""],
    ["2026-02", "Bá Thủy", "TT_TIN_BAI", "", "", "4", ""],
    ["2026-02", "Bá Hợp", "HT_CAP_QUANG", "300", "400", "", ""],
]
ON_TIME_FEB = datetime(2026, 2, 12, 8, 0)
ON_TIME_MAR = datetime(2026, 3, 12, 8, 0)


def _march(rows):
    return [[row[0].replace("2026-02", "2026-03"), *row[1:]] for row in rows]


@pytest.fixture
def with_february(store, run_import, make_long_csv):
    report = run_import(store, "t2.csv", make_long_csv(FEB), now=ON_TIME_FEB)
    assert report.status == "imported" and report.warnings == []
    return store


def _messages(report, words: str) -> list[str]:
    return [issue.message for issue in report.warnings if words in issue.message]


def _stored(store, batch_id) -> list[str]:
    batches = store.batches()
    return list(batches[batches["id"] == batch_id]["warnings"].iloc[0])


# --- late ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("received", "late"),
    [
        (datetime(2026, 3, 10, 9, 0), False),
        (datetime(2026, 3, 18, 0, 0), False),
        (datetime(2026, 3, 18, 23, 0), False),
        (datetime(2026, 3, 18, 23, 59, 59), False),
        (datetime(2026, 3, 19, 0, 0), True),
        (datetime(2026, 3, 19, 7, 30), True),
        (datetime(2026, 4, 10, 9, 0), True),
    ],
)
def test_late_after_the_18th_of_the_reporting_month(received, late, store, run_import, make_long_csv):
    report = run_import(store, "t3.csv", make_long_csv(_march(FEB)), now=received)
    assert report.status == "imported"
    found = _messages(report, "nộp muộn")
    assert bool(found) is late
    if late:
        assert found == ["Số liệu Tháng 3/2026 nộp sau hạn 18/03/2026: ghi nhận là nộp muộn."]
        (stored,) = [w for w in _stored(store, report.batch_id) if "nộp muộn" in w]
        assert stored.startswith("Cảnh báo")
        assert "Tháng 3/2026" in stored
    else:
        assert not any("nộp muộn" in w for w in _stored(store, report.batch_id))


def test_each_late_month_of_a_file_is_flagged(store, run_import, make_long_csv):
    rows = [*FEB, *_march(FEB)]
    report = run_import(store, "t2_t3.csv", make_long_csv(rows), now=datetime(2026, 3, 10))
    assert _messages(report, "nộp muộn") == [
        "Số liệu Tháng 2/2026 nộp sau hạn 18/02/2026: ghi nhận là nộp muộn."
    ]


def test_deadline_day_is_a_setting(store, run_import, make_long_csv):
    store.save_settings(Settings(deadline_day=20), ADMIN)
    on_time = run_import(store, "t3.csv", make_long_csv(_march(FEB)), now=datetime(2026, 3, 20, 22))
    assert _messages(on_time, "nộp muộn") == []
    late = run_import(store, "t3b.csv", make_long_csv(_march(FEB)), now=datetime(2026, 3, 21), dry_run=True)
    assert _messages(late, "nộp muộn") == [
        "Số liệu Tháng 3/2026 nộp sau hạn 20/03/2026: ghi nhận là nộp muộn."
    ]


# --- jumps -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("february", "march", "jump"),
    [
        (("HT_CAP_QUANG", "200", "400", ""), ("HT_CAP_QUANG", "390", "400", ""), True),  # 50% -> 97.5%
        (("HT_CAP_QUANG", "300", "400", ""), ("HT_CAP_QUANG", "390", "400", ""), False),  # +22.5 pts, +30%
        (("HT_CAP_QUANG", "40", "100", ""), ("HT_CAP_QUANG", "61", "100", ""), True),  # +21 pts, +52.5%
        (("HT_CAP_QUANG", "40", "100", ""), ("HT_CAP_QUANG", "59", "100", ""), False),  # +19 pts, +47.5%
        (("HT_CAP_QUANG", "50", "100", ""), ("HT_CAP_QUANG", "10", "100", ""), True),  # a fall counts too
        (("TT_TIN_BAI", "", "", "4"), ("TT_TIN_BAI", "", "", "40"), True),
        (("TT_TIN_BAI", "", "", "2"), ("TT_TIN_BAI", "", "", "9"), False),  # +350% but only +7
        (("TT_TIN_BAI", "", "", "0"), ("TT_TIN_BAI", "", "", "25"), True),
        (("TT_TIN_BAI", "", "", "40"), ("TT_TIN_BAI", "", "", "45"), False),
    ],
)
def test_jump_against_the_previous_month(february, march, jump, store, run_import, make_long_csv):
    run_import(store, "t2.csv", make_long_csv([["2026-02", "Cậy", *february, ""]]), now=ON_TIME_FEB)
    report = run_import(store, "t3.csv", make_long_csv([["2026-03", "Cậy", *march, ""]]), now=ON_TIME_MAR)
    assert report.status == "imported"
    found = [w for w in report.warnings if "thay đổi bất thường" in w.message]
    assert bool(found) is jump
    if jump:
        (warning,) = found
        assert warning.row == 2
        assert "Thôn Cậy" in warning.message and march[0] in warning.message
        assert any("thay đổi bất thường" in w for w in _stored(store, report.batch_id))


def test_jump_message_shows_both_values_the_vietnamese_way(store, run_import, make_long_csv):
    run_import(
        store,
        "t2.csv",
        make_long_csv([["2026-02", "Cậy", "HT_CAP_QUANG", "1", "4", "", ""]]),
        now=ON_TIME_FEB,
    )
    report = run_import(
        store,
        "t3.csv",
        make_long_csv([["2026-03", "Cậy", "HT_CAP_QUANG", "3", "4", "", ""]]),
        now=ON_TIME_MAR,
    )
    (warning,) = report.warnings
    assert "25,0% → 75,0%" in warning.message


HAMLETS = ["Cậy", "Bá Thủy", "Bá Hợp", "Cam Xá", "Hạ Bì", "Ô Xuyên", "Bì Đổ"]


def _vneid(period: str, numerators: list[int]) -> list[list[str]]:
    return [[period, h, "CQ_VNEID_MUC_2", str(n), "1000", "", ""] for h, n in zip(HAMLETS, numerators)]


def test_a_hamlet_that_moves_unlike_the_others_is_flagged(store, run_import, make_long_csv):
    run_import(store, "t2.csv", make_long_csv(_vneid("2026-02", [500] * 7)), now=ON_TIME_FEB)
    # the others move 0 to 3 points, Bì Đổ 12: below the 50% threshold, far from the others
    march = _vneid("2026-03", [510, 520, 500, 510, 530, 520, 620])
    report = run_import(store, "t3.csv", make_long_csv(march), now=ON_TIME_MAR)
    flagged = [w for w in report.warnings if "thay đổi bất thường" in w.message]
    assert [w.row for w in flagged] == [8]
    assert "Thôn Bì Đổ" in flagged[0].message


def test_a_hamlet_that_moves_while_the_others_stand_still_is_flagged(store, run_import, make_long_csv):
    run_import(store, "t2.csv", make_long_csv(_vneid("2026-02", [600] * 7)), now=ON_TIME_FEB)
    # six hamlets unchanged, Bì Đổ +15 points (60% -> 75%: +25%, under the 50% threshold)
    march = _vneid("2026-03", [600] * 6 + [750])
    report = run_import(store, "t3.csv", make_long_csv(march), now=ON_TIME_MAR)
    assert [w.row for w in report.warnings if "thay đổi bất thường" in w.message] == [8]


def test_no_jump_without_a_previous_month(store, run_import, make_long_csv):
    run_import(
        store,
        "t1.csv",
        make_long_csv([["2026-01", "Cậy", "TT_TIN_BAI", "", "", "1", ""]]),
        now=datetime(2026, 1, 5),
    )
    report = run_import(
        store, "t3.csv", make_long_csv([["2026-03", "Cậy", "TT_TIN_BAI", "", "", "90", ""]]), now=ON_TIME_MAR
    )
    assert report.warnings == []


# --- a file identical to last month ----------------------------------------------------------
def test_whole_file_identical_to_last_month(with_february, run_import, make_long_csv):
    report = run_import(with_february, "t3.csv", make_long_csv(_march(FEB)), now=ON_TIME_MAR)
    assert report.status == "imported"
    assert _messages(report, "giống hệt tháng trước") == [
        "Toàn bộ số liệu của Tháng 3/2026 giống hệt tháng trước: có thể đã gửi nhầm tệp cũ."
    ]
    assert any("giống hệt tháng trước" in w for w in _stored(with_february, report.batch_id))


def test_one_figure_different_from_last_month_is_not_an_identical_file(
    with_february, run_import, make_long_csv
):
    rows = _march(FEB)
    rows[1] = ["2026-03", "Bá Thủy", "TT_TIN_BAI", "", "", "5", ""]
    report = run_import(with_february, "t3.csv", make_long_csv(rows), now=ON_TIME_MAR)
    assert _messages(report, "giống hệt") == []


def test_identical_file_check_needs_every_row_to_have_last_month(with_february, run_import, make_long_csv):
    rows = [*_march(FEB), ["2026-03", "Cam Xá", "TT_TIN_BAI", "", "", "3", ""]]
    report = run_import(with_february, "t3.csv", make_long_csv(rows), now=ON_TIME_MAR)
    assert _messages(report, "giống hệt") == []


# --- stocks going down -----------------------------------------------------------------------
def test_stock_numerator_going_down_is_flagged(with_february, run_import, make_long_csv):
    rows = _march(FEB)
    rows[0] = ["2026-03", "Cậy", "CQ_VNEID_MUC_2", "480", "1000", "", ""]  # 500 -> 480: -2 points
    report = run_import(with_february, "t3.csv", make_long_csv(rows), now=ON_TIME_MAR)
    assert report.status == "imported"
    (warning,) = [w for w in report.warnings if "lũy kế" in w.message]
    assert warning.row == 2
    assert "CQ_VNEID_MUC_2" in warning.message and "tử số" in warning.message
    assert "500 → 480" in warning.message and "Thôn Cậy" in warning.message
    assert [w for w in report.warnings if "thay đổi bất thường" in w.message] == []
    assert any("500 → 480" in w for w in _stored(with_february, report.batch_id))


@pytest.mark.parametrize(
    ("code", "before", "after", "flagged"),
    [
        ("DN_THUONG_MAI_DIEN_TU", ("", "", "12"), ("", "", "11"), True),  # a stock count, up is good
        ("HT_MAY_2G", ("", "", "12"), ("", "", "11"), False),  # a stock where down is good
        ("TT_TIN_BAI", ("", "", "6"), ("", "", "5"), False),  # a flow: months add up
        ("CQ_VNEID_MUC_2", ("500", "1000", ""), ("500", "900", ""), False),  # only the numerator counts
        ("CQ_VNEID_MUC_2", ("500", "1000", ""), ("520", "1000", ""), False),
    ],
)
def test_which_indicators_are_stocks_that_must_not_fall(
    code, before, after, flagged, store, run_import, make_long_csv
):
    run_import(store, "t2.csv", make_long_csv([["2026-02", "Cậy", code, *before, ""]]), now=ON_TIME_FEB)
    report = run_import(
        store, "t3.csv", make_long_csv([["2026-03", "Cậy", code, *after, ""]]), now=ON_TIME_MAR
    )
    assert bool([w for w in report.warnings if "lũy kế" in w.message]) is flagged


# --- warnings never block ---------------------------------------------------------------------
def test_all_warnings_together_still_import_and_are_all_stored(
    with_february, run_import, make_long_csv, figures
):
    rows = [
        ["2026-03", "Cậy", "CQ_VNEID_MUC_2", "480", "1000", "", ""],  # stock down
        ["2026-03", "Bá Thủy", "TT_TIN_BAI", "", "", "40", ""],  # jump
        ["2026-03", "Bá Hợp", "HT_CAP_QUANG", "300", "400", "", ""],
        ["2026-03", "Bá Hợp", "HT_CAP_QUANG", "300", "400", "", ""],  # identical duplicate
    ]
    report = run_import(with_february, "t3.csv", make_long_csv(rows), now=datetime(2026, 3, 25))
    assert report.status == "imported" and report.errors == []
    assert len(report.warnings) == 4
    stored = _stored(with_february, report.batch_id)
    assert stored == [issue.text() for issue in report.warnings]
    assert {key for key in figures(with_february) if key[0] == "2026-03"} == {
        ("2026-03", "BG01", "CQ_VNEID_MUC_2"),
        ("2026-03", "BG02", "TT_TIN_BAI"),
        ("2026-03", "BG03", "HT_CAP_QUANG"),
    }
    assert "4 cảnh báo" in report.summary()


def test_a_batch_without_warnings_stores_an_empty_list(store, run_import, make_long_csv):
    report = run_import(store, "t3.csv", make_long_csv(_march(FEB)), now=ON_TIME_MAR)
    assert _stored(store, report.batch_id) == []


def test_a_two_month_file_is_checked_month_against_month(store, run_import, make_long_csv):
    rows = [
        ["2026-02", "Cậy", "CQ_VNEID_MUC_2", "500", "1000", "", ""],
        ["2026-03", "Cậy", "CQ_VNEID_MUC_2", "400", "1000", "", ""],  # a stock falling 100
        ["2026-02", "Bá Thủy", "TT_TIN_BAI", "", "", "4", ""],
        ["2026-03", "Bá Thủy", "TT_TIN_BAI", "", "", "80", ""],  # a 20-fold jump
    ]
    report = run_import(store, "t2_t3.csv", make_long_csv(rows), now=ON_TIME_MAR)
    assert [w.row for w in report.warnings if "lũy kế" in w.message] == [3]
    assert [w.row for w in report.warnings if "thay đổi bất thường" in w.message] == [5]
