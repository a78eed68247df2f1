"""The contract suite's tests in tuitrack/testing/tag_deletion.py, on a real `mlflow server`."""

from tuitrack.testing.tag_deletion import *  # noqa: F403
