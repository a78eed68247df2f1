"""The contract suite's tests in tuitrack/testing/dataset_inputs.py, on every database."""

from tuitrack.testing.dataset_inputs import *  # noqa: F403
