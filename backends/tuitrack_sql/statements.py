"""What the history reads (history.py, whole_history.py) share: the series-id subquery of
their tuitrack_sqlkit.driver_sql templates."""

from __future__ import annotations

# A series' id ({key}: the quoted key column).
SERIES_ID_SQL = "(SELECT series_id FROM metric_series WHERE run_uuid = ? AND {key} = ?)"
