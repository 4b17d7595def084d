"""The monthly report page (Báo cáo tháng, pages/report.py): the report's context and its files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from indicators import metrics
from indicators.domain import clock, format, periods, tasks
from indicators.domain.units import OrgUnit
from indicators.metrics import STATUS_VI, SUBMISSION_STATUS_VI
from indicators.render.report import TEMPLATE, annex_bytes, docx_bytes
from indicators.storage import Store
from indicators.views.common import root_unit
from indicators.views.overview import overview


def _counts_text(statuses: pd.Series) -> str:
    counts = statuses.value_counts()
    parts = [f"{int(counts[s])} {STATUS_VI[s].lower()}" for s in metrics.STATUSES if counts.get(s, 0)]
    return ", ".join(parts)


def _indicator_sentence(row) -> str:
    value = format.indicator_value(row.value, row.kind)
    target = format.indicator_value(row.target, row.kind)
    suffix = " (lũy kế từ đầu năm)" if row.aggregation == "sum" else ""
    return f"{row.name_vi}: {value}{suffix}, mục tiêu {target} – {STATUS_VI[row.status].lower()}"


def report_context(store: Store, period: str, root: OrgUnit, today: date) -> dict:
    """Everything the template needs, as text already formatted the Vietnamese way."""
    settings = store.settings()
    view = overview(store, period, root)
    table = view.indicators
    has_data = bool(table["monthly_value"].notna().any())  # something was submitted this month
    place = settings.place_name or root.name
    month_label = format.month(period).replace("Tháng", "tháng")
    register = tasks.register(store.tasks(), store.task_notes(), today, settings.deadline_day)

    groups = []
    for group in view.groups.itertuples():
        part = table[table["task_group"] == group.task_group]
        with_data = part[part["value"].notna()]
        if len(with_data):
            text = (
                f"Nhóm có {len(part)} chỉ tiêu ({_counts_text(part['status'])}); tiến độ bình quân "
                f"{format.percent(group.progress * 100)}. "
                + "; ".join(_indicator_sentence(r) for r in with_data.itertuples())
                + "."
            )
        else:
            text = f"Nhóm có {len(part)} chỉ tiêu, chưa có số liệu {month_label}."
        mine = register[(register["task_group"] == group.task_group) & register["state"].isin(["overdue", "done"])] \
            if not register.empty else register  # fmt: skip
        task_lines = [
            f"{t.code} – {t.title} ({t.unit}): {t.state_vi.lower()}"
            + (f", hạn {format.day(t.deadline)}" if t.deadline else "")
            for t in mine.itertuples()
        ]
        groups.append(
            {"number": group.task_group, "name": group.name_vi, "text": text, "task_lines": task_lines}
        )

    indicators = [
        {
            "no": i + 1,
            "name": r.name_vi,
            "value": format.indicator_value(r.value, r.kind),
            "change": format.indicator_change(r.change, r.kind),
            "target": format.indicator_value(r.target, r.kind),
            "status": STATUS_VI[r.status],
        }
        for i, r in enumerate(table.itertuples())
    ]
    hamlets = view.completeness[view.completeness["level"] == "hamlet"] if not view.completeness.empty \
        else view.completeness  # fmt: skip
    submission_lines = [
        f"{r.unit_name}: {SUBMISSION_STATUS_VI[r.status].lower()}"
        + (f" ({r.submitted}/{r.expected} chỉ tiêu)" if r.status == "partial" else "")
        + (f", nhận lúc {format.timestamp(r.last_received_at)}" if r.status == "late" else "")
        for r in view.completeness.itertuples()
        if r.status != "on_time"
    ]
    due_soon = (
        register[register["due_soon"] | (register["state"] == "overdue")] if not register.empty else register
    )
    task_lines = [
        f"{t.code} – {t.title}; chủ trì: {t.unit}; {t.state_vi.lower()}"
        + (f"; hạn {format.day(t.next_due)}" if t.next_due is not None else "")
        for t in due_soon.itertuples()
    ]
    overdue = int((register["state"] == "overdue").sum()) if not register.empty else 0
    achieved = int((table["status"] == "achieved").sum())
    on_track = int((table["status"] == "on_track").sum())
    at_risk = int((table["status"] == "at_risk").sum())
    behind = int((table["status"] == "behind").sum())
    no_data = int((table["status"] == "no_data").sum())
    return {
        "issuer_parent": settings.issuer_parent,
        # Nghị định 30: the issuing body on two centred lines ("ỦY BAN NHÂN DÂN" / "XÃ BÌNH GIANG")
        "issuer_line1": (settings.issuer_name or "ỦY BAN NHÂN DÂN").upper(),
        "issuer_line2": "" if settings.issuer_name else root.label.upper(),
        "document_symbol": settings.document_symbol,
        "date_line": f"{place}, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}",
        "subtitle": f"Kết quả thực hiện {settings.plan_title} {month_label}",
        "month_label": month_label.upper(),
        "intro": (
            f"Thực hiện {settings.plan_title}, {root.label} báo cáo kết quả thực hiện {month_label} "
            f"(số liệu các thôn, đơn vị nộp đến hết ngày {format.day(today)}) như sau:"
        ),
        "demo": store.has_demo(),
        "has_data": has_data,
        "no_data_text": f"{format.month(period)} chưa có số liệu nào được nộp; các bảng dưới đây để trống.",
        "overall_text": (
            f"Trong {len(table)} chỉ tiêu của Kế hoạch: {achieved} chỉ tiêu đã đạt mục tiêu năm, "
            f"{on_track} chỉ tiêu đúng tiến độ, {at_risk} chỉ tiêu có nguy cơ không đạt, {behind} chỉ tiêu "
            f"chậm{f', {no_data} chỉ tiêu chưa có số liệu' if no_data else ''}. "
            f"{view.hamlets_on_time}/{view.hamlets_total} thôn nộp số liệu đầy đủ, đúng hạn ngày "
            f"{settings.deadline_day}."
        ),
        "groups": groups,
        "indicators": indicators,
        "behind_lines": [
            f"{r.unit_name}: tiến độ bình quân {format.percent(r.progress * 100)}, {r.behind} chỉ tiêu chậm"
            for r in view.behind.itertuples()
        ]
        or ["Không có thôn nào chậm hoặc chưa có số liệu theo thôn."],
        "submission_text": (
            f"Hạn nộp: ngày {format.day(periods.deadline(period, settings.deadline_day))}. "
            f"{view.hamlets_on_time}/{view.hamlets_total} thôn nộp đầy đủ, đúng hạn; "
            f"{len(hamlets) - view.hamlets_submitted if len(hamlets) else 0} thôn chưa nộp."
        ),
        "submission_lines": submission_lines,
        "tasks_text": (
            f"Sổ nhiệm vụ có {len(register)} nhiệm vụ; {overdue} nhiệm vụ quá hạn; "
            f"{len(due_soon) - overdue if len(due_soon) else 0} nhiệm vụ đến hạn trước ngày "
            f"{format.day(tasks.next_cutoff(today, settings.deadline_day))}."
        ),
        "task_lines": task_lines,
        "proposals": (
            "Các phòng, ban, đơn vị và các thôn tập trung hoàn thành các chỉ tiêu còn chậm, nộp số "
            f"liệu đúng hạn ngày {settings.deadline_day} hằng tháng; xử lý dứt điểm các nhiệm vụ quá hạn."
        ),
        "recipients": settings.recipients,
        "signer_authority": settings.signer_authority,
        "signer_title": settings.signer_title,
        "signer_name": settings.signer_name,
        "_view": view,
    }


def render_docx(store: Store, period: str, root: OrgUnit | None = None, today: date | None = None,
                with_charts: bool = True, template: Path = TEMPLATE) -> bytes:  # fmt: skip
    """The monthly report as .docx bytes (charts as images when `with_charts`)."""
    root = root or root_unit(store)
    if root is None:
        raise ValueError("Chưa có đơn vị nào: hãy nạp danh mục thôn trước.")
    return docx_bytes(report_context(store, period, root, today or clock.today()), with_charts, template)


def annex_xlsx(store: Store, period: str, root: OrgUnit | None = None) -> bytes:
    """Every figure of the month, formatted, safe against formula injection."""
    root = root or root_unit(store)
    if root is None:
        raise ValueError("Chưa có đơn vị nào.")
    return annex_bytes(
        period,
        summary=metrics.commune_summary(store, period, root.code),
        hamlets=metrics.member_table(store, period, root.code),
        completeness=metrics.completeness(store, period, root.code),
        current=store.current_submissions(periods=[period]),
        names={u.code: u.label for u in store.units()},
    )


def report_file_name(period: str, extension: str) -> str:
    return f"bao_cao_cds_{period}.{extension}"
