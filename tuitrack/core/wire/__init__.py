"""The JSON shapes spoken over HTTP, as pure conversions to and from tuitrack's entities:
MLflow's REST API 2.0 (mlflow_json), tuitrack's own endpoints (tuitrack_json) and the paths
and request limits of both (endpoints). No HTTP here: the REST client backend and
tuitrack's server both build on these."""
