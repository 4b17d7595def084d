"""The columns a submission file may have, and how headers are recognised.

Two layouts import:
- long: one row per (period, unit, indicator), canonical headers below or their Vietnamese aliases;
- wide: the Excel template (one row per unit, a column per indicator part), headers written by
  `wide_header` and read back by `parse_wide_header`.
"""

from __future__ import annotations

from typing import Literal

from indicators.domain.catalog import match_indicator
from indicators.domain.text import fold

Part = Literal["tu_so", "mau_so", "gia_tri"]

# canonical column -> what a person may write in the header (folded before comparison)
LONG_ALIASES: dict[str, tuple[str, ...]] = {
    "ky_bao_cao": ("ky_bao_cao", "kỳ báo cáo", "kỳ", "tháng", "thang bao cao", "period"),
    "don_vi": ("don_vi", "đơn vị", "thôn", "mã đơn vị", "ma don vi", "tên đơn vị", "thôn/tdp", "unit"),
    "ma_chi_tieu": ("ma_chi_tieu", "mã chỉ tiêu", "chỉ tiêu", "tên chỉ tiêu", "indicator"),
    "tu_so": ("tu_so", "tử số", "numerator"),
    "mau_so": ("mau_so", "mẫu số", "denominator"),
    "gia_tri": ("gia_tri", "giá trị", "số lượng", "value"),
    "ghi_chu": ("ghi_chu", "ghi chú", "note"),
}
LONG_COLUMNS = tuple(LONG_ALIASES)
REQUIRED_LONG = ("ky_bao_cao", "don_vi", "ma_chi_tieu")

# Vietnamese names of the columns, for messages
COLUMN_VI = {
    "ky_bao_cao": "Kỳ báo cáo",
    "don_vi": "Đơn vị",
    "ma_chi_tieu": "Mã chỉ tiêu",
    "tu_so": "Tử số",
    "mau_so": "Mẫu số",
    "gia_tri": "Giá trị",
    "ghi_chu": "Ghi chú",
}

PART_VI: dict[str, str] = {"tu_so": "Tử số", "mau_so": "Mẫu số", "gia_tri": "Giá trị"}

_ALIAS_INDEX = {fold(alias): column for column, aliases in LONG_ALIASES.items() for alias in aliases}


def long_column(header: object) -> str | None:
    """The canonical long-format column a header cell names, if any."""
    if header is None:
        return None
    return _ALIAS_INDEX.get(fold(str(header)))


def wide_header(code: str, part: Part) -> str:
    """Header of a template column: "CQ_VNEID_MUC_2 - Tử số"."""
    return f"{code} - {PART_VI[part]}"


_PART_BY_FOLD = {fold(text): part for part, text in PART_VI.items()}


def parse_wide_header(header: object) -> tuple[str, Part] | None:
    """(indicator code, part) for a template column header, or None.

    A bare indicator code means its value (counts) — "TT_TIN_BAI" equals "TT_TIN_BAI - Giá trị".
    """
    if header is None:
        return None
    text = str(header).replace("\n", " ")
    # fold() turns "_" into a space; fold the code and part separately
    head, _, tail = text.partition(" - ")
    code = match_indicator(head.strip()) if head.strip() else None
    if code is None or not head.strip().replace("_", "").isalnum():
        return None
    part = _PART_BY_FOLD.get(fold(tail)) if tail else "gia_tri"
    if part is None:
        return None
    return code, part  # type: ignore[return-value]


# Labels of the unit columns of the template
WIDE_UNIT_CODE = "Mã đơn vị"
WIDE_UNIT_NAME = "Tên đơn vị"
WIDE_PERIOD_LABEL = "Kỳ báo cáo"
