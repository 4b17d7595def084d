"""One measured step, run in its own process: `python -m bench.step '<json>'`.

The parent (bench/run.py) starts a new process per repetition, so every figure starts cold and peak
memory (VmHWM of this process image, reset after the step's untimed setup) belongs to that step
alone: the libraries loaded and the database opened, plus what the measured work needed. The
step prints one JSON line: seconds of its cold (first) and warm (second, same process) run, and
what it checked.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from datetime import datetime
from pathlib import Path

METRIC_COLUMNS = {
    "overview": (["indicator_code"], ["value", "monthly_value", "change", "target", "progress", "projection",
                                      "projected_progress", "status"]),
    "hamlets": (["unit_code", "indicator_code"], ["value", "monthly_value", "change", "target", "progress",
                                                  "projection", "projected_progress", "status"]),
    "groups": (["task_group"], ["indicators", "with_data", "progress", "projected_progress", "status",
                                "n_achieved", "n_on_track", "n_at_risk", "n_behind", "n_no_data"]),
    "completeness": (["unit_code"], ["expected", "submitted", "on_time", "late", "missing", "status",
                                     "last_received_at", "missing_codes"]),
}  # fmt: skip


def _status_mb(field: str) -> float:
    """VmHWM (peak) or VmRSS (now) of this process, in MB.

    Not ru_maxrss: on Linux a child's ru_maxrss starts at its parent's size at fork time, while
    VmHWM belongs to the process image started by exec (DuckDB's memory is in it).
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _start_measuring() -> float:
    """Forget the peak of the setup (creating stores, saving units): VmHWM restarts from the
    current resident size (Linux ≥ 4.0, writing 5 to clear_refs). Returns that size in MB."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return _rss_mb()


def _connect(db: str, read_only: bool = False):
    """DuckDB on the benchmark's database: its file, or a postgresql:// URL attached as the store
    attaches it (the floors then read the same PostgreSQL tables as the product)."""
    import duckdb

    from indicators.storage import is_postgres

    if not is_postgres(db):
        return duckdb.connect(db, read_only=read_only)
    from indicators.storage import attach_postgres

    return attach_postgres(db)


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def _floor_sql(name: str, root_level: str) -> str:
    """The floor query of a metric result (by hamlet lists what the product's table lists)."""
    from bench import floors, product

    if name == "hamlets":
        return floors.members_sql(product.members_level(root_level))
    return {"overview": floors.overview_sql, "groups": floors.groups_sql,
            "completeness": floors.completeness_sql}[name]()  # fmt: skip


def metric(args: dict) -> dict:
    """A metric result by the product, its SQL floor or the analyst's pandas (cold, then warm)."""

    from bench import floors

    db, root, period, name, impl = args["db"], args["root"], args["period"], args["name"], args["impl"]
    if impl == "product":
        from bench import product
        from indicators import metrics
        from indicators.domain import periods
        from indicators.storage import Store, store_as_of
        from indicators.views import overview

        store = Store(db)
        gc.freeze()  # as the app's server does once its store is open (pages/_shared.py)
        fn = {
            "overview": lambda: metrics.commune_summary(store, period, root),
            "hamlets": lambda: product.members_table(store, period, root),
            "groups": lambda: metrics.group_progress(store, period, root),
            "completeness": lambda: metrics.completeness(store, period, root),
            # the month's summary with the figures as they stood at its report day (issue 23: within 2×)
            "overview_as_of": lambda: metrics.commune_summary(
                store_as_of(store, datetime.fromisoformat(f"{period}-20T23:59:59"), periods.summary_months(period),
                            totals_only=True), period, root
            ),
            "overview_view": lambda: overview.overview(
                store, period, next(u for u in store.units() if u.code == root)
            ),
        }[name]
    else:
        from bench import product

        con = _connect(db, read_only=True)
        con.execute("SET enable_progress_bar = false")
        if impl == "pandas":
            fn = lambda: floors.pandas_overview(con, root, period)  # noqa: E731
        else:
            deadline_day = json.loads(con.execute("SELECT value FROM settings WHERE key = 'settings'").fetchone()[0]
                                      ).get("deadline_day", 18)  # fmt: skip
            sql = _floor_sql(
                name, con.execute("SELECT level FROM units WHERE code = ?", [root]).fetchone()[0]
            )
            values = (floors.completeness_params(root, period, deadline_day) if name == "completeness"
                      else floors.params(root, period))  # fmt: skip
            fn = lambda: floors.run(con, sql, values)  # noqa: E731
    rss_before = _start_measuring()
    cold, result = _timed(fn)
    warm = None
    if args.get("warm", True):
        warm, result = _timed(fn)
    return {
        "cold_s": cold,
        "warm_s": warm,
        "rows": len(result) if hasattr(result, "__len__") else 1,
        "rss_before_mb": rss_before,
    }


def check(args: dict) -> dict:
    """Every floor (and the pandas overview) gives the product's numbers: compared, not timed."""
    from bench import floors, product
    from indicators import metrics
    from indicators.storage import Store

    db, root, period = args["db"], args["root"], args["period"]
    store = Store(db)
    cur = store._conn.cursor()  # the floors read the same open database (one connection per file)
    deadline_day = store.settings().deadline_day
    values = floors.params(root, period)
    out = {}
    for name in args.get("names", list(METRIC_COLUMNS)):
        started = time.perf_counter()
        expected = {
            "overview": lambda: metrics.commune_summary(store, period, root),
            "hamlets": lambda: product.members_table(store, period, root),
            "groups": lambda: metrics.group_progress(store, period, root),
            "completeness": lambda: metrics.completeness(store, period, root),
        }[name]()
        sql = _floor_sql(name, next(u.level for u in store.units() if u.code == root))
        floor = floors.run(cur, sql, floors.completeness_params(root, period, deadline_day)
                           if name == "completeness" else values)  # fmt: skip
        key, columns = METRIC_COLUMNS[name]
        out[name] = floors.compare(expected, floor, key, columns)
        if name == "overview":
            out["overview_pandas"] = floors.compare(
                expected, floors.pandas_overview(cur, root, period), key, columns
            )
        out[name]["seconds"] = round(time.perf_counter() - started, 1)
    return {"cold_s": None, "warm_s": None, "checks": out}


def import_files(args: dict) -> dict:
    """Import files into a new store holding the size's units: by the product, or read_csv + INSERT."""

    from bench import load, product
    from bench.sizes import AS_OF, SIZES

    size = SIZES[args["size"]]
    from indicators.storage import is_postgres

    db = args["db"] if is_postgres(args["db"]) else Path(args["db"])  # a URL is no path
    files = [Path(f) for f in args["files"]]
    load.prepare_store(size, db)
    now = datetime.fromisoformat(AS_OF)
    rss_before = _start_measuring()
    rows = 0
    statuses: dict[str, int] = {}
    if args["impl"].startswith("product"):
        if args["impl"] == "product_uncapped":  # what a single city-size file would need
            import indicators.ingest as ingest
            import indicators.ingest.read as read

            ingest.MAX_FILE_BYTES = 10**12
            read.MAX_ROWS = 10**9
        store = product.new_store(db)
        started = time.perf_counter()
        for f in files:
            report = product.product_import(store, f, now=now)
            statuses[report.status] = statuses.get(report.status, 0) + 1
            rows += report.count("new") + report.count("changed")
            if report.status == "rejected":
                statuses["first_error"] = report.errors[0].message if report.errors else ""
        store.close()  # closing checkpoints what the log still holds: part of the imports' cost
        seconds = time.perf_counter() - started
    else:
        from indicators.storage import is_postgres

        on_postgres = is_postgres(str(db))
        con = _connect(str(db))
        con.execute("SET enable_progress_bar = false")
        started = time.perf_counter()
        for number, f in enumerate(files, start=1):
            con.execute("BEGIN")
            # PostgreSQL's sequences are not DuckDB's: a new database, ids counted here
            batch = number if on_postgres else con.execute("SELECT nextval('batch_ids')").fetchone()[0]
            con.execute(
                "INSERT INTO batches VALUES (?, ?, '', 'floor', ?, '', 0, 0, 0, 0, '[]', 'imported', false)",
                [batch, f.name, now],
            )
            first_id = "nextval('submission_ids')" if not on_postgres else f"{rows} + row_number() OVER ()"
            n = con.execute(
                f"""INSERT INTO submissions
                SELECT {first_id}, ?, ky_bao_cao, don_vi, ma_chi_tieu, tu_so, mau_so,
                    CASE WHEN tu_so IS NOT NULL THEN CASE WHEN mau_so > 0 THEN 100 * tu_so / mau_so END
                         ELSE gia_tri END,
                    coalesce(ghi_chu, ''), ?, (row_number() OVER ())::INTEGER + 1
                FROM read_csv('{f}', header = true, all_varchar = false,
                    columns = {{'ky_bao_cao': 'VARCHAR', 'don_vi': 'VARCHAR', 'ma_chi_tieu': 'VARCHAR',
                               'tu_so': 'DOUBLE', 'mau_so': 'DOUBLE', 'gia_tri': 'DOUBLE', 'ghi_chu': 'VARCHAR'}})""",
                [batch, now],
            ).fetchone()[0]
            con.execute("COMMIT")
            rows += n
            statuses["imported"] = statuses.get("imported", 0) + 1
        con.close()  # as the product's: with its checkpoint
        seconds = time.perf_counter() - started
    return {"cold_s": seconds, "warm_s": None, "rows": rows, "files": len(files), "statuses": statuses,
            "rss_before_mb": rss_before}  # fmt: skip


# A script that is not the product's: what a server has done once, at its first page, whatever the
# page (Streamlit looks up the whole call stack at the process's first element, 0,2 s; Plotly loads
# each trace type's module at its first use). The product's caches stay empty.
_SERVER_WARMUP = """
import plotly.graph_objects as go
import streamlit as st
st.title("warm-up")
st.selectbox("x", ["a", "b"])
figure = go.Figure([go.Scatter(x=[1, 2], y=[1, 2]), go.Bar(x=[1], y=[1]), go.Heatmap(z=[[1, 2]]),
                    go.Choroplethmap(locations=["a"], z=[1])])
figure.update_layout(title="t", shapes=[dict(type="line", x0=0, x1=1, y0=0, y1=1)])
figure.add_annotation(text="a", x=1, y=1)
st.plotly_chart(figure)
"""


def _like_a_running_server() -> None:
    """A page's cold run is timed in a process that has already served a page (not the product's):
    the cost is the page's own work on empty caches, not the process's one-time start."""
    from streamlit.testing.v1 import AppTest

    AppTest.from_string(_SERVER_WARMUP, default_timeout=60).run()


def page(args: dict) -> dict:
    """A page's server-side run (AppTest): cold in this new process, then warm (a second session)."""
    from bench import product

    token = product.page_login(args["db"])
    # the libraries a running server has already imported; the page's own work is what is timed
    import plotly.graph_objects  # noqa: F401
    import streamlit.testing.v1  # noqa: F401

    # every page's view model but the report's and the slides' (as before the views were split by page)
    from indicators.views import (  # noqa: F401
        audit,
        catalog,
        common,
        groups,
        hamlets,
        history,
        indicator,
        maps,
        overview,
        submissions,
        upload,
        users,
    )

    _like_a_running_server()
    rss_before = _start_measuring()
    cold, at = _timed(lambda: product.run_page(args["url"], args["db"], token, query=args.get("query")))
    warm = None
    if args.get("warm", True):
        warm, at = _timed(lambda: product.run_page(args["url"], args["db"], token, query=args.get("query")))
    if args.get("expect_map") and not any(s.value.startswith("Bản đồ các") for s in at.subheader):
        raise RuntimeError(f"page /{args['url']}: no map of the members drawn")
    return {"cold_s": cold, "warm_s": warm, "elements": len(at.main.children) if at else 0,
            "rss_before_mb": rss_before}  # fmt: skip


def _watch_peak(path: str) -> None:
    """Write this process's peak memory to `path` every second, for a parent that has to kill it."""
    import threading

    def loop() -> None:
        while True:
            Path(path).write_text(f"{_status_mb('VmHWM'):.1f}")
            time.sleep(1)

    threading.Thread(target=loop, daemon=True).start()


def entry(args: dict) -> dict:
    """The entry form's core on a copy of the database (issue 24): a field change (the draft saved,
    then the import's checks of the month typed so far), cold then warm; then sending the month."""
    import shutil
    import tempfile

    from bench import product
    from indicators.domain import periods
    from indicators.domain.entry import EntryFigure
    from indicators.ingest.entry import import_entry
    from indicators.storage import Store

    work = Path(tempfile.mkdtemp(prefix="bench_entry_"))
    db = work / "entry.duckdb"
    shutil.copy(args["db"], db)
    store = Store(db)
    period = periods.shift(args["period"], 1)  # the month after the data's last: a new month typed in
    hamlet = next(u for u in store.units() if u.level == "hamlet")
    last = store.current_submissions(periods=[args["period"]], unit_codes=[hamlet.code])
    def typed(r) -> EntryFigure:  # last month's figures, one more for every numerator that can take it
        if r.numerator != r.numerator:  # a count
            return EntryFigure(value=r.value)
        grown = r.numerator + 1 if r.numerator + 1 <= r.denominator else r.numerator
        return EntryFigure(numerator=grown, denominator=r.denominator)

    figures = {r.indicator_code: typed(r) for r in last.itertuples()}
    actor = product.actor()

    def change():
        store.save_draft(actor, hamlet.code, period, figures)
        return import_entry(store, hamlet.code, hamlet.label, period, figures, actor, dry_run=True)

    rss_before = _start_measuring()
    cold, checked = _timed(change)
    warm, _ = _timed(change)
    send, sent = _timed(lambda: import_entry(store, hamlet.code, hamlet.label, period, figures, actor))
    store.close()
    shutil.rmtree(work, ignore_errors=True)
    if sent.report.status != "imported":
        raise RuntimeError(f"the entry was not stored: {[i.message for i in sent.report.issues][:3]}")
    return {"cold_s": cold, "warm_s": warm, "send_s": send, "rows": len(checked.codes), "rss_before_mb": rss_before}


def slides(args: dict) -> dict:
    """The meeting's slide files (issue 27): the 11 slides of the month drawn, then the PDF (their HTML
    printed by Chromium) and the PPTX (python-pptx), as the presentation page's button makes them;
    cold then warm. The month's figures are gathered first, not timed (the page has them cached)."""
    from datetime import date

    from indicators.render import slides as slide_deck
    from indicators.render import slides_html, slides_pptx
    from indicators.storage import Store
    from indicators.views import presentation

    store = Store(args["db"])
    root = next(u for u in store.units() if u.code == args["root"])
    data = presentation.month_data(store, args["period"], root, date.fromisoformat(args["period"] + "-28"))
    store.close()

    def files():
        deck = slide_deck.draw_slides(data)
        return deck, slides_html.slides_pdf(deck), slides_pptx.slides_pptx(deck)

    rss_before = _start_measuring()
    cold, (deck, pdf, pptx) = _timed(files)
    warm, _ = _timed(files)
    return {"cold_s": cold, "warm_s": warm, "rows": len(deck), "rss_before_mb": rss_before,
            "elements": {"pdf_kb": len(pdf) // 1024, "pptx_kb": len(pptx) // 1024}}  # fmt: skip


def main() -> None:
    import os

    if os.environ.get("BENCH_PEAK_FILE"):
        _watch_peak(os.environ["BENCH_PEAK_FILE"])
    args = json.loads(sys.argv[1])
    fn = {"metric": metric, "import": import_files, "page": page, "check": check, "entry": entry,
          "slides": slides}[args["kind"]]  # fmt: skip
    from bench.run import product_hash

    code = product_hash()
    load_before = os.getloadavg()[0]
    out = fn(args)
    out["maxrss_mb"] = _status_mb("VmHWM")
    out["load_average_1min"] = [load_before, os.getloadavg()[0]]
    out["product_hash"] = code
    print("BENCH-RESULT " + json.dumps(out, default=str), flush=True)


if __name__ == "__main__":
    main()
