"""The entry form's figures through the import's own path: one unit's month becomes the rows of a
long-format table (one per indicator filled in), checked by the same rules as a file
(`ingest.rules`) and, when sent, written as one batch (all or nothing, revisions, warnings, audit),
named “Nhập trực tiếp – <unit> – <month>” in the history and revertible like any batch."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime

from indicators.domain import catalog, clock
from indicators.domain.accounts import Actor
from indicators.domain.entry import Figures, entry_file_name
from indicators.domain.models import Issue
from indicators.ingest import ImportReport, import_sheets
from indicators.ingest.columns import COLUMN_VI
from indicators.ingest.read import Sheet
from indicators.storage import Store

HEADER = ["ky_bao_cao", "don_vi", "ma_chi_tieu", "tu_so", "mau_so", "gia_tri", "ghi_chu"]
FIRST_ROW = 2  # the rows' numbers as the import counts them: the header is row 1
FIELDS = {"tu_so": "numerator", "mau_so": "denominator", "gia_tri": "value", "ghi_chu": "note"}


@dataclass
class EntryReport:
    """What the checks (or the send) said, placed on the form: `fields[code][field]` the issues of
    one field (field: numerator, denominator, value, note, or "" for the indicator as a whole);
    `general` those of the month (late, closed)."""

    report: ImportReport
    codes: list[str]  # the indicators sent, in the order of their rows
    fields: dict[str, dict[str, list[Issue]]] = field(default_factory=dict)
    general: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return self.report.errors

    @property
    def warnings(self) -> list[Issue]:
        return self.report.warnings

    def issues_of(self, code: str, name: str = "") -> list[Issue]:
        return self.fields.get(code, {}).get(name, [])


def _cell(value: float | None) -> object:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def entry_table(period: str, unit_code: str, figures: Figures) -> tuple[Sheet, list[str]]:
    """The long-format table of the indicators filled in, in the catalog's order, and their codes
    row by row. A yes/no answer is stored as the template stores it: 1 or 0 over 1."""
    rows: list[list[object]] = [list(HEADER)]
    codes = []
    for item in catalog.indicators():
        fig = figures.get(item.code)
        if fig is None or not fig.entered():
            continue
        denominator = 1 if item.is_yes_no and fig.numerator is not None else fig.denominator
        value = None if item.is_ratio else _cell(fig.value)  # a ratio's value is computed from its two figures
        rows.append([period, unit_code, item.code, _cell(fig.numerator), _cell(denominator), value, fig.note or None])
        codes.append(item.code)
    return Sheet(name="", rows=rows), codes


def import_entry(store: Store, unit_code: str, unit_label: str, period: str, figures: Figures, actor: Actor, *,
                 dry_run: bool = False, now: datetime | None = None, reason: str | None = None) -> EntryReport:  # fmt: skip
    """Check (`dry_run`) or send the form's figures of one unit's month; the draft is discarded once
    the figures are stored."""
    now = now or clock.now()
    sheet, codes = entry_table(period, unit_code, figures)
    digest = hashlib.sha256(json.dumps(sheet.rows, ensure_ascii=False, default=str).encode()).hexdigest()
    report = ImportReport(file_name=entry_file_name(unit_label, period), sha256=digest, status="rejected",
                          locate=lambda issue: located(issue, codes))  # fmt: skip
    if not codes:
        report.issues.append(Issue("error", "Chưa nhập chỉ tiêu nào: hãy nhập ít nhất một số liệu rồi gửi."))
        return place(report, codes)
    report = import_sheets(store, report, [sheet], actor, now=now, dry_run=dry_run, reason=reason)
    if report.status in ("imported", "unchanged", "duplicate"):
        store.discard_draft(actor.label, unit_code, period)
    return place(report, codes)


def _field_of(issue: Issue) -> str:
    """The form's field an issue blames ("numerator", …), from the column the import names."""
    column = issue.column or ""
    return next((FIELDS[c] for c in FIELDS if c in column or COLUMN_VI[c] in column), "")


def located(issue: Issue, codes: list[str]) -> str:
    """An issue as the history keeps it: “Cảnh báo (Số tin bài…, Giá trị): …”; a form has no rows
    for “dòng 3” to point at."""
    at = (issue.row or 0) - FIRST_ROW
    if issue.row is None or not 0 <= at < len(codes):
        return issue.text()
    field_vi = {v: COLUMN_VI[k] for k, v in FIELDS.items()}.get(_field_of(issue))
    where = catalog.indicator(codes[at]).name_vi + (f", {field_vi}" if field_vi else "")
    return f"{'Lỗi' if issue.severity == 'error' else 'Cảnh báo'} ({where}): {issue.message}"


def place(report: ImportReport, codes: list[str]) -> EntryReport:
    """Each issue on the field it names (by its row and column), the rest on the month."""
    placed = EntryReport(report, codes)
    for issue in report.issues:
        at = (issue.row or 0) - FIRST_ROW
        if issue.row is None or not 0 <= at < len(codes):
            placed.general.append(issue)
            continue
        # the form shows the indicator's name above its fields: the message need not repeat it
        named = f"{catalog.indicator(codes[at]).label}: "
        if issue.message.startswith(named):
            issue = replace(issue, message=issue.message[len(named):])
        placed.fields.setdefault(codes[at], {}).setdefault(_field_of(issue), []).append(issue)
    return placed
