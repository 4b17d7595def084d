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

from typing import get_args

import numpy as np
import pandas as pd

from indicators.domain import catalog, periods
from indicators.domain.text import nfc, unsafe_text
from indicators.domain.units import UnitLevel
from indicators.ingest.layout import find_layout
from indicators.ingest.numbers import NumberProblem, parse_number
from indicators.ingest.read import Sheet
from indicators.ingest.validate import ROW_COLUMNS, Context

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


class _Distinct:
    """A column as its distinct values and, for each row, which one it holds (factorised once)."""

    def __init__(self, column: pd.Series):
        self.codes, values = pd.factorize(column, use_na_sentinel=False)
        # factorize turns None into NaN, the only value not equal to itself
        self.values = [None if value != value else value for value in values]

    def each(self, fn, dtype=object) -> np.ndarray:
        """`fn` of each distinct value, as an array (index it with `codes` for the rows)."""
        results = np.empty(len(self.values), dtype=dtype)
        results[:] = [fn(value) for value in self.values]
        return results

    def rows(self, results: np.ndarray) -> np.ndarray:
        return results[self.codes]

    def same(self, results: np.ndarray) -> np.ndarray:
        """For each row, a number that is equal for rows whose results are equal."""
        return pd.factorize(results)[0][self.codes]

    def categories(self, results: np.ndarray) -> pd.Categorical:
        """For each row its result, as `validate.KEY_TEXT` columns are kept (sorted categories)."""
        distinct = pd.Categorical(results)
        return pd.Categorical.from_codes(distinct.codes[self.codes], distinct.categories)


def _plain(column: _Distinct) -> bool:
    """Only text and empty cells (as every CSV): distinct values are then distinct keys. A
    workbook's cells may hold 1 and True, or 1 and 1.0, which a hash table takes for one value."""
    return all(v is None or isinstance(v, str) for v in column.values)


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
        if header_row + 1 >= len(sheet.rows):
            continue
        if sheet.frame is not None:  # a CSV file read column-wise: its cells are already clean
            raw = sheet.frame.iloc[header_row + 1:]
        else:
            raw = pd.DataFrame(sheet.rows[header_row + 1:], dtype=object)  # short rows are padded (with None or NaN)
            raw = raw.reindex(columns=range(max(max(columns) + 1, raw.shape[1])))
            raw = raw.where(raw.notna(), None)
        rows = len(raw)
        data = {name: raw[i] for i, name in columns.items()}
        frame = pd.DataFrame({name: data.get(name, pd.Series(None, index=raw.index, dtype=object))
                              for name in _COLUMNS})  # fmt: skip
        frame["sheet"] = sheet.name
        frame["source_row"] = np.arange(header_row + 2, header_row + 2 + rows)
        used = [name for name in _COLUMNS if name in data]
        empty = np.logical_and.reduce([_blank(frame[name], sheet.trimmed) for name in used])
        parts.append(frame[~empty])
    if not parts:
        return None
    table = pd.concat(parts, ignore_index=True)
    return table if len(table) else None


def clean_rows(sheets: list[Sheet], ctx: Context) -> pd.DataFrame | None:
    """The validated rows (as `validate_records` gives them) when every row is clean, else None.

    Each check runs once per distinct value of a column; only the results are spread to the rows."""
    t = _table(sheets)
    if t is None:
        return None
    cols = {name: _Distinct(t[name]) for name in _COLUMNS}
    if not all(_plain(cols[name]) for name in _COLUMNS):
        return None  # a workbook's typed cells: row by row
    blank = {name: cols[name].rows(cols[name].each(lambda v: v is None or not v.strip(), bool))
             for name in ("tu_so", "gia_tri", "ghi_chu")}  # fmt: skip
    if (blank["tu_so"] & blank["gia_tri"] & blank["ghi_chu"]).any():
        return None  # an unfilled template row, or a note without a figure: the row-by-row check says so

    current = periods.period_of(ctx.now.date())
    period = cols["ky_bao_cao"].each(lambda v: None if v is None else periods.parse_period(v))
    if any(p is None or p > current for p in period):
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

    units = cols["don_vi"].each(unit_of)
    codes = cols["ma_chi_tieu"].each(lambda v: None if v is None else catalog.match_indicator(str(v)))
    if any(u is None for u in units) or any(c is None for c in codes):
        return None
    items = [catalog.indicator(c) for c in codes]  # per distinct value, as everything below
    # each row's unit and indicator of one level, compared as small numbers, not a million strings
    level_number = {level: i for i, level in enumerate(get_args(UnitLevel))}
    unit_level = [level_number[ctx.by_code[u].level] for u in units]
    indicator_level = [level_number[i.level] for i in items]
    if (cols["don_vi"].rows(np.array(unit_level)) != cols["ma_chi_tieu"].rows(np.array(indicator_level))).any():
        return None

    def number(value):
        if value is not None and value.isdigit() and value.isascii():  # most cells: a whole number
            return float(value)
        try:
            result = parse_number(value)
        except NumberProblem:
            return _NOT_CLEAN
        return np.nan if result is None else result

    amounts = {}
    for name in ("tu_so", "mau_so", "gia_tri"):
        parsed = cols[name].each(number)
        if any(result is _NOT_CLEAN for result in parsed):
            return None
        amounts[name] = cols[name].rows(parsed.astype(float))
    num, den, val = amounts["tu_so"], amounts["mau_so"], amounts["gia_tri"]
    ratio = cols["ma_chi_tieu"].rows(np.array([i.is_ratio for i in items], dtype=bool))
    with np.errstate(invalid="ignore"):
        if (num < 0).any() or (den < 0).any() or (val < 0).any():
            return None
        whole = lambda a: np.isnan(a) | (a == np.floor(a))  # noqa: E731
        ratio_ok = ~np.isnan(num) & ~np.isnan(den) & whole(num) & whole(den) & (num <= den)
        count_ok = ~np.isnan(val) & whole(val)
        if not np.where(ratio, ratio_ok, count_ok).all():
            return None
        value = np.where(ratio, np.where(den > 0, 100 * num / np.where(den > 0, den, 1), np.nan), val)
    note = cols["ghi_chu"].each(lambda v: "" if v is None else nfc(unsafe_text(v)))
    key = np.zeros(len(t), dtype=np.int64)  # one number per (period, unit, indicator)
    for column, results in (("ky_bao_cao", period), ("don_vi", units), ("ma_chi_tieu", codes)):
        key = key * (len(cols[column].values) + 1) + cols[column].same(results)
    if pd.Index(key).has_duplicates:
        return None
    # the new arrays as they are (copying a million rows into pandas' blocks: 0,3 s)
    return pd.DataFrame({
        "period": cols["ky_bao_cao"].categories(period), "unit_code": cols["don_vi"].categories(units),
        "indicator_code": cols["ma_chi_tieu"].categories(codes), "numerator": np.where(ratio, num, np.nan),
        "denominator": np.where(ratio, den, np.nan), "value": value, "note": cols["ghi_chu"].categories(note),
        "sheet": t["sheet"].to_numpy(object, copy=True), "source_row": t["source_row"].to_numpy(int, copy=True),
    }, columns=ROW_COLUMNS, copy=False)  # fmt: skip
