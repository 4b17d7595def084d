"""Column-wise validation of files whose every row is clean: the common case, and a city's files.

`validate_records` checks a file row by row and explains every problem. Most files have none, and
checking 9.000 rows one by one costs seconds, so a long-layout file is first checked here a column at
a time, each distinct value once (a file repeats a few months, units and codes thousands of times).
The rules are the same functions the row-by-row check calls (`parse_period`, `UnitMatcher`,
`match_indicator`, `parse_number`, the rules of `SubmissionRow`, written again with numpy). At the
first row that is not plainly clean (an error, a blank template row, a duplicate…) this gives up and
returns None: the row-by-row check then runs on the whole file and explains what it finds. A test
checks that both give the same rows on clean files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import catalog, periods
from ..text import nfc, unsafe_text
from .layout import find_layout
from .numbers import NumberProblem, parse_number
from .read import Sheet
from .validate import ROW_COLUMNS, Context

_COLUMNS = ["ky_bao_cao", "don_vi", "ma_chi_tieu", "tu_so", "mau_so", "gia_tri", "ghi_chu"]
_NOT_CLEAN = object()


def _blank(column: pd.Series, trimmed: bool = False) -> np.ndarray:
    """Empty cells: None, NaN or only spaces (text cells; others are never blank). Cells of a
    `trimmed` sheet (a CSV file's) are None when empty."""
    if trimmed:
        return column.isna().to_numpy(bool)
    try:
        spaces = column.str.strip().eq("").fillna(False)
    except AttributeError:  # no text at all (a workbook's numbers, or nothing): cell by cell
        spaces = column.map(lambda v: isinstance(v, str) and not v.strip())
    return (column.isna() | spaces.astype(bool)).to_numpy(bool)


def _by_value(column: pd.Series, fn, refuse: object = None) -> pd.Series | None:
    """`fn` applied once per distinct value of `column` (text or empty: see `_plain`); None if
    `fn` gave `refuse` for any of them."""
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    results = np.empty(len(uniques), dtype=object)
    # factorize turns None into NaN, the only value not equal to itself
    results[:] = [fn(None if value != value else value) for value in uniques]
    if refuse is not None and any(result is refuse for result in results):
        return None
    return pd.Series(results[codes], index=column.index, dtype=object)


def _plain(column: pd.Series) -> bool:
    """Only text and empty cells (as every CSV): distinct values are then distinct keys. A
    workbook's cells may hold 1 and True, or 1 and 1.0, which a hash table takes for one value."""
    return all(v is None or isinstance(v, str) for v in pd.unique(column))


def _table(sheets: list[Sheet]) -> pd.DataFrame | None:
    """The raw cells of every long-layout sheet, one column per field; None if a sheet is wide."""
    parts = []
    for sheet in sheets:
        layout = find_layout(sheet)
        if layout is None:
            continue
        kind, header_row, columns = layout
        if kind != "long":
            return None
        rows = sheet.rows[header_row + 1:]
        if not rows:
            continue
        width = max(columns) + 1
        raw = pd.DataFrame(rows, dtype=object)  # short rows are padded (with None or NaN)
        raw = raw.reindex(columns=range(max(width, raw.shape[1])))
        raw = raw.where(raw.notna(), None)
        data = {name: raw[i] for i, name in columns.items()}
        frame = pd.DataFrame({name: data.get(name, pd.Series(None, index=raw.index, dtype=object))
                              for name in _COLUMNS})  # fmt: skip
        frame["sheet"] = sheet.name
        frame["source_row"] = np.arange(header_row + 2, header_row + 2 + len(rows))
        used = [name for name in _COLUMNS if name in data]
        empty = np.logical_and.reduce([_blank(frame[name], sheet.trimmed) for name in used])
        parts.append(frame[~empty])
    if not parts:
        return None
    table = pd.concat(parts, ignore_index=True)
    return table if len(table) else None


def clean_rows(sheets: list[Sheet], ctx: Context) -> pd.DataFrame | None:
    """The validated rows (as `validate_records` gives them) when every row is clean, else None."""
    t = _table(sheets)
    if t is None:
        return None
    if not all(_plain(t[name]) for name in _COLUMNS):
        return None  # a workbook's typed cells: row by row
    trimmed = all(sheet.trimmed for sheet in sheets)
    blank = {name: _blank(t[name], trimmed) for name in ("tu_so", "gia_tri", "ghi_chu")}
    if (blank["tu_so"] & blank["gia_tri"] & blank["ghi_chu"]).any():
        return None  # an unfilled template row, or a note without a figure: the row-by-row check says so

    current = periods.period_of(ctx.now.date())
    period = _by_value(t["ky_bao_cao"], lambda v: None if v is None else periods.parse_period(v))
    if period.isna().any() or (period > current).any():
        return None

    def unit_of(value):
        if value is None:
            return None
        found = ctx.matcher.candidates(str(value))
        if len(found) != 1:
            return None
        unit = ctx.by_code[found[0]]
        if not unit.active or (ctx.allowed is not None and unit.code not in ctx.allowed):
            return None
        return unit.code

    unit_code = _by_value(t["don_vi"], unit_of)
    code = _by_value(t["ma_chi_tieu"], lambda v: None if v is None else catalog.match_indicator(str(v)))
    if unit_code.isna().any() or code.isna().any():
        return None
    items = {c: catalog.indicator(c) for c in pd.unique(code)}
    levels = {u: ctx.by_code[u].level for u in pd.unique(unit_code)}
    if (unit_code.map(levels) != code.map({c: i.level for c, i in items.items()})).any():
        return None

    def number(value):
        if value is not None and value.isdigit() and value.isascii():  # most cells: a whole number
            return float(value)
        try:
            return parse_number(value)
        except NumberProblem:
            return _NOT_CLEAN

    amounts = {}
    for name in ("tu_so", "mau_so", "gia_tri"):
        parsed = _by_value(t[name], number, refuse=_NOT_CLEAN)
        if parsed is None:
            return None
        amounts[name] = parsed.astype(float)  # None -> NaN
    num, den, val = amounts["tu_so"].to_numpy(), amounts["mau_so"].to_numpy(), amounts["gia_tri"].to_numpy()
    ratio = code.map({c: i.is_ratio for c, i in items.items()}).to_numpy(bool)
    with np.errstate(invalid="ignore"):
        if (num < 0).any() or (den < 0).any() or (val < 0).any():
            return None
        whole = lambda a: np.isnan(a) | (a == np.floor(a))  # noqa: E731
        ratio_ok = ~np.isnan(num) & ~np.isnan(den) & whole(num) & whole(den) & (num <= den)
        count_ok = ~np.isnan(val) & whole(val)
        if not np.where(ratio, ratio_ok, count_ok).all():
            return None
        value = np.where(ratio, np.where(den > 0, 100 * num / np.where(den > 0, den, 1), np.nan), val)
    note = _by_value(t["ghi_chu"], lambda v: "" if v is None else nfc(unsafe_text(v)))
    out = pd.DataFrame({
        "period": period.astype(object), "unit_code": unit_code.astype(object), "indicator_code": code.astype(object),
        "numerator": np.where(ratio, num, np.nan), "denominator": np.where(ratio, den, np.nan), "value": value,
        "note": note.astype(object), "sheet": t["sheet"].astype(object), "source_row": t["source_row"].astype(int),
    })  # fmt: skip
    if out.duplicated(["period", "unit_code", "indicator_code"]).any():
        return None
    return out[ROW_COLUMNS].reset_index(drop=True)
