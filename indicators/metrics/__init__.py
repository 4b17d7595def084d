"""Roll-ups, progress, projection, status and reporting completeness.

Rules, written once:
- A unit's value aggregates every submission in its subtree. Ratios: sum of numerators over sum
  of denominators (never the mean of percentages). Counts: sum of values.
- Over months, `latest` indicators (stocks) take the month itself; `sum` indicators (flows) add the
  months of the year up to the chosen month, and their target is the yearly total.
- A month without a submission is missing, not carried forward: completeness shows the gap.
- Progress (0 = nothing, 1 = target met): for `up`, value / target; for `down` (a ceiling), how far
  the value has come from the year's first month towards the target.
- Projection to December: flows extrapolate the year-to-date pace; stocks follow the least-squares
  line through this year's months (one month alone projects flat).
- Targets are set for a commune. Ratio targets apply to every unit as they are. A count target is
  a commune total: a hamlet's share is in proportion to its households when all its sibling
  hamlets have them (otherwise an equal share); a city's target adds up its communes.
- Status: "achieved" when the value meets the target now; otherwise by projected progress:
  "on_track" ≥ 100 %, "at_risk" ≥ 90 %, "behind" below; "no_data" without a value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from indicators.domain import catalog, periods
from indicators.domain.text import fold
from indicators.domain.units import OrgUnit, UnitMatcher, unit_label
from indicators.storage import Store
from indicators.storage.memo import by_data_version

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


def ancestry(codes: np.ndarray, parents: np.ndarray) -> pd.DataFrame:
    """(unit_code, rollup_code) for every unit and each of its ancestors, itself included.

    `codes` are the units (each once), `parents` the code of each one's parent (None at the top)."""
    codes, parents = np.asarray(codes, dtype=object), np.asarray(parents, dtype=object)
    # a parent that is not a unit itself still counts as an ancestor (after the units, with none above)
    known = pd.Index(codes)
    named = pd.notna(parents)
    missing = pd.unique(parents[named & (known.get_indexer(parents) < 0)])
    everyone = np.concatenate([codes, missing]) if len(missing) else codes
    # as positions, -1 above the top: a country's 83.000 units climb in numpy, not in dict lookups
    above = np.full(len(everyone), -1, dtype=np.int64)
    above[: len(codes)] = np.where(named, pd.Index(everyone).get_indexer(parents), -1)
    frames, unit, node = [], np.arange(len(codes)), np.arange(len(codes))
    for _ in range(50):  # a level at a time, for every unit at once (a loop in the tree ends here)
        frames.append(pd.DataFrame({"unit_code": everyone[unit], "rollup_code": everyone[node]}))
        node = above[node]
        keep = node >= 0
        if not keep.any():
            break
        unit, node = unit[keep], node[keep]
    links = pd.concat(frames, ignore_index=True)
    # only a loop in the tree (a unit its own ancestor) repeats a pair: count each ancestor once
    return links.drop_duplicates(ignore_index=True) if len(frames) > 10 else links


@dataclass(frozen=True)
class Tree:
    """The org units and what is derived from them once per change of the units.

    Built from the units' columns (`Store.unit_columns`): completeness needs no object per unit.
    The units as objects are read when first asked for."""

    columns: dict[str, np.ndarray]  # code, name, parent, level, active; in code order
    read_units: Callable[[], list[OrgUnit]]

    @functools.cached_property
    def units(self) -> list[OrgUnit]:
        return self.read_units()

    @functools.cached_property
    def by_code(self) -> dict[str, OrgUnit]:
        return {u.code: u for u in self.units}

    @functools.cached_property
    def ancestry(self) -> pd.DataFrame:
        """`metrics.ancestry` of the units."""
        return ancestry(self.columns["code"], self.columns["parent"])

    def scale(self, code: str) -> float:
        """How much of a commune's count target the unit `code` carries (see the module docstring).
        Worked out when asked, for the units a page compares with targets: not a country's 83.000."""
        unit = self.by_code.get(code)
        if unit is None:
            return 1.0
        if unit.level == "hamlet":
            siblings = self._active_hamlets.get(unit.parent) or [unit]
            total = sum(u.households or 0 for u in siblings)
            if unit.households and total and all(u.households for u in siblings):
                return unit.households / total
            return 1 / len(siblings)
        if unit.level == "city":
            below = self.ancestry.loc[self.ancestry["rollup_code"] == code, "unit_code"]
            return float(sum(1 for c in below if self.by_code[c].active and self.by_code[c].level == "commune")) or 1.0
        return 1.0

    @functools.cached_property
    def _active_hamlets(self) -> dict[str | None, list[OrgUnit]]:
        """Active hamlets by parent."""
        found: dict[str | None, list[OrgUnit]] = {}
        for u in self.units:
            if u.active and u.level == "hamlet":
                found.setdefault(u.parent, []).append(u)
        return found

    @functools.cached_property
    def matcher(self) -> UnitMatcher:
        """Finds units by what people type (kept: building it for 80.000 units takes a while)."""
        return UnitMatcher(self.units)

    def subtree(self, root: str) -> set[str]:
        """`root` and every unit below it."""
        return set(self._below(root))

    def _below(self, root: str) -> np.ndarray:
        return self.ancestry["unit_code"].to_numpy()[self.ancestry["rollup_code"].to_numpy() == root]

    def _reporting_at(self, root: str) -> np.ndarray:
        """Positions in `columns` of the active hamlets and communes in `root`'s subtree."""
        code, level = self.columns["code"], self.columns["level"]
        # pandas hashes: numpy's isin compares text arrays element by element (0,2 s for a city)
        return np.flatnonzero(pd.Index(code).isin(self._below(root)) & self.columns["active"].astype(bool)
                              & ((level == "hamlet") | (level == "commune")))  # fmt: skip

    def reporting(self, root: str) -> list[OrgUnit]:
        """Active units in `root`'s subtree that submit figures (hamlets and communes)."""
        return [self.by_code[code] for code in self.columns["code"][self._reporting_at(root)]]

    @functools.cached_property
    def _owed_kept(self) -> dict[str, Owed]:
        return {}

    def owed(self, root: str) -> Owed:
        """What the reporting units below `root` owe each month (kept per root: a city's 2.850
        units are labelled and sorted once, not on every completeness call)."""
        found = self._owed_kept.get(root)
        if found is None:
            found = self._owed_kept[root] = _owed(self, root)
        return found


@dataclass(frozen=True)
class Owed:
    """Active hamlets and communes below a root (hamlets first, then by name), as lists and as an
    Arrow table for the store (`units`: unit_code, level). Each owes every month the indicators of
    its level (`OWED_CODES`). Shared: callers do not change it."""

    codes: list[str]
    labels: list[str]
    levels: list[str]
    units: pa.Table


# The indicators a unit of each level reports every month (level, indicator_code)
_OWED = [(level, item.code) for level in ("hamlet", "commune") for item in catalog.indicators_at_level(level)]
OWED_CODES = pa.table({"level": [level for level, _ in _OWED], "indicator_code": [code for _, code in _OWED]})


def _owed(units: Tree, root: str) -> Owed:
    at = units._reporting_at(root)
    codes, names, levels = (units.columns[c][at] for c in ("code", "name", "level"))
    folded = {name: fold(name) for name in set(names)}  # hamlet names repeat from commune to commune
    # hamlets first, then by name; stable, so units of one name keep their code order
    order = np.lexsort((np.array([folded[n] for n in names], dtype=str), levels != "hamlet"))
    codes, names, levels = codes[order].tolist(), names[order].tolist(), levels[order].tolist()
    return Owed(codes, [unit_label(n, lv) for n, lv in zip(names, levels)], levels,
                pa.table({"unit_code": codes, "level": levels}))  # fmt: skip


_TREES: dict[tuple, Tree] = {}


def tree(store: Store) -> Tree:
    """The store's units as a `Tree`, rebuilt only when the units change."""
    version = store.units_version()
    key = (store.path, id(store), version)
    found = _TREES.get(key)
    if found is None:
        found = Tree(store.unit_columns(version), store.units)
        _TREES.clear()
        _TREES[key] = found
    return found


def _indicator_frame() -> pd.DataFrame:
    return pd.DataFrame([item.model_dump() for item in catalog.indicators()]).rename(
        columns={"code": "indicator_code"}
    )


_KIND = {item.code: item.kind for item in catalog.indicators()}


def monthly_values(store: Store, year: int, up_to: str, codes: Iterable[str] | None = None) -> pd.DataFrame:
    """Value of units (rolled up over their subtrees) per indicator and month.

    Covers December of the year before (for January's change) to `up_to`, for the units `codes`
    (default: every unit). The frame is shared between callers: treat it as read-only.
    """
    return _kept_monthly_values(store, year, up_to, None if codes is None else tuple(sorted(set(codes))))


# a page asks for the same roll-up several times (headline, members, groups): the costly query
@by_data_version(size=8, copies=False)
def _kept_monthly_values(store: Store, year: int, up_to: str, codes: tuple[str, ...] | None) -> pd.DataFrame:
    return _monthly_values(store, year, up_to, codes)


def _monthly_values(store: Store, year: int, up_to: str, codes: tuple[str, ...] | None) -> pd.DataFrame:
    units = tree(store)
    links, hamlets = units.ancestry, True
    if codes is not None:
        links = links[links["rollup_code"].isin(codes)]
        hamlets = any(units.by_code[code].level == "hamlet" for code in codes if code in units.by_code)
    columns = ["rollup_code", "indicator_code", "period", "numerator", "denominator", "value", "reporters"]
    grouped = store.rolled_up(links, f"{year - 1}-12", up_to, hamlets) if len(links) else pd.DataFrame()
    if grouped.empty:
        empty = pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
        return empty.astype({"rollup_code": str, "indicator_code": str, "period": str, "reporters": int})
    ratio = grouped["indicator_code"].map(_KIND) == "ratio"
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100 * grouped["numerator"] / grouped["denominator"].where(grouped["denominator"] > 0)
    grouped["value"] = np.where(ratio, pct, grouped["count_value"])
    return grouped[columns]


def indicator_status(store: Store, period: str, unit_codes: list[str] | None = None) -> pd.DataFrame:
    """One row per (unit, indicator) for `period`: value, change, target, progress, projection, status.

    `unit_codes` limits the units (default: all). Columns include `value` (0–100 for ratios),
    `monthly_value` (the month alone; differs from `value` for flows), `change` (against the
    previous month), `target`, `progress`, `projection`, `projected_progress`, `status`.
    """
    year = periods.year_of(period)
    units = tree(store)
    codes = list(unit_codes) if unit_codes is not None else [u.code for u in units.units]
    monthly = monthly_values(store, year, period, codes)
    commune_targets = store.targets(year)
    items = {item.code: item for item in catalog.indicators()}
    keys = ["unit_code", "indicator_code"]
    monthly = monthly.rename(columns={"rollup_code": "unit_code"})
    previous = periods.previous(period)
    upto = periods.month_number(period)
    # every per-(unit, indicator) figure from a few group-bys, then one plain loop over the keys
    this_year = monthly[(monthly["period"] >= f"{year}-01") & (monthly["period"] <= period)]
    this_year = this_year.sort_values([*keys, "period"])
    sums = this_year.groupby(keys, sort=False)[["numerator", "denominator", "value"]].sum().to_dict("index")
    now = this_year[this_year["period"] == period].set_index(keys)
    now = now[["value", "numerator", "denominator", "reporters"]].to_dict("index")
    valid = this_year[this_year["value"].notna()]
    paths: dict[tuple[str, str], dict[str, list]] = {}
    for unit_code, code, month, value in zip(valid["unit_code"], valid["indicator_code"], valid["period"],
                                             valid["value"]):  # fmt: skip
        path = paths.setdefault((unit_code, code), {"periods": [], "values": []})
        path["periods"].append(month)
        path["values"].append(value)
    prev_values = monthly[monthly["period"] == previous].set_index(keys)["value"].to_dict()
    nan = float("nan")
    rows = []
    for unit_code in codes:
        scale = units.scale(unit_code)
        for code, item in items.items():
            target = commune_targets.get(code)
            if target is not None and item.kind == "count":
                target = target * scale
            row = {"unit_code": unit_code, "indicator_code": code, "target": target}
            key = (unit_code, code)
            total = sums.get(key)
            if total is None:
                rows.append(row)
                continue
            this_month = now.get(key, {})
            month_value = float(this_month.get("value", nan))
            if item.aggregation == "sum":
                if item.is_ratio:
                    den = total["denominator"]
                    value = 100 * total["numerator"] / den if den else nan
                else:
                    value = float(total["value"])
            else:
                value = month_value
            prev_value = prev_values.get(key, nan)
            prev_value = float(prev_value) if pd.notna(prev_value) else nan
            # a 0/0 month (nothing to count yet) has no value: leave it out of trend and baseline
            path = paths.get(key, {"periods": [], "values": []})
            values = [float(v) for v in path["values"]]
            baseline = values[0] if values else nan
            months = [periods.month_number(p) for p in path["periods"]]
            projection = projection_for(months, values, item.kind, item.aggregation, upto)
            row.update(
                value=value,
                monthly_value=month_value,
                numerator=float(this_month.get("numerator", nan)),
                denominator=float(this_month.get("denominator", nan)),
                reporters=int(this_month.get("reporters", 0)),
                previous_value=prev_value,
                change=month_value - prev_value,
                baseline=baseline,
                projection=projection,
                progress=progress_for(value, target, item.direction, baseline),
                projected_progress=progress_for(projection, target, item.direction, baseline),
            )
            rows.append(row)
    out = pd.DataFrame(rows)
    for column in ("value", "monthly_value", "numerator", "denominator", "previous_value", "change",
                   "baseline", "projection", "progress", "projected_progress"):  # fmt: skip
        if column not in out:
            out[column] = np.nan
        out[column] = out[column].astype(float)
    out["reporters"] = out.get("reporters", pd.Series(0, index=out.index)).fillna(0).astype(int)
    out["status"] = [status_for(p, q) for p, q in zip(out["progress"], out["projected_progress"])]
    out["target"] = out["target"].astype(float)
    return out.merge(_indicator_frame(), on="indicator_code", how="left")


def commune_summary(store: Store, period: str, root: str) -> pd.DataFrame:
    """Every indicator for one unit (the commune by default), in catalog order."""
    table = indicator_status(store, period, [root])
    return table.reset_index(drop=True)


def group_progress(store: Store, period: str, root: str, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The seven task groups: mean progress (each indicator capped at 100 %) and a status.

    `table` may pass an already computed `commune_summary` of the same period and root.
    """
    table = commune_summary(store, period, root) if table is None else table
    rows = []
    for group in catalog.task_groups():
        part = table[table["task_group"] == group.number]
        with_data = part[part["progress"].notna()]
        progress = with_data["progress"].clip(upper=1).mean() if len(with_data) else float("nan")
        projected = (
            with_data["projected_progress"].clip(upper=1).mean() if len(with_data) else float("nan")
        )
        counts = part["status"].value_counts()
        rows.append(
            {
                "task_group": group.number,
                "name_vi": group.name_vi,
                "indicators": len(part),
                "with_data": len(with_data),
                "progress": progress,
                "projected_progress": projected,
                "status": status_for(progress, projected),
                **{f"n_{status}": int(counts.get(status, 0)) for status in STATUSES},
            }
        )
    return pd.DataFrame(rows)


def children(store: Store, root: str, level: str | None = None, active_only: bool = True) -> list[OrgUnit]:
    """Units directly below `root` (optionally of one level), ordered by name."""
    found = [
        unit
        for unit in tree(store).units
        if unit.parent == root and (level is None or unit.level == level)
        and (unit.active or not active_only)
    ]  # fmt: skip
    return sorted(found, key=lambda unit: fold(unit.name))


def reporting_units(store: Store, root: str) -> list[OrgUnit]:
    """Active units in `root`'s subtree that submit figures (hamlets and communes)."""
    return tree(store).reporting(root)


def member_level(store: Store, root: str) -> str:
    """The level a view of `root` compares: the communes of a city, the hamlets of a commune."""
    unit = tree(store).by_code.get(root)
    return "commune" if unit is not None and unit.level == "city" else "hamlet"


def member_units(store: Store, root: str) -> list[OrgUnit]:
    level = member_level(store, root)
    return [u for u in reporting_units(store, root) if u.level == level]


def member_table(store: Store, period: str, root: str) -> pd.DataFrame:
    """(member, indicator) rows for the members of `root` (`member_units`).

    Hamlets carry the hamlet-level indicators; a city's communes carry all of them, rolled up
    from their hamlets by the same rules as everywhere (sums of numerators and denominators).
    """
    members = member_units(store, root)
    table = indicator_status(store, period, [u.code for u in members])
    if member_level(store, root) == "hamlet":
        table = table[table["level"] == "hamlet"]
    names = {u.code: u.label for u in members}
    table.insert(1, "unit_name", table["unit_code"].map(names))
    return table.reset_index(drop=True)


def members_behind(store: Store, period: str, root: str, limit: int = 5) -> pd.DataFrame:
    """Members (hamlets, or a city's communes) furthest behind: lowest mean progress (capped at
    100 %) over their indicators."""
    table = member_table(store, period, root)
    if table.empty:
        return pd.DataFrame(columns=["unit_code", "unit_name", "progress", "behind", "at_risk"])
    table = table.assign(capped=table["progress"].clip(upper=1), behind=table["status"] == "behind",
                         at_risk=table["status"] == "at_risk")  # fmt: skip
    out = table.groupby(["unit_code", "unit_name"], as_index=False).agg(
        progress=("capped", "mean"), behind=("behind", "sum"), at_risk=("at_risk", "sum")
    )
    out[["behind", "at_risk"]] = out[["behind", "at_risk"]].astype(int)
    out = out[out["progress"].notna()]
    return out.sort_values(["progress", "unit_name"]).head(limit).reset_index(drop=True)


def series(store: Store, indicator_code: str, year: int, up_to: str, unit_codes: list[str]) -> pd.DataFrame:
    """Monthly values of one indicator for some units, over `year` up to `up_to`.

    `cumulative` is the year-to-date value for flows and equals `value` for stocks.
    """
    return series_from(monthly_values(store, year, up_to), indicator_code, year, unit_codes)


def series_from(monthly: pd.DataFrame, indicator_code: str, year: int, unit_codes: list[str]) -> pd.DataFrame:
    """`series` over an already computed `monthly_values` frame (one query for many charts)."""
    item = catalog.indicator(indicator_code)
    part = monthly[
        (monthly["indicator_code"] == indicator_code)
        & monthly["rollup_code"].isin(unit_codes)
        & (monthly["period"] >= f"{year}-01")
    ].rename(columns={"rollup_code": "unit_code"})
    part = part.sort_values(["unit_code", "period"]).reset_index(drop=True)
    if item.aggregation == "sum":
        part["cumulative"] = part.groupby("unit_code")["value"].cumsum()
    else:
        part["cumulative"] = part["value"]
    return part


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
    expected, submitted, on_time = (counts[c].to_numpy(np.int64) for c in ("expected", "submitted", "on_time"))
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


def completeness_by_member(store: Store, period: str, root: str, detail: pd.DataFrame | None = None) -> pd.DataFrame:
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
