"""tuitrack.testing.experiments, on tuitrack_rest over `tuitrack server --workers 4`
and PostgreSQL."""

from tuitrack.testing.experiments import *  # noqa: F403
