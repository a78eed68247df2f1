"""tuitrack.testing.summaries, on tuitrack_rest over `tuitrack server --workers 4`
and PostgreSQL."""

from tuitrack.testing.summaries import *  # noqa: F403
