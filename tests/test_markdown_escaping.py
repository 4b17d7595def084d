"""Text someone typed (a file's name, a unit's name, a note, a value in a link) never renders as
Markdown (issue #26): links, images, HTML, colours and formulas show as typed, on the views that
build Markdown and on the pages that show it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from indicators.domain.text import markdown_literal
from indicators.domain.units import OrgUnit
from indicators.ingest import import_file
from indicators.storage import open_store
from indicators.views import common, history, report, upload
from tests import support
from tests.support import admin, demo_db

CRAFTED = [
    "[bấm vào đây](http://evil.example/x)",
    "![ảnh](http://evil.example/p.png)",
    "<img src=x onerror=alert(1)>",
    ":red[**GIẢ MẠO**] $x^2$ `mã`",
]
HEADER = "ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\n"


def _shows_literally(text: str, typed: str) -> None:
    """`typed` is in `text` only escaped: never as the markup it spells."""
    assert typed not in text, text
    assert markdown_literal(typed) in text, text


@pytest.mark.parametrize("name", CRAFTED)
def test_upload_messages_escape_the_file_name(name, store, run_import):
    file_name = f"{name}.csv"
    good = run_import(store, file_name, HEADER + "2026-03,BG01,TT_TIN_BAI,,,4,\n", dry_run=True)
    bad = run_import(store, file_name, HEADER + "2026-03,Không có,TT_TIN_BAI,,,4,\n", dry_run=True)
    for checked in (good, bad):
        _kind, text = upload.upload_message(checked)
        _shows_literally(text, file_name)
    assert good.summary().count(file_name) == 1, "the plain summary (command line) keeps the name as is"


@pytest.mark.parametrize("name", CRAFTED)
def test_issue_table_cells_quoting_a_file_are_escaped(name, store, run_import):
    checked = run_import(store, "x.csv", HEADER + f"2026-03,\"{name}\",TT_TIN_BAI,,,4,\n", dry_run=True)
    table = common.markdown_cells(upload.issues_table(checked), ["Cột", "Nội dung"])
    (message,) = table["Nội dung"]
    _shows_literally(message, name)


@pytest.mark.parametrize("name", CRAFTED)
def test_history_labels_and_warnings_are_escaped(name):
    row = pd.DataFrame([{"id": 7, "file_name": f"{name}.csv", "created_at": datetime(2026, 4, 1, 9),
                         "warnings": [f"Cảnh báo: ghi chú “{name}”"], "reverted_at": None}])  # fmt: skip
    _shows_literally(history.batch_label(row.iloc[0], markdown=True), f"{name}.csv")
    assert f"{name}.csv" in history.batch_label(row.iloc[0]), "a selectbox option is plain text"
    ((label, warnings),) = history.batches_with_warnings(row)
    _shows_literally(label, f"{name}.csv")
    _shows_literally(warnings[0], name)


@pytest.mark.parametrize("name", CRAFTED)
def test_issue_prompt_escapes_the_unit_name(name, store):
    root = OrgUnit(code="X1", name=name, level="commune")
    prompt = report.issue_prompt(store, "2026-03", root)
    for paragraph in prompt.question:
        assert root.label not in paragraph
    assert any(markdown_literal(root.label) in paragraph for paragraph in prompt.question)


# --- through the pages --------------------------------------------------------------------------
def _page(monkeypatch, db, page: str):
    monkeypatch.setenv("CDS_DB", str(db))
    at = support.app_test(60)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _markdown_texts(at) -> str:
    """Everything the page rendered through Markdown: texts, alerts, captions, expander labels."""
    parts = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error", "subheader", "title"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [e.label for e in at.expander]
    for table in at.table:
        parts += [str(v) for v in table.value.to_numpy().ravel()]
    return "\n".join(parts)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return demo_db(tmp_path)


def test_upload_page_shows_a_crafted_file_name_literally(monkeypatch, demo):
    at = _page(monkeypatch, demo, "pages/upload.py")
    name = f"{CRAFTED[0]}{CRAFTED[1]}.csv"
    cell = CRAFTED[3]
    at.file_uploader[0].set_value((name, (HEADER + f"2026-03,{cell},TT_TIN_BAI,,,4,\n").encode(), "text/csv"))
    at.run()
    assert not at.exception
    shown = _markdown_texts(at)
    _shows_literally(shown, name)
    _shows_literally(shown, cell)  # the cell quoted in the issue table


def test_history_page_shows_a_crafted_file_name_literally(monkeypatch, demo):
    store = open_store(demo)
    name = f"{CRAFTED[2]}{CRAFTED[0]}.csv"
    csv = HEADER + "2026-03,BG01,CQ_CHU_KY_SO,5,900,,\n" + "2026-03,BG02,CQ_CHU_KY_SO,4,900,,\n"
    imported = import_file(store, name, csv.encode(), admin("người khác"), now=datetime(2026, 4, 1))
    assert imported.status == "imported" and imported.warnings, [i.text() for i in imported.issues]
    at = _page(monkeypatch, demo, "pages/history.py")
    at.button(key="revert_open").click()
    at.run()
    assert not at.exception
    shown = _markdown_texts(at)
    _shows_literally(shown, name)
    assert at.dataframe[0].value.iloc[0]["Tệp"] == name, "a table cell (canvas) shows the name as is"


def test_a_crafted_value_in_the_link_shows_literally(monkeypatch, demo):
    monkeypatch.setenv("CDS_DB", str(demo))
    at = support.app_test(60)
    at.run()
    at.switch_page("pages/submissions.py")
    at.query_params["ky"] = CRAFTED[0]
    at.run()
    assert not at.exception
    _shows_literally("\n".join(str(w.value) for w in at.warning), CRAFTED[0])
