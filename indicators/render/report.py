"""The monthly report for the city (Word, from an editable template) and its Excel annex, written
from what the report page's view model gathers (its context dict and the month's tables).

The report shows exactly what the dashboard shows: every number comes from `metrics` and is
written by `format`. The layout lives in `templates/bao_cao_thang.docx` (docxtpl tags), so staff
can change wording and styling in Word without touching code.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from indicators.domain import clock
from indicators.domain.text import safe_text
from indicators.metrics import STATUS_VI, SUBMISSION_STATUS_VI
from indicators.render import charts, typeface

TEMPLATE = Path(__file__).parent.parent / "templates" / "bao_cao_thang.docx"


def figure_pngs(figures: list, width: int | list[int] = 1000, height: int | list[int] = 480) -> list[bytes]:
    """PNG bytes of Plotly figures, exported in one Kaleido session (each start costs seconds), in
    the shipped fonts whatever the machine has (`typeface.use_project_fonts`); `width` and `height`
    are one size for all or one per figure."""
    import plotly.io as pio

    os.environ.setdefault("BROWSER_PATH", "/usr/bin/chromium")
    typeface.use_project_fonts()
    with tempfile.TemporaryDirectory() as folder:
        paths = [str(Path(folder) / f"chart{i}.png") for i in range(len(figures))]
        pio.write_images(figures, paths, width=width, height=height, scale=2)
        return [Path(p).read_bytes() for p in paths]


MAP_SIZE = (1000, 700)  # the map's image (the charts' are 1000 × 480)


def report_figures(context: dict) -> list:
    """The report's charts: task-group progress and the headline trends, and a city's communes on a
    map when the context has one (`_map`, a `views.maps.MemberMap`)."""
    view = context["_view"]
    figures = [charts.group_bars(view.groups, view.period), charts.headline_trends(view.series, view.period)]
    if context.get("_map") is not None:
        figures.append(context["_map"].figure("status", *MAP_SIZE, title=True, whole=True))
    return figures


def docx_bytes(context: dict, with_charts: bool = True, template: Path = TEMPLATE) -> bytes:
    """The monthly report as .docx bytes from its context (charts as images when `with_charts`)."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    document = DocxTemplate(str(template))
    context["chart_groups"] = context["chart_trend"] = context["chart_map"] = ""
    if with_charts and context["has_data"]:
        figures = report_figures(context)
        sizes = [(1000, 480), (1000, 480), MAP_SIZE][: len(figures)]
        pngs = figure_pngs(figures, [w for w, _ in sizes], [h for _, h in sizes])
        context["chart_groups"] = InlineImage(document, io.BytesIO(pngs[0]), width=Mm(160))
        context["chart_trend"] = InlineImage(document, io.BytesIO(pngs[1]), width=Mm(160))
        if len(pngs) > 2:
            context["chart_map"] = InlineImage(document, io.BytesIO(pngs[2]), width=Mm(160))
    for key in [k for k in context if k.startswith("_")]:  # the view models behind the text
        context.pop(key)
    document.render(context, autoescape=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


# Number formats of the annex's cells: figures as the screen shows them (one decimal, counts of
# people whole), times as Excel date-times a reader can sort and filter
_ONE_DECIMAL = "#,##0.0"
_WHOLE = "#,##0"
_MOMENT = "dd/mm/yyyy hh:mm"


def _moments(values: pd.Series) -> pd.Series:
    """Times as the commune's naive local datetimes (Excel has no time zones; None stays empty)."""
    return values.map(lambda t: None if t is None or pd.isna(t) else clock.local(pd.Timestamp(t).to_pydatetime())
                      .replace(second=0, microsecond=0)).astype(object)  # fmt: skip


def _formats(frame: pd.DataFrame) -> dict[str, str]:
    """The number format of each column, read from its name."""
    out = {}
    for column in frame.columns:
        name = str(column)
        if name.startswith(("Tử số", "Mẫu số", "Đã nộp", "Phải nộp", "Đúng hạn", "Muộn", "Số lần")):
            out[column] = _WHOLE
        elif name.startswith(("Giá trị", "Mục tiêu", "Tiến độ", "Thay đổi", "Dự báo")):
            out[column] = _ONE_DECIMAL
        elif name.endswith(" lúc"):
            out[column] = _MOMENT
    return out


def _sheet(workbook: Workbook, title: str, frame: pd.DataFrame) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append(list(frame.columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in frame.itertuples(index=False):
        sheet.append([
            None if (isinstance(v, float) and pd.isna(v)) else safe_text(v) for v in row
        ])  # fmt: skip
    for i, column in enumerate(frame.columns, start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = min(60, max(12, len(str(column)) + 2))
        number_format = _formats(frame).get(column)
        if number_format:
            for cell in sheet[letter][1:]:
                cell.number_format = number_format
        if number_format == _MOMENT:
            sheet.column_dimensions[letter].width = 17
    sheet.freeze_panes = "A2"


def annex_bytes(period: str, summary: pd.DataFrame, hamlets: pd.DataFrame, completeness: pd.DataFrame,
                current: pd.DataFrame, names: dict[str, str], adjustments: pd.DataFrame | None = None) -> bytes:  # fmt: skip
    """The annex workbook from the month's tables: every figure, formatted, safe against formula
    injection. `summary` is `metrics.commune_summary`, `hamlets` `metrics.member_table`,
    `completeness` `metrics.completeness`, `current` the month's current submissions, `names`
    unit code -> label and `adjustments` the earlier months' figures changed after their report
    (`views.report.adjustments`; the sheet "Điều chỉnh" is there, with its header, when empty)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, "Chỉ tiêu", pd.DataFrame({
        "Nhóm": summary["task_group"], "Mã chỉ tiêu": summary["indicator_code"], "Chỉ tiêu": summary["name_vi"],
        "Đơn vị tính": summary["kind"].map(lambda k: "%" if k == "ratio" else "").where(summary["kind"] == "ratio", summary["unit"]),
        "Tử số": summary["numerator"], "Mẫu số": summary["denominator"], "Giá trị": summary["value"].round(1),
        "Thay đổi so tháng trước": summary["change"].round(1), f"Mục tiêu {period[:4]}": summary["target"].round(1),
        "Tiến độ (%)": (summary["progress"] * 100).round(1), "Dự báo cuối năm": summary["projection"].round(1),
        "Đánh giá": summary["status"].map(STATUS_VI),
    }))  # fmt: skip
    _sheet(workbook, "Theo thôn", pd.DataFrame({
        "Thôn": hamlets["unit_name"], "Mã chỉ tiêu": hamlets["indicator_code"], "Chỉ tiêu": hamlets["name_vi"],
        "Tử số": hamlets["numerator"], "Mẫu số": hamlets["denominator"], "Giá trị": hamlets["value"].round(1),
        f"Mục tiêu {period[:4]}": hamlets["target"].round(1), "Tiến độ (%)": (hamlets["progress"] * 100).round(1),
        "Đánh giá": hamlets["status"].map(STATUS_VI),
    }))  # fmt: skip
    _sheet(workbook, "Nộp số liệu", pd.DataFrame({
        "Đơn vị": completeness.get("unit_name", pd.Series(dtype=str)),
        "Đã nộp": completeness.get("submitted"), "Phải nộp": completeness.get("expected"),
        "Đúng hạn": completeness.get("on_time"), "Muộn": completeness.get("late"),
        "Tình trạng": completeness.get("status", pd.Series(dtype=str)).map(SUBMISSION_STATUS_VI),
        "Chỉ tiêu còn thiếu": completeness.get("missing_codes", pd.Series(dtype=object)).map(
            lambda codes: ", ".join(codes) if isinstance(codes, list) else ""),
    }))  # fmt: skip
    _sheet(workbook, "Số liệu gốc", pd.DataFrame({
        "Kỳ báo cáo": current["period"], "Mã đơn vị": current["unit_code"],
        "Đơn vị": current["unit_code"].map(names), "Mã chỉ tiêu": current["indicator_code"],
        "Tử số": current["numerator"], "Mẫu số": current["denominator"], "Giá trị": current["value"].round(1),
        "Ghi chú": current["note"], "Nhận lúc": _moments(current["first_received_at"]),
        "Số lần nộp": current["revisions"],
    }))  # fmt: skip
    _sheet(workbook, "Điều chỉnh", _adjustment_frame(adjustments))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _adjustment_frame(adjustments: pd.DataFrame | None) -> pd.DataFrame:
    """The sheet "Điều chỉnh": one row per earlier month's figure changed after its report."""
    a = adjustments if adjustments is not None else pd.DataFrame()

    def column(name: str) -> pd.Series:
        return a[name] if name in a else pd.Series(dtype=object)

    return pd.DataFrame({
        "Kỳ báo cáo": column("period"), "Mã đơn vị": column("unit_code"), "Đơn vị": column("unit_name"),
        "Mã chỉ tiêu": column("indicator_code"), "Chỉ tiêu": column("name_vi"),
        "Tử số cũ": column("old_numerator"), "Mẫu số cũ": column("old_denominator"),
        "Giá trị cũ": column("old_value").astype(float).round(1), "Tử số mới": column("numerator"),
        "Mẫu số mới": column("denominator"), "Giá trị mới": column("value").astype(float).round(1),
        "Người điều chỉnh": column("who"),
        "Điều chỉnh lúc": _moments(column("created_at")),
        "Lý do": column("reason"),
    })  # fmt: skip
