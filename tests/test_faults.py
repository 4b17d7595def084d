"""Faults: backup and restore, concurrent imports in one process, a process killed mid-write.

The locked-file case (a second process opening the database gets a Vietnamese StoreLockedError)
is tested in test_store.py (test_a_second_process_gets_a_vietnamese_locked_error); here only the
CLI's backup/restore wording on top of it is checked.
"""

from __future__ import annotations

import getpass
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest

from indicators import cli
from indicators.domain import catalog
from indicators.ingest import import_file
from indicators.storage import MIGRATIONS, Store, StoreError, open_store, restore_database
from tests.conftest import APRIL_10, HAMLET_NAMES, build_store, current_figures, long_csv
from tests.support import ADMIN, admin, new_db

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
HAMLETS = list(HAMLET_NAMES)
HAMLET_INDICATORS = catalog.indicators_at_level("hamlet")


def _row(period: str, unit: str, indicator, seed: int) -> list[object]:
    """A valid long-format row whose figures depend on `seed`."""
    if indicator.is_yes_no:
        return [period, unit, indicator.code, seed % 2, 1, "", ""]
    if indicator.is_ratio:
        return [period, unit, indicator.code, 10 + seed % 80, 100, "", ""]
    return [period, unit, indicator.code, "", "", seed % 50, ""]


def _import(store: Store, name: str, text: str):
    return import_file(store, name, text.encode("utf-8"), admin("can_bo_test"), now=APRIL_10)


def _run_threads(target, args_list: list[tuple]) -> list:
    """Run target(*args) in one thread per args, all released at once; re-raise any exception."""
    barrier = threading.Barrier(len(args_list))
    results: list = [None] * len(args_list)
    errors: list[BaseException] = []

    def work(i: int, args: tuple) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = target(*args)
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i, a)) for i, a in enumerate(args_list)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def _batch_rows(store: Store) -> dict[int, int]:
    with store.cursor() as cur:
        return dict(cur.execute("SELECT batch_id, count(*) FROM submissions GROUP BY ALL").fetchall())


# --- backup and restore ------------------------------------------------------------------------


def _march_file(seed: int) -> str:
    return long_csv(
        _row("2026-03", unit, indicator, seed + i + j)
        for i, unit in enumerate(HAMLETS)
        for j, indicator in enumerate(HAMLET_INDICATORS[:5])
    )


@pytest.mark.duckdb_file
def test_backup_then_restore_gives_back_every_table(tmp_path):
    db = tmp_path / "cds.duckdb"
    store = build_store(db)
    assert _import(store, "a.csv", _march_file(1)).status == "imported"
    store.add_task_note("NV1.1", "2026-03", "Đã họp", admin("cán bộ"))
    saved = store.content_snapshot()
    backup = store.backup(tmp_path / "sao lưu's.duckdb")  # a quote in the path is escaped
    assert backup.is_file() and not backup.with_name(backup.name + ".partial").exists()

    # later changes, then back to the backup
    second = _import(store, "b.csv", _march_file(2))
    store.revert_batch(second.batch_id, admin("cán bộ"))
    store.set_target("HT_CAP_QUANG", 2027, 90, "thử", admin("cán bộ"))
    later = store.content_snapshot()
    assert later != saved
    store.close()

    safety = restore_database(db, backup, ADMIN)
    assert safety == db.with_name("cds.duckdb.before-restore")
    restored = Store(db)
    try:
        content = restored.content_snapshot()
        added = [row for row in content["audit_log"] if row not in saved["audit_log"]]
        # the audit log keeps what was logged after the backup, and the restore itself
        logged_after = [row for row in later["audit_log"] if row not in saved["audit_log"]]
        assert logged_after and added[:-1] == logged_after
        assert (added[-1][2], added[-1][5]) == (ADMIN.label, "restore")
        content["audit_log"] = [row for row in content["audit_log"] if row not in added]
        assert content == saved
        # the sequences came back too: a new import gets a fresh batch id, no key conflict
        third = _import(restored, "c.csv", _march_file(3))
        assert third.status == "imported" and third.batch_id > max(r[0] for r in saved["batches"])
    finally:
        restored.close()
    kept = Store(safety)
    try:
        assert kept.content_snapshot() == later
    finally:
        kept.close()


@pytest.mark.duckdb_file
def test_backup_and_restore_through_the_command_line(tmp_path, capsys):
    db, out = tmp_path / "cds.duckdb", tmp_path / "backup.duckdb"
    store = build_store(db)
    _import(store, "a.csv", _march_file(1))
    saved = store.content_snapshot()
    store.close()

    assert cli.main(["backup", "--out", str(out), "--db", str(db)]) == cli.OK
    assert cli.main(["backup", "--out", str(out), "--db", str(db)]) == cli.REJECTED  # never overwrites
    assert "đã có" in capsys.readouterr().err

    store = Store(db)
    _import(store, "b.csv", _march_file(2))
    later = store.content_snapshot()
    store.close()
    assert cli.main(["restore", "--from", str(out), "--db", str(db)]) == cli.OK
    assert db.with_name("cds.duckdb.before-restore").is_file()
    store = Store(db)
    try:
        content = store.content_snapshot()
        assert [row[2] for row in content["audit_log"] if row[5] == "restore"] == ["dòng lệnh: " + getpass.getuser()]
        # the audit log keeps what was logged after the backup (b.csv's import); the rest is the backup's
        assert [row for row in content["audit_log"] if row[5] != "restore"] == later["audit_log"]
        content["audit_log"] = saved["audit_log"]
        assert content == saved
    finally:
        store.close()
    capsys.readouterr()
    assert cli.main(["backup", "--help"]) == 0
    assert "kể cả khi ứng dụng đang chạy" in " ".join(capsys.readouterr().out.split())
    assert cli.main(["restore", "--help"]) == 0
    assert "ứng dụng đã dừng" in " ".join(capsys.readouterr().out.split())


@pytest.mark.duckdb_file
def test_restore_refuses_a_backup_from_a_newer_program(tmp_path):
    db, backup = tmp_path / "cds.duckdb", tmp_path / "new.duckdb"
    store = build_store(db)
    store.backup(backup)
    before = store.content_snapshot()
    store.close()
    conn = duckdb.connect(str(backup))
    conn.execute("INSERT INTO schema_migrations VALUES (?, now())", [len(MIGRATIONS) + 1])
    conn.close()

    with pytest.raises(StoreError, match="mới hơn"):
        restore_database(db, backup, ADMIN)
    assert not db.with_name("cds.duckdb.before-restore").exists()
    store = Store(db)
    try:
        assert store.content_snapshot() == before
    finally:
        store.close()


@pytest.mark.duckdb_file
def test_restore_refuses_a_database_open_in_this_process(tmp_path):
    db, backup = tmp_path / "cds.duckdb", tmp_path / "b.duckdb"
    store = open_store(db)
    try:
        store.backup(backup)
        with pytest.raises(StoreError, match="đang mở"):
            restore_database(db, backup, ADMIN)
    finally:
        store.close()


HOLD_THE_FILE = textwrap.dedent(
    """
    import sys
    from indicators.storage import Store
    store = Store(sys.argv[1])
    print("open", flush=True)
    sys.stdin.read()
    store.close()
    """
)


@pytest.mark.duckdb_file
def test_restore_while_the_app_holds_the_file_says_to_stop_it(tmp_path, capsys):
    db, backup = tmp_path / "cds.duckdb", tmp_path / "b.duckdb"
    store = build_store(db)
    store.backup(backup)
    store.close()
    python = PYTHON if PYTHON.exists() else Path(sys.executable)
    app = subprocess.Popen(
        [str(python), "-c", HOLD_THE_FILE, str(db)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert app.stdout.readline().strip() == "open"
        assert cli.main(["restore", "--from", str(backup), "--db", str(db)]) == cli.REJECTED
        err = " ".join(capsys.readouterr().err.split())
        assert "đang được một chương trình khác sử dụng" in err
        assert "chỉ chạy được khi ứng dụng đã dừng" in err
        assert not db.with_name("cds.duckdb.before-restore").exists()
    finally:
        app.communicate("", timeout=60)


# A running app in another process: it imports one file after another until told to stop
KEEP_IMPORTING = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from indicators.domain.accounts import SYSTEM
    from indicators.ingest import import_file
    from indicators.storage import Store
    from tests.test_faults import _march_file
    store = Store(sys.argv[1])
    seed = 100
    print("open", flush=True)
    while not __import__("pathlib").Path(sys.argv[2]).exists():
        seed += 1
        import_file(store, f"f{seed}.csv", _march_file(seed).encode(), SYSTEM, now=datetime(2026, 4, 10))
    print(seed - 100, flush=True)
    store.close()
    """
)


@pytest.mark.duckdb_file
def test_backup_from_the_command_line_while_the_app_writes(tmp_path, capsys):
    """`backup --out` works while another process holds the file and keeps writing: the copy is
    taken between two writes, so every batch in it is complete; restoring it gives it back."""
    db, backup, stop = tmp_path / "cds.duckdb", tmp_path / "sao_luu.duckdb", tmp_path / "stop"
    build_store(db).close()
    python = PYTHON if PYTHON.exists() else Path(sys.executable)
    app = subprocess.Popen(
        [str(python), "-c", KEEP_IMPORTING, str(db), str(stop)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert app.stdout.readline().strip() == "open"
        time.sleep(1.0)  # let it write a few batches
        assert cli.main(["backup", "--out", str(backup), "--db", str(db)]) == cli.OK
        assert "ứng dụng đang chạy" in capsys.readouterr().out
    finally:
        stop.touch()
        out, _ = app.communicate(timeout=120)
    written = int(out.strip())
    copy = Store(backup)
    try:
        batches = copy.batches()
        assert 0 < len(batches) <= written
        per_batch = _batch_rows(copy)
        for b in batches.itertuples():  # each batch whole, none half-written
            assert per_batch.get(b.id, 0) == b.rows_new + b.rows_changed
        assert len(copy.audit_log(ADMIN).query("action == 'import'")) == len(batches)
        saved = copy.content_snapshot()
    finally:
        copy.close()
    # and it restores: every table as in the backup, plus the audit row of the restore
    target = tmp_path / "restored.duckdb"
    restore_database(target, backup, ADMIN)
    restored = Store(target)
    try:
        content = restored.content_snapshot()
        content["audit_log"] = [row for row in content["audit_log"] if row[5] != "restore"]
        assert content == saved
    finally:
        restored.close()


@pytest.mark.duckdb_file
def test_backup_while_other_threads_write_is_consistent(tmp_path):
    store = build_store(tmp_path / "cds.duckdb")
    files = [_march_file(seed) for seed in range(12)]
    done = threading.Event()

    def writer() -> None:
        try:
            for seed, text in enumerate(files):
                assert _import(store, f"f{seed}.csv", text).status == "imported"
        finally:
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    backups = []
    while not done.is_set() or not backups:
        backups.append(store.backup(tmp_path / f"b{len(backups)}.duckdb"))
    thread.join()
    expected_rows = 5 * len(HAMLETS)
    for path in backups:
        copy = Store(path)
        try:
            batches = copy.batches()
            ids = sorted(batches["id"])
            assert ids == list(range(1, len(ids) + 1))  # a prefix of the batches, in order
            counts = _batch_rows(copy)
            assert all(counts[i] == expected_rows for i in ids)  # each batch whole
            assert sum(counts.values()) == len(ids) * expected_rows
        finally:
            copy.close()
    store.close()


# --- concurrent imports from several sessions (threads sharing one Store) -----------------------


def _session_files() -> list[str]:
    """Eight files on disjoint keys: one per hamlet for Jan–Mar, and April for every hamlet."""
    files = [
        long_csv(
            _row(period, unit, indicator, n + j)
            for n, period in enumerate(["2026-01", "2026-02", "2026-03"])
            for j, indicator in enumerate(HAMLET_INDICATORS)
        )
        for unit in HAMLETS
    ]
    files.append(
        long_csv(
            _row("2026-04", unit, indicator, i)
            for i, unit in enumerate(HAMLETS)
            for indicator in HAMLET_INDICATORS[:4]
        )
    )
    return files


def test_eight_sessions_import_at_once(tmp_path):
    files = _session_files()
    store = build_store(new_db(tmp_path))
    try:
        reports = _run_threads(lambda i, text: _import(store, f"phien_{i}.csv", text), list(enumerate(files)))
        assert [r.status for r in reports] == ["imported"] * len(files), [r.summary() for r in reports]
        counts = _batch_rows(store)
        assert sorted(counts) == sorted(r.batch_id for r in reports)
        for report in reports:
            assert counts[report.batch_id] == len(report.rows)
        concurrent = current_figures(store)
    finally:
        store.close()

    serial = build_store()
    try:
        for i, text in enumerate(files):
            assert _import(serial, f"phien_{i}.csv", text).status == "imported"
        assert concurrent == current_figures(serial)
    finally:
        serial.close()


def test_two_sessions_on_the_same_keys_both_land_and_the_latest_wins(tmp_path):
    store = build_store(new_db(tmp_path))
    keys = [(unit, indicator) for unit in HAMLETS[:3] for indicator in HAMLET_INDICATORS]
    try:
        for round_ in range(3):
            texts = [
                long_csv(
                    _row("2026-03", unit, indicator, 7 * round_ + 3 * who + k)
                    for k, (unit, indicator) in enumerate(keys)
                    if not indicator.is_yes_no  # 1/0 answers cannot differ in every round
                )
                for who in range(2)
            ]
            reports = _run_threads(
                lambda who, text, r=round_: _import(store, f"r{r}_{who}.csv", text), list(enumerate(texts))
            )
            assert [r.status for r in reports] == ["imported", "imported"]
            latest = max(reports, key=lambda r: r.batch_id)
            revisions = store.revisions(period="2026-03")
            per_key = revisions.groupby(["unit_code", "indicator_code"]).size()
            assert (per_key == 2 * (round_ + 1)).all()  # nothing lost: every revision kept
            current = store.current_submissions(periods=["2026-03"])
            assert set(current["batch_id"]) == {latest.batch_id}  # the later batch counts
    finally:
        store.close()


def test_interleaved_imports_match_some_serial_order(tmp_path):
    """Both sessions read before either writes; A writes first, then B (forced)."""
    store = build_store(new_db(tmp_path))
    base = long_csv([["2026-03", u, "HT_CAP_QUANG", 10, 100, "", ""] for u in ("BG01", "BG02")])
    a = long_csv([["2026-03", u, "HT_CAP_QUANG", 20, 100, "", ""] for u in ("BG01", "BG02")])
    b = long_csv(
        [
            ["2026-03", "BG01", "HT_CAP_QUANG", 10, 100, "", ""],
            ["2026-03", "BG02", "HT_CAP_QUANG", 30, 100, "", ""],
        ]
    )
    _import(store, "base.csv", base)
    both_read = threading.Barrier(2)
    a_written = threading.Event()
    original = store.insert_batch

    def insert_batch(batch, rows, actor):
        try:
            both_read.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass
        if batch["file_name"] == "b.csv":
            a_written.wait(timeout=3)
        try:
            return original(batch, rows, actor)
        finally:
            if batch["file_name"] == "a.csv":
                a_written.set()

    store.insert_batch = insert_batch
    try:
        _run_threads(lambda name, text: _import(store, name, text), [("a.csv", a), ("b.csv", b)])
        final = {u: n for u, _, n in ((r.unit_code, r.indicator_code, r.numerator)
                                      for r in store.current_submissions().itertuples())}  # fmt: skip
    finally:
        store.close()
    a_then_b, b_then_a = {"BG01": 10, "BG02": 30}, {"BG01": 20, "BG02": 20}
    assert final in (a_then_b, b_then_a)


# --- a process killed in the middle of a large write ----------------------------------------------

# The write path of import_file (Store.insert_batch) with 2,000 units x 26 indicators x 4 months =
# 208,000 rows, which takes about two seconds to write. Validating a CSV that large through
# import_file takes over a minute, so the child writes the validated frame directly.
BIG_WRITE = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from pathlib import Path
    import numpy as np, pandas as pd
    from indicators.domain import catalog
    from indicators.domain.accounts import SYSTEM as ADMIN
    from indicators.storage import Store

    db, marker, n_units = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    codes = [i.code for i in catalog.indicators()]
    months = ["2026-01", "2026-02", "2026-03", "2026-04"]
    n = n_units * len(codes) * len(months)
    units = [f"H{i:05d}" for i in range(n_units)]
    frame = pd.DataFrame({
        "period": np.repeat(months, n_units * len(codes)),
        "unit_code": np.tile(np.repeat(units, len(codes)), len(months)),
        "indicator_code": np.tile(codes, n_units * len(months)),
        "numerator": np.arange(n, dtype=float) % 97,
        "denominator": np.full(n, 100.0),
        "value": np.arange(n, dtype=float) % 97,
        "note": [None] * n,
        "received_at": datetime(2026, 5, 10),
        "source_row": np.arange(n) + 2,
    })
    batch = {"file_name": "lon.csv", "sha256": "f" * 64, "user_name": "bi_ngat",
             "created_at": datetime(2026, 5, 10), "periods": months, "rows_total": n,
             "rows_new": n, "rows_changed": 0, "rows_unchanged": 0, "warnings": [],
             "outcome": "imported"}
    store = Store(db)
    marker.write_text("writing")
    store.insert_batch(batch, frame, ADMIN)
    marker.write_text("done")
    import time
    time.sleep(60)  # committed, not closed: killed here, the WAL must bring the batch back
    """
)
BIG_UNITS = 2000
BIG_ROWS = BIG_UNITS * len(catalog.indicators()) * 4


@pytest.mark.parametrize("delay", [0.05, 0.8, "after-commit"])
def test_a_process_killed_mid_import_leaves_all_or_nothing(tmp_path, delay):
    db, marker = new_db(tmp_path), tmp_path / "marker"
    store = build_store(db)
    _import(store, "a.csv", _march_file(1))
    before = store.content_snapshot()
    store.close()

    python = PYTHON if PYTHON.exists() else Path(sys.executable)
    child = subprocess.Popen(
        [str(python), "-c", BIG_WRITE, str(db), str(marker), str(BIG_UNITS)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert marker.exists(), child.stderr.read() if child.poll() is not None else "no marker"
        if delay == "after-commit":  # committed, not yet closed or checkpointed
            while marker.read_text() != "done" and time.monotonic() < deadline:
                time.sleep(0.01)
        else:
            time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    finished = marker.read_text() == "done"

    store = Store(db)  # opens (a file replays what its WAL holds) without error
    try:
        after = store.content_snapshot()
        batch = store.batches().query("file_name == 'lon.csv'")
        rows = _batch_rows(store).get(int(batch["id"].iloc[0]), 0) if len(batch) else 0
        if len(batch):
            assert rows == BIG_ROWS  # all of it
            assert len(after["audit_log"]) == len(before["audit_log"]) + 1  # with its audit row
            written = ("batches", "submissions", "current_submissions", "current_totals", "audit_log")
            assert {k: v for k, v in after.items() if k not in written} == {
                k: v for k, v in before.items() if k not in written
            }
        else:
            assert not finished
            assert after == before  # none of it
        assert len(store.current_submissions()) == len(before["submissions"]) + rows
        # the store still works: the next import gets a batch id of its own
        taken = set(store.batches()["id"])
        report = _import(store, "b.csv", _march_file(2))
        assert report.status == "imported" and report.batch_id not in taken
    finally:
        store.close()
    print(
        f"delay {delay}s: {'finished' if finished else 'killed mid-write'}, batch {'kept' if len(batch) else 'absent'}"
    )
