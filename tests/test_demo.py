"""The demo data: months up to the latest closed deadline, deterministic, realistic gaps, removable.

A real demo load takes seconds, so the loads are shared by the whole module: one into a DuckDB
file with today = 25 October 2026 (January–October: late, partial and missing submissions all
occur), and two short ones (today = 25 March 2026) into two in-memory databases, compared with
each other for determinism. The month selection for other days (10 May: January–April) is
checked with the import replaced by a recorder, which costs nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pandas as pd
import pytest

from indicators import metrics
from indicators.domain import periods
from indicators.ingest import demo
from indicators.storage import Store
from tests.support import ADMIN, copy_db, memory_store, new_db

DEMO_LONG_TODAY = date(2026, 10, 25)
DEMO_PAIR_TODAY = date(2026, 3, 25)
DEMO_MONTHS_LONG = [f"2026-{m:02d}" for m in range(1, 11)]


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("demo")
    path = new_db(folder, "demo")
    store = Store(path)
    counts = demo.load_demo(store, ADMIN, today=DEMO_LONG_TODAY)
    store.close()
    # a pristine copy for the test that removes the demo
    copy = copy_db(path, folder, "demo_copy")
    return {"long": path, "long_copy": copy, "long_counts": counts}


@pytest.fixture(scope="module")
def demo_long(demo_files: dict[str, object]) -> Store:
    store = Store(demo_files["long"])
    yield store
    store.close()


@pytest.fixture(scope="module")
def demo_pair() -> tuple[Store, Store]:
    """Two databases loaded on the same day."""
    stores = (memory_store(), memory_store())
    for store in stores:
        demo.load_demo(store, ADMIN, today=DEMO_PAIR_TODAY)
    yield stores
    for store in stores:
        store.close()


def _comparable(store: Store) -> pd.DataFrame:
    frame = store.current_submissions()
    return frame.sort_values(["period", "unit_code", "indicator_code"]).reset_index(drop=True)


# --- which months -----------------------------------------------------------------------------


def test_months_up_to_the_latest_closed_deadline(demo_long: Store, demo_pair: tuple[Store, Store]) -> None:
    assert demo_long.periods_with_data() == DEMO_MONTHS_LONG  # October's deadline passed on the 25th
    assert demo_pair[0].periods_with_data() == DEMO_MONTHS_LONG[:3]


def test_load_reports_what_it_wrote(demo_files: dict[str, object], demo_long: Store) -> None:
    counts = demo_files["long_counts"]
    batches = demo_long.batches()
    assert counts["batches"] == len(batches)
    assert counts["rows"] == int(batches["rows_new"].sum() + batches["rows_changed"].sum())
    assert batches["is_demo"].all()
    assert set(batches["user_name"]) == {demo.DEMO_ACTOR.label}
    assert batches["reverted_at"].isna().all()


class _Recorder:
    """Stands in for import_file: records (file name, reception time), writes nothing."""

    status = "imported"

    def __init__(self) -> None:
        self.calls: list[tuple[str, datetime]] = []

    def __call__(self, store, name, data, user, *, now, is_demo):
        assert is_demo and user == demo.DEMO_ACTOR
        self.calls.append((name, now))
        return self

    def count(self, change: str) -> int:
        return 0

    def months(self) -> list[str]:
        return sorted({name.split("_")[1][:7] for name, _ in self.calls})


@pytest.mark.parametrize(
    ("today", "months"),
    [
        (date(2026, 5, 25), DEMO_MONTHS_LONG[:5]),
        (date(2026, 5, 19), DEMO_MONTHS_LONG[:5]),
        (date(2026, 5, 18), DEMO_MONTHS_LONG[:4]),  # the deadline day itself is not over yet
        (date(2026, 5, 10), DEMO_MONTHS_LONG[:4]),
        (date(2026, 1, 10), []),  # nothing of 2026 is due yet
    ],
)
def test_month_selection(monkeypatch: pytest.MonkeyPatch, today: date, months: list[str]) -> None:
    recorder = _Recorder()
    monkeypatch.setattr(demo, "import_file", recorder)
    store = memory_store()
    try:
        demo.load_demo(store, ADMIN, today=today)
        assert recorder.months() == months
        assert len(store.units()) == 15  # the units are saved even before the first month
    finally:
        store.close()


def test_no_submission_is_received_after_today(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _Recorder()
    monkeypatch.setattr(demo, "import_file", recorder)
    today = date(2026, 5, 19)
    store = memory_store()
    try:
        demo.load_demo(store, ADMIN, today=today)
    finally:
        store.close()
    assert recorder.calls
    assert max(now for _, now in recorder.calls) <= datetime.combine(today, time.max)


# --- deterministic ----------------------------------------------------------------------------


def test_two_loads_give_identical_figures(demo_pair: tuple[Store, Store]) -> None:
    """Same day, two databases: same figures, notes, reception times, revisions, ids and batches."""
    first, second = (_comparable(store) for store in demo_pair)
    assert len(first) > 0
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(demo_pair[0].batches(), demo_pair[1].batches())


def test_demo_units(demo_long: Store) -> None:
    units = {u.code: u for u in demo_long.units()}
    assert len(units) == 15
    assert units["10966"].level == "commune" and units["10966"].name == "Bình Giang"
    hamlets = [u for u in units.values() if u.level == "hamlet"]
    assert len(hamlets) == 14 and all(u.parent == "10966" for u in hamlets)
    assert demo_long.has_demo()


# --- realistic gaps ---------------------------------------------------------------------------


def test_completeness_shows_late_partial_and_missing(demo_long: Store) -> None:
    grid = metrics.completeness_grid(demo_long, "10966", "2026-01", "2026-10")
    assert len(grid) == 10 * 15
    counts = grid["status"].value_counts()
    assert counts["on_time"] > counts.get("late", 0) > 0
    missing = grid[grid["status"] == "missing"]
    assert list(zip(missing["period"], missing["unit_code"])) == [("2026-10", "BG13")]
    partial = grid[grid["status"] == "partial"]
    assert list(zip(partial["period"], partial["unit_code"])) == [("2026-07", "BG06")]
    late = grid[grid["status"] == "late"]
    assert set(late["unit_code"]) <= {"BG05", "BG13"}
    # the commune itself always reports on time
    assert set(grid[grid["unit_code"] == "10966"]["status"]) == {"on_time"}


def test_some_figures_were_corrected(demo_long: Store) -> None:
    current = demo_long.current_submissions()
    corrected = current[current["revisions"] > 1]
    assert len(corrected) > 0
    assert (corrected["first_received_at"] < corrected["received_at"]).all()


def test_demo_figures_feed_the_dashboards(demo_long: Store) -> None:
    table = metrics.commune_summary(demo_long, "2026-10", "10966")
    assert len(table) == 26
    assert table["value"].notna().all()
    ratios = table[table["kind"] == "ratio"]
    assert ratios["value"].between(0, 100).all()
    assert set(table["status"]) <= set(metrics.STATUSES) - {"no_data"}
    assert len(metrics.group_progress(demo_long, "2026-10", "10966", table)) == 7
    behind = metrics.members_behind(demo_long, "2026-10", "10966")
    assert len(behind) == 5
    assert behind["progress"].is_monotonic_increasing


def test_every_figure_arrives_in_its_reporting_month(demo_long: Store) -> None:
    current = demo_long.current_submissions()
    arrived = current["first_received_at"].map(lambda t: periods.period_of(t.date()))
    assert (arrived == current["period"]).all()  # received in the reporting month itself


# --- removal ------------------------------------------------------------------------------------


def test_remove_demo_leaves_nothing(demo_files: dict[str, object], tmp_path: Path) -> None:
    path = copy_db(demo_files["long_copy"], tmp_path, "remove")
    store = Store(path)
    try:
        assert store.has_demo()
        batches = len(store.batches())
        assert store.remove_demo(ADMIN) == batches
        assert not store.has_demo()
        assert store.batches().empty
        assert store.units() == []
        assert store.current_submissions().empty
        assert store.revisions().empty
        assert store.periods_with_data() == []
        # targets are not demo data; the task register is back to the plan's own tasks
        assert len(store.targets(2026)) == 26
        if hasattr(store, "tasks"):
            fresh = memory_store()
            try:
                assert store.tasks() == fresh.tasks()
                assert len(store.task_notes()) == len(fresh.task_notes())
            finally:
                fresh.close()
        assert store.remove_demo(ADMIN) == 0
    finally:
        store.close()
