"""What is worked out from the figures: `summary`, `template` (the Excel form) and `report` (Word)."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import TextIO

from indicators import metrics
from indicators.cli.common import OK, Command, UsageError, period, top_unit
from indicators.domain import accounts, format
from indicators.render.template import build_template
from indicators.storage import Store


def _add_summary(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    summary = sub.add_parser("summary", parents=[common], help="tóm tắt chỉ tiêu của một tháng")
    summary.add_argument("--period", type=period, required=True)
    summary.add_argument("--unit", default=None, help="mã đơn vị (mặc định: đơn vị cao nhất)")
    summary.add_argument("--json", action="store_true")


def _json_number(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(value, 4)


def _summary(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
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


def _add_report(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    report = sub.add_parser("report", parents=[common], help="báo cáo tháng (Word) và phụ lục (Excel)")
    report.add_argument("--period", type=period, required=True)
    report.add_argument("--out", required=True, help="tệp .docx")
    report.add_argument("--annex", default=None, help="tệp .xlsx phụ lục số liệu (tùy chọn)")
    report.add_argument("--unit", default=None)
    report.add_argument("--no-charts", action="store_true", help="không chèn biểu đồ (nhanh hơn)")


def _report(store: Store, args: argparse.Namespace, actor: accounts.Actor, out: TextIO) -> int:
    from indicators.views import report

    if not args.out.lower().endswith(".docx"):
        raise UsageError("tệp báo cáo phải có đuôi .docx")
    root = {u.code: u for u in store.units()}[top_unit(store, args.unit)]
    Path(args.out).write_bytes(report.render_docx(store, args.period, root, with_charts=not args.no_charts))
    print(f"Đã lập báo cáo {format.month(args.period)}: {args.out}", file=out)
    if args.annex:
        Path(args.annex).write_bytes(report.annex_xlsx(store, args.period, root))
        print(f"Phụ lục số liệu: {args.annex}", file=out)
    return OK


COMMANDS = {
    "summary": Command(_add_summary, handle=_summary),
    "template": Command(_add_template, handle=_template),
    "report": Command(_add_report, handle=_report),
}
