"""Org units and the forgiving matching of the names people type."""

from __future__ import annotations

import re
import unicodedata

import pytest
from pydantic import ValidationError

from indicators.domain.text import fold, nfc
from indicators.domain.units import OrgUnit, UnitMatcher, bare, descendants, infer_levels, nearest
from tests.support import ADMIN


def test_units_fixture(units, commune, hamlets):
    assert commune.code == "10966" and commune.level == "commune" and commune.parent is None
    assert [h.code for h in hamlets] == [f"BG0{i}" for i in range(1, 8)]
    assert all(h.parent == "10966" and h.level == "hamlet" for h in hamlets)
    assert units[0] == commune


def test_store_fixture_holds_the_units(store, units):
    assert sorted(store.units(), key=lambda u: u.code) == sorted(units, key=lambda u: u.code)


def test_names_are_stored_nfc_and_trimmed():
    unit = OrgUnit(code="BG09", name=unicodedata.normalize("NFD", "  Bá   Thủy "), parent="10966")
    assert unit.name == "Bá Thủy"
    assert unicodedata.is_normalized("NFC", unit.name)


@pytest.mark.parametrize("code", ["", "BG 01", "BG/01", "Cậy", "x" * 41])
def test_bad_codes_are_refused(code):
    with pytest.raises(ValidationError):
        OrgUnit(code=code, name="Cậy")


def test_level_and_counts_are_checked():
    with pytest.raises(ValidationError):
        OrgUnit(code="X", name="X", level="province")
    with pytest.raises(ValidationError):
        OrgUnit(code="X", name="X", households=-1)
    assert OrgUnit(code="X", name="X").level == "hamlet"


@pytest.mark.parametrize(
    ("name", "level", "label"),
    [
        ("Cậy", "hamlet", "Thôn Cậy"),
        ("Thôn Cậy", "hamlet", "Thôn Cậy"),
        ("Bình Giang", "commune", "Xã Bình Giang"),
        ("Xã Bình Giang", "commune", "Xã Bình Giang"),
        ("Hải Phòng", "city", "Thành phố Hải Phòng"),
    ],
)
def test_label(name, level, label):
    assert OrgUnit(code="X1", name=name, level=level).label == label


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thôn Cậy", "cay"),
        ("THON CAY", "cay"),
        ("Tổ dân phố Bá Thủy", "ba thuy"),
        ("TDP Bá Thủy", "ba thuy"),
        ("Xã Bình Giang", "binh giang"),
        ("Bá Hợp", "ba hop"),  # "Bá" is not the prefix "Bản"
        ("Ô Xuyên", "o xuyen"),
        (unicodedata.normalize("NFD", "Thôn Bì Đổ"), "bi do"),
    ],
)
def test_bare_drops_the_prefix(text, expected):
    assert bare(text) == expected


def test_fold_is_forgiving():
    assert (
        fold("Thôn  Cậy") == fold("THON CAY") == fold(unicodedata.normalize("NFD", "Thôn Cậy")) == "thon cay"
    )
    assert fold("Bá Thủy") == fold("Bá Thuỷ")
    assert fold("Đổ") == "do"
    assert nfc(" a \t b ") == "a b"
    # marks outside the Vietnamese block go too; other letters stay
    assert fold("Café Naïve") == "cafe naive"
    assert fold("Ἀθῆναι Đà") == "αθηναι da"
    assert fold("v\u20d7 Thôn") == "v thon"  # a combining arrow, outside that block
    assert fold("Hà Nội (cũ) – P.1") == "ha noi cu p 1"



def _fold_by_decomposing(text: str) -> str:
    """What `fold` does, the long way: every mark dropped after decomposition."""
    stripped = "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")
    stripped = re.sub(r"[_\-–—.,:;/()\"“”‘’']+", " ", stripped.replace("đ", "d").replace("Đ", "D"))
    return re.sub(r"\s+", " ", stripped).strip().lower()


def test_fold_of_any_letter_is_what_decomposing_gives():
    letters = [chr(c) for c in range(0x3000) if not 0xD800 <= c <= 0xDFFF]
    words = ["Thôn Cậy", "Xã Bình Giang", "Phường Hồng Bàng", "ĐẮK LẮK", "Thuỷ Nguyên", "Mường Tè"]
    texts = letters + words + [unicodedata.normalize("NFD", w) for w in words] + [w + " Ω" for w in words]
    assert [fold(t) for t in texts] == [_fold_by_decomposing(t) for t in texts]

def test_matcher_finds_each_hamlet_every_way(hamlets, units):
    matcher = UnitMatcher(units)
    for hamlet in hamlets:
        for text in (hamlet.code, hamlet.code.lower(), hamlet.name, hamlet.label, fold(hamlet.label),
                     hamlet.name.upper(), unicodedata.normalize("NFD", hamlet.label), f"  {hamlet.name} "):  # fmt: skip
            assert matcher.candidates(text) == [hamlet.code], text


def test_matcher_prefers_an_exact_code(units):
    # a unit whose name is another unit's code: the code wins
    odd = OrgUnit(code="BG08", name="BG01", parent="10966")
    matcher = UnitMatcher([*units, odd])
    assert matcher.candidates("BG01") == ["BG01"]
    assert matcher.candidates("bg08") == ["BG08"]


def test_matcher_reports_every_unit_a_shared_name_may_mean(units):
    twin = OrgUnit(code="BG09", name="Cây", parent="10966")
    matcher = UnitMatcher([*units, twin])
    assert matcher.candidates("Cay") == ["BG01", "BG09"]


def test_unknown_names_get_the_nearest_suggestions(units):
    matcher = UnitMatcher(units)
    assert matcher.candidates("Thôn Cậy Xanh") == []
    assert "BG01" in matcher.suggestions("Thôn Cậy Xanh")
    assert matcher.suggestions("Ba Thuyy")[0] == "BG02"
    assert matcher.suggestions("Cam Xa Dong") == ["BG04"]
    assert matcher.suggestions("zzzzzzzz") == []
    assert len(matcher.suggestions("Ba", limit=2)) <= 2


def test_nearest_ranks_by_similarity():
    candidates = {"A": ["Cậy"], "B": ["Cam Xá"], "C": ["Ô Xuyên"]}
    assert nearest("Cay", candidates)[0] == "A"
    assert nearest("O Xuyen", candidates, limit=1) == ["C"]


def test_descendants(units):
    assert sorted(descendants(units, "10966")) == sorted(u.code for u in units)
    assert descendants(units, "BG03") == ["BG03"]


def test_infer_levels():
    parents = {"HP": None, "10966": "HP", "BG01": "10966", "BG02": "10966", "LONE": None}
    assert infer_levels(parents) == {
        "HP": "city",
        "10966": "commune",
        "BG01": "hamlet",
        "BG02": "hamlet",
        "LONE": "commune",  # a commune whose hamlets are not loaded yet
    }


def test_save_units_updates_in_place(make_store):
    store = make_store()
    store.save_units([OrgUnit(code="BG01", name="Cậy Mới", parent="10966", households=312)], ADMIN)
    cay = {u.code: u for u in store.units()}["BG01"]
    assert (cay.name, cay.households) == ("Cậy Mới", 312)
    assert len(store.units()) == 8
    store.save_units([OrgUnit(code="BG02", name="Bá Thủy", parent="10966", active=False)], ADMIN)
    assert "BG02" not in {u.code for u in store.units(include_inactive=False)}
    assert "BG02" in {u.code for u in store.units()}
    store.save_units([], ADMIN)  # nothing to do
    store.close()


def test_units_read_back_as_they_were_saved(make_store):
    """Read as Arrow columns: missing numbers come back as None, not NaN; numbers as int."""
    store = make_store()
    saved = [OrgUnit(code="K1", name="Khu Một", parent="10966", households=None, population=1250),
             OrgUnit(code="K2", name="Khu Hai", parent="10966", households=40, population=None, active=False)]  # fmt: skip
    store.save_units(saved, ADMIN)
    read = {u.code: u for u in store.units()}
    assert [read["K1"], read["K2"]] == saved
    assert read["K1"].households is None and type(read["K1"].population) is int and read["K2"].active is False
    assert [u.code for u in store.units()] == sorted(read)
    assert "K2" not in {u.code for u in store.units(include_inactive=False)}
    columns = store.unit_columns()
    assert list(columns["code"]) == sorted(read) and set(columns) == {"code", "name", "parent", "level", "active"}
    store.close()
