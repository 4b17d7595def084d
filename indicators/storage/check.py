"""A database's health (`python -m indicators check`): every table read to its last block, and
the current values and totals kept up to date by each write recomputed from the revisions."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from indicators.domain import format
from indicators.storage.connection import shown_path
from indicators.storage.current import CURRENT_SELECT, TOTALS_SELECT
from indicators.storage.schema import SchemaMixin

_KEY = ("period", "unit_code", "indicator_code")
# a kept total may differ from a fresh sum in the last bits: imports add a batch's sums to it
_CLOSE = "(a.{c} IS NULL AND b.{c} IS NULL OR abs(a.{c} - b.{c}) <= 1e-9 * greatest(1, abs(b.{c})))"


@dataclass
class Health:
    """What `check_health` found: rows read per table, and the problems (Vietnamese), none if sound."""

    rows: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def sound(self) -> bool:
        return not self.problems


class CheckMixin(SchemaMixin):
    """`check_health`: reads the whole database and compares what is kept with what it derives from."""

    def check_health(self) -> Health:
        health = Health()
        with self.cursor() as cur:
            for table in self._base_tables(cur):
                try:
                    reader = cur.execute(f'SELECT * FROM "{table}"').fetch_record_batch(100_000)
                    health.rows[table] = sum(batch.num_rows for batch in reader)
                except duckdb.Error as exc:
                    health.problems.append(f"Bảng {table} không đọc được hết: {str(exc).splitlines()[0][:300]}")
            if health.problems:  # what the comparison would read is damaged already
                return health
            for problem in (self._current_differences(cur), self._totals_differences(cur)):
                if problem:
                    health.problems.append(problem)
        return health

    def _current_differences(self, cur: duckdb.DuckDBPyConnection) -> str | None:
        """Keys whose kept current value is not the latest live revision (or is missing, or extra)."""
        on = " AND ".join(f"a.{c} = b.{c}" for c in _KEY)
        differs = " OR ".join(
            f"a.{c} IS DISTINCT FROM b.{c}"
            for c in ("id", "batch_id", "numerator", "denominator", "value", "note", "received_at",
                      "source_row", "first_received_at", "revisions")
        )  # fmt: skip
        rows = cur.execute(
            f"SELECT coalesce(a.period, b.period), coalesce(a.unit_code, b.unit_code), "
            f"coalesce(a.indicator_code, b.indicator_code) FROM current_submissions a "
            f"FULL JOIN ({CURRENT_SELECT.format(keys='')}) b ON {on} "
            f"WHERE a.period IS NULL OR b.period IS NULL OR {differs} ORDER BY 1, 2, 3"
        ).fetchall()
        return _described(rows, "giá trị hiện hành", "phiên bản số liệu đang dùng")

    def _totals_differences(self, cur: duckdb.DuckDBPyConnection) -> str | None:
        """Totals that are not the sums of the current values (recomputed from the revisions)."""
        on = " AND ".join(f"a.{c} = b.{c}" for c in _KEY)
        fresh = TOTALS_SELECT.format(rows=f"({CURRENT_SELECT.format(keys='')})", keys="")
        close = " AND ".join(_CLOSE.format(c=c) for c in ("numerator", "denominator", "value"))
        rows = cur.execute(
            f"SELECT coalesce(a.period, b.period), coalesce(a.unit_code, b.unit_code), "
            f"coalesce(a.indicator_code, b.indicator_code) FROM current_totals a FULL JOIN ({fresh}) b ON {on} "
            f"WHERE a.period IS NULL OR b.period IS NULL OR a.reporters <> b.reporters OR NOT ({close}) "
            "ORDER BY 1, 2, 3"
        ).fetchall()
        return _described(rows, "tổng theo xã", "tổng tính lại từ các phiên bản số liệu")

    def health_report(self, health: Health) -> list[str]:
        """The lines `check` prints: what was read, then each problem and what to do."""
        where = shown_path(self.path)
        lines = [f"Cơ sở dữ liệu {where}: đọc {len(health.rows)} bảng, "
                 f"{format.number(sum(health.rows.values()))} dòng."]  # fmt: skip
        if health.sound:
            lines.append("Tốt: mọi bảng đọc được; giá trị hiện hành và các tổng khớp với các phiên bản số liệu.")
            return lines
        lines.append(f"CÓ LỖI ({len(health.problems)}):")
        lines += [f"  - {problem}" for problem in health.problems]
        if self.is_postgres:
            todo = ("khôi phục bản sao lưu gần nhất bằng pg_restore (docs/deploy.md), rồi chạy lại "
                    f"python -m indicators check --db {where}.")  # fmt: skip
        else:
            todo = (f"dừng ứng dụng, chọn bản sao lưu gần nhất mà lệnh check báo tốt (python -m indicators check "
                    f"--db TỆP_SAO_LƯU), rồi khôi phục: python -m indicators restore --db {where} --from TỆP_SAO_LƯU "
                    f"(tệp hiện tại được giữ lại thành {where}.before-restore).")  # fmt: skip
        lines.append("Cách xử lý: " + todo)
        return lines


def _described(rows: list[tuple], kept: str, expected: str) -> str | None:
    if not rows:
        return None
    shown = "; ".join(f"{period} {unit} {code}" for period, unit, code in rows[:5])
    more = f" (và {len(rows) - 5} khóa khác)" if len(rows) > 5 else ""
    return f"{len(rows)} {kept} không khớp với {expected}: {shown}{more}."
