"""The columns a submission file may have, and how headers are recognised.

Two layouts import:
- long: one row per (period, unit, indicator), canonical headers below or their Vietnamese aliases;
- wide: the Excel template (one row per unit, a column per indicator part), headers written by
  `wide_header` and read back by `parse_wide_header`.
"""

from __future__ import annotations

import re
from typing import Literal

from indicators.domain.catalog import match_indicator
from indicators.domain.text import fold

Part = Literal["tu_so", "mau_so", "gia_tri"]

# canonical column -> what a person may write in the header (folded before comparison)
# (headers are compared through `header_key`: case, spacing, diacritics, punctuation and a trailing
# unit in parentheses do not matter)
LONG_ALIASES: dict[str, tuple[str, ...]] = {
    "ky_bao_cao": ("ky_bao_cao", "kỳ báo cáo", "kỳ", "tháng", "tháng báo cáo", "tháng/năm", "period"),
    "don_vi": (
        "don_vi", "mã đơn vị", "ma don vi", "mã thôn", "đơn vị", "thôn", "tên đơn vị", "tên thôn",
        "thôn/tdp", "thôn/tổ dân phố", "tên thôn/tổ dân phố", "tổ dân phố", "tdp", "đơn vị báo cáo",
        "tên đơn vị báo cáo", "unit",
    ),  # fmt: skip
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
    "ten_don_vi": "Tên đơn vị",  # the name column beside a code column, read to check the code
}

PART_VI: dict[str, str] = {"tu_so": "Tử số", "mau_so": "Mẫu số", "gia_tri": "Giá trị"}

# a unit or a remark written after a header: "Tử số (hộ)", "Giá trị [cái]", "Ghi chú (nếu có)"
_TRAILING_REMARK = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")


def header_key(header: object) -> str:
    """A header as it is compared: folded (case, spacing, diacritics in NFC or NFD, old or new tone
    placement, punctuation) and without trailing remarks in parentheses."""
    text = str(header).replace("\n", " ").strip()
    while True:
        shorter = _TRAILING_REMARK.sub("", text)
        if shorter == text or not shorter:
            break
        text = shorter
    return fold(text)


_ALIAS_INDEX = {header_key(alias): column for column, aliases in LONG_ALIASES.items() for alias in aliases}
# when a table has both, the code column is read and the name column left aside
CODE_HEADERS = frozenset(header_key(h) for h in ("don_vi", "mã đơn vị", "mã thôn", "ma_chi_tieu", "mã chỉ tiêu"))


def long_column(header: object) -> str | None:
    """The canonical long-format column a header cell names, if any."""
    if header is None:
        return None
    return _ALIAS_INDEX.get(header_key(header))


def wide_header(code: str, part: Part) -> str:
    """Header of a template column: "CQ_VNEID_MUC_2 - Tử số"."""
    return f"{code} - {PART_VI[part]}"


_PART_BY_FOLD = {header_key(text): part for part, text in PART_VI.items()}


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
    part = _PART_BY_FOLD.get(header_key(tail)) if tail else "gia_tri"
    if part is None:
        return None
    return code, part  # type: ignore[return-value]


# Labels of the unit columns of the template
WIDE_UNIT_CODE = "Mã đơn vị"
WIDE_UNIT_NAME = "Tên đơn vị"
WIDE_PERIOD_LABEL = "Kỳ báo cáo"
