"""The row-by-row check and the column-wise check apply the same rules (`indicators.ingest.rules`):
on any long-layout file, clean or dirty, they agree.

Files are written over the Bình Giang units with dirty cells mixed in: months that are not months
or not yet, unknown units, indicators unknown or of the other level, figures that are no numbers,
negative, fractional counts, a numerator over its denominator, missing parts, repeated rows (the
same figures or others), unfilled template rows, rows for units the account may not write for or
that no longer exist. For each file:

- (a) both accept or both refuse it; the column check gives rows exactly when the row check has
  nothing to say (no error, no warning);
- (b) on a file the column check accepts, its rows are the row check's;
- (c) the cells the column check blames, (sheet, row, column), are the cells of the row check's
  errors;
- and the import (`import_file`) decides as the row check did and stores the same figures.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from indicators.domain import catalog
from indicators.domain.settings import Settings
from indicators.domain.units import OrgUnit
from indicators.ingest import rules
from indicators.ingest.fast import check_columns, clean_rows
from indicators.ingest.layout import sheet_records
from indicators.ingest.read import read_tables
from indicators.ingest.validate import Context, validate_records
from tests.conftest import APRIL_10, HAMLET_NAMES, long_csv

PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

LEVEL_CODES = {level: [i.code for i in catalog.indicators_at_level(level)] for level in ("hamlet", "commune")}
KIND = {i.code: i for i in catalog.indicators()}

# how a unit is written: its code, its name, or its label; and units that do not exist
UNIT_CELLS = [
    *(("hamlet", text) for code, name in HAMLET_NAMES.items() for text in (code, name, f"Thôn {name}")),
    ("commune", "10966"), ("commune", "Bình Giang"), ("commune", "Xã Bình Giang"),
]  # fmt: skip
UNKNOWN_UNITS = ["BG99", "Thôn Không Có", "Bá"]
PERIODS = ["2026-03", "3/2026", "Tháng 2/2026", "2026-04", "2025-12"]
BAD_PERIODS = ["2026-13", "2026-05", "2027-01", "tháng ba", "32/2026"]  # no month, or not yet
BAD_CODES = ["KHONG_CO", "VNEID"]
NO_NUMBERS = ["abc", "12%", "9" * 400, "1e5", " - ", ""]  # not numbers, a percentage, nothing
NOTES = ["", "", "Đã rà soát", "=1+1", "'=SUM(A1)", "Gồm 2 hợp tác xã"]


def _clean(draw, n: int) -> str:
    """A whole number as offices write it: plain, or with a thousands dot."""
    return f"{n:,}".replace(",", ".") if draw(st.booleans()) else str(n)


# what may go wrong in a row: (what, how)
MISTAKES = [
    ("period", BAD_PERIODS), ("unit", UNKNOWN_UNITS), ("code", BAD_CODES), ("level", [None]),
    ("missing", [0, 1, 2]),  # no month, unit or indicator
    *[("text", NO_NUMBERS), ("negative", ["-3", "−2"]), ("fraction", ["2,5", "7.5"])] * 2,  # in a figure's cell
    *[("over", [1, 50]),  # a numerator over its denominator
      ("zero", ["0"]),  # a denominator 0 under a numerator
      ("as_value", [("", "", "72"), ("", "", "72,5%")]),  # a ratio typed as a value or a percentage
      ("parts", [("", "40", ""), ("5", "", ""), ("3", "0", ""), ("3", "4", "5"), ("3", "", ""), ("", "", "")])] * 2,
    ("blank", [None]),  # a template row left as it was
]  # fmt: skip


@st.composite
def a_row(draw, careful: bool = False) -> list[str]:
    """One row of a long-layout file: clean, or with a mistake or two (never when `careful`)."""
    count = 0 if careful else draw(st.sampled_from([0, 1, 1, 1, 2]))
    picked = draw(
        st.lists(st.sampled_from(MISTAKES), min_size=count, max_size=count, unique_by=lambda m: m[0])
    )
    mistakes = {what: draw(st.sampled_from(how)) for what, how in picked}
    level, unit = draw(st.sampled_from(UNIT_CELLS))
    other = {"hamlet": "commune", "commune": "hamlet"}[level]
    code = draw(st.sampled_from(LEVEL_CODES[other if "level" in mistakes else level]))
    item = KIND[code]
    numerator = denominator = value = ""
    if item.is_yes_no and draw(st.booleans()):  # the template's prefilled 1, answered
        numerator, denominator = draw(st.sampled_from(["0", "1"])), "1"
    elif item.is_ratio:
        top = draw(st.integers(0, 3000))
        part = top + mistakes["over"] if "over" in mistakes else draw(st.integers(0, top))
        numerator, denominator = _clean(draw, part), _clean(draw, top)
        if "zero" in mistakes:
            numerator, denominator = _clean(draw, draw(st.integers(1, 50))), mistakes["zero"]
    else:
        value = _clean(draw, draw(st.integers(0, 5000)))
    numerator, denominator, value = mistakes.get(
        "as_value", mistakes.get("parts", (numerator, denominator, value))
    )
    if "blank" in mistakes:
        numerator = value = ""
        denominator = "1" if item.is_yes_no and draw(st.booleans()) else ""
    period = mistakes.get("period", draw(st.sampled_from(PERIODS)))
    row = [period, mistakes.get("unit", unit), mistakes.get("code", code), numerator, denominator, value,
           draw(st.sampled_from(NOTES))]  # fmt: skip
    if "missing" in mistakes:
        row[mistakes["missing"]] = ""
    for what in ("text", "negative", "fraction"):
        if what in mistakes:  # mostly in a cell the indicator needs
            column = draw(st.sampled_from([5, 5, 3] if what != "text" and not item.is_ratio else [3, 4, 5]))
            row[column] = mistakes[what]
    return row


@st.composite
def a_file(draw) -> tuple[list[list[str]], str]:
    """Rows, some of them repeated (the same figures, or others), and the delimiter. A file in
    three is written with care (no mistakes but, maybe, its repeated rows)."""
    careful = draw(st.sampled_from([False, False, True]))
    rows = draw(st.lists(a_row(careful), min_size=2, max_size=20))
    if draw(st.integers(0, 19)) == 19:  # nothing filled in at all
        rows = [[*row[:3], "", "", "", ""] for row in rows]
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 1] if careful else [0, 0, 1, 2]))):
        again = list(draw(st.sampled_from(rows)))
        if draw(st.booleans()):  # another figure (or one where there was none)
            column = draw(st.sampled_from([3, 4, 5]))
            again[column] = again[column] + "1" if again[column] else "1"
        rows.insert(draw(st.integers(0, len(rows))), again)
    return rows, draw(st.sampled_from([",", ";", "\t"]))


@st.composite
def a_context(draw, units: list[OrgUnit]) -> Context:
    """The Bình Giang units, maybe one of them closed, maybe a second hamlet named Cậy, for an
    account that may write for all units or only some."""
    closed = draw(st.sampled_from([None, None, "BG07", "10966"]))
    units = [u.model_copy(update={"active": False}) if u.code == closed else u for u in units]
    if draw(st.integers(0, 3)) == 0:
        units.append(OrgUnit(code="BG08", name="Cậy", parent="10966"))
    allowed = draw(
        st.sampled_from([None, None, {"BG01", "BG02", "BG03"}, {u.code for u in units} - {"10966"}])
    )
    return Context(units=units, settings=Settings(), now=APRIL_10, allowed=allowed, actor_label="cán bộ thôn")


def assert_same_rows(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    """Equal, an empty figure being NaN in one and None in the other (both are NULL when stored)."""
    numbers = {c: float for c in ("numerator", "denominator", "value")}
    pd.testing.assert_frame_equal(fast.astype(numbers), slow.astype(numbers), check_dtype=False)


def both_checks(data: bytes, ctx: Context):
    sheets = read_tables("tep.csv", data)
    records = [r for sheet in sheets for r in (sheet_records(sheet) or [])]
    rows, issues = validate_records(records, ctx)
    return check_columns(sheets, ctx), clean_rows(sheets, ctx), rows, issues


def error_cells(issues) -> set[tuple[str, int, str]]:
    return {(i.sheet, i.row, i.column) for i in issues if i.severity == "error" and i.row is not None}


@PROPERTY
@given(file=a_file(), data=st.data())
def test_both_checks_agree_on_any_file(units, file, data):
    rows, sep = file
    ctx = data.draw(a_context(units))
    checked, fast, slow, issues = both_checks(long_csv(rows, delimiter=sep).encode("utf-8"), ctx)
    assert checked is not None  # a long-layout text file is always for the column check
    refused = any(i.severity == "error" for i in issues)
    # (a) accepted or refused alike, and the column check's rows exactly when the row check says nothing
    assert checked.refused == refused, [i.text() for i in issues]
    assert (fast is not None) == (not issues), [i.text() for i in issues]
    # (b) the same rows
    if fast is not None:
        assert_same_rows(fast, slow)
    # (c) the same cells blamed
    assert checked.error_cells() == error_cells(issues), [i.text() for i in issues]


@pytest.fixture(scope="module")
def import_store(make_store):
    store = make_store()
    yield store
    store.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(file=a_file())
def test_the_import_decides_as_both_checks(import_store, run_import, units, file):
    """Through `import_file` (an administrator: every unit, none closed): refused with the row
    check's errors, or its rows compared with the store."""
    rows, sep = file
    data = long_csv(rows, delimiter=sep).encode("utf-8")
    ctx = Context(units=units, settings=Settings(), now=APRIL_10)
    checked, _, slow, issues = both_checks(data, ctx)
    report = run_import(import_store, "tep.csv", data, dry_run=True)
    errors = [i for i in issues if i.severity == "error"]
    assert report.status == ("rejected" if errors else "dry_run")
    assert error_cells(report.errors) == error_cells(errors) == checked.error_cells()
    if not errors:  # categories may differ (values of dropped repeats): compared as text
        text = dict.fromkeys(["period", "unit_code", "indicator_code", "note"], "object")
        assert_same_rows(report.rows[slow.columns].astype(text).reset_index(drop=True), slow.astype(text))


def test_a_number_too_long_for_a_float_is_no_number():
    """309 digits are beyond a float: refused as no number by both checks (the row check used to
    fail on it, and the column check to store infinity)."""
    rows = [["2026-03", "BG01", "TT_TIN_BAI", "", "", "9" * 400, ""]]
    ctx = Context(units=[OrgUnit(code="BG01", name="Cậy")], settings=Settings(), now=datetime(2026, 4, 10))
    checked, fast, _, issues = both_checks(long_csv(rows).encode("utf-8"), ctx)
    assert fast is None and checked.refused
    assert [i.message for i in issues] == [f"{catalog.indicator('TT_TIN_BAI').label}: “{'9' * 400}” không phải là số."]


# what the row check says for each rule, and the column it blames ("" when it names none)
MARKERS = {
    "period_missing": ("Thiếu kỳ báo cáo", "ky_bao_cao"),
    "period_invalid": ("không hợp lệ: viết dạng", "ky_bao_cao"),
    "period_to_come": ("chưa tới", "ky_bao_cao"),
    "unit_missing": ("Thiếu tên hoặc mã đơn vị", "don_vi"),
    "unit_unknown": ("trong danh mục", "don_vi"),
    "unit_ambiguous": ("trùng nhiều đơn vị", "don_vi"),
    "unit_closed": ("đã ngừng hoạt động", "don_vi"),
    "unit_not_allowed": ("không được giao", "don_vi"),
    "indicator_missing": ("Thiếu mã chỉ tiêu", "ma_chi_tieu"),
    "indicator_unknown": ("Không có chỉ tiêu", "ma_chi_tieu"),
    "no_number": ("không phải là số", ""),
    "percent": ("là tỷ lệ phần trăm", ""),
    "level": ("báo cáo, không phải", "don_vi"),
    "ratio_as_value": ("là chỉ tiêu tỷ lệ: cần nhập", "gia_tri"),
    "negative_tu_so": ("Số âm", "tu_so"),
    "negative_mau_so": ("Số âm", "mau_so"),
    "negative_gia_tri": ("Số âm", "gia_tri"),
    "fractional_tu_so": ("Phải là số nguyên (đếm", "tu_so"),
    "fractional_mau_so": ("Phải là số nguyên (đếm", "mau_so"),
    "ratio_without_numerator": ("cần cả tử số và mẫu số", "tu_so"),
    "ratio_without_denominator": ("cần cả tử số và mẫu số", "mau_so"),
    "zero_denominator": ("Mẫu số bằng 0", "mau_so"),
    "numerator_over_denominator": ("lớn hơn mẫu số", "tu_so"),
    "count_without_value": ("Chỉ tiêu số lượng cần giá trị", "gia_tri"),
    "fractional_count": ("Phải là số nguyên, không phải", "gia_tri"),
    "conflicting_repeat": ("xuất hiện nhiều lần", "Mã chỉ tiêu"),
    "identical_repeat": ("Dòng trùng lặp", ""),
    "unfilled_rows": ("không có số liệu nên được bỏ qua", ""),
    "nothing_filled": ("Tệp chưa có số liệu nào", ""),
}


def test_every_row_rule_has_a_marker():
    assert {rule.name for rule in rules.FIGURES} | {rules.LEVEL.name} <= set(MARKERS)


def test_the_generated_files_meet_every_rule(units):
    """The files generated above reach each rule (else the property says nothing of it): most
    within a fixed series of files, any other within a search of its own."""
    examples = st.tuples(a_file(), a_context(units))

    def said(example) -> set[str]:  # by the row check
        (rows, sep), context = example
        sheets = read_tables("tep.csv", long_csv(rows, delimiter=sep).encode("utf-8"))
        _, issues = validate_records([r for sheet in sheets for r in (sheet_records(sheet) or [])], context)
        return {rule for rule, (text, column) in MARKERS.items()
                if any(text in i.message and column in i.column for i in issues)}  # fmt: skip

    met: set[str] = set()
    search = settings(deadline=None, database=None, phases=[Phase.generate])

    @settings(search, max_examples=150, derandomize=True)
    @given(examples)
    def meet(example):
        met.update(said(example))

    meet()
    for rule in sorted(set(MARKERS) - met):  # raises NoSuchExample if the files never meet it
        find(
            examples,
            lambda example, rule=rule: rule in said(example),
            settings=settings(search, max_examples=2000),
        )
