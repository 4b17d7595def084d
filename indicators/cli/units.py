"""The unit list: `units import FILE`, `units list`, and moving to new codes: `units recode-map`
(the map from the previous list's codes to the official ones) and `units recode --map FILE [--dry-run]`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from indicators.cli.common import OK, REJECTED, Command, Handler
from indicators.domain import accounts, format
from indicators.ingest.recode_map import map_csv, official_map, parse_recode_map
from indicators.ingest.units_file import parse_units_file
from indicators.storage import RECODE_TABLES_VI, Store


def _add_units(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    units = sub.add_parser("units", parents=[common], help="danh mục đơn vị")
    units_sub = units.add_subparsers(dest="units_command", required=True)
    units_import = units_sub.add_parser("import", parents=[common], help="nhập đơn vị từ CSV")
    units_import.add_argument("file")
    units_sub.add_parser("list", parents=[common], help="liệt kê đơn vị")
    recode = units_sub.add_parser(
        "recode", parents=[common], help="đổi mã đơn vị (cũ → mới) cùng toàn bộ lịch sử, theo bảng đổi mã"
    )
    recode.add_argument("--map", required=True, help="tệp CSV/Excel có hai cột “mã cũ”, “mã mới”")
    recode.add_argument("--dry-run", action="store_true", help="chỉ báo những gì sẽ đổi, không ghi gì")
    recode_map = units_sub.add_parser(
        "recode-map", parents=[common],
        help="lập bảng đổi mã từ danh mục cũ sang mã chính thức (Quyết định 19/2025/QĐ-TTg) cho các đơn vị của cơ sở dữ liệu",
    )  # fmt: skip
    recode_map.add_argument("--out", help="ghi bảng vào tệp này (mặc định: in ra màn hình)")


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


def _recode(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    pairs, issues = parse_recode_map(Path(args.map).name, Path(args.map).read_bytes())
    if issues:
        print(f"Bảng đổi mã bị từ chối: {format.number(len(issues))} lỗi. Chưa ghi gì.", file=out)
        for issue in issues:
            print(f"  - {issue.text()}", file=out)
        return REJECTED
    report = store.recode_units(pairs, actor, dry_run=args.dry_run)
    units = len(report.pairs)
    if args.dry_run:
        print(f"Chạy thử: sẽ đổi mã {format.number(units)} đơn vị. Chưa ghi gì.", file=out)
    else:
        print(f"Đã đổi mã {format.number(units)} đơn vị cùng toàn bộ lịch sử.", file=out)
    children = report.counts.get(("units", "parent"), 0)
    for table, count in report.by_table().items():
        if table == "units":
            below = f" (và {format.number(children)} đơn vị trực thuộc đổi theo mã cấp trên)" if children else ""
            print(f"  {RECODE_TABLES_VI[table]}: {format.number(count - children)}{below}", file=out)
        elif count:
            print(f"  {RECODE_TABLES_VI.get(table, table)}: {format.number(count)} dòng", file=out)
    for pair in report.pairs:
        print(f"  {pair.old} → {pair.new}", file=out)
    return OK


def _recode_map(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    rows = official_map(store)
    text = map_csv(rows)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"Đã ghi bảng đổi mã của {format.number(len(rows))} đơn vị vào {args.out}. Xem lại, rồi chạy "
              f"`python -m indicators units recode --map {args.out} --dry-run`.", file=out)  # fmt: skip
    else:
        print(text, end="", file=out)
    return OK


_SUBCOMMANDS: dict[str, Handler] = {"import": _import, "list": _list, "recode": _recode, "recode-map": _recode_map}


def _units(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    return _SUBCOMMANDS[args.units_command](store, args, actor, out)


COMMANDS = {"units": Command(_add_units, handle=_units)}
