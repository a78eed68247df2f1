"""The contract suite's tests in tuitrack/testing/experiments.py, on each MLflow store kind."""

from tuitrack.testing.experiments import *  # noqa: F403
