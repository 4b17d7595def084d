"""The upload page (Nộp số liệu, pages/upload.py): the month's templates, what a checked file writes."""

from __future__ import annotations

import csv as _csv
import io as _io
from dataclasses import dataclass, field
from datetime import date as _date

import pandas as pd

from indicators import metrics
from indicators.domain import catalog, format, periods
from indicators.domain.review import MAX_REASON
from indicators.domain.text import fold, markdown_literal
from indicators.domain.units import OrgUnit
from indicators.ingest import ImportReport as _ImportReport
from indicators.storage import Store
from indicators.views.common import figure_text, timestamp_text

CSV_TEMPLATE_HEADER = ("ky_bao_cao", "don_vi", "ma_chi_tieu", "tu_so", "mau_so", "gia_tri", "ghi_chu")
CHANGE_VI = {"new": "Mới", "changed": "Sửa đổi", "unchanged": "Không đổi"}


def upload_units(store: Store, root_code: str, actor) -> list[OrgUnit]:
    """The units whose rows an account's templates hold: its assigned units within `root_code`."""
    from indicators.domain.accounts import allowed_units

    units = metrics.reporting_units(store, root_code)
    allowed = allowed_units(actor, {u.code: u.parent for u in metrics.tree(store).units})
    return [u for u in units if allowed is None or u.code in allowed]


def returned_notices(store: Store, root_code: str, actor, today: _date) -> list[str]:
    """The months of this account's units sent back by the commune and not sent again yet (this month
    and the one before), each with who sent it back, when and why: what the hamlet must fix. An
    account not limited to some units (an admin) follows returns on the review page instead."""
    if actor.role != "can_bo":
        return []
    allowed = {u.code for u in upload_units(store, root_code, actor)}
    this = periods.period_of(today)
    notices = []
    for period in (this, periods.previous(this)):
        table = metrics.month_review(store, period, root_code)
        returned = table[(table["state"] == "returned") & table["unit_code"].isin(allowed)]
        for r in returned.itertuples():
            notices.append(
                f"{format.month(period)} – {markdown_literal(r.unit_name)}: số liệu bị trả lại lúc {timestamp_text(r.reviewed_at)} "
                f"({markdown_literal(r.reviewed_by)}), lý do: “{markdown_literal(r.reason)}”. Sửa lại rồi nộp tệp ở bước 2."
            )
    return notices


def template_periods(today: _date) -> list[str]:
    """Months a template can be downloaded for: this year's, up to this month, newest first."""
    this = periods.period_of(today)
    return list(reversed(periods.months_between(f"{today.year:04d}-01", this)))


def _template_order(units: list[OrgUnit]) -> list[OrgUnit]:
    hamlets = sorted((u for u in units if u.level == "hamlet"), key=lambda u: (fold(u.name), u.code))
    return hamlets + [u for u in units if u.level == "commune"]


EAGER_TEMPLATE_UNITS = 300  # templates of more units are made only when a download button is pressed


@dataclass
class TemplateMaker:
    """The two templates of one month for some units, made on first use (a callable per file, as
    st.download_button takes them) and kept until the data change (`template_maker`)."""

    units: list[OrgUnit]
    period: str
    made: dict[str, bytes] = field(default_factory=dict)

    def xlsx(self) -> bytes:
        from indicators.render.template import build_template

        if "xlsx" not in self.made:
            self.made["xlsx"] = build_template(self.units, [self.period])
        return self.made["xlsx"]

    def csv(self) -> bytes:
        if "csv" not in self.made:
            self.made["csv"] = csv_template(self.units, self.period)
        return self.made["csv"]


_MAKERS: dict[tuple, TemplateMaker] = {}


def template_maker(store: Store, root_code: str, period: str, actor) -> TemplateMaker:
    """The templates of `period` for the account's units below `root_code`, kept per data version."""
    key = (store.path, store.data_version(), root_code, period, repr(actor))
    if key not in _MAKERS:
        if len(_MAKERS) > 16:
            _MAKERS.clear()
        _MAKERS[key] = TemplateMaker(upload_units(store, root_code, actor), period)
    return _MAKERS[key]


def csv_template(units: list[OrgUnit], period: str) -> bytes:
    """The long-format CSV template: one row per (unit, indicator of that unit's level).

    UTF-8 with a BOM so Excel opens the Vietnamese text correctly. Yes/no indicators come with their
    denominator 1 filled in, as in the Excel template.
    """
    out = _io.StringIO()
    writer = _csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_TEMPLATE_HEADER)
    for unit in _template_order([u for u in units if u.level in ("hamlet", "commune")]):
        for item in catalog.indicators_at_level(unit.level):  # type: ignore[arg-type]
            writer.writerow([period, unit.code, item.code, "", "1" if item.is_yes_no else "", "", ""])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


LATE_REASON_LABEL = "Lý do điều chỉnh sau phát hành"
LATE_REASON_MAX = MAX_REASON
LATE_REASON_HELP = (
    "Bắt buộc khi tệp thay đổi số liệu của tháng đã phát hành báo cáo. Số liệu được ghi kèm lý do, báo cáo "
    "đã phát hành giữ nguyên; thay đổi được đưa vào báo cáo tháng sau."
)


def closed_refusal(report: _ImportReport) -> str | None:
    """The store's message when a file is refused only because it changes a closed month (its
    report issued): such a file may be imported with a reason. None otherwise."""
    if report.status != "rejected" or not report.closed or len(report.errors) != 1:
        return None
    return report.errors[0].message


def late_import_message(report: _ImportReport) -> tuple[str, str]:
    """(kind, text) after importing a file of a closed month with the reason typed in: an empty
    reason gets the store's refusal."""
    refusal = closed_refusal(report)
    if refusal:
        return (
            "error",
            f"Chưa nhập tệp “{markdown_literal(report.file_name)}”: cần ghi lý do điều chỉnh sau phát hành. "
            f"{markdown_literal(refusal)}",
        )
    return upload_message(report)


def nothing_to_import_text(rejected: int, closed: int) -> str:
    """What section 3 says when no file can be imported as it is."""
    if closed:
        return ("Tệp thay đổi số liệu của tháng đã khóa chỉ nhập được kèm lý do: ghi lý do ở trên rồi bấm "
                "**Nhập kèm lý do**.")  # fmt: skip
    if rejected:
        return "Chưa có tệp hợp lệ để nhập: sửa các lỗi ở trên rồi tải lên lại."
    return "Không có tệp nào có số liệu mới để nhập."


def import_note(to_import: int, rejected: int, closed: int) -> str:
    """What section 3 says above the import button: how many files go in, and which stay out (a
    closed month's file, among the rejected, is imported on its own with its reason)."""
    note = f"Sẽ nhập {format.number(to_import)} tệp hợp lệ"
    if rejected - closed:
        note += f"; bỏ qua {format.number(rejected - closed)} tệp bị từ chối"
    if closed:
        note += (
            f"; {format.number(closed)} tệp của tháng đã khóa nhập riêng, kèm lý do (nút **Nhập kèm lý do**)"
        )
    return note + ". Mỗi tệp thành một lô, có thể hoàn tác ở trang **Lịch sử**."


def upload_message(report: _ImportReport) -> tuple[str, str]:
    """(kind, text) of a file's status line, as Markdown (the file's name escaped): kind is "error",
    "success" or "info"."""
    refusal = closed_refusal(report)
    if refusal:
        return "error", f"Tệp “{markdown_literal(report.file_name)}” chưa được nhập. {markdown_literal(refusal)}"
    if report.status == "rejected":
        return "error", f"{report.summary(markdown=True)} Hãy sửa các lỗi sau rồi tải lên lại."
    if report.status in ("dry_run", "imported"):
        return "success", report.summary(markdown=True)
    return "info", report.summary(markdown=True)


def issues_table(report: _ImportReport) -> pd.DataFrame:
    """The issues of a file (Mức độ, [Trang tính,] Dòng, Cột, Nội dung), errors first.

    The sheet column is dropped when the file has one sheet (a CSV file, say); the refusal of a
    closed month is left out (the status line says it).
    """
    frame = report.issues_frame()
    if closed_refusal(report):
        frame = frame[frame["Mức độ"] != "Lỗi"].reset_index(drop=True)
    frame["Dòng"] = [format.number(v) if pd.notna(v) else "" for v in frame["Dòng"]]
    if frame["Trang tính"].replace("", pd.NA).nunique() <= 1:
        frame = frame.drop(columns=["Trang tính"])
    return frame


def issues_caption(report: _ImportReport) -> str:
    """The line above a file's issues: how many errors and warnings (the closed month's refusal is
    not counted: the status line says it)."""
    errors = 0 if closed_refusal(report) else len(report.errors)
    return (
        f"Các vấn đề tìm thấy ({format.number(errors)} lỗi, {format.number(len(report.warnings))} cảnh báo):"
    )


def preview_table(report: _ImportReport, units: list[OrgUnit]) -> pd.DataFrame:
    """The rows a file would write, formatted: unit, indicator, value, what is there now, change."""
    columns = ["Đơn vị", "Chỉ tiêu", "Thay đổi", "Số liệu trong tệp", "Số liệu hiện có", "Kỳ báo cáo",
               "Dòng", "Ghi chú"]  # fmt: skip
    rows = report.rows
    if rows.empty:
        return pd.DataFrame(columns=columns)
    names = {u.code: u.label for u in units}
    out = []
    for r in rows.itertuples(index=False):
        kind = catalog.indicator(r.indicator_code).kind
        current = "–"
        if hasattr(r, "cur_value"):
            current = figure_text(kind, r.cur_numerator, r.cur_denominator, r.cur_value)
        out.append(
            {
                "Đơn vị": names.get(r.unit_code, r.unit_code),
                "Chỉ tiêu": r.indicator_code,
                "Kỳ báo cáo": format.month(r.period),
                "Số liệu trong tệp": figure_text(kind, r.numerator, r.denominator, r.value),
                "Số liệu hiện có": current,
                "Thay đổi": CHANGE_VI.get(getattr(r, "change", ""), ""),
                "Dòng": format.number(r.source_row) if pd.notna(r.source_row) else "",
                "Ghi chú": r.note or "",
            }
        )
    return pd.DataFrame(out, columns=columns)


PHONE_PREVIEW_ROWS = 100


def preview_cards(preview: pd.DataFrame) -> list[str]:
    """`preview_table` for a phone: one short block per figure, its values first (a table that
    wide shows only the unit and the code on 390 px). At most PHONE_PREVIEW_ROWS."""
    cards = []
    for r in preview.head(PHONE_PREVIEW_ROWS).to_dict("records"):
        item = catalog.indicator_by_code().get(r["Chỉ tiêu"])
        name = item.label if item else r["Chỉ tiêu"]
        change = f" · {r['Thay đổi']}" if r["Thay đổi"] else ""
        now = f" (hiện có {r['Số liệu hiện có']})" if r["Số liệu hiện có"] not in ("", "–") else ""
        note = f"  \nGhi chú: {markdown_literal(r['Ghi chú'])}" if r["Ghi chú"] else ""
        cards.append(f"**{markdown_literal(r['Đơn vị'])}** · {r['Kỳ báo cáo']} · dòng {r['Dòng']}{change}  \n{name}: "
                     f"**{r['Số liệu trong tệp']}**{now}{note}")  # fmt: skip
    return cards
