"""The commune's clock: every date and time the product decides with or shows is Vietnam's local
time (Asia/Ho_Chi_Minh, UTC+7, no daylight saving), whatever time zone the server runs in.

Times are stored as naive timestamps in that local time, as they always were on a server set to
Vietnam's time; a server on UTC would otherwise count a file sent at 01:00 on the 19th as on time.
Nothing else in the product calls `datetime.now()` or `date.today()` (a test reads the source).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

COMMUNE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def now() -> datetime:
    """The commune's local time now, naive (as stored)."""
    return datetime.now(COMMUNE_TZ).replace(tzinfo=None)


def today() -> date:
    """The commune's date today."""
    return now().date()


def local(moment: datetime) -> datetime:
    """`moment` as the commune's naive local time: an aware time is converted, a naive one is taken
    to be local already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(COMMUNE_TZ).replace(tzinfo=None)


def parse_moment(text: str) -> datetime:
    """An ISO date or date-time as the commune's naive local time. With an offset
    (`2026-03-20T10:00+07:00`, `…Z`) it is exact anywhere; without one it is local time; a date alone
    means the end of that day. Raises ValueError with a Vietnamese message."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, 23, 59, 59, 999999)
        return local(datetime.fromisoformat(raw.replace("Z", "+00:00")))
    except ValueError:
        raise ValueError(
            f"Thời điểm “{text}” không hợp lệ: ghi theo dạng 2026-03-20T10:00 (giờ Việt Nam) "
            "hoặc 2026-03-20T10:00+07:00."
        ) from None

