"""Roll-ups of the figures over the unit tree and the months, and the tables the pages build on them.

Rules, written once:
- A unit's value aggregates every submission in its subtree. Ratios: sum of numerators over sum
  of denominators (never the mean of percentages). Counts: sum of values.
- Over months, `latest` indicators (stocks) take the month itself; `sum` indicators (flows) add the
  months of the year up to the chosen month, and their target is the yearly total.
- A month without a submission is missing, not carried forward: completeness shows the gap.
- A count target is scaled to each unit by `Tree.scale` (the rule is in `metrics.unit_tree`);
  progress, projection and status follow the rules in `metrics.status`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from indicators.domain import catalog, periods
from indicators.metrics.status import STATUSES, progress_for, projection_for, status_for
from indicators.metrics.unit_tree import member_level, member_units, tree
from indicators.storage import Store
from indicators.storage.memo import by_data_version


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
        projected = with_data["projected_progress"].clip(upper=1).mean() if len(with_data) else float("nan")
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


def members_behind(store: Store, period: str, root: str, limit: int = 5, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Members (hamlets, or a city's communes) furthest behind: lowest mean progress (capped at
    100 %) over their indicators. `table`: `member_table` when the caller has it already."""
    table = member_table(store, period, root) if table is None else table
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
