"""The contract suite's tests in tuitrack/testing/marking.py, on a real `mlflow server`."""

from tuitrack.testing.marking import *  # noqa: F403
