"""tuitrack.testing.summaries, on tuitrack_rest over a `tuitrack server`."""

from tuitrack.testing.summaries import *  # noqa: F403
