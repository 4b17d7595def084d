"""Where the figures are kept: `Store`, over an embedded DuckDB file or a shared PostgreSQL database.

Imports `indicators.domain` only. Callers import from this package (`from indicators.storage import
Store`); the modules behind it are its own business.
"""

from indicators.domain.errors import StoreError, StoreLockedError
from indicators.storage.store import (
    AUDIT_ACTIONS_VI,
    CURRENT_SELECT,
    DEMO_AUTHOR,
    MIGRATIONS,
    PG_MIGRATIONS,
    REBUILD_CURRENT,
    REBUILD_TOTALS,
    Store,
    attach_postgres,
    backup_schema_version,
    backup_while_open,
    default_path,
    is_postgres,
    open_store,
    restore_database,
    shown_path,
)

__all__ = [
    "AUDIT_ACTIONS_VI", "CURRENT_SELECT", "DEMO_AUTHOR", "MIGRATIONS", "PG_MIGRATIONS", "REBUILD_CURRENT",
    "REBUILD_TOTALS", "Store", "StoreError", "StoreLockedError", "attach_postgres", "backup_schema_version",
    "backup_while_open", "default_path", "is_postgres", "open_store", "restore_database", "shown_path",
]  # fmt: skip
