"""The overview page (Tổng quan, pages/overview.py): headline indicators, trends, completeness."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date as _date

import pandas as pd

from indicators import metrics
from indicators.domain import catalog, clock, periods
from indicators.domain.units import OrgUnit
from indicators.storage import Store
from indicators.storage.memo import by_data_version
from indicators.views.common import approved_line, member_table, task_register


@dataclass
class Overview:
    period: str
    root: OrgUnit
    headline: pd.DataFrame  # the six headline indicators, one row each
    indicators: pd.DataFrame  # every indicator for the root
    series: dict[str, pd.DataFrame] = field(default_factory=dict)  # headline code -> monthly
    completeness: pd.DataFrame = field(default_factory=pd.DataFrame)
    behind: pd.DataFrame = field(default_factory=pd.DataFrame)
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    overdue_tasks: pd.DataFrame = field(default_factory=pd.DataFrame)  # task register rows
    approved: str = ""  # “12/14 thôn đã duyệt” (a commune only)
    coverage: dict[str, str] = field(default_factory=dict)  # headline code -> what its figure covers


    @property
    def hamlets_total(self) -> int:
        return int((self.completeness["level"] == "hamlet").sum()) if not self.completeness.empty else 0

    @property
    def hamlets_on_time(self) -> int:
        if self.completeness.empty:
            return 0
        hamlets = self.completeness[self.completeness["level"] == "hamlet"]
        return int((hamlets["status"] == "on_time").sum())

    @property
    def not_sent(self) -> list[str]:
        """The names of the hamlets with no figure of the month yet (listed as such, never as slowest)."""
        if self.completeness.empty:
            return []
        rows = self.completeness[(self.completeness["level"] == "hamlet") & (self.completeness["submitted"] == 0)]
        return list(rows["unit_name"])

    @property
    def hamlets_submitted(self) -> int:
        if self.completeness.empty:
            return 0
        hamlets = self.completeness[self.completeness["level"] == "hamlet"]
        return int((hamlets["submitted"] > 0).sum())


@by_data_version()
def overview(store: Store, period: str, root: OrgUnit, today: _date | None = None) -> Overview:
    table = metrics.commune_summary(store, period, root.code)
    headline = table.set_index("indicator_code").loc[list(catalog.HEADLINE_CODES)].reset_index()
    year = periods.year_of(period)
    monthly = metrics.monthly_values(store, year, period, [root.code])
    series = {code: metrics.series_from(monthly, code, year, [root.code]) for code in catalog.HEADLINE_CODES}
    completeness = metrics.completeness(store, period, root.code)
    members = member_table(store, period, root.code)  # shared with the map of a city's communes
    behind = metrics.members_behind(store, period, root.code, limit=len(completeness) or 5, table=members)
    if not completeness.empty:  # a hamlet that has not sent is not sent, not slow
        unsent = completeness[(completeness["level"] == "hamlet") & (completeness["submitted"] == 0)]
        behind = behind[~behind["unit_code"].isin(unsent["unit_code"])]
    return Overview(
        period=period,
        root=root,
        headline=headline,
        indicators=table,
        series=series,
        completeness=completeness,
        behind=behind.head(5).reset_index(drop=True),
        groups=metrics.group_progress(store, period, root.code, table),
        overdue_tasks=overdue_tasks(store, today or clock.today(), root),
        approved=approved_line(store, period, root.code),
        coverage=headline_coverage(members, root),
    )


def headline_coverage(members: pd.DataFrame, root: OrgUnit) -> dict[str, str]:
    """What each headline figure is made of: “13/14 thôn đã nộp” (hamlets with a figure of the
    month; the others are not in it), or “Số liệu cấp xã” for an indicator the commune reports."""
    noun = "xã" if root.level == "city" else "thôn"
    total = members["unit_code"].nunique()
    out = {}
    for code in catalog.HEADLINE_CODES:
        rows = members[members["indicator_code"] == code]
        if rows.empty or not total:
            out[code] = "Số liệu cấp xã"
            continue
        sent = int(rows["monthly_value"].notna().sum())
        verb = "đã nộp" if noun == "thôn" else "có số liệu"
        out[code] = f"{sent}/{total} {noun} {verb}" + ("" if sent == total else f" (thiếu {total - sent})")
    return out


def overdue_tasks(store: Store, today: _date, root: OrgUnit | None = None) -> pd.DataFrame:
    """Tasks of the register that are overdue today, oldest deadline first."""
    register = task_register(store, root, today)
    if register.empty:
        return register
    return register[register["state"] == "overdue"].sort_values("next_due", na_position="last")
