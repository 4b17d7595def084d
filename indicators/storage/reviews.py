"""Reviews of a unit's month (approve, send back), append-only, each in the audit log."""

from __future__ import annotations

import pandas as pd

from indicators.domain import clock, format
from indicators.domain.accounts import Actor, require_approval
from indicators.domain.errors import StoreError
from indicators.domain.review import REVIEW_ACTION_VI, ReviewAction, clean_reason
from indicators.storage.audit import AuditMixin
from indicators.storage.units import UnitsMixin

# Per unit with figures in the month: how many current figures, the newest batch among them, how
# many came after the latest review's mark, and when a batch with figures of it was last reverted
_MONTH_FIGURES = """
WITH latest AS (
    SELECT unit_code, batch_mark FROM (
        SELECT unit_code, batch_mark, row_number() OVER (PARTITION BY unit_code ORDER BY id DESC) AS rn
        FROM month_reviews WHERE period = ?
    ) WHERE rn = 1
), figures AS (
    SELECT c.unit_code, count(*) AS figures, max(c.batch_id) AS last_batch,
           count(*) FILTER (WHERE l.batch_mark IS NOT NULL AND c.batch_id > l.batch_mark) AS changed
    FROM current_submissions c LEFT JOIN latest l ON l.unit_code = c.unit_code
    WHERE c.period = ? GROUP BY c.unit_code
), reverts AS (
    SELECT s.unit_code, max(r.reverted_at) AS last_revert
    FROM batch_reverts r JOIN (SELECT DISTINCT batch_id, unit_code FROM submissions WHERE period = ?) s
      ON s.batch_id = r.batch_id
    GROUP BY s.unit_code
)
SELECT coalesce(f.unit_code, r.unit_code) AS unit_code, coalesce(f.figures, 0) AS figures,
       f.last_batch, coalesce(f.changed, 0) AS changed, r.last_revert
FROM figures f FULL OUTER JOIN reverts r ON r.unit_code = f.unit_code
"""


class ReviewsMixin(UnitsMixin, AuditMixin):
    """`review_month` writes approvals and returns; `month_reviews` and `month_figures` read what
    the month's states are derived from (`indicators.domain.review.month_state`)."""

    def review_month(self, period: str, unit_codes: list[str], action: ReviewAction, actor: Actor,
                     reason: str | None = None) -> int:  # fmt: skip
        """Approve or send back the month of each unit in `unit_codes` (one transaction, all or
        none). Each must have figures in the month; a return needs a reason. Returns how many."""
        if action not in REVIEW_ACTION_VI:
            raise StoreError(f"Thao tác duyệt không hợp lệ: {action}.")
        try:
            reason = clean_reason(reason, required=action == "return")
        except ValueError as exc:
            raise StoreError(str(exc)) from None
        codes = sorted(set(unit_codes))
        if not codes:
            return 0
        with self.transaction("việc duyệt hoặc trả lại số liệu") as cur:
            require_approval(actor, codes, self._parents(cur), self._levels(cur))
            marks = dict(cur.execute(
                "SELECT unit_code, max(batch_id) FROM current_submissions WHERE period = ? "
                f"AND unit_code IN ({', '.join('?' * len(codes))}) GROUP BY unit_code",
                [period, *codes],
            ).fetchall())  # fmt: skip
            empty = [code for code in codes if code not in marks]
            if empty:
                raise StoreError(
                    f"Đơn vị {empty[0]} chưa nộp số liệu {format.month(period).lower()}: "
                    "chưa có gì để duyệt hay trả lại."
                )
            first = self._ids(cur, "review_ids", len(codes))
            now = clock.now()
            cur.executemany(
                "INSERT INTO month_reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [[first + n, period, code, action, marks[code], reason, actor.label, now]
                 for n, code in enumerate(codes)],
            )  # fmt: skip
            self._audit_many(cur, actor, f"month_{action}", [
                (f"{code} tháng {period}", None, {"action": action, "reason": reason, "batch_mark": marks[code]})
                for code in codes
            ])  # fmt: skip
        return len(codes)

    def month_reviews(self, period: str) -> pd.DataFrame:
        """The latest review of each unit's month: unit_code, action, batch_mark, reason, reviewed_by,
        reviewed_at."""
        return self.query_df(
            "SELECT unit_code, action, batch_mark, reason, reviewed_by, reviewed_at FROM ("
            " SELECT *, row_number() OVER (PARTITION BY unit_code ORDER BY id DESC) AS rn"
            " FROM month_reviews WHERE period = ?) WHERE rn = 1 ORDER BY unit_code",
            [period],
        )

    def month_figures(self, period: str) -> pd.DataFrame:
        """Per unit with figures in the month (or a reverted batch of it): figures, last_batch,
        changed (figures newer than the latest review), last_revert."""
        return self.query_df(_MONTH_FIGURES, [period, period, period])
