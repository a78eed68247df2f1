"""tuitrack.testing.orphans, on tuitrack_rest over `tuitrack server --workers 4`
and PostgreSQL."""

from tuitrack.testing.orphans import *  # noqa: F403
