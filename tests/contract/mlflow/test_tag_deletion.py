"""The contract suite's tests in tuitrack/testing/tag_deletion.py, on each MLflow store kind."""

from tuitrack.testing.tag_deletion import *  # noqa: F403
