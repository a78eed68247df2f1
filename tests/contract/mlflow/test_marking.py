"""The contract suite's tests in tuitrack/testing/marking.py, on each MLflow store kind."""

from tuitrack.testing.marking import *  # noqa: F403
