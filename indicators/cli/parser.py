"""The parser of `python -m indicators`, built from the commands of every group module."""

from __future__ import annotations

import argparse

from indicators.cli import data, database, demo, month, reports, tasks, units, users
from indicators.cli.common import Command
from indicators.storage import default_path

# the order `python -m indicators --help` lists the commands in (a command left out fails here)
_ORDER = ("init", "units", "demo", "import", "summary", "month", "history", "revert", "template", "report",
          "tasks", "export", "backup", "restore", "check", "migrate", "user", "audit")  # fmt: skip
_FOUND = {**database.COMMANDS, **units.COMMANDS, **demo.COMMANDS, **data.COMMANDS, **reports.COMMANDS,
          **tasks.COMMANDS, **users.COMMANDS, **month.COMMANDS}  # fmt: skip
COMMANDS: dict[str, Command] = dict(sorted(_FOUND.items(), key=lambda item: _ORDER.index(item[0])))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m indicators",
        description="Theo dõi chỉ tiêu chuyển đổi số theo Nghị quyết 57-NQ/TW.",
    )
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a --db given before the subcommand must not be reset by the subcommand's default
    common.add_argument("--db", default=argparse.SUPPRESS,
                        help=f"tệp DuckDB hoặc địa chỉ postgresql://… (mặc định $CDS_DB hoặc {default_path()})")  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS.values():
        command.add(sub, common)
    return parser
