"""The plan's targets per indicator and year, and the product's settings."""

from __future__ import annotations

import pandas as pd

from indicators.domain import clock
from indicators.domain.accounts import Actor, require
from indicators.domain.settings import Settings
from indicators.storage.audit import AuditMixin


class TargetsMixin(AuditMixin):
    """Targets and settings: small tables, each change audited."""

    # --- settings -------------------------------------------------------------------------
    def settings(self) -> Settings:
        with self.cursor() as cur:
            row = cur.execute("SELECT value FROM settings WHERE key = 'settings'").fetchone()
        return Settings.model_validate_json(row[0]) if row else Settings()

    def save_settings(self, settings: Settings, actor: Actor) -> None:
        require(actor, "edit_settings")
        with self.transaction("cài đặt") as cur:
            row = cur.execute("SELECT value FROM settings WHERE key = 'settings'").fetchone()
            before = (Settings.model_validate_json(row[0]) if row else Settings()).model_dump(mode="json")
            after = settings.model_dump(mode="json")
            changed = sorted(key for key in after if before.get(key) != after[key])
            if not changed:
                return
            cur.execute(
                "INSERT OR REPLACE INTO settings VALUES ('settings', ?)", [settings.model_dump_json()]
            )
            self._audit(cur, actor, "settings", "cài đặt", {k: before.get(k) for k in changed},
                        {k: after[k] for k in changed})  # fmt: skip

    # --- targets --------------------------------------------------------------------------
    def targets(self, year: int) -> dict[str, float]:
        with self.cursor() as cur:
            rows = cur.execute("SELECT indicator_code, value FROM targets WHERE year = ?", [year]).fetchall()
        return dict(rows)

    def target_rows(self) -> pd.DataFrame:
        return self.query_df(
            "SELECT indicator_code, year, value, basis, set_by, set_at FROM targets "
            "ORDER BY year, indicator_code"
        )

    def set_target(self, code: str, year: int, value: float, basis: str, actor: Actor) -> None:
        require(actor, "edit_catalog")
        with self.transaction("mục tiêu") as cur:
            row = cur.execute(
                "SELECT value, basis FROM targets WHERE indicator_code = ? AND year = ?", [code, year]
            ).fetchone()
            before = None if row is None else {"value": row[0], "basis": row[1]}
            after = {"value": value, "basis": basis}
            if before == after:
                return
            cur.execute(
                "INSERT OR REPLACE INTO targets VALUES (?, ?, ?, ?, ?, ?)",
                [code, year, value, basis, actor.label, clock.now()],
            )
            self._audit(cur, actor, "target", f"chỉ tiêu {code} năm {year}", before, after)
