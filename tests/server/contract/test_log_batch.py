"""tuitrack.testing.log_batch, on tuitrack_rest over a `tuitrack server`."""

from tuitrack.testing.log_batch import *  # noqa: F403
