"""A damaged database file, and `python -m indicators check`.

Damage is made as a disk makes it: bytes overwritten inside one block of the file (DuckDB's
checksum then refuses the block). Which block: the one DuckDB's storage info gives for a table.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from indicators import cli
from indicators.domain import catalog
from indicators.ingest import import_file
from indicators.storage import Store, StoreError, StoreLockedError
from tests import support
from tests.conftest import APRIL_10, HAMLET_NAMES, build_store, long_csv
from tests.support import ADMIN, new_db

ROOT = Path(__file__).resolve().parent.parent
HEADER, BLOCK = 3 * 4096, 262_144  # DuckDB 1.4: three header pages, then blocks of 256 KiB


def _sound(db: str) -> None:
    """A database with a month of figures, hence current values and totals."""
    store = build_store(db) if not support.is_postgres(db) else _units(Store(db))
    rows = [("2026-03", unit, item.code, *((7, 10, None) if item.is_ratio else (None, None, 7)), "")
            for unit in HAMLET_NAMES for item in catalog.indicators_at_level("hamlet")[:4]]  # fmt: skip
    assert import_file(store, "t3.csv", long_csv(rows).encode(), ADMIN, now=APRIL_10).status == "imported"
    store.close()


def _units(store: Store) -> Store:
    from tests.conftest import _commune, _hamlets

    store.save_units([_commune(), *_hamlets()], ADMIN)
    return store


def _damage(path: Path, table: str | None = None, offset: int | None = None) -> int:
    """Overwrite bytes inside the first block of `table` (or at `offset`); the offset damaged."""
    if offset is None:
        conn = duckdb.connect(str(path), read_only=True)
        try:
            block = min(r[0] for r in conn.execute(
                "SELECT block_id FROM pragma_storage_info(?) WHERE block_id >= 0", [table]).fetchall())  # fmt: skip
        finally:
            conn.close()
        offset = HEADER + block * BLOCK
    with open(path, "r+b") as f:
        f.seek(offset + 8)  # past the block's checksum
        f.write(b"\xab" * 300)
    return offset


def _cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "indicators", *argv], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip


@pytest.fixture
def file_db(tmp_path: Path) -> Path:
    db = tmp_path / "cds.duckdb"
    _sound(str(db))
    return db


# --- a damaged file ------------------------------------------------------------------------------


@pytest.mark.duckdb_file
def test_a_file_damaged_where_the_upgrade_reads_names_the_file_and_how_to_restore(file_db):
    """The connection opens; the schema check after it reads the damaged block."""
    _damage(file_db, "schema_migrations")
    with pytest.raises(StoreError) as refused:
        Store(file_db)
    message = str(refused.value)
    assert "bị hỏng" in message and str(file_db) in message
    assert f"restore --db {file_db} --from" in message and not isinstance(refused.value, StoreLockedError)
    # the file and its lock were let go: another process reaches the damage, not a lock
    other = subprocess.run([sys.executable, "-c", f"import duckdb; duckdb.connect({str(file_db)!r})"],
                           capture_output=True, text=True)  # fmt: skip
    assert "lock" not in other.stderr.lower().replace("block", "")


@pytest.mark.duckdb_file
def test_a_damaged_header_is_reported_as_damage_not_as_a_lock(file_db):
    _damage(file_db, offset=4096)  # DuckDB's message says "in block at location 4096"
    with pytest.raises(StoreError) as refused:
        Store(file_db)
    assert not isinstance(refused.value, StoreLockedError)
    assert "bị hỏng" in str(refused.value) and "restore" in str(refused.value)


@pytest.mark.duckdb_file
def test_the_command_line_says_so_without_a_traceback_and_a_restore_mends_it(file_db, tmp_path):
    backup = tmp_path / "sao_luu.duckdb"
    assert _cli("backup", "--db", str(file_db), "--out", str(backup)).returncode == 0
    _damage(file_db, "schema_migrations")
    for command in ("init", "check"):
        done = _cli(command, "--db", str(file_db))
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert "bị hỏng" in done.stderr and str(file_db) in done.stderr and "restore" in done.stderr
    assert _cli("restore", "--db", str(file_db), "--from", str(backup)).returncode == 0
    healed = _cli("check", "--db", str(file_db))
    assert healed.returncode == 0 and "Tốt" in healed.stdout, healed.stderr


@pytest.mark.duckdb_file
def test_the_app_says_so_in_vietnamese(file_db, monkeypatch):
    _damage(file_db, "schema_migrations")
    monkeypatch.setenv("CDS_DB", str(file_db))
    at = support.app_test(name=None).run()
    assert not at.exception
    assert "bị hỏng" in at.error[0].value and str(file_db) in at.error[0].value


@pytest.mark.duckdb_file
def test_a_damaged_block_met_by_a_page_is_said_in_vietnamese(file_db, monkeypatch):
    """The file opens (the schema is sound); the overview then reads the damaged figures."""
    _damage(file_db, "current_totals")
    _damage(file_db, "current_submissions")
    Store(file_db).close()  # opening does not notice
    monkeypatch.setenv("CDS_DB", str(file_db))
    at = support.app_test().run()
    assert not at.exception, at.exception
    message = at.error[0].value
    assert message.startswith("Không đọc được số liệu từ tệp dữ liệu") and str(file_db) in message
    assert f"check --db {file_db}" in message and "Không có gì bị thay đổi" in message


def test_a_read_failure_names_the_database_without_its_password_and_a_bug_stays_a_bug():
    from indicators.storage.connection import not_read

    store = support.memory_store()
    assert store.read_failure(ValueError("a bug in a page")) is None  # shown as an error, not hidden
    assert store.read_failure(duckdb.IOException("Could not read block 12")).startswith("Không đọc được số liệu")
    said = not_read("postgresql://cds:secret@db.example/cds", duckdb.IOException("server closed the connection"))
    assert "secret" not in said and "cds:***@db.example" in said and "máy chủ cơ sở dữ liệu" in said


# --- check ---------------------------------------------------------------------------------------


def _check(db: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.run(cli.build_parser().parse_args(["check", "--db", db]), out)
    return code, out.getvalue()


def test_check_passes_a_sound_database(tmp_path):
    db = new_db(tmp_path)
    _sound(db)
    code, text = _check(db)
    assert code == 0 and "Tốt" in text and "CÓ LỖI" not in text


@pytest.mark.parametrize(
    "tamper, found",
    [
        ("UPDATE current_totals SET value = value + 1 WHERE indicator_code = (SELECT min(indicator_code) "
         "FROM current_totals)", "tổng theo xã không khớp"),
        ("DELETE FROM current_submissions WHERE unit_code = 'BG01'", "giá trị hiện hành không khớp"),
        ("UPDATE current_submissions SET value = value + 1 WHERE value IS NOT NULL AND unit_code = 'BG02'",
         "giá trị hiện hành không khớp"),
    ],
)  # fmt: skip
def test_check_finds_kept_values_that_differ_from_the_revisions(tmp_path, tamper, found):
    db = new_db(tmp_path)
    _sound(db)
    store = Store(db)
    try:
        with store.transaction() as cur:
            cur.execute(tamper)
    finally:
        store.close()
    code, text = _check(db)
    assert code == 1 and found in text and "Cách xử lý" in text


@pytest.mark.duckdb_file
def test_check_reads_every_block_of_every_table(file_db):
    """A table the app does not read at start (the audit log) is damaged: check reads it all."""
    _damage(file_db, "audit_log")
    Store(file_db).close()  # opening does not notice
    code, text = _check(str(file_db))
    assert code == 1 and "audit_log không đọc được" in text
    assert f"restore --db {file_db} --from" in text


HOLDER = """
import sys
from indicators.storage import Store
store = Store(sys.argv[1])
print("open", flush=True)
input()
store.close()
"""


@pytest.mark.duckdb_file
def test_check_while_the_app_holds_the_file_checks_a_copy(file_db):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(file_db)], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "open"
        code, text = _check(str(file_db))
        assert code == 0 and "Ứng dụng đang chạy" in text and "Tốt" in text
    finally:
        holder.communicate("\n", timeout=60)


@pytest.mark.duckdb_file
def test_a_backup_of_a_damaged_file_says_so_without_a_traceback(file_db, tmp_path):
    _damage(file_db, "audit_log")
    done = _cli("backup", "--db", str(file_db), "--out", str(tmp_path / "sao_luu.duckdb"))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "Chưa sao lưu được" in done.stderr and not (tmp_path / "sao_luu.duckdb").exists()
