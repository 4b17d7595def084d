"""Báo cáo tháng: the Word report for the city by the 20th, its Excel annex, and its settings."""


import streamlit as st
from pydantic import ValidationError

from indicators.domain import clock, format
from indicators.views import report
from pages._shared import actor, can, empty_state, period_select, require_page, root_select, store

st.title("Báo cáo tháng gửi thành phố")
require_page("download", "Báo cáo tháng")
if empty_state():
    st.stop()

period = period_select(st.sidebar)
root = root_select()
settings = store().settings()
st.write(
    f"Báo cáo kết quả thực hiện Kế hoạch {format.month(period).lower()} của {root.label}, theo thể thức "
    f"Nghị định 30/2020/NĐ-CP; hạn gửi thành phố ngày {settings.report_day} hằng tháng."
)

charts = st.checkbox("Chèn biểu đồ vào báo cáo", value=True, help="Xuất biểu đồ mất thêm khoảng 10–20 giây.")
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

if not can("edit_settings"):
    st.caption(f"Người ký: {settings.signer_title.title()} {settings.signer_name or '(chưa đặt)'} · "
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
