"""Reporting completeness: per reporting unit (or per commune of a city) and month, the figures it
owed, sent, sent on time or late, and a submission status.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.domain import periods
from indicators.domain.text import fold
from indicators.metrics.unit_tree import OWED_CODES, member_level, member_units, tree
from indicators.storage import Store


def completeness(store: Store, period: str, root: str) -> pd.DataFrame:
    """Per reporting unit below `root`: expected, submitted, on time, late, missing, and a status.

    Timeliness uses the first time each figure arrived (a later correction keeps it on time).
    Not kept per data version: the views that show it are, and on PostgreSQL reading the data
    version is a round trip of its own (8 to 19 ms) against the one query this takes.
    """
    return _completeness(store, [period], root).drop(columns="period")


_COMPLETENESS_COLUMNS = ["period", "unit_code", "unit_name", "level", "expected", "submitted", "on_time", "late",
                         "missing", "status", "last_received_at", "missing_codes"]  # fmt: skip


def _completeness(store: Store, months: list[str], root: str) -> pd.DataFrame:
    """`completeness` of several months at once (one query), with a period column, month by month."""
    deadline_day = store.settings().deadline_day
    owed = tree(store).owed(root)
    if not owed.codes or not months:
        return pd.DataFrame(columns=_COMPLETENESS_COLUMNS)
    dues = {month: periods.deadline(month, deadline_day) for month in months}
    months = list(dues)  # once each, in the order the counts come
    counts = store.submission_counts(dues, owed.units, OWED_CODES)  # month by month, in owed order
    expected, submitted, on_time = (
        counts[c].to_numpy(np.int64) for c in ("expected", "submitted", "on_time")
    )
    tally = {"expected": expected, "submitted": submitted, "on_time": on_time, "late": submitted - on_time,
             "missing": expected - submitted}  # fmt: skip

    def each_month(values: list[str]) -> np.ndarray:
        return np.tile(np.array(values, dtype=object), len(months))

    return pd.DataFrame({
        "period": np.repeat(np.array(months, dtype=object), len(owed.codes)), "unit_code": each_month(owed.codes),
        "unit_name": each_month(owed.labels), "level": each_month(owed.levels), **tally,
        "status": _submission_status(tally), "last_received_at": counts["last_received_at"].to_numpy(),
        "missing_codes": counts["missing_codes"].to_numpy(),
    }, columns=_COMPLETENESS_COLUMNS)  # fmt: skip


def _submission_status(counts) -> np.ndarray:
    """The same rule for a unit and for a group of units: nothing, some, all but late, all on time."""
    return np.select(
        [counts["submitted"] == 0, counts["missing"] > 0, counts["late"] > 0], ["missing", "partial", "late"],
        "on_time",
    )  # fmt: skip


def completeness_by_member(
    store: Store, period: str, root: str, detail: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per member of `root` (a city's communes): the figures owed by the reporting units below it
    (the commune and its hamlets) summed, with the status rule of a single unit.

    `detail` is `completeness(store, period, root)` when the caller has it already. Columns:
    unit_code, unit_name, level, expected, submitted, on_time, late, missing, status,
    last_received_at, hamlets, hamlets_submitted, hamlets_missing (names of hamlets that sent nothing).
    """
    detail = completeness(store, period, root) if detail is None else detail
    return _by_member(store, detail.assign(period=period), root).drop(columns="period")


_MEMBER_COLUMNS = ["period", "unit_code", "unit_name", "level", "expected", "submitted", "on_time", "late", "missing",
                   "status", "last_received_at", "hamlets", "hamlets_submitted", "hamlets_missing"]  # fmt: skip


def _by_member(store: Store, detail: pd.DataFrame, root: str) -> pd.DataFrame:
    """`completeness_by_member` of the months in `detail` (`_completeness`)."""
    members = sorted(member_units(store, root), key=lambda u: fold(u.name))
    if detail.empty or not members:
        return pd.DataFrame(columns=_MEMBER_COLUMNS)
    links = tree(store).ancestry
    links = links[links["rollup_code"].isin({u.code for u in members})]
    data = detail.merge(links, on="unit_code")
    hamlet = data["level"] == "hamlet"
    silent = hamlet & (data["submitted"] == 0)
    data = data.assign(hamlets=hamlet.astype(int), hamlets_submitted=(hamlet & ~silent).astype(int))
    keys = ["period", "rollup_code"]
    counted = ["expected", "submitted", "on_time", "hamlets", "hamlets_submitted"]
    sums = data.groupby(keys)[counted].sum()
    sums["last_received_at"] = data.groupby(keys)["last_received_at"].max()
    names: dict[tuple, list[str]] = {}
    for month, member, name in zip(data.loc[silent, "period"], data.loc[silent, "rollup_code"],
                                   data.loc[silent, "unit_name"]):  # fmt: skip
        names.setdefault((month, member), []).append(name)
    months = list(dict.fromkeys(detail["period"]))
    out = pd.DataFrame({
        "period": np.repeat(np.array(months, dtype=object), len(members)),
        "unit_code": [u.code for u in members] * len(months), "unit_name": [u.label for u in members] * len(months),
        "level": [u.level for u in members] * len(months),
    }).join(sums, on=["period", "unit_code"])  # fmt: skip
    out[counted] = out[counted].fillna(0).astype(int)
    out["hamlets_missing"] = [names.get(key, []) for key in zip(out["period"], out["unit_code"])]
    out["late"] = out["submitted"] - out["on_time"]
    out["missing"] = out["expected"] - out["submitted"]
    out["status"] = _submission_status(out)
    return out[_MEMBER_COLUMNS]


def completeness_grid(store: Store, root: str, first: str, last: str) -> pd.DataFrame:
    """Month × unit submission status, for the submission-status page: every reporting unit of a
    commune, or a city's communes (`completeness_by_member`: thousands of hamlets make no chart)."""
    detail = _completeness(store, periods.months_between(first, last), root)
    if member_level(store, root) == "commune":
        detail = _by_member(store, detail, root)
    return detail.reset_index(drop=True) if len(detail) else pd.DataFrame()
