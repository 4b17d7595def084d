"""Theo nhóm nhiệm vụ: the seven task groups and, for one group, its indicators with trends."""

import streamlit as st

from indicators.domain import catalog, format
from indicators.domain.text import markdown_literal
from indicators.views import common, groups
from pages._shared import (
    INDICATOR_COLUMNS,
    chart,
    empty_state,
    figures_store,
    period_select,
    require_page,
    root_select,
    status_badge,
    url_select,
)

require_page("view", "Theo nhóm nhiệm vụ")
st.title("Tiến độ theo nhóm nhiệm vụ")
if empty_state():
    st.stop()

root = root_select()
period = period_select(st.sidebar)
figures = figures_store()
view = groups.groups_view(figures, period, root)
st.caption(f"{markdown_literal(root.label)} · {format.month(period)} · 7 nhóm nhiệm vụ của Kế hoạch thực hiện NQ 57")

chart(groups.group_bars(figures, period, root))
st.caption("Tiến độ của nhóm là bình quân tiến độ các chỉ tiêu có số liệu (mỗi chỉ tiêu tính tối đa 100%).")

number = url_select("Nhóm nhiệm vụ", [str(g.number) for g in catalog.task_groups()], "nhom",
                    format_func=lambda n: view.label(int(n)))  # fmt: skip
group = view.group(int(number))
st.subheader(view.label(group.number))
st.markdown(
    f"Cả nhóm: {status_badge(group.status)} &nbsp; Tiến độ bình quân: **{format.percent(group.progress * 100)}**"
    "<br>Số chỉ tiêu: " + " &nbsp; ".join(f"{status_badge(s)} **{n}**" for s, n in group.status_counts),
    unsafe_allow_html=True,
)
st.dataframe(common.styled_rows(group.rows), hide_index=True, width="stretch", height="content",
             column_config=INDICATOR_COLUMNS)  # fmt: skip
st.caption(common.SUM_NOTE)

group_tasks = view.group_tasks(group.number)
overdue = int((group_tasks["Trạng thái"] == "Quá hạn").sum())
st.markdown(f"**Nhiệm vụ của nhóm** ({len(group_tasks)} nhiệm vụ, {overdue} quá hạn)")
st.dataframe(group_tasks, hide_index=True, width="stretch")
st.page_link("pages/tasks.py", label="Cập nhật trong sổ nhiệm vụ", icon=":material/task_alt:",
             query_params={"nhom": str(group.number)})  # fmt: skip

cols = st.columns(2)
for i, row in enumerate(group.table.itertuples()):
    item = catalog.indicator(row.indicator_code)
    with cols[i % 2].container(border=True):
        chart(groups.group_trend(figures, period, root, item.code))
        st.markdown(
            f"{status_badge(row.status)} &nbsp; {format.month(period)}: "
            f"**{format.indicator_value(row.value, row.kind)}** · mục tiêu "
            f"{format.indicator_value(row.target, row.kind)}",
            unsafe_allow_html=True,
        )
