"""The contract suite's tests in tuitrack/testing/metric_history.py, on each MLflow store kind."""

from tuitrack.testing.metric_history import *  # noqa: F403
