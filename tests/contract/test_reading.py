"""The contract suite's tests in tuitrack/testing/reading.py, on every database."""

from tuitrack.testing.reading import *  # noqa: F403
