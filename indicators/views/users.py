"""The accounts page (Tài khoản, pages/users.py): the accounts as a table."""

from __future__ import annotations

import pandas as pd

from indicators.domain import format
from indicators.domain.units import OrgUnit


def users_table(users: pd.DataFrame, units: dict[str, OrgUnit]) -> pd.DataFrame:
    """Accounts with Vietnamese headers; assigned units by name."""
    from indicators.domain.accounts import ROLE_VI

    def unit_names(codes: str) -> str:
        return ", ".join(units[c].label if c in units else c for c in codes.split(",") if c)

    return pd.DataFrame(
        {
            "Tên đăng nhập": users["name"],
            "Họ tên": users["display_name"],
            "Vai trò": users["role"].map(ROLE_VI),
            "Đơn vị được giao": users["units"].map(unit_names),
            "Trạng thái": users["active"].map({True: "Đang hoạt động", False: "Đã khóa"}),
            "Tạo lúc": users["created_at"].map(format.timestamp),
        }
    )
