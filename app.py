"""Router: page config, navigation and the shared store. Nothing else lives here."""

import streamlit as st

from indicators.store import StoreError
from pages._shared import demo_banner, store

st.set_page_config(page_title="Chuyển đổi số xã – NQ 57", page_icon="📊", layout="wide")

PAGES = {
    "Theo dõi": [
        st.Page("pages/overview.py", title="Tổng quan", icon="🏠", url_path="tong-quan", default=True),
        st.Page("pages/hamlets.py", title="Theo thôn", icon="🏘️", url_path="theo-thon"),
        st.Page("pages/groups.py", title="Theo nhóm nhiệm vụ", icon="🗂️", url_path="nhom-nhiem-vu"),
        st.Page("pages/indicator.py", title="Chỉ tiêu", icon="📈", url_path="chi-tieu"),
    ],
    "Số liệu": [
        st.Page("pages/upload.py", title="Nộp số liệu", icon="📤", url_path="nop-so-lieu"),
        st.Page("pages/submissions.py", title="Tình hình nộp báo cáo", icon="🗓️", url_path="tinh-hinh-nop"),
        st.Page("pages/history.py", title="Lịch sử", icon="🕘", url_path="lich-su"),
        st.Page("pages/catalog.py", title="Danh mục", icon="📚", url_path="danh-muc"),
    ],
    "Báo cáo": [
        st.Page("pages/report.py", title="Báo cáo tháng", icon="📄", url_path="bao-cao"),
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
