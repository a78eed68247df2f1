"""The contract suite's tests in tuitrack/testing/experiments.py, on a real `mlflow server`."""

from tuitrack.testing.experiments import *  # noqa: F403
