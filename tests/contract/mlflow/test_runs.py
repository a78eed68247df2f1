"""The contract suite's tests in tuitrack/testing/runs.py, on each MLflow store kind."""

from tuitrack.testing.runs import *  # noqa: F403
