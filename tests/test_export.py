"""Exported months: safe to open in Excel, readable accents, and they import back unchanged."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import datetime

import pytest
from openpyxl import load_workbook

from indicators.domain.units import OrgUnit
from indicators.ingest import import_file
from indicators.ingest.columns import LONG_COLUMNS
from indicators.render.export import export_bytes, period_frame, safe_text
from indicators.storage import Store
from tests.support import ADMIN, admin, memory_store

EX_RECEIVED = datetime(2026, 3, 10, 9, 0)
EX_UNITS = [
    OrgUnit(code="10966", name="Bình Giang", level="commune"),
    OrgUnit(code="BG01", name="Cậy", parent="10966"),
    OrgUnit(code="BG02", name="Bá Thủy", parent="10966"),
]
EX_ROWS = [
    ("2026-03", "BG01", "HT_CAP_QUANG", 301, 412, None, '=HYPERLINK("http://x","bấm")'),
    ("2026-03", "BG01", "TT_TIN_BAI", None, None, 4, "+1 buổi họp thôn"),
    ("2026-03", "BG02", "HT_CAP_QUANG", 0, 0, None, "-chưa có hộ"),
    ("2026-03", "BG02", "HT_MAY_2G", None, None, 12, "@SUM(A1)"),
    ("2026-03", "BG02", "CQ_VNEID_MUC_2", 1234, 2000, None, "Đã rà soát với công an xã"),
    ("2026-03", "10966", "TC_VAN_BAN", None, None, 3, ""),
    ("2026-02", "BG01", "HT_CAP_QUANG", 290, 410, None, "tháng trước"),
]


def _ex_csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LONG_COLUMNS)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue().encode("utf-8")


def _ex_store() -> Store:
    store = memory_store()
    store.save_units(EX_UNITS, ADMIN)
    return store


@pytest.fixture
def ex_store() -> Store:
    store = _ex_store()
    report = import_file(store, "thang3.csv", _ex_csv(EX_ROWS), admin("can_bo"), now=EX_RECEIVED)
    assert report.status == "imported", report.issues
    yield store
    store.close()


def _figures(store: Store, period: str) -> dict[tuple[str, str], tuple]:
    def clean(value):
        return None if value != value else round(float(value), 9)

    return {
        (r.unit_code, r.indicator_code): (clean(r.numerator), clean(r.denominator), clean(r.value))
        for r in store.current_submissions(periods=[period]).itertuples()
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("bình thường", "bình thường"),
        ("a=b", "a=b"),
        ("", ""),
        (5, 5),
        (None, None),
    ],
)
def test_safe_text(text, expected) -> None:
    assert safe_text(text) == expected


def test_csv_has_bom_and_neutralised_formulas(ex_store: Store) -> None:
    data = export_bytes(ex_store, "2026-03", "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    assert not data.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert unicodedata.is_normalized("NFC", text)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(LONG_COLUMNS)
    notes = {(r["don_vi"], r["ma_chi_tieu"]): r["ghi_chu"] for r in rows}
    assert notes[("BG01", "HT_CAP_QUANG")] == '\'=HYPERLINK("http://x","bấm")'
    assert notes[("BG01", "TT_TIN_BAI")] == "'+1 buổi họp thôn"
    assert notes[("BG02", "HT_CAP_QUANG")] == "'-chưa có hộ"
    assert notes[("BG02", "HT_MAY_2G")] == "'@SUM(A1)"
    assert notes[("BG02", "CQ_VNEID_MUC_2")] == "Đã rà soát với công an xã"
    for row in rows:
        for column in ("ghi_chu", "don_vi", "ma_chi_tieu", "ky_bao_cao"):
            assert not row[column].startswith(("=", "+", "@")), row


def test_csv_numbers_are_whole_and_ratio_values_blank(ex_store: Store) -> None:
    text = export_bytes(ex_store, "2026-03", "csv").decode("utf-8-sig")
    rows = {(r["don_vi"], r["ma_chi_tieu"]): r for r in csv.DictReader(io.StringIO(text))}
    assert len(rows) == 6  # only March, not February
    assert {r["ky_bao_cao"] for r in rows.values()} == {"2026-03"}
    ratio = rows[("BG01", "HT_CAP_QUANG")]
    assert (ratio["tu_so"], ratio["mau_so"], ratio["gia_tri"]) == ("301", "412", "")
    empty = rows[("BG02", "HT_CAP_QUANG")]
    assert (empty["tu_so"], empty["mau_so"], empty["gia_tri"]) == ("0", "0", "")
    count = rows[("BG02", "HT_MAY_2G")]
    assert (count["tu_so"], count["mau_so"], count["gia_tri"]) == ("", "", "12")


def test_xlsx_opens_with_openpyxl_and_holds_no_formula(ex_store: Store) -> None:
    data = export_bytes(ex_store, "2026-03", "xlsx")
    wb = load_workbook(io.BytesIO(data))
    ws = wb["2026-03"]
    assert [c.value for c in ws[1]] == list(LONG_COLUMNS)
    body = list(ws.iter_rows(min_row=2))
    assert len(body) == 6
    for row in body:
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    by_key = {(r[1].value, r[2].value): r for r in body}
    assert by_key[("BG01", "HT_CAP_QUANG")][6].value == '\'=HYPERLINK("http://x","bấm")'
    assert by_key[("BG01", "HT_CAP_QUANG")][3].value == 301
    assert by_key[("BG02", "HT_MAY_2G")][5].value == 12


def test_unknown_format_is_refused(ex_store: Store) -> None:
    with pytest.raises(ValueError):
        export_bytes(ex_store, "2026-03", "pdf")


def test_empty_month_exports_only_the_header() -> None:
    store = _ex_store()
    try:
        text = export_bytes(store, "2026-05", "csv").decode("utf-8-sig")
        assert text.strip() == ",".join(LONG_COLUMNS)
        assert period_frame(store, "2026-05").empty
    finally:
        store.close()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_imports_back_unchanged(ex_store: Store, kind: str) -> None:
    data = export_bytes(ex_store, "2026-03", kind)
    fresh = _ex_store()
    try:
        report = import_file(fresh, f"xuat.{kind}", data, admin("can_bo"), now=EX_RECEIVED)
        assert report.status == "imported", report.issues
        assert not report.errors
        assert _figures(fresh, "2026-03") == _figures(ex_store, "2026-03")
        # importing the same export into the source changes nothing
        again = import_file(ex_store, f"xuat.{kind}", data, admin("can_bo"), now=EX_RECEIVED)
        assert again.status == "unchanged"
    finally:
        fresh.close()
