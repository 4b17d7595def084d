"""Deterministic, realistic demo data for xã Bình Giang: clearly marked, removable in one command.

Every figure goes through the real import (one CSV per unit and month), so the demo has batches,
late and missing submissions, corrections and warnings exactly as real use would.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from indicators.domain import clock, periods
from indicators.domain.accounts import Actor, UserForm, hash_password, require
from indicators.domain.tasks import on_time_ratio
from indicators.domain.units import OrgUnit
from indicators.ingest import import_file
from indicators.storage import DEMO_AUTHOR, Store

# The demo's data is written by this actor, so that `remove_demo` finds all of it
DEMO_ACTOR = Actor("dữ-liệu-mẫu", "quan_tri", kind="system", display_name=DEMO_AUTHOR)
# Accounts to try each role with; removed with the demo (`demo --remove`)
DEMO_PASSWORD = "demo-binhgiang"
DEMO_ACCOUNTS = [
    UserForm(name="quantri", display_name="Quản trị (mẫu)", role="quan_tri"),
    UserForm(name="lanhdao", display_name="Lãnh đạo xã (mẫu)", role="lanh_dao"),
    UserForm(name="canbo", display_name="Cán bộ văn hóa – xã hội (mẫu)", role="can_bo", units=("10966",)),
    UserForm(name="thon-cay", display_name="Trưởng thôn Cậy (mẫu)", role="can_bo", units=("BG01",)),
]
COMMUNE = OrgUnit(
    code="10966", name="Bình Giang", level="commune", households=10020, population=32925
)
# Hamlet names from public sources (Cậy … Bì Đổ) and invented ones: demo data, not the official list.
HAMLETS = [
    ("BG01", "Cậy", 820), ("BG02", "Bá Thủy", 640), ("BG03", "Bá Hợp", 590),
    ("BG04", "Cam Xá", 760), ("BG05", "Hạ Bì", 700), ("BG06", "Ô Xuyên", 510),
    ("BG07", "Bì Đổ", 680), ("BG08", "Long Xuyên", 900), ("BG09", "Tân Việt", 850),
    ("BG10", "Hồng Khê", 730), ("BG11", "Cổ Bì", 620), ("BG12", "Vĩnh Hồng", 1100),
    ("BG13", "Phú Khê", 540), ("BG14", "An Cường", 630),
]  # fmt: skip


def demo_units() -> list[OrgUnit]:
    hamlets = [
        OrgUnit(code=code, name=name, parent=COMMUNE.code, level="hamlet", households=households,
                population=round(households * 3.25))
        for code, name, households in HAMLETS
    ]  # fmt: skip
    return [COMMUNE, *hamlets]


def _curve(rng: random.Random, start: float, end: float) -> Callable[[int], float]:
    """A monthly path from `start` (January) to `end` (December) with a little noise."""
    wobble = rng.uniform(0.3, 1.2)

    def at(month: int) -> float:
        base = start + (end - start) * (month - 1) / 11
        return base + rng.uniform(-wobble, wobble)

    return at


class _Hamlet:
    """One hamlet's underlying population and its pace on each indicator."""

    def __init__(self, unit: OrgUnit, rng: random.Random, strength: float):
        self.unit = unit
        self.rng = rng
        households = unit.households or 600
        population = unit.population or households * 3
        self.base = {
            "households": households,
            "adults": round(population * 0.71),
            "citizens14": round(population * 0.80),
            "people15": round(population * 0.78),
            "population": population,
            "businesses": max(12, round(households * 0.07)),
        }
        self.strength = strength  # 0.75 (lagging) … 1.1 (leading)
        self.paths: dict[str, Callable[[int], float]] = {}
        self.switch_month = {
            "HT_PHU_SONG_5G": rng.choice([1, 1, 2, 4, 6, 9, 13]),
            "NL_TO_CONG_NGHE_SO": rng.choice([1, 1, 1, 3, 5, 13]),
        }
        self.phones_2g = rng.randint(25, 70)
        self.reached: dict[str, int] = {}

    def rate(self, code: str, start: float, end: float, month: int) -> float:
        if code not in self.paths:
            s = start * self.rng.uniform(0.85, 1.1)
            e = min(100.0, end * self.strength * self.rng.uniform(0.95, 1.05))
            self.paths[code] = _curve(self.rng, s, e)
        return max(0.0, min(100.0, self.paths[code](month)))


# (denominator base, January rate %, December rate %) for the hamlet ratios
HAMLET_RATIOS = {
    "TT_HO_DUOC_HUONG_DAN": ("households", 55, 98),
    "HT_CAP_QUANG": ("households", 78, 96),
    "HT_DIEN_THOAI_THONG_MINH": ("adults", 80, 95),
    "NL_BINH_DAN_HOC_VU_SO": ("adults", 8, 52),
    "CQ_VNEID_MUC_2": ("citizens14", 70, 92),
    "CQ_CHU_KY_SO": ("adults", 22, 55),
    "CQ_SO_SUC_KHOE": ("population", 40, 82),
    "DN_TAI_KHOAN_THANH_TOAN": ("people15", 68, 84),
    "DN_KHONG_TIEN_MAT": ("businesses", 45, 82),
}


def _hamlet_rows(h: _Hamlet, month: int) -> list[tuple[str, float | None, float | None, float | None]]:
    rng = h.rng
    rows = []
    for code, (base, start, end) in HAMLET_RATIOS.items():
        den = h.base[base] + (month - 1) * rng.randint(0, 2)
        # these are stocks: what was reached stays reached
        num = max(round(den * h.rate(code, start, end, month) / 100), h.reached.get(code, 0))
        h.reached[code] = num = min(num, den)
        rows.append((code, num, den, None))
    # fully-online dossiers: a monthly flow of dossiers, the share grows
    dossiers = max(8, round(h.base["population"] / 110 * rng.uniform(0.8, 1.2)))
    online = round(dossiers * h.rate("CQ_DVC_TOAN_TRINH", 55, 84, month) / 100)
    rows.append(("CQ_DVC_TOAN_TRINH", online, dossiers, None))
    for code, first in h.switch_month.items():
        rows.append((code, 1 if month >= first else 0, 1, None))
    h.phones_2g = max(0, h.phones_2g - rng.randint(1, 6))
    rows.append(("HT_MAY_2G", None, None, h.phones_2g))
    rows.append(("TT_TIN_BAI", None, None, rng.choice([0, 0, 0, 1])))
    rows.append(("HT_AN_TOAN_THONG_TIN", None, None, rng.choice([0, 0, 0, 0, 0, 1])))
    shops = min(4, round(h.strength * month / 4 + rng.random()))
    rows.append(("DN_THUONG_MAI_DIEN_TU", None, None, shops))
    return rows


def _commune_rows(rng: random.Random, month: int, tasks_done: int, tasks_due: int) -> list[tuple]:
    def ratio(code: str, den: int, start: float, end: float) -> tuple:
        share = start + (end - start) * (month - 1) / 11 + rng.uniform(-1.5, 1.5)
        return (code, round(den * max(0, min(100, share)) / 100), den, None)

    return [
        ("TC_VAN_BAN", None, None, rng.choice([0, 1, 1, 2])),
        ("TC_NHIEM_VU_DUNG_HAN", tasks_done, tasks_due, None),
        ratio("NL_CBCC_KY_NANG_SO", 46, 40, 96),
        ratio("CQ_THANH_TOAN_TRUC_TUYEN", rng.randint(100, 140), 38, 62),
        ratio("CQ_SO_HOA_HO_SO", rng.randint(360, 430), 84, 99),
        ratio("CQ_HO_SO_DUNG_HAN", rng.randint(340, 410), 95, 99.5),
        ratio("CQ_VAN_BAN_KY_SO", rng.randint(130, 170), 96, 100),
        ("DN_NEN_TANG_SO", None, None, 11 + round(month * 1.4)),
        ("HTAC_CHUONG_TRINH", None, None, rng.choice([0, 0, 1])),
        ("HTAC_SU_KIEN", None, None, rng.choice([0, 1, 1, 2])),
    ]


def _csv(period: str, unit: OrgUnit, rows: list[tuple]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ky_bao_cao", "don_vi", "ma_chi_tieu", "tu_so", "mau_so", "gia_tri", "ghi_chu"])
    for code, num, den, value in rows:
        writer.writerow([period, unit.code, code, *("" if v is None else int(v) for v in (num, den, value)), ""])
    return out.getvalue().encode("utf-8")


def load_demo(store: Store, actor: Actor, today: date | None = None, seed: int = 57) -> dict[str, int]:
    """Load the demo: units, accounts, then every month from January 2026 to the latest closed month."""
    require(actor, "manage_demo")
    today = today or clock.today()
    deadline_day = store.settings().deadline_day
    last = periods.latest_closed_period(today, deadline_day)
    rng = random.Random(seed)
    units = demo_units()
    store.save_units(units, DEMO_ACTOR, is_demo=True)
    demo_password = hash_password(DEMO_PASSWORD)
    for account in DEMO_ACCOUNTS:
        if store.user(account.name) is None:
            store.add_user(account, demo_password, DEMO_ACTOR, is_demo=True)
    # the signer of the commune's plan (public document); the admin changes it in the report page
    settings = store.settings()
    if not settings.signer_name:
        store.save_settings(settings.model_copy(update={"signer_name": "Vũ Đăng Chương"}), DEMO_ACTOR)
    strengths = [1.08, 1.05, 0.98, 1.02, 0.8, 1.0, 0.95, 1.1, 0.9, 0.85, 1.03, 0.97, 0.76, 1.0]
    hamlets = [_Hamlet(u, random.Random(seed * 100 + i), s) for i, (u, s) in
               enumerate(zip(units[1:], strengths))]  # fmt: skip
    counts = {"batches": 0, "rows": 0}
    months = periods.months_between("2026-01", last) if last >= "2026-01" else []
    latest = datetime.combine(today, datetime.min.time())  # nothing arrives after today began
    _demo_tasks(store, rng, today, months)
    tasks, notes = store.tasks(), store.task_notes()
    for period in months:
        month = periods.month_number(period)
        start = datetime(int(period[:4]), month, 8, 8, 0)
        for i, hamlet in enumerate(hamlets):
            rows = _hamlet_rows(hamlet, month)
            # a few hamlets are habitually late; one misses October; one forgets half in a month
            if hamlet.unit.code == "BG13" and month == 10:
                continue
            if hamlet.unit.code == "BG06" and month == 7:
                rows = rows[: len(rows) // 2]
            late = hamlet.unit.code in {"BG05", "BG13"} and month % 3 != 1
            day_offset = rng.randint(11, 16) if late else rng.randint(0, 9)
            received = min(start + timedelta(days=day_offset, hours=rng.randint(0, 8), minutes=i), latest)
            counts["batches"] += _load(store, f"{hamlet.unit.code}_{period}.csv", period,
                                       hamlet.unit, rows, received, counts)  # fmt: skip
            # an occasional correction a few days later
            if rng.random() < 0.06:
                fixed = [(c, n + 1 if n is not None and d is not None and n < d else n, d, v)
                         for c, n, d, v in rows]  # fmt: skip
                counts["batches"] += _load(store, f"{hamlet.unit.code}_{period}_sua.csv", period, hamlet.unit,
                                           fixed, min(received + timedelta(days=3), latest), counts)  # fmt: skip
        received = min(start + timedelta(days=rng.randint(5, 10)), latest)
        done, due = on_time_ratio(tasks, notes, period)
        counts["batches"] += _load(store, f"xa_{period}.csv", period, COMMUNE,
                                   _commune_rows(rng, month, done, due), received, counts)  # fmt: skip
    return counts


def _demo_tasks(store: Store, rng: random.Random, today: date, months: list[str]) -> None:
    """Progress on the plan's tasks: most done on time, some late or overdue, one cancelled."""
    changed = []
    for task in store.tasks():
        update: dict = {}
        if task.code == "NV5.6":
            update = {"status": "cancelled",
                      "cancel_reason": "Thành phố triển khai nền tảng dùng chung; xã không đầu tư riêng."}  # fmt: skip
        elif task.recurring:
            update = {"status": "in_progress"}
        elif task.deadline and task.deadline < today:
            roll = rng.random()
            if roll < 0.75:
                update = {"status": "done", "done_on": task.deadline - timedelta(days=rng.randint(0, 20))}
            elif roll < 0.87 and task.deadline + timedelta(days=25) < today:
                update = {"status": "done", "done_on": task.deadline + timedelta(days=rng.randint(5, 25))}
            else:
                update = {"status": "in_progress"}
        elif rng.random() < 0.6:
            update = {"status": "in_progress"}
        if update:
            changed.append(task.model_copy(update=update))
    store.save_tasks(changed, DEMO_ACTOR)
    for task in store.tasks():
        if not task.recurring or task.status == "cancelled":
            continue
        for period in months:
            if rng.random() < 0.08:
                continue  # a month without a progress note
            due = task.due_in(period)
            day = due + timedelta(days=rng.randint(-8, 0) if rng.random() < 0.85 else rng.randint(1, 5))
            note = rng.choice(["Đã triển khai theo kế hoạch tháng.", "Hoàn thành nội dung tháng, báo cáo kèm theo.",
                               "Đang thực hiện, một số thôn còn chậm.", "Đã tổ chức, kết quả đạt yêu cầu."])  # fmt: skip
            if day > today:
                continue
            store.add_task_note(task.code, period, note, DEMO_ACTOR, at=datetime.combine(day, datetime.min.time()).replace(hour=9))


def _load(store, name, period, unit, rows, received, counts) -> int:
    report = import_file(store, name, _csv(period, unit, rows), DEMO_ACTOR, now=received, is_demo=True)
    if report.status == "rejected":  # a bug in the generator, not a user error
        raise RuntimeError(report.issues_frame().to_string())
    counts["rows"] += report.count("new") + report.count("changed")
    return int(report.status == "imported")



# --- the city demo: Hải Phòng's 114 communes and wards -------------------------------------------

CITY = OrgUnit(code="31", name="Hải Phòng", level="city")  # the official province code
ADMIN_UNITS = Path(__file__).parent.parent / "data" / "admin_units" / "communes.csv"
_KIND_PREFIX = {"commune": "", "ward": "Phường ", "special_zone": "Đặc khu "}


def city_units(seed: int = 57, limit: int | None = None) -> list[OrgUnit]:
    """The city, its communes, wards and special zones (official codes and names from the 2025 list;
    the first `limit` by code, Bình Giang always among them), and invented hamlets (thôn, or tổ
    dân phố in wards) of uneven size: 6 to 16 per commune."""
    with open(ADMIN_UNITS, encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["provinceCode"] == CITY.code]
    if limit is not None:
        rows = sorted(rows, key=lambda r: (r["code"] != COMMUNE.code, r["code"]))[:limit]
    units = [CITY]
    for row in rows:
        rng = random.Random(seed * 1000 + int(row["code"]))
        name = _KIND_PREFIX.get(row["type"], "") + row["name"]
        hamlets = []
        for i in range(1, rng.randint(6, 16) + 1):
            households = int(rng.lognormvariate(6.4, 0.45))
            hamlet = f"Tổ dân phố {i}" if row["type"] == "ward" else f"Thôn {i}"
            hamlets.append(OrgUnit(code=f"{row['code']}-{i:02d}", name=hamlet, parent=row["code"], level="hamlet",
                                   households=households, population=round(households * rng.uniform(2.9, 3.6))))  # fmt: skip
        units.append(OrgUnit(code=row["code"], name=name, parent=CITY.code, level="commune",
                             households=sum(h.households for h in hamlets),
                             population=sum(h.population for h in hamlets)))  # fmt: skip
        units += hamlets
    return units


def load_city_demo(store: Store, actor: Actor, today: date | None = None, seed: int = 57,
                   limit: int | None = None) -> dict[str, int]:  # fmt: skip
    """The city demo: every commune of Hải Phòng with its hamlets' figures since January.

    A commune already in the store (Bình Giang from `load_demo`) keeps its own units and figures
    and is only placed under the city. The other communes' figures are written one batch per
    commune and month, straight to the store: 1.300 files through the importer would take
    minutes, and these rows are made by this code, not typed by a person.
    """
    require(actor, "manage_demo")
    today = today or clock.today()
    last = periods.latest_closed_period(today, store.settings().deadline_day)
    months = periods.months_between("2026-01", last) if last >= "2026-01" else []
    existing = {u.code: u for u in store.units()}
    units = city_units(seed, limit)
    kept = {u.code for u in units if u.level == "commune" and u.code in existing}
    new_units = [u for u in units if u.code not in existing and u.parent not in kept]
    moved = [existing[code].model_copy(update={"parent": CITY.code}) for code in kept]
    store.save_units([*new_units, *moved], DEMO_ACTOR, is_demo=True)
    counts = {"communes": sum(u.level == "commune" for u in units), "batches": 0, "rows": 0}
    hamlets_of: dict[str, list[OrgUnit]] = {}
    for unit in new_units:
        if unit.level == "hamlet":
            hamlets_of.setdefault(unit.parent, []).append(unit)
    latest = datetime.combine(today, datetime.min.time())
    for commune in (u for u in new_units if u.level == "commune"):
        rng = random.Random(seed * 7919 + int(commune.code))
        pace = rng.uniform(0.78, 1.1)
        hamlets = [_Hamlet(h, random.Random(rng.random()), pace * rng.uniform(0.9, 1.05)) for h in hamlets_of[commune.code]]
        habitually_late = rng.random() < 0.15
        for period in months:
            month = periods.month_number(period)
            if rng.random() < 0.03:
                continue  # a month this commune did not report
            rows = [(h.unit.code, *row) for h in hamlets for row in _hamlet_rows(h, month)]
            due = rng.randint(3, 8)
            rows += [(commune.code, *row) for row in _commune_rows(rng, month, rng.randint(due - 2, due), due)]
            day = rng.randint(12, 25) if habitually_late else rng.randint(5, 17)
            received = min(datetime(int(period[:4]), month, day, 9, 0), latest)
            counts["rows"] += _write_batch(store, f"{commune.code}_{period}.csv", period, rows, received)
            counts["batches"] += 1
    return counts


def _write_batch(store: Store, name: str, period: str, rows: list[tuple], received: datetime) -> int:
    import hashlib

    import pandas as pd

    from indicators.domain.models import SubmissionRow

    checked = [SubmissionRow(period=period, unit_code=unit, indicator_code=code, numerator=num, denominator=den,
                             value=value) for unit, code, num, den, value in rows]  # fmt: skip
    frame = pd.DataFrame([r.model_dump() for r in checked])
    frame["received_at"] = received
    frame["source_row"] = range(2, len(frame) + 2)
    batch = {
        "file_name": name, "sha256": hashlib.sha256(frame.to_csv().encode()).hexdigest(),
        "created_at": received, "periods": [period], "rows_total": len(frame), "rows_new": len(frame),
        "rows_changed": 0, "rows_unchanged": 0, "warnings": [], "outcome": "imported", "is_demo": True,
    }  # fmt: skip
    store.insert_batch(batch, frame, DEMO_ACTOR)
    return len(frame)
