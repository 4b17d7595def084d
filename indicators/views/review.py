"""The review page (Duyệt số liệu, pages/review.py): each unit's month, its state, and what may be
approved or sent back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as _date
from datetime import datetime

import pandas as pd

from indicators import metrics
from indicators.domain import format
from indicators.domain.accounts import Actor, approvable_units
from indicators.domain.review import STATE_VI
from indicators.domain.settings import Settings
from indicators.domain.units import OrgUnit
from indicators.storage import Store
from indicators.storage.memo import by_data_version
from indicators.views.common import Deadline, approved_text, deadline_info, timestamp_text

# One symbol per state, so that colour is never the only cue (the same on every page)
STATE_SYMBOLS = {"missing": "○", "submitted": "◐", "returned": "↩", "approved": "✔"}
# Which rows come first: what waits for a look, then what was sent back, then the rest
_STATE_ORDER = {"submitted": 0, "returned": 1, "missing": 2, "approved": 3}
_SENT = {"on_time": "đúng hạn", "late": "có chỉ tiêu nộp muộn", "partial": "chưa đủ chỉ tiêu", "missing": ""}


def state_text(state: str) -> str:
    return f"{STATE_SYMBOLS[state]} {STATE_VI[state]}"


@dataclass
class ReviewView:
    period: str
    root: OrgUnit
    deadline: Deadline
    units: pd.DataFrame  # metrics.month_review of the month
    parents: dict[str, str | None]  # every unit's parent, for who may approve what
    levels: dict[str, str]

    @property
    def headline(self) -> str:
        """E.g. “12/14 thôn đã duyệt”."""
        return approved_text(self.units)

    def changed_names(self, codes: list[str]) -> list[str]:
        """The names of the units among `codes` with figures changed since their last approval."""
        rows = self.units[self.units["unit_code"].isin(codes) & (self.units["changed_since_approval"] > 0)]
        return list(rows["unit_name"])

    def counts(self) -> dict[str, int]:
        """Units (hamlets and the commune) per state."""
        return metrics.state_counts(self.units, level=None) if len(self.units) else dict.fromkeys(STATE_VI, 0)

    @property
    def summary(self) -> str:
        return " · ".join(f"{state_text(s)}: {format.number(n)}" for s, n in self.counts().items()) + "."

    def waiting(self, actor: Actor) -> list[str]:
        """The units in state "submitted" that `actor` may approve, those changed after an earlier
        approval first (they want a look)."""
        allowed = approvable_units(actor, self.parents, self.levels)
        rows = self.units[self.units["state"] == "submitted"]
        if allowed is not None:
            rows = rows[rows["unit_code"].isin(allowed)]
        rows = rows.sort_values("changed_since_approval", ascending=False, kind="stable")
        return list(rows["unit_code"])

    def reviewable(self, actor: Actor) -> list[str]:
        """Units with figures this month that `actor` may approve or send back."""
        allowed = approvable_units(actor, self.parents, self.levels)
        rows = self.units[self.units["state"] != "missing"]
        if allowed is not None:
            rows = rows[rows["unit_code"].isin(allowed)]
        return list(rows["unit_code"])

    def names(self) -> dict[str, str]:
        return dict(zip(self.units["unit_code"], self.units["unit_name"]))

    def table(self) -> pd.DataFrame:
        """One row per reporting unit, what waits for a look first."""
        columns = ["Đơn vị", "Trạng thái", "Đã nộp", "Nhận lần cuối", "Thay đổi sau khi duyệt", "Lý do trả lại",
                   "Người duyệt", "Lúc duyệt", "state"]  # fmt: skip
        if self.units.empty:
            return pd.DataFrame(columns=columns)
        data = self.units.assign(order=self.units["state"].map(_STATE_ORDER),
                                 commune=self.units["level"] != "hamlet")  # fmt: skip
        rows = []
        for r in data.sort_values(["order", "commune"], kind="stable").itertuples(index=False):
            sent = f"{format.number(r.submitted)}/{format.number(r.expected)} chỉ tiêu"
            if _SENT.get(r.status):
                sent += f", {_SENT[r.status]}"
            rows.append({
                "Đơn vị": r.unit_name,
                "Trạng thái": state_text(r.state),
                "Đã nộp": sent if r.submitted else "–",
                "Nhận lần cuối": timestamp_text(r.last_received_at),
                "Thay đổi sau khi duyệt": (
                    f"{format.number(r.changed_since_approval)} số liệu" if r.changed_since_approval else ""
                ),
                "Lý do trả lại": r.reason if r.state == "returned" else "",
                "Người duyệt": r.reviewed_by if r.state in ("approved", "returned") else "",
                "Lúc duyệt": timestamp_text(r.reviewed_at) if r.state in ("approved", "returned") else "",
                "state": r.state,
            })  # fmt: skip
        return pd.DataFrame(rows, columns=columns)


@by_data_version()
def review_view(store: Store, period: str, root: OrgUnit, today: _date) -> ReviewView:
    units = store.units()
    return ReviewView(
        period=period,
        root=root,
        deadline=deadline_info(period, store.settings().deadline_day, today),
        units=metrics.month_review(store, period, root.code),
        parents={u.code: u.parent for u in units},
        levels={u.code: u.level for u in units},
    )


def lock_note(store: Store, period: str, root: OrgUnit, now: datetime) -> str | None:
    """Why the month is closed for `root` (its report issued, or the auto-close day passed), or
    None while figures may still come in without a reason. Not memoized: the auto-close depends on `now`."""
    return store.closed_for({(period, root.code)}, now).get((period, root.code))


def cycle_settings(settings: Settings, deadline_day: int, report_day: int, auto_close_day: int | None) -> Settings:
    """The settings with the monthly cycle's days changed. ValueError (in Vietnamese) if a day is not
    1–28, the report is due before the units' deadline, or months would close before it."""
    for label, day in (("Hạn nộp", deadline_day), ("Ngày báo cáo", report_day), ("Ngày tự khóa", auto_close_day)):
        if day is not None and not 1 <= day <= 28:
            raise ValueError(f"{label} phải là một ngày từ 1 đến 28 (tháng nào cũng có), không phải {day}.")
    if report_day < deadline_day:
        raise ValueError(f"Ngày báo cáo ({report_day}) không được trước hạn nộp của các đơn vị ({deadline_day}).")
    if auto_close_day is not None and auto_close_day < deadline_day:
        raise ValueError(f"Ngày tự khóa ({auto_close_day}) không được trước hạn nộp ({deadline_day}): "
                         "các đơn vị sẽ không kịp nộp.")  # fmt: skip
    return settings.model_copy(
        update={"deadline_day": deadline_day, "report_day": report_day, "auto_close_day": auto_close_day}
    )


def cycle_text(settings: Settings) -> str:
    """The monthly cycle in one line, e.g. “Thôn nộp trước hết ngày 18, xã báo cáo thành phố ngày 20;
    tháng chỉ khóa khi phát hành báo cáo.”"""
    text = f"Đơn vị nộp đến hết ngày {settings.deadline_day}, xã báo cáo ngày {settings.report_day} hằng tháng; "
    if settings.auto_close_day:
        return text + f"tháng tự khóa sau ngày {settings.auto_close_day} (hoặc khi phát hành báo cáo)."
    return text + "tháng chỉ khóa khi phát hành báo cáo."


def approval_message(count: int, names: list[str]) -> str:
    shown = ", ".join(names[:5]) + (f" và {format.number(len(names) - 5)} đơn vị khác" if len(names) > 5 else "")
    return f"Đã duyệt số liệu của {format.number(count)} đơn vị: {shown}."


MAX_WARNINGS_LISTED = 5  # warning texts shown per import batch; the rest are counted


def whole(value) -> int:
    """A count of a review row (NaN or None: 0)."""
    return 0 if value is None or pd.isna(value) else int(value)


def review_notes(store: Store, period: str, rows: pd.DataFrame) -> list[str]:
    """What a reviewer should know about the months about to be approved: figures missing, sent
    late or changed since the last approval, and the warnings of the import batches that carry
    their current figures (a batch may hold figures of several units: listed once)."""
    notes = []
    for r in rows.itertuples():
        unit = f"{r.unit_code} {r.unit_name}"
        expected, changed, late = whole(r.expected), whole(r.changed_since_approval), whole(r.late)
        if changed:
            notes.append(f"{unit}: {format.number(changed)} số liệu thay đổi sau lần duyệt trước")
        if expected > whole(r.submitted):
            missing = expected - whole(r.submitted)
            notes.append(f"{unit}: còn thiếu {format.number(missing)}/{format.number(expected)} số liệu")
        if late:
            notes.append(f"{unit}: {format.number(late)} số liệu nộp sau hạn")
    codes = list(rows["unit_code"])
    current = store.current_submissions(periods=[period], unit_codes=codes) if codes else pd.DataFrame()
    carried: dict[int, set[str]] = {}
    for batch_id, code in zip(current.get("batch_id", []), current.get("unit_code", [])):
        carried.setdefault(int(batch_id), set()).add(code)
    # the month's batches in one query (a city's month has thousands), by id
    batches = store.batches(period=period) if carried else pd.DataFrame(columns=["id", "file_name", "warnings"])
    found = dict(zip(batches["id"].astype(int), zip(batches["file_name"], batches["warnings"])))
    for batch_id in sorted(carried):
        file_name, warnings = found.get(batch_id, ("", []))
        if not warnings:
            continue
        notes.append(f"lô #{batch_id} ({file_name}, số liệu của {', '.join(sorted(carried[batch_id]))}): "
                     f"{format.number(len(warnings))} cảnh báo khi nhập")  # fmt: skip
        notes += [f"    {text}" for text in warnings[:MAX_WARNINGS_LISTED]]
        if len(warnings) > MAX_WARNINGS_LISTED:
            notes.append(f"    … và {format.number(len(warnings) - MAX_WARNINGS_LISTED)} cảnh báo khác")
    return notes
