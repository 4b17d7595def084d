"""The store on PostgreSQL (a city's shared database): the same results as on a DuckDB file, several
processes writing at once, `migrate` from a file, backups with pg_dump, and the pages.

A throwaway server is started for the session by scripts/pg_local.sh (or $CDS_TEST_PG_URL is
used); every test gets a database of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from indicators import metrics
from indicators.cli import build_parser
from indicators.cli import run as cli_run
from indicators.domain import clock
from indicators.ingest import import_file
from indicators.storage import CURRENT_SELECT, PG_MIGRATIONS, REBUILD_TOTALS, Store, StoreError, open_store
from tests import support
from tests.support import ADMIN

ROOT = Path(__file__).resolve().parent.parent
PG_LOCAL = ROOT / "scripts" / "pg_local.sh"
PERIOD = "2026-11"


@pytest.fixture(scope="session")
def pg_server() -> str:
    """postgresql://…/cds_test of the tests' server (tests/support.py starts and stops it)."""
    return support.postgres_server()


@pytest.fixture
def pg_url(pg_server):
    """A new, empty database for one test, dropped afterwards."""
    url = support.new_postgres_database(empty=True)
    yield url
    support.drop_postgres_database(url)


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory) -> Path:
    return support.demo_db(tmp_path_factory.mktemp("pg_demo"))


def _migrate(source: Path, url: str) -> tuple[int, str]:
    from io import StringIO

    out = StringIO()
    code = cli_run(build_parser().parse_args(["migrate", "--db", str(source), "--to", url]), out)
    return code, out.getvalue()


def _rounded(rows: list[tuple]) -> list[tuple]:
    return sorted((tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows), key=repr)


def _kept_equals_recomputed(store: Store) -> bool:
    """The current values and their per-commune totals, as kept and as computed again."""
    with store.cursor() as cur:
        kept = sorted(cur.execute("SELECT * FROM current_submissions").fetchall(), key=repr)
        again = sorted(cur.execute(CURRENT_SELECT.format(keys="")).fetchall(), key=repr)
        totals = _rounded(cur.execute("SELECT * FROM current_totals").fetchall())
        totals_again = _rounded(cur.execute(REBUILD_TOTALS[1].removeprefix("INSERT INTO current_totals ")).fetchall())
    return kept == again and totals == totals_again and len(totals) <= len(kept)


def _csv(rows: list[tuple]) -> bytes:
    lines = ["ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu"]
    lines += [",".join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def test_a_new_database_gets_the_schema_and_the_catalog(pg_url):
    store = Store(pg_url)
    try:
        assert store.schema_version() == len(PG_MIGRATIONS)
        assert len(store.targets(2026)) == 26 and len(store.tasks()) == 35
        assert store.units() == [] and store.periods_with_data() == []
    finally:
        store.close()
    again = Store(pg_url)  # a second start migrates nothing
    try:
        assert again.schema_version() == len(PG_MIGRATIONS) and len(again.tasks()) == 35
    finally:
        again.close()


def test_migrate_copies_everything_and_the_figures_are_the_same(pg_url, demo_file):
    code, text = _migrate(demo_file, pg_url)
    assert code == 0, text
    assert "số dòng khớp" in text and "submissions" in text
    file_store, pg = Store(demo_file), Store(pg_url)
    try:
        for table in ("units", "batches", "submissions", "batch_reverts", "users", "task_revisions", "targets"):
            a = file_store.query_df(f"SELECT * FROM {table}")
            b = pg.query_df(f"SELECT * FROM {table}")
            key = list(a.columns[:1])
            pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True),
                                          b.sort_values(key).reset_index(drop=True), check_dtype=False)  # fmt: skip
        root = "10966"
        for fn in (metrics.commune_summary, metrics.member_table, metrics.group_progress, metrics.completeness):
            pd.testing.assert_frame_equal(fn(file_store, PERIOD, root), fn(pg, PERIOD, root), check_dtype=False)
        assert pg.data_version()[:3] == file_store.data_version()[:3]
        with pg.cursor() as cur:  # analysed (a table never analysed counts -1 rows)
            sizes = dict(pg._query_native(cur, "SELECT relname, reltuples FROM pg_class WHERE relname IN "
                                               "('submissions', 'current_submissions', 'units')"))  # fmt: skip
        assert sizes == {"submissions": len(file_store.query_df("SELECT id FROM submissions")),
                         "current_submissions": len(file_store.current_submissions()),
                         "units": len(file_store.units())}  # fmt: skip
        # the sequences go on after the copied ids
        report = import_file(pg, "moi.csv", _csv([(PERIOD, "Cậy", "TT_TIN_BAI", "", "", 77, "")]), ADMIN,
                             now=datetime(2026, 11, 27, 9))  # fmt: skip
        assert report.status == "imported" and report.batch_id == file_store.batches()["id"].max() + 1
        assert len(pg.audit_log(ADMIN)) == len(file_store.audit_log(ADMIN)) + 2  # the migration, the import
    finally:
        file_store.close()
        pg.close()
    with pytest.raises(StoreError, match="đã có dữ liệu"):  # never into a database that has data
        _migrate(demo_file, pg_url)


def test_imports_revisions_and_revert_on_postgres(pg_url):
    store = Store(pg_url)
    try:
        from tests.conftest import _commune, _hamlets

        store.save_units([_commune(), *_hamlets()], ADMIN)
        now = datetime(2026, 3, 10, 9)
        first = import_file(store, "a.csv", _csv([("2026-03", "Cậy", "TT_TIN_BAI", "", "", 4, ""),
                                                  ("2026-03", "Cậy", "HT_CAP_QUANG", 10, 20, "", "")]),
                            ADMIN, now=now)  # fmt: skip
        second = import_file(store, "b.csv", _csv([("2026-03", "Cậy", "TT_TIN_BAI", "", "", 9, "sửa")]),
                             ADMIN, now=now)  # fmt: skip
        assert (first.status, second.status) == ("imported", "imported")
        again = import_file(store, "b.csv", _csv([("2026-03", "Cậy", "TT_TIN_BAI", "", "", 9, "sửa")]), ADMIN, now=now)
        assert again.status == "duplicate"
        current = store.current_submissions(periods=["2026-03"]).set_index("indicator_code")
        assert current.loc["TT_TIN_BAI", "value"] == 9 and current.loc["TT_TIN_BAI", "revisions"] == 2
        assert current.loc["HT_CAP_QUANG", "value"] == 50
        store.revert_batch(second.batch_id, ADMIN)
        current = store.current_submissions(periods=["2026-03"]).set_index("indicator_code")
        assert current.loc["TT_TIN_BAI", "value"] == 4 and current.loc["TT_TIN_BAI", "revisions"] == 1
        assert _kept_equals_recomputed(store)
        with pytest.raises(StoreError, match="đã được hoàn tác"):
            store.revert_batch(second.batch_id, ADMIN)
        assert list(store.audit_log(ADMIN)["action"][:3]) == ["revert", "import", "import"]
    finally:
        store.close()


def test_accounts_sessions_and_tasks_on_postgres(pg_url):
    from indicators.domain import accounts
    from indicators.domain.tasks import seed_tasks

    store = Store(pg_url)
    try:
        form = accounts.UserForm(name="canbo1", display_name="Cán bộ Một", role="quan_tri")
        store.add_user(form, accounts.hash_password("mat-khau-dai-du"), ADMIN)
        ok = accounts.authenticate(store, "canbo1", "mat-khau-dai-du", clock.now())
        assert ok.actor is not None and ok.actor.name == "canbo1"
        store.start_session("abc", "canbo1", clock.now())
        assert store.session_user("abc", 30, clock.now())["name"] == "canbo1"
        store.end_session("abc")
        assert store.session_user("abc", 30, clock.now()) is None
        one_off = next(t for t in seed_tasks() if t.recurrence_day is None)
        task = one_off.model_copy(update={"status": "done", "done_on": datetime(2026, 3, 1).date()})
        store.save_tasks([task], ADMIN)
        store.add_task_note(task.code, "2026-03", "Đã xong", ADMIN)
        assert next(t for t in store.tasks() if t.code == task.code).status == "done"
        assert len(store.task_notes(task.code)) == 1 and len(store.task_history(task.code)) == 2
    finally:
        store.close()


def test_backup_is_a_pg_dump_that_pg_restore_reads(pg_url, demo_file, tmp_path):
    assert _migrate(demo_file, pg_url)[0] == 0
    out = tmp_path / "sao-luu.dump"
    store = Store(pg_url)
    try:
        assert store.backup(out) == out.resolve() and out.stat().st_size > 10_000
        with pytest.raises(StoreError, match="đã có"):
            store.backup(out)
        batches = len(store.batches())
    finally:
        store.close()
    base = pg_url.rsplit("/", 1)[0]
    restored = f"{base}/r_{uuid.uuid4().hex[:8]}"
    support.psql(base, f'CREATE DATABASE "{restored.rsplit("/", 1)[1]}"')
    try:
        done = subprocess.run(["pg_restore", "--no-owner", f"--dbname={restored}", str(out)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        copy = Store(restored)
        try:
            assert len(copy.batches()) == batches and _kept_equals_recomputed(copy)
        finally:
            copy.close()
    finally:
        support.psql(base, f'DROP DATABASE "{restored.rsplit("/", 1)[1]}" WITH (FORCE)')


WRITER = """
import sys
from datetime import datetime
from indicators.ingest import import_file
from indicators.storage import Store
from tests.support import ADMIN
url, who, months = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
store = Store(url)
for month in months:
    body = "ky_bao_cao,don_vi,ma_chi_tieu,tu_so,mau_so,gia_tri,ghi_chu\\n" + "".join(
        f"{month},{unit},TT_TIN_BAI,,,{n + len(who)},{who}\\n" for n, unit in enumerate(["Cậy", "Bá Thủy", "Bá Hợp"]))
    report = import_file(store, f"{who}_{month}.csv", body.encode(), ADMIN, now=datetime(2026, 11, 27, 9))
    assert report.status == "imported", report.summary()
    print(report.batch_id, flush=True)
store.close()
"""


def test_several_processes_import_at_once_and_lose_nothing(pg_url):
    from tests.conftest import _commune, _hamlets

    store = Store(pg_url)
    store.save_units([_commune(), *_hamlets()], ADMIN)
    months = [f"2026-{m:02d}" for m in range(1, 11)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, pg_url, who, ",".join(months)], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        for who in ("may1", "may22", "may333")
    ]
    try:
        results = [p.communicate(timeout=300) for p in procs]
        for p, (_, err) in zip(procs, results):
            assert p.returncode == 0, err
        ids = [int(line) for out, _ in results for line in out.split()]
        assert len(ids) == 30 and len(set(ids)) == 30  # every batch landed, each with its own id
        batches = store.batches()
        assert sorted(batches["id"]) == sorted(ids)
        assert store.query_df("SELECT count(*) AS n FROM submissions")["n"][0] == 90
        assert len(store.audit_log(ADMIN).query("action == 'import'")) == 30
        # each key's current value is its latest revision, whichever process wrote it
        assert _kept_equals_recomputed(store)
        current = store.current_submissions()
        assert len(current) == 30 and set(current["revisions"]) == {3}
    finally:
        for p in procs:
            p.kill()
        store.close()


OPENER = """
import sys, time
from indicators.storage import Store
from tests.support import ADMIN
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # the processes start together
store = Store(sys.argv[1])
print(len(store.targets(2026)), len(store.tasks()), len(store.units()), store.settings().deadline_day)
store.close()
"""


def test_several_processes_open_a_new_database_at_once(pg_url):
    """One process creates the tables while the others wait for the write lock: each then reads
    them, though DuckDB attached the database before they existed."""
    import time

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = str(time.time() + 3)
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, pg_url, start], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
             for _ in range(4)]
    try:
        results = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for p, (_, err) in zip(procs, results):
        assert p.returncode == 0, err
    assert len({out for out, _ in results}) == 1
    targets, tasks, units, deadline_day = results[0][0].split()
    assert int(targets) > 20 and int(tasks) > 0 and units == "0" and deadline_day == "18"


def test_a_revert_in_another_process_is_seen_at_the_next_run(pg_url, demo_file):
    assert _migrate(demo_file, pg_url)[0] == 0
    store = Store(pg_url)
    try:
        before = metrics.commune_summary(store, PERIOD, "10966").set_index("indicator_code")["value"]
        latest = store.batches(period=PERIOD, state="live", limit=1).iloc[0]
        other = subprocess.run(
            [sys.executable, "-m", "indicators", "revert", "--db", pg_url, str(int(latest["id"]))],
            cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        assert other.returncode == 0, other.stderr
        after = metrics.commune_summary(store, PERIOD, "10966").set_index("indicator_code")["value"]
        assert not before.equals(after)  # no cache served the old figures
        assert store.batches(batch_id=int(latest["id"])).iloc[0]["reverted_by"]
    finally:
        store.close()


def test_the_pages_run_on_postgres(pg_url, demo_file, monkeypatch):
    assert _migrate(demo_file, pg_url)[0] == 0
    monkeypatch.setenv("CDS_DB", pg_url)
    try:
        for page in ("pages/overview.py", "pages/hamlets.py", "pages/history.py", "pages/submissions.py"):
            at = support.app_test(120)
            at.switch_page(page)
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            assert at.title and at.title[0].value
        at = support.app_test(120)
        at.switch_page("pages/overview.py")
        at.run()
        shown = [m.value for m in at.metric]
        summary = metrics.commune_summary(open_store(pg_url), PERIOD, "10966")
        assert any(v.endswith("%") for v in shown) and len(summary) == 26
    finally:
        open_store(pg_url).close()


def test_a_selective_read_of_a_large_analysed_table_is_one_indexed_query(pg_url):
    """DuckDB's default splits a scan of a table PostgreSQL has analysed (over 1.000 pages) into
    ranges of pages, each read whole, so PostgreSQL's indexes go unused: one month of a city's
    current values cost the whole table. The store reads each table in one query."""
    store = Store(pg_url)
    try:
        with store.cursor() as cur:
            store._run_native(cur, "CREATE TABLE wide AS SELECT g AS id, repeat('x', 200) AS pad "
                                   "FROM generate_series(1, 60000) g")  # fmt: skip
            store._run_native(cur, "CREATE INDEX wide_id ON wide (id)")
            store._run_native(cur, "ANALYZE wide")
            pages = store._query_native(cur, "SELECT relpages FROM pg_class WHERE relname = 'wide'")[0][0]
        assert pages > 1000  # what makes DuckDB split the scan by default
    finally:
        store.close()
    # DuckDB prints the queries it sends on its own stderr, complete when the process ends
    script = (
        "import sys; from indicators.storage import Store; store = Store(sys.argv[1])\n"
        "with store.cursor() as cur:\n"
        "    cur.execute('SET pg_debug_show_queries = true')\n"
        "    print(cur.execute('SELECT pad FROM wide WHERE id = 7').fetchall() == [('x' * 200,)])\n"
    )
    done = subprocess.run([sys.executable, "-c", script, pg_url], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    sent = [line for line in done.stderr.splitlines() if line.startswith("COPY") and '"wide"' in line]
    assert done.stdout.split() == ["True"]
    assert len(sent) == 1 and "ctid" not in sent[0] and "WHERE \"id\" = '7'" in sent[0], sent


def test_a_wrong_address_says_so_in_vietnamese(pg_server):
    base = pg_server.rsplit("/", 1)[0]
    with pytest.raises(StoreError, match="Không kết nối được cơ sở dữ liệu PostgreSQL"):
        Store(f"{base}/khong_co_csdl_nay")


def test_the_monthly_report_and_its_annex_from_postgres(pg_url, demo_file):
    import io
    from datetime import date

    from docx import Document
    from openpyxl import load_workbook

    from indicators.views import common, report

    assert _migrate(demo_file, pg_url)[0] == 0
    store, file_store = Store(pg_url), Store(demo_file)
    try:
        root = common.root_unit(store)
        made = report.render_docx(store, PERIOD, root, date(2026, 11, 27), with_charts=False)
        same = report.render_docx(file_store, PERIOD, common.root_unit(file_store), date(2026, 11, 27),
                                  with_charts=False)  # fmt: skip
        text = "\n".join(p.text for p in Document(io.BytesIO(made)).paragraphs)
        assert "tháng 11/2026" in text
        assert text == "\n".join(p.text for p in Document(io.BytesIO(same)).paragraphs)
        sheets = load_workbook(io.BytesIO(report.annex_xlsx(store, PERIOD, root))).sheetnames
        assert len(sheets) == 5
    finally:
        store.close()
        file_store.close()
