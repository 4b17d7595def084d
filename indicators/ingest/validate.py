"""Records -> validated rows and issues. Errors reject the file; warnings import but are kept."""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from pydantic import ValidationError

from indicators.domain import catalog, format, periods
from indicators.domain.catalog import LEVEL_VI
from indicators.domain.models import Issue, SubmissionRow
from indicators.domain.settings import Settings
from indicators.domain.text import nfc, unsafe_text
from indicators.domain.units import OrgUnit, UnitMatcher
from indicators.ingest.columns import COLUMN_VI
from indicators.ingest.layout import Record, only_prefill
from indicators.ingest.numbers import NumberProblem, parse_number

CHANGES = ["new", "changed", "unchanged"]  # a row against the stored value of its key
ROW_COLUMNS = [
    "period", "unit_code", "indicator_code", "numerator", "denominator", "value", "note",
    "sheet", "source_row",
]  # fmt: skip
# Kept as categories with their values in sorted order: a file repeats a few months, units, codes
# and notes thousands of times, and each later step (compare, warnings, write) then counts and
# matches them by number, not a million strings at a time.
KEY_TEXT = ["period", "unit_code", "indicator_code", "note"]


@dataclass
class Context:
    units: list[OrgUnit]
    settings: Settings
    now: datetime
    allowed: set[str] | None = None  # the units the importing account may write for (None: all)
    actor_label: str = ""
    matcher: UnitMatcher | None = None  # built from `units` unless given

    def __post_init__(self) -> None:
        self.matcher = self.matcher or UnitMatcher(self.units)
        self.by_code = self.matcher.units


def _suggest(names: list[str]) -> str:
    return f" Có phải: {', '.join(names)}?" if names else ""


def validate_records(records: list[Record], ctx: Context) -> tuple[pd.DataFrame, list[Issue]]:
    """Every record checked; every problem reported, not just the first."""
    issues: list[Issue] = []
    rows: list[dict] = []
    current_period = periods.period_of(ctx.now.date())

    def error(record: Record, column: str, message: str) -> None:
        issues.append(Issue("error", message, record.row, record.column(column), record.sheet))

    blank_rows: list[Record] = []
    for record in records:
        # a template row left without any figure or note was simply not filled in
        if _unfilled(record):
            blank_rows.append(record)
            continue
        ok = True
        raw_period = record.value("ky_bao_cao")
        period = periods.parse_period(raw_period)
        if raw_period is None:
            error(record, "ky_bao_cao", "Thiếu kỳ báo cáo (ví dụ 2026-03 hoặc 3/2026).")
            ok = False
        elif period is None:
            error(
                record, "ky_bao_cao",
                f"Kỳ báo cáo “{raw_period}” không hợp lệ: viết dạng 2026-03, 3/2026 hoặc Tháng 3/2026.",
            )  # fmt: skip
            ok = False
        elif period > current_period:
            error(
                record, "ky_bao_cao",
                f"Kỳ báo cáo {format.month(period)} chưa tới (hôm nay là {format.day(ctx.now)}).",
            )  # fmt: skip
            ok = False

        unit = None
        raw_unit = record.value("don_vi")
        if raw_unit is None:
            error(record, "don_vi", "Thiếu tên hoặc mã đơn vị (thôn).")
            ok = False
        else:
            found = ctx.matcher.candidates(str(raw_unit))
            if not found:
                names = [ctx.by_code[c].label for c in ctx.matcher.suggestions(str(raw_unit))]
                error(record, "don_vi", f"Không có đơn vị “{raw_unit}” trong danh mục.{_suggest(names)}")
                ok = False
            elif len(found) > 1:
                labels = ", ".join(f"{ctx.by_code[c].label} (mã {c})" for c in found)
                error(record, "don_vi", f"Tên “{raw_unit}” trùng nhiều đơn vị: {labels}. Hãy ghi mã.")
                ok = False
            else:
                unit = ctx.by_code[found[0]]
                if not unit.active:
                    error(record, "don_vi", f"{unit.label} đã ngừng hoạt động (sáp nhập hoặc chia tách).")
                elif ctx.allowed is not None and unit.code not in ctx.allowed:
                    error(record, "don_vi", f"Tài khoản “{ctx.actor_label}” không được giao nhập số liệu "
                                            f"cho {unit.label}.")  # fmt: skip
                    ok = False

        item = None
        raw_code = record.value("ma_chi_tieu")
        if raw_code is None:
            error(record, "ma_chi_tieu", "Thiếu mã chỉ tiêu.")
            ok = False
        else:
            code = catalog.match_indicator(str(raw_code))
            if code is None:
                near = catalog.indicator_suggestions(str(raw_code))
                error(record, "ma_chi_tieu", f"Không có chỉ tiêu “{raw_code}”.{_suggest(near)}")
                ok = False
            else:
                item = catalog.indicator(code)

        if unit is not None and item is not None and unit.level != item.level:
            error(
                record, "don_vi",
                f"Chỉ tiêu {item.code} do cấp {LEVEL_VI[item.level].lower()} báo cáo, "
                f"không phải {unit.label}.",
            )  # fmt: skip
            ok = False

        amounts: dict[str, float | None] = {}
        for column in ("tu_so", "mau_so", "gia_tri"):
            try:
                amounts[column] = parse_number(record.value(column))
            except NumberProblem as problem:
                ok = False
                raw = record.value(column)
                if problem.kind == "percent" and (item is None or item.is_ratio):
                    error(
                        record, column,
                        f"“{raw}” là tỷ lệ phần trăm. Chỉ tiêu tỷ lệ cần tử số và mẫu số "
                        "(số đếm được), ứng dụng tự tính tỷ lệ.",
                    )  # fmt: skip
                else:
                    error(record, column, f"“{raw}” không phải là số.")
        if not ok:
            continue
        assert item is not None and unit is not None and period is not None
        if item.is_ratio and amounts["tu_so"] is None and amounts["mau_so"] is None:
            if amounts["gia_tri"] is not None:
                error(
                    record, "gia_tri",
                    f"{item.code} là chỉ tiêu tỷ lệ: cần nhập tử số ({item.numerator_vi}) và mẫu số "
                    f"({item.denominator_vi}), không nhập giá trị hay tỷ lệ %.",
                )  # fmt: skip
                continue
        note = record.value("ghi_chu")
        try:
            row = SubmissionRow(
                period=period,
                unit_code=unit.code,
                indicator_code=item.code,
                numerator=amounts["tu_so"],
                denominator=amounts["mau_so"],
                value=amounts["gia_tri"],
                note=nfc(unsafe_text(note)) if note is not None else "",
            )
        except ValidationError as exc:
            for problem in exc.errors():
                error(record, problem["type"], problem["msg"])
            continue
        rows.append({**row.model_dump(), "sheet": record.sheet, "source_row": record.row})

    if blank_rows:
        listed = ", ".join(str(r.row) for r in blank_rows[:20]) + ("…" if len(blank_rows) > 20 else "")
        if len(blank_rows) == len(records):
            issues.append(Issue("error", "Tệp chưa có số liệu nào: các dòng đều để trống tử số, mẫu số và giá trị."))
        else:
            issues.append(Issue("warning", f"{len(blank_rows)} dòng không có số liệu nên được bỏ qua (dòng {listed})."))
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS).astype({name: "category" for name in KEY_TEXT})
    issues += _duplicates(frame, records)
    if any(issue.severity == "error" for issue in issues):
        return frame, issues
    frame = frame.drop_duplicates(["period", "unit_code", "indicator_code"], keep="first")
    return frame.reset_index(drop=True), issues


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _unfilled(record: Record) -> bool:
    """No figure and no note (a yes/no indicator's prefilled denominator 1 alone is no answer)."""
    if not all(_blank(record.value(c)) for c in ("tu_so", "gia_tri", "ghi_chu")):
        return False
    if _blank(record.value("mau_so")):
        return True
    code = catalog.match_indicator(str(record.value("ma_chi_tieu") or ""))
    return code is not None and only_prefill(code, {"tu_so": None, "mau_so": record.value("mau_so")})


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None or (isinstance(a, float) and np.isnan(a)):
        return (a is None or (isinstance(a, float) and np.isnan(a))) and (
            b is None or (isinstance(b, float) and np.isnan(b))
        )
    return abs(a - b) < 1e-9


def _duplicates(frame: pd.DataFrame, records: list[Record]) -> list[Issue]:
    """Identical repeated rows are a warning (kept once); conflicting ones an error."""
    issues: list[Issue] = []
    key = ["period", "unit_code", "indicator_code"]
    dup = frame[frame.duplicated(key, keep=False)]
    for (period, unit, code), group in dup.groupby(key, sort=False, observed=True):  # categories: only those present
        first = group.iloc[0]
        where = ", ".join(str(r) for r in group["source_row"])
        conflict = any(
            not (_same(r.numerator, first.numerator) and _same(r.denominator, first.denominator)
                 and _same(r.value, first.value))
            for r in group.itertuples()
        )  # fmt: skip
        for r in group.iloc[1:].itertuples():
            if conflict:
                message = (
                    f"{code} của đơn vị {unit}, {format.month(period)} xuất hiện nhiều lần với số "
                    f"liệu khác nhau (dòng {where}). Hãy giữ một dòng đúng."
                )
                issues.append(Issue("error", message, r.source_row, COLUMN_VI["ma_chi_tieu"], r.sheet))
            else:
                message = f"Dòng trùng lặp với dòng {first.source_row}; chỉ nhập một lần."
                issues.append(Issue("warning", message, r.source_row, "", r.sheet))
    return issues


def column_arrays(frame: pd.DataFrame) -> dict[str, object]:
    """The frame's columns as arrays with their dtypes, for a new frame that shares them
    (`pd.DataFrame(arrays, copy=False)`): numpy's as they are, pandas' own (categories, nullable
    numbers) as pandas arrays. Wrapping numpy's text too would make pandas look at every cell."""
    return {name: column.array if isinstance(column.dtype, pd.api.extensions.ExtensionDtype) else column.to_numpy()
            for name, column in frame.items()}  # fmt: skip


def compare_with_store(
    frame: pd.DataFrame, current: pd.DataFrame, ctx: Context
) -> tuple[pd.DataFrame, list[Issue]]:
    """Mark rows new/changed/unchanged against current values and collect the warnings.

    `current` holds the current values of the file's periods and of the months before them.
    """
    issues: list[Issue] = []
    amounts = ["numerator", "denominator", "value"]
    # the frame's columns and the new ones as arrays, made into one frame at the end without
    # copying them (a city in one file: 0,6 s of copies)
    columns = column_arrays(frame)
    month_at, months = pd.factorize(frame["period"])
    columns["prev_period"] = np.array([periods.previous(p) for p in months], dtype=object)[month_at]
    out = pd.DataFrame(columns, copy=False)
    # one integer per (period, unit, indicator): two lookups by number instead of two merges on
    # three text columns (a city's file: 0,04 s -> 0,005 s)
    stored, this_month, month_before = _key_numbers(current, out)
    row = pd.Index(stored).get_indexer(this_month)  # each key is stored at most once
    # the month before may be in the store or in this same file (a workbook with several months):
    # the file's own row wins
    known = np.concatenate([stored, this_month])
    keep = ~pd.Index(known).duplicated(keep="last")
    before = pd.Index(known[keep]).get_indexer(month_before)
    figures, added = {}, {}
    for name in amounts:  # row -1 (not stored) takes the NaN appended at the end
        stored_values = current[name].to_numpy(float, na_value=np.nan)
        figures[name] = out[name].to_numpy(float, na_value=np.nan)
        added[f"cur_{name}"] = np.append(stored_values, np.nan)[row]
        added[f"prev_{name}"] = np.append(np.concatenate([stored_values, figures[name]])[keep], np.nan)[before]
    exists = np.logical_or.reduce([~np.isnan(added[f"cur_{name}"]) for name in amounts])
    same = np.logical_and.reduce([_eq(figures[name], added[f"cur_{name}"]) for name in amounts])
    # categories: the import compares this column with a word several times
    added["change"] = pd.Categorical.from_codes(np.where(~exists, 0, np.where(same, 2, 1)), CHANGES)
    out = pd.DataFrame(columns | added, columns=[*frame.columns, *(f"cur_{name}" for name in amounts), "prev_period",
                                                 *(f"prev_{name}" for name in amounts), "change"], copy=False)  # fmt: skip

    # late: received after the deadline of the reporting month itself
    for period in sorted(out["period"].unique()):
        due = periods.deadline(period, ctx.settings.deadline_day)
        if ctx.now > due:
            issues.append(
                Issue(
                    "warning",
                    f"Số liệu {format.month(period)} nộp sau hạn {format.day(due)}: ghi nhận là nộp muộn.",
                )
            )
    issues += _jumps(out, ctx)
    issues += _identical_to_last_month(out)
    return out, issues


def _key_numbers(current: pd.DataFrame, out: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One int64 per (period, unit_code, indicator_code), the same number for the same key: of
    the stored values, of the file's rows, and of the file's rows a month earlier. Each column
    is factorised once (the file's are categories) and its few distinct values numbered."""
    stored, this_month, month_before = (np.zeros(n, dtype=np.int64) for n in (len(current), len(out), len(out)))
    for column in ("period", "unit_code", "indicator_code"):
        stored_at, stored_values = pd.factorize(current[column])
        file_at, file_values = pd.factorize(out[column])
        stored_values, file_values = (np.asarray(v, dtype=object) for v in (stored_values, file_values))
        earlier = np.array([periods.previous(p) for p in file_values], dtype=object) if column == "period" else file_values
        known = pd.Index(pd.unique(np.concatenate([stored_values, file_values, earlier])))
        stored = stored * (len(known) + 1) + known.get_indexer(stored_values)[stored_at] + 1
        this_month = this_month * (len(known) + 1) + known.get_indexer(file_values)[file_at] + 1
        month_before = month_before * (len(known) + 1) + known.get_indexer(earlier)[file_at] + 1
    return stored, this_month, month_before


def _eq(a, b) -> np.ndarray:
    """Equal figures (to 1e-9), or both missing: arrays or columns."""
    a, b = (np.asarray(pd.Series(x).to_numpy(float, na_value=np.nan)) for x in (a, b))
    with np.errstate(invalid="ignore"):
        return (np.isnan(a) & np.isnan(b)) | (np.abs(a - b) < 1e-9)


def _modified_z_by(groups: np.ndarray, values: np.ndarray, min_size: int = 5) -> np.ndarray:
    """Iglewicz–Hoaglin modified z-score of `values` within each group (`groups`: codes 0..k-1);
    when most values are equal (MAD 0), the mean absolute deviation instead; 0 in groups smaller
    than `min_size`."""
    def per_group(x: np.ndarray, how: str) -> np.ndarray:  # aggregated once, then spread back
        return pd.Series(x).groupby(groups).agg(how).to_numpy()[groups]

    median = per_group(values, "median")
    deviation = np.abs(values - median)
    mad = per_group(deviation, "median")
    mean_ad = per_group(deviation, "mean")
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(mad > 0, 0.6745 * (values - median) / mad,
                     np.where(mean_ad > 0, (values - median) / (1.253314 * mean_ad), 0.0))  # fmt: skip
    return np.where(np.bincount(groups)[groups] >= min_size, z, 0.0)


_Flagged = namedtuple("_Flagged", "unit_code indicator_code source_row sheet value prev_value numerator "
                                  "prev_numerator delta robust_z")  # fmt: skip


def _jumps(out: pd.DataFrame, ctx: Context) -> list[Issue]:
    """Big month-on-month changes, and stocks that went down."""
    issues: list[Issue] = []
    rows = np.flatnonzero(out["prev_value"].notna().to_numpy() & out["value"].notna().to_numpy())
    if not len(rows):
        return issues

    def column(name: str, kind=object) -> np.ndarray:  # arrays, not a filtered copy of the frame
        return out[name].to_numpy(kind)[rows]

    def numbered(name: str) -> tuple[np.ndarray, list]:  # categories: numbered without a string each
        at, values = pd.factorize(out[name])
        return at[rows], list(values)

    value, prev_value = column("value", float), column("prev_value", float)
    delta = value - prev_value
    period_code = numbered("period")[0]
    indicator_code, codes = numbered("indicator_code")
    groups = pd.factorize(period_code * len(codes) + indicator_code)[0]
    robust_z = _modified_z_by(groups, delta)
    settings = ctx.settings
    # which rows say something, column-wise; then the messages for those rows only
    size = np.abs(delta)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(prev_value != 0, size / prev_value * 100, np.inf)
    jump = (size >= settings.jump_min_change) & (
        (relative > settings.jump_threshold_pct) | (np.abs(robust_z) > settings.jump_robust_z)
    )
    items = {code: catalog.indicator(code) for code in codes}
    stock = np.array([items[c].aggregation == "latest" and items[c].direction == "up" for c in codes], bool)[indicator_code]
    ratio = np.array([items[c].is_ratio for c in codes], bool)[indicator_code]
    numerator, prev_numerator = column("numerator", float), column("prev_numerator", float)
    with np.errstate(invalid="ignore"):
        down = stock & (np.where(ratio, numerator, value) < np.where(ratio, prev_numerator, prev_value))
    said = np.flatnonzero(jump | down)

    def flagged(name: str) -> np.ndarray:
        return out[name].iloc[rows[said]].to_numpy(object)

    for r in map(_Flagged._make, zip(
        flagged("unit_code"), flagged("indicator_code"), flagged("source_row"), flagged("sheet"),
        *(a[said] for a in (value, prev_value, numerator, prev_numerator, delta, robust_z)),
    )):  # fmt: skip
        item = items[r.indicator_code]
        big = abs(r.delta) >= settings.jump_min_change
        relative = abs(r.delta) / r.prev_value * 100 if r.prev_value else float("inf")
        if big and (relative > settings.jump_threshold_pct or abs(r.robust_z) > settings.jump_robust_z):
            issues.append(
                Issue(
                    "warning",
                    f"{item.code} của {ctx.by_code[r.unit_code].label} thay đổi bất thường so với tháng trước: "
                    f"{format.indicator_value(r.prev_value, item.kind)} → "
                    f"{format.indicator_value(r.value, item.kind)}. Hãy kiểm tra lại.",
                    int(r.source_row), "", r.sheet,
                )  # fmt: skip
            )
        if item.aggregation == "latest" and item.direction == "up":
            before = r.prev_numerator if item.is_ratio else r.prev_value
            after = r.numerator if item.is_ratio else r.value
            if before is not None and after is not None and after < before:
                what = "tử số" if item.is_ratio else "giá trị"
                issues.append(
                    Issue(
                        "warning",
                        f"{item.code} là số lũy kế nhưng {what} của {ctx.by_code[r.unit_code].label} giảm so với tháng "
                        f"trước ({format.number(before)} → {format.number(after)}).",
                        int(r.source_row), "", r.sheet,
                    )  # fmt: skip
                )
    return issues


def _identical_to_last_month(out: pd.DataFrame) -> list[Issue]:
    """A whole file equal to last month's figures is usually last month's file sent again."""
    if len(out) < 3 or (out["prev_value"].isna() & out["prev_numerator"].isna()).any():
        return []
    same = (
        _eq(out["numerator"], out["prev_numerator"])
        & _eq(out["denominator"], out["prev_denominator"])
        & _eq(out["value"], out["prev_value"])
    )
    if not same.all():
        return []
    months = ", ".join(format.month(p) for p in sorted(out["period"].unique()))
    return [
        Issue(
            "warning",
            f"Toàn bộ số liệu của {months} giống hệt tháng trước: có thể đã gửi nhầm tệp cũ.",
        )
    ]
