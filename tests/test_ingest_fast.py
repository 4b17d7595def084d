"""The column-wise check of clean files gives exactly the rows the row-by-row check gives, and
steps aside (None) at the first row that is not plainly clean."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators import metrics
from indicators.ingest import demo, import_file
from indicators.ingest.fast import clean_rows
from indicators.ingest.layout import sheet_records
from indicators.ingest.read import read_tables
from indicators.ingest.validate import Context, validate_records
from indicators.render import export
from indicators.storage import Store
from tests.support import ADMIN, memory_store

NOW = datetime(2026, 11, 27, 9)


@pytest.fixture(scope="module")
def demo_store():
    store = memory_store()
    demo.load_demo(store, ADMIN, today=date(2026, 11, 27))
    yield store
    store.close()


def _context(store: Store) -> Context:
    return Context(units=metrics.tree(store).units, settings=store.settings(), now=NOW)


def _both(store: Store, name: str, data: bytes):
    sheets = read_tables(name, data)
    ctx = _context(store)
    fast = clean_rows(sheets, ctx)
    records = [r for sheet in sheets for r in (sheet_records(sheet) or [])]
    slow, issues = validate_records(records, ctx)
    return fast, slow, issues


def assert_same_rows(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    """Equal, an empty figure being NaN in one and None in the other (both are NULL when stored)."""
    numbers = ["numerator", "denominator", "value"]
    pd.testing.assert_frame_equal(fast.astype({c: float for c in numbers}), slow.astype({c: float for c in numbers}),
                                  check_dtype=False)  # fmt: skip


def _csv(frame: pd.DataFrame, sep: str = ",") -> bytes:
    return frame.to_csv(index=False, sep=sep).encode("utf-8-sig")


@pytest.mark.parametrize("period", ["2026-01", "2026-06", "2026-10"])
def test_an_exported_month_gives_the_same_rows_both_ways(demo_store, period):
    fast, slow, issues = _both(demo_store, "thang.csv", export.export_bytes(demo_store, period, "csv"))
    assert not [i for i in issues if i.severity == "error"]
    assert fast is not None and len(fast) > 100
    assert_same_rows(fast, slow)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.integers(0, 10_000), min_size=1, max_size=40, unique=True),
    names=st.booleans(), sep=st.sampled_from([",", ";", "\t"]), seed=st.integers(0, 3),
)
def test_any_clean_selection_gives_the_same_rows_both_ways(demo_store, rows, names, sep, seed):
    """Units by code or by name, any delimiter, notes with accents, Vietnamese numbers."""
    frame = export.period_frame(demo_store, "2026-09")
    frame = frame.iloc[[r % len(frame) for r in rows]].drop_duplicates()
    if names:
        labels = {u.code: u.label for u in metrics.tree(demo_store).units}
        frame = frame.assign(don_vi=frame["don_vi"].map(labels))
    frame = frame.assign(ghi_chu=["Ghi chú " + "ậ" * ((i + seed) % 3) if (i + seed) % 2 else ""
                                  for i in range(len(frame))])  # fmt: skip
    frame["mau_so"] = frame["mau_so"].map(lambda v: "" if pd.isna(v) else f"{int(v):,}".replace(",", "."))
    fast, slow, issues = _both(demo_store, "chon.csv", _csv(frame, sep))
    assert not [i for i in issues if i.severity == "error"]
    assert fast is not None
    assert_same_rows(fast, slow)


BAD_CELLS = [
    ("ky_bao_cao", "2026-13"),  # no such month
    ("ky_bao_cao", "2027-01"),  # not yet
    ("don_vi", "Thôn Không Có"),
    ("ma_chi_tieu", "KHONG_CO"),
    ("tu_so", "12%"),
    ("tu_so", "-3"),
    ("tu_so", "2,5"),  # a ratio's part must be whole
    ("tu_so", "999999"),  # more than the denominator
    ("tu_so", ""),  # a ratio without its numerator
    ("mau_so", "abc"),
]


@pytest.mark.parametrize(("column", "value"), BAD_CELLS)
def test_one_bad_cell_sends_the_file_row_by_row_and_is_explained(demo_store, column, value):
    frame = export.period_frame(demo_store, "2026-09")
    ratios = frame[frame["tu_so"].notna()].head(30).astype(object)
    ratios.iloc[7, ratios.columns.get_loc(column)] = value
    data = _csv(ratios)
    fast, _, issues = _both(demo_store, "sai.csv", data)
    assert fast is None
    errors = [i for i in issues if i.severity == "error"]
    assert errors and {i.row for i in errors} == {9}  # header is row 1: the 8th data row is row 9
    report = import_file(demo_store, "sai.csv", data, ADMIN, now=NOW, dry_run=True)
    assert report.status == "rejected" and [i.row for i in report.errors] == [9]


def test_a_duplicated_row_or_a_blank_row_goes_row_by_row(demo_store):
    frame = export.period_frame(demo_store, "2026-09").head(10)
    fast, slow, issues = _both(demo_store, "trung.csv", _csv(pd.concat([frame, frame.head(1)])))
    assert fast is None and any("trùng lặp" in i.message for i in issues) and len(slow) == 10
    blank = frame.astype(object).copy()
    blank.iloc[3, blank.columns.get_loc("tu_so")] = ""
    blank.iloc[3, blank.columns.get_loc("gia_tri")] = ""
    fast, _, issues = _both(demo_store, "trong.csv", _csv(blank))
    assert fast is None and issues


def test_a_clean_file_imports_with_its_warnings(demo_store):
    """The column-wise path still compares with the store: late figures are warned about."""
    data = _csv(export.period_frame(demo_store, "2026-10").assign(tu_so=lambda f: f["tu_so"]))
    report = import_file(demo_store, "lai.csv", data, ADMIN, now=NOW, dry_run=True)
    assert report.status == "dry_run" and report.count("unchanged") == len(report.rows) > 100
    assert any("nộp sau hạn" in w.message for w in report.warnings)
