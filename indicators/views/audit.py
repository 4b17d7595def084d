"""The audit page (Nhật ký thay đổi, pages/audit.py): the audit log filtered by action and account."""

from __future__ import annotations

import pandas as pd


def filter_audit(rows: pd.DataFrame, action: str | None = None, actor: str | None = None) -> pd.DataFrame:
    if action:
        rows = rows[rows["action"] == action]
    if actor:
        rows = rows[rows["actor"] == actor]
    return rows
