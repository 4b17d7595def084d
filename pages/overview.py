"""Tổng quan: headline cards, trends with targets, completeness and the hamlets behind."""

import streamlit as st

from indicators.domain import catalog, clock, format
from indicators.domain.text import markdown_literal
from indicators.render import charts
from indicators.views import common, maps, my_work, overview
from pages._shared import (
    actor,
    chart,
    empty_state,
    figures_store,
    member_map,
    own_hamlet,
    period_select,
    require_page,
    root_select,
    status_badge,
    store,
)

require_page("view", "Tổng quan")
st.title("Tổng quan chuyển đổi số")
if empty_state():
    st.stop()

root = root_select()
period = period_select(st.sidebar)
figures = figures_store()
view = overview.overview(figures, period, root)
st.caption(f"{markdown_literal(root.label)} · {format.month(period)} · hạn nộp ngày {figures.settings().deadline_day} hằng tháng")

mine = own_hamlet()
if mine:  # a hamlet head sees their own hamlet first
    for work in (w for w in my_work.my_work(store(), actor(), root, clock.today()) if w.unit.code == mine):
        with st.container(border=True):
            st.subheader(f"Thôn của tôi: {markdown_literal(work.unit.label)}")
            st.write(f"{format.month(work.period)}: {work.headline}")
            with st.container(horizontal=True):
                st.page_link("pages/my_work.py", label="Việc của tôi", icon=":material/checklist:")
                st.page_link("pages/hamlets.py", label=f"Số liệu của {markdown_literal(work.unit.label)}", icon=":material/holiday_village:",
                             query_params={"thon": mine, "ky": period})  # fmt: skip

cols = st.columns(3)
for i, row in enumerate(view.headline.itertuples()):
    with cols[i % 3].container(border=True):
        delta = common.metric_delta(row.change, row.kind, row.direction)
        st.metric(
            catalog.HEADLINE[row.indicator_code],
            format.indicator_value(row.value, row.kind),
            delta=delta.text,
            delta_color=delta.color,
            delta_arrow=delta.arrow,
            help=row.name_vi,
        )
        st.markdown(
            f"{status_badge(row.status)} &nbsp; Mục tiêu {period[:4]}: **{format.indicator_value(row.target, row.kind)}**",
            unsafe_allow_html=True,
        )
        st.caption(view.coverage.get(row.indicator_code, ""))

map_view = None
if maps.has_map(figures, root):  # a city: its communes on a map
    st.subheader(f"Bản đồ các {common.member_noun(root)}")
    codes = [i.code for i in catalog.indicators()]
    with st.container(horizontal=True):
        map_code = st.selectbox("Chỉ tiêu trên bản đồ", codes, index=codes.index(catalog.HEADLINE_CODES[0]),
                                format_func=lambda c: catalog.indicator(c).name_vi, key="map_code")  # fmt: skip
        mode = st.segmented_control("Tô màu theo", list(maps.MODES), format_func=maps.MODES.get,
                                    default="status", key="map_mode") or "status"  # fmt: skip
    map_view = maps.member_map(figures, period, root, map_code)
member_map(map_view, mode if map_view is not None else "status", "overview_map")

left, right = st.columns([2, 1])
with left:
    code = st.selectbox(
        "Xu hướng chỉ tiêu", list(catalog.HEADLINE_CODES),
        format_func=lambda c: catalog.indicator(c).name_vi, key="trend_code",
    )  # fmt: skip
    item = catalog.indicator(code)
    target = view.indicators.set_index("indicator_code").loc[code, "target"]
    chart(charts.indicator_trend(view.series[code], item, target, {root.code: root.label}))
with right:
    st.subheader("Nộp số liệu")
    st.metric(
        "Thôn đã nộp đúng hạn",
        f"{format.number(view.hamlets_on_time)}/{format.number(view.hamlets_total)} thôn",
        help="Nộp đủ các chỉ tiêu của thôn trước hết ngày hạn nộp.",
    )
    st.write(f"{format.number(view.hamlets_submitted)}/{format.number(view.hamlets_total)} thôn đã nộp số liệu "
             f"{format.month(period)}" + (f"; {view.approved}." if view.approved else "."))
    noun = common.member_noun(root)
    st.subheader(f"{noun.capitalize()} chậm nhất")
    if view.behind.empty:
        st.write(f"Chưa có số liệu theo {noun}.")
    for row in view.behind.itertuples():
        st.markdown(f"- **{markdown_literal(row.unit_name)}**: tiến độ bình quân {format.percent(row.progress * 100)}, "
                    f"{row.behind} chỉ tiêu chậm")  # fmt: skip
    if view.not_sent:
        st.caption(f"Chưa nộp số liệu {format.month(period)}: " + ", ".join(map(markdown_literal, view.not_sent)) + ".")

chart(charts.group_bars(view.groups, period))

st.subheader(f"Nhiệm vụ quá hạn ({len(view.overdue_tasks)})")
if view.overdue_tasks.empty:
    st.write("Không có nhiệm vụ nào quá hạn.")
for task in view.overdue_tasks.head(8).itertuples():
    due = format.day(task.next_due) if task.next_due is not None else "–"
    st.markdown(f"- **{markdown_literal(task.code)}** – {markdown_literal(task.title)} · *{markdown_literal(task.unit)}* · hạn {due}")
if len(view.overdue_tasks):
    st.page_link("pages/tasks.py", label="Xem sổ nhiệm vụ", icon=":material/task_alt:")
