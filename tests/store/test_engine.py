"""SQLite engine behaviour: WAL mode lets a reader read while the writer holds a write transaction;
URLs the store cannot serve are input errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from evopersona.errors import InputError
from evopersona.store import Store
from evopersona.store.engine import BUSY_TIMEOUT_MS, make_engine


def test_sqlite_store_uses_wal_and_busy_timeout(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'e.db'}") as store, store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == BUSY_TIMEOUT_MS
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert (tmp_path / "deep" / "dir" / "e.db").is_file()


def test_reader_reads_while_writer_holds_a_write_transaction(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    with Store(f"sqlite:///{db}") as store:
        run = store.create_or_get_run("r", {})
        store.add_program(run.id, "AXES = []\n")
        writer = sqlite3.connect(db, timeout=0.1, isolation_level=None)
        try:
            writer.execute("BEGIN EXCLUSIVE")  # in rollback-journal mode this would lock readers out
            writer.execute("INSERT INTO runs (name, config, status, created_at, updated_at) "
                           "VALUES ('uncommitted', '{}', 'created', '2026-01-01', '2026-01-01')")
            # A separate reader (the store's own pool, another connection) is not blocked and sees
            # only committed rows.
            assert [r.name for r in store.list_runs()] == ["r"]
            assert len(store.list_programs(run.id)) == 1
            writer.execute("COMMIT")
        finally:
            writer.close()
        assert [r.name for r in store.list_runs()] == ["r", "uncommitted"]


def test_unsupported_url_and_sqlite_schema_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unsupported database URL"):
        make_engine("mysql://user@host/db")
    with pytest.raises(InputError, match="PostgreSQL only"):
        make_engine(f"sqlite:///{tmp_path / 'x.db'}", schema="s")
