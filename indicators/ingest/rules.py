"""Every rule of an import, stated once; the row-by-row check and the column-wise check apply them.

- Cell rules read one raw cell (a month, a unit, an indicator, a figure, a note) and give its value
  or the `Problem` it has. The row check calls them for each row; the column check for each
  distinct value of a column (a file repeats a few months, units and codes thousands of times).
- Row rules (`Rule`) relate the fields of a row: the level of the unit and of the indicator, and
  the figures an indicator of its kind needs. Each is a numpy predicate over columns of parsed rows
  (`Rows`) with the column it blames and its Vietnamese message; `verdicts` applies them in their
  order to many rows at once, the same call in both checks.
- A file-wide rule: rows repeating one (period, unit, indicator) (`duplicates`), and which rows
  are an unfilled template row (`unfilled`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, get_args

import numpy as np
import pandas as pd

from indicators.domain import catalog, format, periods
from indicators.domain.catalog import LEVEL_VI, Indicator
from indicators.domain.settings import Settings
from indicators.domain.text import nfc, unsafe_text
from indicators.domain.units import OrgUnit, UnitLevel, UnitMatcher
from indicators.ingest.numbers import NumberProblem, parse_number

AMOUNTS = ("tu_so", "mau_so", "gia_tri")


@dataclass
class Context:
    """What the rules check a file against."""

    units: list[OrgUnit]
    settings: Settings
    now: datetime
    allowed: set[str] | None = None  # the units the importing account may write for (None: all)
    actor_label: str = ""
    matcher: UnitMatcher | None = None  # built from `units` unless given

    def __post_init__(self) -> None:
        self.matcher = self.matcher or UnitMatcher(self.units)
        self.by_code = self.matcher.units

    @property
    def current_period(self) -> str:
        """The month of `now`: a later one is still to come."""
        return periods.period_of(self.now.date())


# --- cells -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """What is wrong with a cell: the column blamed, whether the row is checked any further
    (`blocks`), and the message, written only when the row check reports it."""

    column: str
    blocks: bool
    say: Callable[[], str]


def _suggest(names: list[str]) -> str:
    return f" Có phải: {'; '.join(names)}?" if names else ""


def blank(value: object) -> bool:
    """An empty cell: nothing, or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def period_cell(raw: object, ctx: Context) -> tuple[str | None, Problem | None]:
    """The month "YYYY-MM" of a cell; a month to come is refused."""
    if raw is None:
        return None, Problem("ky_bao_cao", True, lambda: "Thiếu kỳ báo cáo (ví dụ 2026-03 hoặc 3/2026).")
    period = periods.parse_period(raw)
    if period is None:
        return None, Problem(
            "ky_bao_cao", True,
            lambda: f"Kỳ báo cáo “{raw}” không hợp lệ: viết dạng 2026-03, 3/2026 hoặc Tháng 3/2026.",
        )  # fmt: skip
    if period > ctx.current_period:
        return period, Problem(
            "ky_bao_cao", True,
            lambda: f"Kỳ báo cáo {format.month(period)} chưa tới (hôm nay là {format.day(ctx.now)}).",
        )  # fmt: skip
    return period, None


def unit_cell(raw: object, ctx: Context) -> tuple[OrgUnit | None, Problem | None]:
    """The unit a cell names (code or name). A unit that no longer exists is an error that does not
    stop the row's other checks; a unit outside the account's assignment is one that does."""
    if raw is None:
        return None, Problem("don_vi", True, lambda: "Thiếu tên hoặc mã đơn vị (thôn).")
    found = ctx.matcher.candidates(str(raw))
    if not found:

        def unknown() -> str:
            names = [ctx.by_code[c].label for c in ctx.matcher.suggestions(str(raw))]
            return f"Không có đơn vị “{raw}” trong danh mục.{_suggest(names)}"

        return None, Problem("don_vi", True, unknown)
    if len(found) > 1:
        labels = ", ".join(f"{ctx.by_code[c].label} (mã {c})" for c in found)
        return None, Problem("don_vi", True, lambda: f"Tên “{raw}” trùng nhiều đơn vị: {labels}. Hãy ghi mã.")
    unit = ctx.by_code[found[0]]
    if not unit.active:
        return unit, Problem(
            "don_vi", False, lambda: f"{unit.label} đã ngừng hoạt động (sáp nhập hoặc chia tách)."
        )
    if ctx.allowed is not None and unit.code not in ctx.allowed:

        def not_assigned() -> str:
            own = [ctx.by_code[c].label for c in sorted(ctx.allowed) if c in ctx.by_code]
            said = f"Tài khoản “{ctx.actor_label}” không được giao nhập số liệu cho {unit.label}"
            if len(own) == 1:
                return f"{said}, chỉ cho {own[0]}: hãy nhập vào dòng của {own[0]}."
            if own:
                return f"{said}; tài khoản được giao: {', '.join(own[:5])}{'…' if len(own) > 5 else ''}."
            return f"{said}."

        return unit, Problem("don_vi", True, not_assigned)
    return unit, None


def unit_cells(code: object, name: object, ctx: Context) -> tuple[OrgUnit | None, Problem | None]:
    """The unit of a row that has a code column and a name column (the Excel template, a table with
    "Mã thôn" and "Tên thôn"): the code, checked against the name; the name alone when the code is
    empty. A name that does not mean the coded unit refuses the row: a sort in Excel that left one
    column behind would otherwise file every figure under the wrong hamlet."""
    if blank(code):
        if blank(name):
            return unit_cell(None, ctx)
        unit, problem = unit_cell(name, ctx)
        return unit, problem if problem is None else Problem("ten_don_vi", problem.blocks, problem.say)
    unit, problem = unit_cell(code, ctx)
    if unit is None or blank(name) or unit.code in ctx.matcher.candidates(str(name)):
        return unit, problem
    return unit, Problem(
        "don_vi", True,
        lambda: f"Mã {str(code).strip()} là {unit.label} nhưng cột tên ghi {str(name).strip()}. "
        "Sửa cho khớp (khi sắp xếp trong Excel, chọn cả cột mã và cột tên).",
    )  # fmt: skip


def indicator_cell(raw: object) -> tuple[Indicator | None, Problem | None]:
    """The indicator a cell names (code or name)."""
    if raw is None:
        return None, Problem("ma_chi_tieu", True, lambda: "Thiếu mã chỉ tiêu.")
    code = catalog.match_indicator(str(raw))
    if code is None:

        def unknown() -> str:
            names = [catalog.indicator(code).label for code in catalog.indicator_suggestions(str(raw))]
            return f"Không có chỉ tiêu “{raw}”.{_suggest(names)}"

        return None, Problem("ma_chi_tieu", True, unknown)
    return catalog.indicator(code), None


def amount_cell(raw: object) -> tuple[float, str | None]:
    """(the number in a figure's cell, NaN when empty; why it is no number: None, "percent" or
    "text"). A percentage typed for a ratio is explained as such (`amount_problem`)."""
    if isinstance(raw, str) and raw.isdigit() and raw.isascii() and len(raw) < 300:  # most cells
        return float(raw), None
    try:
        number = parse_number(raw)
    except NumberProblem as problem:
        return np.nan, problem.kind
    return (np.nan if number is None else number), None


def amount_problem(raw: object, column: str, kind: str, item: Indicator | None) -> Problem:
    """The problem of a figure's cell that is no number (`amount_cell`), naming its indicator."""
    named = "" if item is None else f"{item.label}: "
    if kind == "percent" and (item is None or item.is_ratio):
        return Problem(
            column, True,
            lambda: f"{named}“{raw}” là tỷ lệ phần trăm. Chỉ tiêu tỷ lệ cần tử số và mẫu số "
                    "(số đếm được), ứng dụng tự tính tỷ lệ.",
        )  # fmt: skip
    return Problem(column, True, lambda: f"{named}“{raw}” không phải là số.")


def note_cell(raw: object) -> str:
    """The note as stored: NFC, trimmed, without the quote our export puts before a formula."""
    return "" if raw is None else nfc(unsafe_text(raw))


def unfilled(numerator_blank, denominator_blank, value_blank, note_blank, prefill_only):
    """Template rows not filled in (skipped, with a warning): no figure and no note, a yes/no
    indicator's prefilled denominator alone (`layout.only_prefill`) being no answer. Booleans or
    arrays."""
    return numerator_blank & value_blank & note_blank & (denominator_blank | prefill_only)


# --- rows --------------------------------------------------------------------------------------

LEVEL_NUMBER = {level: i for i, level in enumerate(get_args(UnitLevel))}


@dataclass
class Rows:
    """Parsed rows column-wise: figures as floats (NaN when empty), whether the indicator is a
    ratio, and the levels of the unit and the indicator (`LEVEL_NUMBER`; -1 when unknown)."""

    num: np.ndarray
    den: np.ndarray
    val: np.ndarray
    ratio: np.ndarray
    unit_level: np.ndarray
    indicator_level: np.ndarray


class One(NamedTuple):
    """One row's values, for a message: figures None when empty (the unit and the indicator are
    known when a row rule fails)."""

    unit: OrgUnit | None
    item: Indicator | None
    num: float | None
    den: float | None
    val: float | None


@dataclass(frozen=True)
class Rule:
    """A rule relating a row's fields: `fails(rows)` gives, column-wise, the rows that break it;
    `column` is the cell blamed and `message(one)` the Vietnamese explanation, which names the
    indicator first (a wide sheet has one per column: the cell alone does not say which)."""

    name: str
    column: str
    fails: Callable[[Rows], np.ndarray]
    says: Callable[[One], str]
    named: bool = True  # the message starts with the indicator's name

    def message(self, one: One) -> str:
        text = self.says(one)
        return f"{one.item.label}: {text}" if self.named and one.item is not None else text


def _empty(a: np.ndarray) -> np.ndarray:
    return np.isnan(a)


def _fraction(a: np.ndarray) -> np.ndarray:
    """A figure that is given and not a whole number."""
    return ~np.isnan(a) & ~(np.isfinite(a) & (a == np.floor(a)))


def _negative(column: str, field: str) -> Rule:
    return Rule(f"negative_{column}", column, lambda r: getattr(r, field) < 0,
                lambda o: f"Số âm ({format.number(getattr(o, field), 1)}) không hợp lệ.")  # fmt: skip


def _fractional_part(column: str, field: str) -> Rule:
    return Rule(
        f"fractional_{column}", column, lambda r: r.ratio & _fraction(getattr(r, field)),
        lambda o: f"Phải là số nguyên (đếm người, hộ, hồ sơ…), không phải {format.number(getattr(o, field), 2)}.",
    )  # fmt: skip


_RATIO_NEEDS_BOTH = "Chỉ tiêu tỷ lệ cần cả tử số và mẫu số; ô này đang trống."

# The unit reports at the indicator's level (a hamlet does not report a commune's indicator).
LEVEL = Rule(
    "level", "don_vi", lambda r: r.unit_level != r.indicator_level,
    lambda o: f"Chỉ tiêu {o.item.label} do cấp {LEVEL_VI[o.item.level].lower()} báo cáo, không phải {o.unit.label}.",
    named=False,
)  # fmt: skip

# The figures of a row, in the order they are checked: a row is explained by the first that fails.
FIGURES: tuple[Rule, ...] = (
    Rule(
        "ratio_as_value",
        "gia_tri",
        lambda r: r.ratio & _empty(r.num) & _empty(r.den) & ~_empty(r.val),
        lambda o: (
            f"đây là chỉ tiêu tỷ lệ: cần nhập tử số ({o.item.numerator_vi}) và mẫu số "
            f"({o.item.denominator_vi}), không nhập giá trị hay tỷ lệ %."
        ),
    ),
    _negative("tu_so", "num"),
    _negative("mau_so", "den"),
    _negative("gia_tri", "val"),
    _fractional_part("tu_so", "num"),
    _fractional_part("mau_so", "den"),
    Rule("ratio_without_numerator", "tu_so", lambda r: r.ratio & _empty(r.num), lambda o: _RATIO_NEEDS_BOTH),
    Rule(
        "ratio_without_denominator", "mau_so", lambda r: r.ratio & _empty(r.den), lambda o: _RATIO_NEEDS_BOTH
    ),
    Rule(
        "zero_denominator",
        "mau_so",
        lambda r: r.ratio & (r.den == 0) & (r.num > 0),
        lambda o: "Mẫu số bằng 0 trong khi tử số lớn hơn 0.",
    ),
    Rule(
        "numerator_over_denominator",
        "tu_so",
        lambda r: r.ratio & (r.num > r.den),
        lambda o: f"Tử số ({format.number(o.num)}) lớn hơn mẫu số ({format.number(o.den)}).",
    ),
    Rule(
        "count_without_value",
        "gia_tri",
        lambda r: ~r.ratio & _empty(r.val),
        lambda o: "Chỉ tiêu số lượng cần giá trị; ô này đang trống.",
    ),
    Rule(
        "fractional_count",
        "gia_tri",
        lambda r: ~r.ratio & _fraction(r.val),
        lambda o: f"Phải là số nguyên, không phải {format.number(o.val, 2)}.",
    ),
)


@dataclass
class Verdicts:
    """What the row rules say of each row: `level` its unit is not of its indicator's level;
    `figure` the first of FIGURES it breaks (-1: none, or not checked); `kept` it is a valid row."""

    level: np.ndarray
    figure: np.ndarray
    kept: np.ndarray


def verdicts(rows: Rows, blocked: np.ndarray) -> Verdicts:
    """The row rules applied to many rows at once. The level is checked where the unit and the
    indicator are known; the figures of rows that nothing else stopped (`blocked`: a cell problem
    that blocks)."""
    with np.errstate(invalid="ignore"):
        level = (rows.unit_level >= 0) & (rows.indicator_level >= 0) & LEVEL.fails(rows)
        pending = ~blocked & ~level
        figure = np.full(len(pending), -1)
        for i, rule in enumerate(FIGURES):
            hit = pending & rule.fails(rows)
            figure[hit] = i
            pending &= ~hit
    return Verdicts(level=level, figure=figure, kept=pending)


def figures(rows: Rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (numerator, denominator, value) stored for valid rows: a ratio's value is its
    percentage (none when the denominator is 0); a count keeps only its value."""
    with np.errstate(invalid="ignore", divide="ignore"):
        percent = np.where(rows.den > 0, 100 * rows.num / np.where(rows.den > 0, rows.den, 1), np.nan)
    return (np.where(rows.ratio, rows.num, np.nan), np.where(rows.ratio, rows.den, np.nan),
            np.where(rows.ratio, percent, rows.val))  # fmt: skip


# --- the file ----------------------------------------------------------------------------------


@dataclass
class Duplicates:
    """Valid rows sharing one (period, unit, indicator): `group` numbers each such set (-1: a row
    of its own), `later` marks all but its first row, `conflict` rows of a set whose figures differ
    (an error; identical repeats are kept once, with a warning)."""

    group: np.ndarray
    later: np.ndarray
    conflict: np.ndarray


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Equal figures (to 1e-9), or both empty."""
    with np.errstate(invalid="ignore"):
        return (np.isnan(a) & np.isnan(b)) | (np.abs(a - b) < 1e-9)


def duplicates(key: np.ndarray, num: np.ndarray, den: np.ndarray, val: np.ndarray) -> Duplicates | None:
    """The repeated keys among valid rows (`key`: one integer per (period, unit, indicator)) and
    their stored figures (`figures`); None when every key is once."""
    group, keys = pd.factorize(key)  # numbered in order of first appearance
    if len(keys) == len(key):
        return None
    at = np.unique(group, return_index=True)[1][group]  # the first row of each row's key
    differs = ~(_same(num, num[at]) & _same(den, den[at]) & _same(val, val[at]))
    repeated = np.bincount(group, minlength=len(keys)) > 1
    conflicting = np.bincount(group, weights=differs, minlength=len(keys)) > 0
    shared = repeated[group]
    return Duplicates(group=np.where(shared, group, -1), later=np.arange(len(key)) != at,
                      conflict=shared & conflicting[group])  # fmt: skip
