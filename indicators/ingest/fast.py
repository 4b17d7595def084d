"""Column-wise check of long-layout files: the common case, and a city's files.

`validate_records` checks a file row by row and explains every problem. Most files have none, and
reading 9.000 rows one by one costs seconds, so a long-layout file is first checked here a column
at a time: the cell rules of `rules` run once per distinct value of a column (a file repeats a few
months, units and codes thousands of times) and the row rules (`rules.verdicts`) on whole columns,
the same rules the row check applies. A file with no error and nothing to warn about (a blank
template row, a repeated row) gives its rows here (`clean_rows`); any other gives None, and the row
check then runs on the whole file and explains what it finds. `check_columns` also finds, column-wise,
the cells the row check blames (`ColumnCheck.error_cells`): a property test checks that both checks
accept and refuse the same files, give the same rows and blame the same cells (tests/test_ingest_rules.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

import indicators.ingest.rules as rules
from indicators.ingest.columns import COLUMN_VI
from indicators.ingest.layout import find_layout, only_prefill, ref
from indicators.ingest.read import Sheet
from indicators.ingest.rules import Context
from indicators.ingest.validate import ROW_COLUMNS

_COLUMNS = ["ky_bao_cao", "don_vi", "ma_chi_tieu", "tu_so", "mau_so", "gia_tri", "ghi_chu"]


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

    def each_pair(self, fn) -> tuple[list, list]:
        """`fn` of each distinct value when it gives two results: two lists."""
        found = [fn(value) for value in self.values]
        return [a for a, _ in found], [b for _, b in found]

    def rows(self, results: np.ndarray) -> np.ndarray:
        return results[self.codes]

    def same(self, results: np.ndarray) -> np.ndarray:
        """For each row, a number that is equal for rows whose results are equal."""
        return pd.factorize(results)[0][self.codes]

    def categories(self, results: np.ndarray, rows=slice(None)) -> pd.Categorical:
        """For each of `rows` its result, as `validate.KEY_TEXT` columns are kept (sorted categories)."""
        distinct = pd.Categorical(results)
        return pd.Categorical.from_codes(distinct.codes[self.codes[rows]], distinct.categories)


def _text(values: list) -> np.ndarray:
    """Texts (or None) as an array of objects."""
    return np.array(values, dtype=object)


def _told(problems: list) -> np.ndarray:
    """Which of the distinct values has a problem (`rules.Problem`)."""
    return np.array([p is not None for p in problems], dtype=bool)


def _stops(problems: list) -> np.ndarray:
    """Which of the distinct values has a problem that stops its row's other checks."""
    return np.array([p is not None and p.blocks for p in problems], dtype=bool)


def _plain(column: _Distinct) -> bool:
    """Only text and empty cells (as every CSV): distinct values are then distinct keys. A
    workbook's cells may hold 1 and True, or 1 and 1.0, which a hash table takes for one value."""
    return all(v is None or isinstance(v, str) for v in column.values)


def _table(sheets: list[Sheet]) -> tuple[pd.DataFrame, dict[str, dict[str, str]]] | None:
    """The raw cells of every long-layout sheet, one column per field, and each sheet's columns as
    the user sees them ({field: "D (tu_so)"}); None if a sheet is wide or no sheet has rows."""
    parts, shown = [], {}
    for sheet in sheets:
        layout = find_layout(sheet)
        if layout is None:
            continue
        kind, header_row, columns = layout
        if kind != "long" or "ten_don_vi" in columns.values():  # a code checked by its name: row by row
            return None
        header = sheet.rows[header_row]
        shown[sheet.name] = {**COLUMN_VI, **{name: ref(i, header[i]) for i, name in columns.items()}}
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
    return (table, shown) if len(table) else None


@dataclass
class ColumnCheck:
    """What the rules say of a file's rows, column-wise: `errors` {field: the rows whose cell of
    that field the row check blames}, `skipped` unfilled template rows, `repeated` the later rows of
    a repeated key (`conflicting` those with other figures: an error), and `rows()` the valid rows
    as the row check gives them."""

    table: pd.DataFrame
    shown: dict[str, dict[str, str]]
    errors: dict[str, np.ndarray]
    skipped: np.ndarray
    repeated: np.ndarray
    conflicting: np.ndarray
    rows: Callable[[], pd.DataFrame]

    @property
    def clean(self) -> bool:
        """No error and nothing to warn about: the row check would say nothing."""
        return not (self.skipped.any() or self.repeated.any() or self.refused)

    @property
    def refused(self) -> bool:
        """An error in a cell, or no row filled in: the row check refuses the file."""
        return any(m.any() for m in (*self.errors.values(), self.conflicting)) or bool(self.skipped.all())

    def error_cells(self) -> set[tuple[str, int, str]]:
        """(sheet, row, column as the user sees it) of every cell the row check reports an error in."""
        sheet, row = self.table["sheet"].to_numpy(object), self.table["source_row"].to_numpy(int)
        cells = {(sheet[i], int(row[i]), self.shown[sheet[i]][name])
                 for name, found in self.errors.items() for i in np.flatnonzero(found)}  # fmt: skip
        # a repeated key is told in the indicator's column by its name (which rows: the message says)
        return cells | {(sheet[i], int(row[i]), COLUMN_VI["ma_chi_tieu"]) for i in np.flatnonzero(self.conflicting)}


def check_columns(sheets: list[Sheet], ctx: Context) -> ColumnCheck | None:
    """The rules applied column-wise; None when the file is not for this check (no long-layout
    rows, a wide sheet, or a workbook's typed cells)."""
    found = _table(sheets)
    if found is None:
        return None
    t, shown = found
    cols = {name: _Distinct(t[name]) for name in _COLUMNS}
    if not all(_plain(cols[name]) for name in _COLUMNS):
        return None  # a workbook's typed cells: row by row
    by_period, by_unit, by_item = (cols[name].rows for name in ("ky_bao_cao", "don_vi", "ma_chi_tieu"))

    # cell rules, once per distinct value: values, and whether a problem is told, and whether it stops the row
    period, period_problem = cols["ky_bao_cao"].each_pair(lambda v: rules.period_cell(v, ctx))
    unit, unit_problem = cols["don_vi"].each_pair(lambda v: rules.unit_cell(v, ctx))
    item, item_problem = cols["ma_chi_tieu"].each_pair(rules.indicator_cell)
    amounts, amount_problem, blank = {}, {}, {}
    for name in rules.AMOUNTS:
        values = cols[name].values
        parsed = [rules.amount_cell(value) for value in values]
        number = np.fromiter((number for number, _ in parsed), float, len(parsed))
        amounts[name] = cols[name].rows(number)
        amount_problem[name] = cols[name].rows(np.fromiter((kind is not None for _, kind in parsed), bool, len(parsed)))
        empty = np.zeros(len(values), dtype=bool)  # a blank cell reads as no number (NaN): only those are asked
        empty[np.isnan(number)] = [rules.blank(values[i]) for i in np.flatnonzero(np.isnan(number))]
        blank[name] = cols[name].rows(empty)
    blank["ghi_chu"] = cols["ghi_chu"].rows(cols["ghi_chu"].each(rules.blank, bool))
    skipped = _unfilled(cols, blank, item)

    # row rules, on whole columns
    level = rules.LEVEL_NUMBER
    parsed = rules.Rows(
        num=amounts["tu_so"], den=amounts["mau_so"], val=amounts["gia_tri"],
        ratio=by_item(np.array([i is not None and i.is_ratio for i in item], dtype=bool)),
        unit_level=by_unit(np.array([-1 if u is None else level[u.level] for u in unit], dtype=int)),
        indicator_level=by_item(np.array([-1 if i is None else level[i.level] for i in item], dtype=int)),
    )  # fmt: skip
    blocked = (skipped | by_period(_stops(period_problem)) | by_unit(_stops(unit_problem))
               | by_item(_stops(item_problem)) | np.logical_or.reduce(list(amount_problem.values())))  # fmt: skip
    verdicts = rules.verdicts(parsed, blocked)
    errors = {"ky_bao_cao": by_period(_told(period_problem)), "don_vi": by_unit(_told(unit_problem)) | verdicts.level,
              "ma_chi_tieu": by_item(_told(item_problem)), **amount_problem}  # fmt: skip
    for i, rule in enumerate(rules.FIGURES):
        errors[rule.column] = errors[rule.column] | (verdicts.figure == i)
    errors = {name: found & ~skipped for name, found in errors.items()}

    # the file's rule: one row per (period, unit, indicator)
    kept = slice(None) if verdicts.kept.all() else np.flatnonzero(verdicts.kept)  # the clean case: no copies
    numerator, denominator, value = (a[kept] for a in rules.figures(parsed))
    period = _text(period)
    unit_code, code = (_text([None if v is None else v.code for v in values]) for values in (unit, item))
    key = np.zeros(len(t), dtype=np.int64)  # one number per (period, unit, indicator)
    for column, results in (("ky_bao_cao", period), ("don_vi", unit_code), ("ma_chi_tieu", code)):
        key = key * (len(cols[column].values) + 1) + cols[column].same(results)
    repeated, conflicting = np.zeros(len(t), dtype=bool), np.zeros(len(t), dtype=bool)
    twice = rules.duplicates(key[kept], numerator, denominator, value)
    if twice is not None:
        at = np.arange(len(t))[kept]
        repeated[at[twice.later]] = True
        conflicting[at[twice.later & twice.conflict]] = True

    def rows() -> pd.DataFrame:
        # the new arrays as they are (copying a million rows into pandas' blocks: 0,3 s)
        note = cols["ghi_chu"].each(rules.note_cell)
        return pd.DataFrame({
            "period": cols["ky_bao_cao"].categories(period, kept),
            "unit_code": cols["don_vi"].categories(unit_code, kept),
            "indicator_code": cols["ma_chi_tieu"].categories(code, kept),
            "numerator": numerator, "denominator": denominator, "value": value,
            "note": cols["ghi_chu"].categories(note, kept),
            "sheet": t["sheet"].to_numpy(object, copy=True)[kept], "source_row": t["source_row"].to_numpy(int)[kept],
        }, columns=ROW_COLUMNS, copy=False)  # fmt: skip

    return ColumnCheck(table=t, shown=shown, errors=errors, skipped=skipped, repeated=repeated,
                       conflicting=conflicting, rows=rows)  # fmt: skip


def _unfilled(cols: dict[str, _Distinct], blank: dict[str, np.ndarray], item: np.ndarray) -> np.ndarray:
    """The rows `rules.unfilled` skips. Whether a yes/no indicator's denominator is only the
    template's is asked once per distinct (indicator, denominator) of rows without other figures."""
    maybe = np.flatnonzero(blank["tu_so"] & ~blank["mau_so"] & blank["gia_tri"] & blank["ghi_chu"])
    prefill_only = np.zeros(len(blank["tu_so"]), dtype=bool)
    if len(maybe):
        pairs = np.stack([cols["ma_chi_tieu"].codes[maybe], cols["mau_so"].codes[maybe]], axis=1)
        distinct, at = np.unique(pairs, axis=0, return_inverse=True)
        answer = np.array([item[i] is not None and only_prefill(item[i].code, {"tu_so": None, "mau_so": cols["mau_so"].values[d]})
                           for i, d in distinct], dtype=bool)  # fmt: skip
        prefill_only[maybe] = answer[at.ravel()]
    return rules.unfilled(blank["tu_so"], blank["mau_so"], blank["gia_tri"], blank["ghi_chu"], prefill_only)


def clean_rows(sheets: list[Sheet], ctx: Context) -> pd.DataFrame | None:
    """The validated rows (as `validate_records` gives them) when the file has no error and
    nothing to warn about, else None (the row check then explains)."""
    checked = check_columns(sheets, ctx)
    return checked.rows() if checked is not None and checked.clean else None
