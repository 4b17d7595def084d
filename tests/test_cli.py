"""The command line, through `indicators.cli.main` (exit codes 0 / 1 / 2) and once as a real process."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from indicators import cli
from indicators.ingest.columns import wide_header
from indicators.storage import Store
from tests.support import copy_db, db_created, db_snapshot, new_db

ROOT = Path(__file__).resolve().parent.parent

CLI_UNITS = """Mã đơn vị,Tên đơn vị,Trực thuộc,Số hộ
10966,Bình Giang,,10020
BG01,Cậy,10966,820
BG02,Bá Thủy,10966,640
BG03,Hạ Bì,10966,700
"""
CLI_BAD_UNITS = """code,name,parent
BG09,Mồ côi,KHONG_CO
,Không mã,10966
"""
CLI_GOOD = """ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu
2026-03,BG01,HT_CAP_QUANG,1,10,,
2026-03,BG02,HT_CAP_QUANG,90,100,,=cmd|' /C calc'!A0
2026-03,Thôn Hạ Bì,CQ_VNEID_MUC_2,500,1000,,
2026-03,BG01,TT_TIN_BAI,,,3,Họp thôn
2026-03,BG02,HT_MAY_2G,,,12,
2026-03,10966,TC_VAN_BAN,,,2,
2026-03,10966,CQ_SO_HOA_HO_SO,30,40,,
"""
CLI_BAD = """ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu
2026-03,BG01,HT_CAP_QUANG,11,10,,
2026-03,BG02,KHONG_CO,1,2,,
2026-03,BG03,HT_CAP_QUANG,5,10,,
"""
CLI_FIX = """ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu
2026-03,BG01,HT_CAP_QUANG,5,10,,sửa
"""

Run = Callable[..., tuple[int, str, str]]


CLI_FILES = {"units": CLI_UNITS, "bad_units": CLI_BAD_UNITS, "good": CLI_GOOD, "bad": CLI_BAD, "fix": CLI_FIX}


def _cli_write_files(folder: Path) -> dict[str, Path]:
    out = {}
    for name, text in CLI_FILES.items():
        path = folder / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        out[name] = path
    return out


def _cli_quiet(*argv: object) -> int:
    """Run a command for a fixture, its output discarded."""
    return cli.run(cli.build_parser().parse_args([str(a) for a in argv]), out=io.StringIO())


@pytest.fixture(scope="module")
def cli_base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Databases built once (units only; units and the good file), copied by each test."""
    folder = tmp_path_factory.mktemp("cli_base")
    files = _cli_write_files(folder)
    units_db = new_db(folder, "units")
    assert _cli_quiet("init", "--db", units_db) == 0
    assert _cli_quiet("units", "import", files["units"], "--db", units_db) == 0
    loaded_db = copy_db(units_db, folder, "loaded")
    assert _cli_quiet("import", files["good"], "--db", loaded_db) == 0
    return {"units": units_db, "loaded": loaded_db}


@pytest.fixture
def cli_files(tmp_path: Path) -> dict[str, Path]:
    return _cli_write_files(tmp_path)


@pytest.fixture
def cli_db(tmp_path: Path, cli_base: dict[str, str]) -> str:
    """A database with the units loaded (no figures yet)."""
    return copy_db(cli_base["units"], tmp_path, "cds")


@pytest.fixture
def cli_loaded_db(tmp_path: Path, cli_base: dict[str, str]) -> str:
    """A database with the units and the seven figures of CLI_GOOD (batch 1)."""
    return copy_db(cli_base["loaded"], tmp_path, "cds")


def cli_values(db: str, period: str = "2026-03") -> dict:
    store = Store(db)
    try:
        current = store.current_submissions(periods=[period])
    finally:
        store.close()
    return {
        (r.unit_code, r.indicator_code): tuple(
            None if v != v else float(v) for v in (r.numerator, r.denominator, r.value)
        )
        for r in current.itertuples()
    }


def cli_summary(run: Run, db: str, *extra: object) -> dict:
    code, out, _ = run("summary", "--period", "2026-03", "--json", "--db", db, *extra)
    assert code == 0
    return json.loads(out)


# --- init and units ---------------------------------------------------------------------------


def test_init_creates_the_database(tmp_path: Path, cli_run: Run) -> None:
    db = new_db(tmp_path / "sub")  # a file in a folder that does not exist yet
    code, out, _ = cli_run("init", "--db", db)
    assert code == 0
    assert db_created(db)
    assert "sẵn sàng" in out
    again, _, _ = cli_run("init", "--db", db)
    assert again == 0


def test_units_import_and_list(cli_db: str, cli_run: Run) -> None:
    code, out, _ = cli_run("units", "list", "--db", cli_db)
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 4
    assert "BG01\tThôn Cậy\t10966" in lines
    assert "10966\tXã Bình Giang\t" in lines


def test_units_import_bad_file_writes_nothing(cli_db: str, cli_run: Run, cli_files: dict[str, Path]) -> None:
    before = db_snapshot(cli_db)
    code, out, _ = cli_run("units", "import", cli_files["bad_units"], "--db", cli_db)
    assert code == 1
    assert "từ chối" in out
    assert "KHONG_CO" in out and "dòng 2" in out and "dòng 3" in out
    assert db_snapshot(cli_db) == before


def test_units_import_into_a_fresh_database(tmp_path: Path, cli_run: Run, cli_files: dict[str, Path]) -> None:
    db = new_db(tmp_path, "fresh")
    code, out, _ = cli_run("units", "import", cli_files["units"], "--db", db)
    assert code == 0
    assert "4 đơn vị" in out


def test_units_db_option_before_the_subcommand_is_kept() -> None:
    args = cli.build_parser().parse_args(["units", "--db", "x.duckdb", "import", "units.csv"])
    assert args.db == "x.duckdb"


# --- import -----------------------------------------------------------------------------------


def test_import_good_file(cli_db: str, cli_run: Run, cli_files: dict[str, Path]) -> None:
    code, out, _ = cli_run("import", cli_files["good"], "--db", cli_db, "--user", "can_bo_thu")
    assert code == 0
    assert "lô số 1" in out and "7 số liệu mới" in out
    values = cli_values(cli_db)
    assert len(values) == 7
    assert values[("BG03", "CQ_VNEID_MUC_2")] == (500.0, 1000.0, 50.0)
    assert values[("BG01", "TT_TIN_BAI")] == (None, None, 3.0)


def test_import_bad_file_is_rejected_and_nothing_written(
    cli_loaded_db: str, cli_run: Run, cli_files: dict[str, Path]
) -> None:
    before = db_snapshot(cli_loaded_db)
    code, out, _ = cli_run("import", cli_files["bad"], "--db", cli_loaded_db)
    assert code == 1
    assert "từ chối" in out
    assert "dòng 2" in out and "dòng 3" in out  # every error, with its row
    assert "KHONG_CO" in out
    assert db_snapshot(cli_loaded_db) == before


def test_import_missing_file(cli_db: str, cli_run: Run, tmp_path: Path) -> None:
    code, out, _ = cli_run("import", tmp_path / "khong_co.csv", "--db", cli_db)
    assert code == 1
    assert "Không tìm thấy" in out


def test_import_same_file_twice(cli_loaded_db: str, cli_run: Run, cli_files: dict[str, Path]) -> None:
    before = db_snapshot(cli_loaded_db)
    code, out, _ = cli_run("import", cli_files["good"], "--db", cli_loaded_db)
    assert code == 0
    assert "đã được nhập trước đó" in out
    assert db_snapshot(cli_loaded_db) == before


def test_dry_run_writes_nothing(cli_db: str, cli_run: Run, cli_files: dict[str, Path]) -> None:
    before = db_snapshot(cli_db)
    code, out, _ = cli_run("import", cli_files["good"], "--dry-run", "--db", cli_db)
    assert code == 0
    assert "Kiểm tra thử" in out and "7 số liệu mới" in out
    assert db_snapshot(cli_db) == before
    # a dry run of a bad file says so too
    assert cli_run("import", cli_files["bad"], "--dry-run", "--db", cli_db)[0] == 1


def test_import_several_files_one_bad(cli_db: str, cli_run: Run, cli_files: dict[str, Path]) -> None:
    code, out, _ = cli_run("import", cli_files["good"], cli_files["bad"], "--db", cli_db)
    assert code == 1
    assert len(cli_values(cli_db)) == 7  # the good file landed, the bad one did not


# --- summary, history, revert -----------------------------------------------------------------


def test_summary_json(cli_loaded_db: str, cli_run: Run) -> None:
    payload = cli_summary(cli_run, cli_loaded_db)
    assert payload["period"] == "2026-03"
    assert payload["unit"] == "10966"
    rows = {r["code"]: r for r in payload["indicators"]}
    assert len(rows) == 26
    for row in payload["indicators"]:
        assert {"code", "value", "target", "progress", "status", "kind"} <= set(row)
        if row["kind"] == "ratio" and row["value"] is not None:
            assert 0 <= row["value"] <= 100
    assert rows["HT_CAP_QUANG"]["value"] == pytest.approx(100 * 91 / 110, abs=1e-3)
    assert rows["CQ_VNEID_MUC_2"]["value"] == pytest.approx(50.0)
    assert rows["HT_MAY_2G"]["value"] == 12
    assert rows["CQ_CHU_KY_SO"]["value"] is None and rows["CQ_CHU_KY_SO"]["status"] == "no_data"


def test_summary_for_one_unit(cli_loaded_db: str, cli_run: Run) -> None:
    payload = cli_summary(cli_run, cli_loaded_db, "--unit", "BG01")
    assert payload["unit"] == "BG01"
    rows = {r["code"]: r for r in payload["indicators"]}
    assert rows["HT_CAP_QUANG"]["value"] == pytest.approx(10.0)
    assert rows["TT_TIN_BAI"]["value"] == 3
    code, _, err = cli_run("summary", "--period", "2026-03", "--unit", "KHONG_CO", "--db", cli_loaded_db)
    assert code == 2 and "KHONG_CO" in err


def test_summary_text(cli_loaded_db: str, cli_run: Run) -> None:
    code, out, _ = cli_run("summary", "--period", "3/2026", "--db", cli_loaded_db)
    assert code == 0
    assert out.startswith("Tháng 3/2026")
    line = next(line for line in out.splitlines() if line.startswith("HT_CAP_QUANG"))
    assert "82,7%" in line


def test_summary_of_an_empty_database_is_a_usage_error(tmp_path: Path, cli_run: Run) -> None:
    code, _, err = cli_run("summary", "--period", "2026-03", "--db", new_db(tmp_path, "empty"))
    assert code == 2
    assert "units import" in err


def test_history_and_revert(cli_db: str, cli_run: Run, cli_files: dict[str, Path]) -> None:
    code, out, _ = cli_run("history", "--db", cli_db)
    assert code == 0 and "Chưa có lô" in out
    cli_run("import", cli_files["good"], "--db", cli_db, "--user", "can_bo_thu")
    cli_run("import", cli_files["fix"], "--db", cli_db)
    code, out, _ = cli_run("history", "--db", cli_db)
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("#2") and lines[1].startswith("#1")
    assert "good.csv" in lines[1] and "can_bo_thu" in lines[1] and "hiệu lực" in lines[1]
    assert cli_values(cli_db)[("BG01", "HT_CAP_QUANG")] == (5.0, 10.0, 50.0)

    code, out, _ = cli_run("revert", "2", "--db", cli_db)
    assert code == 0 and "1 số liệu" in out
    assert cli_values(cli_db)[("BG01", "HT_CAP_QUANG")] == (1.0, 10.0, 10.0)
    code, out, _ = cli_run("history", "--db", cli_db)
    assert "đã hoàn tác" in out.strip().splitlines()[0]

    before = db_snapshot(cli_db)
    code, out, _ = cli_run("revert", "2", "--db", cli_db)
    assert code == 1 and "đã được hoàn tác" in out
    code, out, _ = cli_run("revert", "99", "--db", cli_db)
    assert code == 1 and "99" in out
    assert db_snapshot(cli_db) == before


# --- template and export ----------------------------------------------------------------------


def test_template_fills_and_imports(cli_db: str, cli_run: Run, tmp_path: Path) -> None:
    out_path = tmp_path / "bieu_mau.xlsx"
    code, out, _ = cli_run("template", "--period", "2026-03", "--out", out_path, "--db", cli_db)
    assert code == 0 and out_path.is_file()
    wb = load_workbook(out_path)
    ws = wb["2026-03"]
    headers = {cell.value: cell.column for cell in ws[5]}
    rows = {ws.cell(r, 1).value: r for r in range(6, ws.max_row + 1)}
    assert set(rows) == {"10966", "BG01", "BG02", "BG03"}
    ws.cell(rows["BG01"], headers[wide_header("HT_CAP_QUANG", "tu_so")], 33)
    ws.cell(rows["BG01"], headers[wide_header("HT_CAP_QUANG", "mau_so")], 100)
    ws.cell(rows["BG02"], headers[wide_header("HT_PHU_SONG_5G", "tu_so")], 1)  # denominator 1 is prefilled
    ws.cell(rows["BG03"], headers[wide_header("TT_TIN_BAI", "gia_tri")], 5)
    ws.cell(rows["10966"], headers[wide_header("TC_VAN_BAN", "gia_tri")], 4)
    filled = tmp_path / "da_dien.xlsx"
    wb.save(filled)
    code, out, _ = cli_run("import", filled, "--db", cli_db)
    assert code == 0, out
    assert "4 số liệu mới" in out
    assert cli_values(cli_db) == {
        ("BG01", "HT_CAP_QUANG"): (33.0, 100.0, 33.0),
        ("BG02", "HT_PHU_SONG_5G"): (1.0, 1.0, 100.0),
        ("BG03", "TT_TIN_BAI"): (None, None, 5.0),
        ("10966", "TC_VAN_BAN"): (None, None, 4.0),
    }


def test_template_without_units_is_a_usage_error(tmp_path: Path, cli_run: Run) -> None:
    code, _, _ = cli_run(
        "template", "--period", "2026-03", "--out", tmp_path / "t.xlsx", "--db", new_db(tmp_path, "e")
    )
    assert code == 2
    assert not (tmp_path / "t.xlsx").exists()


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_export_round_trip(
    cli_loaded_db: str, cli_run: Run, cli_files: dict[str, Path], tmp_path: Path, suffix: str
) -> None:
    exported = tmp_path / f"xuat_2026_03.{suffix}"
    code, out, _ = cli_run("export", "--period", "2026-03", "--out", exported, "--db", cli_loaded_db)
    assert code == 0 and exported.is_file()
    fresh = new_db(tmp_path, "fresh")
    assert cli_run("units", "import", cli_files["units"], "--db", fresh)[0] == 0
    code, out, _ = cli_run("import", exported, "--db", fresh)
    assert code == 0, out
    assert cli_values(fresh) == cli_values(cli_loaded_db)
    assert cli_summary(cli_run, fresh)["indicators"] == cli_summary(cli_run, cli_loaded_db)["indicators"]


def test_export_csv_neutralises_formulas(cli_loaded_db: str, cli_run: Run, tmp_path: Path) -> None:
    exported = tmp_path / "xuat.csv"
    assert cli_run("export", "--period", "2026-03", "--out", exported, "--db", cli_loaded_db)[0] == 0
    data = exported.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert "'=cmd|" in data.decode("utf-8-sig")
    assert "\n=cmd" not in data.decode("utf-8-sig") and ",=cmd" not in data.decode("utf-8-sig")


def test_export_bad_suffix_is_a_usage_error(cli_db: str, cli_run: Run, tmp_path: Path) -> None:
    code, _, err = cli_run("export", "--period", "2026-03", "--out", tmp_path / "x.pdf", "--db", cli_db)
    assert code == 2
    assert ".csv" in err
    assert not (tmp_path / "x.pdf").exists()


# --- usage errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["summary"],  # missing --period
        ["summary", "--period", "2026-13"],
        ["summary", "--period", "tháng mười ba"],
        ["export", "--period", "2026-03"],  # missing --out
        ["template", "--out", "x.xlsx"],
        ["revert", "mot"],
        ["import"],  # no file
        ["lam_gi_do"],  # unknown command
        [],
        ["units"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], cli_run: Run, tmp_path: Path) -> None:
    db = new_db(tmp_path, "u")
    code, out, err = cli_run(*argv, *(["--db", db] if argv and argv[0] != "lam_gi_do" else []))
    assert code == 2
    assert "usage" in err.lower()
    assert not db_created(db)  # nothing was opened or created


def test_help_exits_0(cli_run: Run) -> None:
    code, out, _ = cli_run("--help")
    assert code == 0
    assert "summary" in out


# --- known gap and the real process -----------------------------------------------------------


def test_main_prints_to_the_current_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["init", "--db", new_db(tmp_path, "x")]) == 0
    assert "sẵn sàng" in capsys.readouterr().out


def test_python_dash_m_indicators(cli_loaded_db: str, cli_run: Run) -> None:
    python = ROOT / ".venv" / "bin" / "python"
    result = subprocess.run(
        [str(python if python.exists() else sys.executable), "-m", "indicators", "summary", "--period", "2026-03",
         "--json", "--db", str(cli_loaded_db)],
        cwd=ROOT, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    payload = json.loads(result.stdout.decode("utf-8"))
    rows = {r["code"]: r for r in payload["indicators"]}
    assert rows["HT_CAP_QUANG"]["value"] == pytest.approx(100 * 91 / 110, abs=1e-3)
    assert len(rows) == 26
