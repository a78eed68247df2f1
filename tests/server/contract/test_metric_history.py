"""tuitrack.testing.metric_history, on tuitrack_rest over a `tuitrack server`."""

from tuitrack.testing.metric_history import *  # noqa: F403
