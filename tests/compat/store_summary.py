"""What a user observes of a tracking store, as JSON, read through MLflow's client API.

    python -m tests.compat.store_summary (mlflow|tuitrack) TRACKING_URI

Both libraries answer through the same calls (MlflowClient: search_experiments,
search_runs, get_metric_history, list_artifacts), so one function reads a store written by
real MLflow and one written by tuitrack, and the test compares the two summaries. What
legitimately differs from process to process (ids, times, user, paths, generated names,
file names made of timestamps and random ids) is left out or normalised.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

# Tags whose values depend on the process, the machine or the library that wrote them.
_VOLATILE_TAGS = {"mlflow.user", "mlflow.source.name", "mlflow.source.git.commit",
                  "mlflow.source.git.branch", "mlflow.source.git.repoURL", "mlflow.loggedArtifacts",
                  "mlflow.log-model.history", "mlflow.runName", "mlflow.parentRunId"}  # fmt: skip
_UUID = r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}"
_GENERATED_FILE = re.compile(_UUID + r"|\d{10,}")


def _artifacts(client: Any, run_id: str, path: str | None = None) -> list[str]:
    found: list[str] = []
    for info in client.list_artifacts(run_id, path):
        if info.is_dir:
            found.extend(_artifacts(client, run_id, info.path))
        else:
            found.append(_GENERATED_FILE.sub("*", info.path))
    return sorted(found)


def _history(client: Any, run_id: str, key: str) -> list[tuple[int, float]]:
    return [(point.step, round(point.value, 9)) for point in client.get_metric_history(run_id, key)]


def _run_summary(client: Any, run: Any, names: dict[str, str]) -> dict[str, Any]:
    tags = run.data.tags
    inputs = getattr(run, "inputs", None)
    datasets = [
        [item.dataset.name, item.dataset.digest, item.dataset.source_type, item.dataset.source,
         sorted((tag.key, tag.value) for tag in item.tags)]
        for item in (inputs.dataset_inputs if inputs is not None else [])
    ]  # fmt: skip
    return {
        "status": str(run.info.status),
        "lifecycle_stage": str(run.info.lifecycle_stage),
        "params": run.data.params,
        "metrics": {key: round(value, 9) for key, value in run.data.metrics.items()},
        "histories": {key: _history(client, run.info.run_id, key) for key in run.data.metrics},
        # tuitrack.* tags are tuitrack's additions (host, pid, command, ...): MLflow has none.
        "tags": {
            key: value
            for key, value in tags.items()
            if key not in _VOLATILE_TAGS and not key.startswith("tuitrack.")
        },
        "mlflow_tag_keys": sorted(key for key in tags if key.startswith("mlflow.")),
        "parent": names.get(tags.get("mlflow.parentRunId", "")),
        "artifacts": _artifacts(client, run.info.run_id),
        "datasets": sorted(datasets),
    }


def summary(client: Any) -> dict[str, Any]:
    experiments: dict[str, Any] = {}
    for experiment in client.search_experiments():
        runs = client.search_runs([experiment.experiment_id], max_results=1000)
        if not runs and experiment.name == "Default":
            continue
        names = {run.info.run_id: run.info.run_name for run in runs}
        experiments[experiment.name] = {
            "tags": experiment.tags,
            "runs": {run.info.run_name: _run_summary(client, run, names) for run in runs},
        }
    return experiments


def main() -> None:
    library, uri = sys.argv[1], sys.argv[2]
    if library == "mlflow":
        import mlflow

        client = mlflow.MlflowClient(tracking_uri=uri)
    else:
        import tuitrack

        client = tuitrack.MlflowClient(uri)
    print(json.dumps(summary(client), sort_keys=True, default=str))


if __name__ == "__main__":
    main()
