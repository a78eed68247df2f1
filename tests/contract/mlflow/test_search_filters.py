"""The contract suite's tests in tuitrack/testing/search_filters.py, on each MLflow store kind."""

from tuitrack.testing.search_filters import *  # noqa: F403
