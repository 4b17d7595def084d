"""Copies of the database: a backup of an open store or of the file another process holds
open, a backup's schema version, and moving a DuckDB file into PostgreSQL."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import time
from pathlib import Path

import duckdb

from indicators.domain.accounts import Actor, require
from indicators.domain.errors import StoreError
from indicators.storage.audit import AuditMixin
from indicators.storage.connection import _literal, lock_path, shown_path

LOCK_WAIT_SECONDS = 60


class BackupMixin(AuditMixin):
    """A store's copy of itself, and its filling from a DuckDB file (`copy_from_duckdb`)."""

    def backup(self, path: str | os.PathLike) -> Path:
        """Write a consistent copy of the whole database to the new file `path`.

        DuckDB copies itself (`COPY FROM DATABASE`) while the write lock is held, so no write of
        this process lands half-way; readers carry on. The copy is written to a temporary file
        next to `path` and renamed at the end: `path` is either the complete copy or absent.
        """
        target = Path(path).resolve()
        if target.exists():
            raise StoreError(f"Tệp {target} đã có: hãy chọn tên khác cho bản sao lưu.")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        for leftover in (partial, partial.with_name(partial.name + ".wal")):
            leftover.unlink(missing_ok=True)
        if self.is_postgres:
            return self._pg_dump(target, partial)
        quoted = str(partial).replace("'", "''")
        with self.exclusive(), self.cursor() as cur:
            source = cur.execute("SELECT current_database()").fetchone()[0]
            source = '"' + source.replace('"', '""') + '"'
            cur.execute(f"ATTACH '{quoted}' AS cds_backup_target")
            try:
                cur.execute(f"COPY FROM DATABASE {source} TO cds_backup_target")
                cur.execute("CHECKPOINT cds_backup_target")
            except BaseException as exc:
                cur.execute("DETACH cds_backup_target")
                partial.unlink(missing_ok=True)
                if isinstance(exc, duckdb.Error):  # a full disk, or a damaged block of the database
                    raise StoreError(
                        f"Chưa sao lưu được vào {target}: {str(exc).splitlines()[0][:300]} "
                        "(ổ đĩa đầy, hoặc tệp dữ liệu hỏng: python -m indicators check)."
                    ) from exc
                raise
            cur.execute("DETACH cds_backup_target")
        os.replace(partial, target)
        return target

    def _pg_dump(self, target: Path, partial: Path) -> Path:
        """PostgreSQL's own consistent copy (pg_dump, custom format; restore with pg_restore)."""
        tool = shutil.which("pg_dump")
        if tool is None:
            raise StoreError("Không tìm thấy pg_dump: hãy cài gói postgresql-client để sao lưu PostgreSQL.")
        done = subprocess.run([tool, "--format=custom", "--no-owner", f"--file={partial}", self.path],
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise StoreError(
                f"pg_dump không sao lưu được {shown_path(self.path)}: {done.stderr.strip()[:500]}"
            )
        os.replace(partial, target)
        return target

    # --- moving a DuckDB file into PostgreSQL ------------------------------------------------
    def copy_from_duckdb(self, source: str | os.PathLike, actor: Actor) -> dict[str, tuple[int, int]]:
        """Copy the whole content of a DuckDB file (history included) into this new PostgreSQL
        database, in one transaction; returns {table: (rows in the file, rows here)}.

        The file is brought to this program's schema first. This database must hold no units,
        batches, accounts or audit rows yet (the catalog's targets and seed tasks a new database starts with
        are replaced by the file's). Sequences continue after the copied ids.
        """
        require(actor, "edit_settings")
        if not self.is_postgres:
            raise StoreError("Chỉ chuyển được dữ liệu vào một cơ sở dữ liệu PostgreSQL (postgresql://…).")
        type(self)(source).close()  # migrates the file (StoreLockedError while the app holds it)
        with self.cursor() as cur:
            used = self._query_native(
                cur,
                "SELECT (SELECT count(*) FROM units) + (SELECT count(*) FROM batches) + (SELECT count(*) FROM users) "
                "+ (SELECT count(*) FROM audit_log) AS n",  # the copy replaces every table: never an audit row
            )[0][0]
        if used:
            raise StoreError(
                f"Cơ sở dữ liệu {shown_path(self.path)} đã có dữ liệu: hãy chuyển vào một cơ sở dữ liệu mới."
            )
        counts: dict[str, tuple[int, int]] = {}
        with self.transaction("dữ liệu chuyển sang PostgreSQL") as cur:
            cur.execute(f"ATTACH {_literal(str(Path(source).resolve()))} AS cds_source (READ_ONLY)")
            try:
                tables = [r[0] for r in cur.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'cds_source' "
                    "AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY table_name"
                ).fetchall()]  # fmt: skip
                for table in tables:
                    columns = ", ".join(f'"{c[0]}"' for c in cur.execute(
                        "SELECT column_name FROM information_schema.columns WHERE table_catalog = 'cds_source' "
                        "AND table_name = ? ORDER BY ordinal_position", [table]
                    ).fetchall())  # fmt: skip
                    cur.execute(f'DELETE FROM "{table}"')
                    cur.execute(
                        f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM cds_source."{table}"'
                    )
                    source_rows = cur.execute(f'SELECT count(*) FROM cds_source."{table}"').fetchone()[0]
                    counts[table] = (source_rows, 0)
            finally:
                cur.execute("DETACH cds_source")
            for sequence, table in (("batch_ids", "batches"), ("submission_ids", "submissions"),
                                    ("task_revision_ids", "task_revisions"), ("task_note_ids", "task_notes"),
                                    ("audit_ids", "audit_log"), ("review_ids", "month_reviews"),
                                    ("issue_ids", "issued_reports"), ("opening_ids", "month_openings")):  # fmt: skip
                self._query_native(
                    cur, f"SELECT setval('{sequence}', (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
            self._audit(cur, actor, "migrate", "cơ sở dữ liệu", None, {"copied_from": str(source)})
        with self.cursor() as cur:
            for table in counts:
                here = self._query_native(cur, f'SELECT count(*) AS n FROM "{table}"')[0][0]
                counts[table] = (counts[table][0], here - (1 if table == "audit_log" else 0))
            # statistics now, not when autovacuum gets to it: until then PostgreSQL plans the
            # first pages' queries for empty tables, and analyses a city's million rows under them
            self._run_native(cur, "ANALYZE")
        return counts


def backup_while_open(db_path: str | os.PathLike, out: str | os.PathLike,
                      wait_seconds: float = LOCK_WAIT_SECONDS) -> Path:  # fmt: skip
    """Back up a database that another process (the running app) holds open.

    That process takes the file lock around every write (`Store.exclusive`), and DuckDB changes
    its files only while writing. Holding the same lock, the database file and its write-ahead
    log are copied as a consistent pair; the copy is then opened on its own (which replays the
    log), checkpointed into one file, checked, and renamed to `out`.
    """
    db, target = Path(db_path).resolve(), Path(out).resolve()
    if target.exists():
        raise StoreError(f"Tệp {target} đã có: hãy chọn tên khác cho bản sao lưu.")
    if not db.is_file():
        raise StoreError(f"Không tìm thấy tệp dữ liệu {db}.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial_wal = partial.with_name(partial.name + ".wal")
    for leftover in (partial, partial_wal):
        leftover.unlink(missing_ok=True)
    with open(lock_path(db), "a+") as lock:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"Ứng dụng đang ghi dữ liệu liên tục hơn {int(wait_seconds)} giây; hãy thử sao lưu lại sau."
                    ) from None
                time.sleep(0.05)
        try:
            shutil.copy2(db, partial)
            wal = db.with_name(db.name + ".wal")
            if wal.exists():
                shutil.copy2(wal, partial_wal)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    try:
        conn = duckdb.connect(str(partial))
        try:
            conn.execute("CHECKPOINT")
            conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        finally:
            conn.close()
    except duckdb.Error as exc:
        partial.unlink(missing_ok=True)
        partial_wal.unlink(missing_ok=True)
        raise StoreError(f"Bản sao chép không mở được, chưa ghi bản sao lưu: {exc}") from exc
    partial_wal.unlink(missing_ok=True)
    os.replace(partial, target)
    return target


def backup_schema_version(path: str | os.PathLike) -> int:
    """The schema version of a backup file, read without changing it; StoreError if not ours."""
    try:
        conn = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise StoreError(f"Không đọc được bản sao lưu {path}: {exc}") from exc
    try:
        return conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]
    except duckdb.Error as exc:
        raise StoreError(f"Tệp {path} không phải bản sao lưu của ứng dụng này.") from exc
    finally:
        conn.close()
