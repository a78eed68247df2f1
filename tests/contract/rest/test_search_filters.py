"""The contract suite's tests in tuitrack/testing/search_filters.py, on a real `mlflow server`."""

from tuitrack.testing.search_filters import *  # noqa: F403
