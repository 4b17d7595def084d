"""Plotly figure builders: data in, figure out. One colour per status, everywhere.

Colours are the Okabe–Ito palette (safe for colour-blind viewers, strong on a projector); every
status is also written as text, so colour is never the only cue.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from indicators.domain import catalog, format
from indicators.domain.catalog import Indicator
from indicators.metrics import STATUS_VI, SUBMISSION_STATUS_VI
from indicators.render import typeface

FONT = typeface.CSS_FAMILY  # shipped with the product (indicators/fonts), found by Kaleido's Chromium
BASE_SIZE = 14  # the font size of `_layout`: tick labels, axis titles, legend
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


def short_name(code: str) -> str:
    """A label short enough for a chart axis."""
    return SHORT_NAMES.get(code) or catalog.HEADLINE.get(code) or catalog.indicator(code).name_vi


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


TICK_PAD = 8  # pixels between an axis and its tick labels (Plotly's, for ticks="")
TITLE_STANDOFF = 12  # pixels between the tick labels and the axis title


def fit_left_margin(fig: go.Figure, labels: list[str], title: str = "", first_x_label: str = "",
                    x_angle: float = 0, size: int = BASE_SIZE) -> int:  # fmt: skip
    """Set the left margin for the y axis' tick labels and its title, measured in the shipped
    font (Plotly's own automargin depends on the fonts of the machine that draws, and left the task
    groups' names cut in the report's image): the labels whole, the title clear of them. A slanted
    first x label (`x_angle` degrees) reaching left of the plot is also kept inside."""
    widest = max((typeface.text_width(str(label), size) for label in labels), default=0.0)
    left = TICK_PAD + widest * 1.06 + 6  # 6 %: a browser without Noto Sans draws a little wider
    if title:
        left += TITLE_STANDOFF + size * 1.35
    if first_x_label:
        left = max(left, typeface.text_width(first_x_label, size) * math.cos(math.radians(abs(x_angle))) + 8)
    left = math.ceil(left)
    fig.update_yaxes(automargin=False, ticklabelstandoff=TICK_PAD - 2)
    if title:
        fig.update_yaxes(title_standoff=TITLE_STANDOFF)
    fig.update_layout(margin_l=left)
    return left


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
    year = series["period"].iloc[0][:4] if not series.empty else "năm"
    if target is not None and not pd.isna(target):
        fig.add_hline(
            y=target, line_dash="dash", line_color=TARGET_COLOR, line_width=2,
            annotation_text=f"Mục tiêu {year}: {format.indicator_value(target, item.kind)}",
            annotation_position="top left",
        )  # fmt: skip
    suffix = " (lũy kế từ đầu năm)" if item.aggregation == "sum" else ""
    fig = _layout(fig, title or f"{item.name_vi}{suffix}", _unit_title(item))
    if item.is_ratio:
        fig.update_yaxes(range=[0, 105], ticksuffix="%")
    return fig


def ranking(table: pd.DataFrame, item: Indicator, target: float | None, period: str, noun: str = "thôn") -> go.Figure:
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
    fig = _layout(fig, f"Xếp hạng {noun} – {item.name_vi} – {format.month(period)}", height=max(320, 36 * len(data) + 120))
    fig.update_xaxes(title_text=_unit_title(item), ticksuffix="%" if item.is_ratio else "")
    fig.update_yaxes(autorange="reversed", title_text="")
    return fig


def _unit_rows(table: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The unit codes of `table` in order, and the row label of each. Rows are keyed by code: names
    repeat (two communes of a city may share one, hamlets of different communes often do); a
    repeated name shows its code."""
    order = list(dict.fromkeys(table["unit_code"]))
    names = table.drop_duplicates("unit_code").set_index("unit_code")["unit_name"]
    repeated = names.duplicated(keep=False)
    return order, [f"{names[c]} ({c})" if repeated[c] else names[c] for c in order]


def progress_heatmap(table: pd.DataFrame, codes: list[str], period: str, noun: str = "thôn") -> go.Figure:
    """Hamlet × indicator, coloured by progress towards the target (capped at 100 %)."""
    order, units = _unit_rows(table)
    data = table[table["indicator_code"].isin(codes)]
    data = data.assign(shown=[format.indicator_value(v, k) for v, k in zip(data["value"], data["kind"])])
    grid = data.pivot(index="unit_code", columns="indicator_code", values=["progress", "shown"])
    progress = grid["progress"].reindex(index=order, columns=codes).astype(float).clip(upper=1.0) * 100
    z = progress.astype(object).where(progress.notna(), None).values.tolist()
    text = grid["shown"].reindex(index=order, columns=codes).fillna("–").values.tolist()
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
    fig = _layout(fig, f"Tiến độ so với mục tiêu theo {noun} – {format.month(period)}", height=max(360, 34 * len(units) + 160))
    fig.update_xaxes(tickangle=-45, side="bottom")
    fig.update_yaxes(autorange="reversed")
    return fig


def group_bars(groups: pd.DataFrame, period: str) -> go.Figure:
    """The seven task groups: progress bars coloured by status, 100 % as the target line."""
    from indicators.domain.catalog import GROUP_SHORT

    values = (groups["progress"].fillna(0) * 100).tolist()
    # short names keep the bars wide on a phone; the full name is in the hover
    labels = [f"{n}. {GROUP_SHORT.get(n, name)}" for n, name in zip(groups["task_group"], groups["name_vi"])]
    fig = go.Figure(
        go.Bar(
            x=values, y=labels, orientation="h",
            marker_color=[STATUS_COLORS[s] for s in groups["status"]],
            text=[f"{format.percent(v)} {STATUS_SYMBOLS[s]}" for v, s in zip(values, groups["status"])],
            customdata=[[name, status_label(s)] for name, s in zip(groups["name_vi"], groups["status"])],
            textposition="inside", insidetextanchor="end", showlegend=False,
            hovertemplate="%{customdata[0]}<br>%{text} – %{customdata[1]}<extra></extra>",
        )
    )  # fmt: skip
    fig.add_vline(x=100, line_dash="dash", line_color=TARGET_COLOR, line_width=2,
                  annotation_text="Mục tiêu", annotation_position="top")  # fmt: skip
    fig = _layout(fig, f"Tiến độ 7 nhóm nhiệm vụ<br><sup>{format.month(period)}</sup>", "", height=420)
    fig.update_xaxes(range=[0, 110], ticksuffix="%", title_text="Tiến độ so với mục tiêu (%)")
    _status_legend(fig)
    fig.update_yaxes(autorange="reversed")
    fit_left_margin(fig, labels)
    return fig


def _status_legend(fig: go.Figure) -> None:
    """A legend of the four statuses (symbol and colour), since bars carry only the symbol."""
    for status in ("achieved", "on_track", "at_risk", "behind"):
        fig.add_trace(go.Bar(x=[None], y=[None], orientation="h", name=status_label(status),
                             marker_color=STATUS_COLORS[status], showlegend=True, hoverinfo="skip"))  # fmt: skip
    fig.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.25, "x": 0})


# --- Theo thôn, Theo nhóm nhiệm vụ, Chỉ tiêu --------------------------------------------------

OTHER_UNITS_COLOR = "#B8B8B8"


def wrap_text(text: str, width: int = 48) -> str:
    """Break a long title into lines of at most `width` characters (Plotly never wraps titles)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def fit_title(fig: go.Figure, width: int = 40, size: int = 16) -> go.Figure:
    """Wrap the figure's title (fits a phone at the default width); the top margin grows to hold
    its lines, clear of the target line's label."""
    title = fig.layout.title.text or ""
    wrapped = wrap_text(title.replace("<br>", " "), width)
    fig.update_layout(
        title={"text": wrapped, "yref": "paper", "y": 1, "yanchor": "bottom", "automargin": True,
               "pad": {"b": 28}, "font": {"size": size}},
        margin_t=20,
    )  # fmt: skip
    return fig


def tidy_months(fig: go.Figure, max_ticks: int = 6) -> go.Figure:
    """Month axis that stays readable in a narrow column: at most `max_ticks` labels, a short
    slant, and the legend (when there is one) below the labels instead of on top of them."""
    months = list(dict.fromkeys(x for trace in fig.data for x in (trace.x or [])))
    step = max(1, -(-len(months) // max_ticks))
    fig.update_xaxes(tickmode="array", tickvals=months[::step], ticktext=months[::step], tickangle=-30,
                     automargin=True)  # fmt: skip
    legend_entries = [t for t in fig.data if t.showlegend is not False]
    if len(legend_entries) > 1:
        fig.update_layout(legend={"yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
                          margin_b=110)  # fmt: skip
    else:
        fig.update_layout(showlegend=False, margin_b=20)
    return fig


def indicator_trend(series: pd.DataFrame, item: Indicator, target: float | None, names: dict[str, str],
                    title: str | None = None, width: int = 40) -> go.Figure:  # fmt: skip
    """`trend` for a narrow column: the title wrapped, the month labels thinned, the legend apart."""
    fig = trend(series, item, target, names, title)
    if series.empty:
        fig.add_annotation(text="Chưa có số liệu", showarrow=False, xref="paper", yref="paper",
                           x=0.5, y=0.5, font={"size": 16, "color": "#666666"})  # fmt: skip
    fig.update_layout(height=430)
    return tidy_months(fit_title(fig, width))


def compare_trend(series: pd.DataFrame, item: Indicator, target: float | None, names: dict[str, str],
                  root_code: str | None = None, highlight: list[str] | None = None,
                  title: str | None = None, width: int = 40) -> go.Figure:  # fmt: skip
    """The root unit (thick line) among its hamlets: chosen hamlets in colour, the rest in grey.

    Flows are shown cumulative from January, as in `trend`; the target is a dashed line.
    """
    highlight = [code for code in (highlight or []) if code != root_code]
    fig = go.Figure()
    parts = {code: part for code, part in series.groupby("unit_code", sort=False)}

    def line(code: str, name: str, color: str, width_px: float, showlegend: bool = True, **extra) -> None:
        part = parts[code]
        values = part["cumulative"]
        fig.add_trace(
            go.Scatter(
                x=[format.month(p) for p in part["period"]], y=values, name=name,
                mode=extra.pop("mode", "lines+markers"), showlegend=showlegend,
                line={"width": width_px, "color": color},
                customdata=[[names.get(code, code), format.indicator_value(v, item.kind)] for v in values],
                hovertemplate="%{customdata[0]} · %{x}: %{customdata[1]}<extra></extra>", **extra,
            )
        )  # fmt: skip

    others = [code for code in parts if code != root_code and code not in highlight]
    for i, code in enumerate(others):
        label = "Các thôn khác" if highlight or root_code in parts else "Các thôn"
        line(code, label, OTHER_UNITS_COLOR, 1.5, showlegend=i == 0, mode="lines", legendgroup="others")
    for i, code in enumerate(c for c in highlight if c in parts):
        line(code, names.get(code, code), LINE_COLORS[1 + i % (len(LINE_COLORS) - 1)], 2.5)
    if root_code in parts:
        line(root_code, names.get(root_code, root_code), LINE_COLORS[0], 4)
    if target is not None and not pd.isna(target):
        fig.add_hline(
            y=target, line_dash="dash", line_color=TARGET_COLOR, line_width=2,
            annotation_text=f"Mục tiêu {format.indicator_value(target, item.kind)}",
            annotation_position="top left",
        )  # fmt: skip
    if series.empty:
        fig.add_annotation(text="Chưa có số liệu", showarrow=False, xref="paper", yref="paper",
                           x=0.5, y=0.5, font={"size": 16, "color": "#666666"})  # fmt: skip
    suffix = " (lũy kế từ đầu năm)" if item.aggregation == "sum" else ""
    fig = _layout(fig, title or f"{item.name_vi}{suffix}", _unit_title(item), height=460)
    if item.is_ratio:
        fig.update_yaxes(range=[0, 105], ticksuffix="%")
    return tidy_months(fit_title(fig, width))


def hamlet_heatmap(table: pd.DataFrame, codes: list[str], labels: dict[str, str], period: str, noun: str = "thôn") -> go.Figure:
    """`progress_heatmap` with short Vietnamese indicator names instead of codes on the axis. The
    colour scale is drawn by the page (`scale_legend_html`) so that the cells keep the width on a
    phone."""
    named = table.assign(indicator_code=table["indicator_code"].map(lambda c: labels.get(c, c)))
    fig = progress_heatmap(named, [labels.get(c, c) for c in codes], period, noun)
    fig.update_traces(showscale=False)
    fig.update_xaxes(tickangle=-40, automargin=True)
    fig.update_yaxes(automargin=True)
    return fit_title(fig)


def scale_legend_html(fig: go.Figure, label: str = "Tiến độ so với mục tiêu") -> str:
    """The heat map's colour scale as a small HTML bar with 0 % and 100 % at its ends."""
    stops = ", ".join(f"{color} {float(at) * 100:.0f}%" for at, color in fig.data[0].colorscale)
    bar = (f"<span style='display:inline-block;width:140px;height:12px;vertical-align:middle;"
           f"border-radius:3px;background:linear-gradient(to right, {stops})'></span>")  # fmt: skip
    scale = f"{format.percent(0, 0)} {bar} {format.percent(100, 0)}"
    return f"{label}: <span style='white-space:nowrap'>{scale}</span>"


def hamlet_ranking(table: pd.DataFrame, item: Indicator, target: float | None, period: str, noun: str = "thôn") -> go.Figure:
    """`ranking` with the title wrapped for narrow screens and the indicator's unit on the axis."""
    fig = fit_title(ranking(table, item, target, period, noun))
    # the value stays clear of the target line; a bar of zero still shows its value beside it
    positions = ["outside" if pd.isna(v) or v == 0 else "auto" for v in fig.data[0].x]
    fig.update_traces(insidetextanchor="start", textposition=positions, cliponaxis=False)
    return fig


SUBMISSION_SYMBOLS = {"on_time": "✓", "late": "◷", "partial": "◐", "missing": "✗"}


def submission_legend() -> str:
    """The key of `submission_calendar`: ✓ Đúng hạn · ◷ Muộn · ◐ Chưa đủ · ✗ Chưa nộp."""
    return " · ".join(f"{SUBMISSION_SYMBOLS[s]} {SUBMISSION_STATUS_VI[s]}" for s in SUBMISSION_COLORS)


def submission_calendar(grid: pd.DataFrame) -> go.Figure:
    """Month × unit of one year, compact enough for a phone: a symbol in each cell, short months.

    `grid` is `metrics.completeness_grid` for months of a single year. Colour and symbol both carry
    the status; hovering gives the words.
    """
    order = list(SUBMISSION_COLORS)
    months = list(dict.fromkeys(grid["period"]))
    codes, units = _unit_rows(grid)
    lookup = {(r.period, r.unit_code): r.status for r in grid.itertuples()}
    z = [[order.index(lookup[(m, u)]) if (m, u) in lookup else None for m in months] for u in codes]
    text = [[SUBMISSION_SYMBOLS[lookup[(m, u)]] if (m, u) in lookup else "" for m in months] for u in codes]
    words = [
        [SUBMISSION_STATUS_VI[lookup[(m, u)]] if (m, u) in lookup else "" for m in months] for u in codes
    ]
    n = len(order)
    scale = []
    for i, status in enumerate(order):
        scale += [[i / n, SUBMISSION_COLORS[status]], [(i + 1) / n, SUBMISSION_COLORS[status]]]
    labels = [f"T{int(m[5:7])}" for m in months]
    fig = go.Figure(
        go.Heatmap(
            z=z, x=labels, y=units, text=text, texttemplate="%{text}", customdata=words,
            textfont={"color": "white", "size": 14}, colorscale=scale, zmin=-0.5, zmax=n - 0.5,
            showscale=False, xgap=2, ygap=2,
            hovertemplate="%{y} · %{x}: %{customdata}<extra></extra>",
        )
    )  # fmt: skip
    year = months[0][:4] if months else ""
    fig = _layout(fig, f"Nộp số liệu theo tháng, năm {year}", height=max(320, 28 * len(units) + 110))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 50, "b": 10})
    fig.update_xaxes(side="bottom", tickangle=0, type="category", showgrid=False, tickfont={"size": 11})
    fig.update_yaxes(autorange="reversed", showgrid=False)
    return fig


def headline_trends(series: dict[str, pd.DataFrame], period: str) -> go.Figure:
    """The six headline percentages of one unit on one chart (all are ratios, so one axis)."""
    from indicators.domain.catalog import HEADLINE, indicator

    fig = go.Figure()
    for i, (code, part) in enumerate(series.items()):
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=[format.month(p) for p in part["period"]], y=part["cumulative"], mode="lines+markers",
                name=HEADLINE.get(code, indicator(code).name_vi),
                line={"width": 3, "color": LINE_COLORS[i % len(LINE_COLORS)]},
            )
        )  # fmt: skip
    fig = _layout(fig, f"Xu hướng các chỉ tiêu chính đến {format.month(period)}", "Tỷ lệ (%)", height=460)
    fig.update_yaxes(range=[0, 105], ticksuffix="%")
    fig = tidy_months(fig)
    first = next((t.x[0] for t in fig.data if t.x is not None and len(t.x)), "")
    fit_left_margin(fig, ["100%"], "Tỷ lệ (%)", first_x_label=first, x_angle=fig.layout.xaxis.tickangle or 0)
    return fig
