"""What several pages share: the unit and month they open on, indicator tables, small Vietnamese texts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as _date

import pandas as pd

from indicators import metrics
from indicators.domain import admin_units, format, periods
from indicators.domain.text import fold, markdown_literal
from indicators.domain.units import OrgUnit
from indicators.render.charts import STATUS_COLORS, status_label
from indicators.storage import Store
from indicators.storage.memo import by_data_version


@by_data_version(size=8, copies=False)
def member_table(store: Store, period: str, root: str) -> pd.DataFrame:
    """`metrics.member_table`, kept per data version and shared (read it, never change it): the
    overview's slowest members and the map of a city's communes read the same table."""
    return metrics.member_table(store, period, root)


def markdown_cells(rows, columns: list[str] | None = None) -> pd.DataFrame:
    """`rows` (a frame or a list of dicts) with the text cells of `columns` (default: every column)
    escaped: `st.table` renders its cells as Markdown, and file names, sheet names, unit names and
    messages quoting a file's cells are what someone typed."""
    frame = pd.DataFrame(rows).copy()
    for column in frame.columns if columns is None else columns:
        if column in frame.columns and frame[column].dtype == object:
            frame[column] = [markdown_literal(v) if isinstance(v, str) else v for v in frame[column]]
    return frame


def register_commune(root: OrgUnit | None) -> str | None:
    """The commune whose task register a view of `root` shows: the commune itself, a hamlet's
    commune; None (every commune's) for a city; "" (the register still without a commune) for
    an empty tree."""
    if root is None:
        return ""
    if root.level == "city":
        return None
    return root.code if root.level == "commune" else root.parent


def task_register(store: Store, root: OrgUnit | None, today: _date) -> pd.DataFrame:
    """`tasks.register` of the register(s) `root` shows (`register_commune`)."""
    from indicators.domain import tasks

    commune = register_commune(root)
    return tasks.register(store.tasks(commune), store.task_notes(commune=commune), today, store.settings().deadline_day)


def default_period(store: Store) -> str | None:
    """The latest month with data."""
    months = store.periods_with_data()
    return months[-1] if months else None


def root_unit(store: Store) -> OrgUnit | None:
    """The unit the dashboards open on: the home unit from settings, else the top of the tree."""
    units = metrics.tree(store).units
    if not units:
        return None
    by_code = {u.code: u for u in units}
    home = store.settings().home_unit
    if home in by_code:
        return by_code[home]
    order = {"city": 0, "commune": 1, "hamlet": 2}
    tops = [u for u in units if not u.parent] or units
    return sorted(tops, key=lambda u: (order[u.level], u.code))[0]


def root_choices(store: Store) -> list[OrgUnit]:
    """Units a dashboard can be about: each city, then its communes by name."""
    units = [u for u in metrics.tree(store).units if u.active]
    cities = sorted((u for u in units if u.level == "city"), key=lambda u: fold(u.label))
    communes = sorted((u for u in units if u.level == "commune"), key=lambda u: fold(u.name))
    return [*cities, *communes]


def linked_code(store: Store, code: str | None) -> str | None:
    """The unit a link's ?dv= names: the code itself when it is a unit here; a code of the unit
    list shipped before (Hải Phòng `05`, Bình Giang `01310`) that is no unit here gives the official
    code that replaced it, when that one is (an old bookmark opens the renamed unit)."""
    if code is None:
        return None
    by_code = metrics.tree(store).by_code
    if code in by_code:
        return code
    official = admin_units.official_code_of_previous().get(code)
    return official if official in by_code else code


def member_noun(root: OrgUnit) -> str:
    """What the units compared under `root` are called: "thôn" in a commune, "xã" in a city."""
    return "xã" if root.level == "city" else "thôn"


# Column names of the formatted indicator tables
COL_CODE = "Mã"
COL_NAME = "Chỉ tiêu"
COL_VALUE = "Giá trị"
COL_CHANGE = "So với tháng trước"
COL_PROGRESS = "Tiến độ"
COL_STATUS = "Trạng thái"


SUM_NOTE = (
    "Chỉ tiêu cộng dồn (số tin bài, số buổi…): giá trị là lũy kế từ đầu năm, còn cột “So với tháng "
    "trước” so sánh số của riêng từng tháng."
)


def target_column(year: int) -> str:
    return f"Mục tiêu {year}"


INDICATOR_PAGE = "chi-tieu"  # url_path of pages/indicator.py in app.py
LINK_CODE_PATTERN = r"chi_tieu=(\w+)$"  # shows the code of an `indicator_link`


def indicator_link(code: str) -> str:
    """Relative link to an indicator's page: "chi-tieu?chi_tieu=CQ_VNEID_MUC_2"."""
    return f"{INDICATOR_PAGE}?chi_tieu={code}"


def target_basis_vi(text: str | None) -> str:
    """Where a target comes from (the catalog's sources are Vietnamese; admins type their own)."""
    return (text or "").strip() or "Chưa ghi nguồn"


def status_text(status: str) -> str:
    """Symbol and Vietnamese name of a status: "▼ Chậm" (colour is never the only cue)."""
    return status_label(status)


def indicator_rows(table: pd.DataFrame, year: int, names: bool = True) -> pd.DataFrame:
    """The rows of an indicator table as the screens write them (every number formatted).

    `table` has the columns of `metrics.indicator_status`; one output row per input row, in order.
    Value and status come first (what a phone shows without scrolling); the code comes last, as a relative link to the indicator's page (`indicator_link`); the hidden
    column `status` keeps the status key.
    """
    columns = [*([COL_NAME] if names else []), COL_VALUE, COL_STATUS, target_column(year), COL_PROGRESS,
               COL_CHANGE, COL_CODE, "status"]  # fmt: skip
    rows = [
        {
            COL_NAME: r.name_vi,
            COL_VALUE: format.indicator_value(r.value, r.kind),
            COL_CHANGE: format.indicator_change(r.change, r.kind),
            target_column(year): format.indicator_value(r.target, r.kind),
            COL_PROGRESS: format.percent(r.progress * 100),
            COL_STATUS: status_text(r.status),
            COL_CODE: indicator_link(r.indicator_code),
            "status": r.status,
        }
        for r in table.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=columns)


def status_counts(table: pd.DataFrame) -> list[tuple[str, int]]:
    """(status, number of indicators) in the order of `metrics.STATUSES`, zero counts left out."""
    counts = table["status"].value_counts() if len(table) else pd.Series(dtype=int)
    return [(s, int(counts[s])) for s in metrics.STATUSES if counts.get(s, 0)]


def styled_rows(rows: pd.DataFrame):
    """A formatted indicator table (`indicator_rows`) with its status cells tinted by status.

    Returns a pandas Styler for `st.dataframe`; the hidden `status` column is dropped.
    """
    tints = [_tint(STATUS_COLORS[s]) for s in rows["status"]]
    shown = rows.drop(columns="status")
    return shown.style.apply(
        lambda column: [f"background-color: {t}; font-weight: 600" for t in tints], subset=[COL_STATUS]
    )


def _tint(color: str, alpha: float = 0.22) -> str:
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


@dataclass
class MetricDelta:
    """A month-on-month change for `st.metric`: the Vietnamese text, its arrow and a colour that
    says good or bad. (Streamlit reads a string delta's sign from a leading "-", and the text here
    uses a true minus sign, so arrow and colour are given explicitly.)"""

    text: str | None
    arrow: str  # "up", "down" or "off"
    color: str  # "green" (better), "red" (worse) or "gray"


def metric_delta(change: float | None, kind: str, direction: str) -> MetricDelta:
    if change is None or pd.isna(change):
        return MetricDelta(None, "off", "gray")
    text = format.indicator_change(change, kind)
    if abs(change) < 1e-9:
        return MetricDelta(text, "off", "gray")
    better = (change > 0) == (direction == "up")
    return MetricDelta(text, "up" if change > 0 else "down", "green" if better else "red")


@dataclass
class Deadline:
    """The submission deadline of a month, seen from `today`."""

    period: str
    due: _date
    today: _date

    @property
    def days_left(self) -> int:
        """Days from today to the deadline day: negative once it has passed."""
        return (self.due - self.today).days

    @property
    def text(self) -> str:
        days = self.days_left
        head = f"Hạn nộp số liệu {format.month(self.period)}: ngày {format.day(self.due)}"
        if days > 0:
            return f"{head} – còn {format.number(days)} ngày."
        if days == 0:
            return f"{head} – hôm nay là ngày cuối cùng."
        return f"{head} – đã quá hạn {format.number(-days)} ngày."

    @property
    def short(self) -> str:
        """“còn 5 ngày”, “hạn hôm nay” or “quá hạn 2 ngày”."""
        days = self.days_left
        if days > 0:
            return f"còn {format.number(days)} ngày"
        return "hạn hôm nay" if days == 0 else f"quá hạn {format.number(-days)} ngày"


def deadline_info(period: str, deadline_day: int, today: _date) -> Deadline:
    return Deadline(period, periods.deadline(period, deadline_day).date(), today)


def timestamp_text(value) -> str:
    """A timestamp as the screens write it; missing (None, NaT, NaN) as "–"."""
    if value is None or pd.isna(value):
        return "–"
    return format.timestamp(pd.Timestamp(value).to_pydatetime())


def figure_text(kind: str, numerator, denominator, value) -> str:
    """A figure as the screens write it: a ratio with its numerator and denominator; none as "–"."""
    if kind == "ratio":
        if pd.isna(numerator) and pd.isna(denominator):
            return "–"
        share = format.indicator_value(value, kind)
        return f"{share} ({format.number(numerator)}/{format.number(denominator)})"
    return format.indicator_value(None if pd.isna(value) else value, kind)


def name_key(values: pd.Series) -> pd.Series:
    """A sort key for unit names: folded, so that accents and case do not change the order."""
    return values.map(lambda v: fold(str(v)))


def approved_text(review: pd.DataFrame) -> str:
    """“12/14 thôn đã duyệt” from a month's review (`metrics.month_review`)."""
    hamlets = review[review["level"] == "hamlet"] if len(review) else review
    approved = int((hamlets["state"] == "approved").sum()) if len(hamlets) else 0
    return f"{format.number(approved)}/{format.number(len(hamlets))} thôn đã duyệt"


def approved_line(store: Store, period: str, root: str) -> str:
    """`approved_text` of a commune's month; empty for a city (its review is the communes' own)."""
    if metrics.member_level(store, root) != "hamlet":
        return ""
    return approved_text(metrics.month_review(store, period, root))

