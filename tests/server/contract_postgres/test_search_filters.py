"""tuitrack.testing.search_filters, on tuitrack_rest over `tuitrack server --workers 4`
and PostgreSQL."""

from tuitrack.testing.search_filters import *  # noqa: F403
