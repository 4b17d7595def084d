"""AppTest of the task register, report and task-group pages (each on demo and empty databases)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from indicators.domain import clock, tasks
from indicators.storage import open_store
from indicators.views import common, groups
from tests import support
from tests.support import demo_db, empty_db


def _app(monkeypatch: pytest.MonkeyPatch, db: Path, page: str) -> AppTest:
    monkeypatch.setenv("CDS_DB", str(db))
    at = support.app_test(90)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("page", ["pages/tasks.py", "pages/report.py", "pages/groups.py"])
def test_pages_render_on_an_empty_database(monkeypatch, tmp_path, page):
    at = _app(monkeypatch, empty_db(tmp_path), page)
    if page != "pages/tasks.py":  # the register exists even before any figure
        assert any("Chưa có số liệu" in str(i.value) for i in at.info)


def test_task_page_counts_equal_the_register(monkeypatch, tmp_path):
    db = demo_db(tmp_path)
    at = _app(monkeypatch, db, "pages/tasks.py")
    store = open_store(db)
    register = tasks.register(store.tasks(), store.task_notes(), clock.today(), 18)
    counts = tasks.state_counts(register)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Quá hạn"] == str(counts["overdue"])
    assert shown["Hoàn thành"] == str(counts["done"])


def test_task_form_saves_a_revision_and_refuses_a_cancel_without_reason(monkeypatch, tmp_path):
    db = empty_db(tmp_path)
    at = _app(monkeypatch, db, "pages/tasks.py")
    store = open_store(db)
    code = at.selectbox(key="task_edit").value
    before = len(store.task_history(code))
    form = at.get("form")[0]
    status = next(s for s in at.selectbox if s.label == "Trạng thái")
    status.set_value("cancelled")
    next(b for b in at.button if b.label == "Lưu thay đổi").click()
    at.run()
    assert any("lý do" in str(e.value) for e in at.error), "a cancel without a reason is refused"
    assert len(store.task_history(code)) == before
    next(s for s in at.selectbox if s.label == "Trạng thái").set_value("in_progress")
    next(b for b in at.button if b.label == "Lưu thay đổi").click()
    at.run()
    assert not at.exception
    assert len(store.task_history(code)) == before + 1
    assert {t.code: t for t in store.tasks()}[code].status == "in_progress"
    assert form is not None


def test_progress_note_is_recorded(monkeypatch, tmp_path):
    db = empty_db(tmp_path)
    at = _app(monkeypatch, db, "pages/tasks.py")
    code = at.selectbox(key="task_edit").value
    next(t for t in at.text_area if t.label == "Nội dung tiến độ").set_value("Đã họp triển khai")
    next(b for b in at.button if b.label == "Ghi tiến độ").click()
    at.run()
    notes = open_store(db).task_notes(code)
    assert list(notes["note"]) == ["Đã họp triển khai"]


def test_group_page_lists_the_groups_tasks(monkeypatch, tmp_path):
    db = demo_db(tmp_path)
    at = _app(monkeypatch, db, "pages/groups.py")
    view = groups.groups_view(open_store(db), "2026-11", common.root_unit(open_store(db)))
    expected = view.group_tasks(1)
    shown = next(d.value for d in at.dataframe if "Đơn vị chủ trì" in d.value.columns)
    assert list(shown["Mã"]) == list(expected["Mã"])


def test_report_page_builds_both_files(monkeypatch, tmp_path):
    db = demo_db(tmp_path)
    at = _app(monkeypatch, db, "pages/report.py")
    next(c for c in at.checkbox if c.label == "Chèn biểu đồ vào báo cáo").uncheck()
    next(b for b in at.button if b.label == "Lập báo cáo").click()
    at.run()
    assert not at.exception
    assert any("Đã lập báo cáo" in str(s.value) for s in at.success)
    names = [d.proto.label for d in at.get("download_button")]
    assert names == ["Tải báo cáo (.docx)", "Tải phụ lục số liệu (.xlsx)"]


def test_report_settings_are_saved(monkeypatch, tmp_path):
    db = demo_db(tmp_path)
    at = _app(monkeypatch, db, "pages/report.py")
    next(t for t in at.text_input if t.label == "Họ tên người ký").set_value("Trần Thị Ký")
    next(b for b in at.button if b.label == "Lưu").click()
    at.run()
    assert open_store(db).settings().signer_name == "Trần Thị Ký"
