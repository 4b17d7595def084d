"""The monthly report page (Báo cáo tháng, pages/report.py): the report's context and its files,
issuing it (which closes the month), the reports issued so far, and the adjustments of earlier
months that the next report tells the city about.

Which adjustments a report lists (`adjustments`): every change made with a reason to a closed month
(`Store.late_changes`) of a month before the report's, in the root's units, that no report the
root issued since has listed. A change counts as listed by an issued report of a month after the
changed one (and before this report's month) issued after the change. So the April report lists
the changes to March made after the March report was issued, and to any earlier month made after
the report that last listed that month's changes; a change made after April's report is issued goes
into May's. A replacement (bản 2) of April lists what its first version listed plus what changed
since, and a report for a month before the ones already issued still lists what is not in them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from indicators import metrics
from indicators.domain import catalog, clock, format, periods, tasks
from indicators.domain.accounts import Actor, require
from indicators.domain.text import fold, markdown_literal
from indicators.domain.units import OrgUnit
from indicators.metrics import STATUS_VI, SUBMISSION_STATUS_VI
from indicators.render.report import TEMPLATE, annex_bytes, docx_bytes
from indicators.storage import Store
from indicators.views import maps
from indicators.views.common import figure_text, root_unit, task_register, timestamp_text
from indicators.views.overview import overview
from indicators.views.presentation import hamlet_progress


def _counts_text(statuses: pd.Series) -> str:
    counts = statuses.value_counts()
    parts = [f"{int(counts[s])} {STATUS_VI[s].lower()}" for s in metrics.STATUSES if counts.get(s, 0)]
    return ", ".join(parts)


def _indicator_sentence(row) -> str:
    value = format.indicator_value(row.value, row.kind)
    target = format.indicator_value(row.target, row.kind)
    suffix = " (lũy kế từ đầu năm)" if row.aggregation == "sum" else ""
    return f"{row.name_vi}: {value}{suffix}, mục tiêu {target} – {STATUS_VI[row.status].lower()}"


ADJUSTMENT_COLUMNS = [
    "period", "unit_code", "unit_name", "indicator_code", "name_vi", "kind", "old_numerator", "old_denominator",
    "old_value", "numerator", "denominator", "value", "user_name", "who", "created_at", "reason",
]  # fmt: skip


def _people(store: Store) -> dict[str, str]:
    """Account name -> how a report names the person (the display name when there is one)."""
    users = store.users()
    return {n: (d or n) for n, d in zip(users["name"], users["display_name"])}


def _same(old: pd.Series, new: pd.Series) -> pd.Series:
    return (old == new) | (old.isna() & new.isna())


def adjustments(store: Store, period: str, root: OrgUnit) -> pd.DataFrame:
    """The figures of months before `period`, in `root`'s units, changed with a reason after their
    month was closed and not yet listed by a report `root` issued (the rule is in this module's
    docstring): one row per change (ADJUSTMENT_COLUMNS), by month, unit and indicator."""
    changes = store.late_changes()
    if not changes.empty:
        below = metrics.tree(store).subtree(root.code)
        changes = changes[(changes["period"] < period) & changes["unit_code"].isin(below)]
    if not changes.empty:
        issued = store.issued_reports()
        issued = issued[(issued["root_code"] == root.code) & (issued["period"] < period)]
        listed = [bool(((issued["period"] > month) & (issued["issued_at"] > at)).any())
                  for month, at in zip(changes["period"], changes["created_at"])]  # fmt: skip
        changes = changes[[not x for x in listed]]
        unchanged = (
            _same(changes["old_numerator"], changes["numerator"])
            & _same(changes["old_denominator"], changes["denominator"])
            & _same(changes["old_value"], changes["value"])
        )
        changes = changes[~unchanged]
    if changes.empty:
        return pd.DataFrame(columns=ADJUSTMENT_COLUMNS)
    names = {u.code: u.label for u in store.units()}
    items = {item.code: (i, item) for i, item in enumerate(catalog.indicators())}
    people = _people(store)
    out = changes.assign(
        unit_name=changes["unit_code"].map(lambda c: names.get(c, c)),
        name_vi=changes["indicator_code"].map(lambda c: items[c][1].name_vi if c in items else c),
        kind=changes["indicator_code"].map(lambda c: items[c][1].kind if c in items else "count"),
        who=changes["user_name"].map(lambda n: people.get(n, n)),
        _order=changes["indicator_code"].map(lambda c: items[c][0] if c in items else len(items)),
        _unit=changes["unit_code"].map(lambda c: fold(names.get(c, c))),
    )
    out = out.sort_values(["period", "_unit", "_order", "created_at"], kind="stable")
    return out[ADJUSTMENT_COLUMNS].reset_index(drop=True)


def adjustment_lines(frame: pd.DataFrame) -> list[dict]:
    """`adjustments` as the report writes them: month, unit, indicator, old → new, who, when, why."""
    lines = []
    for r in frame.itertuples():
        old = figure_text(r.kind, r.old_numerator, r.old_denominator, r.old_value)
        new = figure_text(r.kind, r.numerator, r.denominator, r.value)
        lines.append({
            "month": format.month(r.period), "unit": r.unit_name, "indicator": r.name_vi, "old": old,
            "new": new, "change": f"{old} → {new}", "who": r.who, "when": timestamp_text(r.created_at),
            "reason": r.reason, "note": f"{r.who}, {timestamp_text(r.created_at)}: {r.reason}",
        })  # fmt: skip
    return lines


def adjustments_table(store: Store, period: str, root: OrgUnit) -> pd.DataFrame:
    """What the report's section “Điều chỉnh số liệu các tháng trước” will list, for the page."""
    columns = ["Tháng", "Đơn vị", "Chỉ tiêu", "Cũ → mới", "Người nhập, lúc", "Lý do"]
    lines = adjustment_lines(adjustments(store, period, root))
    return pd.DataFrame([[x["month"], x["unit"], x["indicator"], x["change"], f"{x['who']}, {x['when']}",
                          x["reason"]] for x in lines], columns=columns)  # fmt: skip


def _adjustments_text(count: int) -> str:
    if not count:
        return "Không có số liệu nào của các tháng trước được điều chỉnh sau khi đã báo cáo."
    return (
        f"Sau khi báo cáo các tháng trước đã phát hành, {format.number(count)} số liệu được điều chỉnh "
        "(nhập lại kèm lý do); số liệu lũy kế trong báo cáo này đã tính theo số liệu sau điều chỉnh:"
    )


def _replaces_text(store: Store, period: str, root: OrgUnit) -> str:
    """For a month already issued: the sentence saying this report replaces the latest version."""
    issued = store.issued_reports(period)
    issued = issued[issued["root_code"] == root.code]
    if issued.empty:
        return ""
    latest = issued.iloc[0]
    return (
        f"Báo cáo này thay thế báo cáo {format.month(period).lower()} (bản {int(latest['version'])}) "
        f"đã phát hành lúc {timestamp_text(latest['issued_at'])}."
    )


def _map_caption(unit_map) -> str:
    """The line under the report's map: what colours it, that boundaries are for reference, and
    the units it could not draw."""
    if unit_map is None:
        return ""
    text = (f"Bản đồ: trạng thái của từng {unit_map.noun} theo tiến độ bình quân các chỉ tiêu so với mục tiêu "
            f"năm. {unit_map.notice}")  # fmt: skip
    return f"{text} {unit_map.unmapped_text}".strip()


def report_context(store: Store, period: str, root: OrgUnit, today: date) -> dict:
    """Everything the template needs, as text already formatted the Vietnamese way."""
    settings = store.settings()
    view = overview(store, period, root)
    table = view.indicators
    has_data = bool(table["monthly_value"].notna().any())  # something was submitted this month
    place = settings.place_name or root.name
    month_label = format.month(period).replace("Tháng", "tháng")
    register = task_register(store, root, today)

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
    adjusted = adjustments(store, period, root)
    unit_map = None
    if maps.has_map(store, root):  # a city: its communes on a map, as on the slides
        ranked = hamlet_progress(metrics.member_table(store, period, root.code))
        unit_map = maps.progress_map(store, period, root, ranked)
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
        "replaces_text": _replaces_text(store, period, root),
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
        "adjustments_text": _adjustments_text(len(adjusted)),
        "adjustments": adjustment_lines(adjusted),
        "proposals": (
            "Các phòng, ban, đơn vị và các thôn tập trung hoàn thành các chỉ tiêu còn chậm, nộp số "
            f"liệu đúng hạn ngày {settings.deadline_day} hằng tháng; xử lý dứt điểm các nhiệm vụ quá hạn."
        ),
        "recipients": settings.recipients,
        "signer_authority": settings.signer_authority,
        "signer_title": settings.signer_title,
        "signer_name": settings.signer_name,
        "map_caption": _map_caption(unit_map),
        "_view": view,
        "_adjustments": adjusted,
        "_map": unit_map,
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
        adjustments=adjustments(store, period, root),
    )


def report_file_name(period: str, extension: str) -> str:
    return f"bao_cao_cds_{period}.{extension}"


# --- issuing ---------------------------------------------------------------------------------


def _plain(value):
    """A number as JSON keeps it: NaN and None as None, numpy scalars as Python ones."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        return _plain(value.item())
    return value


def issue_figures(view, period: str, root: OrgUnit, adjusted: pd.DataFrame) -> dict:
    """What an issued report was built from, as JSON: the root's summary per indicator (value,
    numerator, denominator, target, progress, status, as `metrics.commune_summary` has them),
    the reporting units' completeness counts and how many adjustments it lists."""
    table, done = view.indicators, view.completeness
    columns = ["value", "numerator", "denominator", "target", "progress", "status"]
    counts = done["status"].value_counts() if not done.empty else pd.Series(dtype=int)
    return {
        "period": period,
        "root_code": root.code,
        "indicators": {
            row["indicator_code"]: {c: _plain(row[c]) for c in columns} for _, row in table.iterrows()
        },
        "completeness": {
            "units": len(done),
            "units_by_status": {str(k): int(v) for k, v in counts.items()},
            "figures_expected": int(done["expected"].sum()) if not done.empty else 0,
            "figures_submitted": int(done["submitted"].sum()) if not done.empty else 0,
            "hamlets": view.hamlets_total,
            "hamlets_submitted": view.hamlets_submitted,
            "hamlets_on_time": view.hamlets_on_time,
        },
        "adjustments": len(adjusted),
    }


def issue_report(store: Store, period: str, root: OrgUnit, actor: Actor, today: date | None = None,
                 with_charts: bool = True) -> int:  # fmt: skip
    """Build the report (.docx, charts when `with_charts`) and its annex (.xlsx) once, from the
    same figures, and keep both with those figures (`issue_figures`) as issued: the month is
    closed for `root` and every unit below it. Returns the version (2 and up: a replacement)."""
    require(actor, "issue_report")  # before spending seconds on the charts
    context = report_context(store, period, root, today or clock.today())
    figures = issue_figures(context["_view"], period, root, context["_adjustments"])
    xlsx = annex_xlsx(store, period, root)
    docx = docx_bytes(context, with_charts)
    return store.issue_report(period, root.code, docx, xlsx, figures, actor)


def issued_list(store: Store, root: OrgUnit) -> pd.DataFrame:
    """The reports `root` issued, newest month first and each month's newest version first: Tháng,
    Bản, Phát hành lúc, Người phát hành, Ghi chú (a replacement, or replaced), SHA-256 (.docx,
    its first 12 characters); `period` and `version` name each row for the downloads."""
    issued = store.issued_reports()
    issued = issued[issued["root_code"] == root.code].reset_index(drop=True)
    people = _people(store)
    latest = issued.groupby("period")["version"].transform("max") if not issued.empty else issued["version"]
    notes = []
    for version, last in zip(issued["version"].astype(int), latest.astype(int)):
        parts = [f"Báo cáo thay thế bản {version - 1}"] if version > 1 else []
        if version < last:
            parts.append(f"đã có bản thay thế (bản {last})")
        text = "; ".join(parts)
        notes.append(text[:1].upper() + text[1:])
    return pd.DataFrame({
        "period": issued["period"], "version": issued["version"].astype(int),
        "Tháng": issued["period"].map(format.month), "Bản": issued["version"].astype(int),
        "Phát hành lúc": issued["issued_at"].map(timestamp_text),
        "Người phát hành": issued["issued_by"].map(lambda n: people.get(n, n)),
        "Ghi chú": notes, "SHA-256 (.docx)": issued["docx_sha256"].str[:12],
    })  # fmt: skip


def issued_label(row) -> str:
    """One row of `issued_list` as the download picker names it."""
    note = " (thay thế)" if row["Bản"] > 1 else ""
    return f"{row['Tháng']} – bản {row['Bản']}{note}, phát hành {row['Phát hành lúc']}"


def issued_file_name(period: str, version: int, extension: str) -> str:
    return f"bao_cao_cds_{period}_ban_{version}.{extension}"


@dataclass(frozen=True)
class IssuePrompt:
    """What the page offers a leader for the month: the button, the dialog's words, the state."""

    version: int  # the version issuing now makes
    button: str
    state: str  # the month's state, one sentence
    question: list[str]  # the confirmation dialog's paragraphs


def issue_prompt(store: Store, period: str, root: OrgUnit) -> IssuePrompt:
    month = format.month(period).lower()
    name = markdown_literal(root.label)  # the paragraphs are Markdown
    issued = store.issued_reports(period)
    issued = issued[issued["root_code"] == root.code]
    closing = (
        f"Phát hành sẽ **khóa số liệu {month}** của {name} và mọi đơn vị trực thuộc: từ đó số liệu "
        "tháng này chỉ thay đổi được khi nhập lại kèm lý do (được liệt kê ở báo cáo tháng sau) hoặc "
        "khi lãnh đạo, quản trị mở bổ sung cho một đơn vị."
    )
    stored = (
        "Báo cáo (.docx) và phụ lục số liệu (.xlsx) được lập từ số liệu hiện tại và lưu nguyên vẹn: "
        "tải lại bất cứ lúc nào cũng đúng như bản đã gửi thành phố."
    )
    if issued.empty:
        return IssuePrompt(1, "Phát hành báo cáo", f"{format.month(period)} chưa phát hành báo cáo.",
                           [f"Phát hành báo cáo {month} của {name}?", stored, closing])  # fmt: skip
    latest = issued.iloc[0]
    version, at = int(latest["version"]) + 1, timestamp_text(latest["issued_at"])
    return IssuePrompt(
        version,
        f"Phát hành lại (báo cáo thay thế, bản {version})",
        f"{format.month(period)} đã phát hành bản {version - 1} lúc {at}; số liệu tháng đã khóa.",
        [f"Phát hành bản {version} thay thế bản {version - 1} (phát hành lúc {at}) của báo cáo {month}?",
         stored + " Các bản trước vẫn được giữ và tải được.", closing],
    )  # fmt: skip


def issued_message(period: str, version: int) -> str:
    month = format.month(period)
    kind = "báo cáo" if version == 1 else "báo cáo thay thế"
    return (
        f"Đã phát hành {kind} {month.lower()} (bản {version}). {month} đã khóa: số liệu chỉ thay đổi được "
        "khi nhập lại kèm lý do hoặc khi được mở bổ sung."
    )
