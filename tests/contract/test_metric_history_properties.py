"""The contract suite's tests in tuitrack/testing/metric_history_properties.py."""

from tuitrack.testing.metric_history_properties import *  # noqa: F403
