"""Sign-in accounts: `user add`, `user list`, `user disable`, `user enable` and `user passwd`."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TextIO

from pydantic import ValidationError

from indicators.cli.common import OK, REJECTED, Command, Handler, UsageError
from indicators.domain import accounts
from indicators.storage import Store


def _add_user(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    user = sub.add_parser("user", parents=[common], help="tài khoản đăng nhập")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    user_add = user_sub.add_parser(
        "add", parents=[common], help="thêm tài khoản (mật khẩu đọc từ stdin khi không phải terminal)"
    )
    user_add.add_argument("name", help="tên đăng nhập, ví dụ nguyenvana")
    user_add.add_argument("--role", required=True, choices=accounts.ROLES,
                          help="quan_tri | can_bo | lanh_dao")  # fmt: skip
    user_add.add_argument("--units", default="", help="mã đơn vị được giao, cách nhau bởi dấu phẩy (cán bộ)")
    user_add.add_argument("--display-name", default="", help="họ tên hiển thị")
    user_sub.add_parser("list", parents=[common], help="liệt kê tài khoản")
    for name, text in (("disable", "khóa tài khoản"), ("enable", "mở khóa tài khoản"),
                       ("passwd", "đặt lại mật khẩu (đọc từ stdin khi không phải terminal)")):  # fmt: skip
        user_sub.add_parser(name, parents=[common], help=text).add_argument("name")


def read_password(stdin=None) -> str:
    """From a terminal: asked twice, hidden. Otherwise the first line of standard input."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("Mật khẩu: ")
        if getpass.getpass("Nhập lại mật khẩu: ") != first:
            raise UsageError("hai lần nhập mật khẩu không khớp")
        return first
    return stdin.readline().rstrip("\r\n")


def _rejecting_bad_input(handler: Handler) -> Handler:
    """`handler`, with a form or password the rules refuse printed and rejected (exit 1)."""

    def checked(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
        try:
            return handler(store, args, actor, out)
        except ValidationError as exc:
            print("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()), file=out)
            return REJECTED
        except ValueError as exc:  # the password rules
            print(str(exc), file=out)
            return REJECTED

    return checked


def _list(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    for u in store.users().itertuples():
        state = "" if u.active else " (đã khóa)"
        units = f"\t{u.units}" if u.units else ""
        print(f"{u.name}\t{accounts.ROLE_VI[u.role]}\t{u.display_name}{units}{state}", file=out)
    return OK


def _enabled(active: bool) -> Handler:
    def switch(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
        store.update_user(args.name, actor, active=active)
        print(f"Đã {'mở khóa' if active else 'khóa'} tài khoản {args.name}.", file=out)
        return OK

    return switch


@_rejecting_bad_input
def _add(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    form = accounts.UserForm(name=args.name, role=args.role, units=args.units,
                             display_name=args.display_name)  # fmt: skip
    store.add_user(form, accounts.hash_password(read_password()), actor)
    print(f"Đã thêm tài khoản {form.name} ({accounts.ROLE_VI[form.role]}).", file=out)
    return OK


@_rejecting_bad_input
def _passwd(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    store.update_user(args.name, actor, password_hash=accounts.hash_password(read_password()))
    print(f"Đã đặt lại mật khẩu cho {args.name}; các phiên đăng nhập cũ đã kết thúc.", file=out)
    return OK


_SUBCOMMANDS: dict[str, Handler] = {
    "add": _add,
    "list": _list,
    "disable": _enabled(False),
    "enable": _enabled(True),
    "passwd": _passwd,
}


def _user(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    return _SUBCOMMANDS[args.user_command](store, args, actor, out)


COMMANDS = {"user": Command(_add_user, handle=_user)}
