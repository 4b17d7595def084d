"""The task-group page (Theo nhóm nhiệm vụ, pages/groups.py): the seven groups, one group's indicators."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date as _date

import pandas as pd
import plotly.graph_objects as go

from indicators import metrics
from indicators.domain import catalog, clock, format, periods, tasks
from indicators.domain.units import OrgUnit
from indicators.render import charts
from indicators.storage import Store
from indicators.storage.memo import by_data_version
from indicators.views.common import indicator_rows, status_counts, task_register


@dataclass
class GroupDetail:
    number: int
    name_vi: str
    progress: float
    status: str
    table: pd.DataFrame  # metrics rows of the group's indicators for the root
    rows: pd.DataFrame  # formatted
    series: dict[str, pd.DataFrame]  # code -> monthly values of the root

    @property
    def status_counts(self) -> list[tuple[str, int]]:
        return status_counts(self.table)


@dataclass
class GroupsView:
    """The "Theo nhóm nhiệm vụ" page: the seven groups and, for one group, its indicators."""

    period: str
    root: OrgUnit
    groups: pd.DataFrame  # metrics.group_progress
    indicators: pd.DataFrame  # metrics.commune_summary of the root
    targets: dict[str, float]
    monthly: pd.DataFrame = field(default_factory=pd.DataFrame)
    tasks: pd.DataFrame = field(default_factory=pd.DataFrame)  # the task register, state as of today

    def group_tasks(self, number: int) -> pd.DataFrame:
        """The group's tasks as the page shows them: most urgent first, every date formatted."""
        part = tasks.unit_view(self.tasks, group=number) if not self.tasks.empty else self.tasks
        if part.empty:
            return pd.DataFrame(columns=["Mã", "Nhiệm vụ", "Đơn vị chủ trì", "Hạn", "Trạng thái"])
        due = [format.day(d) if d is not None else f"ngày {r} hằng tháng"
               for d, r in zip(part["deadline"], part["recurrence_day"])]  # fmt: skip
        return pd.DataFrame({"Mã": part["code"], "Nhiệm vụ": part["title"], "Đơn vị chủ trì": part["unit"],
                             "Hạn": due, "Trạng thái": part["state_vi"]})  # fmt: skip

    def label(self, number: int) -> str:
        return f"{number}. {catalog.task_group(number).name_vi}"

    def group(self, number: int) -> GroupDetail:
        row = self.groups[self.groups["task_group"] == number].iloc[0]
        table = self.indicators[self.indicators["task_group"] == number].reset_index(drop=True)
        year = periods.year_of(self.period)
        series = {
            code: metrics.series_from(self.monthly, code, year, [self.root.code])
            for code in table["indicator_code"]
        }
        return GroupDetail(
            number=number,
            name_vi=row["name_vi"],
            progress=float(row["progress"]),
            status=row["status"],
            table=table,
            rows=indicator_rows(table, year),
            series=series,
        )


@by_data_version()
def groups_view(store: Store, period: str, root: OrgUnit, today: _date | None = None) -> GroupsView:
    year = periods.year_of(period)
    table = metrics.commune_summary(store, period, root.code)
    return GroupsView(
        period=period,
        root=root,
        groups=metrics.group_progress(store, period, root.code, table),
        indicators=table,
        targets=store.targets(year),
        monthly=metrics.monthly_values(store, year, period, [root.code]),
        tasks=task_register(store, root, today or clock.today()),
    )


# The task-group page's figures, kept as the by-member page's are (see member_heatmap).
@by_data_version(copies=False)
def group_bars(store: Store, period: str, root: OrgUnit) -> go.Figure:
    return charts.group_bars(groups_view.shared(store, period, root).groups, period)


@by_data_version(size=64, copies=False)
def group_trend(store: Store, period: str, root: OrgUnit, code: str) -> go.Figure:
    """One indicator's months for `root`, with its target."""
    item = catalog.indicator(code)
    group = groups_view.shared(store, period, root).group(item.task_group)
    target = group.table.loc[group.table["indicator_code"] == code, "target"].iloc[0]
    return charts.indicator_trend(group.series[code], item, target, {root.code: root.label})
