"""Build a size's database and files.

The database the metric and page benchmarks read is loaded by the fastest correct path: units and
settings through the product (bench/product.py), then the generated batches and submissions
streamed to Parquet one chunk of communes at a time and bulk-inserted into the store's own tables
(ids in the order the files arrived, the index rebuilt once). `check_against_import` proves, at the
commune size, that this gives the same current figures as importing every file through the product.

The import benchmark reads the CSV files written here: one per commune (its hamlets and itself, every
month, the figures that count), and the whole city in one file.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from . import product
from .generate import commune_data, long_csv, unit_rows
from .sizes import Size, communes_of

DATA = Path(__file__).resolve().parent / "data"
CHUNK_COMMUNES = 150


def size_dir(size: Size) -> Path:
    return DATA / size.name


def db_path(size: Size) -> Path:
    return size_dir(size) / "bench.duckdb"


def files_dir(size: Size) -> Path:
    return size_dir(size) / "files"


def whole_file(size: Size) -> Path:
    return size_dir(size) / f"{size.name}_all.csv"


def prepare_store(size: Size, path: Path) -> list[dict]:
    """A new store with the size's units (through the product) and the dashboards' home unit."""
    if isinstance(path, Path):  # a postgresql:// URL names a new database made by the caller
        for p in (path, path.with_name(path.name + ".wal")):
            p.unlink(missing_ok=True)
    units = unit_rows(size)
    store = product.new_store(path)
    product.save_units(store, units)
    product.set_home_unit(store, size.root)
    store.close()
    return units


def build(size: Size, write_files: bool = True, log=print) -> dict:
    """Generate the size: the database and (unless `write_files` is false) the import files."""
    started = time.perf_counter()
    out = size_dir(size)
    out.mkdir(parents=True, exist_ok=True)
    stage = out / "stage"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    path = db_path(size)
    units = prepare_store(size, path)
    units_s = time.perf_counter() - started
    log(f"[{size.name}] {len(units):,} units saved through the product ({units_s:.0f} s)")
    if write_files:
        shutil.rmtree(files_dir(size), ignore_errors=True)
        files_dir(size).mkdir(parents=True)
        whole = open(whole_file(size), "wb")
    communes = communes_of(size)
    rows_total = batches_total = 0
    chunk_rows, chunk_batches, chunk = [], [], 0
    for i, commune in enumerate(communes, start=1):
        data = commune_data(size, commune)
        rows_total += len(data.rows)
        batches_total += len(data.batches)
        chunk_rows.append(data.rows)
        chunk_batches.append(data.batches.drop(columns=["kind"]))
        if write_files:
            current = data.current()
            body = long_csv(current)
            (files_dir(size) / f"{commune['code']}.csv").write_bytes(body)
            whole.write(body if i == 1 else body.split(b"\n", 1)[1])
        if len(chunk_rows) == CHUNK_COMMUNES or i == len(communes):
            pd.concat(chunk_rows, ignore_index=True).to_parquet(stage / f"rows_{chunk:04d}.parquet", index=False)
            pd.concat(chunk_batches, ignore_index=True).to_parquet(stage / f"batches_{chunk:04d}.parquet", index=False)
            chunk_rows, chunk_batches, chunk = [], [], chunk + 1
            log(f"[{size.name}] generated {i:,}/{len(communes):,} communes, {rows_total:,} rows "
                f"({time.perf_counter() - started:.0f} s)")  # fmt: skip
    if write_files:
        whole.close()
    bulk_load(path, stage, log)
    shutil.rmtree(stage, ignore_errors=True)
    return {
        "units": len(units),
        "units_save_s": round(units_s, 1),
        "communes": len(communes),
        "submission_rows": rows_total,
        "batches": batches_total,
        "seconds": round(time.perf_counter() - started, 1),
        "db_bytes": path.stat().st_size,
    }


def bulk_load(path: Path, stage: Path, log=print) -> None:
    """Staged Parquet -> batches, submissions, batch_reverts (ids by arrival), index, sequences."""
    started = time.perf_counter()
    con = duckdb.connect(str(path))
    try:
        con.execute("SET memory_limit = '8GB'")
        con.execute(f"SET temp_directory = '{stage / 'tmp'}'")
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
        rows = f"read_parquet('{stage}/rows_*.parquet')"
        batches = f"read_parquet('{stage}/batches_*.parquet')"
        con.execute("BEGIN")
        con.execute(
            f"""CREATE TEMP TABLE bmap AS SELECT batch_key,
                (row_number() OVER (ORDER BY created_at, batch_key))::INTEGER AS id, created_at
            FROM {batches}"""
        )
        con.execute(
            f"""INSERT INTO batches
            SELECT m.id, b.file_name, b.sha256, ?, b.created_at, b.period,
                b.rows_total, b.rows_new, b.rows_changed, b.rows_unchanged, b.warnings, 'imported', false
            FROM {batches} b JOIN bmap m USING (batch_key)""",
            [product.actor_label()],
        )
        con.execute(
            f"""INSERT INTO batch_reverts
            SELECT m.id, b.reverted_at, ? FROM {batches} b JOIN bmap m USING (batch_key)
            WHERE b.reverted_at IS NOT NULL""",
            [product.actor_label()],
        )
        con.execute(
            f"""INSERT INTO submissions
            SELECT row_number() OVER (ORDER BY m.id, r.source_row), m.id, r.period, r.unit_code,
                r.indicator_code, r.numerator, r.denominator, r.value, '', m.created_at, r.source_row
            FROM {rows} r JOIN bmap m USING (batch_key)"""
        )
        from indicators.storage import REBUILD_CURRENT, REBUILD_TOTALS

        # the store's current values, from every revision, and their per-commune totals
        for sql in REBUILD_CURRENT + REBUILD_TOTALS:
            con.execute(sql)
        con.execute("COMMIT")
        log(f"  bulk insert {time.perf_counter() - started:.0f} s")
        for seq, table in (("batch_ids", "batches"), ("submission_ids", "submissions")):
            top = con.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]
            con.execute(f"DROP SEQUENCE {seq}")
            con.execute(f"CREATE SEQUENCE {seq} START {top}")
        con.execute("CHECKPOINT")
        log(f"  sequences, checkpoint {time.perf_counter() - started:.0f} s")
    finally:
        con.close()


def check_against_import(size: Size, log=print) -> dict:
    """Import every generated file through the product, in the order they arrived (and revert what
    was reverted), and compare the current figures with the bulk-loaded database."""
    from datetime import datetime

    from indicators.storage import Store

    path = size_dir(size) / "via_import.duckdb"
    prepare_store(size, path)
    store = Store(path)
    events = []
    for commune in communes_of(size):
        data = commune_data(size, commune)
        groups = dict(tuple(data.rows.groupby("batch_key", sort=False)))
        for b in data.batches.itertuples(index=False):
            events.append((b.created_at, b.batch_key, "import", b.file_name, groups[b.batch_key]))
            if pd.notna(b.reverted_at):
                events.append((b.reverted_at, b.batch_key, "revert", b.file_name, None))
    events.sort(key=lambda e: (e[0], e[1], e[2] == "revert"))
    ids: dict[int, int] = {}
    for at, key, what, name, rows in events:
        if what == "import":
            report = product.product_import(store, name, now=at.to_pydatetime(), data=long_csv(rows))
            if report.status != "imported":
                raise RuntimeError(f"{name}: {report.status}\n{report.issues_frame().to_string()}")
            ids[key] = report.batch_id
        else:
            product.revert_batch(store, ids[key])
    cols = ["period", "unit_code", "indicator_code", "numerator", "denominator", "value", "first_received_at",
            "revisions"]  # fmt: skip
    totals_sql = "SELECT * FROM current_totals ORDER BY period, unit_code, indicator_code"
    via_import = store.current_submissions()[cols]
    via_import_totals = store.query_df(totals_sql)
    store.close()
    bulk = Store(db_path(size))
    loaded = bulk.current_submissions()[cols]
    loaded_totals = bulk.query_df(totals_sql)
    bulk.close()
    same = via_import.reset_index(drop=True).equals(loaded.reset_index(drop=True))
    if not same:
        log(via_import.compare(loaded).head(20).to_string())
    # an import adds a batch's sums to the totals, the bulk load sums every value at once: the same
    # numbers up to the order of additions
    sums = ["numerator", "denominator", "value"]
    totals_same = (
        via_import_totals.shape == loaded_totals.shape
        and via_import_totals.drop(columns=sums).equals(loaded_totals.drop(columns=sums))
        and all(np.allclose(via_import_totals[c], loaded_totals[c], rtol=1e-12, atol=0, equal_nan=True)
                for c in sums)
    )  # fmt: skip
    if not totals_same:
        log(f"totals differ: {len(via_import_totals)} rows via import, {len(loaded_totals)} loaded")
    same = same and totals_same
    log(f"[{size.name}] bulk load equals import of {len(ids)} files: {same}")
    return {"files_imported": len(ids), "current_rows": len(loaded), "equal": bool(same),
            "checked_at": datetime.now().isoformat(timespec="seconds")}  # fmt: skip
