"""The review of a unit's month before it counts as final, as DHIS2's data approval does, in the
commune's terms: chưa nộp → đã nộp → đã duyệt, or trả lại (with a reason the unit sees) → đã nộp.

A state is never stored: it follows from the figures and the reviews, both append-only. A review
remembers the newest batch it saw (`batch_mark`), so new figures after an approval put the month
back to "submitted" with the count of figures changed since, even when an import and an approval
race (batch numbers follow the order in which writes land, clocks need not).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from indicators.domain.text import nfc

MonthState = Literal["missing", "submitted", "returned", "approved"]
STATES: tuple[MonthState, ...] = ("missing", "submitted", "returned", "approved")
STATE_VI: dict[str, str] = {
    "missing": "Chưa nộp",
    "submitted": "Đã nộp, chờ duyệt",
    "returned": "Trả lại",
    "approved": "Đã duyệt",
}
ReviewAction = Literal["approve", "return"]
REVIEW_ACTION_VI: dict[str, str] = {"approve": "Duyệt", "return": "Trả lại"}
MAX_REASON = 500


@dataclass(frozen=True)
class Review:
    """The latest review of a unit's month."""

    action: ReviewAction
    batch_mark: int  # the newest batch with figures of this unit and month when it was reviewed
    at: datetime
    by: str
    reason: str = ""


def month_state(figures: int, last_batch: int | None, review: Review | None,
                last_revert: datetime | None = None) -> MonthState:  # fmt: skip
    """The state of a unit's month from its current figures (how many, the newest batch among them),
    its latest review and the latest revert of a batch with figures of it."""
    if figures == 0:
        return "missing"
    if review is None:
        return "submitted"
    if (last_batch or 0) > review.batch_mark or (last_revert is not None and last_revert > review.at):
        return "submitted"  # new figures, or a revert, since the review
    return "approved" if review.action == "approve" else "returned"


def clean_reason(text: str | None, required: bool,
                 missing: str = "Cần ghi lý do trả lại để thôn biết phải sửa gì.") -> str:  # fmt: skip
    """A reason (a return's, an opening's, a late change's), trimmed; ValueError with a Vietnamese
    message when it is `missing` or too long."""
    reason = nfc(" ".join((text or "").split()))
    if required and not reason:
        raise ValueError(missing)
    if len(reason) > MAX_REASON:
        raise ValueError(f"Lý do dài quá {MAX_REASON} ký tự.")
    return reason
