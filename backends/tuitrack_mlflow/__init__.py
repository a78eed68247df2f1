"""Read MLflow's own data with tuitrack: its SQL schema and its legacy `mlruns/` folder.

Opened read-only (tags and marking runs FAILED / KILLED are the only writes); MLflow itself
is never imported.
"""
