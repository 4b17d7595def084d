"""Writes indicators/templates/bao_cao_thang.docx, the editable Word template of the monthly report.

Run once when the layout changes; staff may then edit the .docx in Word, keeping the {{ … }} and
{%… %} tags (docxtpl/Jinja). Layout per Nghị định 30/2020/NĐ-CP: A4, Times New Roman, margins
top/bottom 20 mm, left 30 mm, right 15 mm; body 14 pt; header 12–13 pt.
"""

from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

OUT = Path(__file__).resolve().parent.parent / "indicators" / "templates" / "bao_cao_thang.docx"


def _font(run, size=14, bold=False, italic=False):
    run.font.name = "Times New Roman"
    run._element.rPr.rFonts.set(qn("w:eastAsia"), "Times New Roman")
    run.font.size = Pt(size)
    run.bold = bold
    run.italic = italic
    return run


def para(container, text="", size=14, bold=False, italic=False, align=None, space_after=6, indent=False):
    p = container.add_paragraph()
    if text:
        _font(p.add_run(text), size, bold, italic)
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(space_after)
    p.paragraph_format.space_before = Pt(0)
    if indent:
        p.paragraph_format.first_line_indent = Mm(10)
    return p


def no_borders(table):
    tbl = table._element
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl.tblPr.append(borders)


def set_widths(table, widths):
    """Fixed column widths (Word ignores cell widths unless the grid and layout agree)."""
    table.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths):
        col.set(qn("w:w"), str(int(width.twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = width


def cell_text(cell, text, size=12, bold=False, italic=False, align=WD_ALIGN_PARAGRAPH.CENTER):
    p = cell.paragraphs[0]
    _font(p.add_run(text), size, bold, italic)
    p.alignment = align
    p.paragraph_format.space_after = Pt(0)
    return p


def build() -> None:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(14)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "Times New Roman")

    # Header: issuing body | national title and motto
    head = doc.add_table(rows=1, cols=2)
    no_borders(head)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    set_widths(head, [Mm(68), Mm(97)])
    left, right = head.rows[0].cells
    cell_text(left, "{{ issuer_parent }}", 13)
    p = left.add_paragraph()
    _font(p.add_run("{{ issuer_line1 }}"), 13, bold=True)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p = left.add_paragraph()
    _font(p.add_run("{{ issuer_line2 }}"), 13, bold=True)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p = left.add_paragraph()
    _font(p.add_run("Số:      /{{ document_symbol }}"), 13)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    cell_text(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, bold=True)
    p = right.add_paragraph()
    _font(p.add_run("Độc lập - Tự do - Hạnh phúc"), 13, bold=True)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p = right.add_paragraph()
    _font(p.add_run("{{ date_line }}"), 14, italic=True)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER

    para(doc, "", space_after=6)
    para(doc, "BÁO CÁO", 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    para(doc, "{{ subtitle }}", 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    para(doc, "{{ intro }}", indent=True)
    para(doc, "{%p if replaces_text %}")
    para(doc, "{{ replaces_text }}", italic=True, indent=True)
    para(doc, "{%p endif %}")
    para(doc, "{%p if demo %}")
    para(doc, "(Báo cáo lập từ DỮ LIỆU MẪU, không phải số liệu thật.)", 13, italic=True)
    para(doc, "{%p endif %}")
    para(doc, "{%p if not has_data %}")
    para(doc, "{{ no_data_text }}", italic=True, indent=True)
    para(doc, "{%p endif %}")

    para(doc, "I. KẾT QUẢ CHUNG", bold=True)
    para(doc, "{{ overall_text }}", indent=True)
    para(doc, "{%p if chart_groups %}")
    para(doc, "{{ chart_groups }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, "{{ chart_trend }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, "{%p endif %}")
    # a city's communes on a map (only where they have boundaries)
    para(doc, "{%p if chart_map %}")
    para(doc, "{{ chart_map }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, "{{ map_caption }}", 12, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, "{%p endif %}")

    para(doc, "II. KẾT QUẢ THEO NHÓM NHIỆM VỤ", bold=True)
    para(doc, "{%p for g in groups %}")
    para(doc, "{{ g.number }}. {{ g.name }}", bold=True, italic=True)
    para(doc, "{{ g.text }}", indent=True)
    para(doc, "{%p for line in g.task_lines %}")
    para(doc, "- {{ line }}", indent=True)
    para(doc, "{%p endfor %}")
    para(doc, "{%p endfor %}")

    para(doc, "III. BẢNG CHỈ TIÊU {{ month_label }}", bold=True)
    headers = ["TT", "Chỉ tiêu", "Kết quả", "So tháng trước", "Mục tiêu 2026", "Đánh giá"]
    table = doc.add_table(rows=3, cols=len(headers))
    table.style = "Table Grid"
    widths = [Mm(10), Mm(67), Mm(20), Mm(24), Mm(20), Mm(24)]
    for i, text in enumerate(headers):
        cell_text(table.rows[0].cells[i], text, 12, bold=True)
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for r in indicators %}")
    fields = ["{{ r.no }}", "{{ r.name }}", "{{ r.value }}", "{{ r.change }}", "{{ r.target }}", "{{ r.status }}"]
    row = table.add_row()
    for i, text in enumerate(fields):
        cell_text(row.cells[i], text, 12, align=WD_ALIGN_PARAGRAPH.LEFT if i == 1 else WD_ALIGN_PARAGRAPH.CENTER)
    end = table.add_row()
    end.cells[0].paragraphs[0].add_run("{%tr endfor %}")
    # the template rows: header, for, body, endfor (remove the spare empty row)
    table._tbl.remove(table.rows[2]._tr)
    set_widths(table, widths)

    para(doc, "", space_after=6)
    para(doc, "IV. CÁC THÔN CÒN CHẬM", bold=True)
    para(doc, "{%p for line in behind_lines %}")
    para(doc, "- {{ line }}", indent=True)
    para(doc, "{%p endfor %}")

    para(doc, "V. TÌNH HÌNH NỘP SỐ LIỆU", bold=True)
    para(doc, "{{ submission_text }}", indent=True)
    para(doc, "{%p for line in submission_lines %}")
    para(doc, "- {{ line }}", indent=True)
    para(doc, "{%p endfor %}")

    # Earlier months' figures changed after their report (always there: "none" is news too)
    para(doc, "VI. ĐIỀU CHỈNH SỐ LIỆU CÁC THÁNG TRƯỚC", bold=True)
    para(doc, "{{ adjustments_text }}", indent=True)
    para(doc, "{%p if adjustments %}")
    headers = ["TT", "Tháng", "Đơn vị", "Chỉ tiêu", "Số liệu cũ → mới", "Người điều chỉnh, lý do"]
    table = doc.add_table(rows=3, cols=len(headers))
    table.style = "Table Grid"
    for i, text in enumerate(headers):
        cell_text(table.rows[0].cells[i], text, 11, bold=True)
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for a in adjustments %}")
    fields = ["{{ loop.index }}", "{{ a.month }}", "{{ a.unit }}", "{{ a.indicator }}", "{{ a.change }}", "{{ a.note }}"]
    row = table.add_row()
    for i, text in enumerate(fields):
        cell_text(row.cells[i], text, 11, align=WD_ALIGN_PARAGRAPH.CENTER if i in (0, 1) else WD_ALIGN_PARAGRAPH.LEFT)
    end = table.add_row()
    end.cells[0].paragraphs[0].add_run("{%tr endfor %}")
    table._tbl.remove(table.rows[2]._tr)
    set_widths(table, [Mm(9), Mm(18), Mm(24), Mm(46), Mm(32), Mm(36)])
    para(doc, "{%p endif %}")

    para(doc, "VII. NHIỆM VỤ ĐẾN HẠN, QUÁ HẠN", bold=True)
    para(doc, "{{ tasks_text }}", indent=True)
    para(doc, "{%p for line in task_lines %}")
    para(doc, "- {{ line }}", indent=True)
    para(doc, "{%p endfor %}")

    para(doc, "VIII. PHƯƠNG HƯỚNG, KIẾN NGHỊ", bold=True)
    para(doc, "{{ proposals }}", indent=True)

    # Recipients | signature
    foot = doc.add_table(rows=1, cols=2)
    no_borders(foot)
    set_widths(foot, [Mm(80), Mm(85)])
    left, right = foot.rows[0].cells
    cell_text(left, "Nơi nhận:", 12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for text in ("{%p for r in recipients %}", "- {{ r }}", "{%p endfor %}"):
        p = left.add_paragraph()
        _font(p.add_run(text), 11)
        p.paragraph_format.space_after = Pt(0)
    cell_text(right, "{{ signer_authority }}", 13, bold=True)
    p = right.add_paragraph()
    _font(p.add_run("{{ signer_title }}"), 13, bold=True)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for _ in range(3):
        right.add_paragraph()
    p = right.add_paragraph()
    _font(p.add_run("{{ signer_name }}"), 13, bold=True)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER

    OUT.parent.mkdir(parents=True, exist_ok=True)
    doc.save(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    build()
