"""The slides (`slides.Slide`) as HTML: one layout for a 1920×1080 projector, a 1280×720 screen, a
1024×768 projector and a 390-px phone, and the PDF (the same HTML printed by Chromium).

Sizes follow the stage, not the window: every length is a multiple of `--u`, 1 % of the stage's
width or 1/56 of its height, whichever is smaller (a 16:9 stage gives the two the same), so text
scales with the screen and never outgrows its card. Text wraps inside its card; rows share the
height left under the title. Below 640 px (a phone) the cards stack in one column at fixed sizes and
the page scrolls. Every card carries `data-card` and every text in it `data-box`: the browser test
checks that each text box stays inside its card and overlaps no other.
"""

from __future__ import annotations

import base64
import html
import math
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from indicators.render import typeface
from indicators.render.charts import STATUS_COLORS, SUBMISSION_COLORS, status_label
from indicators.render.slides import Slide, list_heading

INK, MUTED, TRACK = "#1A1A1A", "#4D4D4D", "#E3E3E3"
_DARK_TEXT = {"at_risk", "no_data", "late", "partial"}  # colours too light for white text
_STATUS_INK = {"at_risk": "#A36F00", "no_data": "#6B6B6B"}  # a status colour dark enough on white
PAGE_PX = (1280, 720)  # a PDF page in CSS pixels: 13.33 × 7.5 inches, PowerPoint's 16:9

CSS = """
@property --u { syntax: "<length>"; inherits: true; initial-value: 10px; }
@property --t { syntax: "<length>"; inherits: true; initial-value: 10px; }
.cds-stage { container-type: size; width: 100%; height: 100%; min-height: 0; }
.cds-slide { --u: min(1cqw, 1.78cqh); box-sizing: border-box; width: 100%; height: 100%; overflow: hidden;
  display: flex; flex-direction: column; gap: calc(var(--u) * 1.2);
  padding: calc(var(--u) * 1.8) calc(var(--u) * 2.4) calc(var(--u) * 1);
  font-family: "Noto Sans", "Noto Sans Symbols2", sans-serif; color: #1A1A1A; background: #FFFFFF;
  font-size: calc(var(--u) * 1.9); line-height: 1.4; overflow-wrap: anywhere; }
.cds-slide * { box-sizing: border-box; margin: 0; }
.cds-head { flex: none; }
.cds-title { font-size: calc(var(--u) * 3.3); font-weight: 700; }
.cds-sub { font-size: calc(var(--u) * 2); color: #4D4D4D; margin-top: 0.25em; }
/* the body is a container too: rows, tiles and tables size their text for the height the title left */
.cds-body { flex: 1 1 0; min-height: 0; display: flex; flex-direction: column; gap: calc(var(--u) * 0.8);
  container-type: size; }
.cds-foot { flex: none; display: flex; justify-content: space-between; gap: 1em;
  font-size: calc(var(--u) * 1.5); color: #4D4D4D; }
.cds-message { flex: 1; display: flex; align-items: center; justify-content: center; text-align: center;
  font-size: calc(var(--u) * 3.2); color: #4D4D4D; padding: 1em; }
/* headline tiles */
.cds-tiles { --t: min(var(--u), 3cqh); font-size: calc(var(--t) * 1.9);
  flex: 1; min-height: 0; display: grid; gap: calc(var(--u) * 1.5);
  grid-template-columns: repeat(3, minmax(0, 1fr)); grid-template-rows: repeat(2, minmax(0, 1fr)); }
.cds-tile { display: flex; flex-direction: column; min-height: 0; overflow: hidden; border-radius: 0.4em;
  border: calc(var(--u) * 0.35) solid var(--c); background: var(--bg); }
.t-label { font-weight: 700; text-align: center; padding: 0.4em 0.6em 0; }
.t-mid { flex: 1; min-height: 0; display: flex; flex-wrap: wrap; align-items: center; justify-content: center;
  align-content: center; column-gap: 0.8em; row-gap: 0.1em; padding: 0 0.5em; }
.t-value { font-size: calc(var(--t) * 5.2); font-weight: 700; white-space: nowrap; }
.t-target { color: #4D4D4D; }
.t-status { background: var(--c); color: var(--on); font-weight: 700; text-align: center; padding: 0.25em 0.5em; }
/* progress rows and the tasks table */
/* font size and gap: set on each block by `_fit` */
.cds-rows { flex: 1; min-height: 0; display: flex; flex-direction: column; }
.r-row, .r-head { flex: none; display: grid; align-items: center; column-gap: 0.8em; padding: 0.1em 0;
  grid-template-columns: minmax(0, 2.3fr) minmax(0, 3fr) minmax(0, 1.7fr) minmax(0, 1.8fr); }
.k-ranking .r-row, .k-ranking .r-head {
  grid-template-columns: minmax(0, 3fr) minmax(0, 2.6fr) minmax(0, 1fr) minmax(0, 2.2fr); }
.r-head { flex: 0 0 auto; color: #4D4D4D; font-size: 0.9em; border-bottom: 1px solid #D0D0D0;
  padding-bottom: 0.2em; }
.r-label { text-align: right; }
.r-bar { height: 1.3em; background: #E3E3E3; border-radius: 0.2em; overflow: hidden; }
.r-fill { display: block; height: 100%; }
.r-note { font-weight: 700; }
.cds-tasks .r-row, .cds-tasks .r-head { align-items: start;
  grid-template-columns: minmax(0, 0.9fr) minmax(0, 4.4fr) minmax(0, 2.2fr) minmax(0, 1.8fr) minmax(0, 1.2fr); }
.cds-tasks .r-head { background: #D55E00; color: #FFFFFF; font-weight: 700; font-size: 1em;
  padding: 0.3em 0.4em; border: 0; }
.cds-tasks .r-row { padding: 0.3em 0.4em; border-bottom: 1px solid #D0D0D0; }
.cds-tasks .r-row:nth-child(odd) { background: #F2F2F2; }
/* submissions */
.cds-units { flex: 1; min-height: 0; display: grid; gap: calc(var(--u) * 0.9);
  grid-template-columns: repeat(5, minmax(0, 1fr)); grid-template-rows: repeat(var(--lines), minmax(0, 1fr));
  font-size: min(calc(var(--u) * 1.8), calc(80cqh / var(--lines) / 2.9)); }
.u-tile { background: var(--c); color: var(--on); border-radius: 0.3em; min-height: 0; overflow: hidden;
  display: flex; flex-direction: column; justify-content: center; align-items: center; text-align: center;
  padding: 0.3em 0.5em; }
.u-name { font-weight: 700; }
.cds-lists { flex: 1; min-height: 0; display: grid; gap: calc(var(--u) * 1.2);
  grid-template-columns: repeat(4, minmax(0, 1fr)); font-size: calc(var(--u) * 1.4); }
.l-col { min-height: 0; overflow: hidden; display: flex; flex-direction: column; gap: 0.4em; }
.l-head { background: var(--c); color: var(--on); font-weight: 700; padding: 0.4em; text-align: center;
  border-radius: 0.3em; font-size: 1.15em; }
.cds-legend { flex: none; }
/* the map: its picture (contained in its card, any shape of stage) and its legend beside it */
.cds-map { flex: 1; min-height: 0; display: grid; gap: calc(var(--u) * 2);
  grid-template-columns: minmax(0, 2.1fr) minmax(0, 1fr); }
.m-pic { min-height: 0; min-width: 0; display: flex; align-items: center; justify-content: center; }
.m-pic img { display: block; width: 100%; height: 100%; object-fit: contain; }
.m-side { min-height: 0; display: flex; flex-direction: column; justify-content: center;
  gap: calc(var(--u) * 2); font-size: min(calc(var(--u) * 2), 5cqh); }
.m-keys { display: flex; flex-direction: column; gap: 0.6em; }
.m-key { display: flex; align-items: center; gap: 0.6em; }
.m-swatch { flex: none; width: 1.6em; height: 1.1em; border-radius: 0.2em; background: var(--c); }
.m-note { min-height: 0; overflow: hidden; color: #4D4D4D; font-size: 0.8em; }
@media (max-width: 640px) {
  .cds-stage, .cds-body { container-type: normal; height: auto; }
  .cds-slide { --u: 8.5px; height: auto; overflow: visible; padding: 12px 2px 8px; gap: 14px; }
  .cds-body { flex: none; gap: 10px; }
  .cds-tiles, .cds-units, .cds-lists { grid-template-columns: minmax(0, 1fr); grid-template-rows: none;
    gap: 10px; font-size: 16px; }
  .cds-tile { min-height: 0; }
  .cds-map { grid-template-columns: minmax(0, 1fr); gap: 10px; }
  .m-pic img { height: auto; }
  .m-side { font-size: 16px; gap: 10px; }
  .t-mid { padding: 0.4em 0.5em; }
  .cds-rows { font-size: 16px !important; gap: 0 !important; }  /* not the projector's fit */
  .r-head { display: none; }
  .r-row, .k-ranking .r-row { flex: none; row-gap: 6px; padding: 10px 0; border-bottom: 1px solid #D0D0D0;
    grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); grid-template-areas: "label label" "bar bar" "value note"; }
  .r-label { grid-area: label; text-align: left; font-weight: 700; }
  .r-bar { grid-area: bar; }
  .r-value { grid-area: value; }
  .r-note { grid-area: note; text-align: right; }
  .cds-tasks .r-row { grid-template-columns: minmax(0, 1fr); grid-template-areas: none; }
  .cds-tasks .r-row > span::before { content: attr(data-head) ": "; color: #4D4D4D; font-weight: 400; }
  .cds-message { font-size: 20px; }
  .cds-foot { flex-wrap: wrap; font-size: 14px; }
}
"""


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)


def _tint(color: str, alpha: float) -> str:
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _on(status: str) -> str:
    return INK if status in _DARK_TEXT else "#FFFFFF"


def _box(tag: str, cls: str, text: str, raw: bool = False, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{_e(v)}"' for k, v in attrs.items())
    return f'<{tag} class="{cls}" data-box{extra}>{text if raw else _e(text)}</{tag}>'


def _tiles(slide: Slide) -> str:
    cards = []
    for t in slide.tiles:
        color = STATUS_COLORS[t.status]
        cards.append(
            f'<div class="cds-tile" data-card="tile:{_e(t.code)}" style="--c:{color};--bg:{_tint(color, 0.1)};'
            f'--on:{_on(t.status)}">'
            + _box("div", "t-label", t.label)
            + '<div class="t-mid">'
            + _box("div", "t-value", t.value)
            + _box("div", "t-target", f"Mục tiêu<br><b>{_e(t.target)}</b>", raw=True)
            + "</div>"
            + _box("div", "t-status", status_label(t.status))
            + "</div>"
        )
    return f'<div class="cds-tiles">{"".join(cards)}</div>'


def _rows(slide: Slide) -> str:
    cells = [list(slide.headers)] + [[r.label, "", f"{r.value} / {r.target}", r.note] for r in slide.rows]
    head = "".join(_box("span", f"h{i}", h) for i, h in enumerate(slide.headers))
    rows = []
    for i, r in enumerate(slide.rows):
        value = f"<b>{_e(r.value)}</b>" + (f" / {_e(r.target)}" if r.target else "")
        rows.append(
            f'<div class="r-row" data-card="row:{i}">'
            + _box("span", "r-label", r.label)
            + f'<span class="r-bar"><span class="r-fill" style="width:{r.progress * 100:.1f}%;'
            f'background:{STATUS_COLORS[r.status]}"></span></span>'
            + _box("span", "r-value", value, raw=True)
            + f'<span class="r-note" data-box style="color:{_STATUS_INK.get(r.status, STATUS_COLORS[r.status])}">'
            f"{_e(r.note)}</span></div>"
        )
    return (
        f'<div class="cds-rows" style="{_fit(slide, cells, RANK_COLUMNS if slide.kind == "ranking" else ROW_COLUMNS)}">'
        f'<div class="r-head" data-card="head-row">{head}</div>{"".join(rows)}</div>'
    )


# Rows and tables are sized in Python, in units (`--u`), for the smallest stage a unit allows (16:9:
# 95.2 units of content wide, 56.2 high): the lines each cell wraps to are counted in the shipped font,
# and the text takes the largest size, up to ROW_SIZE, at which every row fits under the title.
ROW_SIZE, CONTENT, HEIGHT, COLUMN_GAP = 2.3, 95.2, 56.2, 0.8
ROW_COLUMNS = (2.3, 3, 1.7, 1.8)  # as .r-row's grid-template-columns
RANK_COLUMNS = (3, 2.6, 1, 2.2)  # the ranking's: long names, a short value
TASK_COLUMNS = (0.9, 4.4, 2.2, 1.8, 1.2)  # as .cds-tasks .r-row's
SPARE = 1.06  # a browser without Noto Sans draws a little wider


def _lines(cells: list[str], columns: tuple[float, ...], size: float, bold: bool = False,
           width: float = CONTENT) -> int:  # fmt: skip
    """The lines of the tallest cell of a row at `size` units, each cell wrapped in its column."""
    gaps = COLUMN_GAP * size * (len(columns) - 1)
    widths = [(width - gaps) * w / sum(columns) for w in columns]
    return max(math.ceil(typeface.text_width(cell, size * 10, bold) * SPARE / (w * 10)) if cell else 1
               for cell, w in zip(cells, widths))  # fmt: skip


def _body_height(slide: Slide) -> float:
    """Units of height left for the body under the title and subtitle and above the footer."""
    title = _lines([slide.title], (1,), 3.3, bold=True)
    sub = _lines([slide.subtitle], (1,), 2.0) if slide.subtitle else 0
    return HEIGHT - 2.8 - 2 * 1.2 - 3.3 * 1.4 * title - (2.0 * 1.4 * sub + 0.5) - 1.5 * 1.4


def _fit(slide: Slide, rows: list[list[str]], columns: tuple[float, ...], pad: float = 0.2) -> str:
    """The style of a block of rows (the first the header): the font size, at least the largest
    that fits a 16:9 stage, growing with a taller body (a 4:3 projector) while no cell wraps to
    more lines; the gaps share what is left. Each line 1.4 em, `pad` ems of padding a row."""
    body = _body_height(slide) * 0.97

    def lines(size: float) -> list[int]:
        return [_lines(rows[0], columns, size * 0.9, bold=True)] + [_lines(r, columns, size, bold=True)
                                                                   for r in rows[1:]]  # fmt: skip

    def ems(counts: list[int]) -> float:
        return sum(1.4 * n + pad for n in counts)

    size = ROW_SIZE
    while size > 1.0 and (ems(lines(size)) + 0.2 * (len(rows) - 1)) * size > body:
        size -= 0.05
    fitted = lines(size)
    largest = size
    while largest < ROW_SIZE and lines(largest + 0.05) == fitted:
        largest += 0.05
    height = ems(fitted)
    grow = 97 / (height + 0.2 * (len(rows) - 1))  # cqh of the body per unit of font size
    return (f"font-size:clamp(calc(var(--u) * {size:.2f}), {grow:.3f}cqh, calc(var(--u) * {largest:.2f}));"
            f"gap:clamp(0.2em, calc((97cqh - {height:.2f}em) / {max(1, len(rows) - 1)}), 1.2em)")


def _table(slide: Slide) -> str:
    head = "".join(_box("span", f"h{i}", h) for i, h in enumerate(slide.headers))
    rows = [
        f'<div class="r-row" data-card="task:{i}">'
        + "".join(_box("span", f"c{j}", cell, data_head=slide.headers[j]) for j, cell in enumerate(row))
        + "</div>"
        for i, row in enumerate(slide.table)
    ]
    return (
        f'<div class="cds-rows cds-tasks" style="{_fit(slide, [list(slide.headers), *slide.table], TASK_COLUMNS, pad=0.6)}">'
        f'<div class="r-head" data-card="head-row">{head}</div>{"".join(rows)}</div>'
    )


def _units(slide: Slide) -> str:
    tiles = [
        f'<div class="u-tile" data-card="unit:{_e(u.code)}" style="--c:{SUBMISSION_COLORS[u.status]};'
        f'--on:{_on(u.status)}">'
        + _box("div", "u-name", u.name)
        + _box("div", "u-detail", u.detail)
        + "</div>"
        for u in slide.units
    ]
    lines = -(-len(slide.units) // 5)
    return f'<div class="cds-units" style="--lines:{lines}">{"".join(tiles)}</div>'


def _lists(slide: Slide) -> str:
    columns = []
    for item in slide.lists:
        names = ", ".join(item.names) if item.names else "–"
        if item.more:
            names += f" … và {item.more:,} đơn vị khác".replace(",", ".")
        columns.append(
            f'<div class="l-col" data-card="list:{item.status}" style="--c:{SUBMISSION_COLORS[item.status]};'
            f'--on:{_on(item.status)}">' + _box("div", "l-head", list_heading(item))
            + _box("div", "l-names", names) + "</div>"
        )  # fmt: skip
    return f'<div class="cds-lists">{"".join(columns)}</div>'


def _map(slide: Slide) -> str:
    """The map's picture (a PNG inline, so that the page and the printed PDF need no other file) in
    its card, and beside it a key per status and the units without a boundary."""
    width, height = slide.picture_size
    data = base64.b64encode(slide.picture()).decode("ascii")
    picture = (f'<div class="m-pic" data-card="map"><img src="data:image/png;base64,{data}" width="{width}" '
               f'height="{height}" alt="{_e(slide.title)}"></div>')  # fmt: skip
    keys = "".join(
        f'<div class="m-key" style="--c:{STATUS_COLORS[key.status]}"><span class="m-swatch"></span>'
        + _box("span", "m-text", key.text) + "</div>"
        for key in slide.keys
    )
    note = f'<div class="m-note" data-card="map-note">{_box("div", "m-note-text", slide.note)}</div>' if slide.note else ""
    return f'<div class="cds-map">{picture}<div class="m-side"><div class="m-keys" data-card="map-keys">{keys}</div>{note}</div></div>'


def _body(slide: Slide) -> str:
    if slide.message:
        return f'<div class="cds-message" data-card="message">{_box("div", "m-text", slide.message)}</div>'
    if slide.tiles:
        return _tiles(slide)
    if slide.rows:
        return _rows(slide)
    if slide.table:
        return _table(slide)
    if slide.picture is not None:
        return _map(slide)
    parts = _units(slide) if slide.units else _lists(slide)
    legend = f'<div class="cds-legend" data-card="legend">{_box("div", "g-text", slide.legend)}</div>'
    return parts + legend


def _footer(slide: Slide) -> str:
    text = _e(slide.footer)
    if slide.demo:
        text = text.replace("DỮ LIỆU MẪU (minh họa)", "<b>DỮ LIỆU MẪU (minh họa)</b>")
    return _box("span", "f-text", text, raw=True) + _box("span", "f-page", slide.page)


def slide_html(slide: Slide) -> str:
    """One slide: a stage that takes its parent's size (the page gives it the window below the
    top bar) and the slide in it."""
    sub = _box("div", "cds-sub", slide.subtitle) if slide.subtitle else ""
    return (
        f'<div class="cds-stage"><section class="cds-slide k-{slide.kind}" data-slide="{slide.kind}">'
        f'<div class="cds-head" data-card="head">{_box("div", "cds-title", slide.title)}{sub}</div>'
        f'<div class="cds-body">{_body(slide)}</div>'
        f'<div class="cds-foot" data-card="foot">{_footer(slide)}</div></section></div>'
    )


def document(slides: list[Slide]) -> str:
    """Every slide as a page of PAGE_PX CSS pixels: the PDF's source. The fonts are the shipped ones,
    found by Chromium through fontconfig (`typeface.use_project_fonts`), not web fonts: a web font
    loads after the page and could miss the print."""
    width, height = PAGE_PX
    pages = "".join(slide_html(s) for s in slides)
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Trình chiếu chuyển đổi số</title>'
        f"<style>@page {{ size: {width}px {height}px; margin: 0; }}\n"
        "html, body { margin: 0; padding: 0; -webkit-print-color-adjust: exact; print-color-adjust: exact; }\n"
        f"{CSS}\n.cds-stage {{ width: {width}px; height: {height}px; break-after: page; overflow: hidden; }}\n"
        f"</style></head><body>{pages}</body></html>"
    )


def chromium() -> str:
    """The Chromium that Kaleido uses (BROWSER_PATH, else the one on PATH)."""
    found = os.environ.get("BROWSER_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found or not Path(found).exists():
        raise RuntimeError("Chưa cài Chromium (gói Debian chromium): không tạo được tệp PDF.")
    return found


def slides_pdf(slides: list[Slide]) -> bytes:
    """The slides as a PDF, one 16:9 page each, with real (selectable) text: `document` printed by
    headless Chromium in the shipped fonts."""
    if not slides:
        raise ValueError("Không có trang nào để xuất.")
    typeface.use_project_fonts()
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "trinh_chieu.html", Path(folder) / "trinh_chieu.pdf"
        source.write_text(document(slides), encoding="utf-8")
        command = [
            chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--no-pdf-header-footer", f"--user-data-dir={Path(folder) / 'profile'}",
            f"--print-to-pdf={target}", source.as_uri(),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, timeout=120)
        if not target.exists() or target.stat().st_size == 0:
            raise RuntimeError(
                f"Chromium không tạo được tệp PDF: {done.stderr.decode(errors='replace')[-400:]}"
            )
        return target.read_bytes()
