"""The audit page (Nhật ký thay đổi, pages/audit.py): the audit log filtered by action and account,
its before and after told as Vietnamese fields (the downloaded file keeps the stored JSON)."""

from __future__ import annotations

import json

import pandas as pd

from indicators.domain import catalog, format, periods, tasks
from indicators.domain.accounts import ROLE_VI
from indicators.domain.catalog import LEVEL_VI
from indicators.render import export

# The fields of the stored before/after, as a reader calls them; None: not shown (file digests)
FIELD_VI: dict[str, str | None] = {
    "file_name": "Tệp", "periods": "Kỳ báo cáo", "period": "Kỳ báo cáo", "rows_new": "Số liệu mới",
    "rows_changed": "Số liệu sửa", "rows_written": "Số dòng ghi", "changed": "Số liệu bị thay",
    "changes": "Thay đổi", "reason": "Lý do", "note": "Ghi chú", "status": "Trạng thái",
    "done_on": "Ngày hoàn thành", "cancel_reason": "Lý do hủy", "display_name": "Tên hiển thị",
    "role": "Vai trò", "units": "Đơn vị", "active": "Đang hoạt động", "name": "Tên", "parent": "Đơn vị cấp trên",
    "level": "Cấp", "households": "Số hộ", "population": "Số dân", "reverted": "Đã hoàn tác", "rows": "Số dòng",
    "version": "Lần phát hành", "until": "Mở đến", "action": "Thao tác", "backup": "Bản sao lưu",
    "kept_as": "Bản cũ giữ tại", "copied_from": "Chép từ", "batches": "Số lô", "users": "Tài khoản",
    "value": "Giá trị", "basis": "Căn cứ", "deadline_day": "Hạn nộp (ngày)", "report_day": "Ngày báo cáo",
    "auto_close_day": "Tự khóa sau ngày", "jump_threshold_pct": "Ngưỡng biến động (%)",
    "jump_min_change": "Mức thay đổi tối thiểu", "jump_robust_z": "Ngưỡng bất thường",
    "home_unit": "Đơn vị chính", "session_timeout_minutes": "Tự đăng xuất sau (phút)",
    "public_view": "Cho xem công khai", "issuer_parent": "Cơ quan cấp trên", "issuer_name": "Cơ quan ban hành",
    "place_name": "Địa danh", "document_symbol": "Ký hiệu văn bản", "plan_title": "Tên kế hoạch",
    "signer_authority": "Thẩm quyền ký", "signer_title": "Chức vụ người ký", "signer_name": "Người ký",
    "recipients": "Nơi nhận", "password": "Mật khẩu",
    "sha256": None, "docx_sha256": None, "xlsx_sha256": None, "batch_mark": None, "listed": None,
}  # fmt: skip
_ACTION_VI = {"approve": "duyệt", "return": "trả lại"}
_CHANGES_SHOWN = 3


def filter_audit(rows: pd.DataFrame, action: str | None = None, actor: str | None = None) -> pd.DataFrame:
    if action:
        rows = rows[rows["action"] == action]
    if actor:
        rows = rows[rows["actor"] == actor]
    return rows


def _value(key: str, value: object) -> str:
    """One stored value as the page writes it."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "có" if value else "không"
    if key in ("period", "periods"):
        months = value if isinstance(value, list) else [value]
        return ", ".join(format.month(m) if periods.parse_period(m) == m else str(m) for m in months)
    if key == "role":
        return ROLE_VI.get(str(value), str(value))
    if key == "level":
        return LEVEL_VI.get(str(value), str(value))
    if key == "status":
        return tasks.STATUS_VI.get(str(value), str(value))
    if key == "action":
        return _ACTION_VI.get(str(value), str(value))
    if isinstance(value, int | float):
        return format.number(value, 0 if float(value).is_integer() else 1)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _figures(kind: str, figures: list) -> str:
    numerator, denominator, value = (list(figures) + [None] * 3)[:3]
    if kind == "ratio" and numerator is not None and denominator is not None:
        return f"{format.number(numerator)}/{format.number(denominator)}"
    return "–" if value is None else format.number(value, 0 if float(value).is_integer() else 1)


def _changes(changes: list[dict], names: dict[str, str]) -> str:
    """The first figures an import replaced: “Thôn BG05 · Tỷ lệ … (CODE) · Tháng 9/2026: 519/700 → 520/700”."""
    said = []
    for change in changes[:_CHANGES_SHOWN]:
        code = change.get("indicator", "")
        item = catalog.indicator_by_code().get(code)
        kind = item.kind if item else "count"
        name = item.label if item else code
        unit = change.get("unit", "")
        said.append(f"{names.get(unit, unit)} · {name} · {_value('period', change.get('period'))}: "
                    f"{_figures(kind, change.get('before') or [])} → {_figures(kind, change.get('after') or [])}")  # fmt: skip
    more = len(changes) - _CHANGES_SHOWN
    return "; ".join(said) + (f"; và {format.number(more)} số liệu khác" if more > 0 else "")


def readable(stored: str | None, names: dict[str, str] | None = None) -> str:
    """A stored before/after (JSON) as “Trường: giá trị; …” (`names`: unit code -> label); text
    that is no JSON stays as it is."""
    if stored is None or (isinstance(stored, float) and pd.isna(stored)) or stored == "":
        return ""
    try:
        data = json.loads(stored)
    except (TypeError, ValueError):
        return str(stored)
    if not isinstance(data, dict):
        return _value("", data)
    lines = []
    for key, value in data.items():
        label = FIELD_VI.get(key, key.replace("_", " "))
        if label is None:
            continue
        if key in ("units", "parent") and names:
            value = ", ".join(names.get(code, code) for code in str(value).split(",") if code)
        text = _changes(value, names or {}) if key == "changes" and isinstance(value, list) else _value(key, value)
        lines.append(f"{label}: {text}")
    return "; ".join(lines)


def audit_table(rows: pd.DataFrame, names: dict[str, str] | None = None) -> pd.DataFrame:
    """`export.audit_frame` with before and after as readable Vietnamese fields (`readable`)."""
    frame = export.audit_frame(rows)
    for field in ("before", "after"):
        frame[export.AUDIT_COLUMNS_VI[field]] = [readable(v, names) for v in rows[field]]
    return frame
