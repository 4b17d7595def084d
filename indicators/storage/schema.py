"""The schema: the migrations of both dialects, applied in order, and what a new database starts with.

`MIGRATIONS` (DuckDB) and `PG_MIGRATIONS` (PostgreSQL) hold the same schema version for version; a
new database is seeded with the catalog's 2026 targets and its tasks.
"""

from __future__ import annotations

import duckdb

from indicators.domain import catalog, clock
from indicators.domain.tasks import seed_tasks
from indicators.storage.current import REBUILD_CURRENT, REBUILD_TOTALS
from indicators.storage.tasks import TasksMixin

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
    # 7: reviews of a unit's month (approve, send back), append-only; the state is derived
    """
    CREATE SEQUENCE review_ids START 1;
    CREATE TABLE month_reviews (
        id BIGINT PRIMARY KEY,
        period VARCHAR NOT NULL,
        unit_code VARCHAR NOT NULL,
        action VARCHAR NOT NULL,
        batch_mark INTEGER NOT NULL,
        reason VARCHAR NOT NULL,
        reviewed_by VARCHAR NOT NULL,
        reviewed_at TIMESTAMP NOT NULL
    );
    """,
    # 8: closing the month: issued reports kept byte for byte, openings of a closed month, and the
    # reason a batch gave for changing a closed month
    """
    CREATE SEQUENCE issue_ids START 1;
    CREATE TABLE issued_reports (
        id BIGINT PRIMARY KEY,
        period VARCHAR NOT NULL,
        root_code VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        docx BLOB NOT NULL,
        docx_sha256 VARCHAR NOT NULL,
        xlsx BLOB NOT NULL,
        xlsx_sha256 VARCHAR NOT NULL,
        figures VARCHAR NOT NULL,
        issued_by VARCHAR NOT NULL,
        issued_at TIMESTAMP NOT NULL
    );
    CREATE SEQUENCE opening_ids START 1;
    CREATE TABLE month_openings (
        id BIGINT PRIMARY KEY,
        period VARCHAR NOT NULL,
        unit_code VARCHAR NOT NULL,
        until TIMESTAMP NOT NULL,
        reason VARCHAR NOT NULL,
        opened_by VARCHAR NOT NULL,
        opened_at TIMESTAMP NOT NULL
    );
    CREATE TABLE late_changes (batch_id INTEGER PRIMARY KEY, reason VARCHAR NOT NULL);
    """,
    # 9: drafts of the entry form, one per account, unit and month (not figures: they count nowhere)
    """
    CREATE TABLE entry_drafts (
        user_name VARCHAR NOT NULL,
        unit_code VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        content VARCHAR NOT NULL,
        saved_at TIMESTAMP NOT NULL,
        PRIMARY KEY (user_name, unit_code, period)
    );
    """,
    # 10: login attempts by name and client address (a stranger's failures do not lock the name
    # out for everyone), indexed: each login counts them in its own transaction
    """
    ALTER TABLE login_attempts ADD COLUMN client VARCHAR DEFAULT '';
    UPDATE login_attempts SET client = '' WHERE client IS NULL;
    """,
    # 11: one task register per commune: a task, its revisions and its notes belong to a commune
    # ("" until the home commune is known: `TasksMixin` reads it as the home commune's)
    """
    DROP VIEW current_tasks;
    ALTER TABLE task_revisions ADD COLUMN commune_code VARCHAR DEFAULT '';
    ALTER TABLE task_notes ADD COLUMN commune_code VARCHAR DEFAULT '';
    CREATE VIEW current_tasks AS
        SELECT * EXCLUDE (rn) FROM (
            SELECT *, row_number() OVER (PARTITION BY commune_code, code ORDER BY id DESC) AS rn
            FROM task_revisions
        ) WHERE rn = 1;
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
    """
    CREATE SEQUENCE review_ids START 1;
    CREATE TABLE month_reviews (
        id BIGINT PRIMARY KEY, period VARCHAR NOT NULL, unit_code VARCHAR NOT NULL,
        action VARCHAR NOT NULL, batch_mark INTEGER NOT NULL, reason VARCHAR NOT NULL,
        reviewed_by VARCHAR NOT NULL, reviewed_at TIMESTAMP NOT NULL
    );
    CREATE INDEX month_reviews_key ON month_reviews (period, unit_code);
    """,
    """
    CREATE SEQUENCE issue_ids START 1;
    CREATE TABLE issued_reports (
        id BIGINT PRIMARY KEY, period VARCHAR NOT NULL, root_code VARCHAR NOT NULL, version INTEGER NOT NULL,
        docx BYTEA NOT NULL, docx_sha256 VARCHAR NOT NULL, xlsx BYTEA NOT NULL, xlsx_sha256 VARCHAR NOT NULL,
        figures VARCHAR NOT NULL, issued_by VARCHAR NOT NULL, issued_at TIMESTAMP NOT NULL
    );
    CREATE SEQUENCE opening_ids START 1;
    CREATE TABLE month_openings (
        id BIGINT PRIMARY KEY, period VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, until TIMESTAMP NOT NULL,
        reason VARCHAR NOT NULL, opened_by VARCHAR NOT NULL, opened_at TIMESTAMP NOT NULL
    );
    CREATE TABLE late_changes (batch_id INTEGER PRIMARY KEY, reason VARCHAR NOT NULL);
    """,
    # 9: drafts of the entry form, one per account, unit and month (not figures: they count nowhere)
    """
    CREATE TABLE entry_drafts (
        user_name VARCHAR NOT NULL,
        unit_code VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        content VARCHAR NOT NULL,
        saved_at TIMESTAMP NOT NULL,
        PRIMARY KEY (user_name, unit_code, period)
    );
    """,
    """
    ALTER TABLE login_attempts ADD COLUMN client VARCHAR NOT NULL DEFAULT '';
    CREATE INDEX login_attempts_key ON login_attempts (name, client, attempted_at);
    """,
    # 11: one task register per commune (see MIGRATIONS)
    """
    DROP VIEW current_tasks;
    ALTER TABLE task_revisions ADD COLUMN commune_code VARCHAR NOT NULL DEFAULT '';
    ALTER TABLE task_notes ADD COLUMN commune_code VARCHAR NOT NULL DEFAULT '';
    CREATE VIEW current_tasks AS
        SELECT id, code, task_group, title, unit, person, expected_result, deadline, recurrence_day,
            status, done_on, cancel_reason, author, revised_at, commune_code
        FROM (SELECT t.*, row_number() OVER (PARTITION BY commune_code, code ORDER BY id DESC) AS rn
              FROM task_revisions t) ranked
        WHERE rn = 1;
    CREATE INDEX task_revisions_commune ON task_revisions (commune_code, code);
    """,
]


# the version that gave each commune its register (found by content: migrations may be renumbered)
_TASK_COMMUNES = next(v for v, sql in enumerate(MIGRATIONS, start=1) if "task_notes ADD COLUMN commune_code" in sql)
assert "task_notes ADD COLUMN commune_code" in PG_MIGRATIONS[_TASK_COMMUNES - 1]


class SchemaMixin(TasksMixin):
    """The schema's version, its migrations and the content of every table (the seed tasks are
    written as `TasksMixin` writes any task)."""

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
        with self.transaction("việc nâng cấp lược đồ") as cur:
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
                cur.execute("INSERT INTO schema_migrations VALUES (?, ?)", [version, clock.now()])
                if version == 1:
                    self._seed_targets(cur)
                if version == 2:
                    self._insert_task_revisions(cur, seed_tasks(), "hệ thống")
                if version == 4:
                    for statement in REBUILD_CURRENT:
                        self._run_native(cur, statement)
                if version == 6:  # the current values again too: in id order (see REBUILD_CURRENT)
                    for statement in REBUILD_CURRENT + REBUILD_TOTALS:
                        self._run_native(cur, statement)
                if version == _TASK_COMMUNES:  # the one register there was is the home commune's
                    self._assign_tasks_to_home(cur)

    @staticmethod
    def _seed_targets(cur: duckdb.DuckDBPyConnection) -> None:
        now = clock.now()
        cur.executemany(
            "INSERT INTO targets VALUES (?, 2026, ?, ?, 'hệ thống', ?)",
            [[item.code, item.target_2026, item.target_basis, now] for item in catalog.indicators()],
        )

    def content_snapshot(self) -> dict[str, list[tuple]]:
        """Every row of every table, sorted: to compare the content of two states."""
        out = {}
        with self.cursor() as cur:
            for table in self._base_tables(cur):
                out[table] = sorted(cur.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
        return out

    def _base_tables(self, cur: duckdb.DuckDBPyConnection) -> list[str]:
        """The database's tables (not its views), sorted."""
        if self.is_postgres:
            # asked of PostgreSQL itself: through the attachment a view looks like a table
            found = self._query_native(
                cur, "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                "AND table_schema = current_schema()",
            )  # fmt: skip
        else:
            found = cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                "AND table_catalog = current_database() AND table_schema = current_schema()"
            ).fetchall()
        return sorted(r[0] for r in found)
