"""Nhập số liệu: one unit's month typed on a phone, by task group; every change kept as a draft,
checked as the file import checks, sent as one batch."""

import streamlit as st

from indicators.domain import clock, format
from indicators.domain.entry import EntryFigure
from indicators.domain.errors import PermissionDenied, StoreError
from indicators.domain.text import markdown_literal
from indicators.views import entry, upload
from pages._shared import actor, require_page, store, url_select, url_unit

st.title("Nhập số liệu")
require_page("import", "Nhập số liệu")
s = store()
units = entry.entry_units(s, actor())
if not units:
    st.info("Tài khoản chưa được giao thôn hay xã nào để nhập số liệu. Nhờ quản trị viên giao đơn vị ở trang Tài khoản.")
    st.stop()
wanted = url_unit()
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
flash_key = f"entry_sent_{code}_{period}"  # kept apart from the fields, which are cleared once sent


def _key(item_code: str, part: str) -> str:
    return f"{prefix}{item_code}_{part}"


# The fields' values live in the session; a field missing there (the form just opened, or the page
# was left, which drops its widgets' state) takes the draft's value, the month's as sent, or an offer.
opening = not any(str(k).startswith(prefix) and not str(k).endswith(("saved_at", "save_error")) for k in st.session_state)
for item_code, fig in form.start().items():
    if entry.is_yes_no(item_code) and fig.numerator is not None:
        st.session_state.setdefault(_key(item_code, "answer"), "Có" if fig.numerator else "Chưa")
    for part in ("numerator", "denominator", "value"):
        if getattr(fig, part) is not None:
            st.session_state.setdefault(_key(item_code, part), entry.field_text(getattr(fig, part)))
    if fig.note:
        st.session_state.setdefault(_key(item_code, "note"), fig.note)
if opening and form.draft is not None:
    st.session_state[f"{prefix}saved_at"] = form.draft.saved_at
    st.info(f"Đã mở lại bản nháp chưa gửi ({form.draft.saved_text[0].lower()}{form.draft.saved_text[1:]}).",
            icon=":material/restore:")  # fmt: skip


def _typed() -> tuple[dict[str, EntryFigure], dict[tuple[str, str], str]]:
    """The figures typed, and what is wrong with the fields that hold no number ({(code, part): text})."""
    figures, unreadable = {}, {}
    for f in form.fields:
        code_ = f.item.code
        note = st.session_state.get(_key(code_, "note")) or ""
        if f.item.is_yes_no:
            answer = st.session_state.get(_key(code_, "answer"))
            figures[code_] = EntryFigure(numerator=None if answer is None else int(answer == "Có"), note=note)
            continue
        numbers = {}
        for part in ("numerator", "denominator", "value"):
            numbers[part], problem = entry.read_number(st.session_state.get(_key(code_, part)))
            if problem:
                unreadable[code_, part] = problem
        figures[code_] = EntryFigure(**numbers, note=note)
    return figures, unreadable


def _save() -> None:
    """Every change is kept on the server at once: a closed tab or a dropped connection loses nothing."""
    try:
        saved = s.save_draft(actor(), code, period, _typed()[0])
    except (StoreError, PermissionDenied) as exc:
        st.session_state[f"{prefix}save_error"] = str(exc)
    else:
        st.session_state[f"{prefix}saved_at"] = saved
        st.session_state.pop(f"{prefix}save_error", None)
        st.session_state.pop(flash_key, None)  # what was sent is said until the next change


figures, unreadable = _typed()
checked = entry.check(s, actor(), form, figures, clock.now())
saved_at = st.session_state.get(f"{prefix}saved_at")
st.caption(f"{markdown_literal(form.unit.label)} · {form.deadline.text}"
           + (f" · Đã lưu nháp lúc {saved_at:%H:%M}" if saved_at else ""))  # fmt: skip
if st.session_state.get(f"{prefix}save_error"):
    st.error(f"Chưa lưu được nháp: {markdown_literal(st.session_state[f'{prefix}save_error'])}")
closed = upload.closed_refusal(checked.report)  # a closed month: sent only with a reason
for issue in checked.general:
    getattr(st, "error" if issue.severity == "error" else "warning")(markdown_literal(issue.message))

def _number_field(label: str, item_code: str, part: str) -> None:
    """A text field with the phone's number keypad: a number field would turn “1.350” into 1."""
    st.text_input(label, key=_key(item_code, part), on_change=_save, type="phone", icon=":material/123:",
                  placeholder="Nhập số", autocomplete="off", live="500ms")  # fmt: skip


def _open_only(index: int) -> None:
    """Sections open one at a time: opening one closes the others."""
    if st.session_state.get(f"{prefix}section_{index}"):
        for j in range(len(form.sections)):
            if j != index:
                st.session_state[f"{prefix}section_{j}"] = False
        st.session_state[f"{prefix}scroll_to"] = index


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
                st.segmented_control(entry.yes_no_question(item), ["Có", "Chưa"], key=_key(item.code, "answer"), width="stretch",
                                     on_change=_save)  # fmt: skip
            elif item.is_ratio:
                _number_field(entry.numerator_label(item), item.code, "numerator")
                offered = " (lấy từ tháng trước, sửa nếu đã thay đổi)" if f.offered_denominator is not None else ""
                _number_field(entry.denominator_label(item) + offered, item.code, "denominator")
            else:
                _number_field(entry.count_label(item), item.code, "value")
            st.caption(f.last_text)
            for part in ("numerator", "denominator", "value"):
                if (item.code, part) in unreadable:
                    st.error(unreadable[item.code, part])
            for part in ("numerator", "denominator", "value", "note", ""):
                for issue in checked.issues_of(item.code, part):
                    text = entry.issue_text(issue, item, form.unit, noted=bool(figures[item.code].note))
                    (st.error if issue.severity == "error" else st.warning)(text)
            st.text_input("Ghi chú", key=_key(item.code, "note"), on_change=_save, max_chars=500,
                          placeholder="Không bắt buộc")  # fmt: skip
scroll_to = st.session_state.pop(f"{prefix}scroll_to", None)
if scroll_to is not None:
    # The section closed above the one just opened leaves the phone's screen further down, past the
    # new section's first fields: bring its title to the top, clear of the app's top bar (about 60 px).
    # The sections above close when the server's answer arrives, later on a busy server: keep looking
    # for two seconds, and stop at once if the user touches or scrolls (never pull the page from them).
    st.html(f"""<script>(() => {{
                  const started = Date.now();
                  let touched = false;
                  for (const event of ["touchstart", "wheel", "keydown", "mousedown"])
                      window.addEventListener(event, () => {{ touched = true; }}, {{once: true, passive: true}});
                  const bring = () => {{
                      if (touched) return;
                      const section = document.querySelector(".st-key-{prefix}section_{scroll_to}");
                      const top = section?.getBoundingClientRect().top;
                      if (section && !(top >= 60 && top <= window.innerHeight / 2)) {{
                          section.style.scrollMarginTop = "70px";
                          section.scrollIntoView({{block: "start"}});
                      }}
                      if (Date.now() - started < 2000) setTimeout(bring, 100);
                  }};
                  setTimeout(bring, 50);
                }})()</script>""", unsafe_allow_javascript=True)  # fmt: skip

st.subheader("Gửi số liệu")
missing = form.missing_text(figures)
errors = [] if closed else checked.errors + list(unreadable.values())
reason = None
if closed:
    reason = st.text_input(upload.LATE_REASON_LABEL, key=f"{prefix}late_reason", help=upload.LATE_REASON_HELP,
                           max_chars=upload.LATE_REASON_MAX)  # fmt: skip
unsent = form.unsent(figures)
confirmed = True
if form.unchecked_offers(figures) and not errors:
    confirmed = st.checkbox("Các mẫu số lấy từ tháng trước vẫn đúng tháng này", key=f"{prefix}offers_checked")
    st.caption(f"{form.offers_list(figures)}. Nếu số nào đã thay đổi, sửa ở ô nhập.")
if errors:
    st.error(f"Còn {format.number(len(errors))} lỗi cần sửa (ghi ngay dưới ô nhập) trước khi gửi.")
elif form.filled(figures) and not unsent:
    st.caption("Các số trên đã được gửi. Sửa số nào thì bấm gửi lại.")
else:
    if warnings := entry.warnings_text(checked, form, figures):
        st.warning(warnings)
    if missing and form.filled(figures):
        st.info(f"{missing[:1].upper()}{missing[1:]}: có thể gửi phần đã nhập và gửi tiếp phần còn lại sau.")
if not confirmed:
    st.caption("Để gửi: đánh dấu ô “Các mẫu số lấy từ tháng trước vẫn đúng tháng này” ở trên.")
sendable = not errors and confirmed and bool(unsent)
if st.button("Gửi phần đã nhập" if missing else "Gửi số liệu", type="primary", disabled=not sendable,
             icon=":material/send:", key="entry_send", width="stretch"):  # fmt: skip
    sent = entry.send(s, actor(), form, figures, clock.now(), reason=reason or None)
    kind, text = entry.sent_message(sent, form)
    if kind == "error":
        st.error(text)
    else:
        for key in [k for k in st.session_state if str(k).startswith(prefix)]:
            del st.session_state[key]
        st.session_state[flash_key] = [(kind, text)]
        st.rerun()
# After “Gửi” the page runs again from the top; what was stored is said here, beside the button pressed.
for kind_, text in st.session_state.get(flash_key, []):
    getattr(st, kind_)(text)
st.page_link("pages/hamlets.py", label=f"Xem số liệu của {markdown_literal(form.unit.label)}", icon=":material/holiday_village:",
             query_params={"thon": code, "ky": period})  # fmt: skip
