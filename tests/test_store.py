"""The DuckDB store: locking, migrations, settings, targets, snapshots, demo data."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators.domain import catalog
from indicators.domain.settings import Settings
from indicators.domain.units import OrgUnit
from indicators.storage import MIGRATIONS, Store, StoreError, StoreLockedError, open_store
from tests.support import ADMIN, admin, new_db

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"

OPEN_IN_ANOTHER_PROCESS = textwrap.dedent(
    """
    import sys
    from indicators.storage import Store, StoreLockedError
    try:
        Store(sys.argv[1]).close()
    except StoreLockedError as exc:
        print(str(exc))
        sys.exit(3)
    print("opened")
    """
)


def _open_elsewhere(path: Path) -> subprocess.CompletedProcess:
    python = PYTHON if PYTHON.exists() else Path(sys.executable)
    return subprocess.run(
        [str(python), "-c", OPEN_IN_ANOTHER_PROCESS, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.duckdb_file
def test_a_second_process_gets_a_vietnamese_locked_error(tmp_path):
    path = tmp_path / "cds.duckdb"
    store = Store(path)
    try:
        result = _open_elsewhere(path)
    finally:
        store.close()
    assert result.returncode == 3, result.stderr
    message = result.stdout.strip()
    assert str(path) in message
    assert "đang được một chương trình khác sử dụng" in message
    assert "thử lại" in message


@pytest.mark.duckdb_file
def test_after_closing_another_process_may_open_it(tmp_path):
    path = tmp_path / "cds.duckdb"
    Store(path).close()
    result = _open_elsewhere(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "opened"


@pytest.mark.duckdb_file
def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path):
    path = tmp_path / "not.duckdb"
    path.write_bytes(b"ky_bao_cao,don_vi\n" * 100)
    with pytest.raises(StoreError) as raised:
        Store(path)
    assert not isinstance(raised.value, StoreLockedError)
    assert "Không mở được tệp dữ liệu" in str(raised.value)


def test_migrations_are_idempotent(tmp_path):
    latest = len(MIGRATIONS)  # 1 when this was written; later migrations only add to it
    path = new_db(tmp_path)
    first = Store(path)
    assert first.schema_version() == latest >= 1
    assert len(first.targets(2026)) == 26
    first.set_target("CQ_VNEID_MUC_2", 2026, 95.0, "Nghị quyết của xã", admin("quan_tri"))
    first.close()
    for _ in range(2):
        again = Store(path)
        assert again.schema_version() == latest
        assert len(again.targets(2026)) == 26
        assert again.targets(2026)["CQ_VNEID_MUC_2"] == 95.0  # not re-seeded over the admin's value
        versions = again.query_df("SELECT version FROM schema_migrations ORDER BY version")["version"]
        assert versions.tolist() == list(range(1, latest + 1))  # each applied exactly once
        again.migrate()  # explicitly, a third time
        assert again.schema_version() == latest
        again.close()


def test_new_database_is_seeded_with_the_catalog_targets(store):
    targets = store.targets(2026)
    assert targets == {item.code: item.target_2026 for item in catalog.indicators()}
    assert store.targets(2027) == {}
    rows = store.target_rows()
    assert set(rows["set_by"]) == {"hệ thống"}


def test_targets_per_year_are_editable(store):
    store.set_target("HT_CAP_QUANG", 2027, 100.0, "kế hoạch 2027", admin("quan_tri"))
    store.set_target("HT_CAP_QUANG", 2027, 98.5, "sửa lại", admin("quan_tri"))
    assert store.targets(2027) == {"HT_CAP_QUANG": 98.5}
    assert len(store.targets(2026)) == 26


def test_settings_round_trip(store):
    assert store.settings() == Settings()
    changed = Settings(deadline_day=20, jump_threshold_pct=30.0, home_unit="10966")
    store.save_settings(changed, ADMIN)
    assert store.settings() == changed


def test_settings_survive_reopening(tmp_path):
    path = new_db(tmp_path)
    store = Store(path)
    store.save_settings(Settings(deadline_day=15), ADMIN)
    store.close()
    again = Store(path)
    assert again.settings().deadline_day == 15
    again.close()


@pytest.mark.duckdb_file
def test_open_store_is_one_store_per_file(tmp_path):
    path = tmp_path / "shared.duckdb"
    first = open_store(path)
    try:
        assert open_store(str(path)) is first
        assert open_store(tmp_path / "." / "shared.duckdb") is first
        assert open_store(":memory:") is not open_store(":memory:")
    finally:
        first.close()
    second = open_store(path)  # closing forgets it
    assert second is not first
    second.close()


def test_content_snapshot_sees_every_change(store, run_import, make_long_csv):
    empty = store.content_snapshot()
    assert set(empty) >= {"batches", "batch_reverts", "submissions", "units", "targets", "settings"}
    assert empty["submissions"] == [] and len(empty["units"]) == 8
    assert store.content_snapshot() == empty  # stable
    report = run_import(store, "t.csv", make_long_csv([["2026-03", "Cậy", "TT_TIN_BAI", "", "", "4", ""]]))
    imported = store.content_snapshot()
    assert imported != empty and len(imported["submissions"]) == 1
    store.revert_batch(report.batch_id, admin("quan_tri"))
    reverted = store.content_snapshot()
    assert reverted != imported and len(reverted["batch_reverts"]) == 1


def test_a_failed_transaction_writes_nothing(file_store):
    before = file_store.content_snapshot()
    with pytest.raises(RuntimeError):
        with file_store.transaction() as cur:
            cur.execute("INSERT INTO settings VALUES ('x', 'y')")
            raise RuntimeError("giữa chừng")
    assert file_store.content_snapshot() == before


def test_current_submissions_filters(store, run_import, make_long_csv):
    rows = [
        [period, "Cậy", "TT_TIN_BAI", "", "", str(i + 1), ""]
        for i, period in enumerate(["2026-01", "2026-02", "2026-03"])
    ]
    run_import(store, "t.csv", make_long_csv(rows), now=datetime(2026, 3, 5))
    assert store.periods_with_data() == ["2026-01", "2026-02", "2026-03"]
    assert list(store.current_submissions(periods=["2026-02"])["value"]) == [2.0]
    assert list(store.current_submissions(up_to="2026-02")["period"]) == ["2026-01", "2026-02"]
    assert store.current_submissions(periods=[]).empty
    assert list(store.current_submissions(periods=["2026-01", "2026-03"], up_to="2026-02")["period"]) == [
        "2026-01"
    ]
    # by unit, as an import compares a commune's file (PostgreSQL: a probe per month and unit)
    code = store.current_submissions()["unit_code"].iloc[0]
    assert len(store.current_submissions(unit_codes=[code], figures_only=True)) == 3
    assert len(store.current_submissions(periods=["2026-02", "2026-03"], unit_codes=[code, "KHAC"])) == 2
    assert store.current_submissions(unit_codes=["KHAC"]).empty
    assert store.current_submissions(unit_codes=[], figures_only=True).empty
    assert list(store.current_submissions(unit_codes=[]).columns) == list(store.current_submissions().columns)


def test_demo_data_is_removed_with_its_units(make_store, run_import, make_long_csv):
    from indicators.domain.units import OrgUnit
    from indicators.ingest import import_file

    store = make_store()
    assert not store.has_demo()
    store.save_units([OrgUnit(code="DEMO1", name="Thôn Mẫu", parent="10966")], ADMIN, is_demo=True)
    demo = import_file(
        store, "demo.csv",
        make_long_csv([["2026-03", "Thôn Mẫu", "TT_TIN_BAI", "", "", "4", ""]]).encode(),
        admin("he_thong"), now=datetime(2026, 3, 5), is_demo=True,
    )  # fmt: skip
    real = run_import(store, "t.csv", make_long_csv([["2026-03", "Cậy", "TT_TIN_BAI", "", "", "5", ""]]))
    assert store.has_demo()
    assert store.remove_demo(ADMIN) == 1
    assert not store.has_demo()
    assert list(store.batches()["id"]) == [real.batch_id]
    assert "DEMO1" not in {u.code for u in store.units()}
    assert demo.batch_id not in set(store.current_submissions()["batch_id"])
    store.close()


def _recomputed(store) -> list[tuple]:
    """The current values computed from every revision, as migration 4 first filled them."""
    from indicators.storage import CURRENT_SELECT

    with store.cursor() as cur:
        return sorted(cur.execute(CURRENT_SELECT.format(keys="")).fetchall(), key=repr)


def _kept(store) -> list[tuple]:
    with store.cursor() as cur:
        return sorted(cur.execute("SELECT * FROM current_submissions").fetchall(), key=repr)


def _rounded(rows: list[tuple]) -> list[tuple]:
    """Sums of fractions differ in their last bits with the order they were added in."""
    return sorted((tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows), key=repr)


def _totals_recomputed(store) -> list[tuple]:
    """The per-commune totals summed again from the current values (as migration 6 first filled them)."""
    from indicators.storage import REBUILD_TOTALS

    with store.cursor() as cur:
        return _rounded(cur.execute(REBUILD_TOTALS[1].removeprefix("INSERT INTO current_totals ")).fetchall())


def _totals_kept(store) -> list[tuple]:
    with store.cursor() as cur:
        return _rounded(cur.execute("SELECT * FROM current_totals").fetchall())


class _Model:
    """What the store must hold, worked out here without its SQL: every revision written (a file's
    rows whose figure differs from the current one), which batches are reverted, and the current
    value of a key as the latest live revision's; the totals summed in Python."""

    def __init__(self, parents: dict[str, str | None], levels: dict[str, str]):
        self.revisions: list[tuple[int, tuple, float]] = []  # (batch, key, value) in writing order
        self.reverted: set[int] = set()
        self.parents, self.levels = parents, levels

    def current(self) -> dict[tuple, tuple[float, int]]:
        """{key: (value, live revisions)}."""
        out: dict[tuple, tuple[float, int]] = {}
        for batch, key, value in self.revisions:
            if batch not in self.reverted:
                out[key] = (value, out.get(key, (None, 0))[1] + 1)
        return out

    def import_rows(self, batch: int | None, rows: dict[tuple, float]) -> list[tuple]:
        """The keys a file changes; written under `batch` when there is one."""
        now = {key: value for key, (value, _) in self.current().items()}
        changed = [key for key, value in rows.items() if now.get(key) != value]
        if batch is not None:
            self.revisions += [(batch, key, rows[key]) for key in changed]
        return changed

    def totals(self) -> dict[tuple, tuple[float, int]]:
        """{(period, total unit, indicator): (sum of values, reporters)}: a hamlet counts in its
        commune's total, any other unit in its own."""
        out: dict[tuple, tuple[float, int]] = {}
        for (period, unit, code), (value, _) in self.current().items():
            total = self.parents[unit] if self.levels[unit] == "hamlet" and self.parents[unit] else unit
            summed, reporters = out.get((period, total, code), (0.0, 0))
            out[(period, total, code)] = (summed + value, reporters + 1)
        return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(["import", "revert"]), st.integers(0, 7), st.integers(0, 99)),
                      min_size=1, max_size=8))  # fmt: skip
def test_the_kept_current_values_equal_the_latest_live_revisions(make_store, run_import, make_long_csv, steps):
    """Whatever the order of imports (overlapping keys) and reverts, the current values and totals
    the store keeps are those of an independent model of the revisions (`_Model`)."""
    store = make_store()
    units = store.units()
    code_of = {u.name: u.code for u in units}
    model = _Model({u.code: u.parent for u in units}, {u.code: u.level for u in units})
    # what each unit reports at its level: the hamlets of the commune, and the commune itself (whose
    # figures count in its own total); every file is valid, so every step writes
    commune = next(u.name for u in units if u.level == "commune")
    reported = [("Cậy", "TT_TIN_BAI"), ("Bá Thủy", "TT_TIN_BAI"), (commune, "TC_VAN_BAN"),
                ("Bá Hợp", "TT_TIN_BAI"), ("Cậy", "HT_MAY_2G"), (commune, "DN_NEN_TANG_SO")]  # fmt: skip
    imported: list[int] = []
    for n, (what, pick, value) in enumerate(steps):
        if what == "revert" and imported:
            batch = imported.pop(pick % len(imported))
            store.revert_batch(batch, ADMIN)
            model.reverted.add(batch)
        else:
            rows = [[f"2026-0{1 + (pick + i) % 3}", *reported[(pick + i) % len(reported)], "", "", str(value + i), ""]
                    for i in range(1 + pick % 4)]  # fmt: skip
            report = run_import(store, f"t{n}.csv", make_long_csv(rows), now=datetime(2026, 3, 5 + n))
            assert report.status in ("imported", "unchanged", "duplicate"), [i.message for i in report.errors]
            wanted = {(period, code_of[name], code): float(v) for period, name, code, _, _, v, _ in rows}
            written = report.batch_id if report.status == "imported" else None
            changed = model.import_rows(written, wanted)
            assert (report.status == "imported") == bool(changed)
            if written:
                imported.append(written)
        current = store.current_submissions()
        kept = {(r.period, r.unit_code, r.indicator_code): (r.value, r.revisions) for r in current.itertuples()}
        assert kept == model.current()
        with store.cursor() as cur:
            totals = cur.execute("SELECT period, unit_code, indicator_code, value, reporters FROM current_totals").fetchall()
        assert {(p, u, c): (round(v, 6), r) for p, u, c, v, r in totals} == {
            key: (round(v, 6), r) for key, (v, r) in model.totals().items()
        }
    store.close()


def test_the_kept_current_values_follow_a_demo_removal(make_store, run_import, make_long_csv):
    from indicators.ingest.demo import DEMO_ACTOR, load_demo

    store = make_store()
    load_demo(store, DEMO_ACTOR, today=datetime(2026, 11, 27).date())
    run_import(store, "t.csv", make_long_csv([["2026-03", "Cậy", "TT_TIN_BAI", "", "", "5", ""]]))
    assert len(_kept(store)) > 100 and _kept(store) == _recomputed(store)
    assert _totals_kept(store) == _totals_recomputed(store)
    store.remove_demo(ADMIN)
    assert _kept(store) == _recomputed(store)
    assert _totals_kept(store) == _totals_recomputed(store)
    store.close()


def test_the_totals_sum_a_communes_hamlets_and_follow_a_hamlet_that_moves(make_store, run_import, make_long_csv):
    """`current_totals` holds each commune's hamlets summed (NULL where none gave a figure); a
    hamlet moved to another commune takes its figures with it."""
    store = make_store()
    units = {u.code: u for u in store.units()}
    hamlets = [u for u in units.values() if u.level == "hamlet"][:2]
    commune = units[hamlets[0].parent]
    rows = [["2026-03", hamlets[0].name, "HT_CAP_QUANG", "30", "100", "", ""],
            ["2026-03", hamlets[1].name, "HT_CAP_QUANG", "45", "50", "", ""],
            ["2026-03", hamlets[0].name, "TT_TIN_BAI", "", "", "4", ""]]  # fmt: skip
    assert run_import(store, "a.csv", make_long_csv(rows)).status == "imported"
    totals = {(r[0], r[1], r[2]): r[3:] for r in _totals_kept(store)}
    # (the value column of a ratio sums percentages: readers of ratios use numerator and denominator)
    assert totals[("2026-03", commune.code, "HT_CAP_QUANG")] == (75.0, 150.0, 120.0, 2)
    assert totals[("2026-03", commune.code, "TT_TIN_BAI")] == (None, None, 4.0, 1)
    # a later file adds a hamlet's figure to the total it already has
    later = [["2026-03", hamlets[1].name, "TT_TIN_BAI", "", "", "6", ""]]
    assert run_import(store, "b.csv", make_long_csv(later)).status == "imported"
    totals = {(r[0], r[1], r[2]): r[3:] for r in _totals_kept(store)}
    assert totals[("2026-03", commune.code, "TT_TIN_BAI")] == (None, None, 10.0, 2)

    other = OrgUnit(code="XA2", name="Xã Khác", level="commune", parent=commune.parent)
    store.save_units([other, hamlets[1].model_copy(update={"parent": "XA2"})], ADMIN)
    totals = {(r[0], r[1], r[2]): r[3:] for r in _totals_kept(store)}
    assert totals[("2026-03", commune.code, "HT_CAP_QUANG")] == (30.0, 100.0, 30.0, 1)
    assert totals[("2026-03", "XA2", "HT_CAP_QUANG")] == (45.0, 50.0, 90.0, 1)
    assert _totals_kept(store) == _totals_recomputed(store)
    store.close()


def test_one_version_reads_the_data_version_once_per_run(store, run_import, make_long_csv):
    """A page run reads the data version once; its own write shows at once, another thread's at
    the next run."""
    import threading

    from indicators.domain.accounts import SYSTEM

    reads = []
    original = store._read_data_version
    store._read_data_version = lambda: reads.append(1) or original()
    csv = make_long_csv([["2026-03", "Cậy", "TT_TIN_BAI", "", "", "5", ""]])
    with store.one_version():
        first = store.data_version()
        assert store.data_version() == first and len(reads) == 1
        run_import(store, "a.csv", csv)  # this run's own write
        mine = store.data_version()
        assert mine != first and len(reads) == 2
        other = threading.Thread(target=store.set_target, args=("TT_TIN_BAI", 2026, 9.0, "thử", SYSTEM))
        other.start()
        other.join()
        assert store.data_version() == mine, "another session's write waits for the next run"
    assert store.data_version() != mine  # the next run (or any call outside a run) sees it
    before = len(reads)
    store.data_version(), store.data_version()
    assert len(reads) == before + 2, "outside a run every call reads it"
