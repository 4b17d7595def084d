"""The floors: what the same numbers cost when computed directly.

- one hand-written DuckDB query per result (overview, by hamlet, by task group, completeness),
  reading the store's own tables (submissions, batch_reverts, units, targets) and following the
  rules of indicators/metrics.py; the catalog's 26 rows are written into the query;
- a plain pandas overview, as an analyst would write it: read the months needed, keep the latest
  live revision, roll up, compute value, change, progress, projection and status.

`compare` checks that a floor gives the product's numbers (the harness records the result).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.domain import catalog, periods

COLUMNS = ["indicator_code", "value", "monthly_value", "change", "target", "progress", "projection",
           "projected_progress", "status"]  # fmt: skip
EPS = 1e-9


def _catalog_values() -> str:
    rows = [
        f"('{i.code}', '{i.kind}', '{i.aggregation}', '{i.direction}', '{i.level}', {i.task_group}, {n})"
        for n, i in enumerate(catalog.indicators())
    ]
    return (
        "(VALUES "
        + ", ".join(rows)
        + ") AS cat(indicator_code, kind, aggregation, direction, level, task_group, ord)"
    )


def _progress(value: str, target: str, direction: str, baseline: str) -> str:
    """metrics.progress_for as a SQL expression."""
    return f"""(CASE WHEN {value} IS NULL OR {target} IS NULL THEN NULL
        WHEN {direction} = 'up' THEN CASE WHEN {target} <= 0 THEN 1.0 ELSE greatest(0.0, {value} / {target}) END
        WHEN {value} <= {target} THEN 1.0
        WHEN {baseline} IS NULL OR {baseline} <= {target} THEN 0.0
        ELSE greatest(0.0, ({baseline} - {value}) / ({baseline} - {target})) END)"""


def _status(progress: str, projected: str) -> str:
    """metrics.status_for as a SQL expression."""
    ahead = f"coalesce({projected}, {progress})"
    return f"""(CASE WHEN {progress} IS NULL THEN 'no_data'
        WHEN {progress} >= 1 - {EPS} THEN 'achieved'
        WHEN {ahead} >= 1 - {EPS} THEN 'on_track'
        WHEN {ahead} >= 0.9 - {EPS} THEN 'at_risk'
        ELSE 'behind' END)"""


def _status_sql(units_cte: str, indicator_filter: str) -> str:
    """Value, change, target, progress, projection and status per (unit, indicator).

    `units_cte` defines `shown(rollup_code, scale)` (the units reported on, with their share of a
    commune's count target) and `members(rollup_code, unit_code)` (whose figures each one adds up).
    """
    return f"""
    WITH RECURSIVE {units_cte},
    cur AS (  -- the latest live revision of each figure of the months needed
        SELECT s.period, s.unit_code, s.indicator_code,
            max_by(struct_pack(n := s.numerator, d := s.denominator, v := s.value), s.id) AS last
        FROM submissions s
        WHERE s.period BETWEEN $first AND $period
          AND s.unit_code IN (SELECT unit_code FROM members)
          AND s.batch_id NOT IN (SELECT batch_id FROM batch_reverts)
        GROUP BY ALL
    ),
    cat AS (SELECT * FROM {_catalog_values()}),
    monthly AS (
        SELECT m.rollup_code, c.indicator_code, c.period, any_value(cat.kind) AS kind,
            sum(c.last.n) AS num, sum(c.last.d) AS den, sum(c.last.v) AS cnt,
            count(*) AS reporters  -- one current row per (unit, indicator, month)
        FROM cur c JOIN members m USING (unit_code) JOIN cat USING (indicator_code)
        GROUP BY ALL
    ),
    mv AS (
        SELECT *, CASE WHEN kind = 'ratio' THEN CASE WHEN den > 0 THEN 100 * num / den END ELSE cnt END AS value,
            CAST(substr(period, 6, 2) AS INTEGER) AS month_no
        FROM monthly
    ),
    agg AS (
        SELECT rollup_code, indicator_code,
            any_value(value) FILTER (WHERE period = $period) AS month_value,
            any_value(num) FILTER (WHERE period = $period) AS numerator,
            any_value(den) FILTER (WHERE period = $period) AS denominator,
            coalesce(any_value(reporters) FILTER (WHERE period = $period), 0) AS reporters,
            sum(num) AS sum_num, sum(den) AS sum_den, coalesce(sum(value), 0) AS sum_value,
            arg_min(value, period) FILTER (WHERE value IS NOT NULL) AS baseline,
            count(value) AS n_valid,
            CASE WHEN count(value) < 2 THEN arg_max(value, period) FILTER (WHERE value IS NOT NULL)
                 ELSE regr_slope(value, month_no) * 12 + regr_intercept(value, month_no) END AS projected
        FROM mv WHERE period >= $year_first
        GROUP BY ALL
    ),
    rows AS (
        SELECT s.rollup_code AS unit_code, cat.indicator_code, cat.kind, cat.direction, cat.task_group, cat.ord,
            a.indicator_code IS NOT NULL AS has_data, a.month_value, a.numerator, a.denominator,
            coalesce(a.reporters, 0) AS reporters, a.baseline,
            t.value * CASE WHEN cat.kind = 'count' THEN s.scale ELSE 1 END AS target,
            CASE WHEN a.indicator_code IS NULL THEN NULL
                 WHEN cat.aggregation = 'sum' AND cat.kind = 'ratio'
                      THEN CASE WHEN coalesce(a.sum_den, 0) <> 0 THEN 100 * a.sum_num / a.sum_den END
                 WHEN cat.aggregation = 'sum' THEN a.sum_value
                 ELSE a.month_value END AS value,
            CASE WHEN a.n_valid IS NULL OR a.n_valid = 0 THEN NULL
                 WHEN cat.aggregation = 'sum' THEN a.sum_value * 12 / $upto
                 ELSE (CASE WHEN cat.kind = 'ratio' THEN least(100.0, greatest(0.0, a.projected))
                            ELSE greatest(0.0, a.projected) END) END AS projection,
            CASE WHEN a.indicator_code IS NOT NULL THEN prev.value END AS previous_value
        FROM shown s CROSS JOIN cat
        LEFT JOIN agg a ON a.rollup_code = s.rollup_code AND a.indicator_code = cat.indicator_code
        LEFT JOIN mv prev ON prev.rollup_code = s.rollup_code AND prev.indicator_code = cat.indicator_code
                         AND prev.period = $previous
        LEFT JOIN targets t ON t.indicator_code = cat.indicator_code AND t.year = $year
        WHERE {indicator_filter}
    ),
    scored AS (
        SELECT *, month_value - previous_value AS change,
            {_progress("value", "target", "direction", "baseline")} AS progress,
            {_progress("projection", "target", "direction", "baseline")} AS projected_progress
        FROM rows
    )
    SELECT unit_code, indicator_code, task_group, ord, value, month_value AS monthly_value, change, target,
        progress, projection, projected_progress, {_status("progress", "projected_progress")} AS status,
        numerator, denominator, reporters
    FROM scored
    """


_SUBTREE = """
    members(rollup_code, unit_code) AS (
        SELECT code, code FROM units WHERE code = $root
        UNION ALL
        SELECT m.rollup_code, u.code FROM units u JOIN members m ON u.parent = m.unit_code
    )"""

# the overview: the root alone, adding up its whole subtree
OVERVIEW_UNITS = (
    _SUBTREE
    + """,
    shown(rollup_code, scale) AS (
        SELECT code, CASE level
            WHEN 'city' THEN coalesce(nullif((SELECT count(*) FROM members m JOIN units c ON c.code = m.unit_code
                                              WHERE c.level = 'commune' AND c.active), 0), 1)
            WHEN 'commune' THEN 1.0
            ELSE (SELECT CASE WHEN bool_and(coalesce(h.households, 0) > 0) AND coalesce(any_value(me.households), 0) > 0
                              THEN any_value(me.households) / sum(h.households) ELSE 1.0 / count(*) END
                  FROM units h, units me WHERE me.code = $root AND h.parent = me.parent AND h.level = 'hamlet' AND h.active)
            END
        FROM units WHERE code = $root
    )"""
)

# by hamlet: every active hamlet below the root, its count targets shared by households
HAMLET_UNITS = """
    tree(code) AS (
        SELECT code FROM units WHERE code = $root
        UNION ALL
        SELECT u.code FROM units u JOIN tree t ON u.parent = t.code
    ),
    hamlets AS (
        SELECT u.code, u.households,
            sum(u.households) OVER w AS total, count(*) OVER w AS siblings,
            bool_and(coalesce(u.households, 0) > 0) OVER w AS all_known
        FROM units u JOIN tree t ON t.code = u.code
        WHERE u.level = 'hamlet' AND u.active
        WINDOW w AS (PARTITION BY u.parent)
    ),
    shown(rollup_code, scale) AS (
        SELECT code, CASE WHEN all_known THEN households / total ELSE 1.0 / siblings END FROM hamlets
    ),
    members(rollup_code, unit_code) AS (SELECT code, code FROM hamlets)"""


# a city's communes (metrics.member_table): each adds up itself and its hamlets, every indicator
COMMUNE_UNITS = """
    tree(code) AS (
        SELECT code FROM units WHERE code = $root
        UNION ALL
        SELECT u.code FROM units u JOIN tree t ON u.parent = t.code
    ),
    shown(rollup_code, scale) AS (
        SELECT u.code, 1.0 FROM units u JOIN tree t ON t.code = u.code WHERE u.level = 'commune' AND u.active
    ),
    members(rollup_code, unit_code) AS (
        SELECT code, code FROM units WHERE code IN (SELECT rollup_code FROM shown)
        UNION ALL
        SELECT m.rollup_code, u.code FROM units u JOIN members m ON u.parent = m.unit_code
    )"""


def params(root: str, period: str) -> dict:
    year = periods.year_of(period)
    return {"root": root, "period": period, "first": f"{year - 1}-12", "year_first": f"{year}-01",
            "previous": periods.previous(period), "year": year, "upto": periods.month_number(period)}  # fmt: skip


def overview_sql() -> str:
    return _status_sql(OVERVIEW_UNITS, "true") + " ORDER BY ord"


def hamlets_sql() -> str:
    return _status_sql(HAMLET_UNITS, "cat.level = 'hamlet'") + " ORDER BY unit_code, ord"


def members_sql(level: str) -> str:
    """The "by hamlet" result: hamlets (their indicators), or a city's communes (all indicators)."""
    if level == "hamlet":
        return hamlets_sql()
    return _status_sql(COMMUNE_UNITS, "true") + " ORDER BY unit_code, ord"


def groups_sql() -> str:
    return f"""
    WITH summary AS ({_status_sql(OVERVIEW_UNITS, "true")}),
    g AS (
        SELECT task_group, count(*) AS indicators, count(progress) AS with_data,
            -- (DuckDB's least() skips NULLs: cap with CASE)
            avg(CASE WHEN progress > 1 THEN 1.0 ELSE progress END) AS progress,
            avg(CASE WHEN projected_progress > 1 THEN 1.0 ELSE projected_progress END)
                FILTER (WHERE progress IS NOT NULL) AS projected_progress,
            count(*) FILTER (WHERE status = 'achieved') AS n_achieved,
            count(*) FILTER (WHERE status = 'on_track') AS n_on_track,
            count(*) FILTER (WHERE status = 'at_risk') AS n_at_risk,
            count(*) FILTER (WHERE status = 'behind') AS n_behind,
            count(*) FILTER (WHERE status = 'no_data') AS n_no_data
        FROM summary GROUP BY task_group
    )
    SELECT *, {_status("progress", "projected_progress")} AS status FROM g ORDER BY task_group
    """


def completeness_sql() -> str:
    return f"""
    WITH RECURSIVE tree(code) AS (
        SELECT code FROM units WHERE code = $root
        UNION ALL
        SELECT u.code FROM units u JOIN tree t ON u.parent = t.code
    ),
    reporting AS (
        SELECT u.code, u.name, u.level FROM units u JOIN tree t ON t.code = u.code
        WHERE u.active AND u.level IN ('hamlet', 'commune')
    ),
    cat AS (SELECT * FROM {_catalog_values()}),
    expected AS (SELECT r.code AS unit_code, r.level, c.indicator_code FROM reporting r JOIN cat c ON c.level = r.level),
    cur AS (
        SELECT s.unit_code, s.indicator_code, min(s.received_at) AS first_received_at
        FROM submissions s
        WHERE s.period = $period AND s.unit_code IN (SELECT code FROM reporting)
          AND s.batch_id NOT IN (SELECT batch_id FROM batch_reverts)
        GROUP BY ALL
    ),
    per_unit AS (
        SELECT e.unit_code, any_value(e.level) AS level, count(*) AS expected,
            count(c.indicator_code) AS submitted,
            count(*) FILTER (WHERE c.first_received_at <= $due) AS on_time,
            max(c.first_received_at) AS last_received_at,
            coalesce(list_sort(list(e.indicator_code) FILTER (WHERE c.indicator_code IS NULL)), [])
                AS missing_codes
        FROM expected e LEFT JOIN cur c USING (unit_code, indicator_code)
        GROUP BY e.unit_code
    )
    SELECT unit_code, level, expected, submitted, on_time, submitted - on_time AS late,
        expected - submitted AS missing,
        CASE WHEN submitted = 0 THEN 'missing' WHEN expected > submitted THEN 'partial'
             WHEN submitted > on_time THEN 'late' ELSE 'on_time' END AS status,
        last_received_at, missing_codes
    FROM per_unit ORDER BY unit_code
    """


def run(con, sql: str, values: dict) -> pd.DataFrame:
    used = {k: v for k, v in values.items() if f"${k}" in sql}
    return con.execute(sql, used).df()


def completeness_params(root: str, period: str, deadline_day: int) -> dict:
    return {"root": root, "period": period, "due": periods.deadline(period, deadline_day)}


# --- the analyst's pandas overview -------------------------------------------------------------
def pandas_overview(con, root: str, period: str) -> pd.DataFrame:
    """The overview of `root` for `period` in plain pandas (the database is only read from)."""
    year = periods.year_of(period)
    first, previous = f"{year - 1}-12", periods.previous(period)
    subs = con.execute(
        "SELECT id, batch_id, period, unit_code, indicator_code, numerator, denominator, value "
        "FROM submissions WHERE period BETWEEN ? AND ?",
        [first, period],
    ).df()
    reverted = con.execute("SELECT batch_id FROM batch_reverts").df()["batch_id"]
    units = con.execute("SELECT code, parent, level, active FROM units").df()
    targets = con.execute("SELECT indicator_code, value FROM targets WHERE year = ?", [year]).df()
    cat = pd.DataFrame([i.model_dump() for i in catalog.indicators()]).rename(
        columns={"code": "indicator_code"}
    )

    # the root's subtree
    children = units.groupby("parent")["code"].apply(list).to_dict()
    members, todo = set(), [root]
    while todo:
        code = todo.pop()
        members.add(code)
        todo += children.get(code, [])
    level = units.set_index("code").loc[root, "level"]
    if level == "city":
        sub = units[units["code"].isin(members)]
        scale = float(((sub["level"] == "commune") & sub["active"]).sum()) or 1.0
    else:
        scale = 1.0  # (a hamlet's share is not needed for a commune or city overview)

    live = subs[~subs["batch_id"].isin(reverted) & subs["unit_code"].isin(members)]
    current = live.sort_values("id").drop_duplicates(["period", "unit_code", "indicator_code"], keep="last")
    monthly = current.groupby(["indicator_code", "period"], as_index=False).agg(
        num=("numerator", lambda s: s.sum(min_count=1)),
        den=("denominator", lambda s: s.sum(min_count=1)),
        cnt=("value", lambda s: s.sum(min_count=1)),
    )
    monthly = monthly.merge(cat[["indicator_code", "kind"]], on="indicator_code")
    with np.errstate(divide="ignore", invalid="ignore"):
        monthly["value"] = np.where(
            monthly["kind"] == "ratio",
            100 * monthly["num"] / monthly["den"].where(monthly["den"] > 0),
            monthly["cnt"],
        )
    monthly["month"] = monthly["period"].str[5:7].astype(int)
    upto = periods.month_number(period)
    out = []
    for item in cat.itertuples():
        target = targets.loc[targets["indicator_code"] == item.indicator_code, "value"]
        target = float(target.iloc[0]) * (scale if item.kind == "count" else 1.0) if len(target) else np.nan
        mine = monthly[monthly["indicator_code"] == item.indicator_code]
        year_rows = mine[mine["period"] >= f"{year}-01"].sort_values("period")
        row = {"indicator_code": item.indicator_code, "target": target}
        if year_rows.empty:
            out.append(row)
            continue
        now = year_rows[year_rows["period"] == period]
        month_value = float(now["value"].iloc[0]) if len(now) else np.nan
        if item.aggregation == "sum":
            if item.kind == "ratio":
                den = year_rows["den"].sum()
                value = 100 * year_rows["num"].sum() / den if den else np.nan
            else:
                value = float(year_rows["value"].sum())
        else:
            value = month_value
        prev = mine[mine["period"] == previous]["value"]
        prev_value = float(prev.iloc[0]) if len(prev) else np.nan
        valid = year_rows[year_rows["value"].notna()]
        baseline = float(valid["value"].iloc[0]) if len(valid) else np.nan
        if valid.empty:
            projection = np.nan
        elif item.aggregation == "sum":
            projection = valid["value"].sum() * 12 / upto
        else:
            if len(valid) < 2:
                projection = float(valid["value"].iloc[-1])
            else:
                slope, intercept = np.polyfit(valid["month"], valid["value"], 1)
                projection = slope * 12 + intercept
            projection = max(projection, 0.0)
            projection = min(projection, 100.0) if item.kind == "ratio" else projection

        p = _pandas_progress(value, target, item.direction, baseline)
        q = _pandas_progress(projection, target, item.direction, baseline)
        ahead = p if np.isnan(q) else q
        status = ("no_data" if np.isnan(p) else "achieved" if p >= 1 - EPS else "on_track" if ahead >= 1 - EPS
                  else "at_risk" if ahead >= 0.9 - EPS else "behind")  # fmt: skip
        row.update(value=value, monthly_value=month_value, change=month_value - prev_value, progress=p,
                   projection=projection, projected_progress=q, status=status)  # fmt: skip
        out.append(row)
    frame = pd.DataFrame(out)
    for column in COLUMNS:
        if column not in frame:
            frame[column] = np.nan
    frame["status"] = frame["status"].fillna("no_data")
    return frame[COLUMNS]


def _pandas_progress(v: float, target: float, direction: str, baseline: float) -> float:
    if np.isnan(v) or np.isnan(target):
        return np.nan
    if direction == "up":
        return 1.0 if target <= 0 else max(0.0, v / target)
    if v <= target:
        return 1.0
    if np.isnan(baseline) or baseline <= target:
        return 0.0
    return max(0.0, (baseline - v) / (baseline - target))


# --- checking a floor against the product ------------------------------------------------------
def compare(product: pd.DataFrame, floor: pd.DataFrame, key: list[str], columns: list[str]) -> dict:
    """Largest difference of each numeric column and whether the text columns agree."""
    merged = product[key + columns].merge(floor[key + columns], on=key, how="outer", suffixes=("_p", "_f"),
                                          indicator=True)  # fmt: skip
    out: dict = {"rows_product": len(product), "rows_floor": len(floor),
                 "unmatched": int((merged["_merge"] != "both").sum())}  # fmt: skip
    worst = 0.0
    for column in columns:
        a, b = merged[f"{column}_p"], merged[f"{column}_f"]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            a, b = a.astype(float), b.astype(float)
            both_nan = a.isna() & b.isna()
            diff = (a - b).abs().where(~both_nan, 0.0).fillna(np.inf)
            scale = np.maximum(1.0, np.maximum(a.abs().fillna(0), b.abs().fillna(0)))
            worst = max(worst, float((diff / scale).max()) if len(diff) else 0.0)
        else:
            same = [_normal(x) == _normal(y) for x, y in zip(a, b)]
            out[f"{column}_mismatches"] = len(same) - sum(same)
    out["max_relative_difference"] = worst
    out["equal"] = (
        out["unmatched"] == 0
        and worst < 1e-6
        and not any(v for k, v in out.items() if k.endswith("_mismatches"))
    )
    return out


def _normal(value):
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(value)
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value
