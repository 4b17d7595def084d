"""The figures and their history: `import`, `history`, `revert`, `export` and `audit`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from indicators.cli.common import OK, REJECTED, Command, UsageError, period, print_report
from indicators.domain import accounts, format
from indicators.ingest import import_file
from indicators.render.export import audit_csv, export_bytes
from indicators.storage import Store, StoreError


def _add_import(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    imp = sub.add_parser("import", parents=[common], help="nhập tệp số liệu CSV/XLSX")
    imp.add_argument("files", nargs="+")
    imp.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi")
    imp.add_argument(
        "--reason", default=None,
        help="lý do điều chỉnh sau phát hành: cần khi tệp thay đổi số liệu của tháng đã khóa (báo cáo tháng đã "
             "phát hành); số liệu được ghi kèm lý do và đưa vào báo cáo tháng sau",
    )  # fmt: skip
    imp.add_argument(
        "--user", default=None, help="tên người nhập ghi vào lô (mặc định: tài khoản hệ điều hành)"
    )


def _import(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    status = OK
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(f"Không tìm thấy tệp {name}.", file=out)
            status = REJECTED
            continue
        report = import_file(
            store, path.name, path.read_bytes(), actor, dry_run=args.dry_run, reason=args.reason
        )
        print_report(report, out)
        if not report.ok:
            status = REJECTED
        if not report.ok and report.closed and not (args.reason or "").strip():
            print(f'  Để nhập kèm lý do: import {name} --reason "lý do điều chỉnh"', file=out)
    return status


def _add_history(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub.add_parser("history", parents=[common], help="các lô đã nhập")


def _history(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    batches = store.batches()
    if batches.empty:
        print("Chưa có lô nhập nào.", file=out)
    for b in batches.itertuples():
        state = f"đã hoàn tác {format.timestamp(b.reverted_at)}" if b.reverted_by else "hiệu lực"
        print(
            f"#{b.id}\t{format.timestamp(b.created_at)}\t{b.user_name}\t{b.file_name}\t"
            f"{format.number(b.rows_new)} mới, {format.number(b.rows_changed)} sửa\t{format.number(len(b.warnings))} cảnh báo\t{state}",
            file=out,
        )
    return OK


def _add_revert(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    revert = sub.add_parser("revert", parents=[common], help="hoàn tác một lô nhập")
    revert.add_argument("batch", type=int)
    revert.add_argument("--user", default=None)


def _revert(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    try:
        rows = store.revert_batch(args.batch, actor)
    except StoreError as exc:
        print(str(exc), file=out)
        return REJECTED
    print(f"Đã hoàn tác lô {args.batch} ({rows} số liệu); giá trị trước đó có hiệu lực lại.", file=out)
    return OK


def _add_export(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    export = sub.add_parser("export", parents=[common], help="xuất số liệu một tháng")
    export.add_argument("--period", type=period, required=True)
    export.add_argument("--out", required=True)


def _export(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    fmt = Path(args.out).suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        raise UsageError("tệp xuất phải có đuôi .csv hoặc .xlsx")
    Path(args.out).write_bytes(export_bytes(store, args.period, fmt))
    print(f"Đã xuất số liệu {format.month(args.period)} ra {args.out}.", file=out)
    return OK


def _add_audit(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    audit = sub.add_parser("audit", parents=[common], help="nhật ký thay đổi (mới nhất trước)")
    audit.add_argument("--out", default=None, help="xuất toàn bộ ra tệp CSV")
    audit.add_argument("--limit", type=int, default=50, help="số dòng in ra màn hình")


def _audit(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    rows = store.audit_log(actor)
    if args.out:
        Path(args.out).write_bytes(audit_csv(rows))
        print(f"Đã xuất {format.number(len(rows))} dòng nhật ký ra {args.out}.", file=out)
        return OK
    for r in rows.head(args.limit).itertuples():
        print(f"#{r.id}\t{format.timestamp(r.logged_at)}\t{r.actor}\t{r.action}\t{r.object}\t"
              f"{r.before or ''} → {r.after or ''}", file=out)  # fmt: skip
    return OK


COMMANDS = {
    "import": Command(_add_import, handle=_import),
    "history": Command(_add_history, handle=_history),
    "revert": Command(_add_revert, handle=_revert),
    "export": Command(_add_export, handle=_export),
    "audit": Command(_add_audit, handle=_audit),
}
