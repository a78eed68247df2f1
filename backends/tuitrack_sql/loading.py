"""Id lists cut for IN queries, as the write and history paths import them (the run
loader itself is the SQL toolkit's, tuitrack_sqlkit.run_loading, over search_map.TABLES)."""

from __future__ import annotations

from tuitrack_sqlkit.run_loading import chunks

__all__ = ["chunks"]
