"""The MlflowClient walk-through: experiments, runs and batches through the client alone.

Plain MLflow code; see quickstart.py for how to run it on tuitrack.
"""

import time

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType


def main():
    client = MlflowClient()
    experiment_id = client.create_experiment(
        "client-tutorial", tags={"team": "vision", "mlflow.note.content": "client calls only"}
    )
    client.set_experiment_tag(experiment_id, "stage", "tutorial")

    now = int(time.time() * 1000)
    run = client.create_run(experiment_id, tags={"model": "resnet"}, run_name="batch-logger")
    run_id = run.info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric("accuracy", 0.5 + 0.04 * step, now + step, step) for step in range(10)],
        params=[Param("epochs", "10"), Param("batch_size", "64")],
        tags=[RunTag("dataset", "cifar10")],
    )
    client.log_metric(run_id, "loss", 0.3, step=10)
    client.log_param(run_id, "seed", 42)
    client.set_tag(run_id, "reviewed", "yes")
    client.log_text(run_id, "accuracy rose steadily\n", "notes/summary.txt")
    client.log_dict(run_id, {"layers": 18, "pretrained": True}, "config/model.json")
    client.set_terminated(run_id, status="FINISHED")

    failed = client.create_run(experiment_id, run_name="diverged")
    client.log_metric(failed.info.run_id, "loss", float("nan"))
    client.set_terminated(failed.info.run_id, status="FAILED")

    history = client.get_metric_history(run_id, "accuracy")
    print("accuracy points:", len(history), "last:", round(history[-1].value, 2))
    finished = client.search_runs(
        [experiment_id],
        filter_string="attributes.status = 'FINISHED' and params.epochs = '10'",
        run_view_type=ViewType.ACTIVE_ONLY,
        order_by=["metrics.accuracy DESC"],
    )
    print("finished runs:", [r.info.run_name for r in finished])
    print("artifacts:", sorted(f.path for f in client.list_artifacts(run_id)))
    experiment = client.get_experiment_by_name("client-tutorial")
    print("experiment tags:", sorted(experiment.tags))


if __name__ == "__main__":
    main()
