"""The contract suite's tests in tuitrack/testing/experiments.py, on every database."""

from tuitrack.testing.experiments import *  # noqa: F403
