"""Property-based: random valid figures written as offices write them import to exactly those values."""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from indicators.domain import catalog, format
from indicators.domain.text import fold, nfc

NOW = datetime(2026, 11, 27, 10, 0)
PERIODS = ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04"]
UNITS = {
    "10966": ("Bình Giang", "commune"),
    "BG01": ("Cậy", "hamlet"),
    "BG02": ("Bá Thủy", "hamlet"),
    "BG03": ("Bá Hợp", "hamlet"),
    "BG04": ("Cam Xá", "hamlet"),
    "BG05": ("Hạ Bì", "hamlet"),
    "BG06": ("Ô Xuyên", "hamlet"),
    "BG07": ("Bì Đổ", "hamlet"),
}
NOTE_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậếềểễệốồổỗộớờởỡợứừửữựíìỉĩịúùủũụ 0123456789,.-"


@dataclass(frozen=True)
class Entry:
    """One figure and how the file spells it."""

    period: str
    unit: str
    indicator: str
    numerator: int | None
    denominator: int | None
    value: int | None
    period_text: str
    unit_text: str
    indicator_text: str
    note: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.period, self.unit, self.indicator)

    def cells(self, grouped: bool) -> list[str]:
        def show(amount: int | None) -> str:
            if amount is None:
                return ""
            return format.number(amount) if grouped else str(amount)

        return [
            self.period_text,
            self.unit_text,
            self.indicator_text,
            show(self.numerator),
            show(self.denominator),
            show(self.value),
            self.note,
        ]


def _period_spellings(period: str) -> list[str]:
    year, month = period.split("-")
    m = int(month)
    return [period, f"{month}/{year}", f"{m}/{year}", f"T{m}/{year}", f"Tháng {m}/{year}"]


def _unit_spellings(code: str) -> list[str]:
    name, level = UNITS[code]
    prefix = "Xã" if level == "commune" else "Thôn"
    return [
        code,
        code.lower(),
        name,
        f"{prefix} {name}",
        f"{prefix} {name}".upper(),
        fold(name),
        f"  {name}  ",
        unicodedata.normalize("NFD", f"{prefix} {name}"),
    ]


def _indicator_spellings(code: str) -> list[str]:
    item = catalog.indicator(code)
    return [code, code.lower(), item.name_vi, item.name_vi.upper(), fold(item.name_vi)]


@st.composite
def entries(draw) -> Entry:
    unit = draw(st.sampled_from(sorted(UNITS)))
    level = UNITS[unit][1]
    item = draw(st.sampled_from(catalog.indicators_at_level(level)))
    period = draw(st.sampled_from(PERIODS))
    numerator = denominator = value = None
    if item.is_yes_no:
        numerator, denominator = draw(st.integers(0, 1)), 1
    elif item.is_ratio:
        denominator = draw(st.integers(0, 60_000))
        numerator = draw(st.integers(0, denominator))
    else:
        value = draw(st.integers(0, 2_000_000))
    note = draw(st.one_of(st.just(""), st.text(NOTE_ALPHABET, max_size=30)))
    return Entry(
        period=period,
        unit=unit,
        indicator=item.code,
        numerator=numerator,
        denominator=denominator,
        value=value,
        period_text=draw(st.sampled_from(_period_spellings(period))),
        unit_text=draw(st.sampled_from(_unit_spellings(unit))),
        indicator_text=draw(st.sampled_from(_indicator_spellings(item.code))),
        note=note,
    )


FILES = st.lists(entries(), min_size=1, max_size=12, unique_by=lambda entry: entry.key)

# What a hamlet head's file often is: names with a tone mark over â/ê/ô, and no "đ" at all
HAMLET_FILE = [
    Entry("2026-03", "BG01", "CQ_VNEID_MUC_2", 812, 1045, None, "T3/2026", "Thôn Cậy", "CQ_VNEID_MUC_2", ""),
    Entry(
        "2026-03", "BG01", "TT_TIN_BAI", None, None, 4, "T3/2026", "Thôn Cậy", "TT_TIN_BAI", "Số liệu tháng 3"
    ),
]


def _expected(files: list[Entry], make_figure) -> dict:
    return {e.key: make_figure(e.numerator, e.denominator, e.value) for e in files}


VARIANTS = {
    # name: (encode, delimiter, line end, thousands dots)
    "utf8_comma": (lambda text: text.encode("utf-8"), ",", "\n", False),
    "utf8_bom_semicolon": (lambda text: codecs.BOM_UTF8 + text.encode("utf-8"), ";", "\r\n", True),
    "utf16_tab": (lambda text: text.encode("utf-16"), "\t", "\r\n", True),
    "cp1258_semicolon": (None, ";", "\r\n", True),
}


@pytest.mark.parametrize(
    "variant",
    [
        "utf8_comma",
        "utf8_bom_semicolon",
        "utf16_tab",
        "cp1258_semicolon",
    ],
)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@example(files=HAMLET_FILE)
@given(files=FILES)
def test_random_long_files_import_to_exactly_their_figures(
    variant, files, make_store, make_long_csv, cp1258, run_import, figures, make_figure
):
    encode, delimiter, line_end, grouped = VARIANTS[variant]
    encode = encode or cp1258
    text = make_long_csv([e.cells(grouped) for e in files], delimiter=delimiter, line_end=line_end)
    store = make_store()
    try:
        report = run_import(store, f"{variant}.csv", encode(text), now=NOW)
        assert report.errors == [], [issue.text() for issue in report.errors]
        assert report.status == "imported"
        assert figures(store) == _expected(files, make_figure)
        notes = {
            (r.period, r.unit_code, r.indicator_code): r.note
            for r in store.current_submissions().itertuples()
        }
        assert notes == {e.key: nfc(e.note) for e in files}
    finally:
        store.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=FILES)
def test_dry_run_and_import_agree_on_random_files(files, make_store, make_long_csv, run_import):
    text = make_long_csv([e.cells(True) for e in files], delimiter=";")
    store = make_store()
    try:
        before = store.content_snapshot()
        dry = run_import(store, "t.csv", text, now=NOW, dry_run=True)
        assert store.content_snapshot() == before
        real = run_import(store, "t.csv", text, now=NOW)
        assert [i.text() for i in dry.issues] == [i.text() for i in real.issues]
        assert dry.count("new") == real.count("new") == len(files)
        again = run_import(store, "t.csv", text, now=NOW)
        assert again.status == "duplicate"
    finally:
        store.close()
