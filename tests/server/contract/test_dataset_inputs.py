"""tuitrack.testing.dataset_inputs, on tuitrack_rest over a `tuitrack server`."""

from tuitrack.testing.dataset_inputs import *  # noqa: F403
