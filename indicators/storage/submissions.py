"""Reading the figures: current values, completeness counts, roll-ups and every revision."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa

from indicators.storage.connection import Connection, _literal


class SubmissionsMixin(Connection):
    """The queries the dashboards, the import and the history read figures with."""

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
    def _current(
        cur, sql: str, clauses: list[str], params: list, periods, up_to, ordered: bool
    ) -> pd.DataFrame:
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
        return cur.execute(
            sql + (" ORDER BY period, unit_code, indicator_code" if ordered else ""), params
        ).df()

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
        expected = np.array([bin(mask_of.get(name, 0)).count("1") for name in names], dtype=np.int64)[at_level]  # fmt: skip
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

    def revisions(self, indicator_code: str | None = None, period: str | None = None) -> pd.DataFrame:
        """Every submitted revision, reverted ones included, newest first; `late_reason` is the reason
        given for changing a closed month (None for the others)."""
        sql = """SELECT s.*, b.file_name, b.user_name, r.reverted_at IS NOT NULL AS reverted, l.reason AS late_reason
            FROM submissions s JOIN batches b ON b.id = s.batch_id
            LEFT JOIN batch_reverts r ON r.batch_id = s.batch_id
            LEFT JOIN late_changes l ON l.batch_id = s.batch_id WHERE true"""
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
