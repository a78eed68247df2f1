"""The settings every connection to a SQLite store gets."""

from __future__ import annotations

from pathlib import Path

from tuitrack_sql.engine import SQLITE_BUSY_TIMEOUT_MS, SQLITE_CHECKPOINT_PAGES, make_engine


def test_file_stores_use_wal_with_rare_checkpoints_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'store.db'}")
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert pragma("PRAGMA wal_autocheckpoint").scalar() == SQLITE_CHECKPOINT_PAGES
            assert pragma("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS
            assert pragma("PRAGMA foreign_keys").scalar() == 1
        assert (tmp_path / "nested").is_dir()  # the folder of a new file is created
    finally:
        engine.dispose()
