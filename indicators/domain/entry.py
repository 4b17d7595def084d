"""The entry form's figures (nhập trực tiếp): what a person types for one unit's month, kept as a
draft until it is sent as one batch through the import's own path (`indicators.ingest.entry`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from indicators.domain import catalog, format
from indicators.domain.text import nfc

ENTRY_SOURCE = "Nhập trực tiếp"
MAX_NOTE = 500


class EntryFigure(BaseModel):
    """One indicator's fields as typed: empty fields are None. A yes/no indicator is a ratio whose
    numerator is 1 or 0 over a denominator of 1."""

    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None
    note: str = Field(default="", max_length=MAX_NOTE)

    @field_validator("numerator", "denominator", "value", mode="before")
    @classmethod
    def _number(cls, raw: object) -> float | None:
        if raw is None or raw == "" or (isinstance(raw, float) and math.isnan(raw)):
            return None
        return raw  # type: ignore[return-value]  # pydantic parses it as a float

    @field_validator("note", mode="before")
    @classmethod
    def _note(cls, raw: object) -> str:
        return nfc(raw or "")

    def entered(self) -> bool:
        """Whether the person gave this indicator anything: a denominator offered from last month
        alone is no answer (as the template's prefilled denominator 1 of a yes/no indicator)."""
        return self.numerator is not None or self.value is not None or bool(self.note)


Figures = dict[str, EntryFigure]


def clean_figures(raw: dict[str, object]) -> Figures:
    """{indicator code: EntryFigure} of known indicators, from a draft's JSON or a form's state."""
    known = {item.code for item in catalog.indicators()}
    return {code: EntryFigure.model_validate(fig) for code, fig in raw.items() if code in known}


@dataclass(frozen=True)
class Draft:
    """The figures an account typed for a unit's month and has not sent yet."""

    user_name: str
    unit_code: str
    period: str
    figures: Figures
    saved_at: datetime

    @property
    def saved_text(self) -> str:
        """E.g. “Đã lưu nháp lúc 10:32 07/12/2026”."""
        return f"Đã lưu nháp lúc {format.timestamp(self.saved_at)}"

    def filled(self) -> int:
        return sum(fig.entered() for fig in self.figures.values())


def entry_file_name(unit_label: str, period: str) -> str:
    """How the batch of a sent form is named in the history: its source, unit and month."""
    return f"{ENTRY_SOURCE} – {unit_label} – {format.month(period)}"


def is_entry(file_name: str) -> bool:
    return file_name.startswith(f"{ENTRY_SOURCE} – ")
