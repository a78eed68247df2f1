"""Throwaway databases on the real servers named by TUITRACK_TEST_POSTGRES_URL and
TUITRACK_TEST_MYSQL_URL; SQLite always. Each test session gets its own database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ENV = "TUITRACK_TEST_POSTGRES_URL"
MYSQL_ENV = "TUITRACK_TEST_MYSQL_URL"
SERVER_ENVS = {"postgresql": POSTGRES_ENV, "mysql": MYSQL_ENV}
DATABASE_KINDS = ("sqlite", "postgresql", "mysql")


def skip_reason(kind: str) -> str | None:
    env = SERVER_ENVS.get(kind)
    if env and not os.environ.get(env):
        return f"{env} is not set: {kind} contract tests skipped (CI sets it)"
    return None


@contextmanager
def fresh_database(kind: str, tmp_dir: Path) -> Iterator[str]:
    """Yield the URI of a new empty database of `kind`; drop it afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_dir / f'tuitrack-{uuid.uuid4().hex[:8]}.db'}"
        return
    server_url = make_url(os.environ[SERVER_ENVS[kind]])
    name = f"tuitrack_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    quote = '"' if kind == "postgresql" else "`"
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {quote}{name}{quote}"))
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            if kind == "postgresql":
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
            connection.execute(text(f"DROP DATABASE IF EXISTS {quote}{name}{quote}"))
        admin.dispose()
