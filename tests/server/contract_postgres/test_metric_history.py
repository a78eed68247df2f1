"""tuitrack.testing.metric_history, on tuitrack_rest over `tuitrack server --workers 4`
and PostgreSQL."""

from tuitrack.testing.metric_history import *  # noqa: F403
