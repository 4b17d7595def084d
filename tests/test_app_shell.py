"""The app shell and the overview page through Streamlit's AppTest (no browser).

Every test gets its own database file: AppTest runs the app in this process, where the store is
one cached instance per file (`indicators.storage.open_store`), shared with the tests.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from indicators import metrics
from indicators.domain import catalog, format
from indicators.storage import StoreError, open_store
from tests import support
from tests.support import demo_db, empty_db

PERIOD = "2026-11"  # the latest demo month: the overview's default
COMMUNE = "10966"
HAMLETS = 14
ON_TIME_LABEL = "Thôn đã nộp đúng hạn"


@pytest.fixture
def use_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Path]]:
    """`use_db("demo" | "empty")`: a fresh database file for this test, set as CDS_DB."""
    used: list[Path] = []

    def use(kind: str) -> Path:
        folder = tmp_path / f"{kind}_{len(used)}"
        folder.mkdir()
        path = demo_db(folder) if kind == "demo" else empty_db(folder)
        monkeypatch.setenv("CDS_DB", str(path))
        used.append(path)
        return path

    yield use
    for path in used:  # release the file the app opened (each test's file is its own)
        with suppress(StoreError):
            open_store(path).close()


def run_app(query: dict[str, str] | None = None) -> AppTest:
    at = support.app_test(60)
    at.query_params.update(query or {})
    at.run()
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, "\n".join(e.message for e in at.exception)


def headline_values(at: AppTest) -> dict[str, str]:
    labels = set(catalog.HEADLINE.values())
    return {m.label: m.value for m in at.metric if m.label in labels}


def expected_headline(path: Path, period: str) -> dict[str, str]:
    table = metrics.commune_summary(open_store(path), period, COMMUNE).set_index("indicator_code")
    return {
        label: format.indicator_value(table.loc[code, "value"], table.loc[code, "kind"])
        for code, label in catalog.HEADLINE.items()
    }


def test_overview_renders_on_the_demo_database(use_db):
    use_db("demo")
    at = run_app()
    assert_clean(at)
    assert not at.error
    assert [t.value for t in at.title] == ["Tổng quan chuyển đổi số"]
    assert any("dữ liệu mẫu" in c.value for c in at.caption), "no demo-data banner"


def test_overview_explains_how_to_start_on_an_empty_database(use_db):
    use_db("empty")
    at = run_app()
    assert_clean(at)
    assert not at.error
    assert any("Chưa có số liệu" in i.value for i in at.info), [i.value for i in at.info]
    assert not at.metric, "an empty database shows no figures"
    assert any(b.label.startswith("Nạp dữ liệu mẫu") for b in at.button)


def test_headline_metrics_equal_the_commune_summary(use_db):
    path = use_db("demo")
    at = run_app()
    assert_clean(at)
    shown = headline_values(at)
    assert len(shown) == len(catalog.HEADLINE) == 6
    assert shown == expected_headline(path, PERIOD)
    assert any(format.month(PERIOD) in c.value for c in at.caption)


def test_completeness_matches_the_metrics(use_db):
    path = use_db("demo")
    at = run_app()
    assert_clean(at)
    table = metrics.completeness(open_store(path), PERIOD, COMMUNE)
    hamlets = table[table["level"] == "hamlet"]
    assert len(hamlets) == HAMLETS
    on_time = int((hamlets["status"] == "on_time").sum())
    submitted = int((hamlets["submitted"] > 0).sum())
    [metric] = [m for m in at.metric if m.label == ON_TIME_LABEL]
    assert metric.value == f"{on_time}/{HAMLETS} thôn"
    approved = metrics.state_counts(metrics.month_review(open_store(path), PERIOD, COMMUNE))["approved"]
    sentence = (f"{submitted}/{HAMLETS} thôn đã nộp số liệu {format.month(PERIOD)}; "
                f"{approved}/{HAMLETS} thôn đã duyệt.")  # fmt: skip
    assert any(sentence in m.value for m in at.markdown), sentence


def test_query_parameter_selects_the_month(use_db):
    path = use_db("demo")
    at = run_app({"ky": "2026-03"})
    assert_clean(at)
    assert not at.warning
    assert at.sidebar.selectbox(key="url_ky").value == "2026-03"
    assert any("Tháng 3/2026" in c.value for c in at.caption)
    assert headline_values(at) == expected_headline(path, "2026-03")
    assert at.query_params.get("ky") in ("2026-03", ["2026-03"])


def test_invalid_query_parameter_warns_and_falls_back(use_db):
    path = use_db("demo")
    at = run_app({"ky": "abc"})
    assert_clean(at)
    assert not at.error
    assert any("abc" in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.sidebar.selectbox(key="url_ky").value == PERIOD
    assert headline_values(at) == expected_headline(path, PERIOD)


LOCKER = textwrap.dedent(
    """
    import sys, time, duckdb
    connection = duckdb.connect(sys.argv[1])
    print("locked", flush=True)
    time.sleep(120)
    """
)


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Callable[[Path], None]]:
    """`locked(path)`: another process holds the DuckDB file until the test ends."""
    procs: list[subprocess.Popen] = []

    def lock(path: Path) -> None:
        proc = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        line = proc.stdout.readline()  # blocks until the file is open (or the process died)
        assert line.strip() == "locked", (
            f"locker failed: {proc.stderr.read() if proc.poll() is not None else ''}"
        )

    yield lock
    for proc in procs:
        proc.kill()
        proc.wait(timeout=10)


@pytest.mark.duckdb_file
def test_locked_database_shows_a_vietnamese_error(tmp_path: Path, monkeypatch, locked):
    path = empty_db(tmp_path)
    locked(path)
    monkeypatch.setenv("CDS_DB", str(path))
    at = support.app_test(name=None)  # signing in would need the locked file too
    at.run()
    assert_clean(at)
    assert len(at.error) == 1, [e.value for e in at.error]
    message = at.error[0].value
    assert message.startswith("Không mở được cơ sở dữ liệu"), message
    assert "đang được một chương trình khác sử dụng" in message, message
    for english in ("Could not set lock", "IO Error", "Conflicting lock"):
        assert english not in message, f"DuckDB's English message leaked: {message}"
    assert not at.metric
