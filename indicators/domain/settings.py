"""Settings a commune can change without touching code, declared once."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Settings(BaseModel):
    # The plan: units submit by the 18th of the reporting month itself; the commune reports by the 20th.
    deadline_day: int = Field(default=18, ge=1, le=28)
    report_day: int = Field(default=20, ge=1, le=28)
    # Close each month automatically after this day of it (None: only issuing the report closes it,
    # so that past months can still be loaded into a new database)
    auto_close_day: int | None = Field(default=None, ge=1, le=28)
    # A month-on-month change beyond this share of the previous value is flagged as a jump
    jump_threshold_pct: float = Field(default=50.0, gt=0)
    # ... unless it is smaller than this (percentage points for ratios, units for counts)
    jump_min_change: float = Field(default=10.0, ge=0)
    # Modified z-score above which a hamlet's change stands out from the other hamlets' changes
    jump_robust_z: float = Field(default=3.5, gt=0)
    # The unit whose figures the dashboards and reports show first (empty: the top unit)
    home_unit: str = ""
    # Accounts: a session idle this long must log in again; the dashboards may be public (read-only)
    session_timeout_minutes: int = Field(default=30, ge=5, le=24 * 60)
    public_view: bool = False

    # The monthly report (layout of Nghị định 30/2020/NĐ-CP); empty fields come from the unit
    issuer_parent: str = ""  # e.g. "UBND THÀNH PHỐ HẢI PHÒNG" above the issuing body, if wanted
    issuer_name: str = ""  # default: "ỦY BAN NHÂN DÂN" over "XÃ <TÊN XÃ>"
    place_name: str = ""  # the place in the date line; default: the unit's name
    document_symbol: str = "BC-UBND"
    plan_title: str = "Kế hoạch thực hiện Nghị quyết số 57-NQ/TW năm 2026"
    signer_authority: str = "TM. ỦY BAN NHÂN DÂN"
    signer_title: str = "CHỦ TỊCH"
    signer_name: str = ""
    recipients: list[str] = Field(
        default_factory=lambda: [
            "UBND thành phố;",
            "Sở Khoa học và Công nghệ;",
            "Thường trực Đảng ủy xã;",
            "Lãnh đạo UBND xã;",
            "Lưu: VT, VHXH.",
        ]
    )
