"""Every test of the contract suite (tuitrack.testing.suite) on each MLflow store kind."""

from tuitrack.testing.suite import *  # noqa: F403
