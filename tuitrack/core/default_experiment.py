"""MLflow's Default experiment: id "0", in every store, where runs go that name no other
experiment. Listings for people leave it out while it has no runs, so that a store that
tuitrack's own logging fills shows only the experiments it logged to."""

from __future__ import annotations

from collections.abc import Iterable

from tuitrack.core.store import ExperimentActivity

DEFAULT_EXPERIMENT_ID = "0"


def without_empty_default(activities: Iterable[ExperimentActivity]) -> list[ExperimentActivity]:
    """`activities` but the Default experiment's while it has no runs."""
    return [
        activity
        for activity in activities
        if activity.run_count or activity.experiment.experiment_id != DEFAULT_EXPERIMENT_ID
    ]
