"""Hostile input: HTML/script in user text, formula injection in exports, SQL injection strings,
junk and oversized uploads (zip bomb, a million rows), files named with the wrong extension,
malformed URL parameters, and production error details.

Threat → tests:
1. user text shown as text           test_hostile_text_is_stored_verbatim, test_pages_show_user_html_as_text,
                                      test_unsafe_html_in_pages_never_takes_user_strings
2. formula injection in exports      test_safe_text_*, test_period_export_*, test_task_export_*,
                                      test_annex_*, test_csv_template_has_no_formula_cells
3. SQL injection strings             test_sql_injection_strings_*, test_url_sql_and_script_values_warn
4. junk and oversized uploads        test_junk_upload_*, test_zip_bomb_*, test_million_rows_*,
                                      test_file_over_the_byte_cap_*, test_many_wrong_rows_*,
                                      test_upload_page_refuses_hostile_files
5. type by content, not extension    test_xlsx_named_csv_imports_as_xlsx, test_csv_named_xlsx_imports_as_csv
6. malformed URL parameters          test_malformed_url_parameters_warn_not_fail
7. no tracebacks in production       test_config_hides_error_details_and_caps_uploads
"""

from __future__ import annotations

import ast
import csv
import io
import re
import time
import tomllib
import zipfile
from contextlib import suppress
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from streamlit.testing.v1 import AppTest

from indicators.domain import tasks
from indicators.domain.units import OrgUnit
from indicators.ingest import MAX_FILE_BYTES, import_file
from indicators.ingest.read import MAX_ROWS, MAX_XLSX_UNCOMPRESSED, read_tables
from indicators.render import export
from indicators.storage import StoreError, open_store
from indicators.views import report, upload
from tests import support
from tests.conftest import APRIL_10, LONG_HEADER, long_csv
from tests.support import ADMIN, admin, shown

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SQL_1 = "'; DROP TABLE submissions; --"
SQL_2 = '" OR 1=1 --'
FORMULAS = ("=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
VI_LETTERS = re.compile(r"[ăâđêôơưàáạảãèéẹẻẽìíịỉĩòóọỏõùúụủũỳýỵỷỹ]", re.IGNORECASE)
DEMO_PERIOD = "2026-11"  # the demo's latest month


def _vietnamese(text: str) -> bool:
    return bool(VI_LETTERS.search(text))


def _rejected_cleanly(rep, store, before) -> str:
    """The report is a rejection with one clear Vietnamese message and nothing was written."""
    assert rep.status == "rejected", rep.summary()
    assert rep.errors, "a rejection says why"
    text = " ".join(i.message for i in rep.errors)
    assert _vietnamese(text), text
    assert "Traceback" not in text
    assert store.content_snapshot() == before, "nothing written"
    return text


# --- helpers for the page tests --------------------------------------------------------------------
@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A demo database of this test's own, set as $CDS_DB; the app's store is closed at the end."""
    path = support.demo_db(tmp_path)
    monkeypatch.setenv("CDS_DB", str(path))
    yield path
    with suppress(StoreError):
        open_store(path).close()


def _run(page: str, **params: str) -> AppTest:
    at = support.app_test(60)
    at.switch_page(page)
    at.query_params.update(params)
    at.run()
    assert not at.exception, "\n".join(e.message for e in at.exception)
    return at


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _html_elements(at: AppTest) -> list[str]:
    """Bodies of every element that renders raw HTML (markdown with unsafe_allow_html=True)."""
    out = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None and getattr(proto, "allow_html", False):
            out.append(proto.body)
    return out


def _shown_text(at: AppTest) -> str:
    """Everything the page shows as escaped text: markdown/alerts and table cells."""
    parts = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "body") and isinstance(proto.body, str):
            parts.append(proto.body)
        if node.type in ("arrow_data_frame", "arrow_table", "dataframe", "table"):
            with suppress(Exception):
                parts.append(node.value.to_csv())
        for attr in ("label", "options"):
            with suppress(Exception):
                parts.append(str(getattr(node, attr)))
    return "\n".join(parts)


# === 1. text a user controls is shown as text ========================================================
def test_hostile_text_is_stored_verbatim(store, run_import):
    name = f"{SCRIPT}.csv"
    data = long_csv([("2026-03", "BG01", "TT_TIN_BAI", None, None, 4, IMG)])
    rep = run_import(store, name, data)
    assert rep.status == "imported", rep.issues
    assert store.batches().iloc[0]["file_name"] == name
    assert store.current_submissions()["note"].tolist() == [IMG]
    store.save_units([OrgUnit(code="BGX", name=SCRIPT, parent="10966", level="hamlet")], ADMIN)
    assert {u.code: u.name for u in store.units()}["BGX"] == SCRIPT


def _plant_hostile_text(path: Path) -> None:
    """A hamlet, a file name, a note and a task whose text is HTML/script."""
    s = open_store(path)
    s.save_units([OrgUnit(code="BGX", name=f"Thôn {SCRIPT}", parent="10966", level="hamlet")], ADMIN)
    data = long_csv([(DEMO_PERIOD, "BG01", "TT_TIN_BAI", None, None, 99, IMG)]).encode()
    rep = import_file(s, f"{SCRIPT}.csv", data, admin("test"), now=APRIL_10.replace(year=2026, month=12))
    assert rep.status == "imported", [i.message for i in rep.issues]
    s.save_tasks(
        [tasks.Task(code="XSS1", task_group=1, title=f"Nhiệm vụ {SCRIPT}", unit=f"Phòng {IMG}",
                    expected_result="Kết quả", deadline=date(2026, 12, 1))],  # fmt: skip
        admin("test"),
    )


@pytest.mark.parametrize(
    ("page", "params"),
    [("pages/history.py", {}), ("pages/tasks.py", {}), ("pages/hamlets.py", {"thon": "BGX"})],
)
def test_pages_show_user_html_as_text(demo, page, params):
    _plant_hostile_text(demo)
    at = _run(page, **params)
    for body in _html_elements(at):
        assert "<script" not in body and "onerror" not in body, body
    shown = _shown_text(at)
    assert "<script>" in shown or "onerror" in shown, "the hostile text is shown (as text)"


def test_unsafe_html_in_pages_never_takes_user_strings():
    """Every unsafe_allow_html call builds its HTML from constants, status badges and formatted
    numbers: the values interpolated into those f-strings are all known to be safe."""
    safe = {
        "status_badge", "format.percent", "format.indicator_value", "format.month", "charts.scale_legend_html",
        "view.label", "period", "n", "s", "row.status", "row.kind", "row.value", "row.target", "group.status",
        "group.progress", "group.status_counts", "detail.status_counts", "heatmap",
        "noun",  # common.member_noun: "thôn" or "xã"
        "slides_html.CSS",  # the slides' own style sheet, a constant
        "prefix", "scroll_to",  # the entry form: a unit code and a month picked from lists, a section number
    }  # fmt: skip
    found = 0
    for path in (support.ROOT / "pages").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or not any(
                k.arg in ("unsafe_allow_html", "unsafe_allow_javascript") and getattr(k.value, "value", False) is True
                for k in call.keywords
            ):
                continue
            found += 1
            for part in ast.walk(call):
                if isinstance(part, ast.FormattedValue):
                    for name in ast.walk(part.value):
                        if isinstance(name, ast.Name | ast.Attribute) and not isinstance(
                            getattr(name, "ctx", None), ast.Store
                        ):
                            text = ast.unparse(name)
                            # every name and attribute read: exactly one of the list (`format` as
                            # the module, `row` as the object whose attributes are listed one by one)
                            assert text in safe or text in {"format", "charts", "row", "group", "slides_html"}, \
                                f"{path.name}:{call.lineno}: {text} in unsafe HTML"  # fmt: skip
    assert found >= 5, "the scan sees the pages' unsafe_allow_html calls"


# === 2. formula injection ==========================================================================
@pytest.mark.parametrize("text", [*FORMULAS, "\t=1+1", "\r=1+1"])
def test_safe_text_prefixes_formula_text(text):
    assert export.safe_text(text) == "'" + text


@pytest.mark.parametrize("value", [-5, -2.5, 0, 12, 3.0, None, "Bình thường", "", "1-2"])
def test_safe_text_keeps_numbers_and_plain_text(value):
    assert export.safe_text(value) == value


def _formula_store(store, run_import):
    rows = [("2026-03", f"BG0{i + 1}", "TT_TIN_BAI", None, None, i + 1, text) for i, text in enumerate(FORMULAS)]
    rep = run_import(store, "=cmd.csv", long_csv(rows))
    assert rep.status == "imported", [i.message for i in rep.issues]
    return store


def _csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_period_export_csv_neutralises_formulas(store, run_import):
    _formula_store(store, run_import)
    rows = _csv_cells(export.export_bytes(store, "2026-03", "csv"))
    assert tuple(rows[0]) == LONG_HEADER
    notes = [r[-1] for r in rows[1:]]
    assert sorted(notes) == sorted("'" + f for f in FORMULAS)
    for row in rows[1:]:
        assert not any(cell.startswith(FORMULA_START) for cell in row), row
        assert row[5].isdigit(), "the figure stays a plain number"


def test_period_export_xlsx_neutralises_formulas_and_keeps_numbers(store, run_import):
    _formula_store(store, run_import)
    sheet = load_workbook(io.BytesIO(export.export_bytes(store, "2026-03", "xlsx"))).active
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert not cell.value.startswith(FORMULA_START), (cell.coordinate, cell.value)
        assert isinstance(row[5].value, int), "figures stay numbers"


def test_task_export_csv_neutralises_formulas():
    task = tasks.Task(
        code="F1", task_group=1, title="=HYPERLINK(\"http://x\",\"bấm\")", unit="+Phòng", person="@ông A",
        expected_result="-2+3 kết quả", deadline=date(2026, 5, 1), status="cancelled", cancel_reason="=1+1",
    )  # fmt: skip
    rows = _csv_cells(tasks.export_csv([task]))
    for cell in rows[1]:
        assert not cell.startswith(FORMULA_START), cell
    assert rows[1][2] == "'" + task.title


def test_annex_xlsx_neutralises_formulas_and_keeps_negative_numbers(store, run_import):
    store.save_units([OrgUnit(code="BG08", name="=HYPERLINK(\"x\")", parent="10966", level="hamlet")], ADMIN)
    _formula_store(store, run_import)
    # a second month with lower figures: the month-on-month change is a negative number
    rows = [("2026-04", "BG01", "TT_TIN_BAI", None, None, 0, "-giảm")]
    assert run_import(store, "thang4.csv", long_csv(rows)).status == "imported"
    book = load_workbook(io.BytesIO(report.annex_xlsx(store, "2026-03")))
    numbers = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_START), (sheet.title, cell.coordinate, cell.value)
                elif isinstance(cell.value, int | float):
                    numbers += 1
    assert numbers, "figures stay numbers"
    raw = book["Số liệu gốc"]
    notes = {c.value for c in raw["H"][1:]}
    assert "'=cmd|' /C calc'!A0" in notes
    book4 = load_workbook(io.BytesIO(report.annex_xlsx(store, "2026-04")))
    changes = [c.value for c in book4["Chỉ tiêu"]["H"][1:] if c.value is not None]
    assert any(isinstance(v, int | float) and v < 0 for v in changes), "a negative change stays a number"


def test_csv_template_has_no_formula_cells(store):
    units = [u for u in store.units()]
    rows = _csv_cells(upload.csv_template(units, "2026-03"))
    assert len(rows) > 10
    for row in rows:
        assert not any(cell.startswith(FORMULA_START) for cell in row), row
    # unit codes (the only text a user controls in the template) cannot start a formula
    for code in ("=A1", "+A1", "@A1", "\tA1", "A(1)"):
        with pytest.raises(ValueError):
            OrgUnit(code=code, name="x")


# === 3. SQL injection strings ======================================================================
def _counts(store) -> dict[str, int]:
    """Rows per table; the test's own login (a session row) is not a change made by the attack."""
    return {table: len(rows) for table, rows in store.content_snapshot().items() if table != "sessions"}


@pytest.mark.parametrize("attack", [SQL_1, SQL_2])
def test_sql_injection_strings_in_a_file_are_rejected_and_harmless(store, run_import, attack):
    before = store.content_snapshot()
    rows = [("2026-03", attack, "TT_TIN_BAI", None, None, 1, attack), ("2026-03", "BG01", attack, None, None, 1, "")]
    rep = run_import(store, f"{attack}.csv", long_csv(rows))
    _rejected_cleanly(rep, store, before)


@pytest.mark.parametrize("attack", [SQL_1, SQL_2])
def test_sql_injection_strings_in_notes_and_file_name_are_stored_verbatim(store, run_import, attack):
    tables = _counts(store)
    rep = run_import(store, f"{attack}.csv", long_csv([("2026-03", "BG01", "TT_TIN_BAI", None, None, 4, attack)]))
    assert rep.status == "imported"
    after = _counts(store)
    assert set(after) == set(tables), "every table still exists"
    assert after["submissions"] == tables["submissions"] + 1 and after["batches"] == tables["batches"] + 1
    assert store.current_submissions()["note"].tolist() == [attack]
    assert store.batches().iloc[0]["file_name"] == f"{attack}.csv"


def test_url_sql_and_script_values_warn(demo):
    before = _counts(open_store(demo))
    at = _run("pages/indicator.py", ky="2026-03'; DROP TABLE x;--", chi_tieu="<script>")
    warnings = " ".join(shown(w.value) for w in at.warning)
    assert "2026-03'; DROP TABLE x;--" in warnings and "<script>" in warnings
    assert _vietnamese(warnings)
    assert _counts(open_store(demo)) == before


# === 4. junk and oversized uploads =================================================================
def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "xin chào")
    return buffer.getvalue()


def _zip_bomb(megabytes: int = 200) -> bytes:
    """A real workbook whose sheet XML unzips to `megabytes` MB (an XML comment of spaces)."""
    workbook = Workbook()
    workbook.active.append(list(LONG_HEADER))
    source = io.BytesIO()
    workbook.save(source)
    out = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in original.infolist():
            body = original.read(item.filename)
            if item.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(item.filename, body)
                continue
            head, tail = body.split(b"<sheetData>", 1)
            with bomb.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(head + b"<sheetData><!--")
                chunk = b" " * (1 << 20)
                for _ in range(megabytes):
                    sheet.write(chunk)
                sheet.write(b"-->" + tail)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("rac.csv", bytes(range(256)) * 64, "không phải bảng dữ liệu"),
        ("rong.csv", b"", "rỗng"),
        ("chi_co_khoang_trang.csv", b"\xef\xbb\xbf \r\n \n", "rỗng"),
        ("chi_tieu_de.csv", (",".join(LONG_HEADER) + "\n").encode(), "không có dòng số liệu"),
        ("anh.csv", _png(), "không phải bảng dữ liệu"),
        ("nen.csv", _plain_zip(), "tệp nén"),
        ("hong.xlsx", b"PK\x03\x04" + bytes(300), "Không đọc được tệp Excel"),
        ("o_qua_dai.csv", (",".join(LONG_HEADER) + "\n2026-03,BG01,TT,,,1," + "x" * 300_000).encode(), "ô quá dài"),
    ],
    ids=["binary", "empty", "blank", "header_only", "png_as_csv", "zip_as_csv", "broken_xlsx", "huge_cell"],
)
def test_junk_upload_is_refused_in_vietnamese(store, run_import, name, data, expected):
    before = store.content_snapshot()
    text = _rejected_cleanly(run_import(store, name, data), store, before)
    assert expected in text, text


def test_zip_bomb_is_refused_from_the_zip_directory(store, run_import, monkeypatch):
    bomb = _zip_bomb(200)
    assert len(bomb) < 1024 * 1024, "small on disk"
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist()) > MAX_XLSX_UNCOMPRESSED

    def no_decompression(*args, **kwargs):
        raise AssertionError("the workbook must not be opened")

    monkeypatch.setattr("openpyxl.load_workbook", no_decompression)
    before = store.content_snapshot()
    started = time.monotonic()
    text = _rejected_cleanly(run_import(store, "bom.xlsx", bomb), store, before)
    assert time.monotonic() - started < 2
    assert "giải nén lớn hơn 50 MB" in text


def test_million_rows_are_refused_in_bounded_time(store, run_import):
    data = (",".join(LONG_HEADER) + "\n" + "x,x,x,x,x,x,x\n" * 1_000_000).encode()
    assert len(data) < MAX_FILE_BYTES, "the row cap, not the byte cap, is under test"
    before = store.content_snapshot()
    started = time.monotonic()
    text = _rejected_cleanly(run_import(store, "trieu_dong.csv", data), store, before)
    assert time.monotonic() - started < 15
    assert f"hơn {MAX_ROWS:,} dòng".replace(",", ".") in text


def test_many_wrong_rows_stop_early(store, run_import):
    """Below the row cap, a file of wrong rows is refused after a sample, not after minutes."""
    data = (",".join(LONG_HEADER) + "\n" + "x,x,x,x,x,x,x\n" * 20_000).encode()
    before = store.content_snapshot()
    started = time.monotonic()
    text = _rejected_cleanly(run_import(store, "sai.csv", data), store, before)
    assert time.monotonic() - started < 15
    assert "Quá nhiều lỗi" in text


def test_file_over_the_byte_cap_is_refused(store, run_import):
    data = long_csv([("2026-03", "BG01", "TT_TIN_BAI", None, None, 4, "x" * 100)]).encode()
    data += b" " * (MAX_FILE_BYTES + 1 - len(data))
    before = store.content_snapshot()
    text = _rejected_cleanly(run_import(store, "lon.csv", data), store, before)
    assert text.startswith("Tệp lớn hơn 20 MB")


def test_upload_page_refuses_hostile_files(demo):
    at = _run("pages/upload.py")
    before = open_store(demo).content_snapshot()
    at.file_uploader[0].set_value(
        [("anh.csv", _png(), "text/csv"), ("rong.csv", b"", "text/csv"), ("bom.xlsx", _zip_bomb(60), "application/zip")]
    )
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 3 and all("bị từ chối" in e for e in errors), errors
    assert not any(b.key == "confirm_import" for b in at.button)
    assert open_store(demo).content_snapshot() == before


# === 5. type by content, not extension =============================================================
def test_xlsx_named_csv_imports_as_xlsx(store, run_import, fixture_bytes):
    data = fixture_bytes("long.xlsx")
    assert read_tables("long.csv", data)[0].encoding == "xlsx"
    rep = run_import(store, "long.csv", data)
    assert rep.status == "imported", [i.message for i in rep.issues]
    assert rep.count("new") > 0


def test_csv_named_xlsx_imports_as_csv(store, run_import):
    data = long_csv([("2026-03", "BG01", "TT_TIN_BAI", None, None, 4, "")]).encode()
    assert read_tables("so_lieu.xlsx", data)[0].encoding == "utf-8"
    rep = run_import(store, "so_lieu.xlsx", data)
    assert rep.status == "imported", [i.message for i in rep.issues]


# === 6. malformed URL parameters ===================================================================
@pytest.mark.parametrize(
    ("page", "params"),
    [
        ("pages/hamlets.py", {"ky": "2026-13", "chi_tieu": "KHONG_CO", "thon": "../../etc/passwd"}),
        ("pages/groups.py", {"ky": "", "nhom": "99"}),
        ("pages/indicator.py", {"chi_tieu": "%00", "ky": "9999-99"}),
        ("pages/tasks.py", {"nhom": "-1", "don_vi": SCRIPT}),
        ("pages/presentation.py", {"ky": "abc", "trang": "1e99", "co": "x"}),
    ],
)
def test_malformed_url_parameters_warn_not_fail(demo, page, params):
    at = _run(page, **params)
    assert not at.error, [e.value for e in at.error]
    warnings = " ".join(shown(w.value) for w in at.warning)
    assert _vietnamese(warnings)
    for value in params.values():
        if value and value not in ("1e99", "x"):  # presentation: bad page and size fall back quietly
            assert value in warnings, (value, warnings)
    if page == "pages/presentation.py":
        assert at.query_params.get("trang") in ("1", ["1"])


# === 7. production shows no tracebacks =============================================================
def test_config_hides_error_details_and_caps_uploads():
    config = tomllib.loads((support.ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == MAX_FILE_BYTES


# the statements that still put a value into SQL text, each for a reason: DuckDB cannot bind an
# ATTACH path, an extension folder or a statement sent to PostgreSQL (postgres_execute/_query take
# the SQL as text; the two queries of submissions.py run there for its indexes and quote only unit
# codes and months that `OrgUnit.code` and `parse_period` limit to letters, digits and . _ -; the
# recode's CASE of old → new codes runs there too, for the same codes)
QUOTED_SQL_ALLOWED = {
    ("connection.py", "attach_postgres"), ("connection.py", "_run_native"), ("connection.py", "_native"),
    ("connection.py", "_ids"), ("connection.py", "_take_process_lock"), ("connection.py", "__init__"),
    ("backup.py", "backup"), ("backup.py", "copy_from_duckdb"),
    ("submissions.py", "current_submissions"), ("submissions.py", "submission_counts"),
    ("recode.py", "_case"), ("recode.py", "_in_list"),
}  # fmt: skip


def _quoting_functions(path) -> set[tuple[str, str]]:
    """(file, function) of every f-string that opens a quote before a value, or call of `_literal`."""
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        for node in ast.walk(function):
            quoted = isinstance(node, ast.JoinedStr) and any(
                isinstance(a, ast.Constant) and str(a.value).endswith("'") and isinstance(b, ast.FormattedValue)
                for a, b in zip(node.values, node.values[1:])
            )
            literal = isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_literal"
            if quoted or literal:
                found.add((path.name, function.name))
    return found


def test_values_reach_sql_as_parameters_but_where_listed():
    found = set()
    for path in (support.ROOT / "indicators" / "storage").glob("*.py"):
        found |= _quoting_functions(path)
    assert found - QUOTED_SQL_ALLOWED == set(), "values quoted into SQL text: bind them as parameters"
    assert ("store.py", "store_as_of") not in found and ("accounts.py", "session_user") not in found


@pytest.mark.parametrize("attack", ["x' OR '1'='1", "'); DROP TABLE sessions; --"])
def test_a_hostile_session_token_finds_no_session(store, attack):
    from datetime import datetime as _dt

    store.start_session("a" * 64, "quantri", _dt(2026, 4, 1, 9))
    assert store.session_user(attack, 60, _dt(2026, 4, 1, 9, 5)) is None
    assert store.session_user("a" * 64, 60, _dt(2026, 4, 1, 9, 5)) is None  # no such account: None, no error
    with store.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
