"""tuitrack.testing.search_runs, on tuitrack_rest over a `tuitrack server`."""

from tuitrack.testing.search_runs import *  # noqa: F403
