"""The submissions page (Tình hình nộp báo cáo, pages/submissions.py): who sent the month's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as _date

import pandas as pd

from indicators import metrics
from indicators.domain import format, periods
from indicators.domain.units import OrgUnit
from indicators.render.charts import SUBMISSION_SYMBOLS
from indicators.storage import Store
from indicators.storage.memo import by_data_version
from indicators.views.common import Deadline, approved_line, deadline_info, timestamp_text

_SUBMISSION_ORDER = {"missing": 0, "partial": 1, "late": 2, "on_time": 3}


def submission_periods(store: Store, today: _date) -> list[str]:
    """Months to follow, newest first: this year's up to this month, and every month with data."""
    months = set(periods.months_between(f"{today.year:04d}-01", periods.period_of(today)))
    months |= set(store.periods_with_data())
    return sorted((m for m in months if m <= periods.period_of(today)), reverse=True)


@dataclass
class SubmissionsView:
    period: str
    root: OrgUnit
    deadline: Deadline
    completeness: pd.DataFrame  # metrics.completeness of the month
    members: pd.DataFrame | None = None  # a city's communes: metrics.completeness_by_member
    approved: str = ""  # “12/14 thôn đã duyệt” (a commune only)

    def _hamlets(self) -> pd.DataFrame:
        if self.completeness.empty:
            return self.completeness
        return self.completeness[self.completeness["level"] == "hamlet"]

    @property
    def hamlets_total(self) -> int:
        return len(self._hamlets())

    @property
    def hamlets_on_time(self) -> int:
        part = self._hamlets()
        return int((part["status"] == "on_time").sum()) if len(part) else 0

    @property
    def hamlets_submitted(self) -> int:
        part = self._hamlets()
        return int((part["submitted"] > 0).sum()) if len(part) else 0

    @property
    def headline(self) -> str:
        """The page's headline, e.g. “11/14 thôn đã nộp đúng hạn” (hamlets only)."""
        on_time, total = format.number(self.hamlets_on_time), format.number(self.hamlets_total)
        return f"{on_time}/{total} thôn đã nộp đúng hạn"

    def status_counts(self) -> dict[str, int]:
        """Units (hamlets and the commune) per submission status, in the order of the legend."""
        counts = self.completeness["status"].value_counts() if not self.completeness.empty else {}
        return {status: int(counts.get(status, 0)) for status in metrics.SUBMISSION_STATUS_VI}

    @property
    def summary(self) -> str:
        parts = [f"{SUBMISSION_SYMBOLS[s]} {metrics.SUBMISSION_STATUS_VI[s]}: {format.number(n)}"
                 for s, n in self.status_counts().items()]  # fmt: skip
        return "Tất cả đơn vị (các thôn và xã): " + " · ".join(parts) + "."

    @property
    def table_title(self) -> str:
        noun = "Từng đơn vị cấp xã" if self.members is not None else "Từng đơn vị"
        return f"{noun} – {format.month(self.period)}"

    def table(self) -> pd.DataFrame:
        """A row per reporting unit of a commune; a city's thousands of hamlets, a row per commune."""
        if self.members is not None:
            return member_submission_table(self.members)
        return submission_table(self.completeness)


def submission_status_text(status: str) -> str:
    return f"{SUBMISSION_SYMBOLS[status]} {metrics.SUBMISSION_STATUS_VI[status]}"


@by_data_version()
def submissions_view(store: Store, period: str, root: OrgUnit, today: _date) -> SubmissionsView:
    completeness = metrics.completeness(store, period, root.code)
    city = metrics.member_level(store, root.code) == "commune"
    return SubmissionsView(
        period=period,
        root=root,
        deadline=deadline_info(period, store.settings().deadline_day, today),
        completeness=completeness,
        members=metrics.completeness_by_member(store, period, root.code, completeness) if city else None,
        approved=approved_line(store, period, root.code),
    )


MISSING_NAMES_SHOWN = 5  # hamlets named in a commune's row; the rest are counted


def member_submission_table(members: pd.DataFrame) -> pd.DataFrame:
    """One row per commune of a city (`metrics.completeness_by_member`), the ones to remind first."""
    columns = ["Đơn vị", "Tình trạng", "Thôn đã nộp", "Chỉ tiêu đã nộp", "Đúng hạn", "Muộn", "Chưa nộp",
               "Nhận lần cuối", "Thôn chưa nộp", "status"]  # fmt: skip
    if members.empty:
        return pd.DataFrame(columns=columns)
    data = members.assign(order=members["status"].map(_SUBMISSION_ORDER)).sort_values("order", kind="stable")
    rows = []
    for r in data.itertuples(index=False):
        silent = list(r.hamlets_missing)
        named = ", ".join(silent[:MISSING_NAMES_SHOWN])
        more = len(silent) - MISSING_NAMES_SHOWN
        rows.append(
            {
                "Đơn vị": r.unit_name,
                "Tình trạng": submission_status_text(r.status),
                "Thôn đã nộp": f"{format.number(r.hamlets_submitted)}/{format.number(r.hamlets)}",
                "Chỉ tiêu đã nộp": f"{format.number(r.submitted)}/{format.number(r.expected)}",
                "Đúng hạn": format.number(r.on_time),
                "Muộn": format.number(r.late),
                "Chưa nộp": format.number(r.missing),
                "Nhận lần cuối": timestamp_text(r.last_received_at),
                "Thôn chưa nộp": named + (f" và {format.number(more)} thôn khác" if more > 0 else ""),
                "status": r.status,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def submission_table(completeness: pd.DataFrame) -> pd.DataFrame:
    """One row per reporting unit, the units that need a reminder first."""
    columns = ["Đơn vị", "Tình trạng", "Đã nộp", "Đúng hạn", "Muộn", "Chưa nộp", "Nhận lần cuối",
               "Chỉ tiêu còn thiếu", "status"]  # fmt: skip
    if completeness.empty:
        return pd.DataFrame(columns=columns)
    data = completeness.assign(order=completeness["status"].map(_SUBMISSION_ORDER),
                               commune=completeness["level"] != "hamlet")  # fmt: skip
    data = data.sort_values(["order", "commune"], kind="stable")
    rows = []
    for r in data.itertuples(index=False):
        rows.append(
            {
                "Đơn vị": r.unit_name,
                "Tình trạng": submission_status_text(r.status),
                "Đã nộp": f"{format.number(r.submitted)}/{format.number(r.expected)}",
                "Đúng hạn": format.number(r.on_time),
                "Muộn": format.number(r.late),
                "Chưa nộp": format.number(r.missing),
                "Nhận lần cuối": timestamp_text(r.last_received_at),
                "Chỉ tiêu còn thiếu": (
                    "Tất cả" if not r.submitted else ", ".join(r.missing_codes) if r.missing else ""
                ),
                "status": r.status,
            }
        )
    return pd.DataFrame(rows, columns=columns)
