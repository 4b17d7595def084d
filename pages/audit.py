"""Nhật ký thay đổi: every write, who, when, before and after; filter and export (admins only)."""

import streamlit as st

from indicators.domain import format
from indicators.render import export
from indicators.storage import AUDIT_ACTIONS_VI
from indicators.views import audit
from pages._shared import actor, require_page, store

st.title("Nhật ký thay đổi")
require_page("read_audit", "Nhật ký thay đổi")
st.caption("Mọi thay đổi được ghi lại và không sửa, xóa được: nhập số liệu, hoàn tác, danh mục, mục tiêu, "
           "cài đặt, nhiệm vụ, tài khoản.")  # fmt: skip

rows = store().audit_log(actor())
left, right = st.columns(2)
action = left.selectbox("Thao tác", ["", *AUDIT_ACTIONS_VI], format_func=lambda a: AUDIT_ACTIONS_VI.get(a, "Tất cả"))
who = right.selectbox("Người thực hiện", ["", *sorted(rows["actor"].unique())], format_func=lambda a: a or "Tất cả")
shown = audit.filter_audit(rows, action or None, who or None)
st.download_button("Tải nhật ký (.csv)", export.audit_csv(shown), "nhat_ky_thay_doi.csv", "text/csv",
                   icon=":material/download:")  # fmt: skip
st.caption(f"{format.number(len(shown))} dòng, mới nhất trước." if len(shown) else "Không có dòng nào.")
names = {u.code: u.label for u in store().units()}
wide = st.column_config.TextColumn(width="large")
st.dataframe(audit.audit_table(shown.head(2000), names), hide_index=True, width="stretch", height=600,
             row_height=70, column_config={"Trước": wide, "Sau": wide})  # before and after run over a few lines
if len(shown) > 2000:
    st.caption("Bảng chỉ hiện 2.000 dòng mới nhất; tệp tải về có đủ.")
