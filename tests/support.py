"""Helpers shared by the page and browser tests: demo and empty databases built once per session."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from indicators.demo import load_demo
from indicators.store import Store

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DEMO_TODAY = date(2026, 11, 27)  # demo months Jan–Nov 2026, independent of the real date
_cache: dict[str, Path] = {}


def demo_db(tmp_dir: Path) -> Path:
    """A fresh copy of the demo database in `tmp_dir` (the demo is generated once per session)."""
    if "demo" not in _cache:
        source = Path(tmp_dir).parent / "_demo_source.duckdb"
        if not source.exists():
            store = Store(source)
            load_demo(store, today=DEMO_TODAY)
            store.close()
        _cache["demo"] = source
    target = Path(tmp_dir) / "demo.duckdb"
    shutil.copy(_cache["demo"], target)
    return target


def empty_db(tmp_dir: Path) -> Path:
    path = Path(tmp_dir) / "empty.duckdb"
    Store(path).close()
    return path
