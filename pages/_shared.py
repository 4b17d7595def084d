"""Streamlit helpers shared by the pages: the store, URL-backed filters, status badges.

Pages stay thin: they pick filters here, make one call into `indicators`, and render.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from datetime import datetime, time, timedelta
from functools import partial

import streamlit as st

from indicators.domain import accounts, catalog, clock, format
from indicators.domain.text import markdown_literal
from indicators.metrics import STATUS_VI
from indicators.render.charts import STATUS_COLORS, STATUS_SYMBOLS
from indicators.storage import Store, default_path, open_store, store_as_of
from indicators.views import common


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    opened = open_store(path)
    # What the server has built by now (modules, catalog, the store) lives as long as it does: kept
    # out of the collector's full passes, which would otherwise scan it all again at some request
    # (0,1 s on a 2-core machine, paid by whichever page allocates at the wrong moment)
    gc.freeze()
    return opened


def store() -> Store:
    """The one store of this process (shared by every session)."""
    return _store(default_path())


@st.cache_resource(show_spinner="Đang tính lại số liệu tại thời điểm đã chọn…", max_entries=4)
def _as_of(path: str, moment: datetime, version: tuple) -> Store:
    """The figures as they stood at `moment`, kept while the data does not change (`version`)."""
    return store_as_of(store(), moment)


def figures_store() -> Store:
    """The store the dashboards read: today's, or, with ?luc=2026-03-20T10:00 in the URL, its figures
    as they stood then (the same pages, every figure recomputed from the revisions of that moment)."""
    _as_of_control()
    raw = st.query_params.get("luc")
    if not raw:
        return store()
    try:
        moment = clock.parse_moment(raw)
    except ValueError as exc:
        st.warning(f"{exc} Đang hiện số liệu hiện tại.")
        return store()
    st.info(f"🕘 Số liệu tại thời điểm {format.timestamp(moment)}, không phải số liệu hiện tại.")
    return _as_of(store().path, moment, store().data_version())


def _as_of_control() -> None:
    """The sidebar's “Số liệu tại thời điểm…”: pick a day and an hour, or go back to now."""
    with st.sidebar.expander("Số liệu tại thời điểm…", expanded="luc" in st.query_params):
        now = clock.now()
        day = st.date_input("Ngày", value=now.date(), max_value=now.date(), format="DD/MM/YYYY", key="as_of_day")
        at = st.time_input("Giờ", value=time(23, 59), step=timedelta(minutes=30), key="as_of_time")
        if st.button("Xem số liệu lúc đó", key="as_of_show"):
            st.query_params["luc"] = f"{day.isoformat()}T{at:%H:%M}"
            st.rerun()
        if "luc" in st.query_params and st.button("Về số liệu hiện tại", key="as_of_clear"):
            del st.query_params["luc"]
            st.rerun()


def actor() -> accounts.Actor:
    """Who is using this session: set by app.py's login gate on every run.

    A page script reached without that gate (a page requested before app.py ever ran in a fresh
    server, which Streamlit may run directly from pages/) checks the session itself and stops
    when nobody is logged in and the dashboards are not public.
    """
    found = st.session_state.get("actor")
    if found is None:
        from pages._session import current_actor

        found = current_actor() or (accounts.PUBLIC if store().settings().public_view else None)
        if found is None:
            st.warning("Hãy đăng nhập để xem trang này: mở lại địa chỉ gốc của ứng dụng.")
            st.stop()
        st.session_state["actor"] = found
    return found


def can(action: str) -> bool:
    """Whether to offer an action; the core checks again when it is taken."""
    return actor().can(action)


def own_hamlet() -> str | None:
    """A hamlet head's own hamlet (the first assigned), which the dashboards open on; None for others."""
    if not accounts.hamlet_only(actor(), unit_levels()):
        return None
    return actor().units[0]


def unit_levels() -> dict[str, str]:
    return {u.code: u.level for u in store().units()}


def may_update_tasks(commune: str | None = None) -> bool:
    """The account may update a task register (with `commune`: that commune's, its own)."""
    if not accounts.may_update_tasks(actor(), unit_levels()):
        return False
    if commune is None:
        return True
    allowed = accounts.allowed_units(actor(), {u.code: u.parent for u in store().units()})
    return allowed is None or commune in allowed


def may_approve() -> bool:
    return accounts.may_approve(actor(), unit_levels())


def require_page(action: str, what: str, public: bool = True) -> None:
    """Stop a page whose purpose the account may not use (reached by a typed URL). `public=False`:
    a page outside the public view's dashboards (it names accounts, files or notes), which a guest
    may reach when Streamlit runs the script straight from pages/."""
    if not public and actor().kind == "public":
        st.warning(f"Trang {what} chỉ dành cho tài khoản đã đăng nhập.")
        st.stop()
    if not can(action):
        st.warning(f"Tài khoản của bạn ({actor().role_vi}) không dùng được trang {what}.")
        st.stop()


# How the indicator tables of the dashboard pages show their name and code (a link to its page)
INDICATOR_COLUMNS = {
    common.COL_NAME: st.column_config.TextColumn(width=250, pinned=True),
    common.COL_CODE: st.column_config.LinkColumn(display_text=common.LINK_CODE_PATTERN,
                                                 help="Mở trang của chỉ tiêu"),
}  # fmt: skip


# The charts' mode bar: a picture of the chart and a way back after a zoom, titled in Vietnamese
# (Plotly's `locales` dictionary; Streamlit's bundle has no Vietnamese locale). `modeBarButtons`
# replaces the whole bar, Streamlit's English "Fullscreen" button included.
MODEBAR = {
    "displaylogo": False,
    "modeBarButtons": [["toImage", "resetScale2d"]],
    "toImageButtonOptions": {"format": "png", "filename": "bieu_do", "scale": 2},
    "locale": "vi",
    "locales": {"vi": {"dictionary": {
        "Download plot as a PNG": "Tải ảnh biểu đồ (PNG)",
        "Download plot": "Tải ảnh biểu đồ",
        "Reset axes": "Về khung ban đầu",
        "Double-click to zoom back out": "Bấm đúp để thu nhỏ lại",
        "Double-click on legend to isolate one trace": "Bấm đúp vào chú giải để chỉ xem một đường",
    }}},
}  # fmt: skip
# A map pans by touch and zooms by its own buttons (a map has no axes to reset).
MAP_MODEBAR = {
    **MODEBAR,
    "scrollZoom": True,
    "modeBarButtons": [["toImage", "zoomInMap", "zoomOutMap", "resetViewMap"]],
    "locales": {"vi": {"dictionary": {
        **MODEBAR["locales"]["vi"]["dictionary"],
        "Zoom in": "Phóng to", "Zoom out": "Thu nhỏ", "Reset view": "Về khung ban đầu",
    }}},
}  # fmt: skip


def chart(fig) -> None:
    """A Plotly figure with the app's own small mode bar (MODEBAR)."""
    st.plotly_chart(fig, width="stretch", config=MODEBAR)


# Streamlit 1.67 cannot translate these pieces of its widgets: they are hidden and, where a person
# needs them, replaced by Vietnamese words drawn by CSS. Each rule says what it covers.
_STYLE = """<style>
/* the uploader's button "Upload" and its line "20MB per file • CSV, XLSX, TXT" */
[data-testid=stFileUploaderDropzone] button [data-testid=stMarkdownContainer] p { display: none; }
[data-testid=stFileUploaderDropzone] button [data-testid=stMarkdownContainer]::after { content: "Chọn tệp"; }
[data-testid=stFileUploaderDropzoneInstructions] span { display: none; }
[data-testid=stFileUploaderDropzoneInstructions] > div::after {
  content: "hoặc kéo thả tệp vào đây · tối đa %(size)s MB mỗi tệp"; font-size: 0.875rem; opacity: 0.7; }
/* "Drag and drop files here", shown over the box while a file is dragged onto it */
[data-testid=stFileUploaderDropzone] > div:not([data-testid]):not(:has([data-testid=stFileChips])) { font-size: 0; }
[data-testid=stFileUploaderDropzone] > div:not([data-testid]):not(:has([data-testid=stFileChips]))::after {
  content: "Thả tệp vào đây"; font-size: 1rem; }
/* "Press Enter to apply" inside number and text inputs (Enter or leaving the field applies) */
[data-testid=InputInstructions] { display: none; }
/* the tables' toolbar (Show/hide columns, Download as CSV, Search, Fullscreen): English tooltips */
[data-testid=stDataFrame] [data-testid=stElementToolbar] { display: none; }
/* the charts' mode bar sits in a strip of its own above the chart, never over its title */
[data-testid=stElementContainer]:has([data-testid=stPlotlyChart] .modebar-btn) { margin-top: 28px; overflow: visible; }
[data-testid=stPlotlyChart] .js-plotly-plot { overflow: visible !important; }
[data-testid=stPlotlyChart] .modebar-container { top: -28px !important; }
/* a page may offer two forms of one thing: containers keyed "phone_only_…" and "wide_only_…" */
@media (max-width: 640px) { [class*="st-key-wide_only_"] { display: none !important; } }
@media (min-width: 641px) { [class*="st-key-phone_only_"] { display: none !important; } }
</style>"""


def page_style() -> None:
    """The app's CSS, written once per run by app.py."""
    st.html(_STYLE % {"size": st.get_option("server.maxUploadSize")})


def url_select(label: str, options: Sequence[str], param: str, default: str | None = None,
               format_func: Callable[[str], str] = str, where=st) -> str | None:  # fmt: skip
    """A selectbox whose value lives in the URL (?param=value), so a link opens the same view.

    An unknown value in the URL is reported and replaced by the default, never a traceback.
    """
    options = list(options)
    if not options:
        return None
    wanted = st.query_params.get(param)
    if wanted is not None and wanted not in options:
        st.warning(f"Giá trị “{markdown_literal(wanted)}” trong đường dẫn không hợp lệ cho “{label}”; "
                   "đang hiển thị mặc định.")  # the URL is anyone's: a crafted link must not render
        wanted = None
    chosen = wanted or (default if default in options else options[0])
    value = where.selectbox(label, options, index=options.index(chosen), format_func=format_func,
                            key=f"url_{param}")  # fmt: skip
    if st.query_params.get(param) != value:
        st.query_params[param] = value
    return value


def period_select(where=st) -> str | None:
    """The month filter (?ky=YYYY-MM), default the latest month with data."""
    months = store().periods_with_data()
    return url_select("Kỳ báo cáo", list(reversed(months)), "ky", common.default_period(store()),
                      format.month, where)  # fmt: skip


def url_unit() -> str | None:
    """The unit code in ?dv=; a code of the previous unit list is replaced in the URL by the
    official code of the same unit (`common.linked_code`)."""
    wanted = st.query_params.get("dv")
    code = common.linked_code(store(), wanted)
    if code != wanted:
        st.query_params["dv"] = code
    return code


def url_root():
    """The unit in ?dv= when it is one of `common.root_choices`, else the default root."""
    s = store()
    wanted = url_unit()
    return next((u for u in common.root_choices(s) if u.code == wanted), None) or common.root_unit(s)


def root_select(where=st.sidebar):
    """The unit the dashboards are about (?dv=CODE): with a city above several communes, the city
    or any one commune; otherwise the commune itself, with no widget. None on an empty tree."""
    s = store()
    default = common.root_unit(s)
    if default is None:
        return None
    choices = common.root_choices(s)
    if len(choices) <= 1:
        return default
    url_unit()
    by_code = {u.code: u for u in choices}
    code = url_select("Đơn vị", list(by_code), "dv", default.code,
                      lambda c: by_code[c].label if by_code[c].level != "commune" else f"– {by_code[c].label}",
                      where)  # fmt: skip
    return by_code[code]


def indicator_select(where=st, codes: Sequence[str] | None = None) -> str:
    codes = list(codes or [i.code for i in catalog.indicators()])
    return url_select("Chỉ tiêu", codes, "chi_tieu", codes[0],
                      lambda c: f"{c} – {catalog.indicator(c).name_vi}", where)  # fmt: skip


def status_badge(status: str) -> str:
    """Coloured, symbol-led status text (colour is never the only cue)."""
    return (
        f"<span style='background:{STATUS_COLORS[status]};color:white;padding:2px 8px;"
        f"border-radius:10px;font-weight:600;white-space:nowrap'>"
        f"{STATUS_SYMBOLS[status]} {STATUS_VI[status]}</span>"
    )


def empty_state() -> bool:
    """On an empty database, explain how to start; returns True when the page should stop."""
    s = store()
    if s.units() and s.periods_with_data():
        return False
    st.info(
        "Chưa có số liệu. Để bắt đầu:\n\n"
        "1. **Danh mục** → nạp danh sách thôn (tệp CSV: code,name,parent,households,population);\n"
        "2. **Nộp số liệu** → tải biểu mẫu Excel, điền và tải lên;\n"
        "3. hoặc nạp **dữ liệu mẫu** để xem thử ứng dụng."
    )
    if not can("manage_demo"):
        st.caption("Quản trị viên nạp danh sách thôn hoặc dữ liệu mẫu.")
    elif st.button("Nạp dữ liệu mẫu (xã Bình Giang – minh họa)", type="primary", key="load_demo"):
        from indicators.ingest.demo import load_demo

        with st.spinner("Đang nạp dữ liệu mẫu…"):
            load_demo(s, actor())
        st.rerun()
    return True


def demo_banner() -> None:
    if store().has_demo():
        st.caption("⚠️ Đang dùng **dữ liệu mẫu** (minh họa, không phải số liệu thật).")


_OPEN_UNIT = "_map_open_unit"  # the member chosen on a map, opened at the next run


def _open_member(code: str | None) -> None:
    """A callback: the dashboard of `code` opens (the sidebar's unit follows the URL)."""
    if code:
        st.session_state[_OPEN_UNIT] = code
        st.query_params["dv"] = code
        st.session_state.pop("url_dv", None)  # root_select reads ?dv= again


def _chart_choice(key: str) -> None:
    points = st.session_state[key].selection.points if key in st.session_state else []
    codes = [p["customdata"][0] for p in points if p.get("customdata")]
    _open_member(codes[0] if codes else None)


def _select_choice(key: str) -> None:
    _open_member(st.session_state.get(key))


def member_map(view, mode: str, key: str, switch: bool = False) -> None:
    """The map of a level's members (`views.maps.MemberMap`, None: nothing drawn), coloured by
    `mode`, with a select beside it (below it on a phone); choosing a member, on the map or in the
    select, opens its overview (`switch`: from another page)."""
    opened = st.session_state.pop(_OPEN_UNIT, None)
    if opened and switch:
        st.switch_page("pages/overview.py", query_params={"dv": opened, **({"ky": view.period} if view else {})})
    if view is None:
        return
    noun = view.noun
    left, right = st.columns([3, 1])
    with left:
        st.plotly_chart(view.figure(mode), width="stretch", key=f"{key}_chart",
                        on_select=partial(_chart_choice, f"{key}_chart"), selection_mode="points",
                        config=MAP_MODEBAR)  # fmt: skip
        st.caption(f"{view.notice} Chạm vào một {noun} trên bản đồ hoặc chọn bên cạnh để mở trang của {noun}.")
        if view.unmapped_text:
            st.caption(view.unmapped_text)
    with right:
        choices = view.choices
        st.selectbox(f"Mở trang của {noun}", list(choices), index=None, format_func=choices.get,
                     placeholder=f"Chọn {noun}", key=f"{key}_open", on_change=_select_choice,
                     args=(f"{key}_open",))  # fmt: skip
        st.markdown("<br>".join(f"{status_badge(s)} {n} {noun}" for s, n in view.status_counts() if n),
                    unsafe_allow_html=True)  # fmt: skip
