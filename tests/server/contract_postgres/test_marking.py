"""tuitrack.testing.marking, on tuitrack_rest over `tuitrack server --workers 4`
and PostgreSQL."""

from tuitrack.testing.marking import *  # noqa: F403
