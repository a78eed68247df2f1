"""tuitrack.testing.search_filters, on tuitrack_rest over a `tuitrack server`."""

from tuitrack.testing.search_filters import *  # noqa: F403
