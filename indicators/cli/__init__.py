"""The command line: `python -m indicators COMMAND`. A thin layer over the core.

Exit status: 0 success, 1 input rejected (nothing written), 2 usage error.
"""

from __future__ import annotations

import argparse
import getpass
import json
import math
import sys
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from indicators import metrics
from indicators.demo import load_demo
from indicators.domain import accounts, format, periods
from indicators.ingest import import_file
from indicators.ingest.units_file import parse_units_file
from indicators.render.export import audit_csv, export_bytes
from indicators.render.template import build_template
from indicators.storage import (
    Store,
    StoreError,
    StoreLockedError,
    backup_while_open,
    default_path,
    is_postgres,
    restore_database,
    shown_path,
)

OK, REJECTED, USAGE = 0, 1, 2
WHEN_STOPPED = (
    "Khôi phục bằng dòng lệnh chỉ chạy được khi ứng dụng đã dừng "
    "(ứng dụng đang mở thì không chương trình nào khác mở được tệp dữ liệu)."
)


class UsageError(Exception):
    pass


def _period(text: str) -> str:
    period = periods.parse_period(text)
    if period is None:
        raise argparse.ArgumentTypeError(f"kỳ báo cáo không hợp lệ: {text!r} (dạng YYYY-MM)")
    return period


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

    sub.add_parser("init", parents=[common], help="tạo cơ sở dữ liệu và danh mục chỉ tiêu")

    units = sub.add_parser("units", parents=[common], help="danh mục đơn vị")
    units_sub = units.add_subparsers(dest="units_command", required=True)
    units_import = units_sub.add_parser("import", parents=[common], help="nhập đơn vị từ CSV")
    units_import.add_argument("file")
    units_sub.add_parser("list", parents=[common], help="liệt kê đơn vị")

    demo = sub.add_parser("demo", parents=[common], help="nạp dữ liệu mẫu (hoặc --remove để xóa)")
    demo.add_argument("--remove", action="store_true", help="xóa toàn bộ dữ liệu mẫu")
    demo.add_argument("--if-empty", action="store_true", help="chỉ nạp khi cơ sở dữ liệu còn trống")
    demo.add_argument("--city", action="store_true",
                      help="thêm thành phố Hải Phòng với 114 xã, phường (mẫu) để xem cấp thành phố")  # fmt: skip
    demo.add_argument("--limit", type=int, default=None, help="với --city: chỉ nạp N xã đầu (thử nhanh)")

    imp = sub.add_parser("import", parents=[common], help="nhập tệp số liệu CSV/XLSX")
    imp.add_argument("files", nargs="+")
    imp.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi")
    imp.add_argument("--user", default=None, help="tên người nhập ghi vào lô (mặc định: tài khoản hệ điều hành)")

    summary = sub.add_parser("summary", parents=[common], help="tóm tắt chỉ tiêu của một tháng")
    summary.add_argument("--period", type=_period, required=True)
    summary.add_argument("--unit", default=None, help="mã đơn vị (mặc định: đơn vị cao nhất)")
    summary.add_argument("--json", action="store_true")

    sub.add_parser("history", parents=[common], help="các lô đã nhập")

    revert = sub.add_parser("revert", parents=[common], help="hoàn tác một lô nhập")
    revert.add_argument("batch", type=int)
    revert.add_argument("--user", default=None)

    template = sub.add_parser("template", parents=[common], help="tạo biểu mẫu Excel")
    template.add_argument("--period", type=_period, required=True, action="append")
    template.add_argument("--out", required=True)
    template.add_argument("--unit", default=None, help="mã xã (mặc định: đơn vị cao nhất)")

    report = sub.add_parser("report", parents=[common], help="báo cáo tháng (Word) và phụ lục (Excel)")
    report.add_argument("--period", type=_period, required=True)
    report.add_argument("--out", required=True, help="tệp .docx")
    report.add_argument("--annex", default=None, help="tệp .xlsx phụ lục số liệu (tùy chọn)")
    report.add_argument("--unit", default=None)
    report.add_argument("--no-charts", action="store_true", help="không chèn biểu đồ (nhanh hơn)")

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
    tasks_indicator.add_argument("--period", type=_period, required=True)
    tasks_indicator.add_argument("--user", default=None)

    export = sub.add_parser("export", parents=[common], help="xuất số liệu một tháng")
    export.add_argument("--period", type=_period, required=True)
    export.add_argument("--out", required=True)

    backup = sub.add_parser(
        "backup", parents=[common],
        help="sao lưu toàn bộ cơ sở dữ liệu ra một tệp mới (được cả khi ứng dụng đang chạy)",
        description="Sao lưu toàn bộ cơ sở dữ liệu ra một tệp mới, nhất quán, kể cả khi ứng dụng "
        "đang chạy (bản sao được lấy giữa hai lần ghi).",
    )  # fmt: skip
    backup.add_argument("--out", required=True, help="tệp sao lưu (chưa có)")
    restore = sub.add_parser(
        "restore", parents=[common],
        help="thay dữ liệu bằng một bản sao lưu; giữ tệp cũ thành <db>.before-restore "
        "(chạy khi ứng dụng đã dừng)",
        description="Thay toàn bộ dữ liệu bằng một bản sao lưu; tệp hiện tại được giữ thành "
        "<db>.before-restore. " + WHEN_STOPPED,
    )  # fmt: skip
    restore.add_argument("--from", dest="source", required=True, help="tệp sao lưu")
    migrate = sub.add_parser(
        "migrate", parents=[common],
        help="chuyển toàn bộ dữ liệu (cả lịch sử) từ tệp DuckDB (--db) sang một cơ sở dữ liệu PostgreSQL mới",
        description="Chép mọi bảng của tệp DuckDB (--db hoặc $CDS_DB) vào cơ sở dữ liệu PostgreSQL --to "
        "(mới, chưa có dữ liệu), trong một giao dịch, rồi so số dòng từng bảng. " + WHEN_STOPPED,
    )  # fmt: skip
    migrate.add_argument("--to", required=True, help="postgresql://người_dùng@máy:cổng/tên_csdl")

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

    audit = sub.add_parser("audit", parents=[common], help="nhật ký thay đổi (mới nhất trước)")
    audit.add_argument("--out", default=None, help="xuất toàn bộ ra tệp CSV")
    audit.add_argument("--limit", type=int, default=50, help="số dòng in ra màn hình")
    return parser


def read_password(stdin=None) -> str:
    """From a terminal: asked twice, hidden. Otherwise the first line of standard input."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("Mật khẩu: ")
        if getpass.getpass("Nhập lại mật khẩu: ") != first:
            raise UsageError("hai lần nhập mật khẩu không khớp")
        return first
    return stdin.readline().rstrip("\r\n")


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


def _print_report(report, out) -> None:
    print(report.summary(), file=out)
    for issue in sorted(report.issues, key=lambda i: (i.severity != "error", i.sheet, i.row or 0)):
        sheet = f"[{issue.sheet}] " if issue.sheet and issue.sheet != report.file_name else ""
        print(f"  - {sheet}{issue.text()}", file=out)


def _json_number(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(value, 4)


def run(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    db = getattr(args, "db", None) or default_path()
    try:
        if args.command == "migrate":
            return _migrate(db, args.to, out)
        if args.command == "restore":  # works on the closed file: no store is opened first
            safety = restore_database(db, args.source, accounts.command_line())
            kept = f" Dữ liệu trước khi khôi phục được giữ ở {safety}." if safety else ""
            print(f"Đã khôi phục {db} từ bản sao lưu {args.source}.{kept}", file=out)
            return OK
        store = Store(db)
    except StoreLockedError as exc:
        if args.command == "backup":  # the app holds the file: copy it between two of its writes
            target = backup_while_open(db, args.out)
            print(f"Đã sao lưu {db} (ứng dụng đang chạy) vào {target}.", file=out)
            return OK
        if args.command == "restore":
            raise StoreLockedError(f"{exc} {WHEN_STOPPED}") from exc
        raise
    try:
        return _dispatch(store, args, out)
    finally:
        store.close()


def _migrate(source: str, url: str, out) -> int:
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
        print(f"  {table:<{width}}  {format.number(before):>12} → {format.number(after):>12}  {mark}", file=out)
    if any(before != after for before, after in counts.values()):
        print("Số dòng không khớp: chưa dùng được cơ sở dữ liệu mới.", file=out)
        return REJECTED
    print(f"Đã chuyển {source} sang {shown_path(url)}: {len(counts)} bảng, số dòng khớp.", file=out)
    return OK


def _dispatch(store: Store, args: argparse.Namespace, out) -> int:
    command = args.command
    actor = accounts.command_line(getattr(args, "user", None))
    if command == "init":
        print(f"Cơ sở dữ liệu sẵn sàng: {shown_path(store.path)} (phiên bản lược đồ {store.schema_version()}).", file=out)
        return OK
    if command == "units":
        if args.units_command == "list":
            for unit in store.units():
                state = "" if unit.active else " (ngừng hoạt động)"
                print(f"{unit.code}\t{unit.label}\t{unit.parent or ''}{state}", file=out)
            return OK
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
    if command == "demo":
        if args.remove:
            removed = store.remove_demo(actor)
            print(f"Đã xóa dữ liệu mẫu ({removed} lô nhập).", file=out)
            return OK
        if args.if_empty and (store.units() or store.periods_with_data()):
            print("Cơ sở dữ liệu đã có dữ liệu: không nạp dữ liệu mẫu.", file=out)
            return OK
        if args.city:
            from indicators.demo import load_city_demo

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
        from indicators.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

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
    if command == "import":
        status = OK
        for name in args.files:
            path = Path(name)
            if not path.is_file():
                print(f"Không tìm thấy tệp {name}.", file=out)
                status = REJECTED
                continue
            report = import_file(store, path.name, path.read_bytes(), actor, dry_run=args.dry_run)
            _print_report(report, out)
            if not report.ok:
                status = REJECTED
        return status
    if command == "summary":
        root = top_unit(store, args.unit)
        table = metrics.commune_summary(store, args.period, root)
        if args.json:
            payload = {
                "period": args.period,
                "unit": root,
                "indicators": [
                    {
                        "code": r.indicator_code,
                        "name": r.name_vi,
                        "kind": r.kind,
                        "value": _json_number(r.value),
                        "target": _json_number(r.target),
                        "progress": _json_number(r.progress),
                        "projection": _json_number(r.projection),
                        "status": r.status,
                    }
                    for r in table.itertuples()
                ],
            }
            print(json.dumps(payload, ensure_ascii=False, indent=2), file=out)
            return OK
        print(f"{format.month(args.period)} — đơn vị {root}", file=out)
        for r in table.itertuples():
            print(
                f"{r.indicator_code:<26} {format.indicator_value(r.value, r.kind):>10}  "
                f"mục tiêu {format.indicator_value(r.target, r.kind):>8}  "
                f"tiến độ {format.percent(r.progress * 100 if r.progress == r.progress else None):>7}  "
                f"{metrics.STATUS_VI[r.status]}",
                file=out,
            )
        return OK
    if command == "history":
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
    if command == "revert":
        try:
            rows = store.revert_batch(args.batch, actor)
        except StoreError as exc:
            print(str(exc), file=out)
            return REJECTED
        print(f"Đã hoàn tác lô {args.batch} ({rows} số liệu); giá trị trước đó có hiệu lực lại.", file=out)
        return OK
    if command == "template":
        root = top_unit(store, args.unit)
        units = [u for u in metrics.reporting_units(store, root)]
        if not units:
            raise UsageError("đơn vị này chưa có thôn nào")
        Path(args.out).write_bytes(build_template(units, args.period))
        print(f"Đã tạo biểu mẫu {args.out}.", file=out)
        return OK
    if command == "tasks":
        return _tasks(store, args, out)
    if command == "report":
        from indicators.render import report

        if not args.out.lower().endswith(".docx"):
            raise UsageError("tệp báo cáo phải có đuôi .docx")
        root = {u.code: u for u in store.units()}[top_unit(store, args.unit)]
        Path(args.out).write_bytes(report.render_docx(store, args.period, root, with_charts=not args.no_charts))
        print(f"Đã lập báo cáo {format.month(args.period)}: {args.out}", file=out)
        if args.annex:
            Path(args.annex).write_bytes(report.annex_xlsx(store, args.period, root))
            print(f"Phụ lục số liệu: {args.annex}", file=out)
        return OK
    if command == "export":
        fmt = Path(args.out).suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx"):
            raise UsageError("tệp xuất phải có đuôi .csv hoặc .xlsx")
        Path(args.out).write_bytes(export_bytes(store, args.period, fmt))
        print(f"Đã xuất số liệu {format.month(args.period)} ra {args.out}.", file=out)
        return OK
    if command == "backup":
        target = store.backup(args.out)
        print(f"Đã sao lưu {shown_path(store.path)} vào {target}.", file=out)
        return OK
    if command == "user":
        return _user(store, args, actor, out)
    if command == "audit":
        rows = store.audit_log(actor)
        if args.out:
            Path(args.out).write_bytes(audit_csv(rows))
            print(f"Đã xuất {format.number(len(rows))} dòng nhật ký ra {args.out}.", file=out)
            return OK
        for r in rows.head(args.limit).itertuples():
            print(f"#{r.id}\t{format.timestamp(r.logged_at)}\t{r.actor}\t{r.action}\t{r.object}\t"
                  f"{r.before or ''} → {r.after or ''}", file=out)  # fmt: skip
        return OK
    raise UsageError(f"lệnh không rõ: {command}")


def _tasks(store: Store, args: argparse.Namespace, out) -> int:
    from indicators.domain import tasks
    from indicators.ingest import tasks_file

    if args.tasks_command == "export":
        Path(args.out).write_bytes(tasks.export_csv(store.tasks()))
        print(f"Đã xuất {len(store.tasks())} nhiệm vụ ra {args.out}.", file=out)
        return OK
    if args.tasks_command == "import":
        path = Path(args.file)
        result = tasks_file.parse_tasks_file(path.name, path.read_bytes(), store.tasks())
        if not result.ok:
            print(f"Tệp nhiệm vụ bị từ chối: {len(result.issues)} lỗi. Chưa ghi gì.", file=out)
            for issue in result.issues:
                print(f"  - {issue.text()}", file=out)
            return REJECTED
        if not args.dry_run:
            store.save_tasks(result.tasks, accounts.command_line(args.user))
        verb = "Sẽ cập nhật" if args.dry_run else "Đã cập nhật"
        print(f"{verb} {len(result.tasks)} nhiệm vụ; {result.unchanged} không đổi.", file=out)
        return OK
    if args.tasks_command == "list":
        table = tasks.register(store.tasks(), store.task_notes(), date.today(), store.settings().deadline_day)
        if args.unit:
            table = table[table["unit"].map(tasks.fold) == tasks.fold(args.unit)]
        for r in table.itertuples():
            due = format.day(r.next_due) if r.next_due is not None else "–"
            print(f"{r.code}\t{r.state_vi}\thạn {due}\t{r.unit}\t{r.title}", file=out)
        return OK
    report = tasks_file.import_on_time_indicator(store, args.period, accounts.command_line(args.user), top_unit(store))
    _print_report(report, out)
    return OK if report.ok else REJECTED


def _user(store: Store, args: argparse.Namespace, actor: accounts.Actor, out) -> int:
    if args.user_command == "list":
        for u in store.users().itertuples():
            state = "" if u.active else " (đã khóa)"
            units = f"\t{u.units}" if u.units else ""
            print(f"{u.name}\t{accounts.ROLE_VI[u.role]}\t{u.display_name}{units}{state}", file=out)
        return OK
    if args.user_command in ("disable", "enable"):
        store.update_user(args.name, actor, active=args.user_command == "enable")
        print(f"Đã {'mở khóa' if args.user_command == 'enable' else 'khóa'} tài khoản {args.name}.", file=out)
        return OK
    try:
        if args.user_command == "add":
            form = accounts.UserForm(name=args.name, role=args.role, units=args.units,
                                     display_name=args.display_name)  # fmt: skip
            store.add_user(form, accounts.hash_password(read_password()), actor)
            print(f"Đã thêm tài khoản {form.name} ({accounts.ROLE_VI[form.role]}).", file=out)
            return OK
        store.update_user(args.name, actor, password_hash=accounts.hash_password(read_password()))
        print(f"Đã đặt lại mật khẩu cho {args.name}; các phiên đăng nhập cũ đã kết thúc.", file=out)
        return OK
    except ValidationError as exc:
        print("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()), file=out)
        return REJECTED
    except ValueError as exc:  # the password rules
        print(str(exc), file=out)
        return REJECTED


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
