"""Database engines for the store: SQLite in WAL mode (the service reads while the driver writes)
or PostgreSQL by URL, optionally confined to one schema so several runs or test sessions share a
server without colliding.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import create_engine

from evopersona.errors import InputError

BUSY_TIMEOUT_MS = 30_000
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed while the single writer holds a transaction; busy_timeout makes a
    # second writer wait instead of failing at once; NORMAL sync is safe under WAL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _search_path(schema: str) -> Any:
    def set_path(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f'SET search_path TO "{schema}"')
        cursor.close()
        dbapi_connection.commit()

    return set_path


def make_engine(url: str, *, schema: str | None = None) -> Engine:
    """An engine for `url` (sqlite:///path or postgresql+psycopg://...); creates the SQLite folder."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if schema is not None:
            raise InputError("storage: a schema applies to PostgreSQL only")
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        engine = create_engine(url, pool_pre_ping=True)
        if schema is not None:
            if not _SCHEMA_NAME.match(schema):
                raise InputError(f"storage: invalid schema name {schema!r}")
            with engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            engine.dispose()
            event.listen(engine, "connect", _search_path(schema))
        return engine
    raise InputError(f"storage: unsupported database URL {parsed.render_as_string(hide_password=True)!r} "
                     "(use sqlite:///path or postgresql+psycopg://...)")
