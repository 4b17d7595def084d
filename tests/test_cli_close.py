"""Closing the month on the command line (issue 23): `report --issue` and `report --issued`,
`import --reason` and `month open`, through `indicators.cli.main` (exit codes 0 / 1 / 2)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from indicators.storage import Store
from tests.conftest import build_store
from tests.support import ADMIN, copy_db, db_created, db_snapshot, new_db

MARCH = "2026-03"
COMMUNE = "10966"
ON_TIME = datetime(2026, 3, 15, 9, 0)
HEADER = "ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\n"
LEADER = "Trần Thị Lãnh Đạo"

Run = Callable[..., tuple[int, str, str]]


def _csv(unit: str, households: int) -> str:
    return (
        HEADER + f"{MARCH},{unit},TT_HO_DUOC_HUONG_DAN,{households},100,,\n{MARCH},{unit},TT_TIN_BAI,,,3,\n"
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def close_base(tmp_path_factory: pytest.TempPathFactory, run_import) -> str:
    """Bình Giang's March with figures of BG01 and BG02, built once (nothing issued yet)."""
    db = new_db(tmp_path_factory.mktemp("close_base"), "base")
    store = build_store(db)
    try:
        for unit in ("BG01", "BG02"):
            assert run_import(store, f"{unit}.csv", _csv(unit, 40), now=ON_TIME).ok
    finally:
        store.close()
    return db


@pytest.fixture
def db(tmp_path: Path, close_base: str) -> str:
    return copy_db(close_base, tmp_path, "cds")


@pytest.fixture
def run(cli_run: Run) -> Run:
    """`run(*argv) -> (exit code, stdout, stderr)` through `cli.main`."""
    return cli_run


def opened(db: str) -> Store:
    return Store(db)


def issue(run: Run, db: str, folder: Path, name: str) -> tuple[Path, Path, str]:
    docx, xlsx = folder / f"{name}.docx", folder / f"{name}.xlsx"
    code, out, err = run("report", "--period", MARCH, "--issue", "--no-charts", "--out", docx, "--annex", xlsx,
                         "--user", LEADER, "--db", db)  # fmt: skip
    assert code == 0, err
    return docx, xlsx, out


def write_file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- report --issue and --issued ----------------------------------------------------------------


def test_issue_keeps_the_files_and_issued_gives_them_back_byte_for_byte(
    db: str, run: Run, tmp_path: Path
) -> None:
    docx, xlsx, out = issue(run, db, tmp_path, "phat_hanh")
    store = opened(db)
    try:
        kept = store.issued_report(MARCH, COMMUNE)
        closed = store.closed_for({(MARCH, "BG01"), (MARCH, COMMUNE)}, datetime(2026, 4, 20))
    finally:
        store.close()
    assert kept["version"] == 1 and kept["issued_by"].endswith(LEADER)
    assert (_sha(docx), _sha(xlsx)) == (kept["docx_sha256"], kept["xlsx_sha256"])
    assert docx.read_bytes() == kept["docx"] and xlsx.read_bytes() == kept["xlsx"]
    assert docx.read_bytes()[:2] == b"PK" and xlsx.read_bytes()[:2] == b"PK"
    assert kept["figures"]["indicators"]["TT_HO_DUOC_HUONG_DAN"]["value"] == pytest.approx(40.0)  # the summary
    assert set(closed) == {(MARCH, "BG01"), (MARCH, COMMUNE)}, "the month closes for the commune and below"
    lines = out.splitlines()
    assert lines[0] == "Đã phát hành báo cáo Tháng 3/2026 của 10966 Xã Bình Giang: bản 1."
    assert lines[1] == f"Báo cáo: {docx} (sha256 {kept['docx_sha256']})"
    assert lines[2] == f"Phụ lục số liệu: {xlsx} (sha256 {kept['xlsx_sha256']})"
    assert (
        "Tháng 3/2026 đã khóa với 10966" in lines[3] and "--reason" in lines[3] and "month open" in lines[3]
    )

    again_docx, again_xlsx = tmp_path / "lay_lai.docx", tmp_path / "lay_lai.xlsx"
    code, out, _ = run(
        "report", "--period", MARCH, "--issued", "--out", again_docx, "--annex", again_xlsx, "--db", db
    )
    assert code == 0
    assert again_docx.read_bytes() == docx.read_bytes() and again_xlsx.read_bytes() == xlsx.read_bytes()
    assert out.startswith("Báo cáo Tháng 3/2026 của 10966 Xã Bình Giang, bản 1, phát hành bởi ")
    assert f"sha256 {kept['docx_sha256']}" in out and f"sha256 {kept['xlsx_sha256']}" in out


def test_a_reissue_is_version_two_and_version_one_is_still_given(db: str, run: Run, tmp_path: Path) -> None:
    first_docx, first_xlsx, _ = issue(run, db, tmp_path, "ban_1")
    fix = write_file(tmp_path, "sua.csv", _csv("BG01", 45))
    assert run("import", fix, "--reason", "Thôn đếm sót 5 hộ", "--db", db)[0] == 0
    second_docx, second_xlsx, out = issue(run, db, tmp_path, "ban_2")
    assert (
        out.splitlines()[0]
        == "Đã phát hành báo cáo Tháng 3/2026 của 10966 Xã Bình Giang: bản 2 (báo cáo thay thế)."
    )
    assert second_xlsx.read_bytes() != first_xlsx.read_bytes(), "the annex carries the corrected figure"

    latest, old = tmp_path / "moi_nhat.docx", tmp_path / "cu.docx"
    assert run("report", "--period", MARCH, "--issued", "--out", latest, "--db", db)[0] == 0
    assert latest.read_bytes() == second_docx.read_bytes()
    code, out, _ = run("report", "--period", MARCH, "--issued", "--version", 1, "--out", old,
                       "--annex", tmp_path / "cu.xlsx", "--db", db)  # fmt: skip
    assert code == 0
    assert old.read_bytes() == first_docx.read_bytes()
    assert (tmp_path / "cu.xlsx").read_bytes() == first_xlsx.read_bytes()
    assert ", bản 1, " in out and "đã có bản thay thế mới hơn: bản 2" in out
    store = opened(db)
    try:
        assert list(store.issued_reports(MARCH)["version"]) == [2, 1]
        assert store.issued_report(MARCH, COMMUNE, 1)["docx_sha256"] == _sha(old)
    finally:
        store.close()

    code, out, _ = run(
        "report", "--period", MARCH, "--issued", "--version", 3, "--out", tmp_path / "x.docx", "--db", db
    )
    assert code == 1
    assert "không có bản 3; các bản đã phát hành: 1, 2." in out
    assert not (tmp_path / "x.docx").exists()


def test_issued_of_a_month_never_issued_is_refused(db: str, run: Run, tmp_path: Path) -> None:
    code, out, _ = run("report", "--period", MARCH, "--issued", "--out", tmp_path / "x.docx", "--db", db)
    assert code == 1
    assert "Báo cáo tháng 3/2026 của 10966 Xã Bình Giang chưa được phát hành" in out
    assert not (tmp_path / "x.docx").exists()


def test_issue_into_a_missing_folder_issues_nothing(db: str, run: Run, tmp_path: Path) -> None:
    before = db_snapshot(db)
    code, out, _ = run("report", "--period", MARCH, "--issue", "--no-charts",
                       "--out", tmp_path / "khong_co" / "x.docx", "--db", db)  # fmt: skip
    assert code == 1
    assert "không tồn tại. Chưa phát hành gì." in out
    assert db_snapshot(db) == before


# --- import --reason and month open ---------------------------------------------------------------


def test_a_closed_month_refuses_an_import_without_a_reason_and_takes_it_with_one(
    db: str, run: Run, tmp_path: Path
) -> None:
    issue(run, db, tmp_path, "phat_hanh")
    late = write_file(tmp_path, "muon.csv", _csv("BG01", 45))
    before = db_snapshot(db)
    for extra in ([], ["--reason", "   "]):
        code, out, _ = run("import", late, *extra, "--db", db)
        assert code == 1
        assert "Tháng 3/2026 đã khóa: báo cáo tháng (bản 1) đã phát hành lúc" in out
        assert "số liệu của BG01 không thay đổi được nữa" in out
        assert f'Để nhập kèm lý do: import {late} --reason "lý do điều chỉnh"' in out
        assert db_snapshot(db) == before, "nothing written"

    code, out, _ = run("import", late, "--reason", "Thôn đếm sót 5 hộ", "--db", db)
    assert code == 0
    assert "Điều chỉnh sau phát hành (Tháng 3/2026), lý do: Thôn đếm sót 5 hộ" in out
    store = opened(db)
    try:
        changes = store.late_changes()
    finally:
        store.close()
    assert len(changes) == 1
    row = changes.iloc[0]
    assert (row["period"], row["unit_code"], row["indicator_code"]) == (MARCH, "BG01", "TT_HO_DUOC_HUONG_DAN")
    assert (row["old_numerator"], row["numerator"], row["reason"]) == (40, 45, "Thôn đếm sót 5 hộ")


def test_month_open_lets_one_unit_import_without_a_reason(db: str, run: Run, tmp_path: Path) -> None:
    issue(run, db, tmp_path, "phat_hanh")
    code, out, _ = run("month", "open", "--period", MARCH, "--unit", "BG01", "--days", 3,
                       "--reason", "Thôn báo sai mẫu số", "--user", LEADER, "--db", db)  # fmt: skip
    assert code == 0
    assert out.startswith("Đã mở bổ sung tháng 3/2026 cho BG01 Thôn Cậy đến ")
    assert out.rstrip().endswith("(3 ngày). Lý do: Thôn báo sai mẫu số")
    assert "chưa khóa" not in out
    code, out, _ = run("import", write_file(tmp_path, "bg01.csv", _csv("BG01", 47)), "--db", db)
    assert code == 0, out
    assert run("import", write_file(tmp_path, "bg02.csv", _csv("BG02", 47)), "--db", db)[0] == 1, (
        "BG02 stays closed"
    )
    store = opened(db)
    try:
        assert store.late_changes().empty, "an opened month needs no reason"
        assert "month_open" in set(store.audit_log(ADMIN)["action"])
    finally:
        store.close()


def test_month_open_of_a_month_not_closed_says_so(db: str, run: Run) -> None:
    code, out, _ = run("month", "open", "--period", MARCH, "--unit", "BG02", "--days", 1, "--reason", "Phòng khi cần",
                       "--db", db)  # fmt: skip
    assert code == 0
    assert "Lưu ý: tháng 3/2026 của BG02 hiện chưa khóa" in out


def test_month_open_without_a_reason_is_refused_and_writes_nothing(db: str, run: Run) -> None:
    before = db_snapshot(db)
    code, out, err = run(
        "month", "open", "--period", MARCH, "--unit", "BG01", "--days", 3, "--reason", "  ", "--db", db
    )
    assert code == 1
    assert "Cần ghi lý do mở bổ sung số liệu." in err
    assert db_snapshot(db) == before


# --- misuse -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "--period", MARCH, "--issue", "--issued", "--out", "x.docx"],
        ["report", "--period", MARCH, "--issued", "--version", "0", "--out", "x.docx"],
        ["report", "--period", MARCH, "--issued", "--version", "hai", "--out", "x.docx"],
        ["month", "open", "--period", MARCH, "--unit", "BG01", "--days", "3"],  # no reason
        ["month", "open", "--period", MARCH, "--unit", "BG01", "--reason", "x"],  # no days
        ["month", "open", "--period", MARCH, "--unit", "BG01", "--days", "0", "--reason", "x"],
        ["month", "open", "--period", MARCH, "--unit", "BG01", "--days", "32", "--reason", "x"],
        ["month", "open", "--period", MARCH, "--unit", "BG01", "--days", "ba", "--reason", "x"],
        ["month", "open", "--period", "2026-13", "--unit", "BG01", "--days", "3", "--reason", "x"],
        ["import", "--reason", "x"],  # no file
    ],
)
def test_misuse_exits_2_before_opening_the_database(argv: list[str], run: Run, tmp_path: Path) -> None:
    db = new_db(tmp_path, "u")
    code, _, err = run(*argv, "--db", db)
    assert code == 2
    assert "usage" in err.lower()
    assert not db_created(db)


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "--period", MARCH, "--version", "1", "--out", "x.docx"],  # --version without --issued
        ["report", "--period", MARCH, "--issued", "--no-charts", "--out", "x.docx"],
        ["report", "--period", MARCH, "--issue", "--out", "x.pdf"],
        ["report", "--period", MARCH, "--issue", "--out", "x.docx", "--annex", "x.csv"],
        ["report", "--period", MARCH, "--issue", "--unit", "KHONG_CO", "--out", "x.docx"],
        ["month", "open", "--period", MARCH, "--unit", "KHONG_CO", "--days", "3", "--reason", "x"],
    ],
)
def test_misuse_exits_2_and_writes_nothing(argv: list[str], db: str, run: Run, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    before = db_snapshot(db)
    code, _, err = run(*argv, "--db", db)
    assert code == 2
    assert err.startswith("Lỗi cách dùng: ")
    assert db_snapshot(db) == before
    assert not list(tmp_path.glob("x.*"))
