"""Việc của tôi (pages/my_work.py): for each unit an account enters figures for, where this month
stands (not entered, a draft, sent, sent back with the reason, approved), the deadline, and the last
six months at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as _date

import pandas as pd

from indicators import metrics
from indicators.domain import format, periods
from indicators.domain.accounts import Actor
from indicators.domain.entry import Draft
from indicators.domain.units import OrgUnit
from indicators.storage import Store
from indicators.views.common import Deadline, deadline_info, timestamp_text
from indicators.views.entry import entry_units

MONTHS_SHOWN = 6
MAX_CARDS = 60  # a city's thousands of units: the page lists the first, a filter or a commune narrows
# A month's state for the person who enters it; "draft": figures typed and not sent yet
STATE_TEXT = {
    "missing": "Chưa nhập",
    "draft": "Đang nhập nháp",
    "submitted": "Đã gửi, chờ duyệt",
    "returned": "Bị trả lại",
    "approved": "Đã duyệt",
}
# one symbol per state, the review page's, so that colour is never the only cue
STATE_SYMBOL = {"missing": "○", "draft": "✎", "submitted": "◐", "returned": "↩", "approved": "✔"}
FILTERS = {"all": "Tất cả", "todo": "Cần làm", "waiting": "Chờ duyệt", "done": "Đã duyệt"}
_FILTER_STATES = {"todo": {"missing", "draft", "returned"}, "waiting": {"submitted"}, "done": {"approved"}}


def state_label(state: str) -> str:
    return f"{STATE_SYMBOL[state]} {STATE_TEXT[state]}"


@dataclass(frozen=True)
class UnitWork:
    unit: OrgUnit
    period: str
    state: str  # a key of STATE_TEXT
    submitted: int  # figures sent this month
    expected: int
    reason: str  # why it was sent back, when it was
    returned_by: str
    returned_at: str
    deadline: Deadline
    history: list[tuple[str, str]]  # (period, state) of the months before this one, oldest first
    draft: Draft | None

    @property
    def headline(self) -> str:
        """E.g. “◐ Đã gửi, chờ duyệt · 24/26 chỉ tiêu · còn 11 ngày”."""
        parts = [state_label(self.state)]
        if self.submitted:
            parts.append(f"{format.number(self.submitted)}/{format.number(self.expected)} chỉ tiêu")
        if self.draft is not None and self.state in ("draft", "returned"):
            parts.append(f"nháp {format.number(self.draft.filled())} chỉ tiêu, lưu lúc {format.timestamp(self.draft.saved_at)}")
        if self.state in ("missing", "draft", "returned"):
            parts.append(self.deadline.short)
        return " · ".join(parts)

    @property
    def history_text(self) -> str:
        """E.g. “T6 ✔ · T7 ✔ · T8 ◐ · T9 ↩ · T10 ○” (empty for a list too long to show whole)."""
        return " · ".join(f"T{periods.month_number(p)} {STATE_SYMBOL[s]}" for p, s in self.history)

    @property
    def button(self) -> str:
        verb = "Tiếp tục nhập" if self.draft is not None else ("Sửa và gửi lại" if self.state == "returned" else "Nhập số liệu")
        return f"{verb} {format.month(self.period)}"


def _state(row, draft: Draft | None) -> str:
    if row is None:
        return "draft" if draft is not None else "missing"
    state = str(row["state"])
    if draft is not None and state in ("missing", "returned"):
        return "draft" if state == "missing" else "returned"
    return state


def my_work(store: Store, actor: Actor, root: OrgUnit, today: _date) -> list[UnitWork]:
    """One row per unit below `root` the account enters figures for, this month first of all."""
    below = set(metrics.tree(store).subtree(root.code))
    units = [u for u in entry_units(store, actor) if u.code in below]
    if not units:
        return []
    this = periods.period_of(today)
    # the months before this one only for a list that is shown whole (a city admin's thousands of
    # units: this month alone, six times less to read)
    shown = MONTHS_SHOWN if len(units) <= MAX_CARDS else 1
    months = [periods.shift(this, -k) for k in range(shown - 1, -1, -1)]
    tables = {m: metrics.month_review(store, m, root.code).set_index("unit_code").to_dict("index") for m in months}
    drafts = {(d.unit_code, d.period): d for d in store.drafts(actor.label)}
    deadline = deadline_info(this, store.settings().deadline_day, today)
    out = []
    for unit in units:
        rows = {m: tables[m].get(unit.code) for m in months}
        now_row = rows[this]
        draft = drafts.get((unit.code, this))
        returned = now_row is not None and now_row["state"] == "returned"
        out.append(UnitWork(
            unit=unit, period=this, state=_state(now_row, draft),
            submitted=0 if now_row is None else int(now_row["submitted"]),
            expected=0 if now_row is None else int(now_row["expected"]),
            reason=str(now_row["reason"]) if returned else "",
            returned_by=str(now_row["reviewed_by"]) if returned else "",
            returned_at=timestamp_text(now_row["reviewed_at"]) if returned else "",
            deadline=deadline, draft=draft,
            history=[(m, _state(rows[m], drafts.get((unit.code, m)))) for m in months[:-1]],
        ))  # fmt: skip
    return out


def filtered(work: list[UnitWork], choice: str) -> list[UnitWork]:
    if choice not in _FILTER_STATES:
        return work
    return [w for w in work if w.state in _FILTER_STATES[choice]]


def counts_text(work: list[UnitWork]) -> str:
    """E.g. “14 thôn: 3 chưa nhập, 1 bị trả lại, 8 chờ duyệt, 2 đã duyệt”."""
    counts = pd.Series([w.state for w in work]).value_counts()
    parts = [f"{format.number(int(counts[s]))} {STATE_TEXT[s].lower()}" for s in STATE_TEXT if s in counts]
    return f"{format.number(len(work))} đơn vị: " + ", ".join(parts)
