"""Closing the month (issue 23): `month status`, `month approve`, `month return` and `month open`.

Where each reporting unit's month stands (chưa nộp, đã nộp, trả lại, đã duyệt: rules in
`indicators.domain.review`), and the review itself through `Store.review_month`, all or nothing.
A refusal of the store (no figures to review, a blank reason, no right) propagates to `main`,
which prints its Vietnamese message and exits 1 with nothing written. `month open` lets one unit
change its closed month (its report issued) for a few days, through `Store.open_month`.
"""

from __future__ import annotations

import argparse
import json
from typing import TextIO

import pandas as pd

from indicators import metrics
from indicators.cli.common import OK, REJECTED, Command, Handler, period, top_unit
from indicators.domain import accounts, clock, format
from indicators.domain.catalog import LEVEL_VI
from indicators.domain.review import STATE_VI, clean_reason
from indicators.storage import Store
from indicators.storage.closing import MAX_OPEN_DAYS
from indicators.views import review

_STATUS_HELP = "tình trạng duyệt số liệu tháng của từng thôn/xã"
_APPROVE_HELP = "duyệt số liệu tháng của một đơn vị hoặc mọi đơn vị đang chờ duyệt"
_APPROVE_EPILOG = (
    "Với --all, nếu không có đơn vị nào chờ duyệt thì lệnh chỉ báo như vậy và thoát với mã 0 "
    "(không có gì sai, không ghi gì). Trước dòng kết quả, lệnh liệt kê những điều cần lưu ý: số liệu "
    "còn thiếu, nộp muộn, thay đổi sau lần duyệt trước và cảnh báo khi nhập của các lô chứa số liệu "
    "được duyệt. Dùng --dry-run để chỉ xem danh sách đó mà không ghi gì."
)
_RETURN_HELP = "trả lại số liệu tháng của một đơn vị, kèm lý do để đơn vị sửa"
_OPEN_HELP = "mở bổ sung tháng đã khóa cho một đơn vị trong vài ngày"
_OPEN_EPILOG = (
    "Tháng đã khóa khi báo cáo tháng đã phát hành (`report --issue`). Trong số ngày mở, đơn vị nhập "
    "lại số liệu tháng đó mà không cần --reason; hết hạn, tháng tự khóa lại."
)


def _add_month(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    month = sub.add_parser(
        "month", parents=[common], help="chốt số liệu tháng: xem tình trạng, duyệt, trả lại, mở bổ sung"
    )
    month_sub = month.add_subparsers(dest="month_command", required=True)

    status = month_sub.add_parser("status", parents=[common], help=_STATUS_HELP, description=_STATUS_HELP)
    status.add_argument("--period", type=period, required=True, help="kỳ báo cáo YYYY-MM")
    status.add_argument("--unit", default=None, help="mã đơn vị gốc (mặc định: đơn vị cao nhất)")
    status.add_argument("--json", action="store_true", help="in danh sách dạng JSON")

    approve = month_sub.add_parser("approve", parents=[common], help=_APPROVE_HELP, description=_APPROVE_HELP,
                                   epilog=_APPROVE_EPILOG)  # fmt: skip
    approve.add_argument("--period", type=period, required=True, help="kỳ báo cáo YYYY-MM")
    which = approve.add_mutually_exclusive_group(required=True)
    which.add_argument("--unit", default=None, help="mã đơn vị cần duyệt")
    which.add_argument("--all", action="store_true",
                       help="mọi đơn vị đang “Đã nộp, chờ duyệt” dưới đơn vị cao nhất")  # fmt: skip
    approve.add_argument("--dry-run", action="store_true", help="chỉ liệt kê, không ghi")
    approve.add_argument(
        "--user", default=None, help="tên người duyệt ghi vào nhật ký (mặc định: tài khoản hệ điều hành)"
    )

    back = month_sub.add_parser("return", parents=[common], help=_RETURN_HELP, description=_RETURN_HELP)
    back.add_argument("--period", type=period, required=True, help="kỳ báo cáo YYYY-MM")
    back.add_argument("--unit", required=True, help="mã đơn vị bị trả lại")
    back.add_argument("--reason", required=True, help="lý do trả lại (bắt buộc, đơn vị sẽ thấy)")
    back.add_argument(
        "--user", default=None, help="tên người trả lại ghi vào nhật ký (mặc định: tài khoản hệ điều hành)"
    )

    opening = month_sub.add_parser("open", parents=[common], help=_OPEN_HELP, description=_OPEN_HELP,
                                   epilog=_OPEN_EPILOG)  # fmt: skip
    opening.add_argument("--period", type=period, required=True, help="kỳ báo cáo YYYY-MM")
    opening.add_argument("--unit", required=True, help="mã đơn vị được mở bổ sung")
    opening.add_argument("--days", type=_days, required=True, help=f"số ngày mở, từ 1 đến {MAX_OPEN_DAYS}")
    opening.add_argument("--reason", required=True, help="lý do mở bổ sung (bắt buộc, ghi vào nhật ký)")
    opening.add_argument(
        "--user", default=None, help="tên người mở ghi vào nhật ký (mặc định: tài khoản hệ điều hành)"
    )


def _days(text: str) -> int:
    """An argparse type: a number of days an opening lasts, 1 to MAX_OPEN_DAYS."""
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"số ngày không hợp lệ: {text!r}") from None
    if not 1 <= days <= MAX_OPEN_DAYS:
        raise argparse.ArgumentTypeError(
            f"số ngày mở bổ sung phải từ 1 đến {MAX_OPEN_DAYS}, không phải {days}"
        )
    return days


# --- status -----------------------------------------------------------------------------------


def _when(value) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


def _status_line(r) -> str:
    parts = [r.unit_code, r.unit_name, STATE_VI[r.state],
             f"{format.number(review.whole(r.submitted))}/{format.number(review.whole(r.expected))} số liệu"]  # fmt: skip
    if not review.whole(r.submitted):
        parts.append("–")
    elif review.whole(r.late):
        parts.append(f"nộp muộn {format.number(review.whole(r.late))} số liệu")
    else:
        parts.append("đúng hạn")
    if review.whole(r.changed_since_approval):
        parts.append(f"thay đổi sau khi duyệt: {format.number(review.whole(r.changed_since_approval))} số liệu")
    if r.state in ("approved", "returned") and r.reviewed_by:
        verb = "duyệt" if r.state == "approved" else "trả lại"
        parts.append(f"{verb} bởi {r.reviewed_by} lúc {format.timestamp(r.reviewed_at)}")
    if r.state == "returned" and r.reason:
        parts.append(f"lý do: {r.reason}")
    return "\t".join(parts)


def _summary_line(table: pd.DataFrame) -> str:
    """Per level, e.g. `5/7 thôn đã duyệt (1 chờ duyệt, 1 chưa nộp); 0/1 xã đã duyệt (1 chờ duyệt)`."""
    parts = []
    for level in ("hamlet", "commune"):
        counts = metrics.state_counts(table, level)
        total = sum(counts.values())
        if not total:
            continue
        rest = [f"{counts[state]} {label}" for state, label in
                (("submitted", "chờ duyệt"), ("returned", "trả lại"), ("missing", "chưa nộp")) if counts[state]]  # fmt: skip
        tail = f" ({', '.join(rest)})" if rest else ""
        parts.append(f"{counts['approved']}/{total} {LEVEL_VI[level].lower()} đã duyệt{tail}")
    return "; ".join(parts)


def _status(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    root = top_unit(store, args.unit)
    table = metrics.month_review(store, args.period, root)
    if args.json:
        rows = [
            {"unit": r.unit_code, "name": r.unit_name, "level": r.level, "state": r.state,
             "changed_since_approval": review.whole(r.changed_since_approval), "submitted": review.whole(r.submitted),
             "expected": review.whole(r.expected), "late": review.whole(r.late), "reason": r.reason or "",
             "reviewed_by": r.reviewed_by or "", "reviewed_at": _when(r.reviewed_at)}
            for r in table.itertuples()
        ]  # fmt: skip
        print(json.dumps(rows, ensure_ascii=False, indent=2), file=out)
        return OK
    print(f"{format.month(args.period)} — duyệt số liệu, đơn vị {root}", file=out)
    if table.empty:
        print("Không có thôn/xã nào phải báo cáo dưới đơn vị này.", file=out)
        return OK
    for r in table.itertuples():
        print(_status_line(r), file=out)
    print(_summary_line(table), file=out)
    return OK


# --- approve and return -----------------------------------------------------------------------


def _approve(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    if args.all:
        root = top_unit(store)
        table = metrics.month_review(store, args.period, root)
        rows = table[table["state"] == "submitted"]
        if rows.empty:
            print(f"Không có đơn vị nào chờ duyệt {format.month(args.period).lower()} dưới đơn vị {root}: "
                  "không ghi gì.", file=out)  # fmt: skip
            return OK
    else:
        code = top_unit(store, args.unit)  # an unknown code is a usage error
        table = metrics.month_review(store, args.period, code)
        rows = table[table["unit_code"] == code]
    notes = review.review_notes(store, args.period, rows)
    names = ", ".join(f"{r.unit_code} {r.unit_name}" for r in rows.itertuples()) or args.unit
    if args.dry_run and (rows.empty or (rows["state"] == "missing").any()):  # what the store would refuse
        print(f"Đơn vị {args.unit} chưa nộp số liệu {format.month(args.period).lower()}: chưa có gì để duyệt.",
              file=out)  # fmt: skip
        return REJECTED
    if not args.dry_run:
        # all or none; a refusal (StoreError, PermissionDenied) reaches `main`: exit 1, nothing printed here
        count = store.review_month(args.period, list(rows["unit_code"]) or [args.unit], "approve", actor)
    if notes:
        print("Cần lưu ý:", file=out)
        for note in notes:
            print(f"  - {note}" if not note.startswith("    ") else note, file=out)
    if args.dry_run:
        print(f"Sẽ duyệt {format.number(len(rows))} đơn vị: {names}. Chưa ghi gì (--dry-run).", file=out)
    else:
        print(f"Đã duyệt {format.number(count)} đơn vị: {names}.", file=out)
    return OK


def _return(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    code = top_unit(store, args.unit)  # an unknown code is a usage error
    store.review_month(args.period, [code], "return", actor, reason=args.reason)  # refusals reach `main`
    label = {unit.code: unit.label for unit in store.units()}[code]
    print(f"Đã trả lại số liệu {format.month(args.period).lower()} của {code} {label}. "
          f"Lý do: {clean_reason(args.reason, required=True)}", file=out)  # fmt: skip
    return OK


def _open(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    code = top_unit(store, args.unit)  # an unknown code is a usage error
    closed = store.closed_for({(args.period, code)}, clock.now())
    until = store.open_month(args.period, code, args.days, args.reason, actor)  # refusals reach `main`
    label = {unit.code: unit.label for unit in store.units()}[code]
    print(f"Đã mở bổ sung {format.month(args.period).lower()} cho {code} {label} đến {format.timestamp(until)} "
          f"({format.number(args.days)} ngày). Lý do: {clean_reason(args.reason, required=False)}", file=out)  # fmt: skip
    if not closed:
        print(f"Lưu ý: {format.month(args.period).lower()} của {code} hiện chưa khóa (chưa phát hành báo cáo "
              "tháng); nếu tháng khóa trước hạn trên, đơn vị vẫn nhập được đến hạn đó.", file=out)  # fmt: skip
    return OK


_SUBCOMMANDS: dict[str, Handler] = {"status": _status, "approve": _approve, "return": _return, "open": _open}


def _month(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    return _SUBCOMMANDS[args.month_command](store, args, actor, out)


COMMANDS = {"month": Command(_add_month, handle=_month)}
