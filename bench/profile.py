"""Profile one figure where a target is missed: `python -m bench.profile city hamlets`.

Targets: overview, hamlets, groups, completeness (metrics.*), overview_view (overview.overview),
import (the product importing one per-commune file into a new store with the size's units),
import_full (the same file sent again into a copy of the full database),
page:<url_path> (a warm AppTest run, sampled: the page runs in AppTest's script thread). The
second (warm) call is profiled with cProfile; the top functions by cumulative and by own time go
to bench/results/profile_<size>_<target>.txt.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import time
from datetime import datetime
from pathlib import Path

from . import load, product
from .sizes import AS_OF, SIZES

RESULTS = Path(__file__).resolve().parent / "results"


def target_fn(size_name: str, target: str):
    from indicators import metrics
    from indicators.storage import Store
    from indicators.views import overview

    size = SIZES[size_name]
    db = load.db_path(size)
    root, period = size.root, size.period
    if target == "import":
        copy = load.size_dir(size) / "profile_import.duckdb"
        load.prepare_store(size, copy)
        store = product.new_store(copy)
        files = iter(sorted(load.files_dir(size).glob("*.csv")))
        now = datetime.fromisoformat(AS_OF)
        return lambda: product.product_import(store, next(files), now=now)  # the next commune's file
    if target == "import_full":  # a commune re-sends its file into the full database (a copy)
        import shutil

        copy = load.size_dir(size) / "profile_import.duckdb"
        for p in (copy, Path(str(copy) + ".wal")):
            p.unlink(missing_ok=True)
        shutil.copy(db, copy)
        store = product.new_store(copy)
        files = iter(sorted(load.files_dir(size).glob("*.csv")))
        now = datetime.fromisoformat(AS_OF)
        return lambda: product.product_import(store, next(files), now=now)
    if target.startswith("page:"):
        token = product.page_login(db)
        return lambda: product.run_page(target[5:], db, token)
    store = Store(db)
    root_unit = next(u for u in store.units() if u.code == root)
    return {
        "overview": lambda: metrics.commune_summary(store, period, root),
        "hamlets": lambda: product.members_table(store, period, root),
        "groups": lambda: metrics.group_progress(store, period, root),
        "completeness": lambda: metrics.completeness(store, period, root),
        "overview_view": lambda: overview.overview(store, period, root_unit),
    }[target]


def sample(fn, interval: float = 0.005) -> tuple[float, str]:
    """Run `fn` while sampling every thread's stack (AppTest runs the page in its own thread,
    which cProfile does not see): the share of samples in which each function was on the stack."""
    import collections
    import threading

    me = threading.get_ident()
    inclusive: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    total = 0
    done = threading.Event()

    def where(frame) -> str:
        code = frame.f_code
        return f"{code.co_filename}:{code.co_firstlineno}({code.co_name})"

    def sampler() -> None:
        nonlocal total
        while not done.is_set():
            for ident, frame in sys._current_frames().items():
                if ident in (me, threading.get_ident()) or "scriptrunner" not in _thread_name(ident):
                    continue
                total += 1
                own[where(frame)] += 1
                seen = set()
                while frame is not None:
                    key = where(frame)
                    if key not in seen:
                        inclusive[key] += 1
                        seen.add(key)
                    frame = frame.f_back
            time.sleep(interval)

    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    started = time.perf_counter()
    fn()
    seconds = time.perf_counter() - started
    done.set()
    thread.join()
    lines = [f"{total} samples of the page's script thread every {interval * 1000:.0f} ms", "",
             "share  on stack (inclusive)"]  # fmt: skip
    lines += [f"{n / total:6.1%}  {key}" for key, n in inclusive.most_common(40)] if total else []
    lines += ["", "share  running (own)"]
    lines += [f"{n / total:6.1%}  {key}" for key, n in own.most_common(20)] if total else []
    return seconds, "\n".join(lines) + "\n"


def _thread_name(ident: int) -> str:
    import threading

    thread = threading._active.get(ident)  # noqa: SLF001 - names of live threads
    return thread.name.lower() if thread else ""


def main() -> None:
    size_name, target = sys.argv[1], sys.argv[2]
    fn = target_fn(size_name, target)
    if target.startswith("page:"):
        fn()  # cold
        second, text = sample(fn)
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"profile_{size_name}_{target.replace(':', '_')}.txt"
        root = str(Path(__file__).resolve().parent.parent) + "/"
        body = text.replace(root, "").replace(sys.prefix + "/lib/python3.11/site-packages/", "")
        out.write_text(f"{size_name} {target}: warm run {second:.2f} s (sampled)\n\n{body}")
        print(f"{out}: warm {second:.2f} s")
        return
    started = time.perf_counter()
    fn()
    first = time.perf_counter() - started
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    fn()
    profiler.disable()
    second = time.perf_counter() - started
    text = io.StringIO()
    text.write(
        f"{size_name} {target}: first run {first:.2f} s, profiled run {second:.2f} s (with cProfile overhead)\n\n"
    )
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"profile_{size_name}_{target.replace(':', '_') or 'root'}.txt"
    root = str(Path(__file__).resolve().parent.parent) + "/"
    out.write_text(
        text.getvalue().replace(root, "").replace(sys.prefix + "/lib/python3.11/site-packages/", "")
    )
    print(f"{out}: first {first:.2f} s, profiled {second:.2f} s")


if __name__ == "__main__":
    main()
