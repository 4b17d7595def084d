"""What every command group shares: exit codes, the usage error, a command's parts, and helpers."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from indicators.domain import accounts, periods
from indicators.storage import Store

OK, REJECTED, USAGE = 0, 1, 2


class UsageError(Exception):
    pass


# registers a command's parser: (the subparsers of `python -m indicators`, the parent holding --db)
AddParser = Callable[[argparse._SubParsersAction, argparse.ArgumentParser], None]
# runs a command on the open store, as `actor`, printing to `out`; returns the exit status
Handler = Callable[[Store, argparse.Namespace, accounts.Actor, TextIO], int]
# runs a command on the database file `db` itself, before (or instead of) opening a store
FileHandler = Callable[[str, argparse.Namespace, TextIO], int]


@dataclass(frozen=True)
class Command:
    """One command of `python -m indicators`: its parser and what runs it.

    `handle` runs on the open store. `on_file` runs instead, on the closed file (no store is opened
    first). `when_locked` runs when another process (the app) holds the file."""

    add: AddParser
    handle: Handler | None = None
    on_file: FileHandler | None = None
    when_locked: FileHandler | None = None


def period(text: str) -> str:
    """An argparse type: a reporting month as YYYY-MM."""
    found = periods.parse_period(text)
    if found is None:
        raise argparse.ArgumentTypeError(f"kỳ báo cáo không hợp lệ: {text!r} (dạng YYYY-MM)")
    return found


def top_unit(store: Store, requested: str | None = None) -> str:
    """The unit a command is about: the one asked for, the home unit, or the top of the tree."""
    units = {unit.code: unit for unit in store.units()}
    if requested:
        if requested not in units:
            raise UsageError(f"không có đơn vị mã {requested!r}")
        return requested
    home = store.settings().home_unit
    if home in units:
        return home
    tops = [unit for unit in units.values() if not unit.parent]
    if not tops:
        raise UsageError("chưa có đơn vị nào: hãy chạy `units import FILE` hoặc `demo` trước")
    order = {"city": 0, "commune": 1, "hamlet": 2}
    return sorted(tops, key=lambda unit: (order[unit.level], unit.code))[0].code


def print_report(report, out: TextIO) -> None:
    """An import report: its summary line, then its issues (errors first)."""
    print(report.summary(), file=out)
    for issue in sorted(report.issues, key=lambda i: (i.severity != "error", i.sheet, i.row or 0)):
        sheet = f"[{issue.sheet}] " if issue.sheet and issue.sheet != report.file_name else ""
        print(f"  - {sheet}{issue.text()}", file=out)
