"""tuitrack.testing.orphans, on tuitrack_rest over a `tuitrack server`."""

from tuitrack.testing.orphans import *  # noqa: F403
