"""Nộp số liệu: download the month's templates, upload files, check them (dry run), then import."""

import hashlib

import streamlit as st

from indicators.domain import clock, format
from indicators.domain.text import markdown_literal
from indicators.ingest import import_file
from indicators.views import common, upload
from pages._shared import actor, require_page, root_select, store

st.title("Nộp số liệu")
require_page("import", "Nộp số liệu")
s = store()
root = root_select()
if root is None:
    st.info(
        "Chưa có danh sách thôn, nên chưa thể nhận số liệu. Vào **Danh mục** → **Thôn/đơn vị** để "
        "nạp danh sách (tệp CSV: code,name,parent,households,population), rồi quay lại đây."
    )
    st.stop()


# Results of the last import, shown once after the page reloads with an empty uploader
results = st.session_state.pop("upload_results", [])
for kind, text in results:
    getattr(st, kind)(text)
if results:
    st.toast("Đã nhập xong; các trang tổng hợp đã cập nhật số liệu mới.", icon=":material/check_circle:")

for notice in upload.returned_notices(s, root.code, actor(), clock.today()):
    st.warning(notice, icon=":material/undo:")

# --- 1. Templates -------------------------------------------------------------------------------
st.subheader("1. Tải biểu mẫu")
today = clock.today()
month = st.selectbox(
    "Kỳ báo cáo của biểu mẫu", upload.template_periods(today), format_func=format.month,
    key="template_period",
)  # fmt: skip
due = common.deadline_info(month, s.settings().deadline_day, today)
st.caption(f"{markdown_literal(root.label)} · {due.text}")
made = upload.template_maker(s, root.code, month, actor())
xlsx, csv_bytes, problem = made.xlsx, made.csv, ""  # a city's thousands of units: made on click
if len(made.units) <= upload.EAGER_TEMPLATE_UNITS:  # a commune's: made now, problems shown
    try:
        xlsx, csv_bytes = made.xlsx(), made.csv()
    except ValueError as exc:
        problem = str(exc)
if problem:
    st.warning(f"Chưa tạo được biểu mẫu: {markdown_literal(problem)}")
else:
    with st.container(horizontal=True):
        st.download_button(
            "Biểu mẫu Excel (.xlsx)", xlsx, icon=":material/download:", file_name=f"bieu_mau_{month}.xlsx", on_click="ignore",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", type="primary",
            key="download_xlsx",
        )  # fmt: skip
        st.download_button(
            "Biểu mẫu CSV", csv_bytes, icon=":material/download:", file_name=f"bieu_mau_{month}.csv", mime="text/csv",
            on_click="ignore", key="download_csv",
        )  # fmt: skip
    st.caption(
        "Biểu mẫu Excel: mỗi thôn một dòng, có hướng dẫn. Biểu mẫu CSV: mỗi dòng một chỉ tiêu của "
        "một đơn vị; chỉ tiêu tỷ lệ nhập tử số và mẫu số, chỉ tiêu số lượng nhập giá trị; "
        "dòng để trống được bỏ qua."
    )

# --- 2. Upload and check ------------------------------------------------------------------------
st.subheader("2. Tải tệp lên và kiểm tra")
uploader_key = f"upload_files_{st.session_state.get('upload_round', 0)}"
files = st.file_uploader(
    "Chọn một hoặc nhiều tệp số liệu (Excel .xlsx, CSV hoặc TXT)", type=["csv", "xlsx", "txt"],
    accept_multiple_files=True, key=uploader_key,
    help="Biểu mẫu Excel của ứng dụng, hoặc bảng dạng dài với các cột ky_bao_cao, don_vi, "
         "ma_chi_tieu, tu_so, mau_so, gia_tri, ghi_chu.",
)  # fmt: skip
if not files:
    st.caption("Tệp được kiểm tra trước; chưa có gì được ghi cho đến khi bấm **Nhập số liệu**.")
    st.stop()


def _finish(results: list[tuple[str, str]]) -> None:
    """Start again with an empty uploader; the summaries are shown at the top after the reload."""
    st.session_state["upload_results"] = results
    st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
    st.session_state["upload_checked"] = {}
    st.rerun()


# Dry runs are kept per file content (sha256), so reruns do not validate again; they are redone
# only when the data in the store changed since (new, changed and unchanged counts depend on it).
checked: dict[str, dict] = st.session_state.setdefault("upload_checked", {})
version = s.data_version()
names = {u.code: u for u in s.units()}
reports = []
for file in files:
    data = file.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    entry = checked.get(sha)
    if entry is None or entry["version"] != version or entry["name"] != file.name:
        with st.spinner(f"Đang kiểm tra “{markdown_literal(file.name)}”…"):
            report = import_file(s, file.name, data, actor(), dry_run=True, now=clock.now())
        entry = checked[sha] = {
            "version": version,
            "name": file.name,
            "report": report,
            "data": data,
            "sha": sha,
        }
    reports.append(entry)

    report = entry["report"]
    closed = upload.closed_refusal(report) is not None  # a closed month: may be imported with a reason
    with st.container(border=True):
        st.markdown(f":material/description: **{markdown_literal(file.name)}**")
        kind, text = upload.upload_message(report)
        getattr(st, kind)(text)
        issues = upload.issues_table(report)
        if len(issues):
            st.caption(upload.issues_caption(report))
            if len(issues) <= 40:  # a table wraps long messages; a long list scrolls instead
                st.table(common.markdown_cells(issues, ["Trang tính", "Cột", "Nội dung"]), hide_index=True)
            else:
                st.dataframe(issues, hide_index=True, height=400)
        if (report.ok or closed) and not report.rows.empty:
            with st.expander(
                f"Xem trước {format.number(len(report.rows))} số liệu", expanded=len(files) == 1
            ):
                preview = upload.preview_table(report, list(names.values()))
                # a wide table, or on a phone one card per figure (keys: pages/_shared.py)
                with st.container(key=f"wide_only_preview_{sha}"):
                    st.dataframe(preview, hide_index=True, height=min(360, 38 + 35 * len(preview)))
                with st.container(key=f"phone_only_preview_{sha}", border=False):
                    for card in upload.preview_cards(preview):
                        st.markdown(card)
                    if len(preview) > upload.PHONE_PREVIEW_ROWS:
                        st.caption(f"Còn {format.number(len(preview) - upload.PHONE_PREVIEW_ROWS)} số liệu nữa: "
                                   "xem đủ trên máy tính.")  # fmt: skip
        if closed:
            reason = st.text_input(upload.LATE_REASON_LABEL, key=f"late_reason_{sha}", help=upload.LATE_REASON_HELP,
                                   max_chars=upload.LATE_REASON_MAX)  # fmt: skip
            if st.button("Nhập kèm lý do", key=f"late_import_{sha}", icon=":material/upload:"):
                late = import_file(s, entry["name"], entry["data"], actor(), now=clock.now(), reason=reason)
                if late.ok:
                    _finish([upload.upload_message(late)])
                kind, text = upload.late_import_message(late)
                getattr(st, kind)(text)

for sha in set(checked) - {e["sha"] for e in reports}:  # files removed from the uploader
    del checked[sha]

# --- 3. Import ----------------------------------------------------------------------------------
to_import = [e for e in reports if e["report"].status == "dry_run"]
rejected = [e for e in reports if e["report"].status == "rejected"]
st.subheader("3. Nhập vào cơ sở dữ liệu")
closed_files = sum(upload.closed_refusal(e["report"]) is not None for e in rejected)
if not to_import:
    st.info(upload.nothing_to_import_text(len(rejected), closed_files))
    st.stop()
st.caption(upload.import_note(len(to_import), len(rejected), closed_files))
if st.button("Nhập số liệu", type="primary", key="confirm_import", icon=":material/upload:"):
    bar = st.progress(0.0, text="Đang nhập số liệu…")
    results = []
    for i, entry in enumerate(to_import, start=1):
        bar.progress((i - 1) / len(to_import), text=f"Đang nhập “{markdown_literal(entry['name'])}” ({i}/{len(to_import)})…")
        report = import_file(s, entry["name"], entry["data"], actor(), now=clock.now())
        results.append(upload.upload_message(report))
    bar.progress(1.0, text="Đã nhập xong.")
    _finish(results)
