"""Drafts of the entry form: what an account typed for a unit's month, saved at every change so
that a closed tab or a dropped connection loses nothing. A draft counts nowhere until it is sent."""

from __future__ import annotations

import json
from datetime import datetime

from indicators.domain import clock
from indicators.domain.accounts import Actor, allowed_units, require
from indicators.domain.entry import Draft, Figures, clean_figures
from indicators.domain.errors import PermissionDenied, StoreError
from indicators.storage.units import UnitsMixin


class DraftsMixin(UnitsMixin):
    """One draft per (account, unit, month): `save_draft` replaces it, `draft` reads it back,
    `drafts` lists an account's, `discard_draft` removes it once the month is sent."""

    def save_draft(self, actor: Actor, unit_code: str, period: str, figures: Figures,
                   now: datetime | None = None) -> datetime:  # fmt: skip
        """Keep `figures` as `actor`'s draft of the unit's month; returns when it was saved."""
        require(actor, "import")
        saved_at = now or clock.now()
        content = json.dumps({code: fig.model_dump() for code, fig in sorted(figures.items())}, ensure_ascii=False)
        with self.transaction("bản nháp") as cur:
            self._check_unit(cur, actor, unit_code)
            cur.execute(
                "INSERT INTO entry_drafts VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_name, unit_code, period) "
                "DO UPDATE SET content = excluded.content, saved_at = excluded.saved_at",
                [actor.label, unit_code, period, content, saved_at],
            )
        return saved_at

    def _check_unit(self, cur, actor: Actor, unit_code: str) -> None:
        parents = self._parents(cur)
        if unit_code not in parents:
            raise StoreError(f"Không có đơn vị mã “{unit_code}” trong danh sách đơn vị.")
        allowed = allowed_units(actor, parents)
        if allowed is not None and unit_code not in allowed:
            raise PermissionDenied(
                f"Tài khoản “{actor.label}” không được giao nhập số liệu cho đơn vị {unit_code}: "
                "chỉ nhập được cho các đơn vị được giao."
            )

    def draft(self, user_name: str, unit_code: str, period: str) -> Draft | None:
        found = self.drafts(user_name, period, unit_code)
        return found[0] if found else None

    def drafts(self, user_name: str, period: str | None = None, unit_code: str | None = None) -> list[Draft]:
        """The account's drafts, newest first (of one month, one unit, if given)."""
        sql = "SELECT user_name, unit_code, period, content, saved_at FROM entry_drafts WHERE user_name = ?"
        params: list[object] = [user_name]
        if period is not None:
            sql, params = sql + " AND period = ?", [*params, period]
        if unit_code is not None:
            sql, params = sql + " AND unit_code = ?", [*params, unit_code]
        with self.cursor() as cur:
            rows = cur.execute(sql + " ORDER BY saved_at DESC", params).fetchall()
        return [Draft(user, unit, month, clean_figures(json.loads(content)), saved_at)
                for user, unit, month, content, saved_at in rows]  # fmt: skip

    def discard_draft(self, user_name: str, unit_code: str, period: str) -> bool:
        """Remove the draft (sent, or thrown away); whether there was one."""
        with self.transaction("việc xóa bản nháp") as cur:
            found = cur.execute(
                "SELECT count(*) FROM entry_drafts WHERE user_name = ? AND unit_code = ? AND period = ?",
                [user_name, unit_code, period],
            ).fetchone()[0]  # fmt: skip
            cur.execute("DELETE FROM entry_drafts WHERE user_name = ? AND unit_code = ? AND period = ?",
                        [user_name, unit_code, period])  # fmt: skip
        return bool(found)

