"""Slides for steering-committee meetings: one message per slide, readable from the back of the room.

`draw_slides` draws the slides of one month (`MonthData`, gathered by the presentation page's view
model) as Plotly figures for a 16:9 screen: the six headline indicators, one slide per task group,
the hamlets ranked by progress, a city's communes on a map, the submission status and the overdue
tasks (11 slides; 12 for a city with boundaries).
`slide_images` exports every slide in ONE Kaleido session;
`pdf_from_images` and `pptx_from_images` assemble the same images into a PDF and a PowerPoint file
(`slides_pdf` / `slides_pptx` do both steps for callers that want only one file).

Sizes. Plotly writes text in pixels whatever the size of the figure, so every size here is a base
size times `scale`: the base sizes (title 44 px, labels 22–24 px) fill a 1280×720 screen, and the
default `scale` 1.5 fills 1920×1080 (title 66 px, labels 33–36 px) the same way. Everything is placed
in paper coordinates (the area inside fixed margins) with pixel offsets, never with automatic
margins, so a slide lays out the same at any size whose width / scale is about 1280.

Every text is Vietnamese and every number goes through `indicators.domain.format`. Status is shown by
colour, symbol and word together (colour is never the only cue).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, Protocol

import pandas as pd
import plotly.graph_objects as go

from indicators import metrics
from indicators.domain import catalog, format, periods
from indicators.domain.text import fold
from indicators.domain.units import OrgUnit
from indicators.metrics import SUBMISSION_STATUS_VI
from indicators.render.charts import (
    FONT,
    STATUS_COLORS,
    STATUS_SYMBOLS,
    SUBMISSION_COLORS,
    SUBMISSION_SYMBOLS,
    short_name,
    status_label,
    wrap_text,
)

WIDTH, HEIGHT = 1920, 1080  # the exported slide (16:9)
SCALE = 1.5  # sizes for WIDTH × HEIGHT; 1.0 fills a 1280×720 screen
# base sizes in pixels (times the scale)
TITLE_SIZE = 44
SUBTITLE_SIZE = 28
LABEL_SIZE = 24
SMALL_SIZE = 22  # the smallest text on any slide
VALUE_SIZE = 64  # the big number of a headline tile
MARGIN_X = 44
TITLE_CHARS = 46  # characters of a title line (wrapped for a 16:9 screen)
SUBTITLE_CHARS = 80

INK = "#1A1A1A"
MUTED = "#4D4D4D"
TRACK = "#E3E3E3"  # the empty part of a progress bar: the way still to go to the target
_DARK_TEXT = {"at_risk", "no_data"}  # status colours too light for white text
_SUBMISSION_DARK_TEXT = {"late", "partial"}
_SUBMISSION_ORDER = ("missing", "partial", "late", "on_time")  # the units to remind first
TASK_CHARS, UNIT_CHARS = 40, 19  # characters of a line in the task and unit columns of the table
MAX_TASK_ROWS = 5  # overdue tasks listed on one slide (the longest overdue); the rest are counted
MAX_RANKED = 16  # hamlets ranked on one slide; beyond, the best and the slowest eight are shown
MAX_TILES = 25  # units drawn as tiles on the submissions slide; beyond, names listed per status
LIST_CHARS, LIST_LINES = 24, 12  # a status column's lines of names on that slide
NO_DATA_TEXT = "Chưa có số liệu"


@dataclass
class Slide:
    """One slide: its title and subtitle (both also drawn on the figure) and the figure."""

    title: str
    subtitle: str
    figure: go.Figure
    kind: str  # headline | group | ranking | map | submissions | tasks | empty


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
    unmapped_text: str  # the members without a boundary, or ""

    @property
    def noun(self) -> str: ...

    def status_counts(self) -> list[tuple[str, int]]: ...

    def figure(self, mode: str = "status", width: int = ..., height: int = ..., title: bool = False,
               whole: bool = False) -> go.Figure: ...  # fmt: skip


@dataclass
class MonthData:
    """Everything the slides of one month show, computed once; `draw_slides` only draws it."""

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
        return text + (" · <b>DỮ LIỆU MẪU (minh họa)</b>" if self.demo else "")


# --- drawing helpers -------------------------------------------------------------------------------


def _wrap(text: str, width: int) -> str:
    """`wrap_text` with lines of even length: the fewest lines of at most `width` characters, each
    as short as that number of lines allows (no lone word on the last line)."""
    lines = wrap_text(text, width).count("<br>") + 1
    while width > 1 and wrap_text(text, width - 1).count("<br>") + 1 == lines:
        width -= 1
    return wrap_text(text, width)


def _tint(color: str, alpha: float) -> str:
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _status_ink(status: str) -> str:
    """A status colour dark enough for text on white (the orange and the grey are darkened)."""
    return {"at_risk": "#A36F00", "no_data": "#6B6B6B"}.get(status, STATUS_COLORS[status])


class _Pen:
    """Draws on one figure at one scale: `px(n)` is a base size in pixels at this scale."""

    def __init__(self, fig: go.Figure, scale: float):
        self.fig, self.scale = fig, scale
        # added to the figure together by `done`: plotly validates the whole list again on each
        # add_annotation (a city's slide of 114 tiles took minutes)
        self._annotations: list[dict] = []
        self._shapes: list[dict] = []

    def done(self) -> go.Figure:
        """The figure with everything drawn so far."""
        if self._annotations:
            self.fig.layout.annotations = [*self.fig.layout.annotations, *self._annotations]
        if self._shapes:
            self.fig.layout.shapes = [*self.fig.layout.shapes, *self._shapes]
        self._annotations, self._shapes = [], []
        return self.fig

    def px(self, n: float) -> int:
        return round(n * self.scale)

    def text(self, text: str, x: float, y: float, size: int = LABEL_SIZE, color: str = INK, name: str = "",
             **extra) -> None:  # fmt: skip
        """A text at (x, y) in paper coordinates unless `extra` says otherwise, centred by default;
        `size` and any `xshift` / `yshift` are base pixels."""
        for key in ("xshift", "yshift"):
            if key in extra:
                extra[key] = self.px(extra[key])
        options = {"xref": "paper", "yref": "paper", "xanchor": "center", "yanchor": "middle", **extra}
        self._annotations.append({"text": text, "x": x, "y": y, "showarrow": False, "name": name,
                                  "font": {"size": self.px(size), "color": color}, **options})  # fmt: skip

    def rect(self, x0: float, x1: float, y0: float, y1: float, color: str, fill: str, width: float = 4,
             **extra) -> None:  # fmt: skip
        self._shapes.append({"type": "rect", "xref": "paper", "yref": "paper", "x0": x0, "x1": x1, "y0": y0,
                             "y1": y1, "line": {"color": color, "width": self.px(width)}, "fillcolor": fill,
                             "layer": "below", **extra})  # fmt: skip


def _frame(scale: float, title: str, subtitle: str, footer: str, bottom: int = 56,
           header: int = 0) -> _Pen:  # fmt: skip
    """A blank slide: title and subtitle above the plot area (`header` base pixels above it stay
    free for column headings), the footer in the bottom margin."""
    pen = _Pen(go.Figure(), scale)
    title_text = _wrap(title, TITLE_CHARS)
    subtitle_text = _wrap(subtitle, SUBTITLE_CHARS) if subtitle else ""
    title_h = int(TITLE_SIZE * 1.3) * (title_text.count("<br>") + 1)
    subtitle_h = int(SUBTITLE_SIZE * 1.35) * (subtitle_text.count("<br>") + 1) if subtitle else 0
    gap = 14
    pen.fig.update_layout(
        width=WIDTH,
        height=HEIGHT,
        font={"family": FONT, "size": pen.px(LABEL_SIZE), "color": INK},
        margin={"l": pen.px(MARGIN_X), "r": pen.px(MARGIN_X), "b": pen.px(bottom),
                "t": pen.px(24 + title_h + 6 + subtitle_h + gap + header), "pad": 0},
        paper_bgcolor="white",
        plot_bgcolor="white",
        showlegend=False,
        separators=",.",  # Vietnamese: decimal comma, thousands dot
        hovermode=False,
        dragmode=False,
    )  # fmt: skip
    pen.fig.update_xaxes(visible=False, range=[0, 1], fixedrange=True)
    pen.fig.update_yaxes(visible=False, range=[0, 1], fixedrange=True)
    pen.text(f"<b>{title_text}</b>", 0, 1, TITLE_SIZE, INK, "title", xanchor="left", yanchor="bottom",
             yshift=header + gap + subtitle_h + 6, align="left")  # fmt: skip
    if subtitle:
        pen.text(subtitle_text, 0, 1, SUBTITLE_SIZE, MUTED, "subtitle", xanchor="left", yanchor="bottom",
                 yshift=header + gap, align="left")  # fmt: skip
    pen.text(
        footer, 0, 0, SMALL_SIZE, MUTED, "footer", xanchor="left", yanchor="bottom", yshift=-(bottom - 8)
    )
    return pen


def _message(pen: _Pen, text: str, color: str = MUTED, size: int = 40) -> None:
    """A sentence in the middle of an otherwise empty slide."""
    pen.text(text, 0.5, 0.55, size, color, "message")


# columns of the progress rows, in paper coordinates
MIN_ROWS = 6
COLUMNS = (0.25, 0.265, 0.62, 0.645, 0.83)  # label end, bar start and end, value, status
NARROW_VALUE = (0.25, 0.265, 0.60, 0.625, 0.745)  # a short value column, a wide status column


def _progress_rows(pen: _Pen, labels: list[str], progress: list[float | None], statuses: list[str],
                   values: list[str], notes: list[str], headers: tuple[str, str], axis_title: str | None,
                   size: int = LABEL_SIZE, columns: tuple[float, ...] = COLUMNS) -> None:  # fmt: skip
    """Rows of label | progress bar on a grey track to 100 % | value text | status text.

    The grey track is the way to the target; the coloured bar is the progress (capped at 100 %).
    `axis_title` None leaves out the percentage axis (the value column says the same).
    """
    label_end, bar_start, bar_end, value_at, status_at = columns
    fig = pen.fig
    shown = [0.0 if p is None or pd.isna(p) else min(max(float(p), 0.0), 1.0) * 100 for p in progress]
    rows = list(range(len(labels)))
    fig.add_trace(go.Bar(x=[100] * len(rows), y=rows, orientation="h", marker_color=TRACK, width=0.64,
                         hoverinfo="skip"))  # fmt: skip
    fig.add_trace(go.Bar(x=shown, y=rows, orientation="h", width=0.64, hoverinfo="skip",
                         marker_color=[STATUS_COLORS[s] for s in statuses]))  # fmt: skip
    fig.update_layout(barmode="overlay")
    ticks = [0, 25, 50, 75, 100]
    fig.update_xaxes(
        visible=True, domain=[bar_start, bar_end], range=[0, 100], tickvals=ticks,
        ticktext=[format.percent(t, 0) for t in ticks], tickfont={"size": pen.px(SMALL_SIZE), "color": MUTED},
        showticklabels=axis_title is not None, showgrid=True, gridcolor="#FFFFFF", gridwidth=pen.px(3),
        zeroline=False, showline=False, ticks="",
        title={"text": axis_title or "", "font": {"size": pen.px(SMALL_SIZE), "color": MUTED},
               "standoff": pen.px(4)},
    )  # fmt: skip
    # a few rows keep the height of a row of six (bars, not blocks), the axis right below them
    fig.update_yaxes(range=[len(rows) - 0.5, -0.5], domain=[1 - min(len(rows), MIN_ROWS) / MIN_ROWS, 1])
    for row, label, value, note, status in zip(rows, labels, values, notes, statuses):
        pen.text(label, label_end, row, size, INK, "label", yref="y", xanchor="right")
        pen.text(value, value_at, row, size, INK, "value", yref="y", xanchor="left")
        pen.text(
            f"<b>{note}</b>", status_at, row, size, _status_ink(status), "status", yref="y", xanchor="left"
        )
    for x, header in zip((value_at, status_at), headers):
        pen.text(header, x, 1, SMALL_SIZE, MUTED, "header", xanchor="left", yanchor="bottom", yshift=4)


# --- the slides ------------------------------------------------------------------------------------


def headline_slide(data: MonthData, scale: float = SCALE) -> Slide:
    """Six big tiles: value, target, status (symbol, word and colour) of the headline indicators."""
    headline = data.headline
    title = f"Các chỉ tiêu chính – {format.month(data.period)}"
    counts = headline["status"].value_counts()
    subtitle = f"So với mục tiêu năm {data.year}: " + " · ".join(
        f"{STATUS_SYMBOLS[s]} {int(counts[s])} {metrics.STATUS_VI[s].lower()}"
        for s in metrics.STATUSES
        if counts.get(s, 0)
    )
    pen = _frame(scale, title, subtitle, data.footer)
    cols, gap_x, gap_y = 3, 0.02, 0.05
    tile_w = (1 - gap_x * (cols - 1)) / cols
    tile_h = (1 - gap_y) / 2
    band = 48  # base pixels: the status band at the bottom of a tile
    for i, row in enumerate(headline.itertuples()):
        col, line = i % cols, i // cols
        x0 = col * (tile_w + gap_x)
        y1 = 1 - line * (tile_h + gap_y)
        y0 = y1 - tile_h
        center = x0 + tile_w / 2
        color = STATUS_COLORS[row.status]
        code = row.indicator_code
        pen.rect(x0, x0 + tile_w, y0, y1, color, _tint(color, 0.10))
        pen.rect(x0, x0 + tile_w, 0, pen.px(band), color, color, ysizemode="pixel", yanchor=y0)
        pen.text(f"<b>{_wrap(catalog.HEADLINE[code], 26)}</b>", center, y1, LABEL_SIZE, INK, f"label:{code}",
                 yanchor="top", yshift=-10)  # fmt: skip
        # the value and, beside it, the target: the middle of the space between label and band
        middle = (y0 + y1) / 2
        pen.text(f"<b>{format.indicator_value(row.value, row.kind)}</b>", x0 + 0.62 * tile_w, middle,
                 VALUE_SIZE, INK, f"value:{code}", xanchor="right", yshift=-12)  # fmt: skip
        pen.text(f"Mục tiêu<br><b>{format.indicator_value(row.target, row.kind)}</b>",
                 x0 + 0.66 * tile_w, middle, LABEL_SIZE, MUTED, f"target:{code}", xanchor="left",
                 align="left", yshift=-12)  # fmt: skip
        pen.text(f"<b>{status_label(row.status)}</b>", center, y0, LABEL_SIZE + 2,
                 INK if row.status in _DARK_TEXT else "white", f"status:{code}", yshift=band / 2)  # fmt: skip
    return Slide(title, subtitle, pen.done(), "headline")


def group_slide(data: MonthData, number: int, scale: float = SCALE) -> Slide:
    """One task group: each indicator's progress towards its target, with value and status."""
    group = data.groups[data.groups["task_group"] == number].iloc[0]
    table = data.indicators[data.indicators["task_group"] == number].reset_index(drop=True)
    title = f"Nhóm {number}. {group['name_vi']}"
    if pd.isna(group["progress"]):
        subtitle = f"{format.month(data.period)} · nhóm chưa có số liệu"
    else:
        subtitle = (f"{format.month(data.period)} · tiến độ bình quân {format.percent(group['progress'] * 100)} "
                    f"so với mục tiêu {data.year} · {status_label(group['status'])}")  # fmt: skip
    pen = _frame(scale, title, subtitle, data.footer, bottom=96, header=34)
    if table.empty:
        _message(pen, "Nhóm chưa có chỉ tiêu nào.")
        return Slide(title, subtitle, pen.done(), "group")
    _progress_rows(
        pen,
        labels=[short_name(c) for c in table["indicator_code"]],
        progress=list(table["progress"]),
        statuses=list(table["status"]),
        values=[
            f"<b>{format.indicator_value(r.value, r.kind)}</b> / {format.indicator_value(r.target, r.kind)}"
            for r in table.itertuples()
        ],
        notes=[status_label(s) for s in table["status"]],
        headers=("Giá trị / mục tiêu", "Đánh giá"),
        axis_title=f"Tiến độ so với mục tiêu năm {data.year}",
    )
    return Slide(title, subtitle, pen.done(), "group")


def ranking_slide(data: MonthData, scale: float = SCALE) -> Slide:
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
    pen = _frame(scale, title, subtitle, data.footer, header=34)
    if ranked.empty:
        _message(pen, f"{NO_DATA_TEXT} theo thôn {format.month(data.period).lower()}.")
        return Slide(title, subtitle, pen.done(), "ranking")
    _progress_rows(
        pen,
        labels=[f"{place}. {name}" for place, name in zip(places, ranked["unit_name"])],
        progress=list(ranked["progress"]),
        statuses=list(ranked["status"]),
        values=[f"<b>{format.percent(p * 100)}</b>" for p in ranked["progress"]],
        notes=[f"{status_label(s)} ({n})" for s, n in zip(ranked["status"], ranked["behind"])],
        headers=("Tiến độ", "Đánh giá (số chỉ tiêu chậm)"),
        axis_title=None,
        size=SMALL_SIZE if len(ranked) > 10 else LABEL_SIZE,
        columns=NARROW_VALUE,
    )
    return Slide(title, subtitle, pen.done(), "ranking")


def map_slide(data: MonthData, scale: float = SCALE) -> Slide:
    """The members on a map, each coloured by its status (the ranking slide's mean progress), the
    count of each status beside it."""
    unit_map = data.map
    title = unit_map.title
    subtitle = f"Trạng thái theo tiến độ bình quân các chỉ tiêu so với mục tiêu {data.year} · {unit_map.notice}"
    pen = _frame(scale, title, subtitle, data.footer, bottom=96)
    layout = pen.fig.layout
    share = 0.66  # of the width: the map; the rest: its legend
    width = round((WIDTH - layout.margin.l - layout.margin.r) * share)
    height = HEIGHT - layout.margin.t - layout.margin.b
    drawn = unit_map.figure("status", width, height, whole=True)
    for trace in drawn.data:
        pen.fig.add_trace(trace.update(showlegend=False, hoverinfo="skip", hovertemplate=None,
                                       marker_line_width=max(1, pen.px(1))))  # fmt: skip
    pen.fig.update_layout(map={**drawn.layout.map.to_plotly_json(), "domain": {"x": [0, share], "y": [0, 1]}})
    noun = unit_map.noun
    counts = [(s, n) for s, n in unit_map.status_counts() if n or s != "no_data"]
    row = 1 / max(len(counts), 6)
    for i, (status, n) in enumerate(counts):
        y = 1 - (i + 0.5) * row
        pen.rect(share + 0.03, share + 0.06, y - row * 0.3, y + row * 0.3, STATUS_COLORS[status], STATUS_COLORS[status])
        pen.text(f"<b>{status_label(status)}</b>: {format.number(n)} {noun}", share + 0.075, y, LABEL_SIZE, INK,
                 f"legend:{status}", xanchor="left")  # fmt: skip
    if unit_map.unmapped_text:
        pen.text(_wrap(unit_map.unmapped_text, 40), share + 0.03, 0, SMALL_SIZE, MUTED, "unmapped", xanchor="left",
                 yanchor="bottom", align="left")  # fmt: skip
    return Slide(title, subtitle, pen.done(), "map")


def _status_tiles(pen: _Pen, units: pd.DataFrame) -> None:
    """A tile per unit (a commune and its hamlets), coloured by its submission status."""
    order = {s: i for i, s in enumerate(_SUBMISSION_ORDER)}
    units = units.assign(order=units["status"].map(order), commune=units["level"] != "hamlet")
    units = units.sort_values(["order", "commune"], kind="stable").reset_index(drop=True)
    cols = 5
    lines = math.ceil(len(units) / cols)
    gap_x, gap_y = 0.012, 0.035
    tile_w = (1 - gap_x * (cols - 1)) / cols
    tile_h = min(0.3, (1 - gap_y * (lines - 1)) / lines)
    for i, r in enumerate(units.itertuples()):
        x0 = (i % cols) * (tile_w + gap_x)
        y1 = 1 - (i // cols) * (tile_h + gap_y)
        color = SUBMISSION_COLORS[r.status]
        pen.rect(x0, x0 + tile_w, y1 - tile_h, y1, color, color, width=2)
        detail = SUBMISSION_STATUS_VI[r.status]
        if r.status == "partial":
            detail += f" ({r.submitted}/{r.expected})"
        pen.text(f"<b>{r.unit_name}</b><br>{SUBMISSION_SYMBOLS[r.status]} {detail}", x0 + tile_w / 2,
                 y1 - tile_h / 2, SMALL_SIZE, INK if r.status in _SUBMISSION_DARK_TEXT else "white",
                 f"unit:{r.unit_code}")  # fmt: skip


def _status_lists(pen: _Pen, units: pd.DataFrame) -> None:
    """Too many units for tiles (a city's communes): a column per status, its count on a coloured
    band and the names of its units below, the first LIST_LINES lines of them."""
    width, gap = 1 / len(_SUBMISSION_ORDER), 0.015
    for k, status in enumerate(_SUBMISSION_ORDER):
        names = sorted(units.loc[units["status"] == status, "unit_name"], key=fold)
        x0, color = k * width, SUBMISSION_COLORS[status]
        pen.rect(x0, x0 + width - gap, 0.86, 1, color, color, width=2)
        pen.text(f"<b>{SUBMISSION_SYMBOLS[status]} {SUBMISSION_STATUS_VI[status]}: {format.number(len(names))}</b>",
                 x0 + (width - gap) / 2, 0.93, LABEL_SIZE, INK if status in _SUBMISSION_DARK_TEXT else "white",
                 f"count:{status}")  # fmt: skip
        pen.text(_name_lines(names, LIST_CHARS, LIST_LINES), x0, 0.83, SMALL_SIZE, INK, f"names:{status}",
                 xanchor="left", yanchor="top", align="left")  # fmt: skip


def _name_lines(names: list[str], width: int, max_lines: int) -> str:
    """Names separated by commas in lines of about `width` characters; past `max_lines`, the
    rest is counted (“… và 12 đơn vị khác”)."""
    lines: list[str] = []
    for i, name in enumerate(names):
        piece = name + ("," if i < len(names) - 1 else "")
        if lines and len(lines[-1]) + 1 + len(piece) <= width:
            lines[-1] += " " + piece
            continue
        if len(lines) == max_lines - 1 and len(names) - i > 1:
            lines.append(f"… và {format.number(len(names) - i)} đơn vị khác")
            break
        lines.append(piece)
    return "<br>".join(lines) if lines else "–"


def submissions_slide(data: MonthData, scale: float = SCALE) -> Slide:
    """“x/y thôn đã nộp đúng hạn” and a tile per unit coloured by its submission status (a city's
    communes: their names listed per status)."""
    sub = data.submissions
    title = f"{sub.headline} – {format.month(data.period)}"
    subtitle = sub.deadline.text
    pen = _frame(scale, title, subtitle, data.footer, bottom=96)
    # a city's communes, each with what it and its hamlets owe (as /tinh-hinh-nop lists them)
    units = sub.completeness if sub.members is None else sub.members
    if units.empty:
        _message(pen, "Chưa có thôn nào trong danh mục.")
        return Slide(title, subtitle, pen.done(), "submissions")
    if len(units) > MAX_TILES:
        _status_lists(pen, units)
    else:
        _status_tiles(pen, units)
    counts = units["status"].value_counts()
    legend = "   ".join(f"{SUBMISSION_SYMBOLS[s]} {SUBMISSION_STATUS_VI[s]}: {format.number(int(counts.get(s, 0)))}"
                        for s in _SUBMISSION_ORDER[::-1])  # fmt: skip
    who = "Các thôn và xã" if sub.members is None else "Các xã (mỗi xã gồm cả các thôn của xã)"
    pen.text(f"{who} – {legend}", 0, 0, LABEL_SIZE, INK, "legend", xanchor="left", yanchor="top",
             yshift=-10)  # fmt: skip
    return Slide(title, subtitle, pen.done(), "submissions")


def tasks_slide(data: MonthData, scale: float = SCALE) -> Slide:
    """The overdue tasks with their unit and deadline, or a clear “no overdue task”."""
    late, today = data.overdue, data.today
    subtitle = f"Sổ nhiệm vụ theo nguyên tắc “5 rõ”, tính đến ngày {format.day(today)}"
    if late.empty:
        title = "Không có nhiệm vụ quá hạn"
        pen = _frame(scale, title, subtitle, data.footer)
        _message(pen, "✓ Không có nhiệm vụ quá hạn", color=STATUS_COLORS["on_track"], size=56)
        return Slide(title, subtitle, pen.done(), "tasks")
    title = f"{format.number(len(late))} nhiệm vụ quá hạn"
    more = len(late) - MAX_TASK_ROWS
    if more > 0:
        subtitle += f" · {MAX_TASK_ROWS} nhiệm vụ quá hạn lâu nhất, còn {format.number(more)} nhiệm vụ khác"
    pen = _frame(scale, title, subtitle, data.footer)
    shown = late.head(MAX_TASK_ROWS)
    monthly = [r is not None and not pd.isna(r) for r in shown["recurrence_day"]]
    due = [format.day(d) + ("<br>(hằng tháng)" if m else "") for d, m in zip(shown["due"], monthly)]
    days = [f"{format.number((today - d).days)} ngày" for d in shown["due"]]
    pen.fig.add_trace(
        go.Table(
            columnwidth=[0.8, 4.6, 2.2, 1.5, 1.2],
            header={
                "values": [f"<b>{h}</b>" for h in ("Mã", "Nhiệm vụ", "Đơn vị chủ trì", "Hạn", "Quá hạn")],
                "fill_color": STATUS_COLORS["behind"], "font": {"size": pen.px(LABEL_SIZE), "color": "white"},
                "align": "left", "height": pen.px(46), "line_color": "white",
            },
            cells={
                # wrapped here (Plotly's own wrapping shifts the first line of a wrapped cell down)
                "values": [list(shown["code"]), [_wrap(t, TASK_CHARS) for t in shown["title"]],
                           [_wrap(u, UNIT_CHARS) for u in shown["unit"]], due, days],
                "align": "left", "height": pen.px(34), "font": {"size": pen.px(LABEL_SIZE), "color": INK},
                "fill_color": [["#FFFFFF" if i % 2 == 0 else "#F2F2F2" for i in range(len(shown))]],
                "line_color": "#D0D0D0",
            },
            domain={"x": [0, 1], "y": [0, 1]},
        )
    )  # fmt: skip
    return Slide(title, subtitle, pen.done(), "tasks")


def empty_slide(scale: float = SCALE) -> Slide:
    title = NO_DATA_TEXT
    subtitle = "Chưa có danh sách thôn hoặc chưa có số liệu nào được nộp"
    pen = _frame(scale, title, subtitle, "")
    _message(pen, "Chưa có số liệu để trình chiếu.<br>Hãy nạp danh sách thôn (trang Danh mục) và số liệu<br>"
                  "(trang Nộp số liệu), hoặc nạp dữ liệu mẫu để xem thử.", size=34)  # fmt: skip
    return Slide(title, subtitle, pen.done(), "empty")


def _makers(data: MonthData | None) -> list:
    """One function per slide, in order: calling one with a scale draws that slide."""
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


def draw_slide(data: MonthData | None, index: int, scale: float = SCALE) -> Slide:
    """Slide `index` (from 0) of the month's data, with its page number; drawing one slide is cheap."""
    makers = _makers(data)
    slide = makers[index](scale=scale)
    footer = next(a for a in slide.figure.layout.annotations if a.name == "footer")
    pen = _Pen(slide.figure, scale)
    pen.text(f"{index + 1}/{len(makers)}", 1, 0, SMALL_SIZE, MUTED, "page", xanchor="right", yanchor="bottom")
    pen.done().layout.annotations[-1].yshift = footer.yshift
    return slide


def draw_slides(data: MonthData | None, scale: float = SCALE) -> list[Slide]:
    """All slides of the month's data at a size scale (1.5 for 1920×1080, 1.0 for 1280×720)."""
    return [draw_slide(data, i, scale) for i in range(slide_count(data))]


# --- export ----------------------------------------------------------------------------------------

SLIDE_EMU = (12_192_000, 6_858_000)  # 13.333 × 7.5 inches: PowerPoint's 16:9
PAGE_INCHES = 13.333


def slide_images(slides: list[Slide]) -> list[bytes]:
    """PNG of every slide (3840×2160: 1920×1080 at scale 2), all in ONE Kaleido session."""
    from indicators.render.report import figure_pngs

    return figure_pngs([s.figure for s in slides], width=WIDTH, height=HEIGHT)


def pdf_from_images(images: list[bytes]) -> bytes:
    """A PDF with one 16:9 page (13.33 × 7.5 inches) per image."""
    from PIL import Image

    pages = [Image.open(io.BytesIO(data)).convert("RGB") for data in images]
    if not pages:
        raise ValueError("Không có trang nào để xuất.")
    buffer = io.BytesIO()
    pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:], quality=85,
                  resolution=pages[0].width / PAGE_INCHES, title="Trình chiếu chuyển đổi số")  # fmt: skip
    return buffer.getvalue()


def pptx_from_images(images: list[bytes]) -> bytes:
    """A 16:9 PowerPoint file with each image as a full-bleed picture on a blank slide."""
    from pptx import Presentation

    deck = Presentation()
    deck.slide_width, deck.slide_height = SLIDE_EMU
    blank = deck.slide_layouts[6]
    for data in images:
        slide = deck.slides.add_slide(blank)
        slide.shapes.add_picture(io.BytesIO(data), 0, 0, width=SLIDE_EMU[0], height=SLIDE_EMU[1])
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def slides_pdf(slides: list[Slide]) -> bytes:
    return pdf_from_images(slide_images(slides))


def slides_pptx(slides: list[Slide]) -> bytes:
    return pptx_from_images(slide_images(slides))


def file_name(period: str | None, extension: str) -> str:
    """trinh_chieu_cds_2026-11.pdf"""
    return f"trinh_chieu_cds_{period or 'trong'}.{extension}"
