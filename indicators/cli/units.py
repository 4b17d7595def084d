"""The unit list: `units import FILE` and `units list`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from indicators.cli.common import OK, REJECTED, Command, Handler
from indicators.domain import accounts, format
from indicators.ingest.units_file import parse_units_file
from indicators.storage import Store


def _add_units(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    units = sub.add_parser("units", parents=[common], help="danh mục đơn vị")
    units_sub = units.add_subparsers(dest="units_command", required=True)
    units_import = units_sub.add_parser("import", parents=[common], help="nhập đơn vị từ CSV")
    units_import.add_argument("file")
    units_sub.add_parser("list", parents=[common], help="liệt kê đơn vị")


def _list(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    for unit in store.units():
        state = "" if unit.active else " (ngừng hoạt động)"
        print(f"{unit.code}\t{unit.label}\t{unit.parent or ''}{state}", file=out)
    return OK


def _import(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    data = Path(args.file).read_bytes()
    units, issues = parse_units_file(Path(args.file).name, data, store)
    if issues:
        print(f"Tệp đơn vị bị từ chối: {format.number(len(issues))} lỗi. Chưa ghi gì.", file=out)
        for issue in issues:
            print(f"  - {issue.text()}", file=out)
        return REJECTED
    store.save_units(units, actor)
    print(f"Đã cập nhật {format.number(len(units))} đơn vị.", file=out)
    return OK


_SUBCOMMANDS: dict[str, Handler] = {"import": _import, "list": _list}


def _units(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    return _SUBCOMMANDS[args.units_command](store, args, actor, out)


COMMANDS = {"units": Command(_add_units, handle=_units)}
