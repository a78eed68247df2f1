"""The contract suite's tests in tuitrack/testing/tag_deletion.py, on every database."""

from tuitrack.testing.tag_deletion import *  # noqa: F403
