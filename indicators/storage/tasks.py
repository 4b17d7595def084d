"""The task registers ("5 rõ"), one per commune: append-only task revisions and monthly progress notes.

Each revision and note carries the code of its commune. The register of a database made before
communes had one each, and the seed tasks of a new database written before its units, carry "":
that register is the home commune's (`_home_commune`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

import duckdb
import pandas as pd

from indicators.domain import clock
from indicators.domain.accounts import Actor, allowed_units, require_tasks
from indicators.domain.errors import PermissionDenied, StoreError
from indicators.domain.settings import Settings
from indicators.domain.tasks import Task
from indicators.storage.units import UnitsMixin

TASK_FIELDS = [
    "code", "task_group", "title", "unit", "person", "expected_result", "deadline",
    "recurrence_day", "status", "done_on", "cancel_reason",
]  # fmt: skip
_COLUMNS = ", ".join(TASK_FIELDS)


def _natural(code: str) -> list[tuple]:
    """Sort key that puts NV2.10 after NV2.9."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", code)]


def _marks(values: list) -> str:
    return ", ".join("?" * len(values))


class TasksMixin(UnitsMixin):
    """Each commune's tasks and their notes (who may write them depends on the units' levels and on
    the account's communes)."""

    def _home_commune(self, cur: duckdb.DuckDBPyConnection) -> str | None:
        """The commune of the register stored without one: the settings' home unit when it is a
        commune, else the only commune of the tree; None when neither says."""
        levels = self._levels(cur)
        row = cur.execute("SELECT value FROM settings WHERE key = 'settings'").fetchone()
        home = Settings.model_validate_json(row[0]).home_unit if row else ""
        if levels.get(home) == "commune":
            return home
        communes = [code for code, level in levels.items() if level == "commune"]
        return communes[0] if len(communes) == 1 else None

    def _assign_tasks_to_home(self, cur: duckdb.DuckDBPyConnection) -> None:
        """The migration to one register per commune: the existing register goes to the home commune
        when it is known (else it stays "", read as the home commune's once there is one)."""
        home = self._home_commune(cur)
        if home:
            cur.execute("UPDATE task_revisions SET commune_code = ? WHERE commune_code = ''", [home])
            cur.execute("UPDATE task_notes SET commune_code = ? WHERE commune_code = ''", [home])

    def _register_keys(self, cur: duckdb.DuckDBPyConnection, commune: str) -> list[str]:
        """The stored commune codes of `commune`'s register."""
        return [commune, ""] if commune == (self._home_commune(cur) or "") else [commune]

    def _writable_commune(self, cur: duckdb.DuckDBPyConnection, actor: Actor, commune: str | None) -> str:
        """The commune whose register `actor` writes (None: the home commune), or why not."""
        levels = self._levels(cur)
        require_tasks(actor, levels)
        if not commune:
            home = self._home_commune(cur)
            if home is None and any(level == "commune" for level in levels.values()):
                raise StoreError("Có nhiều xã: hãy chọn xã có sổ nhiệm vụ cần cập nhật.")
            return home or ""
        if levels.get(commune) != "commune":
            raise StoreError(f"“{commune}” không phải mã một xã trong danh mục: mỗi xã có một sổ nhiệm vụ.")
        parents = dict(cur.execute("SELECT code, parent FROM units").fetchall())
        allowed = allowed_units(actor, parents)
        if allowed is not None and commune not in allowed:
            raise PermissionDenied(
                f"Tài khoản “{actor.label}” không được giao xã {commune}: chỉ cập nhật sổ nhiệm vụ của xã mình."
            )
        return commune

    def _current_tasks(self, cur: duckdb.DuckDBPyConnection, keys: list[str] | None) -> list[tuple]:
        sql = f"SELECT {_COLUMNS}, commune_code FROM current_tasks"
        if keys is None:
            return cur.execute(sql).fetchall()
        return cur.execute(f"{sql} WHERE commune_code IN ({_marks(keys)})", keys).fetchall()

    def _insert_task_revisions(
        self, cur: duckdb.DuckDBPyConnection, tasks: Iterable[Task], author: str, communes: Iterable[str] | None = None
    ) -> None:
        """Append a revision of each task, in the register of the commune of the same rank in
        `communes` (None: "", the home commune's)."""
        now = clock.now()
        tasks = list(tasks)
        columns = ["id", *TASK_FIELDS, "author", "revised_at"]
        rows = [[*(getattr(t, f) for f in TASK_FIELDS), author, now] for t in tasks]
        if communes is not None:  # the seed names none: written before the register had communes
            columns.append("commune_code")
            rows = [[*row, key] for row, key in zip(rows, communes, strict=True)]
        if rows:
            first = self._ids(cur, "task_revision_ids", len(rows))
            cur.executemany(
                f"INSERT INTO task_revisions ({', '.join(columns)}) VALUES ({_marks(columns)})",
                [[first + n, *row] for n, row in enumerate(rows)],
            )

    def tasks(self, commune: str | None = None) -> list[Task]:
        """The current revision of every task of `commune`'s register (None: every commune's),
        cancelled ones included, in code order; each task says its commune."""
        with self.cursor() as cur:
            rows = self._current_tasks(cur, None if commune is None else self._register_keys(cur, commune))
            home = self._home_commune(cur) or ""
        tasks = [Task(**dict(zip(TASK_FIELDS, row[:-1])), commune_code=row[-1] or home) for row in rows]
        return sorted(tasks, key=lambda t: (t.commune_code, t.task_group, _natural(t.code)))

    def save_tasks(self, tasks: Iterable[Task], actor: Actor, commune: str | None = None) -> None:
        """Append a revision for each task of `commune`'s register (None: the home commune's) that
        is new or changed; nothing is overwritten. An officer writes only their own commune's."""
        tasks = list(tasks)
        with self.transaction("sổ nhiệm vụ") as cur:
            commune = self._writable_commune(cur, actor, commune)
            stored = {row[0]: (dict(zip(TASK_FIELDS, row[:-1])), row[-1])
                      for row in self._current_tasks(cur, self._register_keys(cur, commune))}  # fmt: skip
            changed_tasks, keys = [], []
            for task in tasks:
                after = {key: getattr(task, key) for key in TASK_FIELDS}
                before, key = stored.get(task.code, (None, commune))
                if before == after:
                    continue
                changed_tasks.append(task)
                keys.append(key)  # a revision stays in the register of the task's first one
                fields = [field for field in TASK_FIELDS if before is None or before[field] != after[field]]
                self._audit(cur, actor, "task", f"nhiệm vụ {task.code}" + (f" của {commune}" if commune else ""),
                            None if before is None else {k: before[k] for k in fields},
                            {k: after[k] for k in fields})  # fmt: skip
            self._insert_task_revisions(cur, changed_tasks, actor.label, keys)

    def task_history(self, code: str, commune: str | None = None) -> pd.DataFrame:
        """Every revision of task `code` of `commune`'s register (None: the home commune's), newest first."""
        with self.cursor() as cur:
            keys = self._register_keys(cur, commune if commune is not None else self._home_commune(cur) or "")
        return self.query_df(
            f"SELECT * FROM task_revisions WHERE code = ? AND commune_code IN ({_marks(keys)}) ORDER BY id DESC",
            [code, *keys],
        )

    def task_notes(self, code: str | None = None, commune: str | None = None) -> pd.DataFrame:
        """The progress notes of `commune`'s register (None: every commune's), of task `code` (None: all)."""
        sql = "SELECT code, period, note, author, created_at, commune_code FROM task_notes WHERE TRUE"
        params: list = []
        if commune is not None:
            with self.cursor() as cur:
                keys = self._register_keys(cur, commune)
            sql += f" AND commune_code IN ({_marks(keys)})"
            params += keys
        if code:
            sql += " AND code = ?"
            params.append(code)
        notes = self.query_df(sql + " ORDER BY created_at, id", params)
        with self.cursor() as cur:
            home = self._home_commune(cur) or ""
        notes["commune_code"] = notes["commune_code"].replace("", home)
        return notes

    def add_task_note(self, code: str, period: str, note: str, actor: Actor,
                      at: datetime | None = None, commune: str | None = None) -> None:  # fmt: skip
        """A progress note on task `code` of `commune`'s register (None: the home commune's)."""
        with self.transaction("ghi chú tiến độ") as cur:
            commune = self._writable_commune(cur, actor, commune)
            found = {row[0]: row[-1] for row in self._current_tasks(cur, self._register_keys(cur, commune))}
            if code not in found:
                raise StoreError(f"Không có nhiệm vụ {code} trong sổ nhiệm vụ của xã {commune}.".replace(" của xã .", "."))
            cur.execute(
                "INSERT INTO task_notes (id, code, period, note, author, created_at, commune_code) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [self._ids(cur, "task_note_ids"), code, period, note, actor.label, at or clock.now(), found[code]],
            )
            self._audit(cur, actor, "task_note", f"nhiệm vụ {code}", None, {"period": period, "note": note})
