"""The status of an indicator at a unit: progress towards the target, projection to December and
status, with the names the pages show for these statuses and for a unit's submission status.

Rules, written once:
- Progress (0 = nothing, 1 = target met): for `up`, value / target; for `down` (a ceiling), how far
  the value has come from the year's first month towards the target.
- Projection to December: flows extrapolate the year-to-date pace; stocks follow the least-squares
  line through this year's months (one month alone projects flat).
- Status: "achieved" when the value meets the target now; otherwise by projected progress:
  "on_track" ≥ 100 %, "at_risk" ≥ 90 %, "behind" below; "no_data" without a value.
"""

from __future__ import annotations

import pandas as pd

STATUSES = ("achieved", "on_track", "at_risk", "behind", "no_data")
STATUS_VI = {
    "achieved": "Đã đạt",
    "on_track": "Đúng tiến độ",
    "at_risk": "Có nguy cơ",
    "behind": "Chậm",
    "no_data": "Chưa có số liệu",
}
ON_TRACK = 1.0
AT_RISK = 0.9

SUBMISSION_STATUS_VI = {
    "on_time": "Đúng hạn",
    "late": "Muộn",
    "partial": "Chưa đủ",
    "missing": "Chưa nộp",
}


def status_for(progress: float | None, projected_progress: float | None) -> str:
    """The status rule (see the module docstring)."""
    if progress is None or pd.isna(progress):
        return "no_data"
    if progress >= 1.0 - 1e-9:
        return "achieved"
    ahead = progress if projected_progress is None or pd.isna(projected_progress) else projected_progress
    if ahead >= ON_TRACK - 1e-9:
        return "on_track"
    if ahead >= AT_RISK - 1e-9:
        return "at_risk"
    return "behind"


def progress_for(value: float | None, target: float | None, direction: str, baseline: float | None) -> float:
    """Progress towards the target as a fraction (may exceed 1); NaN when unknown."""
    if value is None or target is None or pd.isna(value) or pd.isna(target):
        return float("nan")
    if direction == "up":
        if target <= 0:
            return 1.0
        return max(0.0, value / target)
    if value <= target:
        return 1.0
    if baseline is None or pd.isna(baseline) or baseline <= target:
        return 0.0
    return max(0.0, (baseline - value) / (baseline - target))


def projection_for(months: list[int], values: list[float], kind: str, aggregation: str, upto: int) -> float:
    """Year-end value projected from the months of this year reported so far."""
    if not values:
        return float("nan")
    if aggregation == "sum":
        return sum(values) * 12 / upto
    if len(values) < 2 or len(set(months)) < 2:
        projected = values[-1]
    else:  # least-squares line through (month, value), read at December
        n = len(values)
        mean_x, mean_y = sum(months) / n, sum(values) / n
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(months, values)) / sum(
            (x - mean_x) ** 2 for x in months
        )
        projected = mean_y + slope * (12 - mean_x)
    projected = max(projected, 0.0)
    return min(projected, 100.0) if kind == "ratio" else projected
