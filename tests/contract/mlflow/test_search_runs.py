"""The contract suite's tests in tuitrack/testing/search_runs.py, on each MLflow store kind."""

from tuitrack.testing.search_runs import *  # noqa: F403
