"""Every call the benchmarks make into the product's write path and pages, in one place.

The core's writes are gaining an `actor` argument (indicators.domain.accounts.Actor) and the app a login.
This module works with both shapes: before accounts, the writes take a user name (or nothing) and
pages run without login; with accounts, the benchmark acts as the command line does (an admin) and
its page runs are logged in as a benchmark admin account. When the API settles, only this file
changes. Reads (metrics, view models) are called directly by the steps.
"""

from __future__ import annotations

import inspect
import os
import secrets
from datetime import datetime
from pathlib import Path

from indicators.domain import clock
from indicators.domain.units import OrgUnit
from indicators.ingest import ImportReport, import_file
from indicators.storage import Store

try:  # the accounts API (issue: accounts, roles and audit)
    from indicators.domain import accounts as _accounts
except ImportError:  # pragma: no cover - before accounts
    _accounts = None

BENCH_USER = "benchmark"
ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")

# url_path -> page script, as app.py declares them ("" is the default page, the overview)
PAGES = {
    "": "pages/overview.py",
    "theo-thon": "pages/hamlets.py",
    "nhom-nhiem-vu": "pages/groups.py",
    "chi-tieu": "pages/indicator.py",
    "nhiem-vu": "pages/tasks.py",
    "nop-so-lieu": "pages/upload.py",
    "tinh-hinh-nop": "pages/submissions.py",
    "duyet-so-lieu": "pages/review.py",
    "viec-cua-toi": "pages/my_work.py",
    "nhap-so-lieu": "pages/entry.py",
    "lich-su": "pages/history.py",
    "danh-muc": "pages/catalog.py",
    "bao-cao": "pages/report.py",
    "trinh-chieu": "pages/presentation.py",
}


def actor():
    """Who the benchmark writes as: the command line's admin actor, or a user name before accounts."""
    if _accounts is None:
        return BENCH_USER
    return _accounts.command_line(BENCH_USER)


def actor_label() -> str:
    """How batches written by the benchmark name their author."""
    who = actor()
    return who if isinstance(who, str) else who.label


def _takes_actor(fn) -> bool:
    return "actor" in inspect.signature(fn).parameters


def members_table(store: Store, period: str, root: str):
    """The "by hamlet" table: `metrics.member_table` (a city's communes, a commune's hamlets) where
    the product has it, else `metrics.hamlet_table` (every hamlet below the root)."""
    from indicators import metrics

    fn = getattr(metrics, "member_table", None) or metrics.hamlet_table
    return fn(store, period, root)


def members_level(root_level: str) -> str:
    """The units `members_table` lists for a root of this level (see above)."""
    from indicators import metrics

    if hasattr(metrics, "member_table") and root_level == "city":
        return "commune"
    return "hamlet"


def new_store(path: str | os.PathLike) -> Store:
    """A store on `path` with the product's schema, seeded targets and task register."""
    return Store(path)


def save_units(store: Store, units: list[dict]) -> None:
    objs = [OrgUnit(**u) for u in units]
    if _takes_actor(store.save_units):
        store.save_units(objs, actor())
    else:
        store.save_units(objs)


def set_home_unit(store: Store, code: str) -> None:
    """The unit the dashboards open on; with accounts, also the longest idle time for sessions."""
    settings = store.settings()
    update = {"home_unit": code}
    if "session_timeout_minutes" in type(settings).model_fields:
        update["session_timeout_minutes"] = 24 * 60
    changed = settings.model_copy(update=update)
    if _takes_actor(store.save_settings):
        store.save_settings(changed, actor())
    else:
        store.save_settings(changed)


def product_import(store: Store, path: str | os.PathLike, now: datetime | None = None,
                   data: bytes | None = None) -> ImportReport:  # fmt: skip
    """Import one file the way the upload page and the command line do."""
    name = Path(path).name
    if data is None:
        data = Path(path).read_bytes()
    return import_file(store, name, data, actor(), now=now)


def revert_batch(store: Store, batch_id: int) -> int:
    return store.revert_batch(batch_id, actor())


def page_login(db_path: str | os.PathLike) -> str | None:
    """A live session of a benchmark admin account on `db_path` (None before accounts).

    Opens and closes its own connection, so the page run that follows still opens the store cold.
    """
    if _accounts is None or not hasattr(Store, "start_session"):
        return None
    store = Store(db_path)
    try:
        if store.user(BENCH_USER) is None:
            form = _accounts.UserForm(name=BENCH_USER, display_name="Benchmark", role="quan_tri")
            store.add_user(form, _accounts.hash_password(secrets.token_urlsafe(16)), actor())
        token = _accounts.new_session_token()
        store.start_session(_accounts.token_hash(token), BENCH_USER, clock.now())
    finally:
        store.close()
    return token


def _through_app(at, url_path: str) -> None:
    """Open `url_path` the way a browser does: app.py runs (login, sidebar, the data version read
    once per run) and its `st.navigation` picks the page. AppTest's `switch_page` before a first run
    would run the page script alone: a `pages/` folder puts a new session into Streamlit's old
    multipage mode until some run has called `st.navigation`, which a server's first run does."""
    from streamlit.runtime import pages_manager
    from streamlit.util import calc_hash

    at.switch_page(PAGES[url_path])  # checks the file exists
    at._page_hash = calc_hash(url_path)  # noqa: SLF001 - st.Page hashes its url_path
    init = pages_manager.PagesManager.__init__
    if not getattr(init, "_routes_through_app", False):
        def routed(self, *args, **kwargs):
            init(self, *args, **kwargs)
            pages_manager.PagesManager.uses_pages_directory = False
        routed._routes_through_app = True
        pages_manager.PagesManager.__init__ = routed


def run_page(url_path: str, db_path: str | os.PathLike, token: str | None = None, timeout: float = 1800,
             query: dict[str, str] | None = None):  # fmt: skip
    """One server-side run of a page in a new session on `db_path`, as the page tests do; `query`
    the URL's parameters (e.g. {"ky": "2026-11"})."""
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    config.set_option("client.showErrorDetails", "full")  # the benchmark wants the real error
    os.environ["CDS_DB"] = str(db_path)
    at = AppTest.from_file(APP, default_timeout=timeout)
    if token is not None:
        at.session_state["auth_token"] = token
    _through_app(at, url_path)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if at.exception:
        details = [f"{e.message} {' '.join(e.stack_trace[-2:])}" for e in at.exception]
        raise RuntimeError(f"page /{url_path}: {details}")
    if token is not None and "auth_token" not in at.session_state:
        raise RuntimeError(f"page /{url_path}: the benchmark session was not logged in")
    return at
