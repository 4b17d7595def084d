"""Where each reporting unit's month stands in its review: chưa nộp, đã nộp, trả lại, đã duyệt
(rules in `indicators.domain.review`), beside when and how completely it was sent."""

from __future__ import annotations

import pandas as pd

from indicators.domain.review import STATES, Review, month_state
from indicators.metrics.submissions import completeness
from indicators.storage import Store
from indicators.storage.memo import by_data_version

REVIEW_COLUMNS = [
    "unit_code", "unit_name", "level", "expected", "submitted", "on_time", "late", "missing", "status",
    "last_received_at", "state", "changed_since_approval", "reason", "reviewed_by", "reviewed_at",
]  # fmt: skip


@by_data_version()
def month_review(store: Store, period: str, root: str) -> pd.DataFrame:
    """Per reporting unit below `root` (its hamlets and itself), in completeness order: the
    completeness columns, `state`, `changed_since_approval` (figures sent since the month was last
    approved, while it waits for a new look), and the latest review's reason, who and when."""
    table = completeness(store, period, root)
    if table.empty:
        return pd.DataFrame(columns=REVIEW_COLUMNS)
    figures = store.month_figures(period).set_index("unit_code")
    reviews = store.month_reviews(period).set_index("unit_code")
    states, changed, reasons, by, at = [], [], [], [], []
    for code in table["unit_code"]:
        review = None
        if code in reviews.index:
            row = reviews.loc[code]
            review = Review(row["action"], int(row["batch_mark"]), row["reviewed_at"], row["reviewed_by"],
                            row["reason"])  # fmt: skip
        count, last_batch, newer, last_revert = 0, None, 0, None
        if code in figures.index:
            row = figures.loc[code]
            count, newer = int(row["figures"]), int(row["changed"])
            last_batch = None if pd.isna(row["last_batch"]) else int(row["last_batch"])
            last_revert = None if pd.isna(row["last_revert"]) else row["last_revert"]
        state = month_state(count, last_batch, review, last_revert)
        states.append(state)
        changed.append(newer if state == "submitted" and review is not None and review.action == "approve" else 0)
        reasons.append(review.reason if review is not None else "")
        by.append(review.by if review is not None else "")
        at.append(review.at if review is not None else None)
    return table.assign(state=states, changed_since_approval=changed, reason=reasons, reviewed_by=by,
                        reviewed_at=at)[REVIEW_COLUMNS]  # fmt: skip


def state_counts(table: pd.DataFrame, level: str | None = "hamlet") -> dict[str, int]:
    """How many units of `level` (all with None) are in each state."""
    part = table if level is None else table[table["level"] == level]
    counts = part["state"].value_counts()
    return {state: int(counts.get(state, 0)) for state in STATES}

