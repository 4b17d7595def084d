"""The task register ("5 rõ"): `tasks export`, `tasks import`, `tasks list` and `tasks indicator`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from indicators.cli.common import OK, REJECTED, Command, Handler, UsageError, period, print_report, top_unit
from indicators.domain import accounts, clock, format
from indicators.storage import Store


def _add_tasks(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    tasks = sub.add_parser("tasks", parents=[common], help="sổ nhiệm vụ “5 rõ”")
    tasks_sub = tasks.add_subparsers(dest="tasks_command", required=True)
    tasks_export = tasks_sub.add_parser("export", parents=[common], help="xuất sổ nhiệm vụ ra CSV")
    tasks_export.add_argument("--out", required=True)
    tasks_import = tasks_sub.add_parser("import", parents=[common], help="nhập sổ nhiệm vụ từ CSV")
    tasks_import.add_argument("file")
    tasks_import.add_argument("--dry-run", action="store_true")
    tasks_import.add_argument("--user", default=None)
    tasks_list = tasks_sub.add_parser("list", parents=[common], help="nhiệm vụ và trạng thái hôm nay")
    tasks_list.add_argument("--unit", default=None, help="chỉ nhiệm vụ của đơn vị chủ trì này")
    tasks_indicator = tasks_sub.add_parser(
        "indicator", parents=[common], help="tính chỉ tiêu TC_NHIEM_VU_DUNG_HAN từ sổ nhiệm vụ và nhập"
    )
    tasks_indicator.add_argument("--period", type=period, required=True)
    tasks_indicator.add_argument("--user", default=None)
    for parser in (tasks_export, tasks_import, tasks_list, tasks_indicator):
        parser.add_argument("--commune", default=None, help="mã xã có sổ nhiệm vụ (mặc định: xã của đơn vị mặc định)")


def _commune(store: Store, args: argparse.Namespace, every: bool = False) -> str | None:
    """The commune whose register the command works on: --commune, else the default unit when it
    is a commune (or a hamlet's commune); with `every`, None (all communes) for a city."""
    units = {unit.code: unit for unit in store.units()}
    if not units and not args.commune:
        return ""  # no unit yet: the register waits for its commune
    code = top_unit(store, args.commune)
    unit = units[code]
    if unit.level == "hamlet":
        return unit.parent
    if unit.level == "commune":
        return code
    if every:
        return None
    raise UsageError(f"{unit.label} không phải một xã: mỗi xã có một sổ nhiệm vụ, hãy ghi --commune MÃ_XÃ")


def _export(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    from indicators.domain import tasks

    register = store.tasks(_commune(store, args))
    Path(args.out).write_bytes(tasks.export_csv(register))
    print(f"Đã xuất {len(register)} nhiệm vụ ra {args.out}.", file=out)
    return OK


def _import(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    from indicators.ingest import tasks_file

    path = Path(args.file)
    commune = _commune(store, args)
    result = tasks_file.parse_tasks_file(path.name, path.read_bytes(), store.tasks(commune))
    if not result.ok:
        print(f"Tệp nhiệm vụ bị từ chối: {len(result.issues)} lỗi. Chưa ghi gì.", file=out)
        for issue in result.issues:
            print(f"  - {issue.text()}", file=out)
        return REJECTED
    if not args.dry_run:
        store.save_tasks(result.tasks, actor, commune)
    verb = "Sẽ cập nhật" if args.dry_run else "Đã cập nhật"
    print(f"{verb} {len(result.tasks)} nhiệm vụ; {result.unchanged} không đổi.", file=out)
    return OK


def _list(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    from indicators.domain import tasks

    commune = _commune(store, args, every=True)
    table = tasks.register(store.tasks(commune), store.task_notes(commune=commune), clock.today(),
                           store.settings().deadline_day)  # fmt: skip
    if args.unit:
        table = table[table["unit"].map(tasks.fold) == tasks.fold(args.unit)]
    for r in table.itertuples():
        due = format.day(r.next_due) if r.next_due is not None else "–"
        where = f"{r.commune_code}\t" if commune is None else ""  # a city lists every commune's
        print(f"{where}{r.code}\t{r.state_vi}\thạn {due}\t{r.unit}\t{r.title}", file=out)
    return OK


def _indicator(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    from indicators.ingest import tasks_file

    report = tasks_file.import_on_time_indicator(store, args.period, actor, _commune(store, args))
    print_report(report, out)
    return OK if report.ok else REJECTED


_SUBCOMMANDS: dict[str, Handler] = {
    "export": _export,
    "import": _import,
    "list": _list,
    "indicator": _indicator,
}


def _tasks(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    return _SUBCOMMANDS[args.tasks_command](store, args, actor, out)


COMMANDS = {"tasks": Command(_add_tasks, handle=_tasks)}
