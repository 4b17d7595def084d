"""One task register per commune (issue #26): a task, its revisions and its notes belong to a
commune; an officer writes only their own commune's; each commune's on-time indicator
(TC_NHIEM_VU_DUNG_HAN) comes from its own register; the existing register moves to the home
commune in a migration; a city lists them all."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from indicators.domain.errors import PermissionDenied, StoreError
from indicators.domain.tasks import Task, seed_tasks
from indicators.domain.units import OrgUnit
from indicators.ingest.tasks_file import import_on_time_indicator
from indicators.storage import Store, schema
from indicators.views import common
from tests.support import ADMIN, memory_store, new_db, staff

CITY, HOME, OTHER = "TP1", "XA1", "XA2"
UNITS = [
    OrgUnit(code=CITY, name="Thử Nghiệm", level="city"),
    OrgUnit(code=HOME, name="Một", parent=CITY, level="commune"),
    OrgUnit(code=OTHER, name="Hai", parent=CITY, level="commune"),
    OrgUnit(code="XA1T1", name="Đông", parent=HOME, level="hamlet"),
    OrgUnit(code="XA2T1", name="Tây", parent=OTHER, level="hamlet"),
]
SEEDED = len(seed_tasks())


def _with_city(store: Store) -> Store:
    store.save_units(UNITS, ADMIN)
    store.save_settings(store.settings().model_copy(update={"home_unit": HOME}), ADMIN)
    return store


@pytest.fixture
def city() -> Store:
    return _with_city(memory_store())


def _task(code: str, **changes) -> Task:
    fields = dict(code=code, task_group=1, title="Triển khai chữ ký số cho cán bộ", unit="UBND xã",
                  expected_result="Mọi cán bộ có chữ ký số", deadline=date(2026, 3, 10))  # fmt: skip
    return Task(**{**fields, **changes})


def test_each_commune_reads_its_own_register(city):
    assert len(city.tasks(HOME)) == SEEDED, "the seed register is the home commune's"
    assert city.tasks(OTHER) == []
    city.save_tasks([_task("NV1.1"), _task("RIENG.1")], ADMIN, OTHER)
    assert sorted(t.code for t in city.tasks(OTHER)) == ["NV1.1", "RIENG.1"]
    assert {t.commune_code for t in city.tasks(OTHER)} == {OTHER}
    assert len(city.tasks(HOME)) == SEEDED and "RIENG.1" not in {t.code for t in city.tasks(HOME)}
    every = city.tasks()
    assert len(every) == SEEDED + 2 and {t.commune_code for t in every} == {HOME, OTHER}


def test_an_officer_writes_only_their_own_communes_register(city):
    city.save_tasks([_task("NV1.1")], ADMIN, OTHER)
    other_before = city.tasks(OTHER)
    officer = staff("can_bo_xa_1", HOME)
    cancel = _task("NV1.1", status="cancelled", cancel_reason="Trùng nhiệm vụ")
    with pytest.raises(PermissionDenied, match=OTHER):
        city.save_tasks([cancel], officer, OTHER)
    with pytest.raises(PermissionDenied, match=OTHER):
        city.add_task_note("NV1.1", "2026-03", "Đã làm", officer, commune=OTHER)
    assert city.tasks(OTHER) == other_before
    assert city.task_notes(commune=OTHER).empty
    # their own commune's NV1.1 they may cancel: the other commune's stays as it was
    city.save_tasks([cancel], officer, HOME)
    assert next(t for t in city.tasks(HOME) if t.code == "NV1.1").status == "cancelled"
    assert city.tasks(OTHER) == other_before
    with pytest.raises(PermissionDenied):
        city.save_tasks([_task("NV9.9")], staff("can_bo_thon", "XA1T1"), HOME)


def test_a_note_goes_to_its_communes_task_only(city):
    city.save_tasks([_task("NV1.1")], ADMIN, OTHER)
    city.add_task_note("NV1.1", "2026-03", "Xã hai đã làm", ADMIN, commune=OTHER)
    assert list(city.task_notes(commune=OTHER)["note"]) == ["Xã hai đã làm"]
    assert city.task_notes(commune=HOME).empty
    with pytest.raises(StoreError):
        city.add_task_note("KHONG.CO", "2026-03", "?", ADMIN, commune=OTHER)
    with pytest.raises(StoreError):
        city.save_tasks([_task("NV1.1")], ADMIN, "XA1T1")  # a hamlet has no register


def _on_time(store: Store, commune: str) -> tuple[float, float]:
    report = import_on_time_indicator(store, "2026-03", ADMIN, commune, now=datetime(2026, 4, 2, 9))
    assert report.ok, [i.text() for i in report.issues]
    row = store.current_submissions(periods=["2026-03"]).set_index(["unit_code", "indicator_code"])
    found = row.loc[(commune, "TC_NHIEM_VU_DUNG_HAN")]
    return found["numerator"], found["denominator"]


def test_each_communes_on_time_indicator_comes_from_its_own_register(city):
    # the other commune: two one-off tasks due in March, one done on time
    city.save_tasks([_task("NV1.1", status="done", done_on=date(2026, 3, 8)), _task("NV1.2")], ADMIN, OTHER)
    assert _on_time(city, OTHER) == (1, 2)
    # the home commune finishes, cancels and adds tasks: the other commune's figure does not move
    city.save_tasks([_task("NV1.1", status="cancelled", cancel_reason="Không còn cần"),
                     _task("NV1.2", status="done", done_on=date(2026, 3, 1)), _task("MOI.1")], ADMIN, HOME)  # fmt: skip
    city.add_task_note("NV1.1", "2026-03", "ghi chú của xã một", ADMIN, commune=HOME)
    assert _on_time(city, OTHER) == (1, 2)
    home = {t.code: t for t in city.tasks(HOME)}
    due = [t for t in home.values() if t.status != "cancelled" and t.deadline and t.deadline <= date(2026, 3, 31)]
    monthly = [t for t in home.values() if t.status != "cancelled" and t.recurrence_day]
    numerator, denominator = _on_time(city, HOME)
    assert denominator == len(due) + len(monthly)
    assert numerator >= 1  # NV1.2, done by its deadline


def test_the_city_view_lists_every_register(city):
    city.save_tasks([_task("NV1.1")], ADMIN, OTHER)
    by_city = common.task_register(city, UNITS[0], date(2026, 3, 20))
    assert len(by_city) == SEEDED + 1 and set(by_city["commune_code"]) == {HOME, OTHER}
    by_commune = common.task_register(city, UNITS[2], date(2026, 3, 20))
    assert list(by_commune["code"]) == ["NV1.1"]
    by_hamlet = common.task_register(city, UNITS[4], date(2026, 3, 20))
    assert list(by_hamlet["code"]) == ["NV1.1"], "a hamlet sees its commune's register"


def test_the_migration_moves_the_existing_register_to_the_home_commune(tmp_path, monkeypatch):
    db = new_db(tmp_path)
    before = schema._TASK_COMMUNES - 1
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:before])
    monkeypatch.setattr(schema, "PG_MIGRATIONS", schema.PG_MIGRATIONS[:before])
    old = Store(db)
    assert old.schema_version() == before
    _with_city(old)
    with old.transaction() as cur:
        cur.execute("INSERT INTO task_notes VALUES (?, 'NV1.1', '2026-03', 'cũ', 'a', ?)",
                    [old._ids(cur, "task_note_ids"), datetime(2026, 3, 5)])  # fmt: skip
    old.close()
    monkeypatch.undo()

    store = Store(db)
    try:
        assert store.schema_version() == len(schema.MIGRATIONS)
        with store.cursor() as cur:
            assert cur.execute("SELECT DISTINCT commune_code FROM task_revisions").fetchall() == [(HOME,)]
            assert cur.execute("SELECT DISTINCT commune_code FROM task_notes").fetchall() == [(HOME,)]
        assert len(store.tasks(HOME)) == SEEDED and store.tasks(OTHER) == []
        assert list(store.task_notes(commune=HOME)["note"]) == ["cũ"]
    finally:
        store.close()


def test_a_new_database_keeps_its_seed_for_the_commune_it_will_have(tmp_path):
    store = memory_store()
    assert len(store.tasks()) == SEEDED  # no unit yet: the register waits for its commune
    store.save_units(UNITS[1:2], ADMIN)
    assert len(store.tasks(HOME)) == SEEDED and {t.commune_code for t in store.tasks()} == {HOME}
    store.save_tasks([_task("NV1.1", person="Ông A")], ADMIN)  # the home commune by default
    assert len(store.tasks(HOME)) == SEEDED
    assert next(t for t in store.tasks(HOME) if t.code == "NV1.1").person == "Ông A"


def test_the_command_line_works_on_one_communes_register(tmp_path, capsys):
    from indicators.cli import main

    db = new_db(tmp_path)
    store = _with_city(Store(db))
    store.save_tasks([_task("NV1.1", status="done", done_on=date(2026, 3, 8))], ADMIN, OTHER)
    store.close()
    out = tmp_path / "xa2.csv"
    assert main(["tasks", "export", "--out", str(out), "--commune", OTHER, "--db", db]) == 0
    assert out.read_bytes().decode("utf-8-sig").count("\n") == 2  # the header and NV1.1
    assert main(["tasks", "indicator", "--period", "2026-03", "--commune", OTHER, "--db", db]) == 0
    assert main(["tasks", "export", "--out", str(out), "--commune", CITY, "--db", db]) != 0  # a city has none
    capsys.readouterr()
    assert main(["tasks", "list", "--commune", CITY, "--db", db]) == 0
    listed = capsys.readouterr().out
    assert f"{OTHER}\tNV1.1" in listed and f"{HOME}\tNV1.1" in listed
    store = Store(db)
    try:
        row = store.current_submissions(periods=["2026-03"]).set_index(["unit_code", "indicator_code"])
        assert tuple(row.loc[(OTHER, "TC_NHIEM_VU_DUNG_HAN"), ["numerator", "denominator"]]) == (1, 1)
    finally:
        store.close()
