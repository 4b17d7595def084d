"""Records -> validated rows and issues. Errors reject the file; warnings import but are kept."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pandas as pd

import indicators.ingest.rules as rules
from indicators.domain import catalog, format, periods
from indicators.domain.models import Issue
from indicators.ingest.columns import COLUMN_VI
from indicators.ingest.layout import Record, only_prefill
from indicators.ingest.rules import Context

CHANGES = ["new", "changed", "unchanged"]  # a row against the stored value of its key
ROW_COLUMNS = [
    "period", "unit_code", "indicator_code", "numerator", "denominator", "value", "note",
    "sheet", "source_row",
]  # fmt: skip
# Kept as categories with their values in sorted order: a file repeats a few months, units, codes
# and notes thousands of times, and each later step (compare, warnings, write) then counts and
# matches them by number, not a million strings at a time.
KEY_TEXT = ["period", "unit_code", "indicator_code", "note"]


def validate_records(records: list[Record], ctx: Context) -> tuple[pd.DataFrame, list[Issue]]:
    """Every record checked; every problem reported, not just the first.

    The cell rules read each record's cells; the row rules (`rules.verdicts`) then judge all the
    records at once; each record's problems are told in its order, as it was always read."""
    issues: list[Issue] = []
    blank_rows: list[Record] = []
    filled: list[Record] = []
    cells: list[tuple] = []  # of each filled record: period, unit, indicator, the problems of its cells
    amounts: list[list[float]] = []  # of each filled record: its three figures (NaN when empty)
    for record in records:
        # a template row left without any figure or note was simply not filled in
        if _unfilled(record):
            blank_rows.append(record)
            continue
        period, period_problem = rules.period_cell(record.value("ky_bao_cao"), ctx)
        if "ten_don_vi" in record.cells:
            unit, unit_problem = rules.unit_cells(record.value("don_vi"), record.value("ten_don_vi"), ctx)
        else:
            unit, unit_problem = rules.unit_cell(record.value("don_vi"), ctx)
        item, item_problem = rules.indicator_cell(record.value("ma_chi_tieu"))
        numbers, number_problems = [], []
        for column in rules.AMOUNTS:
            raw = record.value(column)
            number, kind = rules.amount_cell(raw)
            numbers.append(number)
            if kind is not None:
                number_problems.append(rules.amount_problem(raw, column, kind, item))
        problems = [p for p in (period_problem, unit_problem, item_problem) if p is not None]
        filled.append(record)
        cells.append((period, unit, item, problems, number_problems))
        amounts.append(numbers)

    rows = _rows(cells, amounts)
    blocked = np.array([any(p.blocks for p in (*c[3], *c[4])) for c in cells], dtype=bool)
    verdicts = rules.verdicts(rows, blocked)
    level, figure, kept = verdicts.level.tolist(), verdicts.figure.tolist(), verdicts.kept.tolist()
    stored = zip(*(a.tolist() for a in rules.figures(rows)))  # (numerator, denominator, value) of each row
    valid: list[dict] = []
    for i, (record, (period, unit, item, problems, number_problems), figures) in enumerate(zip(filled, cells, stored)):
        said = [(p.column, p.say()) for p in problems]
        one = rules.One(unit, item, *(None if a != a else a for a in amounts[i]))  # NaN: empty
        if level[i]:
            said.append((rules.LEVEL.column, rules.LEVEL.message(one)))
        said += [(p.column, p.say()) for p in number_problems]
        if figure[i] >= 0:
            rule = rules.FIGURES[figure[i]]
            said.append((rule.column, rule.message(one)))
        issues += [Issue("error", message, record.row, record.column(column), record.sheet) for column, message in said]
        if kept[i]:
            valid.append({
                "period": period, "unit_code": unit.code, "indicator_code": item.code,
                **{name: None if x != x else x for name, x in zip(("numerator", "denominator", "value"), figures)},
                "note": rules.note_cell(record.value("ghi_chu")), "sheet": record.sheet, "source_row": record.row,
            })  # fmt: skip

    issues = _once_per_row(issues)
    if blank_rows:
        listed = ", ".join(str(r.row) for r in blank_rows[:20]) + ("…" if len(blank_rows) > 20 else "")
        if len(blank_rows) == len(records):
            issues.append(Issue("error", "Tệp chưa có số liệu nào: các dòng đều để trống tử số, mẫu số và giá trị."))
        else:
            issues.append(Issue("warning", f"{len(blank_rows)} dòng không có số liệu nên được bỏ qua (dòng {listed})."))
    frame = pd.DataFrame(valid, columns=ROW_COLUMNS).astype({name: "category" for name in KEY_TEXT})
    issues += _duplicates(frame, ctx)
    if any(issue.severity == "error" for issue in issues):
        return frame, issues
    frame = frame.drop_duplicates(["period", "unit_code", "indicator_code"], keep="first")
    return frame.reset_index(drop=True), issues


def _once_per_row(issues: list[Issue]) -> list[Issue]:
    """One line for the same error told of many cells of a row (a wide sheet's row holds one
    record per indicator: a wrong unit or month is otherwise said once per indicator)."""
    counts: dict[tuple, int] = {}
    for issue in issues:
        key = (issue.severity, issue.sheet, issue.row, issue.column, issue.message)
        counts[key] = counts.get(key, 0) + 1
    if len(counts) == len(issues):
        return issues
    out = []
    for key, n in counts.items():
        severity, sheet, row, column, message = key
        if n > 1:
            message = f"{message} ({format.number(n)} ô của dòng này có cùng lỗi.)"
        out.append(Issue(severity, message, row, column, sheet))
    return out


def _rows(cells: list[tuple], amounts: list[list[float]]) -> rules.Rows:
    """The records' parsed values column-wise, for the row rules."""
    figures = np.array(amounts, dtype=float).reshape(len(amounts), len(rules.AMOUNTS))
    level = rules.LEVEL_NUMBER
    return rules.Rows(
        num=figures[:, 0], den=figures[:, 1], val=figures[:, 2],
        ratio=np.array([item is not None and item.is_ratio for _, _, item, *_ in cells], dtype=bool),
        unit_level=np.array([-1 if unit is None else level[unit.level] for _, unit, *_ in cells], dtype=int),
        indicator_level=np.array([-1 if item is None else level[item.level] for _, _, item, *_ in cells], dtype=int),
    )  # fmt: skip


def _unfilled(record: Record) -> bool:
    """No figure and no note (a yes/no indicator's prefilled denominator 1 alone is no answer)."""
    value = record.value
    numerator, value_, note = rules.blank(value("tu_so")), rules.blank(value("gia_tri")), rules.blank(value("ghi_chu"))
    if not (numerator and value_ and note):  # most rows: a figure (`rules.unfilled` is then False)
        return False
    denominator = rules.blank(value("mau_so"))
    code = None if denominator else catalog.match_indicator(str(value("ma_chi_tieu") or ""))
    prefill_only = code is not None and only_prefill(code, {"tu_so": None, "mau_so": value("mau_so")})
    return bool(rules.unfilled(numerator, denominator, value_, note, prefill_only))


def _duplicates(frame: pd.DataFrame, ctx: Context) -> list[Issue]:
    """Identical repeated rows are a warning (kept once); conflicting ones an error."""
    key = np.zeros(len(frame), dtype=np.int64)  # one number per (period, unit, indicator)
    for column in ("period", "unit_code", "indicator_code"):
        at, values = pd.factorize(frame[column])
        key = key * (len(values) + 1) + at
    figures = (frame[name].to_numpy(float, na_value=np.nan) for name in ("numerator", "denominator", "value"))
    found = rules.duplicates(key, *figures)
    if found is None:
        return []
    issues: list[Issue] = []
    source_row, sheet = frame["source_row"].tolist(), frame["sheet"].tolist()
    groups: dict[int, list[int]] = {}
    for i in np.flatnonzero(found.group >= 0):
        groups.setdefault(int(found.group[i]), []).append(i)
    for at in groups.values():  # in the order of their first rows
        first = at[0]
        where = ", ".join(str(source_row[i]) for i in at)
        for i in at[1:]:
            if found.conflict[i]:
                period, unit, code = (frame[c].iat[i] for c in ("period", "unit_code", "indicator_code"))
                message = (
                    f"{catalog.indicator(code).label} của {ctx.by_code[unit].label if unit in ctx.by_code else unit}, {format.month(period)} xuất hiện nhiều lần với số "
                    f"liệu khác nhau (dòng {where}). Hãy giữ một dòng đúng."
                )
                issues.append(Issue("error", message, source_row[i], COLUMN_VI["ma_chi_tieu"], sheet[i]))
            else:
                message = f"Dòng trùng lặp với dòng {source_row[first]}; chỉ nhập một lần."
                issues.append(Issue("warning", message, source_row[i], "", sheet[i]))
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
                    f"{item.label} của {ctx.by_code[r.unit_code].label} thay đổi bất thường so với tháng trước: "
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
                        f"{item.label} là số lũy kế nhưng {what} của {ctx.by_code[r.unit_code].label} giảm so với tháng "
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
