"""Markdown tables from bench/results/*.json: `python -m bench.report` (used for BENCHMARKS.md)."""

from __future__ import annotations

import json
import sys

from indicators.domain.admin_units import official_code_of_previous

from .run import METRICS, RESULTS, TARGETS
from .sizes import SIZES


def _official(code: str, size: str) -> str:
    """A root as the official list codes it: runs before it recorded the previous list's codes.
    A root that is the size's own root today is official already (Hải Phòng's 31 was another
    province's code in the previous list)."""
    if size in SIZES and code == SIZES[size].root:
        return code
    return official_code_of_previous().get(code, code)


def _s(value) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:.0f} s"
    if value >= 10:
        return f"{value:.1f} s"
    return f"{value:.2f} s" if value >= 0.1 else f"{value * 1000:.0f} ms"


def _mb(value) -> str:
    return "–" if value is None else f"{value:,.0f} MB"


def _ratio(a, b) -> str:
    return "–" if a is None or not b else f"{a / b:.1f}×"


def _met(ok) -> str:
    return "–" if ok is None else ("yes" if ok else "**no**")


def _get(fig: dict | None, key: str):
    return None if not fig or "error" in fig else fig.get(key)


def _short(error: str) -> str:
    """The useful end of a step's error: the exception and its message, shortened."""
    text = error.split("RuntimeError: ", 1)[-1] if "RuntimeError: " in error else error
    text = text.split(" File ", 1)[0].strip(" [\"'")
    return text[:140] + ("…" if len(text) > 140 else "")


def _err(fig: dict | None) -> str:
    return f" (failed: {_short(fig['error'])})" if fig and "error" in fig else ""


def _n(*figs) -> str:
    return "/".join(str(f.get("n", 0)) if f else "0" for f in figs)


def tables(result: dict) -> str:
    f = result["figures"]
    national = result["size"] == "national"
    lines: list[str] = []
    add = lines.append
    ds = result["dataset"]
    add(f"### {result['size']}: {ds['submission_rows']:,} submission rows, {ds['batches']:,} batches, "
        f"{ds['units']:,} units, {ds['db_bytes'] / 1024**2:,.0f} MB database\n")  # fmt: skip

    checks = (f.get("check") or {}).get("checks")
    if checks:
        parts = [f"{name} {'equal' if c.get('equal') else '**DIFFERENT**'} ({c.get('rows_product')} rows)"
                 for name, c in checks.items()]  # fmt: skip
        add(
            "Floors give the product's numbers (values to 1e-6 relative, statuses and lists exactly): "
            + ", ".join(parts)
            + ".\n"
        )
    elif f.get("check"):
        add(f"Floors not checked: {f['check'].get('error', '')[:200]}\n")
    loads = [x for fig in f.values() for r in fig.get("runs", []) for x in r.get("load_average_1min", [])]
    if loads:
        add(
            f"Load average (1 min) seen by the steps: {min(loads):.1f} to {max(loads):.1f} on {result['machine']['nproc']} cores.\n"
        )

    if any(k.startswith("import.") for k in f):
        add(
            "| Import | product | floor (read_csv + INSERT) | ratio | target | met? | peak memory product / floor | runs |"
        )
        add("|---|---|---|---|---|---|---|---|")
        p, fl = f.get("import.per_commune.product"), f.get("import.per_commune.floor")
        if p or fl:
            ratio = (
                _get(p, "cold_s") / _get(fl, "cold_s") if _get(p, "cold_s") and _get(fl, "cold_s") else None
            )
            add(f"| {ds.get('per_commune_files', '?')} per-commune files, {(_get(p, 'rows') or 0):,} rows | "
                f"{_s(_get(p, 'cold_s'))}{_err(p)} | {_s(_get(fl, 'cold_s'))}{_err(fl)} | {_ratio(_get(p, 'cold_s'), _get(fl, 'cold_s'))} | "
                f"≤ {TARGETS['import']:.0f}× | {_met(None if ratio is None else ratio <= TARGETS['import'])} | "
                f"{_mb(_get(p, 'maxrss_mb'))} / {_mb(_get(fl, 'maxrss_mb'))} | {_n(p, fl)} |")  # fmt: skip
        capped, free, fl1 = (f.get("import.single_file.product"), f.get("import.single_file.product_uncapped"),
                             f.get("import.single_file.floor"))  # fmt: skip
        if capped:
            why = (capped.get("statuses") or {}).get("first_error", "")
            refused = (capped.get("statuses") or {}).get("rejected")
            text = (
                f"refused in {_s(_get(capped, 'cold_s'))}: “{why[:80]}…”"
                if refused
                else _s(_get(capped, "cold_s"))
            )
            add(f"| one file of the whole size, as the product ships | {text} | {_s(_get(fl1, 'cold_s'))} | "
                f"{'–' if refused else _ratio(_get(capped, 'cold_s'), _get(fl1, 'cold_s'))} | – | – | "
                f"{_mb(_get(capped, 'maxrss_mb'))} / {_mb(_get(fl1, 'maxrss_mb'))} | {_n(capped, fl1)} |")  # fmt: skip
        if free:
            ratio = (
                _get(free, "cold_s") / _get(fl1, "cold_s")
                if _get(free, "cold_s") and _get(fl1, "cold_s")
                else None
            )
            add(f"| the same file, caps lifted in the benchmark process | {_s(_get(free, 'cold_s'))}{_err(free)} | "
                f"{_s(_get(fl1, 'cold_s'))} | {_ratio(_get(free, 'cold_s'), _get(fl1, 'cold_s'))} | "
                f"≤ {TARGETS['import']:.0f}× | {_met(None if ratio is None else ratio <= TARGETS['import'])} | "
                f"{_mb(_get(free, 'maxrss_mb') or (free or {}).get('maxrss_mb'))} / {_mb(_get(fl1, 'maxrss_mb'))} | {_n(free, fl1)} |")  # fmt: skip
        add("")

    add("| Metric (root " + _official(result["description"]["root"], result["size"]) + ", " + result["description"]["period"]
        + ") | product cold / warm | floor cold / warm (one SQL query) | ratio warm (cold) | target | met? | "
        "peak memory product / floor | runs |")  # fmt: skip
    add("|---|---|---|---|---|---|---|---|")
    for name in METRICS:
        p, fl = f.get(f"metric.{name}.product"), f.get(f"metric.{name}.floor")
        if not p and not fl:
            continue
        pw, fw = _get(p, "warm_s"), _get(fl, "warm_s")
        pc, fc = _get(p, "cold_s"), _get(fl, "cold_s")
        # met only when both hold: a warm product run is served from the per-version memo
        ratio = max(pw / fw, pc / fc) if pw and fw and pc and fc else None
        add(f"| {name} | {_s(_get(p, 'cold_s'))} / {_s(pw)}{_err(p)} | {_s(_get(fl, 'cold_s'))} / {_s(fw)}{_err(fl)} | "
            f"{_ratio(pw, fw)} ({_ratio(_get(p, 'cold_s'), _get(fl, 'cold_s'))}) | ≤ {TARGETS['metric']}× | "
            f"{_met(None if ratio is None else ratio <= TARGETS['metric'])} | "
            f"{_mb(_get(p, 'maxrss_mb') or (p or {}).get('maxrss_mb'))} / {_mb(_get(fl, 'maxrss_mb'))} | {_n(p, fl)} |")  # fmt: skip
    pd_, pv = f.get("metric.overview.pandas"), f.get("metric.overview.product")
    if pd_:
        add(f"| overview, plain pandas (analyst) | {_s(_get(pv, 'cold_s'))} / {_s(_get(pv, 'warm_s'))} (product) | "
            f"{_s(_get(pd_, 'cold_s'))} / {_s(_get(pd_, 'warm_s'))}{_err(pd_)} (pandas) | "
            f"{_ratio(_get(pv, 'warm_s'), _get(pd_, 'warm_s'))} ({_ratio(_get(pv, 'cold_s'), _get(pd_, 'cold_s'))}) | – | – | "
            f"{_mb(_get(pv, 'maxrss_mb'))} / {_mb(_get(pd_, 'maxrss_mb'))} | {_n(pv, pd_)} |")  # fmt: skip
    asof, pv = f.get("metric.overview_as_of.product"), f.get("metric.overview.product")
    if asof:
        pc, ac = _get(pv, "cold_s"), _get(asof, "cold_s")
        add(f"| overview as of the report day (`summary --as-of`) against the current overview | {_s(ac)} / "
            f"{_s(_get(asof, 'warm_s'))}{_err(asof)} | {_s(pc)} / {_s(_get(pv, 'warm_s'))} (current) | – ({_ratio(ac, pc)}) | "
            f"≤ {TARGETS['as_of']:.0f}× cold | {_met(None if not (ac and pc) else ac <= TARGETS['as_of'] * pc)} | "
            f"{_mb(_get(asof, 'maxrss_mb') or asof.get('maxrss_mb'))} | {_n(asof)} |")  # fmt: skip
    ov = f.get("metric.overview_view.product")
    if ov:
        cold = _get(ov, "cold_s")
        target = TARGETS["national_overview_cold_s"] if national else None
        add(f"| overview page's whole view model (dashboard.overview) | {_s(cold)} / {_s(_get(ov, 'warm_s'))}{_err(ov)} | – | – | "
            f"{'< 3 s cold' if national else '–'} | {_met(None if target is None or cold is None else cold < target) if national else '–'} | "
            f"{_mb(_get(ov, 'maxrss_mb') or ov.get('maxrss_mb'))} | {_n(ov)} |")  # fmt: skip
    add("")

    form = f.get("entry.form")
    if form:
        change, send = _get(form, "warm_s"), _get(form, "send_s")
        add("| Entry form (a hamlet's month, issue 24) | cold / warm | target | met? | runs |")
        add("|---|---|---|---|---|")
        add(f"| a field change: draft saved + the import's checks | {_s(_get(form, 'cold_s'))} / {_s(change)}{_err(form)} | "
            f"< {TARGETS['entry_change_s'] * 1000:.0f} ms | {_met(None if change is None else _get(form, 'cold_s') < TARGETS['entry_change_s'])} | {_n(form)} |")
        add(f"| sending the month (one batch) | {_s(send)} | < {TARGETS['entry_send_s']:.0f} s | "
            f"{_met(None if send is None else send < TARGETS['entry_send_s'])} | {_n(form)} |")  # fmt: skip
        add("")

    deck = f.get("slides.files")
    if deck:
        cold, warm = _get(deck, "cold_s"), _get(deck, "warm_s")
        target = TARGETS["slides_files_s"]
        add("| Slide files (issue 27) | cold / warm | target | met? | peak memory | runs |")
        add("|---|---|---|---|---|---|")
        add(f"| the month's 11 slides as PDF (Chromium) and PPTX (python-pptx) | {_s(cold)} / {_s(warm)}{_err(deck)} | "
            f"< {target:.0f} s | {_met(None if cold is None else cold < target)} | "
            f"{_mb(_get(deck, 'maxrss_mb') or deck.get('maxrss_mb'))} | {_n(deck)} |")  # fmt: skip
        add("")

    pages = {k: v for k, v in f.items() if k.startswith("page.")}
    if pages:
        add("| Page (AppTest, server side) | cold | warm | target cold / warm | met? | peak memory | runs |")
        add("|---|---|---|---|---|---|---|")
        for key, fig in pages.items():
            cold, warm = _get(fig, "cold_s"), _get(fig, "warm_s")
            if national:
                target, ok = "< 3 s cold (overview), < 4 GB", None
                if key == "page.tong-quan":
                    ok = (
                        cold is not None
                        and cold < TARGETS["national_overview_cold_s"]
                        and fig["maxrss_mb"] < TARGETS["national_memory_mb"]
                    )
            else:
                target = f"< {TARGETS['page_cold_s']:.0f} s / < {TARGETS['page_warm_s']} s"
                ok = (
                    None
                    if cold is None
                    else cold < TARGETS["page_cold_s"] and (warm or 0) < TARGETS["page_warm_s"]
                )
            add(f"| /{key[5:]} | {_s(cold)}{_err(fig)} | {_s(warm)} | {target} | {_met(ok)} | {_mb(fig.get('maxrss_mb'))} | {fig.get('n', 0)} |")  # fmt: skip
        add("")
    return "\n".join(lines)


def growth(results: list[dict]) -> str:
    """How cost grows from commune to city to national, figure by figure."""
    keys = [("rows", None), ("import.per_commune.product", "cold_s"), ("import.per_commune.floor", "cold_s")]
    keys += [(f"metric.{m}.{i}", "warm_s") for m in METRICS for i in ("product", "floor")]
    keys += [("metric.overview.pandas", "warm_s"), ("metric.overview_view.product", "cold_s"),
             ("page.tong-quan", "cold_s"), ("page.tong-quan", "warm_s"), ("page.theo-thon", "warm_s"),
             ("page.tinh-hinh-nop", "warm_s"), ("page.lich-su", "warm_s")]  # fmt: skip
    head = "| figure | " + " | ".join(r["size"] for r in results) + " |"
    out = [head, "|---" * (len(results) + 1) + "|"]
    for key, what in keys:
        cells = []
        for r in results:
            if key == "rows":
                cells.append(f"{r['dataset']['submission_rows']:,}")
                continue
            fig = r["figures"].get(key)
            cells.append(_s(_get(fig, what)) if _get(fig, what) is not None
                         else ("n/a" if not fig else ("failed" if "error" in fig else "–")))  # fmt: skip
        label = "submission rows" if key == "rows" else f"{key} ({what.replace('_s', '')})"
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def _runs(fig: dict | None, what: str) -> list[float]:
    if not fig or "error" in fig:
        return []
    return sorted(r[what] for r in fig.get("runs", [fig]) if r.get(what) is not None)


def compare(before: dict, after: dict) -> str:
    """Every figure measured in both runs, before and after a change of code on the same machine:
    medians, the ratio, and each side's range of runs (the run-to-run noise). A figure is worse only
    when the ratio exceeds 1.10 and after's fastest run is slower than before's slowest."""
    out = [f"#### {after['size']}{' (PostgreSQL)' if 'migrate' in after['figures'] else ''}: "
           f"before {before['code']['commit'][:7]}, after {after['code']['commit'][:7]}\n",
           "| figure | before (runs) | after (runs) | after / before | verdict |", "|---|---|---|---|---|"]  # fmt: skip
    worse = 0
    for key in sorted(set(before["figures"]) & set(after["figures"])):
        for what in ("cold_s", "warm_s"):
            b, a = _runs(before["figures"][key], what), _runs(after["figures"][key], what)
            if not b or not a:
                continue
            mb, ma = _get(before["figures"][key], what), _get(after["figures"][key], what)
            ratio = ma / mb if mb else None
            bad = ratio is not None and ratio > 1.10 and a[0] > b[-1]
            worse += bad
            verdict = "**worse**" if bad else ("better" if ratio and ratio < 0.90 and a[-1] < b[0] else "same (within noise)")
            out.append(f"| {key} ({what[:-2]}) | {_s(mb)} ({_s(b[0])}–{_s(b[-1])}) | {_s(ma)} ({_s(a[0])}–{_s(a[-1])}) | "
                       f"{ratio:.2f}× | {verdict} |")  # fmt: skip
    out.append(f"\n{worse} figure(s) worse beyond the noise.\n")
    return "\n".join(out)


def postgres_tables(pg: dict, file: dict | None) -> str:
    """The PostgreSQL column (bench/postgres.py) beside the same figures on the DuckDB file."""
    f, d = pg["figures"], (file or {}).get("figures", {})
    out = [f"### {pg['size']} on PostgreSQL\n",
           f"Moving the size's DuckDB file into a new PostgreSQL database with `python -m indicators migrate`: "
           f"{_s(_get(f.get('migrate'), 'cold_s'))} (row counts checked).\n",
           "| Metric | PostgreSQL: product cold / warm | PostgreSQL: floor cold / warm | ratio warm (cold) | "
           "target | met? | DuckDB file: product cold / warm | runs |",
           "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for name in [*METRICS, "overview_view"]:
        prod, floor = f.get(f"metric.{name}.product"), f.get(f"metric.{name}.floor")
        pc, pw, fc, fw = (_get(prod, "cold_s"), _get(prod, "warm_s"), _get(floor, "cold_s"), _get(floor, "warm_s"))
        met = None if not (pw and fw and pc and fc) else max(pw / fw, pc / fc) <= TARGETS["metric"]
        dp = d.get(f"metric.{name}.product")
        out.append(f"| {name} | {_s(pc)} / {_s(pw)}{_err(prod)} | {_s(fc)} / {_s(fw)} | {_ratio(pw, fw)} "
                   f"({_ratio(pc, fc)}) | {'≤ 1.5×' if floor else '–'} | {_met(met) if floor else '–'} | "
                   f"{_s(_get(dp, 'cold_s'))} / {_s(_get(dp, 'warm_s'))} | {_n(prod, floor)} |")  # fmt: skip
    out += ["", "| Page (AppTest) | PostgreSQL cold / warm | target cold / warm | met? | DuckDB file cold / warm |",
            "|---|---|---|---|---|"]  # fmt: skip
    for key in sorted(k for k in f if k.startswith("page.")):
        fig, other = f[key], d.get(key if key != "page." else "page.tong-quan")
        cold, warm = _get(fig, "cold_s"), _get(fig, "warm_s")
        met = None if cold is None else cold < 2 and (warm is None or warm < 0.5)
        name = "/" + key[5:] if key != "page." else "/ (tong-quan)"
        out.append(f"| {name} | {_s(cold)} / {_s(warm)}{_err(fig)} | < 2 s / < 0.5 s | {_met(met)} | "
                   f"{_s(_get(other, 'cold_s'))} / {_s(_get(other, 'warm_s'))} |")  # fmt: skip
    prod, floor = f.get("import.first_files.product"), f.get("import.first_files.floor")
    if prod:
        out += ["", "| Import into a new PostgreSQL database | product | floor (read_csv + INSERT over the "
                "attached database) | ratio | target |", "|---|---|---|---|---|",
                f"| first {prod['files']} per-commune files | {_s(prod.get('cold_s'))} | "
                f"{_s((floor or {}).get('cold_s'))} | {_ratio(prod.get('cold_s'), (floor or {}).get('cold_s'))} | ≤ 3× |"]  # fmt: skip
    return "\n".join(out)


def markdown() -> str:
    """BENCHMARKS.md: bench/BENCHMARKS.template.md with the tables of bench/results/*.json."""
    from pathlib import Path

    load = {n: json.loads((RESULTS / f"{n}.json").read_text()) for n in ("commune", "city", "national")
            if (RESULTS / f"{n}.json").exists()}  # fmt: skip
    commits = sorted({(r["size"], r["code"]["commit"][:7]) for r in load.values()})
    code = "; ".join(f"{size} measured on commit {commit}" for size, commit in commits)
    code += " (a figure measured again after a later change records that commit: see `code` in the JSON)"
    pg = RESULTS / "city_postgres.json"
    text = (Path(__file__).with_name("BENCHMARKS.template.md")).read_text()
    before = RESULTS / "before-restructure-f8a1542"
    compared = [compare(json.loads((before / f"{n}.json").read_text()), json.loads((RESULTS / f"{n}.json").read_text()))
                for n in ("commune", "city", "city_postgres")
                if (before / f"{n}.json").exists() and (RESULTS / f"{n}.json").exists()]  # fmt: skip
    return (text.replace("{TABLES}", "\n\n".join(tables(r) for r in load.values()))
            .replace("{RESTRUCTURE}", "\n".join(compared) or "Not measured yet.")
            .replace("{POSTGRES}", postgres_tables(json.loads(pg.read_text()), load.get("city"))
                     if pg.exists() else "Not measured yet.")
            .replace("{GROWTH}", growth(list(load.values())))
            .replace("{PG_CODE}", json.loads(pg.read_text())["code"]["commit"][:7] if pg.exists() else "–")
            .replace("{CODE}", code))  # fmt: skip


def main() -> None:
    if sys.argv[1:2] == ["--compare"]:  # python -m bench.report --compare bench/results/<before dir>
        from pathlib import Path

        before_dir = Path(sys.argv[2])
        for name in ("commune", "city", "city_postgres"):
            if (before_dir / f"{name}.json").exists() and (RESULTS / f"{name}.json").exists():
                print(compare(json.loads((before_dir / f"{name}.json").read_text()),
                              json.loads((RESULTS / f"{name}.json").read_text())))  # fmt: skip
        return
    if sys.argv[1:2] == ["--markdown"]:
        from pathlib import Path

        out = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
        out.write_text(markdown())
        print(f"wrote {out}")
        return
    if sys.argv[1:2] == ["postgres"]:
        for name in sys.argv[2:] or ["city"]:
            pg = json.loads((RESULTS / f"{name}_postgres.json").read_text())
            file = RESULTS / f"{name}.json"
            print(postgres_tables(pg, json.loads(file.read_text()) if file.exists() else None))
        return
    names = sys.argv[1:] or ["commune", "city", "national"]
    results = [
        json.loads((RESULTS / f"{n}.json").read_text()) for n in names if (RESULTS / f"{n}.json").exists()
    ]
    for r in results:
        print(tables(r))
    if len(results) > 1:
        print(growth(results))


if __name__ == "__main__":
    main()
