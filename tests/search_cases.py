"""Moved to tuitrack.testing.search_cases (the contract suite ships it)."""

from tuitrack.testing.search_cases import (
    EXPERIMENT_FILTER_CASES,
    FILTER_CASES,
    ORDER_CASES,
    PARENT_CASES,
    PARENT_FILTERS,
    fixture_experiments,
    fixture_runs,
)

__all__ = [
    "EXPERIMENT_FILTER_CASES",
    "FILTER_CASES",
    "ORDER_CASES",
    "PARENT_CASES",
    "PARENT_FILTERS",
    "fixture_experiments",
    "fixture_runs",
]
