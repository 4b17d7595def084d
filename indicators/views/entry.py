"""The entry form (Nhập số liệu, pages/entry.py): one unit's month, by task group, with last month's
figures under each field, a draft kept at every change, and the import's checks as the user types."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as _date
from datetime import datetime

import pandas as pd

from indicators import metrics
from indicators.domain import catalog, format, periods
from indicators.domain.accounts import Actor, allowed_units
from indicators.domain.catalog import Indicator, TaskGroup
from indicators.domain.entry import Draft, EntryFigure, Figures
from indicators.domain.errors import PermissionDenied
from indicators.domain.models import Issue
from indicators.domain.text import markdown_literal
from indicators.domain.units import OrgUnit
from indicators.ingest import ImportReport
from indicators.ingest.entry import EntryReport, import_entry
from indicators.ingest.numbers import NumberProblem, parse_number
from indicators.storage import Store
from indicators.views.common import Deadline, deadline_info

# The plan's task groups abbreviate; a hamlet head reading them on a phone should not have to guess.
_ABBREVIATIONS = {"KHCN": "khoa học công nghệ", "ĐMST": "đổi mới sáng tạo", "CĐS": "chuyển đổi số"}
_CUMULATIVE = "(lũy kế)"


def spelled_out(text: str) -> str:
    """“… cho KHCN, ĐMST và CĐS” -> “… cho khoa học công nghệ, đổi mới sáng tạo và chuyển đổi số”."""
    for short, full in _ABBREVIATIONS.items():
        text = re.sub(rf"\b{short}\b", full, text)
    return text


def numerator_label(item: Indicator) -> str:
    """What the first field counts, in the catalog's words (“Số hộ có cáp quang”); a cumulative one
    says what it adds up (“… (lũy kế, tính đến hết tháng)”)."""
    return item.numerator_vi.replace(_CUMULATIVE, "(lũy kế, tính đến hết tháng)")


def denominator_label(item: Indicator) -> str:
    return item.denominator_vi


def yes_no_question(item: Indicator) -> str:
    """A yes/no indicator's question from its definition (“1 nếu thôn có sóng 5G ổn định, 0 nếu
    chưa”): “Thôn có sóng 5G ổn định?”."""
    text = re.sub(r"^1 nếu\s+", "", item.numerator_vi)
    text = re.split(r",\s*0 nếu", text)[0].strip()
    return text[:1].upper() + text[1:] + "?"


def is_yes_no(code: str) -> bool:
    return catalog.indicator(code).is_yes_no


def count_label(item: Indicator) -> str:
    return f"{numerator_label(item)} ({item.unit})" if item.unit else numerator_label(item)


def field_text(value: float | None) -> str:
    """A stored figure as its field shows it: 2100 -> “2.100”, read back by `read_number`."""
    if value is None:
        return ""
    return format.number(value) if float(value).is_integer() else format.number(value, 2)


def read_number(text: str | None) -> tuple[float | None, str | None]:
    """(the number typed, None) or (None, what to fix). Fields are text so that “1.350” is one
    thousand three hundred and fifty, as Vietnamese write it, and never silently 1."""
    try:
        return parse_number(text), None
    except NumberProblem as problem:
        if problem.kind == "percent":
            return None, f"“{text}” là tỷ lệ %: hãy nhập số đếm được (số người, số hộ…), phần mềm tự tính tỷ lệ."
        return None, f"“{text}” không phải là số: chỉ nhập chữ số, ví dụ 1350 hoặc 1.350."


@dataclass(frozen=True)
class EntryField:
    """One indicator on the form: last month's figures, and the denominator offered from it."""

    item: Indicator
    last: EntryFigure | None  # last month's stored figures
    offered_denominator: float | None  # last month's, for a denominator counting people or households

    @property
    def last_text(self) -> str:
        """“Tháng trước: 312/589 (53,0%)”, “Tháng trước: có”, “Tháng trước: 14”, or none yet."""
        last = self.last
        if last is None or (last.numerator is None and last.value is None):
            return "Tháng trước: chưa có số liệu"
        if self.item.is_yes_no:
            return "Tháng trước: " + ("có" if last.numerator else "chưa")
        if self.item.is_ratio:
            share = f" ({format.percent(last.value)})" if last.value is not None else ""
            return f"Tháng trước: {format.number(last.numerator)}/{format.number(last.denominator)}{share}"
        return f"Tháng trước: {format.number(last.value)}"


@dataclass(frozen=True)
class EntrySection:
    group: TaskGroup
    fields: list[EntryField]
    position: int  # 1, 2, 3… on this form: a hamlet's form has no group 2, and a gap reads as a fault

    @property
    def title(self) -> str:
        return f"{self.position}. {spelled_out(self.group.name_vi)}"

    def filled(self, figures: Figures) -> int:
        return sum(1 for f in self.fields if f.item.code in figures and figures[f.item.code].entered())


@dataclass
class EntryForm:
    unit: OrgUnit
    period: str
    deadline: Deadline
    sections: list[EntrySection]
    draft: Draft | None
    stored: dict[str, EntryFigure]  # the month's figures as already sent

    @property
    def fields(self) -> list[EntryField]:
        return [f for section in self.sections for f in section.fields]

    def start(self) -> Figures:
        """What the fields hold when the form opens: the draft; else the month as sent so far, and
        last month's denominators offered for the indicators not sent yet."""
        if self.draft is not None:
            return dict(self.draft.figures)
        offered = {f.item.code: EntryFigure(denominator=f.offered_denominator)
                   for f in self.fields if f.offered_denominator is not None}  # fmt: skip
        return offered | self.stored

    def filled(self, figures: Figures) -> int:
        return sum(section.filled(figures) for section in self.sections)

    def missing(self, figures: Figures) -> list[Indicator]:
        return [f.item for f in self.fields if not (f.item.code in figures and figures[f.item.code].entered())]

    def unsent(self, figures: Figures) -> list[str]:
        """The indicators filled in that differ from what the month holds: what “Gửi” would change."""
        def differs(code: str, fig: EntryFigure) -> bool:
            sent = self.stored.get(code)
            if sent is None or fig.note:
                return True
            item = catalog.indicator(code)
            typed = ("numerator",) if item.is_yes_no else ("numerator", "denominator") if item.is_ratio else ("value",)
            return any(getattr(fig, part) != getattr(sent, part) for part in typed)

        return [code for code, fig in figures.items() if fig.entered() and differs(code, fig)]

    def unchecked_offers(self, figures: Figures) -> list[EntryField]:
        """The indicators about to be sent whose denominator is still the one offered from last
        month: easily sent unchanged, so the person is asked to confirm them."""
        unsent = set(self.unsent(figures))
        return [
            f for f in self.fields
            if f.offered_denominator is not None and f.item.code in unsent
            and figures[f.item.code].denominator == f.offered_denominator
        ]  # fmt: skip

    def offers_list(self, figures: Figures) -> str:
        """“Tổng số hộ: 830 · Số người trưởng thành: 1.902”: each denominator kept from last month
        once; one name with two numbers shows both (“Tổng số hộ: 830, 840”), worth a second look."""
        kept: dict[str, list[str]] = {}
        for f in self.unchecked_offers(figures):
            numbers = kept.setdefault(f.item.denominator_vi, [])
            if format.number(f.offered_denominator) not in numbers:
                numbers.append(format.number(f.offered_denominator))
        return " · ".join(f"{name}: {', '.join(numbers)}" for name, numbers in kept.items())

    def missing_text(self, figures: Figures) -> str:
        """“còn 3/12 chỉ tiêu chưa nhập”, or "" when every one is."""
        left = len(self.missing(figures))
        return f"còn {format.number(left)}/{format.number(len(self.fields))} chỉ tiêu chưa nhập" if left else ""


def entry_units(store: Store, actor: Actor) -> list[OrgUnit]:
    """The units an account may enter figures for: hamlets first, then communes, by name."""
    units = metrics.tree(store).units
    allowed = allowed_units(actor, {u.code: u.parent for u in units})
    mine = [u for u in units if u.level in ("hamlet", "commune") and (allowed is None or u.code in allowed)]
    return sorted(mine, key=lambda u: (u.level != "hamlet", u.code))


def check_unit(store: Store, actor: Actor, unit_code: str) -> OrgUnit:
    """The unit of a form opened by its URL; PermissionDenied (in Vietnamese) when the account
    may not enter for it, so that a hand-edited address writes nothing."""
    unit = next((u for u in entry_units(store, actor) if u.code == unit_code), None)
    if unit is None:
        raise PermissionDenied(
            f"Tài khoản “{actor.label}” không nhập được số liệu cho đơn vị “{unit_code}”: chỉ nhập cho "
            "các thôn, xã được giao. Chọn đơn vị của mình ở ô “Đơn vị”."
        )
    return unit


def _month(store: Store, unit_code: str, period: str) -> dict[str, EntryFigure]:
    """The unit's current figures of the month, as form fields."""
    rows = store.current_submissions(periods=[period], unit_codes=[unit_code])
    out = {}
    for r in rows.itertuples():
        out[r.indicator_code] = EntryFigure(
            numerator=None if pd.isna(r.numerator) else r.numerator,
            denominator=None if pd.isna(r.denominator) else r.denominator,
            value=None if pd.isna(r.value) else r.value,
        )
    return out


def entry_form(store: Store, actor: Actor, unit: OrgUnit, period: str, today: _date) -> EntryForm:
    last = _month(store, unit.code, periods.previous(period))
    level = "hamlet" if unit.level == "hamlet" else "commune"
    items = catalog.indicators_at_level(level)
    sections = []
    for group in catalog.task_groups():
        fields = []
        for item in (i for i in items if i.task_group == group.number):
            before = last.get(item.code)
            offered = before.denominator if item.stable_denominator and before is not None else None
            fields.append(EntryField(item, before, offered))
        if fields:
            sections.append(EntrySection(group, fields, len(sections) + 1))
    return EntryForm(
        unit=unit,
        period=period,
        deadline=deadline_info(period, store.settings().deadline_day, today),
        sections=sections,
        draft=store.draft(actor.label, unit.code, period),
        stored=_month(store, unit.code, period),
    )


def check(store: Store, actor: Actor, form: EntryForm, figures: Figures, now: datetime) -> EntryReport:
    """The import's checks of what is typed so far (nothing is written). An empty form has nothing to
    check, and says nothing: not an error before the first figure is typed."""
    if not form.filled(figures):
        return EntryReport(ImportReport(file_name="", sha256="", status="dry_run"), [])
    return import_entry(store, form.unit.code, form.unit.label, form.period, figures, actor, dry_run=True, now=now)


def send(store: Store, actor: Actor, form: EntryForm, figures: Figures, now: datetime,
         reason: str | None = None) -> EntryReport:  # fmt: skip
    return import_entry(store, form.unit.code, form.unit.label, form.period, figures, actor, now=now, reason=reason)


WARNING_ADVICE = "Kiểm tra lại số vừa nhập; nếu số đúng, ghi lý do vào ô Ghi chú của chỉ tiêu này."
WARNING_NOTED = "Đã có ghi chú: cảnh báo và ghi chú được gửi kèm cho xã xem."


def issue_text(issue: Issue, item: Indicator, unit: OrgUnit, noted: bool = False) -> str:
    """An import message in the form's words: the indicator and the unit are on screen already, and
    the fields are named as their labels (“Số hộ có cáp quang (850) lớn hơn Tổng số hộ (830)”, not
    “Tử số … mẫu số”); a warning says what to do about it, or that the note written answers it."""
    text = issue.message.replace(f"{item.code} của {unit.label} ", "Số liệu ").replace(f"{item.code} ", "Chỉ tiêu ")
    if item.is_ratio and not item.is_yes_no:
        text = text.replace("Tử số (", f"{numerator_label(item)} (").replace("mẫu số (", f"{denominator_label(item)} (")
    if issue.severity == "error":
        return text
    return f"{text} {WARNING_NOTED if noted else WARNING_ADVICE}"


def warned(report: EntryReport) -> list[str]:
    """The indicators the checks warn about, in the form's order."""
    return [
        code for code in report.codes
        if any(i.severity == "warning" for issues in report.fields.get(code, {}).values() for i in issues)
    ]  # fmt: skip


def warnings_text(report: EntryReport, form: EntryForm, figures: Figures) -> str:
    """The warnings not yet answered by a note, at the “Gửi” button where the person decides, with
    the section each is in (sections are closed): “1 chỉ tiêu có cảnh báo chưa ghi lý do: …”."""
    section_of = {f.item.code: section for section in form.sections for f in section.fields}
    open_ = [code for code in warned(report) if not (code in figures and figures[code].note)]
    if not open_:
        return ""
    listed = "; ".join(f"{catalog.indicator(code).name_vi} (nhóm {section_of[code].position})" for code in open_)
    return (f"{format.number(len(open_))} chỉ tiêu có cảnh báo chưa ghi lý do: {listed}. Xem dòng màu vàng dưới ô "
            "nhập; nếu số đúng, ghi lý do vào ô Ghi chú rồi gửi. Cảnh báo không chặn việc gửi.")  # fmt: skip


def sent_message(report: EntryReport, form: EntryForm) -> tuple[str, str]:
    """(kind, text) after “Gửi số liệu”, as Markdown (the unit's name and the messages escaped)."""
    r = report.report
    month = format.month(form.period)
    unit = markdown_literal(form.unit.label)
    if r.status == "imported":
        changed = r.count("new") + r.count("changed")
        names = [catalog.indicator(code).name_vi for code in warned(report)]
        warn = f" Cảnh báo gửi kèm: {'; '.join(names)}." if names else ""
        return "success", (f"Đã gửi số liệu {month} của {unit}: {format.number(changed)} số liệu được "
                           f"ghi (lần gửi số {format.number(r.batch_id)} ở trang Lịch sử).{warn}")  # fmt: skip
    if r.status in ("unchanged", "duplicate"):
        return "info", f"Số liệu {month} của {unit} giống hệt số liệu đã gửi: không có gì thay đổi."
    return "error", "Chưa gửi được: " + markdown_literal(" ".join(i.message for i in r.errors[:3]))
