"""tuitrack.testing.log_batch, on tuitrack_rest over `tuitrack server --workers 4`
and PostgreSQL."""

from tuitrack.testing.log_batch import *  # noqa: F403
