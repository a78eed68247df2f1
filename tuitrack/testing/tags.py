"""How the suite reads a run's tags: a store may show MLflow's tags of the run's name and
parent (tuitrack.search.field_tags) among them, and must then show the run's own fields."""

from __future__ import annotations

from tuitrack.entities import Run
from tuitrack.search.field_tags import FIELD_TAGS


def logged_tags(run: Run) -> dict[str, str]:
    """The run's tags but those of its name and parent, after checking that these (where
    the store shows them) hold the run's name and parent."""
    for key, field in FIELD_TAGS.items():
        if key in run.data.tags:
            assert run.data.tags[key] == getattr(run.info, field), key
    return {key: value for key, value in run.data.tags.items() if key not in FIELD_TAGS}
