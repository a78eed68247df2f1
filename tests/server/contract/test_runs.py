"""tuitrack.testing.runs, on tuitrack_rest over a `tuitrack server`."""

from tuitrack.testing.runs import *  # noqa: F403
