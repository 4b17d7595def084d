"""Trình chiếu: the month's slides full screen for steering-committee meetings.

The URL holds the month and the slide (?ky=2026-11&trang=3), so a link opens the same slide. The top
bar: previous / next (also the ← → keys), "Trang N/M", the month, auto-advance and the PDF /
PowerPoint files (made only when asked). The slide is HTML (`slides_html`): its text scales with the
window and reflows to one column on a phone. No widget of the bar has a tooltip: one would cover the
slide's title.
"""

from __future__ import annotations

import dataclasses
import time
from contextlib import nullcontext, suppress
from datetime import date

import streamlit as st
from streamlit.errors import StreamlitAPIException

from indicators.domain import clock, format
from indicators.domain.text import markdown_literal
from indicators.render import slides, slides_html, slides_pptx
from indicators.views import presentation
from pages._shared import empty_state, require_page, store, url_root

INTERVAL = 15  # seconds per slide when advancing by itself

# Full screen: no sidebar, no header or toolbar, no page padding; the page is one window high and
# the slide takes what the top bar leaves.
require_page("view", "Trình chiếu", public=False)
st.markdown(
    """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="collapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] { display: none; }
[data-testid="stAppViewContainer"] > section, [data-testid="stMain"] { margin-left: 0; }
section.main .block-container, [data-testid="stMainBlockContainer"], .block-container {
    padding: 0.25rem 0.75rem 0 0.75rem; max-width: 100%;
    height: 100vh; display: flex; flex-direction: column;
}
[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] { flex: 1 1 auto; min-height: 0; gap: 0.3rem; }
[data-testid="stElementContainer"]:has(style) { display: none; }
[data-testid="stLayoutWrapper"]:has(> .st-key-pres_slide) { flex: 1 1 0; min-height: 0; }
.st-key-pres_slide { flex: 1 1 0 !important; height: 100%; min-height: 0; }
.st-key-pres_slide [data-testid="stElementContainer"], .st-key-pres_slide [data-testid="stHtml"]
  { height: 100% !important; width: 100%; }
.st-key-pres_bar [data-testid="stMarkdown"] * { margin: 0 !important; white-space: nowrap; }
.st-key-pres_page_up, .st-key-pres_page_down { display: none; }
.pres-keys { color: #4D4D4D; font-size: 0.85rem; }
/* a phone: the slide's cards stack and the page scrolls */
@media (max-width: 640px) {
  section.main .block-container, [data-testid="stMainBlockContainer"], .block-container { height: auto; }
  [data-testid="stLayoutWrapper"]:has(> .st-key-pres_slide), .st-key-pres_slide { flex: none !important; height: auto; }
  .st-key-pres_slide [data-testid="stElementContainer"], .st-key-pres_slide [data-testid="stHtml"] { height: auto !important; }
  .pres-keys { display: none; }
}
</style>
""" + f"<style>{slides_html.CSS}</style>",
    unsafe_allow_html=True,
)


def exit_link() -> None:
    """The way out (the sidebar is hidden), when the app's navigation has the overview."""
    with suppress(StreamlitAPIException):
        st.page_link("pages/overview.py", label="Thoát", icon=":material/close:")


if empty_state():
    exit_link()
    st.stop()


def _today() -> date:
    return clock.today()


@st.cache_resource(max_entries=8, show_spinner="Đang chuẩn bị các trang trình chiếu…")
def _month(path: str, period: str, version: tuple, today: date, root_code: str) -> slides.MonthData | None:
    """The month's figures, shared by every session until the data change (`version`)."""
    del path, version  # cache keys only
    root = next(u for u in store().units() if u.code == root_code)
    return presentation.month_data(store(), period, root, today)


def month_data(period: str, today: date) -> slides.MonthData | None:
    s = store()
    data = _month(s.path, period, s.data_version(), today, url_root().code)
    if data is None:
        return None
    # tasks are not part of data_version: the overdue list is read afresh (a small table)
    return dataclasses.replace(data, overdue=presentation.overdue_tasks(s, today, url_root()))


def _int(text: str | None) -> int | None:
    try:
        return int(str(text))
    except ValueError:
        return None


def go_to(number: int) -> None:
    st.query_params["trang"] = str(number)
    st.session_state["pres_shown_at"] = time.monotonic()


def files_key(period: str, data: slides.MonthData | None) -> tuple:
    """What the files show: the month, the data and the overdue tasks of today."""
    overdue = () if data is None else tuple(data.overdue["code"])
    return (period, store().data_version(), _today(), overdue)


def make_files(period: str, data: slides.MonthData | None) -> None:
    """PDF (the slides' HTML printed by Chromium) and PPTX (python-pptx: text, tables, native
    charts), kept for this session (the latest month asked for only)."""
    with st.spinner("Đang tạo tệp PDF và PowerPoint…"):
        deck = slides.draw_slides(data)
        files = (slides_html.slides_pdf(deck), slides_pptx.slides_pptx(deck))
    st.session_state["pres_files"] = (files_key(period, data), *files)


def ready_files(period: str, data: slides.MonthData | None) -> tuple[bytes, bytes] | None:
    kept = st.session_state.get("pres_files")
    return kept[1:] if kept and kept[0] == files_key(period, data) else None


# --- the month and the slide from the URL ----------------------------------------------------------
months = list(reversed(store().periods_with_data()))
period = st.query_params.get("ky")
if period not in months:
    if period is not None:
        st.warning(f"Kỳ “{markdown_literal(period)}” trong đường dẫn không có số liệu; đang trình chiếu kỳ mới nhất.")
    period = months[0]
    st.query_params["ky"] = period

data = month_data(period, _today())
total = slides.slide_count(data)
number = _int(st.query_params.get("trang"))
if number is None or not 1 <= number <= total:
    number = 1
if st.query_params.get("trang") != str(number):
    st.query_params["trang"] = str(number)
if st.session_state.get("pres_shown") != (period, number):
    st.session_state["pres_shown"] = (period, number)
    st.session_state["pres_shown_at"] = time.monotonic()

# --- the top bar -----------------------------------------------------------------------------------
with st.container(horizontal=True, vertical_alignment="center", gap="small", key="pres_bar"):
    st.button("◀ Trước", key="pres_prev", on_click=go_to, args=(max(1, number - 1),), disabled=number <= 1,
              shortcut="Left")  # fmt: skip
    st.markdown(f"**Trang {number}/{total}**")
    st.button("Sau ▶", key="pres_next", on_click=go_to, args=(min(total, number + 1),),
              disabled=number >= total, shortcut="Right")  # fmt: skip
    st.html("<span class='pres-keys'>phím ← →</span>")
    # the remote clickers of meeting rooms send Page Up / Page Down (hidden twins of the buttons)
    st.button(
        "Trang trước", key="pres_page_up", on_click=go_to, args=(max(1, number - 1),), shortcut="PageUp"
    )
    st.button("Trang sau", key="pres_page_down", on_click=go_to, args=(min(total, number + 1),),
              shortcut="PageDown")  # fmt: skip
    chosen = st.selectbox("Kỳ báo cáo", months, index=months.index(period), format_func=format.month,
                          key="pres_period", label_visibility="collapsed", width=150)  # fmt: skip
    if chosen != period:
        st.query_params["ky"] = chosen
        st.query_params["trang"] = "1"
        st.rerun()
    auto = st.toggle(f"Tự chuyển trang ({INTERVAL} giây)", key="pres_auto")
    files = ready_files(period, data)
    if files is None:
        # not while the slides move by themselves: the export takes half a minute
        if st.button("Tạo PDF, PPTX", key="pres_make", icon=":material/slideshow:", disabled=auto):
            make_files(period, data)
            st.rerun()
    else:
        st.download_button("Tải PDF", files[0], slides.file_name(period, "pdf"), "application/pdf",
                           key="pres_pdf", icon=":material/download:", on_click="ignore")  # fmt: skip
        st.download_button(
            "Tải PPTX", files[1], slides.file_name(period, "pptx"),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            key="pres_pptx", icon=":material/download:", on_click="ignore",
        )  # fmt: skip
    exit_link()

# --- the slide -------------------------------------------------------------------------------------
slide = slides.draw_slide(data, number - 1)
with st.container(key="pres_slide"):
    # a city's map is a picture made by Kaleido the first time it is shown (seconds), then kept
    with st.spinner("Đang vẽ bản đồ…") if slide.picture is not None else nullcontext():
        body = slides_html.slide_html(slide)
    st.html(body)

if auto:

    @st.fragment(run_every=INTERVAL)
    def advance() -> None:
        """Every INTERVAL seconds: the next slide (after the last, the first again)."""
        if time.monotonic() - st.session_state.get("pres_shown_at", 0) >= INTERVAL - 1:
            go_to(number % total + 1)
            st.rerun(scope="app")

    advance()
