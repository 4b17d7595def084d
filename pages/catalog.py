"""Danh mục: the units (list, file upload, edit), the 26 indicators, and the targets per year."""

import hashlib

import streamlit as st

from indicators.domain import catalog, clock, format
from indicators.domain.models import Issue
from indicators.domain.text import markdown_literal
from indicators.ingest.units_file import parse_units_file
from indicators.storage import StoreError
from indicators.views import catalog as catalog_view
from indicators.views import common
from pages._shared import actor, can, require_page, store

st.title("Danh mục")
require_page("view", "Danh mục", public=False)
editable = can("edit_catalog")
if not editable:
    st.caption("Chỉ tài khoản quản trị sửa được danh mục đơn vị và mục tiêu.")

flash = st.session_state.pop("catalog_flash", None)
if flash:
    st.success(flash)
    st.toast(flash, icon=":material/check_circle:")

s = store()
# The chosen tab lives in the URL (?the=…) and survives the rerun after a save
tab_units, tab_indicators, tab_targets = st.tabs(["Thôn/đơn vị", "Chỉ tiêu", "Mục tiêu"], key="the",
                                                 bind="query-params")  # fmt: skip


def _done(message: str) -> None:
    st.session_state["catalog_flash"] = message
    st.rerun()


def _issue_rows(issues: list[Issue]) -> list[dict]:
    return [{"Dòng": format.number(i.row) if i.row is not None else "", "Cột": i.column, "Nội dung": i.message}
            for i in issues]  # fmt: skip


# --- Thôn/đơn vị --------------------------------------------------------------------------------
with tab_units:
    units = s.units()
    if units:
        st.dataframe(catalog_view.units_table(units), hide_index=True, height=min(560, 38 + 35 * len(units)))
    else:
        st.info("Chưa có đơn vị nào. Nạp danh sách thôn bằng tệp ở dưới.")

    if editable:
        st.subheader("Nạp danh sách từ tệp")
        st.caption("Tệp CSV hoặc Excel có các cột code, name, parent, households, population (tùy chọn: level, "
                   "active). Đơn vị đã có được cập nhật; đơn vị không có trong tệp giữ nguyên – đơn vị không "
                   "bao giờ bị xóa, muốn ngừng thì sửa trạng thái ở dưới.")  # fmt: skip
        round_ = st.session_state.get("units_round", 0)
        file = st.file_uploader("Tệp danh sách đơn vị (CSV, Excel .xlsx hoặc TXT)", type=["csv", "xlsx", "txt"], key=f"units_file_{round_}")
        if file is not None:
            data = file.getvalue()
            sha = hashlib.sha256(data).hexdigest()
            parsed = st.session_state.setdefault("units_parsed", {})
            if sha not in parsed:
                parsed[sha] = parse_units_file(file.name, data, s)
            incoming, issues = parsed[sha]
            if issues or not incoming:
                st.error(f"Tệp “{markdown_literal(file.name)}” có {format.number(len(issues))} lỗi: sửa các lỗi sau rồi tải lên lại. "
                         "Chưa có thay đổi nào được lưu.")  # fmt: skip
                if len(issues) <= 40:
                    st.table(common.markdown_cells(_issue_rows(issues), ["Cột", "Nội dung"]), hide_index=True)
                else:
                    st.dataframe(_issue_rows(issues), hide_index=True, height=400)
            else:
                changes = catalog_view.unit_changes(incoming, units)
                st.success(f"Tệp “{markdown_literal(file.name)}” hợp lệ: {catalog_view.unit_change_counts(changes)}.")
                st.dataframe(changes, hide_index=True, height=min(420, 38 + 35 * len(changes)))
                if st.button("Lưu danh sách đơn vị", type="primary", key="units_save"):
                    s.save_units(incoming, actor())
                    st.session_state["units_round"] = round_ + 1
                    st.session_state.pop("units_parsed", None)
                    _done(f"Đã lưu {format.number(len(incoming))} đơn vị từ tệp “{file.name}”.")

        if units:
            st.subheader("Sửa một đơn vị")
            by_code = {u.code: u for u in units}
            code = st.selectbox("Đơn vị", list(by_code), format_func=lambda c: f"{by_code[c].label} ({c})",
                                key="unit_edit_code")  # fmt: skip
            unit = by_code[code]
            values = catalog_view.unit_form_values(unit)
            with st.form(f"unit_form_{code}", border=True):
                name = st.text_input("Tên (không ghi “Thôn”, “Xã”)", values["name"], max_chars=200)
                households = st.text_input("Số hộ", values["households"], placeholder="để trống nếu chưa rõ")
                population = st.text_input("Dân số", values["population"], placeholder="để trống nếu chưa rõ")
                active = st.checkbox("Đang hoạt động", values["active"],
                                     help="Bỏ chọn khi thôn sáp nhập hoặc chia tách: thôn không nhận số liệu mới, "
                                          "số liệu cũ vẫn giữ nguyên.")  # fmt: skip
                if st.form_submit_button("Lưu thay đổi", type="primary"):
                    changed, errors = catalog_view.edit_unit(unit, name, households, population, active)
                    if errors:
                        st.error("Chưa lưu: " + " ".join(errors))
                    elif changed == unit:
                        st.info("Không có gì thay đổi.")
                    else:
                        s.save_units([changed], actor())
                        _done(f"Đã lưu {changed.label} ({changed.code}).")

# --- Chỉ tiêu -----------------------------------------------------------------------------------
with tab_indicators:
    st.caption(f"{format.number(len(catalog.indicators()))} chỉ tiêu của kế hoạch, "
               f"{format.number(len(catalog.task_groups()))} nhóm nhiệm vụ. Danh mục chỉ tiêu cố định theo "
               "kế hoạch; mục tiêu từng năm sửa ở thẻ “Mục tiêu”.")  # fmt: skip
    st.dataframe(catalog_view.indicators_table(), hide_index=True, height=600)

# --- Mục tiêu -----------------------------------------------------------------------------------
with tab_targets:
    rows = s.target_rows()
    years = catalog_view.target_years(clock.today(), rows)
    year_filter = st.selectbox("Năm", ["", *map(str, years)], key="targets_year",
                               format_func=lambda y: y or "Tất cả các năm")  # fmt: skip
    table = catalog_view.targets_table(rows, int(year_filter) if year_filter else None)
    if table.empty:
        st.write("Chưa đặt mục tiêu nào cho năm này.")
    else:
        st.dataframe(table, hide_index=True, height=min(560, 38 + 35 * len(table)))

    if editable:
        st.subheader("Đặt mục tiêu")
        codes = [item.code for item in catalog.indicators()]
        code = st.selectbox("Chỉ tiêu", codes, key="target_code",
                            format_func=lambda c: f"{c} – {catalog.indicator(c).name_vi}")  # fmt: skip
        default_year = clock.today().year if clock.today().year in years else years[0]
        year = st.selectbox("Năm áp dụng", years, index=years.index(default_year), key="target_year",
                            format_func=str)  # fmt: skip
        item = catalog.indicator(code)
        current_value, current_basis = catalog_view.target_input(rows, code, year)
        with st.form(f"target_form_{code}_{year}", border=True):
            unit_hint = "tỷ lệ %, từ 0 đến 100" if item.is_ratio else item.display_unit
            value = st.text_input(f"Mục tiêu ({unit_hint})", current_value, placeholder="ví dụ 80")
            basis = st.text_area("Căn cứ (văn bản, kế hoạch hoặc cách ước tính)", common.target_basis_vi(current_basis)
                                 if current_basis else "", height=90)  # fmt: skip
            if st.form_submit_button("Lưu mục tiêu", type="primary"):
                number, errors = catalog_view.check_target(code, year, value, basis)
                if errors:
                    st.error("Chưa lưu: " + " ".join(errors))
                else:
                    try:
                        s.set_target(code, year, number, basis.strip(), actor())
                    except StoreError as exc:
                        st.error(markdown_literal(exc))
                    else:
                        _done(f"Đã đặt mục tiêu {year} của {code}: {catalog_view.target_value_text(code, number)}.")
