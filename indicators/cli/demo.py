"""Sample data: `demo` loads Bình Giang (or, with --city, the whole city) and `demo --remove` takes it out."""

from __future__ import annotations

import argparse
from typing import TextIO

from indicators.cli.common import OK, Command
from indicators.domain import accounts, format
from indicators.ingest.demo import load_demo
from indicators.storage import Store


def _add_demo(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    demo = sub.add_parser("demo", parents=[common], help="nạp dữ liệu mẫu (hoặc --remove để xóa)")
    demo.add_argument("--remove", action="store_true", help="xóa toàn bộ dữ liệu mẫu")
    demo.add_argument("--if-empty", action="store_true", help="chỉ nạp khi cơ sở dữ liệu còn trống")
    demo.add_argument("--city", action="store_true",
                      help="thêm thành phố Hải Phòng với 114 xã, phường (mẫu) để xem cấp thành phố")  # fmt: skip
    demo.add_argument("--limit", type=int, default=None, help="với --city: chỉ nạp N xã đầu (thử nhanh)")


def _demo(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    if args.remove:
        removed = store.remove_demo(actor)
        print(f"Đã xóa dữ liệu mẫu ({removed} lô nhập).", file=out)
        return OK
    if args.if_empty and (store.units() or store.periods_with_data()):
        print("Cơ sở dữ liệu đã có dữ liệu: không nạp dữ liệu mẫu.", file=out)
        return OK
    if args.city:
        return _city(store, args, actor, out)
    from indicators.ingest.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

    counts = load_demo(store, actor)
    names = ", ".join(f"{a.name} ({accounts.ROLE_VI[a.role]})" for a in DEMO_ACCOUNTS)
    print(
        f"Đã nạp DỮ LIỆU MẪU (không phải số liệu thật) của xã Bình Giang: "
        f"{counts['batches']} lô, {format.number(counts['rows'])} số liệu. "
        f"Tài khoản mẫu: {names}; mật khẩu {DEMO_PASSWORD}. "
        "Xóa dữ liệu và tài khoản mẫu bằng: python -m indicators demo --remove",
        file=out,
    )
    return OK


def _city(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    from indicators.ingest.demo import load_city_demo

    if not store.units():
        load_demo(store, actor)  # Bình Giang with its accounts, then the rest of the city
    counts = load_city_demo(store, actor, limit=args.limit)
    print(
        f"Đã nạp DỮ LIỆU MẪU cấp thành phố: Hải Phòng, {counts['communes']} xã, phường, đặc khu; "
        f"{format.number(counts['batches'])} lô, {format.number(counts['rows'])} số liệu. "
        "Chọn đơn vị ở thanh bên để xem cả thành phố hoặc từng xã.",
        file=out,
    )
    return OK


COMMANDS = {"demo": Command(_add_demo, handle=_demo)}
