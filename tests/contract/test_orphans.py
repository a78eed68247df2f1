"""The contract suite's tests in tuitrack/testing/orphans.py, on every database."""

from tuitrack.testing.orphans import *  # noqa: F403
