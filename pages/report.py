"""Báo cáo tháng: the Word report for the city by the 20th, its Excel annex, issuing it (which
closes the month), the reports issued so far, and the report's settings."""


import streamlit as st
from pydantic import ValidationError

from indicators.domain import clock, format
from indicators.domain.errors import PermissionDenied, StoreError
from indicators.domain.text import markdown_literal
from indicators.views import report
from pages._shared import actor, can, empty_state, period_select, require_page, root_select, store

st.title("Báo cáo tháng gửi thành phố")
require_page("download", "Báo cáo tháng")
if empty_state():
    st.stop()
flash = st.session_state.pop("report_flash", None)
if flash:
    st.success(flash, icon=":material/task_alt:")

period = period_select(st.sidebar)
root = root_select()
settings = store().settings()
st.write(
    f"Báo cáo kết quả thực hiện Kế hoạch {format.month(period).lower()} của {root.label}, theo thể thức "
    f"Nghị định 30/2020/NĐ-CP; hạn gửi thành phố ngày {settings.report_day} hằng tháng."
)

charts = st.checkbox("Chèn biểu đồ vào báo cáo", value=True, help="Xuất biểu đồ mất thêm khoảng 10–20 giây.")
st.caption("“Lập báo cáo” để xem trước, chưa khóa tháng; bản gửi thành phố là bản phát hành, "
           "được lưu nguyên vẹn trong danh sách “Báo cáo đã phát hành”.")  # fmt: skip
if st.button("Lập báo cáo", type="primary"):
    with st.spinner("Đang lập báo cáo…"):
        st.session_state["report"] = {
            "period": period,
            "docx": report.render_docx(store(), period, root, clock.today(), with_charts=charts),
            "xlsx": report.annex_xlsx(store(), period, root),
        }
made = st.session_state.get("report")
if made and made["period"] == period:
    st.success(f"Đã lập báo cáo {format.month(period)}.")
    st.download_button(
        "Tải báo cáo (.docx)", made["docx"], report.report_file_name(period, "docx"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", type="primary",
    )  # fmt: skip
    st.download_button(
        "Tải phụ lục số liệu (.xlsx)", made["xlsx"], report.report_file_name(period, "xlsx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )  # fmt: skip

changed = report.adjustments_table(store(), period, root)
if len(changed):
    with st.expander(f"Điều chỉnh số liệu các tháng trước ({format.number(len(changed))})", expanded=True):
        st.caption("Số liệu của các tháng đã phát hành báo cáo, được nhập lại kèm lý do; báo cáo tháng này "
                   "liệt kê chúng ở mục “Điều chỉnh số liệu các tháng trước”.")  # fmt: skip
        st.dataframe(changed, hide_index=True)


def _forget_issue() -> None:
    st.session_state.pop("issue_pending", None)


@st.dialog("Phát hành báo cáo tháng", on_dismiss=_forget_issue)
def confirm_issue(prompt: report.IssuePrompt) -> None:
    for text in prompt.question:
        st.markdown(text)
    st.caption("Báo cáo có biểu đồ (lập mất thêm 10–20 giây)." if charts
               else "Báo cáo không chèn biểu đồ (ô “Chèn biểu đồ vào báo cáo” đang bỏ chọn).")  # fmt: skip
    with st.container(horizontal=True):
        confirmed = st.button("Xác nhận phát hành", type="primary", key="issue_confirm")
        cancelled = st.button("Hủy", key="issue_cancel")
    if cancelled:
        _forget_issue()
        st.rerun()
    if confirmed:
        try:
            with st.spinner("Đang lập và phát hành báo cáo…"):
                version = report.issue_report(store(), period, root, actor(), clock.today(), with_charts=charts)
        except (StoreError, PermissionDenied) as exc:
            st.error(markdown_literal(exc))
            return
        _forget_issue()
        st.session_state["report_flash"] = report.issued_message(period, version)
        st.rerun()


if can("issue_report"):
    st.subheader("Phát hành báo cáo")
    prompt = report.issue_prompt(store(), period, root)
    st.caption(prompt.state)
    if st.button(prompt.button, key="issue_open", icon=":material/send:"):
        st.session_state["issue_pending"] = (period, root.code)
    if st.session_state.get("issue_pending") == (period, root.code):
        confirm_issue(prompt)

st.subheader("Báo cáo đã phát hành")
issued = report.issued_list(store(), root)
if issued.empty:
    st.write(f"{markdown_literal(root.label)} chưa phát hành báo cáo tháng nào.")
else:
    st.dataframe(issued, hide_index=True, column_order=[c for c in issued.columns if c not in ("period", "version")])
    keys = [f"{p}/{v}" for p, v in zip(issued["period"], issued["version"])]
    labels = {k: report.issued_label(row) for k, (_, row) in zip(keys, issued.iterrows())}
    default = next((k for k in keys if k.startswith(f"{period}/")), keys[0])  # this month's latest
    chosen = st.selectbox("Tải bản đã phát hành", keys, index=keys.index(default), format_func=labels.get,
                          key="issued_choice")  # fmt: skip
    month, version = chosen.split("/")
    stored = store().issued_report(month, root.code, int(version))
    with st.container(horizontal=True):
        st.download_button(
            f"Báo cáo bản {version} (.docx)", stored["docx"], report.issued_file_name(month, int(version), "docx"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document", key="issued_docx",
            icon=":material/download:", on_click="ignore",
        )  # fmt: skip
        st.download_button(
            f"Phụ lục bản {version} (.xlsx)", stored["xlsx"], report.issued_file_name(month, int(version), "xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="issued_xlsx",
            icon=":material/download:", on_click="ignore",
        )  # fmt: skip
    st.caption(f"Tệp tải về đúng từng byte như khi phát hành (SHA-256 .docx: {stored['docx_sha256']}).")

if not can("edit_settings"):
    st.caption(f"Người ký: {markdown_literal(settings.signer_title.capitalize())} "
               f"{markdown_literal(settings.signer_name) if settings.signer_name else '(chưa đặt)'} · "
               "Quản trị viên sửa thông tin trên báo cáo.")  # fmt: skip
    st.stop()
with st.expander("Thông tin trên báo cáo (cơ quan ban hành, người ký, nơi nhận)"):
    st.caption("Mẫu trình bày nằm trong tệp indicators/templates/bao_cao_thang.docx, có thể sửa bằng Word.")
    with st.form("report_settings"):
        issuer_parent = st.text_input("Cơ quan chủ quản (dòng trên, có thể để trống)", settings.issuer_parent)
        issuer_name = st.text_input("Cơ quan ban hành (để trống: “ỦY BAN NHÂN DÂN” + tên xã)", settings.issuer_name)
        place_name = st.text_input("Địa danh ở dòng ngày tháng (để trống: tên xã)", settings.place_name)
        symbol = st.text_input("Ký hiệu văn bản", settings.document_symbol)
        authority = st.text_input("Thẩm quyền ký", settings.signer_authority)
        title = st.text_input("Chức vụ người ký", settings.signer_title)
        name = st.text_input("Họ tên người ký", settings.signer_name)
        recipients = st.text_area("Nơi nhận (mỗi dòng một nơi)", "\n".join(settings.recipients))
        if st.form_submit_button("Lưu"):
            try:
                updated = type(settings).model_validate({
                    **settings.model_dump(), "issuer_parent": issuer_parent.strip(),
                    "issuer_name": issuer_name.strip(), "place_name": place_name.strip(),
                    "document_symbol": symbol.strip() or "BC-UBND", "signer_authority": authority.strip(),
                    "signer_title": title.strip(), "signer_name": name.strip(),
                    "recipients": [line.strip() for line in recipients.splitlines() if line.strip()],
                })  # fmt: skip
            except ValidationError as exc:
                st.error(f"Thông tin không hợp lệ: {exc.errors()[0]['msg']}")
            else:
                store().save_settings(updated, actor())
                st.success("Đã lưu thông tin báo cáo.")
