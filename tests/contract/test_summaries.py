"""The contract suite's tests in tuitrack/testing/summaries.py, on every database."""

from tuitrack.testing.summaries import *  # noqa: F403
