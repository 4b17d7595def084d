"""Nhiệm vụ “5 rõ”: the plan's task register — who, what, responsibility, deadline, result."""


import streamlit as st
from pydantic import ValidationError

from indicators.domain import catalog, clock, format, periods, tasks
from indicators.domain.text import markdown_literal
from indicators.ingest import tasks_file
from indicators.views import common
from pages._shared import actor, can, may_update_tasks, require_page, root_select, store, url_select

st.title("Nhiệm vụ theo nguyên tắc “5 rõ”")
require_page("view", "Nhiệm vụ “5 rõ”")
st.caption("Rõ người, rõ việc, rõ trách nhiệm, rõ thời gian, rõ kết quả. Nhiệm vụ không bị xóa: hủy phải ghi lý do.")

today = clock.today()
settings = store().settings()
root = root_select()
commune = common.register_commune(root)  # each commune keeps its own register; a city lists them all
all_tasks = store().tasks(commune)
notes = store().task_notes(commune=commune)
table = tasks.register(all_tasks, notes, today, settings.deadline_day)
if commune is None and root is not None:
    st.caption(f"Sổ nhiệm vụ của mọi xã thuộc {markdown_literal(root.label)}; chọn một xã ở thanh bên để cập nhật.")

units = ["Tất cả", *tasks.responsible_units(all_tasks)]
groups = ["0", *[str(g.number) for g in catalog.task_groups()]]
left, right = st.columns(2)
unit = url_select("Đơn vị chủ trì", units, "don_vi", "Tất cả", where=left)
group = url_select("Nhóm nhiệm vụ", groups, "nhom", "0",
                   lambda g: "Tất cả" if g == "0" else f"{g}. {catalog.task_group(int(g)).name_vi}", where=right)  # fmt: skip
view = tasks.unit_view(table, None if unit == "Tất cả" else unit, int(group) or None)

counts = tasks.state_counts(view)
cols = st.columns(4)
cols[0].metric("Quá hạn", counts["overdue"])
cols[1].metric("Đang thực hiện", counts["in_progress"])
cols[2].metric("Hoàn thành", counts["done"])
cols[3].metric("Chưa bắt đầu", counts["not_started"])

cutoff = tasks.next_cutoff(today, settings.deadline_day)
due = view[view["due_soon"]]
st.subheader(f"Đến hạn hoặc quá hạn trước ngày {format.day(cutoff)}")
if due.empty:
    st.write("Không có nhiệm vụ nào đến hạn.")
else:
    st.dataframe(
        due.assign(han=due["next_due"].map(format.day))[["code", "title", "unit", "person", "han", "state_vi"]],
        hide_index=True, width="stretch",
        column_config={"code": "Mã", "title": "Nhiệm vụ", "unit": "Đơn vị chủ trì", "person": "Người phụ trách",
                       "han": "Hạn", "state_vi": "Trạng thái"},
    )  # fmt: skip

st.subheader("Sổ nhiệm vụ")
shown = view.assign(
    han=[format.day(d) if d is not None else f"ngày {r} hằng tháng" for d, r in zip(view["deadline"], view["recurrence_day"])],
    ghi_chu=[f"{n} ({a}, {format.timestamp(t)})" if isinstance(n, str) else "" for n, a, t in
             zip(view["last_note"], view["last_note_by"], view["last_note_at"])],
)  # fmt: skip
# the public view shows the plan, not what accounts wrote (notes, reasons, their login names)
written = [] if actor().kind == "public" else ["cancel_reason", "ghi_chu"]
st.dataframe(
    shown[[*(["commune_code"] if commune is None else []), "code", "task_group", "title", "unit", "person",
           "expected_result", "han", "state_vi", *written]],
    hide_index=True, width="stretch",
    column_config={"commune_code": "Xã", "code": "Mã", "task_group": "Nhóm", "title": "Nhiệm vụ", "unit": "Đơn vị chủ trì",
                   "person": "Người phụ trách", "expected_result": "Kết quả cần đạt", "han": "Hạn",
                   "state_vi": "Trạng thái", "cancel_reason": "Lý do hủy", "ghi_chu": "Tiến độ gần nhất"},
)  # fmt: skip

if commune is None or not may_update_tasks(commune):
    if can("download") and commune is not None:
        st.download_button("Tải sổ nhiệm vụ (.csv)", tasks.export_csv(all_tasks), "so_nhiem_vu.csv", "text/csv")
    st.caption("Sổ nhiệm vụ của mỗi xã do cán bộ của xã đó và quản trị viên cập nhật.")
    st.stop()

st.subheader("Cập nhật nhiệm vụ")
codes = list(view["code"]) or [t.code for t in all_tasks]
by_code = {t.code: t for t in all_tasks}
code = st.selectbox("Nhiệm vụ", codes, format_func=lambda c: f"{c} – {by_code[c].title[:90]}", key="task_edit")
task = by_code[code]
status_keys = ["not_started", "in_progress", "done", "cancelled"]
with st.form("task_form"):
    person = st.text_input("Người phụ trách", task.person)
    result = st.text_input("Kết quả cần đạt", task.expected_result)
    status = st.selectbox("Trạng thái", status_keys, index=status_keys.index(task.status),
                          format_func=lambda s: tasks.STATUS_VI[s])  # fmt: skip
    if task.recurring:
        st.write(f"Lặp lại: ngày {task.recurrence_day} hằng tháng.")
        deadline = None
    else:
        deadline = st.date_input("Hạn hoàn thành", task.deadline, format="DD/MM/YYYY")
    done_on = st.date_input("Ngày hoàn thành (khi hoàn thành)", task.done_on or today, format="DD/MM/YYYY")
    reason = st.text_input("Lý do hủy (bắt buộc khi hủy)", task.cancel_reason)
    if st.form_submit_button("Lưu thay đổi", type="primary"):
        try:
            updated = tasks.Task(**{**task.model_dump(), "person": person, "expected_result": result,
                                    "status": status, "deadline": deadline if not task.recurring else None,
                                    "done_on": done_on if status == "done" else None,
                                    "cancel_reason": reason})  # fmt: skip
        except ValidationError as exc:
            st.error("Chưa lưu: " + markdown_literal("; ".join(e["msg"] for e in exc.errors())))
        else:
            if updated == task:
                st.info("Không có gì thay đổi.")
            else:
                store().save_tasks([updated], actor(), commune)
                st.success(f"Đã lưu {markdown_literal(code)}.")
                st.rerun()

with st.form("note_form", clear_on_submit=True):
    st.write(f"Ghi tiến độ tháng cho {markdown_literal(code)}")
    month = st.selectbox("Tháng", [periods.period_of(today), periods.previous(periods.period_of(today))],
                         format_func=format.month)  # fmt: skip
    note = st.text_area("Nội dung tiến độ", max_chars=1000)
    if st.form_submit_button("Ghi tiến độ"):
        if not note.strip():
            st.error("Nội dung tiến độ đang trống.")
        else:
            store().add_task_note(code, month, note.strip(), actor(), commune=commune)
            st.success("Đã ghi tiến độ.")
            st.rerun()

history = store().task_history(code, commune)
with st.expander(f"Lịch sử thay đổi của {markdown_literal(code)} ({len(history)} phiên bản)"):
    st.dataframe(
        history.assign(luc=history["revised_at"].map(format.timestamp), tt=history["status"].map(tasks.STATUS_VI))[
            ["luc", "author", "tt", "person", "deadline", "done_on", "cancel_reason"]],
        hide_index=True, width="stretch",
        column_config={"luc": "Lúc", "author": "Người sửa", "tt": "Trạng thái", "person": "Người phụ trách",
                       "deadline": "Hạn", "done_on": "Hoàn thành", "cancel_reason": "Lý do hủy"},
    )  # fmt: skip

st.subheader("Nhập, xuất sổ nhiệm vụ (CSV)")
st.download_button("Tải sổ nhiệm vụ (.csv)", tasks.export_csv(all_tasks), "so_nhiem_vu.csv", "text/csv")
upload = st.file_uploader("Tải lên sổ nhiệm vụ đã sửa (CSV, Excel .xlsx hoặc TXT)",
                          type=["csv", "xlsx", "txt"], key="tasks_upload")
if upload is not None:
    checked = tasks_file.parse_tasks_file(upload.name, upload.getvalue(), all_tasks)
    if not checked.ok:
        st.error(f"Tệp bị từ chối: {len(checked.issues)} lỗi. Chưa ghi gì; sửa các lỗi sau rồi tải lên lại.")
        st.dataframe(
            [{"Dòng": i.row, "Cột": i.column, "Nội dung": i.message} for i in checked.issues],
            hide_index=True, width="stretch",
        )
    else:
        st.info(f"Tệp hợp lệ: {len(checked.tasks)} nhiệm vụ mới hoặc thay đổi, {checked.unchanged} không đổi.")
        if checked.tasks and st.button("Ghi các thay đổi", type="primary"):
            store().save_tasks(checked.tasks, actor(), commune)
            st.success(f"Đã cập nhật {len(checked.tasks)} nhiệm vụ.")

st.subheader("Chỉ tiêu TC_NHIEM_VU_DUNG_HAN tính từ sổ nhiệm vụ")
period = periods.period_of(today)
done, due_count = tasks.on_time_ratio(all_tasks, notes, period)
st.write(
    f"{format.month(period)}: {done}/{due_count} nhiệm vụ đến hạn hoàn thành đúng hạn "
    f"({format.percent(100 * done / due_count if due_count else None)})."
)
if st.button("Nhập vào chỉ tiêu TC_NHIEM_VU_DUNG_HAN"):
    result = tasks_file.import_on_time_indicator(store(), period, actor(), commune)
    (st.success if result.ok else st.error)(result.summary(markdown=True))
