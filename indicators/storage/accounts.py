"""Accounts, login attempts and sessions."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from indicators.domain import clock
from indicators.domain.accounts import (
    CLIENT_FREE_FAILURES,
    CLIENT_WINDOW,
    FREE_FAILURES,
    LOGIN_MEMORY,
    Actor,
    UserForm,
    require,
    wait_after,
)
from indicators.domain.errors import StoreError
from indicators.storage.audit import AuditMixin

_log = logging.getLogger(__name__)


class AccountsMixin(AuditMixin):
    """Users (their password hashes made elsewhere), the login attempts that throttle logins, and
    the sessions a browser holds."""

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

    def add_user(self, form: UserForm, password_hash: str, actor: Actor, is_demo: bool = False) -> None:
        """A new account (`form`'s fields are already validated)."""
        require(actor, "manage_users")
        now = clock.now()
        with self.transaction("tài khoản mới") as cur:
            if cur.execute("SELECT count(*) FROM users WHERE name = ?", [form.name]).fetchone()[0]:
                raise StoreError(f"Đã có tài khoản “{form.name}”.")
            self._check_user_units(cur, form.role, form.units)
            cur.execute(
                "INSERT INTO users VALUES (?, ?, ?, ?, ?, TRUE, ?, ?, ?)",
                [form.name, form.display_name, form.role, ",".join(form.units), password_hash, is_demo, now, now],
            )  # fmt: skip
            self._audit(cur, actor, "user_add", f"tài khoản {form.name}", None, {
                "display_name": form.display_name, "role": form.role, "units": ",".join(form.units),
                "active": True,
            })  # fmt: skip

    def update_user(self, name: str, actor: Actor, *, display_name: str | None = None,
                    role: str | None = None, units: Iterable[str] | None = None,
                    active: bool | None = None, password_hash: str | None = None) -> None:  # fmt: skip
        """Change an account; the last active admin cannot be disabled or demoted."""
        require(actor, "manage_users")
        with self.transaction("thay đổi tài khoản") as cur:
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
            if (
                before["role"] == "quan_tri"
                and before["active"]
                and not (after["role"] == "quan_tri" and after["active"])
            ):
                admins = cur.execute(
                    "SELECT count(*) FROM users WHERE role = 'quan_tri' AND active"
                ).fetchone()[0]
                if admins <= 1:
                    raise StoreError("Phải còn ít nhất một tài khoản quản trị đang hoạt động.")
            changed = [key for key in after if after[key] != before[key]]
            if not changed and password_hash is None:
                return
            cur.execute(
                "UPDATE users SET display_name = ?, role = ?, units = ?, active = ?, "
                "password_hash = coalesce(?, password_hash), updated_at = ? WHERE name = ?",
                [after["display_name"], after["role"], after["units"], after["active"], password_hash,
                 clock.now(), name],
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

    def claim_login_attempt(self, name: str, client: str, now: datetime) -> timedelta:
        """Whether `name` may be tried from `client` now, decided and recorded in one step.

        In one write transaction (serialised across threads and processes: the file lock, or
        PostgreSQL's advisory lock) the failures are counted and, when no wait is due, the attempt
        is recorded as a failure before the password is checked (`record_login_success` marks the
        success after). So parallel tries cannot all pass the count: each sees the ones before.
        Attempts older than a day are pruned here. Returns the time left to wait (zero: go on).
        """
        with self.transaction("lần đăng nhập") as cur:
            cur.execute("DELETE FROM login_attempts WHERE attempted_at < ?", [now - LOGIN_MEMORY])
            failures, last = self._login_failures(cur, name, client, now)
            left = timedelta(0)
            if last is not None:
                left = max(left, last + wait_after(failures) - now)
            if client:  # one address trying many names (an office behind one address has room)
                count, last_any = cur.execute(
                    """SELECT count(*), max(attempted_at) FROM login_attempts f
                    WHERE client = ? AND NOT ok AND attempted_at > ?
                      AND NOT EXISTS (SELECT 1 FROM login_attempts s WHERE s.ok AND s.name = f.name
                                      AND s.client = f.client AND s.attempted_at = f.attempted_at)""",
                    [client, now - CLIENT_WINDOW],
                ).fetchone()  # a claim that succeeded is no failure
                if last_any is not None:
                    left = max(left, last_any + wait_after(count - CLIENT_FREE_FAILURES + FREE_FAILURES) - now)
            if left > timedelta(0):
                return left
            cur.execute(
                "INSERT INTO login_attempts (name, attempted_at, ok, client) VALUES (?, ?, FALSE, ?)",
                [name, now, client],
            )
            return timedelta(0)

    def record_login_success(self, name: str, client: str, at: datetime) -> None:
        """The attempt claimed at `at` succeeded: the failures of `name` from `client` start again."""
        with self.transaction("lần đăng nhập") as cur:
            cur.execute(
                "INSERT INTO login_attempts (name, attempted_at, ok, client) VALUES (?, ?, TRUE, ?)",
                [name, at, client],
            )

    def recent_login_failures(self, name: str, now: datetime, client: str = "") -> tuple[int, datetime | None]:
        """Failed logins for `name` from `client` since its last success there (within a day), and
        the last one's time."""
        with self.cursor() as cur:
            return self._login_failures(cur, name, client, now)

    @staticmethod
    def _login_failures(cur: duckdb.DuckDBPyConnection, name: str, client: str,
                        now: datetime) -> tuple[int, datetime | None]:  # fmt: skip
        return cur.execute(
            """SELECT count(*), max(attempted_at) FROM login_attempts
            WHERE name = ? AND client = ? AND NOT ok AND attempted_at > ?
              AND attempted_at > coalesce(
                  (SELECT max(attempted_at) FROM login_attempts WHERE name = ? AND client = ? AND ok),
                  TIMESTAMP '2000-01-01')""",
            [name, client, now - LOGIN_MEMORY, name, client],
        ).fetchone()

    def start_session(self, token_hash: str, user_name: str, at: datetime) -> None:
        with self.transaction("phiên đăng nhập") as cur:
            cur.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, FALSE)", [token_hash, user_name, at, at])

    def session_user(self, token_hash: str, idle_limit_minutes: int, now: datetime) -> dict | None:
        """The active account of a live session, or None (unknown, ended, idle too long, disabled)."""
        with self.cursor() as cur:  # on every page run: the bound value reaches PostgreSQL, which uses its index
            rows = cur.execute(
                "SELECT user_name, last_seen FROM sessions WHERE token_hash = ? AND NOT ended", [token_hash]
            ).fetchall()
        row = rows[0] if rows else None
        if row is None or now - row[1] > timedelta(minutes=idle_limit_minutes):
            return None
        user = self.user(row[0])
        return user if user and user["active"] else None

    def touch_session(self, token_hash: str, now: datetime) -> bool:
        """Note the session's last activity, best effort: bookkeeping that a read-only page does on
        every run, so a failed write (a full disk) is logged and skipped, never shown. False then."""
        try:
            with self.transaction("thời điểm hoạt động của phiên") as cur:
                cur.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", [now, token_hash])
        except StoreError as exc:
            _log.warning("session activity not recorded: %s", exc)
            return False
        return True

    def end_session(self, token_hash: str) -> None:
        with self.transaction("việc đăng xuất") as cur:
            cur.execute("UPDATE sessions SET ended = TRUE WHERE token_hash = ?", [token_hash])
