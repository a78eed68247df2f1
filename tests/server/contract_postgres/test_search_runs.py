"""tuitrack.testing.search_runs, on tuitrack_rest over `tuitrack server --workers 4`
and PostgreSQL."""

from tuitrack.testing.search_runs import *  # noqa: F403
