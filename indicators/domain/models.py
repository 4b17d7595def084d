"""The validated submission row and the issues an import reports, declared once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from indicators.domain import catalog
from indicators.domain.format import number


class SubmissionRow(BaseModel):
    """One figure for (period, unit, indicator). Constructing it enforces the rules of a figure.

    A rule that fails raises a ValidationError whose error `type` is the column at fault
    ("tu_so", "mau_so", "gia_tri") and whose message is Vietnamese.
    """

    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    unit_code: str
    indicator_code: str
    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None
    note: str = ""

    @model_validator(mode="after")
    def _rules(self) -> SubmissionRow:
        item = catalog.indicator(self.indicator_code)
        parts = {"tu_so": self.numerator, "mau_so": self.denominator, "gia_tri": self.value}
        for column, amount in parts.items():
            if amount is not None and amount < 0:
                raise PydanticCustomError(column, "Số âm ({amount}) không hợp lệ.", {"amount": number(amount, 1)})
        if item.is_ratio:
            for column in ("tu_so", "mau_so"):
                amount = parts[column]
                if amount is not None and not float(amount).is_integer():
                    raise PydanticCustomError(
                        column, "Phải là số nguyên (đếm người, hộ, hồ sơ…), không phải {amount}.",
                        {"amount": number(amount, 2)},
                    )  # fmt: skip
            if self.numerator is None or self.denominator is None:
                missing = "tu_so" if self.numerator is None else "mau_so"
                raise PydanticCustomError(
                    missing,
                    "Chỉ tiêu tỷ lệ cần cả tử số và mẫu số; ô này đang trống.",
                )
            if self.denominator == 0 and self.numerator > 0:
                raise PydanticCustomError("mau_so", "Mẫu số bằng 0 trong khi tử số lớn hơn 0.")
            if self.numerator > self.denominator:
                raise PydanticCustomError(
                    "tu_so",
                    "Tử số ({num}) lớn hơn mẫu số ({den}).",
                    {"num": number(self.numerator), "den": number(self.denominator)},
                )
            # the percentage is derived, never typed in
            self.value = 100 * self.numerator / self.denominator if self.denominator else None
        else:
            if self.value is None:
                raise PydanticCustomError("gia_tri", "Chỉ tiêu số lượng cần giá trị; ô này đang trống.")
            if not float(self.value).is_integer():
                raise PydanticCustomError(
                    "gia_tri", "Phải là số nguyên, không phải {amount}.", {"amount": number(self.value, 2)}
                )
            self.numerator = self.denominator = None
        return self


Severity = Literal["error", "warning"]


@dataclass
class Issue:
    """One problem of an import, positioned as the user sees the file in Excel."""

    severity: Severity
    message: str
    row: int | None = None
    column: str = ""
    sheet: str = ""

    @property
    def where(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"dòng {self.row}")
        if self.column:
            parts.append(f"cột {self.column}")
        return ", ".join(parts)

    def text(self) -> str:
        label = "Lỗi" if self.severity == "error" else "Cảnh báo"
        where = f" ({self.where})" if self.where else ""
        return f"{label}{where}: {self.message}"
