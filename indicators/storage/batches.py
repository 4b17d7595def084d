"""Import batches: writing one with its revisions, listing them, and reverting one."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa

from indicators.domain import clock
from indicators.domain.accounts import Actor, allowed_units, require, require_units
from indicators.domain.errors import StoreError
from indicators.storage.closing import ClosingMixin
from indicators.storage.current import CurrentMixin, same_key
from indicators.storage.units import UnitsMixin

AUDIT_CHANGES_KEPT = 200  # changed figures listed in an import's audit row (all are in `submissions`)
SUBMISSION_COLUMNS = [
    "period", "unit_code", "indicator_code", "numerator", "denominator", "value", "note",
    "received_at", "source_row",
]  # fmt: skip


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


def closed_message(closed: dict[tuple[str, str], str]) -> str:
    """Why a batch may not change closed months, and how to go on."""
    (period, unit), why = next(iter(sorted(closed.items())))
    more = f" (và {len(closed) - 1} tháng, đơn vị khác)" if len(closed) > 1 else ""
    return (f"{why}; số liệu của {unit}{more} không thay đổi được nữa. Muốn điều chỉnh: nhập lại kèm lý do "
            "(ghi là “điều chỉnh sau phát hành” và đưa vào báo cáo tháng sau), hoặc đề nghị lãnh đạo mở bổ "
            "sung cho đơn vị.")  # fmt: skip


class BatchesMixin(ClosingMixin, UnitsMixin, CurrentMixin):
    """Batches and their revisions: append-only; a revert adds a row to `batch_reverts`."""

    def _closed_in(self, cur, rows: pd.DataFrame, at) -> dict[tuple[str, str], str]:
        """The closed (month, unit) pairs among a batch's rows."""
        if not len(rows):
            return {}
        pairs = rows[["period", "unit_code"]].drop_duplicates()
        return self.closed_units(cur, set(zip(pairs["period"].astype(str), pairs["unit_code"].astype(str))), at)

    def insert_batch(self, batch: dict, rows: pd.DataFrame, actor: Actor) -> int:
        """Write one import batch and its rows in one transaction; returns the batch id.

        `rows` may carry the values they replace (cur_numerator, cur_denominator, cur_value):
        the first AUDIT_CHANGES_KEPT of those go into the audit row.
        """
        incoming = _arrow_rows(rows)
        with self.transaction("lô số liệu") as cur:
            parents = {} if allowed_units(actor, {}) is None else self._parents(cur)  # an admin's: not needed
            require_units(actor, "import", rows["unit_code"].unique() if len(rows) else [], parents)
            reason = batch.get("reason") or ""
            closed = self._closed_in(cur, rows, batch["created_at"])
            if closed and not reason:
                raise StoreError(closed_message(closed))
            batch_id = self._ids(cur, "batch_ids")
            if closed:
                cur.execute("INSERT INTO late_changes VALUES (?, ?)", [batch_id, reason])
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
                    self._refresh_current(
                        cur, batch_id, added=True, rows=None if self.is_postgres else "incoming"
                    )
                finally:
                    cur.unregister("incoming")
            self._audit(cur, actor, "import", f"lô nhập {batch_id}", _replaced(rows), {
                "file_name": batch["file_name"], "sha256": batch["sha256"], "periods": batch["periods"],
                "rows_new": batch["rows_new"], "rows_changed": batch["rows_changed"],
                "rows_written": len(rows), **({"reason": reason} if closed else {}),
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
        with self.transaction("việc hoàn tác lô") as cur:
            exists = cur.execute("SELECT count(*) FROM batches WHERE id = ?", [batch_id]).fetchone()[0]
            if not exists:
                raise StoreError(f"Không có lô nhập số {batch_id}.")
            if cur.execute("SELECT count(*) FROM batch_reverts WHERE batch_id = ?", [batch_id]).fetchone()[0]:
                raise StoreError(f"Lô nhập số {batch_id} đã được hoàn tác trước đó.")
            cur.execute("INSERT INTO batch_reverts VALUES (?, ?, ?)", [batch_id, clock.now(), actor.label])
            self._refresh_current(cur, batch_id)
            count = cur.execute("SELECT count(*) FROM submissions WHERE batch_id = ?", [batch_id]).fetchone()[0]  # fmt: skip
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
                           WHERE period IN ({months_in})) c ON {same_key("c", "m")}
                LEFT JOIN (
                    SELECT * FROM (
                        SELECT s.id, s.period, s.unit_code, s.indicator_code, s.numerator, s.denominator, s.value,
                            row_number() OVER (PARTITION BY s.period, s.unit_code, s.indicator_code
                                               ORDER BY s.id DESC) AS rn
                        FROM (SELECT * FROM live_submissions WHERE period IN ({months_in}) AND batch_id <> ?) s
                        JOIN (SELECT period, unit_code, indicator_code FROM submissions WHERE batch_id = ?) k
                            ON {same_key("s")}
                    ) ranked WHERE rn = 1
                ) a ON {same_key("a", "m")}
                ORDER BY m.period, m.unit_code, m.id DESC""",
                [batch_id, *months, *months, batch_id, batch_id],
            ).df()
