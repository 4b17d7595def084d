"""Router: page config, navigation and the shared store. Nothing else lives here."""

import streamlit as st

from indicators.store import StoreError
from pages._shared import demo_banner, store

st.set_page_config(page_title="Chuyển đổi số xã – NQ 57", page_icon=":material/insights:", layout="wide")

PAGES = {
    "Theo dõi": [
        # the default page lives at "/" (Streamlit ignores its url_path); the hidden twin keeps
        # links to /tong-quan working
        st.Page("pages/overview.py", title="Tổng quan", icon=":material/dashboard:", default=True),
        st.Page("pages/overview.py", title="Tổng quan", url_path="tong-quan", visibility="hidden"),
        st.Page("pages/hamlets.py", title="Theo thôn", icon=":material/holiday_village:", url_path="theo-thon"),
        st.Page("pages/groups.py", title="Theo nhóm nhiệm vụ", icon=":material/category:", url_path="nhom-nhiem-vu"),
        st.Page("pages/indicator.py", title="Chỉ tiêu", icon=":material/monitoring:", url_path="chi-tieu"),
        st.Page("pages/tasks.py", title="Nhiệm vụ “5 rõ”", icon=":material/task_alt:", url_path="nhiem-vu"),
    ],
    "Số liệu": [
        st.Page("pages/upload.py", title="Nộp số liệu", icon=":material/upload_file:", url_path="nop-so-lieu"),
        st.Page("pages/submissions.py", title="Tình hình nộp báo cáo", icon=":material/event_available:", url_path="tinh-hinh-nop"),
        st.Page("pages/history.py", title="Lịch sử", icon=":material/history:", url_path="lich-su"),
        st.Page("pages/catalog.py", title="Danh mục", icon=":material/menu_book:", url_path="danh-muc"),
    ],
    "Báo cáo": [
        st.Page("pages/report.py", title="Báo cáo tháng", icon=":material/description:", url_path="bao-cao"),
        st.Page("pages/presentation.py", title="Trình chiếu", icon=":material/slideshow:", url_path="trinh-chieu"),
    ],
}

page = st.navigation(PAGES)
try:
    store()  # open (and migrate) the shared store once per process
except StoreError as exc:
    st.error(f"Không mở được cơ sở dữ liệu. {exc}")
    st.stop()
demo_banner()
page.run()
