"""The contract suite's tests in tuitrack/testing/marking.py, on every database."""

from tuitrack.testing.marking import *  # noqa: F403
