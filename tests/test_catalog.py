"""The built-in catalog: seven task groups and 26 indicators, exactly as the shared reference lists them."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import pytest

from indicators.domain import catalog
from indicators.domain.text import fold

REFERENCE = Path("/work/shared/reference")
PACKAGE_DATA = Path(catalog.__file__).parent / "data"


def _reference_rows(name: str) -> list[dict[str, str]]:
    """The shared reference when it is mounted, else the copy shipped in the package."""
    path = REFERENCE / name if (REFERENCE / name).is_file() else PACKAGE_DATA / name
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


CAT_INDICATORS = _reference_rows("indicators.csv")
CAT_GROUPS = _reference_rows("task_groups.csv")
YES_NO = {"HT_PHU_SONG_5G", "NL_TO_CONG_NGHE_SO"}


def _is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


def test_seven_task_groups_numbered_as_the_plan() -> None:
    groups = catalog.task_groups()
    assert [g.number for g in groups] == [1, 2, 3, 4, 5, 6, 7]
    assert [g.code for g in groups] == [row["code"] for row in CAT_GROUPS]
    assert [g.name_vi for g in groups] == [unicodedata.normalize("NFC", r["name_vi"]) for r in CAT_GROUPS]
    assert catalog.task_group(5).code == "CHINH_QUYEN_SO"


def test_twenty_six_indicators_with_the_reference_codes_in_order() -> None:
    codes = [item.code for item in catalog.indicators()]
    assert len(codes) == 26
    assert len(set(codes)) == 26
    assert codes == [row["code"] for row in CAT_INDICATORS]


@pytest.mark.parametrize("row", CAT_INDICATORS, ids=[r["code"] for r in CAT_INDICATORS])
def test_each_indicator_matches_its_reference_row(row: dict[str, str]) -> None:
    item = catalog.indicator(row["code"])
    assert item.task_group == int(row["task_group"])
    assert item.kind == row["kind"]
    assert item.aggregation == row["aggregation"]
    assert item.direction == row["direction"]
    assert item.level == row["level"]
    assert item.target_2026 == pytest.approx(float(row["target_2026"]))
    assert item.name_vi == unicodedata.normalize("NFC", row["name_vi"]).strip()
    assert item.display_unit == ("%" if row["kind"] == "ratio" else row["unit"])


def test_every_indicator_in_a_group_and_every_group_has_indicators() -> None:
    numbers = {g.number for g in catalog.task_groups()}
    for item in catalog.indicators():
        assert item.task_group in numbers
        assert 1 <= item.task_group <= 7
    total = 0
    for number in range(1, 8):
        part = catalog.indicators_of_group(number)
        assert part, f"group {number} has no indicator"
        total += len(part)
    assert total == 26


def test_levels_split_hamlet_and_commune() -> None:
    hamlet = catalog.indicators_at_level("hamlet")
    commune = catalog.indicators_at_level("commune")
    assert len(hamlet) + len(commune) == 26
    assert {i.code for i in hamlet}.isdisjoint({i.code for i in commune})
    assert "HT_CAP_QUANG" in {i.code for i in hamlet}
    assert "TC_VAN_BAN" in {i.code for i in commune}


def test_all_vietnamese_text_is_nfc() -> None:
    for group in catalog.task_groups():
        assert _is_nfc(group.name_vi), group.code
    for item in catalog.indicators():
        for text in (item.name_vi, item.unit, item.numerator_vi, item.denominator_vi, item.target_basis):
            assert _is_nfc(text), item.code
        assert item.name_vi == item.name_vi.strip()


def test_nfd_input_is_stored_as_nfc() -> None:
    row = dict(CAT_INDICATORS[0])
    row["name_vi"] = unicodedata.normalize("NFD", row["name_vi"])
    assert not _is_nfc(row["name_vi"])
    assert _is_nfc(catalog.Indicator(**row).name_vi)


def test_names_fold_uniquely_so_matching_is_unambiguous() -> None:
    keys = [fold(item.name_vi) for item in catalog.indicators()]
    assert len(set(keys)) == len(keys)
    assert set(keys).isdisjoint({fold(item.code) for item in catalog.indicators()})


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("HT_CAP_QUANG", "HT_CAP_QUANG"),
        ("ht_cap_quang", "HT_CAP_QUANG"),
        ("  Ht_Cap_Quang ", "HT_CAP_QUANG"),
        ("Tỷ lệ hộ gia đình có Internet cáp quang băng rộng", "HT_CAP_QUANG"),
        ("ty le ho gia dinh co internet cap quang bang rong", "HT_CAP_QUANG"),
        ("TY LE HO GIA DINH CO INTERNET CAP QUANG BANG RONG", "HT_CAP_QUANG"),
        (unicodedata.normalize("NFD", "Tỷ lệ người dân có sổ sức khỏe điện tử"), "CQ_SO_SUC_KHOE"),
        ("Số điện thoại chỉ dùng 2G còn sử dụng cần thay thế", "HT_MAY_2G"),
        ("so dien thoai chi dung 2g con su dung can thay the", "HT_MAY_2G"),
        ("Households with fibre broadband", "HT_CAP_QUANG"),
    ],
)
def test_match_indicator_is_forgiving(text: str, code: str) -> None:
    assert catalog.match_indicator(text) == code


@pytest.mark.parametrize("text", ["", "HT_CAP", "cáp quang", "XYZ"])
def test_match_indicator_unknown_is_none(text: str) -> None:
    assert catalog.match_indicator(text) is None


def test_suggestions_for_a_typo() -> None:
    assert "HT_CAP_QUANG" in catalog.indicator_suggestions("HT_CAP_QANG")


def test_yes_no_indicators() -> None:
    found = {item.code for item in catalog.indicators() if item.is_yes_no}
    assert found == YES_NO
    for code in YES_NO:
        item = catalog.indicator(code)
        assert item.kind == "ratio" and item.level == "hamlet"


def test_headline_codes_exist() -> None:
    for code in catalog.HEADLINE_CODES:
        assert code in catalog.indicator_by_code()
