"""Slides for steering-committee meetings: one message per slide, readable from the back of the room.

`draw_slides` turns the figures of one month (`MonthData`, gathered by the presentation page's view
model) into `Slide`s: what each slide says (title, subtitle, tiles, progress rows, a table…), already
formatted in Vietnamese, and nothing about where it goes. Three drawers place them:
`slides_html` for the screen (one layout that reflows from a 1920×1080 projector to a 390-px phone)
and the PDF (the same HTML printed by Chromium), `slides_pptx` for PowerPoint (real text, tables and
native charts, editable). The deck is the six headline indicators, one slide per task group, the
hamlets ranked by progress, a city's communes on a map (12 slides for a city with boundaries), the
submission status and the overdue tasks (11 slides). The map is a picture (PNG) made from a Plotly
figure: an `<img>` in its card on screen and in the PDF, a picture in the PowerPoint file (which has
no native map).

Every number goes through `indicators.domain.format`. Status is shown by colour, symbol and word
together (colour is never the only cue).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any, Protocol

import pandas as pd

from indicators import metrics
from indicators.domain import catalog, format, periods
from indicators.domain.text import fold
from indicators.domain.units import OrgUnit
from indicators.metrics import SUBMISSION_STATUS_VI
from indicators.render.charts import STATUS_SYMBOLS, SUBMISSION_SYMBOLS, short_name, status_label

MAX_TASK_ROWS = 5  # overdue tasks listed on one slide (the longest overdue); the rest are counted
MAX_RANKED = 16  # hamlets ranked on one slide; beyond, the best and the slowest eight are shown
MAX_TILES = 25  # units drawn as tiles on the submissions slide; beyond, names listed per status
LIST_CHARS = 300  # characters of names listed under a status on that slide; the rest are counted
NOTE_CHARS = 160  # characters of names of units without a boundary on the map slide
MAP_PICTURE = (900, 640)  # the map slide's picture in pixels (its card on a 16:9 slide, about 1.4:1)
NO_DATA_TEXT = "Chưa có số liệu"
SUBMISSION_ORDER = ("missing", "partial", "late", "on_time")  # the units to remind first
TASK_HEADERS = ("Mã", "Nhiệm vụ", "Đơn vị chủ trì", "Hạn", "Quá hạn")


@dataclass
class Tile:
    """A headline indicator: its short name, value, target and status."""

    code: str
    label: str
    value: str
    target: str
    status: str


@dataclass
class Row:
    """A progress row: label | bar towards the target (`progress` 0–1, capped) | value | status."""

    label: str
    progress: float
    value: str
    note: str
    status: str
    target: str = ""  # "" when the value column says it all (the ranking)


@dataclass
class UnitTile:
    """A unit on the submissions slide, in the colour of its submission status."""

    code: str
    name: str
    status: str
    detail: str


@dataclass
class StatusList:
    """Too many units for tiles: the units of one submission status, by name."""

    status: str
    count: int
    names: list[str]
    more: int  # units left out of `names`


@dataclass
class MapKey:
    """A line of the map's legend: a status's colour and “▼ Chậm: 3 xã”."""

    status: str
    text: str


@dataclass
class Slide:
    """What one slide says; `kind` says which of the bodies below it has."""

    title: str
    subtitle: str
    kind: str  # headline | group | ranking | map | submissions | tasks | empty
    footer: str = ""
    demo: bool = False
    page: str = ""  # "3/11"
    tiles: list[Tile] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    headers: tuple[str, ...] = ()  # of `rows` (label, progress, value, status) or of `table`
    axis: str = ""  # what the progress bars measure
    units: list[UnitTile] = field(default_factory=list)
    lists: list[StatusList] = field(default_factory=list)
    legend: str = ""
    table: list[list[str]] = field(default_factory=list)
    message: str = ""
    picture: Callable[[], bytes] | None = None  # the map as a PNG, made when first drawn (kept by the map)
    picture_size: tuple[int, int] = (0, 0)  # its width × height in pixels (before the PNG's scale)
    keys: list[MapKey] = field(default_factory=list)  # the map's legend: each status and its count
    note: str = ""  # under the map's legend: the units without a boundary

    def texts(self) -> list[str]:
        """Every text the slide shows, in reading order (for tests and search)."""
        out = [self.title, self.subtitle]
        out += [t for tile in self.tiles for t in (tile.label, tile.value, f"Mục tiêu {tile.target}",
                                                   status_label(tile.status))]  # fmt: skip
        out += list(self.headers)
        out += [t for r in self.rows for t in (r.label, r.value, r.target, r.note)]
        out += [t for u in self.units for t in (u.name, u.detail)]
        out += [t for s in self.lists for t in (list_heading(s), *s.names)]
        out += [cell for row in self.table for cell in row]
        out += [key.text for key in self.keys]
        return [t for t in [*out, self.axis, self.legend, self.note, self.message, self.footer, self.page] if t]


class Submissions(Protocol):
    """What the submissions slide reads of the month's submissions (the submissions page's view)."""

    completeness: pd.DataFrame  # metrics.completeness of the month
    members: pd.DataFrame | None  # a city's communes (metrics.completeness_by_member), else None

    @property
    def headline(self) -> str: ...  # “11/14 thôn đã nộp đúng hạn”

    @property
    def deadline(self) -> Any: ...  # its `text`: the deadline of the month, seen from today


class UnitMap(Protocol):
    """What the map slide reads of a city's map (`views.maps.MemberMap`)."""

    title: str
    notice: str  # “Ranh giới mang tính tham khảo.”

    @property
    def noun(self) -> str: ...

    @property
    def unmapped_names(self) -> list[str]: ...  # the members without a boundary

    def status_counts(self) -> list[tuple[str, int]]: ...

    def picture(self, width: int, height: int) -> bytes: ...  # the status map alone, as a PNG


@dataclass
class MonthData:
    """Everything the slides of one month show, computed once; `draw_slides` only shapes it."""

    period: str
    root: OrgUnit
    today: date
    indicators: pd.DataFrame  # metrics.commune_summary of the root
    groups: pd.DataFrame  # metrics.group_progress
    ranked: pd.DataFrame  # hamlet_progress
    submissions: Submissions
    overdue: pd.DataFrame  # overdue_tasks
    demo: bool = False
    map: UnitMap | None = None  # a city's communes on a map (views.maps.progress_map), else None

    @property
    def year(self) -> int:
        return periods.year_of(self.period)

    @property
    def headline(self) -> pd.DataFrame:
        return self.indicators.set_index("indicator_code").loc[list(catalog.HEADLINE_CODES)].reset_index()

    @property
    def footer(self) -> str:
        text = f"{self.root.label} · {format.month(self.period)} · Nghị quyết 57-NQ/TW"
        return text + (" · DỮ LIỆU MẪU (minh họa)" if self.demo else "")


def list_heading(item: StatusList) -> str:
    """“✗ Chưa nộp: 3”"""
    return f"{SUBMISSION_SYMBOLS[item.status]} {SUBMISSION_STATUS_VI[item.status]}: {format.number(item.count)}"


def _slide(data: MonthData | None, title: str, subtitle: str, kind: str, **body) -> Slide:
    footer, demo = (data.footer, data.demo) if data is not None else ("", False)
    return Slide(title, subtitle, kind, footer=footer, demo=demo, **body)


def _progress(value: Any) -> float:
    return 0.0 if value is None or pd.isna(value) else min(max(float(value), 0.0), 1.0)


# --- the slides ------------------------------------------------------------------------------------


def headline_slide(data: MonthData) -> Slide:
    """Six big tiles: value, target, status (symbol, word and colour) of the headline indicators."""
    headline = data.headline
    counts = headline["status"].value_counts()
    subtitle = f"So với mục tiêu năm {data.year}: " + " · ".join(
        f"{STATUS_SYMBOLS[s]} {int(counts[s])} {metrics.STATUS_VI[s].lower()}"
        for s in metrics.STATUSES
        if counts.get(s, 0)
    )
    tiles = [
        Tile(r.indicator_code, catalog.HEADLINE[r.indicator_code], format.indicator_value(r.value, r.kind),
             format.indicator_value(r.target, r.kind), r.status)
        for r in headline.itertuples()
    ]  # fmt: skip
    return _slide(data, f"Các chỉ tiêu chính – {format.month(data.period)}", subtitle, "headline", tiles=tiles)


def group_slide(data: MonthData, number: int) -> Slide:
    """One task group: each indicator's progress towards its target, with value and status."""
    group = data.groups[data.groups["task_group"] == number].iloc[0]
    table = data.indicators[data.indicators["task_group"] == number].reset_index(drop=True)
    title = f"Nhóm {number}. {group['name_vi']}"
    if pd.isna(group["progress"]):
        subtitle = f"{format.month(data.period)} · nhóm chưa có số liệu"
    else:
        subtitle = (f"{format.month(data.period)} · tiến độ bình quân {format.percent(group['progress'] * 100)} "
                    f"so với mục tiêu {data.year} · {status_label(group['status'])}")  # fmt: skip
    if table.empty:
        return _slide(data, title, subtitle, "group", message="Nhóm chưa có chỉ tiêu nào.")
    rows = [
        Row(short_name(r.indicator_code), _progress(r.progress), format.indicator_value(r.value, r.kind),
            status_label(r.status), r.status, target=format.indicator_value(r.target, r.kind))
        for r in table.itertuples()
    ]  # fmt: skip
    return _slide(data, title, subtitle, "group", rows=rows, axis=f"Tiến độ so với mục tiêu năm {data.year}",
                  headers=("Chỉ tiêu", f"Tiến độ so với mục tiêu năm {data.year}", "Giá trị / mục tiêu", "Đánh giá"))  # fmt: skip


def ranking_slide(data: MonthData) -> Slide:
    """Hamlets ranked by mean progress towards the targets, the slowest at the bottom."""
    ranked = data.ranked
    title = f"Xếp hạng thôn theo tiến độ – {format.month(data.period)}"
    subtitle = (
        f"Tiến độ bình quân các chỉ tiêu cấp thôn so với mục tiêu {data.year} (mỗi chỉ tiêu tối đa 100%)"
    )
    places = list(range(1, len(ranked) + 1))
    if len(ranked) > MAX_RANKED:
        half = MAX_RANKED // 2
        subtitle = f"{subtitle}; {half} thôn đầu và {half} thôn cuối trong {len(ranked)} thôn"
        places = places[:half] + places[-half:]
        ranked = pd.concat([ranked.head(half), ranked.tail(half)], ignore_index=True)
    if ranked.empty:
        return _slide(data, title, subtitle, "ranking",
                      message=f"{NO_DATA_TEXT} theo thôn {format.month(data.period).lower()}.")  # fmt: skip
    rows = [
        Row(f"{place}. {r.unit_name}", _progress(r.progress), format.percent(r.progress * 100),
            f"{status_label(r.status)} ({r.behind})", r.status)
        for place, r in zip(places, ranked.itertuples())
    ]  # fmt: skip
    return _slide(data, title, subtitle, "ranking", rows=rows,
                  headers=("Thôn", "Tiến độ bình quân", "Tiến độ", "Đánh giá (số chỉ tiêu chậm)"))  # fmt: skip


def map_slide(data: MonthData) -> Slide:
    """The members on a map (a picture), each coloured by its status (the ranking slide's mean
    progress), the count of each status beside it and the members without a boundary named."""
    unit_map = data.map
    subtitle = f"Trạng thái theo tiến độ bình quân các chỉ tiêu so với mục tiêu {data.year} · {unit_map.notice}"
    noun = unit_map.noun
    keys = [MapKey(status, f"{status_label(status)}: {format.number(n)} {noun}")
            for status, n in unit_map.status_counts() if n or status != "no_data"]  # fmt: skip
    note = ""
    names = unit_map.unmapped_names
    if names:
        shown = _shown(names, NOTE_CHARS)
        more = f" … và {format.number(len(names) - len(shown))} {noun} khác" if len(shown) < len(names) else ""
        note = f"Chưa có ranh giới trên bản đồ ({format.number(len(names))} {noun}): {', '.join(shown)}{more}."
    return _slide(data, unit_map.title, subtitle, "map", picture=partial(unit_map.picture, *MAP_PICTURE),
                  picture_size=MAP_PICTURE, keys=keys, note=note)  # fmt: skip


def _unit_tiles(units: pd.DataFrame) -> list[UnitTile]:
    order = {s: i for i, s in enumerate(SUBMISSION_ORDER)}
    units = units.assign(order=units["status"].map(order), commune=units["level"] != "hamlet")
    units = units.sort_values(["order", "commune"], kind="stable").reset_index(drop=True)
    tiles = []
    for r in units.itertuples():
        detail = f"{SUBMISSION_SYMBOLS[r.status]} {SUBMISSION_STATUS_VI[r.status]}"
        if r.status == "partial":
            detail += f" ({r.submitted}/{r.expected})"
        tiles.append(UnitTile(r.unit_code, r.unit_name, r.status, detail))
    return tiles


def _shown(names: list[str], limit: int = LIST_CHARS) -> list[str]:
    """The first names that fit in `limit` characters."""
    shown, used = [], 0
    for name in names:
        used += len(name) + 2  # ", "
        if used > limit:
            break
        shown.append(name)
    return shown


def _status_lists(units: pd.DataFrame) -> list[StatusList]:
    out = []
    for status in SUBMISSION_ORDER:
        names = sorted(units.loc[units["status"] == status, "unit_name"], key=fold)
        shown = _shown(names)
        out.append(StatusList(status, len(names), shown, len(names) - len(shown)))
    return out


def submissions_slide(data: MonthData) -> Slide:
    """“x/y thôn đã nộp đúng hạn” and a tile per unit coloured by its submission status (a city's
    communes: their names listed per status)."""
    sub = data.submissions
    title = f"{sub.headline} – {format.month(data.period)}"
    # a city's communes, each with what it and its hamlets owe (as /tinh-hinh-nop lists them)
    units = sub.completeness if sub.members is None else sub.members
    if units.empty:
        return _slide(data, title, sub.deadline.text, "submissions", message="Chưa có thôn nào trong danh mục.")
    counts = units["status"].value_counts()
    legend = "   ".join(f"{SUBMISSION_SYMBOLS[s]} {SUBMISSION_STATUS_VI[s]}: {format.number(int(counts.get(s, 0)))}"
                        for s in SUBMISSION_ORDER[::-1])  # fmt: skip
    who = "Các thôn và xã" if sub.members is None else "Các xã (mỗi xã gồm cả các thôn của xã)"
    body = {"lists": _status_lists(units)} if len(units) > MAX_TILES else {"units": _unit_tiles(units)}
    return _slide(data, title, sub.deadline.text, "submissions", legend=f"{who} – {legend}", **body)


def tasks_slide(data: MonthData) -> Slide:
    """The overdue tasks with their unit and deadline, or a clear “no overdue task”."""
    late, today = data.overdue, data.today
    subtitle = f"Sổ nhiệm vụ theo nguyên tắc “5 rõ”, tính đến ngày {format.day(today)}"
    if late.empty:
        return _slide(data, "Không có nhiệm vụ quá hạn", subtitle, "tasks", message="✓ Không có nhiệm vụ quá hạn")
    more = len(late) - MAX_TASK_ROWS
    if more > 0:
        subtitle += f" · {MAX_TASK_ROWS} nhiệm vụ quá hạn lâu nhất, còn {format.number(more)} nhiệm vụ khác"
    table = []
    for r in late.head(MAX_TASK_ROWS).itertuples():
        monthly = r.recurrence_day is not None and not pd.isna(r.recurrence_day)
        due = format.day(r.due) + (" (hằng tháng)" if monthly else "")
        table.append([r.code, r.title, r.unit, due, f"{format.number((today - r.due).days)} ngày"])
    return _slide(data, f"{format.number(len(late))} nhiệm vụ quá hạn", subtitle, "tasks", table=table,
                  headers=TASK_HEADERS)  # fmt: skip


def empty_slide() -> Slide:
    return _slide(None, NO_DATA_TEXT, "Chưa có danh sách thôn hoặc chưa có số liệu nào được nộp", "empty",
                  message="Chưa có số liệu để trình chiếu. Hãy nạp danh sách thôn (trang Danh mục) và số liệu "
                          "(trang Nộp số liệu), hoặc nạp dữ liệu mẫu để xem thử.")  # fmt: skip


def _makers(data: MonthData | None) -> list:
    """One function per slide, in order: calling one makes that slide."""
    if data is None:
        return [empty_slide]
    return [
        partial(headline_slide, data),
        *(partial(group_slide, data, int(n)) for n in data.groups["task_group"]),
        partial(ranking_slide, data),
        *([partial(map_slide, data)] if data.map is not None else []),
        partial(submissions_slide, data),
        partial(tasks_slide, data),
    ]


def slide_count(data: MonthData | None) -> int:
    return len(_makers(data))


def draw_slide(data: MonthData | None, index: int) -> Slide:
    """Slide `index` (from 0) of the month's data, with its page number; one slide is cheap."""
    makers = _makers(data)
    slide = makers[index]()
    slide.page = f"{index + 1}/{len(makers)}"
    return slide


def draw_slides(data: MonthData | None) -> list[Slide]:
    """All slides of the month's data."""
    return [draw_slide(data, i) for i in range(slide_count(data))]


def file_name(period: str | None, extension: str) -> str:
    """trinh_chieu_cds_2026-11.pdf"""
    return f"trinh_chieu_cds_{period or 'trong'}.{extension}"
