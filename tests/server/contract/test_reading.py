"""tuitrack.testing.reading, on tuitrack_rest over a `tuitrack server`."""

from tuitrack.testing.reading import *  # noqa: F403
