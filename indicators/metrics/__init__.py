"""Roll-ups, progress, projection, status and reporting completeness, one module per concern
(`status`, `unit_tree`, `rollups`, `submissions`, `review`); the public names are re-exported here (`metrics.x`).

Imports only `domain` and `storage`, never Streamlit; its modules import each other, never this package.
"""

from __future__ import annotations

from indicators.metrics.review import month_review, state_counts
from indicators.metrics.rollups import (
    commune_summary,
    group_progress,
    indicator_status,
    member_table,
    members_behind,
    monthly_values,
    series,
    series_from,
)
from indicators.metrics.status import (
    AT_RISK,
    ON_TRACK,
    STATUS_VI,
    STATUSES,
    SUBMISSION_STATUS_VI,
    progress_for,
    projection_for,
    status_for,
)
from indicators.metrics.submissions import completeness, completeness_by_member, completeness_grid
from indicators.metrics.unit_tree import (
    OWED_CODES,
    Owed,
    Tree,
    ancestry,
    children,
    member_level,
    member_units,
    reporting_units,
    tree,
)

__all__ = [
    "AT_RISK",
    "ON_TRACK",
    "OWED_CODES",
    "STATUSES",
    "STATUS_VI",
    "SUBMISSION_STATUS_VI",
    "Owed",
    "Tree",
    "ancestry",
    "children",
    "commune_summary",
    "completeness",
    "completeness_by_member",
    "completeness_grid",
    "group_progress",
    "indicator_status",
    "member_level",
    "member_table",
    "member_units",
    "members_behind",
    "month_review",
    "monthly_values",
    "progress_for",
    "projection_for",
    "reporting_units",
    "series",
    "series_from",
    "state_counts",
    "status_for",
    "tree",
]
