"""Current figures of a month as a file that imports back unchanged (long layout)."""

from __future__ import annotations

import io

import pandas as pd

from indicators.domain import format
from indicators.domain.accounts import ROLE_VI
from indicators.domain.text import safe_text  # noqa: F401  (export.safe_text stays importable)
from indicators.ingest.columns import LONG_COLUMNS
from indicators.storage import AUDIT_ACTIONS_VI, Store


def period_frame(store: Store, period: str) -> pd.DataFrame:
    """The canonical long table of a month's current figures."""
    current = store.current_submissions(periods=[period])
    frame = pd.DataFrame(
        {
            "ky_bao_cao": current["period"],
            "don_vi": current["unit_code"],
            "ma_chi_tieu": current["indicator_code"],
            "tu_so": current["numerator"],
            "mau_so": current["denominator"],
            # ratios are rebuilt from their parts; only counts carry a value
            "gia_tri": current["value"].where(current["numerator"].isna()),
            "ghi_chu": current["note"].fillna("").map(safe_text),
        },
        columns=list(LONG_COLUMNS),
    )
    for column in ("tu_so", "mau_so", "gia_tri"):
        frame[column] = frame[column].astype("Int64")
    return frame


def export_bytes(store: Store, period: str, fmt: str) -> bytes:
    """CSV (UTF-8 with BOM, so Excel shows the accents) or .xlsx bytes."""
    frame = period_frame(store, period)
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8-sig")
    if fmt == "xlsx":
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, sheet_name=period)
        return buffer.getvalue()
    raise ValueError(f"unknown export format {fmt!r}")


AUDIT_COLUMNS_VI = {
    "id": "Số", "logged_at": "Thời điểm", "actor": "Người thực hiện", "role": "Vai trò",
    "action": "Thao tác", "object": "Đối tượng", "before": "Trước", "after": "Sau",
}  # fmt: skip


def audit_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The audit log with Vietnamese headers and labels; user-typed text is formula-safe."""
    frame = pd.DataFrame(
        {
            "id": rows["id"],
            "logged_at": rows["logged_at"].map(format.timestamp),
            "actor": rows["actor"].map(safe_text),
            "role": rows["role"].map(lambda r: ROLE_VI.get(r, r)),
            "action": rows["action"].map(lambda a: AUDIT_ACTIONS_VI.get(a, a)),
            "object": rows["object"].map(safe_text),
            "before": rows["before"].fillna("").map(safe_text),
            "after": rows["after"].fillna("").map(safe_text),
        },
        columns=list(AUDIT_COLUMNS_VI),
    )
    return frame.rename(columns=AUDIT_COLUMNS_VI)


def audit_csv(rows: pd.DataFrame) -> bytes:
    return audit_frame(rows).to_csv(index=False).encode("utf-8-sig")
