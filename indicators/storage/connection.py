"""Opening a database and talking to it: `Connection`, the base every part of `Store` builds on.

One connection per database and process (the registry `_connections`, which `store.open_store` fills
and `close` empties), a cursor per call, and writes serialised: a thread lock within the process,
and a file lock (DuckDB) or an advisory lock (PostgreSQL) between processes. The dialect helpers
(`_run_native`, `_query_native`, `_native`, `_ids`) hand a statement to the database itself, and
`data_version` tells whether anything a dashboard shows has changed.
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.dataset  # noqa: F401  DuckDB imports it and pyarrow.fs at its first Arrow table:
import pyarrow.fs  # noqa: F401  at start-up, then, not in a page (0,04 s)

from indicators.domain.errors import StoreError, StoreLockedError

DEFAULT_DB = "data/cds.duckdb"


def default_path() -> str:
    return os.environ.get("CDS_DB") or DEFAULT_DB


def lock_path(db_path: str | os.PathLike) -> str:
    return str(db_path) + ".lock"


CHECKPOINT_THRESHOLD = "64MB"  # of write-ahead log; see Connection.__init__
PG_ALIAS = "cds"  # the attached PostgreSQL database, as DuckDB names it
WRITE_LOCK_KEY = 572026  # the advisory lock every writer of a shared database holds


def is_postgres(path: str | os.PathLike | None) -> bool:
    return str(path or "").startswith(("postgresql://", "postgres://"))


def shown_path(path: str | os.PathLike) -> str:
    """The database as messages name it: a URL without its password."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", str(path))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _extension_directory() -> str:
    """Where the pip package duckdb-ext-postgres keeps the extension (no download needed)."""
    return str(Path(duckdb.__file__).resolve().parent.parent / "duckdb_ext" / "extensions")


def attach_postgres(url: str) -> duckdb.DuckDBPyConnection:
    """DuckDB in memory with the PostgreSQL database `url` attached as the default catalog.

    READ COMMITTED, so that a writer that waited for the write lock sees what the writer before
    it committed (REPEATABLE READ would keep the snapshot of its first statement).
    """
    conn = duckdb.connect(":memory:")
    try:
        conn.execute(f"SET extension_directory = {_literal(_extension_directory())}")
        conn.execute("SET autoinstall_known_extensions = false")
        conn.execute("LOAD postgres")
        # One COPY per scan, which PostgreSQL answers from its indexes. By default DuckDB splits
        # a scan of a table PostgreSQL has analysed into ranges of 1.000 pages, and each range is
        # read whole: a month of a city's current values (39.000 of a million rows) took 0,15 s
        # instead of 20 ms.
        conn.execute("SET GLOBAL pg_use_ctid_scan = false")
        conn.execute(
            f"ATTACH {_literal(url)} AS {PG_ALIAS} (TYPE postgres, ISOLATION_LEVEL 'READ COMMITTED')"
        )
        conn.execute(f"USE {PG_ALIAS}")
    except duckdb.Error:
        conn.close()
        raise
    return conn


def not_saved(what: str, exc: BaseException) -> str:
    """The Vietnamese message of a write the database refused."""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return (
        f"Chưa lưu được {what}: cơ sở dữ liệu báo lỗi khi ghi ({reason[:300]}). Không có gì bị ghi dở; "
        "hãy thử lại sau, và báo quản trị viên nếu lỗi lặp lại (ổ đĩa có thể đã đầy)."
    )


def damaged(path: str | os.PathLike, exc: BaseException) -> str:
    """What to do about a database file DuckDB cannot read: which file, and how to restore it."""
    reason = str(exc.__cause__ or exc).splitlines()[0] if str(exc.__cause__ or exc) else type(exc).__name__
    return (
        f"Không mở được tệp dữ liệu {path}: tệp bị hỏng hoặc không phải cơ sở dữ liệu của ứng dụng "
        f"({reason[:300]}). Nếu đây là tệp dữ liệu của ứng dụng, hãy dừng ứng dụng rồi khôi phục "
        f"từ bản sao lưu gần nhất: python -m indicators restore --db {path} --from TỆP_SAO_LƯU "
        f"(tệp hiện tại được giữ lại thành {path}.before-restore), rồi kiểm tra bằng "
        f"python -m indicators check --db {path}."
    )


def not_read(path: str | os.PathLike, exc: BaseException) -> str:
    """The Vietnamese message of a read the database refused while a page was shown: a damaged
    block of the file, or a PostgreSQL server gone away. Nothing was changed by the failed read."""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if is_postgres(path):
        return (
            f"Không đọc được số liệu từ cơ sở dữ liệu PostgreSQL {shown_path(path)} ({reason[:300]}). "
            "Không có gì bị thay đổi. Hãy tải lại trang sau ít phút; nếu lỗi lặp lại, báo quản trị viên "
            "kiểm tra máy chủ cơ sở dữ liệu."
        )
    return (
        f"Không đọc được số liệu từ tệp dữ liệu {path} ({reason[:300]}). Không có gì bị thay đổi. "
        f"Nếu lỗi lặp lại, tệp có thể đã bị hỏng: quản trị viên kiểm tra bằng python -m indicators check "
        f"--db {path}, rồi khôi phục từ bản sao lưu gần nhất nếu cần: python -m indicators restore "
        f"--db {path} --from TỆP_SAO_LƯU."
    )


def _quietly(cur: duckdb.DuckDBPyConnection, statement: str) -> None:
    """Run `statement` if the connection still can (after a fatal error it cannot; DuckDB then
    discards the transaction itself)."""
    try:
        cur.execute(statement)
    except duckdb.Error:
        pass


_connections: dict[str, Connection] = {}  # the `Store` of each open database, by key (`open_store`)
_connections_lock = threading.Lock()


class Connection:
    """An open database (a DuckDB file, in memory, or a PostgreSQL URL), not yet migrated: the
    plumbing the other parts of `Store` read and write through."""

    def __init__(self, path: str | os.PathLike = ":memory:"):
        self.path = str(path)
        self.is_postgres = is_postgres(self.path)
        self._write_lock = threading.RLock()
        self._held = 0
        self._carrier: duckdb.DuckDBPyConnection | None = None
        self._units_kept: dict[tuple, object] = {}  # see `UnitsMixin._kept_with_units`
        self._pin = threading.local()  # see `one_version`
        if self.is_postgres:
            self._conn = self._attach_postgres()
            self._lock_file = None
            return
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = duckdb.connect(self.path)
        except duckdb.Error as exc:
            # not just "lock": a damaged block's message says "in block at location …"
            if "could not set lock" in str(exc).lower():
                raise StoreLockedError(
                    f"Tệp dữ liệu {self.path} đang được một chương trình khác sử dụng "
                    "(có thể ứng dụng đang chạy). Hãy dùng ứng dụng đang mở, hoặc dừng nó rồi "
                    "thử lại."
                ) from exc
            raise StoreError(damaged(self.path, exc)) from exc
        # A checkpoint compresses again the partly filled last row group of every table it writes;
        # at DuckDB's default 16 MB of log a city's imports checkpoint every 9 files and compress
        # each row about twice (city: 65 -> 32 ms per file). 64 MB of log replays in about a second.
        self._conn.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        # Another process (the CLI's backup) takes this file lock to copy the database between
        # two writes of the running app; see `backup.backup_while_open`.
        self._lock_file = open(lock_path(self.path), "a+") if self.path != ":memory:" else None  # noqa: SIM115

    def _attach_postgres(self) -> duckdb.DuckDBPyConnection:
        try:
            return attach_postgres(self.path)
        except duckdb.Error as exc:
            raise StoreError(
                f"Không kết nối được cơ sở dữ liệu PostgreSQL {shown_path(self.path)}: "
                f"{str(exc).splitlines()[0]}"
            ) from exc

    # --- plumbing -------------------------------------------------------------------------
    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._conn.cursor()
        try:
            if self.is_postgres:  # a cursor starts in DuckDB's own catalog
                cur.execute(f"USE {PG_ALIAS}")
            yield cur
        finally:
            cur.close()

    def _run_native(self, cur: duckdb.DuckDBPyConnection, sql: str) -> None:
        """A statement the database runs itself: DuckDB, or PostgreSQL in the cursor's transaction."""
        if self.is_postgres:
            cur.execute(f"CALL postgres_execute({_literal(PG_ALIAS)}, {_literal(sql)})")
        else:
            cur.execute(sql)

    def _query_native(self, cur: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
        """A small query the database answers itself (PostgreSQL uses its indexes; DuckDB would
        copy the tables over to scan them)."""
        return cur.execute(f"SELECT * FROM {self._native(sql)}").fetchall()

    def _native(self, sql: str) -> str:
        """`sql`, run by the database itself, as a relation for a DuckDB query. PostgreSQL sends
        the rows it found: a city's completeness query took 35 ms reading its month this way,
        50 ms through DuckDB's scan of the attached table (medians of 30 interleaved runs)."""
        if self.is_postgres:
            return f"postgres_query({_literal(PG_ALIAS)}, {_literal(sql)})"
        return f"({sql})"

    def _ids(self, cur: duckdb.DuckDBPyConnection, sequence: str, count: int = 1) -> int:
        """The first of `count` consecutive new ids (the caller holds the write lock)."""
        if self.is_postgres:
            sql = f"SELECT setval('{sequence}', nextval('{sequence}') + {int(count) - 1})"
            return int(self._query_native(cur, sql)[0][0]) - int(count) + 1
        return int(
            cur.execute(f"SELECT min(nextval('{sequence}')) FROM range(?)", [int(count)]).fetchone()[0]
        )

    def read_failure(self, exc: BaseException) -> str | None:
        """What to tell the user when a page's read failed with `exc`; None when `exc` is not the
        database's (a bug in the page, shown as such)."""
        return not_read(self.path, exc) if isinstance(exc, duckdb.Error) else None

    @contextmanager
    def transaction(self, what: str = "thay đổi") -> Iterator[duckdb.DuckDBPyConnection]:
        """One serialised write transaction: all of it lands, or none of it.

        A database error (a full disk, a lost server, a conflict) is rolled back and raised as a
        StoreError that says, in Vietnamese, that `what` was not saved: no page shows a raw
        database exception, and nothing is half written.
        """
        try:
            with self.exclusive(), self.cursor() as cur:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                except BaseException:
                    _quietly(cur, "ROLLBACK")
                    raise
                try:
                    cur.execute("COMMIT")
                except duckdb.Error:
                    _quietly(cur, "ROLLBACK")
                    raise
                self._pin.version = None  # this thread's run shows its own write at once
        except duckdb.Error as exc:
            raise StoreError(not_saved(what, exc)) from exc

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the write lock across a read-check-write sequence (re-entrant with transaction).

        The thread lock serialises this process's sessions; the file lock (taken once, at the
        outermost level) keeps another process's backup copy out of a write in progress.
        """
        with self._write_lock:
            if self._held == 0:
                try:
                    self._take_process_lock()
                except duckdb.Error as exc:  # PostgreSQL gone: nothing was written yet
                    if self._carrier is not None:
                        _quietly(self._carrier, "ROLLBACK")
                        self._carrier.close()
                        self._carrier = None
                    raise StoreError(not_saved("thay đổi", exc)) from exc
            self._held += 1
            try:
                yield
            finally:
                self._held -= 1
                if self._held == 0:
                    self._release_process_lock()

    def _take_process_lock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        elif self.is_postgres:
            # Every writing process (app servers, the command line) takes the same advisory lock
            # in a transaction of its own connection, held until the write is over: writes of all
            # processes run one after another, as in one process.
            self._carrier = self._conn.cursor()
            self._carrier.execute("BEGIN TRANSACTION")
            self._carrier.execute(
                f"CALL postgres_execute({_literal(PG_ALIAS)}, 'SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})')"
            )

    def _release_process_lock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
        elif self._carrier is not None:
            try:
                self._carrier.execute("COMMIT")
            finally:
                self._carrier.close()
                self._carrier = None

    def query_df(self, sql: str, params: Iterable | None = None) -> pd.DataFrame:
        with self.cursor() as cur:
            return cur.execute(sql, list(params or [])).df()

    def close(self) -> None:
        try:
            self._let_go()
        finally:
            with _connections_lock:
                for key, store in list(_connections.items()):
                    if store is self:
                        del _connections[key]

    def _let_go(self) -> None:
        """Close the connection and release the file lock (the registry is the caller's)."""
        try:
            if self.is_postgres:
                self._conn.close()
            else:
                with self.exclusive():  # closing checkpoints: not while another process copies the file
                    self._conn.close()
        finally:  # a damaged file may fail its last checkpoint: its lock is released all the same
            if self._lock_file is not None:
                self._lock_file.close()
                self._lock_file = None

    @contextmanager
    def one_version(self) -> Iterator[None]:
        """Within the block, in this thread, `data_version` is read once (then again after a write
        through this store): a page run asks for it before each kept result, a dozen times, and
        the query costs milliseconds. Another process's or thread's write shows at the next run."""
        self._pin.active, self._pin.version = True, None
        try:
            yield
        finally:
            self._pin.active, self._pin.version = False, None

    def data_version(self) -> tuple:
        """Changes whenever anything a dashboard shows changes: a cache key for the UI (and, on a
        shared database, how one app server sees another's writes at its next run)."""
        if not getattr(self._pin, "active", False):
            return self._read_data_version()
        if self._pin.version is None:
            self._pin.version = self._read_data_version()
        return self._pin.version

    def _read_data_version(self) -> tuple:
        with self.cursor() as cur:
            # scalar subqueries: DuckDB 1.4 answers them in 2 ms, where a cross join of thirteen
            # one-row aggregates took 25 ms to plan (the benchmark's warm runs, session 14)
            return tuple(self._query_native(
                cur,
                """SELECT (SELECT max(id) FROM batches) AS last_batch, (SELECT count(*) FROM batches) AS batches,
                    (SELECT count(*) FROM batch_reverts) AS reverts,
                    (SELECT max(set_at) FROM targets) AS targets_set, (SELECT count(*) FROM targets) AS targets,
                    (SELECT max(updated_at) FROM units) AS units_set, (SELECT count(*) FROM units) AS units,
                    (SELECT max(value) FROM settings) AS settings,
                    (SELECT max(id) FROM task_revisions) AS last_task_revision,
                    (SELECT max(id) FROM task_notes) AS last_task_note,
                    (SELECT max(id) FROM month_reviews) AS last_review,
                    (SELECT max(id) FROM issued_reports) AS last_issue,
                    (SELECT max(id) FROM month_openings) AS last_opening""",
            )[0])  # fmt: skip
