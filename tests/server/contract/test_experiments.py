"""tuitrack.testing.experiments, on tuitrack_rest over a `tuitrack server`."""

from tuitrack.testing.experiments import *  # noqa: F403
