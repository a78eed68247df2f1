"""The contract suite's tests in tuitrack/testing/dataset_inputs.py, on a real `mlflow server`."""

from tuitrack.testing.dataset_inputs import *  # noqa: F403
