"""The monthly Word report and its Excel annex, read back and checked against the core."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date, datetime

import pytest
from docx import Document
from openpyxl import load_workbook

from indicators import metrics
from indicators.cli import main
from indicators.domain import format
from indicators.ingest import import_file
from indicators.metrics import STATUS_VI
from indicators.storage import Store
from indicators.views import report
from tests import support
from tests.support import ADMIN, admin


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    store = Store(support.demo_db(tmp_path_factory.mktemp("report")))
    settings = store.settings()
    settings.signer_name = "Nguyễn Văn Ký"
    settings.recipients = ["Sở Khoa học và Công nghệ;", "Lưu: VT."]
    store.save_settings(settings, ADMIN)
    yield store
    store.close()


@pytest.fixture(scope="module")
def docx_bytes(demo_store):
    return report.render_docx(demo_store, "2026-11", today=date(2026, 11, 20), with_charts=False)


def _text(document: Document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def test_layout_follows_the_decree(docx_bytes):
    document = Document(io.BytesIO(docx_bytes))
    text = _text(document)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "ỦY BAN NHÂN DÂN" in text and "XÃ BÌNH GIANG" in text
    assert "Bình Giang, ngày 20 tháng 11 năm 2026" in text
    assert "BÁO CÁO" in text
    assert "Kết quả thực hiện Kế hoạch thực hiện Nghị quyết số 57-NQ/TW năm 2026 tháng 11/2026" in text
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert round(section.left_margin.mm) == 30 and round(section.right_margin.mm) == 15
    fonts = {run.font.name for p in document.paragraphs for run in p.runs if run.font.name}
    assert fonts == {"Times New Roman"}


def test_sections_follow_the_seven_task_groups(docx_bytes):
    text = _text(Document(io.BytesIO(docx_bytes)))
    for number, name in [(1, "Nâng cao nhận thức"), (5, "Chuyển đổi số trong hệ thống chính trị"), (7, "Tăng cường hợp tác")]:
        assert f"{number}. {name}" in text


def test_indicator_table_equals_the_core(demo_store, docx_bytes):
    document = Document(io.BytesIO(docx_bytes))
    table = next(t for t in document.tables if t.rows[0].cells[1].text == "Chỉ tiêu")
    rows = [[c.text for c in row.cells] for row in table.rows[1:]]
    summary = metrics.commune_summary(demo_store, "2026-11", "10966")
    assert len(rows) == len(summary) == 26
    for row, expected in zip(rows, summary.itertuples()):
        assert row[1] == expected.name_vi
        assert row[2] == format.indicator_value(expected.value, expected.kind)
        assert row[3] == format.indicator_change(expected.change, expected.kind)
        assert row[4] == format.indicator_value(expected.target, expected.kind)
        assert row[5] == STATUS_VI[expected.status]


def test_behind_late_missing_and_tasks_are_listed(demo_store, docx_bytes):
    text = _text(Document(io.BytesIO(docx_bytes)))
    behind = metrics.members_behind(demo_store, "2026-11", "10966")
    assert behind.iloc[0]["unit_name"] in text
    completeness = metrics.completeness(demo_store, "2026-11", "10966")
    for row in completeness[completeness["status"] != "on_time"].itertuples():
        assert row.unit_name in text
    assert "NHIỆM VỤ ĐẾN HẠN, QUÁ HẠN" in text
    assert "quá hạn" in text


def test_signer_and_recipients_come_from_settings(docx_bytes):
    text = _text(Document(io.BytesIO(docx_bytes)))
    assert "Nguyễn Văn Ký" in text
    assert "- Sở Khoa học và Công nghệ;" in text and "- Lưu: VT." in text
    assert "Thường trực Đảng ủy xã" not in text  # the default list was replaced
    assert "TM. ỦY BAN NHÂN DÂN" in text and "CHỦ TỊCH" in text


def test_demo_data_is_marked(docx_bytes):
    assert "DỮ LIỆU MẪU" in _text(Document(io.BytesIO(docx_bytes)))


def test_an_empty_month_says_so(demo_store):
    data = report.render_docx(demo_store, "2026-12", today=date(2026, 12, 20))
    text = _text(Document(io.BytesIO(data)))
    assert "Tháng 12/2026 chưa có số liệu nào được nộp" in text
    assert not Document(io.BytesIO(data)).inline_shapes  # no empty charts


def test_charts_are_embedded_as_images(demo_store):
    data = report.render_docx(demo_store, "2026-11", today=date(2026, 11, 20), with_charts=True)
    document = Document(io.BytesIO(data))
    assert len(document.inline_shapes) == 2
    blobs = [rel.target_part.blob for rel in document.part.rels.values() if "image" in rel.reltype]
    assert all(blob[:8] == b"\x89PNG\r\n\x1a\n" for blob in blobs) and len(blobs) == 2


def test_text_a_user_controls_is_escaped(tmp_path):
    store = Store(support.empty_db(tmp_path))
    from indicators.domain.units import OrgUnit

    store.save_units([OrgUnit(code="X1", name="A & B <b>", level="commune"),
                      OrgUnit(code="H1", name="Thôn <i>", parent="X1")], ADMIN)  # fmt: skip
    data = report.render_docx(store, "2026-03", today=date(2026, 3, 20), with_charts=False)
    text = _text(Document(io.BytesIO(data)))
    assert "XÃ A & B <B>" in text


def test_annex_holds_every_figure_and_is_formula_safe(tmp_path):
    store = Store(support.empty_db(tmp_path))
    from indicators.domain.units import OrgUnit

    store.save_units([OrgUnit(code="X1", name="Bình Giang", level="commune"),
                      OrgUnit(code="H1", name="Cậy", parent="X1")], ADMIN)  # fmt: skip
    csv = (
        b"ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\n"
        b"2026-03,H1,CQ_VNEID_MUC_2,669,1000,,=HYPERLINK(\"http://x\")\n"
        b"2026-03,H1,TT_TIN_BAI,,,4,@cmd\n"
    )
    assert import_file(store, "a.csv", csv, admin("test"), now=datetime(2026, 3, 10)).status == "imported"
    workbook = load_workbook(io.BytesIO(report.annex_xlsx(store, "2026-03")))
    assert workbook.sheetnames == ["Chỉ tiêu", "Theo thôn", "Nộp số liệu", "Số liệu gốc", "Điều chỉnh"]
    summary = {row[1]: row for row in workbook["Chỉ tiêu"].iter_rows(min_row=2, values_only=True)}
    assert summary["CQ_VNEID_MUC_2"][6] == 66.9
    assert summary["TT_TIN_BAI"][6] == 4
    raw = list(workbook["Số liệu gốc"].iter_rows(min_row=2, values_only=True))
    notes = {row[3]: row[7] for row in raw}
    assert notes["CQ_VNEID_MUC_2"] == "'=HYPERLINK(\"http://x\")"
    assert notes["TT_TIN_BAI"] == "'@cmd"
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"


def test_command_line_writes_report_and_annex(tmp_path):
    db = support.demo_db(tmp_path)
    out, annex = tmp_path / "bc.docx", tmp_path / "pl.xlsx"
    code = main(["report", "--period", "2026-11", "--out", str(out), "--annex", str(annex),
                 "--no-charts", "--db", str(db)])  # fmt: skip
    assert code == 0
    assert "BÁO CÁO" in _text(Document(str(out)))
    assert load_workbook(annex).sheetnames[0] == "Chỉ tiêu"
    assert main(["report", "--period", "2026-11", "--out", str(tmp_path / "x.pdf"), "--db", str(db)]) == 2


def test_report_converts_to_pdf_with_libreoffice(tmp_path, docx_bytes):
    # `make sysdeps` installs it (libreoffice-writer-nogui): the test fails, never skips, without
    assert shutil.which("soffice"), "LibreOffice (soffice) is missing: run `make sysdeps`"
    source = tmp_path / "bao_cao.docx"
    source.write_bytes(docx_bytes)
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)  # fmt: skip
    pdf = (tmp_path / "bao_cao.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pdf.startswith(b"%PDF") and pages >= 3


def test_annex_rounds_as_the_screen_and_keeps_times_as_dates(tmp_path):
    """Figures with one decimal (a hamlet's share of a count target is 3,9, not 3.908639…), and
    “Nhận lúc” an Excel date-time shown dd/mm/yyyy hh:mm, not text with microseconds."""
    store = Store(support.demo_db(tmp_path))
    workbook = load_workbook(io.BytesIO(report.annex_xlsx(store, "2026-03")))
    hamlets = workbook["Theo thôn"]
    header = [cell.value for cell in hamlets[1]]
    target = header.index("Mục tiêu 2026")
    values = [row[target] for row in hamlets.iter_rows(min_row=2, values_only=True) if row[target] is not None]
    assert values and all(round(v, 1) == v for v in values)
    assert any(v != round(v) for v in values)  # the counts' shares are not whole
    assert hamlets.cell(2, target + 1).number_format == "#,##0.0"
    raw = workbook["Số liệu gốc"]
    header = [cell.value for cell in raw[1]]
    received = raw.cell(2, header.index("Nhận lúc") + 1)
    assert isinstance(received.value, datetime) and received.value.microsecond == 0
    assert received.number_format == "dd/mm/yyyy hh:mm"
    values = [row[header.index("Giá trị")] for row in raw.iter_rows(min_row=2, values_only=True)]
    assert all(v is None or round(v, 1) == v for v in values)
