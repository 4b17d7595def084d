"""The demo data: whether there is any, and removing it (units, batches, tasks and accounts)."""

from __future__ import annotations

from indicators.domain.accounts import Actor, require
from indicators.storage.audit import AuditMixin
from indicators.storage.current import REBUILD_CURRENT, REBUILD_TOTALS

DEMO_AUTHOR = "dữ liệu mẫu"  # who the demo's batches, task revisions and notes are written by


class DemoMixin(AuditMixin):
    """The one deletion the product makes."""

    def has_demo(self) -> bool:
        with self.cursor() as cur:
            return bool(
                cur.execute(
                    "SELECT (SELECT count(*) FROM batches WHERE is_demo) "
                    "+ (SELECT count(*) FROM units WHERE is_demo)"
                ).fetchone()[0]
            )

    def remove_demo(self, actor: Actor) -> int:
        """Delete the demo data and demo accounts (the one deletion the product makes: it was
        never official). The audit log keeps its rows and records the removal."""
        require(actor, "manage_demo")
        with self.transaction("việc xóa dữ liệu mẫu") as cur:
            ids = [r[0] for r in cur.execute("SELECT id FROM batches WHERE is_demo").fetchall()]
            if ids:
                marks = ", ".join("?" * len(ids))
                cur.execute(f"DELETE FROM submissions WHERE batch_id IN ({marks})", ids)
                cur.execute(f"DELETE FROM batch_reverts WHERE batch_id IN ({marks})", ids)
                cur.execute(f"DELETE FROM batches WHERE id IN ({marks})", ids)
                for sql in REBUILD_CURRENT:
                    self._run_native(cur, sql)
            cur.execute("DELETE FROM units WHERE is_demo")
            for sql in REBUILD_TOTALS:  # after the units: what is left of theirs counts under its own code
                self._run_native(cur, sql)
            cur.execute("DELETE FROM task_revisions WHERE author = ?", [DEMO_AUTHOR])
            cur.execute("DELETE FROM task_notes WHERE author = ?", [DEMO_AUTHOR])
            users = [r[0] for r in cur.execute("SELECT name FROM users WHERE is_demo").fetchall()]
            cur.execute("DELETE FROM sessions WHERE user_name IN (SELECT name FROM users WHERE is_demo)")
            cur.execute("DELETE FROM users WHERE is_demo")
            self._audit(cur, actor, "demo_remove", "dữ liệu mẫu", {"batches": len(ids), "users": users}, None)
            return len(ids)
