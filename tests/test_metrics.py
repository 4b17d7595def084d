"""Roll-ups, progress, projection, status and completeness, checked against hand-computed figures.

Every figure enters through the real import (CSV bytes, an explicit reception time), so these
tests also pin down what a commune sees after an import.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Iterable, Sequence
from datetime import datetime

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators import metrics
from indicators.domain import catalog, periods
from indicators.domain.units import OrgUnit
from indicators.ingest import ImportReport, import_file
from indicators.ingest.columns import LONG_COLUMNS
from indicators.storage import Store
from tests.support import ADMIN, admin, memory_store

MT_COMMUNE = "10966"
MT_HAMLETS = {"H1": "Cậy", "H2": "Bá Thủy", "H3": "Hạ Bì", "H4": "Cam Xá"}
MT_MARCH_10 = datetime(2026, 3, 10, 9, 0)
HAMLET_CODES = [item.code for item in catalog.indicators_at_level("hamlet")]
COMMUNE_CODES = [item.code for item in catalog.indicators_at_level("commune")]

Row = Sequence[object]  # (period, unit, indicator, numerator, denominator, value[, note])


def mt_units() -> list[OrgUnit]:
    return [
        OrgUnit(code=MT_COMMUNE, name="Bình Giang", level="commune"),
        *(
            OrgUnit(code=code, name=name, parent=MT_COMMUNE, level="hamlet")
            for code, name in MT_HAMLETS.items()
        ),
    ]


def mt_new_store(units: Iterable[OrgUnit] | None = None) -> Store:
    store = memory_store()
    store.save_units(list(units) if units is not None else mt_units(), ADMIN)
    return store


_mt_names = itertools.count(1)


def mt_csv(rows: Iterable[Row]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LONG_COLUMNS)
    for row in rows:
        cells = ["" if cell is None else cell for cell in row]
        writer.writerow(cells + [""] * (len(LONG_COLUMNS) - len(cells)))
    return buffer.getvalue().encode("utf-8")


def mt_import(store: Store, rows: Iterable[Row], now: datetime = MT_MARCH_10) -> ImportReport:
    report = import_file(store, f"tep_{next(_mt_names)}.csv", mt_csv(rows), admin("can_bo_test"), now=now)
    assert report.status == "imported", report.issues_frame().to_string()
    return report


def ratio(period: str, unit: str, code: str, num: int, den: int) -> Row:
    return (period, unit, code, num, den, None)


def count(period: str, unit: str, code: str, value: int) -> Row:
    return (period, unit, code, None, None, value)


def mt_status(store: Store, period: str, unit: str = MT_COMMUNE) -> pd.DataFrame:
    return metrics.indicator_status(store, period, [unit]).set_index("indicator_code")


def mt_row(store: Store, period: str, code: str, unit: str = MT_COMMUNE) -> pd.Series:
    return mt_status(store, period, unit).loc[code]


def full_hamlet_rows(period: str, unit: str) -> list[Row]:
    """A hamlet's complete month: every hamlet indicator (ratios 1/1, counts 1)."""
    out = []
    for code in HAMLET_CODES:
        item = catalog.indicator(code)
        out.append(ratio(period, unit, code, 1, 1) if item.is_ratio else count(period, unit, code, 1))
    return out


@pytest.fixture
def mt_store() -> Store:
    store = mt_new_store()
    yield store
    store.close()


# --- roll-up over hamlets -------------------------------------------------------------------


def test_commune_ratio_sums_parts_equal_sizes(mt_store: Store) -> None:
    mt_import(mt_store, [ratio("2026-03", "H1", "HT_CAP_QUANG", 10, 100),
                         ratio("2026-03", "H2", "HT_CAP_QUANG", 90, 100)])  # fmt: skip
    row = mt_row(mt_store, "2026-03", "HT_CAP_QUANG")
    assert row["value"] == pytest.approx(50.0)
    assert (row["numerator"], row["denominator"], row["reporters"]) == (100, 200, 2)


def test_commune_ratio_is_not_the_mean_of_percentages(mt_store: Store) -> None:
    mt_import(mt_store, [ratio("2026-03", "H1", "HT_CAP_QUANG", 1, 10),
                         ratio("2026-03", "H2", "HT_CAP_QUANG", 90, 100)])  # fmt: skip
    row = mt_row(mt_store, "2026-03", "HT_CAP_QUANG")
    assert row["value"] == pytest.approx(100 * 91 / 110)  # 82.7 %
    assert row["value"] != pytest.approx((10 + 90) / 2)
    assert (row["numerator"], row["denominator"]) == (91, 110)
    # each hamlet keeps its own percentage
    assert mt_row(mt_store, "2026-03", "HT_CAP_QUANG", "H1")["value"] == pytest.approx(10.0)
    assert mt_row(mt_store, "2026-03", "HT_CAP_QUANG", "H2")["value"] == pytest.approx(90.0)


def test_counts_sum_over_hamlets(mt_store: Store) -> None:
    mt_import(mt_store, [count("2026-03", "H1", "HT_MAY_2G", 5), count("2026-03", "H2", "HT_MAY_2G", 7),
                         count("2026-03", "H3", "HT_MAY_2G", 0)])  # fmt: skip
    row = mt_row(mt_store, "2026-03", "HT_MAY_2G")
    assert row["value"] == 12
    assert row["reporters"] == 3


def test_sum_indicator_adds_the_months_of_the_year(mt_store: Store) -> None:
    mt_import(mt_store, [
        count("2025-12", "H1", "TT_TIN_BAI", 7),  # last year: not part of 2026's total
        count("2026-01", "H1", "TT_TIN_BAI", 2), count("2026-02", "H1", "TT_TIN_BAI", 3),
        count("2026-03", "H1", "TT_TIN_BAI", 4), count("2026-03", "H2", "TT_TIN_BAI", 5),
    ])  # fmt: skip
    march = mt_row(mt_store, "2026-03", "TT_TIN_BAI")
    assert march["value"] == 2 + 3 + 4 + 5
    assert march["monthly_value"] == 4 + 5
    assert march["change"] == 9 - 3
    assert mt_row(mt_store, "2026-02", "TT_TIN_BAI")["value"] == 5
    assert mt_row(mt_store, "2026-03", "TT_TIN_BAI", "H1")["value"] == 9
    january = mt_row(mt_store, "2026-01", "TT_TIN_BAI")
    assert january["value"] == 2
    assert january["change"] == 2 - 7
    series = metrics.series(mt_store, "TT_TIN_BAI", 2026, "2026-03", [MT_COMMUNE])
    assert list(series["period"]) == ["2026-01", "2026-02", "2026-03"]
    assert list(series["value"]) == [2, 3, 9]
    assert list(series["cumulative"]) == [2, 5, 14]


def test_latest_indicator_takes_the_chosen_month(mt_store: Store) -> None:
    mt_import(mt_store, [ratio(f"2026-0{m}", "H1", "HT_CAP_QUANG", 10 * m, 100) for m in (1, 2, 3)])
    assert mt_row(mt_store, "2026-02", "HT_CAP_QUANG")["value"] == pytest.approx(20.0)
    march = mt_row(mt_store, "2026-03", "HT_CAP_QUANG")
    assert march["value"] == pytest.approx(30.0)
    assert march["monthly_value"] == pytest.approx(30.0)


def test_a_month_without_submission_is_not_carried_forward(mt_store: Store) -> None:
    mt_import(mt_store, [ratio("2026-03", "H1", "HT_CAP_QUANG", 30, 100)], now=datetime(2026, 4, 10))
    april = mt_row(mt_store, "2026-04", "HT_CAP_QUANG")
    assert math.isnan(april["value"])
    assert april["status"] == "no_data"


def test_change_against_previous_month(mt_store: Store) -> None:
    mt_import(mt_store, [ratio("2026-02", "H1", "HT_CAP_QUANG", 20, 100),
                         ratio("2026-03", "H1", "HT_CAP_QUANG", 27, 90)])  # fmt: skip
    row = mt_row(mt_store, "2026-03", "HT_CAP_QUANG")
    assert row["previous_value"] == pytest.approx(20.0)
    assert row["change"] == pytest.approx(30.0 - 20.0)
    assert math.isnan(mt_row(mt_store, "2026-02", "HT_CAP_QUANG")["change"])


def test_january_change_uses_previous_december(mt_store: Store) -> None:
    mt_import(mt_store, [ratio("2025-12", "H1", "HT_CAP_QUANG", 20, 100),
                         ratio("2026-01", "H1", "HT_CAP_QUANG", 25, 100)], now=datetime(2026, 1, 10))  # fmt: skip
    row = mt_row(mt_store, "2026-01", "HT_CAP_QUANG")
    assert row["previous_value"] == pytest.approx(20.0)
    assert row["change"] == pytest.approx(5.0)


def test_hamlet_of_one_commune_does_not_leak_into_another() -> None:
    units = [
        *mt_units(),
        OrgUnit(code="10972", name="Xã Bên", level="commune"),
        OrgUnit(code="K1", name="Thôn Bên", parent="10972"),
    ]
    store = mt_new_store(units)
    try:
        mt_import(store, [ratio("2026-03", "H1", "HT_CAP_QUANG", 10, 100),
                          ratio("2026-03", "K1", "HT_CAP_QUANG", 90, 100)])  # fmt: skip
        assert mt_row(store, "2026-03", "HT_CAP_QUANG")["value"] == pytest.approx(10.0)
        assert mt_row(store, "2026-03", "HT_CAP_QUANG", "10972")["value"] == pytest.approx(90.0)
    finally:
        store.close()


# --- progress, projection and status: the rules alone ----------------------------------------


@pytest.mark.parametrize(
    ("value", "target", "direction", "baseline", "expected"),
    [
        (50, 100, "up", None, 0.5),
        (120, 100, "up", None, 1.2),  # beyond the target: more than 1
        (0, 100, "up", None, 0.0),
        (3, 0, "up", None, 1.0),  # a target of 0 is met by anything
        (0, 0, "down", 50, 1.0),  # the ceiling reached
        (20, 0, "down", 50, 0.6),  # 30 of the 50 phones gone
        (30, 10, "down", 50, 0.5),  # halfway from 50 to the ceiling 10
        (60, 0, "down", 50, 0.0),  # worse than the start: no progress, not negative
        (20, 0, "down", None, 0.0),  # no baseline: no measurable progress
        (20, 30, "down", 10, 1.0),  # under the ceiling
    ],
)
def test_progress_for(value, target, direction, baseline, expected) -> None:
    assert metrics.progress_for(value, target, direction, baseline) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "target"), [(None, 100), (50, None), (float("nan"), 100), (50, float("nan"))]
)
def test_progress_for_unknown_is_nan(value, target) -> None:
    assert math.isnan(metrics.progress_for(value, target, "up", None))


@pytest.mark.parametrize(
    ("progress", "projected", "expected"),
    [
        (None, None, "no_data"),
        (float("nan"), 1.5, "no_data"),
        (1.0, 0.2, "achieved"),
        (1.3, None, "achieved"),
        (0.5, 1.0, "on_track"),
        (0.5, 1.4, "on_track"),
        (0.5, 0.9, "at_risk"),
        (0.5, 0.99, "at_risk"),
        (0.5, 0.899, "behind"),
        (0.5, 0.1, "behind"),
        (0.95, None, "at_risk"),  # no projection: judged on progress itself
        (0.5, float("nan"), "behind"),
    ],
)
def test_status_for(progress, projected, expected: str) -> None:
    assert metrics.status_for(progress, projected) == expected


def test_status_labels_cover_every_status() -> None:
    assert set(metrics.STATUS_VI) == set(metrics.STATUSES)
    assert len(metrics.STATUSES) == 5


@pytest.mark.parametrize(
    ("months", "values", "kind", "aggregation", "upto", "expected"),
    [
        ([1, 2, 3], [2, 3, 4], "count", "sum", 3, 36.0),  # year-to-date 9 over 3 months
        ([1, 3], [2, 4], "count", "sum", 3, 24.0),  # a missing month slows the pace
        ([1, 2], [2, 4], "count", "sum", 4, 18.0),  # nothing yet this month: still 4 months gone
        ([3], [40.0], "ratio", "latest", 3, 40.0),  # one month projects flat
        ([1, 2, 3], [10.0, 20.0, 30.0], "count", "latest", 3, 120.0),
        ([1, 2, 3], [40.0, 60.0, 80.0], "ratio", "latest", 3, 100.0),  # clipped to 100 %
        ([1, 2, 3], [50.0, 40.0, 30.0], "count", "latest", 3, 0.0),  # never below 0
        ([1, 2, 3], [30.0, 20.0, 10.0], "ratio", "latest", 3, 0.0),
        ([2, 4], [10.0, 14.0], "ratio", "latest", 4, 30.0),  # the line through the months reported
    ],
)
def test_projection_for(months, values, kind, aggregation, upto, expected) -> None:
    assert metrics.projection_for(months, values, kind, aggregation, upto) == pytest.approx(expected)


def test_projection_without_values_is_nan() -> None:
    assert math.isnan(metrics.projection_for([], [], "ratio", "latest", 3))


# --- the same rules through indicator_status ------------------------------------------------


@pytest.fixture(scope="module")
def mt_statuses() -> pd.DataFrame:
    """March 2026 with one indicator in each status, and targets set explicitly."""
    mt_store = mt_new_store()
    for code, value in {"TT_TIN_BAI": 48, "HT_MAY_2G": 0, "HT_CAP_QUANG": 100, "TC_VAN_BAN": 12,
                        "HT_DIEN_THOAI_THONG_MINH": 100, "DN_THUONG_MAI_DIEN_TU": 300,
                        "HT_AN_TOAN_THONG_TIN": 24}.items():  # fmt: skip
        mt_store.set_target(code, 2026, value, "kiểm thử", admin("quan_tri"))
    mt_import(mt_store, [
        # at risk: 11 by March is 44 by December, 92 % of 48
        count("2026-01", "H1", "TT_TIN_BAI", 3), count("2026-02", "H1", "TT_TIN_BAI", 4),
        count("2026-03", "H1", "TT_TIN_BAI", 4),
        # on track: 50 → 40 → 30 phones, the trend reaches 0 before December; December 2025 is
        # not this year's baseline
        count("2025-12", "H1", "HT_MAY_2G", 80), count("2026-01", "H1", "HT_MAY_2G", 50),
        count("2026-02", "H1", "HT_MAY_2G", 40), count("2026-03", "H1", "HT_MAY_2G", 30),
        # behind: one month at 50 % projects flat
        ratio("2026-03", "H1", "HT_CAP_QUANG", 50, 100),
        # achieved: 5 + 4 + 3 documents meet the yearly 12
        count("2026-01", MT_COMMUNE, "TC_VAN_BAN", 5), count("2026-02", MT_COMMUNE, "TC_VAN_BAN", 4),
        count("2026-03", MT_COMMUNE, "TC_VAN_BAN", 3),
        # a ratio trend beyond 100 % is clipped
        ratio("2026-01", "H1", "HT_DIEN_THOAI_THONG_MINH", 40, 100),
        ratio("2026-02", "H1", "HT_DIEN_THOAI_THONG_MINH", 60, 100),
        ratio("2026-03", "H1", "HT_DIEN_THOAI_THONG_MINH", 80, 100),
        # a count trend is not clipped at 100
        count("2026-01", "H1", "DN_THUONG_MAI_DIEN_TU", 40), count("2026-02", "H1", "DN_THUONG_MAI_DIEN_TU", 60),
        count("2026-03", "H1", "DN_THUONG_MAI_DIEN_TU", 80),
        # a flow with February missing
        count("2026-01", "H1", "HT_AN_TOAN_THONG_TIN", 2), count("2026-03", "H1", "HT_AN_TOAN_THONG_TIN", 4),
    ])  # fmt: skip
    table = mt_status(mt_store, "2026-03")
    mt_store.close()
    return table


def test_at_risk_flow(mt_statuses: pd.DataFrame) -> None:
    row = mt_statuses.loc["TT_TIN_BAI"]
    assert row["value"] == 11
    assert row["progress"] == pytest.approx(11 / 48)
    assert row["projection"] == pytest.approx(44.0)
    assert row["projected_progress"] == pytest.approx(44 / 48)
    assert row["status"] == "at_risk"


def test_on_track_ceiling_with_baseline_from_january(mt_statuses: pd.DataFrame) -> None:
    row = mt_statuses.loc["HT_MAY_2G"]
    assert row["value"] == 30
    assert row["baseline"] == 50
    assert row["progress"] == pytest.approx((50 - 30) / 50)
    assert row["projection"] == 0  # 60 - 10 × 12 clipped at zero
    assert row["projected_progress"] == pytest.approx(1.0)
    assert row["status"] == "on_track"
    assert row["change"] == -10


def test_behind_single_month_projects_flat(mt_statuses: pd.DataFrame) -> None:
    row = mt_statuses.loc["HT_CAP_QUANG"]
    assert row["value"] == pytest.approx(50.0)
    assert row["projection"] == pytest.approx(50.0)
    assert row["progress"] == pytest.approx(0.5)
    assert row["status"] == "behind"


def test_achieved_flow(mt_statuses: pd.DataFrame) -> None:
    row = mt_statuses.loc["TC_VAN_BAN"]
    assert row["value"] == 12
    assert row["progress"] == pytest.approx(1.0)
    assert row["status"] == "achieved"


def test_ratio_projection_clipped_to_100(mt_statuses: pd.DataFrame) -> None:
    row = mt_statuses.loc["HT_DIEN_THOAI_THONG_MINH"]
    assert row["value"] == pytest.approx(80.0)
    assert row["projection"] == pytest.approx(100.0)
    assert row["status"] == "on_track"


def test_count_projection_not_clipped(mt_statuses: pd.DataFrame) -> None:
    row = mt_statuses.loc["DN_THUONG_MAI_DIEN_TU"]
    assert row["projection"] == pytest.approx(260.0)
    assert row["projected_progress"] == pytest.approx(260 / 300)
    assert row["status"] == "behind"


def test_flow_with_a_missing_month(mt_statuses: pd.DataFrame) -> None:
    row = mt_statuses.loc["HT_AN_TOAN_THONG_TIN"]
    assert row["value"] == 6
    assert row["projection"] == pytest.approx(24.0)
    assert row["status"] == "on_track"


def test_no_data_and_every_status_reached(mt_statuses: pd.DataFrame) -> None:
    row = mt_statuses.loc["CQ_CHU_KY_SO"]
    assert math.isnan(row["value"]) and row["status"] == "no_data" and row["reporters"] == 0
    assert set(mt_statuses["status"]) == set(metrics.STATUSES)
    assert len(mt_statuses) == 26


def test_indicator_status_carries_catalog_columns(mt_statuses: pd.DataFrame) -> None:
    for column in ("name_vi", "kind", "aggregation", "direction", "level", "task_group", "target"):
        assert column in mt_statuses.columns
    assert mt_statuses.loc["HT_MAY_2G", "direction"] == "down"


def test_down_indicator_achieved_at_the_ceiling(mt_store: Store) -> None:
    mt_import(mt_store, [count("2026-01", "H1", "HT_MAY_2G", 40), count("2026-02", "H1", "HT_MAY_2G", 0)])
    row = mt_row(mt_store, "2026-02", "HT_MAY_2G")
    assert row["target"] == 0
    assert row["progress"] == pytest.approx(1.0)
    assert row["status"] == "achieved"


def test_down_indicator_behind_when_falling_slowly(mt_store: Store) -> None:
    mt_import(mt_store, [count(f"2026-0{m}", "H1", "HT_MAY_2G", 52 - 2 * m) for m in (1, 2, 3)])
    row = mt_row(mt_store, "2026-03", "HT_MAY_2G")
    assert row["baseline"] == 50
    assert row["progress"] == pytest.approx(4 / 50)
    assert row["projection"] == pytest.approx(28.0)
    assert row["projected_progress"] == pytest.approx(22 / 50)
    assert row["status"] == "behind"


def test_an_undefined_ratio_month_does_not_poison_the_projection(mt_store: Store) -> None:
    # a hamlet without household businesses in January reports 0/0 (accepted by the import)
    mt_import(mt_store, [ratio("2026-01", "H1", "DN_KHONG_TIEN_MAT", 0, 0),
                         ratio("2026-02", "H1", "DN_KHONG_TIEN_MAT", 3, 10),
                         ratio("2026-03", "H1", "DN_KHONG_TIEN_MAT", 5, 10)])  # fmt: skip
    row = mt_row(mt_store, "2026-03", "DN_KHONG_TIEN_MAT")
    assert row["value"] == pytest.approx(50.0)
    # the line through February (30 %) and March (50 %) passes 100 % long before December
    assert row["projection"] == pytest.approx(100.0)
    assert row["status"] == "on_track"


# --- targets per year -------------------------------------------------------------------------


def test_targets_are_per_year(mt_store: Store) -> None:
    mt_import(mt_store, [ratio("2026-03", "H1", "HT_CAP_QUANG", 40, 100)])
    mt_import(mt_store, [ratio("2027-01", "H1", "HT_CAP_QUANG", 40, 100)], now=datetime(2027, 1, 10))
    mt_store.set_target("HT_CAP_QUANG", 2027, 50, "kế hoạch 2027", admin("quan_tri"))
    assert mt_store.targets(2026)["HT_CAP_QUANG"] == 100
    assert mt_store.targets(2027) == {"HT_CAP_QUANG": 50}
    row_2026 = mt_row(mt_store, "2026-03", "HT_CAP_QUANG")
    row_2027 = mt_row(mt_store, "2027-01", "HT_CAP_QUANG")
    assert row_2026["target"] == 100 and row_2026["progress"] == pytest.approx(0.4)
    assert row_2027["target"] == 50 and row_2027["progress"] == pytest.approx(0.8)
    # the new year's January compares with the old year's December (no December here)
    assert math.isnan(row_2027["change"])
    # changing 2026 changes 2026 only
    mt_store.set_target("HT_CAP_QUANG", 2026, 80, "điều chỉnh", admin("quan_tri"))
    assert mt_row(mt_store, "2026-03", "HT_CAP_QUANG")["progress"] == pytest.approx(0.5)
    assert mt_row(mt_store, "2027-01", "HT_CAP_QUANG")["target"] == 50


def test_new_database_starts_with_the_catalog_2026_targets(mt_store: Store) -> None:
    targets = mt_store.targets(2026)
    assert targets == {item.code: item.target_2026 for item in catalog.indicators()}


# --- reverting ------------------------------------------------------------------------------


def test_revert_restores_the_earlier_value(mt_store: Store) -> None:
    first = mt_import(mt_store, [ratio("2026-03", "H1", "HT_CAP_QUANG", 10, 100),
                                 ratio("2026-03", "H2", "HT_CAP_QUANG", 30, 100)])  # fmt: skip
    assert mt_row(mt_store, "2026-03", "HT_CAP_QUANG")["value"] == pytest.approx(20.0)
    fix = mt_import(mt_store, [ratio("2026-03", "H1", "HT_CAP_QUANG", 50, 100)], now=datetime(2026, 3, 25))
    assert mt_row(mt_store, "2026-03", "HT_CAP_QUANG")["value"] == pytest.approx(40.0)
    assert mt_store.revert_batch(fix.batch_id, admin("quan_tri")) == 1
    assert mt_row(mt_store, "2026-03", "HT_CAP_QUANG")["value"] == pytest.approx(20.0)
    assert mt_store.revert_batch(first.batch_id, admin("quan_tri")) == 2
    assert mt_row(mt_store, "2026-03", "HT_CAP_QUANG")["status"] == "no_data"


# --- completeness ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mt_completeness_store() -> Store:
    """March 2026: H1 on time (corrected later), H2 late, H3 partial, H4 half late, commune missing."""
    mt_store = mt_new_store()
    deadline = datetime(2026, 3, 18, 23, 59, 59)
    just_late = datetime(2026, 3, 19, 0, 0, 0)
    mt_import(mt_store, full_hamlet_rows("2026-03", "H1"), now=deadline)
    mt_import(mt_store, full_hamlet_rows("2026-03", "H2"), now=just_late)
    mt_import(mt_store, full_hamlet_rows("2026-03", "H3")[:5], now=datetime(2026, 3, 5))
    h4 = full_hamlet_rows("2026-03", "H4")
    mt_import(mt_store, h4[:8], now=datetime(2026, 3, 1))
    mt_import(mt_store, h4[8:], now=datetime(2026, 3, 20))
    # a correction of H1 a week late: its figures stay on time
    correction = [ratio("2026-03", "H1", "HT_CAP_QUANG", 0, 1), count("2026-03", "H1", "TT_TIN_BAI", 2)]
    report = mt_import(mt_store, correction, now=datetime(2026, 3, 25))
    assert report.count("changed") == 2
    yield mt_store
    mt_store.close()


def test_completeness_statuses(mt_completeness_store: Store) -> None:
    table = metrics.completeness(mt_completeness_store, "2026-03", MT_COMMUNE).set_index("unit_code")
    assert table.loc["H1", "status"] == "on_time"
    assert table.loc["H2", "status"] == "late"
    assert table.loc["H3", "status"] == "partial"
    assert table.loc["H4", "status"] == "late"
    assert table.loc[MT_COMMUNE, "status"] == "missing"
    n = len(HAMLET_CODES)
    tally = ["expected", "submitted", "on_time", "late", "missing"]
    c = len(COMMUNE_CODES)
    assert table.loc["H1", tally].tolist() == [n, n, n, 0, 0]
    assert table.loc["H2", tally].tolist() == [n, n, 0, n, 0]
    assert table.loc["H3", tally].tolist() == [n, 5, 5, 0, n - 5]
    assert table.loc["H4", tally].tolist() == [n, n, 8, n - 8, 0]
    assert table.loc[MT_COMMUNE, tally].tolist() == [c, 0, 0, 0, c]
    assert table.loc["H3", "missing_codes"] == sorted(HAMLET_CODES[5:])
    assert table.loc[MT_COMMUNE, "missing_codes"] == sorted(COMMUNE_CODES)
    # the correction kept its first arrival
    assert table.loc["H1", "last_received_at"] == pd.Timestamp(2026, 3, 18, 23, 59, 59)
    assert table.loc["H1", "unit_name"] == "Thôn Cậy"
    # hamlets first (by name), the commune last
    assert list(table.index) == ["H2", "H4", "H1", "H3", MT_COMMUNE]


def test_completeness_counts_only_what_a_unit_owes(mt_completeness_store: Store) -> None:
    """A stored figure of an indicator the unit's level does not report (the catalog or the unit's
    level changed since) is neither submitted nor its latest arrival."""
    before = metrics.completeness(mt_completeness_store, "2026-03", MT_COMMUNE).set_index("unit_code")
    row = {"period": "2026-03", "unit_code": "H3", "indicator_code": COMMUNE_CODES[0], "numerator": None,
           "denominator": None, "value": 1.0, "note": "", "received_at": datetime(2026, 3, 30), "source_row": 2}  # fmt: skip
    batch = {"file_name": "x.csv", "sha256": "1" * 64, "created_at": datetime(2026, 3, 30), "periods": ["2026-03"],
             "rows_total": 1, "rows_new": 1, "rows_changed": 0, "rows_unchanged": 0, "warnings": [],
             "outcome": "imported"}  # fmt: skip
    mt_completeness_store.insert_batch(batch, pd.DataFrame([row]), ADMIN)  # past the import's level check
    after = metrics.completeness(mt_completeness_store, "2026-03", MT_COMMUNE).set_index("unit_code")
    pd.testing.assert_frame_equal(after, before)
    assert after.loc["H3", "submitted"] == 5


def test_correction_keeps_the_new_value(mt_completeness_store: Store) -> None:
    current = mt_completeness_store.current_submissions(periods=["2026-03"])
    h1 = current[(current["unit_code"] == "H1") & (current["indicator_code"] == "TT_TIN_BAI")].iloc[0]
    assert h1["value"] == 2
    assert h1["revisions"] == 2
    assert h1["first_received_at"] == pd.Timestamp(2026, 3, 18, 23, 59, 59)
    assert h1["received_at"] == pd.Timestamp(2026, 3, 25)


def test_deadline_day_is_a_setting(mt_completeness_store: Store) -> None:
    settings = mt_completeness_store.settings()
    mt_completeness_store.save_settings(settings.model_copy(update={"deadline_day": 20}), ADMIN)
    try:
        table = metrics.completeness(mt_completeness_store, "2026-03", MT_COMMUNE).set_index("unit_code")
    finally:
        mt_completeness_store.save_settings(settings, ADMIN)
    assert table.loc["H2", "status"] == "on_time"
    assert table.loc["H4", "status"] == "on_time"


def test_reverted_submission_is_missing_again(mt_store: Store) -> None:
    report = mt_import(mt_store, full_hamlet_rows("2026-03", "H1"), now=datetime(2026, 3, 2))
    mt_store.revert_batch(report.batch_id, admin("quan_tri"))
    table = metrics.completeness(mt_store, "2026-03", MT_COMMUNE).set_index("unit_code")
    assert table.loc["H1", "status"] == "missing"


def test_completeness_follows_every_change(mt_store: Store) -> None:
    """An import, a new deadline and a revert each show at the next call, and a caller that
    changes its frame does not change the next caller's."""

    def status() -> str:
        return metrics.completeness(mt_store, "2026-03", MT_COMMUNE).set_index("unit_code").loc["H1", "status"]

    assert status() == "missing"
    first = metrics.completeness(mt_store, "2026-03", MT_COMMUNE)
    first.loc[:, "status"] = "changed by a page"
    assert status() == "missing"
    report = mt_import(mt_store, full_hamlet_rows("2026-03", "H1"), now=datetime(2026, 3, 20))
    assert status() == "late"
    settings = mt_store.settings()
    mt_store.save_settings(settings.model_copy(update={"deadline_day": 25}), ADMIN)
    assert status() == "on_time"
    mt_store.revert_batch(report.batch_id, admin("quan_tri"))
    assert status() == "missing"


def test_inactive_hamlet_is_not_expected(mt_store: Store) -> None:
    mt_store.save_units([OrgUnit(code="H4", name="Cam Xá", parent=MT_COMMUNE, active=False)], ADMIN)
    table = metrics.completeness(mt_store, "2026-03", MT_COMMUNE)
    assert "H4" not in set(table["unit_code"])
    assert len(table) == 4


def test_completeness_grid(mt_completeness_store: Store) -> None:
    grid = metrics.completeness_grid(mt_completeness_store, MT_COMMUNE, "2026-02", "2026-03")
    assert list(grid.columns[:2]) == ["period", "unit_code"]
    assert len(grid) == 2 * 5
    status = grid.set_index(["period", "unit_code"])["status"]
    assert all(status.loc["2026-02"] == "missing")
    assert status.loc[("2026-03", "H1")] == "on_time"
    assert status.loc[("2026-03", "H3")] == "partial"
    assert metrics.completeness_grid(mt_completeness_store, MT_COMMUNE, "2026-04", "2026-03").empty


# --- hamlets behind and task groups ---------------------------------------------------------


def test_hamlets_behind_ordered_by_progress(mt_store: Store) -> None:
    mt_import(mt_store, [
        ratio("2026-03", "H1", "HT_CAP_QUANG", 90, 100),
        count("2026-03", "H1", "DN_THUONG_MAI_DIEN_TU", 80),  # twice the target: counts as 100 %
        ratio("2026-03", "H2", "HT_CAP_QUANG", 20, 100),
        ratio("2026-03", "H3", "HT_CAP_QUANG", 50, 100),
    ])  # fmt: skip
    behind = metrics.members_behind(mt_store, "2026-03", MT_COMMUNE)
    assert list(behind["unit_code"]) == ["H2", "H3", "H1"]  # H4 reported nothing
    assert behind["progress"].tolist() == pytest.approx([0.2, 0.5, (0.9 + 1.0) / 2])
    assert list(behind["unit_name"]) == ["Thôn Bá Thủy", "Thôn Hạ Bì", "Thôn Cậy"]
    assert behind.set_index("unit_code").loc["H2", "behind"] == 1
    assert list(metrics.members_behind(mt_store, "2026-03", MT_COMMUNE, limit=2)["unit_code"]) == ["H2", "H3"]


def test_hamlets_behind_without_data_is_empty(mt_store: Store) -> None:
    assert metrics.members_behind(mt_store, "2026-03", MT_COMMUNE).empty


def test_group_progress_seven_groups(mt_store: Store) -> None:
    mt_import(mt_store, [
        ratio("2026-03", "H1", "HT_CAP_QUANG", 50, 100),
        count("2026-03", "H1", "DN_THUONG_MAI_DIEN_TU", 80),
    ])  # fmt: skip
    groups = metrics.group_progress(mt_store, "2026-03", MT_COMMUNE).set_index("task_group")
    assert list(groups.index) == [1, 2, 3, 4, 5, 6, 7]
    assert groups["indicators"].sum() == 26
    assert groups.loc[3, "indicators"] == len(catalog.indicators_of_group(3))
    assert groups.loc[3, "with_data"] == 1
    assert groups.loc[3, "progress"] == pytest.approx(0.5)
    assert groups.loc[3, "status"] == "behind"
    assert groups.loc[6, "progress"] == pytest.approx(1.0)  # capped at 100 %
    assert groups.loc[6, "status"] == "achieved"
    assert groups.loc[6, "n_achieved"] == 1
    assert math.isnan(groups.loc[1, "progress"]) and groups.loc[1, "status"] == "no_data"
    assert groups.loc[1, "n_no_data"] == groups.loc[1, "indicators"]
    assert groups.loc[5, "name_vi"] == catalog.task_group(5).name_vi


# --- a city above two communes --------------------------------------------------------------


@pytest.fixture(scope="module")
def mt_city_store() -> Store:
    units = [
        OrgUnit(code="31", name="Hải Phòng", level="city"),
        OrgUnit(code=MT_COMMUNE, name="Bình Giang", parent="31", level="commune"),
        OrgUnit(code="10972", name="Thanh Hà", parent="31", level="commune"),
        OrgUnit(code="H1", name="Cậy", parent=MT_COMMUNE),
        OrgUnit(code="H2", name="Bá Thủy", parent=MT_COMMUNE),
        OrgUnit(code="K1", name="Thôn Một", parent="10972"),
    ]
    store = mt_new_store(units)
    mt_import(store, [
        ratio("2026-03", "H1", "HT_CAP_QUANG", 1, 10),
        ratio("2026-03", "H2", "HT_CAP_QUANG", 90, 100),
        ratio("2026-03", "K1", "HT_CAP_QUANG", 50, 200),
        ratio("2026-03", MT_COMMUNE, "CQ_SO_HOA_HO_SO", 10, 20),
        ratio("2026-03", "10972", "CQ_SO_HOA_HO_SO", 30, 40),
        count("2026-03", "H1", "HT_MAY_2G", 5), count("2026-03", "H2", "HT_MAY_2G", 7),
        count("2026-03", "K1", "HT_MAY_2G", 11),
    ])  # fmt: skip
    yield store
    store.close()


def test_city_aggregates_both_communes(mt_city_store: Store) -> None:
    city = mt_status(mt_city_store, "2026-03", "31")
    assert city.loc["HT_CAP_QUANG", "value"] == pytest.approx(100 * 141 / 310)
    assert (city.loc["HT_CAP_QUANG", "numerator"], city.loc["HT_CAP_QUANG", "denominator"]) == (141, 310)
    assert city.loc["HT_CAP_QUANG", "reporters"] == 3
    assert city.loc["CQ_SO_HOA_HO_SO", "value"] == pytest.approx(100 * 40 / 60)
    assert city.loc["HT_MAY_2G", "value"] == 23
    assert mt_row(mt_city_store, "2026-03", "HT_CAP_QUANG", MT_COMMUNE)["value"] == pytest.approx(
        100 * 91 / 110
    )
    assert mt_row(mt_city_store, "2026-03", "HT_CAP_QUANG", "10972")["value"] == pytest.approx(25.0)


def test_city_reporting_units_and_completeness(mt_city_store: Store) -> None:
    codes = {u.code for u in metrics.reporting_units(mt_city_store, "31")}
    assert codes == {MT_COMMUNE, "10972", "H1", "H2", "K1"}
    table = metrics.completeness(mt_city_store, "2026-03", "31")
    assert set(table["unit_code"]) == codes
    assert [u.code for u in metrics.children(mt_city_store, "31")] == [MT_COMMUNE, "10972"]
    # a city compares its communes (the commune view compares hamlets)
    assert [u.code for u in metrics.member_units(mt_city_store, "31")] == [MT_COMMUNE, "10972"]
    behind = metrics.members_behind(mt_city_store, "2026-03", "31")
    assert set(behind["unit_code"]) == {MT_COMMUNE, "10972"}
    assert {u.code for u in metrics.member_units(mt_city_store, MT_COMMUNE)} == {"H1", "H2"}


def test_completeness_lists_hamlets_first_then_by_name(mt_city_store: Store) -> None:
    table = metrics.completeness(mt_city_store, "2026-03", "31")
    # "Bá Thủy" < "Cậy" < "Thôn Một" without their marks; a name with its own prefix keeps it
    assert list(table["unit_code"]) == ["H2", "H1", "K1", MT_COMMUNE, "10972"]
    assert list(table["unit_name"]) == ["Thôn Bá Thủy", "Thôn Cậy", "Thôn Một", "Xã Bình Giang", "Xã Thanh Hà"]
    assert list(table["level"]) == ["hamlet"] * 3 + ["commune"] * 2


def test_units_changed_change_the_tree() -> None:
    store = mt_new_store([OrgUnit(code="C", name="Bình Giang", level="commune"),
                          OrgUnit(code="H1", name="Cậy", parent="C"), OrgUnit(code="H2", name="Đông", parent="C")])  # fmt: skip
    try:
        assert list(metrics.completeness(store, "2026-03", "C")["unit_code"]) == ["H1", "H2", "C"]
        assert list(store.unit_columns()["active"]) == [True, True, True]
        # a hamlet closed and another renamed: the next call reads the units again
        store.save_units([OrgUnit(code="H1", name="Cậy", parent="C", active=False),
                          OrgUnit(code="H2", name="An Đông", parent="C")], ADMIN)  # fmt: skip
        assert list(store.unit_columns()["active"]) == [True, False, True]
        table = metrics.completeness(store, "2026-03", "C")
        assert list(table["unit_code"]) == ["H2", "C"] and table["unit_name"].iloc[0] == "Thôn An Đông"
        assert [u.code for u in metrics.reporting_units(store, "C")] == ["C", "H2"]
    finally:
        store.close()


def test_ancestry_counts_a_parent_outside_the_units_and_each_ancestor_once_in_a_loop() -> None:
    def pairs(codes: list[str], parents: list[str | None]) -> set[tuple[str, str]]:
        links = metrics.ancestry(codes, parents)
        assert not links.duplicated().any()
        return set(links.itertuples(index=False, name=None))

    assert pairs(["A", "B", "C"], [None, "A", "X"]) == {("A", "A"), ("B", "B"), ("C", "C"), ("B", "A"), ("C", "X")}
    assert pairs(["A", "B"], ["B", "A"]) == {("A", "A"), ("B", "B"), ("A", "B"), ("B", "A")}
    assert metrics.ancestry([], []).empty


# --- property: the commune value is the pooled ratio ------------------------------------------

_mt_prop: dict[str, object] = {}


def _mt_prop_store() -> tuple[Store, str]:
    """One store for all examples, each example in a month of its own (imports are not free)."""
    period = next(_mt_prop["months"], None) if "store" in _mt_prop else None  # type: ignore[call-overload]
    if period is None:  # first example, or every month used (shrinking a failure)
        if "store" in _mt_prop:
            _mt_prop["store"].close()  # type: ignore[attr-defined]
        hamlets = [OrgUnit(code=f"P{i}", name=f"Thôn Số {i}", parent=MT_COMMUNE) for i in range(6)]
        _mt_prop["store"] = mt_new_store(
            [OrgUnit(code=MT_COMMUNE, name="Bình Giang", level="commune"), *hamlets]
        )
        _mt_prop["months"] = iter(periods.months_between("2015-01", "2026-03"))
        period = next(_mt_prop["months"])  # type: ignore[call-overload]
    return _mt_prop["store"], period  # type: ignore[return-value]


@pytest.fixture(scope="module", autouse=True)
def _mt_close_prop_store():
    yield
    store = _mt_prop.pop("store", None)
    if store is not None:
        store.close()


@st.composite
def hamlet_parts(draw) -> list[tuple[int, int]]:
    size = draw(st.integers(min_value=1, max_value=6))
    parts = []
    for _ in range(size):
        den = draw(st.integers(min_value=0, max_value=5000))
        num = draw(st.integers(min_value=0, max_value=den))
        parts.append((num, den))
    return parts


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=hamlet_parts().filter(lambda ps: sum(d for _, d in ps) > 0))
def test_commune_value_is_pooled_ratio(parts: list[tuple[int, int]]) -> None:
    store, period = _mt_prop_store()
    rows = [ratio(period, f"P{i}", "CQ_VNEID_MUC_2", num, den) for i, (num, den) in enumerate(parts)]
    mt_import(store, rows, now=datetime(2026, 4, 1))
    row = mt_row(store, period, "CQ_VNEID_MUC_2")
    total_num = sum(n for n, _ in parts)
    total_den = sum(d for _, d in parts)
    assert row["value"] == pytest.approx(100 * total_num / total_den)
    percentages = [100 * n / d for n, d in parts if d > 0]
    assert min(percentages) - 1e-9 <= row["value"] <= max(percentages) + 1e-9
    assert row["reporters"] == len(parts)


# --- known gaps -----------------------------------------------------------------------------


def test_series_of_a_flow_without_data_is_empty(mt_store: Store) -> None:
    series = metrics.series(mt_store, "TT_TIN_BAI", 2026, "2026-03", [MT_COMMUNE])
    assert series.empty


def test_series_of_a_stock_without_data_is_empty(mt_store: Store) -> None:
    assert metrics.series(mt_store, "HT_CAP_QUANG", 2026, "2026-03", [MT_COMMUNE]).empty


def test_empty_store_gives_no_data_everywhere(mt_store: Store) -> None:
    table = mt_status(mt_store, "2026-03")
    assert set(table["status"]) == {"no_data"}
    assert len(table) == 26
    groups = metrics.group_progress(mt_store, "2026-03", MT_COMMUNE)
    assert len(groups) == 7 and set(groups["status"]) == {"no_data"}
    assert set(metrics.completeness(mt_store, "2026-03", MT_COMMUNE)["status"]) == {"missing"}
