"""Nhập số liệu: one unit's month typed on a phone, by task group; every change kept as a draft,
checked as the file import checks, sent as one batch."""

import streamlit as st

from indicators.domain import clock, format
from indicators.domain.entry import EntryFigure
from indicators.domain.errors import PermissionDenied, StoreError
from indicators.domain.text import markdown_literal
from indicators.views import entry, upload
from pages._shared import actor, require_page, store, url_select

st.title("Nhập số liệu")
require_page("import", "Nhập số liệu")
s = store()
units = entry.entry_units(s, actor())
if not units:
    st.info("Tài khoản chưa được giao thôn hay xã nào để nhập số liệu. Nhờ quản trị viên giao đơn vị ở trang Tài khoản.")
    st.stop()
wanted = st.query_params.get("dv")
if wanted is not None:
    try:
        entry.check_unit(s, actor(), wanted)
    except PermissionDenied as exc:
        st.error(markdown_literal(exc), icon=":material/block:")
        st.stop()
names = {u.code: u.label for u in units}
code = url_select("Đơn vị", list(names), "dv", units[0].code, names.get)
today = clock.today()
period = url_select("Kỳ báo cáo", upload.template_periods(today), "ky", None, format.month)
form = entry.entry_form(s, actor(), entry.check_unit(s, actor(), code), period, today)
prefix = f"entry_{code}_{period}_"  # the widgets of another unit or month keep their own values


def _key(item_code: str, part: str) -> str:
    return f"{prefix}{item_code}_{part}"


# The fields' values live in the session; a field missing there (the form just opened, or the page
# was left, which drops its widgets' state) takes the draft's value, the month's as sent, or an offer.
opening = not any(str(k).startswith(prefix) and not str(k).endswith(("saved_at", "save_error")) for k in st.session_state)
for item_code, fig in form.start().items():
    if entry.is_yes_no(item_code) and fig.numerator is not None:
        st.session_state.setdefault(_key(item_code, "answer"), "Có" if fig.numerator else "Chưa")
    for part in ("numerator", "denominator", "value", "note"):
        value = getattr(fig, part)
        if value not in (None, ""):
            st.session_state.setdefault(_key(item_code, part), int(value) if isinstance(value, float) else value)
if opening and form.draft is not None:
    st.session_state[f"{prefix}saved_at"] = form.draft.saved_at
    st.info(f"Đã mở lại bản nháp chưa gửi ({form.draft.saved_text[0].lower()}{form.draft.saved_text[1:]}).",
            icon=":material/restore:")  # fmt: skip


def _typed() -> dict[str, EntryFigure]:
    figures = {}
    for f in form.fields:
        code_ = f.item.code
        if f.item.is_yes_no:
            answer = st.session_state.get(_key(code_, "answer"))
            figures[code_] = EntryFigure(numerator=None if answer is None else int(answer == "Có"),
                                         note=st.session_state.get(_key(code_, "note")) or "")  # fmt: skip
        else:
            figures[code_] = EntryFigure(**{part: st.session_state.get(_key(code_, part))
                                            for part in ("numerator", "denominator", "value", "note")})  # fmt: skip
    return figures


def _save() -> None:
    """Every change is kept on the server at once: a closed tab or a dropped connection loses nothing."""
    try:
        saved = s.save_draft(actor(), code, period, _typed())
    except (StoreError, PermissionDenied) as exc:
        st.session_state[f"{prefix}save_error"] = str(exc)
    else:
        st.session_state[f"{prefix}saved_at"] = saved
        st.session_state.pop(f"{prefix}save_error", None)


for kind_, text in st.session_state.pop("entry_flash", []):
    getattr(st, kind_)(text)

figures = _typed()
checked = entry.check(s, actor(), form, figures, clock.now())
saved_at = st.session_state.get(f"{prefix}saved_at")
st.caption(f"{markdown_literal(form.unit.label)} · {form.deadline.text}"
           + (f" · Đã lưu nháp lúc {saved_at:%H:%M}" if saved_at else ""))  # fmt: skip
if st.session_state.get(f"{prefix}save_error"):
    st.error(f"Chưa lưu được nháp: {markdown_literal(st.session_state[f'{prefix}save_error'])}")
closed = upload.closed_refusal(checked.report)  # a closed month: sent only with a reason
for issue in checked.general:
    getattr(st, "error" if issue.severity == "error" else "warning")(markdown_literal(issue.message))

def _open_only(index: int) -> None:
    """Sections open one at a time: opening one closes the others."""
    if st.session_state.get(f"{prefix}section_{index}"):
        for j in range(len(form.sections)):
            if j != index:
                st.session_state[f"{prefix}section_{j}"] = False


# The first section left to fill opens with the form. A section's label and initial state must not
# change while it is used: Streamlit would take it for a new section and close it.
first_open = st.session_state.setdefault(
    f"{prefix}first_open",
    next((i for i, sec in enumerate(form.sections) if sec.filled(figures) < len(sec.fields)), 0),
)
st.progress(form.filled(figures) / max(len(form.fields), 1),
            text=f"Đã nhập {form.filled(figures)}/{len(form.fields)} chỉ tiêu")  # fmt: skip
for i, section in enumerate(form.sections):
    with st.expander(section.title, expanded=i == first_open, key=f"{prefix}section_{i}", on_change=_open_only,
                     args=(i,)):  # fmt: skip
        st.caption(f"Đã nhập {section.filled(figures)}/{len(section.fields)} chỉ tiêu của nhóm này")
        for f in section.fields:
            item = f.item
            st.markdown(f"**{item.name_vi}**")
            if item.is_yes_no:
                st.segmented_control(entry.yes_no_question(item), ["Có", "Chưa"], key=_key(item.code, "answer"),
                                     on_change=_save)  # fmt: skip
            elif item.is_ratio:
                st.number_input(entry.numerator_label(item), min_value=0, step=1, value=None,
                                key=_key(item.code, "numerator"), on_change=_save)  # fmt: skip
                offered = " (lấy từ tháng trước, sửa nếu đã thay đổi)" if f.offered_denominator is not None else ""
                st.number_input(entry.denominator_label(item) + offered, min_value=0, step=1, value=None,
                                key=_key(item.code, "denominator"), on_change=_save)  # fmt: skip
            else:
                st.number_input(entry.count_label(item), min_value=0, step=1, value=None,
                                key=_key(item.code, "value"), on_change=_save)  # fmt: skip
            st.caption(f.last_text)
            for part in ("numerator", "denominator", "value", "note", ""):
                for issue in checked.issues_of(item.code, part):
                    text = entry.issue_text(issue.message, item, form.unit)
                    (st.error if issue.severity == "error" else st.warning)(text)
            st.text_input("Ghi chú", key=_key(item.code, "note"), on_change=_save, max_chars=500,
                          placeholder="Không bắt buộc")  # fmt: skip

st.subheader("Gửi số liệu")
missing = form.missing_text(figures)
errors = [] if closed else checked.errors
reason = None
if closed:
    reason = st.text_input(upload.LATE_REASON_LABEL, key=f"{prefix}late_reason", help=upload.LATE_REASON_HELP,
                           max_chars=upload.LATE_REASON_MAX)  # fmt: skip
if errors:
    st.error(f"Còn {format.number(len(errors))} lỗi cần sửa (ghi ngay dưới ô nhập) trước khi gửi.")
elif missing and form.filled(figures):
    st.warning(f"{missing[:1].upper()}{missing[1:]}: có thể gửi phần đã nhập và gửi tiếp phần còn lại sau.")
if st.button("Gửi phần đã nhập" if missing else "Gửi số liệu", type="primary", disabled=bool(errors) or not form.filled(figures),
             icon=":material/send:", key="entry_send", width="stretch"):  # fmt: skip
    sent = entry.send(s, actor(), form, _typed(), clock.now(), reason=reason or None)
    kind, text = entry.sent_message(sent, form)
    if kind == "error":
        st.error(text)
    else:
        for key in [k for k in st.session_state if str(k).startswith(prefix)]:
            del st.session_state[key]
        st.session_state["entry_flash"] = [(kind, text)]
        st.rerun()
st.page_link("pages/hamlets.py", label=f"Xem số liệu của {markdown_literal(form.unit.label)}", icon=":material/holiday_village:",
             query_params={"thon": code, "ky": period})  # fmt: skip
