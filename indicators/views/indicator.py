"""The indicator page (Chỉ tiêu, pages/indicator.py): one indicator's definition, series, revisions."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from indicators import metrics
from indicators.domain import catalog, format, periods
from indicators.domain.accounts import Actor
from indicators.domain.text import fold
from indicators.domain.units import OrgUnit
from indicators.storage import Store
from indicators.storage.memo import by_data_version
from indicators.views.common import COL_VALUE, MetricDelta, metric_delta, name_key, target_basis_vi

REVISION_STATE_VI = {
    "current": "Đang dùng",
    "superseded": "Bản cũ (đã có bản sửa)",
    "reverted": "Đã hoàn tác",
}


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
    data = data.sort_values(["period", "unit_label", "id"], key=lambda s: name_key(s) if s.name == "unit_label" else s,
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
                "Tình trạng": REVISION_STATE_VI[state] + (f" · {LATE_MARK}" if _late(r) else ""),
                "Tệp": r.file_name,
                "Người nộp": r.user_name,
                "Thời điểm nhận": format.timestamp(r.received_at),
                "Ghi chú": "; ".join(filter(None, [r.note or "", f"Lý do điều chỉnh: {r.late_reason}" if _late(r) else ""])),
            }
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


LATE_MARK = "✎ điều chỉnh sau phát hành"
# What only signed-in accounts see of the raw figures: login names, file names, free-text notes
PRIVATE_COLUMNS = ("Tệp", "Người nộp", "Ghi chú")


def _late(row) -> bool:
    reason = getattr(row, "late_reason", None)
    return isinstance(reason, str) and bool(reason)


def _plain(value: float | None) -> str:
    if value is None or pd.isna(value):
        return "–"
    return format.number(value, 0 if float(value).is_integer() else 1)


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

    def revisions_for(self, actor: Actor) -> pd.DataFrame:
        """The raw figures as `actor` may see them: the public view without who sent them, the
        file names and the notes (PRIVATE_COLUMNS)."""
        if actor.kind != "public":
            return self.revisions
        return self.revisions.drop(columns=[c for c in PRIVATE_COLUMNS if c in self.revisions.columns])

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
    members.sort(key=lambda u: fold(u.label))
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
