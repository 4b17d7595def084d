"""Plotly figure builders: data in, figure out. One colour per status, everywhere.

Colours are the Okabe–Ito palette (safe for colour-blind viewers, strong on a projector); every
status is also written as text, so colour is never the only cue.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from . import format
from .catalog import Indicator
from .metrics import STATUS_VI, SUBMISSION_STATUS_VI

FONT = "Noto Sans, Arial, sans-serif"
STATUS_COLORS = {
    "achieved": "#0072B2",  # blue
    "on_track": "#009E73",  # bluish green
    "at_risk": "#E69F00",  # orange
    "behind": "#D55E00",  # vermillion
    "no_data": "#999999",  # grey
}
STATUS_SYMBOLS = {"achieved": "★", "on_track": "▲", "at_risk": "●", "behind": "▼", "no_data": "–"}
SUBMISSION_COLORS = {
    "on_time": "#009E73",
    "late": "#E69F00",
    "partial": "#CC79A7",
    "missing": "#D55E00",
}
TARGET_COLOR = "#222222"
LINE_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def status_label(status: str) -> str:
    return f"{STATUS_SYMBOLS[status]} {STATUS_VI[status]}"


def _layout(fig: go.Figure, title: str, y_title: str = "", height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 18}},
        font={"family": FONT, "size": 14},
        height=height,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        plot_bgcolor="white",
        paper_bgcolor="white",
        legend={"orientation": "h", "y": -0.15},
        separators=",.",  # Vietnamese: decimal comma, thousands dot
        hoverlabel={"font": {"family": FONT}},
    )
    fig.update_yaxes(title_text=y_title, gridcolor="#E5E5E5", zeroline=False)
    fig.update_xaxes(gridcolor="#F0F0F0")
    return fig


def _unit_title(item: Indicator) -> str:
    return "Tỷ lệ (%)" if item.is_ratio else item.unit.capitalize()


def trend(series: pd.DataFrame, item: Indicator, target: float | None, names: dict[str, str] | None = None,
          title: str | None = None) -> go.Figure:  # fmt: skip
    """Monthly line per unit (flows shown cumulative), with the year's target as a dashed line."""
    fig = go.Figure()
    names = names or {}
    for i, (unit_code, part) in enumerate(series.groupby("unit_code", sort=False)):
        months = [format.month(p) for p in part["period"]]
        values = part["cumulative"]
        fig.add_trace(
            go.Scatter(
                x=months, y=values, mode="lines+markers", name=names.get(unit_code, unit_code),
                line={"width": 3, "color": LINE_COLORS[i % len(LINE_COLORS)]},
                hovertemplate="%{x}: %{customdata}<extra>%{fullData.name}</extra>",
                customdata=[format.indicator_value(v, item.kind) for v in values],
            )
        )  # fmt: skip
    if target is not None and not pd.isna(target):
        fig.add_hline(
            y=target, line_dash="dash", line_color=TARGET_COLOR, line_width=2,
            annotation_text=f"Mục tiêu 2026: {format.indicator_value(target, item.kind)}",
            annotation_position="top left",
        )  # fmt: skip
    suffix = " (lũy kế từ đầu năm)" if item.aggregation == "sum" else ""
    fig = _layout(fig, title or f"{item.name_vi}{suffix}", _unit_title(item))
    if item.is_ratio:
        fig.update_yaxes(range=[0, 105], ticksuffix="%")
    return fig


def ranking(table: pd.DataFrame, item: Indicator, target: float | None, period: str) -> go.Figure:
    """Horizontal bars, one per unit, coloured by status, with the target line."""
    data = table.sort_values("value", ascending=item.direction == "down", na_position="first")
    colors = [STATUS_COLORS[s] for s in data["status"]]
    text = [f"{format.indicator_value(v, item.kind)}  {STATUS_SYMBOLS[s]}" for v, s in zip(data["value"], data["status"])]
    fig = go.Figure(
        go.Bar(
            x=data["value"], y=data["unit_name"], orientation="h", marker_color=colors, text=text,
            textposition="auto", hovertext=[STATUS_VI[s] for s in data["status"]],
            hovertemplate="%{y}: %{text} (%{hovertext})<extra></extra>",
        )
    )  # fmt: skip
    if target is not None and not pd.isna(target):
        fig.add_vline(
            x=target, line_dash="dash", line_color=TARGET_COLOR, line_width=2,
            annotation_text=f"Mục tiêu: {format.indicator_value(target, item.kind)}",
            annotation_position="top",
        )  # fmt: skip
    fig = _layout(fig, f"Xếp hạng thôn – {item.name_vi} – {format.month(period)}", height=max(320, 36 * len(data) + 120))
    fig.update_xaxes(title_text=_unit_title(item), ticksuffix="%" if item.is_ratio else "")
    fig.update_yaxes(autorange="reversed", title_text="")
    return fig


def progress_heatmap(table: pd.DataFrame, codes: list[str], period: str) -> go.Figure:
    """Hamlet × indicator, coloured by progress towards the target (capped at 100 %)."""
    units = list(dict.fromkeys(table["unit_name"]))
    z, text = [], []
    for name in units:
        row_z, row_t = [], []
        part = table[table["unit_name"] == name].set_index("indicator_code")
        for code in codes:
            r = part.loc[code] if code in part.index else None
            p = None if r is None or pd.isna(r["progress"]) else min(float(r["progress"]), 1.0) * 100
            row_z.append(p)
            row_t.append("–" if r is None else f"{format.indicator_value(r['value'], r['kind'])}")
        z.append(row_z)
        text.append(row_t)
    colorscale = [[0, STATUS_COLORS["behind"]], [0.6, STATUS_COLORS["at_risk"]],
                  [0.9, "#F0E442"], [1, STATUS_COLORS["achieved"]]]  # fmt: skip
    fig = go.Figure(
        go.Heatmap(
            z=z, x=codes, y=units, text=text, texttemplate="%{text}", colorscale=colorscale,
            zmin=0, zmax=100, colorbar={"title": "Tiến độ (%)", "ticksuffix": "%"},
            hovertemplate="%{y} · %{x}<br>Giá trị: %{text}<br>Tiến độ: %{z:.1f}%<extra></extra>",
            xgap=2, ygap=2,
        )
    )  # fmt: skip
    fig = _layout(fig, f"Tiến độ so với mục tiêu theo thôn – {format.month(period)}", height=max(360, 34 * len(units) + 160))
    fig.update_xaxes(tickangle=-45, side="bottom")
    fig.update_yaxes(autorange="reversed")
    return fig


def group_bars(groups: pd.DataFrame, period: str) -> go.Figure:
    """The seven task groups: progress bars coloured by status, 100 % as the target line."""
    values = (groups["progress"].fillna(0) * 100).tolist()
    labels = [f"{n}. {name}" for n, name in zip(groups["task_group"], groups["name_vi"])]
    fig = go.Figure(
        go.Bar(
            x=values, y=labels, orientation="h",
            marker_color=[STATUS_COLORS[s] for s in groups["status"]],
            text=[f"{format.percent(v)}  {status_label(s)}" for v, s in zip(values, groups["status"])],
            textposition="auto", hovertemplate="%{y}<br>%{text}<extra></extra>",
        )
    )  # fmt: skip
    fig.add_vline(x=100, line_dash="dash", line_color=TARGET_COLOR, line_width=2,
                  annotation_text="Mục tiêu", annotation_position="top")  # fmt: skip
    fig = _layout(fig, f"Tiến độ 7 nhóm nhiệm vụ – {format.month(period)}", "", height=420)
    fig.update_xaxes(range=[0, 110], ticksuffix="%", title_text="Tiến độ bình quân so với mục tiêu (%)")
    fig.update_yaxes(autorange="reversed")
    return fig


def submission_grid(grid: pd.DataFrame) -> go.Figure:
    """Month × unit: on time, late, partial, missing."""
    order = list(SUBMISSION_COLORS)
    months = list(dict.fromkeys(grid["period"]))
    units = list(dict.fromkeys(grid["unit_name"]))
    lookup = {(r.period, r.unit_name): r.status for r in grid.itertuples()}
    z = [[order.index(lookup[(m, u)]) if (m, u) in lookup else None for m in months] for u in units]
    text = [[SUBMISSION_STATUS_VI[lookup[(m, u)]] if (m, u) in lookup else "" for m in months] for u in units]
    n = len(order)
    scale = []
    for i, status in enumerate(order):
        scale += [[i / n, SUBMISSION_COLORS[status]], [(i + 1) / n, SUBMISSION_COLORS[status]]]
    fig = go.Figure(
        go.Heatmap(
            z=z, x=[format.month(m) for m in months], y=units, text=text, texttemplate="%{text}",
            colorscale=scale, zmin=-0.5, zmax=n - 0.5, showscale=False, xgap=2, ygap=2,
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
        )
    )  # fmt: skip
    fig = _layout(fig, "Tình hình nộp số liệu theo tháng", height=max(360, 32 * len(units) + 140))
    fig.update_yaxes(autorange="reversed")
    return fig
