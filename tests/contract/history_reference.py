"""Moved to tuitrack.testing.history_reference (the contract suite ships it)."""

from tuitrack.testing.history_reference import as_points, reference_downsample

__all__ = ["as_points", "reference_downsample"]
