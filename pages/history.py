"""Lịch sử: every import batch, its warnings, and reverting a batch after a confirmation."""

import streamlit as st

from indicators.domain import format
from indicators.domain.text import markdown_literal
from indicators.storage import StoreError
from indicators.views import common, history
from pages._shared import actor, can, require_page, store

st.title("Lịch sử nhập số liệu")
require_page("view", "Lịch sử", public=False)

flash = st.session_state.pop("history_flash", None)
if flash:
    st.success(flash)
    st.toast(flash, icon=":material/undo:")

s = store()
if not s.batch_count():
    st.info("Chưa có lô nhập nào. Số liệu tải lên ở trang **Nộp số liệu** sẽ được ghi lại ở đây, "
            "mỗi tệp một lô.")  # fmt: skip
    st.stop()


def _forget_pending() -> None:
    st.session_state.pop("revert_pending", None)


@st.dialog("Hoàn tác lô nhập số liệu", width="large", on_dismiss=_forget_pending)
def confirm_revert(batch_id: int, label: str) -> None:
    preview = history.revert_preview(store(), batch_id)
    st.markdown(f"**{label}**")
    st.write(preview.summary)
    if not preview.changes.empty:
        if len(preview.changes) <= 20:  # all of it readable, also on a phone
            st.table(common.markdown_cells(preview.changes, ["Đơn vị"]), hide_index=True)
        else:
            st.dataframe(preview.changes, hide_index=True, height=360)
    st.caption("Hoàn tác không xóa dữ liệu: lô được đánh dấu là đã hoàn tác và các số liệu trước đó "
               "có hiệu lực trở lại. Lô vẫn hiện trong lịch sử.")  # fmt: skip
    with st.container(horizontal=True):
        confirmed = st.button("Xác nhận hoàn tác", type="primary", key="revert_confirm")
        cancelled = st.button("Hủy", key="revert_cancel")
    if cancelled:
        _forget_pending()
        st.rerun()
    if confirmed:
        _forget_pending()
        try:
            rows = store().revert_batch(batch_id, actor())
        except StoreError as exc:
            st.error(markdown_literal(exc))
            return
        st.session_state["history_flash"] = (
            f"Đã hoàn tác lô số {format.number(batch_id)}: {format.number(rows)} số liệu của lô không còn "
            "hiệu lực; các trang tổng hợp đã dùng lại số liệu trước đó."
        )
        st.rerun()


STATES = {"all": "Tất cả", "live": "Đang hiệu lực", "reverted": "Đã hoàn tác"}
period = st.selectbox("Kỳ báo cáo", ["", *s.batch_periods()], key="history_period",
                      format_func=lambda p: format.month(p) if p else "Tất cả các kỳ")  # fmt: skip
state = st.segmented_control("Trạng thái", list(STATES), format_func=STATES.get, default="all",
                             key="history_state") or "all"  # fmt: skip
view = history.history_view(s, period or None, None if state == "all" else state)

st.caption(view.caption)
table = view.table
st.dataframe(table, hide_index=True, height=min(420, 38 + 35 * max(len(table), 1)))

st.subheader("Hoàn tác một lô")
live = view.live_labels
if not can("revert"):
    st.caption("Chỉ tài khoản quản trị hoàn tác được lô nhập.")
elif not live:
    st.write("Không có lô nào đang hiệu lực trong danh sách trên.")
else:
    chosen = st.selectbox("Lô cần hoàn tác", list(live), format_func=live.get, key="revert_choice")
    if st.button("Hoàn tác lô này…", key="revert_open", icon=":material/undo:"):
        st.session_state["revert_pending"] = chosen
pending = st.session_state.get("revert_pending")
if pending is not None and can("revert"):
    confirm_revert(pending, history.batch_label_of(s, pending, markdown=True))

st.subheader("Cảnh báo theo lô")
warned = history.batches_with_warnings(view.batches, limit=30)
if not warned:
    st.write("Các lô trong danh sách trên không có cảnh báo.")
for label, warnings in warned:
    with st.expander(label):
        st.markdown("\n".join(f"- {text}" for text in warnings))
if len(warned) == 30:
    st.caption("Chỉ hiện 30 lô mới nhất có cảnh báo; chọn một kỳ báo cáo để xem các lô khác.")
