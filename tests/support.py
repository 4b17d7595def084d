"""Helpers shared by the tests: the databases they make (DuckDB files, or with
CDS_TEST_STORE=postgres PostgreSQL databases: `new_db`, `demo_db`, `empty_db`, `copy_db`,
`memory_store`), accounts and signing in for page tests."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date
from functools import cache
from pathlib import Path

from streamlit.testing.v1 import AppTest

from indicators.domain import accounts, clock
from indicators.domain.accounts import Actor
from indicators.ingest.demo import load_demo
from indicators.storage import Store, default_path, is_postgres, open_store

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DEMO_TODAY = date(2026, 11, 27)  # demo months Jan–Nov 2026, independent of the real date
_cache: dict[str, Path] = {}


def admin(name: str = "quản trị kiểm thử") -> Actor:
    """An administrator account: may do every write (audit rows and batches carry `name`)."""
    return Actor(name, "quan_tri")


def staff(name: str, *units: str) -> Actor:
    """A cán bộ account assigned to `units`."""
    return Actor(name, "can_bo", units=tuple(units))


ADMIN = admin()


# --- PostgreSQL ---------------------------------------------------------------------------------
# With CDS_TEST_STORE=postgres, the stores the tests build in memory are PostgreSQL databases
# instead (one new database each), on the server of $CDS_TEST_PG_URL or on a throwaway server
# started here by scripts/pg_local.sh and stopped when the tests end.
PG_LOCAL = ROOT / "scripts" / "pg_local.sh"
_pg: dict[str, str] = {}


def on_postgres() -> bool:
    return os.environ.get("CDS_TEST_STORE") == "postgres"


def postgres_server() -> str:
    """postgresql://…/cds_test of the tests' server (started on first use)."""
    if "url" not in _pg:
        given = os.environ.get("CDS_TEST_PG_URL")
        if given:
            _pg["url"] = given
        else:
            import atexit
            import subprocess
            import tempfile

            folder = tempfile.mkdtemp(prefix="cds-pg-")  # not under pytest's 0700 folders: the server runs as postgres
            os.chmod(folder, 0o755)
            started = subprocess.run(["bash", str(PG_LOCAL), "start", folder], capture_output=True, text=True,
                                     env={**os.environ, "PG_LOCAL_FSYNC": "off"})  # fmt: skip
            assert started.returncode == 0, f"PostgreSQL did not start: {started.stderr}"
            atexit.register(lambda: (subprocess.run(["bash", str(PG_LOCAL), "stop", folder], capture_output=True),
                                     shutil.rmtree(folder, ignore_errors=True)))  # fmt: skip
            _pg["url"] = started.stdout.strip()
    return _pg["url"]


def psql(base: str, sql: str) -> None:
    """Run `sql` on the server's maintenance database (CREATE/DROP DATABASE)."""
    import subprocess

    done = subprocess.run(["psql", f"{base}/postgres", "-qc", sql], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def new_postgres_database(empty: bool = False, template: str | None = None) -> str:
    """The URL of a new database on the tests' server: with the product's schema already in it
    (copied from a template migrated once, as a new store would find it), `empty`, or a copy of
    the database named `template`."""
    import uuid

    base = postgres_server().rsplit("/", 1)[0]
    if not empty and template is None and "template" not in _pg:
        name = f"cds_template_{uuid.uuid4().hex[:8]}"
        psql(base, f'CREATE DATABASE "{name}"')
        Store(f"{base}/{name}").close()
        _pg["template"] = name
    if template is None and not empty:
        template = _pg["template"]
    name = f"t_{uuid.uuid4().hex[:12]}"
    psql(base, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return f"{base}/{name}"


def drop_postgres_database(url: str) -> None:
    base, name = url.rsplit("/", 1)
    psql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def memory_store() -> Store:
    """What a test means by a store in memory: DuckDB's, or a new PostgreSQL database."""
    return Store(new_postgres_database()) if on_postgres() else Store(":memory:")


def new_db(folder: Path, name: str = "cds") -> str:
    """Where a test keeps a database of its own, not created yet: the DuckDB file
    `folder/name.duckdb`, or (CDS_TEST_STORE=postgres) a new PostgreSQL database without any table,
    which the store migrates on first open as it would a new file."""
    if on_postgres():
        return new_postgres_database(empty=True)
    return str(Path(folder) / f"{name}.duckdb")


def release(db: str) -> None:
    """Close the process-wide store of `db` if one is open (a PostgreSQL database cannot be
    copied while connections to it are open)."""
    from indicators.storage import connection

    with connection._connections_lock:
        opened = [s for key, s in connection._connections.items() if key == str(db)]
    for store in opened:
        store.close()


def copy_db(source: str, folder: Path, name: str) -> str:
    """A copy of the database `source` (a DuckDB file with its WAL, or a PostgreSQL database)."""
    if is_postgres(source):
        release(source)
        return new_postgres_database(template=source.rsplit("/", 1)[1])
    target = Path(folder) / f"{name}.duckdb"
    shutil.copy(source, target)
    wal = Path(f"{source}.wal")
    if wal.exists():
        shutil.copy(wal, f"{target}.wal")
    return str(target)


def db_snapshot(db: str) -> dict:
    """Everything a database holds (`Store.content_snapshot`), the store closed again."""
    store = Store(db)
    try:
        return store.content_snapshot()
    finally:
        store.close()


def db_created(db: str) -> bool:
    """Whether anything created the database `db` (the file, or the product's tables in it)."""
    if not is_postgres(db):
        return Path(db).exists()
    import subprocess

    found = subprocess.run(["psql", db, "-tAc", "SELECT to_regclass('schema_migrations') IS NOT NULL"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return found.stdout.strip() == "t"


def _demo_source(tmp_dir: Path) -> Path:
    """The demo database, generated once per session into a DuckDB file."""
    if "demo" not in _cache:
        source = Path(tmp_dir).parent / "_demo_source.duckdb"
        if not source.exists():
            store = Store(source)
            load_demo(store, ADMIN, today=DEMO_TODAY)
            store.close()
        _cache["demo"] = source
    return _cache["demo"]


def demo_db(tmp_dir: Path) -> str:
    """A fresh copy of the demo database: a file in `tmp_dir`, or a PostgreSQL database copied from
    a template that holds the demo file's content (migrated once per session, as a city would)."""
    source = _demo_source(tmp_dir)
    if on_postgres():
        if "demo_template" not in _pg:
            url = new_postgres_database(empty=True)
            store = Store(url)
            store.copy_from_duckdb(source, ADMIN)
            store.close()
            _pg["demo_template"] = url.rsplit("/", 1)[1]
        return new_postgres_database(template=_pg["demo_template"])
    target = Path(tmp_dir) / "demo.duckdb"
    shutil.copy(source, target)
    return str(target)


def empty_db(tmp_dir: Path) -> str:
    """A new database with the product's schema and nothing else (a file, or PostgreSQL)."""
    if on_postgres():
        return new_postgres_database()
    path = Path(tmp_dir) / "empty.duckdb"
    Store(path).close()
    return str(path)


SIGNED_IN = "quantri"  # the demo's admin account; page tests act as it unless they say otherwise
TEST_PASSWORD = "mat-khau-kiem-thu"


@cache
def _password_hash() -> str:
    return accounts.hash_password(TEST_PASSWORD)


def ensure_user(store: Store, name: str, role: str = "quan_tri", units: tuple[str, ...] = ()) -> None:
    if store.user(name) is None:
        form = accounts.UserForm(name=name, role=role, units=units, display_name=f"Kiểm thử {name}")
        store.add_user(form, _password_hash(), accounts.SYSTEM)


def sign_in(at: AppTest, name: str = SIGNED_IN, role: str = "quan_tri", units: tuple[str, ...] = ()) -> AppTest:
    """Log `at`'s session in as `name` of the database in $CDS_DB, the way the login form does
    (a stored session whose token the session holds). The account is created if missing."""
    store = open_store(default_path())
    ensure_user(store, name, role, units)
    token = accounts.new_session_token()
    store.start_session(accounts.token_hash(token), name, clock.now())
    at.session_state["auth_token"] = token
    # a page test that switches page before the first run skips app.py, which sets this
    at.session_state["actor"] = accounts.actor_of(store.user(name))
    return at


def app_test(timeout: int = 60, name: str | None = SIGNED_IN, **account) -> AppTest:
    """The whole app (app.py) under AppTest, signed in as `name` (None: not signed in)."""
    assert os.environ.get("CDS_DB"), "set CDS_DB to the test's database first"
    at = AppTest.from_file(APP, default_timeout=timeout)
    return sign_in(at, name, **account) if name else at


BARE_FONT_DIRS = ["/usr/share/fonts/truetype/dejavu"]  # what fontconfig itself brings (fonts-dejavu-core)


def bare_fonts_config(folder: Path) -> Path:
    """A fontconfig file for a machine without the Noto fonts (DejaVu only): set it as
    FONTCONFIG_FILE to draw as such a machine would."""
    dirs = "".join(f"  <dir>{d}</dir>\n" for d in BARE_FONT_DIRS)
    config = folder / "bare-fonts.conf"
    config.write_text(f'<?xml version="1.0"?>\n<fontconfig>\n{dirs}  <cachedir>{folder / "fc-cache"}</cachedir>\n'
                      "</fontconfig>\n", encoding="utf-8")  # fmt: skip
    return config


def shown(text: str) -> str:
    """What a Markdown text shows, its backslash escapes resolved: pages escape what users typed
    (file names, unit names, values from the URL), which AppTest returns as written."""
    return re.sub(r"\\(.)", r"\1", str(text))
