"""tuitrack.testing.metric_history_properties, on tuitrack_rest over a `tuitrack server`."""

from tuitrack.testing.metric_history_properties import *  # noqa: F403
