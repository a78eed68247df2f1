"""tuitrack.testing.tag_deletion, on tuitrack_rest over `tuitrack server --workers 4`
and PostgreSQL."""

from tuitrack.testing.tag_deletion import *  # noqa: F403
