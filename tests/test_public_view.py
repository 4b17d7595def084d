"""The public view (dashboards without logging in) shows figures, never who sent them, file names
or notes; the pages outside its dashboards refuse a guest even when run straight from pages/."""

from __future__ import annotations

from pathlib import Path

import pytest

from indicators.domain import catalog
from indicators.domain.accounts import Actor
from indicators.ingest import import_file
from indicators.storage import open_store
from tests import support
from tests.conftest import long_csv
from tests.support import ADMIN, demo_db

PERIOD = "2026-11"
SENDER = Actor("canbo-rieng", "quan_tri")
SECRETS = ("canbo-rieng", "ho-so-rieng", "GHI-CHU-RIENG", "TIEN-DO-RIENG")


@pytest.fixture
def public_demo(tmp_path: Path, monkeypatch) -> str:
    """The demo with the public view on, a file sent by a named account with a note, and a task
    progress note by that account."""
    path = demo_db(tmp_path)
    monkeypatch.setenv("CDS_DB", str(path))
    store = open_store(path)
    store.save_settings(store.settings().model_copy(update={"public_view": True}), ADMIN)
    code = catalog.indicators_at_level("hamlet")[0].code
    rows = [(PERIOD, "BG01", code, None, None, 7, "GHI-CHU-RIENG")]
    if catalog.indicator(code).is_ratio:
        rows = [(PERIOD, "BG01", code, 7, 10, None, "GHI-CHU-RIENG")]
    report = import_file(store, "ho-so-rieng.csv", long_csv(rows).encode(), SENDER)
    assert report.ok, report.summary()
    store.add_task_note(store.tasks()[0].code, PERIOD, "TIEN-DO-RIENG", SENDER)
    return code


def _shown(at) -> str:
    """Every table, text and caption of a page run, as one string."""
    parts = [d.value.to_string() for d in at.dataframe]
    for kind in (at.markdown, at.caption, at.text, at.info, at.warning):
        parts += [str(e.value) for e in kind]
    return "\n".join(parts)


@pytest.mark.parametrize("page", ["pages/indicator.py", "pages/tasks.py"])
def test_a_guest_sees_no_login_names_file_names_or_notes(public_demo, page):
    at = support.app_test(name=None)
    at.query_params["chi_tieu"] = public_demo
    at.query_params["ky"] = PERIOD
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    assert at.session_state["actor"].kind == "public" and at.dataframe
    shown = _shown(at)
    assert not [s for s in SECRETS if s in shown]
    assert not [d for d in at.dataframe if "dữ liệu mẫu" in d.value.to_string()]  # the demo's sender


@pytest.mark.parametrize("page", ["pages/indicator.py", "pages/tasks.py"])
def test_a_signed_in_account_still_sees_who_sent_what(public_demo, page):
    at = support.app_test(name="lanhdao", role="lanh_dao")
    at.query_params["chi_tieu"] = public_demo
    at.query_params["ky"] = PERIOD
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    shown = _shown(at)
    expected = ("canbo-rieng", "ho-so-rieng", "GHI-CHU-RIENG") if page.endswith("indicator.py") else ("TIEN-DO-RIENG",)
    assert all(s in shown for s in expected)


@pytest.mark.parametrize("page", ["pages/history.py", "pages/catalog.py", "pages/submissions.py"])
def test_pages_outside_the_public_dashboards_refuse_a_guest(public_demo, page):
    """Streamlit may run a page script straight from pages/ (a fresh server's first request)."""
    at = support.app_test(name=None)
    at.switch_page(page).run()
    assert not at.exception
    assert "chỉ dành cho tài khoản đã đăng nhập" in at.warning[0].value
    assert not at.dataframe and not [s for s in SECRETS if s in _shown(at)]
