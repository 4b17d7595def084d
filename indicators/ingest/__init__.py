"""Importing submission files: read, lay out, validate, compare, then write all or nothing.

Here: reading (read), layout (layout, columns, numbers), the import's rules stated once (rules), the
row check (validate) and column check (fast) derived from them, and the units and task files
(units_file, tasks_file). It may import domain, storage and metrics; never streamlit, views, render, cli.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import pandas as pd

from indicators.domain import clock, format, periods
from indicators.domain.accounts import Actor, allowed_units, require
from indicators.domain.models import Issue
from indicators.domain.review import clean_reason
from indicators.domain.text import markdown_literal
from indicators.ingest.fast import clean_rows
from indicators.ingest.layout import sheet_records
from indicators.ingest.read import ReadError, Sheet, read_tables
from indicators.ingest.validate import Context, column_arrays, compare_with_store, validate_records
from indicators.metrics import tree
from indicators.storage import Store
from indicators.storage.batches import closed_message

# The same limit as the upload widget (.streamlit/config.toml server.maxUploadSize = 20), so the
# command line refuses what the web page refuses.
MAX_FILE_BYTES = 20 * 1024 * 1024
# A file of thousands of wrong rows would take minutes to check row by row: its first
# SAMPLE_ROWS rows are checked first, and at MAX_ERRORS errors there the file is refused at once.
SAMPLE_ROWS = 1_000
MAX_ERRORS = 500

Status = Literal["rejected", "dry_run", "imported", "duplicate", "unchanged"]

ISSUE_COLUMNS_VI = {
    "severity": "Mức độ",
    "sheet": "Trang tính",
    "row": "Dòng",
    "column": "Cột",
    "message": "Nội dung",
}


@dataclass
class ImportReport:
    file_name: str
    sha256: str
    status: Status
    issues: list[Issue] = field(default_factory=list)
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    batch_id: int | None = None
    duplicate_of: int | None = None
    # the closed (month, unit) pairs the file changes, with why each is closed: refused without a
    # reason (then the file's only error), stored as a change after the report was issued with one
    closed: dict[tuple[str, str], str] = field(default_factory=dict)
    # how an issue is named where the batch keeps it: by row and column for a file; a source without
    # rows (the entry form) names the field instead
    locate: Callable[[Issue], str] = Issue.text

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "warning"]

    @property
    def ok(self) -> bool:
        return self.status != "rejected"

    def count(self, change: str) -> int:
        if self.rows.empty or "change" not in self.rows:
            return 0
        return int((self.rows["change"] == change).sum())

    @property
    def periods(self) -> list[str]:
        return sorted(self.rows["period"].unique()) if not self.rows.empty else []

    def summary(self, markdown: bool = False) -> str:
        """One Vietnamese sentence saying what happened; with `markdown`, the file's name escaped
        for a Markdown renderer (a name is what the user called the file)."""
        name = f"“{markdown_literal(self.file_name) if markdown else self.file_name}”"
        if self.status == "rejected":
            return (
                f"Tệp {name} bị từ chối: {format.number(len(self.errors))} lỗi cần sửa. "
                "Chưa có số liệu nào được ghi."
            )
        months = ", ".join(format.month(p) for p in self.periods)
        counts = (  # a city's file has thousands: 9.128, as Vietnamese write it
            f"{format.number(self.count('new'))} số liệu mới, {format.number(self.count('changed'))} sửa đổi, "
            f"{format.number(self.count('unchanged'))} không đổi"
        )
        warn = f"; {format.number(len(self.warnings))} cảnh báo" if self.warnings else ""
        if self.status == "duplicate":
            return f"Tệp {name} đã được nhập trước đó (lô số {format.number(self.duplicate_of)}): không có gì thay đổi."
        if self.status == "unchanged":
            return f"Tệp {name} ({months}) không có số liệu nào khác với dữ liệu hiện có: không ghi gì."
        if self.status == "dry_run":
            return f"Kiểm tra thử tệp {name} ({months}): {counts}{warn}. Chưa ghi vào cơ sở dữ liệu."
        return f"Đã nhập tệp {name} ({months}) thành lô số {format.number(self.batch_id)}: {counts}{warn}."

    def issues_frame(self) -> pd.DataFrame:
        """Issues as a table with Vietnamese headers, errors first."""
        rows = [
            {
                "severity": "Lỗi" if i.severity == "error" else "Cảnh báo",
                "sheet": i.sheet,
                "row": i.row,
                "column": i.column,
                "message": i.message,
            }
            for i in sorted(self.issues, key=lambda i: (i.severity != "error", i.sheet, i.row or 0))
        ]
        frame = pd.DataFrame(rows, columns=list(ISSUE_COLUMNS_VI))
        frame["row"] = frame["row"].astype("Int64")
        return frame.rename(columns=ISSUE_COLUMNS_VI)


def import_file(
    store: Store,
    file_name: str,
    data: bytes,
    actor: Actor,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    is_demo: bool = False,
    reason: str | None = None,
) -> ImportReport:
    """Validate a file and, unless it has errors or `dry_run`, write it as one batch.

    `now` is the moment the file was received (the import time by default): it decides lateness.
    Rows for units outside `actor`'s assignment are errors of their row, like any other.
    Figures of a closed month (its report issued) are refused unless `reason` says why they change.
    """
    require(actor, "import")
    now = now or clock.now()
    sha = hashlib.sha256(data).hexdigest()
    report = ImportReport(file_name=file_name, sha256=sha, status="rejected")
    if len(data) > MAX_FILE_BYTES:
        report.issues.append(
            Issue(
                "error",
                f"Tệp lớn hơn {MAX_FILE_BYTES // (1024 * 1024)} MB ({format.number(len(data) / (1024 * 1024), 1)} MB): "
                "quá lớn cho một lần nhập. Hãy chia thành nhiều tệp nhỏ hơn (ví dụ mỗi tháng một tệp).",
            )
        )
        return report
    try:
        sheets = read_tables(file_name, data)
    except ReadError as exc:
        report.issues.append(Issue("error", str(exc)))
        return report

    return import_sheets(store, report, sheets, actor, now=now, dry_run=dry_run, is_demo=is_demo, reason=reason)


def import_sheets(store: Store, report: ImportReport, sheets: list[Sheet], actor: Actor, *, now: datetime,
                  dry_run: bool = False, is_demo: bool = False, reason: str | None = None) -> ImportReport:  # fmt: skip
    """The tables of a file (or of the entry form, `ingest.entry`) checked and, unless they have
    errors or `dry_run`, written as one batch named by `report.file_name`: the one path every figure
    takes into the store."""
    require(actor, "import")
    # the checks read what is stored; hold the write lock until the batch is written so that
    # concurrent imports behave as if run one after another
    with store.exclusive() if not dry_run else nullcontext():
        return _check_and_write(store, report, sheets, actor, now, dry_run, is_demo, reason)


def _records(sheets: list[Sheet], report: ImportReport) -> list | None:
    """Every record of the file's tables; None (with the error in `report`) when there are none."""
    records = []
    recognised = False
    for sheet in sheets:
        found = sheet_records(sheet)
        if found is not None:
            recognised = True
            records += found
    if not recognised:
        report.issues.append(
            Issue(
                "error",
                "Không tìm thấy dòng tiêu đề. Tệp dạng dài cần các cột ky_bao_cao, don_vi, "
                "ma_chi_tieu, tu_so, mau_so, gia_tri (hoặc “Kỳ báo cáo”, “Thôn”, “Mã chỉ tiêu”…); "
                "hoặc dùng biểu mẫu Excel tải về từ ứng dụng.",
            )
        )
        return None
    if not records:
        report.issues.append(Issue("error", "Tệp có tiêu đề nhưng không có dòng số liệu nào."))
        return None
    return records


def _check_and_write(store: Store, report: ImportReport, sheets: list[Sheet], actor: Actor, now: datetime,
                     dry_run: bool, is_demo: bool, reason: str | None = None) -> ImportReport:  # fmt: skip
    """Validation against the store, then the batch write (the caller holds the write lock)."""
    units = tree(store)
    ctx = Context(units=units.units, settings=store.settings(), now=now, matcher=units.matcher,
                  allowed=allowed_units(actor, {u.code: u.parent for u in units.units}), actor_label=actor.label)  # fmt: skip
    frame = clean_rows(sheets, ctx)  # column-wise, when every row is clean
    if frame is not None:
        _check_against_store(store, report, frame, ctx)
        return _write(store, report, actor, now, dry_run, is_demo, reason)
    records = _records(sheets, report)
    if records is None:
        return report
    if len(records) > SAMPLE_ROWS:
        _, sample = validate_records(records[:SAMPLE_ROWS], ctx)
        sample_errors = [issue for issue in sample if issue.severity == "error"]
        if len(sample_errors) >= MAX_ERRORS:
            report.issues = sample_errors[:MAX_ERRORS]
            report.issues.append(
                Issue(
                    "error",
                    f"Quá nhiều lỗi: {format.number(MAX_ERRORS)} lỗi ngay trong {format.number(SAMPLE_ROWS)} "
                    "dòng đầu; đã dừng kiểm tra. Tệp có đúng là biểu mẫu số liệu không?",
                )
            )
            return report
    frame, issues = validate_records(records, ctx)
    report.issues = issues
    if report.errors:
        report.rows = frame
        return report
    _check_against_store(store, report, frame, ctx)
    return _write(store, report, actor, now, dry_run, is_demo, reason)


def _check_against_store(store: Store, report: ImportReport, frame: pd.DataFrame, ctx: Context) -> None:
    """New, changed or unchanged against what is stored, and the warnings that needs."""
    file_periods = sorted(frame["period"].unique())
    wanted = sorted(set(file_periods) | {periods.previous(p) for p in file_periods})
    current = store.current_submissions(periods=wanted, unit_codes=frame["unit_code"].unique(), figures_only=True)
    rows, warnings = compare_with_store(frame, current, ctx)
    report.rows = rows
    report.issues += warnings


def _write(store: Store, report: ImportReport, actor: Actor, now: datetime, dry_run: bool,
           is_demo: bool, reason: str | None = None) -> ImportReport:  # fmt: skip
    rows = report.rows
    unchanged = bool((rows["change"] == "unchanged").all())
    duplicate = store.batch_by_sha(report.sha256) if unchanged else None  # a file with news is no duplicate
    if duplicate is not None:
        report.status, report.duplicate_of = "duplicate", duplicate
        return report
    try:
        reason = clean_reason(reason, required=False)
    except ValueError as exc:
        report.issues.append(Issue("error", str(exc)))
        return report
    changing = rows[rows["change"] != "unchanged"][["period", "unit_code"]].drop_duplicates()
    closed = store.closed_for(set(zip(changing["period"].astype(str), changing["unit_code"].astype(str))), now)
    report.closed = closed
    if closed and not reason:
        report.issues.append(Issue("error", closed_message(closed)))
        return report
    if closed:
        months = ", ".join(sorted({format.month(period) for period, _ in closed}))
        report.issues.append(Issue("warning", f"Điều chỉnh sau phát hành ({months}), lý do: {reason}. "
                                              "Thay đổi sẽ có trong báo cáo tháng sau."))  # fmt: skip
    if dry_run:
        report.status = "dry_run"
        return report
    if unchanged:
        report.status = "unchanged"
        return report

    written = (rows["change"] != "unchanged").to_numpy()
    # the rows to write in a frame of their own, sharing the arrays when every row is written
    # (copying a million rows took 0,5 s)
    to_write = pd.DataFrame({name: array if written.all() else array[written]
                             for name, array in column_arrays(rows).items()}, copy=False)  # fmt: skip
    to_write["received_at"] = now
    batch = {
        "file_name": report.file_name,
        "sha256": report.sha256,
        "user_name": actor.label,
        "created_at": now,
        "periods": report.periods,
        "rows_total": len(rows),
        "rows_new": report.count("new"),
        "rows_changed": report.count("changed"),
        "rows_unchanged": report.count("unchanged"),
        "warnings": [report.locate(issue) for issue in report.warnings],
        "outcome": "imported",
        "is_demo": is_demo,
        "reason": reason,
    }
    report.batch_id = store.insert_batch(batch, to_write, actor)
    report.status = "imported"
    return report
