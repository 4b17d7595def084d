"""What each screen shows, computed in one call: pages only render these."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import catalog, metrics, periods
from .store import Store
from .units import OrgUnit


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
    def hamlets_submitted(self) -> int:
        if self.completeness.empty:
            return 0
        hamlets = self.completeness[self.completeness["level"] == "hamlet"]
        return int((hamlets["submitted"] > 0).sum())


def default_period(store: Store) -> str | None:
    """The latest month with data."""
    months = store.periods_with_data()
    return months[-1] if months else None


def root_unit(store: Store) -> OrgUnit | None:
    """The unit the dashboards open on: the home unit from settings, else the top of the tree."""
    units = store.units()
    if not units:
        return None
    by_code = {u.code: u for u in units}
    home = store.settings().home_unit
    if home in by_code:
        return by_code[home]
    order = {"city": 0, "commune": 1, "hamlet": 2}
    tops = [u for u in units if not u.parent] or units
    return sorted(tops, key=lambda u: (order[u.level], u.code))[0]


def overview(store: Store, period: str, root: OrgUnit) -> Overview:
    table = metrics.commune_summary(store, period, root.code)
    headline = table.set_index("indicator_code").loc[list(catalog.HEADLINE_CODES)].reset_index()
    year = periods.year_of(period)
    monthly = metrics.monthly_values(store, year, period)
    series = {
        code: metrics.series_from(monthly, code, year, [root.code]) for code in catalog.HEADLINE_CODES
    }
    return Overview(
        period=period,
        root=root,
        headline=headline,
        indicators=table,
        series=series,
        completeness=metrics.completeness(store, period, root.code),
        behind=metrics.hamlets_behind(store, period, root.code),
        groups=metrics.group_progress(store, period, root.code, table),
    )
