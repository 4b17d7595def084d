"""Where the figures are kept: `Store`, over an embedded DuckDB file or a shared PostgreSQL database.

Callers import from this package (`from indicators.storage import Store`); the modules behind it are
its own business. `store.py` makes `Store` of one part per concern, each a class of its own module:
`connection` (opening, cursors, write locks, dialect helpers, data version), `schema` (migrations,
seeding), `current` (upkeep of current values and totals), `batches` (import batches, reverts),
`submissions` (reading figures), `units`, `tasks`, `targets` (and settings), `accounts` (users,
sessions, logins), `audit`, `demo` (its removal), `recode` (renaming units with their history)
and `backup` (copies, moving into PostgreSQL); `memo` keeps results per data version. These modules import `indicators.domain` and each other
only downwards (a part imports the parts it builds on, none imports `store`): never metrics,
ingest, views, render, cli or streamlit.
"""

from indicators.domain.errors import StoreError, StoreLockedError
from indicators.storage.audit import AUDIT_ACTIONS_VI
from indicators.storage.backup import backup_schema_version, backup_while_open
from indicators.storage.connection import attach_postgres, default_path, is_postgres, shown_path
from indicators.storage.current import CURRENT_SELECT, REBUILD_CURRENT, REBUILD_TOTALS
from indicators.storage.demo import DEMO_AUTHOR
from indicators.storage.recode import TABLE_NAMES_VI as RECODE_TABLES_VI
from indicators.storage.recode import UNIT_CODE_COLUMNS, RecodeReport, RecodeRow
from indicators.storage.schema import MIGRATIONS, PG_MIGRATIONS
from indicators.storage.store import Store, open_store, restore_database, store_as_of

__all__ = [
    "AUDIT_ACTIONS_VI", "CURRENT_SELECT", "DEMO_AUTHOR", "MIGRATIONS", "PG_MIGRATIONS", "RECODE_TABLES_VI",
    "REBUILD_CURRENT", "REBUILD_TOTALS", "UNIT_CODE_COLUMNS", "RecodeReport", "RecodeRow", "Store", "StoreError",
    "StoreLockedError", "attach_postgres", "backup_schema_version", "backup_while_open", "default_path",
    "is_postgres", "open_store", "restore_database", "shown_path", "store_as_of",
]  # fmt: skip
