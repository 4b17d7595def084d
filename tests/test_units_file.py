"""The org-unit list file: Vietnamese headers, legacy encodings, every error with its row and column."""

from __future__ import annotations

import io
import unicodedata

import pytest
from openpyxl import Workbook

from indicators.domain.units import OrgUnit
from indicators.ingest.units_file import parse_units_file
from indicators.storage import Store
from tests.support import ADMIN, memory_store

_UF_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def uf_cp1258(text: str) -> bytes:
    """Windows-1258 bytes: â ô ơ ư ă ê đ precomposed, the five tone marks as combining characters."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _UF_TONE_MARKS))
        marks = "".join(c for c in decomposed if c in _UF_TONE_MARKS)
        out.append((base + marks).encode("cp1258"))
    return b"".join(out)


@pytest.fixture
def uf_store() -> Store:
    store = memory_store()
    yield store
    store.close()


def _parse(store: Store, text: str | bytes, name: str = "don_vi.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_units_file(name, data, store)


def _by_code(units: list[OrgUnit]) -> dict[str, OrgUnit]:
    return {u.code: u for u in units}


def _errors(issues) -> list[tuple[int | None, str, str]]:
    return [(i.row, i.column, i.message) for i in issues if i.severity == "error"]


VIETNAMESE_FILE = (
    "Mã đơn vị,Tên đơn vị,Trực thuộc,Số hộ,Dân số,Hoạt động\n"
    "10966,Bình Giang,,10.020,32.925,1\n"
    "BG01,Cậy,10966,820,2665,có\n"
    "BG02,Bá Thủy,10966,640,,0\n"
    "BG03,Hạ Bì,10966,700,2275,\n"
)


def test_vietnamese_headers_and_values(uf_store: Store) -> None:
    units, issues = _parse(uf_store, VIETNAMESE_FILE)
    assert issues == []
    found = _by_code(units)
    assert list(found) == ["10966", "BG01", "BG02", "BG03"]
    commune = found["10966"]
    assert (commune.name, commune.parent, commune.level) == ("Bình Giang", None, "commune")
    assert (commune.households, commune.population) == (10020, 32925)
    assert found["BG01"].parent == "10966" and found["BG01"].level == "hamlet"
    assert found["BG02"].population is None
    assert found["BG02"].active is False
    assert found["BG01"].active is True
    assert found["BG03"].active is True  # blank means active
    for unit in units:
        assert unicodedata.is_normalized("NFC", unit.name)


@pytest.mark.parametrize(
    "header",
    [
        "code,name,parent,households,population",
        "ma_don_vi,ten_don_vi,ma_cha,so_ho,so_dan",
        "Mã,Tên,Cấp trên,Hộ,Nhân khẩu",
        "MÃ ĐƠN VỊ,TÊN ĐƠN VỊ,ĐƠN VỊ CHA,SỐ HỘ,DÂN SỐ",
        "Ma don vi,Ten don vi,Truc thuoc,So ho,Dan so",
    ],
)
def test_header_aliases(uf_store: Store, header: str) -> None:
    text = f"{header}\n10966,Bình Giang,,100,300\nBG01,Cậy,10966,40,120\n"
    units, issues = _parse(uf_store, text)
    assert issues == []
    found = _by_code(units)
    assert found["BG01"].parent == "10966"
    assert (found["BG01"].households, found["BG01"].population) == (40, 120)


def test_title_rows_above_the_header_and_semicolons(uf_store: Store) -> None:
    text = (
        "DANH MỤC THÔN XÃ BÌNH GIANG\n\nMã đơn vị;Tên đơn vị;Trực thuộc\n10966;Bình Giang;\nBG01;Cậy;10966\n"
    )
    units, issues = _parse(uf_store, text)
    assert issues == []
    assert [u.code for u in units] == ["10966", "BG01"]


def test_cp1258_bytes(uf_store: Store) -> None:
    text = "Mã đơn vị,Tên đơn vị,Trực thuộc,Số hộ\n10966,Bình Giang,,10020\nBG01,Cậy,10966,820\nBG07,Bì Đổ,10966,680\nBG09,Tân Việt,10966,850\n"
    data = uf_cp1258(text)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    units, issues = _parse(uf_store, data)
    assert issues == []
    names = {u.code: u.name for u in units}
    assert names == {"10966": "Bình Giang", "BG01": "Cậy", "BG07": "Bì Đổ", "BG09": "Tân Việt"}
    for name in names.values():
        assert unicodedata.is_normalized("NFC", name)


def test_xlsx_numeric_codes(uf_store: Store) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã đơn vị", "Tên đơn vị", "Đơn vị cha", "Số hộ"])
    ws.append([1310, "Bình Giang", None, 10020])
    ws.append([131001, "Cậy", 1310, 820.0])
    buffer = io.BytesIO()
    wb.save(buffer)
    units, issues = _parse(uf_store, buffer.getvalue(), "don_vi.xlsx")
    assert issues == []
    found = _by_code(units)
    assert found["131001"].parent == "1310"
    assert found["131001"].households == 820
    assert found["1310"].level == "commune"


def test_every_error_with_row_and_column(uf_store: Store) -> None:
    text = (
        "code,name,parent,households\n"
        ",Không mã,10966,1\n"  # row 2: missing code
        "10966,Bình Giang,,5\n"  # row 3
        "10966,Trùng,,6\n"  # row 4: duplicate code
        "BG02,Mồ côi,ZZZ,3\n"  # row 5: unknown parent
        "A1,Vòng A,B1,1\n"  # row 6: cycle
        "B1,Vòng B,A1,1\n"  # row 7: cycle
        "BG03,Âm,10966,-5\n"  # row 8: negative households
        "BG04,Lẻ,10966,2.5\n"  # row 9: not a whole number
        "BG05,Chữ,10966,nhiều\n"  # row 10: not a number
        "BG06,,10966,1\n"  # row 11: missing name
    )
    units, issues = _parse(uf_store, text)
    assert units == []
    errors = _errors(issues)
    where = {(row, column.split(" ")[0]) for row, column, _ in errors}
    assert (2, "A") in where  # code column
    assert (4, "A") in where
    assert (5, "C") in where  # parent column
    assert (6, "C") in where and (7, "C") in where
    assert (8, "D") in where  # households column
    assert (9, "D") in where
    assert (10, "D") in where
    assert (11, "B") in where
    messages = {row: message for row, _, message in errors}
    assert "Thiếu mã" in messages[2]
    assert "lặp lại" in messages[4] and "dòng 3" in messages[4]
    assert "ZZZ" in messages[5]
    assert "vòng lặp" in messages[6]
    assert "-5" in messages[8] and "không âm" in messages[8]
    assert "nhiều" in messages[10]
    for _, column, _ in errors:
        assert "(" in column  # "A (code)": the letter and the header as the user wrote it
    # the valid rows of a rejected file are not returned either: all or nothing
    assert all(i.severity == "error" for i in issues)


def test_self_parent_is_a_cycle(uf_store: Store) -> None:
    units, issues = _parse(uf_store, "code,name,parent\nX,Tự trỏ,X\n")
    assert units == []
    assert any("vòng lặp" in i.message and i.row == 2 for i in issues)


def test_unknown_level_and_active_words(uf_store: Store) -> None:
    text = "code,name,parent,level,active\nX,x,,tỉnh lẻ,1\nY,y,X,Thôn,có lẽ\n"
    units, issues = _parse(uf_store, text)
    assert units == []
    errors = _errors(issues)
    assert {(row, column.split(" ")[0]) for row, column, _ in errors} == {(2, "D"), (3, "E")}


def test_no_header(uf_store: Store) -> None:
    units, issues = _parse(uf_store, "a,b,c\n1,2,3\n")
    assert units == []
    assert len(issues) == 1 and "tiêu đề" in issues[0].message


def test_header_without_rows(uf_store: Store) -> None:
    units, issues = _parse(uf_store, "code,name,parent\n")
    assert units == []
    assert issues and issues[0].severity == "error"


def test_levels_inferred_commune_with_hamlets(uf_store: Store) -> None:
    units, issues = _parse(
        uf_store, "code,name,parent\n10966,Bình Giang,\nBG01,Cậy,10966\nBG02,Bá Thủy,10966\n"
    )
    assert issues == []
    levels = {u.code: u.level for u in units}
    assert levels == {"10966": "commune", "BG01": "hamlet", "BG02": "hamlet"}


def test_levels_inferred_city_above_communes(uf_store: Store) -> None:
    text = (
        "code,name,parent\n"
        "31,Hải Phòng,\n"
        "10966,Bình Giang,31\n"
        "10972,Xã Khác,31\n"
        "BG01,Cậy,10966\n"
        "KH01,Thôn Một,10972\n"
    )
    units, issues = _parse(uf_store, text)
    assert issues == []
    levels = {u.code: u.level for u in units}
    assert levels == {
        "31": "city",
        "10966": "commune",
        "10972": "commune",
        "BG01": "hamlet",
        "KH01": "hamlet",
    }


def test_lone_top_unit_is_a_commune(uf_store: Store) -> None:
    units, issues = _parse(uf_store, "code,name\n10966,Bình Giang\n")
    assert issues == []
    assert units[0].level == "commune" and units[0].parent is None


def test_level_column_wins_over_inference(uf_store: Store) -> None:
    text = "code,name,parent,level\n31,Hải Phòng,,Thành phố\n10966,Bình Giang,31,Xã\n10972,Phường Mới,31,phường\n"
    units, issues = _parse(uf_store, text)
    assert issues == []
    assert {u.code: u.level for u in units} == {"31": "city", "10966": "commune", "10972": "commune"}


def test_hamlets_under_a_commune_already_stored(uf_store: Store) -> None:
    uf_store.save_units([OrgUnit(code="10966", name="Bình Giang", level="commune")], ADMIN)
    units, issues = _parse(uf_store, "Mã đơn vị,Tên đơn vị,Trực thuộc\nBG01,Cậy,10966\nBG02,Bá Thủy,10966\n")
    assert issues == []
    assert {u.code: (u.parent, u.level) for u in units} == {
        "BG01": ("10966", "hamlet"),
        "BG02": ("10966", "hamlet"),
    }


def test_new_commune_under_a_stored_city_is_a_commune(uf_store: Store) -> None:
    uf_store.save_units(
        [
            OrgUnit(code="31", name="Hải Phòng", level="city"),
            OrgUnit(code="10966", name="Bình Giang", parent="31", level="commune"),
            OrgUnit(code="BG01", name="Cậy", parent="10966", level="hamlet"),
        ],
        ADMIN,
    )
    units, issues = _parse(uf_store, "code,name,parent\n10972,Xã Mới,31\n")
    assert issues == []
    assert units[0].level == "commune"


def test_active_column_words(uf_store: Store) -> None:
    text = (
        "code,name,parent,Đang hoạt động\n"
        "10966,Bình Giang,,x\n"
        "A,a,10966,1\nB,b,10966,0\nC,c,10966,Không\nD,d,10966,ngừng hoạt động\nE,e,10966,TRUE\nF,f,10966,\n"
    )
    units, issues = _parse(uf_store, text)
    assert issues == []
    assert {u.code: u.active for u in units} == {
        "10966": True, "A": True, "B": False, "C": False, "D": False, "E": True, "F": True,
    }  # fmt: skip


def test_deactivating_a_stored_hamlet_keeps_it(uf_store: Store) -> None:
    units, issues = _parse(uf_store, VIETNAMESE_FILE)
    assert issues == []
    uf_store.save_units(units, ADMIN)
    units, issues = _parse(uf_store, "code,name,parent,active\nBG01,Cậy,10966,0\n")
    assert issues == []
    uf_store.save_units(units, ADMIN)
    stored = _by_code(uf_store.units())
    assert len(stored) == 4
    assert stored["BG01"].active is False
    assert [u.code for u in uf_store.units(include_inactive=False)] == ["10966", "BG03"]
