"""tuitrack.testing.tag_deletion, on tuitrack_rest over a `tuitrack server`."""

from tuitrack.testing.tag_deletion import *  # noqa: F403
