"""The contract suite's tests in tuitrack/testing/log_batch.py, on every database."""

from tuitrack.testing.log_batch import *  # noqa: F403
