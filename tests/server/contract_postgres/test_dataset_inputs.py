"""tuitrack.testing.dataset_inputs, on tuitrack_rest over `tuitrack server --workers 4`
and PostgreSQL."""

from tuitrack.testing.dataset_inputs import *  # noqa: F403
