"""A write the database refuses (a full disk) never blanks a page: bookkeeping is best effort, every
other write says in Vietnamese what was not saved, and nothing is half written.

The fault is made where a full disk shows: the database refuses the COMMIT of a write transaction
(DuckDB writes its log then; PostgreSQL its WAL), with the error DuckDB raises.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from indicators.domain import accounts, clock
from indicators.domain.settings import Settings
from indicators.storage import StoreError, open_store
from indicators.storage.connection import Connection
from tests import support
from tests.conftest import APRIL_10, long_csv
from tests.support import ADMIN, demo_db

DISK_FULL = "Could not write all bytes to file: No space left on device"


class _FullDisk:
    """A cursor whose COMMIT fails as on a full disk; everything else goes through."""

    def __init__(self, cur):
        self._cur = cur

    def execute(self, sql, *args, **kwargs):
        if isinstance(sql, str) and sql.strip().upper() == "COMMIT":
            raise duckdb.IOException(DISK_FULL)
        return self._cur.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._cur, name)


@pytest.fixture
def full_disk(monkeypatch):
    """Call it to make every later write transaction fail at its commit."""
    real = Connection.cursor

    def turn_on():
        @contextmanager
        def failing(self):
            with real(self) as cur:
                yield _FullDisk(cur)

        monkeypatch.setattr(Connection, "cursor", failing)

    return turn_on


def test_every_refused_write_says_what_was_not_saved_and_writes_nothing(store, full_disk):
    task = store.tasks()[0]
    before = store.content_snapshot()
    full_disk()
    writes = {
        "sổ nhiệm vụ": lambda: store.save_tasks([task.model_copy(update={"person": "Người mới"})], ADMIN),
        "ghi chú tiến độ": lambda: store.add_task_note(task.code, "2026-03", "Đã làm", ADMIN),
        "cài đặt": lambda: store.save_settings(Settings(deadline_day=15), ADMIN),
        "lô số liệu": lambda: support_import(store),
    }
    for what, write in writes.items():
        with pytest.raises(StoreError) as refused:
            write()
        assert f"Chưa lưu được {what}" in str(refused.value) and "ổ đĩa" in str(refused.value)
        assert "Traceback" not in str(refused.value)
    assert store.content_snapshot() == before


def support_import(store):
    from indicators.ingest import import_file

    text = long_csv([("2026-03", "BG01", "TT_TIN_BAI", None, None, 3, "")])
    return import_file(store, "t3.csv", text.encode(), ADMIN, now=APRIL_10)


def test_session_activity_is_best_effort(store, full_disk):
    store.add_user(accounts.UserForm(name="nguyenvana", role="quan_tri"), accounts.hash_password("mat-khau-du-dai"), ADMIN)
    token = accounts.token_hash("t1")
    store.start_session(token, "nguyenvana", clock.now())
    full_disk()
    assert store.touch_session(token, clock.now()) is False  # logged, not raised


@pytest.fixture
def demo(tmp_path: Path, monkeypatch) -> str:
    path = demo_db(tmp_path)
    monkeypatch.setenv("CDS_DB", str(path))
    return path


def test_a_full_disk_does_not_blank_the_leader_s_overview(demo, full_disk):
    """Each page run records the session's last activity; that write failing leaves the figures."""
    at = support.app_test(name="lanhdao", role="lanh_dao")
    full_disk()
    at.run()
    assert not at.exception
    assert len(at.metric) >= 6, "the overview's headline figures"
    assert not at.error


def test_a_refused_write_on_a_page_is_a_vietnamese_message(demo, full_disk):
    at = support.app_test(name="quantri", role="quan_tri").run()
    at.switch_page("pages/tasks.py").run()
    assert not at.exception
    full_disk()
    note = next(t for t in at.text_area if t.label == "Nội dung tiến độ")
    note.input("Đã triển khai xong")
    next(b for b in at.button if b.label == "Ghi tiến độ").click()
    at.run()
    assert not at.exception
    assert any("Chưa lưu được ghi chú tiến độ" in e.value for e in at.error)


def test_login_while_the_disk_is_full_says_so(demo, full_disk):
    at = support.app_test(name=None).run()
    full_disk()
    inputs = {t.label: t for t in at.text_input}
    inputs["Tên đăng nhập"].input("lanhdao")
    inputs["Mật khẩu"].input("demo-binhgiang")
    next(b for b in at.button if b.label == "Đăng nhập").click()
    at.run()
    assert not at.exception
    assert any("Chưa đăng nhập được" in e.value and "lần đăng nhập" in e.value for e in at.error)
    assert open_store(demo).query_df("SELECT count(*) AS n FROM sessions")["n"][0] == 0


def test_a_write_lock_the_database_refuses_is_a_vietnamese_message(store, monkeypatch):
    """PostgreSQL gone when a write takes the advisory lock (an import takes it before its checks)."""
    before = store.content_snapshot()

    def refused(self):
        raise duckdb.IOException("server closed the connection unexpectedly")

    monkeypatch.setattr(Connection, "_take_process_lock", refused)
    for write in (lambda: store.save_settings(Settings(deadline_day=15), ADMIN), lambda: support_import(store)):
        with pytest.raises(StoreError, match="Chưa lưu được"):
            write()
    monkeypatch.undo()
    assert store.content_snapshot() == before
