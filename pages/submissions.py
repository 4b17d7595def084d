"""Tình hình nộp báo cáo: the deadline, who has submitted this month, and the year month by month."""


import streamlit as st

from indicators import metrics
from indicators.domain import clock, format
from indicators.domain.text import markdown_literal
from indicators.render import charts
from indicators.views import submissions
from pages._shared import chart, empty_state, require_page, root_select, store, url_select

require_page("view", "Tình hình nộp báo cáo", public=False)
st.title("Tình hình nộp báo cáo")
if not store().units():  # without units nothing is expected; with units, an empty month is news
    empty_state()
    st.stop()


@st.cache_data(show_spinner="Đang tổng hợp tình hình nộp theo tháng…", max_entries=16)
def _grid(db: str, version: tuple, root_code: str, first: str, last: str):
    """The month × unit completeness grid; recomputed when the data changes (`version`)."""
    return metrics.completeness_grid(store(), root_code, first, last)


s = store()
root = root_select()
today = clock.today()
months = submissions.submission_periods(s, today)
period = url_select("Kỳ báo cáo", months, "ky", months[0], format.month)
view = submissions.submissions_view(s, period, root, today)

deadline = view.deadline
if deadline.days_left >= 0:
    st.info(f"⏳ {deadline.text}")
else:
    st.warning(f"⌛ {deadline.text}")
st.caption(f"{markdown_literal(root.label)} · hạn nộp là ngày {s.settings().deadline_day} của tháng báo cáo; "
           f"hôm nay {format.day(today)}.")  # fmt: skip

with st.container(border=True):
    st.subheader(view.headline)
    st.write(
        f"{format.number(view.hamlets_submitted)}/{format.number(view.hamlets_total)} thôn đã nộp số liệu"
        + (f"; {view.approved} (trang Duyệt số liệu)." if view.approved else ".")
    )
    st.caption(view.summary)

st.subheader(view.table_title)
table = view.table()
if table.empty:
    st.write("Chưa có đơn vị báo cáo nào trong danh mục.")
else:
    st.dataframe(
        table, hide_index=True, column_order=[c for c in table.columns if c != "status"],
        height=min(600, 38 + 35 * len(table)),
    )  # fmt: skip
    st.caption("Đúng hạn / Muộn / Chưa nộp: số chỉ tiêu. Một chỉ tiêu được sửa sau hạn vẫn tính theo lần nộp "
               "đầu tiên.")  # fmt: skip

st.subheader(f"Theo tháng, từ đầu năm đến {format.month(period)}")
grid = _grid(s.path, s.data_version(), root.code, f"{period[:4]}-01", period)
if grid.empty:
    st.write("Chưa có số liệu.")
else:
    chart(charts.submission_calendar(grid))
    st.caption(charts.submission_legend() + ". Di chuột (hoặc chạm) vào ô để xem chi tiết.")
