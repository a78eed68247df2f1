"""The contract suite's tests in tuitrack/testing/orphans.py, on a real `mlflow server`."""

from tuitrack.testing.orphans import *  # noqa: F403
