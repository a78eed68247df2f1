"""tuitrack.testing.marking, on tuitrack_rest over a `tuitrack server`."""

from tuitrack.testing.marking import *  # noqa: F403
