"""The contract suite's tests in tuitrack/testing/metric_history.py, on every database."""

from tuitrack.testing.metric_history import *  # noqa: F403
