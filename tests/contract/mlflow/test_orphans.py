"""The contract suite's tests in tuitrack/testing/orphans.py, on each MLflow store kind."""

from tuitrack.testing.orphans import *  # noqa: F403
