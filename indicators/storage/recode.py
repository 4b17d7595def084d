"""Renaming units: old codes to new ones (the official codes) with their whole history, in one
transaction. The audit log keeps what it recorded and gets one row for the recode.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb

from indicators.domain import clock
from indicators.domain.accounts import Actor, require
from indicators.domain.errors import StoreError
from indicators.domain.settings import Settings
from indicators.storage.audit import AuditMixin
from indicators.storage.connection import _literal

# Every column that holds a unit's code (a table that adds one must be listed here:
# tests/test_recode.py checks the schema against this list). `users.units` (a comma-separated
# list) and the settings' `home_unit` (JSON) are rewritten in code. Not renamed: the audit log (it
# keeps what it recorded) and an issued report's files and figures (kept byte for byte as issued;
# the report is found under its unit's new code).
UNIT_CODE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("units", "code"),
    ("units", "parent"),
    ("submissions", "unit_code"),
    ("current_submissions", "unit_code"),
    ("current_totals", "unit_code"),
    ("month_reviews", "unit_code"),
    ("month_openings", "unit_code"),
    ("issued_reports", "root_code"),
    ("entry_drafts", "unit_code"),
    ("task_revisions", "commune_code"),
    ("task_notes", "commune_code"),
)
# Columns in a primary key: renamed through a temporary code, so that a chain (A → B, B → C) or a
# swap never meets a row's own old code (PostgreSQL checks a key row by row)
_KEYED = {("units", "code"), ("entry_drafts", "unit_code")}
_TEMPORARY = "\x01recode\x01"

TABLE_NAMES_VI = {
    "units": "đơn vị", "submissions": "số liệu đã nộp (mọi lần sửa)", "current_submissions": "số liệu hiện hành",
    "current_totals": "tổng theo xã", "month_reviews": "lượt duyệt tháng", "month_openings": "lần mở bổ sung tháng",
    "issued_reports": "báo cáo đã phát hành", "entry_drafts": "bản nháp nhập số liệu", "users": "tài khoản",
    "settings": "cài đặt (đơn vị mặc định)", "task_revisions": "nhiệm vụ (mọi lần sửa)",
    "task_notes": "ghi chú tiến độ nhiệm vụ",
}  # fmt: skip


@dataclass(frozen=True)
class RecodeRow:
    """One line of a map: `row` is its line in the file (the header is line 1)."""

    row: int
    old: str
    new: str


@dataclass
class RecodeReport:
    """What a recode changed (or, on a dry run, would change): rows per table and column."""

    pairs: list[RecodeRow]
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    dry_run: bool = False

    def by_table(self) -> dict[str, int]:
        """Rows touched per table (a unit whose code and parent both change counts once per column)."""
        out: dict[str, int] = {}
        for (table, _column), n in self.counts.items():
            out[table] = out.get(table, 0) + n
        return out


def _case(column: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN {_literal(old)} THEN {_literal(new)}" for old, new in mapping.items())
    return f"CASE {column} {whens} ELSE {column} END"


def _in_list(values) -> str:
    return ", ".join(_literal(v) for v in values)


def check_map(pairs: list[RecodeRow], codes: dict[str, str]) -> list[str]:
    """The reasons (Vietnamese, naming the line) a map cannot be applied to units `codes` (code → name):
    an old code that is no unit, an old or new code given twice, a new code another unit keeps."""
    problems, olds, news = [], {}, {}
    renamed = {p.old for p in pairs}
    for p in pairs:
        if p.old in olds:
            problems.append(f"Dòng {p.row}, cột mã cũ: mã “{p.old}” đã có ở dòng {olds[p.old]}.")
        elif p.old not in codes:
            problems.append(f"Dòng {p.row}, cột mã cũ: không có đơn vị nào mang mã “{p.old}” trong cơ sở dữ liệu.")
        olds.setdefault(p.old, p.row)
        if p.new in news:
            problems.append(f"Dòng {p.row}, cột mã mới: mã “{p.new}” đã được dùng ở dòng {news[p.new]} (hai đơn vị "
                            "không thể mang cùng một mã).")  # fmt: skip
        elif p.new in codes and p.new not in renamed:
            problems.append(f"Dòng {p.row}, cột mã mới: mã “{p.new}” đang là mã của đơn vị “{codes[p.new]}”, "
                            "đơn vị này không được đổi mã trong bảng.")  # fmt: skip
        news.setdefault(p.new, p.row)
    return problems


class RecodeMixin(AuditMixin):
    """`recode_units`: old codes to new ones everywhere a unit's code is kept."""

    def recode_units(self, pairs: list[RecodeRow], actor: Actor, dry_run: bool = False) -> RecodeReport:
        """Rename units `old` → `new` with their whole history, all or nothing. Refused (StoreError,
        nothing written) when a line names no unit of this database, gives a code twice, or gives a
        new code another unit keeps. `dry_run`: count what would change and write nothing."""
        require(actor, "edit_settings")
        pairs = [p for p in pairs if p.old != p.new]
        report = RecodeReport(pairs, dry_run=dry_run)
        with self.transaction() as cur:
            codes = dict(cur.execute("SELECT code, name FROM units").fetchall())
            problems = check_map(pairs, codes)
            if problems:
                shown = problems[:20] + ([f"… và {len(problems) - 20} lỗi khác."] if len(problems) > 20 else [])
                raise StoreError("Bảng đổi mã bị từ chối, chưa ghi gì:\n" + "\n".join(f"  - {p}" for p in shown))
            mapping = {p.old: p.new for p in pairs}
            if not mapping:
                return report
            olds = _in_list(mapping)
            for table, column in UNIT_CODE_COLUMNS:
                sql = f"SELECT count(*) FROM {table} WHERE {column} IN ({olds})"
                report.counts[(table, column)] = int(self._query_native(cur, sql)[0][0])
            users = self._recoded_users(cur, mapping)
            report.counts[("users", "units")] = len(users)
            settings = self._recoded_settings(cur, mapping)
            report.counts[("settings", "home_unit")] = int(settings is not None)
            if dry_run:
                return report
            self._rename(cur, mapping)
            now = clock.now()
            for name, units in users.items():
                cur.execute("UPDATE users SET units = ?, updated_at = ? WHERE name = ?", [units, now, name])
            if settings is not None:
                cur.execute("UPDATE settings SET value = ? WHERE key = 'settings'", [settings])
            # the units' version changes, so every kept tree and result is read again
            cur.execute(f"UPDATE units SET updated_at = ? WHERE code IN ({_in_list(mapping.values())})", [now])
            counts = {f"{table}.{column}": n for (table, column), n in report.counts.items() if n}
            self._audit(cur, actor, "unit_recode", f"mã của {len(mapping)} đơn vị", {"codes": sorted(mapping)},
                        {"codes": mapping, "rows": counts})  # fmt: skip
        return report

    def _rename(self, cur: duckdb.DuckDBPyConnection, mapping: dict[str, str]) -> None:
        olds = _in_list(mapping)
        for table, column in UNIT_CODE_COLUMNS:
            if (table, column) in _KEYED:
                temporary = {old: _TEMPORARY + new for old, new in mapping.items()}
                self._run_native(cur, f"UPDATE {table} SET {column} = {_case(column, temporary)} WHERE {column} IN ({olds})")
                final = {_TEMPORARY + new: new for new in mapping.values()}
                self._run_native(cur, f"UPDATE {table} SET {column} = {_case(column, final)} "
                                      f"WHERE {column} IN ({_in_list(final)})")  # fmt: skip
            else:
                self._run_native(cur, f"UPDATE {table} SET {column} = {_case(column, mapping)} WHERE {column} IN ({olds})")

    @staticmethod
    def _recoded_users(cur: duckdb.DuckDBPyConnection, mapping: dict[str, str]) -> dict[str, str]:
        """The accounts whose assigned units change: name → the new list."""
        out = {}
        for name, units in cur.execute("SELECT name, units FROM users").fetchall():
            codes = [c for c in units.split(",") if c]
            if any(c in mapping for c in codes):
                out[name] = ",".join(mapping.get(c, c) for c in codes)
        return out

    @staticmethod
    def _recoded_settings(cur: duckdb.DuckDBPyConnection, mapping: dict[str, str]) -> str | None:
        """The settings with the home unit renamed, or None when it is not renamed."""
        row = cur.execute("SELECT value FROM settings WHERE key = 'settings'").fetchone()
        if row is None or json.loads(row[0]).get("home_unit") not in mapping:
            return None
        settings = Settings.model_validate_json(row[0])
        return settings.model_copy(update={"home_unit": mapping[settings.home_unit]}).model_dump_json()
