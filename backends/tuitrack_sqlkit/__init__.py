"""The SQL toolkit that tuitrack's SQL backends share (tuitrack_sql, tuitrack_mlflow).

It sits between the core and the SQL backends: it imports only `tuitrack` and SQLAlchemy,
never a backend, and a backend imports from it only what is not specific to its tables:
database URLs and the one engine factory (engines), what differs between databases
(dialects: the only module that compares dialect names outside migrations), SQL sent to the
driver itself (driver_sql: the only module that writes placeholders or opens DB-API
cursors), transactions and error mapping, keyset ordering and paging, upserts, SQLite
functions. Reads are written once over a backend's table map (search_tables.SearchTables:
its tables, metric encoding and text rule): the filter translator (filters), orderings,
the search pipeline (run_search), the run loader (run_loading) and the store methods built
on them (search_store.SqlSearchStore: get_run, search_runs, count_runs,
search_experiments).
"""
