"""The database as a whole: `init`, `backup`, `restore` and `migrate` (DuckDB to PostgreSQL)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import TextIO

from indicators.cli.common import OK, REJECTED, Command, UsageError
from indicators.domain import accounts, format
from indicators.storage import (
    Store,
    StoreError,
    StoreLockedError,
    backup_while_open,
    is_postgres,
    restore_database,
    shown_path,
)

WHEN_STOPPED = (
    "Khôi phục bằng dòng lệnh chỉ chạy được khi ứng dụng đã dừng "
    "(ứng dụng đang mở thì không chương trình nào khác mở được tệp dữ liệu)."
)

WHEN_DAMAGED = "khôi phục từ bản sao lưu gần nhất bằng python -m indicators restore --from TỆP_SAO_LƯU (khi ứng dụng đã dừng)."


def _add_init(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub.add_parser("init", parents=[common], help="tạo cơ sở dữ liệu và danh mục chỉ tiêu")


def _init(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    print(
        f"Cơ sở dữ liệu sẵn sàng: {shown_path(store.path)} (phiên bản lược đồ {store.schema_version()}).",
        file=out,
    )
    return OK


def _add_backup(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    backup = sub.add_parser(
        "backup", parents=[common],
        help="sao lưu toàn bộ cơ sở dữ liệu ra một tệp mới (được cả khi ứng dụng đang chạy)",
        description="Sao lưu toàn bộ cơ sở dữ liệu ra một tệp mới, nhất quán, kể cả khi ứng dụng "
        "đang chạy (bản sao được lấy giữa hai lần ghi).",
    )  # fmt: skip
    backup.add_argument("--out", required=True, help="tệp sao lưu (chưa có)")


def _backup(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    target = store.backup(args.out)
    print(f"Đã sao lưu {shown_path(store.path)} vào {target}.", file=out)
    return OK


def _backup_while_open(db: str, args: argparse.Namespace, out: TextIO) -> int:
    """The app holds the file: copy it between two of its writes."""
    target = backup_while_open(db, args.out)
    print(f"Đã sao lưu {db} (ứng dụng đang chạy) vào {target}.", file=out)
    return OK


def _add_restore(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    restore = sub.add_parser(
        "restore", parents=[common],
        help="thay dữ liệu bằng một bản sao lưu; giữ tệp cũ thành <db>.before-restore "
        "(chạy khi ứng dụng đã dừng)",
        description="Thay toàn bộ dữ liệu bằng một bản sao lưu; tệp hiện tại được giữ thành "
        "<db>.before-restore. " + WHEN_STOPPED,
    )  # fmt: skip
    restore.add_argument("--from", dest="source", required=True, help="tệp sao lưu")


def _restore(db: str, args: argparse.Namespace, out: TextIO) -> int:
    """Works on the closed file: no store is opened first."""
    try:
        safety = restore_database(db, args.source, accounts.command_line())
    except StoreLockedError as exc:
        raise StoreLockedError(f"{exc} {WHEN_STOPPED}") from exc
    kept = f" Dữ liệu trước khi khôi phục được giữ ở {safety}." if safety else ""
    print(f"Đã khôi phục {db} từ bản sao lưu {args.source}.{kept}", file=out)
    return OK


def _add_migrate(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    migrate = sub.add_parser(
        "migrate", parents=[common],
        help="chuyển toàn bộ dữ liệu (cả lịch sử) từ tệp DuckDB (--db) sang một cơ sở dữ liệu PostgreSQL mới",
        description="Chép mọi bảng của tệp DuckDB (--db hoặc $CDS_DB) vào cơ sở dữ liệu PostgreSQL --to "
        "(mới, chưa có dữ liệu), trong một giao dịch, rồi so số dòng từng bảng. " + WHEN_STOPPED,
    )  # fmt: skip
    migrate.add_argument("--to", required=True, help="postgresql://người_dùng@máy:cổng/tên_csdl")


def _migrate(source: str, args: argparse.Namespace, out: TextIO) -> int:
    url = args.to
    if is_postgres(source):
        raise UsageError("--db phải là tệp DuckDB cần chuyển đi")
    if not is_postgres(url):
        raise UsageError("--to phải là địa chỉ postgresql://…")
    if not Path(source).is_file():
        raise StoreError(f"Không tìm thấy tệp dữ liệu {source}.")
    target = Store(url)
    try:
        counts = target.copy_from_duckdb(source, accounts.command_line())
    finally:
        target.close()
    width = max(len(table) for table in counts)
    for table, (before, after) in counts.items():
        mark = "đủ" if before == after else "THIẾU"
        print(
            f"  {table:<{width}}  {format.number(before):>12} → {format.number(after):>12}  {mark}", file=out
        )
    if any(before != after for before, after in counts.values()):
        print("Số dòng không khớp: chưa dùng được cơ sở dữ liệu mới.", file=out)
        return REJECTED
    print(f"Đã chuyển {source} sang {shown_path(url)}: {len(counts)} bảng, số dòng khớp.", file=out)
    return OK


def _add_check(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub.add_parser(
        "check", parents=[common],
        help="kiểm tra cơ sở dữ liệu: đọc mọi bảng, tính lại giá trị hiện hành và các tổng từ các phiên bản",
        description="Đọc toàn bộ mọi bảng (phát hiện tệp hỏng), tính lại giá trị hiện hành và các tổng "
        "từ các phiên bản số liệu rồi so với bản đang lưu. Mã thoát 0: tốt; 1: có lỗi (in ra lỗi và cách "
        "xử lý). Khi ứng dụng đang chạy, kiểm tra một bản chép lấy giữa hai lần ghi.",
    )  # fmt: skip


def _check(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    health = store.check_health()
    for line in store.health_report(health):
        print(line, file=out)
    return OK if health.sound else REJECTED


def _check_while_open(db: str, args: argparse.Namespace, out: TextIO) -> int:
    """The app holds the file: check a consistent copy of it, taken between two of its writes."""
    with tempfile.TemporaryDirectory(prefix="cds-check-") as folder:
        try:
            copy = backup_while_open(db, Path(folder) / "ban_chep.duckdb")
        except StoreError as exc:
            raise StoreError(f"{exc} Tệp {db} có thể đã hỏng: {WHEN_DAMAGED}") from exc
        print(f"Ứng dụng đang chạy: kiểm tra bản chép của {db} lấy giữa hai lần ghi.", file=out)
        store = Store(copy)
        try:
            health = store.check_health()
            lines = store.health_report(health)
        finally:
            store.close()
    for line in lines:
        print(line.replace(str(copy), db), file=out)
    return OK if health.sound else REJECTED


COMMANDS = {
    "init": Command(_add_init, handle=_init),
    "check": Command(_add_check, handle=_check, when_locked=_check_while_open),
    "backup": Command(_add_backup, handle=_backup, when_locked=_backup_while_open),
    "restore": Command(_add_restore, on_file=_restore),
    "migrate": Command(_add_migrate, on_file=_migrate),
}
