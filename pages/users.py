"""Tài khoản: add, change, disable and reset accounts; the login settings (admins only)."""

import streamlit as st
from pydantic import ValidationError

from indicators.domain import accounts
from indicators.domain.text import markdown_literal
from indicators.storage import StoreError
from indicators.views import users as users_view
from pages._shared import actor, require_page, store

st.title("Tài khoản")
require_page("manage_users", "Tài khoản")
s = store()

flash = st.session_state.pop("users_flash", None)
if flash:
    st.success(flash)


def _done(message: str) -> None:
    st.session_state["users_flash"] = message
    st.rerun()


def _errors(exc: ValidationError) -> str:
    return " ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())


units = {u.code: u for u in s.units()}
st.dataframe(users_view.users_table(s.users(), units), hide_index=True, width="stretch")
st.caption(
    "Lãnh đạo: xem và tải báo cáo. Cán bộ: nộp số liệu của các đơn vị được giao (giao mã xã thì được "
    "cả các thôn của xã và sổ nhiệm vụ). Quản trị: toàn quyền, kể cả danh mục, mục tiêu, hoàn tác, tài khoản."
)
ROLE_OPTIONS = list(accounts.ROLES)


def _unit_label(code: str) -> str:
    return f"{units[code].label} ({code})" if code in units else code


tab_add, tab_edit, tab_settings = st.tabs(["Thêm tài khoản", "Sửa, khóa, đặt lại mật khẩu", "Cài đặt đăng nhập"])
with tab_add, st.form("user_add", clear_on_submit=False):
    name = st.text_input("Tên đăng nhập", placeholder="ví dụ: nguyenvana")
    display_name = st.text_input("Họ tên")
    role = st.selectbox("Vai trò", ROLE_OPTIONS, format_func=accounts.ROLE_VI.get, index=1)
    assigned = st.multiselect("Đơn vị được giao (cán bộ)", list(units), format_func=_unit_label)
    password = st.text_input("Mật khẩu", type="password", help=f"Ít nhất {accounts.MIN_PASSWORD} ký tự.")
    again = st.text_input("Nhập lại mật khẩu", type="password")
    if st.form_submit_button("Thêm tài khoản", type="primary"):
        try:
            form = accounts.UserForm(name=name, display_name=display_name, role=role,
                                     units=assigned if role == "can_bo" else ())  # fmt: skip
            if password != again:
                raise ValueError("Hai lần nhập mật khẩu không khớp.")
            s.add_user(form, accounts.hash_password(password), actor())
        except ValidationError as exc:
            st.error(f"Chưa thêm: {markdown_literal(_errors(exc))}")
        except (ValueError, StoreError) as exc:
            st.error(f"Chưa thêm: {markdown_literal(exc)}")
        else:
            _done(f"Đã thêm tài khoản {form.name} ({accounts.ROLE_VI[form.role]}).")

with tab_edit:
    users = s.users()
    if users.empty:
        st.write("Chưa có tài khoản nào.")
    else:
        chosen = st.selectbox("Tài khoản", list(users["name"]), key="user_edit_name")
        user = s.user(chosen)
        with st.form(f"user_edit_{chosen}"):
            display_name = st.text_input("Họ tên", user["display_name"])
            role = st.selectbox("Vai trò", ROLE_OPTIONS, index=ROLE_OPTIONS.index(user["role"]),
                                format_func=accounts.ROLE_VI.get)  # fmt: skip
            current = [c for c in user["units"].split(",") if c]
            assigned = st.multiselect("Đơn vị được giao (cán bộ)", list(units), default=[c for c in current if c in units],
                                      format_func=_unit_label)  # fmt: skip
            active = st.checkbox("Đang hoạt động", user["active"],
                                 help="Bỏ chọn để khóa: tài khoản không đăng nhập được, phiên đang mở kết thúc ngay.")  # fmt: skip
            if st.form_submit_button("Lưu thay đổi", type="primary"):
                try:
                    form = accounts.UserForm(name=chosen, display_name=display_name, role=role,
                                             units=assigned if role == "can_bo" else ())  # fmt: skip
                    s.update_user(chosen, actor(), display_name=form.display_name, role=form.role,
                                  units=form.units, active=active)  # fmt: skip
                except ValidationError as exc:
                    st.error(f"Chưa lưu: {markdown_literal(_errors(exc))}")
                except StoreError as exc:
                    st.error(f"Chưa lưu: {markdown_literal(exc)}")
                else:
                    _done(f"Đã lưu tài khoản {markdown_literal(chosen)}.")
        with st.form(f"user_password_{chosen}", clear_on_submit=True):
            st.write(f"Đặt lại mật khẩu cho **{markdown_literal(chosen)}**")
            password = st.text_input("Mật khẩu mới", type="password")
            again = st.text_input("Nhập lại mật khẩu mới", type="password")
            if st.form_submit_button("Đặt lại mật khẩu"):
                try:
                    if password != again:
                        raise ValueError("Hai lần nhập mật khẩu không khớp.")
                    s.update_user(chosen, actor(), password_hash=accounts.hash_password(password))
                except (ValueError, StoreError) as exc:
                    st.error(f"Chưa đặt lại: {markdown_literal(exc)}")
                else:
                    _done(f"Đã đặt lại mật khẩu cho {markdown_literal(chosen)}; các phiên đăng nhập cũ của tài khoản đã kết thúc.")

with tab_settings, st.form("login_settings"):
    settings = s.settings()
    public = st.checkbox("Cho xem công khai các trang theo dõi (không cần đăng nhập, chỉ xem)", settings.public_view)
    timeout = st.number_input("Tự đăng xuất sau số phút không hoạt động", 5, 24 * 60, settings.session_timeout_minutes)
    if st.form_submit_button("Lưu cài đặt", type="primary"):
        s.save_settings(settings.model_copy(update={"public_view": public, "session_timeout_minutes": int(timeout)}),
                        actor())  # fmt: skip
        _done("Đã lưu cài đặt đăng nhập.")
