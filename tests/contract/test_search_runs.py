"""The contract suite's tests in tuitrack/testing/search_runs.py, on every database."""

from tuitrack.testing.search_runs import *  # noqa: F403
