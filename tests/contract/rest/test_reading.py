"""The contract suite's tests in tuitrack/testing/reading.py, on a real `mlflow server`."""

from tuitrack.testing.reading import *  # noqa: F403
