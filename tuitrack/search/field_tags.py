"""MLflow's system tags that repeat a field of the run itself.

MLflow keeps a run's name and its parent run in tags (`mlflow.runName`,
`mlflow.parentRunId`); tuitrack keeps them as the run's `run_name` and `parent_run_id`.
Every store shows them as tags too, and a filter or ordering on either tag means the field:
a run that lacks the tag is judged by the field (see evaluate.run_field).
"""

from __future__ import annotations

from collections.abc import Mapping

RUN_NAME_TAG = "mlflow.runName"
PARENT_RUN_TAG = "mlflow.parentRunId"

FIELD_TAGS: Mapping[str, str] = {RUN_NAME_TAG: "run_name", PARENT_RUN_TAG: "parent_run_id"}
"""Tag key -> the RunInfo field it repeats."""
