"""Renaming units to new codes with their whole history (`units recode`), on DuckDB and (with
CDS_TEST_STORE=postgres) PostgreSQL: every column holding a unit's code, the accounts, the home
unit, the audit log's one new row; a dry run writes nothing; a bad map is refused whole."""

from __future__ import annotations

import pandas as pd
import pytest

from indicators import cli, metrics
from indicators.domain.accounts import Actor
from indicators.domain.entry import EntryFigure
from indicators.domain.errors import StoreError
from indicators.ingest.recode_map import official_map, parse_recode_map
from indicators.storage import UNIT_CODE_COLUMNS, RecodeRow, Store
from tests.support import ADMIN, demo_db, memory_store

OLD, NEW = "10966", "97001"  # the demo commune, renamed to a code no unit has
PERIOD = "2026-10"


def _count(store: Store, table: str, column: str, code: str) -> int:
    with store.cursor() as cur:
        return cur.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", [code]).fetchone()[0]


@pytest.fixture
def history(tmp_path) -> tuple[str, Store]:
    """The demo with a row under the commune's code in every table that keeps one."""
    db = demo_db(tmp_path)
    store = Store(db)
    store.save_settings(store.settings().model_copy(update={"home_unit": OLD}), ADMIN)
    store.review_month(PERIOD, [OLD], "approve", ADMIN)
    store.save_draft(Actor("canbo", "can_bo", (OLD,)), OLD, "2026-11", {"TC_VAN_BAN": EntryFigure(value=3)})
    store.issue_report(PERIOD, OLD, b"docx", b"xlsx", {"root_code": OLD}, ADMIN)
    store.open_month(PERIOD, OLD, 3, "Bổ sung số liệu thôn Cậy", ADMIN)
    # a task of the commune's own register (the seed's, written before the commune existed, carry "")
    from datetime import date

    from indicators.domain.tasks import Task

    store.save_tasks([Task(code="RIENG.1", task_group=1, title="Rà soát hồ sơ một cửa", unit="UBND xã",
                           expected_result="Xong", deadline=date(2026, 10, 20))], ADMIN, OLD)  # fmt: skip
    store.add_task_note("RIENG.1", PERIOD, "Đang rà soát", ADMIN, commune=OLD)
    for table, column in UNIT_CODE_COLUMNS:
        assert _count(store, table, column, OLD) > 0, f"{table}.{column} holds no row of the commune"
    return db, store


def _map_file(tmp_path, text: str) -> str:
    path = tmp_path / "doi_ma.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_recode_moves_the_whole_history_and_audits_once(history, tmp_path, capsys):
    db, store = history
    before_counts = {(t, c): _count(store, t, c, OLD) for t, c in UNIT_CODE_COLUMNS}
    summary = metrics.commune_summary(store, PERIOD, OLD).drop(columns=["unit_code"], errors="ignore")
    audit_before = store.audit_log(ADMIN)
    store.close()

    status = cli.main(["units", "recode", "--db", db, "--map", _map_file(tmp_path, f"mã cũ,mã mới\n{OLD},{NEW}\n")])
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.startswith("Đã đổi mã 1 đơn vị cùng toàn bộ lịch sử.") and f"{OLD} → {NEW}" in out

    store = Store(db)
    for (table, column), n in before_counts.items():
        assert _count(store, table, column, OLD) == 0, f"{table}.{column} still says {OLD}"
        assert _count(store, table, column, NEW) == n, f"{table}.{column}"
    assert {u.code for u in store.units() if u.parent == NEW} == {f"BG{i:02d}" for i in range(1, 15)}
    assert store.user("canbo")["units"] == NEW and store.user("thon-cay")["units"] == "BG01"
    assert store.settings().home_unit == NEW
    assert [d.unit_code for d in store.drafts("canbo")] == [NEW]
    assert store.issued_report(PERIOD, NEW)["docx"] == b"docx"  # kept byte for byte, found under the new code
    after = metrics.commune_summary(store, PERIOD, NEW).drop(columns=["unit_code"], errors="ignore")
    pd.testing.assert_frame_equal(after, summary)

    audit = store.audit_log(ADMIN)
    assert len(audit) == len(audit_before) + 1
    pd.testing.assert_frame_equal(audit.iloc[1:].reset_index(drop=True), audit_before)  # kept as recorded
    entry = audit.iloc[0]
    assert entry["action"] == "unit_recode" and f'"{OLD}": "{NEW}"' in entry["after"]
    store.close()


def test_a_dry_run_reports_and_writes_nothing(history, tmp_path, capsys):
    db, store = history
    before = store.content_snapshot()
    store.close()
    status = cli.main(["units", "recode", "--db", db, "--dry-run", "--map", _map_file(tmp_path, f"old,new\n{OLD},{NEW}\n")])
    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith("Chạy thử: sẽ đổi mã 1 đơn vị. Chưa ghi gì.")
    assert "  đơn vị: 1 (và 14 đơn vị trực thuộc đổi theo mã cấp trên)\n" in out
    assert "số liệu đã nộp (mọi lần sửa):" in out and "tài khoản: 1 dòng" in out
    store = Store(db)
    assert store.content_snapshot() == before
    store.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"old,new\nBG01,BG90\nZZ9,{NEW}\n", "Dòng 3, cột mã cũ: không có đơn vị nào mang mã “ZZ9”"),
        (f"old,new\n{OLD},{NEW}\nBG01,BG02\n", "Dòng 3, cột mã mới: mã “BG02” đang là mã của đơn vị “Bá Thủy”"),
        (f"old,new\nBG01,{NEW}\nBG02,{NEW}\n", f"Dòng 3, cột mã mới: mã “{NEW}” đã được dùng ở dòng 2"),
        ("old,new\nBG01,BG90\nBG01,BG91\n", "Dòng 3, cột mã cũ: mã “BG01” đã có ở dòng 2"),
    ],
    ids=["unknown-old", "new-code-taken", "two-units-one-code", "old-code-twice"],
)
def test_a_bad_map_is_refused_whole(history, tmp_path, capsys, text, expected):
    db, store = history
    before = store.content_snapshot()
    store.close()
    status = cli.main(["units", "recode", "--db", db, "--map", _map_file(tmp_path, text)])
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("Bảng đổi mã bị từ chối, chưa ghi gì:") and expected in err
    store = Store(db)
    assert store.content_snapshot() == before
    store.close()


def test_a_map_file_without_codes_names_row_and_column(tmp_path, capsys):
    pairs, issues = parse_recode_map("m.csv", "mã cũ;mã mới;tên\n05;31;Hải Phòng\n01310;;Bình Giang\n".encode())
    assert pairs == [RecodeRow(2, "05", "31")]
    assert [i.text() for i in issues] == ["Lỗi (dòng 3, cột B (mã mới)): Thiếu mã mới."]
    _, issues = parse_recode_map("m.csv", b"code,name\n05,x\n")
    assert "cần hai cột “mã cũ” và “mã mới”" in issues[0].text()


def test_a_failure_half_way_leaves_everything_as_it_was(history, monkeypatch):
    _, store = history
    before = store.content_snapshot()

    def broken(*args, **kwargs):
        raise RuntimeError("mất điện giữa chừng")

    monkeypatch.setattr(store, "_audit", broken)  # the last write, after every rename
    with pytest.raises(RuntimeError):
        store.recode_units([RecodeRow(2, OLD, NEW)], ADMIN)
    assert store.content_snapshot() == before
    store.close()


def test_codes_can_be_swapped_and_chained(store_with_tree):
    """A → B while B → C (a chain) and a swap: the old list's codes overlap the official ones."""
    store = store_with_tree
    store.recode_units([RecodeRow(2, "BG01", "BG02"), RecodeRow(3, "BG02", "BG03"), RecodeRow(4, "BG03", "BG01")], ADMIN)
    names = {u.code: u.name for u in store.units()}
    assert (names["BG01"], names["BG02"], names["BG03"]) == ("Bá Hợp", "Cậy", "Bá Thủy")
    with pytest.raises(StoreError, match="không có quyền sửa cài đặt"):
        store.recode_units([RecodeRow(2, "BG01", "BG09")], Actor("lanhdao", "lanh_dao"))
    store.close()


@pytest.fixture
def store_with_tree(units) -> Store:
    store = memory_store()
    store.save_units(units, ADMIN)
    return store


def test_every_column_holding_a_unit_code_is_renamed():
    """A table added with a unit's code must be listed in UNIT_CODE_COLUMNS (or here, with why not)."""
    not_codes = {("task_revisions", "unit"): "the responsible office's name, not a unit code",
                 ("users", "units"): "a list, rewritten in code"}  # fmt: skip
    store = Store(":memory:")
    with store.cursor() as cur:
        columns = cur.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c JOIN information_schema.tables t "
            "USING (table_catalog, table_schema, table_name) WHERE t.table_type = 'BASE TABLE'"
        ).fetchall()
    store.close()
    unit_like = {(t, c) for t, c in columns if c in ("unit", "units", "parent") or c.endswith(("unit_code", "root_code", "commune_code"))}
    unit_like |= {("units", "code")}
    assert unit_like - set(UNIT_CODE_COLUMNS) == set(not_codes)


def test_the_official_map_of_an_old_database(store_with_tree):
    """A database on the previous list's codes: its city and communes get their official codes
    when the names agree; hamlets and units named otherwise are left to a person."""
    from indicators.domain.units import OrgUnit

    store = store_with_tree
    store.recode_units([RecodeRow(2, "10966", "01310")], ADMIN)  # the demo as the previous list coded it
    store.save_units([OrgUnit(code="05", name="Hải Phòng", level="city"),
                      OrgUnit(code="01311", name="Không Khớp", level="commune", parent="05"),
                      OrgUnit(code="01310", name="Bình Giang", level="commune", parent="05")], ADMIN)  # fmt: skip
    assert official_map(store) == [("01310", "10966", "Xã Bình Giang"), ("05", "31", "Thành phố Hải Phòng")]
    store.close()
