"""The contract suite's tests in tuitrack/testing/summaries.py, on each MLflow store kind."""

from tuitrack.testing.summaries import *  # noqa: F403
