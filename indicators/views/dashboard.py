"""What each screen shows, computed in one call: pages only render these."""

from __future__ import annotations

import csv as _csv
import io as _io
from dataclasses import dataclass, field
from datetime import date as _date

import pandas as pd
import plotly.graph_objects as go
from pydantic import ValidationError as _ValidationError

from indicators import metrics
from indicators.domain import catalog, format, periods, tasks
from indicators.domain.text import fold
from indicators.domain.units import OrgUnit
from indicators.ingest import ImportReport as _ImportReport
from indicators.ingest.numbers import NumberProblem as _NumberProblem
from indicators.ingest.numbers import parse_number as _parse_number
from indicators.render import charts
from indicators.render.charts import STATUS_COLORS, SUBMISSION_SYMBOLS, status_label
from indicators.storage import Store
from indicators.storage.memo import by_data_version


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


def upload_units(store: Store, root_code: str, actor) -> list[OrgUnit]:
    """The units whose rows an account's templates hold: its assigned units within `root_code`."""
    from indicators.domain.accounts import allowed_units

    units = metrics.reporting_units(store, root_code)
    allowed = allowed_units(actor, {u.code: u.parent for u in metrics.tree(store).units})
    return [u for u in units if allowed is None or u.code in allowed]


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


@by_data_version()
def overview(store: Store, period: str, root: OrgUnit, today: _date | None = None) -> Overview:
    table = metrics.commune_summary(store, period, root.code)
    headline = table.set_index("indicator_code").loc[list(catalog.HEADLINE_CODES)].reset_index()
    year = periods.year_of(period)
    monthly = metrics.monthly_values(store, year, period, [root.code])
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
        behind=metrics.members_behind(store, period, root.code),
        groups=metrics.group_progress(store, period, root.code, table),
        overdue_tasks=overdue_tasks(store, today or _date.today()),
    )


def overdue_tasks(store: Store, today: _date) -> pd.DataFrame:
    """Tasks of the register that are overdue today, oldest deadline first."""
    register = tasks.register(store.tasks(), store.task_notes(), today, store.settings().deadline_day)
    if register.empty:
        return register
    return register[register["state"] == "overdue"].sort_values("next_due", na_position="last")


# --- Theo thôn, Theo nhóm nhiệm vụ, Chỉ tiêu --------------------------------------------------
# (view models of pages/hamlets.py, pages/groups.py and pages/indicator.py)

# Short Vietnamese labels for chart axes, where the full names do not fit
SHORT_NAMES = {
    "TT_TIN_BAI": "Tin bài tuyên truyền",
    "TT_HO_DUOC_HUONG_DAN": "Hộ được hướng dẫn",
    "TC_VAN_BAN": "Văn bản ban hành",
    "TC_NHIEM_VU_DUNG_HAN": "Nhiệm vụ đúng hạn",
    "HT_CAP_QUANG": "Cáp quang",
    "HT_DIEN_THOAI_THONG_MINH": "Điện thoại thông minh",
    "HT_MAY_2G": "Máy 2G cần thay",
    "HT_PHU_SONG_5G": "Phủ sóng 5G",
    "HT_AN_TOAN_THONG_TIN": "Buổi an toàn thông tin",
    "NL_BINH_DAN_HOC_VU_SO": "Bình dân học vụ số",
    "NL_CBCC_KY_NANG_SO": "CBCC có kỹ năng số",
    "NL_TO_CONG_NGHE_SO": "Tổ công nghệ số",
    "CQ_DVC_TOAN_TRINH": "DVC toàn trình",
    "CQ_THANH_TOAN_TRUC_TUYEN": "Thanh toán trực tuyến",
    "CQ_SO_HOA_HO_SO": "Số hóa hồ sơ",
    "CQ_HO_SO_DUNG_HAN": "Hồ sơ đúng hạn",
    "CQ_VNEID_MUC_2": "VNeID mức 2",
    "CQ_CHU_KY_SO": "Chữ ký số",
    "CQ_SO_SUC_KHOE": "Sổ sức khỏe điện tử",
    "CQ_VAN_BAN_KY_SO": "Văn bản ký số",
    "DN_TAI_KHOAN_THANH_TOAN": "Tài khoản thanh toán",
    "DN_KHONG_TIEN_MAT": "Không dùng tiền mặt",
    "DN_THUONG_MAI_DIEN_TU": "Bán hàng trên sàn TMĐT",
    "DN_NEN_TANG_SO": "Dùng nền tảng số",
    "HTAC_CHUONG_TRINH": "Chương trình phối hợp",
    "HTAC_SU_KIEN": "Lượt dự sự kiện",
}

# The catalog writes where each 2026 target comes from in English; the screens show it in Vietnamese

REVISION_STATE_VI = {
    "current": "Đang dùng",
    "superseded": "Bản cũ (đã có bản sửa)",
    "reverted": "Đã hoàn tác",
}

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


def short_name(code: str) -> str:
    """A label short enough for a chart axis."""
    return SHORT_NAMES.get(code) or catalog.HEADLINE.get(code) or catalog.indicator(code).name_vi


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


@dataclass
class HamletDetail:
    """One hamlet: every hamlet-level indicator this month, and its monthly series."""

    unit: OrgUnit
    period: str
    table: pd.DataFrame  # metrics rows of this hamlet, catalog order
    rows: pd.DataFrame  # the same, formatted (`indicator_rows`)
    series: dict[str, pd.DataFrame]  # code -> monthly values of the hamlet and its commune
    names: dict[str, str]  # unit code -> label, for chart legends
    targets: dict[str, float]

    @property
    def default_codes(self) -> list[str]:
        """The indicators whose trend opens first: the hamlet's slowest (at most four)."""
        slow = self.table[self.table["status"].isin(["behind", "at_risk"])]
        slow = slow.sort_values("progress", kind="stable")
        codes = list(slow["indicator_code"][:4])
        return codes or list(self.table["indicator_code"][:2])

    @property
    def status_counts(self) -> list[tuple[str, int]]:
        return status_counts(self.table)


@dataclass
class HamletsView:
    """The "Theo thôn" page: hamlet × indicator for one month below `root`."""

    period: str
    root: OrgUnit
    hamlets: list[OrgUnit]  # active hamlets below root, by name
    table: pd.DataFrame  # metrics.member_table
    codes: list[str]  # hamlet-level indicators, catalog order
    targets: dict[str, float]
    monthly: pd.DataFrame = field(default_factory=pd.DataFrame)  # metrics.monthly_values

    @property
    def labels(self) -> dict[str, str]:
        return {code: short_name(code) for code in self.codes}

    @property
    def hamlet_names(self) -> dict[str, str]:
        return {u.code: u.label for u in self.hamlets}

    @property
    def heat_table(self) -> pd.DataFrame:
        """`table` with the hamlets' bare names ("Cậy", not "Thôn Cậy"): a narrower axis."""
        bare = {u.code: u.name for u in self.hamlets}
        return self.table.assign(unit_name=self.table["unit_code"].map(bare).fillna(self.table["unit_name"]))

    def ranking_table(self, code: str) -> pd.DataFrame:
        """One row per hamlet for one indicator (unit_name, value, status, …)."""
        return self.table[self.table["indicator_code"] == code].reset_index(drop=True)

    def detail(self, unit_code: str) -> HamletDetail:
        unit = next(u for u in self.hamlets if u.code == unit_code)
        table = self.table[self.table["unit_code"] == unit_code].reset_index(drop=True)
        year = periods.year_of(self.period)
        series = {}
        # the two units' rows once, not the whole city's for each of 26 indicators
        mine = self.monthly[self.monthly["rollup_code"].isin([unit.code, self.root.code])]
        for code in self.codes:
            # the hamlet first (first colour), its commune beside it for ratios only: a commune's
            # count is the sum of all its hamlets and would flatten the hamlet's line
            units = [unit.code, self.root.code] if catalog.indicator(code).is_ratio else [unit.code]
            part = metrics.series_from(mine, code, year, units)
            order = part["unit_code"].map({c: i for i, c in enumerate(units)})
            series[code] = part.iloc[order.argsort(kind="stable")].reset_index(drop=True)
        return HamletDetail(
            unit=unit,
            period=self.period,
            table=table,
            rows=indicator_rows(table, year),
            series=series,
            names={unit.code: unit.label, self.root.code: self.root.label},
            targets=self.targets,
        )


def root_choices(store: Store) -> list[OrgUnit]:
    """Units a dashboard can be about: each city, then its communes by name."""
    units = [u for u in metrics.tree(store).units if u.active]
    cities = sorted((u for u in units if u.level == "city"), key=lambda u: _fold(u.label))
    communes = sorted((u for u in units if u.level == "commune"), key=lambda u: _fold(u.name))
    return [*cities, *communes]


def member_noun(root: OrgUnit) -> str:
    """What the units compared under `root` are called: "thôn" in a commune, "xã" in a city."""
    return "xã" if root.level == "city" else "thôn"


@by_data_version()
def hamlets_view(store: Store, period: str, root: OrgUnit) -> HamletsView:
    """The members of `root` (hamlets, or a city's communes) × their indicators."""
    year = periods.year_of(period)
    hamlets = metrics.member_units(store, root.code)
    hamlets.sort(key=lambda u: _fold(u.label))
    order = {item.code: i for i, item in enumerate(catalog.indicators())}
    table = metrics.member_table(store, period, root.code)
    table = table.sort_values(
        ["unit_name", "indicator_code"],
        key=lambda s: s.map(order) if s.name == "indicator_code" else _name_key(s),
    ).reset_index(drop=True)
    return HamletsView(
        period=period,
        root=root,
        hamlets=hamlets,
        table=table,
        codes=[i.code for i in catalog.indicators()] if root.level == "city"
        else [i.code for i in catalog.indicators_at_level("hamlet")],
        targets=store.targets(year),
        # the members' roll-up is the one member_table just made (kept); the root's is the overview's
        monthly=pd.concat([metrics.monthly_values(store, year, period, [root.code]),
                           metrics.monthly_values(store, year, period, [u.code for u in hamlets])],
                          ignore_index=True),  # fmt: skip
    )


@by_data_version()
def member_detail(store: Store, period: str, root: OrgUnit, unit_code: str) -> HamletDetail:
    """`hamlets_view(…).detail(unit_code)`, kept: every click on the page runs it again."""
    return hamlets_view.shared(store, period, root).detail(unit_code)


# The figures of the "by member" page, kept per data version: Plotly takes about 0,1 s to build one
# and every click reruns the page. Shared, not copied: callers only draw them.
@by_data_version(copies=False)
def member_heatmap(store: Store, period: str, root: OrgUnit) -> go.Figure:
    view = hamlets_view.shared(store, period, root)
    return charts.hamlet_heatmap(view.heat_table, view.codes, view.labels, period, member_noun(root))


@by_data_version(size=64, copies=False)
def member_ranking(store: Store, period: str, root: OrgUnit, code: str) -> go.Figure:
    view = hamlets_view.shared(store, period, root)
    item = catalog.indicator(code)
    return charts.hamlet_ranking(view.ranking_table(code), item, view.targets.get(code), period, member_noun(root))


@by_data_version(size=64, copies=False)
def member_trend(store: Store, period: str, root: OrgUnit, unit_code: str, code: str) -> go.Figure:
    detail = member_detail.shared(store, period, root, unit_code)
    return charts.indicator_trend(detail.series[code], catalog.indicator(code), detail.targets.get(code),
                                  detail.names)  # fmt: skip


def _fold(text: str) -> str:
    return fold(text)


def _name_key(values: pd.Series) -> pd.Series:
    return values.map(lambda v: _fold(str(v)))


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
        tasks=tasks.register(store.tasks(), store.task_notes(), today or _date.today(),
                             store.settings().deadline_day),
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


def indicator_definition(item: catalog.Indicator) -> list[tuple[str, str]]:
    """(label, text) rows that define an indicator, in Vietnamese."""
    group = catalog.task_group(item.task_group)
    rows = [
        ("Mã chỉ tiêu", item.code),
        ("Tên chỉ tiêu", item.name_vi),
        ("Nhóm nhiệm vụ", f"{group.number}. {group.name_vi}"),
        ("Loại", catalog.KIND_VI[item.kind]),
        ("Đơn vị tính", item.display_unit),
        ("Cách cộng dồn theo tháng", catalog.AGGREGATION_VI[item.aggregation]),
        ("Chiều tốt", catalog.DIRECTION_VI[item.direction]),
        ("Cấp báo cáo", catalog.LEVEL_VI[item.level]),
        ("Tử số" if item.is_ratio else "Số liệu nhập", item.numerator_vi),
    ]
    if item.is_ratio:
        rows.append(("Mẫu số", item.denominator_vi or "–"))
    return rows


def revision_rows(revisions: pd.DataFrame, item: catalog.Indicator, names: dict[str, str]) -> pd.DataFrame:
    """Every submitted revision of one indicator, formatted; the latest live one is "Đang dùng"."""
    columns = ["Kỳ", "Đơn vị", *(["Tử số", "Mẫu số"] if item.is_ratio else []), COL_VALUE,
               "Tình trạng", "Tệp", "Người nộp", "Thời điểm nhận", "Ghi chú"]  # fmt: skip
    if revisions.empty:
        return pd.DataFrame(columns=columns)
    data = revisions.sort_values(["period", "unit_code", "id"], ascending=[True, True, False])
    live = data[~data["reverted"].astype(bool)]
    current_ids = set(live.groupby(["period", "unit_code"])["id"].max())
    data = data.assign(unit_label=data["unit_code"].map(lambda c: names.get(c, c)))
    data = data.sort_values(["period", "unit_label", "id"], key=lambda s: _name_key(s) if s.name == "unit_label" else s,
                            ascending=[True, True, False])  # fmt: skip
    rows = []
    for r in data.itertuples(index=False):
        state = "reverted" if r.reverted else ("current" if r.id in current_ids else "superseded")
        row = {"Kỳ": format.month(r.period), "Đơn vị": r.unit_label}
        if item.is_ratio:
            row["Tử số"] = _plain(r.numerator)
            row["Mẫu số"] = _plain(r.denominator)
        row.update(
            {
                COL_VALUE: format.indicator_value(r.value, item.kind),
                "Tình trạng": REVISION_STATE_VI[state],
                "Tệp": r.file_name,
                "Người nộp": r.user_name,
                "Thời điểm nhận": format.timestamp(r.received_at),
                "Ghi chú": r.note or "",
            }
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def _plain(value: float | None) -> str:
    if value is None or pd.isna(value):
        return "–"
    return format.number(value, 0 if float(value).is_integer() else 1)


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
class IndicatorView:
    """The "Chỉ tiêu" page: one indicator's definition, target, monthly series and raw figures."""

    item: catalog.Indicator
    year: int
    definition: list[tuple[str, str]]
    target: float | None
    target_basis: str  # Vietnamese
    period: str | None = None
    root: OrgUnit | None = None
    summary: pd.Series | None = None  # the root's row of metrics.indicator_status
    hamlets: pd.DataFrame = field(default_factory=pd.DataFrame)  # metrics rows per hamlet
    series: pd.DataFrame = field(default_factory=pd.DataFrame)  # root and hamlets, monthly
    names: dict[str, str] = field(default_factory=dict)
    revisions: pd.DataFrame = field(default_factory=pd.DataFrame)  # formatted (`revision_rows`)

    @property
    def target_text(self) -> str:
        return format.indicator_value(self.target, self.item.kind)

    @property
    def delta(self) -> MetricDelta:
        change = None if self.summary is None else self.summary["change"]
        return metric_delta(change, self.item.kind, self.item.direction)

    @property
    def hamlet_codes(self) -> list[str]:
        return [c for c in self.names if self.root is None or c != self.root.code]

    @property
    def compare_root(self) -> str | None:
        """The root's line goes with the hamlets' only for ratios (a count's total dwarfs them)."""
        return self.root.code if self.root is not None and self.item.is_ratio else None

    @property
    def compare_series(self) -> pd.DataFrame:
        """The series the hamlet comparison draws: hamlets, and the root for ratios."""
        if self.root is None or self.series.empty or self.compare_root is not None:
            return self.series
        return self.series[self.series["unit_code"] != self.root.code]

    @property
    def root_series(self) -> pd.DataFrame:
        if self.root is None or self.series.empty:
            return self.series
        return self.series[self.series["unit_code"] == self.root.code]


@by_data_version()
def indicator_view(store: Store, code: str, period: str | None, root: OrgUnit | None) -> IndicatorView:
    """Everything the indicator page shows; without data (no period or root) only the definition."""
    item = catalog.indicator(code)
    basis_rows = store.target_rows()
    year = periods.year_of(period) if period else int(basis_rows["year"].max() if len(basis_rows) else 2026)
    target = store.targets(year).get(code)
    basis_rows = basis_rows[(basis_rows["indicator_code"] == code) & (basis_rows["year"] == year)]
    basis = basis_rows["basis"].iloc[0] if len(basis_rows) else item.target_basis
    view = IndicatorView(
        item=item,
        year=year,
        definition=indicator_definition(item),
        target=target,
        target_basis=target_basis_vi(basis),
    )
    if period is None or root is None:
        return view
    view.period, view.root = period, root
    view.summary = metrics.indicator_status(store, period, [root.code]).set_index("indicator_code").loc[code]
    members = metrics.member_units(store, root.code)  # a commune's hamlets, a city's communes
    members.sort(key=lambda u: _fold(u.label))
    view.names = {root.code: root.label, **{u.code: u.label for u in members}}
    if (item.level == "hamlet" or root.level == "city") and members:
        table = metrics.member_table(store, period, root.code)
        view.hamlets = table[table["indicator_code"] == code].reset_index(drop=True)
    else:
        view.names = {root.code: root.label}
    monthly = metrics.monthly_values(store, year, period, list(view.names))
    view.series = metrics.series_from(monthly, code, year, list(view.names))
    all_names = {u.code: u.label for u in metrics.tree(store).units}
    view.revisions = revision_rows(store.revisions(indicator_code=code, period=period), item, all_names)
    return view


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


# --- Nộp số liệu, Tình hình nộp báo cáo, Lịch sử, Danh mục -------------------------------------
# (view models of pages/upload.py, pages/submissions.py, pages/history.py and pages/catalog.py)

CSV_TEMPLATE_HEADER = ("ky_bao_cao", "don_vi", "ma_chi_tieu", "tu_so", "mau_so", "gia_tri", "ghi_chu")
CHANGE_VI = {"new": "Mới", "changed": "Sửa đổi", "unchanged": "Không đổi"}
_SUBMISSION_ORDER = {"missing": 0, "partial": 1, "late": 2, "on_time": 3}
UNIT_LEVEL_VI = {"hamlet": "Thôn", "commune": "Xã", "city": "Thành phố"}


def _when(value) -> str:
    """A timestamp as the screens write it; missing (None, NaT, NaN) as "–"."""
    if value is None or pd.isna(value):
        return "–"
    return format.timestamp(pd.Timestamp(value).to_pydatetime())


def _count(value) -> str:
    return format.number(None if value is None or pd.isna(value) else int(value))


# Nộp số liệu ------------------------------------------------------------------------------------
def template_periods(today: _date) -> list[str]:
    """Months a template can be downloaded for: this year's, up to this month, newest first."""
    this = periods.period_of(today)
    return list(reversed(periods.months_between(f"{today.year:04d}-01", this)))


def _template_order(units: list[OrgUnit]) -> list[OrgUnit]:
    hamlets = sorted((u for u in units if u.level == "hamlet"), key=lambda u: (fold(u.name), u.code))
    return hamlets + [u for u in units if u.level == "commune"]


EAGER_TEMPLATE_UNITS = 300  # templates of more units are made only when a download button is pressed


@dataclass
class TemplateMaker:
    """The two templates of one month for some units, made on first use (a callable per file, as
    st.download_button takes them) and kept until the data change (`template_maker`)."""

    units: list[OrgUnit]
    period: str
    made: dict[str, bytes] = field(default_factory=dict)

    def xlsx(self) -> bytes:
        from indicators.render.template import build_template

        if "xlsx" not in self.made:
            self.made["xlsx"] = build_template(self.units, [self.period])
        return self.made["xlsx"]

    def csv(self) -> bytes:
        if "csv" not in self.made:
            self.made["csv"] = csv_template(self.units, self.period)
        return self.made["csv"]


_MAKERS: dict[tuple, TemplateMaker] = {}


def template_maker(store: Store, root_code: str, period: str, actor) -> TemplateMaker:
    """The templates of `period` for the account's units below `root_code`, kept per data version."""
    key = (store.path, store.data_version(), root_code, period, repr(actor))
    if key not in _MAKERS:
        if len(_MAKERS) > 16:
            _MAKERS.clear()
        _MAKERS[key] = TemplateMaker(upload_units(store, root_code, actor), period)
    return _MAKERS[key]


def csv_template(units: list[OrgUnit], period: str) -> bytes:
    """The long-format CSV template: one row per (unit, indicator of that unit's level).

    UTF-8 with a BOM so Excel opens the Vietnamese text correctly. Yes/no indicators come with their
    denominator 1 filled in, as in the Excel template.
    """
    out = _io.StringIO()
    writer = _csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_TEMPLATE_HEADER)
    for unit in _template_order([u for u in units if u.level in ("hamlet", "commune")]):
        for item in catalog.indicators_at_level(unit.level):  # type: ignore[arg-type]
            writer.writerow([period, unit.code, item.code, "", "1" if item.is_yes_no else "", "", ""])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def upload_message(report: _ImportReport) -> tuple[str, str]:
    """(kind, text) of a file's status line: kind is "error", "success" or "info"."""
    if report.status == "rejected":
        return "error", f"{report.summary()} Hãy sửa các lỗi sau rồi tải lên lại."
    if report.status in ("dry_run", "imported"):
        return "success", report.summary()
    return "info", report.summary()


def issues_table(report: _ImportReport) -> pd.DataFrame:
    """The issues of a file (Mức độ, [Trang tính,] Dòng, Cột, Nội dung), errors first.

    The sheet column is dropped when the file has one sheet (a CSV file, say).
    """
    frame = report.issues_frame()
    frame["Dòng"] = [format.number(v) if pd.notna(v) else "" for v in frame["Dòng"]]
    if frame["Trang tính"].replace("", pd.NA).nunique() <= 1:
        frame = frame.drop(columns=["Trang tính"])
    return frame


def _figure(kind: str, numerator, denominator, value) -> str:
    if kind == "ratio":
        if pd.isna(numerator) and pd.isna(denominator):
            return "–"
        share = format.indicator_value(value, kind)
        return f"{share} ({format.number(numerator)}/{format.number(denominator)})"
    return format.indicator_value(None if pd.isna(value) else value, kind)


def preview_table(report: _ImportReport, units: list[OrgUnit]) -> pd.DataFrame:
    """The rows a file would write, formatted: unit, indicator, value, what is there now, change."""
    columns = ["Đơn vị", "Chỉ tiêu", "Thay đổi", "Số liệu trong tệp", "Số liệu hiện có", "Kỳ báo cáo",
               "Dòng", "Ghi chú"]  # fmt: skip
    rows = report.rows
    if rows.empty:
        return pd.DataFrame(columns=columns)
    names = {u.code: u.label for u in units}
    out = []
    for r in rows.itertuples(index=False):
        kind = catalog.indicator(r.indicator_code).kind
        current = "–"
        if hasattr(r, "cur_value"):
            current = _figure(kind, r.cur_numerator, r.cur_denominator, r.cur_value)
        out.append(
            {
                "Đơn vị": names.get(r.unit_code, r.unit_code),
                "Chỉ tiêu": r.indicator_code,
                "Kỳ báo cáo": format.month(r.period),
                "Số liệu trong tệp": _figure(kind, r.numerator, r.denominator, r.value),
                "Số liệu hiện có": current,
                "Thay đổi": CHANGE_VI.get(getattr(r, "change", ""), ""),
                "Dòng": format.number(r.source_row) if pd.notna(r.source_row) else "",
                "Ghi chú": r.note or "",
            }
        )
    return pd.DataFrame(out, columns=columns)


# Tình hình nộp báo cáo --------------------------------------------------------------------------
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


def deadline_info(period: str, deadline_day: int, today: _date) -> Deadline:
    return Deadline(period, periods.deadline(period, deadline_day).date(), today)


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
                "Nhận lần cuối": _when(r.last_received_at),
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
                "Nhận lần cuối": _when(r.last_received_at),
                "Chỉ tiêu còn thiếu": (
                    "Tất cả" if not r.submitted else ", ".join(r.missing_codes) if r.missing else ""
                ),
                "status": r.status,
            }
        )
    return pd.DataFrame(rows, columns=columns)


# Lịch sử ----------------------------------------------------------------------------------------
def batch_periods(periods_text: str) -> str:
    """Stored periods as people read them: 2026-03,2026-04 -> Tháng 3/2026, Tháng 4/2026."""
    return ", ".join(format.month(p) for p in str(periods_text or "").split(",") if p)


def batch_state(row) -> str:
    if pd.isna(row.reverted_at):
        return "✓ Hiệu lực"
    return f"↩ Đã hoàn tác ({row.reverted_by}, {_when(row.reverted_at)})"


def batch_table(batches: pd.DataFrame) -> pd.DataFrame:
    """Import batches, newest first, as the history page writes them."""
    columns = ["Lô số", "Tệp", "Người nhập", "Thời gian", "Kỳ báo cáo", "Mới", "Sửa đổi", "Không đổi",
               "Cảnh báo", "Trạng thái"]  # fmt: skip
    rows = [
        {
            "Lô số": format.number(r.id),
            "Tệp": r.file_name,
            "Người nhập": r.user_name,
            "Thời gian": _when(r.created_at),
            "Kỳ báo cáo": batch_periods(r.periods),
            "Mới": _count(r.rows_new),
            "Sửa đổi": _count(r.rows_changed),
            "Không đổi": _count(r.rows_unchanged),
            "Cảnh báo": format.number(len(r.warnings)),
            "Trạng thái": batch_state(r),
        }
        for r in batches.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=columns)


def batch_label(row) -> str:
    """How a batch is named in lists: Lô 12 · BG01_2026-03.csv · 09:00 10/04/2026."""
    return f"Lô {format.number(row.id)} · {row.file_name} · {_when(row.created_at)}"


HISTORY_LIMIT = 500  # batches the history page lists at once (a city holds tens of thousands)


@dataclass
class HistoryView:
    """The "Lịch sử" page: the newest batches matching the filters, and how many match in all."""

    batches: pd.DataFrame  # store.batches(), newest first, at most HISTORY_LIMIT
    total: int  # batches matching the filters
    months: list[str]  # every month some batch touched, newest first

    @property
    def table(self) -> pd.DataFrame:
        return batch_table(self.batches)

    @property
    def caption(self) -> str:
        text = f"{format.number(self.total)} lô nhập, mới nhất trước. Mỗi tệp tải lên là một lô."
        if self.total > len(self.batches):
            text += (f" Đang hiện {format.number(len(self.batches))} lô mới nhất; chọn một kỳ báo cáo hoặc "
                     "trạng thái để thu hẹp danh sách.")  # fmt: skip
        return text

    @property
    def live_labels(self) -> dict[int, str]:
        """The listed batches that can be reverted."""
        return batch_labels(self.batches[self.batches["reverted_at"].isna()])


@by_data_version()
def history_view(store: Store, period: str | None = None, state: str | None = None,
                 limit: int = HISTORY_LIMIT) -> HistoryView:  # fmt: skip
    """Batches touching `period` (None: all) in `state` ("live", "reverted" or None: both). Kept
    per data version: on PostgreSQL its three queries read a city's 71.000 batches (about 0,1 s
    at every rerun of the history page)."""
    return HistoryView(
        batches=store.batches(period=period, state=state, limit=limit),
        total=store.batch_count(period=period, state=state),
        months=store.batch_periods(),
    )


def batch_label_of(store: Store, batch_id: int) -> str:
    found = store.batches(batch_id=batch_id)
    return batch_label(found.iloc[0]) if len(found) else f"Lô {batch_id}"


@dataclass
class RevertPreview:
    batch_id: int
    changes: pd.DataFrame  # formatted: what each figure is now and will be after the revert
    superseded: int  # figures of the batch already replaced by a later batch: no visible change

    @property
    def summary(self) -> str:
        text = f"Hoàn tác lô số {format.number(self.batch_id)} sẽ thay đổi {format.number(len(self.changes))} số liệu"
        if self.superseded:
            text += (f"; {format.number(self.superseded)} số liệu khác của lô đã được lô mới hơn thay thế "
                     "nên giữ nguyên")  # fmt: skip
        return text + "."


def revert_preview(store: Store, batch_id: int) -> RevertPreview:
    """What reverting a batch would change: each figure it set that still counts, before → after."""
    columns = ["Đơn vị", "Chỉ tiêu", "Hiện tại", "Sau khi hoàn tác", "Kỳ báo cáo"]
    effect = store.revert_effect(batch_id)
    changed = effect[effect["is_current"].astype(bool)]
    names = {u.code: u.label for u in metrics.tree(store).units}
    kinds = {code: catalog.indicator(code).kind for code in changed["indicator_code"].unique()}
    changes = pd.DataFrame(
        {
            "Đơn vị": [names.get(code, code) for code in changed["unit_code"]],
            "Chỉ tiêu": changed["indicator_code"].to_numpy(object),
            "Hiện tại": [_figure(kinds[r.indicator_code], r.numerator, r.denominator, r.value)
                         for r in changed.itertuples(index=False)],
            "Sau khi hoàn tác": [
                _figure(kinds[r.indicator_code], r.after_numerator, r.after_denominator, r.after_value)
                if r.has_after else "Không còn số liệu"
                for r in changed.itertuples(index=False)
            ],
            "Kỳ báo cáo": [format.month(p) for p in changed["period"]],
        },
        columns=columns,
    )  # fmt: skip
    return RevertPreview(batch_id, changes, len(effect) - len(changed))


# Danh mục ---------------------------------------------------------------------------------------
def units_table(units: list[OrgUnit]) -> pd.DataFrame:
    """Units as the catalog page lists them: the tree's top first, hamlets by name."""
    names = {u.code: u.label for u in units}
    order = {"city": 0, "commune": 1, "hamlet": 2}
    rows = [
        {
            "Mã": u.code,
            "Tên": u.label,
            "Cấp": UNIT_LEVEL_VI[u.level],
            "Trực thuộc": names.get(u.parent, u.parent or "–") if u.parent else "–",
            "Số hộ": format.number(u.households),
            "Dân số": format.number(u.population),
            "Trạng thái": "✓ Đang hoạt động" if u.active else "✗ Ngừng hoạt động",
        }
        for u in sorted(units, key=lambda u: (order[u.level], fold(u.name), u.code))
    ]
    return pd.DataFrame(rows, columns=["Mã", "Tên", "Cấp", "Trực thuộc", "Số hộ", "Dân số", "Trạng thái"])


def unit_changes(incoming: list[OrgUnit], existing: list[OrgUnit]) -> pd.DataFrame:
    """The units of a file against the catalog: new, updated (with what changes) or unchanged."""
    by_code = {u.code: u for u in existing}
    labels = {"name": "tên", "parent": "trực thuộc", "level": "cấp", "households": "số hộ",
              "population": "dân số", "active": "trạng thái"}  # fmt: skip
    table = units_table(incoming)
    changes = []
    for code in table["Mã"]:
        new = next(u for u in incoming if u.code == code)
        old = by_code.get(code)
        if old is None:
            changes.append("Mới")
            continue
        diff = [label for key, label in labels.items() if getattr(old, key) != getattr(new, key)]
        changes.append(f"Cập nhật: {', '.join(diff)}" if diff else "Không đổi")
    table.insert(0, "Thay đổi", changes)
    return table


def unit_change_counts(table: pd.DataFrame) -> str:
    """The counts of a units file, e.g. 3 đơn vị mới, 2 cập nhật, 10 không đổi."""
    kinds = table["Thay đổi"].str.split(":").str[0]
    return (f"{format.number(int((kinds == 'Mới').sum()))} đơn vị mới, "
            f"{format.number(int((kinds == 'Cập nhật').sum()))} cập nhật, "
            f"{format.number(int((kinds == 'Không đổi').sum()))} không đổi")  # fmt: skip


_UNIT_FIELD_VI = {
    "name": "Tên đơn vị không được để trống và dài tối đa 120 ký tự.",
    "households": "Số hộ phải là số nguyên không âm.",
    "population": "Dân số phải là số nguyên không âm.",
}


def _whole(text: str | None, field_name: str, errors: list[str]) -> int | None:
    label = {"households": "Số hộ", "population": "Dân số"}[field_name]
    try:
        number = _parse_number(text if text is None else str(text))
    except _NumberProblem:
        number = -1.0
    if number is None:
        return None
    if not float(number).is_integer() or number < 0:
        errors.append(f"{label} “{text}” không hợp lệ: cần số nguyên không âm (ví dụ 1.234), "
                      "hoặc để trống nếu chưa rõ.")  # fmt: skip
        return None
    return int(number)


def edit_unit(unit: OrgUnit, name: str, households: str | None, population: str | None,
              active: bool) -> tuple[OrgUnit | None, list[str]]:  # fmt: skip
    """The unit with its name, households, population and active flag changed, checked by OrgUnit.

    Returns (unit, []) when valid, (None, Vietnamese messages) otherwise. Numbers may be written as
    offices write them ("1.234"); an empty box means "not known".
    """
    errors: list[str] = []
    counts = {"households": _whole(households, "households", errors),
              "population": _whole(population, "population", errors)}  # fmt: skip
    try:
        changed = OrgUnit(
            **{**unit.model_dump(), "name": (name or "").strip(), **counts, "active": bool(active)}
        )
    except _ValidationError as exc:
        for problem in exc.errors():
            where = str(problem["loc"][0]) if problem["loc"] else "name"
            message = _UNIT_FIELD_VI.get(where, f"Giá trị không hợp lệ ({where}).")
            if message not in errors:
                errors.append(message)
    if errors:
        return None, errors
    return changed, []


def indicators_table() -> pd.DataFrame:
    """The catalog's indicators in Vietnamese: group, kind, level, numerator, denominator."""
    rows = [
        {
            "Mã": item.code,
            "Nhóm nhiệm vụ": f"{item.task_group}. {catalog.task_group(item.task_group).name_vi}",
            "Chỉ tiêu": item.name_vi,
            "Loại": catalog.KIND_VI[item.kind],
            "Cấp báo cáo": catalog.LEVEL_VI[item.level],
            "Tử số / giá trị": item.numerator_vi,
            "Mẫu số": item.denominator_vi if item.is_ratio else "–",
            "Đơn vị tính": item.display_unit,
            "Cách tính theo tháng": catalog.AGGREGATION_VI[item.aggregation],
            "Chiều": catalog.DIRECTION_VI[item.direction],
        }
        for item in catalog.indicators()
    ]
    return pd.DataFrame(rows)


def targets_table(target_rows: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """Targets per indicator and year (optionally one year), formatted, in catalog order."""
    columns = ["Mã", "Mục tiêu", "Năm", "Chỉ tiêu", "Căn cứ", "Người đặt", "Thời điểm"]
    order = {item.code: i for i, item in enumerate(catalog.indicators())}
    data = target_rows[target_rows["indicator_code"].isin(order)]
    if year is not None:
        data = data[data["year"] == year]
    data = data.assign(order=data["indicator_code"].map(order)).sort_values(["year", "order"])
    rows = [
        {
            "Năm": str(int(r.year)),
            "Mã": r.indicator_code,
            "Chỉ tiêu": catalog.indicator(r.indicator_code).name_vi,
            "Mục tiêu": format.indicator_value(r.value, catalog.indicator(r.indicator_code).kind),
            "Căn cứ": target_basis_vi(r.basis),
            "Người đặt": r.set_by or "–",
            "Thời điểm": _when(r.set_at),
        }
        for r in data.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=columns)


TARGET_YEARS = (2020, 2050)


def target_years(today: _date, target_rows: pd.DataFrame | None = None) -> list[int]:
    """Years offered for targets: last year to 2030 (at least five years ahead), and any stored."""
    years = set(range(today.year - 1, max(2030, today.year + 5) + 1))
    if target_rows is not None and not target_rows.empty:
        years |= {int(y) for y in target_rows["year"]}
    return sorted(years)


def target_input(target_rows: pd.DataFrame, code: str, year: int) -> tuple[str, str]:
    """(value as written, basis) of a stored target, to prefill the form; ("", "") when none."""
    part = target_rows[(target_rows["indicator_code"] == code) & (target_rows["year"] == year)]
    if part.empty:
        return "", ""
    value = float(part.iloc[0]["value"])
    return format.number(value, 0 if value.is_integer() else 1), str(part.iloc[0]["basis"] or "")


def check_target(
    code: str, year: int, value: str | float | None, basis: str | None
) -> tuple[float | None, list[str]]:
    """A target as typed, checked: (value, []) or (None, Vietnamese messages).

    The value is ≥ 0, and ≤ 100 for ratios (a percentage); the basis (where it comes from) is required.
    """
    errors: list[str] = []
    item = catalog.indicator_by_code().get(code)
    if item is None:
        return None, [f"Không có chỉ tiêu “{code}”."]
    if not TARGET_YEARS[0] <= int(year) <= TARGET_YEARS[1]:
        errors.append(f"Năm phải từ {TARGET_YEARS[0]} đến {TARGET_YEARS[1]}.")
    number = None
    try:
        number = _parse_number(value if value is None or isinstance(value, (int, float)) else str(value))
    except _NumberProblem as problem:
        if problem.kind == "percent":
            errors.append("Nhập mục tiêu không kèm dấu % (ví dụ 80 nghĩa là 80%).")
        else:
            errors.append(f"Mục tiêu “{value}” không phải là số.")
    else:
        if number is None:
            errors.append("Chưa nhập giá trị mục tiêu.")
        elif number < 0:
            errors.append("Mục tiêu không được âm.")
        elif item.is_ratio and number > 100:
            errors.append(f"{item.code} là chỉ tiêu tỷ lệ: mục tiêu phải từ 0 đến 100 (%).")
    if not (basis or "").strip():
        errors.append("Cần ghi căn cứ của mục tiêu (văn bản, kế hoạch hoặc cách ước tính).")
    return (None, errors) if errors else (number, [])


def target_value_text(code: str, value: float) -> str:
    return format.indicator_value(value, catalog.indicator(code).kind)


def batch_labels(batches: pd.DataFrame) -> dict[int, str]:
    """{batch id: "Lô 12 · file · time"} in the order of `batches`."""
    return {int(r.id): batch_label(r) for r in batches.itertuples(index=False)}


def batches_with_warnings(batches: pd.DataFrame, limit: int = 30) -> list[tuple[str, list[str]]]:
    """(label, warnings) of the newest batches that have warnings, at most `limit`."""
    out = []
    for r in batches.itertuples(index=False):
        if len(r.warnings):
            out.append((f"{batch_label(r)} – {format.number(len(r.warnings))} cảnh báo", list(r.warnings)))
        if len(out) >= limit:
            break
    return out


def unit_form_values(unit: OrgUnit) -> dict[str, str | bool]:
    """A unit's editable fields as the form shows them (numbers written the Vietnamese way)."""
    return {
        "name": unit.name,
        "households": "" if unit.households is None else format.number(unit.households),
        "population": "" if unit.population is None else format.number(unit.population),
        "active": unit.active,
    }


# --- accounts and audit -------------------------------------------------------------------------
def users_table(users: pd.DataFrame, units: dict[str, OrgUnit]) -> pd.DataFrame:
    """Accounts with Vietnamese headers; assigned units by name."""
    from indicators.domain.accounts import ROLE_VI

    def unit_names(codes: str) -> str:
        return ", ".join(units[c].label if c in units else c for c in codes.split(",") if c)

    return pd.DataFrame(
        {
            "Tên đăng nhập": users["name"],
            "Họ tên": users["display_name"],
            "Vai trò": users["role"].map(ROLE_VI),
            "Đơn vị được giao": users["units"].map(unit_names),
            "Trạng thái": users["active"].map({True: "Đang hoạt động", False: "Đã khóa"}),
            "Tạo lúc": users["created_at"].map(format.timestamp),
        }
    )


def filter_audit(rows: pd.DataFrame, action: str | None = None, actor: str | None = None) -> pd.DataFrame:
    if action:
        rows = rows[rows["action"] == action]
    if actor:
        rows = rows[rows["actor"] == actor]
    return rows
