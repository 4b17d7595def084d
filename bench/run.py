"""The benchmark harness: `python -m bench.run commune city` (make bench), `python -m bench.run national`.

For each size: generate the data (deterministic; reused when already built with the same generator,
unless --rebuild), check the floors compute the product's numbers, then measure every figure beside
its floor, each repetition in a new process (bench/step.py), and write bench/results/<size>.json.
Figures slower than --slow seconds on their first run are not repeated (n = 1 in the results).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from . import load
from .product import PAGES
from .sizes import SIZES, Size

ROOT = Path(__file__).resolve().parent.parent
# At national size only what its targets name (the overview: cold time and memory) and the floors;
# the floors were checked against the product at the commune and city sizes. `--only` overrides.
NATIONAL_FIGURES = {
    "metric.overview",
    "metric.hamlets.floor",
    "metric.groups.floor",
    "metric.completeness.floor",
    "page.tong-quan",
}
RESULTS = Path(__file__).resolve().parent / "results"
METRICS = ["overview", "hamlets", "groups", "completeness"]

# targets at city size (the issue); national: the overview's cold run and memory
TARGETS = {
    "import": 3.0,  # × floor
    "as_of": 2.0,  # × the current summary (metric.overview.product)
    "entry_change_s": 0.3,  # a field change's round trip on the server (commune size)
    "entry_send_s": 1.0,  # sending a hamlet's month
    "slides_files_s": 5.0,  # the PDF and the PPTX of the month's 11 slides (issue 27)
    "metric": 1.5,  # × floor
    "page_warm_s": 0.5,
    "page_cold_s": 2.0,
    "national_overview_cold_s": 3.0,
    "national_memory_mb": 4096,
}


# --- machine and code -------------------------------------------------------------------------
def machine() -> dict:
    import duckdb
    import pandas
    import streamlit

    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    return {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)),
        "ram_gb": round(mem_kb / 1024**2, 1),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pandas": pandas.__version__,
        "streamlit": streamlit.__version__,
        "load_average_at_start": os.getloadavg(),
    }


def product_hash() -> str:
    """The product's code as this process sees it (every figure records it: a tree edited during a
    run shows up as figures with different hashes)."""
    h = hashlib.sha256()
    for path in sorted([*ROOT.glob("indicators/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]):
        h.update(path.relative_to(ROOT).as_posix().encode() + path.read_bytes())
    return h.hexdigest()[:12]


def code_state() -> dict:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.rstrip("\n") if done.returncode == 0 else ""

    dirty = [
        line[3:] for line in git("status", "--porcelain", "--", "indicators", "pages", "app.py").splitlines()
    ]
    return {"commit": git("rev-parse", "HEAD").strip() or os.environ.get("BENCH_SOURCE", "unknown"),
            "uncommitted_product_files": dirty, "product_hash": product_hash()}  # fmt: skip


def generator_hash() -> str:
    """Changes when the generator or the unit lists change: the built data is then rebuilt."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in [here / "generate.py", here / "sizes.py", here / "load.py",
                 *sorted((ROOT / "indicators" / "data" / "admin_units").glob("*.csv"))]:  # fmt: skip
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


# --- one step in a new process ----------------------------------------------------------------
def run_step(args: dict, timeout: float) -> dict:
    """Run bench/step.py in a new process; it reports its own peak memory (VmHWM).

    For a step that died or timed out, the peak it last wrote to BENCH_PEAK_FILE (every second);
    ru_maxrss from wait4 only as a last resort: it includes this process's size at fork (Linux).
    """
    peak_file = tempfile.NamedTemporaryFile(prefix="bench-peak-", delete=False)
    peak_file.close()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHONWARNINGS": "ignore",
        "BENCH_PEAK_FILE": peak_file.name,
    }
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "bench.step", json.dumps(args)], cwd=ROOT, env=env,
                                stdout=out, stderr=err)  # fmt: skip
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > timeout:
                proc.kill()  # the process this function started, by its id
                pid, status, usage = os.wait4(proc.pid, 0)
                timed_out = True
                break
            time.sleep(0.1)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    result: dict = {"process_s": round(wall, 2), "maxrss_mb": round(usage.ru_maxrss / 1024, 1)}
    try:  # the step's own last report of its peak (VmHWM), when it could not finish
        result["maxrss_mb"] = float(Path(peak_file.name).read_text() or result["maxrss_mb"])
    except (OSError, ValueError):
        pass
    os.unlink(peak_file.name)
    if timed_out:
        result["error"] = f"timeout after {timeout:.0f} s"
        return result
    line = next((ln for ln in stdout.splitlines() if ln.startswith("BENCH-RESULT ")), None)
    if proc.returncode != 0 or line is None:
        tail = [ln for ln in stderr.strip().splitlines() if ln.strip()][-3:]
        result["error"] = f"exit {proc.returncode}: " + " | ".join(tail)
        return result
    data = json.loads(line.split(" ", 1)[1])
    data["process_s"] = result["process_s"]
    return data


def measure(label: str, args: dict, repeat: int, timeout: float, slow: float, log) -> dict:
    """`repeat` runs (each a new process); the median of each time, the largest peak memory."""
    runs = []
    for i in range(repeat):
        run = run_step(args, timeout)
        runs.append(run)
        took = (run.get("cold_s") or 0) + (run.get("warm_s") or 0)
        log(f"  {label} #{i + 1}: " + (run["error"] if "error" in run else
            f"cold {run.get('cold_s', 0):.3f} s" + (f", warm {run['warm_s']:.3f} s" if run.get("warm_s") is not None else "")
            + f", peak {run['maxrss_mb']:.0f} MB"))  # fmt: skip
        if "error" in run or took > slow:
            break
    ok = [r for r in runs if "error" not in r]
    out: dict = {"n": len(ok), "runs": runs}
    if not ok:
        out["error"] = runs[-1]["error"]
        out["maxrss_mb"] = runs[-1]["maxrss_mb"]
        return out
    for key in ("cold_s", "warm_s", "send_s"):
        values = [r[key] for r in ok if r.get(key) is not None]
        if values:
            out[key] = statistics.median(values)
    out["maxrss_mb"] = max(r["maxrss_mb"] for r in ok)
    out["rss_before_mb"] = statistics.median(r.get("rss_before_mb", 0) for r in ok)
    for key in ("rows", "files", "statuses", "elements"):
        if key in ok[0]:
            out[key] = ok[0][key]
    return out


# --- the figures of one size ------------------------------------------------------------------
def run_size(size: Size, repeat: int, timeout: float, slow: float, rebuild: bool, only: set[str] | None,
             log=print) -> dict:  # fmt: skip
    started = time.perf_counter()
    data_dir = load.size_dir(size)
    meta_path = data_dir / "dataset.json"
    gen = generator_hash()
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    write_files = size.name != "national"
    if rebuild or meta.get("generator") != gen or not load.db_path(size).exists():
        log(f"[{size.name}] generating …")
        meta = {"generator": gen, **load.build(size, write_files=write_files, log=log)}
        if size.name == "commune":
            meta["bulk_load_equals_product_import"] = load.check_against_import(size, log)
        if write_files:
            meta["per_commune_files"] = len(list(load.files_dir(size).glob("*.csv")))
            meta["per_commune_file_bytes"] = sum(p.stat().st_size for p in load.files_dir(size).glob("*.csv"))
            meta["whole_file_bytes"] = load.whole_file(size).stat().st_size
        meta_path.write_text(json.dumps(meta, indent=2))
    log(f"[{size.name}] data: {meta['submission_rows']:,} submission rows, {meta['batches']:,} batches, "
        f"{meta['units']:,} units")  # fmt: skip

    db = str(load.db_path(size))
    base = {"db": db, "root": size.root, "period": size.period}
    figures: dict[str, dict] = {}

    def want(name: str) -> bool:
        return only is None or any(name.startswith(prefix) for prefix in only)

    def fig(name: str, args: dict, reps: int = repeat, tmo: float = timeout) -> None:
        if want(name):
            figures[name] = measure(name, args, reps, tmo, slow, log)

    # the floors give the product's numbers (not timed)
    if want("check"):
        log(f"[{size.name}] checking the floors against the product …")
        checked = run_step({"kind": "check", **base}, timeout)
        figures["check"] = checked
        log(f"  check: {json.dumps(checked.get('checks', checked.get('error')), default=str)[:400]}")

    # import (the files exist for the commune and city sizes)
    if write_files:
        tmp = data_dir / "import_tmp.duckdb"
        files = [str(p) for p in sorted(load.files_dir(size).glob("*.csv"))]
        for impl in ("product", "floor"):
            fig(f"import.per_commune.{impl}", {"kind": "import", "size": size.name, "db": str(tmp), "files": files,
                                               "impl": impl})  # fmt: skip
        whole = [str(load.whole_file(size))]
        fig("import.single_file.product", {"kind": "import", "size": size.name, "db": str(tmp), "files": whole,
                                           "impl": "product"}, reps=1)  # fmt: skip
        fig("import.single_file.product_uncapped", {"kind": "import", "size": size.name, "db": str(tmp),
                                                    "files": whole, "impl": "product_uncapped"}, reps=1)  # fmt: skip
        fig("import.single_file.floor", {"kind": "import", "size": size.name, "db": str(tmp), "files": whole,
                                         "impl": "floor"})  # fmt: skip
        for p in (tmp, Path(str(tmp) + ".wal"), Path(str(tmp) + ".lock")):
            p.unlink(missing_ok=True)

    # metrics beside their floors
    for name in METRICS:
        for impl in ("floor", "product"):
            fig(f"metric.{name}.{impl}", {"kind": "metric", **base, "name": name, "impl": impl})
    fig("metric.overview.pandas", {"kind": "metric", **base, "name": "overview", "impl": "pandas"})
    fig(
        "metric.overview_view.product", {"kind": "metric", **base, "name": "overview_view", "impl": "product"}
    )
    fig("metric.overview_as_of.product", {"kind": "metric", **base, "name": "overview_as_of", "impl": "product"})

    # the entry form: a field change (draft + checks) and sending a hamlet's month (issue 24)
    fig("entry.form", {"kind": "entry", **base})

    # the meeting's PDF and PPTX (issue 27)
    fig("slides.files", {"kind": "slides", **base})

    # pages (AppTest): cold in a new process, warm in the same process
    for url in PAGES:
        # the review page opens on this month by default, which the benchmark's data has not reached
        query = {"ky": size.period} if url == "duyet-so-lieu" else None
        fig(f"page.{url or 'tong-quan'}", {"kind": "page", "db": db, "url": url, "query": query})
    # the city overview with the map of its communes (issue 25), named apart: the step checks the map
    # is drawn, so the row cannot pass on a page that left it out
    if size.name == "city":
        fig("page.tong-quan-ban-do", {"kind": "page", "db": db, "url": "", "query": {"dv": size.root},
                                      "expect_map": True})  # fmt: skip

    hashes = sorted({r.get("product_hash") for fig in figures.values() for r in fig.get("runs", [fig])
                     if r.get("product_hash")})  # fmt: skip
    if len(hashes) > 1:
        log(f"[{size.name}] WARNING: the product's code changed during the run ({', '.join(hashes)})")
    return {
        "size": size.name,
        "product_hashes_seen": hashes,
        "description": {
            "hamlets_per_commune": size.hamlets,
            "months": size.months,
            "periods": size.periods,
            "root": size.root,
            "period": size.period,
        },  # fmt: skip
        "dataset": meta,
        "machine": machine(),
        "code": code_state(),
        "settings": {"repeat": repeat, "timeout_s": timeout, "slow_s": slow},
        "started": datetime.now().isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "figures": figures,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", nargs="+", choices=list(SIZES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds per run (default 900; national 600)"
    )
    parser.add_argument(
        "--slow", type=float, default=60.0, help="a first run longer than this is not repeated"
    )
    parser.add_argument("--rebuild", action="store_true", help="regenerate the data even if up to date")
    parser.add_argument(
        "--only", default=None, help="comma-separated figure prefixes, e.g. metric.overview,page."
    )
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    for name in args.sizes:
        only = set(args.only.split(",")) if args.only else (NATIONAL_FIGURES if name == "national" else None)
        timeout = args.timeout or (600.0 if name == "national" else 900.0)
        result = run_size(SIZES[name], args.repeat, timeout, args.slow, args.rebuild, only)
        path = RESULTS / f"{name}.json"
        if args.only and path.exists():  # a partial run updates the figures it measured
            previous = json.loads(path.read_text())
            previous["figures"].update(result["figures"])
            result["figures"] = previous["figures"]
        path.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"[{name}] results written to {path.relative_to(ROOT)} ({result['seconds']:.0f} s)")
        from .report import tables

        print(tables(result))


if __name__ == "__main__":
    main()
