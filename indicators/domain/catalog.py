"""The plan's task groups and indicators, declared once as pydantic models.

The built-in catalog comes from `indicators/data/` (copied from the shared reference). Targets are
stored in the database per indicator and year so the admin can change them; the catalog only
provides the 2026 defaults that a new database starts with.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from indicators.domain.text import fold, nfc

DATA_DIR = Path(__file__).parent.parent / "data"

Kind = Literal["ratio", "count"]
Aggregation = Literal["latest", "sum"]
Direction = Literal["up", "down"]
Level = Literal["hamlet", "commune"]

KIND_VI = {"ratio": "Tỷ lệ (tử số/mẫu số)", "count": "Số lượng"}
AGGREGATION_VI = {"latest": "Lũy kế (lấy tháng gần nhất)", "sum": "Cộng dồn các tháng"}
DIRECTION_VI = {"up": "Càng cao càng tốt", "down": "Càng thấp càng tốt (mục tiêu là mức trần)"}
_STABLE_DENOMINATOR = re.compile(r"^(tong so (ho(?! so)|dan|cbcc)|so (nguoi|cong dan))\b")
LEVEL_VI = {"hamlet": "Thôn", "commune": "Xã", "city": "Thành phố"}


class TaskGroup(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int = Field(ge=1, le=7)
    code: str
    name_vi: str
    name_en: str

    @field_validator("name_vi", "name_en", "code")
    @classmethod
    def _clean(cls, value: str) -> str:
        return nfc(value)


class Indicator(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=r"^[A-Z0-9_]+$")
    task_group: int = Field(ge=1, le=7)
    name_vi: str
    name_en: str
    unit: str
    kind: Kind
    aggregation: Aggregation
    direction: Direction
    level: Level
    numerator_vi: str
    denominator_vi: str = ""
    target_2026: float
    target_basis: str = ""

    @field_validator("name_vi", "name_en", "unit", "numerator_vi", "denominator_vi", "target_basis")
    @classmethod
    def _clean(cls, value: str) -> str:
        return nfc(value or "")

    @property
    def is_ratio(self) -> bool:
        return self.kind == "ratio"

    @property
    def is_yes_no(self) -> bool:
        """Answered 1/0 by each hamlet ("1 nếu … 0 nếu …"); the denominator is always 1."""
        text = fold(self.numerator_vi)
        return self.is_ratio and text.startswith("1 neu") and " 0 neu " in f" {text} "

    @property
    def stable_denominator(self) -> bool:
        """A denominator counting people or households (“Tổng số hộ”, “Số người trưởng thành”):
        it changes little from month to month, so the entry form offers last month's."""
        return self.is_ratio and not self.is_yes_no and bool(_STABLE_DENOMINATOR.match(fold(self.denominator_vi)))

    @property
    def label(self) -> str:
        """How a message names it: “Tỷ lệ hộ … (HT_CAP_QUANG)”."""
        return f"{self.name_vi} ({self.code})"

    @property
    def display_unit(self) -> str:
        return "%" if self.is_ratio else self.unit


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def task_groups() -> tuple[TaskGroup, ...]:
    return tuple(TaskGroup(**row) for row in _read_csv("task_groups.csv"))


@cache
def indicators() -> tuple[Indicator, ...]:
    return tuple(Indicator(**row) for row in _read_csv("indicators.csv"))


@cache
def indicator_by_code() -> dict[str, Indicator]:
    return {item.code: item for item in indicators()}


def indicator(code: str) -> Indicator:
    return indicator_by_code()[code]


def task_group(number: int) -> TaskGroup:
    return next(group for group in task_groups() if group.number == number)


def indicators_of_group(number: int) -> list[Indicator]:
    return [item for item in indicators() if item.task_group == number]


def indicators_at_level(level: Level) -> list[Indicator]:
    return [item for item in indicators() if item.level == level]


# Short task-group names for charts read on a phone or from the back of a meeting room
GROUP_SHORT = {
    1: "Nhận thức",
    2: "Thể chế",
    3: "Hạ tầng số",
    4: "Nhân lực số",
    5: "Chính quyền số",
    6: "Doanh nghiệp",
    7: "Hợp tác",
}

# The six figures leadership asks about first, with the short names the cards show
HEADLINE = {
    "CQ_DVC_TOAN_TRINH": "Dịch vụ công trực tuyến toàn trình",
    "CQ_VNEID_MUC_2": "Tài khoản VNeID mức 2",
    "CQ_CHU_KY_SO": "Chữ ký số cá nhân",
    "HT_DIEN_THOAI_THONG_MINH": "Điện thoại thông minh",
    "DN_KHONG_TIEN_MAT": "Thanh toán không dùng tiền mặt",
    "CQ_SO_SUC_KHOE": "Sổ sức khỏe điện tử",
}
HEADLINE_CODES = tuple(HEADLINE)


@cache
def _indicator_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for item in indicators():
        keys[fold(item.code)] = item.code
        keys[fold(item.name_vi)] = item.code
        keys[fold(item.name_en)] = item.code
    return keys


def match_indicator(text: str) -> str | None:
    """The code of the indicator written as `text` (code or name, any case or accents)."""
    return _indicator_keys().get(fold(text))


def indicator_suggestions(text: str, limit: int = 3) -> list[str]:
    """The codes nearest to an unknown indicator, for the error message."""
    from indicators.domain.units import nearest

    return nearest(text, {item.code: [item.code, item.name_vi] for item in indicators()}, limit)
