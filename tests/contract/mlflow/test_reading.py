"""The contract suite's tests in tuitrack/testing/reading.py, on each MLflow store kind."""

from tuitrack.testing.reading import *  # noqa: F403
