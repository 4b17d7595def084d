"""The presentation page (Trình chiếu, pages/presentation.py): the figures of the month's slides."""

from __future__ import annotations

from datetime import date

import pandas as pd

from indicators import metrics
from indicators.domain.text import fold
from indicators.domain.units import OrgUnit
from indicators.render.slides import MonthData, Slide, draw_slides
from indicators.storage import Store
from indicators.views.common import task_register
from indicators.views.maps import progress_map
from indicators.views.submissions import submissions_view


def hamlet_progress(table: pd.DataFrame) -> pd.DataFrame:
    """Hamlets by mean progress (each indicator capped at 100 %), best first, with a status by the
    rule of the task groups (`metrics.group_progress`) and the count of indicators behind.

    `table` is `metrics.member_table`."""
    columns = ["unit_code", "unit_name", "progress", "projected_progress", "behind", "status"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    data = table.assign(
        capped=table["progress"].clip(upper=1), projected=table["projected_progress"].clip(upper=1)
    )
    out = data.groupby(["unit_code", "unit_name"], as_index=False).agg(
        progress=("capped", "mean"),
        projected_progress=("projected", "mean"),
        behind=("status", lambda s: int((s == "behind").sum())),
    )
    out = out[out["progress"].notna()]
    out["status"] = [metrics.status_for(p, q) for p, q in zip(out["progress"], out["projected_progress"])]
    out = out.assign(key=out["unit_name"].map(fold))
    return out.sort_values(["progress", "key"], ascending=[False, True]).reset_index(drop=True)[columns]


def overdue_tasks(store: Store, today: date, root: OrgUnit | None = None) -> pd.DataFrame:
    """The overdue rows of the task register (`tasks.register`), the longest overdue first; `due`
    is the deadline of a one-off task, or this month's due day of a monthly one."""
    register = task_register(store, root, today)
    if register.empty:
        return register.assign(due=[])
    late = register[register["state"] == "overdue"].copy()
    late["due"] = [d if isinstance(d, date) else n for d, n in zip(late["deadline"], late["next_due"])]
    return late.sort_values(["due", "code"], kind="stable").reset_index(drop=True)


def month_data(store: Store, period: str | None, root: OrgUnit | None, today: date) -> MonthData | None:
    """The figures of the month's slides; None without units or a period (an empty database)."""
    if root is None or period is None:
        return None
    table = metrics.commune_summary(store, period, root.code)
    ranked = hamlet_progress(metrics.member_table(store, period, root.code))
    return MonthData(
        period=period,
        root=root,
        today=today,
        indicators=table,
        groups=metrics.group_progress(store, period, root.code, table),
        ranked=ranked,
        submissions=submissions_view(store, period, root, today),
        overdue=overdue_tasks(store, today, root),
        demo=store.has_demo(),
        map=progress_map(store, period, root, ranked),
    )


def build_slides(store: Store, period: str | None, root: OrgUnit | None, today: date) -> list[Slide]:
    """The meeting's slides for `period` below `root`: the headline indicators, the 7 task groups,
    the hamlet ranking, a city's communes on a map, the submissions and the overdue tasks (11 slides,
    12 with the map). Without units or a period,
    one slide that says there is no data."""
    return draw_slides(month_data(store, period, root, today))
