"""Maps of units (a city's communes): a choropleth coloured by status or by value.

`go.Choroplethmap` on the `white-bg` style needs no tiles and downloads nothing, so it draws
offline in the browser and in Kaleido (`go.Choropleth` fetches a world map from Plotly's CDN and
fails without internet; see FACTS.md). The view (centre and zoom) is computed from the units'
bounds for a given size, since Plotly's maps do not fit their data by themselves.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from indicators.domain import format
from indicators.domain.boundaries import bbox
from indicators.render.charts import FONT, STATUS_COLORS, status_label

PHONE_WIDTH = 360  # the page's map fits its units in this width: whole on a 390-px phone
PAGE_HEIGHT = 480
TILE = 512  # MapLibre's tile size: the world is TILE × 2**zoom pixels wide
MAP_STATUSES = ("achieved", "on_track", "at_risk", "behind", "no_data")
# light to dark blue (a sequential scale that stays readable for colour-blind viewers)
VALUE_SCALE = [[0.0, "#DEEBF7"], [0.5, "#6BAED6"], [1.0, "#08306B"]]
NO_DATA_COLOR = STATUS_COLORS["no_data"]
BORDER = "#FFFFFF"


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def view_of(bounds: tuple[float, float, float, float] | None, width: int, height: int,
            padding: float = 0.06) -> tuple[dict, float]:  # fmt: skip
    """(centre, zoom) that show `bounds` (west, south, east, north) whole in width × height pixels,
    with `padding` (a share of each side) left free."""
    if bounds is None:
        return {"lat": 16.0, "lon": 106.0}, 4.5  # Việt Nam
    west, south, east, north = bounds
    y0, y1 = _mercator_y(south), _mercator_y(north)
    middle = (y0 + y1) / 2
    centre = {"lat": math.degrees(2 * math.atan(math.exp(middle)) - math.pi / 2), "lon": (west + east) / 2}
    usable_w, usable_h = width * (1 - 2 * padding), height * (1 - 2 * padding)
    zoom_x = math.log2(usable_w * 360 / (TILE * max(east - west, 1e-6)))
    zoom_y = math.log2(usable_h * 2 * math.pi / (TILE * max(y1 - y0, 1e-6)))
    return centre, round(min(zoom_x, zoom_y, 14.0), 2)


def _bounds(geojson: dict, whole: bool = True) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) around the features; with `whole` False, around all but the
    far outliers (a small island tens of kilometres offshore would shrink a city to a corner: it
    stays on the map, a pan away)."""
    boxes = [feature.get("bbox") or bbox(feature["geometry"]) for feature in geojson["features"]]
    if not boxes:
        return None
    if not whole and len(boxes) >= 20:  # a few units are all shown
        centres = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in boxes]
        mx = sorted(c[0] for c in centres)[len(centres) // 2]
        my = sorted(c[1] for c in centres)[len(centres) // 2]
        distances = [math.hypot(x - mx, y - my) for x, y in centres]
        limit = 3 * sorted(distances)[int(0.9 * (len(distances) - 1))] + 1e-6
        boxes = [b for b, d in zip(boxes, distances) if d <= limit]
    return min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)


def _placeholder(key: str, centre: dict) -> dict:
    """A feature of no area at `centre`: draws nothing, keeps a legend entry."""
    point = [centre["lon"], centre["lat"]]
    return {"type": "Feature", "id": key, "properties": {}, "geometry": {"type": "Polygon",
            "coordinates": [[point, point, point, point]]}}  # fmt: skip


def member_map(rows: pd.DataFrame, geojson: dict, mode: str, value_label: str, ratio: bool,
               width: int = PHONE_WIDTH, height: int = PAGE_HEIGHT, title: str | None = None,
               whole: bool = False) -> go.Figure:  # fmt: skip
    """A choropleth of the units in `rows` (columns of `views.maps.ROW_COLUMNS`; those with a
    feature in `geojson`, whose ids are unit codes).

    `mode` "status": one colour per status, the colours and symbols used everywhere, with a legend
    of the statuses and their counts. "value": a sequential scale from the lowest value to the
    highest, units without a value in grey. Touching a unit shows `hover`; `customdata[0]` is the
    unit's code (what a click reports). The view fits the units in `width` × `height` pixels
    (with `whole` False, all but far outliers: `_bounds`).
    """
    fig = go.Figure()
    centre, zoom = view_of(_bounds(geojson, whole), width, height)
    common = {"geojson": geojson, "featureidkey": "id", "marker": {"line": {"color": BORDER, "width": 0.8}},
              "hovertemplate": "%{customdata[1]}<extra></extra>", "showscale": False}  # fmt: skip

    def trace(part: pd.DataFrame, name: str, color: str, **extra) -> go.Choroplethmap:
        return go.Choroplethmap(
            locations=list(part["unit_code"]), z=[1] * len(part), colorscale=[[0, color], [1, color]],
            customdata=list(zip(part.get("click", part["unit_code"]), part["hover"])), name=name, legendgroup=name,
            **{**common, **extra},
        )  # fmt: skip

    if mode == "value":
        known = rows[rows["value"].notna()]
        low, high = (float(known["value"].min()), float(known["value"].max())) if len(known) else (0.0, 1.0)
        if high - low < 1e-9:
            low, high = low - 1, high + 1
        ticks = [low + (high - low) * i / 4 for i in range(5)]
        fig.add_trace(go.Choroplethmap(
            locations=list(known["unit_code"]), z=list(known["value"]), colorscale=VALUE_SCALE, zmin=low, zmax=high,
            customdata=list(zip(known["unit_code"], known["hover"])), name=value_label, showlegend=False,
            **{**common, "showscale": True},
            colorbar={"orientation": "h", "y": -0.02, "yanchor": "top", "x": 0.5, "xanchor": "center", "len": 0.86,
                      "thickness": 14, "title": {"text": value_label, "side": "top"}, "tickvals": ticks,
                      "ticklabeloverflow": "allow",
                      "ticktext": [format.percent(t) if ratio else format.number(t, 0 if high - low >= 8 else 1)
                                   for t in ticks]},
        ))  # fmt: skip
        missing = rows[rows["value"].isna()]
        if len(missing):
            fig.add_trace(trace(missing, f"{status_label('no_data')} ({format.number(len(missing))})", NO_DATA_COLOR,
                                showlegend=True))  # fmt: skip
    else:
        # a trace per status, each with its own units' boundaries (every boundary is sent once);
        # a status no unit has keeps its legend entry through an invisible (zero-area) feature
        features = {f["id"]: f for f in geojson["features"]}
        for status in MAP_STATUSES:
            part = rows[rows["status"] == status]
            if status == "no_data" and part.empty:
                continue  # the four statuses are always in the legend; "no data" only when some unit has it
            label = f"{status_label(status)} ({format.number(len(part))})"
            own = {"type": "FeatureCollection", "features": [features[c] for c in part["unit_code"]]}
            if part.empty:
                own["features"] = [_placeholder(status, centre)]
                part = pd.DataFrame({"unit_code": [status], "hover": [""], "click": [""]})  # opens nothing
            fig.add_trace(trace(part, label, STATUS_COLORS[status], showlegend=True, geojson=own))
    fig.update_layout(
        map={"style": "white-bg", "center": centre, "zoom": zoom},
        font={"family": FONT, "size": 13},
        height=height,
        margin={"l": 0, "r": 0, "t": 40 if title else 0, "b": 0},
        paper_bgcolor="white",
        separators=",.",
        hoverlabel={"font": {"family": FONT}},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.01, "yanchor": "top",
                "itemclick": False, "itemdoubleclick": False, "font": {"size": 13}},
        showlegend=True,
        uirevision="map",  # a rerun keeps the reader's pan and zoom
        dragmode="pan",
        clickmode="event+select",
    )  # fmt: skip
    if mode == "value":  # the legend (units without a value) above the map, the colour bar below
        fig.update_layout(legend={"y": 1, "yanchor": "top", "bgcolor": "rgba(255,255,255,0.85)"})
    if title:
        fig.update_layout(title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}})
    return fig
