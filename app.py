"""Router: page config, login, navigation by role and the shared store. Nothing else lives here."""

import streamlit as st

from indicators.domain import accounts
from indicators.storage import StoreError
from pages import _session
from pages._shared import demo_banner, page_style, store, unit_levels

st.set_page_config(page_title="Chuyển đổi số xã – NQ 57", page_icon=":material/insights:", layout="wide")
page_style()


def pages_for(actor: accounts.Actor, overview_is_default: bool = True) -> dict[str, list]:
    """The navigation an account sees: only pages whose purpose its role allows. A hamlet head
    lands on “Việc của tôi”, everyone else on the overview."""
    can = actor.can
    my_work_first = overview_is_default and can("import") and accounts.hamlet_only(actor, unit_levels())
    overview_is_default = overview_is_default and not my_work_first
    sections = {
        "Theo dõi": [
            # the default page lives at "/" (Streamlit ignores its url_path); its twin at /tong-quan is
            # hidden then, so that links to /tong-quan keep working
            *([st.Page("pages/overview.py", title="Tổng quan", icon=":material/dashboard:", default=True)]
              if overview_is_default else []),
            st.Page("pages/overview.py", title="Tổng quan", icon=":material/dashboard:", url_path="tong-quan",
                    visibility="hidden" if overview_is_default else "visible"),
            st.Page("pages/hamlets.py", title="Theo thôn", icon=":material/holiday_village:", url_path="theo-thon"),
            st.Page("pages/groups.py", title="Theo nhóm nhiệm vụ", icon=":material/category:", url_path="nhom-nhiem-vu"),
            st.Page("pages/indicator.py", title="Chỉ tiêu", icon=":material/monitoring:", url_path="chi-tieu"),
            st.Page("pages/tasks.py", title="Nhiệm vụ “5 rõ”", icon=":material/task_alt:", url_path="nhiem-vu"),
        ],
        "Số liệu": [
            *([*([st.Page("pages/my_work.py", title="Việc của tôi", icon=":material/checklist:", default=True)]
                 if my_work_first else []),
               st.Page("pages/my_work.py", title="Việc của tôi", icon=":material/checklist:", url_path="viec-cua-toi",
                       visibility="hidden" if my_work_first else "visible"),
               st.Page("pages/entry.py", title="Nhập số liệu", icon=":material/edit_note:", url_path="nhap-so-lieu"),
               st.Page("pages/upload.py", title="Nộp số liệu", icon=":material/upload_file:", url_path="nop-so-lieu")]
              if can("import") else []),
            st.Page("pages/submissions.py", title="Tình hình nộp báo cáo", icon=":material/event_available:", url_path="tinh-hinh-nop"),
            *([st.Page("pages/review.py", title="Duyệt số liệu", icon=":material/fact_check:", url_path="duyet-so-lieu")]
              if accounts.may_approve(actor, unit_levels()) else []),
            st.Page("pages/history.py", title="Lịch sử", icon=":material/history:", url_path="lich-su"),
            st.Page("pages/catalog.py", title="Danh mục", icon=":material/menu_book:", url_path="danh-muc"),
        ],
        "Báo cáo": [
            st.Page("pages/report.py", title="Báo cáo tháng", icon=":material/description:", url_path="bao-cao"),
            st.Page("pages/presentation.py", title="Trình chiếu", icon=":material/slideshow:", url_path="trinh-chieu"),
        ],
        "Quản trị": [
            st.Page("pages/users.py", title="Tài khoản", icon=":material/manage_accounts:", url_path="tai-khoan"),
            st.Page("pages/audit.py", title="Nhật ký thay đổi", icon=":material/policy:", url_path="nhat-ky"),
        ],
    }  # fmt: skip
    if my_work_first:  # the hamlet head's own work comes first
        sections = {"Số liệu": sections.pop("Số liệu"), **sections}
    if actor.kind == "public":  # the public view shows the dashboards only
        return {"Theo dõi": sections["Theo dõi"]}
    if not can("download"):
        del sections["Báo cáo"]
    if not can("manage_users"):
        del sections["Quản trị"]
    return sections


try:
    store()  # open (and migrate) the shared store once per process
except StoreError as exc:
    st.error(f"Không mở được cơ sở dữ liệu. {exc}")
    st.stop()

# the data version is read once per run (every kept view checks it); a write in the run reads it again
try:
    with store().one_version():
        actor = _session.current_actor()
        if actor is None and (st.session_state.get("show_login") or not store().settings().public_view):
            st.session_state.pop("actor", None)
            # every page stays routable (a deep link opens its page after login) but only the form runs
            login = st.Page(lambda: None, title="Đăng nhập", icon=":material/login:", url_path="dang-nhap", default=True)
            routes = [page for section in pages_for(accounts.SYSTEM, overview_is_default=False).values() for page in section]
            st.navigation([login, *routes], position="hidden")
            _session.login_form(store().has_demo())
            _session.write_cookie()
            st.stop()
        actor = actor or accounts.PUBLIC
        st.session_state["actor"] = actor
        page = st.navigation(pages_for(actor), expanded=True)  # every page listed: no "View more" fold
        _session.sidebar(actor)
        _session.write_cookie()
        demo_banner()
        try:
            page.run()
        except StoreError as exc:  # a write the database refused, or a refusal: said, never a traceback
            st.error(str(exc))
except Exception as exc:  # a read the database refused (a damaged block, a lost server)
    message = store().read_failure(exc)
    if message is None:
        raise
    st.error(message)
