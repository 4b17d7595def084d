"""The PostgreSQL column: the city size on a PostgreSQL database, with the same floors.

    python -m bench.postgres city [--url postgresql://…/postgres] [--repeat 3] [--import-files 20]

The size's DuckDB database (made by `python -m bench.run city`) is moved into a new PostgreSQL
database with the product's own `migrate` command (timed); then every metric beside its floor (the
same SQL, run by DuckDB over the same PostgreSQL tables, as the product runs), the dashboard pages,
and the import of the first per-commune files into a new database holding the units (product vs
read_csv + INSERT into the PostgreSQL tables). Without --url a throwaway server is started with
scripts/pg_local.sh and stopped at the end. Results: bench/results/<size>_postgres.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from . import load
from .product import PAGES
from .run import METRICS, RESULTS, ROOT, code_state, machine, measure
from .sizes import SIZES


def _psql(base: str, sql: str) -> None:
    subprocess.run(["psql", f"{base}/postgres", "-qc", sql], check=True, capture_output=True)


def _new_database(base: str, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    _psql(base, f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("size", choices=["commune", "city"])
    parser.add_argument("--url", default=None, help="a server's postgresql://…/postgres (default: a throwaway one)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--import-files", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    source = load.db_path(size)
    if not source.exists():
        sys.exit(f"{source} is missing: run `python -m bench.run {size.name}` first")
    folder = None
    if args.url is None:
        folder = tempfile.mkdtemp(prefix="bench-pg-")
        Path(folder).chmod(0o755)
        started = subprocess.run(["bash", str(ROOT / "scripts" / "pg_local.sh"), "start", folder],
                                 capture_output=True, text=True, check=True)  # fmt: skip
        base = started.stdout.strip().rsplit("/", 1)[0]
    else:
        base = args.url.rsplit("/", 1)[0]
    started_at = time.perf_counter()
    figures: dict[str, dict] = {}
    try:
        url = _new_database(base, f"bench_{size.name}")
        began = time.perf_counter()
        moved = subprocess.run([sys.executable, "-m", "indicators", "migrate", "--db", str(source), "--to", url],
                               cwd=ROOT, capture_output=True, text=True)  # fmt: skip
        figures["migrate"] = {"cold_s": time.perf_counter() - began, "exit": moved.returncode,
                              "output": moved.stdout[-2000:] + moved.stderr[-2000:]}  # fmt: skip
        print(moved.stdout, moved.stderr, flush=True)
        if moved.returncode != 0:
            sys.exit("migrate failed")
        common = {"db": url, "root": size.root, "period": size.period}

        def fig(name: str, step: dict, reps: int = args.repeat) -> None:
            figures[name] = measure(name, step, reps, args.timeout, 60.0, print)

        for name in METRICS:
            for impl in ("floor", "product"):
                fig(f"metric.{name}.{impl}", {"kind": "metric", **common, "name": name, "impl": impl})
        fig("metric.overview_view.product", {"kind": "metric", **common, "name": "overview_view", "impl": "product"})
        for page in PAGES:
            fig(f"page.{page}", {"kind": "page", **common, "url": page})
        files = [str(p) for p in sorted(load.files_dir(size).glob("*.csv"))[: args.import_files]]
        for impl in ("product", "floor"):
            runs = []
            for _ in range(args.repeat):
                target = _new_database(base, "bench_import")
                runs.append(measure(f"import.{impl}", {"kind": "import", "size": size.name, "db": target,
                                                       "files": files, "impl": impl}, 1, args.timeout, 1e9, print))  # fmt: skip
                _psql(base, f'DROP DATABASE "{target.rsplit("/", 1)[1]}" WITH (FORCE)')
            ok = [r for r in runs if "cold_s" in r]
            figures[f"import.first_files.{impl}"] = {
                "files": len(files), "runs": runs,
                "cold_s": sorted(r["cold_s"] for r in ok)[len(ok) // 2] if ok else None,
                "maxrss_mb": max((r.get("maxrss_mb", 0) for r in ok), default=None),
            }  # fmt: skip
        _psql(base, f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        if folder:
            subprocess.run(["bash", str(ROOT / "scripts" / "pg_local.sh"), "stop", folder], capture_output=True)
            shutil.rmtree(folder, ignore_errors=True)
    out = {"size": size.name, "store": "postgresql", "machine": machine(), "code": code_state(),
           "seconds": time.perf_counter() - started_at, "figures": figures}  # fmt: skip
    path = RESULTS / f"{size.name}_postgres.json"
    path.write_text(json.dumps(out, indent=2, default=str) + "\n")
    print(f"results written to {path}")


if __name__ == "__main__":
    main()
