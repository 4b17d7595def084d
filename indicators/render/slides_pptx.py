"""The slides (`slides.Slide`) as a PowerPoint file that staff can edit before the meeting: titles,
tiles and notes are text boxes, the progress of indicators and hamlets a native bar chart (its data
editable in PowerPoint or LibreOffice), the overdue tasks and the rows' values native tables.

Sizes are PowerPoint's 16:9 (13.33 × 7.5 inches); the text is set in Noto Sans (shipped in
`indicators/fonts`; a machine without it substitutes a sans-serif font).
"""

from __future__ import annotations

import io

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from indicators.render import typeface
from indicators.render.charts import STATUS_COLORS, SUBMISSION_COLORS, status_label
from indicators.render.slides import Slide, list_heading

SLIDE_EMU = (12_192_000, 6_858_000)  # 13.333 × 7.5 inches: PowerPoint's 16:9
MARGIN = Inches(0.45)
BODY_TOP, BODY_BOTTOM = Inches(1.55), Inches(6.85)
INK, MUTED, WHITE = "1A1A1A", "4D4D4D", "FFFFFF"
_DARK_TEXT = {"at_risk", "no_data", "late", "partial"}
_STATUS_INK = {"at_risk": "A36F00", "no_data": "6B6B6B"}


def _rgb(color: str) -> RGBColor:
    return RGBColor.from_string(color.lstrip("#").upper())


def _on(status: str) -> str:
    return INK if status in _DARK_TEXT else WHITE


def _ink(status: str) -> str:
    return _STATUS_INK.get(status, STATUS_COLORS[status])


def _text(
    frame, parts: list[tuple[str, float, bool, str]], align=PP_ALIGN.LEFT, anchor=MSO_ANCHOR.TOP
) -> None:
    """Paragraphs of (text, points, bold, colour) in a text frame, wrapped."""
    frame.word_wrap = True
    frame.vertical_anchor = anchor
    for margin in ("margin_left", "margin_right"):
        setattr(frame, margin, Inches(0.08))
    for i, (text, size, bold, color) in enumerate(parts):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.alignment = align
        run = paragraph.add_run()
        run.text = text
        run.font.size, run.font.bold, run.font.name = Pt(size), bold, typeface.FAMILY
        run.font.color.rgb = _rgb(color)


def _box(shapes, x, y, w, h, parts, align=PP_ALIGN.LEFT, anchor=MSO_ANCHOR.TOP):
    box = shapes.add_textbox(Emu(int(x)), Emu(int(y)), Emu(int(w)), Emu(int(h)))
    _text(box.text_frame, parts, align, anchor)
    return box


def _card(shapes, x, y, w, h, fill: str, line: str | None = None, shape=MSO_SHAPE.RECTANGLE):
    card = shapes.add_shape(shape, Emu(int(x)), Emu(int(y)), Emu(int(w)), Emu(int(h)))
    card.fill.solid()
    card.fill.fore_color.rgb = _rgb(fill)
    if line:
        card.line.color.rgb, card.line.width = _rgb(line), Pt(2.5)
    else:
        card.line.fill.background()
    card.shadow.inherit = False
    return card


def _tint(color: str, alpha: float = 0.12) -> str:
    r, g, b = (int(color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return "".join(f"{round(255 - (255 - c) * alpha):02X}" for c in (r, g, b))


def fitting_size(text: str, width_emu: int, largest: float, smallest: float, bold: bool = False) -> float:
    """The largest size in points, from `largest` down to `smallest`, at which `text` fits on one
    line of `width_emu` (measured in the shipped font)."""
    width_px = width_emu / 914_400 * 96 * 0.95  # a little room for PowerPoint's own metrics
    size = largest
    while size > smallest and typeface.text_width(text, size * 96 / 72, bold) > width_px:
        size -= 1
    return size


def _frame(page, slide: Slide) -> None:
    width = SLIDE_EMU[0] - 2 * MARGIN
    title_size = fitting_size(slide.title, width - Inches(0.16), 28, 20, bold=True)
    _box(page.shapes, MARGIN, Inches(0.3), width, Inches(0.75), [(slide.title, title_size, True, INK)],
         anchor=MSO_ANCHOR.BOTTOM).name = "title"  # fmt: skip
    if slide.subtitle:
        size = fitting_size(slide.subtitle, width - Inches(0.16), 15, 11)
        _box(
            page.shapes, MARGIN, Inches(1.05), width, Inches(0.45), [(slide.subtitle, size, False, MUTED)]
        ).name = "subtitle"
    footer = slide.footer
    _box(page.shapes, MARGIN, Inches(7.0), width - Inches(1), Inches(0.35), [(footer, 10, False, MUTED)])
    _box(page.shapes, SLIDE_EMU[0] - MARGIN - Inches(1), Inches(7.0), Inches(1), Inches(0.35),
         [(slide.page, 10, False, MUTED)], PP_ALIGN.RIGHT)  # fmt: skip


def _tiles(page, slide: Slide) -> None:
    cols, gap = 3, Inches(0.25)
    width = (SLIDE_EMU[0] - 2 * MARGIN - gap * (cols - 1)) / cols
    height = (BODY_BOTTOM - BODY_TOP - gap) / 2
    band = Inches(0.45)
    for i, t in enumerate(slide.tiles):
        x = MARGIN + (i % cols) * (width + gap)
        y = BODY_TOP + (i // cols) * (height + gap)
        color = STATUS_COLORS[t.status]
        card = _card(page.shapes, x, y, width, height, _tint(color), color, MSO_SHAPE.RECTANGLE)
        card.name = f"tile:{t.code}"
        _text(card.text_frame, [(t.label, 16, True, INK), (t.value, 40, True, INK),
                                (f"Mục tiêu {t.target}", 15, False, MUTED)], PP_ALIGN.CENTER)  # fmt: skip
        card.text_frame.margin_bottom = band
        status = _card(page.shapes, x, y + height - band, width, band, color)
        _text(status.text_frame, [(status_label(t.status), 16, True, _on(t.status))], PP_ALIGN.CENTER,
              MSO_ANCHOR.MIDDLE)  # fmt: skip


def _table(page, x, y, w, header: list[str], rows: list[list[str]], widths: list[float], size: float,
           header_fill: str = "D55E00", colors: list[list[str | None]] | None = None):  # fmt: skip
    row_h = min(Inches(0.2 + size / 60), (BODY_BOTTOM - y) / (len(rows) + 1))  # many rows: all on the slide
    shape = page.shapes.add_table(len(rows) + 1, len(header), Emu(int(x)), Emu(int(y)), Emu(int(w)),
                                  Emu(int(row_h * (len(rows) + 1))))  # fmt: skip
    table = shape.table
    total = sum(widths)
    for i, part in enumerate(widths):
        table.columns[i].width = Emu(int(w * part / total))
    for c, text in enumerate(header):
        cell = table.cell(0, c)
        cell.fill.solid()
        cell.fill.fore_color.rgb = _rgb(header_fill)
        _text(cell.text_frame, [(text, size, True, WHITE)])
    for r, row in enumerate(rows, start=1):
        for c, text in enumerate(row):
            cell = table.cell(r, c)
            cell.fill.solid()
            cell.fill.fore_color.rgb = _rgb("FFFFFF" if r % 2 else "F2F2F2")
            color = (colors[r - 1][c] if colors else None) or INK
            _text(cell.text_frame, [(text, size, c == len(row) - 1 and colors is not None, color)])
    return shape


def _rows(page, slide: Slide) -> None:
    """A native bar chart of the progress (left) and a table of the values and statuses (right)."""
    n = len(slide.rows)
    size = 14 if n <= 8 else 10
    chart_w = (SLIDE_EMU[0] - 2 * MARGIN) * 0.56
    data = CategoryChartData(number_format='0.0"%"')
    data.categories = [r.label for r in slide.rows]
    data.add_series(slide.headers[1] or "Tiến độ", [round(r.progress * 100, 1) for r in slide.rows])
    frame = page.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, MARGIN, BODY_TOP, Emu(int(chart_w)),
                                  BODY_BOTTOM - BODY_TOP, data)  # fmt: skip
    frame.name = "progress chart"
    chart = frame.chart
    chart.has_legend = False
    chart.has_title = True
    chart.chart_title.text_frame.text = slide.axis or slide.headers[1]
    chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(size)
    chart.font.size, chart.font.name = Pt(size), typeface.FAMILY
    plot = chart.plots[0]
    plot.gap_width = 50
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format, labels.number_format_is_linked = '0.0"%"', False
    labels.position = XL_LABEL_POSITION.OUTSIDE_END
    for point, row in zip(plot.series[0].points, slide.rows):
        point.format.fill.solid()
        point.format.fill.fore_color.rgb = _rgb(STATUS_COLORS[row.status])
    chart.category_axis.reverse_order = True  # the first row on top, as on the screen
    axis = chart.value_axis
    axis.minimum_scale, axis.maximum_scale = 0, 115
    axis.has_major_gridlines = False
    axis.visible = False
    x = MARGIN + chart_w + Inches(0.2)
    values = [r.value + (f" / {r.target}" if r.target else "") for r in slide.rows]
    rows = [[r.label, v, r.note] for r, v in zip(slide.rows, values)]
    colors = [[None, None, _ink(r.status)] for r in slide.rows]
    headers = [slide.headers[0], slide.headers[2], slide.headers[3]]
    _table(page, x, BODY_TOP, SLIDE_EMU[0] - MARGIN - x, headers, rows, [2.0, 1.6, 1.9], size,
           header_fill="4D4D4D", colors=colors).name = "values table"  # fmt: skip


def _units(page, slide: Slide) -> None:
    cols, gap = 5, Inches(0.12)
    lines = -(-len(slide.units) // cols)
    width = (SLIDE_EMU[0] - 2 * MARGIN - gap * (cols - 1)) / cols
    height = min(Inches(1.3), (BODY_BOTTOM - BODY_TOP - Inches(0.5) - gap * (lines - 1)) / lines)
    for i, u in enumerate(slide.units):
        x = MARGIN + (i % cols) * (width + gap)
        y = BODY_TOP + (i // cols) * (height + gap)
        card = _card(page.shapes, x, y, width, height, SUBMISSION_COLORS[u.status])
        card.name = f"unit:{u.code}"
        _text(card.text_frame, [(u.name, 14, True, _on(u.status)), (u.detail, 13, False, _on(u.status))],
              PP_ALIGN.CENTER, MSO_ANCHOR.MIDDLE)  # fmt: skip


def _lists(page, slide: Slide) -> None:
    gap = Inches(0.2)
    width = (SLIDE_EMU[0] - 2 * MARGIN - gap * 3) / 4
    for k, item in enumerate(slide.lists):
        x = MARGIN + k * (width + gap)
        head = _card(page.shapes, x, BODY_TOP, width, Inches(0.55), SUBMISSION_COLORS[item.status])
        _text(
            head.text_frame,
            [(list_heading(item), 15, True, _on(item.status))],
            PP_ALIGN.CENTER,
            MSO_ANCHOR.MIDDLE,
        )
        names = ", ".join(item.names) or "–"
        if item.more:
            names += f" … và {item.more} đơn vị khác"
        _box(page.shapes, x, BODY_TOP + Inches(0.65), width, Inches(4), [(names, 12, False, INK)])


def _map(page, slide: Slide) -> None:
    """The map as a picture (PowerPoint has no native map), as large as the body allows at its
    shape, and beside it a coloured key per status and the units without a boundary (text)."""
    side = Inches(3.9)
    room_w, room_h = SLIDE_EMU[0] - 2 * MARGIN - side - Inches(0.3), BODY_BOTTOM - BODY_TOP
    width, height = slide.picture_size
    scale = min(room_w / width, room_h / height)
    w, h = width * scale, height * scale
    picture = page.shapes.add_picture(io.BytesIO(slide.picture()), Emu(int(MARGIN + (room_w - w) / 2)),
                                      Emu(int(BODY_TOP + (room_h - h) / 2)), Emu(int(w)), Emu(int(h)))  # fmt: skip
    picture.name = "map"
    x = SLIDE_EMU[0] - MARGIN - side
    line = Inches(0.5)
    y = BODY_TOP + Inches(0.3)
    for key in slide.keys:
        _card(page.shapes, x, y + Inches(0.1), Inches(0.45), Inches(0.3), STATUS_COLORS[key.status]).name = (
            f"key:{key.status}"
        )
        _box(page.shapes, x + Inches(0.55), y, side - Inches(0.55), line, [(key.text, 16, False, INK)],
             anchor=MSO_ANCHOR.MIDDLE)  # fmt: skip
        y += line
    if slide.note:
        _box(page.shapes, x, y + Inches(0.3), side, BODY_BOTTOM - y - Inches(0.3),
             [(slide.note, 12, False, MUTED)]).name = "unmapped"  # fmt: skip


def slides_pptx(slides: list[Slide]) -> bytes:
    """A 16:9 PowerPoint file, one slide per `Slide`, every text editable."""
    if not slides:
        raise ValueError("Không có trang nào để xuất.")
    deck = Presentation()
    deck.slide_width, deck.slide_height = SLIDE_EMU
    blank = deck.slide_layouts[6]
    for slide in slides:
        page = deck.slides.add_slide(blank)
        _frame(page, slide)
        width = SLIDE_EMU[0] - 2 * MARGIN
        if slide.message:
            _box(page.shapes, MARGIN, Inches(3), width, Inches(1.5), [(slide.message, 28, False, MUTED)],
                 PP_ALIGN.CENTER, MSO_ANCHOR.MIDDLE)  # fmt: skip
        elif slide.tiles:
            _tiles(page, slide)
        elif slide.rows:
            _rows(page, slide)
        elif slide.table:
            _table(page, MARGIN, BODY_TOP, width, list(slide.headers), slide.table, [0.8, 4.6, 2.2, 1.6, 1.2],
                   16).name = "tasks table"  # fmt: skip
        elif slide.picture is not None:
            _map(page, slide)
        elif slide.units or slide.lists:
            (_units if slide.units else _lists)(page, slide)
            _box(
                page.shapes,
                MARGIN,
                BODY_BOTTOM - Inches(0.4),
                width,
                Inches(0.4),
                [(slide.legend, 14, False, INK)],
            )
        page.notes_slide.notes_text_frame.text = slide.subtitle
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()
