"""Shared fixtures: the Bình Giang unit tree, stores, committed fixture files, file writers.

Everything here is generic so that any test module can use it:

- `units` / `commune` / `hamlets`: the commune 10966 Bình Giang and seven hamlets (Cậy …);
- `store`: an in-memory store holding those units; `file_store`: the same, backed by a DuckDB
  file under tmp_path; `make_store`: a factory for tests that need several stores (hypothesis);
- `fixture_path` / `fixture_bytes`: the committed files under tests/fixtures/;
- `long_csv` and `encode_cp1258`: writers for submission files as offices send them;
- `run_import`: `import_file` with a fixed reception time (tests never depend on today's date).
"""

from __future__ import annotations

import contextlib
import csv
import io
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

import pytest

from indicators import cli
from indicators.domain.units import OrgUnit
from indicators.ingest import ImportReport, import_file
from indicators.storage import Store
from tests.support import ADMIN, admin, memory_store, new_db, on_postgres

FIXTURES = Path(__file__).parent / "fixtures"

COMMUNE_CODE = "10966"
HAMLET_NAMES = {
    "BG01": "Cậy",
    "BG02": "Bá Thủy",
    "BG03": "Bá Hợp",
    "BG04": "Cam Xá",
    "BG05": "Hạ Bì",
    "BG06": "Ô Xuyên",
    "BG07": "Bì Đổ",
}
# A reception time inside April 2026: March figures are late, nothing of 2026 up to April is future
APRIL_10 = datetime(2026, 4, 10, 9, 0)
LONG_HEADER = ("ky_bao_cao", "don_vi", "ma_chi_tieu", "tu_so", "mau_so", "gia_tri", "ghi_chu")

# Windows-1258 keeps â ô ơ ư ă ê đ precomposed but writes the five tone marks as combining characters
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def _commune() -> OrgUnit:
    return OrgUnit(code=COMMUNE_CODE, name="Bình Giang", level="commune")


def _hamlets() -> list[OrgUnit]:
    return [
        OrgUnit(code=code, name=name, parent=COMMUNE_CODE, level="hamlet")
        for code, name in HAMLET_NAMES.items()
    ]


def build_store(path: str | Path = ":memory:") -> Store:
    store = memory_store() if str(path) == ":memory:" else Store(path)
    store.save_units([_commune(), *_hamlets()], ADMIN)
    return store


def encode_cp1258(text: str) -> bytes:
    """Text as Windows writes it in code page 1258 (Python's codec cannot encode NFC directly)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
        marks = "".join(c for c in decomposed if c in _TONE_MARKS)
        out.append((base + marks).encode("cp1258"))
    return b"".join(out)


def long_csv(
    rows: Iterable[Sequence[object]],
    header: Sequence[str] = LONG_HEADER,
    delimiter: str = ",",
    line_end: str = "\n",
    title_rows: Sequence[str] = (),
) -> str:
    """A long-format table as text: optional title lines, the header, then `rows`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    for title in title_rows:
        writer.writerow([title] if title else [])
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _close_postgres_stores() -> None:
    """On PostgreSQL, close the stores a test left open in the process (pages open them through
    `open_store`), so that a run of many tests stays within the server's connections."""
    yield
    if on_postgres():
        from indicators.storage import connection

        for opened in list(connection._connections.values()):
            with contextlib.suppress(Exception):
                opened.close()


@pytest.fixture(scope="session")
def commune() -> OrgUnit:
    return _commune()


@pytest.fixture(scope="session")
def hamlets() -> list[OrgUnit]:
    return _hamlets()


@pytest.fixture(scope="session")
def units(commune: OrgUnit, hamlets: list[OrgUnit]) -> list[OrgUnit]:
    """The commune first, then its seven hamlets."""
    return [commune, *hamlets]


@pytest.fixture(scope="session")
def make_store() -> Callable[..., Store]:
    """Factory: `make_store()` in memory, `make_store(path)` on disk; both hold the units."""
    return build_store


@pytest.fixture
def store() -> Store:
    store = build_store()
    yield store
    store.close()


@pytest.fixture
def file_store(tmp_path: Path) -> Store:
    store = build_store(new_db(tmp_path))
    yield store
    store.close()


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def fixture_path() -> Callable[[str], Path]:
    def path(name: str) -> Path:
        found = FIXTURES / name
        assert found.is_file(), f"missing fixture {found} (see tests/fixtures/make_fixtures.py)"
        return found

    return path


@pytest.fixture(scope="session")
def fixture_bytes(fixture_path: Callable[[str], Path]) -> Callable[[str], bytes]:
    return lambda name: fixture_path(name).read_bytes()


@pytest.fixture(scope="session")
def now() -> datetime:
    """The default reception time of imports in tests: 10 April 2026."""
    return APRIL_10


@pytest.fixture(scope="session")
def run_import() -> Callable[..., ImportReport]:
    """`run_import(store, name, data, now=APRIL_10, user="can_bo_test", dry_run=False)`.

    `data` may be text (encoded as UTF-8) or bytes.
    """

    def run(
        store: Store,
        name: str,
        data: bytes | str,
        *,
        now: datetime = APRIL_10,
        user: str = "can_bo_test",
        dry_run: bool = False,
    ) -> ImportReport:
        payload = data.encode("utf-8") if isinstance(data, str) else data
        return import_file(store, name, payload, admin(user), dry_run=dry_run, now=now)

    return run


@pytest.fixture(scope="session")
def cp1258() -> Callable[[str], bytes]:
    """`cp1258(text)`: real Windows-1258 bytes (tone marks as combining characters)."""
    return encode_cp1258


@pytest.fixture(scope="session")
def make_long_csv() -> Callable[..., str]:
    """`make_long_csv(rows, header=LONG_HEADER, delimiter=",", line_end="\\n", title_rows=())`."""
    return long_csv


def _clean_number(value: object) -> float | None:
    if value is None or value != value:  # None or NaN
        return None
    return round(float(value), 6)


def figure(numerator: float | None, denominator: float | None, value: float | None = None) -> tuple:
    """(numerator, denominator, value) as `current_figures` gives it; a ratio's value is derived."""
    if numerator is not None and denominator:
        value = 100 * numerator / denominator
    return (_clean_number(numerator), _clean_number(denominator), _clean_number(value))


def current_figures(store: Store) -> dict[tuple[str, str, str], tuple]:
    """{(period, unit, indicator): (numerator, denominator, value)} of the current submissions,
    NaN turned into None and values rounded to 6 decimals, for exact comparisons."""
    out = {}
    for row in store.current_submissions().itertuples():
        out[(row.period, row.unit_code, row.indicator_code)] = tuple(
            _clean_number(value) for value in (row.numerator, row.denominator, row.value)
        )
    return out


def report_figures(rows) -> dict[tuple[str, str, str], tuple]:
    """The same mapping for the rows of an ImportReport (`report.rows`)."""
    return {
        (row.period, row.unit_code, row.indicator_code): tuple(
            _clean_number(value) for value in (row.numerator, row.denominator, row.value)
        )
        for row in rows.itertuples()
    }


# The eleven figures of March 2026 that most files under tests/fixtures/ carry (see
# make_fixtures.MARCH): (unit, indicator) -> (numerator, denominator, value)
MARCH_2026 = {
    ("2026-03", "BG01", "CQ_VNEID_MUC_2"): figure(812, 1045),
    ("2026-03", "BG01", "TT_TIN_BAI"): figure(None, None, 4),
    ("2026-03", "BG01", "HT_CAP_QUANG"): figure(301, 412),
    ("2026-03", "BG02", "CQ_VNEID_MUC_2"): figure(1234, 2000),
    ("2026-03", "BG02", "DN_THUONG_MAI_DIEN_TU"): figure(None, None, 7),
    ("2026-03", "BG05", "HT_PHU_SONG_5G"): figure(1, 1),
    ("2026-03", "BG05", "NL_BINH_DAN_HOC_VU_SO"): figure(350, 1520),
    ("2026-03", "BG06", "CQ_DVC_TOAN_TRINH"): figure(45, 60),
    ("2026-03", "BG07", "HT_MAY_2G"): figure(None, None, 12),
    ("2026-03", "10966", "TC_VAN_BAN"): figure(None, None, 3),
    ("2026-03", "10966", "CQ_THANH_TOAN_TRUC_TUYEN"): figure(120, 180),
}
MARCH_2026_NOTES = {
    ("2026-03", "BG01", "CQ_VNEID_MUC_2"): "Đã rà soát với công an xã",
    ("2026-03", "BG02", "DN_THUONG_MAI_DIEN_TU"): "Gồm 2 hợp tác xã",
    ("2026-03", "10966", "CQ_THANH_TOAN_TRUC_TUYEN"): "Số liệu từ một cửa",
}


@pytest.fixture(scope="session")
def march_2026() -> dict[tuple[str, str, str], tuple]:
    """The figures of the March 2026 fixture files, as `figures(store)` returns them."""
    return dict(MARCH_2026)


@pytest.fixture(scope="session")
def march_2026_notes() -> dict[tuple[str, str, str], str]:
    """The non-empty notes of the March 2026 fixture files (all but long_cp1252.csv)."""
    return dict(MARCH_2026_NOTES)


@pytest.fixture(scope="session")
def make_figure() -> Callable[..., tuple]:
    """`make_figure(numerator, denominator, value=None)`: an expected entry of `figures(store)`."""
    return figure


@pytest.fixture(scope="session")
def figures() -> Callable[[Store], dict[tuple[str, str, str], tuple]]:
    """`figures(store)`: the current figures as {(period, unit, indicator): (num, den, value)}."""
    return current_figures


@pytest.fixture(scope="session")
def rows_figures() -> Callable[..., dict[tuple[str, str, str], tuple]]:
    """`rows_figures(report.rows)`: the same mapping for the rows of an import report."""
    return report_figures


@pytest.fixture
def cli_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """`cli_run(*argv) -> (exit code, stdout, stderr)` through `cli.main`.

    `cli.run` takes `out=sys.stdout` as a default argument, bound when the module is imported, so
    capsys cannot see what it prints (see test_main_prints_to_the_current_stdout). The wrapper
    passes the stdout of the moment; it changes nothing else.
    """
    original = cli.run
    monkeypatch.setattr(cli, "run", lambda args, out=None: original(args, out=out or sys.stdout))

    def run(*argv: object) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main([str(a) for a in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
