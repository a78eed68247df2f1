"""Browse and log over HTTP: a TrackingStore and an ArtifactStore that speak MLflow's REST
API 2.0 (`/api/2.0/mlflow/...`, the `mlflow-artifacts` proxy) to any MLflow tracking server,
and tuitrack's own endpoints (`/api/2.0/tuitrack/...`, see docs/rest.md) where the server
advertises them.
"""
