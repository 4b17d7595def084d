"""`Store`: the product's one way to its data, made of one part per concern (see the package).

One connection per process, a cursor per call, writes serialised. Submissions are append-only
revisions; reverting a batch appends a row to `batch_reverts`, so nothing is overwritten in place.
`open_store` and `restore_database` live here because they make a `Store`.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import duckdb

from indicators.domain import periods
from indicators.domain.accounts import Actor, require
from indicators.domain.errors import StoreError, StoreLockedError
from indicators.storage.accounts import AccountsMixin
from indicators.storage.audit import AuditMixin
from indicators.storage.backup import BackupMixin, backup_schema_version
from indicators.storage.batches import BatchesMixin
from indicators.storage.check import CheckMixin
from indicators.storage.closing import ClosingMixin
from indicators.storage.connection import (
    Connection,
    _connections,
    _connections_lock,
    damaged,
    default_path,
    is_postgres,
)
from indicators.storage.current import CURRENT_SELECT, TOTAL_OF, TOTALS_SELECT, CurrentMixin, same_key
from indicators.storage.demo import DemoMixin
from indicators.storage.drafts import DraftsMixin
from indicators.storage.recode import RecodeMixin
from indicators.storage.reviews import ReviewsMixin
from indicators.storage.schema import MIGRATIONS, SchemaMixin
from indicators.storage.submissions import SubmissionsMixin
from indicators.storage.targets import TargetsMixin
from indicators.storage.tasks import TasksMixin
from indicators.storage.units import UnitsMixin

__all__ = ["Store", "open_store", "restore_database", "store_as_of"]


# Each part before the parts it builds on (Python's method order requires it); only `Connection`
# has an `__init__`, and no two parts define the same name.
class Store(
    CheckMixin,
    SchemaMixin,
    RecodeMixin,
    ReviewsMixin,
    DraftsMixin,
    TasksMixin,
    TargetsMixin,
    AccountsMixin,
    BackupMixin,
    DemoMixin,
    BatchesMixin,
    ClosingMixin,
    SubmissionsMixin,
    UnitsMixin,
    AuditMixin,
    CurrentMixin,
    Connection,
):
    """A database (a DuckDB file, `:memory:` or a postgresql:// URL), opened and migrated."""

    def __init__(self, path: str | os.PathLike = ":memory:"):
        super().__init__(path)
        try:
            self.migrate()
        except (duckdb.Error, StoreError) as exc:
            # the connection and the file lock are let go: a restore (or a retry) can take the file
            try:
                self._let_go()  # not `close`: `open_store` holds the registry's lock around this
            except (duckdb.Error, StoreError, OSError):
                pass
            if isinstance(exc, StoreLockedError) or self.is_postgres or self.path == ":memory:":
                raise
            raise StoreError(damaged(self.path, exc)) from exc


def open_store(path: str | os.PathLike | None = None) -> Store:
    """The process-wide store for `path` (default: $CDS_DB or data/cds.duckdb), migrated.

    `path` is a DuckDB file or a postgresql:// URL (a database shared by several app servers)."""
    path = path or default_path()
    if is_postgres(path) or str(path) == ":memory:":
        key = str(path)
    else:
        key = str(Path(path).resolve())
    with _connections_lock:
        store = _connections.get(key)
        if store is None:
            store = Store(path)
            if key != ":memory:":
                _connections[key] = store
        return store


# The figures as they stood at a moment: the revisions of batches written by then and not yet
# reverted by then (submissions are append-only, so this is exact). Only the keys changed since
# (`_CHANGED_SINCE`) can differ from today's current values: those are recomputed, the rest copied.
_LIVE_AT = ("(SELECT s.* FROM submissions s JOIN batches b ON b.id = s.batch_id WHERE b.created_at <= $moment "
            "AND s.batch_id NOT IN (SELECT batch_id FROM batch_reverts WHERE reverted_at <= $moment){months}) s")  # fmt: skip
_CHANGED_SINCE = """SELECT DISTINCT s.period, s.unit_code, s.indicator_code FROM submissions s
    JOIN batches b ON b.id = s.batch_id
    WHERE (b.created_at > $moment OR s.batch_id IN (SELECT batch_id FROM batch_reverts WHERE reverted_at > $moment))
    {months}"""
_COPIED_AS_IS = ("units", "targets", "settings", "task_revisions", "task_notes")


def store_as_of(source: Store, moment: datetime, months: list[str] | None = None, totals_only: bool = False) -> Store:
    """A read-only copy in memory of `source` with its figures as they stood at `moment` (the
    commune's local time): every metric and view run on it gives the figures of that moment. Units,
    targets, settings and tasks are today's. `months`: only these months' figures (a month's summary
    reads its year up to it and the month before: `periods.summary_months`).

    Today's current values and totals are copied, but for the keys a batch written or reverted
    after `moment` touched: their values are recomputed from the revisions live then, and the
    totals they count in summed again. `totals_only`: of today's current values, only those that
    count in a total a changed key counts in (to sum it again): the totals are exact, the values
    are not all there, which a summary of a commune or a city, read from the totals, does not need
    (`summary --as-of`: a city's month in a fifth of the time)."""
    snapshot = Store(":memory:")
    # the months as parameters, one each: bound before planning, they still reach PostgreSQL's scan
    wanted = {f"month{i}": m for i, m in enumerate(m for m in map(periods.parse_period, months or []) if m)}
    listed = ", ".join(f"${name}" for name in wanted) or "NULL"
    in_months = f" AND s.period IN ({listed})" if months is not None else ""
    of_months = f" WHERE period IN ({listed})" if months is not None else ""
    with source.cursor() as cur:
        tables = {name: cur.execute(f"SELECT * FROM {name}").fetch_arrow_table() for name in _COPIED_AS_IS}
        changed = cur.execute(_CHANGED_SINCE.format(months=in_months), {"moment": moment, **wanted}).fetch_arrow_table()
        cur.register("changed", changed)
        try:
            recomputed = cur.execute(
                CURRENT_SELECT.format(keys="JOIN changed k ON " + same_key("s"))
                .replace("FROM live_submissions s", "FROM " + _LIVE_AT.format(months=in_months)),
                {"moment": moment, **wanted},
            ).fetch_arrow_table()  # fmt: skip
            rows = f"(SELECT * FROM current_submissions{of_months}) c"
            if totals_only:  # the values of the totals the changed keys count in
                of_key, of_row = (TOTAL_OF.replace("cs.unit_code", f"{a}.unit_code") for a in ("k", "c"))
                rows = (f"(SELECT c.* FROM {rows} LEFT JOIN units u ON u.code = c.unit_code "
                        f"SEMI JOIN (SELECT DISTINCT k.period, {of_key} AS total, k.indicator_code FROM changed k "
                        "LEFT JOIN units u ON u.code = k.unit_code) t ON t.period = c.period "
                        f"AND t.indicator_code = c.indicator_code AND t.total = {of_row}) c")  # fmt: skip
            kept = cur.execute(f"SELECT c.* FROM {rows} ANTI JOIN changed k ON " + same_key("c"),
                               wanted if of_months else None).fetch_arrow_table()  # fmt: skip
        finally:
            cur.unregister("changed")
        totals = cur.execute(f"SELECT * FROM current_totals{of_months}", wanted if of_months else None).fetch_arrow_table()
    with snapshot.transaction() as cur:
        for name, table in {**tables, "current_totals": totals}.items():
            cur.execute(f"DELETE FROM {name}")
            cur.register("copied", table)
            try:
                cur.execute(f"INSERT INTO {name} SELECT * FROM copied")
            finally:
                cur.unregister("copied")
        for part in (kept, recomputed):
            cur.register("copied", part)
            try:
                cur.execute("INSERT INTO current_submissions SELECT * FROM copied")
            finally:
                cur.unregister("copied")
        if changed.num_rows:  # the totals the changed keys count in, summed again
            cur.register("changed", changed)
            try:
                total_of = TOTAL_OF.replace("cs.unit_code", "k.unit_code")
                cur.execute(f"CREATE TEMP TABLE changed_totals AS SELECT DISTINCT k.period, {total_of} AS unit_code, "
                            "k.indicator_code FROM changed k LEFT JOIN units u ON u.code = k.unit_code")  # fmt: skip
            finally:
                cur.unregister("changed")
            cur.execute("DELETE FROM current_totals USING changed_totals k WHERE " + same_key("current_totals"))
            cur.execute("INSERT INTO current_totals " + TOTALS_SELECT.format(
                rows="current_submissions",
                keys="JOIN changed_totals k ON c.period = k.period AND c.total_code = k.unit_code "
                     "AND c.indicator_code = k.indicator_code"))  # fmt: skip
            cur.execute("DROP TABLE changed_totals")
    return snapshot


def restore_database(db_path: str | os.PathLike, backup_path: str | os.PathLike, actor: Actor) -> Path | None:
    """Replace the database at `db_path` with the backup file; returns the safety copy, if any.

    The database must not be open (in this process or another: StoreLockedError). The current
    file is kept as `<db>.before-restore`, then the backup is copied over it and migrated; the
    restored database's audit log keeps every row of the replaced one (those written after the
    backup was made are carried over) and records the restore.
    """
    require(actor, "edit_settings")
    if is_postgres(db_path):
        raise StoreError(
            "Cơ sở dữ liệu PostgreSQL được khôi phục bằng pg_restore (xem docs/deploy.md), "
            "không bằng lệnh này."
        )
    db, source = Path(db_path).resolve(), Path(backup_path).resolve()
    if not source.is_file():
        raise StoreError(f"Không tìm thấy bản sao lưu {source}.")
    if source == db:
        raise StoreError("Bản sao lưu và cơ sở dữ liệu là cùng một tệp.")
    version = backup_schema_version(source)
    if version > len(MIGRATIONS):
        raise StoreError(
            f"Bản sao lưu {source} có lược đồ phiên bản {version}, mới hơn phiên bản "
            f"{len(MIGRATIONS)} mà chương trình này hiểu: hãy cập nhật chương trình trước khi khôi phục."
        )
    with _connections_lock:
        if str(db) in _connections:
            raise StoreError(
                f"Tệp dữ liệu {db} đang mở trong chương trình này: hãy đóng nó trước khi khôi phục."
            )
    safety = None
    audit: list[tuple] = []  # the replaced database's audit rows: carried into the restored one
    if db.exists():
        try:
            current = Store(db)  # StoreLockedError if another process holds it; folds in the WAL
            try:
                with current.cursor() as cur:
                    audit = cur.execute("SELECT * FROM audit_log ORDER BY id").fetchall()
            finally:
                current.close()
        except StoreLockedError:
            raise
        except StoreError:
            pass  # a damaged file: keep it (and its WAL) as the safety copy all the same
        safety = db.with_name(db.name + ".before-restore")
        shutil.copy2(db, safety)
        if db.with_name(db.name + ".wal").exists():
            shutil.copy2(db.with_name(db.name + ".wal"), safety.with_name(safety.name + ".wal"))
    partial = db.with_name(db.name + ".restoring")
    shutil.copy2(source, partial)
    wal = source.with_name(source.name + ".wal")
    db_wal = db.with_name(db.name + ".wal")
    db_wal.unlink(missing_ok=True)  # a stale WAL would be replayed onto the restored file
    if wal.exists():
        shutil.copy2(wal, db_wal)
    os.replace(partial, db)
    restored = Store(db)  # migrates the restored file to this program's schema
    try:
        with restored.transaction() as cur:
            # the audit log only grows: what was logged after the backup was made is kept, ids and all
            last = cur.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]
            later = [row for row in audit if row[0] > last]
            if later:
                cur.executemany(f"INSERT INTO audit_log VALUES ({', '.join('?' * len(later[0]))})", later)
                cur.execute("SELECT max(nextval('audit_ids')) FROM range(?)", [later[-1][0] - last])
            restored._audit(cur, actor, "restore", "cơ sở dữ liệu", None,
                            {"backup": str(source), "kept_as": str(safety) if safety else None})  # fmt: skip
    finally:
        restored.close()
    return safety
