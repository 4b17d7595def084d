"""The map of a level's members (a city's communes), shown on the overview and the indicator page
and drawn on the city's slides and monthly report.

A map exists wherever some members of the root have a boundary (`domain.boundaries`): today a
city's communes. Members without one are listed under the map instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from indicators import metrics
from indicators.domain import catalog, format, periods
from indicators.domain.boundaries import NOTICE, boundaries
from indicators.domain.text import fold
from indicators.domain.units import OrgUnit
from indicators.render import maps
from indicators.render.charts import short_name, status_label
from indicators.render.report import figure_pngs
from indicators.storage import Store
from indicators.storage.memo import by_data_version
from indicators.views.common import member_noun, member_table

MODES = {"status": "Trạng thái", "value": "Giá trị"}  # what colours the map
ROW_COLUMNS = ["unit_code", "unit_name", "value", "status", "value_text", "target_text", "status_text", "hover",
               "mapped"]  # fmt: skip


@dataclass
class MemberMap:
    """One figure per member of `root` for the map: `rows` has ROW_COLUMNS, one row per member by
    name (`value` is the number a value map colours by; the texts are formatted the Vietnamese
    way; `hover` is what touching the unit shows; `mapped` says whether it has a boundary)."""

    root: OrgUnit
    period: str
    title: str
    value_label: str  # the colour bar's title of a value map
    ratio: bool  # values are percentages
    rows: pd.DataFrame
    _figures: dict = field(default_factory=dict, repr=False)  # drawn once per mode and size
    _pictures: dict = field(default_factory=dict, repr=False)  # PNGs of the status map, once per size

    @property
    def noun(self) -> str:
        return member_noun(self.root)

    @property
    def mapped_codes(self) -> list[str]:
        return list(self.rows.loc[self.rows["mapped"], "unit_code"])

    @property
    def unmapped_names(self) -> list[str]:
        return list(self.rows.loc[~self.rows["mapped"], "unit_name"])

    @property
    def choices(self) -> dict[str, str]:
        """Member code -> label, by name: the select beside the map."""
        return dict(zip(self.rows["unit_code"], self.rows["unit_name"]))

    @property
    def unmapped_text(self) -> str:
        """“Chưa có ranh giới trên bản đồ (2 xã): Xã A, Xã B.”; empty when every member is drawn."""
        names = self.unmapped_names
        if not names:
            return ""
        return f"Chưa có ranh giới trên bản đồ ({format.number(len(names))} {self.noun}): {', '.join(names)}."

    @property
    def notice(self) -> str:
        return f"{NOTICE}."

    def status_counts(self) -> list[tuple[str, int]]:
        counts = self.rows["status"].value_counts()
        return [(s, int(counts.get(s, 0))) for s in metrics.STATUSES]

    def figure(self, mode: str = "status", width: int = maps.PHONE_WIDTH, height: int = maps.PAGE_HEIGHT,
               title: bool = False, whole: bool = False) -> go.Figure:  # fmt: skip
        """The choropleth (`render.maps.member_map`) of this map's members, drawn once (a kept view
        is shared by every session: a page rerun does not draw it again)."""
        key = (mode, width, height, title, whole)
        if key not in self._figures:
            self._figures[key] = self._draw(mode, width, height, title, whole)
        return self._figures[key]

    def picture(self, width: int, height: int) -> bytes:
        """The status map alone (no legend, no title: the slide writes them beside it) as a PNG of
        width × height pixels at scale 2, in the shipped fonts (`render.report.figure_pngs`), made
        once per size (a Kaleido run costs seconds)."""
        if (width, height) not in self._pictures:
            fig = self._draw("status", width, height, False, True)
            fig.update_layout(showlegend=False, margin={"l": 0, "r": 0, "t": 0, "b": 0})
            self._pictures[(width, height)] = figure_pngs([fig], width, height)[0]
        return self._pictures[(width, height)]

    def _draw(self, mode: str, width: int, height: int, title: bool, whole: bool) -> go.Figure:
        mapped = self.rows[self.rows["mapped"]]
        return maps.member_map(
            mapped, boundaries().collection(mapped["unit_code"]), mode, self.value_label, self.ratio,
            width=width, height=height, title=self.title if title else None, whole=whole,
        )  # fmt: skip


def _mapped(units: list[OrgUnit]) -> dict[str, bool]:
    found = boundaries()
    return {u.code: found.has(u.code) for u in units}


def has_map(store: Store, root: OrgUnit) -> bool:
    """Whether some member of `root` has a boundary (a city's communes: yes; a commune's hamlets: no)."""
    return any(_mapped(metrics.member_units(store, root.code)).values())


def _hover(name: str, lines: list[tuple[str, str]]) -> str:
    return f"<b>{name}</b><br>" + "<br>".join(f"{label}: {text}" for label, text in lines)


def _row(unit: OrgUnit, mapped: bool, value: float | None, status: str, value_text: str, target_text: str,
         lines: list[tuple[str, str]]) -> dict:  # fmt: skip
    """One member's row (ROW_COLUMNS); `lines` are the hover's lines above its status."""
    hover = _hover(unit.label, [*lines, ("Trạng thái", status_label(status))])
    return {"unit_code": unit.code, "unit_name": unit.label, "value": value, "status": status,
            "value_text": value_text, "target_text": target_text, "status_text": status_label(status),
            "hover": hover, "mapped": mapped}  # fmt: skip


def _by_name(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS).astype({"value": float})
    order = frame["unit_name"].map(fold).argsort(kind="stable")
    return frame.iloc[order].reset_index(drop=True)


@by_data_version(size=64, copies=False)
def member_map(store: Store, period: str, root: OrgUnit, code: str) -> MemberMap | None:
    """The map of one indicator over the members of `root`: each member's value, target and status
    (as `metrics.member_table` has them). None when no member has a boundary. Kept per data
    version and shared, not copied: callers read it and never change it."""
    units = metrics.member_units(store, root.code)
    mapped = _mapped(units)
    if not any(mapped.values()):
        return None
    item = catalog.indicator(code)
    year = periods.year_of(period)
    table = member_table(store, period, root.code)
    table = table[table["indicator_code"] == code].set_index("unit_code")
    rows = []
    for unit in units:
        found = unit.code in table.index
        value = table.at[unit.code, "value"] if found else None
        target = table.at[unit.code, "target"] if found else None
        status = table.at[unit.code, "status"] if found else "no_data"
        value_text = format.indicator_value(value, item.kind)
        target_text = format.indicator_value(target, item.kind)
        suffix = " (lũy kế từ đầu năm)" if item.aggregation == "sum" else ""
        rows.append(_row(unit, mapped[unit.code], value, status, value_text, target_text,
                         [("Giá trị", value_text + suffix), (f"Mục tiêu {year}", target_text)]))  # fmt: skip
    return MemberMap(
        root=root,
        period=period,
        title=f"{item.name_vi} theo {member_noun(root)} – {format.month(period)}",
        value_label=catalog.HEADLINE.get(code) or _short(item),
        ratio=item.is_ratio,
        rows=_by_name(rows),
    )


def _short(item: catalog.Indicator) -> str:
    return short_name(item.code) + ("" if item.is_ratio else f" ({item.display_unit})")


def progress_map(store: Store, period: str, root: OrgUnit, ranked: pd.DataFrame) -> MemberMap | None:
    """The map the city's slides and report draw: each member's status by its mean progress over
    every indicator (`ranked` is `views.presentation.hamlet_progress`, as the ranking slide has it).
    None when no member has a boundary."""
    units = metrics.member_units(store, root.code)
    mapped = _mapped(units)
    if not any(mapped.values()):
        return None
    by_code = ranked.set_index("unit_code") if len(ranked) else pd.DataFrame()
    rows = []
    for unit in units:
        found = unit.code in by_code.index
        progress = float(by_code.at[unit.code, "progress"]) * 100 if found else None
        status = by_code.at[unit.code, "status"] if found else "no_data"
        text = format.percent(progress)
        behind = int(by_code.at[unit.code, "behind"]) if found else 0
        rows.append(_row(unit, mapped[unit.code], progress, status, text, format.percent(100, 0),
                         [("Tiến độ bình quân", text), ("Chỉ tiêu chậm", format.number(behind))]))  # fmt: skip
    return MemberMap(
        root=root,
        period=period,
        title=f"Tiến độ chung theo {member_noun(root)} – {format.month(period)}",
        value_label="Tiến độ bình quân",
        ratio=True,
        rows=_by_name(rows),
    )
