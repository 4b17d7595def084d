"""The commune's clock: the same verdicts whatever the server's time zone."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from indicators.domain import clock, periods

ROOT = Path(__file__).resolve().parent.parent

# In a child process with the server's zone set by TZ: the commune's time now, the server's naive
# time now, and whether a file received "now" (by the product's clock) for each month is on time.
_CHILD = """
import json
from datetime import datetime
from indicators.domain import clock, periods
now = clock.now()
print(json.dumps({
    "commune": now.isoformat(),
    "server": datetime.now().isoformat(),
    "late": {p: now > periods.deadline(p) for p in ("2026-11", "2026-12", "2027-01")},
}))
"""


def _child(tz: str) -> dict:
    env = {**os.environ, "TZ": tz}
    out = subprocess.run([sys.executable, "-c", _CHILD], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_commune_clock_is_the_same_under_any_server_time_zone():
    utc, hanoi, la = _child("UTC"), _child("Asia/Ho_Chi_Minh"), _child("America/Los_Angeles")
    times = [datetime.fromisoformat(r["commune"]) for r in (utc, hanoi, la)]
    assert max(times) - min(times) < timedelta(minutes=1)
    assert utc["late"] == hanoi["late"] == la["late"]
    # the server's own naive time is 7 hours off on a UTC server: what the product no longer uses
    assert abs(datetime.fromisoformat(utc["server"]) - times[0] + timedelta(hours=7)) < timedelta(minutes=1)


def test_the_commune_clock_is_vietnam_time():
    expected = datetime.now(UTC) + timedelta(hours=7)
    assert abs(clock.now() - expected.replace(tzinfo=None)) < timedelta(minutes=1)
    assert clock.today() == clock.now().date()


def test_a_file_sent_at_one_in_the_morning_of_the_19th_vietnam_time_is_late():
    sent = datetime(2026, 3, 18, 18, 0, tzinfo=UTC)  # 01:00 on the 19th in Vietnam
    assert clock.local(sent) == datetime(2026, 3, 19, 1, 0)
    assert clock.local(sent) > periods.deadline("2026-03")  # March figures are due on the 18th
    assert clock.local(datetime(2026, 3, 18, 16, 59, tzinfo=UTC)) <= periods.deadline("2026-03")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-20T10:00+07:00", datetime(2026, 3, 20, 10, 0)),
        ("2026-03-20T03:00Z", datetime(2026, 3, 20, 10, 0)),
        ("2026-03-20T10:00", datetime(2026, 3, 20, 10, 0)),
        ("2026-03-20", datetime(2026, 3, 20, 23, 59, 59, 999999)),
    ],
)
def test_moments_are_read_as_the_commune_local_time(text, expected):
    assert clock.parse_moment(text) == expected


def test_a_bad_moment_says_how_to_write_it():
    with pytest.raises(ValueError, match="2026-03-20T10:00"):
        clock.parse_moment("20/3/2026 10h")


def test_nothing_but_the_clock_reads_the_server_time():
    """`datetime.now()` and `date.today()` give the server's zone; the product asks `clock`."""
    found = []
    for folder in ("indicators", "pages"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "clock.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"now", "today", "utcnow"}
                    and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "clock")
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
