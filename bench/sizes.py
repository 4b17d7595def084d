"""The three benchmark sizes over the real unit lists (indicators/data/admin_units/).

commune   one commune (10966 Bình Giang, Hải Phòng) with 20 hamlets, 12 months
city      Hải Phòng (province 31) → its 114 communes → 24 hamlets each, 24 months
national  the 34 provinces → 3,321 communes → 24 hamlets each, 24 months

Hamlet codes are the commune code and two digits (1096601 …): unique in the whole country.
Province codes are two digits, commune codes five: no code is shared between levels.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from indicators.domain import periods

ADMIN_UNITS = Path(__file__).resolve().parent.parent / "indicators" / "data" / "admin_units"
SEED = 57
# Everything the generator writes happened before this moment (the last month is 2026-11, whose
# deadline, the 18th, has passed): files are imported "as of" it, so results never depend on today.
AS_OF = "2026-11-27 12:00:00"
LAST_PERIOD = "2026-11"


@dataclass(frozen=True)
class Size:
    name: str
    province: str | None  # None: the whole country
    communes: tuple[str, ...] | None  # None: every commune of `province` (or of the country)
    hamlets: int  # hamlets per commune
    months: int
    root: str  # the unit the dashboards open on (settings.home_unit)

    @property
    def periods(self) -> list[str]:
        first = periods.shift(LAST_PERIOD, -(self.months - 1))
        return periods.months_between(first, LAST_PERIOD)

    @property
    def period(self) -> str:
        """The month every metric and page is computed for."""
        return LAST_PERIOD


SIZES = {
    "commune": Size("commune", "31", ("10966",), 20, 12, "10966"),
    "city": Size("city", "31", None, 24, 24, "31"),
    "national": Size("national", None, None, 24, 24, "31"),
}


@cache
def provinces() -> list[dict]:
    with open(ADMIN_UNITS / "provinces.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def communes() -> list[dict]:
    with open(ADMIN_UNITS / "communes.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def communes_of(size: Size) -> list[dict]:
    """The size's communes, in code order."""
    rows = communes()
    if size.communes is not None:
        wanted = set(size.communes)
        rows = [r for r in rows if r["code"] in wanted]
    elif size.province is not None:
        rows = [r for r in rows if r["provinceCode"] == size.province]
    return sorted(rows, key=lambda r: r["code"])


def provinces_of(size: Size) -> list[dict]:
    """The cities/provinces above the communes (none for the commune size: a commune deployment)."""
    if size.communes is not None:
        return []
    wanted = {r["provinceCode"] for r in communes_of(size)}
    return [p for p in provinces() if p["code"] in wanted]


def hamlet_code(commune_code: str, number: int) -> str:
    return f"{commune_code}{number:02d}"
