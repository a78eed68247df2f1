"""The contract suite's tests in tuitrack/testing/runs.py, on every database."""

from tuitrack.testing.runs import *  # noqa: F403
