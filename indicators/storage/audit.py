"""The append-only audit log: one row per change, written in the change's own transaction."""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from indicators.domain import clock
from indicators.domain.accounts import Actor, require
from indicators.storage.connection import Connection

# What each audit action means, for the audit page and its export
AUDIT_ACTIONS_VI = {
    "import": "Nhập số liệu",
    "revert": "Hoàn tác lô nhập",
    "target": "Sửa chỉ tiêu kế hoạch",
    "unit": "Cập nhật đơn vị",
    "settings": "Sửa cài đặt",
    "task": "Cập nhật nhiệm vụ",
    "task_note": "Ghi tiến độ nhiệm vụ",
    "user_add": "Thêm tài khoản",
    "user_update": "Sửa tài khoản",
    "demo_remove": "Xóa dữ liệu mẫu",
    "restore": "Khôi phục từ bản sao lưu",
    "migrate": "Chuyển dữ liệu từ tệp DuckDB sang PostgreSQL",
    "month_approve": "Duyệt số liệu tháng",
    "month_return": "Trả lại số liệu tháng",
    "report_issue": "Phát hành báo cáo tháng",
    "month_open": "Mở bổ sung tháng đã khóa",
    "unit_recode": "Đổi mã đơn vị",
}


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


class AuditMixin(Connection):
    """Writing audit rows (`_audit`, `_audit_many`) and reading them back."""

    def _audit(self, cur: duckdb.DuckDBPyConnection, actor: Actor, action: str, obj: str,
               before=None, after=None) -> None:  # fmt: skip
        """Append one audit row in the caller's transaction: it lands with the change or not at all."""
        self._audit_many(cur, actor, action, [(obj, before, after)])

    def _audit_many(self, cur: duckdb.DuckDBPyConnection, actor: Actor, action: str,
                    changes: list[tuple[str, object, object]]) -> None:  # fmt: skip
        """`_audit` for many objects at once: (object, before, after) each."""
        first = self._ids(cur, "audit_ids", len(changes))
        now = clock.now()
        values = [(first + n, now, actor.label, actor.role, actor.kind, action, obj, _json(before), _json(after))
                  for n, (obj, before, after) in enumerate(changes)]  # fmt: skip
        if len(values) == 1:  # most writes: a frame's registration would cost more than the write
            cur.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values[0])
            return
        rows = pd.DataFrame(
            values, columns=["id", "logged_at", "actor", "role", "actor_kind", "action", "object", "before", "after"]
        ).astype({"before": object, "after": object})  # fmt: skip
        cur.register("incoming_audit", rows)
        try:
            cur.execute("INSERT INTO audit_log SELECT * FROM incoming_audit")
        finally:
            cur.unregister("incoming_audit")

    def audit_log(self, actor: Actor, limit: int | None = None) -> pd.DataFrame:
        """The audit rows, newest first (admins only)."""
        require(actor, "read_audit")
        sql = "SELECT * FROM audit_log ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self.query_df(sql)
