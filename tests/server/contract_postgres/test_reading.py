"""tuitrack.testing.reading, on tuitrack_rest over `tuitrack server --workers 4`
and PostgreSQL."""

from tuitrack.testing.reading import *  # noqa: F403
