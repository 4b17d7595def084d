"""The figures as they stood at a moment (issue 23, item 5): `store_as_of` recomputes them exactly
from the append-only revisions."""

from __future__ import annotations

import time
from datetime import timedelta

from indicators import metrics
from indicators.domain import clock
from indicators.domain.accounts import Actor
from indicators.ingest import import_file
from indicators.storage import store_as_of
from tests.support import ADMIN

MARCH = "2026-03"
COMMUNE = "10966"


def _send(store, value: int, reason: str | None = None):
    data = ("ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\n"
            f"{MARCH},BG01,TT_HO_DUOC_HUONG_DAN,{value},100,,\n{MARCH},BG02,TT_HO_DUOC_HUONG_DAN,50,100,,\n")  # fmt: skip
    report = import_file(store, f"bg_{value}.csv", data.encode(), ADMIN, reason=reason)
    assert report.ok, report.issues
    time.sleep(0.01)  # batches a moment apart
    return report


def _value(store) -> float:
    table = metrics.commune_summary(store, MARCH, COMMUNE).set_index("indicator_code")
    return float(table.loc["TT_HO_DUOC_HUONG_DAN", "value"])


def test_the_figures_at_a_moment_follow_imports_and_reverts(store):
    _send(store, 40)
    after_first = clock.now()
    time.sleep(0.01)
    second = _send(store, 60)
    after_second = clock.now()
    time.sleep(0.01)
    store.revert_batch(second.batch_id, ADMIN)
    assert _value(store_as_of(store, after_first)) == 45.0  # (40 + 50) / 200
    assert _value(store_as_of(store, after_second)) == 55.0  # (60 + 50) / 200: the revert came later
    assert _value(store_as_of(store, clock.now())) == _value(store) == 45.0
    assert store_as_of(store, after_first - timedelta(days=1)).current_submissions().empty


def test_the_figures_at_a_moment_equal_the_store_now_everywhere(store):
    _send(store, 40)
    now = store_as_of(store, clock.now() + timedelta(seconds=1))
    mine, theirs = metrics.commune_summary(store, MARCH, COMMUNE), metrics.commune_summary(now, MARCH, COMMUNE)
    assert mine.equals(theirs)
    assert metrics.completeness(store, MARCH, COMMUNE).equals(metrics.completeness(now, MARCH, COMMUNE))


def test_an_issued_report_holds_the_figures_as_of_its_issue(store):
    from indicators.views import report

    _send(store, 40)
    root = next(u for u in store.units() if u.code == COMMUNE)
    report.issue_report(store, MARCH, root, Actor("lanhdao", "lanh_dao"), with_charts=False)
    issued = store.issued_report(MARCH, COMMUNE)
    time.sleep(0.01)
    _send(store, 70, reason="Thôn Cậy đếm lại")  # a change after the issue
    assert _value(store) == 60.0
    then = metrics.commune_summary(store_as_of(store, issued["issued_at"]), MARCH, COMMUNE)
    for row in then.itertuples():
        kept = issued["figures"]["indicators"][row.indicator_code]
        assert kept["value"] == (None if row.value != row.value else row.value), row.indicator_code
        assert kept["status"] == row.status
    assert issued["figures"]["indicators"]["TT_HO_DUOC_HUONG_DAN"]["value"] == 45.0


def test_summary_as_of_on_the_command_line(tmp_path, make_store):
    import json

    from indicators.cli import main
    from tests.support import new_db

    db = new_db(tmp_path)
    store = make_store(db)
    _send(store, 40)
    between = clock.now()
    time.sleep(0.01)
    _send(store, 60)
    store.close()

    def value(*extra: str) -> float:
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["summary", "--period", MARCH, "--json", "--db", str(db), *extra]) == 0
        rows = {r["code"]: r for r in json.loads(out.getvalue())["indicators"]}
        return rows["TT_HO_DUOC_HUONG_DAN"]["value"]

    assert value() == 55.0
    assert value("--as-of", between.isoformat()) == 45.0
    assert value("--as-of", (between - timedelta(hours=7)).isoformat() + "+00:00") == 45.0  # the same moment in UTC
    assert main(["summary", "--period", MARCH, "--db", str(db), "--as-of", "hôm qua"]) == 2


def test_a_months_summary_as_of_reads_only_its_months(store, run_import):
    """`summary --as-of` copies only the months a summary reads (`periods.summary_months`): the
    summary is the same as from the whole copy, and other months are not there."""
    import pandas as pd

    from indicators.domain import periods
    from indicators.ingest.demo import load_demo
    from tests.support import DEMO_TODAY

    load_demo(store, ADMIN, today=DEMO_TODAY)
    moment = clock.now()
    whole = store_as_of(store, moment)
    part = store_as_of(store, moment, periods.summary_months("2026-06"))
    a = metrics.commune_summary(whole, "2026-06", "10966").sort_values("indicator_code").reset_index(drop=True)
    b = metrics.commune_summary(part, "2026-06", "10966").sort_values("indicator_code").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    kept = set(part.current_submissions()["period"])
    assert kept <= set(periods.summary_months("2026-06")) and {"2026-01", "2026-06"} <= kept
    assert "2026-07" in set(whole.current_submissions()["period"]) and "2026-07" not in kept
    assert periods.summary_months("2026-06")[0] == "2025-12"


def _recomputed_whole(store, moment):
    """The figures at `moment` the slow way: every current value recomputed from the revisions
    live then, every total summed again (what `store_as_of` must equal)."""
    from indicators.storage import Store
    from indicators.storage.current import CURRENT_SELECT, REBUILD_TOTALS
    from indicators.storage.store import _LIVE_AT

    reference = Store(":memory:")
    with store.cursor() as cur:
        units = cur.execute("SELECT * FROM units").fetch_arrow_table()
        current = cur.execute(CURRENT_SELECT.format(keys="").replace("FROM live_submissions s", "FROM " + _LIVE_AT.format(
            months="")), {"moment": moment}).fetch_arrow_table()  # fmt: skip
    with reference.transaction() as cur:
        for name, table in (("units", units), ("current_submissions", current)):
            cur.execute(f"DELETE FROM {name}")
            cur.register("copied", table)
            cur.execute(f"INSERT INTO {name} SELECT * FROM copied")
            cur.unregister("copied")
        for statement in REBUILD_TOTALS:
            cur.execute(statement)
    return reference


def _rows(store, table: str):
    keys = ["period", "unit_code", "indicator_code"]
    return store.query_df(f"SELECT * FROM {table}").sort_values(keys).reset_index(drop=True)


def test_the_copy_of_today_with_the_changed_keys_recomputed_equals_recomputing_everything(store):
    """Corrections, a revert and new months after each moment: the snapshot (today's values, the
    keys changed since recomputed, their totals summed again) equals the whole recomputation."""
    import pandas as pd

    from indicators.ingest.demo import load_demo
    from tests.support import DEMO_TODAY

    load_demo(store, ADMIN, today=DEMO_TODAY)
    moments = [clock.now()]
    time.sleep(0.01)
    first = _send(store, 40)  # a correction of March for two hamlets
    moments.append(clock.now())
    time.sleep(0.01)
    _send(store, 70)
    moments.append(clock.now())
    time.sleep(0.01)
    store.revert_batch(first.batch_id, ADMIN)
    moments.append(clock.now())
    for moment in moments:
        snapshot, reference = store_as_of(store, moment), _recomputed_whole(store, moment)
        for table in ("current_submissions", "current_totals"):
            pd.testing.assert_frame_equal(_rows(snapshot, table), _rows(reference, table), check_dtype=False)
        # only the totals, for a commune's summary: the same totals and the same summary
        totals = store_as_of(store, moment, totals_only=True)
        pd.testing.assert_frame_equal(_rows(totals, "current_totals"), _rows(reference, "current_totals"),
                                      check_dtype=False)  # fmt: skip
        assert len(totals.current_submissions()) < len(reference.current_submissions()) or moment == moments[-1]
        pd.testing.assert_frame_equal(metrics.commune_summary(totals, MARCH, COMMUNE),
                                      metrics.commune_summary(snapshot, MARCH, COMMUNE))  # fmt: skip
