"""What the history reads (history.py, whole_history.py) share: the series-id subquery of
their templates, and the SQL toolkit's DriverSql they run them on."""

from __future__ import annotations

from tuitrack_sqlkit.driver_sql import DriverSql, Row

__all__ = ["SERIES_ID_SQL", "Row", "Statements"]

# A series' id, in DriverSql templates ({key}: the quoted key column).
SERIES_ID_SQL = "(SELECT series_id FROM metric_series WHERE run_uuid = ? AND {key} = ?)"

Statements = DriverSql
