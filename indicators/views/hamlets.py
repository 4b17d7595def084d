"""The by-member page (Theo thôn, pages/hamlets.py): hamlets (a city's communes) × indicators."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from indicators import metrics
from indicators.domain import catalog, format, periods
from indicators.domain.text import fold
from indicators.domain.units import OrgUnit
from indicators.metrics import STATUS_VI
from indicators.render import charts
from indicators.render.charts import STATUS_SYMBOLS, short_name
from indicators.storage import Store
from indicators.storage.memo import by_data_version
from indicators.views.common import indicator_rows, member_noun, name_key, status_counts


@dataclass
class HamletDetail:
    """One hamlet: every hamlet-level indicator this month, and its monthly series."""

    unit: OrgUnit
    period: str
    table: pd.DataFrame  # metrics rows of this hamlet, catalog order
    rows: pd.DataFrame  # the same, formatted (`indicator_rows`)
    series: dict[str, pd.DataFrame]  # code -> monthly values of the hamlet and its commune
    names: dict[str, str]  # unit code -> label, for chart legends
    targets: dict[str, float]  # the unit's own: a count's is its share of the commune's (metrics.unit_tree)

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
class PhoneCard:
    """One member in the phone form of the heat map: “Cậy”, “▼3 ●2 ▲6 ★5”, one line per indicator."""

    label: str
    counts: str
    lines: list[str]


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

    def phone_cards(self) -> list[PhoneCard]:
        """The heat map for a phone: one card per member, its indicators worst first, each with
        its status symbol and value (a 16-column grid is unreadable 390 px wide)."""
        rank = {s: i for i, s in enumerate(["behind", "at_risk", "no_data", "on_track", "achieved"])}
        # one stable sort of the whole table: each member's rows stay in catalog order within a status
        # (a filter and a sort per member cost 0,4 s for a city's 114 communes)
        table = self.table.assign(rank=self.table["status"].map(rank)).sort_values("rank", kind="stable")
        lines: dict[str, list[str]] = {}
        counts: dict[str, dict[str, int]] = {}
        for r in table[["unit_code", "indicator_code", "status", "value", "kind"]].itertuples(index=False):
            lines.setdefault(r.unit_code, []).append(
                f"{STATUS_SYMBOLS[r.status]} {short_name(r.indicator_code)}: "
                f"**{format.indicator_value(r.value, r.kind)}** ({STATUS_VI[r.status].lower()})"
            )
            tally = counts.setdefault(r.unit_code, {})
            tally[r.status] = tally.get(r.status, 0) + 1
        cards = []
        for unit in self.hamlets:
            tally = counts.get(unit.code, {})
            summary = " ".join(f"{STATUS_SYMBOLS[s]}{tally[s]}" for s in metrics.STATUSES if tally.get(s))
            cards.append(PhoneCard(unit.label, summary, lines.get(unit.code, [])))
        return cards

    def ranking_table(self, code: str) -> pd.DataFrame:
        """One row per hamlet with a figure of the month for one indicator (unit_name, value,
        status, …): a hamlet that has not sent is not ranked (`not_sent`)."""
        rows = self.table[(self.table["indicator_code"] == code) & self.table["monthly_value"].notna()]
        return rows.reset_index(drop=True)

    def not_sent(self, code: str) -> list[str]:
        """The hamlets with no figure of the month for `code`, by name."""
        rows = self.table[(self.table["indicator_code"] == code) & self.table["monthly_value"].isna()]
        return list(rows["unit_name"])

    def ranking_target(self, code: str) -> float | None:
        """The one target line of a ranking: the members' common target (a ratio's, or a city's
        communes'); None when each has its own share (a count across hamlets)."""
        targets = self.table.loc[self.table["indicator_code"] == code, "target"].dropna().unique()
        return float(targets[0]) if len(targets) == 1 else None

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
            targets={code: t for code, t in zip(table["indicator_code"], table["target"]) if pd.notna(t)},
        )


@by_data_version()
def hamlets_view(store: Store, period: str, root: OrgUnit) -> HamletsView:
    """The members of `root` (hamlets, or a city's communes) × their indicators."""
    year = periods.year_of(period)
    hamlets = metrics.member_units(store, root.code)
    hamlets.sort(key=lambda u: fold(u.label))
    order = {item.code: i for i, item in enumerate(catalog.indicators())}
    table = metrics.member_table(store, period, root.code)
    table = table.sort_values(
        ["unit_name", "indicator_code"],
        key=lambda s: s.map(order) if s.name == "indicator_code" else name_key(s),
    ).reset_index(drop=True)
    return HamletsView(
        period=period,
        root=root,
        hamlets=hamlets,
        table=table,
        codes=[i.code for i in catalog.indicators()]
        if root.level == "city"
        else [i.code for i in catalog.indicators_at_level("hamlet")],
        targets=store.targets(year),
        # the members' roll-up is the one member_table just made (kept); the root's is the overview's
        monthly=pd.concat(
            [
                metrics.monthly_values(store, year, period, [root.code]),
                metrics.monthly_values(store, year, period, [u.code for u in hamlets]),
            ],
            ignore_index=True,
        ),  # fmt: skip
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
    return charts.hamlet_ranking(
        view.ranking_table(code), item, view.ranking_target(code), period, member_noun(root)
    )


@by_data_version(size=64, copies=False)
def member_trend(store: Store, period: str, root: OrgUnit, unit_code: str, code: str) -> go.Figure:
    detail = member_detail.shared(store, period, root, unit_code)
    return charts.indicator_trend(detail.series[code], catalog.indicator(code), detail.targets.get(code),
                                  detail.names)  # fmt: skip
