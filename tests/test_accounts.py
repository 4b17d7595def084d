"""Accounts, roles and the audit log: the core refuses what a role may not do, whatever a page shows.

Every write of the store is checked and audited here: import, revert, units, targets, settings,
tasks, task notes, users, demo removal (restore: test_faults).
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from indicators import cli
from indicators.domain import accounts, clock
from indicators.domain.accounts import Actor, UserForm
from indicators.domain.errors import PermissionDenied
from indicators.domain.settings import Settings
from indicators.domain.units import OrgUnit
from indicators.render.export import audit_csv
from indicators.storage import StoreError
from tests.conftest import APRIL_10, long_csv
from tests.support import ADMIN, new_db

LEADER = Actor("lanhdao", "lanh_dao")
COMMUNE_STAFF = Actor("canbo", "can_bo", units=("10966",))
HAMLET_HEAD = Actor("thon-cay", "can_bo", units=("BG01",))
GUEST = accounts.PUBLIC
PASSWORD = "mat-khau-du-dai"
ROOT = Path(__file__).resolve().parent.parent


def _file(*units: str) -> bytes:
    return long_csv([("2026-03", unit, "TT_TIN_BAI", None, None, 3, "") for unit in units]).encode()


def _audit(store, action: str | None = None, after: int = 0):
    """Audit rows (newer than id `after`), optionally of one action."""
    rows = store.audit_log(ADMIN)
    rows = rows[rows["id"] > after]
    return rows if action is None else rows[rows["action"] == action]


def _last_id(store) -> int:
    """The fixture's own setup (its units) is audited too: tests count from here."""
    return int(store.audit_log(ADMIN)["id"].max() or 0)


# --- roles ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [LEADER, GUEST, HAMLET_HEAD, COMMUNE_STAFF])
def test_only_admins_change_catalog_targets_settings_users_and_revert(store, actor):
    from indicators.ingest import import_file

    batch = import_file(store, "a.csv", _file("BG01"), ADMIN, now=APRIL_10).batch_id
    before = store.content_snapshot()
    attempts = [
        lambda: store.save_units([OrgUnit(code="BG99", name="Mới", parent="10966")], actor),
        lambda: store.set_target("HT_CAP_QUANG", 2027, 90, "x", actor),
        lambda: store.save_settings(Settings(deadline_day=15), actor),
        lambda: store.revert_batch(batch, actor),
        lambda: store.add_user(UserForm(name="abc", role="quan_tri"), "hash", actor),
        lambda: store.update_user("abc", actor, active=False),
        lambda: store.remove_demo(actor),
        lambda: store.audit_log(actor),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match="không có quyền"):
            attempt()
    assert store.content_snapshot() == before


def test_leadership_and_guests_cannot_import_or_update_tasks(store, run_import):
    from indicators.ingest import import_file

    task = store.tasks()[0]
    for actor in (LEADER, GUEST):
        with pytest.raises(PermissionDenied, match="nhập số liệu"):
            import_file(store, "a.csv", _file("BG01"), actor, now=APRIL_10)
        with pytest.raises(PermissionDenied):
            store.save_tasks([task.model_copy(update={"status": "done", "done_on": APRIL_10.date()})], actor)
        with pytest.raises(PermissionDenied):
            store.add_task_note(task.code, "2026-03", "x", actor)
    assert store.batches().empty


def test_staff_import_only_for_their_units_with_row_and_column(store):
    from indicators.ingest import import_file

    report = import_file(store, "hai_thon.csv", _file("BG01", "BG02"), HAMLET_HEAD, now=APRIL_10)
    assert report.status == "rejected"
    [error] = report.errors
    assert (error.row, error.column) == (3, "B (don_vi)")
    assert "không được giao nhập số liệu cho Thôn Bá Thủy" in error.message
    assert store.batches().empty

    assert import_file(store, "cay.csv", _file("BG01"), HAMLET_HEAD, now=APRIL_10).status == "imported"
    # a commune assignment covers the commune's hamlets
    assert import_file(store, "xa.csv", _file("BG02", "BG03"), COMMUNE_STAFF, now=APRIL_10).status == "imported"
    assert set(store.batches()["user_name"]) == {"thon-cay", "canbo"}


def test_the_store_itself_refuses_rows_outside_the_assignment(store):
    """insert_batch is the last gate: a page that skipped validation still cannot write them."""
    import pandas as pd

    rows = pd.DataFrame([{"period": "2026-03", "unit_code": "BG02", "indicator_code": "TT_TIN_BAI",
                          "numerator": None, "denominator": None, "value": 1.0, "note": "",
                          "received_at": APRIL_10, "source_row": 2}])  # fmt: skip
    batch = {"file_name": "x.csv", "sha256": "0" * 64, "created_at": APRIL_10, "periods": ["2026-03"],
             "rows_total": 1, "rows_new": 1, "rows_changed": 0, "rows_unchanged": 0, "warnings": [],
             "outcome": "imported"}  # fmt: skip
    with pytest.raises(PermissionDenied, match="BG02"):
        store.insert_batch(batch, rows, HAMLET_HEAD)
    assert store.batches().empty


def test_the_store_refuses_a_batch_with_two_rows_for_one_key(store):
    """The import keeps one row per (period, unit, indicator); the kept current values rely on it."""
    import pandas as pd

    row = {"period": "2026-03", "unit_code": "BG02", "indicator_code": "TT_TIN_BAI", "numerator": None,
           "denominator": None, "value": 1.0, "note": "", "received_at": APRIL_10, "source_row": 2}  # fmt: skip
    rows = pd.DataFrame([row, {**row, "value": 2.0, "source_row": 3}])
    batch = {"file_name": "x.csv", "sha256": "0" * 64, "created_at": APRIL_10, "periods": ["2026-03"],
             "rows_total": 2, "rows_new": 2, "rows_changed": 0, "rows_unchanged": 0, "warnings": [],
             "outcome": "imported"}  # fmt: skip
    with pytest.raises(StoreError, match="hai dòng cùng kỳ"):
        store.insert_batch(batch, rows, COMMUNE_STAFF)
    assert store.batches().empty and store.current_submissions().empty


def test_only_commune_level_staff_update_the_task_register(store):
    task = store.tasks()[0]
    changed = task.model_copy(update={"status": "in_progress"})
    with pytest.raises(PermissionDenied, match="sổ nhiệm vụ"):
        store.save_tasks([changed], HAMLET_HEAD)
    store.save_tasks([changed], COMMUNE_STAFF)
    store.add_task_note(task.code, "2026-03", "Đã triển khai", COMMUNE_STAFF)
    assert store.tasks()[0].status == "in_progress"
    assert accounts.may_update_tasks(COMMUNE_STAFF, {"10966": "commune"})
    assert not accounts.may_update_tasks(HAMLET_HEAD, {"BG01": "hamlet"})
    assert not accounts.may_update_tasks(LEADER, {})


# --- passwords, login, sessions -----------------------------------------------------------------


def _add(store, name="nguyenvana", role="can_bo", units=("BG01",)):
    store.add_user(UserForm(name=name, role=role, units=units), accounts.hash_password(PASSWORD), ADMIN)


def test_passwords_are_argon2_hashes_never_stored_in_clear(store):
    _add(store)
    stored = store.user("nguyenvana")["password_hash"]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert "password_hash" not in store.users().columns
    assert PASSWORD not in repr(store.content_snapshot())
    with pytest.raises(ValueError, match="ít nhất 10"):
        accounts.hash_password("ngan")


def test_login_succeeds_and_wrong_name_or_password_get_the_same_answer(store):
    _add(store)
    ok = accounts.authenticate(store, "NguyenVanA ", PASSWORD)  # case and spaces forgiven
    assert ok.actor == Actor("nguyenvana", "can_bo", units=("BG01",), display_name="")
    wrong_password = accounts.authenticate(store, "nguyenvana", "sai-mat-khau-1")
    unknown = accounts.authenticate(store, "khongco", PASSWORD)
    assert wrong_password.actor is None and unknown.actor is None
    assert wrong_password.message == unknown.message


def test_repeated_failures_are_slowed_down_and_a_success_resets(store):
    _add(store)
    t = datetime(2026, 11, 27, 9, 0)
    for i in range(accounts.FREE_FAILURES):
        assert accounts.authenticate(store, "nguyenvana", "sai", t + timedelta(seconds=i)).wait == timedelta(0)
    blocked = accounts.authenticate(store, "nguyenvana", PASSWORD, t + timedelta(seconds=3))
    assert blocked.actor is None and "thử lại sau" in blocked.message  # even the right password waits
    later = t + timedelta(seconds=2) + accounts.FIRST_WAIT + timedelta(seconds=1)
    assert accounts.authenticate(store, "nguyenvana", "sai", later).actor is None  # 4th failure
    assert accounts.wait_after(4) == 2 * accounts.FIRST_WAIT
    assert accounts.wait_after(50) == accounts.MAX_WAIT
    assert accounts.authenticate(store, "nguyenvana", PASSWORD, later + timedelta(seconds=1)).actor is None
    good = accounts.authenticate(store, "nguyenvana", PASSWORD, later + accounts.wait_after(4) + timedelta(seconds=1))
    assert good.actor is not None
    assert store.recent_login_failures("nguyenvana", later + timedelta(minutes=5))[0] == 0


def test_disabled_accounts_cannot_log_in_and_lose_their_sessions(store):
    _add(store)
    now = clock.now()
    token = accounts.token_hash("t1")
    store.start_session(token, "nguyenvana", now)
    assert store.session_user(token, 30, now)["name"] == "nguyenvana"
    store.update_user("nguyenvana", ADMIN, active=False)
    assert store.session_user(token, 30, now) is None
    assert accounts.authenticate(store, "nguyenvana", PASSWORD).actor is None


def test_sessions_end_when_idle_on_logout_and_on_password_reset(store):
    _add(store)
    now = clock.now()
    for name in ("idle", "out", "reset"):
        store.start_session(accounts.token_hash(name), "nguyenvana", now)
    assert store.session_user(accounts.token_hash("idle"), 30, now + timedelta(minutes=31)) is None
    store.touch_session(accounts.token_hash("out"), now + timedelta(minutes=20))
    assert store.session_user(accounts.token_hash("out"), 30, now + timedelta(minutes=45)) is not None
    store.end_session(accounts.token_hash("out"))
    assert store.session_user(accounts.token_hash("out"), 30, now) is None
    store.update_user("nguyenvana", ADMIN, password_hash=accounts.hash_password("mat-khau-moi-12"))
    assert store.session_user(accounts.token_hash("reset"), 30, now) is None
    assert accounts.authenticate(store, "nguyenvana", "mat-khau-moi-12").actor is not None


def test_account_rules(store):
    with pytest.raises(ValueError, match="Tên đăng nhập"):
        UserForm(name="Nguyễn A", role="can_bo")
    with pytest.raises(StoreError, match="ít nhất một đơn vị"):
        store.add_user(UserForm(name="canbo2", role="can_bo"), "h", ADMIN)
    with pytest.raises(StoreError, match="Không có đơn vị mã ZZ"):
        store.add_user(UserForm(name="canbo2", role="can_bo", units="ZZ"), "h", ADMIN)
    _add(store, "admin1", "quan_tri", ())
    with pytest.raises(StoreError, match="Đã có tài khoản"):
        _add(store, "admin1", "quan_tri", ())
    with pytest.raises(StoreError, match="ít nhất một tài khoản quản trị"):
        store.update_user("admin1", ADMIN, active=False)
    with pytest.raises(StoreError, match="ít nhất một tài khoản quản trị"):
        store.update_user("admin1", ADMIN, role="lanh_dao")
    _add(store, "admin2", "quan_tri", ())
    store.update_user("admin1", ADMIN, active=False)  # another admin remains


# --- audit ---------------------------------------------------------------------------------------


def test_every_write_is_audited_with_who_what_before_and_after(store):
    from indicators.ingest import import_file

    start = _last_id(store)
    first = import_file(store, "a.csv", _file("BG01"), HAMLET_HEAD, now=APRIL_10)
    fix = long_csv([("2026-03", "BG01", "TT_TIN_BAI", None, None, 5, "")]).encode()
    second = import_file(store, "b.csv", fix, HAMLET_HEAD, now=APRIL_10)
    store.revert_batch(second.batch_id, ADMIN)
    store.save_units([OrgUnit(code="BG01", name="Cậy Mới", parent="10966", households=10)], ADMIN)
    store.set_target("HT_CAP_QUANG", 2026, 90, "điều chỉnh", ADMIN)
    store.save_settings(Settings(deadline_day=15), ADMIN)
    task = store.tasks()[0]
    store.save_tasks([task.model_copy(update={"person": "Ông B"})], COMMUNE_STAFF)
    store.add_task_note(task.code, "2026-03", "Xong phần 1", COMMUNE_STAFF)
    _add(store)
    store.update_user("nguyenvana", ADMIN, role="lanh_dao", units=())

    rows = _audit(store, after=start).sort_values("id")
    assert list(rows["action"]) == [
        "import", "import", "revert", "unit", "target", "settings", "task", "task_note", "user_add", "user_update",
    ]  # fmt: skip
    by = dict(zip(rows["action"], rows.itertuples()))
    assert by["revert"].actor == ADMIN.label and by["revert"].object == f"lô nhập {second.batch_id}"
    replaced = _audit(store, "import").sort_values("id").iloc[1]
    assert '"before": [null, null, 3.0]' in replaced["before"] and '"after": [null, null, 5.0]' in replaced["before"]
    assert replaced["actor"] == "thon-cay" and replaced["role"] == "can_bo"
    assert '"name": "Cậy"' in by["unit"].before and '"name": "Cậy Mới"' in by["unit"].after
    assert '"value": 90' in by["target"].after and '"value": ' in by["target"].before
    assert by["settings"].before == '{"deadline_day": 18}' and by["settings"].after == '{"deadline_day": 15}'
    assert '"person": "Ông B"' in by["task"].after and by["task"].actor == "canbo"
    assert "hash" not in by["user_add"].after and '"role": "can_bo"' in by["user_update"].before
    assert first.batch_id and all(isinstance(t, datetime) for t in rows["logged_at"])


def test_unchanged_saves_write_nothing(store):
    start, before = _last_id(store), store.content_snapshot()
    store.save_settings(store.settings(), ADMIN)
    store.save_units(store.units(), ADMIN)
    store.save_tasks(store.tasks(), ADMIN)
    assert _audit(store, after=start).empty and store.content_snapshot() == before


def _audit_rows(store) -> list[tuple]:
    with store.cursor() as cur:
        return cur.execute("SELECT * FROM audit_log ORDER BY id").fetchall()


def test_no_write_path_changes_or_removes_an_audit_row(tmp_path):
    """Every way the store writes (figures, reverts, units, targets, settings, tasks and notes,
    accounts, logins and sessions, reviews, issuing and opening a month, drafts, removing the
    demo, a recode, a migration, reopening, a restore of a DuckDB file, a copy into PostgreSQL) leaves every
    earlier audit row exactly as it was: the log only grows."""
    from indicators.domain.entry import EntryFigure
    from indicators.ingest import import_file
    from indicators.storage import Store, restore_database
    from tests.conftest import _commune, _hamlets
    from tests.support import ensure_user, on_postgres, staff

    db = new_db(tmp_path)
    store = Store(db)
    store.save_units([_commune(), *_hamlets()], ADMIN)
    commune = next(u.code for u in store.units() if u.level == "commune")
    csv = "ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\n2026-03,BG01,TT_TIN_BAI,,,{},\n"
    kept = _audit_rows(store)
    assert kept, "saving the units is audited"

    def still_kept(step: str) -> None:
        nonlocal kept
        now = _audit_rows(store)
        assert now[: len(kept)] == kept, f"{step} changed an audit row"
        kept = now

    first = import_file(store, "a.csv", csv.format(4).encode(), ADMIN, now=APRIL_10)
    still_kept("an import")
    store.revert_batch(first.batch_id, ADMIN)
    still_kept("a revert")
    import_file(store, "b.csv", csv.format(5).encode(), ADMIN, now=APRIL_10)
    still_kept("a second import")
    store.save_settings(store.settings().model_copy(update={"signer_name": "Nguyễn Văn A"}), ADMIN)
    still_kept("saving the settings")
    store.set_target("HT_CAP_QUANG", 2026, 88, "Nghị quyết xã", ADMIN)
    still_kept("a target")
    task = store.tasks()[0]
    store.save_tasks([task.model_copy(update={"person": "Bà B"})], ADMIN)
    store.add_task_note(task.code, "2026-03", "Đang làm", ADMIN)
    still_kept("the task register")
    ensure_user(store, "canbo1", "can_bo", ("BG01",))
    store.update_user("canbo1", ADMIN, display_name="Cán bộ Cậy")
    store.record_login("canbo1", False, APRIL_10)
    store.start_session("h" * 64, "canbo1", APRIL_10)
    store.touch_session("h" * 64, APRIL_10 + timedelta(minutes=5))
    store.end_session("h" * 64)
    still_kept("accounts, logins and sessions")
    store.save_draft(staff("canbo1", "BG01"), "BG01", "2026-04", {"TT_TIN_BAI": EntryFigure(value=3)})
    store.discard_draft("canbo1", "BG01", "2026-04")
    still_kept("a draft")
    store.review_month("2026-03", ["BG01"], "approve", ADMIN)
    store.issue_report("2026-03", commune, b"docx", b"xlsx", {}, ADMIN)
    store.open_month("2026-03", "BG01", 3, "Bổ sung số liệu", ADMIN)
    still_kept("the month's review, report and opening")
    store.save_units([_hamlets()[0].model_copy(update={"name": "Cậy Mới"})], ADMIN)
    store.remove_demo(ADMIN)
    still_kept("units and the demo's removal")
    from indicators.storage import RecodeRow

    store.recode_units([RecodeRow(2, "BG07", "BG70")], ADMIN)
    still_kept("a recode")
    store.migrate()
    still_kept("a migration")
    store.close()
    store = Store(db)
    still_kept("reopening")
    if on_postgres():
        from indicators.domain.errors import StoreError as Refused

        store.close()
        Store(tmp_path / "source.duckdb").close()
        store = Store(new_db(tmp_path, "target"))  # a new database whose only write is audited
        store.save_settings(store.settings().model_copy(update={"signer_name": "Nguyễn Văn A"}), ADMIN)
        kept = _audit_rows(store)
        with pytest.raises(Refused):
            store.copy_from_duckdb(tmp_path / "source.duckdb", ADMIN)  # it would replace every table
        still_kept("a copy into PostgreSQL")
        store.close()
        return
    backup = store.backup(tmp_path / "backup.duckdb")
    store.set_target("HT_CAP_QUANG", 2026, 91, "Sau bản sao lưu", ADMIN)
    still_kept("a change after the backup")
    store.close()
    restore_database(db, backup, ADMIN)
    store = Store(db)
    still_kept("a restore")
    assert _audit_rows(store)[-1][5] == "restore"
    store.close()


def test_audit_export_is_vietnamese_and_formula_safe(store):
    store.set_target("HT_CAP_QUANG", 2026, 90, "=HYPERLINK(\"http://x\")", ADMIN)
    text = audit_csv(_audit(store)).decode("utf-8-sig")
    assert text.splitlines()[0] == "Số,Thời điểm,Người thực hiện,Vai trò,Thao tác,Đối tượng,Trước,Sau"
    assert "Sửa chỉ tiêu kế hoạch" in text and "Quản trị" in text
    for cell in next(iter(__import__("csv").reader(io.StringIO(text.splitlines()[1])))):
        assert not cell.startswith(("=", "+", "-", "@"))


def test_demo_removal_removes_demo_accounts_and_is_audited(tmp_path):
    from indicators.ingest.demo import load_demo
    from indicators.storage import Store
    from tests.support import DEMO_TODAY

    store = Store(new_db(tmp_path, "d"))
    load_demo(store, ADMIN, today=DEMO_TODAY)
    assert set(store.users()["name"]) == {"quantri", "lanhdao", "canbo", "thon-cay"}
    assert accounts.authenticate(store, "canbo", "demo-binhgiang").actor is not None
    store.remove_demo(ADMIN)
    assert store.users().empty
    assert list(_audit(store, "demo_remove")["actor"]) == [ADMIN.label]
    store.close()


# --- command line --------------------------------------------------------------------------------


def test_first_admin_from_the_command_line_with_the_password_on_stdin(tmp_path, monkeypatch, capsys):
    db = new_db(tmp_path, "c")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["user", "add", "quantri", "--role", "quan_tri", "--display-name", "Nguyễn Văn A", "--db", db]) == 0
    assert "Đã thêm tài khoản quantri (Quản trị)" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("ngan\n"))
    assert cli.main(["user", "add", "canbo", "--role", "can_bo", "--db", db]) == cli.REJECTED
    assert "ít nhất 10" in capsys.readouterr().out
    assert cli.main(["user", "list", "--db", db]) == 0
    assert "quantri\tQuản trị\tNguyễn Văn A" in capsys.readouterr().out
    from indicators.storage import Store

    store = Store(db)
    try:
        assert accounts.authenticate(store, "quantri", PASSWORD).actor.role == "quan_tri"
    finally:
        store.close()
    assert cli.main(["audit", "--out", str(tmp_path / "a.csv"), "--db", db]) == 0
    assert "Thêm tài khoản" in (tmp_path / "a.csv").read_text(encoding="utf-8-sig")


def test_a_wide_row_of_another_hamlet_is_one_error_saying_where_to_enter(store):
    """A hamlet head filling the row of another hamlet in the wide sheet: one line for the row
    (not one per indicator), naming the hamlet the account may enter for."""
    from indicators.ingest import import_file
    from indicators.ingest.columns import wide_header

    codes = ["TT_TIN_BAI", "CQ_VNEID_MUC_2"]
    header = ["ky_bao_cao", "Mã đơn vị", wide_header(codes[0], "gia_tri"),
              wide_header(codes[1], "tu_so"), wide_header(codes[1], "mau_so")]  # fmt: skip
    rows = [header, ["2026-03", "BG01", "3", "5", "9"], ["2026-03", "BG02", "4", "6", "9"]]
    data = "\n".join(",".join(row) for row in rows).encode()
    report = import_file(store, "rong.csv", data, HAMLET_HEAD, now=APRIL_10)
    assert report.status == "rejected"
    [error] = report.errors
    assert error.row == 3
    assert "không được giao nhập số liệu cho Thôn Bá Thủy" in error.message
    assert "hãy nhập vào dòng của Thôn Cậy" in error.message
    assert "2 ô của dòng này có cùng lỗi" in error.message
