"""Duyệt số liệu: each unit's month, approve one or all, send back with a reason."""

import streamlit as st

from indicators.domain import clock, format
from indicators.domain.errors import PermissionDenied, StoreError
from indicators.domain.text import markdown_literal
from indicators.views import review, submissions
from pages._shared import actor, can, empty_state, may_approve, root_select, store, url_select

st.title("Duyệt số liệu")
if not may_approve():
    st.warning("Chỉ lãnh đạo, quản trị và cán bộ được giao cấp xã duyệt được số liệu.")
    st.stop()
if not store().units():
    empty_state()
    st.stop()

flash = st.session_state.pop("review_flash", None)
if flash:
    st.success(flash)

s = store()
root = root_select()
today = clock.today()
months = submissions.submission_periods(s, today)
period = url_select("Kỳ báo cáo", months, "ky", months[0], format.month)
view = review.review_view(s, period, root, today)
names = view.names()

with st.container(border=True):
    st.subheader(view.headline)
    st.caption(view.summary)
    st.caption(view.deadline.text)
    locked = review.lock_note(s, period, root, clock.now())
    if locked:
        st.info(f"{locked}. Số liệu gửi thêm cho tháng này phải kèm lý do (“điều chỉnh sau phát hành”).",
                icon=":material/lock:")  # fmt: skip

table = view.table()
st.dataframe(table, hide_index=True, column_order=[c for c in table.columns if c != "state"],
             height=min(600, 38 + 35 * max(len(table), 1)))  # fmt: skip
st.caption("Số liệu nộp thêm sau khi đã duyệt đưa tháng về “Đã nộp, chờ duyệt” và được đếm ở cột "
           "“Thay đổi sau khi duyệt”. Mọi lần duyệt và trả lại đều ghi vào nhật ký.")  # fmt: skip


def _review(codes: list[str], action: str, reason: str | None = None) -> None:
    try:
        count = store().review_month(period, codes, action, actor(), reason=reason)
    except (StoreError, PermissionDenied) as exc:
        st.error(markdown_literal(exc))
        return
    chosen = [markdown_literal(names.get(code, code)) for code in codes]
    if action == "approve":
        st.session_state["review_flash"] = review.approval_message(count, chosen)
    else:
        st.session_state["review_flash"] = f"Đã trả lại số liệu của {chosen[0]} kèm lý do; thôn sẽ thấy lý do."
    st.rerun()


waiting = view.waiting(actor())
reviewable = view.reviewable(actor())
approve_tab, return_tab = st.tabs(["Duyệt", "Trả lại"])
with approve_tab:
    if not waiting:
        st.write(f"Không có đơn vị nào chờ duyệt trong {format.month(period)}.")
    else:
        changed = view.changed_names(waiting)
        if changed:
            st.warning("Có số liệu nộp thêm sau lần duyệt trước, nên xem lại trước khi duyệt: "
                       + ", ".join(map(markdown_literal, changed)) + ".")  # fmt: skip
        notes = review.review_notes(s, period, view.units[view.units["unit_code"].isin(waiting)])
        if notes:
            with st.expander(f"Cần lưu ý trước khi duyệt ({len(notes)} dòng)", expanded=len(notes) <= 12):
                st.text("\n".join(notes))  # plain text: file names and warnings are never markup
        one = st.selectbox("Đơn vị", waiting, format_func=names.get, key="review_one")
        with st.container(horizontal=True):
            if st.button("Duyệt đơn vị này", type="primary", key="review_approve_one", icon=":material/check:"):
                _review([one], "approve")
            if st.button(f"Duyệt tất cả {format.number(len(waiting))} đơn vị chờ duyệt", key="review_approve_all",
                         icon=":material/done_all:"):  # fmt: skip
                _review(waiting, "approve")
with return_tab:
    if not reviewable:
        st.write(f"Chưa có đơn vị nào nộp số liệu {format.month(period)}.")
    else:
        with st.form("review_return", clear_on_submit=False, border=False):
            unit = st.selectbox("Đơn vị", reviewable, format_func=names.get, key="review_return_unit")
            reason = st.text_area("Lý do trả lại (thôn sẽ thấy)", key="review_return_reason", max_chars=500,
                                  placeholder="Ví dụ: Mẫu số hộ gia đình khác tháng trước, đề nghị kiểm tra lại.")  # fmt: skip
            if st.form_submit_button("Trả lại", icon=":material/undo:"):
                _review([unit], "return", reason)

settings = s.settings()
st.caption(review.cycle_text(settings))
if can("edit_settings"):
    with st.expander("Lịch nộp và khóa tháng"), st.form("cycle_settings", border=False):
        deadline_day = st.number_input("Hạn nộp của các đơn vị: ngày", 1, 28, settings.deadline_day)
        report_day = st.number_input("Xã báo cáo thành phố: ngày", 1, 28, settings.report_day)
        auto = st.checkbox("Tự khóa tháng sau một ngày cố định (không cần chờ phát hành báo cáo)",
                           settings.auto_close_day is not None,
                           help="Để tắt khi nạp số liệu các tháng cũ vào cơ sở dữ liệu mới.")  # fmt: skip
        auto_day = st.number_input("Tự khóa sau ngày", 1, 28, settings.auto_close_day or settings.report_day)
        if st.form_submit_button("Lưu lịch"):
            try:
                updated = review.cycle_settings(settings, int(deadline_day), int(report_day),
                                                int(auto_day) if auto else None)  # fmt: skip
                s.save_settings(updated, actor())
            except (ValueError, StoreError, PermissionDenied) as exc:
                st.error(markdown_literal(exc))
            else:
                st.session_state["review_flash"] = "Đã lưu lịch: " + review.cycle_text(updated)
                st.rerun()
