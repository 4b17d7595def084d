"""What is worked out from the figures: `summary`, `template` (the Excel form) and `report` (Word),
which also issues the month's report (`--issue`, closing the month) and gives back an issued one
byte for byte (`--issued`)."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import TextIO

from indicators import metrics
from indicators.cli.common import OK, REJECTED, Command, UsageError, period, top_unit
from indicators.domain import accounts, clock, format, periods
from indicators.domain.units import OrgUnit
from indicators.render.template import build_template
from indicators.storage import Store, store_as_of


def _add_summary(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    summary = sub.add_parser("summary", parents=[common], help="tóm tắt chỉ tiêu của một tháng")
    summary.add_argument("--period", type=period, required=True)
    summary.add_argument("--unit", default=None, help="mã đơn vị (mặc định: đơn vị cao nhất)")
    summary.add_argument("--json", action="store_true")
    summary.add_argument("--as-of", dest="as_of", type=_moment, default=None, metavar="THỜI_ĐIỂM",
                         help="số liệu như tại thời điểm đó, ví dụ 2026-03-20T10:00+07:00 (không ghi múi giờ: "
                              "giờ Việt Nam; chỉ ghi ngày: cuối ngày đó)")  # fmt: skip


def _moment(text: str):
    """An argparse type: an ISO date or date-time, as the commune's local time."""
    try:
        return clock.parse_moment(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _json_number(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(value, 4)


def _summary(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    root = top_unit(store, args.unit)
    figures = store
    if args.as_of:  # the summary of a commune or a city reads the totals alone
        level = next((u.level for u in store.units() if u.code == root), "commune")
        figures = store_as_of(store, args.as_of, periods.summary_months(args.period), totals_only=level != "hamlet")
    table = metrics.commune_summary(figures, args.period, root)
    if args.json:
        payload = {
            "period": args.period,
            "unit": root,
            **({"as_of": args.as_of.isoformat()} if args.as_of else {}),
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
    moment = f" — số liệu tại thời điểm {format.timestamp(args.as_of)}" if args.as_of else ""
    print(f"{format.month(args.period)} — đơn vị {root}{moment}", file=out)
    for r in table.itertuples():
        print(
            f"{r.indicator_code:<26} {format.indicator_value(r.value, r.kind):>10}  "
            f"mục tiêu {format.indicator_value(r.target, r.kind):>8}  "
            f"tiến độ {format.percent(r.progress * 100 if r.progress == r.progress else None):>7}  "
            f"{metrics.STATUS_VI[r.status]}",
            file=out,
        )
    return OK


def _add_template(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    template = sub.add_parser("template", parents=[common], help="tạo biểu mẫu Excel")
    template.add_argument("--period", type=period, required=True, action="append")
    template.add_argument("--out", required=True)
    template.add_argument("--unit", default=None, help="mã xã (mặc định: đơn vị cao nhất)")


def _template(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    root = top_unit(store, args.unit)
    units = [u for u in metrics.reporting_units(store, root)]
    if not units:
        raise UsageError("đơn vị này chưa có thôn nào")
    Path(args.out).write_bytes(build_template(units, args.period))
    print(f"Đã tạo biểu mẫu {args.out}.", file=out)
    return OK


_REPORT_HELP = "báo cáo tháng (Word) và phụ lục (Excel): lập, phát hành, lấy lại bản đã phát hành"
_REPORT_EPILOG = (
    "Không có --issue/--issued: lập báo cáo theo số liệu hiện có, không lưu gì. --issue: phát hành, tức "
    "lưu nguyên văn tệp .docx và phụ lục .xlsx (kèm sha256 và số liệu đã dùng) rồi khóa số liệu tháng của "
    "đơn vị và mọi đơn vị trực thuộc; phát hành lại là bản thay thế (bản 2, 3…), các bản trước vẫn giữ. "
    "--issued: ghi ra đúng từng byte bản đã phát hành (mặc định bản mới nhất)."
)


def _positive(text: str) -> int:
    """An argparse type: a version number, 1 or more."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"số bản không hợp lệ: {text!r} (1, 2, …)")
    return int(text)


def _add_report(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    report = sub.add_parser("report", parents=[common], help=_REPORT_HELP, description=_REPORT_HELP,
                            epilog=_REPORT_EPILOG)  # fmt: skip
    report.add_argument("--period", type=period, required=True)
    report.add_argument("--out", required=True, help="tệp .docx")
    report.add_argument("--annex", default=None, help="tệp .xlsx phụ lục số liệu (tùy chọn)")
    report.add_argument("--unit", default=None)
    report.add_argument("--no-charts", action="store_true", help="không chèn biểu đồ (nhanh hơn)")
    which = report.add_mutually_exclusive_group()
    which.add_argument("--issue", action="store_true",
                       help="phát hành báo cáo và khóa số liệu tháng")  # fmt: skip
    which.add_argument("--issued", action="store_true", help="lấy lại nguyên văn báo cáo đã phát hành")
    report.add_argument("--version", type=_positive, default=None,
                        help="với --issued: bản cần lấy (mặc định bản mới nhất)")  # fmt: skip
    report.add_argument(
        "--user", default=None, help="tên người phát hành ghi vào nhật ký (mặc định: tài khoản hệ điều hành)"
    )


def _report(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    from indicators.views import report

    if not args.out.lower().endswith(".docx"):
        raise UsageError("tệp báo cáo phải có đuôi .docx")
    if args.annex and not args.annex.lower().endswith(".xlsx"):
        raise UsageError("tệp phụ lục phải có đuôi .xlsx")
    if args.version is not None and not args.issued:
        raise UsageError("--version chỉ dùng cùng --issued")
    if args.no_charts and args.issued:
        raise UsageError("--no-charts không dùng cùng --issued: bản đã phát hành được ghi ra nguyên văn")
    root = {u.code: u for u in store.units()}[top_unit(store, args.unit)]
    if args.issue or args.issued:
        return (
            _issue(store, args, root, actor, out)
            if args.issue
            else _write_issued(store, args, root, None, out)
        )
    Path(args.out).write_bytes(report.render_docx(store, args.period, root, with_charts=not args.no_charts))
    print(f"Đã lập báo cáo {format.month(args.period)}: {args.out}", file=out)
    if args.annex:
        Path(args.annex).write_bytes(report.annex_xlsx(store, args.period, root))
        print(f"Phụ lục số liệu: {args.annex}", file=out)
    return OK


# --- issuing and issued reports (issue 23) ------------------------------------------------------


def _version_text(version: int) -> str:
    return f"bản {version}" + (" (báo cáo thay thế)" if version > 1 else "")


def _missing_folder(args: argparse.Namespace) -> str | None:
    """The first file asked for whose folder does not exist (checked before anything is issued)."""
    for name in (args.out, args.annex):
        if name and not Path(name).resolve().parent.is_dir():
            return name
    return None


def _issue(store: Store, args: argparse.Namespace, root: OrgUnit, actor: accounts.Actor, out: TextIO) -> int:
    missing = _missing_folder(args)
    if missing:
        print(f"Không ghi được tệp {missing}: thư mục {Path(missing).resolve().parent} không tồn tại. "
              "Chưa phát hành gì.", file=out)  # fmt: skip
        return REJECTED
    # a refusal (no right) reaches `main`: exit 1, nothing issued
    from indicators.views import report

    version = report.issue_report(store, args.period, root, actor, with_charts=not args.no_charts)
    print(f"Đã phát hành báo cáo {format.month(args.period)} của {root.code} {root.label}: "
          f"{_version_text(version)}.", file=out)  # fmt: skip
    status = _write_issued(store, args, root, version, out)
    print(f"{format.month(args.period)} đã khóa với {root.code} và mọi đơn vị trực thuộc. Muốn sửa số liệu: "
          "`import TỆP --reason \"lý do\"` (điều chỉnh sau phát hành), hoặc `month open` để mở bổ sung cho "
          "một đơn vị.", file=out)  # fmt: skip
    return status


def _write_issued(
    store: Store, args: argparse.Namespace, root: OrgUnit, version: int | None, out: TextIO
) -> int:
    """Write an issued report (and its annex, if asked) exactly as kept, and say which."""
    wanted = version if version is not None else args.version
    found = store.issued_report(args.period, root.code, wanted)
    kept = store.issued_reports(args.period)
    versions = sorted(int(v) for v in kept[kept["root_code"] == root.code]["version"])
    which = f"Báo cáo {format.month(args.period).lower()} của {root.code} {root.label}"
    if found is None:
        if not versions:
            print(
                f"{which} chưa được phát hành: không có gì để ghi. Phát hành bằng `report --issue`.", file=out
            )
        else:
            listed = ", ".join(str(v) for v in versions)
            print(f"{which} không có bản {wanted}; các bản đã phát hành: {listed}.", file=out)
        return REJECTED
    if version is None:  # --issued
        newer = f"; đã có bản thay thế mới hơn: bản {versions[-1]}" if versions[-1] > found["version"] else ""
        print(f"Báo cáo {format.month(args.period)} của {root.code} {root.label}, {_version_text(found['version'])}, "
              f"phát hành bởi {found['issued_by']} lúc {format.timestamp(found['issued_at'])}{newer}.", file=out)  # fmt: skip
    Path(args.out).write_bytes(found["docx"])
    print(f"Báo cáo: {args.out} (sha256 {found['docx_sha256']})", file=out)
    if args.annex:
        Path(args.annex).write_bytes(found["xlsx"])
        print(f"Phụ lục số liệu: {args.annex} (sha256 {found['xlsx_sha256']})", file=out)
    else:
        print(
            f"Phụ lục số liệu: lưu cùng báo cáo (sha256 {found['xlsx_sha256']}); ghi ra tệp bằng --annex.",
            file=out,
        )
    return OK


COMMANDS = {
    "summary": Command(_add_summary, handle=_summary),
    "template": Command(_add_template, handle=_template),
    "report": Command(_add_report, handle=_report),
}
