"""Store fixtures: every storage test runs on a real SQLite file and, when one answers, on PostgreSQL
(EVOPERSONA_TEST_POSTGRES_URL, else 127.0.0.1:5432 database `test` as postgres or root), each test in
its own schema so parallel sessions never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from evopersona.store import Store

_CANDIDATES = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
)


def _find_postgres() -> tuple[str | None, str]:
    given = os.environ.get("EVOPERSONA_TEST_POSTGRES_URL")
    candidates = (given,) if given else _CANDIDATES
    reasons = []
    for url in candidates:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
            return url, ""
        except OperationalError as exc:
            reasons.append(f"{url.split('@')[-1]}: {type(exc).__name__}")
        finally:
            engine.dispose()
    return None, "no PostgreSQL reachable (" + "; ".join(reasons) + ")"


_POSTGRES_URL, _POSTGRES_REASON = _find_postgres()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        with Store(f"sqlite:///{tmp_path / 'run' / 'evopersona.db'}") as s:
            yield s
        return
    if _POSTGRES_URL is None:
        pytest.fail(f"{_POSTGRES_REASON}: the store tests need PostgreSQL on 127.0.0.1:5432 (trust auth, database 'test')")
    schema = f"evp_test_{uuid.uuid4().hex[:16]}"
    s = Store(_POSTGRES_URL, schema=schema)
    try:
        yield s
    finally:
        s.close()
        admin = create_engine(_POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
