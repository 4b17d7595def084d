"""Login under attack: parallel tries of one name, many names, long names, a stranger's address.

The race is run for real: threads released together against one store (and, on PostgreSQL,
processes against one database), counting how many tries reach the password hash.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from indicators.domain import accounts
from indicators.domain.accounts import UserForm
from indicators.storage import Store
from tests import support
from tests.support import ADMIN
from tests.test_faults import _run_threads

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "mat-khau-du-dai"
AT = datetime(2026, 11, 27, 9, 0)
STRANGER, OFFICE = "198.51.100.7", "203.0.113.9"


def _add(store, name="nguyenvana"):
    store.add_user(UserForm(name=name, role="quan_tri"), accounts.hash_password(PASSWORD), ADMIN)


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """The passwords that reached the hash, one entry per check."""
    seen: list[str] = []
    real = accounts.verify_password

    def counted(password_hash, password):
        seen.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counted)
    return seen


@pytest.fixture
def no_check_limit(monkeypatch):
    """Only the throttle decides (the per-process limit of checks at once is tested on its own)."""
    monkeypatch.setattr(accounts, "_checks", threading.BoundedSemaphore(1000), raising=False)


def _attempt_rows(store, name: str) -> int:
    with store.cursor() as cur:
        return cur.execute("SELECT count(*) FROM login_attempts WHERE name = ?", [name]).fetchone()[0]


@pytest.mark.parametrize("name", ["nguyenvana", "khong-co-tai-khoan-nay"])
def test_24_simultaneous_wrong_passwords_reach_the_hash_only_as_often_as_allowed(
    store, hashes, no_check_limit, name
):
    """Known and unknown names alike: counting and recording the attempt is one step, so the 24
    tries see each other and only FREE_FAILURES of them are checked; the rest are told to wait."""
    _add(store)
    results = _run_threads(lambda i: accounts.authenticate(store, name, f"sai-mat-khau-{i}", AT),
                           [(i,) for i in range(24)])  # fmt: skip
    assert len(hashes) == accounts.FREE_FAILURES
    waited = [r for r in results if "thử lại sau" in r.message]
    assert len(waited) == 24 - accounts.FREE_FAILURES and all(r.actor is None for r in results)
    assert _attempt_rows(store, name) == accounts.FREE_FAILURES
    # the right password waits too, then gets in
    assert accounts.authenticate(store, "nguyenvana" if name == "nguyenvana" else name, PASSWORD, AT).actor is None
    later = AT + accounts.wait_after(accounts.FREE_FAILURES) + timedelta(seconds=1)
    if name == "nguyenvana":
        assert accounts.authenticate(store, name, PASSWORD, later).actor is not None


def test_only_a_few_password_checks_run_at_once_the_rest_are_told_the_system_is_busy(store, monkeypatch):
    """Each check takes ~64 MiB: beyond MAX_CHECKS at once in a process, a try is turned away
    before any hash and before it counts as an attempt."""
    inside = threading.Semaphore(0)
    go_on = threading.Event()
    checks: list[str] = []

    def slow(password_hash, password):
        checks.append(password)
        inside.release()
        go_on.wait(timeout=120)
        return False

    monkeypatch.setattr(accounts, "verify_password", slow)
    tries = 8
    results: list = [None] * tries
    finished = threading.Semaphore(0)

    def work(i: int) -> None:
        results[i] = accounts.authenticate(store, f"ten-{i}", "sai-mat-khau", AT)
        finished.release()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(tries)]
    for thread in threads:
        thread.start()
    for _ in range(accounts.MAX_CHECKS):  # that many are checking, and hold on
        assert inside.acquire(timeout=120)
    for _ in range(tries - accounts.MAX_CHECKS):  # every other try has its answer already
        assert finished.acquire(timeout=120)
    busy = [r for r in results if r is not None and r.message == accounts.BUSY]
    assert len(busy) == tries - accounts.MAX_CHECKS and len(checks) == accounts.MAX_CHECKS
    go_on.set()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(r.message == accounts.BUSY for r in results) == tries - accounts.MAX_CHECKS
    with store.cursor() as cur:  # a try turned away is not an attempt
        assert cur.execute("SELECT count(*) FROM login_attempts").fetchone()[0] == accounts.MAX_CHECKS


def test_names_longer_than_any_account_are_refused_before_hashing_or_recording(store, hashes):
    long_name = "a" * (accounts.MAX_NAME + 1)
    result = accounts.authenticate(store, long_name, PASSWORD, AT)
    assert result.actor is None and result.message == accounts.WRONG_LOGIN
    huge_password = accounts.authenticate(store, "nguyenvana", "x" * 1_000_000, AT)
    assert huge_password.actor is None
    assert hashes == [] and _attempt_rows(store, long_name) == 0 and _attempt_rows(store, "nguyenvana") == 0


def test_a_stranger_cannot_lock_the_admin_out_from_elsewhere(store, hashes):
    """Throttling is by name and address: the stranger waits, the office still logs in."""
    _add(store, "quantri")
    for _ in range(accounts.FREE_FAILURES + 2):
        accounts.authenticate(store, "quantri", "doan-mo", AT, client=STRANGER)
    at = AT + timedelta(seconds=1)
    assert "thử lại sau" in accounts.authenticate(store, "quantri", PASSWORD, at, client=STRANGER).message
    assert accounts.authenticate(store, "quantri", PASSWORD, at, client=OFFICE).actor is not None


def test_one_address_trying_many_names_is_slowed_down_too(store, hashes, no_check_limit):
    for i in range(accounts.CLIENT_FREE_FAILURES):
        result = accounts.authenticate(store, f"ten-{i:03d}", "doan-mo", AT + timedelta(seconds=i), client=STRANGER)
        assert "thử lại sau" not in result.message
    at = AT + timedelta(seconds=accounts.CLIENT_FREE_FAILURES)
    assert "thử lại sau" in accounts.authenticate(store, "ten-moi", "doan-mo", at, client=STRANGER).message
    assert len(hashes) == accounts.CLIENT_FREE_FAILURES
    # another address is not held up by it
    assert "thử lại sau" not in accounts.authenticate(store, "ten-moi", "doan-mo", at, client=OFFICE).message


def test_an_office_s_successful_logins_do_not_count_against_its_address(store):
    """A commune office behind one address: its staff's logins in an hour are not failures."""
    _add(store, "quantri")
    for i in range(accounts.CLIENT_FREE_FAILURES + 5):
        assert accounts.authenticate(store, "quantri", PASSWORD, AT + timedelta(seconds=i), client=OFFICE).actor
    at = AT + timedelta(minutes=1)
    assert "thử lại sau" not in accounts.authenticate(store, "ai-do", "sai-mat-khau", at, client=OFFICE).message


def test_old_attempts_are_pruned(store):
    accounts.authenticate(store, "nguyenvana", "sai-mat-khau", AT - timedelta(days=2), client=STRANGER)
    accounts.authenticate(store, "khac", "sai-mat-khau", AT - timedelta(days=2, hours=-1), client=STRANGER)
    assert _attempt_rows(store, "nguyenvana") == 1 and _attempt_rows(store, "khac") == 1
    accounts.authenticate(store, "gan-day", "sai-mat-khau", AT - timedelta(hours=2), client=OFFICE)
    accounts.authenticate(store, "thu-ba", "sai-mat-khau", AT, client=OFFICE)
    assert _attempt_rows(store, "nguyenvana") == 0 and _attempt_rows(store, "khac") == 0  # older than a day
    assert _attempt_rows(store, "gan-day") == 1 and _attempt_rows(store, "thu-ba") == 1


def test_the_client_address_is_the_proxy_s_header_only_behind_a_local_proxy():
    headers = {"X-Real-IP": "203.0.113.9", "X-Forwarded-For": "10.0.0.1, 203.0.113.9"}
    assert accounts.client_address(None, headers) == "203.0.113.9"  # nginx on this machine said so
    assert accounts.client_address(None, {"X-Forwarded-For": "1.2.3.4, 203.0.113.9"}) == "203.0.113.9"
    # a client reaching the app directly cannot choose its address by writing headers
    assert accounts.client_address("198.51.100.7", headers) == "198.51.100.7"
    assert accounts.client_address(None, {"X-Real-IP": "không phải địa chỉ"}) == ""
    assert accounts.client_address(None, None) == ""


RACER = """
import sys, threading
from datetime import datetime
from indicators.domain import accounts
from indicators.storage import Store
store = Store(sys.argv[1])
accounts._checks = threading.BoundedSemaphore(1000)
real, seen = accounts.verify_password, []
def counted(h, p):
    seen.append(p)
    return real(h, p)
accounts.verify_password = counted
barrier = threading.Barrier(8)
def work(i):
    barrier.wait()
    accounts.authenticate(store, "quantri", f"sai-{i}", datetime(2026, 11, 27, 9, 0), client="198.51.100.7")
threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
input()  # every process waits for the test's go
[t.start() for t in threads]
[t.join() for t in threads]
print(len(seen), flush=True)
store.close()
"""


def test_three_processes_on_one_postgresql_database_share_one_throttle():
    """A city's app servers: the count and the record are one step across processes (the write
    lock is PostgreSQL's advisory lock). A DuckDB file has one writing process (its own lock)."""
    url = support.new_postgres_database()
    try:
        store = Store(url)
        _add(store, "quantri")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        procs = [subprocess.Popen([sys.executable, "-c", RACER, url], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
                 for _ in range(3)]
        try:
            results = [p.communicate("\n", timeout=300) for p in procs]
        finally:
            for p in procs:
                p.kill()
        for p, (_, err) in zip(procs, results):
            assert p.returncode == 0, err
        # the last line: DuckDB may print a progress bar before it on a slow query
        assert sum(int(out.split()[-1]) for out, _ in results) == accounts.FREE_FAILURES
        assert _attempt_rows(store, "quantri") == accounts.FREE_FAILURES
        store.close()
    finally:
        support.drop_postgres_database(url)
