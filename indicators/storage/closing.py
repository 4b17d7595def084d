"""Closing a month: issued reports kept byte for byte (each issue a new version), months closed by
an issued report or by the auto-close day, openings of a unit's closed month for a few days, and
the reasons given for changes after the close."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from indicators.domain import clock, format
from indicators.domain.accounts import Actor, require
from indicators.domain.errors import StoreError
from indicators.domain.review import clean_reason
from indicators.domain.settings import Settings
from indicators.storage.audit import AuditMixin
from indicators.storage.units import UnitsMixin

MAX_OPEN_DAYS = 31


LATE_CHANGE_COLUMNS = [
    "period", "unit_code", "indicator_code", "old_numerator", "old_denominator", "old_value",
    "numerator", "denominator", "value", "user_name", "created_at", "reason", "batch_id",
]  # fmt: skip


class ClosingMixin(UnitsMixin, AuditMixin):
    """Issued reports, closed months, openings and late-change reasons."""

    # --- issuing ----------------------------------------------------------------------------
    def issue_report(self, period: str, root_code: str, docx: bytes, xlsx: bytes, figures: dict,
                     actor: Actor) -> int:  # fmt: skip
        """Keep the report and its annex exactly as produced, with the figures they were built
        from, and close the month for `root_code` and every unit below it. Returns the version
        (1, then 2 for a replacement, …); earlier versions are kept."""
        require(actor, "issue_report")
        with self.transaction("báo cáo phát hành") as cur:
            version = cur.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM issued_reports WHERE period = ? AND root_code = ?",
                [period, root_code],
            ).fetchone()[0]
            issue_id = self._ids(cur, "issue_ids")
            digests = hashlib.sha256(docx).hexdigest(), hashlib.sha256(xlsx).hexdigest()
            cur.execute(
                "INSERT INTO issued_reports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [issue_id, period, root_code, version, docx, digests[0], xlsx, digests[1],
                 json.dumps(figures, ensure_ascii=False, default=str, sort_keys=True), actor.label, clock.now()],
            )  # fmt: skip
            self._audit(cur, actor, "report_issue", f"báo cáo {format.month(period)} của {root_code}", None,
                        {"version": version, "docx_sha256": digests[0], "xlsx_sha256": digests[1]})  # fmt: skip
        return int(version)

    def issued_reports(self, period: str | None = None) -> pd.DataFrame:
        """Every issued report without its files, newest first: id, period, root_code, version,
        docx_sha256, xlsx_sha256, issued_by, issued_at."""
        where, params = ("WHERE period = ?", [period]) if period else ("", [])
        return self.query_df(
            "SELECT id, period, root_code, version, docx_sha256, xlsx_sha256, issued_by, issued_at "
            f"FROM issued_reports {where} ORDER BY period DESC, root_code, version DESC",
            params,
        )

    def issued_report(self, period: str, root_code: str, version: int | None = None) -> dict | None:
        """One issued report with its files (`docx`, `xlsx` bytes) and `figures`; the latest
        version unless one is asked for."""
        sql = ("SELECT version, docx, docx_sha256, xlsx, xlsx_sha256, figures, issued_by, issued_at "
               "FROM issued_reports WHERE period = ? AND root_code = ?")  # fmt: skip
        params: list = [period, root_code]
        if version is not None:
            sql += " AND version = ?"
            params.append(int(version))
        with self.cursor() as cur:
            row = cur.execute(sql + " ORDER BY version DESC LIMIT 1", params).fetchone()
        if row is None:
            return None
        keys = ["version", "docx", "docx_sha256", "xlsx", "xlsx_sha256", "figures", "issued_by", "issued_at"]
        found = dict(zip(keys, row))
        found["docx"], found["xlsx"] = bytes(found["docx"]), bytes(found["xlsx"])
        found["figures"] = json.loads(found["figures"])
        return found

    # --- closed months -----------------------------------------------------------------------
    def open_month(self, period: str, unit_code: str, days: int, reason: str, actor: Actor) -> datetime:
        """Let `unit_code` change its closed month `period` for `days` days ("mở bổ sung");
        returns until when."""
        require(actor, "issue_report")
        if not 1 <= int(days) <= MAX_OPEN_DAYS:
            raise StoreError(f"Số ngày mở bổ sung phải từ 1 đến {MAX_OPEN_DAYS}.")
        try:
            reason = clean_reason(reason, required=True, missing="Cần ghi lý do mở bổ sung số liệu.")
        except ValueError as exc:
            raise StoreError(str(exc)) from None
        with self.transaction("việc mở bổ sung tháng") as cur:
            if unit_code not in self._parents(cur):
                raise StoreError(f"Không có đơn vị mã {unit_code}.")
            now = clock.now()
            until = now + timedelta(days=int(days))
            cur.execute(
                "INSERT INTO month_openings VALUES (?, ?, ?, ?, ?, ?, ?)",
                [self._ids(cur, "opening_ids"), period, unit_code, until, reason, actor.label, now],
            )
            self._audit(cur, actor, "month_open", f"{unit_code} tháng {period}", None,
                        {"until": until, "reason": reason})  # fmt: skip
        return until

    def closed_units(self, cur: duckdb.DuckDBPyConnection, pairs: set[tuple[str, str]],
                     now: datetime) -> dict[tuple[str, str], str]:  # fmt: skip
        """Of the (period, unit) pairs, those closed at `now` and not opened: each with why it is
        closed (the issued report, or the auto-close day), in Vietnamese."""
        if not pairs:
            return {}
        months = sorted({period for period, _ in pairs})
        marks = ", ".join("?" * len(months))
        issued: dict[str, dict[str, tuple]] = {}
        for period, root, version, at in cur.execute(
            f"SELECT period, root_code, max(version), max(issued_at) FROM issued_reports WHERE period IN ({marks}) "
            "GROUP BY period, root_code", months,
        ).fetchall():  # fmt: skip
            issued.setdefault(period, {})[root] = (version, at)
        opened = {(p, u) for p, u in cur.execute(
            f"SELECT period, unit_code FROM month_openings WHERE period IN ({marks}) AND until > ?", [*months, now],
        ).fetchall()}  # fmt: skip
        auto_day = self._settings_auto_close_day(cur)
        parents = self._parents(cur) if issued else {}
        closed = {}
        for period, unit in pairs:
            if (period, unit) in opened:
                continue
            node, seen = unit, 0
            while node is not None and seen < 10 and node not in issued.get(period, {}):
                node, seen = parents.get(node), seen + 1
            if node is not None and node in issued.get(period, {}):
                version, at = issued[period][node]
                closed[(period, unit)] = (
                    f"{format.month(period)} đã khóa: báo cáo tháng (bản {version}) đã phát hành lúc "
                    f"{at:%H:%M %d/%m/%Y}"
                )
            elif auto_day and now > datetime(int(period[:4]), int(period[5:]), auto_day, 23, 59, 59):
                closed[(period, unit)] = f"{format.month(period)} đã khóa tự động sau ngày {auto_day}"
        return closed

    def closed_for(self, pairs: set[tuple[str, str]], at: datetime) -> dict[tuple[str, str], str]:
        """`closed_units` for a caller without a cursor (an import checking before it writes)."""
        with self.cursor() as cur:
            return self.closed_units(cur, pairs, at)

    def _settings_auto_close_day(self, cur: duckdb.DuckDBPyConnection) -> int | None:
        # read in the caller's transaction, as `TargetsMixin.settings` reads it
        row = cur.execute("SELECT value FROM settings WHERE key = 'settings'").fetchone()
        return Settings.model_validate_json(row[0]).auto_close_day if row else None

    def closed_months(self, root_code: str) -> list[str]:
        """The months `root_code` has issued a report for, newest first."""
        with self.cursor() as cur:
            rows = cur.execute(
                "SELECT DISTINCT period FROM issued_reports WHERE root_code = ? ORDER BY period DESC", [root_code]
            ).fetchall()
        return [r[0] for r in rows]

    def late_changes(self, since: datetime | None = None) -> pd.DataFrame:
        """Figures changed in closed months, with why: one row per figure of a batch stored with a
        reason (and not reverted): period, unit_code, indicator_code, the value before and after
        (numerator, denominator, value and their old_ twins), user_name, created_at, reason."""
        where, params = ("AND b.created_at > ?", [since]) if since else ("", [])
        with self.cursor() as cur:
            # the few late batches and their months first: the revisions are then read for those
            # months only (on PostgreSQL a filter it applies, instead of every revision sent over)
            late = cur.execute(
                "SELECT l.batch_id, b.periods FROM late_changes l JOIN batches b ON b.id = l.batch_id "
                "WHERE l.batch_id NOT IN (SELECT batch_id FROM batch_reverts)"
            ).fetchall()  # fmt: skip
        if not late:
            return pd.DataFrame(columns=LATE_CHANGE_COLUMNS)
        months = sorted({m for _, listed in late for m in str(listed).split(",") if m})
        in_months = ", ".join("'" + m.replace("'", "") + "'" for m in months)
        return self.query_df(
            f"""WITH late AS (
                    SELECT l.batch_id, l.reason FROM late_changes l
                    WHERE l.batch_id NOT IN (SELECT batch_id FROM batch_reverts)
                ), revisions AS (
                    SELECT s.*, lag(s.numerator) OVER w AS old_numerator, lag(s.denominator) OVER w AS old_denominator,
                           lag(s.value) OVER w AS old_value
                    FROM submissions s
                    WHERE s.period IN ({in_months}) AND s.batch_id NOT IN (SELECT batch_id FROM batch_reverts)
                      AND (s.period, s.unit_code, s.indicator_code) IN (
                          SELECT period, unit_code, indicator_code FROM submissions WHERE batch_id IN (SELECT batch_id FROM late))
                    WINDOW w AS (PARTITION BY s.period, s.unit_code, s.indicator_code ORDER BY s.id)
                )
                SELECT r.period, r.unit_code, r.indicator_code, r.old_numerator, r.old_denominator, r.old_value,
                       r.numerator, r.denominator, r.value, b.user_name, b.created_at, late.reason, r.batch_id
                FROM revisions r JOIN late ON late.batch_id = r.batch_id JOIN batches b ON b.id = r.batch_id
                WHERE TRUE {where}
                ORDER BY b.created_at, r.period, r.unit_code, r.indicator_code""",
            params,
        )  # fmt: skip
