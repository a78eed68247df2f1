"""tuitrack.testing.runs, on tuitrack_rest over `tuitrack server --workers 4`
and PostgreSQL."""

from tuitrack.testing.runs import *  # noqa: F403
