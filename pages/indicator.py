"""Chỉ tiêu: one indicator's definition and target, its monthly series, and the raw figures."""

import streamlit as st

from indicators.domain import format
from indicators.domain.text import markdown_literal
from indicators.render import charts
from indicators.views import indicator, maps
from pages._shared import (
    actor,
    chart,
    empty_state,
    figures_store,
    indicator_select,
    member_map,
    period_select,
    require_page,
    root_select,
    status_badge,
)

require_page("view", "Chỉ tiêu")
st.title("Chỉ tiêu")
code = indicator_select(st)
period = period_select(st.sidebar)
root = root_select()
figures = figures_store()
view = indicator.indicator_view(figures, code, period, root)
item = view.item

st.header(item.name_vi)
left, right = st.columns([3, 2])
with left:
    st.markdown("\n".join(f"- **{label}:** {text}" for label, text in view.definition))
with right, st.container(border=True):
    st.metric(f"Mục tiêu năm {view.year}", view.target_text)
    st.markdown(f"**Nguồn của mục tiêu:** {markdown_literal(view.target_basis)}")

if empty_state():
    st.stop()

row = view.summary
st.subheader(f"{markdown_literal(root.label)} – {format.month(period)}")
cols = st.columns(4)
cols[0].metric(
    "Giá trị" + (" (lũy kế từ đầu năm)" if item.aggregation == "sum" else ""),
    format.indicator_value(row["value"], item.kind),
    delta=view.delta.text,
    delta_color=view.delta.color,
    delta_arrow=view.delta.arrow,
)
cols[1].metric("Tiến độ so với mục tiêu", format.percent(row["progress"] * 100))
cols[2].metric("Dự báo tháng 12", format.indicator_value(row["projection"], item.kind))
with cols[3]:
    st.markdown("**Trạng thái**")
    st.markdown(status_badge(row["status"]), unsafe_allow_html=True)

map_view = maps.member_map(figures, period, root, code) if maps.has_map(figures, root) else None
if map_view is not None:  # a city: its communes on a map
    st.subheader(f"Bản đồ các {map_view.noun}")
    mode = st.segmented_control("Tô màu theo", list(maps.MODES), format_func=maps.MODES.get, default="status",
                                key="map_mode") or "status"  # fmt: skip
member_map(map_view, mode if map_view is not None else "status", "indicator_map", switch=True)

st.subheader("Số liệu theo tháng")
if view.hamlet_codes:
    compare = st.toggle("So sánh các thôn", value=item.is_ratio, key="compare_hamlets")
else:
    compare = False
if compare:
    names = view.names
    highlight = st.multiselect("Tô màu các thôn", view.hamlet_codes, format_func=names.get, max_selections=6,
                               key="highlight_hamlets", placeholder="Chọn thôn để tô màu")  # fmt: skip
    chart(charts.compare_trend(view.compare_series, item, view.target, names, view.compare_root, highlight))
    if view.compare_root is None:
        st.caption("Chỉ tiêu số lượng: tổng của xã lớn hơn nhiều so với từng thôn nên không vẽ chung.")
else:
    chart(charts.indicator_trend(view.root_series, item, view.target, view.names))

st.subheader(f"Số liệu đã nộp – {format.month(period)}")
st.caption("Mọi lần nộp, kể cả bản cũ và lô đã hoàn tác; dòng “Đang dùng” là số liệu được tính vào tiến độ.")
if view.revisions.empty:
    st.info(f"Chưa có đơn vị nào nộp số liệu chỉ tiêu này cho {format.month(period)}.")
else:
    st.dataframe(view.revisions_for(actor()), hide_index=True, width="stretch")
