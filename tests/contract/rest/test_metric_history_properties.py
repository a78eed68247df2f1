"""The contract suite's tests in tuitrack/testing/metric_history_properties.py, on a real
`mlflow server`."""

from tuitrack.testing.metric_history_properties import *  # noqa: F403
