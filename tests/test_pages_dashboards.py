"""The three dashboard pages (Theo thôn, Theo nhóm nhiệm vụ, Chỉ tiêu), their view models and figures.

Page tests run the real app with AppTest on a copy of the demo database (or an empty one) and check
that what the page writes equals what `indicators.metrics` computes, formatted by `indicators.domain.format`.
AppTest cannot look inside Plotly charts, so the figure builders are tested directly.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from indicators import metrics
from indicators.domain import catalog, format
from indicators.render import charts
from indicators.storage import Store, open_store
from indicators.views import common, hamlets, indicator
from indicators.views import groups as groups_view
from tests import support
from tests.support import admin, shown

PERIOD = "2026-03"
COMMUNE = "10966"
ALL_COLUMNS = ["Chỉ tiêu", "Giá trị", "Trạng thái", "Mục tiêu 2026", "Tiến độ", "So với tháng trước", "Mã"]


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Store:
    """A read-only demo store for the view-model and figure tests (one per module)."""
    store = Store(support.demo_db(tmp_path_factory.mktemp("dash_views")))
    yield store
    store.close()


@pytest.fixture
def demo_path(tmp_path: Path, monkeypatch) -> Path:
    """A fresh demo database of its own (the app caches one store per file) as $CDS_DB."""
    path = support.demo_db(tmp_path)
    monkeypatch.setenv("CDS_DB", str(path))
    st.cache_resource.clear()
    return path


@pytest.fixture
def empty_path(tmp_path: Path, monkeypatch) -> Path:
    path = support.empty_db(tmp_path)
    monkeypatch.setenv("CDS_DB", str(path))
    st.cache_resource.clear()
    return path


def run_page(page: str, **params: str) -> AppTest:
    at = support.app_test(60)
    at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def app_store() -> Store:
    """The store the app opened (`open_store` keeps one per file and process): the core's numbers."""
    import os

    return open_store(os.environ["CDS_DB"])


def warnings(at: AppTest) -> list[str]:
    return [shown(w.value) for w in at.warning]


def markdown(at: AppTest) -> str:
    return "\n".join(shown(m.value) for m in at.markdown)


def expected_rows(table: pd.DataFrame) -> list[dict[str, str]]:
    """What a formatted indicator table must show for `metrics` rows, computed independently."""
    return [
        {
            "Chỉ tiêu": r.name_vi,
            "Giá trị": format.indicator_value(r.value, r.kind),
            "Trạng thái": metrics.STATUS_VI[r.status],
            "Mục tiêu 2026": format.indicator_value(r.target, r.kind),
            "Tiến độ": format.percent(r.progress * 100),
            "So với tháng trước": format.indicator_change(r.change, r.kind),
            "Mã": r.indicator_code,
        }
        for r in table.itertuples()
    ]


def shown_rows(frame: pd.DataFrame) -> list[dict[str, str]]:
    rows = frame.to_dict("records")
    for row in rows:
        row["Trạng thái"] = row["Trạng thái"].split(" ", 1)[1]  # "▼ Chậm" -> "Chậm"
        row["Mã"] = row["Mã"].rsplit("=", 1)[1]  # "chi-tieu?chi_tieu=X" -> "X"
    return rows


# --- Theo thôn ----------------------------------------------------------------------------------


def test_hamlets_page_shows_the_hamlet_of_the_url_as_the_core_computes_it(demo_path):
    at = run_page("pages/hamlets.py", ky=PERIOD, thon="BG05")

    assert not warnings(at)
    assert at.title[0].value == "Tiến độ theo thôn"
    assert [t.label for t in at.tabs] == ["Bản đồ nhiệt", "Xếp hạng thôn", "Từng thôn"]
    assert at.selectbox(key="url_thon").value == "BG05"
    assert at.subheader[0].value == "Thôn Hạ Bì – Tháng 3/2026"

    table = metrics.member_table(app_store(), PERIOD, COMMUNE)
    mine = table[table["unit_code"] == "BG05"]
    order = {item.code: i for i, item in enumerate(catalog.indicators())}
    mine = mine.iloc[mine["indicator_code"].map(order).argsort()]
    frame = at.dataframe[0].value
    assert list(frame.columns) == ALL_COLUMNS
    assert len(frame) == len(catalog.indicators_at_level("hamlet")) == len(mine)
    assert shown_rows(frame) == expected_rows(mine)
    # the badges above the table count the hamlet's statuses
    for status, count in mine["status"].value_counts().items():
        assert f"{metrics.STATUS_VI[status]}</span> **{count}** chỉ tiêu" in markdown(at)


def test_hamlets_page_ranking_follows_the_indicator_in_the_url(demo_path):
    at = run_page("pages/hamlets.py", ky=PERIOD, chi_tieu="CQ_VNEID_MUC_2")
    assert not warnings(at)
    assert at.selectbox(key="url_chi_tieu").value == "CQ_VNEID_MUC_2"
    # only hamlet-level indicators can be ranked
    assert at.selectbox(key="url_chi_tieu").options == [
        f"{i.code} – {i.name_vi}" for i in catalog.indicators_at_level("hamlet")
    ]
    assert at.query_params["ky"] == PERIOD


def test_hamlets_page_reports_unknown_url_values_instead_of_failing(demo_path):
    at = run_page("pages/hamlets.py", ky="2031-01", thon="KHONG_CO", chi_tieu="TC_VAN_BAN")
    shown = " ".join(warnings(at))
    assert "“2031-01”" in shown and "“KHONG_CO”" in shown and "“TC_VAN_BAN”" in shown
    # defaults instead: the latest month, the first hamlet by name, the first hamlet-level indicator
    assert at.selectbox(key="url_ky").value == common.default_period(app_store())
    assert at.selectbox(key="url_thon").value == "BG14"  # Thôn An Cường
    assert at.selectbox(key="url_chi_tieu").value == "TT_TIN_BAI"


def test_hamlets_page_on_an_empty_database_explains_how_to_start(empty_path):
    at = run_page("pages/hamlets.py")
    assert "Chưa có số liệu" in at.info[0].value
    assert at.button(key="load_demo").label.startswith("Nạp dữ liệu mẫu")
    assert not at.dataframe and not at.tabs


# --- Theo nhóm nhiệm vụ -------------------------------------------------------------------------


def test_groups_page_shows_the_group_of_the_url_as_the_core_computes_it(demo_path):
    at = run_page("pages/groups.py", ky=PERIOD, nhom="5")

    assert not warnings(at)
    assert at.selectbox(key="url_nhom").value == "5"
    assert at.subheader[0].value == f"5. {catalog.task_group(5).name_vi}"
    groups = metrics.group_progress(app_store(), PERIOD, COMMUNE).set_index("task_group")
    assert f"Tiến độ bình quân: **{format.percent(groups.loc[5, 'progress'] * 100)}**" in markdown(at)

    summary = metrics.commune_summary(app_store(), PERIOD, COMMUNE)
    group = summary[summary["task_group"] == 5]
    assert shown_rows(at.dataframe[0].value) == expected_rows(group)
    # under each trend chart: the value and the target of that indicator
    for r in group.itertuples():
        line = f"**{format.indicator_value(r.value, r.kind)}** · mục tiêu {format.indicator_value(r.target, r.kind)}"
        assert line in markdown(at)


def test_groups_page_unknown_group_warns_and_shows_the_first(demo_path):
    at = run_page("pages/groups.py", nhom="9")
    assert "“9”" in " ".join(warnings(at))
    assert at.subheader[0].value == f"1. {catalog.task_group(1).name_vi}"


def test_groups_page_on_an_empty_database(empty_path):
    at = run_page("pages/groups.py")
    assert "Chưa có số liệu" in at.info[0].value
    assert not at.dataframe


# --- Chỉ tiêu -----------------------------------------------------------------------------------


def test_indicator_page_shows_the_indicator_of_the_url(demo_path):
    code = "CQ_VNEID_MUC_2"
    at = run_page("pages/indicator.py", chi_tieu=code, ky=PERIOD)
    item = catalog.indicator(code)

    assert not warnings(at)
    assert at.header[0].value == item.name_vi
    text = markdown(at)
    for expected in (
        f"**Mã chỉ tiêu:** {code}",
        "**Nhóm nhiệm vụ:** 5. " + catalog.task_group(5).name_vi,
        f"**Loại:** {catalog.KIND_VI['ratio']}",
        f"**Cách cộng dồn theo tháng:** {catalog.AGGREGATION_VI['latest']}",
        f"**Chiều tốt:** {catalog.DIRECTION_VI['up']}",
        f"**Cấp báo cáo:** {catalog.LEVEL_VI['hamlet']}",
        f"**Tử số:** {item.numerator_vi}",
        f"**Mẫu số:** {item.denominator_vi}",
        "**Nguồn của mục tiêu:** Ước tính: Đề án 06",
    ):
        assert expected in text

    metrics_by_label = {m.label: m.value for m in at.metric}
    row = metrics.commune_summary(app_store(), PERIOD, COMMUNE).set_index("indicator_code").loc[code]
    assert metrics_by_label["Mục tiêu năm 2026"] == format.indicator_value(row["target"], "ratio") == "90,0%"
    assert metrics_by_label["Giá trị"] == format.indicator_value(row["value"], "ratio")
    assert metrics_by_label["Tiến độ so với mục tiêu"] == format.percent(row["progress"] * 100)
    assert metrics_by_label["Dự báo tháng 12"] == format.indicator_value(row["projection"], "ratio")
    value_metric = next(m for m in at.metric if m.label == "Giá trị")
    assert value_metric.proto.delta == format.indicator_change(row["change"], "ratio")
    assert metrics.STATUS_VI[row["status"]] in text

    # every submitted revision of the month, formatted
    revisions = app_store().revisions(indicator_code=code, period=PERIOD)
    frame = at.dataframe[0].value
    assert len(frame) == len(revisions) > 0
    assert set(frame["Kỳ"]) == {"Tháng 3/2026"}
    assert sorted(frame["Giá trị"]) == sorted(format.indicator_value(v, "ratio") for v in revisions["value"])
    assert sorted(frame["Tệp"]) == sorted(revisions["file_name"])
    assert set(frame["Tình trạng"]) <= set(indicator.REVISION_STATE_VI.values())


def test_indicator_page_count_indicator_has_no_denominator(demo_path):
    at = run_page("pages/indicator.py", chi_tieu="TC_VAN_BAN", ky=PERIOD)
    text = markdown(at)
    assert "**Số liệu nhập:**" in text and "**Mẫu số:**" not in text
    assert "**Cấp báo cáo:** Xã" in text
    assert "Tử số" not in at.dataframe[0].value.columns
    assert not at.toggle  # a commune-level indicator has no hamlets to compare


def test_indicator_page_unknown_code_warns_and_shows_the_first(demo_path):
    at = run_page("pages/indicator.py", chi_tieu="KHONG_CO")
    assert "“KHONG_CO”" in " ".join(warnings(at))
    assert at.header[0].value == catalog.indicators()[0].name_vi


def test_indicator_page_on_an_empty_database_still_defines_the_indicator(empty_path):
    at = run_page("pages/indicator.py", chi_tieu="CQ_CHU_KY_SO")
    assert at.header[0].value == catalog.indicator("CQ_CHU_KY_SO").name_vi
    assert {m.label: m.value for m in at.metric} == {"Mục tiêu năm 2026": "60,0%"}
    assert "Chưa có số liệu" in at.info[0].value
    assert not at.dataframe


# --- view models (indicators/views/) -----------------------------------------------------------


def test_every_indicator_has_a_short_name_and_a_vietnamese_target_basis():
    for item in catalog.indicators():
        assert item.code in charts.SHORT_NAMES
        assert len(charts.short_name(item.code)) <= 24
        assert common.target_basis_vi(item.target_basis) == item.target_basis
        assert not re.search(r"\b(inferred|national|plan|secondary|sources)\b", item.target_basis)
    assert common.target_basis_vi("") == "Chưa ghi nguồn"
    assert common.target_basis_vi("Quyết định 12/QĐ-UBND của xã") == "Quyết định 12/QĐ-UBND của xã"


def test_indicator_rows_format_every_number():
    table = pd.DataFrame(
        [
            {"indicator_code": "CQ_VNEID_MUC_2", "name_vi": "VNeID", "kind": "ratio", "value": 66.94,
             "change": -1.24, "target": 90.0, "progress": 0.7438, "status": "behind"},
            {"indicator_code": "HT_MAY_2G", "name_vi": "Máy 2G", "kind": "count", "value": 1234.0,
             "change": float("nan"), "target": 0.0, "progress": float("nan"), "status": "no_data"},
        ]
    )  # fmt: skip
    rows = common.indicator_rows(table, 2026)
    assert rows.to_dict("records") == [
        {"Chỉ tiêu": "VNeID", "Giá trị": "66,9%", "Trạng thái": "▼ Chậm", "Mục tiêu 2026": "90,0%",
         "Tiến độ": "74,4%", "So với tháng trước": "−1,2 điểm %", "Mã": "chi-tieu?chi_tieu=CQ_VNEID_MUC_2",
         "status": "behind"},
        {"Chỉ tiêu": "Máy 2G", "Giá trị": "1.234", "Trạng thái": "– Chưa có số liệu", "Mục tiêu 2026": "0",
         "Tiến độ": "–", "So với tháng trước": "–", "Mã": "chi-tieu?chi_tieu=HT_MAY_2G", "status": "no_data"},
    ]  # fmt: skip
    styled = common.styled_rows(rows)
    assert "status" not in styled.data.columns
    html = styled.to_html()
    assert "rgba(213, 94, 0, 0.22)" in html  # the vermillion of "behind", tinted


def test_metric_delta_colours_by_direction_not_by_sign():
    fewer_2g = common.metric_delta(-55.0, "count", "down")
    assert (fewer_2g.text, fewer_2g.arrow, fewer_2g.color) == ("−55", "down", "green")
    more_vneid = common.metric_delta(1.24, "ratio", "up")
    assert (more_vneid.text, more_vneid.arrow, more_vneid.color) == ("+1,2 điểm %", "up", "green")
    assert common.metric_delta(-0.5, "ratio", "up").color == "red"
    assert common.metric_delta(3.0, "count", "down").color == "red"
    assert common.metric_delta(0.0, "count", "up").arrow == "off"
    assert common.metric_delta(float("nan"), "ratio", "up").text is None


def test_hamlets_view_matches_the_core(demo_store):
    root = common.root_unit(demo_store)
    view = hamlets.hamlets_view(demo_store, PERIOD, root)
    assert view.codes == [i.code for i in catalog.indicators_at_level("hamlet")]
    assert len(view.hamlets) == 14 and view.hamlets[0].label == "Thôn An Cường"
    assert len(view.table) == 14 * len(view.codes)
    core = metrics.member_table(demo_store, PERIOD, COMMUNE).set_index(["unit_code", "indicator_code"])
    mine = view.table.set_index(["unit_code", "indicator_code"])
    pd.testing.assert_series_equal(mine["value"].sort_index(), core["value"].sort_index())
    assert set(view.heat_table["unit_name"]) == {u.name for u in view.hamlets}

    ranking = view.ranking_table("CQ_VNEID_MUC_2")
    assert len(ranking) == 14 and set(ranking["indicator_code"]) == {"CQ_VNEID_MUC_2"}

    detail = view.detail("BG05")
    assert detail.unit.label == "Thôn Hạ Bì"
    assert list(detail.rows["Chỉ tiêu"]) == [catalog.indicator(c).name_vi for c in view.codes]
    # a ratio: the hamlet first, then its commune; a count: the hamlet alone
    assert list(dict.fromkeys(detail.series["CQ_VNEID_MUC_2"]["unit_code"])) == ["BG05", COMMUNE]
    assert list(dict.fromkeys(detail.series["HT_MAY_2G"]["unit_code"])) == ["BG05"]
    assert list(detail.series["CQ_VNEID_MUC_2"]["period"].unique()) == ["2026-01", "2026-02", "2026-03"]
    slow = detail.table.set_index("indicator_code").loc[detail.default_codes, "status"]
    assert 0 < len(slow) <= 4 and set(slow) <= {"behind", "at_risk"}
    assert sum(n for _, n in detail.status_counts) == len(view.codes)


def test_groups_view_matches_the_core(demo_store):
    root = common.root_unit(demo_store)
    view = groups_view.groups_view(demo_store, PERIOD, root)
    assert list(view.groups["task_group"]) == [1, 2, 3, 4, 5, 6, 7]
    for group in catalog.task_groups():
        detail = view.group(group.number)
        codes = [i.code for i in catalog.indicators_of_group(group.number)]
        assert list(detail.table["indicator_code"]) == codes
        assert list(detail.series) == codes
        assert all(set(s["unit_code"]) <= {COMMUNE} for s in detail.series.values())
        core = metrics.group_progress(demo_store, PERIOD, COMMUNE).set_index("task_group")
        assert detail.progress == pytest.approx(core.loc[group.number, "progress"])


def test_indicator_view_without_data_defines_the_indicator(store):
    view = indicator.indicator_view(store, "HT_PHU_SONG_5G", None, None)
    assert view.year == 2026 and view.target_text == "100,0%"
    assert dict(view.definition)["Mẫu số"] == "1"
    assert view.target_basis == "Kế hoạch: phủ sóng 5G toàn xã (mục II.3)"
    assert view.summary is None and view.series.empty and view.revisions.empty


def test_revisions_show_current_superseded_and_reverted(store, run_import, make_long_csv, now):
    def upload(name: str, numerator: int) -> int:
        data = make_long_csv([("2026-03", "BG01", "CQ_VNEID_MUC_2", numerator, 100, "", "")])
        report = run_import(store, name, data, now=now)
        assert report.status == "imported", report.issues_frame()
        return report.batch_id

    upload("dau.csv", 40)
    upload("sua.csv", 45)
    wrong = upload("nham.csv", 99)
    store.revert_batch(wrong, admin("can_bo_test"))

    root = common.root_unit(store)
    view = indicator.indicator_view(store, "CQ_VNEID_MUC_2", "2026-03", root)
    rows = view.revisions[["Đơn vị", "Tử số", "Mẫu số", "Giá trị", "Tình trạng", "Tệp"]]
    assert rows.to_dict("records") == [
        {"Đơn vị": "Thôn Cậy", "Tử số": "99", "Mẫu số": "100", "Giá trị": "99,0%", "Tình trạng": "Đã hoàn tác",
         "Tệp": "nham.csv"},
        {"Đơn vị": "Thôn Cậy", "Tử số": "45", "Mẫu số": "100", "Giá trị": "45,0%", "Tình trạng": "Đang dùng",
         "Tệp": "sua.csv"},
        {"Đơn vị": "Thôn Cậy", "Tử số": "40", "Mẫu số": "100", "Giá trị": "40,0%",
         "Tình trạng": "Bản cũ (đã có bản sửa)", "Tệp": "dau.csv"},
    ]  # fmt: skip
    assert view.revisions["Thời điểm nhận"].iloc[0] == format.timestamp(now)
    # the value that counts is the current revision
    assert format.indicator_value(view.summary["value"], "ratio") == "45,0%"


# --- figures (indicators/charts.py) -------------------------------------------------------------


def target_shapes(fig) -> list:
    return [s for s in fig.layout.shapes if s.line.dash == "dash"]


def test_indicator_trend_has_title_units_target_and_one_line_per_unit(demo_store):
    root = common.root_unit(demo_store)
    detail = hamlets.hamlets_view(demo_store, PERIOD, root).detail("BG05")
    item = catalog.indicator("CQ_VNEID_MUC_2")
    fig = charts.indicator_trend(detail.series[item.code], item, 90.0, detail.names)

    assert fig.layout.title.text.replace("<br>", " ") == item.name_vi
    assert all(len(line) <= 40 for line in fig.layout.title.text.split("<br>"))
    assert fig.layout.yaxis.title.text == "Tỷ lệ (%)"
    assert [t.name for t in fig.data] == ["Thôn Hạ Bì", "Xã Bình Giang"]
    assert list(fig.data[0].x) == ["Tháng 1/2026", "Tháng 2/2026", "Tháng 3/2026"]
    (shape,) = target_shapes(fig)
    assert shape.y0 == shape.y1 == 90.0
    assert [a.text for a in fig.layout.annotations] == ["Mục tiêu 2026: 90,0%"]

    flow = catalog.indicator("TT_TIN_BAI")
    fig = charts.indicator_trend(detail.series[flow.code], flow, 48.0, detail.names)
    assert "(lũy kế từ đầu năm)" in fig.layout.title.text.replace("<br>", " ")
    assert fig.layout.yaxis.title.text == "Tin/buổi"
    assert len(fig.data) == 1 and fig.layout.showlegend is False


def test_indicator_trend_without_data_says_so():
    item = catalog.indicator("CQ_CHU_KY_SO")
    empty = pd.DataFrame(columns=["unit_code", "period", "value", "cumulative"])
    fig = charts.indicator_trend(empty, item, 60.0, {})
    assert "Chưa có số liệu" in [a.text for a in fig.layout.annotations]
    assert target_shapes(fig)[0].y0 == 60.0


def test_compare_trend_draws_the_commune_over_grey_hamlets(demo_store):
    root = common.root_unit(demo_store)
    view = indicator.indicator_view(demo_store, "CQ_VNEID_MUC_2", PERIOD, root)
    fig = charts.compare_trend(view.compare_series, view.item, view.target, view.names, view.compare_root,
                               highlight=["BG05"])  # fmt: skip
    assert len(fig.data) == 15  # the commune and its 14 hamlets
    top = fig.data[-1]
    assert top.name == "Xã Bình Giang" and top.line.width == 4
    assert fig.data[-2].name == "Thôn Hạ Bì" and fig.data[-2].line.color != charts.OTHER_UNITS_COLOR
    greys = [t for t in fig.data if t.line.color == charts.OTHER_UNITS_COLOR]
    assert len(greys) == 13 and [t.showlegend for t in greys].count(True) == 1
    assert greys[0].name == "Các thôn khác"
    assert target_shapes(fig)[0].y0 == 90.0
    assert fig.layout.yaxis.title.text == "Tỷ lệ (%)" and fig.layout.title.text

    counts = indicator.indicator_view(demo_store, "HT_MAY_2G", PERIOD, root)
    assert counts.compare_root is None and COMMUNE not in set(counts.compare_series["unit_code"])
    fig = charts.compare_trend(counts.compare_series, counts.item, counts.target, counts.names)
    assert len(fig.data) == 14 and fig.layout.yaxis.title.text == "Máy"


def test_hamlet_heatmap_and_ranking(demo_store):
    root = common.root_unit(demo_store)
    view = hamlets.hamlets_view(demo_store, PERIOD, root)
    fig = charts.hamlet_heatmap(view.heat_table, view.codes, view.labels, PERIOD)
    heat = fig.data[0]
    assert list(heat.x) == [charts.short_name(c) for c in view.codes]
    assert list(heat.y) == [u.name for u in view.hamlets]
    assert max(v for row in heat.z for v in row if v is not None) <= 100
    assert "Tháng 3/2026" in fig.layout.title.text
    assert "0%" in charts.scale_legend_html(fig) and "100%" in charts.scale_legend_html(fig)

    item = catalog.indicator("CQ_VNEID_MUC_2")
    fig = charts.hamlet_ranking(view.ranking_table(item.code), item, 90.0, PERIOD)
    assert len(fig.data[0].y) == 14
    (shape,) = target_shapes(fig)
    assert shape.x0 == shape.x1 == 90.0
    assert fig.layout.annotations[0].text == "Mục tiêu: 90,0%"
    assert fig.layout.xaxis.title.text == "Tỷ lệ (%)"
    assert "Xếp hạng thôn" in fig.layout.title.text


def test_group_progress_bars(demo_store):
    root = common.root_unit(demo_store)
    view = groups_view.groups_view(demo_store, PERIOD, root)
    fig = charts.group_bars(view.groups, PERIOD)
    assert len(fig.data[0].x) == 7
    assert all(len(label) <= 20 for label in fig.data[0].y)  # short names fit a phone
    assert target_shapes(fig)[0].x0 == 100
    assert fig.layout.title.text == "Tiến độ 7 nhóm nhiệm vụ<br><sup>Tháng 3/2026</sup>"
    assert [t.name for t in fig.data[1:]] == ["★ Đã đạt", "▲ Đúng tiến độ", "● Có nguy cơ", "▼ Chậm"]


def test_wrap_text_keeps_every_word():
    text = "Tỷ lệ hộ gia đình được tuyên truyền, hướng dẫn trực tiếp về chuyển đổi số"
    wrapped = charts.wrap_text(text, 20)
    assert wrapped.replace("<br>", " ") == text
    assert all(len(line) <= 20 for line in wrapped.split("<br>"))
    assert charts.wrap_text("Ngắn", 20) == "Ngắn"


def test_a_hamlets_count_chart_shows_its_share_of_the_target(demo_store):
    """A count's target is the commune's total: a hamlet is measured against its share
    (households, metrics.unit_tree), never against 48 for the whole commune."""
    root = common.root_unit(demo_store)
    view = hamlets.hamlets_view(demo_store, PERIOD, root)
    detail = view.detail("BG05")
    commune = demo_store.targets(2026)["TT_TIN_BAI"]
    share = view.table.set_index(["unit_code", "indicator_code"]).loc[("BG05", "TT_TIN_BAI"), "target"]
    assert detail.targets["TT_TIN_BAI"] == pytest.approx(share) and share < commune / 5
    assert detail.targets["CQ_VNEID_MUC_2"] == demo_store.targets(2026)["CQ_VNEID_MUC_2"]  # a ratio's is the same
    fig = hamlets.member_trend(demo_store, PERIOD, root, "BG05", "TT_TIN_BAI")
    assert target_shapes(fig)[0].y0 == pytest.approx(share)
    # a ranking of hamlets has no single count target to draw; a ratio's line stays
    assert view.ranking_target("TT_TIN_BAI") is None and view.ranking_target("CQ_VNEID_MUC_2") == 90.0


def test_hamlets_that_have_not_sent_are_listed_not_ranked(demo_store):
    root = common.root_unit(demo_store)
    view = hamlets.hamlets_view(demo_store, "2026-12", root)  # no hamlet has sent December
    assert view.ranking_table("CQ_VNEID_MUC_2").empty
    assert len(view.not_sent("CQ_VNEID_MUC_2")) == 14
    march = hamlets.hamlets_view(demo_store, PERIOD, root)
    assert march.not_sent("CQ_VNEID_MUC_2") == [] and len(march.ranking_table("CQ_VNEID_MUC_2")) == 14


def test_overview_cards_say_which_hamlets_they_cover(demo_store):
    from indicators.views import overview

    root = common.root_unit(demo_store)
    view = overview.overview(demo_store, PERIOD, root)
    assert set(view.coverage) == set(catalog.HEADLINE_CODES)
    assert view.coverage["CQ_VNEID_MUC_2"] == "14/14 thôn đã nộp"
    members = metrics.member_table(demo_store, PERIOD, root.code)
    one_less = members[~((members["unit_code"] == "BG05") & (members["indicator_code"] == "CQ_VNEID_MUC_2"))]
    partial = overview.headline_coverage(one_less, root)
    assert partial["CQ_VNEID_MUC_2"] == "13/14 thôn đã nộp (thiếu 1)"


def test_phone_cards_list_every_hamlet_with_each_indicator_worst_first(demo_store):
    root = common.root_unit(demo_store)
    view = hamlets.hamlets_view(demo_store, PERIOD, root)
    cards = view.phone_cards()
    assert [c.label for c in cards] == [u.label for u in view.hamlets]
    order = [charts.STATUS_SYMBOLS[s] for s in ("behind", "at_risk", "no_data", "on_track", "achieved")]
    for card, unit in zip(cards, view.hamlets, strict=True):  # every card is its own member's
        rows = view.table[view.table["unit_code"] == unit.code]
        assert len(card.lines) == len(view.codes) == len(rows)
        symbols = [line.split(" ")[0] for line in card.lines]
        assert [order.index(s) for s in symbols] == sorted(order.index(s) for s in symbols)
        worst = rows[rows["status"].map(charts.STATUS_SYMBOLS) == symbols[0]].iloc[0]
        assert charts.short_name(worst["indicator_code"]) in card.lines[0]  # the worst first, catalog order among equals
        assert card.counts == " ".join(f"{charts.STATUS_SYMBOLS[s]}{n}" for s, n in common.status_counts(rows))
