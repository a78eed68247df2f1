"""The contract suite's tests in tuitrack/testing/metric_history_properties.py, on each
MLflow store kind."""

from tuitrack.testing.metric_history_properties import *  # noqa: F403
