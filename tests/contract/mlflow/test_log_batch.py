"""The contract suite's tests in tuitrack/testing/log_batch.py, on each MLflow store kind."""

from tuitrack.testing.log_batch import *  # noqa: F403
