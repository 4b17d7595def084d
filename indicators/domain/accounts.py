"""Accounts, roles and permissions: who may do what. The store checks them on every write.

Roles (issue: accounts, roles and audit):
- lãnh đạo (`lanh_dao`): sees everything, downloads reports;
- cán bộ (`can_bo`): also uploads figures and updates the task register, for the units assigned
  to them (a unit covers its hamlets; only a commune-level assignment covers the commune's tasks);
- quản trị (`quan_tri`): everything, including catalog, targets, settings, users, reverting batches
  and reading the audit log.

Passwords are argon2id hashes. Repeated failed logins for a name from one client address, and many
from one address, are slowed down (`wait_after`, `authenticate`).
"""

from __future__ import annotations

import getpass
import hashlib
import ipaddress
import re
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, Field, field_validator

from indicators.domain import clock
from indicators.domain.errors import PermissionDenied
from indicators.domain.text import nfc

Role = Literal["lanh_dao", "can_bo", "quan_tri"]
ROLES: tuple[Role, ...] = ("lanh_dao", "can_bo", "quan_tri")
ROLE_VI = {"lanh_dao": "Lãnh đạo", "can_bo": "Cán bộ", "quan_tri": "Quản trị", "khach": "Khách"}

Action = Literal[
    "view", "download", "import", "update_task", "revert", "edit_catalog", "edit_settings",
    "manage_users", "read_audit", "manage_demo", "approve", "issue_report",
]  # fmt: skip
ACTION_VI = {
    "view": "xem số liệu",
    "download": "tải báo cáo",
    "import": "nhập số liệu",
    "update_task": "cập nhật nhiệm vụ",
    "revert": "hoàn tác lô nhập",
    "edit_catalog": "sửa danh mục đơn vị và chỉ tiêu kế hoạch",
    "edit_settings": "sửa cài đặt",
    "manage_users": "quản lý tài khoản",
    "read_audit": "xem nhật ký thay đổi",
    "manage_demo": "nạp hoặc xóa dữ liệu mẫu",
    "approve": "duyệt hoặc trả lại số liệu",
    "issue_report": "phát hành báo cáo tháng hoặc mở bổ sung tháng đã khóa",
}
PERMISSIONS: dict[str, frozenset[str]] = {
    "khach": frozenset({"view"}),  # the optional public read-only view
    "lanh_dao": frozenset({"view", "download", "approve", "issue_report"}),
    "can_bo": frozenset({"view", "download", "import", "update_task", "approve"}),
    "quan_tri": frozenset(ACTION_VI),
}
SCOPED_ACTIONS = frozenset({"import", "update_task", "approve"})  # limited to assigned units for cán bộ

NAME_PATTERN = r"^[a-z0-9][a-z0-9._\-]{2,39}$"
MAX_NAME = 40
MIN_PASSWORD = 10
COOKIE_NAME = "cds_phien"

# After FREE_FAILURES wrong passwords in a row for a name from one client address, each further
# try waits twice as long as the last; an address gets CLIENT_FREE_FAILURES failures an hour over
# all names before it waits the same way. Attempts are kept for a day (LOGIN_MEMORY).
FREE_FAILURES = 3
FIRST_WAIT = timedelta(seconds=5)
MAX_WAIT = timedelta(minutes=5)
CLIENT_FREE_FAILURES = 20
CLIENT_WINDOW = timedelta(hours=1)
LOGIN_MEMORY = timedelta(days=1)
# Each argon2 check takes about 64 MiB and a core for a moment: at most this many at once per process
MAX_CHECKS = 2
MAX_PASSWORD_INPUT = 1000  # characters; longer is refused before hashing

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("không-phải-mật-khẩu-nào")


@dataclass(frozen=True)
class Actor:
    """Who performs an action: a logged-in user, the command line, the system or a guest."""

    name: str
    role: str  # a Role, or "khach" for the public view
    units: tuple[str, ...] = ()
    kind: Literal["user", "cli", "system", "public"] = "user"
    display_name: str = ""

    def can(self, action: str) -> bool:
        return action in PERMISSIONS.get(self.role, frozenset())

    @property
    def label(self) -> str:
        """How audit rows and batches name the actor."""
        if self.kind == "user":
            return self.name
        return self.display_name or self.name

    @property
    def role_vi(self) -> str:
        return ROLE_VI.get(self.role, self.role)


SYSTEM = Actor("hệ thống", "quan_tri", kind="system")
PUBLIC = Actor("khách", "khach", kind="public", display_name="Khách (chế độ xem công khai)")


def command_line(label: str | None = None) -> Actor:
    """Whoever runs `python -m indicators`: they hold the database file, so they act as admin."""
    who = label or getpass.getuser()
    return Actor(f"dòng lệnh: {who}", "quan_tri", kind="cli")


def require(actor: Actor, action: str) -> None:
    if not actor.can(action):
        raise PermissionDenied(
            f"Tài khoản “{actor.label}” ({actor.role_vi}) không có quyền {ACTION_VI.get(action, action)}."
        )


def allowed_units(actor: Actor, parents: dict[str, str | None]) -> set[str] | None:
    """The unit codes `actor` may write for (None: all). `parents` maps every code to its parent."""
    if actor.role == "quan_tri":
        return None
    if actor.role != "can_bo":
        return set()
    assigned = set(actor.units)
    allowed = set()
    for code in parents:
        node: str | None = code
        seen = 0
        while node is not None and seen < 10:
            if node in assigned:
                allowed.add(code)
                break
            node, seen = parents.get(node), seen + 1
    return allowed


def require_units(actor: Actor, action: str, codes: Iterable[str], parents: dict[str, str | None]) -> None:
    """`action` on data of every unit in `codes`, or PermissionDenied naming the first outsider."""
    require(actor, action)
    allowed = allowed_units(actor, parents)
    if allowed is None:
        return
    outside = sorted(set(codes) - allowed)
    if outside:
        more = f" (và {len(outside) - 1} đơn vị khác)" if len(outside) > 1 else ""
        raise PermissionDenied(
            f"Tài khoản “{actor.label}” không được giao {ACTION_VI[action]} cho đơn vị {outside[0]}{more}."
        )


def may_update_tasks(actor: Actor, levels: dict[str, str]) -> bool:
    """The register is the commune's: cán bộ need an assignment above hamlet level."""
    if not actor.can("update_task"):
        return False
    return actor.role == "quan_tri" or any(levels.get(code, "hamlet") != "hamlet" for code in actor.units)


def require_tasks(actor: Actor, levels: dict[str, str]) -> None:
    require(actor, "update_task")
    if not may_update_tasks(actor, levels):
        raise PermissionDenied(
            f"Tài khoản “{actor.label}” chỉ được giao số liệu của thôn; sổ nhiệm vụ do cán bộ cấp xã cập nhật."
        )


# --- passwords and login throttling -----------------------------------------------------------
def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.")
    if password.strip() != password:
        raise ValueError("Mật khẩu không được bắt đầu hoặc kết thúc bằng dấu cách.")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists (no hint which names exist)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def wait_after(failures: int) -> timedelta:
    """How long to wait before the next try after `failures` wrong passwords in a row."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** min(failures - FREE_FAILURES, 16), MAX_WAIT)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Only hashes of session tokens are stored: a stolen backup cannot resume a session."""
    return hashlib.sha256(token.encode()).hexdigest()


class UserForm(BaseModel):
    """A new or changed account, validated the same way from the CLI and the page."""

    name: str = Field(description="tên đăng nhập")
    display_name: str = ""
    role: Role
    units: tuple[str, ...] = ()

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        text = nfc(value or "").lower()
        if not re.match(NAME_PATTERN, text):
            raise ValueError(
                "Tên đăng nhập gồm 3–40 chữ thường không dấu, số, dấu chấm, gạch dưới hoặc gạch ngang "
                "(ví dụ: nguyenvana)."
            )
        return text

    @field_validator("display_name", mode="before")
    @classmethod
    def _display(cls, value: object) -> str:
        text = nfc(value or "")
        if len(text) > 100:
            raise ValueError("Họ tên dài quá 100 ký tự.")
        return text

    @field_validator("units", mode="before")
    @classmethod
    def _units(cls, value: object) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [part for part in re.split(r"[,;\s]+", value) if part]
        return tuple(dict.fromkeys(nfc(code) for code in value or ()))


@dataclass
class LoginResult:
    actor: Actor | None = None
    message: str = ""
    wait: timedelta = field(default_factory=timedelta)


WRONG_LOGIN = "Tên đăng nhập hoặc mật khẩu không đúng (hoặc tài khoản đã bị khóa)."
BUSY = "Hệ thống đang bận, hãy thử lại sau giây lát."
_checks = threading.BoundedSemaphore(MAX_CHECKS)


def authenticate(store, name: str, password: str, now: datetime | None = None, client: str = "") -> LoginResult:
    """Check a login from the address `client`; records the attempt. The message never says which
    of the two was wrong.

    Before any hash: a name longer than any account's, or a password longer than MAX_PASSWORD_INPUT,
    is refused; a check beyond MAX_CHECKS running at once is told to come back; then the store
    decides and records the attempt in one step (`claim_login_attempt`), so parallel tries of one
    name are throttled as if they came one after another, whether the name exists or not.
    """
    now = now or clock.now()
    name = nfc(name or "").lower()
    password = password or ""
    if len(name) > MAX_NAME or len(password) > MAX_PASSWORD_INPUT:
        return LoginResult(message=WRONG_LOGIN)
    if not _checks.acquire(blocking=False):
        return LoginResult(message=BUSY)
    try:
        left = store.claim_login_attempt(name, client, now)
        if left > timedelta(0):
            return LoginResult(
                message=f"Đăng nhập sai nhiều lần. Hãy thử lại sau {int(left.total_seconds()) + 1} giây.", wait=left
            )
        user = store.user(name)
        ok = verify_password(user["password_hash"] if user else None, password) and bool(user and user["active"])
    finally:
        _checks.release()
    if not ok:
        return LoginResult(message=WRONG_LOGIN)
    store.record_login_success(name, client, now)
    return LoginResult(actor=actor_of(user))


def client_address(peer: str | None, headers: Mapping[str, str] | None) -> str:
    """The address a login comes from, for throttling. `peer` is the connection's own address
    (Streamlit's `st.context.ip_address`, None for a local one). Only a local peer, the reverse
    proxy of deploy/nginx.conf on the same machine, is believed about the client behind it: its
    X-Real-IP, or the last address of X-Forwarded-For (the one nginx appended; those before it
    are whatever the client sent). A direct client's headers are ignored: anyone can write them."""
    if peer:
        return _valid_ip(peer) or ""
    headers = headers or {}
    real = _valid_ip(headers.get("X-Real-IP") or headers.get("x-real-ip") or "")
    if real:
        return real
    chain = headers.get("X-Forwarded-For") or headers.get("x-forwarded-for") or ""
    return _valid_ip(chain.split(",")[-1]) or ""


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def actor_of(user: dict) -> Actor:
    return Actor(
        name=user["name"], role=user["role"], units=tuple(u for u in user["units"].split(",") if u),
        kind="user", display_name=user["display_name"],
    )  # fmt: skip


def approvable_units(actor: Actor, parents: dict[str, str | None], levels: dict[str, str]) -> set[str] | None:
    """The units whose months `actor` may approve or send back (None: all). Leaders and admins
    approve everywhere; cán bộ only below an assignment above hamlet level (a hamlet head never
    approves their own figures)."""
    if not actor.can("approve"):
        return set()
    if actor.role in ("quan_tri", "lanh_dao"):
        return None
    above_hamlet = tuple(code for code in actor.units if levels.get(code, "hamlet") != "hamlet")
    return allowed_units(Actor(actor.name, actor.role, above_hamlet), parents)


def hamlet_only(actor: Actor, levels: dict[str, str]) -> bool:
    """An account that enters figures for hamlets only (a hamlet head): it lands on “Việc của tôi”."""
    return actor.role == "can_bo" and bool(actor.units) and all(levels.get(c) == "hamlet" for c in actor.units)


def may_approve(actor: Actor, levels: dict[str, str]) -> bool:
    """Whether to offer the review page: leaders, admins and cán bộ assigned above hamlet level."""
    if not actor.can("approve"):
        return False
    return actor.role in ("quan_tri", "lanh_dao") or any(levels.get(c, "hamlet") != "hamlet" for c in actor.units)


def require_approval(actor: Actor, codes: Iterable[str], parents: dict[str, str | None],
                     levels: dict[str, str]) -> None:  # fmt: skip
    """Approving or sending back the months of every unit in `codes`, or PermissionDenied."""
    require(actor, "approve")
    allowed = approvable_units(actor, parents, levels)
    if allowed is None:
        return
    outside = sorted(set(codes) - allowed)
    if outside:
        raise PermissionDenied(
            f"Tài khoản “{actor.label}” không được duyệt số liệu của đơn vị {outside[0]}: "
            "chỉ cán bộ được giao cấp xã, lãnh đạo và quản trị được duyệt."
        )
