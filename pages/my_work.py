"""Việc của tôi: each unit the account enters figures for, where its month stands, and one button to
enter it (the landing page of a hamlet head)."""

import streamlit as st

from indicators.domain import clock
from indicators.domain.text import markdown_literal
from indicators.views import my_work
from pages._shared import actor, require_page, root_select, store

st.title("Việc của tôi")
require_page("import", "Việc của tôi")
s = store()
root = root_select()
today = clock.today()
work = my_work.my_work(s, actor(), root, today) if root is not None else []
if not work:
    st.info("Tài khoản chưa được giao thôn hay xã nào để nhập số liệu. Nhờ quản trị viên giao đơn vị ở trang Tài khoản.")
    st.stop()

if len(work) > 1:  # commune staff: every hamlet, with a filter
    st.caption(my_work.counts_text(work))
    choice = st.segmented_control("Lọc", list(my_work.FILTERS), format_func=my_work.FILTERS.get, default="all",
                                  key="my_work_filter", label_visibility="collapsed") or "all"  # fmt: skip
    work = my_work.filtered(work, choice)
    if not work:
        st.write("Không có đơn vị nào ở mục này.")

shown = work[: my_work.MAX_CARDS]
for item in shown:
    with st.container(border=True):
        st.markdown(f"**{markdown_literal(item.unit.label)}**")
        st.write(item.headline)
        if item.state == "returned":
            st.warning(f"Xã trả lại lúc {item.returned_at} ({markdown_literal(item.returned_by)}): "
                       f"“{markdown_literal(item.reason)}”", icon=":material/undo:")  # fmt: skip
        if item.history:
            st.caption(f"Các tháng trước: {item.history_text}")
        if st.button(item.button, type="primary" if item.state != "approved" else "secondary",
                     key=f"my_work_{item.unit.code}", icon=":material/edit_note:", width="stretch"):  # fmt: skip
            st.switch_page("pages/entry.py", query_params={"dv": item.unit.code, "ky": item.period})

if len(work) > len(shown):
    st.caption(f"Và {len(work) - len(shown)} đơn vị khác: chọn một xã ở thanh bên, hoặc lọc theo trạng thái.")
if not work:
    st.stop()
st.caption(
    f"{work[0].deadline.text} Ký hiệu: "
    + ", ".join(f"{my_work.STATE_SYMBOL[k]} {v.lower()}" for k, v in my_work.STATE_TEXT.items())
    + ". Cũng có thể nộp bằng biểu mẫu Excel ở trang Nộp số liệu."
)
st.page_link("pages/upload.py", label="Nộp số liệu bằng tệp Excel hoặc CSV", icon=":material/upload_file:")
