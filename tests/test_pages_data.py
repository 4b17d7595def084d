"""The data pages through Streamlit's AppTest: Nộp số liệu, Tình hình nộp báo cáo, Lịch sử, Danh mục.

Every test runs the real app (app.py with st.navigation) on its own copy of a database. The app's
store and `open_store(path)` are the same process-wide instance, so the tests read what the pages
wrote through `open_store`, never through a second connection.
"""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

import indicators.ingest as ingest
from indicators import metrics
from indicators.domain import clock
from indicators.ingest import import_file
from indicators.storage import Store, open_store
from indicators.views import common, upload
from tests import support
from tests.support import admin, demo_db, empty_db

PAGES = ["pages/upload.py", "pages/submissions.py", "pages/history.py", "pages/catalog.py"]
COMMUNE = "10966"
HEADER = "ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\n"
# Phú Khê (BG13) misses October in the demo: these figures are new; Cậy's March figure is changed
GOOD_CSV = (
    HEADER
    + "2026-10,BG13,CQ_CHU_KY_SO,700,1800,,\n"
    + "2026-10,Thôn Phú Khê,HT_MAY_2G,,,4,gửi bù\n"
    + "2026-10,BG13,DN_THUONG_MAI_DIEN_TU,,,3,\n"
    + "2026-03,BG01,TT_TIN_BAI,,,7,\n"
).encode("utf-8")
BAD_CSV = (
    HEADER + "2026-10,Thôn Không Có,CQ_CHU_KY_SO,500,600,,\n" + "2026-10,BG02,CQ_VNEID_MUC_2,700,660,,\n"
).encode("utf-8")


def _app(monkeypatch: pytest.MonkeyPatch, db: Path, page: str) -> AppTest:
    monkeypatch.setenv("CDS_DB", str(db))
    at = support.app_test(60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(elements) -> list[str]:
    return [support.shown(e.value) for e in elements]


def _button(at: AppTest, key: str):
    return at.button(key=key)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return demo_db(tmp_path)


# --- every page renders -------------------------------------------------------------------------
@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("database", ["demo", "empty"])
def test_page_renders_without_exception(monkeypatch, tmp_path, page, database):
    db = demo_db(tmp_path) if database == "demo" else empty_db(tmp_path)
    at = _app(monkeypatch, db, page)
    assert at.title, "every page has a title"
    if database == "empty":
        assert at.info or at.caption, "an empty database explains what to do"


# --- Nộp số liệu ----------------------------------------------------------------------------------
def test_upload_good_csv_previews_counts_then_imports(monkeypatch, demo):
    at = _app(monkeypatch, demo, "pages/upload.py")
    store = open_store(demo)
    assert (
        metrics.completeness(store, "2026-10", COMMUNE).set_index("unit_code").loc["BG13", "submitted"] == 0
    )
    before = store.content_snapshot()

    at.file_uploader[0].set_value([("bg13_thang10.csv", GOOD_CSV, "text/csv")])
    at.run()
    assert not at.exception
    preview = " ".join(_texts(at.success))
    assert "Kiểm tra thử tệp “bg13_thang10.csv”" in preview
    assert "3 số liệu mới, 1 sửa đổi, 0 không đổi" in preview
    rows = at.dataframe[-1].value  # the preview of the rows, formatted
    assert list(rows["Chỉ tiêu"]) == ["CQ_CHU_KY_SO", "HT_MAY_2G", "DN_THUONG_MAI_DIEN_TU", "TT_TIN_BAI"]
    assert rows.iloc[0]["Số liệu trong tệp"] == "38,9% (700/1.800)"
    assert list(rows["Thay đổi"]) == ["Mới", "Mới", "Mới", "Sửa đổi"]
    assert store.content_snapshot() == before, "the dry run writes nothing"

    _button(at, "confirm_import").click()
    at.run()
    assert not at.exception
    done = " ".join(_texts(at.success))
    assert "Đã nhập tệp “bg13_thang10.csv” (Tháng 3/2026, Tháng 10/2026) thành lô số" in done
    assert not at.file_uploader[0].value, "the uploader starts empty again"

    # the dashboards read the store on each run: the new figures count at once
    row = metrics.completeness(store, "2026-10", COMMUNE).set_index("unit_code").loc["BG13"]
    assert row["submitted"] == 3
    current = store.current_submissions(periods=["2026-10", "2026-03"]).set_index(
        ["period", "unit_code", "indicator_code"]
    )
    assert current.loc[("2026-10", "BG13", "CQ_CHU_KY_SO"), "numerator"] == 700
    assert current.loc[("2026-10", "BG13", "HT_MAY_2G"), "note"] == "gửi bù"
    assert current.loc[("2026-03", "BG01", "TT_TIN_BAI"), "value"] == 7
    assert store.batches().iloc[0]["user_name"] == support.SIGNED_IN

    at.switch_page("pages/submissions.py")
    at.run()
    at.selectbox(key="url_ky").set_value("2026-10")
    at.run()
    assert not at.exception
    phu_khe = at.dataframe[0].value.set_index("Đơn vị").loc["Thôn Phú Khê"]
    assert phu_khe["Đã nộp"] == "3/16" and phu_khe["Tình trạng"] == "◐ Chưa đủ"


def test_upload_bad_csv_lists_row_and_column_and_writes_nothing(monkeypatch, demo):
    at = _app(monkeypatch, demo, "pages/upload.py")
    store = open_store(demo)
    before = store.content_snapshot()

    at.file_uploader[0].set_value(("loi.csv", BAD_CSV, "text/csv"))
    at.run()
    assert not at.exception
    errors = " ".join(_texts(at.error))
    assert "bị từ chối: 2 lỗi" in errors and "sửa các lỗi sau rồi tải lên lại" in errors
    issues = at.table[0].value
    assert {"Mức độ", "Dòng", "Cột", "Nội dung"} <= set(issues.columns)
    assert list(issues["Dòng"]) == ["2", "3"]
    assert list(map(support.shown, issues["Cột"])) == ["B (don_vi)", "D (tu_so)"]
    assert "Thôn Không Có" in issues.iloc[0]["Nội dung"]
    assert "lớn hơn mẫu số" in issues.iloc[1]["Nội dung"]
    assert not any(b.key == "confirm_import" for b in at.button), "nothing to import"
    assert store.content_snapshot() == before


def test_upload_mixed_files_imports_only_the_accepted_one(monkeypatch, demo):
    at = _app(monkeypatch, demo, "pages/upload.py")
    store = open_store(demo)
    batches = len(store.batches())
    at.file_uploader[0].set_value([("tot.csv", GOOD_CSV, "text/csv"), ("loi.csv", BAD_CSV, "text/csv")])
    at.run()
    assert "bỏ qua 1 tệp bị từ chối" in " ".join(_texts(at.caption))
    _button(at, "confirm_import").click()
    at.run()
    assert not at.exception
    assert len(store.batches()) == batches + 1
    assert store.batches().iloc[0]["file_name"] == "tot.csv"


def test_dry_run_is_kept_per_file_across_reruns(monkeypatch, demo):
    """The page imports `import_file` afresh at each run, so patching the module counts calls."""
    calls = []
    original = ingest.import_file

    def counting(*args, **kwargs):
        calls.append(kwargs.get("dry_run"))
        return original(*args, **kwargs)

    monkeypatch.setattr(ingest, "import_file", counting)
    at = _app(monkeypatch, demo, "pages/upload.py")
    at.file_uploader[0].set_value(("tot.csv", GOOD_CSV, "text/csv"))
    at.run()
    at.run()  # a rerun (any widget) must not validate the same bytes again
    assert calls == [True]


@pytest.fixture
def downloads(monkeypatch) -> list[tuple[bytes, str, str | None]]:
    """Every file the app hands to Streamlit's media storage: (data, mimetype, file name)."""
    captured: list[tuple[bytes, str, str | None]] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def capture(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, bytes):
            captured.append((path_or_data, mimetype, filename))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", capture)
    return captured


def test_download_buttons_give_the_month_templates(monkeypatch, demo, downloads):
    at = _app(monkeypatch, demo, "pages/upload.py")
    labels = [b.label for b in at.download_button]
    assert labels == ["Biểu mẫu Excel (.xlsx)", "Biểu mẫu CSV"]
    month = at.selectbox(key="template_period")
    months = upload.template_periods(clock.today())
    assert month.value == months[0] == f"{clock.today():%Y-%m}", "the current month by default"
    month.set_value(months[-1])  # January of this year, whatever today is
    at.run()
    assert not at.exception
    files = {name: (data, mime) for data, mime, name in downloads}
    period = months[-1]
    xlsx, mime = files[f"bieu_mau_{period}.xlsx"]
    assert mime.endswith("spreadsheetml.sheet") and xlsx[:2] == b"PK"
    workbook = load_workbook(BytesIO(xlsx))
    assert workbook.sheetnames[0] == period
    csv_bytes, mime = files[f"bieu_mau_{period}.csv"]
    assert mime == "text/csv"
    assert csv_bytes.startswith(b"\xef\xbb\xbfky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu")
    lines = csv_bytes.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 14 * 16 + 10  # 14 hamlets × 16 hamlet indicators + the commune's 10
    assert lines[1].startswith(f"{period},BG14,")  # hamlets by name: An Cường first


def test_many_units_get_their_templates_when_the_button_is_pressed(monkeypatch, demo, downloads):
    """Above EAGER_TEMPLATE_UNITS (a city's thousands of units) the page does not build the
    templates on every visit: the buttons carry a callable, and it gives the same files."""
    monkeypatch.setattr(upload, "EAGER_TEMPLATE_UNITS", 0)
    at = _app(monkeypatch, demo, "pages/upload.py")
    assert [b.label for b in at.download_button] == ["Biểu mẫu Excel (.xlsx)", "Biểu mẫu CSV"]
    assert not [name for _, _, name in downloads if name and name.startswith("bieu_mau_")], "built eagerly"
    store = Store(demo)
    try:
        period = upload.template_periods(clock.today())[0]
        maker = upload.template_maker(store, "10966", period, support.admin())
        units = upload.upload_units(store, "10966", support.admin())
        assert maker.csv() == upload.csv_template(units, period)
        assert load_workbook(BytesIO(maker.xlsx())).sheetnames[0] == period
        assert maker.xlsx() is maker.xlsx()  # made once
    finally:
        store.close()


def test_csv_template_round_trips_through_the_importer(tmp_path):
    """Left blank, the CSV template says it has no figures; partly filled, the blank rows are skipped."""
    store = open_store(demo_db(tmp_path))
    units = metrics.reporting_units(store, COMMUNE)
    text = upload.csv_template(units, "2026-11").decode("utf-8-sig")
    assert text.count("\r\n") == 1 + 14 * 16 + 10
    assert ",HT_PHU_SONG_5G,,1,," in text, "yes/no indicators come with the denominator 1"
    blank = import_file(store, "mau.csv", text.encode("utf-8"), admin("t"), dry_run=True, now=datetime(2026, 11, 27))
    assert blank.status == "rejected" and len(blank.errors) == 1
    assert blank.errors[0].message.startswith("Tệp chưa có số liệu nào")
    lines = text.split("\r\n")
    row = next(i for i, line in enumerate(lines) if ",TT_TIN_BAI," in line)
    lines[row] = lines[row].replace(",TT_TIN_BAI,,,,", ",TT_TIN_BAI,,,3,")
    partly = import_file(store, "mau.csv", "\r\n".join(lines).encode("utf-8"), admin("t"), dry_run=True,
                         now=datetime(2026, 11, 27))  # fmt: skip
    assert partly.status == "dry_run" and len(partly.rows) == 1
    assert any("dòng không có số liệu nên được bỏ qua" in w.message for w in partly.warnings)


# --- Tình hình nộp báo cáo ------------------------------------------------------------------------
@pytest.mark.parametrize("period", [None, "2026-10", "2026-07"])
def test_submissions_headline_equals_metrics(monkeypatch, demo, period):
    at = _app(monkeypatch, demo, "pages/submissions.py")
    if period is not None:
        at.selectbox(key="url_ky").set_value(period)
        at.run()
        assert not at.exception
    chosen = at.selectbox(key="url_ky").value
    table = metrics.completeness(open_store(demo), chosen, COMMUNE)
    hamlets = table[table["level"] == "hamlet"]
    expected = f"{int((hamlets['status'] == 'on_time').sum())}/{len(hamlets)} thôn đã nộp đúng hạn"
    assert expected in _texts(at.subheader)
    shown = at.dataframe[0].value
    assert len(shown) == len(table)
    if chosen == "2026-10":
        assert expected == "13/14 thôn đã nộp đúng hạn"  # Phú Khê (BG13) misses October
        phu_khe = shown.set_index("Đơn vị").loc["Thôn Phú Khê"]
        assert phu_khe["Tình trạng"] == "✗ Chưa nộp" and phu_khe["Đã nộp"] == "0/16"
        assert phu_khe["Nhận lần cuối"] == "–" and phu_khe["Chỉ tiêu còn thiếu"] == "Tất cả"
        assert shown.iloc[0]["Đơn vị"] == "Thôn Phú Khê", "the units to remind come first"


def test_deadline_counts_days_from_a_fixed_today():
    before = common.deadline_info("2026-03", 18, date(2026, 3, 10))
    assert before.days_left == 8 and before.text.endswith("còn 8 ngày.")
    assert "ngày 18/03/2026" in before.text
    assert common.deadline_info("2026-03", 18, date(2026, 3, 18)).text.endswith(
        "hôm nay là ngày cuối cùng."
    )
    after = common.deadline_info("2026-03", 20, date(2026, 4, 2))
    assert after.days_left == -13 and after.text.endswith("đã quá hạn 13 ngày.")


# --- Lịch sử --------------------------------------------------------------------------------------
def test_history_revert_through_the_dialog_restores_previous_values(monkeypatch, demo):
    store = open_store(demo)
    key = ("2026-03", "BG01", "CQ_CHU_KY_SO")
    original = (
        store.current_submissions(periods=["2026-03"])
        .set_index(["period", "unit_code", "indicator_code"])
        .loc[key, ["numerator", "denominator"]]
        .tolist()
    )
    fix = (HEADER + "2026-03,BG01,CQ_CHU_KY_SO,5,900,,nhầm\n").encode("utf-8")
    report = import_file(store, "nham.csv", fix, admin("người khác"), now=datetime(2026, 4, 1))
    assert report.status == "imported"

    at = _app(monkeypatch, demo, "pages/history.py")
    assert at.dataframe[0].value.iloc[0]["Tệp"] == "nham.csv"
    assert at.selectbox(key="revert_choice").value == report.batch_id
    _button(at, "revert_open").click()
    at.run()
    assert not at.exception
    assert f"Hoàn tác lô số {report.batch_id} sẽ thay đổi 1 số liệu." in _texts(at.markdown)
    change = at.table[0].value.iloc[0]
    assert change["Hiện tại"] == "0,6% (5/900)"
    assert change["Sau khi hoàn tác"].endswith(
        f"({int(original[0]):,}/{int(original[1]):,})".replace(",", ".")
    )
    assert store.batches().iloc[0]["reverted_at"] != store.batches().iloc[0]["reverted_at"], "not yet"

    _button(at, "revert_confirm").click()
    at.run()
    assert not at.exception
    assert any(f"Đã hoàn tác lô số {report.batch_id}" in text for text in _texts(at.success))
    now = store.current_submissions(periods=["2026-03"]).set_index(["period", "unit_code", "indicator_code"])
    assert now.loc[key, ["numerator", "denominator"]].tolist() == original
    batch = store.batches().iloc[0]
    assert batch["reverted_by"] == support.SIGNED_IN
    assert at.dataframe[0].value.iloc[0]["Trạng thái"].startswith(f"↩ Đã hoàn tác ({support.SIGNED_IN}, ")
    assert "revert_pending" not in at.session_state


def test_history_cancel_changes_nothing(monkeypatch, demo):
    at = _app(monkeypatch, demo, "pages/history.py")
    store = open_store(demo)
    before = store.content_snapshot()
    _button(at, "revert_open").click()
    at.run()
    _button(at, "revert_cancel").click()
    at.run()
    assert not at.exception
    assert store.content_snapshot() == before
    assert "revert_pending" not in at.session_state


# --- Danh mục -------------------------------------------------------------------------------------
def _target_form(at: AppTest, code: str, year: int):
    at.selectbox(key="target_code").set_value(code)
    at.selectbox(key="target_year").set_value(year)
    at.run()
    value = next(t for t in at.text_input if t.label.startswith("Mục tiêu ("))
    basis = at.text_area[0]
    submit = next(b for b in at.button if b.label == "Lưu mục tiêu")
    return value, basis, submit


def test_catalog_target_edit_persists_and_invalid_shows_error(monkeypatch, demo):
    at = _app(monkeypatch, demo, "pages/catalog.py")
    store = open_store(demo)
    assert "CQ_CHU_KY_SO" not in store.targets(2027)

    value, basis, submit = _target_form(at, "CQ_CHU_KY_SO", 2027)
    value.set_value("120")
    basis.set_value("  ")
    submit.click()
    at.run()
    assert not at.exception
    error = " ".join(_texts(at.error))
    assert "mục tiêu phải từ 0 đến 100" in error and "Cần ghi căn cứ" in error
    assert "CQ_CHU_KY_SO" not in store.targets(2027), "an invalid target changes nothing"

    value, basis, submit = _target_form(at, "CQ_CHU_KY_SO", 2027)
    value.set_value("65,5")
    basis.set_value("Kế hoạch chuyển đổi số của xã năm 2027")
    submit.click()
    at.run()
    assert not at.exception
    assert any("Đã đặt mục tiêu 2027 của CQ_CHU_KY_SO: 65,5%" in t for t in _texts(at.success))
    assert store.targets(2027)["CQ_CHU_KY_SO"] == 65.5
    row = store.target_rows().query("indicator_code == 'CQ_CHU_KY_SO' and year == 2027").iloc[0]
    assert row["basis"] == "Kế hoạch chuyển đổi số của xã năm 2027" and row["set_by"] == support.SIGNED_IN


def test_catalog_negative_count_target_is_refused(monkeypatch, demo):
    at = _app(monkeypatch, demo, "pages/catalog.py")
    before = open_store(demo).target_rows()
    value, basis, submit = _target_form(at, "HT_MAY_2G", 2026)
    value.set_value("-3")
    submit.click()
    at.run()
    assert "Mục tiêu không được âm." in " ".join(_texts(at.error))
    assert open_store(demo).target_rows().equals(before)


def test_catalog_unit_edit_validates_then_saves(monkeypatch, demo):
    at = _app(monkeypatch, demo, "pages/catalog.py")
    store = open_store(demo)
    at.selectbox(key="unit_edit_code").set_value("BG05")
    at.run()
    name, households = at.text_input[0], at.text_input[1]
    assert name.value == "Hạ Bì" and households.value == "700"
    before = store.units()
    name.set_value("")
    households.set_value("bảy trăm")
    next(b for b in at.button if b.label == "Lưu thay đổi").click()
    at.run()
    error = " ".join(_texts(at.error))
    assert "Tên đơn vị không được để trống" in error and "Số hộ “bảy trăm” không hợp lệ" in error
    assert store.units() == before

    at.text_input[0].set_value("Hạ Bì")
    at.text_input[1].set_value("1.205")
    at.checkbox[0].uncheck()
    next(b for b in at.button if b.label == "Lưu thay đổi").click()
    at.run()
    assert not at.exception
    unit = next(u for u in store.units() if u.code == "BG05")
    assert unit.households == 1205 and unit.active is False
    assert "✗ Ngừng hoạt động" in at.dataframe[0].value.set_index("Mã").loc["BG05", "Trạng thái"]


def test_catalog_units_file_on_an_empty_database(monkeypatch, tmp_path):
    db = empty_db(tmp_path)
    at = _app(monkeypatch, db, "pages/catalog.py")
    bad = "code,name,parent,households,population\n10966,Bình Giang,,10020,32925\nBG01,Cậy,99999,abc,\n"
    at.file_uploader[0].set_value(("thon.csv", bad.encode("utf-8"), "text/csv"))
    at.run()
    assert "sửa các lỗi sau rồi tải lên lại" in " ".join(_texts(at.error))
    issues = at.table[0].value
    assert set(issues["Dòng"]) == {"3"}
    assert any(column.startswith("D") for column in issues["Cột"])  # households
    assert open_store(db).units() == []

    good = "code,name,parent,households,population\n10966,Bình Giang,,10020,32925\nBG01,Cậy,10966,820,2665\n"
    at.file_uploader[0].set_value(("thon.csv", good.encode("utf-8"), "text/csv"))
    at.run()
    assert "2 đơn vị mới, 0 cập nhật, 0 không đổi" in " ".join(_texts(at.success))
    next(b for b in at.button if b.key == "units_save").click()
    at.run()
    assert not at.exception
    assert [u.code for u in open_store(db).units()] == ["10966", "BG01"]
    assert any("Đã lưu 2 đơn vị" in t for t in _texts(at.success))

    # with units, the upload page offers the templates
    at.switch_page("pages/upload.py")
    at.run()
    assert not at.exception
    assert len(at.download_button) == 2


def test_catalog_lists_the_26_indicators_in_vietnamese(monkeypatch, demo):
    at = _app(monkeypatch, demo, "pages/catalog.py")
    tables = [d.value for d in at.dataframe]
    indicators = next(t for t in tables if "Nhóm nhiệm vụ" in t.columns)
    assert len(indicators) == 26
    assert set(indicators["Loại"]) == {"Tỷ lệ (tử số/mẫu số)", "Số lượng"}
    assert set(indicators["Cấp báo cáo"]) == {"Thôn", "Xã"}
    assert "Đặt mục tiêu" in [h.value for h in at.subheader]  # the admin may edit


def test_catalog_is_read_only_for_leadership(monkeypatch, demo):
    monkeypatch.setenv("CDS_DB", str(demo))
    at = support.app_test(name="lanhdao")
    at.switch_page("pages/catalog.py")
    at.run()
    assert not at.exception
    assert any("Chỉ tài khoản quản trị" in c for c in _texts(at.caption))
    assert "Đặt mục tiêu" not in [h.value for h in at.subheader] and not at.text_input


def test_upload_preview_cards_show_the_values_first():
    import pandas as pd

    from indicators.views import upload

    preview = pd.DataFrame([{"Đơn vị": "Thôn Cậy", "Chỉ tiêu": "HT_CAP_QUANG", "Thay đổi": "Sửa đổi",
                             "Số liệu trong tệp": "66,9% (669/1.000)", "Số liệu hiện có": "65,0% (650/1.000)",
                             "Kỳ báo cáo": "Tháng 3/2026", "Dòng": "2", "Ghi chú": "*đậm*"}])  # fmt: skip
    (card,) = upload.preview_cards(preview)
    assert card.startswith("**Thôn Cậy** · Tháng 3/2026 · dòng 2 · Sửa đổi")
    assert "Internet cáp quang băng rộng (HT_CAP_QUANG): **66,9% (669/1.000)** (hiện có 65,0% (650/1.000))" in card
    assert "*đậm*" not in card  # a note is text, not Markdown
