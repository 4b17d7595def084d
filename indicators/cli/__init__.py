"""The command line, `python -m indicators COMMAND`: a thin layer over the core. `main` and `run` live
here; each command group has its module (`data`, `units`, `users`...), `parser` gathers them.

May import every other package. Exit status: 0 success, 1 input rejected (nothing written), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from indicators.cli.common import OK, REJECTED, USAGE, UsageError
from indicators.cli.parser import COMMANDS, build_parser
from indicators.domain import accounts
from indicators.storage import Store, StoreError, StoreLockedError, default_path

__all__ = ["OK", "REJECTED", "USAGE", "UsageError", "build_parser", "main", "run"]


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run the parsed command, printing to `out` (the standard output of the moment by default)."""
    out = out or sys.stdout
    db = getattr(args, "db", None) or default_path()
    command = COMMANDS.get(args.command)
    try:
        if command is not None and command.on_file is not None:  # works on the closed file
            return command.on_file(db, args, out)
        store = Store(db)
    except StoreLockedError:
        if command is not None and command.when_locked is not None:  # another process holds the file
            return command.when_locked(db, args, out)
        raise
    try:
        if command is None or command.handle is None:
            raise UsageError(f"lệnh không rõ: {args.command}")
        return command.handle(store, args, accounts.command_line(getattr(args, "user", None)), out)
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return run(args)
    except UsageError as exc:
        print(f"Lỗi cách dùng: {exc}", file=sys.stderr)
        return USAGE
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return REJECTED
    except OSError as exc:  # a file that cannot be read or written: say which, no traceback
        print(f"Không đọc/ghi được tệp {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return REJECTED


if __name__ == "__main__":
    sys.exit(main())
