"""The task register ("5 rõ"): append-only task revisions and monthly progress notes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

import duckdb
import pandas as pd

from indicators.domain import clock
from indicators.domain.accounts import Actor, require_tasks
from indicators.domain.tasks import Task
from indicators.storage.units import UnitsMixin

TASK_FIELDS = [
    "code", "task_group", "title", "unit", "person", "expected_result", "deadline",
    "recurrence_day", "status", "done_on", "cancel_reason",
]  # fmt: skip


def _natural(code: str) -> list[tuple]:
    """Sort key that puts NV2.10 after NV2.9."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", code)]


class TasksMixin(UnitsMixin):
    """Tasks and their notes (who may write them depends on the units' levels)."""

    def _insert_task_revisions(
        self, cur: duckdb.DuckDBPyConnection, tasks: Iterable[Task], author: str
    ) -> None:
        now = clock.now()
        rows = [[*(getattr(t, f) for f in TASK_FIELDS), author, now] for t in tasks]
        if rows:
            first = self._ids(cur, "task_revision_ids", len(rows))
            cur.executemany(
                f"INSERT INTO task_revisions VALUES ({', '.join('?' * (len(TASK_FIELDS) + 3))})",
                [[first + n, *row] for n, row in enumerate(rows)],
            )

    def tasks(self) -> list[Task]:
        """The current revision of every task (cancelled ones included), in code order."""
        with self.cursor() as cur:
            rows = cur.execute(f"SELECT {', '.join(TASK_FIELDS)} FROM current_tasks").fetchall()
        tasks = [Task(**dict(zip(TASK_FIELDS, row))) for row in rows]
        return sorted(tasks, key=lambda t: (t.task_group, _natural(t.code)))

    def save_tasks(self, tasks: Iterable[Task], actor: Actor) -> None:
        """Append a revision for each task that is new or changed; nothing is overwritten."""
        tasks = list(tasks)
        with self.transaction("sổ nhiệm vụ") as cur:
            require_tasks(actor, self._levels(cur))
            stored = {
                row[0]: dict(zip(TASK_FIELDS, row))
                for row in cur.execute(f"SELECT {', '.join(TASK_FIELDS)} FROM current_tasks").fetchall()
            }
            changed_tasks = []
            for task in tasks:
                after = {key: getattr(task, key) for key in TASK_FIELDS}
                before = stored.get(task.code)
                if before == after:
                    continue
                changed_tasks.append(task)
                keys = [key for key in TASK_FIELDS if before is None or before[key] != after[key]]
                self._audit(cur, actor, "task", f"nhiệm vụ {task.code}",
                            None if before is None else {k: before[k] for k in keys},
                            {k: after[k] for k in keys})  # fmt: skip
            self._insert_task_revisions(cur, changed_tasks, actor.label)

    def task_history(self, code: str) -> pd.DataFrame:
        return self.query_df("SELECT * FROM task_revisions WHERE code = ? ORDER BY id DESC", [code])

    def task_notes(self, code: str | None = None) -> pd.DataFrame:
        sql = "SELECT code, period, note, author, created_at FROM task_notes"
        params = []
        if code:
            sql += " WHERE code = ?"
            params.append(code)
        return self.query_df(sql + " ORDER BY created_at, id", params)

    def add_task_note(self, code: str, period: str, note: str, actor: Actor,
                      at: datetime | None = None) -> None:  # fmt: skip
        with self.transaction("ghi chú tiến độ") as cur:
            require_tasks(actor, self._levels(cur))
            cur.execute(
                "INSERT INTO task_notes VALUES (?, ?, ?, ?, ?, ?)",
                [self._ids(cur, "task_note_ids"), code, period, note, actor.label, at or clock.now()],
            )
            self._audit(cur, actor, "task_note", f"nhiệm vụ {code}", None, {"period": period, "note": note})
