"""The DuckDB store: one connection per process, a cursor per call, writes serialised.

Every SQL statement of the product lives here as a named function. Submissions are append-only
revisions; reverting a batch appends a row to `batch_reverts`, so nothing is overwritten in place.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset  # noqa: F401  DuckDB imports it and pyarrow.fs at its first Arrow table:
import pyarrow.fs  # noqa: F401  at start-up, then, not in a page (0,04 s)

from indicators.domain import catalog
from indicators.domain.accounts import Actor, allowed_units, require, require_tasks, require_units
from indicators.domain.errors import PermissionDenied, StoreError, StoreLockedError
from indicators.domain.settings import Settings
from indicators.domain.units import STORED_FIELDS, OrgUnit

__all__ = ["PermissionDenied", "Store", "StoreError", "StoreLockedError", "open_store"]

DEFAULT_DB = "data/cds.duckdb"
DEMO_AUTHOR = "dữ liệu mẫu"  # who the demo's batches, task revisions and notes are written by


def default_path() -> str:
    return os.environ.get("CDS_DB") or DEFAULT_DB


def lock_path(db_path: str | os.PathLike) -> str:
    return str(db_path) + ".lock"


MIGRATIONS: list[str] = [
    # 1: the whole first schema
    """
    CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
    CREATE TABLE units (
        code VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        parent VARCHAR,
        level VARCHAR NOT NULL,
        households INTEGER,
        population INTEGER,
        active BOOLEAN NOT NULL DEFAULT TRUE,
        is_demo BOOLEAN NOT NULL DEFAULT FALSE,
        updated_at TIMESTAMP NOT NULL
    );
    CREATE TABLE targets (
        indicator_code VARCHAR NOT NULL,
        year INTEGER NOT NULL,
        value DOUBLE NOT NULL,
        basis VARCHAR,
        set_by VARCHAR,
        set_at TIMESTAMP NOT NULL,
        PRIMARY KEY (indicator_code, year)
    );
    CREATE SEQUENCE batch_ids START 1;
    CREATE SEQUENCE submission_ids START 1;
    CREATE TABLE batches (
        id INTEGER PRIMARY KEY,
        file_name VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        user_name VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        periods VARCHAR NOT NULL,
        rows_total INTEGER NOT NULL,
        rows_new INTEGER NOT NULL,
        rows_changed INTEGER NOT NULL,
        rows_unchanged INTEGER NOT NULL,
        warnings VARCHAR NOT NULL,
        outcome VARCHAR NOT NULL,
        is_demo BOOLEAN NOT NULL DEFAULT FALSE
    );
    CREATE TABLE batch_reverts (
        batch_id INTEGER PRIMARY KEY,
        reverted_at TIMESTAMP NOT NULL,
        reverted_by VARCHAR NOT NULL
    );
    CREATE TABLE submissions (
        id BIGINT PRIMARY KEY,
        batch_id INTEGER NOT NULL,
        period VARCHAR NOT NULL,
        unit_code VARCHAR NOT NULL,
        indicator_code VARCHAR NOT NULL,
        numerator DOUBLE,
        denominator DOUBLE,
        value DOUBLE,
        note VARCHAR,
        received_at TIMESTAMP NOT NULL,
        source_row INTEGER
    );
    CREATE INDEX submissions_key ON submissions (period, unit_code, indicator_code);
    CREATE VIEW live_submissions AS
        SELECT s.* FROM submissions s
        WHERE s.batch_id NOT IN (SELECT batch_id FROM batch_reverts);
    CREATE VIEW current_submissions AS
        SELECT * EXCLUDE (rn) FROM (
            SELECT *,
                row_number() OVER (PARTITION BY period, unit_code, indicator_code ORDER BY id DESC)
                    AS rn,
                min(received_at) OVER (PARTITION BY period, unit_code, indicator_code)
                    AS first_received_at,
                count(*) OVER (PARTITION BY period, unit_code, indicator_code) AS revisions
            FROM live_submissions
        ) WHERE rn = 1;
    """,
    # 2: the task register ("5 rõ"): append-only revisions and monthly progress notes
    """
    CREATE SEQUENCE task_revision_ids START 1;
    CREATE TABLE task_revisions (
        id BIGINT PRIMARY KEY,
        code VARCHAR NOT NULL,
        task_group INTEGER NOT NULL,
        title VARCHAR NOT NULL,
        unit VARCHAR NOT NULL,
        person VARCHAR NOT NULL,
        expected_result VARCHAR NOT NULL,
        deadline DATE,
        recurrence_day INTEGER,
        status VARCHAR NOT NULL,
        done_on DATE,
        cancel_reason VARCHAR NOT NULL,
        author VARCHAR NOT NULL,
        revised_at TIMESTAMP NOT NULL
    );
    CREATE SEQUENCE task_note_ids START 1;
    CREATE TABLE task_notes (
        id BIGINT PRIMARY KEY,
        code VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        note VARCHAR NOT NULL,
        author VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    CREATE VIEW current_tasks AS
        SELECT * EXCLUDE (rn) FROM (
            SELECT *, row_number() OVER (PARTITION BY code ORDER BY id DESC) AS rn
            FROM task_revisions
        ) WHERE rn = 1;
    """,
    # 3: accounts, login attempts, sessions and the append-only audit log
    """
    CREATE TABLE users (
        name VARCHAR PRIMARY KEY,
        display_name VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        units VARCHAR NOT NULL,
        password_hash VARCHAR NOT NULL,
        active BOOLEAN NOT NULL,
        is_demo BOOLEAN NOT NULL,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL
    );
    CREATE TABLE login_attempts (name VARCHAR NOT NULL, attempted_at TIMESTAMP NOT NULL, ok BOOLEAN NOT NULL);
    CREATE TABLE sessions (
        token_hash VARCHAR PRIMARY KEY,
        user_name VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        last_seen TIMESTAMP NOT NULL,
        ended BOOLEAN NOT NULL
    );
    CREATE SEQUENCE audit_ids START 1;
    CREATE TABLE audit_log (
        id BIGINT PRIMARY KEY,
        logged_at TIMESTAMP NOT NULL,
        actor VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        actor_kind VARCHAR NOT NULL,
        action VARCHAR NOT NULL,
        object VARCHAR NOT NULL,
        before VARCHAR,
        after VARCHAR
    );
    """,
    # 4: the current value of each (period, unit, indicator) kept as a table, refreshed in the
    # transaction of every import, revert and demo removal, instead of a window over every revision
    # on each read (a city holds a million revisions)
    """
    DROP VIEW current_submissions;
    CREATE TABLE current_submissions (
        id BIGINT NOT NULL,
        batch_id INTEGER NOT NULL,
        period VARCHAR NOT NULL,
        unit_code VARCHAR NOT NULL,
        indicator_code VARCHAR NOT NULL,
        numerator DOUBLE,
        denominator DOUBLE,
        value DOUBLE,
        note VARCHAR,
        received_at TIMESTAMP NOT NULL,
        source_row INTEGER,
        first_received_at TIMESTAMP NOT NULL,
        revisions BIGINT NOT NULL
    );
    """,
    # 5: no index on the revisions' key. DuckDB scans rather than probes it (current values are
    # read from their own table since 4), and keeping it cost every import a third of its commit
    # and every checkpoint a rewrite of the whole index (city: commit 0,08 s -> 0,05 s per file).
    """
    DROP INDEX IF EXISTS submissions_key;
    """,
    # 6: the current values summed per month, indicator and commune (`current_totals`), kept with
    # them: a city's or a country's roll-up reads a 24th of the rows (filled after the DDL, with the
    # current values rewritten in id order)
    """
    CREATE TABLE current_totals (
        period VARCHAR NOT NULL,
        unit_code VARCHAR NOT NULL,
        indicator_code VARCHAR NOT NULL,
        numerator DOUBLE,
        denominator DOUBLE,
        value DOUBLE,
        reporters BIGINT NOT NULL
    );
    """,
]

# The same schema in PostgreSQL's dialect, version for version (a shared database for a city,
# see docs/deploy.md). DuckDB runs every query over it (ATTACH … TYPE postgres); only the DDL, the
# sequences and a few statements PostgreSQL runs faster itself are sent as they are.
PG_MIGRATIONS: list[str] = [
    """
    CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
    CREATE TABLE units (
        code VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, parent VARCHAR, level VARCHAR NOT NULL,
        households INTEGER, population INTEGER, active BOOLEAN NOT NULL DEFAULT TRUE,
        is_demo BOOLEAN NOT NULL DEFAULT FALSE, updated_at TIMESTAMP NOT NULL
    );
    CREATE TABLE targets (
        indicator_code VARCHAR NOT NULL, year INTEGER NOT NULL, value DOUBLE PRECISION NOT NULL,
        basis VARCHAR, set_by VARCHAR, set_at TIMESTAMP NOT NULL, PRIMARY KEY (indicator_code, year)
    );
    CREATE SEQUENCE batch_ids START 1;
    CREATE SEQUENCE submission_ids START 1;
    CREATE TABLE batches (
        id INTEGER PRIMARY KEY, file_name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,
        user_name VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, periods VARCHAR NOT NULL,
        rows_total INTEGER NOT NULL, rows_new INTEGER NOT NULL, rows_changed INTEGER NOT NULL,
        rows_unchanged INTEGER NOT NULL, warnings VARCHAR NOT NULL, outcome VARCHAR NOT NULL,
        is_demo BOOLEAN NOT NULL DEFAULT FALSE
    );
    CREATE INDEX batches_sha256 ON batches (sha256);
    CREATE TABLE batch_reverts (
        batch_id INTEGER PRIMARY KEY, reverted_at TIMESTAMP NOT NULL, reverted_by VARCHAR NOT NULL
    );
    CREATE TABLE submissions (
        id BIGINT PRIMARY KEY, batch_id INTEGER NOT NULL, period VARCHAR NOT NULL,
        unit_code VARCHAR NOT NULL, indicator_code VARCHAR NOT NULL, numerator DOUBLE PRECISION,
        denominator DOUBLE PRECISION, value DOUBLE PRECISION, note VARCHAR,
        received_at TIMESTAMP NOT NULL, source_row INTEGER
    );
    CREATE INDEX submissions_key ON submissions (period, unit_code, indicator_code);
    CREATE INDEX submissions_batch ON submissions (batch_id);
    CREATE VIEW live_submissions AS
        SELECT s.* FROM submissions s WHERE s.batch_id NOT IN (SELECT batch_id FROM batch_reverts);
    """,
    """
    CREATE SEQUENCE task_revision_ids START 1;
    CREATE TABLE task_revisions (
        id BIGINT PRIMARY KEY, code VARCHAR NOT NULL, task_group INTEGER NOT NULL, title VARCHAR NOT NULL,
        unit VARCHAR NOT NULL, person VARCHAR NOT NULL, expected_result VARCHAR NOT NULL, deadline DATE,
        recurrence_day INTEGER, status VARCHAR NOT NULL, done_on DATE, cancel_reason VARCHAR NOT NULL,
        author VARCHAR NOT NULL, revised_at TIMESTAMP NOT NULL
    );
    CREATE SEQUENCE task_note_ids START 1;
    CREATE TABLE task_notes (
        id BIGINT PRIMARY KEY, code VARCHAR NOT NULL, period VARCHAR NOT NULL, note VARCHAR NOT NULL,
        author VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL
    );
    CREATE VIEW current_tasks AS
        SELECT id, code, task_group, title, unit, person, expected_result, deadline, recurrence_day,
            status, done_on, cancel_reason, author, revised_at
        FROM (SELECT t.*, row_number() OVER (PARTITION BY code ORDER BY id DESC) AS rn
              FROM task_revisions t) ranked
        WHERE rn = 1;
    """,
    """
    CREATE TABLE users (
        name VARCHAR PRIMARY KEY, display_name VARCHAR NOT NULL, role VARCHAR NOT NULL,
        units VARCHAR NOT NULL, password_hash VARCHAR NOT NULL, active BOOLEAN NOT NULL,
        is_demo BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL
    );
    CREATE TABLE login_attempts (name VARCHAR NOT NULL, attempted_at TIMESTAMP NOT NULL, ok BOOLEAN NOT NULL);
    CREATE TABLE sessions (
        token_hash VARCHAR PRIMARY KEY, user_name VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
        last_seen TIMESTAMP NOT NULL, ended BOOLEAN NOT NULL
    );
    CREATE SEQUENCE audit_ids START 1;
    CREATE TABLE audit_log (
        id BIGINT PRIMARY KEY, logged_at TIMESTAMP NOT NULL, actor VARCHAR NOT NULL, role VARCHAR NOT NULL,
        actor_kind VARCHAR NOT NULL, action VARCHAR NOT NULL, object VARCHAR NOT NULL, before VARCHAR,
        after VARCHAR
    );
    """,
    """
    CREATE TABLE current_submissions (
        id BIGINT NOT NULL, batch_id INTEGER NOT NULL, period VARCHAR NOT NULL,
        unit_code VARCHAR NOT NULL, indicator_code VARCHAR NOT NULL, numerator DOUBLE PRECISION,
        denominator DOUBLE PRECISION, value DOUBLE PRECISION, note VARCHAR,
        received_at TIMESTAMP NOT NULL, source_row INTEGER, first_received_at TIMESTAMP NOT NULL,
        revisions BIGINT NOT NULL
    );
    CREATE INDEX current_submissions_key ON current_submissions (period, unit_code, indicator_code);
    """,
    # 5: PostgreSQL keeps its index on the revisions' key: it probes it (a revert's refresh)
    "SELECT 1",
    """
    CREATE TABLE current_totals (
        period VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, indicator_code VARCHAR NOT NULL,
        numerator DOUBLE PRECISION, denominator DOUBLE PRECISION, value DOUBLE PRECISION,
        reporters BIGINT NOT NULL
    );
    CREATE INDEX current_totals_key ON current_totals (period, unit_code, indicator_code);
    """,
]
CHECKPOINT_THRESHOLD = "64MB"  # of write-ahead log; see Store.__init__
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
        conn.execute(f"ATTACH {_literal(url)} AS {PG_ALIAS} (TYPE postgres, ISOLATION_LEVEL 'READ COMMITTED')")
        conn.execute(f"USE {PG_ALIAS}")
    except duckdb.Error:
        conn.close()
        raise
    return conn


# The latest live revision of each key, with when the key first arrived and how many live revisions
# it has: what `current_submissions` holds. `{keys}` limits it to some keys (a condition on s).
# Plain SQL that DuckDB and PostgreSQL both run.
CURRENT_SELECT = """
    SELECT id, batch_id, period, unit_code, indicator_code, numerator, denominator, value, note,
        received_at, source_row, first_received_at, revisions
    FROM (
        SELECT s.*,
            row_number() OVER (PARTITION BY s.period, s.unit_code, s.indicator_code ORDER BY s.id DESC) AS rn,
            min(s.received_at) OVER (PARTITION BY s.period, s.unit_code, s.indicator_code) AS first_received_at,
            count(*) OVER (PARTITION BY s.period, s.unit_code, s.indicator_code) AS revisions
        FROM live_submissions s {keys}
    ) ranked WHERE rn = 1
"""
# In id order, the order imports append them in: a month's rows of one commune then sit together,
# and DuckDB skips the rest of a month by zone maps (a city's completeness in a country's
# database: 0,5 s -> 0,04 s against the window's own order)
REBUILD_CURRENT = ["DELETE FROM current_submissions",
                   "INSERT INTO current_submissions " + CURRENT_SELECT.format(keys="") + " ORDER BY id"]  # fmt: skip
# The keys one batch wrote. Joined (not a correlated EXISTS, which made DuckDB scan the million
# current values once per import: 0,6 s against 0,03 s at city size).
_BATCH_KEYS = "(SELECT DISTINCT period, unit_code, indicator_code FROM submissions WHERE batch_id = {batch}) k"


def _same_key(a: str, b: str = "k") -> str:
    """The join condition of two tables' (period, unit_code, indicator_code)."""
    return " AND ".join(f"{a}.{column} = {b}.{column}" for column in ("period", "unit_code", "indicator_code"))


# A new batch holds the newest revision of every key it writes (one row per key, the newest ids), so
# its keys' current values are its rows, with the first arrival and revision count carried over from
# the values they replace: no window over every revision. In id order: the checkpoint compresses it
# better (an import's commit 0,09 s -> 0,08 s at city size).
_ADD_BATCH = """
    INSERT INTO current_submissions
    SELECT s.id, s.batch_id, s.period, s.unit_code, s.indicator_code, s.numerator, s.denominator, s.value,
        s.note, s.received_at, s.source_row, coalesce(k.first_received_at, s.received_at),
        coalesce(k.revisions, 0) + 1
    FROM submissions s LEFT JOIN current_submissions k ON {on_key}
    WHERE s.batch_id = {batch} ORDER BY s.id
"""
# A batch none of whose keys has a current value yet (a new month: the usual import): its rows are
# their keys' first values as they are, without the join and its sort (a city's file: 18 ms -> 9 ms,
# plus 5 ms for `_replaces_any` to find that). A plain scan keeps the id order. `{rows}`: the batch's
# rows (`_batch_rows`, or on DuckDB the Arrow table they were inserted from).
_ADD_NEW_BATCH = """
    INSERT INTO current_submissions
    SELECT id, batch_id, period, unit_code, indicator_code, numerator, denominator, value, note,
        received_at, source_row, received_at, 1
    FROM {rows} batch_rows
"""

# `current_totals`: the current values summed per (period, total unit, indicator), where a hamlet's
# figures count in its parent's (its commune's) total and any other unit's in its own. A roll-up to
# a commune or anything above it gives the same sums from these rows (see `Store.rolled_up`).
# Sums of numerators and denominators, NULL when no unit gave one; `reporters`: current rows.
_TOTAL_OF = "CASE WHEN u.level = 'hamlet' AND u.parent IS NOT NULL THEN u.parent ELSE cs.unit_code END"
_SUMMED = """sum(c.numerator) AS numerator, sum(c.denominator) AS denominator, sum(c.value) AS value,
    count(*) AS reporters"""
# `{rows}`: the rows to sum (the current values, or one batch's revisions); `{keys}`: a join limiting them
_TOTALS_SELECT = f"""
    SELECT c.period, c.total_code AS unit_code, c.indicator_code, {_SUMMED}
    FROM (SELECT cs.*, {_TOTAL_OF} AS total_code
          FROM {{rows}} cs LEFT JOIN units u ON u.code = cs.unit_code) c
    {{keys}} GROUP BY 1, 2, 3
"""
REBUILD_TOTALS = ["DELETE FROM current_totals",
                  "INSERT INTO current_totals " + _TOTALS_SELECT.format(rows="current_submissions", keys="")
                  + " ORDER BY 1, 2, 3"]  # fmt: skip
# A batch's own rows summed as `current_totals` sums them
_BATCH_TOTALS_SELECT = _TOTALS_SELECT.format(rows="{rows}", keys="")
# The totals one batch's rows count in
_BATCH_TOTALS = f"(SELECT period, unit_code, indicator_code FROM ({_BATCH_TOTALS_SELECT}) t) k"
# The current values that may count in those totals: of the batch's months, and of the units whose
# total is one of its rows' totals (a commune and its hamlets; a few more at worst, which the join
# on the total leaves out). Found by the index instead of working out the total of every current
# value: a correction of a commune's month in the full city database summed its totals in 186 ms on
# PostgreSQL and 75-125 ms on DuckDB, now 11-29 ms and under 20 ms.
_BATCH_TOTAL_CODES = f"SELECT {_TOTAL_OF} AS code FROM {{rows}} cs LEFT JOIN units u ON u.code = cs.unit_code"
_COUNTED_WITH_BATCH = f"""(SELECT * FROM current_submissions
    WHERE period IN (SELECT period FROM {{rows}} b)
      AND unit_code IN ({_BATCH_TOTAL_CODES}
                        UNION SELECT code FROM units WHERE level = 'hamlet' AND parent IN ({_BATCH_TOTAL_CODES})))"""
# A batch that replaced no current value only adds rows to its totals: its own sums (`batch_sums`)
# are added to theirs, NULL + x being x, instead of summing every current value of the commune again
_BATCH_SUMS = "CREATE TEMP TABLE batch_sums AS " + _BATCH_TOTALS_SELECT
_SUMS_MET = "SELECT count(*) AS n FROM current_totals k JOIN batch_sums b ON " + _same_key("b")


def _sums_added(total: str) -> str:
    """The SET list adding the batch's sums `b` to the total `total` (NULL + x being x)."""
    return ", ".join(
        [f"{c} = coalesce({total}.{c} + b.{c}, {total}.{c}, b.{c})" for c in ("numerator", "denominator", "value")]
        + [f"reporters = {total}.reporters + b.reporters"]
    )


_SUMS_ADDED = [
    f"""UPDATE current_totals SET {_sums_added("current_totals")}
    FROM batch_sums b WHERE {_same_key("current_totals", "b")}""",
    f"""INSERT INTO current_totals SELECT b.* FROM batch_sums b
    WHERE NOT EXISTS (SELECT 1 FROM current_totals k WHERE {_same_key("b")})""",
]
# PostgreSQL: whether any total of the batch's months and total units exists already, one index
# probe per month and total unit (`LIMIT 1` keeps each a probe, whatever the statistics say)
_TOTALS_MET = f"""
    SELECT 1 AS found FROM (SELECT DISTINCT cs.period, {_TOTAL_OF} AS code
                            FROM (SELECT DISTINCT period, unit_code FROM {{rows}} r) cs
                            LEFT JOIN units u ON u.code = cs.unit_code) k
    CROSS JOIN LATERAL (SELECT 1 FROM current_totals c WHERE c.period = k.period AND c.unit_code = k.code LIMIT 1) c
    LIMIT 1
"""
# PostgreSQL: the batch's sums added to the totals that exist and inserted as the others, in one
# statement (DuckDB has no UPDATE in a WITH)
_SUMS_UPSERT = f"""
    WITH b AS ({_BATCH_TOTALS_SELECT}),
    updated AS (
        UPDATE current_totals t SET {_sums_added("t")}
        FROM b WHERE {_same_key("t", "b")}
        RETURNING t.period, t.unit_code, t.indicator_code)
    INSERT INTO current_totals SELECT b.* FROM b WHERE NOT EXISTS (SELECT 1 FROM updated k WHERE {_same_key("b")})
"""


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
}
AUDIT_CHANGES_KEPT = 200  # changed figures listed in an import's audit row (all are in `submissions`)
LOCK_WAIT_SECONDS = 60


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def _replaced(rows: pd.DataFrame) -> dict | None:
    """The values an import replaces, for its audit row (new figures replace nothing)."""
    if "cur_value" not in rows or not len(rows):
        return None
    replacing = np.logical_or.reduce(
        [rows[f"cur_{name}"].notna().to_numpy() for name in ("numerator", "denominator", "value")]
    )
    if not replacing.any():  # the usual import: no copy of the rows
        return None
    old = rows[replacing]
    kept = old.head(AUDIT_CHANGES_KEPT)
    changes = [
        {"period": r.period, "unit": r.unit_code, "indicator": r.indicator_code,
         "before": [r.cur_numerator, r.cur_denominator, r.cur_value], "after": [r.numerator, r.denominator, r.value]}
        for r in kept.itertuples()
    ]  # fmt: skip
    changes = json.loads(json.dumps(changes, default=str).replace("NaN", "null"))
    return {"changed": len(old), "listed": len(kept), "changes": changes}


def _batch_rows(batch: int) -> str:
    """A batch's revisions, as a relation (the `{rows}` of the statements above)."""
    return f"(SELECT * FROM submissions WHERE batch_id = {int(batch)})"


def _python_values(column: pa.ChunkedArray) -> np.ndarray:
    """An Arrow column as Python values (str, int, bool; None for NULL) in an object array."""
    if pa.types.is_integer(column.type):  # numpy would make numbers with NULLs floats
        values = column.fill_null(0).to_numpy().astype(object)
        values[column.is_null().to_numpy(zero_copy_only=False)] = None
        return values
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=object)


def _arrow_rows(rows: pd.DataFrame) -> pa.Table:
    """A batch's rows (SUBMISSION_COLUMNS) for DuckDB to insert, as Arrow, the text columns as
    dictionaries: a file repeats a few months, units and codes thousands of times, and DuckDB
    converts a pandas frame's text cell by cell (a city's file: 18 ms to register as pandas, 8 ms
    to convert and register as Arrow). Refuses two rows with the same key, which the import never
    writes."""
    text = ["period", "unit_code", "indicator_code", "note"]
    table = pa.Table.from_pandas(rows[[c for c in SUBMISSION_COLUMNS if c not in text]], preserve_index=False)
    key = np.zeros(len(rows), dtype=np.int64)  # one number per (period, unit, indicator)
    for column in text:
        codes, uniques = pd.factorize(rows[column])  # an import's are categories: numbered already
        if column != "note":
            key = key * (len(uniques) + 1) + codes + 1
        table = table.append_column(column, pa.DictionaryArray.from_arrays(
            pa.array(codes, pa.int32(), mask=codes < 0), pa.array(np.asarray(uniques, dtype=object), pa.string())))  # fmt: skip
    if pd.Index(key).has_duplicates:
        raise StoreError("Lô nhập có hai dòng cùng kỳ, đơn vị và chỉ tiêu: không ghi.")
    return table


TASK_FIELDS = [
    "code", "task_group", "title", "unit", "person", "expected_result", "deadline",
    "recurrence_day", "status", "done_on", "cancel_reason",
]  # fmt: skip

SUBMISSION_COLUMNS = [
    "period", "unit_code", "indicator_code", "numerator", "denominator", "value", "note",
    "received_at", "source_row",
]  # fmt: skip

def _total_code(code: str, unit: dict | None) -> str:
    """The unit whose `current_totals` a unit's figures count in (as `_TOTAL_OF`; no unit: its own)."""
    if unit and unit["level"] == "hamlet" and unit["parent"] is not None:
        return unit["parent"]
    return code


def _natural(code: str) -> list[tuple]:
    """Sort key that puts NV2.10 after NV2.9."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", code)]


_connections: dict[str, Store] = {}
_connections_lock = threading.Lock()


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


class Store:
    def __init__(self, path: str | os.PathLike = ":memory:"):
        self.path = str(path)
        self.is_postgres = is_postgres(self.path)
        self._write_lock = threading.RLock()
        self._held = 0
        self._carrier: duckdb.DuckDBPyConnection | None = None
        self._units_kept: dict[tuple, object] = {}  # see `_kept_with_units`
        self._pin = threading.local()  # see `one_version`
        if self.is_postgres:
            self._conn = self._attach_postgres()
            self._lock_file = None
            self.migrate()
            return
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = duckdb.connect(self.path)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreLockedError(
                    f"Tệp dữ liệu {self.path} đang được một chương trình khác sử dụng "
                    "(có thể ứng dụng đang chạy). Hãy dùng ứng dụng đang mở, hoặc dừng nó rồi "
                    "thử lại."
                ) from exc
            raise StoreError(f"Không mở được tệp dữ liệu {self.path}: {exc}") from exc
        # A checkpoint compresses again the partly filled last row group of every table it writes;
        # at DuckDB's default 16 MB of log a city's imports checkpoint every 9 files and compress
        # each row about twice (city: 65 -> 32 ms per file). 64 MB of log replays in about a second.
        self._conn.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        # Another process (the CLI's backup) takes this file lock to copy the database between
        # two writes of the running app; see `backup_running`.
        self._lock_file = open(lock_path(self.path), "a+") if self.path != ":memory:" else None  # noqa: SIM115
        self.migrate()

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

    def _refresh_current(self, cur: duckdb.DuckDBPyConnection, batch_id: int | None = None,
                         added: bool = False, rows: str | None = None) -> None:  # fmt: skip
        """Recompute the current values, and their totals, of the keys a batch touches (every key
        without a batch); `added`: the batch was just written and is the newest, so only its keys'
        old values count; `rows`: where the batch's rows can be read (default `_batch_rows`)."""
        if batch_id is None:
            for sql in REBUILD_CURRENT + REBUILD_TOTALS:
                self._run_native(cur, sql)
            return
        batch = int(batch_id)
        keys = _BATCH_KEYS.format(batch=batch)
        rows = rows or _batch_rows(batch)
        if added:
            if not self._replaces_any(cur, batch):  # the usual import: a new month
                self._run_native(cur, _ADD_NEW_BATCH.format(rows=rows))
                self._add_to_totals(cur, rows)
                return
            self._run_native(cur, _ADD_BATCH.format(batch=batch, on_key=_same_key("s")))
            self._run_native(cur, f"DELETE FROM current_submissions USING {keys} WHERE "
                                  + _same_key("current_submissions")
                                  + f" AND current_submissions.batch_id <> {batch}")  # fmt: skip
        else:
            self._run_native(cur, f"DELETE FROM current_submissions USING {keys} WHERE "
                                  + _same_key("current_submissions"))  # fmt: skip
            self._run_native(cur, "INSERT INTO current_submissions "
                                  + CURRENT_SELECT.format(keys=f"JOIN {keys} ON " + _same_key("s")))  # fmt: skip
        totals = _BATCH_TOTALS.format(rows=_batch_rows(batch))
        self._run_native(cur, f"DELETE FROM current_totals USING {totals} WHERE " + _same_key("current_totals"))
        self._run_native(cur, "INSERT INTO current_totals " + _TOTALS_SELECT.format(
            rows=_COUNTED_WITH_BATCH.format(rows=_batch_rows(batch)),
            keys=f"JOIN {totals} ON c.period = k.period AND c.total_code = k.unit_code "
                 "AND c.indicator_code = k.indicator_code"))  # fmt: skip

    def _add_to_totals(self, cur: duckdb.DuckDBPyConnection, rows: str) -> None:
        """Add the sums of a batch (its `rows`) that replaced nothing to `current_totals`. Most
        batches start their totals (a new month of a commune): those are only inserted."""
        if self.is_postgres:
            # one statement, no temporary table to create, count and drop; without statistics (a
            # new database) PostgreSQL's UPDATE sorted every total to find none
            if self._query_native(cur, _TOTALS_MET.format(rows=rows)):
                self._run_native(cur, _SUMS_UPSERT.format(rows=rows))
            else:
                self._run_native(cur, "INSERT INTO current_totals " + _BATCH_TOTALS_SELECT.format(rows=rows))
            return
        self._run_native(cur, _BATCH_SUMS.format(rows=rows))  # a failure rolls it back with the rest
        if self._query_native(cur, _SUMS_MET)[0][0]:
            for sql in _SUMS_ADDED:
                self._run_native(cur, sql)
        else:
            self._run_native(cur, "INSERT INTO current_totals SELECT * FROM batch_sums")
        self._run_native(cur, "DROP TABLE batch_sums")

    def _replaces_any(self, cur: duckdb.DuckDBPyConnection, batch: int) -> bool:
        """Whether the just written batch (its revisions, not yet its current values) has a key
        that already has a current value. DuckDB probes the current values with the batch's keys
        (its new rows found by zone maps); PostgreSQL goes through the batch's revisions (indexed)
        to the current values (indexed)."""
        if self.is_postgres:
            # first by month and unit: a new month's file, the usual import, is answered by one
            # index probe per unit and month instead of one per figure (a commune's 24 months,
            # 9.000 figures: 22 ms -> 8 ms); DuckDB's hash join does the exact probe faster
            months_and_units = (
                f"SELECT 1 AS found FROM (SELECT DISTINCT period, unit_code FROM submissions WHERE batch_id = {batch}) k "
                "WHERE EXISTS (SELECT 1 FROM current_submissions c WHERE c.period = k.period "
                "AND c.unit_code = k.unit_code) LIMIT 1"
            )  # fmt: skip
            if not self._query_native(cur, months_and_units):
                return False
        sql = ("SELECT 1 AS found FROM submissions s JOIN current_submissions c ON " + _same_key("c", "s")
               + f" WHERE s.batch_id = {batch} LIMIT 1")  # fmt: skip
        return bool(self._query_native(cur, sql))

    def _ids(self, cur: duckdb.DuckDBPyConnection, sequence: str, count: int = 1) -> int:
        """The first of `count` consecutive new ids (the caller holds the write lock)."""
        if self.is_postgres:
            sql = f"SELECT setval('{sequence}', nextval('{sequence}') + {int(count) - 1})"
            return int(self._query_native(cur, sql)[0][0]) - int(count) + 1
        return int(cur.execute(f"SELECT min(nextval('{sequence}')) FROM range(?)", [int(count)]).fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One serialised write transaction: all of it lands, or none of it."""
        with self.exclusive(), self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
            self._pin.version = None  # this thread's run shows its own write at once

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the write lock across a read-check-write sequence (re-entrant with transaction).

        The thread lock serialises this process's sessions; the file lock (taken once, at the
        outermost level) keeps another process's backup copy out of a write in progress.
        """
        with self._write_lock:
            if self._held == 0:
                self._take_process_lock()
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
        if self.is_postgres:
            self._conn.close()
        else:
            with self.exclusive():  # closing checkpoints: not while another process copies the file
                self._conn.close()
        if self._lock_file is not None:
            self._lock_file.close()
        with _connections_lock:
            for key, store in list(_connections.items()):
                if store is self:
                    del _connections[key]

    def schema_version(self) -> int:
        with self.cursor() as cur:
            exists = self._query_native(
                cur, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
            )[0][0]
            if not exists:
                return 0
            return self._query_native(cur, "SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0]

    def migrate(self) -> None:
        """Bring the schema up to date; a new database also gets the catalog's 2026 targets.

        Several processes may start at once on a shared database: the write lock lets one migrate.
        """
        with self.transaction() as cur:
            self._run_native(
                cur,
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)",
            )
            # DuckDB's view of the tables, loaded when the store attached, is kept: a table it does
            # not know yet it looks up when a query names it (forgetting the view here made every
            # process's first query load it again: 10 to 15 ms)
            done = self._query_native(cur, "SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0]
            for version, sql in enumerate(PG_MIGRATIONS if self.is_postgres else MIGRATIONS, start=1):
                if version <= done:
                    continue
                self._run_native(cur, sql)
                if self.is_postgres:
                    cur.execute("CALL pg_clear_cache()")  # DuckDB learns the new tables
                cur.execute("INSERT INTO schema_migrations VALUES (?, ?)", [version, datetime.now()])
                if version == 1:
                    self._seed_targets(cur)
                if version == 2:
                    from indicators.domain.tasks import seed_tasks

                    self._insert_task_revisions(cur, seed_tasks(), "hệ thống")
                if version == 4:
                    for statement in REBUILD_CURRENT:
                        self._run_native(cur, statement)
                if version == 6:  # the current values again too: in id order (see REBUILD_CURRENT)
                    for statement in REBUILD_CURRENT + REBUILD_TOTALS:
                        self._run_native(cur, statement)

    @staticmethod
    def _seed_targets(cur: duckdb.DuckDBPyConnection) -> None:
        now = datetime.now()
        cur.executemany(
            "INSERT INTO targets VALUES (?, 2026, ?, ?, 'hệ thống', ?)",
            [[item.code, item.target_2026, item.target_basis, now] for item in catalog.indicators()],
        )

    # --- settings -------------------------------------------------------------------------
    def settings(self) -> Settings:
        with self.cursor() as cur:
            row = cur.execute("SELECT value FROM settings WHERE key = 'settings'").fetchone()
        return Settings.model_validate_json(row[0]) if row else Settings()

    def save_settings(self, settings: Settings, actor: Actor) -> None:
        require(actor, "edit_settings")
        with self.transaction() as cur:
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

    # --- audit ----------------------------------------------------------------------------
    def _audit(self, cur: duckdb.DuckDBPyConnection, actor: Actor, action: str, obj: str,
               before=None, after=None) -> None:  # fmt: skip
        """Append one audit row in the caller's transaction: it lands with the change or not at all."""
        self._audit_many(cur, actor, action, [(obj, before, after)])

    def _audit_many(self, cur: duckdb.DuckDBPyConnection, actor: Actor, action: str,
                    changes: list[tuple[str, object, object]]) -> None:  # fmt: skip
        """`_audit` for many objects at once: (object, before, after) each."""
        first = self._ids(cur, "audit_ids", len(changes))
        now = datetime.now()
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

    def _parents(self, cur: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
        return dict(cur.execute("SELECT code, parent FROM units").fetchall())

    def _levels(self, cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
        return dict(cur.execute("SELECT code, level FROM units").fetchall())

    # --- org units ------------------------------------------------------------------------
    def units(self, include_inactive: bool = True) -> list[OrgUnit]:
        """Every unit by code; kept until the units change (a country has 80.000 of them)."""
        version = self.units_version()

        def read() -> list[OrgUnit]:
            table = self._unit_table(version)
            units = OrgUnit.trusted(zip(*(_python_values(column) for column in table.columns)))
            return units if include_inactive else [u for u in units if u.active]

        return list(self._kept_with_units(("units", include_inactive), version, read))

    def unit_columns(self, version: tuple | None = None) -> dict[str, np.ndarray]:
        """Every unit's code, name, parent, level and active flag as arrays, in code order; kept
        until the units change. A tree is built from these without an object per unit: a city's
        2.851 units are read in 4 ms instead of 16 ms. `version`: `units_version()`, when the
        caller has just read it (on PostgreSQL each read is a round trip)."""
        version = version or self.units_version()

        def read() -> dict[str, np.ndarray]:
            table = self._unit_table(version)
            return {name: table[name].to_numpy() for name in ("code", "name", "parent", "level", "active")}

        return self._kept_with_units(("columns",), version, read)

    def _unit_table(self, version: tuple) -> pa.Table:
        """The units table as Arrow (`OrgUnit.trusted`'s columns, in code order), what `units` and
        `unit_columns` are made from: a country's 83.000 units come in 0,02 s as Arrow and in
        0,15 s as rows."""

        def read() -> pa.Table:
            with self.cursor() as cur:
                return cur.execute(f"SELECT {', '.join(STORED_FIELDS)} FROM units ORDER BY code").fetch_arrow_table()

        return self._kept_with_units(("table",), version, read)

    def _kept_with_units(self, what: tuple, version: tuple, read):
        """What `read` returns, kept while the units are at `version` (only that version's kept)."""
        key = (*what, version)
        kept = self._units_kept.get(key)
        if kept is None:
            kept = read()
            self._units_kept = {k: v for k, v in self._units_kept.items() if k[-1] == version} | {key: kept}
        return kept

    def units_version(self) -> tuple:
        """Changes whenever a unit is added, changed or removed (every write stamps updated_at)."""
        with self.cursor() as cur:
            return tuple(self._query_native(cur, "SELECT count(*) AS n, max(updated_at) AS latest FROM units")[0])

    def save_units(self, units: Iterable[OrgUnit], actor: Actor, is_demo: bool = False) -> None:
        """Add or update units (units are never deleted: history refers to them)."""
        require(actor, "edit_catalog")
        now = datetime.now()
        keys = ["name", "parent", "level", "households", "population", "active"]
        with self.transaction() as cur:
            stored = {
                row[0]: dict(zip(keys, row[1:]))
                for row in cur.execute(f"SELECT code, {', '.join(keys)} FROM units").fetchall()
            }
            rows, audits, regrouped = [], [], False
            for u in units:
                after = {key: getattr(u, key) for key in keys}
                before = stored.get(u.code)
                if before == after:
                    continue
                regrouped = regrouped or _total_code(u.code, before) != _total_code(u.code, after)
                rows.append([u.code, u.name, u.parent, u.level, u.households, u.population, u.active, is_demo, now])
                changed = [key for key in keys if before is None or before[key] != after[key]]
                audits.append((f"đơn vị {u.code}", None if before is None else {k: before[k] for k in changed},
                               {k: after[k] for k in changed}))  # fmt: skip
            if not rows:
                return
            # in bulk: a country's first load is 80.000 units
            incoming = pd.DataFrame(rows, columns=[
                "code", "name", "parent", "level", "households", "population", "active", "is_demo", "updated_at",
            ]).astype({"households": "Int64", "population": "Int64", "parent": object})  # fmt: skip
            cur.register("incoming_units", incoming)
            try:
                cur.execute(
                    """INSERT INTO units SELECT * FROM incoming_units
                    ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent = excluded.parent,
                        level = excluded.level, households = excluded.households,
                        population = excluded.population, active = excluded.active,
                        updated_at = excluded.updated_at"""
                )
            finally:
                cur.unregister("incoming_units")
            if regrouped:  # a hamlet moved, or a unit became or stopped being a hamlet
                for sql in REBUILD_TOTALS:
                    self._run_native(cur, sql)
            self._audit_many(cur, actor, "unit", audits)

    # --- tasks ----------------------------------------------------------------------------
    def _insert_task_revisions(self, cur: duckdb.DuckDBPyConnection, tasks: Iterable, author: str) -> None:
        now = datetime.now()
        rows = [[*(getattr(t, f) for f in TASK_FIELDS), author, now] for t in tasks]
        if rows:
            first = self._ids(cur, "task_revision_ids", len(rows))
            cur.executemany(
                f"INSERT INTO task_revisions VALUES ({', '.join('?' * (len(TASK_FIELDS) + 3))})",
                [[first + n, *row] for n, row in enumerate(rows)],
            )

    def tasks(self) -> list:
        """The current revision of every task (cancelled ones included), in code order."""
        from indicators.domain.tasks import Task

        with self.cursor() as cur:
            rows = cur.execute(f"SELECT {', '.join(TASK_FIELDS)} FROM current_tasks").fetchall()
        tasks = [Task(**dict(zip(TASK_FIELDS, row))) for row in rows]
        return sorted(tasks, key=lambda t: (t.task_group, _natural(t.code)))

    def save_tasks(self, tasks: Iterable, actor: Actor) -> None:
        """Append a revision for each task that is new or changed; nothing is overwritten."""
        tasks = list(tasks)
        with self.transaction() as cur:
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
        return self.query_df(
            "SELECT * FROM task_revisions WHERE code = ? ORDER BY id DESC", [code]
        )

    def task_notes(self, code: str | None = None) -> pd.DataFrame:
        sql = "SELECT code, period, note, author, created_at FROM task_notes"
        params = []
        if code:
            sql += " WHERE code = ?"
            params.append(code)
        return self.query_df(sql + " ORDER BY created_at, id", params)

    def add_task_note(self, code: str, period: str, note: str, actor: Actor,
                      at: datetime | None = None) -> None:  # fmt: skip
        with self.transaction() as cur:
            require_tasks(actor, self._levels(cur))
            cur.execute(
                "INSERT INTO task_notes VALUES (?, ?, ?, ?, ?, ?)",
                [self._ids(cur, "task_note_ids"), code, period, note, actor.label, at or datetime.now()],
            )
            self._audit(cur, actor, "task_note", f"nhiệm vụ {code}", None, {"period": period, "note": note})

    # --- targets --------------------------------------------------------------------------
    def targets(self, year: int) -> dict[str, float]:
        with self.cursor() as cur:
            rows = cur.execute(
                "SELECT indicator_code, value FROM targets WHERE year = ?", [year]
            ).fetchall()
        return dict(rows)

    def target_rows(self) -> pd.DataFrame:
        return self.query_df(
            "SELECT indicator_code, year, value, basis, set_by, set_at FROM targets "
            "ORDER BY year, indicator_code"
        )

    def set_target(self, code: str, year: int, value: float, basis: str, actor: Actor) -> None:
        require(actor, "edit_catalog")
        with self.transaction() as cur:
            row = cur.execute(
                "SELECT value, basis FROM targets WHERE indicator_code = ? AND year = ?", [code, year]
            ).fetchone()
            before = None if row is None else {"value": row[0], "basis": row[1]}
            after = {"value": value, "basis": basis}
            if before == after:
                return
            cur.execute(
                "INSERT OR REPLACE INTO targets VALUES (?, ?, ?, ?, ?, ?)",
                [code, year, value, basis, actor.label, datetime.now()],
            )
            self._audit(cur, actor, "target", f"chỉ tiêu {code} năm {year}", before, after)

    # --- submissions and batches ----------------------------------------------------------
    def insert_batch(self, batch: dict, rows: pd.DataFrame, actor: Actor) -> int:
        """Write one import batch and its rows in one transaction; returns the batch id.

        `rows` may carry the values they replace (cur_numerator, cur_denominator, cur_value):
        the first AUDIT_CHANGES_KEPT of those go into the audit row.
        """
        incoming = _arrow_rows(rows)
        with self.transaction() as cur:
            parents = {} if allowed_units(actor, {}) is None else self._parents(cur)  # an admin's: not needed
            require_units(actor, "import", rows["unit_code"].unique() if len(rows) else [], parents)
            batch_id = self._ids(cur, "batch_ids")
            cur.execute(
                "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    batch_id, batch["file_name"], batch["sha256"], actor.label,
                    batch["created_at"], ",".join(batch["periods"]), batch["rows_total"],
                    batch["rows_new"], batch["rows_changed"], batch["rows_unchanged"],
                    json.dumps(batch["warnings"], ensure_ascii=False), batch["outcome"],
                    batch.get("is_demo", False),
                ],
            )  # fmt: skip
            if len(rows):
                first = self._ids(cur, "submission_ids", len(rows))
                incoming = incoming.append_column("batch_id", pa.repeat(batch_id, len(rows)).cast(pa.int32()))
                incoming = incoming.append_column("id", pa.array(range(first, first + len(rows)), pa.int64()))
                cur.register("incoming", incoming)  # ids in the file's order
                try:
                    cur.execute(
                        "INSERT INTO submissions SELECT id, batch_id, period, unit_code, indicator_code, "
                        "numerator, denominator, value, note, received_at, source_row FROM incoming"
                    )
                    # DuckDB reads the rows again from Arrow faster than from the transaction's new
                    # revisions (a city in one file: 1,3 -> 0,5 s); PostgreSQL copies its own rows
                    self._refresh_current(cur, batch_id, added=True, rows=None if self.is_postgres else "incoming")
                finally:
                    cur.unregister("incoming")
            self._audit(cur, actor, "import", f"lô nhập {batch_id}", _replaced(rows), {
                "file_name": batch["file_name"], "sha256": batch["sha256"], "periods": batch["periods"],
                "rows_new": batch["rows_new"], "rows_changed": batch["rows_changed"],
                "rows_written": len(rows),
            })  # fmt: skip
        return batch_id

    @staticmethod
    def _batch_filter(period: str | None, state: str | None, batch_id: int | None) -> tuple[str, list]:
        clauses, params = ["true"], []
        if period:
            clauses.append("list_contains(string_split(b.periods, ','), ?)")
            params.append(period)
        if state == "live":
            clauses.append("r.batch_id IS NULL")
        elif state == "reverted":
            clauses.append("r.batch_id IS NOT NULL")
        if batch_id is not None:
            clauses.append("b.id = ?")
            params.append(batch_id)
        return " AND ".join(clauses), params

    def batches(self, period: str | None = None, state: str | None = None, limit: int | None = None,
                batch_id: int | None = None) -> pd.DataFrame:  # fmt: skip
        """Import batches, newest first: those touching `period`, in `state` ("live" or
        "reverted"), at most `limit` of them (a city has tens of thousands)."""
        where, params = self._batch_filter(period, state, batch_id)
        joined = f"FROM batches b LEFT JOIN batch_reverts r ON r.batch_id = b.id WHERE {where}"
        with self.cursor() as cur:
            if limit is not None and self.is_postgres:
                # The oldest id of the newest `limit`, found on the few columns the filter reads, then
                # the rows from it on: PostgreSQL gets `id >=` as its own condition, where DuckDB's
                # LIMIT would first bring every batch, warnings and all, over the wire (a city's
                # 500 newest: 115 ms -> 38 ms). DuckDB's own LIMIT is faster on its file.
                oldest = cur.execute(f"SELECT min(id) FROM (SELECT b.id {joined} ORDER BY b.id DESC LIMIT {int(limit)})",
                                     params).fetchone()[0]  # fmt: skip
                if oldest is None:
                    joined += " AND false"
                else:
                    joined, params = f"{joined} AND b.id >= ?", [*params, oldest]
            sql = f"SELECT b.*, r.reverted_at, r.reverted_by {joined} ORDER BY b.id DESC"
            if limit is not None and not self.is_postgres:
                sql += f" LIMIT {int(limit)}"
            df = cur.execute(sql, params).df()
        df["warnings"] = df["warnings"].map(json.loads)
        return df

    def batch_count(self, period: str | None = None, state: str | None = None) -> int:
        where, params = self._batch_filter(period, state, None)
        with self.cursor() as cur:
            return cur.execute(
                f"SELECT count(*) FROM batches b LEFT JOIN batch_reverts r ON r.batch_id = b.id WHERE {where}",
                params,
            ).fetchone()[0]

    def batch_periods(self) -> list[str]:
        """Every month some batch touched, newest first."""
        with self.cursor() as cur:
            rows = cur.execute(
                "SELECT DISTINCT unnest(string_split(periods, ',')) AS p FROM batches ORDER BY p DESC"
            ).fetchall()
        return [r[0] for r in rows if r[0]]

    def batch_by_sha(self, sha256: str) -> int | None:
        """The live batch that imported a file with these exact bytes, if any."""
        with self.cursor() as cur:
            row = cur.execute(
                "SELECT id FROM batches WHERE sha256 = ? AND id NOT IN "
                "(SELECT batch_id FROM batch_reverts) ORDER BY id DESC LIMIT 1",
                [sha256],
            ).fetchone()
        return row[0] if row else None

    def revert_batch(self, batch_id: int, actor: Actor) -> int:
        """Mark a batch reverted; the earlier revisions count again. Returns rows affected."""
        require(actor, "revert")
        with self.transaction() as cur:
            exists = cur.execute("SELECT count(*) FROM batches WHERE id = ?", [batch_id]).fetchone()[0]
            if not exists:
                raise StoreError(f"Không có lô nhập số {batch_id}.")
            if cur.execute(
                "SELECT count(*) FROM batch_reverts WHERE batch_id = ?", [batch_id]
            ).fetchone()[0]:
                raise StoreError(f"Lô nhập số {batch_id} đã được hoàn tác trước đó.")
            cur.execute("INSERT INTO batch_reverts VALUES (?, ?, ?)", [batch_id, datetime.now(), actor.label])
            self._refresh_current(cur, batch_id)
            count = cur.execute("SELECT count(*) FROM submissions WHERE batch_id = ?", [batch_id]).fetchone()[0]
            self._audit(cur, actor, "revert", f"lô nhập {batch_id}", {"reverted": False},
                        {"reverted": True, "rows": count})  # fmt: skip
            return count

    def revert_effect(self, batch_id: int) -> pd.DataFrame:
        """What reverting a batch would do, one row per figure it wrote (by period, unit, newest
        first): period, unit_code, indicator_code, its numerator, denominator and value; is_current
        (the key's current value is still this batch's: false once a later batch replaced it); and
        the key's latest live revision from another batch, which would count again: has_after
        (false: the key would have no figure), after_numerator, after_denominator, after_value."""
        with self.cursor() as cur:
            # the months as constants: PostgreSQL then sends only their rows (no batch: no month, no row)
            months = [r[0] for r in cur.execute(
                "SELECT DISTINCT period FROM submissions WHERE batch_id = ?", [batch_id]).fetchall()] or [None]  # fmt: skip
            months_in = ", ".join("?" * len(months))
            return cur.execute(
                f"""SELECT m.period, m.unit_code, m.indicator_code, m.numerator, m.denominator, m.value,
                    coalesce(c.batch_id = m.batch_id, false) AS is_current, a.id IS NOT NULL AS has_after,
                    a.numerator AS after_numerator, a.denominator AS after_denominator, a.value AS after_value
                FROM (SELECT * FROM submissions WHERE batch_id = ?) m
                LEFT JOIN (SELECT period, unit_code, indicator_code, batch_id FROM current_submissions
                           WHERE period IN ({months_in})) c ON {_same_key("c", "m")}
                LEFT JOIN (
                    SELECT * FROM (
                        SELECT s.id, s.period, s.unit_code, s.indicator_code, s.numerator, s.denominator, s.value,
                            row_number() OVER (PARTITION BY s.period, s.unit_code, s.indicator_code
                                               ORDER BY s.id DESC) AS rn
                        FROM (SELECT * FROM live_submissions WHERE period IN ({months_in}) AND batch_id <> ?) s
                        JOIN (SELECT period, unit_code, indicator_code FROM submissions WHERE batch_id = ?) k
                            ON {_same_key("s")}
                    ) ranked WHERE rn = 1
                ) a ON {_same_key("a", "m")}
                ORDER BY m.period, m.unit_code, m.id DESC""",
                [batch_id, *months, *months, batch_id, batch_id],
            ).df()

    def current_submissions(
        self, periods: Iterable[str] | None = None, up_to: str | None = None,
        unit_codes: Iterable[str] | None = None, figures_only: bool = False,
    ) -> pd.DataFrame:  # fmt: skip
        """The value that counts for each (period, unit, indicator): its latest live revision.
        `figures_only`: the key and the three figures, in no order (what an import compares
        against: a commune's 9.000 stored values in 16 ms instead of 25 ms)."""
        if figures_only:
            sql = "SELECT period, unit_code, indicator_code, numerator, denominator, value FROM current_submissions"
        else:
            sql = "SELECT * FROM current_submissions"
        params: list = []
        clauses = []
        if unit_codes is not None and periods is not None and self.is_postgres:
            # an import's lookup: one probe of the key's index per month and unit, a plan that needs
            # no statistics (`OFFSET 0` keeps PostgreSQL from flattening it into a join). Without
            # statistics, as in a new database, `unit_code IN (…) AND period IN (…)` read every
            # value of the months: 50 ms after 15 communes, against 2 ms this way
            probe = ("SELECT c.* FROM unnest(ARRAY[{}]::varchar[]) p(period) "
                     "CROSS JOIN unnest(ARRAY[{}]::varchar[]) u(code) CROSS JOIN LATERAL "
                     "(SELECT * FROM current_submissions c WHERE c.period = p.period AND c.unit_code = u.code "
                     "OFFSET 0) c").format(*(", ".join(_literal(str(v)) for v in values)
                                             for values in (periods, unit_codes)))  # fmt: skip
            sql = sql.replace("FROM current_submissions", f"FROM {self._native(probe)} c")
            periods = None  # the probe chose them
        elif unit_codes is not None:  # on PostgreSQL without months (no caller does): correct, not fast
            wanted = pa.table({"unit_code": pa.array(list(unit_codes), pa.string())})
            with self.cursor() as cur:
                cur.register("wanted_units", wanted)
                return self._current(cur, sql, clauses + ["unit_code IN (SELECT unit_code FROM wanted_units)"],
                                     params, periods, up_to, not figures_only)  # fmt: skip
        with self.cursor() as cur:
            return self._current(cur, sql, clauses, params, periods, up_to, not figures_only)

    @staticmethod
    def _current(cur, sql: str, clauses: list[str], params: list, periods, up_to, ordered: bool) -> pd.DataFrame:
        if periods is not None:
            periods = list(periods)
            if not periods:
                return cur.execute(sql + " WHERE false").df()
            clauses.append(f"period IN ({', '.join('?' * len(periods))})")
            params += periods
        if up_to is not None:
            clauses.append("period <= ?")
            params.append(up_to)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return cur.execute(sql + (" ORDER BY period, unit_code, indicator_code" if ordered else ""), params).df()

    def submission_counts(self, dues: dict[str, datetime], units: pa.Table, owed: pa.Table) -> pd.DataFrame:
        """Per month of `dues` ({period: deadline}) and unit of `units` (unit_code, level), in
        that order: expected (the indicator codes of the unit's level in `owed`: level,
        indicator_code), submitted, on_time (first received by the month's deadline),
        last_received_at, missing_codes (a sorted list)."""
        # Each code is a bit and each unit owes a mask (its level's codes): the store sums what
        # each unit sent of what it owes, grouped on two integers, and numpy lays out the grid.
        # Joining every owed figure to the values on three text keys cost a city 45 ms of 60.
        codes = sorted(set(owed["indicator_code"].to_pylist()))  # bit i is codes[i]: bits read in code order
        if len(codes) > 63:
            raise ValueError("submission_counts keeps a unit's codes in one BIGINT: at most 63 indicators")
        mask_of: dict[str, int] = {}
        for level, code in zip(owed["level"].to_pylist(), owed["indicator_code"].to_pylist()):
            mask_of[level] = mask_of.get(level, 0) | 1 << codes.index(code)
        level = units["level"].combine_chunks().dictionary_encode()  # per unit, a position in the level names
        names, at_level = level.dictionary.to_pylist(), level.indices.to_numpy(zero_copy_only=False)
        owes = np.array([mask_of.get(name, 0) for name in names], dtype=np.int64)[at_level]
        expected = np.array([bin(mask_of.get(name, 0)).count("1") for name in names], dtype=np.int64)[at_level]
        months = pa.table({"period": list(dues), "due": pa.array(list(dues.values()), pa.timestamp("us")),
                           "month_order": range(len(dues))})  # fmt: skip
        month_rows = self._native(
            "SELECT period, unit_code, indicator_code, first_received_at FROM current_submissions "
            f"WHERE period IN ({', '.join(_literal(month) for month in dues)})"
        )
        with self.cursor() as cur:
            # as Arrow: DuckDB registers a pandas frame in 5-15 ms, an Arrow table in 1-2 ms
            cur.register("owed_units", pa.table({"unit_code": units["unit_code"], "owes": owes,
                                                 "unit_order": pa.array(range(len(units)), pa.int64())}))  # fmt: skip
            cur.register("months_due", months)
            try:
                # the months as constants: PostgreSQL then sends only their rows (a join's condition
                # is not pushed down: the city's million current values came over the wire)
                sent = cur.execute(
                    f"""SELECT m.month_order, u.unit_order, count(*) AS submitted,
                        count(*) FILTER (WHERE c.first_received_at <= m.due) AS on_time,
                        max(c.first_received_at) AS last_received_at, bit_or(1::BIGINT << c.bit) AS sent
                    FROM (SELECT period, unit_code, first_received_at, list_position(?, indicator_code) - 1 AS bit
                          FROM {month_rows}) c
                    JOIN months_due m ON m.period = c.period
                    JOIN owed_units u ON u.unit_code = c.unit_code
                    WHERE (u.owes >> c.bit) & 1 = 1
                    GROUP BY m.month_order, u.unit_order""",
                    [codes],
                ).fetch_arrow_table()
            finally:
                for name in ("owed_units", "months_due"):
                    cur.unregister(name)
        cells = len(dues) * len(units)
        at = sent["month_order"].to_numpy() * len(units) + sent["unit_order"].to_numpy()

        def spread(column: str, empty, dtype) -> np.ndarray:
            out = np.full(cells, empty, dtype=dtype)
            out[at] = sent[column].to_numpy()
            return out

        owes = np.tile(owes, len(dues))
        missing = owes & ~spread("sent", 0, np.int64)
        decoded = {int(m): [code for i, code in enumerate(codes) if m >> i & 1] for m in np.unique(missing)}
        return pd.DataFrame({
            "expected": np.tile(expected, len(dues)),
            "submitted": spread("submitted", 0, np.int64), "on_time": spread("on_time", 0, np.int64),
            "last_received_at": spread("last_received_at", np.datetime64("NaT"), "datetime64[us]"),
            "missing_codes": [list(decoded[m]) if m else [] for m in missing.tolist()],
        })  # fmt: skip

    def rolled_up(self, ancestry: pd.DataFrame, first: str, last: str, hamlets: bool = True) -> pd.DataFrame:
        """Current figures summed per (ancestor, indicator, period) from `first` to `last`.

        `ancestry` maps each unit_code to every rollup_code above it (itself included). Sums of
        numerators and denominators, not of percentages; NULL when nothing was submitted.
        `hamlets=False` says no rollup_code is a hamlet: the sums then come from `current_totals`
        (a commune's hamlets already summed), the same numbers from a 24th of the rows.
        """
        table = "current_submissions" if hamlets else "current_totals"
        with self.cursor() as cur:
            cur.register("ancestry", ancestry)
            try:
                return cur.execute(
                    f"""SELECT a.rollup_code, c.indicator_code, c.period,
                        sum(c.numerator) AS numerator, sum(c.denominator) AS denominator,
                        sum(c.value) AS count_value,
                        {"count(*)" if hamlets else "sum(c.reporters)::BIGINT"} AS reporters
                    FROM {table} c JOIN ancestry a ON a.unit_code = c.unit_code
                    WHERE c.period BETWEEN ? AND ?
                    GROUP BY ALL""",  # callers sort what they show
                    [first, last],
                ).df()
            finally:
                cur.unregister("ancestry")

    def revisions(
        self, indicator_code: str | None = None, period: str | None = None
    ) -> pd.DataFrame:
        """Every submitted revision, reverted ones included, newest first."""
        sql = """SELECT s.*, b.file_name, b.user_name, r.reverted_at IS NOT NULL AS reverted
            FROM submissions s JOIN batches b ON b.id = s.batch_id
            LEFT JOIN batch_reverts r ON r.batch_id = s.batch_id WHERE true"""
        params: list = []
        if indicator_code:
            sql += " AND s.indicator_code = ?"
            params.append(indicator_code)
        if period:
            sql += " AND s.period = ?"
            params.append(period)
        return self.query_df(sql + " ORDER BY s.period, s.unit_code, s.id DESC", params)

    def periods_with_data(self) -> list[str]:
        # PostgreSQL: one index probe per month instead of reading every current value
        sql = """WITH RECURSIVE p(period) AS (
                SELECT min(period) FROM current_totals
                UNION ALL
                SELECT (SELECT min(c.period) FROM current_totals c WHERE c.period > p.period)
                FROM p WHERE p.period IS NOT NULL)
            SELECT period FROM p WHERE period IS NOT NULL ORDER BY period"""
        if not self.is_postgres:  # the totals: a 24th of the current values' rows
            sql = "SELECT DISTINCT period FROM current_totals ORDER BY period"
        with self.cursor() as cur:
            return [row[0] for row in self._query_native(cur, sql)]

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
            # a join of one-row aggregates: DuckDB plans it in 5 ms, ten scalar subqueries in 50
            return tuple(self._query_native(
                cur,
                """SELECT * FROM
                    (SELECT max(id) AS last_batch, count(*) AS batches FROM batches) b,
                    (SELECT count(*) AS reverts FROM batch_reverts) r,
                    (SELECT max(set_at) AS targets_set, count(*) AS targets FROM targets) t,
                    (SELECT max(updated_at) AS units_set, count(*) AS units FROM units) u,
                    (SELECT max(value) AS settings FROM settings) s,
                    (SELECT max(id) AS last_task_revision FROM task_revisions) tr,
                    (SELECT max(id) AS last_task_note FROM task_notes) tn""",
            )[0])

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
        with self.transaction() as cur:
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

    def content_snapshot(self) -> dict[str, list[tuple]]:
        """Every row of every table, sorted: to compare the content of two states."""
        out = {}
        with self.cursor() as cur:
            if self.is_postgres:  # asked of PostgreSQL itself: through the attachment a view looks like a table
                found = self._query_native(
                    cur, "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                    "AND table_schema = current_schema()",
                )  # fmt: skip
            else:
                found = cur.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                    "AND table_catalog = current_database() AND table_schema = current_schema()"
                ).fetchall()
            tables = sorted(r[0] for r in found)
            for table in tables:
                out[table] = sorted(
                    cur.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr
                )
        return out

    # --- accounts and sessions -------------------------------------------------------------
    USER_COLUMNS = ["name", "display_name", "role", "units", "active", "is_demo", "created_at", "updated_at"]

    def users(self) -> pd.DataFrame:
        """Every account without its password hash."""
        return self.query_df(f"SELECT {', '.join(self.USER_COLUMNS)} FROM users ORDER BY name")

    def user(self, name: str) -> dict | None:
        with self.cursor() as cur:
            row = cur.execute(
                f"SELECT {', '.join(self.USER_COLUMNS)}, password_hash FROM users WHERE name = ?", [name]
            ).fetchone()
        return dict(zip([*self.USER_COLUMNS, "password_hash"], row)) if row else None

    def add_user(self, form, password_hash: str, actor: Actor, is_demo: bool = False) -> None:
        """A new account (`form` is an accounts.UserForm: its fields are already validated)."""
        require(actor, "manage_users")
        now = datetime.now()
        with self.transaction() as cur:
            if cur.execute("SELECT count(*) FROM users WHERE name = ?", [form.name]).fetchone()[0]:
                raise StoreError(f"Đã có tài khoản “{form.name}”.")
            self._check_user_units(cur, form.role, form.units)
            cur.execute(
                "INSERT INTO users VALUES (?, ?, ?, ?, ?, TRUE, ?, ?, ?)",
                [form.name, form.display_name, form.role, ",".join(form.units), password_hash, is_demo, now, now],
            )
            self._audit(cur, actor, "user_add", f"tài khoản {form.name}", None, {
                "display_name": form.display_name, "role": form.role, "units": ",".join(form.units),
                "active": True,
            })  # fmt: skip

    def update_user(self, name: str, actor: Actor, *, display_name: str | None = None,
                    role: str | None = None, units: Iterable[str] | None = None,
                    active: bool | None = None, password_hash: str | None = None) -> None:  # fmt: skip
        """Change an account; the last active admin cannot be disabled or demoted."""
        require(actor, "manage_users")
        with self.transaction() as cur:
            row = cur.execute(
                "SELECT display_name, role, units, active FROM users WHERE name = ?", [name]
            ).fetchone()
            if row is None:
                raise StoreError(f"Không có tài khoản “{name}”.")
            before = dict(zip(["display_name", "role", "units", "active"], row))
            after = dict(before)
            for key, value in (("display_name", display_name), ("role", role), ("active", active)):
                if value is not None:
                    after[key] = value
            if units is not None:
                after["units"] = ",".join(units)
            self._check_user_units(cur, after["role"], [u for u in after["units"].split(",") if u])
            if before["role"] == "quan_tri" and before["active"] and not (after["role"] == "quan_tri" and after["active"]):
                admins = cur.execute("SELECT count(*) FROM users WHERE role = 'quan_tri' AND active").fetchone()[0]
                if admins <= 1:
                    raise StoreError("Phải còn ít nhất một tài khoản quản trị đang hoạt động.")
            changed = [key for key in after if after[key] != before[key]]
            if not changed and password_hash is None:
                return
            cur.execute(
                "UPDATE users SET display_name = ?, role = ?, units = ?, active = ?, "
                "password_hash = coalesce(?, password_hash), updated_at = ? WHERE name = ?",
                [after["display_name"], after["role"], after["units"], after["active"], password_hash,
                 datetime.now(), name],
            )  # fmt: skip
            old, new = {k: before[k] for k in changed}, {k: after[k] for k in changed}
            if password_hash is not None:
                old["password"], new["password"] = "(cũ)", "(đã đặt lại)"
            if not after["active"] or password_hash is not None:  # end the account's open sessions
                cur.execute("UPDATE sessions SET ended = TRUE WHERE user_name = ?", [name])
            self._audit(cur, actor, "user_update", f"tài khoản {name}", old, new)

    @staticmethod
    def _check_user_units(cur: duckdb.DuckDBPyConnection, role: str, units: Iterable[str]) -> None:
        units = list(units)
        known = {r[0] for r in cur.execute("SELECT code FROM units").fetchall()}
        unknown = [code for code in units if code not in known]
        if unknown:
            raise StoreError(f"Không có đơn vị mã {', '.join(unknown)} trong danh mục.")
        if role == "can_bo" and not units:
            raise StoreError("Tài khoản cán bộ cần được giao ít nhất một đơn vị (mã xã hoặc mã thôn).")

    def record_login(self, name: str, ok: bool, at: datetime) -> None:
        with self.transaction() as cur:
            cur.execute("INSERT INTO login_attempts VALUES (?, ?, ?)", [name, at, ok])

    def recent_login_failures(self, name: str, now: datetime) -> tuple[int, datetime | None]:
        """Failed logins for `name` since its last success (within a day), and the last one's time."""
        with self.cursor() as cur:
            return cur.execute(
                """SELECT count(*), max(attempted_at) FROM login_attempts
                WHERE name = ? AND NOT ok AND attempted_at > ?
                  AND attempted_at > coalesce(
                      (SELECT max(attempted_at) FROM login_attempts WHERE name = ? AND ok),
                                    TIMESTAMP '2000-01-01')""",
                [name, now - timedelta(days=1), name],
            ).fetchone()

    def start_session(self, token_hash: str, user_name: str, at: datetime) -> None:
        with self.transaction() as cur:
            cur.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, FALSE)", [token_hash, user_name, at, at])

    def session_user(self, token_hash: str, idle_limit_minutes: int, now: datetime) -> dict | None:
        """The active account of a live session, or None (unknown, ended, idle too long, disabled)."""
        with self.cursor() as cur:  # on every page run: PostgreSQL answers from its index
            rows = self._query_native(
                cur, f"SELECT user_name, last_seen FROM sessions WHERE token_hash = {_literal(token_hash)} AND NOT ended"
            )
        row = rows[0] if rows else None
        if row is None or now - row[1] > timedelta(minutes=idle_limit_minutes):
            return None
        user = self.user(row[0])
        return user if user and user["active"] else None

    def touch_session(self, token_hash: str, now: datetime) -> None:
        with self.transaction() as cur:
            cur.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", [now, token_hash])

    def end_session(self, token_hash: str) -> None:
        with self.transaction() as cur:
            cur.execute("UPDATE sessions SET ended = TRUE WHERE token_hash = ?", [token_hash])

    # --- backup ---------------------------------------------------------------------------
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
            except BaseException:
                cur.execute("DETACH cds_backup_target")
                partial.unlink(missing_ok=True)
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
            raise StoreError(f"pg_dump không sao lưu được {shown_path(self.path)}: {done.stderr.strip()[:500]}")
        os.replace(partial, target)
        return target

    # --- moving a DuckDB file into PostgreSQL ------------------------------------------------
    def copy_from_duckdb(self, source: str | os.PathLike, actor: Actor) -> dict[str, tuple[int, int]]:
        """Copy the whole content of a DuckDB file (history included) into this new PostgreSQL
        database, in one transaction; returns {table: (rows in the file, rows here)}.

        The file is brought to this program's schema first. This database must hold no units,
        batches or accounts yet (the catalog's targets and seed tasks a new database starts with
        are replaced by the file's). Sequences continue after the copied ids.
        """
        require(actor, "edit_settings")
        if not self.is_postgres:
            raise StoreError("Chỉ chuyển được dữ liệu vào một cơ sở dữ liệu PostgreSQL (postgresql://…).")
        Store(source).close()  # migrates the file (StoreLockedError while the app holds it)
        with self.cursor() as cur:
            used = self._query_native(
                cur, "SELECT (SELECT count(*) FROM units) + (SELECT count(*) FROM batches) + (SELECT count(*) FROM users) AS n"
            )[0][0]
        if used:
            raise StoreError(
                f"Cơ sở dữ liệu {shown_path(self.path)} đã có dữ liệu: hãy chuyển vào một cơ sở dữ liệu mới."
            )
        counts: dict[str, tuple[int, int]] = {}
        with self.transaction() as cur:
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
                    cur.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM cds_source."{table}"')
                    source_rows = cur.execute(f'SELECT count(*) FROM cds_source."{table}"').fetchone()[0]
                    counts[table] = (source_rows, 0)
            finally:
                cur.execute("DETACH cds_source")
            for sequence, table in (("batch_ids", "batches"), ("submission_ids", "submissions"),
                                    ("task_revision_ids", "task_revisions"), ("task_note_ids", "task_notes"),
                                    ("audit_ids", "audit_log")):  # fmt: skip
                self._query_native(cur, f"SELECT setval('{sequence}', (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
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


def restore_database(db_path: str | os.PathLike, backup_path: str | os.PathLike, actor: Actor) -> Path | None:
    """Replace the database at `db_path` with the backup file; returns the safety copy, if any.

    The database must not be open (in this process or another: StoreLockedError). The current
    file is kept as `<db>.before-restore`, then the backup is copied over it and migrated; the
    restored database's audit log records the restore.
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
    if db.exists():
        try:
            Store(db).close()  # StoreLockedError if another process holds it; folds in the WAL
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
            restored._audit(cur, actor, "restore", "cơ sở dữ liệu", None,
                            {"backup": str(source), "kept_as": str(safety) if safety else None})  # fmt: skip
    finally:
        restored.close()
    return safety
