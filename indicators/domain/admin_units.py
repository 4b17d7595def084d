"""The official list of administrative units shipped in `data/admin_units/` (Decision 19/2025/QĐ-TTg,
as the General Statistics Office keeps it), and the codes the same units had in the list the
product shipped before (`previousListCode`): Hải Phòng was `05` and is `31`, Bình Giang was `01310`
and is `10966`. The old codes serve only to move existing data over and to open old links.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from indicators.domain.text import nfc

ADMIN_UNITS_DIR = Path(__file__).parent.parent / "data" / "admin_units"
BOUNDARIES_DIR = Path(__file__).parent.parent / "data" / "boundaries"


def _rows(name: str) -> tuple[dict[str, str], ...]:
    with open(ADMIN_UNITS_DIR / name, encoding="utf-8", newline="") as handle:
        return tuple({key: nfc(value) for key, value in row.items()} for row in csv.DictReader(handle))


@cache
def provinces() -> tuple[dict[str, str], ...]:
    """The 34 provinces and centrally-run cities: code, name, fullName, type, previousListCode."""
    return _rows("provinces.csv")


@cache
def communes() -> tuple[dict[str, str], ...]:
    """The commune-level units: code, name, fullName, type, provinceCode, previousListCode."""
    return _rows("communes.csv")


@cache
def communes_of(province_code: str) -> tuple[dict[str, str], ...]:
    return tuple(row for row in communes() if row["provinceCode"] == province_code)


@cache
def official_code_of_previous() -> dict[str, str]:
    """Old code → official code, for the provinces and communes matched with the previous list.
    Old province codes have two digits and old commune codes five: one mapping holds both."""
    return {row["previousListCode"]: row["code"] for row in (*provinces(), *communes()) if row["previousListCode"]}


def boundary_file(province_code: str) -> Path:
    """Where the GeoJSON of a province's communes is (`<official province code>.geojson`), if any."""
    return BOUNDARIES_DIR / f"{province_code}.geojson"
