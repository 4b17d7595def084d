"""The city view: Hải Phòng's communes from the 2025 list, the city demo, city-level roll-ups and
the pages viewed for the city or one commune (?dv=)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import streamlit as st

from indicators import cli, metrics
from indicators.ingest.demo import CITY, city_units, load_city_demo
from indicators.storage import Store, open_store
from indicators.views import common, submissions
from tests import support
from tests.support import ADMIN, DEMO_TODAY, demo_db, new_db, shown

LIMIT = 5  # communes in the test city: Bình Giang (the commune demo) and four more


def test_city_units_follow_the_2025_list():
    units = city_units()
    communes = [u for u in units if u.level == "commune"]
    assert len(communes) == 114 and all(u.parent == CITY.code for u in communes)
    labels = {u.code: u.label for u in communes}
    assert labels["10966"] == "Xã Bình Giang"
    assert sum(label.startswith("Phường ") for label in labels.values()) == 45
    codes = [u.code for u in units]
    assert len(codes) == len(set(codes)), "codes identify units"
    hamlets = [u for u in units if u.level == "hamlet"]
    assert 6 * 114 <= len(hamlets) <= 16 * 114
    assert len({u.households for u in hamlets}) > 100  # uneven sizes


@pytest.fixture(scope="module")
def city_path(tmp_path_factory) -> Path:
    path = demo_db(tmp_path_factory.mktemp("city"))
    store = Store(path)
    counts = load_city_demo(store, ADMIN, today=DEMO_TODAY, limit=LIMIT)
    assert counts["communes"] == LIMIT and counts["batches"] > 0
    store.close()
    return path


def test_the_commune_demo_moves_under_the_city_with_its_figures(city_path):
    store = Store(city_path)
    try:
        units = {u.code: u for u in store.units()}
        assert units["10966"].parent == CITY.code and units["BG01"].parent == "10966"
        assert common.root_unit(store).code == CITY.code
        assert [u.code for u in metrics.member_units(store, CITY.code)][:1] and len(
            metrics.member_units(store, CITY.code)
        ) == LIMIT
        # Bình Giang's own batches are still the demo's imports (170), plus the other communes'
        assert (store.batches()["file_name"] == "BG01_2026-11.csv").sum() == 1
    finally:
        store.close()


def test_city_values_are_pooled_ratios_of_every_hamlet(city_path):
    store = Store(city_path)
    try:
        table = metrics.commune_summary(store, "2026-11", CITY.code).set_index("indicator_code")
        current = store.current_submissions(periods=["2026-11"])
        rows = current[current["indicator_code"] == "CQ_VNEID_MUC_2"]
        expected = 100 * rows["numerator"].sum() / rows["denominator"].sum()
        assert table.loc["CQ_VNEID_MUC_2", "value"] == pytest.approx(expected)
        members = metrics.member_table(store, "2026-11", CITY.code)
        assert set(members["unit_code"]) == {u.code for u in metrics.member_units(store, CITY.code)}
        assert set(members["indicator_code"]) == {i for i in table.index}  # communes carry all 26
        one = members[(members["unit_code"] == "10966") & (members["indicator_code"] == "CQ_VNEID_MUC_2")]
        alone = metrics.commune_summary(store, "2026-11", "10966").set_index("indicator_code")
        assert one["value"].iloc[0] == pytest.approx(alone.loc["CQ_VNEID_MUC_2", "value"])
    finally:
        store.close()


def test_a_city_roll_up_from_the_commune_totals_equals_the_one_over_every_hamlet(city_path):
    """The city and its communes are rolled up from `current_totals`; summing every current value
    of their hamlets instead gives the same figures."""
    store = Store(city_path)
    try:
        codes = [CITY.code] + [u.code for u in metrics.member_units(store, CITY.code)]
        links = metrics.tree(store).ancestry
        links = links[links["rollup_code"].isin(codes)]
        keys = ["rollup_code", "indicator_code", "period"]
        totals, every = (store.rolled_up(links, "2025-12", "2026-11", hamlets).sort_values(keys, ignore_index=True)
                         for hamlets in (False, True))  # fmt: skip
        assert len(totals) > 1000 and set(totals["rollup_code"]) == set(codes)
        pd.testing.assert_frame_equal(totals, every, check_dtype=False)
    finally:
        store.close()


def test_a_city_submission_status_is_summed_per_commune(city_path):
    store = Store(city_path)
    try:
        detail = metrics.completeness(store, "2026-11", CITY.code)
        members = metrics.completeness_by_member(store, "2026-11", CITY.code).set_index("unit_code")
        assert len(members) == LIMIT
        links = metrics.tree(store).ancestry
        for code, row in members.iterrows():
            below = detail[detail["unit_code"].isin(links.loc[links["rollup_code"] == code, "unit_code"])]
            hamlets = below[below["level"] == "hamlet"]
            assert (row["expected"], row["submitted"], row["on_time"]) == tuple(
                int(below[c].sum()) for c in ("expected", "submitted", "on_time")
            )
            assert (row["hamlets"], row["hamlets_submitted"]) == (len(hamlets), int((hamlets["submitted"] > 0).sum()))
            assert row["hamlets_missing"] == list(hamlets.loc[hamlets["submitted"] == 0, "unit_name"])
            # the status rule of one unit, applied to the sums
            if row["submitted"] == 0:
                assert row["status"] == "missing"
            elif row["missing"]:
                assert row["status"] == "partial"
            else:
                assert row["status"] == ("late" if row["late"] else "on_time")
        # one commune alone gives the same sums as its row in the city
        alone = metrics.completeness(store, "2026-11", "10966")
        assert members.loc["10966", "submitted"] == alone["submitted"].sum()

        grid = metrics.completeness_grid(store, CITY.code, "2026-01", "2026-11")
        assert set(grid["unit_code"]) == set(members.index) and grid["period"].nunique() == 11
        view = submissions.submissions_view(store, "2026-11", metrics.tree(store).by_code[CITY.code], DEMO_TODAY)
        table = view.table()
        assert len(table) == LIMIT and view.table_title == "Từng đơn vị cấp xã – Tháng 11/2026"
        order = [submissions._SUBMISSION_ORDER[s] for s in table["status"]]
        assert order == sorted(order), "the communes to remind come first"

        # the meeting's slide shows the same communes (a tile each), not the city's every hamlet
        from indicators.render import slides
        from indicators.views import presentation

        data = presentation.month_data(store, "2026-11", metrics.tree(store).by_code[CITY.code], DEMO_TODAY)
        tiles = {tile.code for tile in slides.submissions_slide(data).units}
        assert tiles == set(members.index)
    finally:
        store.close()


def test_the_submission_calendar_keys_units_by_code():
    """Hamlets of different communes share names ("Thôn 1"): each keeps a row of its own."""
    from indicators.render import charts

    grid = [("2026-01", "A1", "Thôn 1", "on_time"), ("2026-01", "B1", "Thôn 1", "missing"),
            ("2026-02", "A1", "Thôn 1", "late"), ("2026-02", "B1", "Thôn 1", "partial")]  # fmt: skip
    frame = pd.DataFrame(grid, columns=["period", "unit_code", "unit_name", "status"])
    fig = charts.submission_calendar(frame)
    heat = fig.data[0]
    assert list(heat.y) == ["Thôn 1 (A1)", "Thôn 1 (B1)"]
    assert [list(row) for row in heat.text] == [["✓", "◷"], ["✗", "◐"]]


def _page(city_path, monkeypatch, page: str, **params):
    monkeypatch.setenv("CDS_DB", str(city_path))
    st.cache_resource.clear()  # the app's store of an earlier test may be closed (PostgreSQL)
    at = support.app_test()
    at.switch_page(page)
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_pages_switch_between_the_city_and_one_commune(city_path, monkeypatch):
    at = _page(city_path, monkeypatch, "pages/hamlets.py")
    assert at.title[0].value == "Tiến độ theo xã"
    assert at.sidebar.selectbox(key="url_dv").value == CITY.code
    assert f"{LIMIT} xã" in at.caption[0].value
    at = _page(city_path, monkeypatch, "pages/hamlets.py", dv="10966")
    assert at.title[0].value == "Tiến độ theo thôn" and "14 thôn" in at.caption[0].value
    at = _page(city_path, monkeypatch, "pages/overview.py", dv="10966")
    assert at.caption[0].value.startswith("Xã Bình Giang")
    at = _page(city_path, monkeypatch, "pages/overview.py", dv="ZZ'--")
    assert any("ZZ'--" in shown(w.value) for w in at.warning) and at.caption[0].value.startswith("Thành phố Hải Phòng")
    for page in ("pages/groups.py", "pages/indicator.py", "pages/report.py"):
        _page(city_path, monkeypatch, page)
    at = _page(city_path, monkeypatch, "pages/submissions.py")
    assert at.subheader[1].value.startswith("Từng đơn vị cấp xã")
    assert len(at.dataframe[0].value) == LIMIT and "Thôn đã nộp" in at.dataframe[0].value.columns
    at = _page(city_path, monkeypatch, "pages/submissions.py", dv="10966")
    assert at.subheader[1].value.startswith("Từng đơn vị –") and len(at.dataframe[0].value) == 15


def test_an_old_link_opens_the_same_unit_under_its_official_code(city_path, monkeypatch):
    """Links made before the official codes (?dv=01310 Bình Giang, ?dv=05 Hải Phòng) still open
    the unit, and the address shows its official code."""
    at = _page(city_path, monkeypatch, "pages/overview.py", dv="01310")
    assert not at.warning and at.caption[0].value.startswith("Xã Bình Giang")
    assert at.query_params["dv"] == "10966" and at.sidebar.selectbox(key="url_dv").value == "10966"
    at = _page(city_path, monkeypatch, "pages/hamlets.py", dv="05")
    assert not [w for w in at.warning if "05" in str(w.value)], [w.value for w in at.warning]  # no “unknown unit”
    assert at.sidebar.selectbox(key="url_dv").value == CITY.code == "31"
    store = Store(city_path)
    try:
        assert [common.linked_code(store, c) for c in ("01310", "05", "10966", "BG01", "00001", None)] == [
            "10966", "31", "10966", "BG01", "00001", None,  # 00001's official unit is not in this database
        ]  # fmt: skip
    finally:
        store.close()


def test_commune_database_shows_no_unit_picker(tmp_path, monkeypatch):
    monkeypatch.setenv("CDS_DB", str(demo_db(tmp_path)))
    at = support.app_test()
    at.switch_page("pages/overview.py").run()
    assert not at.exception
    assert "url_dv" not in [s.key for s in at.sidebar.selectbox]


def test_demo_city_from_the_command_line(tmp_path, capsys):
    db = new_db(tmp_path, "c")
    assert cli.main(["demo", "--city", "--limit", "3", "--db", db]) == 0
    assert "Hải Phòng, 3 xã" in capsys.readouterr().out
    store = open_store(db)
    assert {u.code for u in metrics.member_units(store, CITY.code)} >= {"10966"}
    store.close()
