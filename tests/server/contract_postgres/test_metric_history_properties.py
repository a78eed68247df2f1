"""tuitrack.testing.metric_history_properties, on tuitrack_rest over `tuitrack server --workers 4`
and PostgreSQL."""

from tuitrack.testing.metric_history_properties import *  # noqa: F403
