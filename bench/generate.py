"""Deterministic synthetic submissions, one commune at a time (numpy, seeded by the commune code).

What a commune's data looks like (the same rules at every size):
- hamlets of uneven size: households log-normal around 400 (60 … 3,000), population 2.9–3.6 per
  household; each hamlet has its own pace (0.75 … 1.1 of the plan) and its own habit of lateness;
- each hamlet sends its 16 hamlet-level indicators and the commune its 10 commune-level ones once a
  month (the product refuses a commune-level indicator from a hamlet), as demo.py does: ratios as
  numerator/denominator (stocks never go down), yes/no as 1/0 over 1, counts as whole numbers;
- missing: 2 % of the monthly files never come (1 % for communes), 10 % more of the last month
  have not come yet; partial: 3 % of the files carry about half their rows, and 60 % of those are
  completed by a second file a few days later;
- late: on time is day 5–18 of the reporting month; a punctual hamlet is late 3 % of the time, a
  careless one 20 %, a habitually late one 60 % (then day 19–28);
- revisions: 5 % of the files are corrected 1–10 days later (the correction changes a few figures,
  and only the changed rows are stored, as the import does); a tenth of the corrections are
  reverted a day later, so the first figures count again.
Nothing is received after AS_OF: later completions and corrections have not happened yet.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indicators.ingest.demo import HAMLET_RATIOS
from indicators.domain import catalog, format, periods

from .sizes import AS_OF, SEED, Size, communes_of, hamlet_code, provinces_of

HAMLET_CODES = [i.code for i in catalog.indicators_at_level("hamlet")]
COMMUNE_CODES = [i.code for i in catalog.indicators_at_level("commune")]
IS_RATIO = {i.code: i.is_ratio for i in catalog.indicators()}
LONG_HEADER = ["ky_bao_cao", "don_vi", "ma_chi_tieu", "tu_so", "mau_so", "gia_tri", "ghi_chu"]

# (denominator base, first-month rate %, last-month rate %) of the hamlet ratios: the demo's
_RATIOS = HAMLET_RATIOS
_SYLLABLES = ["An", "Bình", "Cao", "Đông", "Đoài", "Hạ", "Hòa", "Hưng", "Lạc", "Long", "Nam", "Ninh",
              "Phú", "Phúc", "Tân", "Thái", "Thượng", "Trung", "Văn", "Vĩnh", "Xuân", "Yên", "Đồng",
              "Lương", "Mỹ", "Quang"]  # fmt: skip

P_MISSING = {"hamlet": 0.02, "commune": 0.01}
P_NOT_YET = 0.10  # of the last month's files
P_PARTIAL = 0.03
P_COMPLETED = 0.6
P_CORRECTED = 0.05
P_REVERTED = 0.10
LATENESS = ([0.03, 0.20, 0.60], [0.7, 0.2, 0.1])  # (probability of a late file, share of units)

FIRST, COMPLETION, CORRECTION = 0, 1, 2
KIND_SUFFIX = {FIRST: "", COMPLETION: "_bo_sung", CORRECTION: "_sua"}

_AS_OF = np.datetime64(AS_OF.replace(" ", "T"), "s")


@dataclass
class Hamlet:
    code: str
    name: str
    households: int
    population: int


@dataclass
class CommuneData:
    code: str
    name: str
    province: str | None
    hamlets: list[Hamlet]
    rows: pd.DataFrame  # batch_key, period, unit_code, indicator_code, numerator, denominator, value, source_row
    batches: pd.DataFrame  # batch_key, unit_code, period, kind, created_at, rows_total, …, reverted_at

    def current(self) -> pd.DataFrame:
        """The figure that counts for each (period, unit, indicator): the latest live revision."""
        live = self.batches[self.batches["reverted_at"].isna()][["batch_key", "created_at"]]
        rows = self.rows.merge(live, on="batch_key")
        rows = rows.sort_values(["created_at", "batch_key"], kind="stable")
        key = ["period", "unit_code", "indicator_code"]
        return rows.drop_duplicates(key, keep="last").sort_values(["unit_code", "period", "indicator_code"])


def _rng(code: str, salt: int) -> np.random.Generator:
    return np.random.default_rng([SEED, int(code), salt])


def _hamlets(code: str, count: int) -> list[Hamlet]:
    rng = _rng(code, 1)
    households = np.clip(np.round(np.exp(rng.normal(6.0, 0.55, count))), 60, 3000).astype(int)
    population = np.round(households * rng.uniform(2.9, 3.6, count)).astype(int)
    names, seen = [], set()
    for i in range(count):
        while True:
            a, b = rng.choice(len(_SYLLABLES), 2, replace=False)
            name = f"{_SYLLABLES[a]} {_SYLLABLES[b]}"
            if name not in seen:
                break
        seen.add(name)
        names.append(name)
    return [Hamlet(hamlet_code(code, i + 1), names[i], int(households[i]), int(population[i]))
            for i in range(count)]  # fmt: skip


def _hamlet_values(code: str, hamlets: list[Hamlet], months: int) -> dict[str, tuple]:
    """indicator -> (numerator, denominator, value), each an (hamlets × months) float array."""
    rng = _rng(code, 2)
    n = len(hamlets)
    t = np.arange(months)[None, :]
    frac = t / max(months - 1, 1)
    hh = np.array([h.households for h in hamlets], dtype=float)[:, None]
    pop = np.array([h.population for h in hamlets], dtype=float)[:, None]
    base = {"households": hh, "adults": np.round(pop * 0.71), "citizens14": np.round(pop * 0.80),
            "people15": np.round(pop * 0.78), "population": pop,
            "businesses": np.maximum(3, np.round(hh * 0.07))}  # fmt: skip
    strength = rng.uniform(0.75, 1.1, (n, 1))
    nan = np.full((n, months), np.nan)
    out: dict[str, tuple] = {}

    def rate(start: float, end: float) -> np.ndarray:
        s = start * rng.uniform(0.85, 1.1, (n, 1))
        e = np.minimum(100.0, end * strength * rng.uniform(0.95, 1.05, (n, 1)))
        wobble = rng.uniform(0.3, 1.2, (n, 1))
        return np.clip(s + (e - s) * frac + rng.uniform(-1, 1, (n, months)) * wobble, 0, 100)

    for ind, (what, start, end) in _RATIOS.items():
        grow = np.cumsum(rng.integers(0, 3, (n, months)), axis=1)
        den = base[what] + grow - grow[:, :1]  # a few more households or people each month
        num = np.maximum.accumulate(np.round(den * rate(start, end) / 100), axis=1)  # stocks stay
        out[ind] = (np.minimum(num, den), den, nan)
    dossiers = np.maximum(8, np.round(pop / 110 * rng.uniform(0.8, 1.2, (n, months))))
    out["CQ_DVC_TOAN_TRINH"] = (np.round(dossiers * rate(55, 84) / 100), dossiers, nan)
    for ind in ("HT_PHU_SONG_5G", "NL_TO_CONG_NGHE_SO"):
        switch = rng.choice([0, 0, 1, 3, 6, 9, 14, 20, months + 1], (n, 1))
        out[ind] = ((t >= switch).astype(float) * np.ones((n, 1)), np.ones((n, months)), nan)
    phones = rng.integers(25, 71, (n, 1)) - np.cumsum(rng.integers(1, 5, (n, months)), axis=1)
    out["HT_MAY_2G"] = (nan, nan, np.maximum(0, phones).astype(float))
    out["TT_TIN_BAI"] = (nan, nan, rng.choice([0.0, 0, 0, 1], (n, months)))
    out["HT_AN_TOAN_THONG_TIN"] = (nan, nan, rng.choice([0.0, 0, 0, 0, 0, 1], (n, months)))
    shops = np.round(strength * (t + 1) / 4 + rng.random((n, months)))
    out["DN_THUONG_MAI_DIEN_TU"] = (nan, nan, np.minimum(base["businesses"], np.maximum.accumulate(shops, axis=1)))
    return out


def _commune_values(code: str, months: int) -> dict[str, tuple]:
    """indicator -> (numerator, denominator, value), each a (1 × months) float array."""
    rng = _rng(code, 3)
    t = np.arange(months)[None, :]
    frac = t / max(months - 1, 1)
    nan = np.full((1, months), np.nan)

    def ratio(den: np.ndarray, start: float, end: float) -> tuple:
        share = np.clip(start + (end - start) * frac + rng.uniform(-1.5, 1.5, (1, months)), 0, 100)
        return (np.round(den * share / 100), den.astype(float), nan)

    due = rng.integers(8, 21, (1, months)).astype(float)
    out = {
        "TC_VAN_BAN": (nan, nan, rng.choice([0.0, 1, 1, 2], (1, months))),
        "TC_NHIEM_VU_DUNG_HAN": (due - rng.binomial(due.astype(int), 0.15), due, nan),
        "NL_CBCC_KY_NANG_SO": ratio(np.full((1, months), rng.integers(30, 61)), 40, 96),
        "CQ_THANH_TOAN_TRUC_TUYEN": ratio(rng.integers(100, 141, (1, months)), 38, 62),
        "CQ_SO_HOA_HO_SO": ratio(rng.integers(360, 431, (1, months)), 84, 99),
        "CQ_HO_SO_DUNG_HAN": ratio(rng.integers(340, 411, (1, months)), 95, 99.5),
        "CQ_VAN_BAN_KY_SO": ratio(rng.integers(130, 171, (1, months)), 96, 100),
        "DN_NEN_TANG_SO": (nan, nan, 11.0 + np.round((t + 1) * 1.4)),
        "HTAC_CHUONG_TRINH": (nan, nan, rng.choice([0.0, 0, 1], (1, months))),
        "HTAC_SU_KIEN": (nan, nan, rng.choice([0.0, 1, 1, 2], (1, months))),
    }
    return out


def _grid(unit_codes: list[str], period_list: list[str], codes: list[str], values: dict[str, tuple]) -> pd.DataFrame:
    """Long rows in (unit, period, indicator) order, the ratio's value derived as the import does."""
    n, m, k = len(unit_codes), len(period_list), len(codes)
    num = np.stack([values[c][0] for c in codes], axis=-1).reshape(-1)
    den = np.stack([values[c][1] for c in codes], axis=-1).reshape(-1)
    val = np.stack([values[c][2] for c in codes], axis=-1).reshape(-1)
    ratio = np.tile(np.array([IS_RATIO[c] for c in codes]), n * m)
    with np.errstate(divide="ignore", invalid="ignore"):
        val = np.where(ratio, np.where(den > 0, 100 * num / den, np.nan), val)
    return pd.DataFrame({
        "u": np.repeat(np.arange(n), m * k),
        "t": np.tile(np.repeat(np.arange(m), k), n),
        "unit_code": np.repeat(np.array(unit_codes, dtype=object), m * k),
        "period": np.tile(np.repeat(np.array(period_list, dtype=object), k), n),
        "indicator_code": np.tile(np.array(codes, dtype=object), n * m),
        "numerator": num, "denominator": den, "value": val,
    })  # fmt: skip


def commune_data(size: Size, commune: dict) -> CommuneData:
    code = commune["code"]
    period_list = size.periods
    m = len(period_list)
    hamlets = _hamlets(code, size.hamlets)
    unit_codes = [h.code for h in hamlets] + [code]
    n = len(unit_codes)
    rows = pd.concat(
        [_grid(unit_codes[:-1], period_list, HAMLET_CODES, _hamlet_values(code, hamlets, m)),
         _grid([code], period_list, COMMUNE_CODES, _commune_values(code, m)).assign(u=n - 1)],
        ignore_index=True,
    )  # fmt: skip

    # what happens to each (unit, month) file
    rng = _rng(code, 4)
    is_commune = np.zeros((n, 1), dtype=bool)
    is_commune[-1] = True
    p_missing = np.where(is_commune, P_MISSING["commune"], P_MISSING["hamlet"])
    missing = rng.random((n, m)) < p_missing
    missing[:, -1] |= rng.random(n) < P_NOT_YET
    partial = (rng.random((n, m)) < P_PARTIAL) & ~missing
    p_late = rng.choice(LATENESS[0], (n, 1), p=LATENESS[1])
    late = rng.random((n, m)) < p_late
    month_start = np.array([np.datetime64(f"{p}-01T00:00:00", "s") for p in period_list])[None, :]
    day = np.where(late, rng.integers(18, 28, (n, m)), rng.integers(4, 18, (n, m)))  # day 19–28 / 5–18
    minutes = rng.integers(7 * 60, 17 * 60, (n, m))
    received = month_start + (day * 86400 + minutes * 60).astype("timedelta64[s]")
    received = np.minimum(received, _AS_OF)
    completion_at = received + (rng.integers(2, 10, (n, m)) * 86400).astype("timedelta64[s]")
    completed = partial & (rng.random((n, m)) < P_COMPLETED) & (completion_at < _AS_OF)
    correction_at = received + (rng.integers(1, 11, (n, m)) * 86400 + 3600).astype("timedelta64[s]")
    corrected = ~missing & (rng.random((n, m)) < P_CORRECTED) & (correction_at < _AS_OF)
    reverted_at = correction_at + np.timedelta64(86400, "s")
    reverted = corrected & (rng.random((n, m)) < P_REVERTED) & (reverted_at < _AS_OF)

    u, t = rows["u"].to_numpy(), rows["t"].to_numpy()
    in_first = rng.random(len(rows)) < 0.5
    first_row = np.r_[True, (u[1:] != u[:-1]) | (t[1:] != t[:-1])]  # each file's first row
    in_first |= first_row  # a partial file has at least one row
    kind = np.where(partial[u, t] & ~in_first, COMPLETION, FIRST)
    keep = ~missing[u, t] & ((kind == FIRST) | completed[u, t])
    base = rows[keep].assign(kind=kind[keep])

    # corrections: a few changed figures of the first file (only changed rows are stored)
    bu, bt = base["u"].to_numpy(), base["t"].to_numpy()
    first_of_file = np.r_[True, (bu[1:] != bu[:-1]) | (bt[1:] != bt[:-1])]
    change = corrected[bu, bt] & (base["kind"].to_numpy() == FIRST) & (first_of_file | (rng.random(len(base)) < 0.12))
    fixed = base[change].copy()
    ratio = fixed["numerator"].notna()
    bump = np.where(fixed["numerator"] < fixed["denominator"], 1.0, -1.0)
    fixed["numerator"] = np.where(ratio, fixed["numerator"] + bump, np.nan)
    fixed["value"] = np.where(
        ratio, 100 * fixed["numerator"] / fixed["denominator"].where(fixed["denominator"] > 0), fixed["value"] + 1
    )
    fixed["kind"] = CORRECTION
    rows = pd.concat([base, fixed], ignore_index=True)
    offset = int(code) * 10_000
    rows["batch_key"] = offset + (rows["u"] * m + rows["t"]) * 3 + rows["kind"]
    rows["source_row"] = rows.groupby("batch_key").cumcount() + 2

    # one batch per file
    counts = rows.groupby("batch_key").size()
    first_counts = base[base["kind"] == FIRST].groupby(["u", "t"]).size()
    keys = counts.index.to_numpy()
    local = keys - offset
    bk, cell = local % 3, local // 3
    bu2, bt2 = cell // m, cell % m
    created = np.where(bk == FIRST, received[bu2, bt2], np.where(bk == COMPLETION, completion_at[bu2, bt2],
                                                                 correction_at[bu2, bt2]))  # fmt: skip
    names = [unit_codes[a] + "_" + period_list[b] + KIND_SUFFIX[k] + ".csv" for a, b, k in zip(bu2, bt2, bk)]
    total = np.where(bk == CORRECTION, [first_counts.get((a, b), 0) for a, b in zip(bu2, bt2)], counts.to_numpy())
    changed = np.where(bk == CORRECTION, counts.to_numpy(), 0)
    batches = pd.DataFrame({
        "batch_key": keys,
        "unit_code": [unit_codes[a] for a in bu2],
        "period": [period_list[b] for b in bt2],
        "kind": bk,
        "file_name": names,
        "created_at": created,
        "rows_total": total,
        "rows_new": np.where(bk == CORRECTION, 0, counts.to_numpy()),
        "rows_changed": changed,
        "rows_unchanged": total - np.where(bk == CORRECTION, changed, counts.to_numpy()),
        "reverted_at": np.where((bk == CORRECTION) & reverted[bu2, bt2], reverted_at[bu2, bt2],
                                np.datetime64("NaT")),
    })  # fmt: skip
    late_file = batches["created_at"].to_numpy() > np.array(
        [np.datetime64(periods.deadline(p).isoformat(), "s") for p in batches["period"]]
    )
    batches["warnings"] = [
        f'["Số liệu {format.month(p)} nộp sau hạn {format.day(periods.deadline(p))}: ghi nhận là nộp muộn."]'
        if lt else "[]"
        for p, lt in zip(batches["period"], late_file)
    ]
    batches["sha256"] = [hashlib.sha256(f"{name}:{k}".encode()).hexdigest() for name, k in zip(names, keys)]
    columns = ["batch_key", "period", "unit_code", "indicator_code", "numerator", "denominator", "value",
               "source_row"]  # fmt: skip
    return CommuneData(code, commune["name"], commune.get("provinceCode"), hamlets, rows[columns], batches)


def iter_communes(size: Size) -> Iterator[CommuneData]:
    for commune in communes_of(size):
        yield commune_data(size, commune)


# --- units ------------------------------------------------------------------------------------
def unit_rows(size: Size, data: list[CommuneData] | None = None) -> list[dict]:
    """code, name, parent, level, households, population of every unit of the size."""
    out = []
    tops = {p["code"]: p for p in provinces_of(size)}
    totals: dict[str, list[int]] = {}
    for commune in communes_of(size):
        hamlets = _hamlets(commune["code"], size.hamlets)
        hh, pop = sum(h.households for h in hamlets), sum(h.population for h in hamlets)
        parent = commune["provinceCode"] if commune["provinceCode"] in tops else None
        out.append({"code": commune["code"], "name": commune["name"], "parent": parent, "level": "commune",
                    "households": hh, "population": pop})  # fmt: skip
        out += [{"code": h.code, "name": h.name, "parent": commune["code"], "level": "hamlet",
                 "households": h.households, "population": h.population} for h in hamlets]  # fmt: skip
        if parent:
            acc = totals.setdefault(parent, [0, 0])
            acc[0] += hh
            acc[1] += pop
    for code, p in tops.items():
        out.append({"code": code, "name": p["name"], "parent": None, "level": "city",
                    "households": totals[code][0], "population": totals[code][1]})  # fmt: skip
    return out


# --- files in the product's long import layout -------------------------------------------------
def _number(x: float) -> str:
    return "" if x is None or x != x else str(int(x))


def long_csv(rows: pd.DataFrame) -> bytes:
    """rows (period, unit_code, indicator_code, numerator, denominator, value) as a long CSV file."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LONG_HEADER)
    for r in rows[["period", "unit_code", "indicator_code", "numerator", "denominator", "value"]].itertuples(
        index=False
    ):
        ratio = IS_RATIO[r.indicator_code]
        writer.writerow([r.period, r.unit_code, r.indicator_code, _number(r.numerator) if ratio else "",
                         _number(r.denominator) if ratio else "", "" if ratio else _number(r.value), ""])  # fmt: skip
    return out.getvalue().encode("utf-8")


def batch_files(data: CommuneData) -> Iterator[tuple[str, bytes, np.datetime64, np.datetime64]]:
    """Every file the commune's units sent, as (name, bytes, received_at, reverted_at)."""
    groups = dict(tuple(data.rows.groupby("batch_key", sort=False)))
    for b in data.batches.itertuples(index=False):
        yield b.file_name, long_csv(groups[b.batch_key]), b.created_at, b.reverted_at
