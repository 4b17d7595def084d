"""Login, logout and the session cookie (wired by app.py; pages read `actor()` from _shared).

Streamlit forgets session state when the browser reloads the page. So that a refresh does not
drop a logged-in user, a random session token is kept in a cookie (SameSite=Strict, no
JavaScript-free alternative exists: Streamlit can read cookies, `st.context.cookies`, but not set
them). Only its SHA-256 is stored; the server checks it on every run, so logout, a disabled account
or a reset password end the session at once, and a session idle for longer than the settings'
limit is refused.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import streamlit as st

from indicators.domain import accounts, clock
from indicators.domain.accounts import Actor
from indicators.domain.errors import StoreError
from indicators.domain.text import markdown_literal
from pages._shared import store

TOUCH_EVERY = timedelta(minutes=1)  # how often a live session's last activity is written


def _cookie_script(token: str | None, max_age_seconds: int) -> str:
    value = json.dumps(token or "")
    age = max_age_seconds if token else 0
    return (
        "<script>(function(){var s=location.protocol==='https:'?';Secure':'';"
        f"document.cookie='{accounts.COOKIE_NAME}='+{value}+';Path=/;Max-Age={age};SameSite=Strict'+s;"
        "})();</script>"
    )


def current_actor() -> Actor | None:
    """The logged-in account of this browser session, checked against the store on every run."""
    state = st.session_state
    s = store()
    token = state.get("auth_token")
    if token is None and not state.get("logged_out"):
        cookie = st.context.cookies.get(accounts.COOKIE_NAME)
        token = cookie if isinstance(cookie, str) and cookie else None
    if not token:
        return None
    settings = s.settings()
    now = clock.now()
    user = s.session_user(accounts.token_hash(token), settings.session_timeout_minutes, now)
    if user is None:
        if state.get("auth_token"):
            state["login_notice"] = (
                f"Phiên đăng nhập đã kết thúc (không hoạt động quá {settings.session_timeout_minutes} phút, "
                "hoặc tài khoản vừa được thay đổi). Hãy đăng nhập lại."
            )
        _forget(token, end=False)
        return None
    state["auth_token"] = token
    last = state.get("touched_at")
    if last is None or now - last > TOUCH_EVERY:
        s.touch_session(accounts.token_hash(token), now)  # best effort: a failure is not shown
        state["touched_at"] = now
    return accounts.actor_of(user)


def client() -> str:
    """This browser's address, for login throttling (behind nginx: the address nginx saw)."""
    return accounts.client_address(st.context.ip_address, st.context.headers)


def _forget(token: str | None, end: bool) -> None:
    if token and end:
        store().end_session(accounts.token_hash(token))
    for key in ("auth_token", "touched_at", "cookie_to_set", "actor"):
        st.session_state.pop(key, None)
    st.session_state["logged_out"] = True
    st.session_state["cookie_to_clear"] = True


def write_cookie() -> None:
    """Send the pending cookie change (after a login or logout) to the browser, once."""
    state = st.session_state
    if state.pop("cookie_to_clear", False):
        st.html(_cookie_script(None, 0), unsafe_allow_javascript=True, width=1)
    token = state.pop("cookie_to_set", None)
    if token:
        hours = 12
        st.html(_cookie_script(token, hours * 3600), unsafe_allow_javascript=True, width=1)


def login_form(demo_hint: bool) -> None:
    """The login page. A wrong name and a wrong password get the same answer."""
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title("Đăng nhập")
        st.caption("Theo dõi chuyển đổi số xã – Nghị quyết 57-NQ/TW")
        notice = st.session_state.pop("login_notice", None)
        if notice:
            st.info(notice)
        if store().users().empty:
            st.warning(
                "Chưa có tài khoản nào. Quản trị viên tạo tài khoản đầu tiên trên máy chủ bằng lệnh:\n\n"
                "`python -m indicators user add TEN_DANG_NHAP --role quan_tri`"
            )
        with st.form("login"):
            name = st.text_input("Tên đăng nhập", autocomplete="username")
            password = st.text_input("Mật khẩu", type="password", autocomplete="current-password")
            submitted = st.form_submit_button("Đăng nhập", type="primary", width="stretch")
        if submitted:
            try:
                result = accounts.authenticate(store(), name, password, client=client())
                if result.actor is not None:
                    token = accounts.new_session_token()
                    store().start_session(accounts.token_hash(token), result.actor.name, clock.now())
            except StoreError as exc:
                st.error(f"Chưa đăng nhập được. {exc}")
                st.stop()
            if result.actor is None:
                time.sleep(0.5)  # a little friction for scripts; the real brake is `wait_after`
                st.error(result.message)
            else:
                for key in ("logged_out", "show_login"):
                    st.session_state.pop(key, None)
                st.session_state["auth_token"] = token
                st.session_state["cookie_to_set"] = token
                st.rerun()
        if demo_hint:
            from indicators.ingest.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

            names = ", ".join(f"**{a.name}** ({accounts.ROLE_VI[a.role].lower()})" for a in DEMO_ACCOUNTS)
            st.caption(f"Dữ liệu mẫu: đăng nhập bằng {names}; mật khẩu **{DEMO_PASSWORD}**.")


def sidebar(actor: Actor) -> None:
    """Who is logged in, and the one-click logout (or the login button in the public view)."""
    with st.sidebar:
        if actor.kind == "public":
            if st.button("Đăng nhập", icon=":material/login:", key="show_login_button"):
                st.session_state["show_login"] = True
                st.rerun()
            return
        who = markdown_literal(actor.display_name or actor.name)
        st.caption(f":material/account_circle: **{who}** · {actor.role_vi}"
                   + (f" · đơn vị {markdown_literal(', '.join(actor.units))}" if actor.units else ""))  # fmt: skip
        if st.button("Đăng xuất", icon=":material/logout:", key="logout"):
            try:
                _forget(st.session_state.get("auth_token"), end=True)
            except StoreError as exc:  # the browser forgets the session all the same
                _forget(None, end=False)
                st.session_state["login_notice"] = f"Đã đăng xuất trên trình duyệt này. {exc}"
                st.rerun()
            st.session_state["login_notice"] = "Đã đăng xuất."
            st.rerun()
