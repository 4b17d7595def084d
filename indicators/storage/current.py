"""The current value of each (period, unit, indicator) and their totals, kept up to date.

`current_submissions` holds each key's latest live revision and `current_totals` their sums per
month, indicator and commune (a hamlet's counted in its commune's); both are refreshed in the
transaction of every import, revert, unit regrouping and demo removal. The SQL is plain enough for
DuckDB and PostgreSQL both, apart from the statements marked PostgreSQL.
"""

from __future__ import annotations

import duckdb

from indicators.storage.connection import Connection

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
_BATCH_KEYS = (
    "(SELECT DISTINCT period, unit_code, indicator_code FROM submissions WHERE batch_id = {batch}) k"
)


def same_key(a: str, b: str = "k") -> str:
    """The join condition of two tables' (period, unit_code, indicator_code)."""
    return " AND ".join(
        f"{a}.{column} = {b}.{column}" for column in ("period", "unit_code", "indicator_code")
    )


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
TOTAL_OF = "CASE WHEN u.level = 'hamlet' AND u.parent IS NOT NULL THEN u.parent ELSE cs.unit_code END"
_SUMMED = """sum(c.numerator) AS numerator, sum(c.denominator) AS denominator, sum(c.value) AS value,
    count(*) AS reporters"""
# `{rows}`: the rows to sum (the current values, or one batch's revisions); `{keys}`: a join limiting them
TOTALS_SELECT = f"""
    SELECT c.period, c.total_code AS unit_code, c.indicator_code, {_SUMMED}
    FROM (SELECT cs.*, {TOTAL_OF} AS total_code
          FROM {{rows}} cs LEFT JOIN units u ON u.code = cs.unit_code) c
    {{keys}} GROUP BY 1, 2, 3
"""
REBUILD_TOTALS = ["DELETE FROM current_totals",
                  "INSERT INTO current_totals " + TOTALS_SELECT.format(rows="current_submissions", keys="")
                  + " ORDER BY 1, 2, 3"]  # fmt: skip
# A batch's own rows summed as `current_totals` sums them
_BATCH_TOTALS_SELECT = TOTALS_SELECT.format(rows="{rows}", keys="")
# The totals one batch's rows count in
_BATCH_TOTALS = f"(SELECT period, unit_code, indicator_code FROM ({_BATCH_TOTALS_SELECT}) t) k"
# The current values that may count in those totals: of the batch's months, and of the units whose
# total is one of its rows' totals (a commune and its hamlets; a few more at worst, which the join
# on the total leaves out). Found by the index instead of working out the total of every current
# value: a correction of a commune's month in the full city database summed its totals in 186 ms on
# PostgreSQL and 75-125 ms on DuckDB, now 11-29 ms and under 20 ms.
_BATCH_TOTAL_CODES = f"SELECT {TOTAL_OF} AS code FROM {{rows}} cs LEFT JOIN units u ON u.code = cs.unit_code"
_COUNTED_WITH_BATCH = f"""(SELECT * FROM current_submissions
    WHERE period IN (SELECT period FROM {{rows}} b)
      AND unit_code IN ({_BATCH_TOTAL_CODES}
                        UNION SELECT code FROM units WHERE level = 'hamlet' AND parent IN ({_BATCH_TOTAL_CODES})))"""
# A batch that replaced no current value only adds rows to its totals: its own sums (`batch_sums`)
# are added to theirs, NULL + x being x, instead of summing every current value of the commune again
_BATCH_SUMS = "CREATE TEMP TABLE batch_sums AS " + _BATCH_TOTALS_SELECT
_SUMS_MET = "SELECT count(*) AS n FROM current_totals k JOIN batch_sums b ON " + same_key("b")


def _sums_added(total: str) -> str:
    """The SET list adding the batch's sums `b` to the total `total` (NULL + x being x)."""
    return ", ".join(
        [
            f"{c} = coalesce({total}.{c} + b.{c}, {total}.{c}, b.{c})"
            for c in ("numerator", "denominator", "value")
        ]
        + [f"reporters = {total}.reporters + b.reporters"]
    )


_SUMS_ADDED = [
    f"""UPDATE current_totals SET {_sums_added("current_totals")}
    FROM batch_sums b WHERE {same_key("current_totals", "b")}""",
    f"""INSERT INTO current_totals SELECT b.* FROM batch_sums b
    WHERE NOT EXISTS (SELECT 1 FROM current_totals k WHERE {same_key("b")})""",
]
# PostgreSQL: whether any total of the batch's months and total units exists already, one index
# probe per month and total unit (`LIMIT 1` keeps each a probe, whatever the statistics say)
_TOTALS_MET = f"""
    SELECT 1 AS found FROM (SELECT DISTINCT cs.period, {TOTAL_OF} AS code
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
        FROM b WHERE {same_key("t", "b")}
        RETURNING t.period, t.unit_code, t.indicator_code)
    INSERT INTO current_totals SELECT b.* FROM b WHERE NOT EXISTS (SELECT 1 FROM updated k WHERE {same_key("b")})
"""


def _batch_rows(batch: int) -> str:
    """A batch's revisions, as a relation (the `{rows}` of the statements above)."""
    return f"(SELECT * FROM submissions WHERE batch_id = {int(batch)})"


class CurrentMixin(Connection):
    """The upkeep of `current_submissions` and `current_totals` after a batch is written or reverted."""

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
            self._run_native(cur, _ADD_BATCH.format(batch=batch, on_key=same_key("s")))
            self._run_native(cur, f"DELETE FROM current_submissions USING {keys} WHERE "
                                  + same_key("current_submissions")
                                  + f" AND current_submissions.batch_id <> {batch}")  # fmt: skip
        else:
            self._run_native(cur, f"DELETE FROM current_submissions USING {keys} WHERE "
                                  + same_key("current_submissions"))  # fmt: skip
            self._run_native(cur, "INSERT INTO current_submissions "
                                  + CURRENT_SELECT.format(keys=f"JOIN {keys} ON " + same_key("s")))  # fmt: skip
        totals = _BATCH_TOTALS.format(rows=_batch_rows(batch))
        self._run_native(
            cur, f"DELETE FROM current_totals USING {totals} WHERE " + same_key("current_totals")
        )
        self._run_native(cur, "INSERT INTO current_totals " + TOTALS_SELECT.format(
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
        sql = ("SELECT 1 AS found FROM submissions s JOIN current_submissions c ON " + same_key("c", "s")
               + f" WHERE s.batch_id = {batch} LIMIT 1")  # fmt: skip
        return bool(self._query_native(cur, sql))
